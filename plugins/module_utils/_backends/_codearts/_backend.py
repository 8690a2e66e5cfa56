# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The Huawei Cloud CodeArts Pipeline backend (v5 API): runs, manual reviews and checkpoints, in-place retry, stop.

Authentication: AK/SK signing (`SDK-HMAC-SHA256`, `_signer`), an IAM token given as `api_token`, or one fetched
from IAM with `username` / `password` / `domain` (registered as a secret at once). The CodeArts project id of
every path is `project_id` (32 characters), not the IAM project id.

Idempotency (DESIGN section 4): a run has no key of its own; the key travels in the run's `description`
(`cicd-idempotency-key: KEY`). The run list does not carry descriptions, so the lookup reads the details of the
newest runs, newest first, up to a bounded lookback.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ..._errors import (ApiError, InvalidState, NotFoundError, UnsupportedOperation, ValidationError,
                        VendorValidationError)
from ..._http import Outgoing, ResponsePolicy, Transport
from ..._model import Execution, Level, LogTail, PendingInput, PipelineInfo, StartRequest, Status, InputParameter, map_status
from ..._options import Connection
from .._base import ALL_OPERATIONS, Backend, Operation, exactly_once
from .._keyline import key_problem, with_key
from ._api import CodeArtsApi, CodeArtsResponses, endpoint_of, error_of, regions
from ._records import STATUS_TABLE, VENDOR, execution_of, failed_step, gate_steps, job_of, parameter_of
from ._signer import AkSkSigner, IamToken

# How many of a pipeline's newest runs the key lookup reads in detail (the list carries no description).
LOOKBACK = 20
# Seconds before a start in which a run carrying the same key counts as started by a racing task (find_twins).
TWIN_WINDOW = 600
_ID = re.compile(r'^[0-9a-zA-Z]{32}$')
# CodeArts retries failed runs (a stopped one is refused).
_RETRYABLE = ('FAILED',)


@dataclasses.dataclass
class Pipeline:
    id: str
    name: str
    raw: t.Dict[str, t.Any]


class CodeArtsBackend(Backend):
    """Huawei Cloud CodeArts Pipeline."""

    name = VENDOR
    display_name = 'CodeArts'
    capabilities = ALL_OPERATIONS
    status_table = STATUS_TABLE
    # Retry runs the failed jobs of the same run (the same pipeline_run_id).
    in_place = frozenset({Operation.RETRY, Operation.RESUME})
    comments = True
    # A refused review or checkpoint ends the run FAILED (docs/codearts.md).
    rejected_status = Status.FAILED
    start_inputs = (
        InputParameter('branch', description='branch to build (the pipeline\'s first code source)'),
        InputParameter('tag', description='tag to build (the pipeline\'s first code source)'),
        InputParameter('stages', type='other', description='ids of the stages to run (choose_stages)'),
        InputParameter('jobs', type='other', description='ids of the jobs to run (choose_jobs)'),
    )

    def __init__(self, conn: Connection, transport: t.Optional[Transport] = None) -> None:
        super().__init__(conn, transport)
        self.api = CodeArtsApi(self.http, str(conn.get('project_id')), _HINTS[auth_method(conn)])
        self._pipelines: t.Dict[str, Pipeline] = {}

    def _authenticator(self) -> t.Any:
        # An IAM token or a user (options without environment variables: given on purpose) win over an AK/SK pair,
        # which may come from the SDK's environment variables of the machine.
        method = auth_method(self.conn)
        if method == 'token':
            return IamToken(str(self.conn.get('api_token')))
        if method == 'password':
            return _LazyIamToken(self)
        return AkSkSigner(str(self.conn.get('access_key')), str(self.conn.get('secret_key')), self.conn.get('security_token'))

    def _responses(self) -> ResponsePolicy:
        return CodeArtsResponses()

    @classmethod
    def default_api_url(cls, conn: Connection) -> t.Optional[str]:
        return endpoint_of(conn.get('region'))

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        problems = []
        if not conn.get('api_url') and not endpoint_of(conn.get('region')):
            problems.append('CodeArts needs region (one of %s) or api_url' % ', '.join(regions()) if not conn.get('region')
                            else 'CodeArts has no endpoint for region %r; the regions: %s (or give api_url)'
                            % (conn.get('region'), ', '.join(regions())))
        method = auth_method(conn)
        aksk = bool(conn.get('access_key')) + bool(conn.get('secret_key'))
        if method == 'aksk' and aksk == 1:
            problems.append('CodeArts needs access_key and secret_key together (or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK)')
        elif method == 'aksk' and aksk == 0:
            problems.append('CodeArts needs access_key and secret_key, or api_token (an IAM token), or username and '
                            'password (and domain) to fetch an IAM token')
        if method == 'password' and not conn.get('region'):
            problems.append('CodeArts needs region to fetch an IAM token for username (the token is scoped to the region\'s '
                            'project)')
        if conn.get('username') and not conn.get('password') and method != 'token':
            problems.append('CodeArts needs password with username (to fetch an IAM token)')
        if conn.get('project_id') and not _ID.match(str(conn.get('project_id'))):
            problems.append('project_id must be the 32-character CodeArts project id, got %r' % conn.get('project_id'))
        return problems

    # IAM token ---------------------------------------------------------------------------------

    def fetch_token(self) -> str:
        """An IAM token for username/password (POST /v3/auth/tokens; the token is the X-Subject-Token header)."""
        conn = self.conn
        iam = str(conn.get('iam_url') or ('https://iam.%s.myhuaweicloud.com' % conn.get('region'))).rstrip('/')
        if not iam.startswith(('http://', 'https://')):
            raise ValidationError('codearts: iam_url must be an http(s) URL, got %r' % iam)
        user: t.Dict[str, t.Any] = {'name': conn.get('username'), 'password': conn.get('password')}
        user['domain'] = {'name': conn.get('domain') or conn.get('username')}
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': user}},
                         'scope': {'project': {'name': conn.get('region') or ''}}}}
        auth, self.http.auth = self.http.auth, None
        try:
            response = self.http.request('POST', iam + '/v3/auth/tokens', operation='get an IAM token for user %r'
                                         % conn.get('username'), json=body, idempotent=True)
        finally:
            self.http.auth = auth
        token = response.headers.get('X-Subject-Token')
        if not token:
            raise ApiError('codearts: IAM answered HTTP %d without an X-Subject-Token header' % response.status)
        self.http.add_secret(token)
        return str(token)

    # Pipelines --------------------------------------------------------------------------------

    def _pipeline(self, pipeline: str) -> Pipeline:
        if pipeline in self._pipelines:
            return self._pipelines[pipeline]
        text = (pipeline or '').strip()
        if not text:
            raise ValidationError('codearts: the pipeline is empty; give its name or its 32-character id')
        found = None
        if _ID.match(text):
            try:
                found = self.api.call('GET', self.api.path('pipelines/%s', text), 'read pipeline %s' % text)
            except NotFoundError:
                found = None
        listed: t.List[t.Dict[str, t.Any]] = []
        if found is None:
            answer = self.api.call('POST', self.api.path('pipelines/list'), 'list the pipelines of the project',
                                   body={'name': text, 'offset': 0, 'limit': 100}, idempotent=True)
            listed = [p for p in (answer or {}).get('pipelines') or [] if isinstance(p, dict)]
            match = next((p for p in listed if p.get('name') == text), None)
            if match is not None:
                found = self.api.call('GET', self.api.path('pipelines/%s', match['pipeline_id']),
                                      'read pipeline %r' % text)
        if not isinstance(found, dict):
            names = ', '.join(sorted(str(p.get('name')) for p in listed)) or 'none with a similar name'
            raise NotFoundError('codearts: project %s has no pipeline named %r (or with that id); pipelines like it: %s'
                                % (self.api.project_id, text, names))
        info = Pipeline(id=str(found.get('id') or found.get('pipeline_id') or text), name=str(found.get('name') or text),
                        raw=found)
        self._pipelines[pipeline] = self._pipelines[info.name] = self._pipelines[info.id] = info
        return info

    def _of(self, execution: Execution) -> Pipeline:
        pid = execution.scope.get('pipeline_id')
        return self._pipeline(str(pid) if pid else execution.pipeline)

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        info = self._pipeline(pipeline)
        variables = [v for v in info.raw.get('variables') or [] if isinstance(v, dict) and v.get('name')]
        return PipelineInfo(pipeline=info.name, parameters=[parameter_of(v) for v in variables])

    # Reads ------------------------------------------------------------------------------------

    def get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        if execution.id is None:
            raise ValidationError('codearts: the execution has no id; pass the execution record an earlier task returned')
        info = self._of(execution)
        node = self.api.call('GET', self.api.path('pipelines/%s/pipeline-runs/detail', info.id),
                             'read run %s of pipeline %r' % (execution.id, info.name), params={'pipeline_run_id': execution.id})
        if not isinstance(node, dict) or not node.get('id'):
            raise NotFoundError('codearts: pipeline %r has no run %s' % (info.name, execution.id))
        record = execution_of(node, info.name)
        record.scope['pipeline_id'] = info.id
        if record.scope.get('queue_id') is None and execution.scope.get('queue_id'):
            record.scope['queue_id'] = execution.scope['queue_id']
        return record

    def _runs(self, info: Pipeline, limit: int) -> t.List[t.Dict[str, t.Any]]:
        answer = self.api.call('POST', self.api.path('pipelines/%s/pipeline-runs/list', info.id),
                               'list the runs of pipeline %r' % info.name,
                               body={'offset': 0, 'limit': limit, 'sort_key': 'start_time', 'sort_dir': 'desc'},
                               idempotent=True)
        return [r for r in (answer or {}).get('pipeline_runs') or [] if isinstance(r, dict) and r.get('pipeline_run_id')]

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        info = self._pipeline(pipeline)
        runs = self._runs(info, 1)
        if not runs:
            return None
        return self.get(Execution(vendor=VENDOR, pipeline=info.name, id=str(runs[0]['pipeline_run_id']),
                                  scope={'pipeline_id': info.id}))

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        """The newest run whose description carries the key, among the LOOKBACK newest (read one by one)."""
        info = self._pipeline(request.pipeline)
        for run in self._runs(info, LOOKBACK):
            record = self.get(Execution(vendor=VENDOR, pipeline=info.name, id=str(run['pipeline_run_id']),
                                        scope={'pipeline_id': info.id}))
            if record.idempotency_key == request.key:
                return [record]
        return []

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """The run's start_time (epoch milliseconds, set when the run is triggered), then the run id; None for a
        record without one."""
        started = execution.raw.get('start_time') if isinstance(execution.raw, dict) else None
        if isinstance(started, bool) or not isinstance(started, (int, float)) or started <= 0 or execution.id is None:
            return None
        return (started, execution.id)

    def find_twins(self, request: StartRequest, mine: Execution) -> t.List[Execution]:
        """Runs other than `mine` that carry the key and started at most TWIN_WINDOW seconds before it (or at the same
        time or later), among the LOOKBACK newest. `find_started` stops at the newest match, which may be `mine`;
        this reads only the runs in that window one by one, so a lone start costs the list and no more. A run
        carrying the key that started earlier than the window was there for the lookup before the start."""
        order = self.creation_order(mine)
        if order is None:
            return [e for e in self.find_started(request) if e.id != mine.id]
        info = self._pipeline(request.pipeline)
        found = []
        for run in self._runs(info, LOOKBACK):
            started = run.get('start_time')
            if str(run['pipeline_run_id']) == mine.id or not isinstance(started, (int, float)) \
                    or started < order[0] - TWIN_WINDOW * 1000:
                continue
            record = self.get(Execution(vendor=VENDOR, pipeline=info.name, id=str(run['pipeline_run_id']),
                                        scope={'pipeline_id': info.id}))
            if record.idempotency_key == request.key:
                found.append(record)
        return found

    # Start ------------------------------------------------------------------------------------

    def check_start(self, request: StartRequest, info: PipelineInfo) -> None:
        super().check_start(request, info)
        problem = key_problem(request.key)
        if problem:
            raise ValidationError('codearts: %s' % problem)
        pipeline = self._pipeline(request.pipeline)
        fixed = sorted(str(v.get('name')) for v in pipeline.raw.get('variables') or []
                       if isinstance(v, dict) and v.get('name') in request.parameters and v.get('is_runtime') is False)
        if fixed:
            raise ValidationError('codearts: %s of pipeline %r cannot be set at run time (not a runtime parameter in '
                                  'CodeArts)' % (', '.join(fixed), pipeline.name))
        if request.start_inputs.get('branch') and request.start_inputs.get('tag'):
            raise ValidationError('codearts: give start input branch or tag, not both')
        for name in ('stages', 'jobs'):
            chosen = request.start_inputs.get(name)
            if chosen is not None and (not isinstance(chosen, list) or not chosen):
                raise ValidationError('codearts: start input %s must be a non-empty list of ids' % name)
        for param in info.parameters:
            if param.type == 'password' and param.name in request.parameters:
                self.http.add_secret(str(request.parameters[param.name]))

    def start(self, request: StartRequest) -> Execution:
        info = self._pipeline(request.pipeline)
        body: t.Dict[str, t.Any] = {'description': with_key(request.notes, request.key),
                                    'variables': [{'name': str(k), 'value': _text(v)} for k, v in request.parameters.items()]}
        inputs = request.start_inputs
        if inputs.get('branch') or inputs.get('tag'):
            body['sources'] = [self._source(info, inputs.get('branch'), inputs.get('tag'))]
        if inputs.get('stages'):
            body['choose_stages'] = [str(s) for s in inputs['stages']]
        if inputs.get('jobs'):
            body['choose_jobs'] = [str(j) for j in inputs['jobs']]
        path = self.api.path('pipelines/%s/run', info.id)
        before = {str(r['pipeline_run_id']) for r in self._runs(info, LOOKBACK)}

        def send() -> Execution:
            answer = self.api.call('POST', path, 'run pipeline %r' % info.name, body=body, queued_ok=True)
            queued = error_of(answer)
            run_id = (answer.get('error') or {}).get('pipeline_run_id') if queued else answer.get('pipeline_run_id')
            if not run_id:
                raise ApiError('codearts: CodeArts answered the run of pipeline %r without a run id; check the pipeline '
                               'before running the task again' % info.name, changed=True)
            stub = Execution(vendor=VENDOR, pipeline=info.name, id=str(run_id), status=Status.QUEUED,
                             scope={'pipeline_id': info.id})
            if queued:
                stub.scope['queue_id'] = (answer.get('error') or {}).get('queue_id')
                self.warnings.append('codearts: the run of %r waits in the queue: %s' % (info.name, queued[1] or queued[0]))
            try:
                return self.get(stub)
            except ApiError:
                return stub

        def lookup() -> t.Optional[Execution]:
            for run in self._runs(info, LOOKBACK):
                if str(run['pipeline_run_id']) in before:
                    continue
                record = self.get(Execution(vendor=VENDOR, pipeline=info.name, id=str(run['pipeline_run_id']),
                                            scope={'pipeline_id': info.id}))
                if record.idempotency_key == request.key:
                    return record
            return None

        execution = exactly_once(send, lookup)
        execution.idempotency_key = request.key
        return execution

    @staticmethod
    def _source(info: Pipeline, branch: t.Optional[str], tag: t.Optional[str]) -> t.Dict[str, t.Any]:
        sources = [s for s in info.raw.get('sources') or [] if isinstance(s, dict)]
        if not sources:
            raise ValidationError('codearts: pipeline %r has no code source, so it takes no branch or tag' % info.name)
        params = dict(sources[0].get('params') or {})
        keep = {k: params.get(k) for k in ('git_type', 'git_url', 'alias', 'codehub_id', 'default_branch', 'endpoint_id')
                if params.get(k) is not None}
        build = {'build_type': 'tag' if tag else 'branch', 'event_type': 'Manual'}
        if tag:
            build['tag'] = str(tag)
        else:
            build['target_branch'] = str(branch)
        return {'type': sources[0].get('type') or 'code', 'params': dict(keep, build_params=build)}

    # Gates ------------------------------------------------------------------------------------

    def gate_passed(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[bool]:
        """Past a review or checkpoint (by step id or name) once that step has ended; else by stage name."""
        if not gate_id:
            return None
        steps = [step for step in gate_steps(execution.raw) if gate_id in (str(step.get('id')), step.get('name'))]
        if steps:
            return all(map_status(STATUS_TABLE, step.get('status')).terminal for step in steps)
        return super().gate_passed(execution, gate_id)

    def find_gate(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[PendingInput]:
        """A gate by its step id, its stage's name, or the review step's name."""
        if not gate_id:
            return super().find_gate(execution, gate_id)
        for gate in execution.pending_inputs:
            step_name = gate.message.split(' in job ')[0].replace('manual review ', '', 1)
            if gate_id in (gate.id, gate.stage, step_name):
                return gate
        return None

    def check_answer(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str]) -> None:
        if values:
            raise ValidationError('codearts: manual reviews and checkpoints take no parameters; leave parameters out',
                                  execution=execution)
        if comment and job_of(t.cast(t.Dict[str, t.Any], execution.raw or {}), gate.id) is None:
            raise ValidationError('codearts: a manual checkpoint records no comment (a manual review does); leave comment '
                                  'out', execution=execution)

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        """A review: `.../jobs/J/steps/S/pass|refuse` (comment as approval_description); a checkpoint:
        `.../steps/S/manual/pass|refuse`."""
        info = self._of(execution)
        verb = 'pass' if approve else 'refuse'
        job = job_of(t.cast(t.Dict[str, t.Any], execution.raw or {}), gate.id)
        params = None
        if job is not None:
            path = self.api.path('pipelines/%s/pipeline-runs/%s/jobs/%s/steps/%s/' + verb, info.id, execution.id,
                                 job.get('id'), gate.id)
            if comment:
                params = {'approval_description': comment}
            what = 'review'
        else:
            path = self.api.path('pipelines/%s/pipeline-runs/%s/steps/%s/manual/' + verb, info.id, execution.id, gate.id)
            what = 'checkpoint'
        operation = '%s the manual %s of %s in run %s' % (verb, what, gate.stage, execution.id)

        def send() -> Execution:
            self.api.call('POST', path, operation, params=params)
            return self.get(execution)

        def answered() -> t.Optional[Execution]:
            current = self.get(execution)
            return current if all(g.id != gate.id for g in current.pending_inputs) else None

        return exactly_once(send, answered)

    # Retry, resume, cancel --------------------------------------------------------------------

    def retry(self, execution: Execution) -> Execution:
        """`PUT .../retry`: CodeArts runs the failed jobs of the same run again (same pipeline_run_id)."""
        info = self._of(execution)
        current = self.get(execution)
        if current.vendor_status not in _RETRYABLE:
            raise InvalidState('codearts: run %s of %r is %s; CodeArts retries only runs that are %s'
                               % (current.id, info.name, current.vendor_status, ' or '.join(_RETRYABLE)), execution=current)
        path = self.api.path('pipelines/%s/pipeline-runs/%s/retry', info.id, current.id)
        operation = 'retry run %s of pipeline %r' % (current.id, info.name)
        before = _attempt(current)

        def moved(now: Execution) -> bool:
            return now.vendor_status not in _RETRYABLE or _attempt(now) != before

        def send() -> Execution:
            self.api.call('PUT', path, operation, idempotent=False, queued_ok=True)
            now = self.get(current)
            if moved(now):
                return now
            # Accepted, but the run does not show it yet: report it going again, not as the old failure.
            return dataclasses.replace(now, status=Status.RUNNING, finished_at=None, duration=None, ended_epoch=None,
                                       level=Level.STATUS)

        def retried() -> t.Optional[Execution]:
            now = self.get(current)
            return now if moved(now) else None

        return exactly_once(send, retried)

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        failed = [s.name for s in execution.stages if s.vendor_status == 'FAILED']
        if execution.vendor_status not in _RETRYABLE or not failed:
            raise InvalidState('codearts: %s cannot be resumed (status %s); CodeArts continues a run only from what '
                               'failed, with cicd.pipelines.pipeline_retry'
                               % (self.describe(execution), execution.vendor_status), execution=execution)
        return failed[:1]

    def resume(self, execution: Execution, stage: str) -> Execution:
        allowed = self.resumable_stages(execution)
        if stage not in allowed:
            raise UnsupportedOperation('codearts: CodeArts cannot resume %s from %r; it re-runs only what failed (%s), '
                                       'which cicd.pipelines.pipeline_retry does'
                                       % (self.describe(execution), stage, allowed[0]))
        return self.retry(execution)

    def cancel(self, execution: Execution) -> Execution:
        info = self._of(execution)
        current = self.get(execution)
        if current.terminal:
            return current
        queue_id = current.scope.get('queue_id')
        if queue_id and current.status == Status.QUEUED:
            # A run waiting in a concurrency queue leaves it with cancel-queuing (Huawei's Terraform provider).
            try:
                self.api.call('POST', self.api.path('pipelines/%s/%s/cancel-queuing/%s', info.id, current.id, queue_id),
                              'cancel queued run %s of pipeline %r' % (current.id, info.name), body={}, idempotent=True)
                return self.get(current)
            except (NotFoundError, VendorValidationError):
                pass  # not (or no longer) in the queue: stop it
        self.api.call('POST', self.api.path('pipelines/%s/pipeline-runs/%s/stop', info.id, current.id),
                      'stop run %s of pipeline %r' % (current.id, info.name), idempotent=True)
        return self.get(current)

    # Logs -------------------------------------------------------------------------------------

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        """The failed step's log (else the running or last step's): show_pipeline_log."""
        found = failed_step(t.cast(t.Dict[str, t.Any], execution.raw or {}))
        if found is None or execution.id is None:
            return None
        job, step = found
        info = self._of(execution)
        answer = self.api.call('POST', self.api.path('pipelines/%s/pipeline-runs/%s/jobs/%s/steps/%s/logs', info.id,
                                                     execution.id, job.get('id'), step.get('id')),
                               'read the log of step %r' % step.get('name'), body={'sort': 'desc', 'limit': lines},
                               idempotent=True)
        # desc: the last `lines` lines of the log (in their order), `has_more` when there is more before them.
        text = str((answer or {}).get('log') or '')
        log = [line for line in text.splitlines() if line.strip()]
        if not log:
            return None
        return LogTail(lines=log[-lines:], source='step %s of job %s' % (step.get('name'), job.get('name')),
                       truncated=bool((answer or {}).get('has_more')) or len(log) > lines)


def auth_method(conn: Connection) -> str:
    """How requests are authenticated: 'token' (api_token), 'password' (an IAM token fetched for username) or
    'aksk'. Options without environment variables win: they were given on purpose."""
    if conn.get('api_token'):
        return 'token'
    if conn.get('username') and conn.get('password'):
        return 'password'
    return 'aksk'


_HINTS = {'token': 'check the IAM token (api_token): it may be wrong or expired',
          'password': 'check username, password and domain',
          'aksk': 'check access_key and secret_key (HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK)'}


def _attempt(execution: Execution) -> t.Tuple[t.Any, ...]:
    """What changes when CodeArts retries a run in place: its end time and its jobs' dispatches and states."""
    raw = execution.raw if isinstance(execution.raw, dict) else {}
    jobs = tuple((j.get('id'), j.get('status'), j.get('last_dispatch_id'), j.get('exec_id'))
                 for s in raw.get('stages') or [] if isinstance(s, dict)
                 for j in s.get('jobs') or [] if isinstance(j, dict))
    return (raw.get('end_time'), jobs)


class _LazyIamToken(IamToken):
    """Fetches the IAM token for username/password before the first request that needs it."""

    def __init__(self, backend: CodeArtsBackend) -> None:
        super().__init__('')
        self._backend = backend

    def apply(self, request: Outgoing) -> None:
        if not self.token:
            self.token = self._backend.fetch_token()
        super().apply(request)


def _text(value: t.Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return '' if value is None else str(value)
