"""Core Jenkins endpoints: root, crumb issuer, whoami, queue, jobs, build triggers, builds, stop.

Every handler takes a :class:`~.web.Ctx` (authenticated request) and returns a Response;
helpers raise :class:`~.web.HttpError` to answer with an error page.
"""
from __future__ import annotations

import json
import typing as t

from .. import engine as eng
from ..engine import Execution, Trigger
from ..httpcore import Response, Router
from ..scenario import ParameterSpec, PipelineSpec
from . import logs, model
from .web import Ctx, HttpError, StaplerRequest, api_response, error_page, exception_page, html_page, job_name_from_path, oops_page, run_path

JOB = r'(?P<job>(?:/job/[^/]+)+)'
PERMALINKS = 'lastBuild|lastCompletedBuild|lastSuccessfulBuild|lastStableBuild|lastFailedBuild|lastUnstableBuild|lastUnsuccessfulBuild'
RUN = JOB + r'/(?P<run>[0-9]+|%s)' % PERMALINKS
API = r'/api/(?P<fmt>json|python)/?'
# Api.doJson / doPython do not look at the method: a POST is answered like a GET (CrumbFilter still
# wants a crumb for it unless the request is authenticated by API token).
DATA_API = ('GET', 'POST')


# -- lookups shared with routes_pipeline -------------------------------------------------------
def not_found(ctx: Ctx) -> HttpError:
    """The 404 every unknown item gives."""
    return HttpError(error_page(404, 'Not Found', ctx.request))


def find_job(ctx: Ctx) -> tuple[str, PipelineSpec | None]:
    """(full name, spec) of the matched ``/job/...`` path; spec None for a folder; 404 if unknown."""
    name = job_name_from_path(t.cast(t.Any, ctx.request.match).group('job'))
    items = ctx.items()
    if name not in items:
        raise not_found(ctx)
    return name, items[name]


def find_pipeline(ctx: Ctx) -> PipelineSpec:
    """The matched job (not a folder)."""
    spec = find_job(ctx)[1]
    if spec is None:
        raise not_found(ctx)
    return spec


def find_run(ctx: Ctx, pipeline_only: bool = False) -> Execution:
    """The matched build (number or permalink); 404 if unknown (or not a pipeline when required)."""
    spec = find_pipeline(ctx)
    if pipeline_only and model.kind(spec) != 'pipeline':
        raise not_found(ctx)
    ref = t.cast(t.Any, ctx.request.match).group('run')
    found = ctx.engine.by_number('jenkins', spec.name, int(ref)) if ref.isdigit() else model.permalink(ctx, spec, ref)
    if found is None:
        raise not_found(ctx)
    return found


def back_to_previous(ctx: Ctx, execution: Execution) -> Response:
    """``HttpResponses.forwardToPreviousPage()``: 302 to the Referer, else to the build."""
    referer = ctx.request.header('Referer')
    if referer:
        return Response(302, b'', [('Location', referer)])
    return ctx.redirect_to(run_path(execution))


def coerce_value(ctx: Ctx, param: ParameterSpec, value: t.Any) -> t.Any:
    """Typed parameter value; an illegal choice is the IllegalArgumentException Jenkins throws (500)."""
    value = param.coerce(value)
    if param.type == 'choice' and value not in param.choices:
        raise HttpError(exception_page('java.lang.IllegalArgumentException', 'Illegal choice for parameter %s: %s' % (param.name, value), ctx.request))
    return value


def submitted_json(ctx: Ctx) -> dict[str, t.Any]:
    """``StaplerRequest.getSubmittedForm()``: the ``json`` form field, 400 when absent, 500 when not JSON.

    For a ``multipart/*`` body only its ``json`` part counts (not the query's); otherwise the ``json``
    parameter of the query or the URL-encoded body. Without one: 400 "This page expects a form
    submission" when something was submitted (any parameter, or any multipart body), else "Nothing is submitted".
    """
    request = ctx.request
    parts = request.multipart() if isinstance(request, StaplerRequest) else None
    if parts is not None:
        raw: str | None = parts['json'][0].decode('utf-8', 'replace') if 'json' in parts else None
        submitted = True
    else:
        raw = request.param('json')
        submitted = bool(request.params())
    if not raw:
        raise HttpError(error_page(400, 'This page expects a form submission' if submitted else 'Nothing is submitted', request))
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise HttpError(exception_page('javax.servlet.ServletException', 'Failed to parse JSON:' + raw, request)) from exc
    if not isinstance(data, dict):
        raise HttpError(exception_page('net.sf.json.JSONException', 'A JSONObject text must begin with \'{\'', request))
    return data


def parameter_entries(ctx: Ctx, definitions: t.Sequence[ParameterSpec], form: dict[str, t.Any]) -> dict[str, t.Any]:
    """Values of ``{"parameter": [{"name", "value"}, ...]}`` (a single object is accepted, as JSONArray.fromObject does)."""
    entries = form.get('parameter')
    if entries is None:
        return {}
    values: dict[str, t.Any] = {}
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or 'name' not in entry:
            raise HttpError(exception_page('net.sf.json.JSONException', 'JSONObject["name"] not found.', ctx.request))
        param = next((p for p in definitions if p.name == entry['name']), None)
        if param is None:
            raise HttpError(exception_page('java.lang.IllegalArgumentException', 'No such parameter definition: %s' % entry['name'], ctx.request))
        values[param.name] = coerce_value(ctx, param, entry.get('value', param.default))
    return values


def schedule(ctx: Ctx, spec: PipelineSpec, values: dict[str, t.Any], delay: float | None, trigger: Trigger | None = None) -> tuple[Execution, bool]:
    """Queue a build; an identical user build still in the queue absorbs it (returns created=False)."""
    if trigger is None:
        for queued in ctx.engine.executions('jenkins', spec.name):
            if queued.state == eng.QUEUED and queued.trigger.kind == 'user' and queued.parameters == values:
                due = ctx.engine.sync() + (spec.quiet_period if delay is None else delay)
                queued.not_before = min(queued.not_before, due)  # Queue keeps the shorter quiet period
                return queued, False
    execution = ctx.engine.submit(spec, values, trigger or Trigger(kind='user', user=ctx.user), delay=delay)
    return execution, True


def parse_delay(ctx: Ctx) -> float | None:
    """``delay`` as hudson.util.TimeDuration: ``10sec`` = 10 s, a bare number = milliseconds."""
    raw = ctx.request.param('delay')
    if raw is None:
        return None
    text, factor = raw.strip(), 0.001
    if text.endswith('secs') or text.endswith('sec'):
        text, factor = text[:text.rindex('sec')].strip(), 1.0
    try:
        return max(int(text) * factor, 0.0)
    except ValueError as exc:
        raise HttpError(exception_page('java.lang.IllegalArgumentException', 'Invalid time duration value: ' + raw, ctx.request)) from exc


# -- handlers -------------------------------------------------------------------------------------
def root_page(ctx: Ctx) -> Response:
    """Dashboard HTML (python-jenkins get_version reads its X-Jenkins header)."""
    return html_page('Dashboard', '\n'.join(n for n, _s in ctx.children('')))


def root_api(ctx: Ctx) -> Response:
    """``/api/json``."""
    return api_response(ctx, model.root_json(ctx))


def whoami(ctx: Ctx) -> Response:
    """``/me/api/json``."""
    return api_response(ctx, {'_class': 'hudson.model.User', 'absoluteUrl': ctx.root + 'user/' + ctx.user, 'description': None,
                              'fullName': ctx.full_name, 'id': ctx.user, 'property': []})


def queue_api(ctx: Ctx) -> Response:
    """``/queue/api/json``: items still waiting or blocked."""
    items = [model.queue_item_json(ctx, e) for e in ctx.engine.executions('jenkins') if e.state == eng.QUEUED]
    return api_response(ctx, {'_class': 'hudson.model.Queue', 'discoverableItems': [], 'items': items})


def queue_item(ctx: Ctx) -> Response:
    """``/queue/item/<id>/api/json``; 404 once left for 5 simulated minutes."""
    found = ctx.engine.get(int(t.cast(t.Any, ctx.request.match).group('qid')))
    if found is None or found.vendor != 'jenkins' or not model.queue_item_visible(ctx, found):
        raise not_found(ctx)
    return api_response(ctx, model.queue_item_json(ctx, found))


def cancel_item(ctx: Ctx) -> Response:
    """``POST /queue/cancelItem?id=N`` (Queue.doCancelItem).

    A waiting or blocked item is cancelled: 204. An item that already left the queue (it became
    a build, or was cancelled) is still found by ``Queue.getItem`` in the left-items cache for
    5 minutes, but ``LeftItem.leave`` refuses: 500 "Could not cancel run for id N". Any other id
    (never seen, or gone from the cache): 404 "Provided id (N) not found". Both errors come from
    ``HttpResponses.error``, which Jenkins renders as its "Oops!" page (the message is not in it).
    """
    raw = ctx.request.param('id') or ''
    found = ctx.engine.get(int(raw)) if raw.isdigit() else None
    if found is None or found.vendor != 'jenkins' or not model.queue_item_visible(ctx, found):
        return oops_page(404)  # "Provided id (N) not found"
    if found.state != eng.QUEUED:
        return oops_page(500)  # "Could not cancel run for id N"
    ctx.engine.cancel(found, ctx.user)
    return Response(204, b'', [])


def computers(ctx: Ctx) -> Response:
    """``/computer/api/json`` (ComputerSet: the built-in node, its executors and one-off executors)."""
    return api_response(ctx, model.computer_set_json(ctx))


def job_page(ctx: Ctx) -> Response:
    """Job or folder HTML page."""
    name, _spec = find_job(ctx)
    return html_page(name)


def job_api(ctx: Ctx) -> Response:
    """``/job/.../api/json`` for folders and jobs."""
    name, spec = find_job(ctx)
    return api_response(ctx, model.folder_json(ctx, name) if spec is None else model.job_json(ctx, spec))


def _queued_response(ctx: Ctx, execution: Execution, status: int) -> Response:
    return Response(status, b'', [('Location', '%squeue/item/%d/' % (ctx.root, execution.id))])


def build(ctx: Ctx) -> Response:
    """``POST /job/J/build`` (``ParameterizedJobMixIn.doBuild``): 201 + Location of the queue item.

    Without parameters ``schedule2(...).getItem()`` is also the identical item already queued, so that is
    201 too (JENKINS-66105). A parameterized job goes through ``ParametersDefinitionProperty._doBuild``,
    whose ``Queue.schedule`` returns only a *created* item: for one folded into an identical queued item it
    answers ``sendRedirect(".")``, a 302 to the request URI up to its last slash (the job page).
    """
    spec = find_pipeline(ctx)
    if spec.disabled:
        return error_page(409, '%s is not buildable' % spec.name, ctx.request)
    delay = parse_delay(ctx)
    values = {p.name: p.default for p in spec.parameters}
    if spec.parameters:
        values.update(parameter_entries(ctx, spec.parameters, submitted_json(ctx)))
    execution, created = schedule(ctx, spec, values, delay)
    if spec.parameters and not created:
        return ctx.redirect_to(request_dir(ctx))
    return _queued_response(ctx, execution, 201)


def request_dir(ctx: Ctx) -> str:
    """Stapler's ``sendRedirect(".")``: the request path up to its last ``/``, relative to the Jenkins root."""
    path = ctx.request.path.lstrip('/')
    return path[:path.rfind('/') + 1]


def build_with_parameters(ctx: Ctx) -> Response:
    """``POST /job/J/buildWithParameters`` (``ParametersDefinitionProperty.buildWithParameters``): 201 new item,
    303 folded into an identical queued item (both with the item's Location).

    Each definition reads ``req.getParameterValues(name)`` (``SimpleParameterDefinition.createValue``): none
    gives the default, more than one throws ``IllegalArgumentException("Illegal number of parameter values
    for NAME: N")`` (500). Names without a definition are ignored.
    """
    spec = find_pipeline(ctx)
    if spec.disabled:
        return error_page(409, '%s is not buildable' % spec.name, ctx.request)
    if not spec.parameters:
        return error_page(400, '%s is not parameterized' % spec.name, ctx.request)
    delay = parse_delay(ctx)
    submitted = ctx.request.params()
    values: dict[str, t.Any] = {}
    for param in spec.parameters:
        given = submitted.get(param.name)
        if given is not None and len(given) != 1:
            return exception_page('java.lang.IllegalArgumentException', 'Illegal number of parameter values for %s: %d' % (param.name, len(given)),
                                  ctx.request)
        values[param.name] = param.default if given is None else coerce_value(ctx, param, given[0])
    execution, created = schedule(ctx, spec, values, delay)
    return _queued_response(ctx, execution, 201 if created else 303)


def run_page(ctx: Ctx) -> Response:
    """Build HTML page (where python-jenkins' stop_build lands after the redirect)."""
    execution = find_run(ctx)
    return html_page('%s #%d' % (execution.pipeline, t.cast(int, execution.number)))


def run_api(ctx: Ctx) -> Response:
    """``/job/J/<n>/api/json``."""
    return api_response(ctx, model.build_json(ctx, find_run(ctx)))


def console_text(ctx: Ctx) -> Response:
    """``consoleText`` (Run.doConsoleText): the whole log as stored, LF line ends."""
    return Response(200, logs.console_bytes(ctx, find_run(ctx)), [('Content-Type', 'text/plain;charset=UTF-8')])


def progressive_text(ctx: Ctx) -> Response:
    """``logText/progressiveText?start=N`` (AnnotatedLargeText.doProgressiveText -> LargeText.doProgressText); see :func:`.logs.progressive`."""
    return logs.progressive(ctx, find_run(ctx), as_html=False)


def progressive_html(ctx: Ctx) -> Response:
    """``logText/progressiveHtml?start=N`` (AnnotatedLargeText.doProgressiveHtml): the same, escaped HTML; see :func:`.logs.progressive`."""
    return logs.progressive(ctx, find_run(ctx), as_html=True)


def console_page(ctx: Ctx) -> Response:
    """``console`` HTML (where input ``submit`` redirects)."""
    return html_page('Console Output', console_text(ctx).body.decode('utf-8'))


def stop(ctx: Ctx) -> Response:
    """``POST …/<n>/stop|term|kill``: abort now (no-op once finished); 302 to the previous page."""
    op = ctx.request.path.rstrip('/').rsplit('/', 1)[-1]
    execution = find_run(ctx, pipeline_only=op != 'stop')
    ctx.engine.stop(execution, ctx.user)
    return back_to_previous(ctx, execution)


def submit_description(ctx: Ctx) -> Response:
    """``POST …/<n>/submitDescription`` (form ``description``): 302 back to the build."""
    execution = find_run(ctx)
    execution.description = ctx.request.param('description')
    return ctx.redirect_to(run_path(execution))


def _last_segment(match: t.Any) -> str:
    """Operation label from the URL's last segment (``stop``, ``term``, ``kill``)."""
    return str(match.group(0)).rstrip('/').rsplit('/', 1)[-1]


def register(router: Router) -> None:
    """Add the core routes, each labelled with its operation name (request log, fault filters)."""
    router.add('GET', r'/', root_page, 'root')
    router.add(DATA_API, API, root_api, 'root.api')
    router.add(DATA_API, r'/me' + API, whoami, 'whoAmI')
    router.add(DATA_API, r'/queue' + API, queue_api, 'queue')
    router.add(DATA_API, r'/queue/item/(?P<qid>[0-9]+)' + API, queue_item, 'queue.item')
    router.add('POST', r'/queue/cancelItem/?', cancel_item, 'cancelItem')
    router.add(DATA_API, r'/computer' + API, computers, 'computers')
    router.add('GET', JOB + r'/?', job_page, 'job.page')
    router.add(DATA_API, JOB + API, job_api, 'job')
    router.add('POST', JOB + r'/build/?', build, 'build')
    router.add('POST', JOB + r'/buildWithParameters/?', build_with_parameters, 'buildWithParameters')
    router.add('GET', RUN + r'/?', run_page, 'run.page')
    router.add(DATA_API, RUN + API, run_api, 'run')
    router.add('GET', RUN + r'/consoleText/?', console_text, 'consoleText')
    router.add('GET', RUN + r'/logText/progressiveText/?', progressive_text, 'progressiveText')
    router.add('GET', RUN + r'/logText/progressiveHtml/?', progressive_html, 'progressiveHtml')
    router.add('GET', RUN + r'/console(?:Full)?/?', console_page, 'console')
    router.add('POST', RUN + r'/(?:stop|term|kill)/?', stop, _last_segment)
    router.add('POST', RUN + r'/submitDescription/?', submit_description, 'submitDescription')
