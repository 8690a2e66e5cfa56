# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Buddy.Works on the wire: paths, bearer auth, Buddy's error words, rate limits and scopes.

Buddy answers errors as `{"errors": [{"message": ...}]}`. Rate limiting is HTTP 429 (Buddy's Go SDK
retries it and waits for `X-Rate-Limit-Reset`, epoch seconds); a 403 "Rate limit exceeded." (seen in a
client's fixtures) is treated the same. Every answer carries `X-Rate-Limit-Remaining` / `-Reset`, which
the transport reads to slow down before the limit is reached.
"""

from __future__ import annotations

import typing as t

from urllib.parse import quote

from ..._errors import ApiError, AuthenticationError, NotFoundError, ValidationError, VendorValidationError
from ..._http import Authenticator, Outgoing, Response, ResponsePolicy, Transport, default_vendor_message

US_URL = 'https://api.buddy.works'
EU_URL = 'https://api.eu.buddy.works'
# Scopes of Buddy personal access tokens (API reference: run and PATCH need EXECUTION_RUN, reads EXECUTION_INFO).
READ_SCOPE, RUN_SCOPE, VARIABLES_SCOPE = 'EXECUTION_INFO', 'EXECUTION_RUN', 'VARIABLE_INFO'
_SCOPE_WORDS = {READ_SCOPE: 'read pipelines and executions', RUN_SCOPE: 'run, retry, approve and stop executions',
                VARIABLES_SCOPE: 'read the variables a pipeline defines'}
_RATE_WORDS = 'rate limit exceeded'
_DISABLED_WORDS = 'api is disabled'


def errors_text(body: t.Any) -> t.Optional[str]:
    """Buddy's words from an `{"errors": [{"message"}]}` body, or None when it is not one."""
    if isinstance(body, dict) and isinstance(body.get('errors'), list):
        texts = [str(e.get('message')) for e in body['errors'] if isinstance(e, dict) and e.get('message')]
        return '; '.join(texts) or None
    return None


def vendor_message(response: Response) -> str:
    try:
        text = errors_text(response.json())
    except ValueError:
        text = None
    return text or default_vendor_message(response)


class BuddyResponses(ResponsePolicy):
    """Buddy's answers: `errors[].message`; 429 and 403 "Rate limit exceeded." are rate limiting, waited out
    until `X-Rate-Limit-Reset`; the default header pacing reads `X-Rate-Limit-Remaining` / `-Reset`."""

    # Buddy's Go SDK starts spreading requests once 100 or fewer are left in the window.
    low_water = 100

    def vendor_message(self, response: Response) -> str:
        return vendor_message(response)

    def is_rate_limited(self, response: Response) -> bool:
        if response.status == 429:
            return True
        return response.status == 403 and _RATE_WORDS in vendor_message(response).lower()

    def retry_after(self, response: Response, now: float) -> t.Optional[float]:
        reset = response.headers.get('X-Rate-Limit-Reset')
        if reset is not None and str(reset).strip().isdigit():
            value = float(reset)
            return max(0.0, value - now if value > 10 ** 9 else value)
        return super().retry_after(response, now)


class Bearer(Authenticator):
    """`Authorization: Bearer <token>` (personal access tokens and OAuth tokens alike)."""

    def __init__(self, token: str) -> None:
        self._header = 'Bearer ' + token

    def apply(self, request: Outgoing) -> None:
        request.headers['Authorization'] = self._header


def segment(value: str, what: str) -> str:
    """`value` as one segment of a URL path (quoted); ValidationError for '.', '..' or nothing, which are no name:
    an HTTP client removes such a segment, and the request would reach another endpoint."""
    if value.strip() in ('', '.', '..'):
        raise ValidationError('buddy: %s %r is not a name or id Buddy gives; give the one Buddy shows (or the execution '
                              'record an earlier task returned)' % (what, value))
    return quote(value, safe='')


class BuddyApi:
    """Paths below `/workspaces/{workspace}`, JSON in and out, Buddy's refusals as clear messages."""

    def __init__(self, http: Transport, workspace: str) -> None:
        self.http = http
        self.workspace = workspace

    def pipelines_path(self, project: str) -> str:
        return '/workspaces/%s/projects/%s/pipelines' % (segment(self.workspace, 'workspace'), segment(project, 'project'))

    def variables_path(self) -> str:
        return '/workspaces/%s/variables' % segment(self.workspace, 'workspace')

    def call(self, method: str, path: str, operation: str, *, scope: str = READ_SCOPE, params: t.Any = None,
             body: t.Any = None, idempotent: t.Optional[bool] = None) -> t.Any:
        """The JSON answer of one request; typed errors whose message says what Buddy refused and, for a
        missing permission, which token scope the operation needs."""
        try:
            response = self.http.request(method, path, operation=operation, params=params, json=body, idempotent=idempotent)
        except AuthenticationError as exc:
            raise self._refused(exc, operation, scope)
        except VendorValidationError as exc:
            if _DISABLED_WORDS in (exc.vendor_message or '').lower():
                raise self._disabled(exc, operation)
            raise
        try:
            return response.json()
        except ValueError:
            raise ApiError('buddy: could not %s (HTTP %d): the answer is not JSON (%s)'
                           % (operation, response.status, self.http.redact(response.text[:120]) or 'empty body'),
                           status=response.status)

    def _disabled(self, exc: ApiError, operation: str) -> ApiError:
        return AuthenticationError('buddy: could not %s: %s The developer API is off in workspace %r: enable it in '
                                   'Workspace Settings > Developer API' % (operation, exc.vendor_message, self.workspace),
                                   status=exc.status, vendor_message=exc.vendor_message)

    def _refused(self, exc: AuthenticationError, operation: str, scope: str) -> ApiError:
        words = exc.vendor_message or ''
        if _DISABLED_WORDS in words.lower():
            return self._disabled(exc, operation)
        if exc.status == 403 and 'active workspace' in words.lower():
            return NotFoundError('buddy: could not %s: %s (workspace %r is not active)' % (operation, words, self.workspace),
                                 status=exc.status, vendor_message=words)
        if exc.status == 403:
            return AuthenticationError(
                '%s; the token needs the scope %s (to %s) and access to workspace %r'
                % (exc.msg, scope, _SCOPE_WORDS.get(scope, scope.lower()), self.workspace),
                status=exc.status, vendor_message=words)
        return AuthenticationError('%s; check the token (api_token or BUDDY_TOKEN): it may be wrong, expired or revoked'
                                   % exc.msg, status=exc.status, vendor_message=words)
