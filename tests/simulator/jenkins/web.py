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

import dataclasses
import email.parser
import email.policy
import html
import re
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


class JettyRequest(Request):
    """A request's parameters as Jetty's servlet request gives them (what filters such as CrumbFilter see).

    Form fields come from the body only for ``application/x-www-form-urlencoded`` (any case, any
    parameters) on POST or PUT with a non-empty body (Jetty ``Request.extractContentParameters``): a
    POST without a Content-Type has no form parameters, and a multipart body none either.
    """

    @classmethod
    def wrap(cls, request: Request) -> 'JettyRequest':
        """The same request seen through this class (fields shared, not copied)."""
        fields = {field.name: getattr(request, field.name) for field in dataclasses.fields(Request)}
        fields['_form'] = None  # parsed again by this class's rules
        return cls(**fields)

    @property
    def form(self) -> dict[str, list[str]]:
        """URL-encoded body fields (empty for every other content type, and without one)."""
        if self._form is None:
            ctype = (self.header('Content-Type') or '').split(';')[0].strip().lower()
            urlencoded = ctype == 'application/x-www-form-urlencoded' and self.method in ('POST', 'PUT') and self.body
            self._form = urllib.parse.parse_qs(self.body.decode('utf-8', 'replace'), keep_blank_values=True) if urlencoded else {}
        return self._form


class StaplerRequest(JettyRequest):
    """A request as Stapler's ``RequestImpl`` gives it to a handler: for a ``multipart/*`` body its form
    fields (parts without a file name; the last part of a name wins, ``HashMap.put``) come first in
    :meth:`param`, and :meth:`params` appends each one to the query's values of that name
    (``RequestImpl.getParameter`` / ``getParameterValues`` / ``getParameterMap``)."""

    _parts: dict[str, tuple[bytes, bool]] | None = None

    def multipart(self) -> dict[str, tuple[bytes, bool]] | None:
        """``{name: (content, is_form_field)}`` of a ``multipart/*`` body (``parseMultipartFormData``); None for other bodies.
        A body that does not parse gives no parts (``getFormDataFormFields`` logs the error and goes on)."""
        ctype = self.header('Content-Type') or ''
        if not ctype.lower().startswith('multipart/'):
            return None
        if self._parts is None:
            self._parts = {}
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(b'Content-Type: %s\r\n\r\n%s' % (ctype.encode('latin-1'), self.body))
            if message.is_multipart():
                for part in message.iter_parts():
                    name = part.get_param('name', header='content-disposition')
                    if isinstance(name, str):
                        self._parts[name] = (part.get_payload(decode=True) or b'', part.get_filename() is None)
        return self._parts

    def form_fields(self) -> dict[str, str]:
        """The multipart form fields as text (``parsedFormDataFormFields``); empty for other bodies."""
        return {name: content.decode('utf-8', 'replace') for name, (content, field) in (self.multipart() or {}).items() if field}

    def param(self, name: str, default: str | None = None) -> str | None:
        """``RequestImpl.getParameter``: a multipart form field first, else the servlet's (query, then URL-encoded form)."""
        fields = self.form_fields()
        if name in fields:
            return fields[name]
        return super().param(name, default)

    def params(self) -> dict[str, list[str]]:
        """``RequestImpl.getParameterMap``: the servlet's parameters, each multipart form field appended."""
        merged = super().params()
        for name, value in self.form_fields().items():
            merged.setdefault(name, []).append(value)
        return merged


class Ctx:
    """What a handler needs: engine, config, the authenticated user, URL roots."""

    def __init__(self, engine: Engine, config: JenkinsConfig, request: Request, user: str, full_name: str) -> None:
        self.engine = engine
        self.config = config
        self.request = request
        self.user = user
        self.full_name = full_name
        host = request.header('Host') or '127.0.0.1'
        self.host_root = '%s://%s%s/' % (request.scheme, host, CONTEXT_PATH)
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
    """Serve model data as ``api/json`` or ``api/python`` (``fmt``, default: the route's), as Stapler's
    ``ResponseImpl.serveExposedBean`` does: ``tree`` (when the parameter is present, even empty) wins over
    ``depth``; a malformed ``tree`` or a ``depth`` that is not an integer is an uncaught ServletException
    (500, the "Oops!" page); ``pretty`` pretty-prints whatever its value (``req.hasParameter``)."""
    request = ctx.request
    if fmt is None:
        fmt = request.match.groupdict().get('fmt') if request.match else 'json'
    tree = request.param('tree')
    depth = 0
    if tree is None:
        raw_depth = request.param('depth')
        if raw_depth is not None:
            if re.fullmatch(r'[+-]?[0-9]+', raw_depth) is None:  # Integer.parseInt
                return oops_page(500)  # ServletException("Depth parameter must be a number")
            depth = int(raw_depth)
    try:
        shaped = render(data, tree, depth)
    except TreeError:
        return oops_page(500)  # ServletException("Malformed tree expression: java.lang.IllegalArgumentException: ...")
    flavor = 'python' if fmt == 'python' else 'json'
    body = stapler_dump(shaped, flavor, request.param('pretty') is not None)
    # Flavor.contentType says charset=UTF-8; the simulator keeps its earlier lower-case spelling (the case Jetty sends is not checked)
    content_type = 'text/x-python;charset=utf-8' if flavor == 'python' else 'application/json;charset=utf-8'
    return Response(200, body.encode('utf-8'), [('Content-Type', content_type), ('X-Frame-Options', 'deny')])


def _stapler_string(text: str) -> str:
    """``JSONDataWriter.value``: double quotes; ``"`` ``\\`` LF CR TAB as short escapes; ISO control characters
    (U+0000-U+001F, U+007F-U+009F) and each UTF-16 surrogate as ``\\uXXXX`` (lower-case hex); all else as is."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or 0x7f <= code <= 0x9f:
            out.append('\\u%04x' % code)
        elif code > 0xffff:  # a Java string holds it as a surrogate pair, each escaped
            code -= 0x10000
            out.append('\\u%04x\\u%04x' % (0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff)))
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)


_SHORT_ESCAPES = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t'}


def stapler_dump(value: t.Any, flavor: str = 'json', pretty: bool = False) -> str:
    """Write ``value`` as Stapler's ``JSONDataWriter`` (``flavor='json'``) or ``PythonDataWriter`` (``'python'``).

    Both write JSON syntax; the Python flavor only prints ``None``, ``True`` and ``False`` for null and the
    booleans (strings are quoted and escaped as in JSON, not as Python's ``repr``). Compact output has no
    spaces (``"a":1,"b":2``). Pretty output (``pretty``) puts each member on its own line indented by two
    spaces per level, ``"name" : value``, and an empty list or object as ``[`` newline, indent, newline ``]``.
    """
    parts: list[str] = []
    literals = {None: 'None', True: 'True', False: 'False'} if flavor == 'python' else {None: 'null', True: 'true', False: 'false'}
    level = 0 if pretty else -1

    def newline(depth: int) -> None:
        if depth >= 0:
            parts.append('\n' + '  ' * depth)

    def write(item: t.Any, depth: int) -> None:
        if item is None or isinstance(item, bool):
            parts.append(literals[item])
        elif isinstance(item, (int, float)):
            parts.append(str(item))
        elif isinstance(item, str):
            parts.append(_stapler_string(item))
        elif isinstance(item, dict):
            members = list(item.items())
            parts.append('{')
            inner = depth + 1 if depth >= 0 else -1
            newline(inner)
            for index, (name, member) in enumerate(members):
                if index:
                    parts.append(',')
                    newline(inner)
                parts.append('"%s"%s' % (name, ':' if depth < 0 else ' : '))  # JSONDataWriter.name does not escape
                write(member, inner)
            newline(depth)
            parts.append('}')
        elif isinstance(item, (list, tuple)):
            parts.append('[')
            inner = depth + 1 if depth >= 0 else -1
            newline(inner)
            for index, member in enumerate(item):
                if index:
                    parts.append(',')
                    newline(inner)
                write(member, inner)
            newline(depth)
            parts.append(']')
        else:
            raise TypeError('cannot export %r' % (item,))

    write(value, level)
    return ''.join(parts)


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
    """An uncaught exception (``exc_class``: ``message``): Jenkins' ``UncaughtExceptionFilter`` hands it to
    ``InstallUncaughtExceptionHandler.handleException``, which answers 500 with ``oops.jelly``. The exception
    text is in the page only with ``jenkins.model.Jenkins.SHOW_STACK_TRACE`` (not simulated), so the arguments
    only document what Jenkins would log."""
    del exc_class, message, request  # what Jenkins logs with the logging id, never sends
    return oops_page(500)


def html_page(title: str, text: str = '') -> Response:
    """A minimal 200 HTML page (job, build, console pages)."""
    body = '<!DOCTYPE html><html><head><title>%s [Jenkins]</title></head><body><h1>%s</h1><pre>%s</pre></body></html>\n' % (
        html.escape(title), html.escape(title), html.escape(text))
    return Response(200, body.encode('utf-8'), [('Content-Type', 'text/html;charset=utf-8')])


def ok_empty() -> Response:
    """``HttpResponses.ok()``: 200 with an empty body."""
    return Response(200, b'', [('Content-Type', 'text/plain;charset=utf-8')])
