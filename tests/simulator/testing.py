"""In-process simulator for tests.

::

    from ansible_collections.cicd.pipelines.tests.simulator.testing import running

    with running(speed=0) as sim:          # demo scenario, frozen clock
        sim.jenkins_url                     # http://127.0.0.1:<port>/jenkins
        sim.harness_url                     # http://127.0.0.1:<port>/harness (POST <harness_url>/api/graphql)
        sim.buddy_url                       # http://127.0.0.1:<port>/buddy (Buddy's https://api.buddy.works)
        sim.codearts_url                    # http://127.0.0.1:<port>/codearts (CodeArts endpoint and IAM <codearts_url>/v3/auth/tokens)
        sim.add_fault({'vendor': 'jenkins', 'method': 'POST', 'action': {'status': 503}})
        sim.advance(10)                     # 10 simulated seconds
        sim.requests(method='POST')         # request log
        sim.executions(pipeline='shop/deploy')

``scenario`` may be a file path, a YAML/JSON string or a mapping (None = demo). The helpers
use the HTTP control API (stdlib ``urllib`` only), so they exercise the same path an
external test would; ``sim.simulator`` gives direct access for white-box checks. They always
connect directly, never through a proxy from the environment (the control API is on loopback),
so a test that points HTTPS_PROXY at a recording proxy sees only the client's requests.

HTTPS::

    with running(tls=(cert, key), tls_ca=ca) as sim:   # sim.url is https://127.0.0.1:<port>
        ...                                         # the helpers trust the CA file `tls_ca`
"""
from __future__ import annotations

import contextlib
import json
import os
import ssl
import typing as t
import urllib.error
import urllib.parse
import urllib.request

from . import DEMO_SCENARIO
from .scenario import Scenario, load_scenario_file, load_scenario_text, parse_scenario
from .server import Simulator, SimulatorServer

ADMIN_USER = 'admin'
ADMIN_PASSWORD = 'admin-password'
ADMIN_TOKEN = '11f0c0ffeec0ffeec0ffeec0ffeec0ffee'
# The demo Harness account and its API key (tests/simulator/scenarios/demo.yml, harness.accounts[0]).
HARNESS_ACCOUNT_ID = 'kmpySmUISimoRrJL6NL73w'
HARNESS_API_KEY = 'c2ltLWhhcm5lc3MtZGVtby1rZXk6Y2ljZC1waXBlbGluZXM='
# The demo Buddy workspace, project and tokens (demo.yml, buddy:): BUDDY_TOKEN may run and PATCH, BUDDY_READ_TOKEN only read.
BUDDY_WORKSPACE = 'acme'
BUDDY_PROJECT = 'shop'
BUDDY_TOKEN = 'b0dd7e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6'
BUDDY_READ_TOKEN = 'b0dd7e5a0ead0ead0ead0ead0ead0ead0ead0ead0ead0ead0ead0ead0ead0ead'
# The demo CodeArts credentials and project ids (demo.yml, codearts:): AK/SK for SDK-HMAC-SHA256 signing, an IAM user for tokens.
CODEARTS_AK = 'HPUACODEARTSSIMDEMO01'
CODEARTS_SK = 'cOdEaRtSsImUlAtOrDeMoSeCrEtKeY0123456789'
CODEARTS_PROJECT_ID = '0c2f1e4d5a6b47c8a9d0e1f2a3b4c5d6'
CODEARTS_IAM_PROJECT_ID = '0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5'
CODEARTS_USER = 'cicd-pipelines'
CODEARTS_PASSWORD = 'codearts-demo-password'
CODEARTS_DOMAIN = 'cicd-demo'


def to_scenario(scenario: t.Any) -> Scenario:
    """Accept a Scenario, a mapping, a file path or YAML/JSON text (None = the demo scenario)."""
    if scenario is None:
        return load_scenario_file(DEMO_SCENARIO)
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return parse_scenario(scenario)
    if isinstance(scenario, str) and '\n' not in scenario and os.path.isfile(scenario):
        return load_scenario_file(scenario)
    return load_scenario_text(scenario)


class SimHandle:
    """A running in-process simulator.

    ``tls_ca``: for a simulator serving HTTPS, the PEM file of the CA (or the self-signed certificate) the
    control helpers verify its certificate with; they never skip the check.
    """

    def __init__(self, server: SimulatorServer, tls_ca: str | None = None) -> None:
        self.server = server
        context = ssl.create_default_context(cafile=tls_ca) if server.tls else None
        # No ProxyHandler settings from the environment: the control API is reached directly.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        self.simulator: Simulator = server.simulator
        self.url = server.url
        self.jenkins_url = server.url + '/jenkins'
        self.harness_url = server.url + '/harness'     # a Harness client's api_url (GraphQL at <harness_url>/api/graphql)
        self.buddy_url = server.url + '/buddy'         # a Buddy client's base URL (Buddy: https://api.buddy.works)
        self.codearts_url = server.url + '/codearts'   # a CodeArts client's endpoint (and IAM endpoint: <codearts_url>/v3/auth/tokens)
        self.port = server.port

    def control(self, verb: str, path: str, body: t.Any = None, query: dict[str, t.Any] | None = None) -> t.Any:
        """Call ``/_sim/<path>``; ``body`` is sent as JSON (a str is sent as-is, e.g. YAML). Returns parsed JSON."""
        url = '%s/_sim/%s' % (self.url, path.lstrip('/'))
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += '?' + urllib.parse.urlencode(params)
        data = None
        if body is not None:
            data = body.encode('utf-8') if isinstance(body, str) else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(url, data=data, method=verb.upper())
        try:
            with self._opener.open(request, timeout=30) as response:  # nosec - loopback control API
                text = response.read().decode('utf-8')
        except urllib.error.HTTPError as exc:
            raise AssertionError('control %s %s failed: %s %s' % (verb, path, exc.code, exc.read().decode('utf-8', 'replace'))) from exc
        return json.loads(text) if text else None

    def load(self, scenario: t.Any) -> t.Any:
        """Replace the scenario (path, mapping or YAML text) and reset."""
        if isinstance(scenario, dict):
            return self.control('POST', 'scenario', scenario)
        if isinstance(scenario, str) and '\n' not in scenario and os.path.isfile(scenario):
            with open(scenario, encoding='utf-8') as handle:
                scenario = handle.read()
        return self.control('POST', 'scenario', scenario)

    def reset(self) -> t.Any:
        """Back to the loaded scenario's initial state."""
        return self.control('POST', 'reset')

    def add_fault(self, rule: t.Any) -> t.Any:
        """Add one fault rule or a list."""
        return self.control('POST', 'faults', rule)

    def faults(self) -> t.Any:
        """Fault rules with hit counts."""
        return self.control('GET', 'faults')

    def clear_faults(self) -> t.Any:
        """Remove all fault rules."""
        return self.control('DELETE', 'faults')

    def requests(self, vendor: str | None = None, method: str | None = None, path: str | None = None,
                 operation: str | None = None) -> list[dict[str, t.Any]]:
        """The request log, filtered (``path`` regex searched, ``operation`` regex fully matched)."""
        return self.control('GET', 'requests', query={'vendor': vendor, 'method': method, 'path': path, 'operation': operation})

    def clear_requests(self) -> t.Any:
        """Empty the request log."""
        return self.control('DELETE', 'requests')

    def counters(self) -> dict[str, t.Any]:
        """Request and execution counters."""
        return self.control('GET', 'counters')

    def advance(self, seconds: float) -> dict[str, t.Any]:
        """Move the simulated clock forward."""
        return self.control('POST', 'clock', {'advance': seconds})

    def set_speed(self, speed: float) -> dict[str, t.Any]:
        """Change the clock speed."""
        return self.control('POST', 'clock', {'speed': speed})

    def executions(self, vendor: str | None = None, pipeline: str | None = None) -> list[dict[str, t.Any]]:
        """Engine view of executions."""
        return self.control('GET', 'executions', query={'vendor': vendor, 'pipeline': pipeline})


@contextlib.contextmanager
def running(scenario: t.Any = None, speed: float | None = None, verbose: bool = False,
            tls: tuple[str, str | None] | None = None, tls_ca: str | None = None) -> t.Iterator[SimHandle]:
    """Start a simulator on a free loopback port in a background thread; stop it on exit.

    ``tls=(certfile, keyfile)`` serves HTTPS (see :class:`~.server.SimulatorServer`); ``tls_ca`` is the CA file
    the control helpers trust (default: ``certfile`` itself, which suits a self-signed certificate).
    """
    server = SimulatorServer(Simulator(to_scenario(scenario), speed=speed), port=0, verbose=verbose, tls=tls)
    thread = server.start_background()
    try:
        yield SimHandle(server, tls_ca=tls_ca or (tls[0] if tls else None))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
