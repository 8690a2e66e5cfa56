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

Secrets registered with `add_secret` are replaced by `********` in every message this module builds.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json as _json
import random
import re
import time
import traceback
import typing as t

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


class Transport:
    """One vendor connection: a requests.Session (connection reuse while polling), retries, typed errors.

    `request()` returns a Response with a 2xx/3xx status, or raises a subclass of ApiError. It never
    calls fail_json and never puts a registered secret into a message.
    """

    def __init__(self, base_url: str, *, vendor: str, timeout: float = 30.0, verify: t.Union[bool, str] = True,
                 policy: t.Optional[RetryPolicy] = None, auth: t.Any = None,
                 headers: t.Optional[t.Mapping[str, str]] = None,
                 vendor_message: t.Callable[[Response], str] = default_vendor_message,
                 is_rate_limited: t.Callable[[Response], bool] = lambda r: r.status == 429,
                 sleep: t.Callable[[float], None] = time.sleep, now: t.Callable[[], float] = time.time,
                 rng: t.Optional[random.Random] = None) -> None:
        self.base_url = base_url.rstrip('/')
        self.vendor = vendor
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.vendor_message = vendor_message
        self.is_rate_limited = is_rate_limited
        self.sleep = sleep
        self.now = now
        self.rng = rng or random.Random()
        self.secrets: t.Set[str] = set()
        # Reason -> count of retried attempts, for one summary warning per task instead of one per retry.
        self.retried: t.Dict[str, int] = {}
        self.request_count = 0
        self.session = requests.Session() if HAS_REQUESTS else None
        if self.session is not None:
            self.session.verify = verify
            self.session.auth = auth
            self.session.headers.update({'Accept': 'application/json'})
            self.session.headers.update(headers or {})

    def add_secret(self, value: t.Optional[str]) -> None:
        """Never let `value` appear in a message built here."""
        if value:
            self.secrets.add(str(value))

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def url(self, path: str) -> str:
        """Absolute URL for a path below the configured base URL."""
        return path if re.match(r'^https?://', path) else self.base_url + '/' + path.lstrip('/')

    def request(self, method: str, path: str, *, operation: str, params: t.Any = None, data: t.Any = None,
                json: t.Any = None, headers: t.Optional[t.Mapping[str, str]] = None,
                idempotent: t.Optional[bool] = None, allow_redirects: bool = False) -> Response:
        """Send one logical request, retrying per the policy; see the module docstring for the rules.

        `operation` completes "could not ..." in error messages, e.g. "start job team/app".
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        attempt = 0
        while True:
            attempt += 1
            retry_delay: t.Optional[float] = None
            try:
                response = self._send(method, path, params=params, data=data, json=json, headers=headers,
                                      allow_redirects=allow_redirects)
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
                if response.status < 400:
                    return response
                retry_delay = self._retryable(response, idempotent, attempt, operation)
            self.sleep(retry_delay if retry_delay is not None else self._backoff(attempt))

    def _retryable(self, response: Response, idempotent: bool, attempt: int, operation: str) -> t.Optional[float]:
        """Return the delay before retrying `response`, or raise the typed error for it."""
        if self.is_rate_limited(response):
            if attempt > self.policy.retries:
                raise self._error(RateLimitedError, operation, response)
            self._count('HTTP %d' % response.status)
            hint = parse_retry_after(response.headers, self.now())
            return None if hint is None else min(hint, self.policy.max_delay)
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
        self.request_count += 1
        if self.session is None:  # PipelineModule reports the missing library before getting here
            raise ApiError('%s: the Python library requests is required' % self.vendor)
        try:
            raw = self.session.request(method, self.url(path), timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ApiError('%s: TLS error talking to %s: %s. Check O(ca_path) or O(validate_certs).'
                           % (self.vendor, self.base_url, _short(self.redact(str(exc)))))
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
        message = _short(self.redact(self.vendor_message(response) or ''))
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


def _short(text: str) -> str:
    text = ' '.join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + '...'
