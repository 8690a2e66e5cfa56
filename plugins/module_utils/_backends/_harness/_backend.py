# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The Harness FirstGen backend: pipelines and workflows over the public GraphQL API.

Naming: `pipeline` is `APPLICATION/NAME`, each part a name or an id; NAME is a pipeline or a workflow
(prefix it with `pipeline:` or `workflow:` when an application has both with that name).

Idempotency (DESIGN section 4): startExecution has no idempotency key of its own, so the key travels
in the execution's `notes` (line `cicd-idempotency-key: KEY`) and is found again through `executions`
filtered by the pipeline. Resume creates a new execution that reuses the earlier stages' workflow
executions (PipelineResumeUtils: ENV_RESUME_STATE with prevWorkflowExecutionIds) and the original's
execution arguments, notes included; that is the lineage a second run finds (the public schema does
not expose pipelineResumeId).
"""

from __future__ import annotations

import dataclasses
import typing as t

from urllib.parse import quote, urlparse

from ..._errors import ApiError, InvalidState, NotFoundError, ValidationError, VendorValidationError
from ..._model import (Execution, InputParameter, Level, PendingInput, PipelineInfo, StartRequest, Status,
                       check_values, kind_of, shown)
from ..._options import Connection
from ..._http import ResponsePolicy
from .._base import ALL_OPERATIONS, Backend, Operation, exactly_once
from . import _graphql as gql
from ._records import (HELD, PIPELINE, RESUMABLE, STATUS_TABLE, VENDOR, WORKFLOW, approval_gates, execution_of, fixed_names,
                       parameter_of, raw_stages, seconds_of, stage_names)
from .._keyline import key_of, key_problem, with_key

SAAS_URL = 'https://app.harness.io/gateway'
# GraphQLRateLimiter: 30 external calls per minute per account on SaaS (on-prem installations have no limit).
SAAS_CALLS_PER_MINUTE = 30
# How many recent executions of a pipeline the key and lineage lookups read (one call).
_RECENT = 50
# How many recent successful executions give a pipeline's typical duration (Harness publishes no estimate).
_TYPICAL_OF = 5
# `executions` answers at most this many nodes per call; batched reads are split into calls of this size.
_BATCH = 100
_VALUE_TYPES = ('NAME', 'ID', 'EXPRESSION')
_ARTIFACT_KEYS = {'service', 'artifact_source', 'build_number', 'parameters'}
# resumeExecution matches pipelineStageName as a Java regular expression (PipelineStage.getName().matches()).
_REGEX_META = frozenset('\\.^$|?*+()[]{}')
# Harness's words when a gate is no longer waiting (the answer of an earlier attempt took effect).
_SETTLED = ('waiting for approval id', 'not in paused state')


@dataclasses.dataclass
class Entity:
    """A pipeline or workflow of an application, as found by name or id."""

    app_id: str
    app_name: str
    id: str
    name: str
    kind: str  # PIPELINE or WORKFLOW
    variables: t.List[t.Dict[str, t.Any]]

    @property
    def pipeline(self) -> str:
        return '%s/%s' % (self.app_name, self.name)


class HarnessBackend(Backend):
    """Harness FirstGen (CurrentGen) pipelines and workflows, through the GraphQL API and one REST interrupt."""

    name = VENDOR
    display_name = 'Harness'
    capabilities = ALL_OPERATIONS
    status_table = STATUS_TABLE
    comments = True
    rejected_status = Status.REJECTED
    start_inputs = (
        InputParameter('variable_types', type='other',
                       description='mapping of variable name to how its value is given: NAME (default), ID or '
                       'EXPRESSION (the VariableValue type of variableInputs)'),
        InputParameter('artifacts', type='other',
                       description='list of service artifacts to deploy, each {service, artifact_source, build_number} '
                       '(serviceInputs with an artifact build number), plus optional parameters for a parameterized '
                       'artifact source'),
        InputParameter('continue_with_default_values', type='boolean',
                       description='let a pipeline with runtime inputs go on with their default values instead of '
                       'pausing (Harness beta)'),
    )

    def __init__(self, conn: Connection, transport: t.Any = None) -> None:
        super().__init__(conn, transport)
        self.graphql = gql.GraphQL(self.http, str(conn.get('account_id')), self.warnings)
        self._entities: t.Dict[str, Entity] = {}
        # Approval details by approval id, as last read (type and the execution the approval lives in).
        self._approvals: t.Dict[str, t.Dict[str, t.Any]] = {}
        # (type, entity id) -> typical duration in seconds of its recent successful executions (None: unknown).
        self._typical: t.Dict[t.Tuple[str, str], t.Optional[float]] = {}
        # Executions of a pipeline seen by the last key lookup (a start's "before" snapshot).
        self._seen: t.Dict[str, t.Set[str]] = {}

    def _authenticator(self) -> t.Any:
        return gql.ApiKey(str(self.conn.get('api_token')))

    def _responses(self) -> ResponsePolicy:
        per_minute = self.conn.get('calls_per_minute')
        if per_minute is None:
            host = urlparse(self.conn.get('api_url') or SAAS_URL).hostname or ''
            per_minute = SAAS_CALLS_PER_MINUTE if host == 'harness.io' or host.endswith('.harness.io') else 0
        return gql.HarnessResponses(budget=(int(per_minute), 60.0) if per_minute else None)

    @classmethod
    def default_api_url(cls, conn: Connection) -> t.Optional[str]:
        return SAAS_URL

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        per_minute = conn.get('calls_per_minute')
        if per_minute is not None and int(per_minute) < 0:
            return ['calls_per_minute must be 0 (no pacing) or more, got %s' % per_minute]
        return []

    # Names and ids ----------------------------------------------------------------------------

    def _entity(self, pipeline: str) -> Entity:
        """The pipeline or workflow `APPLICATION/NAME` names (each part a name or an id), cached per task."""
        if pipeline in self._entities:
            return self._entities[pipeline]
        app_part, sep, name = (pipeline or '').partition('/')
        if not sep or not app_part.strip() or not name.strip():
            raise ValidationError('harness: pipeline %r must be APPLICATION/NAME (names or ids), e.g. shop/release; '
                                  'prefix NAME with workflow: for a workflow' % pipeline)
        wanted = None
        for prefix in ('pipeline:', 'workflow:'):
            if name.startswith(prefix):
                wanted, name = prefix[:-1].upper(), name[len(prefix):]
        answer = self.graphql.run(gql.APPLICATION, {'app': app_part}, 'find application %r' % app_part,
                                  may_fail=('byId', 'byName'))
        app = answer.data.get('byName') or answer.data.get('byId')
        if not app:
            raise NotFoundError('harness: application %r does not exist (by name or id) or the API key cannot see it'
                                % app_part)
        found = self.graphql.run(gql.ENTITY, {'app': app['id'], 'name': name},
                                 'find %r in application %r' % (name, app['name']),
                                 may_fail=('pipelineById', 'pipelineByName', 'workflowById', 'workflowByName'))
        pipelines = [found.data.get(k) for k in ('pipelineByName', 'pipelineById') if found.data.get(k)]
        workflows = [found.data.get(k) for k in ('workflowByName', 'workflowById') if found.data.get(k)]
        if wanted == PIPELINE:
            workflows = []
        elif wanted == WORKFLOW:
            pipelines = []
        if pipelines and workflows:
            raise ValidationError('harness: application %r has both a pipeline and a workflow %r; say which with '
                                  '%s/pipeline:%s or %s/workflow:%s' % (app['name'], name, app_part, name, app_part, name))
        if not pipelines and not workflows:
            what = {PIPELINE: 'pipeline', WORKFLOW: 'workflow'}.get(wanted or '', 'pipeline or workflow')
            raise NotFoundError('harness: application %r has no %s named %r (or with that id)%s'
                                % (app['name'], what, name, self._names_hint(app['id'])))
        kind = PIPELINE if pipelines else WORKFLOW
        node = (pipelines or workflows)[0]
        variables = node.get('pipelineVariables' if kind == PIPELINE else 'workflowVariables') or []
        entity = Entity(app_id=app['id'], app_name=app['name'], id=node['id'], name=node['name'], kind=kind,
                        variables=[v for v in variables if isinstance(v, dict)])
        self._entities[pipeline] = self._entities[entity.pipeline] = entity
        return entity

    def _names_hint(self, app_id: str) -> str:
        """'; its pipelines: a, b; its workflows: c' for a not-found message (empty if they cannot be read)."""
        try:
            answer = self.graphql.run(gql.NAMES, {'app': app_id}, 'list the pipelines of the application')
        except ApiError:
            return ''
        app = answer.data.get('application') or {}
        parts = []
        for field in ('pipelines', 'workflows'):
            names = [str(n.get('name')) for n in (app.get(field) or {}).get('nodes') or [] if isinstance(n, dict)]
            parts.append('its %s: %s' % (field, ', '.join(sorted(names)) if names else 'none'))
        return '; ' + '; '.join(parts)

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        entity = self._entity(pipeline)
        # Fixed variables are listed too: setting one is refused by check_start with that reason.
        return PipelineInfo(pipeline=entity.pipeline, parameters=[parameter_of(v) for v in entity.variables])

    # Reads ------------------------------------------------------------------------------------

    def get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        """The execution read to `level`; below FULL (a poll) with the expected end of an active one."""
        record = self._get(execution, level)
        if level < Level.FULL:
            self._estimate([record])
        return record

    def _get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        if execution.id is None:
            raise ValidationError('harness: the execution has no id; pass the execution record an earlier task returned')
        app = execution.scope.get('application_id')
        if level == Level.FULL and app:
            answer = self.graphql.run(gql.EXECUTION_WITH_APPROVALS, {'id': execution.id, 'app': app},
                                      'read execution %s' % execution.id, may_fail=('approvalDetails',))
            record = self._record(answer.data.get('execution'), execution)
            if record.vendor_status in HELD:
                self._gates(record, answer.data.get('approvalDetails'))
            return record
        answer = self.graphql.run(gql.EXECUTION, {'id': execution.id}, 'read execution %s' % execution.id)
        record = self._record(answer.data.get('execution'), execution)
        if level == Level.FULL:
            self._add_approvals([record])
        else:
            record.level = level
        return record

    def _record(self, node: t.Any, wanted: Execution) -> Execution:
        if not isinstance(node, dict):
            raise NotFoundError('harness: execution %s does not exist or access is denied' % wanted.id)
        record = execution_of(node, wanted.pipeline)
        if not _belongs(node, wanted):
            # Execution ids are global: without this check a wrong pipeline would act on another pipeline's execution.
            named = ('the one of scope.entity_id %r' % wanted.scope['entity_id'] if wanted.scope.get('entity_id')
                     else repr(wanted.pipeline))
            raise NotFoundError('harness: execution %s belongs to %s, not to %s; give the pipeline it belongs to, or pass '
                                'the execution record an earlier task returned' % (wanted.id, record.pipeline, named))
        record.previous_id = wanted.previous_id
        return record

    def _add_approvals(self, records: t.Sequence[Execution]) -> None:
        """Pending approvals of the paused ones (approvalDetails: one call each, only for paused executions)."""
        for record in records:
            app = record.scope.get('application_id')
            if record.vendor_status not in HELD or not app:
                continue
            answer = self.graphql.run(gql.APPROVALS, {'id': record.id, 'app': app},
                                      'read the pending approvals of execution %s' % record.id, may_fail=('approvalDetails',))
            self._gates(record, answer.data.get('approvalDetails'))

    def _gates(self, record: Execution, payload: t.Any) -> None:
        """Add the approvals of an approvalDetails answer to the record's gates (runtime inputs are there already)."""
        details = [d for d in (payload or {}).get('approvalDetails') or [] if isinstance(d, dict)]
        if payload is None:
            self.warnings.append('harness: the pending approvals of execution %s could not be read; only stages '
                                 'paused for runtime inputs are listed' % record.id)
        for item in details:
            if item.get('approvalId'):
                self._approvals[str(item['approvalId'])] = item
        record.pending_inputs = approval_gates(details) + record.pending_inputs
        record.level = Level.FULL

    def get_many(self, executions: t.Sequence[Execution], level: Level = Level.FULL) -> t.List[Execution]:
        """One `executions(filters: [{execution: {operator: IN ...}}])` call per 100 executions, whatever their
        pipelines; approvals (FULL only) are read for the paused ones alone."""
        if len(executions) <= 1:
            return [self.get(e, level) for e in executions]
        ids = [e.id for e in executions]
        if any(i is None for i in ids):
            raise ValidationError('harness: an execution has no id; pass the execution records earlier tasks returned')
        nodes: t.Dict[str, t.Dict[str, t.Any]] = {}
        unique = list(dict.fromkeys(t.cast(t.List[str], ids)))
        for start in range(0, len(unique), _BATCH):
            chunk = unique[start:start + _BATCH]
            filters = [{'execution': {'operator': 'IN', 'values': chunk}}]
            answer = self.graphql.run(gql.EXECUTIONS, {'filters': filters, 'limit': len(chunk), 'offset': 0},
                                      'read %d executions' % len(chunk))
            for node in (answer.data.get('executions') or {}).get('nodes') or []:
                if isinstance(node, dict) and node.get('id'):
                    nodes[str(node['id'])] = node
        records = []
        for wanted in executions:
            node = nodes.get(str(wanted.id))
            # Not in the list (e.g. another application the key cannot list): read it on its own.
            records.append(self._record(node, wanted) if node is not None else self._get(wanted, Level.STAGES))
        if level == Level.FULL:
            self._add_approvals(records)
        else:
            for record in records:
                record.level = level
            self._estimate(records)
        return records

    def _estimate(self, records: t.Sequence[Execution]) -> None:
        """Set `expected_end` of active records (what a poll reads: the poller aims just after it) from their
        pipeline's typical duration: the median of its last successful executions, read once per pipeline
        and task (one call; Harness reports no estimate of its own)."""
        for record in records:
            kind, entity_id = record.scope.get('type'), record.scope.get('entity_id')
            if not record.status.active or record.expected_end is not None or not entity_id or kind not in (PIPELINE, WORKFLOW):
                continue
            key = (str(kind), str(entity_id))
            if key not in self._typical:
                self._typical[key] = self._typical_duration(*key)
            started = seconds_of((record.raw or {}).get('startedAt')) if isinstance(record.raw, dict) else None
            if self._typical[key] is not None and started is not None:
                record.expected_end = started + t.cast(float, self._typical[key])

    def _typical_duration(self, kind: str, entity_id: str) -> t.Optional[float]:
        field = 'pipeline' if kind == PIPELINE else 'workflow'
        filters = [{field: {'operator': 'EQUALS', 'values': [entity_id]}}, {'status': {'operator': 'IN', 'values': ['SUCCESS']}}]
        try:
            answer = self.graphql.run(gql.EXECUTIONS_STATUS, {'filters': filters, 'limit': _TYPICAL_OF},
                                      'read the recent durations of %s %s' % (field, entity_id))
        except ApiError:
            return None  # no estimate: the poller backs off instead
        durations = sorted(
            t.cast(float, seconds_of(n.get('endedAt'))) - t.cast(float, seconds_of(n.get('startedAt')))
            for n in (answer.data.get('executions') or {}).get('nodes') or []
            if isinstance(n, dict) and seconds_of(n.get('startedAt')) is not None and seconds_of(n.get('endedAt')) is not None)
        return durations[len(durations) // 2] if durations else None

    def _recent(self, entity: Entity, extra: t.Sequence[t.Mapping[str, t.Any]] = (),
                limit: int = _RECENT) -> t.List[Execution]:
        """The entity's most recent executions (newest first), with optional extra filters."""
        field = 'pipeline' if entity.kind == PIPELINE else 'workflow'
        filters = [{field: {'operator': 'EQUALS', 'values': [entity.id]}}] + [dict(f) for f in extra]
        answer = self.graphql.run(gql.EXECUTIONS, {'filters': filters, 'limit': limit, 'offset': 0},
                                  'list the executions of %s %r' % (field, entity.pipeline))
        nodes = (answer.data.get('executions') or {}).get('nodes') or []
        return [execution_of(n, entity.pipeline) for n in nodes if isinstance(n, dict)]

    def _entity_of(self, execution: Execution) -> Entity:
        """The pipeline or workflow of an execution record, from its scope when it has one (no lookup)."""
        scope = execution.scope
        if scope.get('entity_id') and scope.get('application_id') and scope.get('type') in (PIPELINE, WORKFLOW):
            app_name, _sep, name = execution.pipeline.partition('/')
            return Entity(app_id=str(scope['application_id']), app_name=app_name, id=str(scope['entity_id']),
                          name=name, kind=str(scope['type']), variables=[])
        return self._entity(execution.pipeline)

    def _app_id(self, execution: Execution) -> t.Tuple[Execution, str]:
        """The execution (read when its record lacks the application) and its application id."""
        if not execution.scope.get('application_id'):
            execution = self._get(execution)
        app = execution.scope.get('application_id')
        if not app:
            raise ValidationError('harness: Harness did not say which application execution %s belongs to; pass the '
                                  'execution record an earlier task returned' % execution.id, execution=execution)
        return execution, str(app)

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        found = self._recent(self._entity(pipeline), limit=1)
        if not found:
            return None
        self._add_approvals(found)
        return found[0]

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        entity = self._entity(request.pipeline)
        recent = self._recent(entity)
        self._seen[entity.pipeline] = {e.id for e in recent if e.id}
        return [e for e in recent if e.idempotency_key == request.key]

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """Harness's createdAt (epoch milliseconds, set once), then the id; None for a record without createdAt."""
        created = execution.scope.get('created_at')
        if isinstance(created, bool) or not isinstance(created, (int, float)) or execution.id is None:
            return None
        return (created, execution.id)

    # Start ------------------------------------------------------------------------------------

    def check_start(self, request: StartRequest, info: PipelineInfo) -> None:
        super().check_start(request, info)
        entity = self._entity(request.pipeline)
        fixed = sorted(set(request.parameters) & set(fixed_names(entity.variables)))
        if fixed:
            raise ValidationError('harness: variable%s %s of %r %s fixed in Harness and cannot be set at start'
                                  % ('s' if len(fixed) > 1 else '', ', '.join(fixed), entity.pipeline,
                                     'are' if len(fixed) > 1 else 'is'))
        if key_problem(request.key):
            raise ValidationError('harness: %s' % key_problem(request.key))
        types = request.start_inputs.get('variable_types') or {}
        if not isinstance(types, dict):
            raise ValidationError('harness: start input variable_types must be a mapping of variable name to NAME, ID or '
                                  'EXPRESSION, got %s' % kind_of(types))
        for name, kind in types.items():
            if str(kind).upper() not in _VALUE_TYPES:
                raise ValidationError('harness: start input variable_types: %r must be NAME, ID or EXPRESSION, got %s'
                                      % (name, shown(kind)))
            if name not in request.parameters:
                raise ValidationError('harness: start input variable_types names %r, which is not among the parameters '
                                      'given (%s)' % (name, ', '.join(sorted(request.parameters)) or 'none'))
        artifacts = request.start_inputs.get('artifacts')
        if artifacts is not None:
            self._service_inputs(artifacts)
        if entity.kind == WORKFLOW and request.start_inputs.get('continue_with_default_values'):
            raise ValidationError('harness: continue_with_default_values applies to pipelines with runtime inputs; '
                                  '%r is a workflow' % entity.pipeline)

    @staticmethod
    def _service_inputs(artifacts: t.Any) -> t.List[t.Dict[str, t.Any]]:
        """The `artifacts` start input as serviceInputs; ValidationError naming the accepted shape."""
        shape = 'a list of {service, artifact_source, build_number} (optional parameters: a mapping)'
        if not isinstance(artifacts, list):
            raise ValidationError('harness: start input artifacts must be %s, got %s' % (shape, kind_of(artifacts)))
        inputs = []
        for index, item in enumerate(artifacts):
            if not isinstance(item, dict):
                raise ValidationError('harness: start input artifacts[%d] must be a mapping: %s' % (index, shape))
            unknown = sorted(set(item) - _ARTIFACT_KEYS)
            missing = sorted(k for k in ('service', 'artifact_source', 'build_number') if item.get(k) in (None, ''))
            if unknown or missing:
                raise ValidationError('harness: start input artifacts[%d]: %s; each item is %s' % (index, '; '.join(
                    (['unknown key(s) %s' % ', '.join(unknown)] if unknown else [])
                    + (['missing %s' % ', '.join(missing)] if missing else [])), shape))
            source = {'artifactSourceName': str(item['artifact_source']), 'buildNumber': str(item['build_number'])}
            params = item.get('parameters')
            if params is not None and not isinstance(params, dict):
                raise ValidationError('harness: start input artifacts[%d].parameters must be a mapping' % index)
            if params:
                value = {'valueType': 'PARAMETERIZED_ARTIFACT_SOURCE', 'parameterizedArtifactSource': dict(
                    source, parameterValueInputs=[{'name': str(k), 'value': str(v)} for k, v in params.items()])}
            else:
                value = {'valueType': 'BUILD_NUMBER', 'buildNumber': source}
            inputs.append({'name': str(item['service']), 'artifactValueInput': value})
        return inputs

    @staticmethod
    def _variable_inputs(values: t.Mapping[str, t.Any], types: t.Mapping[str, str]) -> t.List[t.Dict[str, t.Any]]:
        return [{'name': str(name), 'variableValue': {'type': str(types.get(name, 'NAME')).upper(),
                                                      'value': _text(value)}}
                for name, value in values.items()]

    def _start_values(self, entity: Entity, parameters: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        """The variables to send: those given, then the defaults of required ones left out (Harness's
        validateRequiredVarsPresent counts only the values sent, not the defaults it shows in its UI)."""
        values = dict(parameters)
        fixed = fixed_names(entity.variables)
        for variable in entity.variables:
            name = str(variable.get('name'))
            if variable.get('required') and name not in values and name not in fixed \
                    and variable.get('defaultValue') not in (None, ''):
                values[name] = variable['defaultValue']
        return values

    def start(self, request: StartRequest) -> Execution:
        entity = self._entity(request.pipeline)
        payload: t.Dict[str, t.Any] = {
            'applicationId': entity.app_id, 'entityId': entity.id, 'executionType': entity.kind,
            'variableInputs': self._variable_inputs(self._start_values(entity, request.parameters),
                                                    request.start_inputs.get('variable_types') or {}),
            'notes': with_key(request.notes, request.key),
        }
        if request.start_inputs.get('artifacts'):
            payload['serviceInputs'] = self._service_inputs(request.start_inputs['artifacts'])
        if request.start_inputs.get('continue_with_default_values') is not None:
            payload['continueWithDefaultValues'] = bool(request.start_inputs['continue_with_default_values'])
        before = self._seen.get(entity.pipeline)
        if before is None:
            before = {e.id for e in self._recent(entity) if e.id}

        def send() -> Execution:
            answer = self.graphql.run(gql.START, {'input': payload}, 'start %s %r' % (entity.kind.lower(), entity.pipeline),
                                      mutation=True)
            result = answer.data.get('startExecution') or {}
            if result.get('warningMessage'):
                self.warnings.append('harness: %s' % self.http.redact(str(result['warningMessage'])))
            node = result.get('execution')
            if not isinstance(node, dict):
                raise ApiError('harness: startExecution answered without an execution; check %r before running the '
                               'task again' % entity.pipeline, changed=True)
            return execution_of(node, entity.pipeline)

        def lookup() -> t.Optional[Execution]:
            found = [e for e in self._recent(entity) if e.idempotency_key == request.key and e.id not in before]
            return found[0] if found else None

        execution = exactly_once(send, lookup)
        execution.idempotency_key = request.key
        return execution

    # Gates ------------------------------------------------------------------------------------

    def find_gate(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[PendingInput]:
        """A gate by its Harness id (approvalId / pipelineStageElementId), its step name or its stage name."""
        if not gate_id:
            return super().find_gate(execution, gate_id)
        names = self._stage_names(execution)
        for gate in execution.pending_inputs:
            if gate_id in (gate.id, gate.stage) or (gate.stage is not None and names.get(gate.stage) == gate_id):
                return gate
        # A step that runs in several stages is shown as "Deploy (STAGE 3)": its bare name still matches
        # when only one of those stages waits.
        found = [g for g in execution.pending_inputs if g.stage and g.stage.startswith(gate_id + ' (')]
        return found[0] if len(found) == 1 else None

    def gate_passed(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[bool]:
        """Past the gate once the stage it names has ended: by step name, by Harness stage name ("STAGE 2")
        or by the bare step name of "Deploy (STAGE 3)"; an approval id names no stage (None)."""
        if not gate_id:
            return None
        names = self._stage_names(execution)
        named = [s for s in execution.stages
                 if gate_id in (s.id, s.name, names.get(s.name)) or s.name.startswith(gate_id + ' (')]
        return all(s.status.terminal for s in named) if named else None

    @staticmethod
    def _stage_names(execution: Execution) -> t.Dict[str, str]:
        """Shown stage name -> Harness stage name ("STAGE 2") of each stage the execution has reached."""
        stages = raw_stages(execution.raw)
        return {name: str(s.get('pipelineStageName')) for s, name in zip(stages, stage_names(stages))
                if s.get('pipelineStageName')}

    def check_answer(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str]) -> None:
        if gate.kind == 'variables':
            if not approve:
                raise ValidationError('harness: a stage waiting for runtime inputs cannot be rejected; supply the '
                                      'inputs, or stop the execution with cicd.pipelines.pipeline_cancel',
                                      execution=execution)
            if comment:
                raise ValidationError('harness: runtime inputs carry no comment; leave comment out for them',
                                      execution=execution)
            stage = self._raw_stage(execution, gate.id)
            fixed = sorted(set(values) & set(fixed_names(stage.get('runtimeInputVariables') or [])))
            if fixed:
                raise ValidationError('harness: runtime input%s %s of %s %s fixed and cannot be changed'
                                      % ('s' if len(fixed) > 1 else '', ', '.join(fixed), gate.stage,
                                         'are' if len(fixed) > 1 else 'is'), execution=execution)
        self.check_comment(comment)
        kind = str(self._approvals.get(gate.id, {}).get('approvalType') or 'USER_GROUP')
        if gate.kind == 'approval' and kind != 'USER_GROUP':
            raise ValidationError('harness: %s is a %s approval; Harness answers only user-group approvals through its '
                                  'API ("%s Approval Type not supported")' % (gate.stage or gate.id, kind, kind),
                                  execution=execution)
        # Named by the step people know (the gate id is a generated Harness id).
        owner = '%s %r' % ('the runtime inputs of' if gate.kind == 'variables' else 'approval', gate.stage or gate.id)
        problems = check_values(gate.parameters, values, owner) if approve else []
        if problems:
            raise ValidationError('; '.join(problems), execution=execution)

    @staticmethod
    def _raw_stage(execution: Execution, element_id: str) -> t.Dict[str, t.Any]:
        raw = execution.raw if isinstance(execution.raw, dict) else {}
        return next((s for s in raw.get('pipelineStageExecutions') or []
                     if isinstance(s, dict) and s.get('pipelineStageElementId') == element_id), {})

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        """Approve/reject an approval (approveOrRejectApprovals), or supply runtime inputs (pipelineResumeRuntime)."""
        execution, app = self._app_id(execution)
        if gate.kind == 'variables':
            return self._runtime_inputs(execution, app, gate, values)
        # The approval's own execution (an approval step inside a workflow stage lives in that workflow's).
        owner = self._approvals.get(gate.id, {}).get('executionId') or execution.id
        payload: t.Dict[str, t.Any] = {'executionId': owner, 'approvalId': gate.id, 'applicationId': app,
                                       'action': 'APPROVE' if approve else 'REJECT', 'clientMutationId': 'cicd-%s' % gate.id}
        if values:
            # Only when there are some: Harness refuses an empty list for an approval without variables
            # ("Variable were not present for the given approval").
            payload['variableInputs'] = [{'name': str(k), 'value': _text(v)} for k, v in values.items()]
        if comment:
            payload['comments'] = comment
        verb = 'approve' if approve else 'reject'
        operation = '%s approval %s of execution %s' % (verb, gate.stage or gate.id, execution.id)

        def mutate() -> None:
            answer = self.graphql.run(gql.APPROVE, {'input': payload}, operation, mutation=True)
            if not (answer.data.get('approveOrRejectApprovals') or {}).get('success'):
                raise ApiError('harness: could not %s: Harness answered success=false' % operation)

        return self._answer(execution, gate, operation, mutate)

    def _answer(self, execution: Execution, gate: PendingInput, operation: str, mutate: t.Callable[[], None]) -> Execution:
        """Answer a gate exactly once, then read the execution again.

        After a lost answer the gate is looked up: gone means the answer took effect. A refusal of the second
        attempt because the gate no longer waits means the same. A read failing after the answer took effect
        still reports a change.
        """
        attempts = []

        def send() -> Execution:
            attempts.append(1)
            try:
                mutate()
            except VendorValidationError as exc:
                if len(attempts) > 1 and any(w in (exc.vendor_message or '') for w in _SETTLED):
                    return self._after(execution, operation)
                raise
            return self._after(execution, operation)

        def answered() -> t.Optional[Execution]:
            current = self._get(execution)
            return current if all(g.id != gate.id for g in current.pending_inputs) else None

        return exactly_once(send, answered)

    def _after(self, execution: Execution, operation: str) -> Execution:
        """The execution after a write that took effect; a failed read is reported with changed=true."""
        try:
            return self._get(execution)
        except ApiError as exc:
            raise ApiError('harness: %s was done, but reading the execution afterwards failed: %s' % (operation, exc.msg),
                           status=exc.status, vendor_message=exc.vendor_message, changed=True, execution=execution)

    def _runtime_inputs(self, execution: Execution, app: str, gate: PendingInput,
                        values: t.Mapping[str, t.Any]) -> Execution:
        # Every variable of the pause: the given value, else its default (Harness wants the required ones).
        chosen = {p.name: values.get(p.name, p.default) for p in gate.parameters}
        payload = {'applicationId': app, 'pipelineExecutionId': execution.id, 'pipelineStageElementId': gate.id,
                   'variableInputs': self._variable_inputs({k: v for k, v in chosen.items() if v is not None}, {}),
                   'clientMutationId': 'cicd-%s' % gate.id}
        operation = 'supply the runtime inputs of %s of execution %s' % (gate.stage or gate.id, execution.id)

        def mutate() -> None:
            answer = self.graphql.run(gql.RUNTIME_INPUTS, {'input': payload}, operation, mutation=True)
            if not (answer.data.get('pipelineResumeRuntime') or {}).get('status'):
                raise ApiError('harness: could not %s: Harness answered status=false' % operation)

        return self._answer(execution, gate, operation, mutate)

    # Resume and retry -------------------------------------------------------------------------

    def _refuse_resume(self, execution: Execution, what: str) -> None:
        if execution.scope.get('type') == WORKFLOW:
            raise InvalidState('harness: %s is a workflow execution; Harness resumes pipeline executions only (start '
                               'the workflow again with cicd.pipelines.pipeline_start)' % self.describe(execution),
                               execution=execution)
        if execution.vendor_status not in RESUMABLE:
            raise InvalidState('harness: %s cannot be %s: it is %s, and Harness resumes only executions that are %s'
                               % (self.describe(execution), what, execution.vendor_status, ', '.join(RESUMABLE)),
                               execution=execution)

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        """The step names of the stages it reached, then the same stages by Harness stage name ("STAGE 2")."""
        self._refuse_resume(execution, 'resumed')
        steps = [s.name for s in execution.stages]
        names = [n for n in dict.fromkeys(self._stage_names(execution).values()) if n not in steps]
        return list(dict.fromkeys(steps)) + names

    def resume(self, execution: Execution, stage: str) -> Execution:
        self._refuse_resume(execution, 'resumed')
        execution, app = self._app_id(execution)
        names = self._stage_names(execution)
        stage_name_ = names.get(stage, stage)
        # Harness matches the name as a regular expression: metacharacters in it are escaped.
        pattern = ''.join('\\' + c if c in _REGEX_META else c for c in stage_name_)
        payload = {'applicationId': app, 'pipelineExecutionId': execution.id, 'pipelineStageName': pattern,
                   'clientMutationId': 'cicd-resume-%s' % execution.id}
        where = stage if stage == stage_name_ else '%s (%s)' % (stage, stage_name_)
        operation = 'resume execution %s from %s' % (execution.id, where)

        def send() -> Execution:
            answer = self.graphql.run(gql.RESUME, {'input': payload}, operation, mutation=True)
            node = (answer.data.get('resumeExecution') or {}).get('execution')
            if not isinstance(node, dict):
                raise ApiError('harness: could not %s: Harness answered without the new execution; check %s before '
                               'running the task again' % (operation, execution.pipeline), changed=True)
            return execution_of(node, execution.pipeline)

        try:
            result = exactly_once(send, lambda: self.find_continuation(execution, Operation.RESUME))
        except gql.Refused as exc:
            # "only available on the latest iteration": an earlier run got there first.
            found = self.find_continuation(execution, Operation.RESUME) if 'latest iteration' in str(exc) else None
            if found is None:
                raise InvalidState(exc.msg, execution=execution)
            result = found
        result.previous_id = execution.id
        return result

    def retry(self, execution: Execution) -> Execution:
        """Harness has no retry of its own: resume from the first stage that did not succeed."""
        self._refuse_resume(execution, 'retried')
        stage = next((s.name for s in execution.stages if s.status != Status.SUCCEEDED), None)
        if stage is None:
            raise InvalidState('harness: %s reached no stage that failed, so there is nothing to retry from'
                               % self.describe(execution), execution=execution)
        return self.resume(execution, stage)

    def find_continuation(self, execution: Execution, operation: Operation) -> t.Optional[Execution]:
        """The execution a resume of `execution` created: a later execution of the same pipeline that reuses
        the workflow executions of its earlier stages, or (resumed from the first stage) carries its notes."""
        if execution.scope.get('type') == WORKFLOW or execution.id is None:
            return None
        original = execution if isinstance(execution.raw, dict) else self._get(execution, Level.STAGES)
        raw = t.cast(t.Dict[str, t.Any], original.raw)
        entity = self._entity_of(original)
        created = original.scope.get('created_at') or raw.get('createdAt')
        extra = [{'creationTime': {'operator': 'AFTER', 'value': created}}] if created is not None else []
        reused = {s.get('workflowExecutionId') for s in raw.get('pipelineStageExecutions') or []
                  if isinstance(s, dict) and s.get('workflowExecutionId') and s.get('status') == 'SUCCESS'}
        notes = raw.get('notes')
        for candidate in reversed(self._recent(entity, extra)):  # oldest first: the direct continuation
            if candidate.id == original.id:
                continue
            craw = t.cast(t.Dict[str, t.Any], candidate.raw)
            ids = {s.get('workflowExecutionId') for s in craw.get('pipelineStageExecutions') or [] if isinstance(s, dict)}
            if (reused and reused & ids) or (not reused and notes and craw.get('notes') == notes
                                             and key_of(notes) is not None):
                candidate.previous_id = original.id
                return candidate
        return None

    # Cancel -----------------------------------------------------------------------------------

    def cancel(self, execution: Execution) -> Execution:
        """No GraphQL mutation aborts an execution: the REST interrupt ABORT_ALL (ExecutionResource) does."""
        current = self._get(execution, Level.STAGES)
        if current.terminal:
            return current
        current, app = self._app_id(current)
        path = '/api/executions/%s' % quote(str(current.id), safe='')
        try:
            self.http.request('PUT', path, operation='abort execution %s' % current.id,
                              params={'appId': app, 'accountId': self.graphql.account_id},
                              json={'executionInterruptType': 'ABORT_ALL'})
        except NotFoundError:
            raise
        except ApiError:
            # Ended meanwhile (Harness refuses to interrupt a finished execution): report how it ended.
            after = self._get(current)
            if after.terminal:
                return after
            raise
        return self._get(current)


def _belongs(node: t.Mapping[str, t.Any], wanted: Execution) -> bool:
    """Whether an Execution node is of the pipeline `wanted` names: by the ids of its record's scope when it has them
    (they survive a rename), else by `pipeline` (APPLICATION/NAME, each a name or an id, NAME maybe prefixed with
    pipeline: or workflow:). True when either side does not say."""
    app = node.get('application') or {}
    entity = node.get('workflow' if node.get('__typename') == 'WorkflowExecution' else 'pipeline') or {}
    if not isinstance(app, dict) or not isinstance(entity, dict):
        return True
    if wanted.scope.get('entity_id') and entity.get('id'):
        return str(wanted.scope['entity_id']) == str(entity['id'])
    app_part, sep, name = (wanted.pipeline or '').partition('/')
    if not sep or not app.get('name') or not entity.get('name'):
        return True
    for prefix in ('pipeline:', 'workflow:'):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return app_part in (app.get('id'), app.get('name')) and name in (entity.get('id'), entity.get('name'))


def _text(value: t.Any) -> str:
    """Variable values are strings on the wire (VariableValue.value: String!)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(_text(v) for v in value)
    return '' if value is None else str(value)
