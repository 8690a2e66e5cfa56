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

TLS and proxies (docs/user_guide.md, "TLS and proxies"): `verify` (a CA bundle path, True or False) is passed
with every request, because requests lets REQUESTS_CA_BUNDLE replace a session-wide setting; proxies come from
the environment as requests reads it (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY); a password in a proxy URL
is registered as a secret. Requests sent without certificate checks are summed up in one warning per task
(`tls_warning`), not one per request.
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

from urllib.parse import SplitResult, unquote, urlencode, urlsplit

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
    import requests.utils
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
# Seconds to keep looking for the effect of a request whose connection broke before the answer came.
_SETTLE_AFTER_RESET = 3.0


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
        self.verify = verify
        # Origins reached over https:// without checking their certificate (verify False), for tls_warning().
        self.unverified: t.Set[str] = set()
        self.session = requests.Session() if HAS_REQUESTS else None
        if self.session is not None:
            # trust_env stays on (the default): proxies, NO_PROXY and REQUESTS_CA_BUNDLE come from the environment.
            self.session.verify = verify
            for secret in _proxy_secrets():
                self.add_secret(secret)
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
            if self.verify is False and outgoing.url.lower().startswith('https://'):
                with self._lock:
                    self.unverified.add(_origin(outgoing.url))
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
                        vendor_message=exc.reason, settle=self._settle(exc), sleep=self.sleep, now=self.now)
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
                if response.status in _AMBIGUOUS_STATUSES:
                    error = self._error(AmbiguousOutcomeError, operation, response)
                    # 504: the gateway stopped waiting, the vendor may not have; 502: its answer was lost.
                    error.settle = self.timeout if response.status == 504 else min(self.timeout, _SETTLE_AFTER_RESET)
                    error.sleep, error.now = self.sleep, self.now
                    raise error
                raise self._error(TransientError, operation, response)
            if attempt > self.policy.retries:
                raise self._error(TransientError, operation, response)
            self._count('HTTP %d' % response.status)
            return None
        if response.status == 407:
            proxy = _proxy_for(response.url or self.base_url)
            if proxy:  # a forwarding proxy refused; the vendor never saw the request
                raise ApiError(self._proxy_refused(proxy, '407 Proxy Authentication Required'), status=407)
        raise self._error(_ERROR_BY_STATUS.get(response.status, ApiError), operation, response)

    def _send(self, method: str, path: str, **kwargs: t.Any) -> Response:
        with self._lock:
            self.request_count += 1
        if self.session is None:  # PipelineModule reports the missing library before getting here
            raise ApiError('%s: the Python library requests is required' % self.vendor)
        url = self.url(path)
        try:
            # verify with each request: a session-wide setting loses to REQUESTS_CA_BUNDLE (requests merges the
            # environment over the session), which would silently replace ca_path or validate_certs: false.
            raw = self.session.request(method, url, timeout=self.timeout, verify=self.verify, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ApiError('%s: TLS error talking to %s: %s. Check ca_path (the certificate authorities to trust) or, '
                           'on a trusted network only, validate_certs' % (self.vendor, self._where(url), _tls_reason(exc)))
        except requests.exceptions.ProxyError as exc:  # before ConnectionError, its base class
            raise self._proxy_error(url, exc)
        except requests.exceptions.ConnectTimeout:
            raise _NotSent('connect timeout after %ss' % self.timeout)
        except requests.exceptions.ConnectionError as exc:
            if _never_sent(exc):
                raise _NotSent('cannot connect to %s' % self.base_url)
            raise _Broken('connection lost before the response arrived')
        except requests.exceptions.Timeout:
            raise _Broken('no response within %ss' % self.timeout, timed_out=True)
        return Response(raw.status_code, raw.headers, raw.content, raw.url)

    def _where(self, url: str) -> str:
        """How messages name the server of `url`: the base URL, or the origin of a URL elsewhere (an IAM endpoint)."""
        return self.base_url if url.startswith(self.base_url) else _origin(url)

    def _proxy_error(self, url: str, exc: Exception) -> t.Union[ApiError, '_NotSent']:
        """What a requests ProxyError means; nothing reached the vendor either way (requests raises it only before
        the request left through the proxy). A 4xx refusal of the CONNECT tunnel is an ApiError, not retried: the same
        proxy settings would be refused again. A 5xx refusal, or a proxy that cannot be reached, is retried as a
        connection that was never opened."""
        proxy = _masked_proxy(_proxy_for(url) or 'from the environment')
        refused = re.search(r'Tunnel connection failed: (\d{3})([^\'"()]*)', str(exc))
        if refused and not refused.group(1).startswith('5'):
            return ApiError(self._proxy_refused(proxy, '%s%s' % (refused.group(1), refused.group(2).rstrip())),
                            status=int(refused.group(1)))
        if refused:
            return _NotSent('the proxy %s answered %s%s to CONNECT' % (proxy, refused.group(1), refused.group(2).rstrip()))
        return _NotSent('cannot connect to the proxy %s' % proxy)

    def _proxy_refused(self, proxy: str, answer: str) -> str:
        return self.redact('%s: could not connect through the proxy %s: it answered %s; check the proxy settings '
                           '(HTTPS_PROXY, HTTP_PROXY, NO_PROXY)' % (self.vendor, _masked_proxy(proxy), answer))

    def tls_warning(self) -> t.Optional[str]:
        """One line for the task when requests went out over https:// unchecked (validate_certs false), else None."""
        with self._lock:
            origins = sorted(self.unverified)
        if not origins:
            return None
        return ('%s: validate_certs is false: the certificate of %s was not checked, so anyone on the network path could '
                'read or change the requests and their credentials; give the CA in ca_path instead'
                % (self.vendor, ', '.join(origins)))

    def _settle(self, exc: '_Broken') -> float:
        """Seconds the vendor may still act on a request whose answer was lost (see AmbiguousOutcomeError).

        After a timeout the vendor may be working on it still: give it as long again as the client waited.
        After a reset the answer was lost on the way back, usually once the vendor is done: a few seconds.
        """
        return float(self.timeout) if exc.timed_out else min(float(self.timeout), _SETTLE_AFTER_RESET)

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
    """The connection failed after the request may have been sent (`timed_out`: no answer in time)."""

    def __init__(self, reason: str, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


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
    found = re.search(r'\[(?:SSL|X509|PEM): ([A-Z_]+)\]', text)
    if found:
        return found.group(1).lower().replace('_', ' ')
    return 'the TLS handshake failed'


def _origin(url: str) -> str:
    """scheme://host[:port] of `url`, without any user:secret@ part."""
    parts = urlsplit(url)
    host = parts.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    return '%s://%s%s' % (parts.scheme, host, ':%d' % parts.port if parts.port else '')


def _environment_proxies() -> t.Dict[str, str]:
    """The proxy URLs of the environment by scheme, read as requests reads them (NO_PROXY's 'no' left out)."""
    if not HAS_REQUESTS:
        return {}
    return {k: v for k, v in requests.utils.getproxies().items() if k != 'no' and v}


def _proxy_for(url: str) -> t.Optional[str]:
    """The proxy requests sends a request for `url` through (honouring NO_PROXY), or None for a direct one."""
    if not HAS_REQUESTS:
        return None
    return requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))


def _proxy_parts(proxy: str) -> SplitResult:
    # A proxy may be given without a scheme (host:port); requests then assumes http://.
    return urlsplit(proxy if '://' in proxy else 'http://' + proxy)


def _proxy_secrets() -> t.List[str]:
    """The credentials written into the environment's proxy URLs: the password, or the user part when it comes alone
    (then it is a token)."""
    secrets = []
    for proxy in _environment_proxies().values():
        parts = _proxy_parts(proxy)
        secret = parts.password if parts.password is not None else parts.username
        if secret:
            secrets.extend({secret, unquote(secret)})
    return secrets


def _masked_proxy(proxy: str) -> str:
    """`proxy` with its credentials replaced by ******** (the user name is kept when a password follows it)."""
    parts = _proxy_parts(proxy)
    if '@' not in parts.netloc:
        return proxy
    user = parts.username + ':' + REDACTED if parts.password is not None and parts.username else REDACTED
    return proxy.replace(parts.netloc, user + '@' + parts.netloc.rpartition('@')[2], 1)


def _short(text: str) -> str:
    text = ' '.join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + '...'
