# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""PipelineModule: the one place that knows Ansible.

It merges the shared argument specs (kept in step with the doc fragments), builds the backend for
the chosen vendor, runs a module's operation, waits when asked, renders results (with diff), and turns
every typed error into one clean `msg` while still reporting `changed` and `execution`.
"""

from __future__ import annotations

import os
import traceback
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._backends._base import Backend
from ._errors import PipelineError, UnsuccessfulExecution, ValidationError, WaitTimeout
from ._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, REDACTED
from ._model import DEFAULT_FAIL_ON, STATUS_NAMES, Execution, StartRequest, Status
from ._poller import Condition, Poller, make_condition
from ._registry import BACKENDS, create_backend, resolve_connection

# Shared options. Each dict is documented by the doc fragment of the same name; validate-modules checks
# that the two agree for every module.
CONNECTION_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    vendor=dict(type='str', required=True, choices=sorted(BACKENDS)),
    api_url=dict(type='str'),
    username=dict(type='str'),
    api_token=dict(type='str', no_log=True),
    password=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    request_timeout=dict(type='float', default=30.0),
    request_retries=dict(type='int', default=5),
)
IDENTITY_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    pipeline=dict(type='str'),
    execution_id=dict(type='str'),
    execution=dict(type='dict'),
)
RAW_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    return_raw=dict(type='bool', default=False),
)
WAIT_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    wait=dict(type='bool', default=False),
    wait_for=dict(type='list', elements='str', choices=list(STATUS_NAMES)),
    wait_until=dict(type='str'),
    wait_timeout=dict(type='int', default=600),
    wait_interval=dict(type='float', default=2.0),
    wait_max_interval=dict(type='float', default=30.0),
    on_timeout=dict(type='str', default='fail', choices=['fail', 'cancel', 'detach']),
    fail_on=dict(type='list', elements='str', choices=list(STATUS_NAMES), default=list(DEFAULT_FAIL_ON)),
)

Records = t.Union[Execution, t.List[Execution]]


class PipelineModule:
    """An AnsibleModule with the collection's shared options, backend wiring and error edge.

    Modules build one, then call `run(operation)`; `operation(module)` returns the result dict
    (usually from `finish()`) or raises a PipelineError. Nothing else calls exit_json/fail_json.
    """

    def __init__(self, argument_spec: t.Optional[t.Dict[str, t.Any]] = None, *, identity: bool = True,
                 **kwargs: t.Any) -> None:
        spec = dict(CONNECTION_SPEC)
        spec.update(WAIT_SPEC)
        spec.update(RAW_SPEC)
        if identity:
            spec.update(IDENTITY_SPEC)
            kwargs.setdefault('mutually_exclusive', []).extend([('execution', 'pipeline'), ('execution', 'execution_id')])
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
        self.params = self.module.params
        self.poller = Poller()
        self.condition: t.Optional[Condition] = None
        self._backend: t.Optional[Backend] = None
        # What the task changed so far: a failure after that still reports changed and the execution.
        self._changed: t.Optional[Records] = None

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def vendor(self) -> str:
        return self.params['vendor']

    @property
    def backend(self) -> Backend:
        """The chosen vendor's backend, built on first use (after the connection options are checked)."""
        if self._backend is None:
            resolved = resolve_connection(self.params, os.environ)
            for secret in resolved.env_secrets:
                self.module.no_log_values.add(secret)
            self._backend = create_backend(resolved.connection)
        return self._backend

    @property
    def wants_wait(self) -> bool:
        """`wait: true`, or a wait condition given (which implies waiting)."""
        return bool(self.params.get('wait') or self.params.get('wait_for') or self.params.get('wait_until'))

    # The edge -----------------------------------------------------------------------------------

    def run(self, operation: t.Callable[['PipelineModule'], t.Dict[str, t.Any]]) -> None:
        """Run `operation` and exit; every failure leaves through here as one clean message."""
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        try:
            if self.wants_wait:
                self.condition = make_condition(self.params.get('wait_for'), self.params.get('wait_until'))
            result = operation(self)
        except PipelineError as exc:
            self._warn_backend()
            failure: t.Dict[str, t.Any] = dict(exc.details, changed=exc.changed)
            failure.update(self._changed_so_far(failure))
            if exc.execution is not None:
                failure['execution'] = self.render(exc.execution)
            # `exception` explicitly: the default would carry the unredacted message at -vvv.
            self.module.fail_json(msg=self._redact(exc.msg), exception=self._redact(traceback.format_exc()), **failure)
        except Exception as exc:  # pylint: disable=broad-except
            # A bug or an unforeseen vendor answer: a clean message here, the traceback only in `exception`.
            self.module.fail_json(msg=self._redact('%s: unexpected error: %s: %s' % (self.vendor, type(exc).__name__, exc)),
                                  exception=self._redact(traceback.format_exc()), **self._changed_so_far({}))
        self._warn_backend()
        self.module.exit_json(**result)

    def _changed_so_far(self, failure: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        """For a failure after the task changed something: changed=true and the execution(s) it changed."""
        if self._changed is None:
            return {}
        extra: t.Dict[str, t.Any] = {'changed': True}
        many = isinstance(self._changed, list)
        key = 'executions' if many else 'execution'
        if key not in failure:
            extra.update(self._key(many, list(self._changed) if many else [self._changed]))  # type: ignore[list-item, arg-type]
        return extra

    def _redact(self, text: str) -> str:
        if self._backend is not None:
            text = self._backend.http.redact(text)
        for secret in (self.params.get('api_token'), self.params.get('password')):
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    def _warn_backend(self) -> None:
        if self._backend is None:
            return
        for warning in self._backend.warnings:
            self.module.warn(self._redact(warning))
        summary = self._backend.http.summary()
        if summary:
            self.module.warn(self._redact(summary))

    # Addressing -----------------------------------------------------------------------------------

    def record(self, data: t.Any, option: str = 'execution') -> Execution:
        """Read an execution record given back by the user (`execution`, items of `executions`)."""
        try:
            execution = Execution.from_result(data)
        except ValueError as exc:
            raise ValidationError('%s: %s' % (option, exc))
        if execution.vendor != self.vendor:
            raise ValidationError('%s is a %s execution but vendor is %s' % (option, execution.vendor, self.vendor))
        return execution

    def target(self) -> Execution:
        """The execution the task addresses: the `execution` record, or `pipeline` + `execution_id`.

        Returns a stub (identity only); call `backend.get()` for its state. Raises ValidationError.
        """
        if self.params.get('execution'):
            return self.record(self.params['execution'])
        if not self.params.get('pipeline') or not self.params.get('execution_id'):
            raise ValidationError('give execution (the record an earlier task returned) or both pipeline and execution_id')
        return Execution(vendor=self.vendor, pipeline=self.params['pipeline'], id=str(self.params['execution_id']))

    def warn(self, message: str) -> None:
        self.module.warn(self._redact(message))

    def continued(self, execution: Execution, operation: str) -> t.Optional[t.Dict[str, t.Any]]:
        """For resume and retry: the result when there is nothing to do, else None.

        Nothing to do when the execution is still active or succeeded, or when an earlier run of the
        task already continued it: the vendor's lineage links a newer execution to it, which is then
        returned (DESIGN section 4: a second run finds what the first one created).
        """
        if execution.status.active or execution.status == Status.SUCCEEDED:
            return self.finish(execution, changed=False, before=execution.status)
        found = self.backend.find_continuation(execution, operation)
        if found is None:
            return None
        return self.finish(self.backend.get(found), changed=False, before=execution.status)

    # Waiting and results ---------------------------------------------------------------------------

    def settle(self, execution: Execution, request: t.Optional[StartRequest] = None) -> Execution:
        """Follow an execution this task just created until the vendor gives it an id (e.g. a Jenkins
        queue item leaving the queue), within wait_timeout, then let the backend finish the start
        (`after_start`). Returns it as it is then, warning when it still has no id."""
        self._changed = execution  # a failure from here on still reports it, and changed=true
        if execution.id is None and not execution.terminal:
            outcome = self.poller.wait([execution], self.backend.get_many, lambda e: e.id is not None,
                                       timeout=self.params['wait_timeout'], min_interval=min(1.0, self.params['wait_interval']),
                                       max_interval=self.params['wait_max_interval'])
            execution = self._changed = outcome.executions[0]
        if execution.id is not None:
            return self.backend.after_start(execution, request)
        if not execution.terminal:
            reason = execution.scope.get('queue_reason')
            self.warn('%s is still queued after %ss%s; pass the returned execution to cicd.pipelines.pipeline_info '
                      'to follow it' % (describe(execution), self.params['wait_timeout'], ' (%s)' % reason if reason else ''))
        return execution

    def finish(self, executions: Records, *, changed: bool, before: t.Optional[Status] = None,
               read_only: bool = False, expect: t.Iterable[Status] = ()) -> t.Dict[str, t.Any]:
        """Wait if the task asked to, judge the outcome, and build the result.

        `executions` is one record (result key `execution`) or a list (key `executions`). Check mode
        skips the wait unless the module is `read_only`. `expect` are final statuses that are the point
        of the operation (e.g. aborted for a cancel) and so never fail the task.
        Raises WaitTimeout / UnsuccessfulExecution carrying `changed` and the records.
        """
        many = isinstance(executions, list)
        records: t.List[Execution] = list(executions) if many else [executions]  # type: ignore[list-item, arg-type]
        result: t.Dict[str, t.Any] = {'changed': changed}
        if changed and not self.check_mode:
            self._changed = executions
        if self.wants_wait and self.condition is not None and (read_only or not self.check_mode):
            outcome = self.poller.wait(records, self.backend.get_many, self.condition,
                                       timeout=self.params['wait_timeout'], min_interval=self.params['wait_interval'],
                                       max_interval=self.params['wait_max_interval'])
            records = outcome.executions
            result.update(elapsed=round(outcome.elapsed, 1), timed_out=outcome.timed_out)
            rendered = self._key(many, records)
            changed = self._judge(outcome.satisfied, records, outcome.timed_out, outcome.last_error, changed,
                                  rendered, frozenset(expect))
            result['changed'] = changed
        result.update(self._key(many, records))
        if self.module._diff and not many and not read_only:
            result['diff'] = {'before': {'status': before.value if before else None},
                              'after': {'status': records[0].status.value}}
        return result

    def render(self, execution: Execution) -> t.Dict[str, t.Any]:
        return execution.to_result(include_raw=bool(self.params.get('return_raw')))

    def _key(self, many: bool, records: t.List[Execution]) -> t.Dict[str, t.Any]:
        if many:
            return {'executions': [self.render(e) for e in records]}
        return {'execution': self.render(records[0])}

    def _judge(self, satisfied: t.List[bool], records: t.List[Execution], timed_out: bool, last_error: t.Optional[str],
               changed: bool, rendered: t.Dict[str, t.Any], expect: t.FrozenSet[Status]) -> bool:
        """Raise for a wait that did not end well; return `changed` (a cancel on timeout changes things)."""
        single = records[0] if len(records) == 1 else None
        if timed_out:
            pending = [e for e, ok in zip(records, satisfied) if not ok and not e.terminal]
            what = '; '.join('%s is %s' % (describe(e), e.status.value) for e in pending)
            msg = 'timed out after %ss waiting: %s' % (self.params['wait_timeout'], what)
            if last_error:
                msg += ' (last poll failed: %s)' % last_error
            if self.params['on_timeout'] == 'detach':
                self.warn(msg + '; detached, the execution goes on')
                return changed
            if self.params['on_timeout'] == 'cancel':
                # Report them as the cancel left them, not as they were before it.
                records = [self.backend.cancel(e) if any(e is p for p in pending) else e for e in records]
                msg += '; cancelled %s as on_timeout=cancel asks' % ('it' if len(pending) == 1 else 'them')
                changed = True
                single = records[0] if single is not None else None
                rendered = {'executions': [self.render(e) for e in records]}
            raise WaitTimeout(msg, execution=single, changed=changed, **({} if single else rendered))
        wanted = frozenset(Status(s) for s in self.params.get('wait_for') or ())
        fail_on = frozenset(Status(s) for s in self.params['fail_on']) - wanted - expect
        failed = [e for e in records if e.status in fail_on]
        if failed:
            raise UnsuccessfulExecution('; '.join('%s ended %s (%s)' % (describe(e), e.status.value, e.vendor_status)
                                                  for e in failed), execution=single, changed=changed,
                                        **({} if single else rendered))
        missed = [e for e, ok in zip(records, satisfied) if not ok]
        if missed:
            raise UnsuccessfulExecution('; '.join('%s ended %s without meeting the wait condition' % (describe(e), e.status.value)
                                                  for e in missed), execution=single, changed=changed,
                                        **({} if single else rendered))
        return changed


def describe(execution: Execution) -> str:
    """How messages name an execution: 'team/app/deploy #12' (or the queue item while queued)."""
    if execution.id is not None:
        return '%s #%s' % (execution.pipeline, execution.number if execution.number is not None else execution.id)
    queue_id = execution.scope.get('queue_id')
    return '%s (queue item %s)' % (execution.pipeline, queue_id) if queue_id is not None else execution.pipeline
