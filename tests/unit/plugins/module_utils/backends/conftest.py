# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test doubles shared by the backend unit tests: a fake HTTP transport and recorded vendor JSON.

`FakeTransport` replaces only the network (`Transport._send`): retries, 4xx/5xx -> typed errors,
ambiguous outcomes and redaction all run through the real `Transport.request`, so backends see the
errors they would see in production. Routes are (method, path regex) -> a recorded answer or a
callable; every request is recorded, and a request nobody routed fails the test loudly.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import typing as t
import urllib.parse

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._http import Response, RetryPolicy, Transport, _Broken

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


@dataclasses.dataclass
class Request:
    """One request as the backend sent it; `path` is relative to the transport's base URL."""

    method: str
    path: str
    url: str
    params: t.Any = None
    data: t.Any = None
    json: t.Any = None
    headers: t.Dict[str, str] = dataclasses.field(default_factory=dict)

    def form(self) -> t.Dict[str, t.Any]:
        return dict(self.data or {})

    def header(self, name: str) -> t.Optional[str]:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class UnexpectedRequest(Exception):
    """The backend sent a request no route answers (or one outside the configured base URL)."""


Answer = t.Union[Response, t.Tuple[int, t.Any], t.Tuple[int, t.Any, t.Mapping[str, str]], t.Any]


@dataclasses.dataclass
class Route:
    method: str
    pattern: t.Pattern[str]
    answer: t.Callable[[Request], Answer]
    times: t.Optional[int] = None
    ambiguous: bool = False


def make_response(status: int = 200, body: t.Any = None, headers: t.Optional[t.Mapping[str, str]] = None,
                  url: str = '') -> Response:
    """A Response: dict/list bodies become JSON, str bodies HTML (as vendors' error pages)."""
    head = dict(headers or {})
    if isinstance(body, (dict, list)) or (body is None and status == 200 and 'Content-Type' not in head):
        payload = json.dumps(body).encode() if body is not None else b''
        head.setdefault('Content-Type', 'application/json;charset=utf-8')
    elif isinstance(body, bytes):
        payload = body
    else:
        payload = (body or '').encode()
        if payload:
            head.setdefault('Content-Type', 'text/html;charset=utf-8')
    return Response(status, head, payload, url)


class FakeTransport(Transport):
    """A Transport whose network is a routing table. See the module docstring."""

    def __init__(self, base_url: str, vendor: str, **kwargs: t.Any) -> None:
        self.routes: t.List[Route] = []
        self.requests: t.List[Request] = []
        self.sleeps: t.List[float] = []
        kwargs.setdefault('policy', RetryPolicy(retries=2, backoff=0.0))
        kwargs.setdefault('sleep', self.sleeps.append)
        super().__init__(base_url, vendor=vendor, **kwargs)

    def add(self, method: str, pattern: str, body: t.Any = None, *, status: int = 200,
            headers: t.Optional[t.Mapping[str, str]] = None, handler: t.Optional[t.Callable[[Request], Answer]] = None,
            times: t.Optional[int] = None, ambiguous: bool = False,
            commit: t.Optional[t.Callable[[Request], t.Any]] = None) -> 'FakeTransport':
        """Answer `method` on paths fully matching `pattern`. Later routes win over earlier ones.

        `handler(request)` computes the answer (a Response, (status, body[, headers]) or a JSON body).
        `times` limits how often the route answers (then earlier routes take over). `ambiguous`
        simulates a connection lost after sending: `commit(request)` runs first when the server is to
        have acted ("commit-then-drop"), then the answer never arrives.
        """
        if handler is None:
            def handler(_request: Request, _body: t.Any = body) -> Answer:
                return make_response(status, copy.deepcopy(_body), headers)
        if ambiguous:
            def answer(request: Request, _commit: t.Any = commit) -> Answer:
                if _commit is not None:
                    _commit(request)
                raise _Broken('connection reset by peer after the request was sent')
            self.routes.append(Route(method.upper(), re.compile(pattern), answer, times, True))
        else:
            self.routes.append(Route(method.upper(), re.compile(pattern), handler, times))
        return self

    def _send(self, method: str, path: str, **kwargs: t.Any) -> Response:
        self.request_count += 1
        url = self.url(path)
        if not url.startswith(self.base_url + '/'):
            raise UnexpectedRequest('request outside the configured base URL %s: %s %s' % (self.base_url, method, url))
        relative = url[len(self.base_url):]
        params = kwargs.get('params')
        if '?' in relative:
            # A query already in the URL (a signer that sends it exactly as it signed it): routed on the path alone.
            relative, query = relative.split('?', 1)
            params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True)) if params is None else params
        headers = dict(kwargs.get('headers') or {})
        data, body = kwargs.get('data'), None
        # The transport sends encoded bytes (what an authenticator signed); decode them back for the assertions.
        kind = next((v for k, v in headers.items() if k.lower() == 'content-type'), '')
        if isinstance(data, bytes) and kind.startswith('application/json'):
            data, body = None, json.loads(data.decode('utf-8'))
        elif isinstance(data, bytes) and kind.startswith('application/x-www-form-urlencoded'):
            data = dict(urllib.parse.parse_qsl(data.decode('utf-8'), keep_blank_values=True))
        request = Request(method, relative, url, params, data, body, headers)
        self.requests.append(request)
        for route in reversed(self.routes):
            if route.method != method or not route.pattern.fullmatch(relative):
                continue
            if route.times is not None:
                if route.times <= 0:
                    continue
                route.times -= 1
            answer = route.answer(request)
            if isinstance(answer, Response):
                return answer
            if isinstance(answer, tuple):
                return make_response(*answer)
            return make_response(200, answer)
        raise UnexpectedRequest('no route for %s %s' % (method, relative))

    def calls(self, method: t.Optional[str] = None, pattern: t.Optional[str] = None) -> t.List[Request]:
        """Recorded requests, optionally only those with `method` and a path fully matching `pattern`."""
        return [r for r in self.requests
                if (method is None or r.method == method.upper())
                and (pattern is None or re.fullmatch(pattern, r.path))]


def load_fixture(vendor: str, name: str) -> t.Any:
    """A fresh copy of fixtures/<vendor>/<name>.json."""
    with open(os.path.join(FIXTURES, vendor, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


@pytest.fixture
def fixture_json() -> t.Callable[[str, str], t.Any]:
    """`fixture_json('jenkins', 'job_deploy')` -> the recorded JSON (a fresh copy each call)."""
    return load_fixture


@pytest.fixture
def fake_transport() -> t.Callable[..., FakeTransport]:
    """`fake_transport(base_url, vendor)` -> a new FakeTransport."""
    return FakeTransport
