# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures for the core module_utils tests: a real, programmable HTTP server on 127.0.0.1.

Each request the server receives takes the next behaviour from a queue (or `default` when the queue
is empty): a canned reply, a connection reset (SO_LINGER 0) before answering, "commit then drop"
(the request is recorded as acted on, then the connection is reset), or a delay before answering.
"""

from __future__ import annotations

import collections
import dataclasses
import http.server
import socket
import struct
import threading
import time
import typing as t

import pytest


@dataclasses.dataclass
class Reply:
    status: int = 200
    headers: t.Dict[str, str] = dataclasses.field(default_factory=dict)
    body: t.Union[bytes, str] = b'{}'


@dataclasses.dataclass
class Reset:
    """Reset the connection (RST) after reading the request, before any response byte."""


@dataclasses.dataclass
class CommitThenDrop:
    """Act on the request (recorded in `server.committed`), then reset the connection without answering."""


@dataclasses.dataclass
class Delay:
    """Answer `then` only after `seconds` (longer than the client's timeout)."""

    seconds: float
    then: Reply = dataclasses.field(default_factory=Reply)


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    headers: t.Dict[str, str]
    body: bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so every attempt is a fresh, independent connection.
    protocol_version = 'HTTP/1.0'

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 - silence the access log
        pass

    def _handle(self) -> None:
        fake: 'FakeServer' = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        with fake.lock:
            fake.requests.append(Seen(self.command, self.path, dict(self.headers), body))
            behaviour = fake.behaviours.popleft() if fake.behaviours else fake.default
        if isinstance(behaviour, CommitThenDrop):
            with fake.lock:
                fake.committed.append(Seen(self.command, self.path, dict(self.headers), body))
            self._reset()
            return
        if isinstance(behaviour, Reset):
            self._reset()
            return
        if isinstance(behaviour, Delay):
            time.sleep(behaviour.seconds)
            behaviour = behaviour.then
        self._reply(behaviour)

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.connection.close()
        self.close_connection = True

    def _reply(self, reply: Reply) -> None:
        body = reply.body.encode('utf-8') if isinstance(reply.body, str) else reply.body
        try:
            self.send_response(reply.status)
            headers = {'Content-Type': 'application/json'}
            headers.update(reply.headers)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout test)
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        pass  # resets and timeouts are deliberate here


class FakeServer:
    """A programmable HTTP server; `url` is its base URL, `requests` what it received.

    The behaviours are reachable from the fixture (`http_server.Reply(...)`) so tests need not import conftest.
    """

    Reply = Reply
    Reset = Reset
    CommitThenDrop = CommitThenDrop
    Delay = Delay

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.behaviours: t.Deque[t.Any] = collections.deque()
        self.default: t.Any = Reply()
        self.requests: t.List[Seen] = []
        self.committed: t.List[Seen] = []
        self._server: t.Optional[_Server] = None
        self._thread: t.Optional[threading.Thread] = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return 'http://127.0.0.1:%d' % self.port

    def queue(self, *behaviours: t.Any) -> None:
        self.behaviours.extend(behaviours)

    def start(self) -> None:
        """Listen (again) on the same port: after `stop()`, this brings a refused endpoint back."""
        server = _Server(('127.0.0.1', self.port), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.01}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket: connections to the port are then refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[FakeServer]:
    # requests honours proxy variables; a proxy must not stand between the tests and 127.0.0.1.
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    fake = FakeServer()
    try:
        yield fake
    finally:
        fake.stop()


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: t.List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, 'slept a negative time: %r' % seconds
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
