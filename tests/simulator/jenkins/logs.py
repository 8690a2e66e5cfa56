"""Deterministic build logs: the console log of a build and the logs of its steps (flow nodes).

One model feeds ``consoleText``, ``console``, ``logText/progressiveText`` and the Stage View
step nodes (``stageFlowNodes``, ``execution/node/<id>/wfapi/describe|log``), so all of them
always tell the same story. The log is a pure function of the execution and the simulated
time: the same history gives the same bytes.

Shape of a pipeline stage (ids: stage node ``6 + 7 * index``, its body ``+1``, steps ``+2``..)::

    [Pipeline] stage
    [Pipeline] { (Test)
    [Pipeline] echo
    Running stage Test                  <- step "Print Message" (its node log)
    [Pipeline] sh
    + ./ci/test.sh                      <- step "Shell Script": the command, ``log_lines``
    Test: line 1 of 3                      filler lines (printed in proportion to the elapsed
    ...                                    stage time while it runs), and on failure
    ERROR: Test failed                     this line
    [Pipeline] }
    [Pipeline] // stage

A finished Declarative build also enters each stage it did not reach after a failure or an abort
(``[Pipeline] { (Deploy)``, ``Stage "Deploy" skipped due to earlier failure(s)``, ``[Pipeline] }``).
A gate stage has an ``input`` step (message, "Proceed or Abort", who settled it) and, once
approved, the ``sh`` step for its ``duration``. The build ends with ``[Pipeline] End of
Pipeline``, the cause of a failure (``ERROR: script returned exit code 1``) or of a stop
(``Aborted by ...``) and ``Finished: RESULT``. Freestyle builds print only the commands and
their output. Parameter values are never printed, so a password cannot leak into a log.
"""
from __future__ import annotations

import dataclasses
import re

from .. import engine as eng
from ..engine import Execution, StageRun
from . import model
from .web import Ctx

FAILED_STEP_ERROR = 'hudson.AbortException'


@dataclasses.dataclass
class Step:
    """One step (atom flow node) of a stage, with its own log lines."""

    id: str
    function: str                 # the Pipeline step function (``[Pipeline] sh``)
    name: str                     # its display name in Stage View ("Shell Script")
    description: str | None       # Stage View ``parameterDescription``
    status: str                   # engine status word (running, waiting, succeeded, failed, ...)
    started_at: float
    finished_at: float | None
    parent: str
    lines: list[str]
    paused: float = 0.0
    error: str | None = None


def _slug(name: str) -> str:
    return re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'stage'


def _work_lines(stage: StageRun, started: float, now: float) -> list[str]:
    """The command's output: all ``log_lines`` once completed, else in proportion to the time it ran (until now or the abort)."""
    total = stage.spec.log_lines
    if stage.status in (eng.SUCCEEDED, eng.UNSTABLE, eng.FAILED) or stage.spec.duration <= 0:
        shown = total
    else:
        end = stage.finished_at if stage.finished_at is not None else now
        shown = min(total, int(total * max(end - started, 0.0) / stage.spec.duration))
    lines = ['%s: line %d of %d' % (stage.name, i, total) for i in range(1, shown + 1)]
    if stage.status == eng.FAILED:
        lines.append('ERROR: %s failed' % stage.name)
    elif stage.status == eng.UNSTABLE:
        lines.append('WARNING: %s found problems; marking the build UNSTABLE' % stage.name)
    elif stage.status == eng.ABORTED:
        lines.append('Sending interrupt signal to process')
    return lines


def _shell(stage: StageRun, step_id: int, parent: int, started: float, now: float) -> Step:
    command = './ci/%s.sh' % _slug(stage.name)
    return Step(id=str(step_id), function='sh', name='Shell Script', description=command, status=stage.status,
                started_at=started, finished_at=stage.finished_at, parent=str(parent),
                lines=['+ ' + command] + _work_lines(stage, started, now),
                error=(stage.error or 'script returned exit code 1') if stage.status == eng.FAILED else None)


def stage_steps(ctx: Ctx, execution: Execution, index: int, stage: StageRun) -> list[Step]:
    """The steps a started stage has run so far (none for a stage skipped by a restart)."""
    if stage.status in (eng.PENDING, eng.SKIPPED) or stage.started_at is None:
        return []
    now = ctx.engine.now()
    base = int(node_id(index))
    gate = stage.spec.gate
    if gate is None:
        echo = Step(id=str(base + 2), function='echo', name='Print Message', description='Running stage %s' % stage.name,
                    status=eng.SUCCEEDED, started_at=stage.started_at, finished_at=stage.started_at, parent=str(base + 1),
                    lines=['Running stage %s' % stage.name])
        return [echo, _shell(stage, base + 3, base + 2, stage.started_at, now)]
    answer = stage.answer
    lines = [gate.message, 'Proceed or Abort']
    if answer is not None:
        who = model.ctx_full_name(ctx, answer.user or 'anonymous')
        lines.append(('Approved by %s' if answer.approved else 'Aborted by %s') % who)
    elif stage.status == eng.ABORTED and execution.reason == 'expired':
        lines.append('Timeout has been exceeded')
    if stage.status == eng.WAITING:
        status, finished = eng.WAITING, None
    elif answer is not None and answer.approved:
        status, finished = eng.SUCCEEDED, answer.at
    else:
        status, finished = eng.ABORTED, stage.finished_at
    paused = stage.paused + ((now - stage.waiting_since) if stage.waiting_since is not None else 0.0)
    steps = [Step(id=str(base + 2), function='input', name='Wait for interactive input', description=gate.message, status=status,
                  started_at=stage.started_at, finished_at=finished, parent=str(base + 1), lines=lines, paused=paused)]
    if answer is not None and answer.approved:
        steps.append(_shell(stage, base + 3, base + 2, answer.at, now))
    return steps


def skipped_for_failure(execution: Execution, stage: StageRun) -> bool:
    """A stage a finished Declarative build did not reach because an earlier stage failed or the build was
    aborted: ModelInterpreter still enters it (``skipStage``, tag ``SKIPPED_FOR_FAILURE``) and only logs
    'Stage "X" skipped due to earlier failure(s)'. Scripted pipelines never create such stages."""
    return (stage.status == eng.PENDING and execution.spec.declarative and model.kind(execution.spec) == 'pipeline'
            and execution.started_at is not None and execution.finished_at is not None)


def node_id(index: int) -> str:
    """Stable flow-node id of the n-th stage (Jenkins ids are small integers as strings); its steps follow it."""
    return str(6 + 7 * index)


def find_step(ctx: Ctx, execution: Execution, node: str) -> tuple[int, StageRun, Step] | None:
    """The step with flow-node id ``node``, if the build has run it."""
    for index, stage in enumerate(execution.stages):
        for step in stage_steps(ctx, execution, index, stage):
            if step.id == node:
                return index, stage, step
    return None


def console_lines(ctx: Ctx, execution: Execution) -> list[str]:
    """The whole console log of a build so far, line by line."""
    causes = model.cause_action(ctx, execution)['causes']
    lines = [c['shortDescription'] for c in causes]
    pipeline = model.kind(execution.spec) == 'pipeline'
    if pipeline:
        lines.append('[Pipeline] Start of Pipeline')
    for index, stage in enumerate(execution.stages):
        if skipped_for_failure(execution, stage):
            lines += ['[Pipeline] stage', '[Pipeline] { (%s)' % stage.name, 'Stage "%s" skipped due to earlier failure(s)' % stage.name,
                      '[Pipeline] }', '[Pipeline] // stage']
            continue
        if stage.status == eng.PENDING:
            continue
        if not pipeline:
            for step in stage_steps(ctx, execution, index, stage):
                if step.function == 'sh':
                    lines += step.lines
            continue
        lines += ['[Pipeline] stage', '[Pipeline] { (%s)' % stage.name]
        if stage.status == eng.SKIPPED:
            lines.append('Stage "%s" skipped due to this build restarting at stage "%s"' % (stage.name, execution.trigger.stage))
        for step in stage_steps(ctx, execution, index, stage):
            lines.append('[Pipeline] %s' % step.function)
            lines += step.lines
        if stage.finished_at is not None:
            lines += ['[Pipeline] }', '[Pipeline] // stage']
    result = model.result_of(execution)
    if result is None:
        return lines
    if pipeline:
        lines.append('[Pipeline] End of Pipeline')
    if execution.reason == 'stopped':
        lines.append('Aborted by %s' % model.ctx_full_name(ctx, execution.ended_by or 'anonymous'))
    elif execution.state == eng.FAILED:
        failed = next((s for s in execution.stages if s.status == eng.FAILED), None)
        error = (failed.error if failed is not None else None) or 'script returned exit code 1'
        lines.append('ERROR: %s' % error if pipeline else "Build step 'Execute shell' marked build as failure")
    lines.append('Finished: %s' % result)
    return lines


def console_bytes(ctx: Ctx, execution: Execution) -> bytes:
    """The console log as stored by Jenkins: UTF-8, LF line ends, a final newline."""
    return ('\n'.join(console_lines(ctx, execution)) + '\n').encode('utf-8')


def step_log_bytes(step: Step) -> bytes:
    """A step's own log (what its LogAction serves)."""
    return ('\n'.join(step.lines) + '\n').encode('utf-8') if step.lines else b''
