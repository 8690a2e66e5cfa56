# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Harness FirstGen API of the simulator, served under ``/harness`` (a client's ``api_url`` is ``<sim>/harness``,
as SaaS's is ``https://app.harness.io/gateway``).

Request pipeline (``HarnessApi.handle``, under the engine lock):
authenticate the ``X-Api-Key`` header (AuthenticationFilter: 400 without a key, 401 for a key that is not
valid for the ``accountId`` query parameter or, without one, for any account) -> for ``POST /api/graphql``:
the per-account rate limit (429) -> parse the body (JSON ``{query, variables, operationName}`` or a
``text/plain`` query) -> graphql-core ``graphql_sync`` against :data:`.schema.SCHEMA` with
:class:`.resolvers.Root` -> graphql-java's ``toSpecification()`` shape in an HTTP 200;
``PUT /api/executions/{id}`` is the REST abort (:mod:`.rest`).

:mod:`.schema` holds the project's own schema subset (``schema.graphql``, written by us; the names
follow Harness because clients send them) and the compatibility check used by the contract test.
"""
from __future__ import annotations

import collections
import json
import re
import typing as t

from graphql import GraphQLError, OperationDefinitionNode, graphql_sync, parse
from graphql.language import FieldNode

from ..engine import Engine
from ..httpcore import RateLimit, Request, Response, VendorApi, json_response, text_response
from ..scenario import Scenario
from . import rest
from .errors import REQUEST, graphql_error_body, rest_error
from .model import VENDOR, Account, Catalog, parse_catalog
from .resolvers import HarnessState, Root
from .schema import SCHEMA
from .views import Registry, ms

GRAPHQL_PATH = '/api/graphql'
_ABORT_PATH = re.compile(r'/api/executions/([^/]+)')
RATE_LIMIT_MESSAGE = "You've reached your account's rate limit for data queries. Please try again later."
RATE_WINDOW = 60.0  # GraphQLRateLimiter: a sliding window of one minute


def _graphql_request(request: Request) -> tuple[str, dict[str, t.Any] | None, str | None]:
    """(query, variables, operationName) of a GraphQL POST; ValueError when the body is not usable.

    ``application/json`` carries the GraphQLQuery object, ``text/plain`` the bare query (GraphQLResource's
    two ``@Consumes``; the multipart variant is not simulated).
    """
    ctype = (request.header('Content-Type') or '').split(';')[0].strip().lower()
    text = request.body.decode('utf-8')
    if ctype == 'text/plain':
        return text, None, None
    if ctype != 'application/json':
        raise LookupError(ctype)
    body = json.loads(text or 'null')
    if not isinstance(body, dict):
        raise ValueError('the body must be a JSON object')
    variables = body.get('variables')
    if variables is not None and not isinstance(variables, dict):
        raise ValueError('variables must be an object')
    return str(body.get('query') or ''), variables, body.get('operationName') or None


def operation_label(request: Request) -> str | None:
    """``operationName``, else the operation's top-level field names joined with ``+``; ``abort`` for the REST interrupt."""
    if request.method == 'PUT' and _ABORT_PATH.fullmatch(request.path):
        return 'abort'
    if request.method != 'POST' or request.path != GRAPHQL_PATH:
        return None
    try:
        query, _variables, name = _graphql_request(request)
        if name:
            return name
        document = parse(query)
    except (ValueError, LookupError, UnicodeDecodeError, GraphQLError):
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        return None
    fields = [s.name.value for s in operations[0].selection_set.selections if isinstance(s, FieldNode)]
    return '+'.join(fields) or None


class HarnessApi(VendorApi):
    """Harness FirstGen (GraphQL + the REST abort) under ``/harness``."""

    name = VENDOR
    base = '/harness'

    def __init__(self, engine: Engine) -> None:
        self.catalog: Catalog = parse_catalog(engine.scenario)
        self.state = HarnessState(self.catalog, Registry(engine, self.catalog), ms(engine.now()) or 0)
        self._calls: dict[str, collections.deque[float]] = {}
        super().__init__(engine)

    def validate(self, scenario: Scenario) -> None:
        """Raise ScenarioError when the ``harness:`` section or a Harness pipeline is invalid."""
        parse_catalog(scenario)

    def reset(self) -> None:
        """New catalog and id registry; forget rate-limit windows and modification marks."""
        self.catalog = parse_catalog(self.engine.scenario)
        self.state = HarnessState(self.catalog, Registry(self.engine, self.catalog), ms(self.engine.now()) or 0)
        self._calls = {}

    def mark_modified(self, pipeline: str) -> None:
        """Simulate an edit of a pipeline (scenario name ``app/name``): its executions created so far can no longer be resumed."""
        with self.engine.lock:
            entity = next(e for e in self.catalog.entities if e.spec.name == pipeline)
            self.state.modified_at[entity.id] = self.engine.now()

    def banner(self, base_url: str) -> str:
        """CLI line with the first account and its first API key."""
        line = '%-8s %s%s' % (self.name, base_url, self.base)
        account = self.catalog.config.accounts[0]
        line += '   account %s' % account.id
        if account.api_keys:
            line += ', API key %s' % account.api_keys[0]
        return line

    def operation(self, request: Request) -> str | None:
        """The GraphQL operation (see :func:`operation_label`); request-only, so doomed requests are labelled too."""
        return operation_label(request)

    def rate_limit_response(self, request: Request, limit: RateLimit) -> Response:
        """Harness's 429: GraphQLUtils' error body, no Retry-After (Harness sends none)."""
        return json_response(graphql_error_body(RATE_LIMIT_MESSAGE), 429, 'application/json')

    def not_found(self, request: Request) -> Response:
        """No such resource (Jersey's plain 404)."""
        return text_response('HTTP 404 Not Found', 404)

    # -- request handling ------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Authenticate, then GraphQL or the REST abort."""
        self.engine.sync()
        self.state.registry.adopt()
        is_graphql = request.path == GRAPHQL_PATH
        abort = _ABORT_PATH.fullmatch(request.path)
        if not (is_graphql and request.method == 'POST') and not (abort and request.method == 'PUT'):
            if is_graphql or abort:
                return text_response('HTTP 405 Method Not Allowed', 405)
            return self.not_found(request)
        account, refusal = self._authenticate(request)
        if account is None:
            return t.cast(Response, refusal)
        if abort:
            return rest.abort(self.engine, self.state.registry, account, request, abort.group(1))
        if self._over_limit(account):
            return self.rate_limit_response(request, RateLimit())
        return self._graphql(request, account)

    def _authenticate(self, request: Request) -> tuple[Account | None, Response | None]:
        """AuthenticationFilter.validateExternalFacingApiRequest: the key must be valid for the accountId given (or its own)."""
        key = (request.header('X-Api-Key') or '').strip()
        if not key:
            return None, rest_error(REQUEST, 'Invalid request: Api Key not supplied')
        account = self.catalog.config.account_for_key(key)
        wanted = request.query.get('accountId', [''])[0] or (account.id if account else '')
        if account is None or account.id != wanted:
            return None, rest_error('INVALID_TOKEN', 'Token is not valid.')
        return account, None

    def _over_limit(self, account: Account) -> bool:
        """Sliding one-minute window of accepted calls on the simulated clock (off when ``rate_limit`` is null)."""
        limit = self.catalog.config.rate_limit
        if limit is None:
            return False
        now = self.engine.now()
        calls = self._calls.setdefault(account.id, collections.deque())
        while calls and calls[0] <= now - RATE_WINDOW:
            calls.popleft()
        if len(calls) >= limit:
            return True
        calls.append(now)
        return False

    def _graphql(self, request: Request, account: Account) -> Response:
        try:
            query, variables, operation_name = _graphql_request(request)
        except LookupError:
            return text_response('HTTP 415 Unsupported Media Type', 415)
        except (ValueError, UnicodeDecodeError):
            return text_response('Unable to process JSON', 400)
        root = Root(self.engine, self.state, account)
        result = graphql_sync(SCHEMA, query, root_value=root, variable_values=variables, operation_name=operation_name)
        body: dict[str, t.Any] = {}
        # graphql-java leaves "data" out when the request never executed (syntax, validation, variables).
        if result.data is not None:
            body['data'] = result.data
        if result.errors:
            body['errors'] = [error.formatted for error in result.errors]
        return json_response(body, 200, 'application/json')
