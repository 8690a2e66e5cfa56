# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Root resolvers of the simulated Harness GraphQL API (queries and mutations of ``schema.graphql``).

Contract
--------
* :class:`Root` is graphql-core's ``root_value``: the default field resolver calls ``Root.<field>(info, **args)``
  with the schema's argument names. It runs under the engine lock for one authenticated account.
* Checks happen in the order of Harness's data fetchers and refuse with Harness's wording (see
  docs/simulator.md, "Harness fidelity notes" for the source of each); a refusal raises an exception whose
  text is graphql-java's ``Exception while fetching data (/<field>) : <message>``, so graphql-core reports it
  as ``errors[{message, locations, path}]`` with ``data.<field>: null`` in an HTTP 200.
* Every accepted ``startExecution`` / ``resumeExecution`` creates a new execution (no idempotency).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import typing as t

from graphql import GraphQLResolveInfo

from ..engine import PENDING, WAITING, Engine, Execution, Trigger
from .errors import ARGUMENT, GENERAL, UNKNOWN, FetchError
from .model import Account, Application, Catalog, Entity, VariableDef, make_id
from .views import RESUMABLE, Registry, execution_view, internal_status, ms, stage_status, workflow_execution_id

MAX_RECORD_LIMIT = 100  # AbstractConnectionV2DataFetcher clamps every connection's limit to 100
GENERIC_EXCEPTION_MSG = 'An error has occurred. Please contact the Harness support team.'
F = t.TypeVar('F', bound=t.Callable[..., t.Any])


class FetcherFailure(Exception):
    """What a failed fetcher raises: graphql-core turns it into the error entry (message, locations, path)."""


def fetcher(method: F) -> F:
    """Turn a :class:`FetchError` into graphql-java's ``ExceptionWhileDataFetching`` message."""
    @functools.wraps(method)
    def wrapper(self: 'Root', info: GraphQLResolveInfo, **kwargs: t.Any) -> t.Any:
        try:
            return method(self, info, **kwargs)
        except FetchError as exc:
            path = '/' + '/'.join(str(p) for p in info.path.as_list())
            raise FetcherFailure('Exception while fetching data (%s) : %s' % (path, exc.text())) from exc
    return t.cast(F, wrapper)


@dataclasses.dataclass
class HarnessState:
    """Vendor-side state shared by requests (rebuilt on reset): catalog, ids, modification marks."""

    catalog: Catalog
    registry: Registry
    created_ms: int
    modified_at: dict[str, float] = dataclasses.field(default_factory=dict)  # entity id -> when it was marked modified


def approval_id(execution: Execution, index: int) -> str:
    """The id of the approval a stage's gate waits on (new for every execution and attempt)."""
    return make_id('harness', 'approval', execution.vendor_data['id'], str(index), str(execution.stages[index].attempt))


def _value(item: t.Mapping[str, t.Any]) -> tuple[str, str]:
    value = item.get('variableValue') or {}
    return str(value.get('type')), str(value.get('value'))


def _check_variables(defs: t.Sequence[VariableDef], inputs: list[dict[str, t.Any]]) -> None:
    """``validateRequiredVars`` then ``validateRestrictedVarsHaveAllowedValues`` (first offending input wins)."""
    given = [str(i.get('name')) for i in inputs]
    missing = [v.name for v in defs if v.required and not v.fixed and v.name not in given]
    if missing:
        raise FetchError('Value not provided for required variable: [%s]' % ','.join(missing))
    allowed = {v.name: v.allowed for v in defs if v.allowed}
    for item in inputs:
        name = str(item.get('name'))
        if name in allowed:
            parts = [p.strip() for p in _value(item)[1].split(',')]  # CsvParser: a multi-value input is comma separated
            if not all(p in t.cast(tuple, allowed[name]) for p in parts):
                raise FetchError('Variable %s can only take values [%s]' % (name, ', '.join(t.cast(tuple, allowed[name]))))


def _resolve(defs: t.Sequence[VariableDef], inputs: list[dict[str, t.Any]]) -> tuple[dict[str, str], list[str]]:
    """Values of known variables (ID and NAME are taken as given; EXPRESSION is refused) and the unknown names."""
    values: dict[str, str] = {}
    extras: list[str] = []
    names = {v.name for v in defs}
    for item in inputs:
        name = str(item.get('name'))
        if name not in names:
            extras.append(name)
            continue
        kind, value = _value(item)
        if kind == 'EXPRESSION':
            raise FetchError('Expression Type not supported')
        values[name] = value
    return values, extras


def _with_defaults(defs: t.Sequence[VariableDef], values: dict[str, str]) -> dict[str, str]:
    out = {v.name: v.default for v in defs if v.default is not None}
    out.update(values)
    return t.cast(dict, out)


def _id_match(value: str | None, spec: t.Mapping[str, t.Any]) -> bool:
    """``DataFetcherUtils.setIdFilter`` on one field value."""
    operator, values = spec.get('operator'), [str(v) for v in (spec.get('values') or []) if v is not None]
    if not values and operator != 'NOT_NULL':
        raise FetchError('Values cannot be empty', UNKNOWN)
    if operator in ('EQUALS', 'LIKE') and len(values) > 1:
        raise FetchError('Only one value needs to be inputted for operator %s' % operator, UNKNOWN)
    if operator == 'EQUALS':
        return value == values[0]
    if operator == 'IN':
        return value in values
    if operator == 'NOT_IN':
        return value not in values
    if operator == 'NOT_NULL':
        return value is not None
    return value is not None and values[0] in value  # LIKE: "contains"


def _time_match(value: int | None, spec: t.Mapping[str, t.Any]) -> bool:
    """``DataFetcherUtils.setTimeFilter``: EQUALS, BEFORE (<=), AFTER (>=); a missing time never matches."""
    try:
        wanted = int(spec.get('value'))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise FetchError('Values cannot be empty', UNKNOWN) from exc
    if value is None:
        return False
    operator = spec.get('operator')
    return value == wanted if operator == 'EQUALS' else value <= wanted if operator == 'BEFORE' else value >= wanted


class Root:
    """Queries and mutations for one request of one account."""

    def __init__(self, engine: Engine, state: HarnessState, account: Account) -> None:
        self.engine = engine
        self.state = state
        self.catalog = state.catalog
        self.registry = state.registry
        self.account = account

    # -- helpers ---------------------------------------------------------------------------
    def _view(self, execution: Execution) -> dict[str, t.Any]:
        view = execution_view(self.catalog, execution, self.state.created_ms)
        view['application'] = self._app_view(t.cast(Application, self.catalog.app(execution.vendor_data['app'])))
        return view

    def _app_view(self, app: Application) -> dict[str, t.Any]:
        """``Application`` with its ``pipelines`` / ``workflows`` connections (graphql-core calls them with the field's args)."""
        def connection(kind: str) -> t.Callable[..., dict[str, t.Any]]:
            def resolve(_info: GraphQLResolveInfo, limit: int, offset: int | None = None) -> dict[str, t.Any]:
                if limit < 0:
                    raise FetcherFailure('Exception while fetching data (/%s) : Invalid request: Limit argument accepts only non negative '
                                         'values' % '/'.join(str(p) for p in _info.path.as_list()))
                found = [e for e in self.catalog.entities if e.app.id == app.id and e.kind == kind]
                start, size = offset or 0, min(limit, MAX_RECORD_LIMIT)
                return {'pageInfo': {'hasMore': start + size < len(found), 'total': len(found), 'offset': start, 'limit': size},
                        'nodes': [e.view(self.state.created_ms) for e in found[start:start + size]]}
            return resolve
        return dict(app.view(), pipelines=connection('pipeline'), workflows=connection('workflow'))

    def _entity(self, execution: Execution) -> Entity:
        return self.catalog.for_spec(execution.spec)

    def _in_app(self, execution_id: str, app_id: str | None) -> Execution | None:
        """``getWorkflowExecution(appId, id)``: the execution if it belongs to that application (and account)."""
        execution = self.registry.get(execution_id, self.account.id)
        return execution if execution is not None and execution.vendor_data['app'] == app_id else None

    # -- queries ---------------------------------------------------------------------------
    @fetcher
    def application(self, _info: GraphQLResolveInfo, applicationId: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """ApplicationDataFetcher by id."""
        app = self.catalog.app(applicationId)
        if app is None or app.account != self.account.id:
            raise FetchError('Application does not exist')
        return self._app_view(app)

    @fetcher
    def applicationByName(self, _info: GraphQLResolveInfo, name: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """ApplicationDataFetcher by name (within the account)."""
        app = self.catalog.app_by_name(self.account.id, name)
        if app is None:
            raise FetchError('Application does not exist')
        return self._app_view(app)

    def _by_id(self, entity_id: str, kind: str) -> dict[str, t.Any]:
        entity = self.catalog.entity(entity_id)
        if entity is None or entity.kind != kind:
            # AuthRuleGraphQL looks the entity up (for its appId) before the fetcher runs.
            raise FetchError('Entity with id: %s is not found' % entity_id, UNKNOWN)
        if entity.app.account != self.account.id:
            raise FetchError('%s does not exist' % kind.capitalize())
        return entity.view(self.state.created_ms)

    @fetcher
    def pipeline(self, _info: GraphQLResolveInfo, pipelineId: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """PipelineDataFetcher by id."""
        return self._by_id(pipelineId, 'pipeline')

    @fetcher
    def workflow(self, _info: GraphQLResolveInfo, workflowId: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """WorkflowDataFetcher by id."""
        return self._by_id(workflowId, 'workflow')

    def _by_name(self, name: str, app_id: str, kind: str) -> dict[str, t.Any] | None:
        label = kind.capitalize()
        if not app_id:
            raise FetchError('Empty Application Id')
        if not name:
            raise FetchError('Empty %s name' % label)
        entity = self.catalog.entity_by_name(app_id, kind, name)
        if entity is None:
            if kind == 'pipeline':
                return None  # PipelineDataFetcher returns null for an unknown name; WorkflowDataFetcher throws
            raise FetchError('Workflow does not exist')
        if entity.app.account != self.account.id:
            raise FetchError('%s does not exist' % label)
        return entity.view(self.state.created_ms)

    @fetcher
    def pipelineByName(self, _info: GraphQLResolveInfo, pipelineName: str, applicationId: str) -> dict[str, t.Any] | None:  # pylint: disable=invalid-name
        """PipelineDataFetcher by application and name."""
        return self._by_name(pipelineName, applicationId, 'pipeline')

    @fetcher
    def workflowByName(self, _info: GraphQLResolveInfo, workflowName: str, applicationId: str) -> dict[str, t.Any] | None:  # pylint: disable=invalid-name
        """WorkflowDataFetcher by application and name."""
        return self._by_name(workflowName, applicationId, 'workflow')

    @fetcher
    def execution(self, _info: GraphQLResolveInfo, executionId: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """ExecutionDataFetcher."""
        execution = self.registry.get(executionId, self.account.id)
        if execution is None:
            raise FetchError('Execution does not exist or access is denied')
        return self._view(execution)

    @fetcher
    def executions(  # pylint: disable=invalid-name,unused-argument
            self, _info: GraphQLResolveInfo, limit: int, filters: list[dict[str, t.Any]] | None = None,
            offset: int | None = None, includeIndirectExecutions: bool | None = None) -> dict[str, t.Any]:
        """ExecutionConnectionDataFetcher: filters ANDed, newest first, limit clamped to 100."""
        if limit is not None and limit < 0:
            raise FetchError('Limit argument accepts only non negative values')
        if offset is not None and offset < 0:
            raise FetchError('Offset argument accepts only non negative values')
        limit = MAX_RECORD_LIMIT if limit is None else min(limit, MAX_RECORD_LIMIT)
        offset = offset or 0
        found = [e for e in self.registry.all(self.account.id) if all(self._matches(e, f or {}) for f in (filters or []))]
        page = found[offset:offset + limit]
        return {'pageInfo': {'hasMore': offset + limit < len(found), 'total': len(found), 'offset': offset, 'limit': limit},
                'nodes': [self._view(e) for e in page]}

    def _matches(self, execution: Execution, spec: t.Mapping[str, t.Any]) -> bool:
        data = execution.vendor_data
        entity_id = self._entity(execution).id
        ids: dict[str, str | None] = {'execution': data['id'], 'application': data['app'], 'status': internal_status(execution),
                                      'workflow': entity_id, 'pipeline': entity_id,  # both match the execution's workflowId
                                      'pipelineExecutionId': None}  # member workflow executions are not simulated
        times = {'creationTime': ms(execution.submitted_at), 'startTime': ms(execution.started_at),
                 'endTime': ms(execution.finished_at) if execution.terminal else None}
        for key, value in spec.items():
            if value is None:
                continue
            if key in ids and not _id_match(ids[key], value):
                return False
            if key in times and not _time_match(times[key], value):
                return False
        return True

    @fetcher
    def approvalDetails(self, _info: GraphQLResolveInfo, applicationId: str, executionId: str) -> dict[str, t.Any]:  # pylint: disable=invalid-name
        """ApprovalDetailsDataFetcher: the approvals the execution waits on (USER_GROUP only here)."""
        execution = self.registry.get(executionId, self.account.id)
        if execution is None:
            raise FetchError('Execution does not exist or access is denied')
        if execution.vendor_data['app'] != applicationId:
            raise FetchError('No Execution found for given appId [%s] and executionId [%s]' % (applicationId, executionId))
        entity = self._entity(execution)
        out = []
        for stage, run in zip(entity.stages, execution.stages):
            if stage.kind != 'approval' or run.status != WAITING or run.waiting_since is None:
                continue
            started = t.cast(int, ms(run.waiting_since))
            timeout = run.spec.gate.timeout if run.spec.gate is not None else None
            out.append({'__typename': 'UserGroupApprovalDetails', 'approvalId': approval_id(execution, stage.index),
                        'approvalType': 'USER_GROUP', 'stepName': stage.step_name,
                        'stageName': stage.stage_name if entity.is_pipeline else None,
                        'startedAt': str(started), 'willExpireAt': None if timeout is None else str(started + int(timeout * 1000)),
                        'triggeredBy': {'name': execution.trigger.user, 'email': None}, 'approvers': list(stage.approvers),
                        'variables': [{'name': v.name, 'value': v.default if v.default is not None else ''} for v in stage.variables] or None,
                        'executionId': execution.vendor_data['id']})
        return {'approvalDetails': out}

    # -- mutations -------------------------------------------------------------------------
    @fetcher
    def startExecution(self, _info: GraphQLResolveInfo, input: dict[str, t.Any]) -> dict[str, t.Any]:  # pylint: disable=invalid-name,redefined-builtin
        """StartExecutionDataFetcher -> Pipeline/WorkflowExecutionController.start*Execution."""
        entity_id, app_id = input.get('entityId'), input.get('applicationId')
        if not entity_id:
            raise FetchError('Entity Id cannot be empty')
        if not app_id:
            raise FetchError('Application Id cannot be empty')
        app = self.catalog.app(app_id)
        if app is None or app.account != self.account.id:
            raise FetchError('Application does not exist')
        pipeline = input.get('executionType') == 'PIPELINE'
        entity = self.catalog.entity(entity_id)
        if entity is None or entity.app.id != app_id or entity.is_pipeline != pipeline:
            raise FetchError("%s %s doesn't exist in the specified application %s" % ('Pipeline' if pipeline else 'Workflow', entity_id, app_id),
                             GENERAL)
        inputs = [i for i in (input.get('variableInputs') or []) if i is not None]
        values: dict[str, str] = {}
        extras: list[str] = []
        if entity.variables:  # without variables Harness returns before it even collects unknown names
            _check_variables(entity.variables, inputs)
            values, extras = _resolve(entity.variables, inputs)
            if not pipeline:
                for name, value in values.items():
                    var = t.cast(VariableDef, entity.variable(name))
                    if var.fixed and value != var.default:
                        raise FetchError('Cannot change value of a fixed variable in workflow: %s. Value set in workflow is: %s'
                                         % (name, var.default))
        values = _with_defaults(entity.variables, values)
        execution = self.engine.submit(entity.spec, values, Trigger(kind='user', user=self.account.key_name), delay=0)
        self.registry.register(execution, entity, notes=input.get('notes'), variables=values)
        execution.vendor_data['services'] = [s for s in (input.get('serviceInputs') or []) if s is not None]
        self.engine.sync()  # a run with nothing in its way has started by the time Harness answers
        warning = None
        if extras:
            where = "Pipeline. Might be modified" if pipeline else 'workflow. Workflow Might be modified'
            warning = "Ignoring values for variables: [%s] as they don't exist in %s" % (','.join(extras), where)
        return {'clientMutationId': input.get('clientMutationId'), 'execution': self._view(execution), 'warningMessage': warning}

    @fetcher
    def approveOrRejectApprovals(  # pylint: disable=invalid-name,redefined-builtin
            self, _info: GraphQLResolveInfo, input: dict[str, t.Any]) -> dict[str, t.Any]:
        """ApproveOrRejectApprovalsDataFetcher (USER_GROUP approvals)."""
        execution_id, app_id, wanted = str(input.get('executionId')), input.get('applicationId'), str(input.get('approvalId'))
        execution = self.registry.get(execution_id, self.account.id)
        if execution is None:
            raise FetchError('Execution does not exist or access is denied')
        if execution.vendor_data['app'] != app_id:
            raise FetchError('No Execution found for given appId [%s] and executionId [%s]' % (app_id, execution_id))
        entity = self._entity(execution)
        run = execution.pending_gate()
        stage = None if run is None else entity.stages[execution.stages.index(run)]
        if stage is None or stage.kind != 'approval' or approval_id(execution, stage.index) != wanted:
            raise FetchError('No %s execution [%s] waiting for approval id: %s' % ('Pipeline' if entity.is_pipeline else 'Workflow',
                                                                                   execution_id, wanted), ARGUMENT)
        inputs = input.get('variableInputs')
        if inputs is not None:
            if not stage.variables:
                raise FetchError('Variable were not present for the given approval')
            for item in inputs:
                if item is not None and item.get('name') not in {v.name for v in stage.variables}:
                    raise FetchError('Variable with name "%s" not present' % item.get('name'))
        values = {v.name: v.default if v.default is not None else '' for v in stage.variables}
        values.update({str(i['name']): '' if i.get('value') is None else str(i['value']) for i in (inputs or []) if i is not None})
        approve = input.get('action') == 'APPROVE'
        user = input.get('userEmail') or self.account.key_name
        execution.vendor_data['approvals'][wanted] = {'action': input.get('action'), 'comments': input.get('comments'), 'user': user,
                                                      'variables': values}
        self.engine.answer_gate(execution, approve, values, user=user)
        return {'success': True, 'clientMutationId': input.get('clientMutationId')}

    @fetcher
    def pipelineResumeRuntime(self, _info: GraphQLResolveInfo, input: dict[str, t.Any]) -> dict[str, t.Any]:  # pylint: disable=invalid-name,redefined-builtin
        """ResumePipelineController.resumePipeline: runtime inputs for a stage paused for them; the same run goes on."""
        app_id, execution_id, element_id = input.get('applicationId'), input.get('pipelineExecutionId'), input.get('pipelineStageElementId')
        for value, message in ((app_id, 'Invalid app id'), (execution_id, 'Invalid pipeline execution'), (element_id, 'Invalid pipeline stage ')):
            if not (value or '').strip():
                raise FetchError(message)
        execution = self._in_app(str(execution_id), app_id)
        if execution is None:
            raise FetchError('No execution found for the given application %s' % app_id, GENERAL)
        entity = self._entity(execution)
        if not entity.is_pipeline:
            raise FetchError(GENERIC_EXCEPTION_MSG)  # the controller reads a pipeline that is not there (NullPointerException)
        stage = next((s for s in entity.stages if s.element_id == element_id), None)
        if stage is None:
            raise FetchError('No stage found for the given pipeline stage ID %s' % element_id)
        inputs = [i for i in (input.get('variableInputs') or []) if i is not None]
        values: dict[str, str] = {}
        if stage.kind == 'runtime' and stage.variables:
            _check_variables(stage.variables, inputs)
            values = _resolve(stage.variables, inputs)[0]
        run = execution.stages[stage.index]
        if stage.kind != 'runtime' or run.status != WAITING:
            raise FetchError('Pipeline stage is not in paused state')
        self.engine.answer_gate(execution, True, _with_defaults(stage.variables, values), user=self.account.key_name)
        return {'clientMutationId': input.get('clientMutationId'), 'status': True}

    @fetcher
    def resumeExecution(  # pylint: disable=invalid-name,redefined-builtin
            self, _info: GraphQLResolveInfo, input: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """ResumeExecutionDataFetcher -> WorkflowExecutionServiceImpl.triggerPipelineResumeExecution: a NEW execution."""
        data = input or {}
        app_id, stage_name, execution_id = data.get('applicationId'), data.get('pipelineStageName'), data.get('pipelineExecutionId')
        for value, message in ((app_id, 'Empty app id.'), (stage_name, 'Empty pipeline stage name.'),
                               (execution_id, 'Empty workflow execution Id.')):
            if not (value or '').strip():
                raise FetchError(message)
        prev = self._in_app(str(execution_id), app_id)
        if prev is None:
            raise FetchError("Execution [%s] doesn't exist." % execution_id, GENERAL)
        entity = self._entity(prev)
        if not entity.is_pipeline:
            # getPipelineFromWorkflowExecution runs before checkPipelineResumeAvailable: a standalone workflow
            # execution has neither pipelineExecution nor pipelineSummary.
            raise FetchError('You cannot resume pipeline, seems to be invalid')
        index = self._stage_index(entity, str(stage_name))
        self._check_resumable(prev, entity, index)
        chain = prev.vendor_data.get('resume_root') or prev.vendor_data['id']
        execution = self.engine.submit(entity.spec, dict(prev.parameters), Trigger(kind='restart', user=self.account.key_name, origin_id=prev.id,
                                                                                   origin_number=prev.number, stage=entity.stages[index].step_name),
                                       delay=0, start_stage=index)
        self.registry.register(execution, entity, notes=prev.vendor_data.get('notes'), variables=prev.vendor_data.get('variables', {}),
                               resume_root=chain)
        execution.vendor_data['services'] = list(prev.vendor_data.get('services', []))
        # Earlier stages become resume states that copy the previous iteration's outcome instead of running.
        execution.vendor_data['resumed'] = {i: stage_status(prev, prev.stages[i]) for i in range(index)}
        execution.vendor_data['reused_workflows'] = {i: workflow_execution_id(prev, i) for i in range(index)
                                                     if entity.stages[i].kind != 'approval'}
        prev.vendor_data['resume_root'], prev.vendor_data['latest'] = chain, False
        self.engine.sync()
        return {'clientMutationId': data.get('clientMutationId'), 'execution': self._view(execution)}

    @staticmethod
    def _stage_index(entity: Entity, name: str) -> int:
        """``getParallelIndexFromPipelineStageName``: the first stage whose name matches ``name`` as a Java regex."""
        for stage in entity.stages:
            try:
                if re.fullmatch(name, stage.stage_name):
                    return stage.index
            except re.error as exc:  # String.matches throws PatternSyntaxException, not a WingsException
                raise FetchError(GENERIC_EXCEPTION_MSG) from exc
        raise FetchError('Pipeline Stage does not exist or has not yet started: [%s]' % name)

    def _check_resumable(self, prev: Execution, entity: Entity, index: int) -> None:
        """``PipelineResumeUtils.checkPipelineResumeAvailable`` then ``updatePipelineForResume``'s compatibility checks."""
        data = prev.vendor_data
        status = internal_status(prev)
        if status not in RESUMABLE:
            raise FetchError('Pipeline resume is not available for [%s]. Resumable states are : [[%s]]' % (data['id'], ', '.join(RESUMABLE)))
        if data.get('resume_root') and not data.get('latest'):
            raise FetchError('Pipeline resume is only available on the latest iteration of a resumed execution: %s' % data['id'])
        if all(run.status == PENDING for run in prev.stages):
            raise FetchError('You cannot resume an empty pipeline')
        marked = self.state.modified_at.get(entity.id)
        modified = entity.modified_after_start or (marked is not None and prev.submitted_at <= marked)
        # Every stage up to the resumed one needs a stage execution in the previous run.
        if modified or any(run.status == PENDING for run in prev.stages[:index + 1]):
            raise FetchError('You cannot resume a pipeline which has been modified')
