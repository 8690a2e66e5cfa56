# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""CodeArts run details -> vendor-neutral records (pure functions, no I/O)."""

from __future__ import annotations

import typing as t

from .._keyline import key_of
from ..._model import Execution, InputParameter, Level, PendingInput, Stage, Status, iso_from_millis, map_status

VENDOR = 'codearts'

# Run, stage, job and step statuses (the SDK models' enums; runs use a subset of the stage words).
STATUS_TABLE: t.Mapping[str, Status] = {
    'INIT': Status.QUEUED,
    'QUEUED': Status.QUEUED,
    'RUNNING': Status.RUNNING,
    'ASYNC_RUNNING': Status.RUNNING,
    'REDISPATCH': Status.RUNNING,
    'PAUSED': Status.WAITING,
    'SUSPEND': Status.WAITING,
    'COMPLETED': Status.SUCCEEDED,
    'FAILED': Status.FAILED,
    'ASYNC_FAILED': Status.FAILED,
    'CANCELED': Status.ABORTED,
    'SKIPPED': Status.SKIPPED,
    'IGNORED': Status.SKIPPED,
    'UNSELECTED': Status.SKIPPED,
}
# The manual review plugin; a step of it that has not ended waits for a person.
REVIEW_TASK = 'official_devcloud_checkpoint'
_OPEN = ('INIT', 'QUEUED', 'RUNNING', 'PAUSED', 'SUSPEND')


def stages_raw(node: t.Any) -> t.List[t.Dict[str, t.Any]]:
    stages = node.get('stages') if isinstance(node, dict) else None
    return [s for s in stages or [] if isinstance(s, dict)]


def _list(item: t.Mapping[str, t.Any], key: str) -> t.List[t.Dict[str, t.Any]]:
    return [x for x in item.get(key) or [] if isinstance(x, dict)]


def parameter_of(variable: t.Mapping[str, t.Any]) -> InputParameter:
    """A PipelineVariable (`limits` are its choices; `is_secret` ones are passwords)."""
    limits = [str(v) for v in variable.get('limits') or [] if v is not None]
    secret = bool(variable.get('is_secret'))
    value = variable.get('value')
    return InputParameter(name=str(variable.get('name')), type='password' if secret else ('choice' if limits else 'string'),
                          default=None if secret or value in (None, '') else str(value), choices=limits or None,
                          description=str(variable.get('description') or '') or None)


def gate_steps(node: t.Any) -> t.List[t.Dict[str, t.Any]]:
    """Every manual checkpoint (a stage's manual `pre` step) and manual review step, pending or not."""
    steps = []
    for stage in stages_raw(node):
        steps.extend(step for step in _list(stage, 'pre') if 'manual' in str(step.get('task') or '').lower())
        for job in _list(stage, 'jobs'):
            steps.extend(step for step in _list(job, 'steps') if step.get('task') == REVIEW_TASK)
    return steps


def gates_of(node: t.Mapping[str, t.Any]) -> t.List[PendingInput]:
    """Manual reviews (a review step of a job) and manual checkpoints (a stage's `pre` step) that wait."""
    if node.get('status') in ('COMPLETED', 'FAILED', 'CANCELED'):
        return []
    gates = []
    for stage in stages_raw(node):
        for step in _list(stage, 'pre'):
            # Only a manual trigger gates a stage; the automatic one (official_devcloud_autoTrigger) runs through.
            if 'manual' in str(step.get('task') or '').lower() and step.get('status') in ('RUNNING', 'PAUSED', 'SUSPEND') \
                    and step.get('id'):
                gates.append(PendingInput(id=str(step['id']), stage=str(stage.get('name')), kind='approval',
                                          message='manual checkpoint before stage %s' % stage.get('name')))
        for job in _list(stage, 'jobs'):
            for step in _list(job, 'steps'):
                if step.get('task') == REVIEW_TASK and step.get('status') in ('RUNNING', 'PAUSED', 'SUSPEND') \
                        and step.get('id') and job.get('id'):
                    gates.append(PendingInput(id=str(step['id']), stage=str(stage.get('name')), kind='approval',
                                              message='manual review %s in job %s' % (step.get('name'), job.get('name'))))
    return gates


def job_of(node: t.Mapping[str, t.Any], step_id: str) -> t.Optional[t.Dict[str, t.Any]]:
    """The job holding step `step_id`, None for a stage's pre/post step (a checkpoint)."""
    for stage in stages_raw(node):
        for job in _list(stage, 'jobs'):
            if any(str(s.get('id')) == step_id for s in _list(job, 'steps')):
                return job
    return None


def failed_step(node: t.Mapping[str, t.Any]) -> t.Optional[t.Tuple[t.Dict[str, t.Any], t.Dict[str, t.Any]]]:
    """(job, step) of the first failed step, else of the running one, else of the last one that ran."""
    candidates = []
    for stage in stages_raw(node):
        for job in _list(stage, 'jobs'):
            for step in _list(job, 'steps'):
                candidates.append((job, step))
    for wanted in (('FAILED',), ('RUNNING',), ('COMPLETED',)):
        found = [c for c in candidates if c[1].get('status') in wanted]
        if found:
            return found[0] if wanted != ('COMPLETED',) else found[-1]
    return None


def execution_of(node: t.Mapping[str, t.Any], pipeline: str) -> Execution:
    """A PipelineRunDetail as a record (stages in order; jobs and steps are in `raw`)."""
    started, ended = node.get('start_time'), node.get('end_time')
    stages = [Stage(id=str(s.get('id')), name=str(s.get('name')), status=map_status(STATUS_TABLE, s.get('status')),
                    vendor_status=s.get('status'), started_at=iso_from_millis(s.get('start_time')),
                    finished_at=iso_from_millis(s.get('end_time')))
              for s in sorted(stages_raw(node), key=lambda s: s.get('sequence') or 0)]
    status = map_status(STATUS_TABLE, node.get('status'))
    if status == Status.RUNNING and stages and all(s.vendor_status in ('QUEUED', 'INIT') for s in stages) \
            and any(s.vendor_status == 'QUEUED' for s in stages):
        status = Status.QUEUED  # held back by a concurrency limit: the run says RUNNING, its stages QUEUED
    gates = gates_of(node)
    if gates and status == Status.RUNNING:
        status = Status.WAITING  # a review or checkpoint waits although the run says RUNNING
    end_ok = isinstance(ended, (int, float)) and ended > 0 and status.terminal
    execution = Execution(
        vendor=VENDOR, pipeline=pipeline, id=None if node.get('id') is None else str(node['id']),
        number=node.get('run_number') if isinstance(node.get('run_number'), int) else None, status=status,
        vendor_status=node.get('status'), url=node.get('detail_url'), started_at=iso_from_millis(started),
        finished_at=iso_from_millis(ended) if end_ok else None,
        duration=round((ended - started) / 1000.0, 3) if end_ok and isinstance(started, (int, float)) and started > 0 else None,
        stages=stages, pending_inputs=gates, idempotency_key=key_of(node.get('description')),
        scope={'pipeline_id': node.get('pipeline_id')}, raw=dict(node),
        ended_epoch=ended / 1000.0 if end_ok else None, level=Level.FULL)
    return execution
