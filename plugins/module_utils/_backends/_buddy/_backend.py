# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The Buddy.Works backend: runs, waits for apply and for variables, retry and cancel over the REST API.

Naming: `pipeline` is the pipeline's name, its identifier or its numeric id, in the connection's project;
`PROJECT/NAME` names one in another project of the workspace.

Idempotency (DESIGN section 4): a run has no idempotency key of its own, so the key travels in the run's
`comment` (line `cicd-idempotency-key: KEY`), found again by paging through the pipeline's executions
(newest first, a bounded lookback). Approvals, variables, retry and cancel are the execution PATCH
(`operation`), each sent through `exactly_once`.
"""

from __future__ import annotations

import dataclasses
import typing as t

from urllib.parse import quote

from ..._errors import ApiError, AuthenticationError, InvalidState, NotFoundError, UnsupportedOperation, ValidationError
from ..._http import ResponsePolicy
from ..._model import (Execution, InputParameter, Level, LogTail, PendingInput, PipelineInfo, StartRequest, Status,
                       check_values, shown)
from ..._options import Connection
from .._base import ALL_OPERATIONS, Backend, Operation, exactly_once
from .._keyline import key_problem, with_key
from ._api import RUN_SCOPE, US_URL, VARIABLES_SCOPE, Bearer, BuddyApi, BuddyResponses, segment
from ._records import (ANSWER, ASKING, STATUS_TABLE, VENDOR, WAITING, action_executions, action_key, action_name, epoch,
                       execution_of, gates_of, waiting_status)

# How far back the key lookup pages through a pipeline's executions (newest first).
LOOKBACK_PAGES, PAGE_SIZE = 5, 50
# How many recent successful runs give a pipeline's typical duration (Buddy publishes no estimate).
_TYPICAL_OF = 5
# At most this many list entries without a comment are read one by one by a key lookup.
_COMMENT_READS = 20
# Executions a status poll reads from a pipeline's list at once (Buddy's maximum page size is not documented).
_LIST_MAX = 100
_PRIORITIES = ('LOW', 'NORMAL', 'HIGH')
# Statuses RETRY applies to (Buddy's own CLI checks the same before retrying).
_RETRYABLE = ('FAILED', 'TERMINATED')


@dataclasses.dataclass
class Pipeline:
    """A Buddy pipeline as found by name, identifier or id."""

    project: str
    id: int
    name: str
    identifier: t.Optional[str]
    raw: t.Dict[str, t.Any]
    variables: t.List[t.Dict[str, t.Any]] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return '%s/%s' % (self.project, self.name)


class BuddyBackend(Backend):
    """Buddy.Works (cloud or self-hosted) over its REST API."""

    name = VENDOR
    display_name = 'Buddy'
    capabilities = ALL_OPERATIONS
    status_table = STATUS_TABLE
    # RETRY continues the same execution (its id does not change; the failed action runs again).
    in_place = frozenset({Operation.RETRY, Operation.RESUME})
    revisions = True
    # Buddy has no reject: rejecting a wait cancels the execution, which ends TERMINATED.
    rejected_status = Status.ABORTED
    start_inputs = (
        InputParameter('branch', description='branch to run (pipelines with several or wildcard refs)'),
        InputParameter('tag', description='tag to run'),
        InputParameter('pull_request', description='pull request to run, e.g. pull/12'),
        InputParameter('from_revision', description='the revision changes are counted from (deployments)'),
        InputParameter('refresh', type='boolean', description='deploy from scratch'),
        InputParameter('clear_cache', type='boolean', description='clear the pipeline cache before running'),
        InputParameter('priority', type='choice', choices=list(_PRIORITIES), description='the run\'s priority'),
        InputParameter('actions', type='other', description='ids of the actions to run (the others are skipped)'),
        InputParameter('encrypted', type='other',
                       description='names of parameters to send encrypted and treat as secrets, besides those Buddy '
                       'defines as encrypted (needed when the token may not read variables)'),
    )

    def __init__(self, conn: Connection, transport: t.Any = None) -> None:
        super().__init__(conn, transport)
        self.api = BuddyApi(self.http, str(conn.get('workspace')))
        self._pipelines: t.Dict[str, Pipeline] = {}
        self._by_id: t.Dict[t.Tuple[str, int], Pipeline] = {}
        self._seen: t.Dict[str, t.Set[str]] = {}
        self._typical: t.Dict[t.Tuple[str, int], t.Optional[float]] = {}

    def _authenticator(self) -> t.Any:
        return Bearer(str(self.conn.get('api_token')))

    def _responses(self) -> ResponsePolicy:
        return BuddyResponses()

    @classmethod
    def default_api_url(cls, conn: Connection) -> t.Optional[str]:
        return US_URL

    # Names and ids ----------------------------------------------------------------------------

    def _pipeline(self, pipeline: str) -> Pipeline:
        """The pipeline `pipeline` names (name, identifier or id; `PROJECT/NAME` for another project)."""
        if pipeline in self._pipelines:
            return self._pipelines[pipeline]
        text = (pipeline or '').strip()
        if not text:
            raise ValidationError('buddy: the pipeline is empty; give its name, identifier or numeric id')
        project, sep, name = text.partition('/')
        if not sep:
            project, name = str(self.conn.get('project')), text
        found: t.Optional[t.Dict[str, t.Any]] = None
        listed: t.List[t.Dict[str, t.Any]] = []
        if name.isdigit():
            try:
                found = self.api.call('GET', '%s/%s' % (self.api.pipelines_path(project), name),
                                      'read pipeline %s of project %r' % (name, project))
            except NotFoundError:
                found = None
        if found is None:
            listed = self._list_pipelines(project)
            matches = [p for p in listed if name in (p.get('name'), p.get('identifier'))]
            found = matches[0] if matches else None
        if not isinstance(found, dict) or found.get('id') is None:
            names = ', '.join(sorted(str(p.get('name')) for p in listed)) or 'none'
            raise NotFoundError('buddy: project %r of workspace %r has no pipeline named %r (by name, identifier or id); '
                                'its pipelines: %s' % (project, self.api.workspace, name, names))
        info = Pipeline(project=project, id=int(found['id']), name=str(found.get('name') or name),
                        identifier=found.get('identifier'), raw=found)
        self._pipelines[pipeline] = self._pipelines[info.label] = info
        self._by_id[(project, info.id)] = info
        return info

    def _list_pipelines(self, project: str) -> t.List[t.Dict[str, t.Any]]:
        """Every pipeline of the project (Buddy has no lookup by name: its own Terraform provider lists them too)."""
        out: t.List[t.Dict[str, t.Any]] = []
        for page in range(1, 101):
            answer = self.api.call('GET', self.api.pipelines_path(project), 'list the pipelines of project %r' % project,
                                   params={'page': page, 'per_page': PAGE_SIZE})
            items = [p for p in (answer or {}).get('pipelines') or [] if isinstance(p, dict)]
            out.extend(items)
            if len(items) < PAGE_SIZE:
                break
        return out

    def _of(self, execution: Execution) -> Pipeline:
        """The pipeline of an execution record (from its scope when it has one)."""
        project, pid = execution.scope.get('project'), execution.scope.get('pipeline_id')
        if pid is not None and not _digits(str(pid).strip()):
            raise ValidationError('buddy: execution.scope.pipeline_id must be the pipeline\'s numeric id, got %s; pass the '
                                  'execution record an earlier task returned' % shown(pid))
        if project and pid is not None and (str(project), int(pid)) in self._by_id:
            return self._by_id[(str(project), int(pid))]
        if project and pid is not None:
            return self._pipeline('%s/%s' % (project, pid))
        return self._pipeline(execution.pipeline)

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        info = self._pipeline(pipeline)
        try:
            info.variables = self._variables(info)
        except AuthenticationError as exc:
            if exc.status != 403:
                raise
            self.warnings.append('buddy: the token may not read the variables of pipeline %r (scope %s), so the '
                                 'parameters are sent without being checked' % (info.label, VARIABLES_SCOPE))
            return PipelineInfo(pipeline=info.label, url=info.raw.get('html_url'), parameters_known=False)
        params = []
        for variable in info.variables:
            secret = bool(variable.get('encrypted'))
            value = variable.get('value')
            params.append(InputParameter(
                name=str(variable.get('key')), type='password' if secret else 'string',
                default=None if secret else value, description=str(variable.get('description') or '') or None))
        reason = None
        if info.raw.get('disabled'):
            reason = 'it is disabled in Buddy%s' % (': %s' % info.raw['disabled_reason'] if info.raw.get('disabled_reason') else '')
        return PipelineInfo(pipeline=info.label, parameters=params, url=info.raw.get('html_url'), startable=reason is None,
                            reason=reason)

    def _variables(self, info: Pipeline) -> t.List[t.Dict[str, t.Any]]:
        """The variables defined for the pipeline (workspace, project and pipeline level)."""
        # Both spellings of the filters: Buddy's Go SDK sends projectName/pipelineId, its newest API reference
        # names them project_name/pipeline_id.
        answer = self.api.call('GET', self.api.variables_path(), 'read the variables of pipeline %r' % info.label,
                               scope=VARIABLES_SCOPE, params={'projectName': info.project, 'pipelineId': info.id,
                                                              'project_name': info.project, 'pipeline_id': info.id})
        found = [v for v in (answer or {}).get('variables') or [] if isinstance(v, dict) and v.get('key')]
        for variable in found:
            if variable.get('encrypted') and variable.get('value'):
                self.http.add_secret(str(variable['value']))
        return found

    # Reads ------------------------------------------------------------------------------------

    def _execution_path(self, info: Pipeline, execution_id: t.Any) -> str:
        return '%s/%s/executions/%s' % (self.api.pipelines_path(info.project), info.id,
                                        segment(str(execution_id), 'execution id'))

    def get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        """The execution read to `level`; below FULL (a poll) with the expected end of an active one."""
        record = self._get(execution, level)
        if level < Level.FULL:
            self._estimate(record, self._of(record))
        return record

    def _get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        if execution.id is None:
            raise ValidationError('buddy: the execution has no id; pass the execution record an earlier task returned')
        info = self._of(execution)
        node = self.api.call('GET', self._execution_path(info, execution.id),
                             'read execution %s of pipeline %r' % (execution.id, info.label))
        record = self._record(node, info, execution)
        if level == Level.FULL:
            self._add_variables(record, info)
        else:
            record.level = level
        return record

    def get_many(self, executions: t.Sequence[Execution], level: Level = Level.FULL) -> t.List[Execution]:
        """A status poll over many executions reads each pipeline's newest 100 executions once (the list carries
        their status and times); an execution not among them, and reads of stages or more, are read one by one."""
        if level != Level.STATUS or len(executions) < 2:
            return [self.get(e, level) for e in executions]
        groups: t.Dict[t.Tuple[str, int], t.List[int]] = {}
        infos: t.Dict[t.Tuple[str, int], Pipeline] = {}
        for index, execution in enumerate(executions):
            info = self._of(execution)
            groups.setdefault((info.project, info.id), []).append(index)
            infos[(info.project, info.id)] = info
        records: t.List[t.Optional[Execution]] = [None] * len(executions)
        for key, indexes in groups.items():
            info = infos[key]
            items = self._list_executions(info, 1, _LIST_MAX)
            if key not in self._typical:
                self._typical[key] = _median_success(items)
            listed = {str(item.get('id')): item for item in items}
            for index in indexes:
                wanted = executions[index]
                node = listed.get(str(wanted.id))
                if node is None:
                    records[index] = self.get(wanted, level)
                    continue
                record = self._record(node, info, wanted)
                record.level = level
                self._estimate(record, info)
                records[index] = record
        return t.cast(t.List[Execution], records)

    def _record(self, node: t.Any, info: Pipeline, wanted: t.Optional[Execution] = None) -> Execution:
        if not isinstance(node, dict):
            raise ApiError('buddy: the answer for pipeline %r is not an execution' % info.label)
        record = execution_of(node, info.label, info.id, info.project)
        if wanted is not None and record.previous_id is None:
            record.previous_id = wanted.previous_id
        return record

    def _listed(self, item: t.Mapping[str, t.Any], info: Pipeline) -> Execution:
        """A record from a list entry (status and times only: lists carry no actions)."""
        record = self._record(item, info)
        record.level = Level.STATUS
        return record

    def _details(self, info: Pipeline, execution_id: t.Any, item: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        """An action execution's details (its variables, error, log)."""
        if item.get('action_execution_id'):
            path = '%s/action_executions/%s' % (self._execution_path(info, execution_id),
                                                quote(str(item['action_execution_id']), safe=''))
        else:
            path = '%s/action/%s' % (self._execution_path(info, execution_id), quote(str((item.get('action') or {}).get('id')), safe=''))
        answer = self.api.call('GET', path, 'read action %r of execution %s' % (action_name(item), execution_id))
        return answer if isinstance(answer, dict) else {}

    def _add_variables(self, record: Execution, info: Pipeline) -> None:
        """Gates of actions waiting for variables, with the variables they ask for (one call per such action)."""
        details = {action_key(a): self._details(info, record.id, a) for a in action_executions(record.raw)
                   if a.get('status') in ASKING}
        if details:
            record.pending_inputs = gates_of(t.cast(t.Dict[str, t.Any], record.raw), details)
        record.level = Level.FULL

    def _estimate(self, record: Execution, info: Pipeline) -> None:
        """`expected_end` of an active record from the median of the pipeline's recent successful runs (one
        list call per pipeline and task; Buddy reports no estimate)."""
        started = epoch((record.raw or {}).get('start_date')) if isinstance(record.raw, dict) else None
        if not record.status.active or started is None:
            return
        key = (info.project, info.id)
        if key not in self._typical:
            self._typical[key] = self._typical_duration(info)
        if self._typical[key] is not None:
            record.expected_end = started + t.cast(float, self._typical[key])

    def _typical_duration(self, info: Pipeline) -> t.Optional[float]:
        try:
            return _median_success(self._list_executions(info, 1, 20))
        except ApiError:
            return None

    def _list_executions(self, info: Pipeline, page: int, size: int = PAGE_SIZE) -> t.List[t.Dict[str, t.Any]]:
        answer = self.api.call('GET', '%s/%s/executions' % (self.api.pipelines_path(info.project), info.id),
                               'list the executions of pipeline %r' % info.label, params={'page': page, 'per_page': size})
        return [e for e in (answer or {}).get('executions') or [] if isinstance(e, dict)]

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        info = self._pipeline(pipeline)
        items = self._list_executions(info, 1, 1)
        if not items:
            return None
        newest = Execution(vendor=VENDOR, pipeline=info.label, id=str(items[0].get('id')),
                           scope={'project': info.project, 'pipeline_id': info.id})
        return self._get(newest)

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        """Executions whose comment carries the key, newest first, among the last LOOKBACK_PAGES x PAGE_SIZE."""
        info = self._pipeline(request.pipeline)
        found, seen, reads = [], set(), 0
        for page in range(1, LOOKBACK_PAGES + 1):
            items = self._list_executions(info, page)
            for item in items:
                seen.add(str(item.get('id')))
                record = self._listed(item, info)
                if 'comment' not in item and reads < _COMMENT_READS:
                    reads += 1
                    record = self._get(record, Level.STAGES)  # a list entry without the comment: read it
                if record.idempotency_key == request.key:
                    found.append(record)
            if len(items) < PAGE_SIZE or found:
                break
        self._seen[info.label] = seen
        return found

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """The execution id: Buddy numbers a pipeline's executions as it creates them (a retry in place keeps its id,
        and its start date changes, so that date is no order). None for an id that is not a number."""
        if execution.id is None or not _digits(execution.id):
            return None
        return (int(execution.id),)

    # Start ------------------------------------------------------------------------------------

    def check_start(self, request: StartRequest, info: PipelineInfo) -> None:
        if isinstance(request.start_inputs.get('priority'), str):
            request.start_inputs['priority'] = request.start_inputs['priority'].upper()  # Buddy's words are upper case
        super().check_start(request, info)
        listed = request.start_inputs.get('encrypted')
        if listed is not None and (not isinstance(listed, list) or not all(isinstance(n, str) for n in listed)):
            odd = listed if not isinstance(listed, list) else next(n for n in listed if not isinstance(n, str))
            raise ValidationError('buddy: start input encrypted must be a list of parameter names, got %s%s'
                                  % ('a list holding ' if isinstance(listed, list) else '', shown(odd)))
        unknown = sorted(set(listed or []) - set(request.parameters))
        if unknown:
            raise ValidationError('buddy: start input encrypted names %s, which %s not among the parameters given (%s)'
                                  % (', '.join(unknown), 'is' if len(unknown) == 1 else 'are',
                                     ', '.join(sorted(request.parameters)) or 'none'))
        # Registered now, before the key lookup or check mode could put a value into a result.
        for name in self._secret_names(request):
            self.http.add_secret(_text(request.parameters[name]))
        if not info.parameters_known:
            plain = sorted(set(request.parameters) - set(self._secret_names(request)))
            if plain:
                self.warnings.append('buddy: %s %s sent as plain variables; list secret ones in start input encrypted'
                                     % (', '.join(plain), 'is' if len(plain) == 1 else 'are'))
        problem = key_problem(request.key)
        if problem:
            raise ValidationError('buddy: %s' % problem)
        refs = [k for k in ('branch', 'tag', 'pull_request') if request.start_inputs.get(k)]
        if len(refs) > 1:
            raise ValidationError('buddy: give one of the start inputs branch, tag and pull_request, not %s'
                                  % ' and '.join(refs))
        actions = request.start_inputs.get('actions')
        if actions is not None and (not isinstance(actions, list) or not actions
                                    or not all(_digits(str(a).strip()) for a in actions)):
            if not isinstance(actions, list) or not actions:
                got = 'an empty list' if isinstance(actions, list) else shown(actions)
            else:
                got = 'a list holding %s' % shown(next(a for a in actions if not _digits(str(a).strip())))
            raise ValidationError('buddy: start input actions must be a non-empty list of action ids (numbers), got %s' % got)

    def _secret_names(self, request: StartRequest) -> t.Set[str]:
        """Parameters sent encrypted: those Buddy defines as encrypted, and those the start input `encrypted` lists."""
        info = self._pipeline(request.pipeline)
        names = {str(v.get('key')) for v in info.variables if v.get('encrypted')} | set(request.start_inputs.get('encrypted') or [])
        return names & set(request.parameters)

    def start(self, request: StartRequest) -> Execution:
        info = self._pipeline(request.pipeline)
        secret = self._secret_names(request)
        body: t.Dict[str, t.Any] = {'to_revision': {'revision': request.revision or 'HEAD'},
                                    'comment': with_key(request.notes, request.key)}
        variables = []
        for key, value in request.parameters.items():
            item = {'key': str(key), 'value': _text(value)}
            if key in secret:
                item['encrypted'] = True
                self.http.add_secret(item['value'])
            variables.append(item)
        if variables:
            body['variables'] = variables
        inputs = request.start_inputs
        for name in ('branch', 'tag', 'pull_request'):
            if inputs.get(name):
                body[name] = {'name': str(inputs[name])}
        if inputs.get('from_revision'):
            body['from_revision'] = {'revision': str(inputs['from_revision'])}
        for name in ('refresh', 'clear_cache'):
            if inputs.get(name) is not None:
                body[name] = str(inputs[name]).lower() == 'true' if not isinstance(inputs[name], bool) else inputs[name]
        if inputs.get('priority'):
            body['priority'] = str(inputs['priority']).upper()
        if inputs.get('actions'):
            body['actions_to_run'] = [int(a) for a in inputs['actions']]
        before = self._seen.get(info.label)
        if before is None:
            before = {str(e.get('id')) for e in self._list_executions(info, 1)}
        path = '%s/%s/executions' % (self.api.pipelines_path(info.project), info.id)

        def send() -> Execution:
            node = self.api.call('POST', path, 'run pipeline %r' % info.label, scope=RUN_SCOPE, body=body)
            return self._record(node, info)

        def lookup() -> t.Optional[Execution]:
            for item in self._list_executions(info, 1):
                if str(item.get('id')) in before:
                    continue
                record = self._listed(item, info)
                if 'comment' not in item:
                    record = self._get(record, Level.STAGES)
                if record.idempotency_key == request.key:
                    return record
            return None

        execution = exactly_once(send, lookup)
        execution.idempotency_key = request.key
        return execution

    # Gates ------------------------------------------------------------------------------------

    def find_gate(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[PendingInput]:
        """A gate by its action-execution id, its action's numeric id or the action's name."""
        if not gate_id:
            return super().find_gate(execution, gate_id)
        ids = {action_key(a): str((a.get('action') or {}).get('id')) for a in action_executions(execution.raw)}
        for gate in execution.pending_inputs:
            if gate_id in (gate.id, gate.stage, ids.get(gate.id)):
                return gate
        return None

    def _wait_of(self, execution: Execution, gate: PendingInput) -> str:
        item = next((a for a in action_executions(execution.raw) if action_key(a) == gate.id), {})
        return str(item.get('status') or waiting_status(t.cast(t.Dict[str, t.Any], execution.raw or {})) or '')

    def check_answer(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str]) -> None:
        self.check_comment(comment)
        if approve and self._wait_of(execution, gate) == 'WAITING_FOR_VT_SESSION':
            raise ValidationError('buddy: %s waits for a visual-tests review, which is answered in Buddy\'s UI'
                                  % (gate.stage or gate.id), execution=execution)
        if approve and gate.kind == 'approval' and values:
            raise ValidationError('buddy: %s is a wait for approval, which takes no parameters; leave parameters out'
                                  % (gate.stage or gate.id), execution=execution)
        for param in gate.parameters:
            if param.type == 'password' and values.get(param.name) is not None:
                self.http.add_secret(_text(values[param.name]))
        problems = check_values(gate.parameters, values, 'action %r' % (gate.stage or gate.id)) if approve else []
        if problems:
            raise ValidationError('; '.join(problems), execution=execution)

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        """APPLY, APPLY_VARIABLES or SET_VARIABLES (with every variable: the value given, else its fallback);
        reject is CANCEL (Buddy has no reject: the execution ends TERMINATED)."""
        info = self._of(execution)
        wait = self._wait_of(execution, gate)
        if not approve:
            return self._patch(execution, info, {'operation': 'CANCEL'}, 'cancel execution %s (reject %s)'
                               % (execution.id, gate.stage),
                               lambda current: current.terminal or current.vendor_status == 'TERMINATING')
        body: t.Dict[str, t.Any] = {'operation': ANSWER.get(wait, 'APPLY'), 'approve_action_id': gate.id}
        if gate.kind == 'variables':
            secret = {p.name for p in gate.parameters if p.type == 'password'}
            chosen = {p.name: values.get(p.name, p.default) for p in gate.parameters}
            body['variables'] = []
            for key, value in chosen.items():
                if value is None:
                    continue
                item = {'key': key, 'value': _text(value)}
                if key in secret:
                    item['encrypted'] = True
                    self.http.add_secret(item['value'])
                body['variables'].append(item)
        operation = '%s %s of execution %s' % (body['operation'].lower().replace('_', ' '), gate.stage or gate.id,
                                               execution.id)
        return self._patch(execution, info, body, operation,
                           lambda current: all(g.id != gate.id for g in current.pending_inputs) and
                           not any(action_key(a) == gate.id and a.get('status') in WAITING
                                   for a in action_executions(current.raw)))

    def _patch(self, execution: Execution, info: Pipeline, body: t.Mapping[str, t.Any], operation: str,
               done: t.Callable[[Execution], bool]) -> Execution:
        """One PATCH of the execution, exactly once: after a lost answer, `done(current)` says whether it took effect."""
        path = self._execution_path(info, execution.id)

        def send() -> Execution:
            node = self.api.call('PATCH', path, operation, scope=RUN_SCOPE, body=dict(body), idempotent=False)
            record = self._record(node, info, execution)
            if record.id is None:
                record.id = execution.id
            return record

        def lookup() -> t.Optional[Execution]:
            current = self._get(execution, Level.STAGES)
            return current if done(current) else None

        return exactly_once(send, lookup)

    # Retry, resume, cancel --------------------------------------------------------------------

    def retry(self, execution: Execution) -> Execution:
        """RETRY: Buddy runs the failed execution again from its failed action, under the same id (the answer's id
        is followed should Buddy ever make a new one)."""
        info = self._of(execution)
        current = execution if isinstance(execution.raw, dict) else self._get(execution, Level.STAGES)
        if current.vendor_status not in _RETRYABLE:
            raise InvalidState('buddy: %s is %s; Buddy retries only executions that are %s'
                               % (self.describe(current), current.vendor_status, ' or '.join(_RETRYABLE)), execution=current)
        attempts = _attempt(current)
        result = self._patch(current, info, {'operation': 'RETRY'}, 'retry execution %s' % current.id,
                             lambda now: now.status.active or _attempt(now) != attempts)
        if result.id != current.id:
            result.previous_id = current.id
        return result

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        """Buddy resumes only where RETRY does: at the action that failed or was stopped."""
        failed = [s.name for s in execution.stages if s.vendor_status in ('FAILED', 'TERMINATED')]
        if execution.vendor_status not in _RETRYABLE or not failed:
            raise InvalidState('buddy: %s cannot be resumed (status %s); Buddy continues an execution only from the '
                               'action that failed or was stopped, with cicd.pipelines.pipeline_retry'
                               % (self.describe(execution), execution.vendor_status), execution=execution)
        return failed[:1]

    def resume(self, execution: Execution, stage: str) -> Execution:
        allowed = self.resumable_stages(execution)
        if stage not in allowed:
            raise UnsupportedOperation('buddy: Buddy cannot resume %s from %r; it continues only from the action that '
                                       'failed (%s), which cicd.pipelines.pipeline_retry does'
                                       % (self.describe(execution), stage, allowed[0]))
        return self.retry(execution)

    def cancel(self, execution: Execution) -> Execution:
        info = self._of(execution)
        current = self._get(execution, Level.STAGES)
        if current.terminal:
            return current
        return self._patch(current, info, {'operation': 'CANCEL'}, 'cancel execution %s of pipeline %r'
                           % (current.id, info.label), lambda now: now.terminal or now.vendor_status == 'TERMINATING')

    # Logs -------------------------------------------------------------------------------------

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        """The failed action's log (else the current or last action's), from its action-execution details."""
        items = action_executions(execution.raw)
        if not items or execution.id is None:
            return None
        chosen = next((a for a in items if a.get('status') == 'FAILED'), None) \
            or next((a for a in items if a.get('status') in ('INPROGRESS',) + WAITING), None) \
            or next((a for a in reversed(items) if a.get('status') not in ('INITIAL', 'NOT_EXECUTED', 'SKIPPED', None)), None)
        if chosen is None:
            return None
        detail = self._details(self._of(execution), execution.id, chosen)
        log = [str(line) for line in detail.get('log') or []]
        if not log and detail.get('error_message'):
            log = [str(detail['error_message'])]
        if not log:
            return None
        return LogTail(lines=log[-lines:], source='action %s' % action_name(chosen), truncated=len(log) > lines,
                       url=detail.get('html_url'))


def _median_success(items: t.Sequence[t.Mapping[str, t.Any]]) -> t.Optional[float]:
    """The median duration of the newest successful executions of a list (newest first), None without any."""
    durations = [t.cast(float, epoch(e.get('finish_date'))) - t.cast(float, epoch(e.get('start_date')))
                 for e in items if e.get('status') == 'SUCCESSFUL'
                 and epoch(e.get('start_date')) is not None and epoch(e.get('finish_date')) is not None][:_TYPICAL_OF]
    return sorted(durations)[len(durations) // 2] if durations else None


def _attempt(execution: Execution) -> t.Tuple[t.Any, ...]:
    """What changes when Buddy retries an execution in place: its start date and its actions' states."""
    raw = execution.raw if isinstance(execution.raw, dict) else {}
    return (raw.get('start_date'), tuple((action_key(a), a.get('status'), a.get('start_date')) for a in action_executions(raw)))


def _digits(text: str) -> bool:
    """ASCII digits only: int() also reads other scripts' digits ('²' fails, '١' is 1)."""
    return text.isascii() and text.isdigit()


def _text(value: t.Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return '' if value is None else str(value)
