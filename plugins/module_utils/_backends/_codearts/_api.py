# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""CodeArts Pipeline on the wire: the region endpoints, paths, errors (also inside HTTP 200), throttling, IAM tokens.

Errors are `{"error_code", "error_msg"}`, sometimes with HTTP 200 (a client must look for `error_code` on every
answer). A run held back by a concurrency limit answers `DEVPIPE.00011169` / `DEVPIPE.00011170` with the run's id
in `error.pipeline_run_id`: the run exists and waits in a queue (as Huawei's Terraform provider treats it).
The API gateway throttles with HTTP 429 `APIGW.0308`.
"""

from __future__ import annotations

import typing as t

from urllib.parse import quote

from ..._errors import ApiError, AuthenticationError, NotFoundError, RateLimitedError, ValidationError, VendorValidationError
from ..._http import Response, ResponsePolicy, Transport, default_vendor_message

# The SDK's region table (huaweicloudsdkcodeartspipeline/v2/region/codeartspipeline_region.py).
_EXT = ('cn-north-1', 'cn-north-4', 'cn-south-1', 'cn-south-2', 'cn-east-2', 'cn-east-3', 'cn-southwest-2',
        'ap-southeast-3', 'sa-brazil-1', 'la-north-2')
_EXTERNAL = ('tr-west-1', 'la-south-2')
_PLAIN = ('af-north-1', 'me-east-1', 'af-south-1')
QUEUED_CODES = ('DEVPIPE.00011169', 'DEVPIPE.00011170')
_THROTTLED = ('APIGW.0308', 'APIG.0308')
_PERMISSION = ('DEVCP.00014031', 'DEVCP.00021018')
_MISSING = ('DEVCP.00012002',)


def endpoint_of(region: t.Optional[str]) -> t.Optional[str]:
    """The CodeArts Pipeline endpoint of a region, None for a region the SDK does not know."""
    if region in _EXT:
        return 'https://cloudpipeline-ext.%s.myhuaweicloud.com' % region
    if region in _EXTERNAL:
        return 'https://pipeline-external.%s.myhuaweicloud.com' % region
    if region in _PLAIN:
        return 'https://pipeline.%s.myhuaweicloud.com' % region
    return None


def regions() -> t.List[str]:
    return sorted(_EXT + _EXTERNAL + _PLAIN)


def error_of(body: t.Any) -> t.Optional[t.Tuple[str, str]]:
    """(error_code, error_msg) of a CodeArts or gateway error body, None when the body is not one."""
    if isinstance(body, dict) and body.get('error_code'):
        return str(body['error_code']), str(body.get('error_msg') or '')
    return None


def vendor_message(response: Response) -> str:
    try:
        found = error_of(response.json())
    except ValueError:
        found = None
    if found:
        return '%s %s' % found if found[1] else found[0]
    return default_vendor_message(response)


class CodeArtsResponses(ResponsePolicy):
    """CodeArts answers: `error_code` + `error_msg`; HTTP 429 and the gateway's throttling codes are rate limiting."""

    def vendor_message(self, response: Response) -> str:
        return vendor_message(response)

    def is_rate_limited(self, response: Response) -> bool:
        if response.status == 429:
            return True
        try:
            found = error_of(response.json())
        except ValueError:
            return False
        return bool(found and found[0] in _THROTTLED)


class CodeArtsApi:
    """`/v5/{project_id}/api/...` of one CodeArts project; every answer checked for `error_code`."""

    def __init__(self, http: Transport, project_id: str, auth_hint: str = '') -> None:
        self.http = http
        self.project_id = project_id
        # What to check when the gateway refuses the credentials (depends on the method in use).
        self.auth_hint = auth_hint

    def path(self, suffix: str, *parts: t.Any) -> str:
        # '.' and '..' are no id: an HTTP client removes such a segment, and the request would reach another endpoint.
        odd = [str(p) for p in parts if str(p).strip() in ('', '.', '..')]
        if odd:
            raise ValidationError('codearts: %r is not an id CodeArts gives; pass the execution record an earlier task '
                                  'returned' % odd[0])
        quoted = tuple(quote(str(p), safe='') for p in parts)
        return '/v5/%s/api/%s' % (quote(self.project_id, safe=''), suffix % quoted)

    def call(self, method: str, path: str, operation: str, *, params: t.Any = None, body: t.Any = None,
             idempotent: t.Optional[bool] = None, queued_ok: bool = False) -> t.Any:
        """The JSON answer; a typed error for an `error_code` (in any status). With `queued_ok`, a queued run's
        answer (`DEVPIPE.00011169/70`) is returned as it is."""
        try:
            response = self.http.request(method, path, operation=operation, params=params,
                                         json=body if body is not None else ({} if method in ('POST', 'PUT') else None),
                                         idempotent=idempotent)
        except AuthenticationError as exc:
            hint = self.auth_hint
            if 'DEVCP.00021018' in (exc.vendor_message or ''):
                hint = 'check project_id: it is the CodeArts project id, not the IAM project id'
            raise AuthenticationError('%s; %s' % (exc.msg, hint) if hint else exc.msg, status=exc.status,
                                      vendor_message=exc.vendor_message)
        try:
            answer = response.json()
        except ValueError:
            raise ApiError('codearts: could not %s (HTTP %d): the answer is not JSON (%s)'
                           % (operation, response.status, self.http.redact(response.text[:120]) or 'empty body'),
                           status=response.status)
        found = error_of(answer)
        if found is None or (queued_ok and found[0] in QUEUED_CODES):
            return answer
        code, text = found
        words = self.http.redact('%s %s' % (code, text)).strip()
        cls: t.Type[ApiError] = VendorValidationError
        if code in _PERMISSION:
            cls = AuthenticationError
        elif code in _MISSING or 'not exist' in text.lower() or 'not found' in text.lower():
            cls = NotFoundError
        elif code in _THROTTLED:
            cls = RateLimitedError
        raise cls('codearts: could not %s: %s' % (operation, words), status=response.status, vendor_message=words)
