"""Per-request context, URL building and Jenkins-style responses (data API, HTML error pages).

URL rules (as Jenkins):
* exported ``url`` fields and the queue ``Location`` are absolute and use the configured
  root URL (``jenkins.root_url``) when set, else ``http://<Host header>/jenkins/``;
* HTTP redirects for browser-style endpoints (stop, submitDescription, restart, ...) are
  absolutised from the request's Host, as Stapler does;
* ``wfapi`` hrefs are context-path relative (``/jenkins/job/...``);
* path segments are encoded like ``hudson.Util.rawEncode``.
"""
from __future__ import annotations

import html
import json
import typing as t
import urllib.parse
import uuid

from ..engine import Engine, Execution
from ..httpcore import Request, Response, json_response, redirect
from ..scenario import PipelineSpec
from ..tree import TreeError, render
from .config import JenkinsConfig

CONTEXT_PATH = '/jenkins'
# Characters hudson.Util.rawEncode leaves alone (besides ASCII letters and digits).
_RAW_SAFE = "!$&'()*+,-.=@_"


def encode_segment(name: str) -> str:
    """Encode one path segment (job name) as Jenkins does."""
    return urllib.parse.quote(name, safe=_RAW_SAFE)


def job_path(full_name: str) -> str:
    """``job/a/job/b/`` for ``a/b`` (relative, trailing slash)."""
    return ''.join('job/%s/' % encode_segment(part) for part in full_name.split('/'))


def run_path(execution: Execution) -> str:
    """``job/a/job/b/7/`` (relative, trailing slash)."""
    return '%s%d/' % (job_path(execution.pipeline), t.cast(int, execution.number))


def job_name_from_path(group: str) -> str:
    """``a/b`` from a matched ``/job/a/job/b`` path."""
    return '/'.join(urllib.parse.unquote(part) for part in group.split('/job/') if part)


class Ctx:
    """What a handler needs: engine, config, the authenticated user, URL roots."""

    def __init__(self, engine: Engine, config: JenkinsConfig, request: Request, user: str, full_name: str) -> None:
        self.engine = engine
        self.config = config
        self.request = request
        self.user = user
        self.full_name = full_name
        host = request.header('Host') or '127.0.0.1'
        self.host_root = 'http://%s%s/' % (host, CONTEXT_PATH)
        self.root = config.root_url or self.host_root

    # -- urls ----------------------------------------------------------------------------
    def job_url(self, name: str) -> str:
        """Absolute job URL (root URL based)."""
        return self.root + job_path(name)

    def run_url(self, execution: Execution) -> str:
        """Absolute build URL (root URL based)."""
        return '%s%d/' % (self.job_url(execution.pipeline), t.cast(int, execution.number))

    def href(self, execution: Execution, tail: str = '') -> str:
        """Context-relative build href for wfapi (``/jenkins/job/a/1/<tail>``)."""
        return '%s/%s%d/%s' % (CONTEXT_PATH, job_path(execution.pipeline), t.cast(int, execution.number), tail)

    def redirect_to(self, relative: str, status: int = 302) -> Response:
        """Redirect to a path relative to the Jenkins root, absolutised from the request Host."""
        return redirect(self.host_root + relative, status)

    # -- lookups --------------------------------------------------------------------------
    def items(self) -> dict[str, PipelineSpec | None]:
        """Every item by full name: pipelines and (None) the folders implied by their names."""
        found: dict[str, PipelineSpec | None] = {}
        for spec in self.engine.pipelines('jenkins'):
            parts = spec.name.split('/')
            for i in range(1, len(parts)):
                found.setdefault('/'.join(parts[:i]), None)
            found[spec.name] = spec
        return found

    def children(self, folder: str) -> list[tuple[str, PipelineSpec | None]]:
        """Direct children of a folder ('' = root) as (full name, spec or None)."""
        prefix = folder + '/' if folder else ''
        return [(name, spec) for name, spec in self.items().items()
                if name.startswith(prefix) and '/' not in name[len(prefix):]]


class HttpError(Exception):
    """Raised by handlers to answer with ``response`` (error pages) from deep inside a helper."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def headers_for(config: JenkinsConfig, session: str) -> list[tuple[str, str]]:
    """Headers every Jenkins response carries."""
    return [('X-Jenkins', config.version), ('X-Jenkins-Session', session), ('X-Content-Type-Options', 'nosniff')]


def api_response(ctx: Ctx, data: t.Any, fmt: str | None = None) -> Response:
    """Serve model data as ``api/json`` or ``api/python`` (``fmt``, default: the route's) honouring ``tree``, ``depth``, ``pretty``."""
    request = ctx.request
    if fmt is None:
        fmt = request.match.groupdict().get('fmt') if request.match else 'json'
    try:
        depth = int(request.param('depth') or 0)
        shaped = render(data, request.param('tree'), depth)
    except (TreeError, ValueError) as exc:
        return error_page(500, str(exc), request)
    if fmt == 'python':
        response = Response(200, repr(shaped).encode('utf-8'), [('Content-Type', 'text/x-python;charset=utf-8')])
    else:
        indent = 2 if (request.param('pretty') or '').lower() == 'true' else None
        body = json.dumps(shaped, indent=indent, ensure_ascii=False, separators=(',', ': ') if indent else (',', ':'))
        response = Response(200, body.encode('utf-8'), [('Content-Type', 'application/json;charset=utf-8')])
    response.headers.append(('X-Frame-Options', 'deny'))
    return response


def wfapi_response(data: t.Any) -> Response:
    """Stage View REST output (Jackson: ``null`` stays a JSON literal)."""
    return json_response(data, content_type='application/json; charset=UTF-8')


def error_page(status: int, message: str, request: Request, headers: list[tuple[str, str]] | None = None) -> Response:
    """The servlet container's HTML error page (``HttpResponses.error`` / ``sendError``)."""
    reason = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
              409: 'Conflict', 500: 'Server Error'}.get(status, 'Error')
    uri = html.escape(request.base + request.path)
    body = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
            '<title>Error %d %s</title>\n</head>\n<body>\n<h2>HTTP ERROR %d %s</h2>\n<table>\n'
            '<tr><th>URI:</th><td>%s</td></tr>\n<tr><th>STATUS:</th><td>%d</td></tr>\n'
            '<tr><th>MESSAGE:</th><td>%s</td></tr>\n<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n'
            '<hr/><a href="https://jetty.org/">Powered by Jetty:// 12.0.13</a><hr/>\n</body>\n</html>\n'
            % (status, reason, status, html.escape(message), uri, status, html.escape(message)))
    return Response(status, body.encode('utf-8'), [('Content-Type', 'text/html;charset=utf-8')] + list(headers or []))


def layout_page(status: int, main: str, headers: list[tuple[str, str]] | None = None, layout: str = 'two-column') -> Response:
    """A page of Jenkins' ``lib/layout/layout.jelly`` with ``title="Jenkins"``: ``<title>`` is
    ``h.appendIfNotNull(title, ' - Jenkins', 'Jenkins')`` = "Jenkins - Jenkins"; ``main`` is the main panel's HTML."""
    body = ('<!DOCTYPE html><html><head data-rooturl="%s" data-resurl="%s/static/sim" data-imagesurl="%s/static/sim/images">'
            '<title>Jenkins - Jenkins</title><link rel="stylesheet" href="%s/static/sim/jsbundles/styles.css" type="text/css" />'
            '<script src="%s/static/sim/scripts/behavior.js" type="text/javascript"></script></head>'
            '<body id="jenkins" class="%s"><a href="#skip2content" class="jenkins-skip-link">Skip to content</a>'
            '<header id="page-header" class="page-header"><a id="jenkins-home-link" href="%s/">Jenkins</a></header>'
            '<div id="page-body" class="app-page-body app-page-body--%s clear"><div id="main-panel">%s</div></div>'
            '<footer class="page-footer jenkins-mobile-hide"><div class="page-footer__links">'
            '<a class="jenkins-button jenkins-button--tertiary rest-api" href="api/">REST API</a></div></footer></body></html>\n'
            % ((CONTEXT_PATH,) * 5 + (layout, CONTEXT_PATH, layout, main)))
    return Response(status, body.encode('utf-8'), [('Content-Type', 'text/html;charset=utf-8')] + list(headers or []))


def failure(message: str) -> Response:
    """``hudson.model.Failure`` (``AbstractModelObject/error.jelly``): HTTP 400, ``X-Error: <message>``, the
    message in the page's main panel."""
    return layout_page(400, '<h1>Error</h1><p>%s</p>' % html.escape(message), [('X-Error', message)])


def oops_page(status: int) -> Response:
    """``HttpResponses.error(status, message)`` in Jenkins: its ``ErrorCustomizer``
    (``InstallUncaughtExceptionHandler``) renders ``Jenkins/oops.jelly`` with that status. The page
    says "Oops!" and gives a logging id; the message is only in the stack trace, which is shown
    only with ``-Djenkins.model.Jenkins.SHOW_STACK_TRACE=true`` (not simulated), so it is not in the page."""
    main = ('<h1 style="text-align: center"><img src="%s/static/sim/images/rage.svg" height="179" width="154"/> '
            '<span style="font-size:50px">&nbsp;Oops!</span></h1><div id="error-description">'
            '<h2 style="text-align: center">A problem occurred while processing the request</h2>'
            '<p style="text-align: center">Logging ID=%s</p></div>' % (CONTEXT_PATH, uuid.uuid4()))
    return layout_page(status, main, layout='one-column')


def exception_page(exc_class: str, message: str, request: Request) -> Response:
    """An uncaught exception: HTTP 500 with the exception text in the container's error page (a documented
    deviation: real Jenkins shows :func:`oops_page` without the text unless stack traces are enabled)."""
    return error_page(500, '%s: %s' % (exc_class, message), request)


def html_page(title: str, text: str = '') -> Response:
    """A minimal 200 HTML page (job, build, console pages)."""
    body = '<!DOCTYPE html><html><head><title>%s [Jenkins]</title></head><body><h1>%s</h1><pre>%s</pre></body></html>\n' % (
        html.escape(title), html.escape(title), html.escape(text))
    return Response(200, body.encode('utf-8'), [('Content-Type', 'text/html;charset=utf-8')])


def ok_empty() -> Response:
    """``HttpResponses.ok()``: 200 with an empty body."""
    return Response(200, b'', [('Content-Type', 'text/plain;charset=utf-8')])
