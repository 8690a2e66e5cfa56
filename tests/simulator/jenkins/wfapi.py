"""Pipeline Stage View REST (``wfapi``) documents and input-step identities.

RunExt/StageNodeExt/AtomFlowNodeExt/FlowNodeLogExt/PendingInputActionsExt field sets follow
pipeline-stage-view-plugin's ``rest-api``; hrefs are context-path relative. Started stages and
stages skipped for a restart are listed, and a finished Declarative build lists every stage (those
skipped after a failure too); a run paused at a gate is ``PAUSED_PENDING_INPUT`` and links its
pending inputs. Steps and their logs come from :mod:`.logs`.
"""
from __future__ import annotations

import hashlib
import html
import typing as t

from .. import engine as eng
from ..engine import Execution, StageRun
from ..scenario import GateSpec, ParameterSpec
from ..tree import Lazy
from .logs import Step, node_id, signed_in, skipped_for_failure, stage_steps, step_log_bytes
from .model import ms, param_definition, result_of
from .web import CONTEXT_PATH, Ctx, job_path

STAGE_STATUS = {eng.SKIPPED: 'NOT_EXECUTED', eng.RUNNING: 'IN_PROGRESS', eng.WAITING: 'PAUSED_PENDING_INPUT',
                eng.SUCCEEDED: 'SUCCESS', eng.UNSTABLE: 'UNSTABLE', eng.FAILED: 'FAILED', eng.ABORTED: 'ABORTED'}
RUN_STATUS = {'SUCCESS': 'SUCCESS', 'UNSTABLE': 'UNSTABLE', 'FAILURE': 'FAILED', 'ABORTED': 'ABORTED', 'NOT_BUILT': 'NOT_EXECUTED'}
# FlowNodeLogExt.MAX_RETURN_CHARS (system property ...FlowNodeLogExt.maxReturnChars): the tail served.
MAX_LOG_RETURN = 10 * 1024
_DEF = {'string': 'StringParameterDefinition', 'choice': 'ChoiceParameterDefinition', 'boolean': 'BooleanParameterDefinition',
        'password': 'PasswordParameterDefinition', 'text': 'TextParameterDefinition'}


def input_id(gate: GateSpec) -> str:
    """InputStep id: the explicit id or md5(message) in hex, first letter a-z upper-cased."""
    raw = gate.id if gate.id else hashlib.md5(gate.message.encode('utf-8'), usedforsecurity=False).hexdigest()
    return raw[0].upper() + raw[1:] if 'a' <= raw[0] <= 'z' else raw


def run_status(execution: Execution) -> str:
    """RunExt status (StatusExt)."""
    result = result_of(execution)
    if result is not None:
        return RUN_STATUS[result]
    return 'PAUSED_PENDING_INPUT' if execution.pending_gate() is not None else 'IN_PROGRESS'


def _pause(stage: StageRun, now: float) -> float:
    return stage.paused + ((now - stage.waiting_since) if stage.waiting_since is not None else 0.0)


def listed(execution: Execution, stage: StageRun) -> bool:
    """Whether Stage View lists the stage: it has a flow node (started, skipped for a restart, or
    skipped for failure in a finished Declarative build)."""
    return stage.status != eng.PENDING or skipped_for_failure(execution, stage)


def stage_json(ctx: Ctx, execution: Execution, index: int, stage: StageRun) -> dict[str, t.Any]:
    """StageNodeExt (without stageFlowNodes), as ChunkVisitor.handleChunkDone builds it.

    Skipped for a restart (NotExecutedNodeAction on the stage's nodes, so no executed node):
    NOT_EXECUTED with ``TimingInfo(0, 0, ...)`` and start time 0. Skipped for failure: the stage's
    nodes did execute and carry no error, so StatusAndTiming.computeChunkStatus2 answers SUCCESS,
    timed from its nodes (it starts when the build gave up and takes no simulated time).
    """
    now = ctx.engine.now()
    data: dict[str, t.Any] = {'_links': {'self': {'href': ctx.href(execution, 'execution/node/%s/wfapi/describe' % node_id(index))}},
                              'id': node_id(index), 'name': stage.name, 'execNode': ''}
    if stage.status == eng.SKIPPED:
        data.update({'status': 'NOT_EXECUTED', 'startTimeMillis': 0, 'durationMillis': 0, 'pauseDurationMillis': 0})
        return data
    if skipped_for_failure(execution, stage):
        data.update({'status': 'SUCCESS', 'startTimeMillis': ms(execution.finished_at), 'durationMillis': 0, 'pauseDurationMillis': 0})
        return data
    data['status'] = STAGE_STATUS[stage.status]
    if stage.status == eng.FAILED:
        data['error'] = {'message': stage.error or 'script returned exit code 1', 'type': 'hudson.AbortException'}
    end = stage.finished_at if stage.finished_at is not None else now
    data.update({'startTimeMillis': ms(stage.started_at), 'durationMillis': ms(end) - ms(stage.started_at),
                 'pauseDurationMillis': ms(_pause(stage, now))})
    return data


def _node_href(ctx: Ctx, execution: Execution, node: str, tail: str) -> str:
    return ctx.href(execution, 'execution/node/%s/%s' % (node, tail))


def step_json(ctx: Ctx, execution: Execution, step: Step, in_stage: bool) -> dict[str, t.Any]:
    """AtomFlowNodeExt of a step.

    ``in_stage``: as listed in a stage's ``stageFlowNodes`` (ChunkVisitor: chunk status such as
    IN_PROGRESS, links self/log/console); otherwise as ``execution/node/<id>/wfapi/describe``
    answers for an atom node (status from the node's own error only, links self/log).
    """
    now = ctx.engine.now()
    links: dict[str, t.Any] = {'self': {'href': _node_href(ctx, execution, step.id, 'wfapi/describe')},
                               'log': {'href': _node_href(ctx, execution, step.id, 'wfapi/log')}}
    if in_stage:
        links['console'] = {'href': _node_href(ctx, execution, step.id, 'log')}
        status = STAGE_STATUS[step.status]
    else:
        status = node_status(step)
    data: dict[str, t.Any] = {'_links': links, 'id': step.id, 'name': step.name, 'execNode': '', 'status': status}
    if step.error is not None:
        data['error'] = {'message': step.error, 'type': 'hudson.AbortException'}
    if step.description is not None:
        data['parameterDescription'] = step.description
    end = step.finished_at if step.finished_at is not None else now
    data.update({'startTimeMillis': ms(step.started_at), 'durationMillis': ms(end) - ms(step.started_at),
                 'pauseDurationMillis': ms(step.paused), 'parentNodes': [step.parent]})
    return data


def stage_flow_nodes(ctx: Ctx, execution: Execution, index: int, stage: StageRun) -> list[dict[str, t.Any]]:
    """``stageFlowNodes`` of a stage: its steps, oldest first."""
    return [step_json(ctx, execution, step, in_stage=True) for step in stage_steps(ctx, execution, index, stage)]


def node_status(step: Step) -> str:
    """StatusExt.valueOf(node.getError()): FAILED/ABORTED when the node carries an error, else SUCCESS (even while running)."""
    return {eng.FAILED: 'FAILED', eng.ABORTED: 'ABORTED'}.get(step.status, 'SUCCESS')


def node_log(ctx: Ctx, execution: Execution, node: str, step: Step | None) -> dict[str, t.Any]:
    """FlowNodeLogExt: the *tail* (last MAX_LOG_RETURN bytes) of a node's log, HTML-escaped.

    ``step`` None is a stage node: it has no LogAction, so no text and ``consoleUrl`` null.
    """
    if step is None:
        return {'nodeId': node, 'nodeStatus': 'SUCCESS', 'length': 0, 'hasMore': False, 'consoleUrl': None}
    raw = step_log_bytes(step)
    length = min(MAX_LOG_RETURN, len(raw))
    data: dict[str, t.Any] = {'nodeId': node, 'nodeStatus': node_status(step), 'length': length, 'hasMore': len(raw) > MAX_LOG_RETURN}
    if raw:
        # writeHtmlTo(logLen - length): an annotated (escaped) text starting at a byte offset, maybe mid-line.
        data['text'] = html.escape(raw[len(raw) - length:].decode('utf-8', 'replace'), quote=False)
    data['consoleUrl'] = _node_href(ctx, execution, node, 'log')
    return data


def run_json(ctx: Ctx, execution: Execution) -> dict[str, t.Any]:
    """RunExt for ``wfapi/describe``."""
    now = ctx.engine.now()
    status = run_status(execution)
    links: dict[str, t.Any] = {'self': {'href': ctx.href(execution, 'wfapi/describe')}}
    if execution.pending_gate() is not None:
        links['pendingInputActions'] = {'href': ctx.href(execution, 'wfapi/pendingInputActions')}
        links['nextPendingInputAction'] = {'href': ctx.href(execution, 'wfapi/nextPendingInputAction')}
    start = t.cast(float, execution.started_at)
    end = execution.finished_at if execution.finished_at is not None else now
    return {'_links': links, 'id': str(execution.number), 'name': '#%d' % t.cast(int, execution.number), 'status': status,
            'startTimeMillis': ms(start), 'endTimeMillis': ms(end), 'durationMillis': ms(end) - ms(start),
            'queueDurationMillis': ms(start) - ms(execution.submitted_at),
            'pauseDurationMillis': sum(ms(_pause(s, now)) for s in execution.stages),
            'stages': [stage_json(ctx, execution, i, s) for i, s in enumerate(execution.stages) if listed(execution, s)]}


def job_describe(ctx: Ctx, name: str) -> dict[str, t.Any]:
    """JobExt for ``/job/J/wfapi/describe``."""
    runs = ctx.engine.runs('jenkins', name)
    base = '%s/%s' % (CONTEXT_PATH, job_path(name))
    return {'_links': {'self': {'href': base + 'wfapi/describe'}, 'runs': {'href': base + 'wfapi/runs'}},
            'name': name.rsplit('/', 1)[-1], 'runCount': min(len(runs), 10)}


def input_definition(param: ParameterSpec) -> dict[str, t.Any]:
    """InputParameterDefExt entry of ``inputs``."""
    out: dict[str, t.Any] = {'type': _DEF[param.type], 'name': param.name}
    if param.description is not None:
        out['description'] = param.description
    # InputParameterDefExt.toDefinitionMap: Boolean -> isDefaultValue(); String (and Text, a subclass) -> getDefaultValue();
    # Password -> getDefaultValue(), which is Secret.toString: the default in clear text; Choice -> the first choice + choices.
    if param.type == 'choice':
        out['definition'] = {'defaultVal': param.default, 'choices': list(param.choices)}
    else:
        out['definition'] = {'defaultVal': param.default}
    return out


def pending_inputs(ctx: Ctx, execution: Execution) -> list[dict[str, t.Any]]:
    """PendingInputActionsExt list (``[]`` when nothing waits)."""
    stage = execution.pending_gate()
    if stage is None or stage.spec.gate is None:
        return []
    gate = stage.spec.gate
    ident = input_id(gate)
    return [{'id': ident, 'proceedText': gate.ok, 'message': gate.message,
             'inputs': [input_definition(p) for p in gate.parameters],
             'proceedUrl': ctx.href(execution, 'wfapi/inputSubmit?inputId=%s' % ident),
             'abortUrl': ctx.href(execution, 'input/%s/abort' % ident),
             'redirectApprovalUrl': ctx.href(execution, 'input/')}]


# -- InputAction / ApproverAction in a build's ``actions`` -------------------------------------------------------
INPUT_PACKAGE = 'org.jenkinsci.plugins.workflow.support.steps.input.'


def _input_step(gate: GateSpec) -> Lazy:
    """InputStep (``@ExportedBean(defaultVisibility = 2)``): ``{_class}`` until ``depth`` reaches it; its parameter
    definitions' ``defaultParameterValue`` (ParameterValue, visibility 3) is one level deeper still."""
    def full() -> dict[str, t.Any]:
        params = []
        for param in gate.parameters:
            definition = param_definition(param)
            value = definition['defaultParameterValue']
            definition['defaultParameterValue'] = Lazy({'_class': value['_class']}, lambda value=value: value)
            params.append(definition)
        # InputStep.setSubmitter: Util.fixEmptyAndTrim; getCancel defaults to Messages.abort ("Abort").
        return {'_class': INPUT_PACKAGE + 'InputStep', 'cancel': 'Abort', 'id': input_id(gate), 'message': gate.message,
                'ok': gate.ok, 'parameters': params, 'submitter': (gate.submitter or '').strip() or None, 'submitterParameter': None}
    return Lazy({'_class': INPUT_PACKAGE + 'InputStep'}, full)


def input_actions(ctx: Ctx, execution: Execution) -> list[Lazy]:
    """The build's InputAction (from the first input step's start on, never removed) and one ApproverAction per
    input approved by a signed-in user (``InputStepExecution.proceed``), in the order they were added.

    Both export at visibility 1, below what ``actions`` entries show at ``depth=0``, so there they are
    ``{_class}`` only. InputAction exports ``displayName`` ("Paused for Input" while it holds an input,
    else null), ``executions`` (the inputs still waiting: InputStepExecution, visibility 2: ``displayName``
    = the message cut at 32 characters + "...", ``id``, ``input``, ``settled``) and ``waitingForInput``;
    ApproverAction exports ``userId``.
    """
    started = [s for s in execution.stages if s.spec.gate is not None and s.status not in (eng.PENDING, eng.SKIPPED)]
    if not started:
        return []
    waiting = execution.pending_gate()
    executions = []
    if waiting is not None and waiting.spec.gate is not None:
        gate = waiting.spec.gate
        message = gate.message if len(gate.message) < 32 else gate.message[:32] + '...'
        executions.append({'displayName': message, 'id': input_id(gate), 'input': _input_step(gate), 'settled': False})
    action = {'_class': INPUT_PACKAGE + 'InputAction', 'displayName': 'Paused for Input' if executions else None,
              'executions': executions, 'waitingForInput': bool(executions)}
    out = [Lazy({'_class': action['_class']}, lambda: action)]
    for stage in sorted(started, key=lambda s: s.answer.at if s.answer is not None else float('inf')):
        answer = stage.answer
        if answer is not None and answer.approved and signed_in(answer.user):
            approver = {'_class': INPUT_PACKAGE + 'ApproverAction', 'userId': answer.user}
            out.append(Lazy({'_class': approver['_class']}, lambda approver=approver: approver))
    return out
