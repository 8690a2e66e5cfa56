"""The control API under ``/_sim/`` (JSON in, JSON out; no auth: the server is loopback-only).

=========================  ===========================================================
``GET  /_sim/health``      ``{"status": "ok", "vendors": {...}, "time": ..., "speed": ...}``
``GET  /_sim/scenario``    the loaded scenario (credentials redacted)
``POST /_sim/scenario``    body YAML or JSON: replace the scenario and reset
``POST /_sim/reset``       back to the loaded scenario's initial state
``GET  /_sim/faults``      rules with their ``hits``; ``POST`` adds one or a list; ``DELETE`` clears
``GET  /_sim/requests``    request log; filters ``vendor``, ``method``, ``path`` (regex, searched),
                           ``operation`` (regex, full match); ``DELETE`` clears
``GET  /_sim/counters``    requests per vendor/method, faults applied, executions per pipeline
``GET  /_sim/clock``       ``{"now", "speed"}``; ``POST {"speed": x, "advance": s}`` changes it
``GET  /_sim/executions``  engine view of executions; filters ``vendor``, ``pipeline``
``GET  /_sim/secrets``     white box for leak tests: credentials issued at run time (clear text), digests of
                           the secret values received
=========================  ===========================================================
"""
from __future__ import annotations

import copy
import re
import typing as t

from .httpcore import Request, Response, Router, json_response
from .observe import FaultError
from .scenario import ScenarioError, load_scenario_text

if t.TYPE_CHECKING:  # pragma: no cover
    from .server import Simulator

_SECRET_KEYS = ('password', 'tokens', 'token', 'api_key', 'api_keys', 'secret', 'ak', 'sk', 'security_token')


def _error(message: str, status: int = 400) -> Response:
    return json_response({'error': message}, status)


def _redact(value: t.Any) -> t.Any:
    """Drop credentials, and the defaults of password parameters, from a scenario before showing it."""
    if isinstance(value, dict):
        secret = set(_SECRET_KEYS) | ({'default'} if value.get('type') == 'password' else set())
        return {k: ('********' if k in secret and v else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


class ControlApi:
    """Routes of ``/_sim``; every handler runs under the engine lock."""

    def __init__(self, sim: 'Simulator') -> None:
        self.sim = sim
        self.router = Router()
        add = self.router.add
        add('GET', '/health', self.health)
        add('GET', '/scenario', self.get_scenario)
        add('POST', '/scenario', self.load_scenario)
        add('POST', '/reset', self.reset)
        add('GET', '/faults', self.get_faults)
        add('POST', '/faults', self.add_faults)
        add('DELETE', '/faults', self.clear_faults)
        add('GET', '/requests', self.get_requests)
        add('DELETE', '/requests', self.clear_requests)
        add('GET', '/counters', self.counters)
        add('GET', '/clock', self.get_clock)
        add('POST', '/clock', self.set_clock)
        add('GET', '/executions', self.executions)
        add('GET', '/secrets', self.secrets)

    def handle(self, request: Request) -> Response:
        """Dispatch a control request (``request.path`` is relative to ``/_sim``)."""
        handler, match, allowed = self.router.resolve(request.method, request.path)
        if handler is None:
            return _error('method not allowed' if allowed else 'no such control endpoint: %s' % request.path, 405 if allowed else 404)
        request.match = match
        with self.sim.engine.lock:
            return handler(request)

    def health(self, _request: Request) -> Response:
        """Liveness and the vendor base paths."""
        return json_response({'status': 'ok', 'vendors': {v.name: v.base for v in self.sim.vendors.values()},
                              'time': round(self.sim.engine.now(), 3), 'speed': self.sim.engine.clock.speed})

    def get_scenario(self, _request: Request) -> Response:
        """The loaded scenario source."""
        return json_response(_redact(copy.deepcopy(dict(self.sim.engine.scenario.source))))

    def load_scenario(self, request: Request) -> Response:
        """Replace the scenario (YAML or JSON body) and reset everything."""
        try:
            scenario = load_scenario_text(request.body)
        except ScenarioError as exc:
            return _error(str(exc))
        self.sim.load(scenario)
        return json_response({'status': 'loaded', 'pipelines': [{'vendor': p.vendor, 'name': p.name} for p in scenario.pipelines]})

    def reset(self, _request: Request) -> Response:
        """Back to the loaded scenario's initial state."""
        self.sim.reset()
        return json_response({'status': 'reset'})

    def get_faults(self, _request: Request) -> Response:
        """Active and used-up fault rules."""
        return json_response(self.sim.faults.rules())

    def add_faults(self, request: Request) -> Response:
        """Add one rule or a list."""
        try:
            rules = self.sim.faults.add(request.json_body())
        except (ValueError, FaultError) as exc:
            return _error(str(exc))
        return json_response([r.to_dict() for r in rules], 201)

    def clear_faults(self, _request: Request) -> Response:
        """Remove all rules."""
        self.sim.faults.clear()
        return json_response({'status': 'cleared'})

    def get_requests(self, request: Request) -> Response:
        """The request log, filtered."""
        try:
            entries = self.sim.log.query(request.param('vendor'), request.param('method'), request.param('path'),
                                         request.param('operation'))
        except re.error as exc:  # report a bad filter regex instead of a 500
            return _error('bad filter: %s' % exc)
        return json_response(entries)

    def clear_requests(self, _request: Request) -> Response:
        """Empty the request log (counters too)."""
        self.sim.log.clear()
        return json_response({'status': 'cleared'})

    def counters(self, _request: Request) -> Response:
        """Request and execution counters."""
        self.sim.engine.sync()
        data = self.sim.log.counts()
        data['executions'] = self.sim.engine.counters()
        return json_response(data)

    def get_clock(self, _request: Request) -> Response:
        """Simulated time and speed."""
        return json_response({'now': round(self.sim.engine.now(), 3), 'speed': self.sim.engine.clock.speed})

    def set_clock(self, request: Request) -> Response:
        """``{"speed": x}`` and/or ``{"advance": seconds}``."""
        try:
            body = request.json_body() or {}
            if not isinstance(body, dict):
                raise ValueError('body must be an object')
            if body.get('speed') is not None:
                self.sim.engine.sync()
                self.sim.engine.clock.set_speed(float(body['speed']))
            if body.get('advance') is not None:
                self.sim.engine.clock.advance(float(body['advance']))
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        self.sim.engine.sync()
        return self.get_clock(request)

    def executions(self, request: Request) -> Response:
        """Engine view of executions."""
        self.sim.engine.sync()
        found = self.sim.engine.executions(request.param('vendor'), request.param('pipeline'))
        return json_response([e.to_dict() for e in found])

    def secrets(self, _request: Request) -> Response:
        """What a leak test greps for and checks arrived: ``issued`` (per vendor, per kind, in clear text: IAM
        tokens, crumbs, session ids) and ``received_sha256`` (digests of the secret values received)."""
        issued = {v.name: v.issued_secrets() for v in self.sim.vendors.values()}
        return json_response({'issued': {name: kinds for name, kinds in issued.items() if kinds},
                              'received_sha256': sorted(self.sim.engine.secret_digests)})
