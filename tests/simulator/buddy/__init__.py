# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Buddy.Works REST API of the simulator, served under ``/buddy`` (a client's base URL is ``<sim>/buddy``, as
Buddy's is ``https://api.buddy.works``).

Request pipeline (``BuddyApi.handle``, under the engine lock): route (unknown path 404, wrong method 405, both with
Buddy's ``{"errors":[...]}`` body) -> token from ``Authorization: Bearer`` or ``?access_token=`` (401 without one or
for an unknown one) -> the token's rate-limit window (429, or 403 with ``rate_limit_status: 403``) -> the handler in
:mod:`.routes`. Every answer carries ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset``
(epoch seconds of the window's end on the simulated clock).

:mod:`.model` parses the scenario, :mod:`.views` renders Buddy's JSON, :mod:`.routes` holds the handlers.
"""
from __future__ import annotations

import json
import math
import re
import typing as t

from ..engine import Engine
from ..httpcore import RateLimit, Request, Response, VendorApi
from ..scenario import Scenario
from .model import VENDOR, Catalog, Token, parse_catalog
from .routes import Call, Handlers, Refusal, error
from .views import Urls

RATE_LIMIT_MESSAGE = 'Rate limit exceeded.'
_P = r'/workspaces/(?P<workspace>[^/]+)/projects/(?P<project>[^/]+)/pipelines'
_E = _P + r'/(?P<pipeline>\d+)/executions/(?P<execution>\d+)'
_EXECUTION = re.compile(_E)


class BuddyApi(VendorApi):
    """Buddy.Works pipelines and executions under ``/buddy``."""

    name = VENDOR
    base = '/buddy'

    def __init__(self, engine: Engine) -> None:
        self.catalog: Catalog = parse_catalog(engine.scenario)
        self.handlers = Handlers(engine, self.catalog, engine.now())
        self._windows: dict[str, list[float]] = {}    # token -> [window start, requests counted]
        super().__init__(engine)

    def register(self) -> None:
        """The routes (relative to ``/buddy``) and their operation labels."""
        add, h = self.router.add, self._bound
        add('GET', _P, h('pipelines'), 'pipelines')
        add('GET', _P + r'/(?P<pipeline>\d+)', h('pipeline'), 'pipeline')
        add('GET', _P + r'/(?P<pipeline>\d+)/executions', h('list_executions'), 'list')
        add('POST', _P + r'/(?P<pipeline>\d+)/executions', h('run'), 'run')
        add('GET', _E, h('get_execution'), 'get')
        add('PATCH', _E, h('patch'), 'patch')
        add('GET', _E + r'/action_executions/(?P<hex>[0-9a-fA-F]{24})', h('action_execution'), 'action')
        add('GET', _E + r'/actions?/(?P<action>\d+)', h('action'), 'action')
        add('GET', r'/workspaces/(?P<workspace>[^/]+)/variables', h('variables'), 'variables')

    def _bound(self, name: str) -> t.Callable[[Call], Response]:
        """A handler looked up on the current :class:`Handlers` at call time (they are replaced on reset)."""
        return lambda call: t.cast(Response, getattr(self.handlers, name)(call))

    def validate(self, scenario: Scenario) -> None:
        """Raise ScenarioError when the ``buddy:`` section or a Buddy pipeline is invalid."""
        parse_catalog(scenario)

    def reset(self) -> None:
        """New catalog and handlers; forget rate-limit windows."""
        self.catalog = parse_catalog(self.engine.scenario)
        self.handlers = Handlers(self.engine, self.catalog, self.engine.now())
        self._windows = {}

    def secret_query_names(self) -> set[str]:
        """``access_token`` is a credential."""
        return {'access_token'}

    def banner(self, base_url: str) -> str:
        """CLI line: URL, the first workspace/project and the first token."""
        line = '%-8s %s%s' % (self.name, base_url, self.base)
        workspace = self.catalog.config.workspaces[0]
        line += '   workspace %s' % workspace.domain
        if workspace.projects:
            line += ', project %s' % workspace.projects[0].name
        if self.catalog.config.tokens:
            line += ', token %s' % self.catalog.config.tokens[0].value
        return line

    def operation(self, request: Request) -> str | None:
        """Route label; a PATCH of an execution is ``patch.<operation lower-cased>`` (``patch`` when the body has none)."""
        if request.method == 'PATCH' and _EXECUTION.fullmatch(request.path):
            try:
                body = json.loads(request.body.decode('utf-8') or 'null')
            except (ValueError, UnicodeDecodeError):
                return 'patch'
            operation = body.get('operation') if isinstance(body, dict) else None
            return 'patch.%s' % operation.lower() if isinstance(operation, str) and operation else 'patch'
        return self.router.operation(request.method, request.path)

    # -- rate limits -----------------------------------------------------------------------
    def _rate_headers(self, response: Response, limit: int, remaining: int, reset: float) -> Response:
        response.set_header('X-Rate-Limit-Limit', str(limit))
        response.set_header('X-Rate-Limit-Remaining', str(max(0, remaining)))
        # An epoch time the client compares with its own clock: the window's end in real time (see Clock.wall).
        return response.set_header('X-Rate-Limit-Reset', str(int(math.ceil(self.engine.clock.wall(reset)))))

    def _window(self, token: str, now: float, count: bool) -> tuple[bool, int, float]:
        """(allowed, remaining, reset) of a token's fixed window; ``count`` spends one request when allowed."""
        limit, length = self.catalog.config.rate_limit
        window = self._windows.get(token)
        if window is None or now >= window[0] + length:
            window = self._windows[token] = [now, 0.0]
        allowed = window[1] < limit
        if allowed and count:
            window[1] += 1
        return allowed, int(limit - window[1]), window[0] + length

    def rate_limit_response(self, request: Request, limit: RateLimit) -> Response:
        """Buddy's refusal for an injected rate limit: 429 (or ``rate_limit_status``) + ``Rate limit exceeded.`` + X-Rate-Limit-*.

        ``reset_after`` (else ``retry_after``, else the configured window) sets ``X-Rate-Limit-Reset``; no
        ``Retry-After`` is sent (Buddy's clients wait for ``X-Rate-Limit-Reset``).
        """
        config = self.catalog.config
        after = limit.reset_after if limit.reset_after is not None else limit.retry_after
        reset = self.engine.clock.now() + (config.rate_limit[1] if after is None else after)
        response = error(config.rate_limit_status, RATE_LIMIT_MESSAGE)
        return self._rate_headers(response, config.rate_limit[0] if limit.limit is None else limit.limit,
                                  0 if limit.remaining is None else limit.remaining, reset)

    # -- request handling ------------------------------------------------------------------
    def _token(self, request: Request) -> str | None:
        header = (request.header('Authorization') or '').strip()
        if header:
            scheme, _sep, value = header.partition(' ')
            return value.strip() if scheme.lower() == 'bearer' and value.strip() else ''
        given = request.query.get('access_token', [None])[0]
        return None if given is None else given.strip()

    def handle(self, request: Request) -> Response:
        """Route, authenticate, rate-limit, then the handler; X-Rate-Limit-* on every answer."""
        self.engine.sync()
        self.handlers.adopt()
        now = self.engine.now()
        handler, match, allowed = self.router.resolve(request.method, request.path)
        presented = self._token(request)
        token: Token | None = self.catalog.config.token(presented) if presented else None
        limit, length = self.catalog.config.rate_limit
        # Only authenticated requests of a known route count; the others show a full window.
        ok, remaining, reset = self._window(token.value, now, handler is not None) if token else (True, limit, now + length)
        if handler is None:
            response = error(405, 'Method %s is not allowed.' % request.method) if allowed else error(404, 'Not found.')
            if allowed:
                response.set_header('Allow', ', '.join(sorted(allowed)))
        elif not presented:
            response = error(401, 'Authentication required: send the header Authorization: Bearer <token>.')
        elif token is None:
            response = error(401, 'Invalid access token.')
        elif not ok:
            response = error(self.catalog.config.rate_limit_status, RATE_LIMIT_MESSAGE)
        else:
            request.match = match
            host = request.header('Host') or '127.0.0.1'
            call = Call(request=request, token=token, urls=Urls('%s://%s%s' % (request.scheme, host, self.base), self.catalog.config.app_url), now=now)
            try:
                response = handler(call)
            except Refusal as refusal:
                response = refusal.response()
        return self._rate_headers(response, limit, remaining, reset)
