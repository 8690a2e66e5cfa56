# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The one HTTP transport: a pooled requests.Session, the retry policy, error mapping and redaction.

Retry policy (DESIGN section 5):
- 429 is always retried: the server refused before doing anything. The delay comes from
  Retry-After (seconds or an HTTP date), else X-Rate-Limit-Reset (epoch seconds, Buddy), else
  exponential backoff with jitter; it is capped at `RetryPolicy.max_delay`.
- 5xx and connection errors are retried only for idempotent requests.
- A non-idempotent request (start, approve, retry) is never re-sent here. When its outcome is unknown
  (connection reset or read timeout after sending, 502/504 from a gateway) the transport raises
  AmbiguousOutcomeError and the backend looks the result up before doing anything else.
- A connection that could not be opened at all (refused, DNS, connect timeout) sent nothing, so it is
  retried whatever the method.

Hooks a backend plugs in (DESIGN section 10):
- an `Authenticator`, applied inside `request()` to every attempt, after the body is encoded and
  just before it is sent, so request signing (CodeArts AK/SK) signs each retry afresh and the unit
  tests' fake network (which replaces only `_send`) runs it too;
- a `ResponsePolicy`: the vendor's words in an error, what counts as rate limiting, errors carried in
  2xx bodies (GraphQL `errors`, CodeArts `error_code`) turned into typed errors, the vendor's
  rate-limit headers and a request budget, from which it paces requests *before* the limit is hit.

Secrets registered with `add_secret` are replaced by `********` in every message this module builds.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import json as _json
import random
import re
import threading
import time
import traceback
import typing as t

from urllib.parse import urlencode

from ._errors import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    VendorValidationError,
)

try:
    import requests
    import requests.exceptions
    from urllib3.exceptions import NewConnectionError
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: t.Optional[str] = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

REDACTED = '********'
_MAX_MESSAGE = 300
_IDEMPOTENT_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'})
# Gateways answer these when the backend may have received the request but the answer was lost.
_AMBIGUOUS_STATUSES = frozenset({502, 504})


@dataclasses.dataclass
class RetryPolicy:
    """How hard to try. `retries` is the number of extra attempts after the first one."""

    retries: int = 5
    backoff: float = 1.0
    max_delay: float = 60.0


class Response:
    """What backends see of an HTTP answer: status, case-insensitive headers, body, final URL."""

    def __init__(self, status: int, headers: t.Optional[t.Mapping[str, str]] = None, body: bytes = b'',
                 url: str = '') -> None:
        self.status = status
        self.headers = _Headers(headers or {})
        self.body = body
        self.url = url

    @property
    def text(self) -> str:
        return self.body.decode('utf-8', errors='replace')

    def json(self) -> t.Any:
        """The body as JSON. Raises ValueError when it is not JSON (e.g. an HTML login page)."""
        return _json.loads(self.text) if self.body else None


class _Headers(dict):
    """A read-only, case-insensitive header mapping (both real and recorded responses use it)."""

    def __init__(self, headers: t.Mapping[str, str]) -> None:
        super().__init__((k.lower(), v) for k, v in headers.items())

    def get(self, key: str, default: t.Any = None) -> t.Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


def default_vendor_message(response: Response) -> str:
    """The vendor's own words from an error response: a JSON message, else the text without markup."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ('message', 'error', 'error_msg', 'errorMessage'):
            if isinstance(data.get(key), str):
                return data[key]
        errors = data.get('errors')
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get('message'):
            return str(errors[0]['message'])
    text = re.sub(r'(?is)<(script|style)\b.*?</\1>', ' ', response.text)
    title = re.search(r'(?is)<title>(.*?)</title>', text)
    text = re.sub(r'<[^>]+>', ' ', text)
    text = re.sub(r'\s+', ' ', text).strip()
    if title and len(text) > _MAX_MESSAGE:
        text = re.sub(r'\s+', ' ', title.group(1)).strip()
    return text


def parse_retry_after(headers: t.Mapping[str, str], now: float) -> t.Optional[float]:
    """Seconds to wait from Retry-After (delta seconds or HTTP date) or X-Rate-Limit-Reset (epoch)."""
    value = headers.get('Retry-After')
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        import email.utils  # pylint: disable=import-outside-toplevel  # only for a 429 that names a date
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            return max(0.0, moment.timestamp() - now)
    reset = headers.get('X-Rate-Limit-Reset')
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


class Outgoing:
    """One attempt of a request, as it will be sent: what an Authenticator sees and may add headers to.

    The body is encoded here, once, and exactly these bytes are sent, so a signature over them holds:
    `json` as compact UTF-8 JSON, a `data` mapping as an HTML form (as browsers and requests do).
    """

    def __init__(self, method: str, url: str, params: t.Any, headers: t.Dict[str, str], *, data: t.Any = None,
                 json: t.Any = None) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.headers = headers
        self.body = b''
        if json is not None:
            self.body = _json.dumps(json, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
            self._default_header('Content-Type', 'application/json;charset=utf-8')
        elif isinstance(data, t.Mapping):
            self.body = urlencode(list(data.items()), doseq=True).encode('utf-8')
            self._default_header('Content-Type', 'application/x-www-form-urlencoded')
        elif isinstance(data, str):
            self.body = data.encode('utf-8')
        elif data is not None:
            self.body = bytes(data)

    def _default_header(self, name: str, value: str) -> None:
        if not any(k.lower() == name.lower() for k in self.headers):
            self.headers[name] = value


class Authenticator:
    """Adds credentials to each attempt of a request (`apply` is called once per attempt)."""

    def apply(self, request: Outgoing) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class BasicAuth(Authenticator):
    """HTTP Basic authentication (RFC 7617), e.g. a Jenkins user with an API token or password."""

    def __init__(self, username: str, secret: str) -> None:
        pair = ('%s:%s' % (username, secret)).encode('utf-8')
        self._header = 'Basic ' + base64.b64encode(pair).decode('ascii')

    def apply(self, request: Outgoing) -> None:
        request.headers['Authorization'] = self._header


class ResponsePolicy:
    """How one vendor's answers are read: its error words, rate limiting, errors inside 2xx bodies, pacing.

    The default fits a plain REST API: the vendor message from JSON or the page text, 429 as rate limiting,
    `Retry-After` (or `X-Rate-Limit-Reset`) as the hint, and pacing from the common rate-limit headers
    (`X-Rate-Limit-Remaining` / `X-Rate-Limit-Reset`, or `RateLimit-Remaining` / `RateLimit-Reset`).
    `budget` (calls, seconds) paces a vendor that publishes a limit but sends no headers.
    Backends subclass it; every method must be cheap (it runs on every response).
    """

    # Pace once fewer than this many requests remain in the window the headers describe.
    low_water = 5

    def __init__(self, budget: t.Optional[t.Tuple[int, float]] = None) -> None:
        self.budget = budget
        self._sent: t.Deque[float] = collections.deque()
        self._remaining: t.Optional[int] = None
        self._reset_at: t.Optional[float] = None

    def vendor_message(self, response: Response) -> str:
        return default_vendor_message(response)

    def is_rate_limited(self, response: Response) -> bool:
        return response.status == 429

    def retry_after(self, response: Response, now: float) -> t.Optional[float]:
        return parse_retry_after(response.headers, now)

    def body_error(self, response: Response) -> t.Optional[t.Tuple[t.Type[ApiError], str]]:
        """For a 2xx/3xx answer that still reports a failure: the error class and the vendor's message."""
        return None

    def observe(self, response: Response, now: float) -> None:
        """Remember what the rate-limit headers say is left, and until when."""
        headers = response.headers
        remaining = headers.get('X-Rate-Limit-Remaining') or headers.get('RateLimit-Remaining')
        reset = headers.get('X-Rate-Limit-Reset') or headers.get('RateLimit-Reset')
        if remaining is None or not str(remaining).strip().isdigit():
            return
        self._remaining = int(remaining)
        self._reset_at = None
        if reset is not None and str(reset).strip().isdigit():
            value = float(reset)
            # RateLimit-Reset (IETF draft) is delta seconds; X-Rate-Limit-Reset is an epoch time.
            self._reset_at = value if value > 10 ** 9 else now + value

    def sent(self, now: float) -> None:
        """A request is about to go out (counted against `budget`; a window that has reset is forgotten)."""
        if self._reset_at is not None and self._reset_at <= now:
            self._remaining = self._reset_at = None
        if self.budget is not None:
            self._sent.append(now)
            while len(self._sent) > self.budget[0]:
                self._sent.popleft()
        if self._remaining is not None:
            self._remaining = max(0, self._remaining - 1)

    def delay(self, now: float) -> float:
        """Seconds to wait before the next request so the limit is not reached (0: send now)."""
        wait = 0.0
        if self._remaining is not None and self._reset_at is not None and self._remaining < self.low_water:
            left = self._reset_at - now
            if left > 0:
                # Spread what is left over the rest of the window; at zero, wait for the window to reset.
                wait = left if self._remaining == 0 else left / (self._remaining + 1)
        if self.budget is not None and len(self._sent) >= self.budget[0]:
            wait = max(wait, self._sent[0] + self.budget[1] - now)
        return max(0.0, wait)


class Transport:
    """One vendor connection: a requests.Session (connection reuse while polling), retries, typed errors.

    `request()` returns a Response with a 2xx/3xx status, or raises a subclass of ApiError. It never
    calls fail_json and never puts a registered secret into a message.
    """

    def __init__(self, base_url: str, *, vendor: str, timeout: float = 30.0, verify: t.Union[bool, str] = True,
                 policy: t.Optional[RetryPolicy] = None, auth: t.Optional['Authenticator'] = None,
                 headers: t.Optional[t.Mapping[str, str]] = None, responses: t.Optional['ResponsePolicy'] = None,
                 sleep: t.Callable[[float], None] = time.sleep, now: t.Callable[[], float] = time.time,
                 rng: t.Optional[random.Random] = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.vendor = vendor
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.auth = auth
        self.responses = responses or ResponsePolicy()
        self.sleep = sleep
        self.now = now
        self.rng = rng or random.Random()
        self.secrets: t.Set[str] = set()
        # Reason -> count of retried attempts, for one summary warning per task instead of one per retry.
        self.retried: t.Dict[str, int] = {}
        self.request_count = 0
        self.paced = 0.0
        # Backends read many executions over this one transport from a few threads at once.
        self._lock = threading.RLock()
        self.session = requests.Session() if HAS_REQUESTS else None
        if self.session is not None:
            self.session.verify = verify
            self.session.headers.update({'Accept': 'application/json'})
            self.session.headers.update(headers or {})

    def add_secret(self, value: t.Optional[str]) -> None:
        """Never let `value` appear in a message built here."""
        if value:
            with self._lock:
                self.secrets.add(str(value))

    def secret_values(self) -> t.List[str]:
        """Every value registered with add_secret (for Ansible's no_log_values)."""
        with self._lock:
            return list(self.secrets)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self.secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    def url(self, path: str) -> str:
        """Absolute URL for a path below the configured base URL."""
        return path if re.match(r'^https?://', path) else self.base_url + '/' + path.lstrip('/')

    def request(self, method: str, path: str, *, operation: str, params: t.Any = None, data: t.Any = None,
                json: t.Any = None, headers: t.Optional[t.Mapping[str, str]] = None,
                idempotent: t.Optional[bool] = None, allow_redirects: bool = False,
                answers: t.Collection[int] = ()) -> Response:
        """Send one logical request, retrying per the policy; see the module docstring for the rules.

        `operation` completes "could not ..." in error messages, e.g. "start job team/app".
        `idempotent` defaults to the method's nature (GET/PUT/DELETE yes, POST/PATCH no); pass True
        for a POST that only reads (a GraphQL query), so it is retried like a GET. `answers`: 5xx statuses that
        are the vendor's answer to this request rather than a transient failure (raised at once, never retried).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        attempt = 0
        while True:
            attempt += 1
            retry_delay: t.Optional[float] = None
            self._pace()
            outgoing = Outgoing(method, self.url(path), params, dict(headers or {}), data=data, json=json)
            if self.auth is not None:
                self.auth.apply(outgoing)  # every attempt: a signature covers this attempt's date
            try:
                # What the authenticator saw (and may have changed) is what is sent.
                response = self._send(method, outgoing.url, params=outgoing.params, data=outgoing.body or None,
                                      headers=outgoing.headers, allow_redirects=allow_redirects)
            except _Broken as exc:  # before _NotSent, its base class: the request may have been acted on
                if not idempotent:
                    raise AmbiguousOutcomeError(
                        self._message(operation, None, exc.reason + '; the request may or may not have been acted on'),
                        vendor_message=exc.reason)
                if attempt > self.policy.retries:
                    raise TransientError(self._message(operation, None, exc.reason), vendor_message=exc.reason)
                self._count('connection error')
            except _NotSent as exc:
                if attempt > self.policy.retries:
                    raise TransientError(self._message(operation, None, exc.reason), vendor_message=exc.reason)
                self._count('connection not established')
            else:
                if self.responses.is_rate_limited(response):  # (reads only the response: no lock needed)
                    # The retry delay covers the wait; the headers of a refusal are not a budget to pace by.
                    retry_delay = self._rate_limited(response, attempt, operation)
                elif response.status < 400:
                    self._observe(response)
                    problem = self.responses.body_error(response)
                    if problem is None:
                        return response
                    cls, message = problem
                    message = _short(self.redact(message))
                    raise cls(self._message(operation, response.status, message), status=response.status,
                              vendor_message=message)
                else:
                    self._observe(response)
                    if response.status in answers:
                        raise self._error(TransientError, operation, response)
                    retry_delay = self._retryable(response, idempotent, attempt, operation)
            self.sleep(retry_delay if retry_delay is not None else self._backoff(attempt))

    def _pace(self) -> None:
        """Wait as the response policy asks before sending, so the vendor's limit is not reached."""
        with self._lock:
            delay = min(self.responses.delay(self.now()), self.policy.max_delay)
        if delay > 0:
            self.paced += delay
            self.sleep(delay)
        with self._lock:
            self.responses.sent(self.now())

    def _observe(self, response: Response) -> None:
        with self._lock:
            self.responses.observe(response, self.now())

    def _rate_limited(self, response: Response, attempt: int, operation: str) -> t.Optional[float]:
        if attempt > self.policy.retries:
            raise self._error(RateLimitedError, operation, response)
        self._count('HTTP %d' % response.status)
        hint = self.responses.retry_after(response, self.now())
        return None if hint is None else min(hint, self.policy.max_delay)

    def _retryable(self, response: Response, idempotent: bool, attempt: int, operation: str) -> t.Optional[float]:
        """Return the delay before retrying the error `response`, or raise the typed error for it."""
        if response.status >= 500:
            if not idempotent:
                cls = AmbiguousOutcomeError if response.status in _AMBIGUOUS_STATUSES else TransientError
                raise self._error(cls, operation, response)
            if attempt > self.policy.retries:
                raise self._error(TransientError, operation, response)
            self._count('HTTP %d' % response.status)
            return None
        raise self._error(_ERROR_BY_STATUS.get(response.status, ApiError), operation, response)

    def _send(self, method: str, path: str, **kwargs: t.Any) -> Response:
        with self._lock:
            self.request_count += 1
        if self.session is None:  # PipelineModule reports the missing library before getting here
            raise ApiError('%s: the Python library requests is required' % self.vendor)
        try:
            raw = self.session.request(method, self.url(path), timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ApiError('%s: TLS error talking to %s: %s. Check ca_path (the certificate authorities to trust) or, '
                           'on a trusted network only, validate_certs' % (self.vendor, self.base_url, _tls_reason(exc)))
        except requests.exceptions.ConnectTimeout:
            raise _NotSent('connect timeout after %ss' % self.timeout)
        except requests.exceptions.ConnectionError as exc:
            if _never_sent(exc):
                raise _NotSent('cannot connect to %s' % self.base_url)
            raise _Broken('connection lost before the response arrived')
        except requests.exceptions.Timeout:
            raise _Broken('no response within %ss' % self.timeout)
        return Response(raw.status_code, raw.headers, raw.content, raw.url)

    def _count(self, reason: str) -> None:
        with self._lock:
            self.retried[reason] = self.retried.get(reason, 0) + 1

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": spreads out clients that failed together while keeping at least half the backoff
        # (AWS architecture blog, "Exponential Backoff And Jitter").
        ceiling = min(self.policy.max_delay, self.policy.backoff * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)

    def _message(self, operation: str, status: t.Optional[int], vendor_message: str) -> str:
        where = 'HTTP %d' % status if status is not None else 'no HTTP response'
        text = '%s: could not %s (%s): %s' % (self.vendor, operation, where, _short(self.redact(vendor_message)))
        return self.redact(text)

    def _error(self, cls: t.Type[ApiError], operation: str, response: Response) -> ApiError:
        message = _short(self.redact(self.responses.vendor_message(response) or ''))
        return cls(self._message(operation, response.status, message or 'no details given'),
                   status=response.status, vendor_message=message)

    def summary(self) -> t.Optional[str]:
        """One line about retries during this task, or None if there were none (for a single warning)."""
        if not self.retried:
            return None
        parts = ', '.join('%d after %s' % (n, reason) for reason, n in sorted(self.retried.items()))
        return '%s: requests to %s were retried (%s)' % (self.vendor, self.base_url, parts)


_ERROR_BY_STATUS: t.Dict[int, t.Type[ApiError]] = {
    400: VendorValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: VendorValidationError,
}


class _NotSent(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Broken(_NotSent):
    """The connection failed after the request may have been sent."""


def _never_sent(exc: Exception) -> bool:
    """True when a requests ConnectionError happened before any byte of the request was sent."""
    reason = getattr(exc.args[0], 'reason', None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _tls_reason(exc: Exception) -> str:
    """The reason of a TLS failure in one phrase (requests wraps urllib3's repr of OpenSSL's words)."""
    text = str(exc)
    found = re.search(r'certificate verify failed: ([^()\'"]+)', text)
    if found:
        return 'certificate verify failed (%s)' % found.group(1).strip().rstrip(',')
    found = re.search(r'\[SSL: ([A-Z_]+)\]', text)
    if found:
        return found.group(1).lower().replace('_', ' ')
    return 'the TLS handshake failed'


def _short(text: str) -> str:
    text = ' '.join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + '...'
