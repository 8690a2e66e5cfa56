# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SDK-HMAC-SHA256 signer against known vectors: signatures computed by the Huawei Cloud SDK's own signer
(huaweicloudsdkcore 3.1.219, Signer.sign) for the same requests at a fixed X-Sdk-Date."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._codearts._signer import (
    AkSkSigner, canonical_query, canonical_uri)
from ansible_collections.cicd.pipelines.plugins.module_utils._http import Outgoing

AK, SK = 'AKEXAMPLE0000000000', 'SKEXAMPLE/secret+key=0123456789'
BASE = 'http://127.0.0.1:18080'
AT = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
VECTORS = [
    ('POST', '/v5/0123456789abcdef0123456789abcdef/api/pipelines/pipe1/run', None, 'application/json;charset=utf-8',
     b'{"variables": [{"name": "k", "value": "v"}]}', 'cb1a70a99ba48d36e07827c03a03b4f4d139f58b4fdaaeae89597e37a66773c1'),
    ('GET', '/v5/0123456789abcdef0123456789abcdef/api/pipelines/pipe1/pipeline-runs/detail', {'pipeline_run_id': 'r1'},
     'application/json', b'', '3b6cd0783effb6490ebe15b24387f4d02ba047c2575a93574c0fecd2fa6cdcaf'),
    ('POST', '/v5/p/api/pipelines/pipe1/pipeline-runs/r1/jobs/j1/steps/st1/pass', {'approval_description': 'ok by ansible'},
     'application/json', b'', '36e4e99c52c1db65fbf089ba5d12326cf60adb9ec5e32b7d45687b50194a21f9'),
]


@pytest.mark.parametrize('method, path, params, kind, body, expected', VECTORS)
def test_the_signature_equals_the_sdk_signature_for_the_same_request(method, path, params, kind, body, expected):
    request = Outgoing(method, BASE + path, params, {'Content-Type': kind}, data=body or None)

    AkSkSigner(AK, SK, now=lambda: AT).apply(request)

    assert request.headers['Authorization'] == ('SDK-HMAC-SHA256 Access=%s, SignedHeaders=content-type;host;x-sdk-date, '
                                                'Signature=%s' % (AK, expected))
    assert request.headers['X-Sdk-Date'] == '20261201T120000Z' and request.headers['Host'] == '127.0.0.1:18080'


def test_a_wrong_secret_key_gives_another_signature():
    method, path, params, kind, body, expected = VECTORS[0]
    request = Outgoing(method, BASE + path, params, {'Content-Type': kind}, data=body)

    AkSkSigner(AK, SK + 'x', now=lambda: AT).apply(request)

    assert expected not in request.headers['Authorization']


def test_each_attempt_is_signed_afresh_with_its_own_date():
    request = Outgoing('GET', BASE + '/v5/p/api/pipelines/x', None, {'Content-Type': 'application/json'})
    moments = [AT, AT + datetime.timedelta(minutes=20)]
    signer = AkSkSigner(AK, SK, now=lambda: moments.pop(0))

    signer.apply(request)
    first = request.headers['Authorization']
    signer.apply(request)

    assert request.headers['X-Sdk-Date'] == '20261201T122000Z' and request.headers['Authorization'] != first
    assert sum(1 for name in request.headers if name.lower() == 'authorization') == 1


def test_temporary_credentials_sign_their_security_token():
    request = Outgoing('GET', BASE + '/v5/p/api/pipelines/x', None, {'Content-Type': 'application/json'})

    AkSkSigner(AK, SK, security_token='tok-123', now=lambda: AT).apply(request)

    assert request.headers['X-Security-Token'] == 'tok-123'
    assert 'SignedHeaders=content-type;host;x-sdk-date;x-security-token' in request.headers['Authorization']


def test_canonical_parts_follow_the_sdk():
    assert canonical_uri('/v5/p q/api/a%2Fb') == '/v5/p%20q/api/a/b/'
    assert canonical_query({'b': 'x y', 'a': [2, 1], 'c': True}) == 'a=1&a=2&b=x%20y&c=true'
