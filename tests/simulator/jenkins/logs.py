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
A gate stage has an ``input`` step (its message and "Proceed or Abort", or "Input requested" when
it has parameters; "Approved by ..." once approved) and, once approved, the ``sh`` step for its
``duration``. The build ends with ``[Pipeline] End of Pipeline``, the cause of a failure
(``ERROR: script returned exit code 1``), of a stop (``Aborted by ...``) or of a rejected input
(``Rejected by ...``) and ``Finished: RESULT``. ``progressiveHtml`` wraps each step's output in
``<span class="pipeline-node-ID">`` (see :func:`console_html`). Freestyle builds print only the commands and
their output. Parameter values are never printed, so a password cannot leak into a log.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import typing as t

from .. import engine as eng
from ..engine import Execution, StageRun
from . import model
from ..httpcore import Response
from .web import Ctx, oops_page

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
    # InputStepExecution.start: without parameters the message and "<ok> or <cancel>" (POST links to
    # proceedEmpty / abort; the cancel caption defaults to Messages.abort), with parameters only a link
    # "Input requested". proceed() prints "Approved by <user>" for a signed-in user (User.current()
    # is null for anonymous); a rejection prints nothing here (the build's end names the Rejection).
    lines = ['Input requested'] if gate.parameters else [gate.message, '%s or Abort' % gate.ok]
    if answer is not None and answer.approved and signed_in(answer.user):
        lines.append('Approved by %s' % model.ctx_full_name(ctx, t.cast(str, answer.user)))
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


def signed_in(user: str | None) -> bool:
    """Whether ``user`` is a real user: ``User.current()`` is null for anonymous (and history gates have no user)."""
    return user is not None and user != 'anonymous'


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


Segment = t.Tuple[t.Optional[str], str]  # (flow-node id of the step that printed the line, or None for the build's own output; line)


def console_segments(ctx: Ctx, execution: Execution) -> list[Segment]:
    """The whole console log of a build so far, line by line, each line with the step that printed it.

    FileLogStorage keeps that attribution in ``log-index`` (a byte offset and a node id at each change
    of writer): step output comes from the step's node listener, the ``[Pipeline]`` lines, causes,
    Declarative's skip messages (``Utils.logToTaskListener``) and the build's end from the build's own
    listener. Freestyle builds have no steps (every line is the build's own).
    """
    causes = model.cause_action(ctx, execution)['causes']
    lines: list[Segment] = [(None, c['shortDescription']) for c in causes]
    pipeline = model.kind(execution.spec) == 'pipeline'

    def own(*texts: str) -> None:
        lines.extend((None, text) for text in texts)

    if pipeline:
        own('[Pipeline] Start of Pipeline')
    for index, stage in enumerate(execution.stages):
        if skipped_for_failure(execution, stage):
            own('[Pipeline] stage', '[Pipeline] { (%s)' % stage.name, 'Stage "%s" skipped due to earlier failure(s)' % stage.name,
                '[Pipeline] }', '[Pipeline] // stage')
            continue
        if stage.status == eng.PENDING:
            continue
        if not pipeline:
            for step in stage_steps(ctx, execution, index, stage):
                if step.function == 'sh':
                    own(*step.lines)
            continue
        own('[Pipeline] stage', '[Pipeline] { (%s)' % stage.name)
        if stage.status == eng.SKIPPED:
            own('Stage "%s" skipped due to this build restarting at stage "%s"' % (stage.name, execution.trigger.stage))
        for step in stage_steps(ctx, execution, index, stage):
            own('[Pipeline] %s' % step.function)
            lines.extend((step.id, text) for text in step.lines)
        if stage.finished_at is not None:
            own('[Pipeline] }', '[Pipeline] // stage')
    result = model.result_of(execution)
    if result is None:
        return lines
    if pipeline:
        own('[Pipeline] End of Pipeline')
    rejected = next((s.answer for s in execution.stages if s.answer is not None and not s.answer.approved), None)
    if execution.reason == 'stopped':
        own('Aborted by %s' % model.ctx_full_name(ctx, execution.ended_by or 'anonymous'))
    elif execution.reason == 'rejected' and rejected is not None:
        # FlowInterruptedException.handle prints each CauseOfInterruption: Rejection says "Rejected by <user>" ("Rejected" without one).
        own('Rejected by %s' % model.ctx_full_name(ctx, t.cast(str, rejected.user)) if signed_in(rejected.user) else 'Rejected')
    elif execution.state == eng.FAILED:
        failed = next((s for s in execution.stages if s.status == eng.FAILED), None)
        error = (failed.error if failed is not None else None) or 'script returned exit code 1'
        own('ERROR: %s' % error if pipeline else "Build step 'Execute shell' marked build as failure")
    own('Finished: %s' % result)
    return lines


def console_lines(ctx: Ctx, execution: Execution) -> list[str]:
    """The whole console log of a build so far, line by line."""
    return [text for _node, text in console_segments(ctx, execution)]


def console_bytes(ctx: Ctx, execution: Execution) -> bytes:
    """The console log as stored by Jenkins: UTF-8, LF line ends, a final newline."""
    return ('\n'.join(console_lines(ctx, execution)) + '\n').encode('utf-8')


def step_log_bytes(step: Step) -> bytes:
    """A step's own log (what its LogAction serves)."""
    return ('\n'.join(step.lines) + '\n').encode('utf-8') if step.lines else b''


# -- logText/progressiveText and progressiveHtml -------------------------------------------------------
_LONG_LIMIT = 2 ** 63


def parse_start(raw: str | None) -> int | None:
    """``start`` as ``Long.parseLong`` reads it (0 when absent); None where Java throws NumberFormatException
    (anything but an optional sign and digits, or outside the range of a long)."""
    if raw is None:
        return 0
    if re.fullmatch(r'[+-]?[0-9]+', raw) is None:
        return None
    value = int(raw)
    return value if -_LONG_LIMIT <= value < _LONG_LIMIT else None


def annotator_state(*key: t.Any) -> str:
    """An ``X-ConsoleAnnotator`` value: Jenkins sends the serialized, encrypted ConsoleAnnotator state in base64
    for the client to send back; here an opaque, deterministic base64 token (no annotator has any state)."""
    seed = ':'.join(str(k) for k in key).encode('utf-8')
    return base64.b64encode(hashlib.sha256(b'annotator:' + seed).digest() + hashlib.sha256(seed).digest()).decode('ascii')


def _decoded(data: bytes) -> str:
    # WriterOutputStream decodes with CodingErrorAction.REPLACE: a start in the middle of a character gives U+FFFD.
    return data.decode('utf-8', 'replace')


def console_html(segments: t.Sequence[Segment], start: int) -> str:
    """The log from byte ``start`` as FileLogStorage's ``overallLog(...).writeHtmlTo`` writes it.

    Text is escaped for ``<pre>`` (``MarkupText.toString(true)`` -> ``Util.xmlEscape``: ``&``, ``<``,
    ``>``). While copying bytes it reads ``log-index`` in step: at each change of writer at or after
    ``start`` it closes the previous step's block (``LogStorage.endStep()``, ``</span>``) and opens the
    next step's (``<span class="pipeline-node-ID">``); output of the build's own listener is not wrapped.
    A step's output that began before ``start`` is therefore not wrapped, and the final flush closes a
    block when the last index entry read names a step (so a read from the middle of the running step's
    output ends with a lone ``</span>``).
    """
    data = b''
    transitions: list[tuple[int, str | None]] = []
    previous: str | None = None
    for node, text in segments:
        if node != previous:
            transitions.append((len(data), node))
            previous = node
        data += (text + '\n').encode('utf-8')
    if start >= len(data):
        return ''  # nothing is written, so the index is never read and the flush adds nothing
    pending = [tr for tr in transitions if tr[0] >= start]
    pieces: list[str] = []
    cursor, opened = start, False
    last: str | None = transitions[-1][1] if transitions and not pending else None
    for offset, node in pending:
        pieces.append(html.escape(_decoded(data[cursor:offset]), quote=False))
        cursor = offset
        if opened:
            pieces.append('</span>')
        opened = node is not None
        if node is not None:
            pieces.append('<span class="pipeline-node-%s">' % node)
        last = node
    pieces.append(html.escape(_decoded(data[cursor:]), quote=False))
    if last is not None:
        pieces.append('</span>')
    return ''.join(pieces)


def progressive(ctx: Ctx, execution: Execution, as_html: bool) -> Response:
    """``logText/progressiveText`` and ``logText/progressiveHtml`` (AnnotatedLargeText, LargeText.doProgressText).

    ``start`` (default 0) is a byte offset into the stored log; beyond its length it is reset to 0
    ("text rolled over"). The answer is 200 with the text from there (line ends sent as CRLF by
    LineEndNormalizingWriter), ``X-Text-Size`` = the offset to ask for next (the stored length: every
    line here is complete) and ``X-More-Data: true`` while the build runs. ``start`` that is not a long
    (NumberFormatException) or is negative (the log file cannot seek before 0: IOException) fails with an
    uncaught exception, which Jenkins answers with its 500 "Oops!" page. The HTML flavour escapes the text,
    wraps step output (see :func:`console_html`) and sends ``X-ConsoleAnnotator``; a freestyle build's log
    (``Run.getLogText``, no log index) is escaped without step blocks.
    """
    start = parse_start(ctx.request.param('start'))
    if start is None or start < 0:
        return oops_page(500)
    segments = console_segments(ctx, execution)
    data = ''.join(text + '\n' for _node, text in segments).encode('utf-8')
    if start > len(data):
        start = 0
    if as_html:
        pipeline = model.kind(execution.spec) == 'pipeline'
        text = console_html(segments if pipeline else [(None, line) for _node, line in segments], start)
        headers = [('Content-Type', 'text/html;charset=UTF-8'), ('X-ConsoleAnnotator', annotator_state(execution.id, len(data)))]
    else:
        text = _decoded(data[start:])
        headers = [('Content-Type', 'text/plain;charset=UTF-8')]
    headers.append(('X-Text-Size', str(len(data))))
    if not execution.terminal:
        headers.append(('X-More-Data', 'true'))
    return Response(200, text.replace('\n', '\r\n').encode('utf-8'), headers)
