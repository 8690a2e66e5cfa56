# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harness executions over engine executions: the id registry, status mapping and the GraphQL objects.

Contract
--------
* :class:`Registry` gives every engine execution of a Harness pipeline a Harness id
  (``make_id('harness', 'execution', <engine id>)``, so ids repeat across identical runs) and keeps
  Harness-only facts in ``Execution.vendor_data``: ``id``, ``account``, ``app``, ``notes``, ``variables``
  (the resolved executionArgs), ``resume_root`` / ``latest`` (the ``pipelineResumeId`` chain),
  ``resumed`` (stage index -> reported status of a stage copied from the previous iteration),
  ``reused_workflows`` (stage index -> the previous iteration's workflowExecutionId of such a stage),
  ``approvals`` (answers) and ``services``.
* Status words: :func:`graphql_status` is ``ExecutionController.convertStatus`` applied to the internal
  status :func:`internal_status` (the string the ``status`` filter matches).
* :func:`execution_view` is the GraphQL ``PipelineExecution`` / ``WorkflowExecution`` (dicts carry
  ``__typename`` so graphql-core resolves the interfaces); only stages that have started are listed.
"""
from __future__ import annotations

import typing as t

from ..engine import ABORTED, CANCELLED, FAILED, PENDING, QUEUED, RUNNING, SKIPPED, SUCCEEDED, UNSTABLE, WAITING, Engine, Execution, StageRun
from .model import VENDOR, Catalog, Entity, Stage, make_id

RESUMABLE = ('FAILED', 'ABORTED', 'REJECTED', 'EXPIRED', 'ERROR')


def ms(value: float | None) -> int | None:
    """Simulated epoch seconds -> epoch milliseconds (DateTime is a JSON number)."""
    return None if value is None else int(round(value * 1000))


def internal_status(execution: Execution) -> str:
    """The internal ``io.harness.beans.ExecutionStatus`` name of an execution.

    A run waiting at a gate (approval or runtime inputs) is PAUSED: the approval state returns PAUSED
    and a stage paused for runtime inputs reports PAUSED for stage and pipeline. A run cancelled while
    queued was aborted before it started (Harness aborts a PREPARING execution at once).
    """
    state = execution.state
    if state == QUEUED:
        return 'QUEUED'
    if state == RUNNING:
        return 'RUNNING'
    if state == WAITING:
        return 'PAUSED'
    if state in (SUCCEEDED, UNSTABLE):
        return 'SUCCESS'  # Harness has no "unstable": the run succeeded
    if state == FAILED:
        return 'FAILED'
    if state == ABORTED and execution.reason in ('rejected', 'expired'):
        return 'REJECTED' if execution.reason == 'rejected' else 'EXPIRED'
    return 'ABORTED'  # stopped, or cancelled while queued


def graphql_status(internal: str) -> str:
    """``ExecutionController.convertStatus`` (ABORTING->ABORTED, NEW/STARTING/SCHEDULED->QUEUED, PAUSING->PAUSED, ...)."""
    return {'ABORTING': 'ABORTED', 'DISCONTINUING': 'RUNNING', 'NEW': 'QUEUED', 'SCHEDULED': 'QUEUED', 'STARTING': 'QUEUED',
            'PAUSING': 'PAUSED'}.get(internal, internal)


def stage_status(execution: Execution, run: StageRun) -> str:
    """Internal status of one started stage."""
    if run.status == RUNNING:
        return 'RUNNING'
    if run.status == WAITING:
        return 'PAUSED'
    if run.status in (SUCCEEDED, UNSTABLE):
        return 'SUCCESS'
    if run.status == FAILED:
        return 'FAILED'
    if run.status == ABORTED and execution.reason in ('rejected', 'expired'):
        return 'REJECTED' if execution.reason == 'rejected' else 'EXPIRED'
    if run.status == SKIPPED:
        index = execution.stages.index(run)
        return str(execution.vendor_data.get('resumed', {}).get(index, 'SKIPPED'))
    return 'ABORTED'


class Registry:
    """Harness ids of engine executions (rebuilt after every reset)."""

    def __init__(self, engine: Engine, catalog: Catalog) -> None:
        self.engine = engine
        self.catalog = catalog
        self._by_id: dict[str, int] = {}

    def adopt(self) -> None:
        """Register executions the engine made on its own (scenario history): API-less, no notes."""
        for execution in self.engine.executions(VENDOR):
            if 'id' not in execution.vendor_data:
                entity = self.catalog.for_spec(execution.spec)
                self.register(execution, entity, notes=None, variables={k: str(v) for k, v in execution.parameters.items()})

    def register(self, execution: Execution, entity: Entity, notes: str | None, variables: dict[str, str],
                 resume_root: str | None = None) -> str:
        """Give a new execution its Harness id and executionArgs; returns the id."""
        harness_id = make_id(VENDOR, 'execution', str(execution.id))
        execution.vendor_data.update({'id': harness_id, 'account': entity.app.account, 'app': entity.app.id, 'notes': notes,
                                      'variables': dict(variables), 'resume_root': resume_root, 'latest': True,
                                      'resumed': {}, 'approvals': {}, 'services': []})
        self._by_id[harness_id] = execution.id
        return harness_id

    def get(self, harness_id: str, account: str | None = None) -> Execution | None:
        """Execution by Harness id (None when unknown or of another account)."""
        engine_id = self._by_id.get(harness_id)
        execution = None if engine_id is None else self.engine.get(engine_id)
        if execution is None or (account is not None and execution.vendor_data.get('account') != account):
            return None
        return execution

    def all(self, account: str) -> list[Execution]:
        """Every execution of an account, newest first (by creation time, then engine id)."""
        found = [e for e in self.engine.executions(VENDOR) if e.vendor_data.get('account') == account]
        return sorted(found, key=lambda e: (e.submitted_at, e.id), reverse=True)


def workflow_execution_id(execution: Execution, index: int) -> str | None:
    """The member workflow execution of a workflow stage: a stage copied from the previous iteration of a resume
    keeps that iteration's (EnvResumeState reuses prevWorkflowExecutionIds); a stage paused for runtime inputs has
    none yet; every other started stage has one per attempt."""
    run = execution.stages[index]
    if run.status == SKIPPED:
        return t.cast('str | None', execution.vendor_data.get('reused_workflows', {}).get(index))
    if run.status in (PENDING, WAITING):
        return None
    return make_id(VENDOR, 'workflow-execution', execution.vendor_data['id'], str(index), str(run.attempt))


def _stage_view(execution: Execution, stage: Stage, run: StageRun, status: str) -> dict[str, t.Any]:
    common = {'pipelineStageElementId': stage.element_id, 'pipelineStepName': stage.step_name, 'pipelineStageName': stage.stage_name,
              'status': graphql_status(status)}
    if stage.kind == 'approval':
        return dict(common, __typename='ApprovalStageExecution', approvalStepType='USER_GROUP')
    # Only while the stage is PAUSED does Harness read the workflow's variables into runtimeInputVariables.
    runtime = [v.view() for v in stage.variables] if status == 'PAUSED' and stage.kind == 'runtime' else None
    # Member workflow executions are simulated by their ids only (no input variables of a member run).
    return dict(common, __typename='WorkflowStageExecution', workflowExecutionId=workflow_execution_id(execution, execution.stages.index(run)),
                runtimeInputVariables=runtime, inputVariables=[])


def failure_details(execution: Execution, entity: Entity) -> str | None:
    """``failureDetails``: filled only for FAILED and REJECTED executions (wording is the simulator's)."""
    status = internal_status(execution)
    if status == 'FAILED':
        run = next((r for r in execution.stages if r.status == FAILED), None)
        return None if run is None else '%s failed: %s' % (run.name, run.error or 'execution failed')
    if status == 'REJECTED':
        run = next((r for r in execution.stages if r.status == ABORTED), None)
        user = run.answer.user if run is not None and run.answer is not None else None
        return 'Approval rejected%s' % ('' if not user else ' by ' + user)
    return None


def execution_url(catalog: Catalog, execution: Execution, entity: Entity) -> str:
    """The UI URL as Harness builds it: the portal URL with the execution page as fragment."""
    data = execution.vendor_data
    if entity.is_pipeline:
        page = '/account/%s/app/%s/pipeline-execution/%s/workflow-execution/undefined/details' % (data['account'], data['app'], data['id'])
    else:
        env_id = make_id(VENDOR, 'environment', entity.id)
        page = '/account/%s/app/%s/env/%s/executions/%s/details' % (data['account'], data['app'], env_id, data['id'])
    return catalog.config.portal_url + '#' + page


def execution_view(catalog: Catalog, execution: Execution, created_ms: int | None = None) -> dict[str, t.Any]:
    """The GraphQL object of an execution, as its resolver would populate it (``created_ms``: the entities' createdAt)."""
    entity = catalog.for_spec(execution.spec)
    data = execution.vendor_data
    status = internal_status(execution)
    view: dict[str, t.Any] = {
        'id': data['id'], 'executionUrl': execution_url(catalog, execution, entity), 'application': entity.app.view(),
        'createdAt': ms(execution.submitted_at), 'startedAt': ms(execution.started_at),
        'endedAt': ms(execution.finished_at) if execution.terminal else None, 'status': graphql_status(status),
        'notes': data.get('notes'), 'tags': [], 'failureDetails': failure_details(execution, entity)}
    if execution.state == CANCELLED:
        view['startedAt'] = None
    if not entity.is_pipeline:
        view.update(__typename='WorkflowExecution', workflow=entity.view(t.cast(int, created_ms)),
                    inputVariables=[{'name': k, 'value': v} for k, v in data.get('variables', {}).items() if v is not None])
        return view
    stages = [_stage_view(execution, stage, run, stage_status(execution, run))
              for stage, run in zip(entity.stages, execution.stages) if run.status != PENDING]
    view.update(__typename='PipelineExecution', pipeline=entity.view(t.cast(int, created_ms)), pipelineStageExecutions=stages,
                memberExecutions={'pageInfo': {'hasMore': False, 'total': 0, 'offset': 0, 'limit': 0}, 'nodes': []})
    return view
