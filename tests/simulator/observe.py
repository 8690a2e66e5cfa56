"""Fault injection rules and the request log (both vendor-neutral, both thread-safe).

Fault rule (JSON, one object or a list, ``POST /_sim/faults``)::

    {"vendor": "jenkins", "method": "POST", "path": "/job/.*/buildWithParameters", "times": 1,
     "action": {"status": 503, "body": "...", "headers": {...}}}

``vendor``/``method``/``path``/``operation`` are optional filters (``path`` is a regex searched
in the path after the vendor base, e.g. ``/job/shop/job/deploy/buildWithParameters``;
``operation`` is a regex that must match the request's whole operation label, e.g.
``buildWithParameters`` or ``input.*``, and never matches an unlabelled request); ``times``
is how many requests the rule hits before it is used up (default 1; ``null`` = forever);
``probability`` (0 < p <= 1) makes the rule hit only that fraction of the requests it matches,
drawn from its own ``random.Random(seed)`` (``seed`` default: the rule id), so a run with the same
requests in the same order gets the same faults. Actions:

* ``{"status": N, "body": str, "headers": {}}`` respond with that instead of acting;
* ``{"rate_limit": true, "retry_after": S, "limit": N, "remaining": N, "reset_after": S}`` the
  vendor's 429 (:meth:`~.httpcore.VendorApi.rate_limit_response`; every number optional, the
  default shape sends ``Retry-After`` only when ``retry_after`` is given);
* ``{"latency": S}`` sleep S real seconds, then act normally (``latency`` may also be added
  to any other action: it then sleeps first);
* ``{"reset": true}`` close the connection with a TCP RST without acting;
* ``{"commit_then_drop": true}`` act fully (state changes), then RST instead of answering.

The first matching rule with hits left (and, with a probability, whose draw hits) applies; at
most one rule applies per request.
"""
from __future__ import annotations

import collections
import dataclasses
import random
import re
import threading
import typing as t
import urllib.parse

from .httpcore import RateLimit

ACTIONS = ('status', 'rate_limit', 'latency', 'reset', 'commit_then_drop')
# Keys that belong to an action when it is given at the top level of a rule.
ACTION_KEYS = ACTIONS + ('body', 'headers', 'retry_after', 'limit', 'remaining', 'reset_after')
REDACTED = '********'
ALWAYS_SECRET = frozenset(('token',))


class FaultError(ValueError):
    """A fault rule is malformed."""


@dataclasses.dataclass
class FaultRule:
    """A parsed fault rule."""

    id: int
    kind: str
    action: dict[str, t.Any]
    vendor: str | None = None
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    hits: int = 0
    operation: str | None = None
    probability: float | None = None
    seed: int | None = None
    _rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.id if self.seed is None else self.seed)

    def matches(self, vendor: str, method: str, path: str, operation: str | None = None) -> bool:
        """Whether this rule applies to a request (and still has hits left).

        With a ``probability``, a request that passes the filters draws once from the rule's own
        generator: the same sequence of matching requests always gets the same faults."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.vendor and self.vendor != vendor:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.operation and (operation is None or re.fullmatch(self.operation, operation) is None):
            return False
        if self.path and re.search(self.path, path) is None:
            return False
        return self.probability is None or self._rng.random() < self.probability

    def rate_limit(self) -> RateLimit:
        """The numbers a ``rate_limit`` action hands to the vendor's 429 hook."""
        action = self.action
        return RateLimit(retry_after=action.get('retry_after'), limit=action.get('limit'), remaining=action.get('remaining'),
                         reset_after=action.get('reset_after'))

    def to_dict(self) -> dict[str, t.Any]:
        """JSON view for ``GET /_sim/faults``."""
        return {'id': self.id, 'vendor': self.vendor, 'method': self.method, 'path': self.path, 'operation': self.operation,
                'times': self.times, 'hits': self.hits, 'kind': self.kind, 'action': self.action,
                'probability': self.probability, 'seed': self.seed}


def parse_rule(raw: t.Any, rule_id: int) -> FaultRule:
    """Validate one rule; the action may be nested under ``action`` or given at top level."""
    if not isinstance(raw, dict):
        raise FaultError('a fault rule must be an object, got %r' % (raw,))
    action = raw.get('action', {k: v for k, v in raw.items() if k in ACTION_KEYS})
    if not isinstance(action, dict):
        raise FaultError('action must be an object')
    kinds = [k for k in ('status', 'rate_limit', 'reset', 'commit_then_drop') if action.get(k) not in (None, False)]
    if not kinds and action.get('latency') is not None:
        kinds = ['latency']
    if len(kinds) != 1:
        raise FaultError('action needs exactly one of status, rate_limit, latency, reset, commit_then_drop: %r' % (action,))
    if kinds[0] == 'status' and not (isinstance(action['status'], int) and 100 <= action['status'] <= 599):
        raise FaultError('status must be an HTTP status code')
    for key in ('latency', 'retry_after', 'reset_after'):
        if action.get(key) is not None and (isinstance(action[key], bool) or not isinstance(action[key], (int, float)) or action[key] < 0):
            raise FaultError('%s must be a number >= 0' % key)
    for key in ('limit', 'remaining'):
        if action.get(key) is not None and (isinstance(action[key], bool) or not isinstance(action[key], int) or action[key] < 0):
            raise FaultError('%s must be an integer >= 0' % key)
    for key in ('path', 'operation'):
        if raw.get(key):
            try:
                re.compile(raw[key])
            except (re.error, TypeError) as exc:
                raise FaultError('%s is not a valid regex: %s' % (key, exc)) from exc
    times = raw.get('times', 1)
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultError('times must be an integer >= 1 or null')
    probability = raw.get('probability')
    if probability is not None and (isinstance(probability, bool) or not isinstance(probability, (int, float))
                                    or not 0 < probability <= 1):
        raise FaultError('probability must be a number > 0 and <= 1')
    seed = raw.get('seed')
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultError('seed must be an integer')
    return FaultRule(id=rule_id, kind=kinds[0], action=dict(action), vendor=raw.get('vendor'), method=raw.get('method'),
                     path=raw.get('path'), times=times, operation=raw.get('operation') or None,
                     probability=None if probability is None else float(probability), seed=seed)


class FaultBook:
    """The active fault rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next = 1

    def add(self, raw: t.Any) -> list[FaultRule]:
        """Add one rule or a list of rules (all validated before any is added)."""
        items = raw if isinstance(raw, list) else [raw]
        with self._lock:
            rules = [parse_rule(item, self._next + i) for i, item in enumerate(items)]
            self._next += len(rules)
            self._rules.extend(rules)
            return rules

    def take(self, vendor: str, method: str, path: str, operation: str | None = None) -> FaultRule | None:
        """The first rule matching a request, with its hit counted."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(vendor, method, path, operation):
                    rule.hits += 1
                    return rule
            return None

    def rules(self) -> list[dict[str, t.Any]]:
        """All rules (used-up ones included, so tests can check ``hits``)."""
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules = []


def redact_query(raw_query: str, secret_names: t.Iterable[str]) -> str:
    """The query string with values of secret parameters replaced by ``********``."""
    if not raw_query:
        return ''
    secret = set(secret_names) | ALWAYS_SECRET
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    return urllib.parse.urlencode([(k, REDACTED if k in secret else v) for k, v in pairs], safe='*/')


class RequestLog:
    """Every vendor request, without headers or bodies (bounded; counters are not)."""

    def __init__(self, limit: int = 100000) -> None:
        self._lock = threading.Lock()
        self._entries: collections.deque[dict[str, t.Any]] = collections.deque(maxlen=limit)
        self._seq = 0
        self._counts: dict[str, dict[str, int]] = {}
        self._faults = 0

    def record(self, *, time: float, vendor: str, method: str, path: str, query: str, status: int | None,
               fault: str | None, note: dict[str, t.Any] | None = None, operation: str | None = None) -> dict[str, t.Any]:
        """Append an entry (``query`` must already be redacted; ``operation`` is the vendor's label or None)."""
        with self._lock:
            self._seq += 1
            entry = {'seq': self._seq, 'time': round(time, 3), 'vendor': vendor, 'method': method, 'path': path,
                     'query': query, 'status': status, 'fault': fault, 'operation': operation}
            if note:
                entry.update(note)
            self._entries.append(entry)
            per_vendor = self._counts.setdefault(vendor, {})
            per_vendor[method] = per_vendor.get(method, 0) + 1
            if fault:
                self._faults += 1
            return entry

    def query(self, vendor: str | None = None, method: str | None = None, path: str | None = None,
              operation: str | None = None) -> list[dict[str, t.Any]]:
        """Entries filtered by vendor, method, a path regex (searched) and an operation regex (full match).

        Raises ``re.error`` for a malformed regex.
        """
        pattern = re.compile(path) if path else None
        op_pattern = re.compile(operation) if operation else None
        with self._lock:
            return [dict(e) for e in self._entries
                    if (vendor is None or e['vendor'] == vendor) and (method is None or e['method'] == method.upper())
                    and (pattern is None or pattern.search(e['path']))
                    and (op_pattern is None or (e['operation'] is not None and op_pattern.fullmatch(e['operation'])))]

    def counts(self) -> dict[str, t.Any]:
        """Requests per vendor and method, and faults applied."""
        with self._lock:
            return {'requests': {v: dict(m) for v, m in self._counts.items()}, 'faults_applied': self._faults}

    def clear(self, counters: bool = True) -> None:
        """Forget entries (and, by default, counters)."""
        with self._lock:
            self._entries.clear()
            if counters:
                self._counts = {}
                self._faults = 0
