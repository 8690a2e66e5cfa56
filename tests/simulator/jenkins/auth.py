"""Jenkins authentication and CSRF crumbs.

* HTTP Basic with an API token (checked first, as Jenkins' ``BasicHeaderApiTokenAuthenticator``)
  or the password. A wrong secret or unknown user gives **401** "Invalid password/token for
  user: <name>" with ``WWW-Authenticate: Basic realm="Jenkins"``; the secret is never echoed.
* No ``Authorization``: anonymous, which has no Overall/Read here, so **403**.
* Crumbs (``DefaultCrumbIssuer``): ``GET /crumbIssuer/api/json`` issues ``hex(sha256(user;session
  + salt))`` and a ``JSESSIONID.<suffix>`` cookie for a new session. A POST authenticated by
  password (or anonymous) must send that crumb (header ``Jenkins-Crumb`` or parameter
  ``Jenkins-Crumb``/``.crumb``) with the session cookie, else **403** "No valid crumb was
  included in the request". API-token requests are exempt (``ApiCrumbExclusion``).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import http.cookies
import secrets
import typing as t

from ..httpcore import Request
from .config import JenkinsConfig

CRUMB_FIELD = 'Jenkins-Crumb'
ANONYMOUS = 'anonymous'


class AuthFailure(Exception):
    """Authentication or CSRF failure: ``status`` and the message Jenkins shows."""

    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class Authenticator:
    """Credentials check plus the session/crumb store (one per server, reset with it)."""

    def __init__(self, config: JenkinsConfig) -> None:
        self.config = config
        self.cookie_name = 'JSESSIONID.' + secrets.token_hex(4)
        self._salt = secrets.token_hex(16)
        self._sessions: set[str] = set()
        self._crumbs: set[str] = set()

    def reset(self, config: JenkinsConfig) -> None:
        """New configuration; all sessions (and the record of issued crumbs) are forgotten."""
        self.config = config
        self._sessions = set()
        self._crumbs = set()

    def authenticate(self, request: Request) -> tuple[str, str]:
        """``(user, kind)`` where kind is token, password or anonymous; AuthFailure on bad credentials."""
        header = request.header('Authorization') or ''
        if not header[:6].lower() == 'basic ':
            return ANONYMOUS, 'anonymous'
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode('utf-8')
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthFailure(401, 'Malformed HTTP basic Authorization header', self._challenge()) from exc
        name, sep, secret = decoded.partition(':')
        if not sep:
            raise AuthFailure(401, 'Malformed HTTP basic Authorization header', self._challenge())
        user = self.config.user(name)
        if user is not None and secret in user.tokens:
            return user.name, 'token'
        if user is not None and user.password is not None and secret == user.password:
            return user.name, 'password'
        raise AuthFailure(401, 'Invalid password/token for user: %s' % name, self._challenge())

    @staticmethod
    def _challenge() -> list[tuple[str, str]]:
        return [('WWW-Authenticate', 'Basic realm="Jenkins"')]

    def full_name(self, name: str) -> str:
        """Display name of a user."""
        user = self.config.user(name)
        return user.full_name if user else name

    def _session(self, request: Request) -> str | None:
        cookie = http.cookies.SimpleCookie()
        try:
            cookie.load(request.header('Cookie') or '')
        except http.cookies.CookieError:
            return None
        morsel = cookie.get(self.cookie_name)
        return morsel.value if morsel is not None and morsel.value in self._sessions else None

    def _crumb(self, user: str, session: str) -> str:
        return hashlib.sha256(('%s;%s' % (user, session)).encode('utf-8') + self._salt.encode('ascii')).hexdigest()

    def issue_crumb(self, request: Request, user: str) -> tuple[str, str | None]:
        """The crumb for (user, session) and a Set-Cookie value when a session had to be created."""
        session = self._session(request)
        set_cookie = None
        if session is None:
            session = secrets.token_hex(12)
            self._sessions.add(session)
            set_cookie = '%s=%s; Path=/; HttpOnly' % (self.cookie_name, session)
        crumb = self._crumb(user, session)
        self._crumbs.add(crumb)
        return crumb, set_cookie

    def issued(self) -> dict[str, list[str]]:
        """The crumbs and session ids handed out since the last reset."""
        return {'crumbs': sorted(self._crumbs), 'sessions': sorted(self._sessions)}

    def check_crumb(self, request: Request, user: str, kind: str) -> None:
        """Raise AuthFailure(403) when a POST needs a crumb and has no valid one."""
        if not self.config.crumbs or request.method != 'POST' or kind == 'token':
            return
        sent = request.header(CRUMB_FIELD) or request.param(CRUMB_FIELD) or request.param('.crumb')
        session = self._session(request)
        if not sent or session is None or not secrets.compare_digest(sent, self._crumb(user, session)):
            raise AuthFailure(403, 'No valid crumb was included in the request')

    def secret_names(self) -> t.Set[str]:
        """Query names that carry secrets (tokens, crumbs)."""
        return {'token', CRUMB_FIELD, '.crumb'}
