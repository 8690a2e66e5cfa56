# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Huawei Cloud API gateway request signing, `SDK-HMAC-SHA256` (AK/SK), and the IAM token header.

The algorithm is that of the Huawei Cloud SDK's signer (huaweicloudsdkcore.signer.Signer), written here so the
collection needs no SDK at run time; tests check that both sign the same request identically:

1. add `X-Sdk-Date` (UTC, `YYYYMMDDTHHMMSSZ`), `Host` (host[:port] of the URL), `X-Security-Token` for temporary
   credentials, and `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when the body is neither JSON nor BSON;
2. SignedHeaders: every header whose name has no `_`, lower-cased, sorted, joined with `;`;
3. CanonicalRequest: method, canonical URI (each decoded path segment percent-encoded with only `~` safe, and a
   trailing `/`), canonical query (sorted `key=value`, both percent-encoded), `name:value` lines of the signed
   headers, the SignedHeaders list, and the SHA-256 hex of the body;
4. StringToSign: `SDK-HMAC-SHA256`, the date, the SHA-256 hex of the canonical request, one per line;
5. Authorization: `SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=hex(HMAC-SHA256(SK, StringToSign))`.

The Authenticator runs on every attempt (Transport.request), so a retried request is signed again with a
fresh date: the gateway refuses a date more than 15 minutes off.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import typing as t

from urllib.parse import quote, unquote, urlsplit

from ..._http import Authenticator, Outgoing

ALGORITHM = 'SDK-HMAC-SHA256'
DATE_FORMAT = '%Y%m%dT%H%M%SZ'
EMPTY_HASH = hashlib.sha256(b'').hexdigest()


def _encode(text: str) -> str:
    return quote(text, safe='~')


def canonical_uri(path: str) -> str:
    uri = '/'.join(_encode(segment) for segment in unquote(path).split('/'))
    return uri if uri.endswith('/') else uri + '/'


def canonical_query(params: t.Any) -> str:
    """Sorted `key=value` pairs (list values sorted, booleans as true/false), as the SDK builds them."""
    if not params:
        return ''
    items = list(params.items()) if isinstance(params, t.Mapping) else list(params)
    pairs = []
    for key, value in sorted(items, key=lambda kv: str(kv[0])):
        values = sorted(value) if isinstance(value, (list, tuple)) else [value]
        for item in values:
            text = str(item).lower() if isinstance(item, bool) else str(item)
            pairs.append('%s=%s' % (_encode(str(key)), _encode(text)))
    return '&'.join(pairs)


def signed_header_names(headers: t.Mapping[str, str]) -> t.List[str]:
    return sorted(name.lower() for name in headers if '_' not in name)


def string_to_sign(method: str, url: str, params: t.Any, headers: t.Mapping[str, str], body: bytes) -> str:
    """The StringToSign of a request whose headers already hold `X-Sdk-Date` and `Host`."""
    names = signed_header_names(headers)
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    content = lowered.get('x-sdk-content-sha256')
    payload = EMPTY_HASH if not body else (content or hashlib.sha256(body).hexdigest())
    canonical = '\n'.join((method.upper(), canonical_uri(urlsplit(url).path), canonical_query(params),
                           ''.join('%s:%s\n' % (name, lowered[name]) for name in names), ';'.join(names), payload))
    return '%s\n%s\n%s' % (ALGORITHM, lowered['x-sdk-date'], hashlib.sha256(canonical.encode('utf-8')).hexdigest())


def _query_of(url: str) -> t.List[t.Tuple[str, str]]:
    """The query pairs of a URL, decoded (the canonical query encodes them again)."""
    query = urlsplit(url).query
    return [(unquote(k), unquote(v)) for k, _sep, v in (pair.partition('=') for pair in query.split('&') if pair)]


def signature(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode('utf-8'), text.encode('utf-8'), hashlib.sha256).hexdigest()


class AkSkSigner(Authenticator):
    """Signs each attempt with an access key / secret key pair (and the security token of temporary ones)."""

    def __init__(self, access_key: str, secret_key: str, security_token: t.Optional[str] = None,
                 now: t.Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)) -> None:
        self._ak = access_key
        self._sk = secret_key
        self._token = security_token
        self._now = now

    def apply(self, request: Outgoing) -> None:
        headers = request.headers
        for name in [n for n in headers if n.lower() in ('x-sdk-date', 'authorization', 'host')]:
            del headers[name]  # a retried attempt is signed afresh
        kind = next((v for k, v in headers.items() if k.lower() == 'content-type'), '')
        if kind and not kind.startswith(('application/json', 'application/bson')):
            headers['X-Sdk-Content-Sha256'] = 'UNSIGNED-PAYLOAD'
        headers['X-Sdk-Date'] = self._now().strftime(DATE_FORMAT)
        headers['Host'] = urlsplit(request.url).netloc
        if self._token:
            headers['X-Security-Token'] = self._token
        if request.params:
            # The query goes out exactly as it is signed (requests would encode a space as `+`, the SDK as `%20`).
            request.url = '%s?%s' % (request.url.split('?', 1)[0], canonical_query(request.params))
            request.params = None
        names = signed_header_names(headers)
        text = string_to_sign(request.method, request.url, _query_of(request.url), headers, request.body)
        headers['Authorization'] = '%s Access=%s, SignedHeaders=%s, Signature=%s' % (
            ALGORITHM, self._ak, ';'.join(names), signature(self._sk, text))


class IamToken(Authenticator):
    """`X-Auth-Token` with an IAM token (given, or fetched from IAM by the backend)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def apply(self, request: Outgoing) -> None:
        request.headers['X-Auth-Token'] = self.token
