# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Harness GraphQL answers -> vendor-neutral records (pure functions, no I/O)."""

from __future__ import annotations

import typing as t

from .._keyline import key_of
from ..._model import Execution, InputParameter, Level, PendingInput, Stage, Status, iso_from_millis, map_status

VENDOR = 'harness'

# Harness's GraphQL ExecutionStatus (execution.graphql), all twelve values. PAUSED is how Harness shows a
# pipeline held at an approval or for runtime inputs; RESUMED is a paused one going on again.
STATUS_TABLE: t.Mapping[str, Status] = {
    'QUEUED': Status.QUEUED,
    'RUNNING': Status.RUNNING,
    'RESUMED': Status.RUNNING,
    'PAUSED': Status.WAITING,
    'WAITING': Status.WAITING,
    'SUCCESS': Status.SUCCEEDED,
    'FAILED': Status.FAILED,
    'ERROR': Status.FAILED,
    'ABORTED': Status.ABORTED,
    'REJECTED': Status.REJECTED,
    'EXPIRED': Status.EXPIRED,
    'SKIPPED': Status.SKIPPED,
}
# ExecutionStatus.resumableStatuses (io.harness.beans.ExecutionStatus): what resumeExecution accepts.
RESUMABLE = ('FAILED', 'ABORTED', 'REJECTED', 'EXPIRED', 'ERROR')
# Statuses in which a pipeline may hold gates (an approval, runtime inputs).
HELD = ('PAUSED', 'WAITING')

PIPELINE, WORKFLOW = 'PIPELINE', 'WORKFLOW'


def parameter_of(variable: t.Mapping[str, t.Any]) -> InputParameter:
    """A Harness Variable (pipeline, workflow or runtime input) as a typed parameter.

    Allowed values make it a choice; an empty default is no default (Harness treats "" as unset, so a
    required variable with "" must still be given).
    """
    allowed = [str(v) for v in variable.get('allowedValues') or [] if v is not None]
    default = variable.get('defaultValue')
    description = 'Harness %s variable' % (variable.get('type') or 'Text')
    if variable.get('fixed'):
        description += '; fixed to its default'
    if variable.get('allowMultipleValues'):
        description += '; several values separated by commas'
    return InputParameter(name=str(variable.get('name')), type='choice' if allowed and not variable.get(
        'allowMultipleValues') else 'string', required=bool(variable.get('required')),
        default=None if default in (None, '') else str(default), choices=allowed or None, description=description)


def fixed_names(variables: t.Iterable[t.Mapping[str, t.Any]]) -> t.Dict[str, t.Optional[str]]:
    """Variables whose value is fixed (cannot be set at start or at the pause): name -> the fixed value."""
    return {str(v.get('name')): v.get('defaultValue') for v in variables if v.get('fixed')}


def seconds_of(value: t.Any) -> t.Optional[float]:
    """DateTime (epoch ms as a number) or Long (epoch ms as a string) -> epoch seconds."""
    try:
        millis = float(value)
    except (TypeError, ValueError):
        return None
    return millis / 1000.0 if millis > 0 else None


def _iso(value: t.Any) -> t.Optional[str]:
    seconds = seconds_of(value)
    return None if seconds is None else iso_from_millis(seconds * 1000.0)


def raw_stages(node: t.Any) -> t.List[t.Dict[str, t.Any]]:
    """The stage executions of an Execution node (empty for workflow executions and non-records)."""
    stages = node.get('pipelineStageExecutions') if isinstance(node, dict) else None
    return [s for s in stages or [] if isinstance(s, dict)]


def stage_names(stages: t.Sequence[t.Mapping[str, t.Any]]) -> t.List[str]:
    """The name each stage is shown by: its step (the workflow or approval), or, where the same step runs in
    several stages (one workflow deploying dev, then prod), the step with Harness's stage name:
    "Deploy (STAGE 3)". Names are unique, so a stage named in resume or retry is never ambiguous."""
    def step(stage: t.Mapping[str, t.Any]) -> str:
        return str(stage.get('pipelineStepName') or stage.get('pipelineStageName') or stage.get('pipelineStageElementId'))
    steps = [step(s) for s in stages]
    return [name if steps.count(name) == 1 else '%s (%s)' % (name, s.get('pipelineStageName'))
            for name, s in zip(steps, stages)]


def stages_of(node: t.Mapping[str, t.Any]) -> t.List[Stage]:
    stages = raw_stages(node)
    return [Stage(id=str(s.get('pipelineStageElementId') or name), name=name,
                  status=map_status(STATUS_TABLE, s.get('status')), vendor_status=s.get('status'))
            for s, name in zip(stages, stage_names(stages))]


def runtime_gates(node: t.Mapping[str, t.Any]) -> t.List[PendingInput]:
    """Stages paused for runtime inputs (WorkflowStageExecution with runtimeInputVariables while PAUSED)."""
    gates = []
    stages = raw_stages(node)
    for stage, name in zip(stages, stage_names(stages)):
        if stage.get('status') != 'PAUSED' or not stage.get('runtimeInputVariables'):
            continue
        variables = [v for v in stage['runtimeInputVariables'] if isinstance(v, dict)]
        names = ', '.join(str(v.get('name')) for v in variables)
        gates.append(PendingInput(
            id=str(stage.get('pipelineStageElementId')), kind='variables', stage=name,
            message='%s (%s) waits for runtime inputs: %s' % (name, stage.get('pipelineStageName'), names),
            parameters=[parameter_of(v) for v in variables]))
    return gates


def approval_gates(details: t.Iterable[t.Mapping[str, t.Any]]) -> t.List[PendingInput]:
    """Pending approvals (approvalDetails) as gates; their variables become parameters with the shown values."""
    gates = []
    for item in details:
        if not isinstance(item, dict) or not item.get('approvalId'):
            continue
        params = [InputParameter(name=str(v.get('name')), default=None if v.get('value') in (None, '') else str(v['value']),
                                 description='approval variable')
                  for v in item.get('variables') or [] if isinstance(v, dict) and v.get('name')]
        kind = str(item.get('approvalType') or 'USER_GROUP')
        step = item.get('stepName') or item.get('stageName')
        message = '%s approval %s' % (kind.replace('_', ' ').lower(), step or item['approvalId'])
        if item.get('approvers'):
            message += ' (approvers: %s)' % ', '.join(str(a) for a in item['approvers'])
        if kind != 'USER_GROUP':
            # ApproveOrRejectApprovalsDataFetcher: "<TYPE> Approval Type not supported".
            message += '; Harness answers only user-group approvals through its API, this one is answered in %s' % (
                {'JIRA': 'Jira', 'SERVICENOW': 'ServiceNow', 'SHELL_SCRIPT': 'its shell script'}.get(kind, kind))
        gates.append(PendingInput(id=str(item['approvalId']), kind='approval', stage=None if step is None else str(step),
                                  message=message, parameters=params))
    return gates


def execution_of(node: t.Mapping[str, t.Any], pipeline: t.Optional[str] = None) -> Execution:
    """One Execution node (PipelineExecution or WorkflowExecution) as a record; gates from approvals are
    added by the caller. `pipeline`: the name to show when the node does not carry it."""
    kind = WORKFLOW if node.get('__typename') == 'WorkflowExecution' else PIPELINE
    entity = node.get('workflow' if kind == WORKFLOW else 'pipeline') or {}
    app = node.get('application') or {}
    name = pipeline
    if app.get('name') and entity.get('name'):
        name = '%s/%s' % (app['name'], entity['name'])
    started, ended = seconds_of(node.get('startedAt')), seconds_of(node.get('endedAt'))
    scope = {'type': kind}
    if app.get('id'):
        scope['application_id'] = app['id']
    if entity.get('id'):
        scope['entity_id'] = entity['id']
    if node.get('createdAt') is not None:
        scope['created_at'] = node['createdAt']
    vendor_status = node.get('status')
    execution = Execution(
        vendor=VENDOR, pipeline=name or str(node.get('id')), id=None if node.get('id') is None else str(node['id']),
        status=map_status(STATUS_TABLE, vendor_status), vendor_status=vendor_status, url=node.get('executionUrl'),
        started_at=_iso(node.get('startedAt')), finished_at=_iso(node.get('endedAt')),
        duration=round(ended - started, 3) if started is not None and ended is not None else None,
        stages=stages_of(node), pending_inputs=runtime_gates(node) if vendor_status == 'PAUSED' else [],
        parameters={str(v['name']): v.get('value') for v in node.get('inputVariables') or []
                    if isinstance(v, dict) and v.get('name')},
        idempotency_key=key_of(node.get('notes')), scope=scope, raw=dict(node), ended_epoch=ended,
        # A held execution's approvals come from another field (approvalDetails): until they are added the
        # record is not complete.
        level=Level.STAGES if vendor_status in HELD else Level.FULL)
    if node.get('failureDetails'):
        execution.raw['failureDetails'] = node['failureDetails']
    return execution
