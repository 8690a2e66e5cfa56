# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Huawei Cloud API-gateway AK/SK signatures (``SDK-HMAC-SHA256``), as ``huaweicloudsdkcore`` 3.1.219 signs them.

Contract
--------
* :func:`canonical_request` rebuilds what the signer hashed: ``METHOD``, the canonical URI (URL-decoded path,
  every segment percent-encoded with only ``~`` safe, a trailing ``/`` appended), the canonical query (decoded
  pairs sorted by key then value, re-encoded), ``name:trimmed-value`` lines of the signed headers, the signed
  header list and the payload hash (the empty-body hash when there is no body, even with ``X-Sdk-Content-Sha256``;
  else the value of ``X-Sdk-Content-Sha256`` when the client sent one, e.g. ``UNSIGNED-PAYLOAD``; else the SHA-256 hex
  of the body).
* :func:`signature` is ``hex(HMAC-SHA256(SK, "SDK-HMAC-SHA256\\n<X-Sdk-Date>\\n<sha256(canonical request)>"))``.
* :func:`parse_authorization` splits ``SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...``.
"""
from __future__ import annotations

import calendar
import hashlib
import hmac
import time
import typing as t
import urllib.parse

ALGORITHM = 'SDK-HMAC-SHA256'
EMPTY_HASH = hashlib.sha256(b'').hexdigest()
DATE_FORMAT = '%Y%m%dT%H%M%SZ'
CONTENT_SHA_HEADER = 'x-sdk-content-sha256'


def _encode(text: str) -> str:
    return urllib.parse.quote(text, safe='~')


def canonical_uri(path: str) -> str:
    """The CanonicalURI of a request path."""
    joined = '/'.join(_encode(part) for part in urllib.parse.unquote(path).split('/'))
    return joined if joined.endswith('/') else joined + '/'


def canonical_query(raw_query: str) -> str:
    """The CanonicalQueryString of a raw query string."""
    pairs = sorted(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    return '&'.join('%s=%s' % (_encode(k), _encode(v)) for k, v in pairs)


def canonical_request(method: str, path: str, raw_query: str, headers: t.Mapping[str, str], signed: t.Sequence[str], body: bytes) -> str:
    """The CanonicalRequest; KeyError when a signed header is missing from ``headers``."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    lines = ''.join('%s:%s\n' % (name, lowered[name]) for name in signed)
    # The SDK hashes an empty body as such even when it sends X-Sdk-Content-Sha256 (UNSIGNED-PAYLOAD).
    payload = EMPTY_HASH if not body else (lowered.get(CONTENT_SHA_HEADER) or hashlib.sha256(body).hexdigest())
    return '%s\n%s\n%s\n%s\n%s\n%s' % (method.upper(), canonical_uri(path), canonical_query(raw_query), lines, ';'.join(signed), payload)


def string_to_sign(request_text: str, sdk_date: str) -> str:
    """The StringToSign."""
    return '%s\n%s\n%s' % (ALGORITHM, sdk_date, hashlib.sha256(request_text.encode('utf-8')).hexdigest())


def signature(secret: str, request_text: str, sdk_date: str) -> str:
    """Hex HMAC-SHA256 of the StringToSign with the raw SK as key."""
    return hmac.new(secret.encode('utf-8'), string_to_sign(request_text, sdk_date).encode('utf-8'), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> tuple[str, list[str], str] | None:
    """(access key, signed header names, signature) of an ``SDK-HMAC-SHA256`` Authorization header, else None."""
    scheme, _sep, rest = value.strip().partition(' ')
    if scheme != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for item in rest.split(','):
        key, sep, val = item.strip().partition('=')
        if sep:
            fields[key.strip()] = val.strip()
    if not all(fields.get(k) for k in ('Access', 'SignedHeaders', 'Signature')):
        return None
    return fields['Access'], [h for h in fields['SignedHeaders'].split(';') if h], fields['Signature']


def parse_date(value: str) -> float | None:
    """Epoch seconds of an ``X-Sdk-Date`` value (``20261125T174257Z``), else None."""
    try:
        return float(calendar.timegm(time.strptime(value, DATE_FORMAT)))
    except (TypeError, ValueError):
        return None


def sign(ak: str, sk: str, method: str, url_path: str, raw_query: str, headers: dict[str, str], body: bytes = b'',
         when: float | None = None) -> dict[str, str]:
    """Sign a request like the SDK (for tests and demo clients): add X-Sdk-Date and Authorization to ``headers``.

    Every header already in ``headers`` whose name has no ``_`` is signed (the SDK's rule); the
    caller sets ``Host`` (with the port) and ``Content-Type`` first.
    """
    headers = dict(headers)
    if not any(k.lower() == 'x-sdk-date' for k in headers):
        headers['X-Sdk-Date'] = time.strftime(DATE_FORMAT, time.gmtime(time.time() if when is None else when))
    signed = sorted(k.lower() for k in headers if '_' not in k)
    sdk_date = next(v for k, v in headers.items() if k.lower() == 'x-sdk-date')
    text = canonical_request(method, url_path, raw_query, headers, signed, body)
    headers['Authorization'] = '%s Access=%s, SignedHeaders=%s, Signature=%s' % (ALGORITHM, ak, ';'.join(signed), signature(sk, text, sdk_date))
    return headers
