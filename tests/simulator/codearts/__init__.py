# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Huawei Cloud CodeArts Pipeline (v5 API) of the simulator, served under ``/codearts``: a client's endpoint is
``<sim>/codearts`` (Huawei's is e.g. ``https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com``), and the IAM
token endpoint is ``<sim>/codearts/v3/auth/tokens`` (Huawei's ``https://iam.<region>.myhuaweicloud.com``).

Request pipeline (``CodeArtsApi.handle``, under the engine lock), as the API gateway in front of CodeArts:
route (unknown path or method: 404 ``APIGW.0101``) -> ``POST /v3/auth/tokens`` goes to the small IAM ->
authentication (``X-Auth-Token`` from that IAM, or an ``SDK-HMAC-SHA256`` AK/SK signature with ``X-Sdk-Date``
within 15 minutes of the *wall clock* and ``X-Security-Token`` for temporary credentials; failures: 401
``APIGW.0301``) -> the per-user throttle (429 ``APIGW.0308``) -> the handler in :mod:`.routes`. Every answer has
an ``X-Request-Id`` header; gateway error bodies also carry ``request_id``.

The signature is accepted over the path relative to ``/codearts`` (what a client whose endpoint is a host root
signs, e.g. the official SDK) or over the full path (what a client signs whose endpoint is ``<sim>/codearts``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import typing as t

from ..engine import Engine
from ..httpcore import RateLimit, Request, Response, VendorApi, json_response
from ..scenario import Scenario
from . import signer
from .model import VENDOR, Catalog, Credential, hex32, parse_catalog
from .routes import JSON_TYPE, Call, Handlers, Refusal

CLOCK_SKEW = 15 * 60.0          # APIG: X-Sdk-Date must be within 15 minutes of the server time
AUTH_PREFIX = 'Incorrect IAM authentication information: '
THROTTLE_MESSAGE = 'The throttling threshold has been reached: policy user over ratelimit,limit:%d,time:%s'
_P = r'/v5/(?P<project>[^/]+)/api/pipelines'
_R = _P + r'/(?P<pipeline>[^/]+)/pipeline-runs/(?P<run>[^/]+)'
_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ('POST', r'/v3/auth/tokens', 'iam_token', 'iam.token'),
    ('POST', _P + r'/list', 'list_pipelines', 'list_pipelines'),
    ('POST', _P + r'/status', 'status', 'status'),
    ('GET', _P + r'/(?P<pipeline>[^/]+)/pipeline-runs/detail', 'detail', 'detail'),
    ('POST', _P + r'/(?P<pipeline>[^/]+)/pipeline-runs/list', 'list_runs', 'list_runs'),
    ('POST', _P + r'/(?P<pipeline>[^/]+)/run', 'run', 'run'),
    ('PUT', _R + r'/retry', 'retry', 'retry'),
    ('POST', _R + r'/stop', 'stop', 'stop'),
    ('POST', _R + r'/jobs/(?P<job>[^/]+)/steps/(?P<step>[^/]+)/pass', 'review_pass', 'review.pass'),
    ('POST', _R + r'/jobs/(?P<job>[^/]+)/steps/(?P<step>[^/]+)/refuse', 'review_refuse', 'review.refuse'),
    ('POST', _R + r'/jobs/(?P<job>[^/]+)/steps/(?P<step>[^/]+)/logs', 'log', 'log'),
    ('POST', _R + r'/steps/(?P<step>[^/]+)/manual/pass', 'checkpoint_pass', 'checkpoint.pass'),
    ('POST', _R + r'/steps/(?P<step>[^/]+)/manual/refuse', 'checkpoint_refuse', 'checkpoint.refuse'),
    ('GET', _P + r'/(?P<pipeline>[^/]+)', 'pipeline', 'pipeline'),
)


class _GatewayError(Exception):
    """A request the API gateway refuses (``APIGW.*``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def gateway_error(request_id: str, status: int, code: str, message: str) -> Response:
    """The gateway's error body ``{"error_msg", "error_code", "request_id"}``."""
    return json_response({'error_msg': message, 'error_code': code, 'request_id': request_id}, status, JSON_TYPE)


def throttle_window_text(window: float) -> str:
    """``1 minute`` for 60 s (the documented text); ``N minute`` / ``N second`` otherwise."""
    return '%d minute' % (window // 60) if window % 60 == 0 else '%d second' % window


class CodeArtsApi(VendorApi):
    """CodeArts Pipeline v5 (and a minimal IAM token endpoint) under ``/codearts``."""

    name = VENDOR
    base = '/codearts'

    def __init__(self, engine: Engine) -> None:
        self.catalog: Catalog = parse_catalog(engine.scenario)
        self.handlers = Handlers(engine, self.catalog)
        self._tokens: dict[str, tuple[str, float]] = {}       # token -> (user, expires at, simulated time)
        self._windows: dict[str, list[float]] = {}             # principal -> [window start, requests counted]
        self._requests = 0
        super().__init__(engine)

    def register(self) -> None:
        """The routes (relative to ``/codearts``) and their operation labels."""
        for method, pattern, handler, label in _ROUTES:
            self.router.add(method, pattern, self._bound(handler), label)

    def _bound(self, name: str) -> t.Callable[[Call], Response]:
        table: dict[str, t.Callable[[Handlers, Call], Response]] = {
            'review_pass': lambda h, c: h.review(c, True), 'review_refuse': lambda h, c: h.review(c, False),
            'checkpoint_pass': lambda h, c: h.checkpoint(c, True), 'checkpoint_refuse': lambda h, c: h.checkpoint(c, False)}
        if name in table:
            return lambda call: table[name](self.handlers, call)
        return lambda call: t.cast(Response, getattr(self.handlers, name)(call))

    def validate(self, scenario: Scenario) -> None:
        """Raise ScenarioError when the ``codearts:`` section or a CodeArts pipeline is invalid."""
        parse_catalog(scenario)

    def reset(self) -> None:
        """New catalog and handlers; forget tokens and throttle windows."""
        self.catalog = parse_catalog(self.engine.scenario)
        self.handlers = Handlers(self.engine, self.catalog)
        self._tokens, self._windows = {}, {}

    def issued_secrets(self) -> dict[str, list[str]]:
        """The IAM tokens issued since the last reset."""
        return {'iam_tokens': sorted(self._tokens)}

    def banner(self, base_url: str) -> str:
        """CLI line: URL, the first AK and the CodeArts project id."""
        config = self.catalog.config
        line = '%-8s %s%s' % (self.name, base_url, self.base)
        if config.credentials:
            line += '   AK %s' % config.credentials[0].ak
        return line + ', project %s (IAM project %s)' % (config.project_id, config.iam_project_id)

    def rate_limit_response(self, request: Request, limit: RateLimit) -> Response:
        """The gateway's 429 ``APIGW.0308`` for an injected rate limit (``limit`` defaults to the throttle's, else 100)."""
        throttle = self.catalog.config.throttle
        count = limit.limit if limit.limit is not None else (throttle[0] if throttle else 100)
        window = throttle[1] if throttle else 60.0
        response = gateway_error(self._request_id(), 429, 'APIGW.0308', THROTTLE_MESSAGE % (count, throttle_window_text(window)))
        if limit.retry_after is not None:
            response.headers.append(('Retry-After', str(int(limit.retry_after))))
        return response

    def not_found(self, request: Request) -> Response:
        """APIG's answer for a path no API is published on."""
        return gateway_error(self._request_id(), 404, 'APIGW.0101', 'The API does not exist or has not been published in the environment')

    def method_not_allowed(self, request: Request, allowed: set[str]) -> Response:
        """APIG matches method and path together: a wrong method is an unknown API too."""
        return self.not_found(request)

    # -- authentication ----------------------------------------------------------------------------
    def _request_id(self) -> str:
        self._requests += 1
        return hex32('request', self._requests)

    def _authenticate(self, request: Request) -> str:
        """The IAM user name the request acts as; _GatewayError (401 APIGW.0301) otherwise."""
        config = self.catalog.config
        token = request.header('X-Auth-Token')
        authorization = request.header('Authorization')
        if token is not None and not authorization:
            found = self._tokens.get(token.strip())
            if found is None:
                raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'decrypt token fail')
            if found[1] <= self.engine.now():
                expired = time.strftime('%Y-%m-%dT%H:%M:%S.000000Z', time.gmtime(found[1]))
                raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'token expires, expires_at: %s' % expired)
            return found[0]
        if not authorization:
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'x-auth-token not found')
        parsed = signer.parse_authorization(authorization)
        if parsed is None:
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'verify aksk signature fail')
        ak, signed, given = parsed
        credential = config.credential(ak)
        security = request.header('X-Security-Token')
        if credential is None or (credential.security_token is not None and security != credential.security_token) \
                or (credential.security_token is None and security is not None):
            # Temporary AKs only exist together with their security token.
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'Get secretKey failed,ak:%s,err:ak not exist' % ak)
        self._verify(request, credential, signed, given)
        return credential.user

    def _verify(self, request: Request, credential: Credential, signed: list[str], given: str) -> None:
        sdk_date = request.header('X-Sdk-Date') or ''
        lowered = {k.lower() for k in request.headers}
        # Host and X-Sdk-Date must be signed, and every signed header must be present.
        if 'host' not in signed or 'x-sdk-date' not in signed or any(h not in lowered for h in signed):
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'verify aksk signature fail')
        when = signer.parse_date(sdk_date)
        if when is None:
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'verify aksk signature fail')
        now = time.time()
        if abs(now - when) > CLOCK_SKEW:
            raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'signature expired, signature time:%s,server time:%s'
                                % (sdk_date, time.strftime(signer.DATE_FORMAT, time.gmtime(now))))
        for path in (request.path, request.base + request.path):
            text = signer.canonical_request(request.method, path or '/', request.raw_query, request.headers, signed, request.body)
            if hmac.compare_digest(signer.signature(credential.sk, text, sdk_date), given.lower()):
                return
        raise _GatewayError(401, 'APIGW.0301', AUTH_PREFIX + 'verify aksk signature fail')

    def _throttle(self, principal: str) -> None:
        throttle = self.catalog.config.throttle
        if throttle is None:
            return
        limit, length = throttle
        now = self.engine.now()
        window = self._windows.get(principal)
        if window is None or now >= window[0] + length:
            window = self._windows[principal] = [now, 0.0]
        if window[1] >= limit:
            raise _GatewayError(429, 'APIGW.0308', THROTTLE_MESSAGE % (limit, throttle_window_text(length)))
        window[1] += 1

    # -- IAM ---------------------------------------------------------------------------------------
    def _iam_token(self, request: Request) -> Response:
        """``POST /v3/auth/tokens`` (password method, project scope): 201 + ``X-Subject-Token``; 401 otherwise."""
        config = self.catalog.config
        try:
            body = json.loads(request.body.decode('utf-8') or 'null')
            identity = body['auth']['identity']
            user = identity['password']['user']
            name, password, domain = user['name'], user['password'], user['domain']['name']
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            return json_response({'error': {'code': 400, 'message': 'The request body is invalid.', 'title': 'Bad Request'}}, 400, JSON_TYPE)
        known = config.user(name)
        if 'password' not in (identity.get('methods') or []) or known is None or known.domain != domain \
                or not hmac.compare_digest(known.password.encode('utf-8'), str(password).encode('utf-8')):
            return json_response({'error': {'code': 401, 'message': 'The username or password is wrong.', 'title': 'Unauthorized'}},
                                 401, JSON_TYPE)
        now = self.engine.now()
        expires = now + config.token_ttl
        token = 'MII' + hashlib.sha256(('%s\x1f%s\x1f%d' % (name, now, len(self._tokens))).encode('utf-8')).hexdigest() * 4
        self._tokens[token] = (name, expires)
        stamp = '%Y-%m-%dT%H:%M:%S.000000Z'
        scope = (body.get('auth') or {}).get('scope') or {}
        project = scope.get('project') if isinstance(scope, dict) else None
        answer = {'token': {'expires_at': time.strftime(stamp, time.gmtime(expires)), 'issued_at': time.strftime(stamp, time.gmtime(now)),
                            'methods': ['password'], 'catalog': [], 'roles': [],
                            'user': {'name': name, 'id': known.id, 'domain': {'name': domain, 'id': config.domain_id}, 'password_expires_at': ''},
                            'project': {'name': (project or {}).get('name') or config.region, 'id': config.iam_project_id,
                                        'domain': {'name': domain, 'id': config.domain_id}}}}
        return json_response(answer, 201, JSON_TYPE).set_header('X-Subject-Token', token)

    # -- request handling ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Route, IAM or authenticate + throttle, then the handler; ``X-Request-Id`` on every answer."""
        self.engine.sync()
        self.handlers.adopt()
        request_id = self._request_id()
        handler, match, _allowed = self.router.resolve(request.method, request.path)
        if handler is None:
            response = self.not_found(request)
        elif re.fullmatch(r'/v3/auth/tokens', request.path):
            response = self._iam_token(request)
        else:
            try:
                user = self._authenticate(request)
                self._throttle(user)
            except _GatewayError as exc:
                response = gateway_error(request_id, exc.status, exc.code, exc.message)
            else:
                request.match = match
                try:
                    response = handler(Call(request=request, user=user, now=self.engine.now()))
                except Refusal as refusal:
                    response = refusal.response()
        return response.set_header('X-Request-Id', request_id)
