"""The simulator HTTP server: one loopback port, vendor APIs under their base paths, ``/_sim`` control.

Request flow: parse -> ``/_sim/...`` goes to the control API (never logged, never faulted);
a vendor base (``/jenkins/...``) is labelled with the vendor's operation name
(:meth:`~.httpcore.VendorApi.operation`), goes to fault injection (rules may filter on that
label), then to the vendor module under the engine lock, then into the request log. Anything
else is a 404.

The listening address is always 127.0.0.1: the simulator has fixed demo credentials and a
control API without authentication, so it must never be reachable from another host.

With ``tls=(certfile, keyfile)`` the same port speaks HTTPS only (TLS 1.2 or later), so clients'
certificate checks, CA bundles and proxy tunnels (CONNECT) can be tested against a real handshake.
"""
from __future__ import annotations

import http
import http.server
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import typing as t
import urllib.parse

from .control import ControlApi
from .engine import Engine
from .buddy import BuddyApi
from .codearts import CodeArtsApi
from .httpcore import Request, Response, VendorApi, text_response
from .harness import HarnessApi
from .jenkins import JenkinsApi
from .observe import FaultBook, FaultRule, RequestLog, redact_query
from .scenario import Scenario

LOOPBACK = '127.0.0.1'
CONTROL_BASE = '/_sim'
# Vendor API modules served by this simulator. Adding a vendor = appending its class here.
VENDOR_CLASSES: list[type[VendorApi]] = [JenkinsApi, HarnessApi, BuddyApi, CodeArtsApi]


class Simulator:
    """Everything behind the port: engine, vendor modules, faults, request log, control API."""

    def __init__(self, scenario: Scenario, speed: float | None = None) -> None:
        self.engine = Engine(scenario, speed=speed)
        self.faults = FaultBook()
        self.log = RequestLog()
        self.vendors: dict[str, VendorApi] = {cls.base: cls(self.engine) for cls in VENDOR_CLASSES}
        self.control = ControlApi(self)

    def reset(self) -> None:
        """No executions, no faults, empty log, counters zero; scenario kept."""
        with self.engine.lock:
            self.engine.reset()
            self.faults.clear()
            self.log.clear()
            for vendor in self.vendors.values():
                vendor.reset()

    def load(self, scenario: Scenario) -> None:
        """Validate vendor sections, replace the scenario, then reset (ScenarioError leaves the old one)."""
        for vendor in self.vendors.values():
            vendor.validate(scenario)
        with self.engine.lock:
            self.engine.load(scenario)
            self.reset()

    def vendor_for(self, path: str) -> tuple[VendorApi | None, str]:
        """The vendor serving ``path`` and the path relative to its base."""
        for base, vendor in self.vendors.items():
            if path == base or path.startswith(base + '/'):
                return vendor, path[len(base):]
        return None, path

    def secret_names(self, vendor: VendorApi) -> set[str]:
        """Query names the log redacts for this vendor."""
        with self.engine.lock:
            return vendor.secret_query_names()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Parses requests and hands them to the :class:`Simulator` of the server."""

    protocol_version = 'HTTP/1.1'
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK of the headers, stalling every keep-alive request by ~40 ms.
    disable_nagle_algorithm = True
    server_version = 'cicd-pipelines-simulator'
    sys_version = ''
    server: 'SimulatorServer'

    # BaseHTTPRequestHandler dispatches on do_<METHOD> names.
    def do_GET(self) -> None:  # pylint: disable=invalid-name
        """Dispatch GET."""
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        """Access log to stderr only when the server is verbose (the request log is in /_sim/requests)."""
        if self.server.verbose:
            super().log_message(format, *args)

    def _read_request(self) -> Request:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length > 0 else b''
        return Request(method=self.command, path=parsed.path,
                       query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True), headers=dict(self.headers.items()),
                       body=body, raw_query=parsed.query, scheme='https' if self.server.tls else 'http')

    def _dispatch(self) -> None:
        sim = self.server.simulator
        request = self._read_request()
        path = request.path
        if path == CONTROL_BASE or path.startswith(CONTROL_BASE + '/'):
            request.path, request.base = path[len(CONTROL_BASE):] or '/', CONTROL_BASE
            self._send(self._guard(lambda: sim.control.handle(request)))
            return
        vendor, relative = sim.vendor_for(path)
        if vendor is None:
            self._send(text_response('Not Found: no vendor is served under %s\n' % path, 404))
            return
        request.path, request.base = relative, vendor.base
        operation = self._operation(vendor, request)
        rule = sim.faults.take(vendor.name, request.method, relative, operation)
        fault = rule.kind if rule else None
        note: dict[str, t.Any] = {}
        if rule is not None and rule.action.get('latency'):
            time.sleep(float(rule.action['latency']))
        response: Response | None = None
        if rule is not None and rule.kind == 'rate_limit':
            response = self._guard(lambda: vendor.rate_limit_response(request, rule.rate_limit()))
        elif rule is not None and rule.kind == 'status':
            response = self._fault_response(rule)
        elif rule is None or rule.kind in ('latency', 'commit_then_drop'):
            with sim.engine.lock:
                response = self._guard(lambda: vendor.handle(request))
        if rule is not None and rule.kind in ('reset', 'commit_then_drop'):
            if response is not None:
                note['committed_status'] = response.status
            response = None
        sim.log.record(time=sim.engine.now(), vendor=vendor.name, method=request.method, path=relative,
                       query=redact_query(request.raw_query, sim.secret_names(vendor)),
                       status=None if response is None else response.status, fault=fault, note=note, operation=operation)
        if response is None:
            self._reset_connection()
        else:
            self._send(response)

    @staticmethod
    def _operation(vendor: VendorApi, request: Request) -> str | None:
        """The vendor's operation label; a failing hook must not take the request down with it."""
        try:
            return vendor.operation(request)
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc(file=sys.stderr)
            return None

    @staticmethod
    def _fault_response(rule: FaultRule) -> Response:
        """The answer of a ``status`` fault rule."""
        action = rule.action
        body = action.get('body')
        response = Response(int(action['status']), b'' if body is None else str(body).encode('utf-8'), [])
        headers = dict(action.get('headers') or {})
        if not any(k.lower() == 'content-type' for k in headers):
            headers['Content-Type'] = 'text/plain;charset=utf-8'
        response.headers.extend((str(k), str(v)) for k, v in headers.items())
        return response

    def _guard(self, call: t.Callable[[], Response]) -> Response:
        """Turn a simulator bug into a 500 (with the traceback on stderr) instead of a dead connection."""
        try:
            return call()
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc(file=sys.stderr)
            return text_response('Internal simulator error\n', 500)

    def _send(self, response: Response) -> None:
        try:
            phrase = http.HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ''
        self.log_request(response.status)  # send_response_only does not log: the access log of --verbose
        self.send_response_only(response.status, phrase)
        self.send_header('Date', self.date_time_string())
        self.send_header('Server', self.server_version)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(response.body)))
        self.end_headers()
        if self.command != 'HEAD' and response.body:
            self.wfile.write(response.body)

    def _reset_connection(self) -> None:
        """Abort the TCP connection with RST (SO_LINGER 0) and no response at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        # The buffered reader holds a reference to the socket; the descriptor is really closed
        # (and the RST sent) only once every reference is gone. Closing here, before the
        # server's own shutdown(SHUT_WR), avoids sending a FIN first.
        self.rfile.close()
        self.connection.close()


def tls_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later) for the PEM certificate chain ``certfile``.

    ``keyfile`` is the PEM private key (None: it is in ``certfile``). Raises OSError (ssl.SSLError
    included) when a file is missing or does not hold a matching certificate and key.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


class SimulatorServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 serving one :class:`Simulator`.

    ``tls=(certfile, keyfile)`` serves HTTPS instead (see :func:`tls_context`; ``keyfile`` may be
    None when ``certfile`` holds the key too). The handshake of each connection runs in that
    connection's handler thread, so a client that stalls or rejects the certificate never blocks
    the accept loop.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, simulator: Simulator, port: int = 0, verbose: bool = False,
                 tls: tuple[str, str | None] | None = None) -> None:
        self.simulator = simulator
        self.verbose = verbose
        # Built before binding: bad certificate files fail without having opened a port.
        context = tls_context(*tls) if tls is not None else None
        super().__init__((LOOPBACK, port), _Handler)
        self.tls = context is not None
        if context is not None:
            # do_handshake_on_connect=False: accept() returns at once and OpenSSL completes the
            # handshake on the handler thread's first read.
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080`` (``https://`` when serving TLS)."""
        return '%s://%s:%d' % ('https' if self.tls else 'http', LOOPBACK, self.port)

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        """Clients dropping connections (and our own resets) are not errors worth a traceback, nor are
        failed TLS handshakes (a client that does not trust the certificate hangs up during it)."""
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)

    def start_background(self) -> threading.Thread:
        """Serve in a daemon thread (used by :mod:`.testing`)."""
        thread = threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.1}, name='simulator', daemon=True)
        thread.start()
        return thread
