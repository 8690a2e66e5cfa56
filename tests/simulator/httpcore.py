"""Vendor-neutral HTTP plumbing: parsed requests, responses, a small router, the vendor base class.

A vendor API module subclasses :class:`VendorApi`, sets ``name`` and ``base`` (its path
prefix, e.g. ``/jenkins``), registers routes on ``self.router`` and is listed in
``server.VENDOR_CLASSES``. The server strips the base from the path, asks
:meth:`VendorApi.operation` for the request's operation label, applies fault rules (which may
filter on that label), then calls :meth:`VendorApi.handle` while holding the engine lock. An
injected rate-limit fault is answered by :meth:`VendorApi.rate_limit_response`, so each vendor
can use its own 429 shape.
"""
from __future__ import annotations

import dataclasses
import json
import re
import typing as t
import urllib.parse

if t.TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .scenario import Scenario


@dataclasses.dataclass
class Request:
    """One HTTP request as a vendor module sees it. ``path`` is relative to the vendor base."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: t.Mapping[str, str]
    body: bytes = b''
    raw_query: str = ''
    base: str = ''
    match: t.Optional[re.Match[str]] = None
    context: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    # 'https' when the request came over the simulator's TLS listener: the vendors build their absolute links
    # from the scheme the request used (Jenkins without a configured root URL, Buddy's API links).
    scheme: str = 'http'
    _form: dict[str, list[str]] | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), default)

    @property
    def form(self) -> dict[str, list[str]]:
        """URL-encoded form body fields (empty for other content types)."""
        if self._form is None:
            ctype = (self.header('Content-Type') or '').split(';')[0].strip().lower()
            text = self.body.decode('utf-8', 'replace') if self.body else ''
            self._form = urllib.parse.parse_qs(text, keep_blank_values=True) if ctype in ('', 'application/x-www-form-urlencoded') else {}
        return self._form

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query or form parameter (query first, like a servlet)."""
        for source in (self.query, self.form):
            if name in source:
                return source[name][0]
        return default

    def params(self) -> dict[str, list[str]]:
        """All query and form parameters merged (query values first)."""
        merged = {k: list(v) for k, v in self.query.items()}
        for key, values in self.form.items():
            merged.setdefault(key, []).extend(values)
        return merged

    def json_body(self) -> t.Any:
        """The body parsed as JSON (ValueError if it is not)."""
        return json.loads(self.body.decode('utf-8') or 'null')


@dataclasses.dataclass
class Response:
    """A response to send; ``headers`` may repeat names (e.g. Set-Cookie)."""

    status: int = 200
    body: bytes = b''
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def header(self, name: str) -> str | None:
        """First value of a header."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_header(self, name: str, value: str) -> 'Response':
        """Replace a header."""
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]
        return self


def json_response(data: t.Any, status: int = 200, content_type: str = 'application/json;charset=utf-8') -> Response:
    """Serialize ``data`` as compact JSON."""
    return Response(status, json.dumps(data, separators=(',', ':')).encode('utf-8'), [('Content-Type', content_type)])


def text_response(text: str, status: int = 200, content_type: str = 'text/plain;charset=utf-8') -> Response:
    """A plain text (or other textual type) response."""
    return Response(status, text.encode('utf-8'), [('Content-Type', content_type)])


def redirect(location: str, status: int = 302) -> Response:
    """A redirect with an empty body."""
    return Response(status, b'', [('Location', location)])


# Handlers take the Request (or a vendor's richer per-request context) and return a Response.
Handler = t.Callable[..., Response]
# An operation label of a route: a fixed name, or a function of the path match (one route, several names).
OperationLabel = t.Union[str, t.Callable[['re.Match[str]'], t.Optional[str]], None]


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """What an injected ``rate_limit`` fault asks the vendor to announce (every field optional).

    ``retry_after``: seconds the client should wait; ``limit``: requests allowed per window;
    ``remaining``: requests left in the window; ``reset_after``: seconds until the window resets.
    """

    retry_after: float | None = None
    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None


def number_text(value: float) -> str:
    """``2`` for 2.0, ``2.5`` for 2.5 (header values: no spurious ``.0``)."""
    return str(int(value)) if float(value).is_integer() else str(value)


class Router:
    """Ordered (methods, regex, handler, operation) routes; regexes are full-matched against the path."""

    def __init__(self) -> None:
        self._routes: list[tuple[frozenset[str], re.Pattern[str], Handler, OperationLabel]] = []

    def add(self, methods: str | t.Iterable[str], pattern: str, handler: Handler, operation: OperationLabel = None) -> None:
        """Register ``handler`` for ``methods`` ("GET", "POST", ... or a list) on ``pattern``.

        ``operation`` labels requests of this route in the request log and for fault filters:
        a name, or a callable taking the path match and returning the name.
        """
        names = frozenset([methods] if isinstance(methods, str) else methods)
        self._routes.append((names, re.compile(pattern), handler, operation))

    def _find(self, method: str, path: str) -> tuple[int | None, re.Match[str] | None, set[str]]:
        allowed: set[str] = set()
        for index, (methods, pattern, _handler, _operation) in enumerate(self._routes):
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method in methods or (method == 'HEAD' and 'GET' in methods):
                return index, match, allowed
            allowed |= methods
        return None, None, allowed

    def resolve(self, method: str, path: str) -> tuple[Handler | None, re.Match[str] | None, set[str]]:
        """The handler and match for a request; else None and the methods the path allows."""
        index, match, allowed = self._find(method, path)
        return (None, None, allowed) if index is None else (self._routes[index][2], match, allowed)

    def operation(self, method: str, path: str) -> str | None:
        """The operation label of the route a request resolves to (None: unlabelled or no route)."""
        index, match, _allowed = self._find(method, path)
        if index is None:
            return None
        label = self._routes[index][3]
        return label(t.cast('re.Match[str]', match)) if callable(label) else label


class VendorApi:
    """Base class of a vendor API module (one per vendor, one instance per server)."""

    name = ''
    base = ''

    def __init__(self, engine: 'Engine') -> None:
        self.engine = engine
        self.router = Router()
        self.register()

    def register(self) -> None:
        """Add routes to :attr:`router`."""

    def validate(self, scenario: 'Scenario') -> None:
        """Raise ScenarioError if the scenario's section for this vendor is invalid (before it is loaded)."""

    def reset(self) -> None:
        """Forget vendor-side state (sessions, caches) after a reset or scenario load."""

    def secret_query_names(self) -> set[str]:
        """Query parameter names whose values the request log must redact."""
        return set()

    def issued_secrets(self) -> dict[str, list[str]]:
        """Credentials this vendor issued since the last reset (IAM tokens, crumbs), by kind, in clear text.

        Only ``GET /_sim/secrets`` shows them: a leak test greps a client's output for them."""
        return {}

    def banner(self, base_url: str) -> str:
        """One line for the CLI banner (URL and credentials)."""
        return '%-8s %s%s' % (self.name, base_url, self.base)

    def operation(self, request: Request) -> str | None:
        """The vendor operation this request performs (a GraphQL operation name, a Buddy PATCH
        ``operation``, a Jenkins action such as ``buildWithParameters``), or None.

        Contract: the server calls it for every vendor request *before* fault matching and
        *without* the engine lock, so it must only look at the request (path, method, query,
        body), never at engine state, and be cheap. The default labels by router route.
        An exception here is treated as "no label".
        """
        return self.router.operation(request.method, request.path)

    def rate_limit_response(self, request: Request, limit: RateLimit) -> Response:
        """The answer to an injected ``rate_limit`` fault, in this vendor's shape.

        Called without the engine lock (it must not touch engine state). The default is a
        plain-text 429 with ``Retry-After`` only when ``limit.retry_after`` is given; vendors
        with their own rate-limit headers or error bodies override it.
        """
        response = text_response('Too Many Requests\n', 429)
        if limit.retry_after is not None:
            response.headers.append(('Retry-After', number_text(limit.retry_after)))
        return response

    def not_found(self, request: Request) -> Response:
        """Vendor-style 404."""
        return text_response('Not Found: %s' % request.path, 404)

    def method_not_allowed(self, request: Request, allowed: set[str]) -> Response:
        """Vendor-style 405."""
        return text_response('Method %s not allowed' % request.method, 405).set_header('Allow', ', '.join(sorted(allowed)))

    def handle(self, request: Request) -> Response:
        """Route a request (the default: router lookup, 404/405 otherwise)."""
        handler, match, allowed = self.router.resolve(request.method, request.path)
        if handler is None:
            return self.method_not_allowed(request, allowed) if allowed else self.not_found(request)
        request.match = match
        return handler(request)
