"""The Jenkins remote access API (core + Pipeline plugins), served under ``/jenkins``.

Request pipeline: authenticate (401 on bad credentials) -> CSRF crumb check for POSTs not
authenticated by API token (403) -> anonymous has no read permission (403) -> route.
Every response carries ``X-Jenkins`` and ``X-Jenkins-Session``.
"""
from __future__ import annotations

import secrets

from ..engine import Engine, Execution
from ..httpcore import Request, Response, VendorApi
from ..scenario import Scenario
from . import routes_core, routes_pipeline
from .auth import ANONYMOUS, AuthFailure, Authenticator
from .config import parse_config
from .web import CONTEXT_PATH, Ctx, HttpError, JettyRequest, StaplerRequest, api_response, error_page, headers_for

_CRUMB_PATH = '/crumbIssuer/api/'


class JenkinsApi(VendorApi):
    """Jenkins under ``/jenkins``."""

    name = 'jenkins'
    base = CONTEXT_PATH

    def __init__(self, engine: Engine) -> None:
        self.config = parse_config(engine.scenario.vendor_config('jenkins'))
        self.auth = Authenticator(self.config)
        self.session = secrets.token_hex(4)
        # Freestyle builds take one of the built-in node's executors; a Pipeline's flyweight task takes none
        # (it runs on a one-off executor), and the simulator has no `node` blocks that would take one.
        engine.pools['jenkins'] = self._executor_pool
        super().__init__(engine)

    def _executor_pool(self, execution: Execution) -> tuple[str, int] | None:
        return ('executors', self.config.executors) if execution.spec.kind == 'freestyle' else None

    def register(self) -> None:
        """Core and pipeline routes."""
        routes_core.register(self.router)
        routes_pipeline.register(self.router)

    def validate(self, scenario: Scenario) -> None:
        """Raise ScenarioError when the scenario's ``jenkins:`` section is invalid."""
        parse_config(scenario.vendor_config('jenkins'))

    def reset(self) -> None:
        """Re-read the configuration; forget sessions and crumbs."""
        self.config = parse_config(self.engine.scenario.vendor_config('jenkins'))
        self.auth.reset(self.config)

    def issued_secrets(self) -> dict[str, list[str]]:
        """The crumbs and session cookie values issued since the last reset."""
        return self.auth.issued()

    def secret_query_names(self) -> set[str]:
        """Tokens, crumbs and every password-type parameter name (jobs and inputs)."""
        names = set(self.auth.secret_names())
        for spec in self.engine.pipelines('jenkins'):
            names.update(p.name for p in spec.parameters if p.secret)
            for stage in spec.stages:
                if stage.gate is not None:
                    names.update(p.name for p in stage.gate.parameters if p.secret)
        return names

    def banner(self, base_url: str) -> str:
        """CLI line with the first user's credentials."""
        line = '%-8s %s%s' % (self.name, base_url, self.base)
        if self.config.users:
            user = self.config.users[0]
            creds = ['user %s' % user.name]
            if user.tokens:
                creds.append('API token %s' % user.tokens[0])
            if user.password is not None:
                creds.append('password %s' % user.password)
            line += '   ' + ', '.join(creds)
        return line

    def operation(self, request: Request) -> str | None:
        """The route's label (``build``, ``input.proceed``, ``stop``, ...); ``crumb`` for the crumb issuer.

        Derived from the path and method only (no authentication, no engine state), so an
        unauthenticated or doomed request is labelled like the one it tries to be.
        """
        if request.path.startswith(_CRUMB_PATH):
            return 'crumb'
        return self.router.operation(request.method, request.path)

    def handle(self, request: Request) -> Response:
        """Authenticate, check the crumb, route; common headers on every answer."""
        try:
            self.engine.sync()
            response = self._handle(request)
        except HttpError as exc:
            response = exc.response
        response.headers[:0] = headers_for(self.config, self.session)
        return response

    def _handle(self, raw: Request) -> Response:
        # Filters (authentication, CrumbFilter) see Jetty's parameters; handlers Stapler's (multipart fields too).
        request: Request = JettyRequest.wrap(raw)
        if request.path == '':
            return Response(302, b'', [('Location', '%s://%s%s/' % (request.scheme, request.header('Host') or '127.0.0.1', CONTEXT_PATH))])
        try:
            user, kind = self.auth.authenticate(request)
            self.auth.check_crumb(request, user, kind)
        except AuthFailure as exc:
            return error_page(exc.status, exc.message, request, exc.headers)
        if user == ANONYMOUS:
            return error_page(403, 'Authentication required', request, [
                ('X-You-Are-Authenticated-As', ANONYMOUS), ('X-Required-Permission', 'hudson.model.Hudson.Read')])
        request = StaplerRequest.wrap(request)
        ctx = Ctx(self.engine, self.config, request, user, self.auth.full_name(user))
        if request.path.startswith(_CRUMB_PATH):
            return self._crumb(ctx)
        handler, match, allowed = self.router.resolve(request.method, request.path)
        if handler is None:
            if allowed:
                return error_page(405, 'This URL requires %s' % '/'.join(sorted(allowed)), request, [('Allow', ', '.join(sorted(allowed)))])
            return error_page(404, 'Not Found', request)
        request.match = match
        return handler(ctx)

    def _crumb(self, ctx: Ctx) -> Response:
        fmt = ctx.request.path[len(_CRUMB_PATH):].rstrip('/')
        if not self.config.crumbs or fmt not in ('json', 'python') or ctx.request.method not in ('GET', 'HEAD', 'POST'):
            return error_page(404, 'Not Found', ctx.request)
        crumb, set_cookie = self.auth.issue_crumb(ctx.request, ctx.user)
        response = api_response(ctx, {'_class': 'hudson.security.csrf.DefaultCrumbIssuer', 'crumb': crumb, 'crumbRequestField': 'Jenkins-Crumb'}, fmt)
        if set_cookie:
            response.headers.append(('Set-Cookie', set_cookie))
        return response
