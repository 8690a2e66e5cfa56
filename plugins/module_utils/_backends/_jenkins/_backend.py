# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The Jenkins backend: starts, gates, restart/replay/re-run, stop and queue cancellation.

Idempotency (DESIGN section 4): a job that declares the build parameter CICD_IDEMPOTENCY_KEY gets the
key as that parameter, so it travels atomically with the start, shows on queue items and builds,
and makes Jenkins coalesce identical queued requests (303). Other jobs: an explicit key is written
into the build description once the build exists (after_start); a derived key is matched by
parameter equality. Every non-idempotent POST goes through `exactly_once`.
"""

from __future__ import annotations

import json
import typing as t

from urllib.parse import quote

from ..._errors import (ApiError, ConflictError, InvalidState, NotFoundError, TransientError, UnsupportedOperation,
                        ValidationError, VendorValidationError)
from ..._model import Execution, InputParameter, Level, PendingInput, PipelineInfo, StartRequest, Status
from .._base import ALL_OPERATIONS, Operation, exactly_once
from ._api import build_path, queue_id_from_location
from ._reads import JenkinsReads, JobInfo, Scan, queue_number
from ._records import (KEY_LINE, KEY_PARAMETER, RETRY_KEY, RETRY_LINE, STATUS_TABLE, VENDOR, as_text, continues,
                       parameters_of, same_parameters)

# How long to look for the build a restart/rebuild scheduled (neither answers with a queue Location).
_CONTINUATION_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0)
_RETRY_FROM = frozenset({Status.FAILED, Status.UNSTABLE, Status.ABORTED})


class _Unavailable(Exception):
    """A retry strategy this build does not offer; the next one is tried."""


class JenkinsBackend(JenkinsReads):
    """Jenkins (remote access API, Pipeline Stage View wfapi, input step, Declarative restart, replay)."""

    name = VENDOR
    display_name = 'Jenkins'
    capabilities = ALL_OPERATIONS
    status_table = STATUS_TABLE
    # Rejecting an input step aborts the build (InputStepExecution.doAbort).
    rejected_status = Status.ABORTED
    reserved_parameters = (KEY_PARAMETER,)
    start_inputs = (
        InputParameter('quiet_period', type='integer', description='seconds Jenkins waits before the build starts '
                       '(the `delay` of build/buildWithParameters); default: the job\'s quiet period'),
    )

    # Start ------------------------------------------------------------------------------------

    def check_start(self, request: StartRequest, info: PipelineInfo) -> None:
        super().check_start(request, info)
        quiet = request.start_inputs.get('quiet_period')
        if quiet is not None and int(quiet) < 0:
            raise ValidationError('jenkins: start input quiet_period must be 0 seconds or more, got %s' % quiet)

    def start(self, request: StartRequest) -> Execution:
        job = self._job(request.pipeline)
        values = {name: as_text(value) for name, value in request.parameters.items()}
        for name, value in request.parameters.items():
            param = job.parameter(name)
            if param is not None and param.type == 'password':
                self.http.add_secret(as_text(value))
        if job.declares_key:
            values[KEY_PARAMETER] = request.key
        elif not request.key_derived:
            self.warnings.append(
                'jenkins: job %r does not declare the string parameter %s, so the idempotency key is written to the '
                'build description once the build leaves the queue; declare the parameter to carry the key atomically '
                'with the start' % (request.pipeline, KEY_PARAMETER))
        before = self._last_scan.pop(request.pipeline, None) or self._scan(request.pipeline)

        def started(obj: t.Mapping[str, t.Any]) -> bool:
            found = parameters_of(obj)
            if job.declares_key:
                return found.get(KEY_PARAMETER) == request.key
            # New since the snapshot and the same parameters: the best evidence without a carrier.
            return same_parameters(request.parameters, found)

        delay = request.start_inputs.get('quiet_period')
        execution = exactly_once(lambda: self._schedule(job, values, 'start job %r' % request.pipeline, delay),
                                 lambda: self._new_since(request.pipeline, before, started))
        execution.idempotency_key = execution.idempotency_key or request.key
        return execution

    def _schedule(self, job: JobInfo, values: t.Mapping[str, str], operation: str,
                  delay: t.Optional[t.Any] = None) -> Execution:
        """POST build/buildWithParameters; the parameters go in the form body, never the query string
        (password values must not land in access logs). `delay`: seconds of quiet period (None: the job's)."""
        query = {'delay': '%dsec' % int(delay)} if delay is not None else None
        if job.definitions:
            response = self.api.post(job.path + '/buildWithParameters', operation, data=dict(values), params=query)
        else:
            response = self.api.post(job.path + '/build', operation, params=query)
        queue_id = queue_id_from_location(response.headers.get('Location'))
        if queue_id is None:
            # 302 to the job: Jenkins did not schedule anything (ParameterizedJobMixIn.doBuild).
            raise ApiError('jenkins: could not %s: Jenkins answered HTTP %d without a queue item Location, so no '
                           'build was scheduled' % (operation, response.status), status=response.status)
        stub = Execution(vendor=VENDOR, pipeline=job.name, status=Status.QUEUED, scope={'queue_id': queue_id})
        try:
            # Its status (and build number) is all the start needs; the module completes the record at the end.
            execution = self.get(stub, Level.STATUS)
        except ApiError:
            execution = stub  # it was scheduled: report that rather than fail after starting it
        if response.status == 303:
            # Jenkins merged the request into an identical queued item (ScheduleResult.isCreated() false).
            execution.scope['coalesced'] = True
        return execution

    def after_start(self, execution: Execution, request: t.Optional[StartRequest] = None) -> Execution:
        """Write notes, the key line (no key parameter) and the retry_of line into the build description.

        Keeps the existing description and adds only lines not already there, so it may run twice.
        Returns `execution` unchanged when it has no build yet or there is nothing to write.
        """
        if execution.id is None:
            return execution
        lines = []
        if request is not None and request.notes:
            lines.append(request.notes.strip())
        if request is not None and not request.key_derived and not self._job(execution.pipeline).declares_key:
            lines.append(KEY_LINE + request.key)
        if execution.scope.get('retry_of') is not None:
            lines.append(RETRY_LINE + str(execution.scope['retry_of']))
        if not lines:
            return execution
        number = self._number(execution)
        path = build_path(execution.pipeline, number)
        operation = 'write the description of build #%d of job %r' % (number, execution.pipeline)
        existing = (self.api.get_json(path + '/api/json', operation, 'description') or {}).get('description') or ''
        missing = [line for line in lines if line not in existing]
        if not missing:
            return execution
        text = '\n'.join(([existing.rstrip('\n')] if existing.strip() else []) + missing)
        # Setting the same text twice is harmless, so transient failures may be retried. Jenkins answers 302.
        self.api.post(path + '/submitDescription', operation, data={'description': text}, idempotent=True)
        return self.get(execution)

    # Gates ------------------------------------------------------------------------------------

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        """Approve (`proceed` with every gate parameter, or `proceedEmpty`) or reject (`abort`) a gate.

        The input step only binds parameters present in the form (InputStepExecution.parseValue), so
        every parameter is sent: the given value, else its default.
        """
        number = self._number(execution)
        base = '%s/input/%s' % (build_path(execution.pipeline, number), quote(gate.id, safe=''))
        data = None
        if not approve:
            path, verb = base + '/abort', 'reject'
        elif gate.parameters:
            path, verb = base + '/proceed', 'approve'
            data = {'json': json.dumps({'parameter': self._gate_values(execution, number, gate, values)})}
        else:
            path, verb = base + '/proceedEmpty', 'approve'
        operation = '%s input %r of build #%d of job %r' % (verb, gate.id, number, execution.pipeline)

        def send() -> Execution:
            try:
                self.api.post(path, operation, data=data)
            except VendorValidationError as exc:
                # hudson.model.Failure("This input has been already given"): 400 + X-Error.
                if 'already given' in (exc.vendor_message or '').lower():
                    raise ConflictError(exc.msg, status=exc.status, vendor_message=exc.vendor_message)
                raise
            return self.get(execution)

        def answered() -> t.Optional[Execution]:
            pending = self.api.get_json_or_none(build_path(execution.pipeline, number) + '/wfapi/pendingInputActions',
                                                'read the pending inputs of build #%d' % number)
            ids = {str(a.get('id')) for a in pending or [] if isinstance(a, dict)}
            return self.get(execution) if gate.id not in ids else None

        return exactly_once(send, answered)

    def _gate_values(self, execution: Execution, number: int, gate: PendingInput,
                     values: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
        secrets = self._gate_secrets.get((execution.pipeline, number, gate.id), {})
        body = []
        for param in gate.parameters:
            if param.name in values:
                value = values[param.name]
            elif param.type == 'password':
                value = secrets.get(param.name)
            else:
                value = param.default
            if value is None:
                continue
            if param.type == 'boolean':
                value = value if isinstance(value, bool) else str(value).lower() == 'true'
            else:
                value = as_text(value)
                if param.type == 'password':
                    self.http.add_secret(value)
            body.append({'name': param.name, 'value': value})
        return body

    # Resume and retry -------------------------------------------------------------------------

    def resume(self, execution: Execution, stage: str) -> Execution:
        """Declarative 'restart from stage': a new build; found through its RestartDeclarativePipelineCause."""
        number = self._number(execution)
        before = self._scan(execution.pipeline)
        result = exactly_once(lambda: self._restart(execution, number, stage, Operation.RESUME, before),
                              lambda: self._continuation_since(execution, number, Operation.RESUME, before))
        result.previous_id = str(number)
        return result

    def retry(self, execution: Execution) -> Execution:
        """Run the failed part again, the best way this build allows:

        1. restart from the first stage that failed/was unstable/aborted (Declarative, restart enabled);
        2. replay/rebuild (Pipeline jobs): the same script and parameters;
        3. a new build with the original parameters, marked `retry-of-N` (key parameter) and `retry_of`.
        """
        number = self._number(execution)
        current = self._get_build(execution.pipeline, number)
        if current.status.active:
            raise InvalidState('jenkins: build #%d of job %r is still %s; only a finished build can be retried'
                               % (number, execution.pipeline, current.status.value), execution=current)
        before = self._scan(execution.pipeline)

        def lookup() -> t.Optional[Execution]:
            return self._continuation_since(execution, number, 'retry', before)

        stage = self._retry_stage(current)
        try:
            if stage is not None:
                result = exactly_once(lambda: self._restart(execution, number, stage, 'retry', before), lookup)
            else:
                result = exactly_once(lambda: self._rebuild(execution, number, before), lookup)
        except _Unavailable:
            result = self._rerun(current, number, before)
        result.previous_id = str(number)
        return result

    def _retry_stage(self, current: Execution) -> t.Optional[str]:
        bad = next((i for i, s in enumerate(current.stages) if s.status in _RETRY_FROM), None)
        if bad is None:
            return None
        restartable = self.resumable_stages(current)
        # wfapi lists nested stages after their top-level parent; restart takes top-level names only.
        for candidate in reversed(current.stages[:bad + 1]):
            if candidate.name in restartable:
                return candidate.name
        return None

    def _restart(self, execution: Execution, number: int, stage: str, operation: str, before: Scan) -> Execution:
        path = build_path(execution.pipeline, number) + '/restart/restartPipeline'
        action = 'restart build #%d of job %r from stage %r' % (number, execution.pipeline, stage)
        try:
            response = self.api.post(path, action, data={'stageName': stage})
        except NotFoundError as exc:
            # The restart action only has a URL while restart is allowed (RestartDeclarativePipelineAction).
            raise InvalidState('jenkins: could not %s: restart from a stage is not available for this build (it '
                               'is not a Declarative Pipeline, has not finished, or the job disables restart)'
                               % action, execution=execution, status=exc.status)
        if response.status < 300:
            # HttpResponses.okJSON envelope; a refusal is still HTTP 200 with data.success "false".
            envelope = self.api.json_of(response, path, action)
            data = envelope.get('data') if isinstance(envelope, dict) else None
            data = data if isinstance(data, dict) else {}
            if (isinstance(envelope, dict) and envelope.get('status') == 'error') or \
                    str(data.get('success')).lower() == 'false':
                message = str(data.get('message') or (envelope or {}).get('message') or 'no reason given')
                raise ConflictError('jenkins: could not %s: %s' % (action, message), status=response.status,
                                    vendor_message=message)
        return self._await_continuation(execution, number, operation, before, action)

    def _rebuild(self, execution: Execution, number: int, before: Scan) -> Execution:
        action = 'rebuild build #%d of job %r' % (number, execution.pipeline)
        try:
            self.api.post(build_path(execution.pipeline, number) + '/replay/rebuild', action)
        except NotFoundError:
            raise _Unavailable()  # no ReplayAction: not a Pipeline, or rebuild not permitted
        except VendorValidationError as exc:
            if 'password' in (exc.vendor_message or '').lower():
                raise _Unavailable()  # "Replay is not allowed when password parameters are used."
            raise
        return self._await_continuation(execution, number, 'retry', before, action)

    def _rerun(self, current: Execution, number: int, before: Scan) -> Execution:
        pipeline = current.pipeline
        hidden = sorted(name for name, value in current.parameters.items() if value is None)
        if hidden:
            raise UnsupportedOperation(
                'jenkins: build #%d of job %r cannot be re-run with the same parameters: Jenkins does not export '
                'the values of %s (password or file parameters), and neither restart from a stage (Declarative '
                'Pipeline with restart enabled) nor rebuild (Pipeline jobs) is available for it'
                % (number, pipeline, ', '.join(hidden)))
        job = self._job(pipeline)
        values = {name: as_text(value) for name, value in current.parameters.items()}
        if job.declares_key:
            values[KEY_PARAMETER] = RETRY_KEY % number

        def matches(obj: t.Mapping[str, t.Any]) -> bool:
            if job.declares_key:
                return continues(obj, number, 'retry')
            return same_parameters(current.parameters, parameters_of(obj))

        result = exactly_once(lambda: self._schedule(job, values, 'run job %r again' % pipeline),
                              lambda: self._new_since(pipeline, before, matches))
        # after_start writes the retry_of line once the build exists (lineage without the key parameter).
        result.scope['retry_of'] = number
        return result

    def _continuation_since(self, execution: Execution, number: int, operation: str,
                            before: Scan) -> t.Optional[Execution]:
        return self._new_since(execution.pipeline, before, lambda obj: continues(obj, number, operation))

    def _await_continuation(self, execution: Execution, number: int, operation: str, before: Scan,
                            action: str) -> Execution:
        """Restart and rebuild answer without a queue Location: look for the build they scheduled."""
        for delay in _CONTINUATION_DELAYS:
            if delay:
                self.http.sleep(delay)
            found = self._continuation_since(execution, number, operation, before)
            if found is not None:
                return found
        raise ApiError('jenkins: Jenkins accepted the request to %s, but the build it scheduled did not appear in '
                       'the queue or the build list; check job %r before running the task again'
                       % (action, execution.pipeline), changed=True)

    # Cancel -----------------------------------------------------------------------------------

    def cancel(self, execution: Execution) -> Execution:
        """Drop a queued item (`queue/cancelItem`) or stop a build (`stop`); both are safe to repeat."""
        if execution.id is None:
            queue_id = execution.scope.get('queue_id')
            if queue_id is None:
                raise ValidationError('jenkins: the execution has neither a build number (id) nor a queue id '
                                      '(scope.queue_id); pass the execution record an earlier task returned')
            queue_id = queue_number(queue_id)
            try:
                # Cancelling twice is harmless, so other 5xx are retried; but a 500 is Jenkins's answer "Could not cancel
                # run for id N" for an item that already left the queue (Queue.doCancelItem: left items stay known for
                # a while), which the item itself explains.
                self.api.post('/queue/cancelItem', 'cancel queue item %s of job %r' % (queue_id, execution.pipeline),
                              params={'id': queue_id}, idempotent=True, answers=(500,))
            except (NotFoundError, TransientError) as exc:
                if isinstance(exc, TransientError) and exc.status != 500:
                    raise
                # It already left the queue (became a build, or was cancelled): stop the build it became, if any.
                current = self.get(execution)
                if current.id is None and not current.terminal:
                    raise
                if current.id is None or current.terminal:
                    return current
                return self.cancel(current)
            return self.get(execution)
        number = self._number(execution)
        self.api.post(build_path(execution.pipeline, number) + '/stop',
                      'stop build #%d of job %r' % (number, execution.pipeline), idempotent=True)
        return self.get(execution)
