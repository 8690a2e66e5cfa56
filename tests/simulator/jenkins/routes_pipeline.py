"""Pipeline endpoints: Stage View ``wfapi``, the ``input`` step, declarative restart, replay/rebuild.

All of them exist only for pipeline jobs (WorkflowJob/WorkflowRun); a freestyle job gives 404,
as the actions are not attached there.
"""
from __future__ import annotations

import typing as t

from ..engine import Execution, StageRun, Trigger
from ..httpcore import Response, Router, json_response
from . import logs, model, wfapi
from .routes_core import API, JOB, RUN, find_pipeline, find_run, not_found, parameter_entries, submitted_json
from .web import (Ctx, HttpError, api_response, exception_page, failure, html_page, job_path, ok_empty, run_path,
                  wfapi_response)

RESTART_CLASS = 'org.jenkinsci.plugins.pipeline.modeldefinition.actions.RestartDeclarativePipelineAction'


# -- wfapi -------------------------------------------------------------------------------------------
def job_describe(ctx: Ctx) -> Response:
    """``/job/J/wfapi/describe``: JobExt."""
    spec = find_pipeline(ctx)
    if model.kind(spec) != 'pipeline':
        raise not_found(ctx)
    return wfapi_response(wfapi.job_describe(ctx, spec.name))


def job_runs(ctx: Ctx) -> Response:
    """``/job/J/wfapi/runs?since=#N``: newest first, at most 10."""
    spec = find_pipeline(ctx)
    if model.kind(spec) != 'pipeline':
        raise not_found(ctx)
    since, out = ctx.request.param('since'), []
    for execution in ctx.engine.runs('jenkins', spec.name)[:10]:
        out.append(wfapi.run_json(ctx, execution))
        if since and out[-1]['name'] == since:
            break
    return wfapi_response(out)


def run_describe(ctx: Ctx) -> Response:
    """``…/<n>/wfapi/describe[?fullStages=true]`` (also with a trailing slash, as python-jenkins asks)."""
    execution = find_run(ctx, pipeline_only=True)
    data = wfapi.run_json(ctx, execution)
    if (ctx.request.param('fullStages') or '').lower() == 'true':
        # RunAPI.doDescribe(fullStages): the unwrapped RunExt, whose stages carry their steps.
        for stage in data['stages']:
            index = next(i for i, s in enumerate(execution.stages) if wfapi.node_id(i) == stage['id'])
            stage['stageFlowNodes'] = wfapi.stage_flow_nodes(ctx, execution, index, execution.stages[index])
    return wfapi_response(data)


def _stage_node(execution: Execution, node: str) -> tuple[int, StageRun] | None:
    """The listed stage (see ``wfapi.listed``) whose flow-node id is ``node``."""
    for index, stage in enumerate(execution.stages):
        if wfapi.node_id(index) == node and wfapi.listed(execution, stage):
            return index, stage
    return None


def node_describe(ctx: Ctx) -> Response:
    """``…/<n>/execution/node/<id>/wfapi/describe``: a stage (StageNodeExt with its steps) or a step (AtomFlowNodeExt)."""
    execution = find_run(ctx, pipeline_only=True)
    node = t.cast(t.Any, ctx.request.match).group('node')
    found = _stage_node(execution, node)
    if found is not None:
        index, stage = found
        data = wfapi.stage_json(ctx, execution, index, stage)
        data['stageFlowNodes'] = wfapi.stage_flow_nodes(ctx, execution, index, stage)
        return wfapi_response(data)
    step = logs.find_step(ctx, execution, node)
    if step is not None:
        return wfapi_response(wfapi.step_json(ctx, execution, step[2], in_stage=False))
    raise not_found(ctx)


def node_log(ctx: Ctx) -> Response:
    """``…/<n>/execution/node/<id>/wfapi/log``: FlowNodeLogExt (tail of the node's log)."""
    execution = find_run(ctx, pipeline_only=True)
    node = t.cast(t.Any, ctx.request.match).group('node')
    if _stage_node(execution, node) is not None:
        return wfapi_response(wfapi.node_log(ctx, execution, node, None))
    step = logs.find_step(ctx, execution, node)
    if step is None:
        raise not_found(ctx)
    data = wfapi.node_log(ctx, execution, node, step[2])
    response = wfapi_response(data)
    if 'text' in data:
        # FlowNodeLogExt.create calls the step log's AnnotatedLargeText.writeHtmlTo, which sets the header on the current response.
        response.headers.append(('X-ConsoleAnnotator', logs.annotator_state(execution.id, node, data['length'])))
    return response


def run_artifacts(ctx: Ctx) -> Response:
    """``…/<n>/wfapi/artifacts``: RunAPI.doArtifacts, a BuildArtifactExt per ``Run.getArtifacts()``; scenarios archive none: ``[]``."""
    find_run(ctx, pipeline_only=True)
    return wfapi_response([])


def run_changesets(ctx: Ctx) -> Response:
    """``…/<n>/wfapi/changesets``: RunAPI.doChangesets, a ChangeSetExt per ``WorkflowRun.getChangeSets()``; no SCM here: ``[]``."""
    find_run(ctx, pipeline_only=True)
    return wfapi_response([])


def pending_input_actions(ctx: Ctx) -> Response:
    """``…/wfapi/pendingInputActions``."""
    return wfapi_response(wfapi.pending_inputs(ctx, find_run(ctx, pipeline_only=True)))


def next_pending_input_action(ctx: Ctx) -> Response:
    """``…/wfapi/nextPendingInputAction``: the first pending input or JSON ``null``."""
    pending = wfapi.pending_inputs(ctx, find_run(ctx, pipeline_only=True))
    return wfapi_response(pending[0] if pending else None)


def input_submit(ctx: Ctx) -> Response:
    """``POST …/wfapi/inputSubmit?inputId=ID`` with form ``json``: always proceeds; failures are HTTP 500."""
    execution = find_run(ctx, pipeline_only=True)
    ident = ctx.request.param('inputId') or ''
    stage = execution.pending_gate()
    if stage is None or stage.spec.gate is None or wfapi.input_id(stage.spec.gate) != ident:
        message = "%s #%d does not have an Input with an ID of '%s'. The input ID may not be pre-normalized appropriately." % (
            execution.pipeline, t.cast(int, execution.number), ident)
        return exception_page('javax.servlet.ServletException', message, ctx.request)
    try:
        _proceed(ctx, execution, stage)
    except HttpError as exc:
        raise HttpError(exception_page('javax.servlet.ServletException', 'Error processing Input Submit request.', ctx.request)) from exc
    return wfapi_response(None)


# -- input step -----------------------------------------------------------------------------------
def _pending_stage(ctx: Ctx, execution: Execution, ident: str) -> StageRun:
    """The gate waiting under ``ident``; settled or unknown inputs are gone from InputAction (404)."""
    stage = execution.pending_gate()
    if stage is not None and stage.spec.gate is not None and wfapi.input_id(stage.spec.gate) == ident:
        return stage
    settled = any(s.answer is not None and s.spec.gate is not None and wfapi.input_id(s.spec.gate) == ident for s in execution.stages)
    if settled and ctx.config.settled_input_status == 400:
        raise HttpError(failure('This input has been already given'))
    raise not_found(ctx)


def may_settle(ctx: Ctx, submitter: str | None) -> bool:
    """InputStepExecution.canSettle for the request's user.

    No ``submitter`` (InputStep.setSubmitter: ``Util.fixEmptyAndTrim``): Job/Build, which every user
    has. Otherwise Overall/Administer may always answer; else the user id, then each authority
    (``authenticated`` and the user's groups), is compared with each comma-separated entry, trimmed,
    by the realm's IdStrategy: the default ``IdStrategy.CASE_INSENSITIVE`` (``toLowerCase``) for users
    and, as ``getGroupIdStrategy`` defaults to it, for groups.
    """
    wanted = (submitter or '').strip()
    if not wanted:
        return True
    user = ctx.config.user(ctx.user)
    if user is not None and user.admin:
        return True
    entries = {entry.strip().lower() for entry in wanted.split(',')}
    authorities = ('authenticated',) + (user.groups if user is not None else ())
    return ctx.user.lower() in entries or any(group.lower() in entries for group in authorities)


def _check_submitter(ctx: Ctx, stage: StageRun) -> None:
    """preSubmissionCheck: ``hudson.model.Failure`` (400 + ``X-Error``) when the user may not answer."""
    submitter = t.cast(t.Any, stage.spec.gate).submitter
    if not may_settle(ctx, submitter):
        raise HttpError(failure('You need to be %s to submit this.' % str(submitter).strip()))


def _proceed(ctx: Ctx, execution: Execution, stage: StageRun) -> None:
    _check_submitter(ctx, stage)
    values = parameter_entries(ctx, t.cast(t.Any, stage.spec.gate).parameters, submitted_json(ctx))
    ctx.engine.answer_gate(execution, True, values, ctx.user)


def input_action(ctx: Ctx) -> Response:
    """``POST …/input/<ID>/proceed|proceedEmpty|abort|submit``."""
    execution = find_run(ctx, pipeline_only=True)
    match = t.cast(t.Any, ctx.request.match)
    stage = _pending_stage(ctx, execution, match.group('input'))
    operation = match.group('op')
    if operation == 'submit':
        if ctx.request.param('proceed') is not None:
            _proceed(ctx, execution, stage)
        else:
            ctx.engine.answer_gate(execution, False, None, ctx.user)
        return ctx.redirect_to(run_path(execution) + 'console')
    if operation == 'proceed':
        _proceed(ctx, execution, stage)
    elif operation == 'proceedEmpty':
        _check_submitter(ctx, stage)
        ctx.engine.answer_gate(execution, True, {}, ctx.user)
    else:
        ctx.engine.answer_gate(execution, False, None, ctx.user)
    return ok_empty()


def input_page(ctx: Ctx) -> Response:
    """``…/input/``: the HTML form listing pending inputs."""
    execution = find_run(ctx, pipeline_only=True)
    return html_page('Paused for Input', '\n'.join(p['message'] for p in wfapi.pending_inputs(ctx, execution)))


# -- restart from stage ----------------------------------------------------------------------------
def _restartable(ctx: Ctx) -> Execution:
    """The run if RestartDeclarativePipelineAction is enabled (declarative, finished, job buildable), else 404."""
    execution = find_run(ctx, pipeline_only=True)
    if not execution.spec.declarative or not execution.terminal or execution.spec.disabled:
        raise not_found(ctx)
    return execution


def _restart(ctx: Ctx, execution: Execution, stage_name: str | None) -> str | None:
    """Schedule the restarted build; an error message (as the plugin words it) when refused."""
    if not stage_name:
        return 'Stage name cannot be null or an empty string.'
    index = execution.spec.stage_index(stage_name)
    if index is None or stage_name not in ctx.engine.restartable_stages(execution):
        return 'Stage %s is not present in the top-level stages for %s #%d, so cannot be restarted.' % (
            stage_name, execution.pipeline, t.cast(int, execution.number))
    trigger = Trigger(kind='restart', user=ctx.user, origin_id=execution.id, origin_number=execution.number, stage=stage_name)
    # scheduleBuild2(job, 0, ...): no quiet period, never folded into a queued item.
    ctx.engine.submit(execution.spec, dict(execution.parameters), trigger, delay=0.0, start_stage=index)
    return None


def restart_api(ctx: Ctx) -> Response:
    """``…/restart/api/json``."""
    execution = _restartable(ctx)
    return api_response(ctx, {'_class': RESTART_CLASS, 'restartEnabled': True, 'restartableStages': ctx.engine.restartable_stages(execution)})


def restart_form(ctx: Ctx) -> Response:
    """``POST …/restart/restart`` with form ``json={"stageName": S}``: 302 to the job."""
    execution = _restartable(ctx)
    error = _restart(ctx, execution, submitted_json(ctx).get('stageName'))
    if error:
        return failure('Failure restarting from stage: java.lang.IllegalStateException: ' + error)
    return ctx.redirect_to(job_path(execution.pipeline))


def restart_pipeline(ctx: Ctx) -> Response:
    """``POST …/restart/restartPipeline?stageName=S``: okJSON envelope with string booleans."""
    execution = _restartable(ctx)
    error = _restart(ctx, execution, ctx.request.param('stageName'))
    data = {'success': 'true', 'message': 'ok'} if error is None else {
        'success': 'false', 'message': 'Failure restarting from stage: java.lang.IllegalStateException: ' + error}
    return json_response({'status': 'ok', 'data': data}, content_type='application/json;charset=UTF-8')


def restart_page(ctx: Ctx) -> Response:
    """``…/restart/``: the HTML form."""
    return html_page('Restart from Stage', '\n'.join(ctx.engine.restartable_stages(_restartable(ctx))))


# -- replay / rebuild -------------------------------------------------------------------------------
def replay(ctx: Ctx) -> Response:
    """``POST …/replay/rebuild`` (same script) or ``…/replay/run`` (edited script): new build, 302 to the job.

    Both refuse a build that has password parameters (``hudson.model.Failure``: 400 + ``X-Error``).
    """
    execution = find_run(ctx, pipeline_only=True)
    if execution.spec.disabled:
        raise not_found(ctx)
    rebuild = ctx.request.path.rstrip('/').endswith('/rebuild')
    if not rebuild:
        submitted_json(ctx)  # the edited script arrives as form json; its content does not matter here
    # ReplayAction.run2 (called by doRun and doRebuild): a build with a PasswordParameterValue is refused.
    if any(p.secret for p in execution.spec.parameters):
        return failure('Replay is not allowed when password parameters are used.')
    trigger = Trigger(kind='rebuild' if rebuild else 'replay', user=ctx.user, origin_id=execution.id, origin_number=execution.number)
    ctx.engine.submit(execution.spec, dict(execution.parameters), trigger, delay=0.0)
    return ctx.redirect_to(job_path(execution.pipeline))


def register(router: Router) -> None:
    """Add the pipeline routes, each labelled with its operation name (request log, fault filters)."""
    router.add('GET', JOB + r'/wfapi(?:/describe)?/?', job_describe, 'job.describe')
    router.add('GET', JOB + r'/wfapi/runs/?', job_runs, 'runs')
    router.add('GET', RUN + r'/wfapi(?:/describe)?/?', run_describe, 'describe')
    router.add('GET', RUN + r'/execution/node/(?P<node>[0-9]+)/wfapi(?:/describe)?/?', node_describe, 'node.describe')
    router.add('GET', RUN + r'/execution/node/(?P<node>[0-9]+)/wfapi/log/?', node_log, 'node.log')
    router.add('GET', RUN + r'/wfapi/artifacts/?', run_artifacts, 'artifacts')
    router.add('GET', RUN + r'/wfapi/changesets/?', run_changesets, 'changesets')
    router.add('GET', RUN + r'/wfapi/pendingInputActions/?', pending_input_actions, 'pendingInputActions')
    router.add('GET', RUN + r'/wfapi/nextPendingInputAction/?', next_pending_input_action, 'nextPendingInputAction')
    router.add('POST', RUN + r'/wfapi/inputSubmit/?', input_submit, 'inputSubmit')
    router.add('GET', RUN + r'/input/?', input_page, 'input.page')
    router.add('POST', RUN + r'/input/(?P<input>[^/]+)/(?P<op>proceed|proceedEmpty|abort|submit)/?', input_action,
               lambda match: 'input.' + match.group('op'))
    router.add('GET', RUN + r'/restart/?', restart_page, 'restart.page')
    router.add('GET', RUN + r'/restart' + API, restart_api, 'restart.api')
    router.add('POST', RUN + r'/restart/restart/?', restart_form, 'restart')
    router.add('POST', RUN + r'/restart/restartPipeline/?', restart_pipeline, 'restartPipeline')
    router.add('POST', RUN + r'/replay/(?:rebuild|run)/?', replay, lambda match: 'rebuild' if match.group(0).rstrip('/').endswith('/rebuild') else 'replay')
