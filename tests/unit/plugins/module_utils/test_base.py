# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backend base: exactly-once sends (DESIGN section 4), capabilities, connection settings."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import (
    ALL_OPERATIONS,
    Operation,
    Backend,
    Connection,
    exactly_once,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AmbiguousOutcomeError,
    ConflictError,
    TransientError,
    UnsupportedOperation,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._http import REDACTED, Transport
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, PendingInput, Status


class Calls:
    """`send` and `lookup` stand-ins that play a script of results/exceptions and count calls."""

    def __init__(self, sends: t.Sequence[t.Any], lookups: t.Sequence[t.Any] = ()) -> None:
        self.sends = list(sends)
        self.lookups = list(lookups)
        self.send_calls = 0
        self.lookup_calls = 0

    def send(self) -> t.Any:
        self.send_calls += 1
        return self._play(self.sends.pop(0))

    def lookup(self) -> t.Any:
        self.lookup_calls += 1
        return self._play(self.lookups.pop(0))

    @staticmethod
    def _play(step: t.Any) -> t.Any:
        if isinstance(step, Exception):
            raise step
        return step


def ambiguous() -> AmbiguousOutcomeError:
    return AmbiguousOutcomeError('harness: could not start pipeline p (no HTTP response): connection lost before '
                                 'the response arrived; the request may or may not have been acted on')


# exactly_once -----------------------------------------------------------------------------------


def test_plain_success_sends_once_without_lookup():
    calls = Calls(['started'])
    assert exactly_once(calls.send, calls.lookup) == 'started'
    assert (calls.send_calls, calls.lookup_calls) == (1, 0)


def test_committed_then_lost_returns_what_the_lookup_found_without_resending():
    calls = Calls([ambiguous(), 'second start'], ['found'])
    assert exactly_once(calls.send, calls.lookup) == 'found'
    assert (calls.send_calls, calls.lookup_calls) == (1, 1)


def test_not_committed_is_sent_exactly_twice():
    calls = Calls([ambiguous(), 'started', 'third start'], [None])
    assert exactly_once(calls.send, calls.lookup) == 'started'
    assert (calls.send_calls, calls.lookup_calls) == (2, 1)


def test_second_ambiguous_outcome_is_looked_up_again():
    calls = Calls([ambiguous(), ambiguous(), 'third start'], [None, 'found later'])
    assert exactly_once(calls.send, calls.lookup) == 'found later'
    assert (calls.send_calls, calls.lookup_calls) == (2, 2)


def test_two_ambiguous_outcomes_with_nothing_found_tell_the_user_to_check_first():
    calls = Calls([ambiguous(), ambiguous(), 'third start'], [None, None])
    with pytest.raises(AmbiguousOutcomeError) as info:
        exactly_once(calls.send, calls.lookup)
    assert (calls.send_calls, calls.lookup_calls) == (2, 2)
    assert info.value.msg.startswith('harness: could not start pipeline p (no HTTP response)')
    assert 'check the vendor before running the task again' in info.value.msg


@pytest.mark.parametrize('error', [TransientError('down'), ConflictError('already running')])
def test_non_ambiguous_errors_propagate_without_lookup(error):
    calls = Calls([error, 'second start'], ['found'])
    with pytest.raises(type(error)) as info:
        exactly_once(calls.send, calls.lookup)
    assert info.value is error
    assert (calls.send_calls, calls.lookup_calls) == (1, 0)


def test_error_on_the_second_send_propagates():
    error = ConflictError('already running')
    calls = Calls([ambiguous(), error], [None])
    with pytest.raises(ConflictError):
        exactly_once(calls.send, calls.lookup)
    assert (calls.send_calls, calls.lookup_calls) == (2, 1)


# Backend ------------------------------------------------------------------------------------------


class FakeBackend(Backend):
    name = 'fake'
    display_name = 'Fake CI'
    capabilities = frozenset({Operation.START, Operation.INFO, Operation.CANCEL})
    status_table = {'OK': Status.SUCCEEDED}

    def describe_pipeline(self, pipeline):  # pragma: no cover - not used here
        raise NotImplementedError

    def get(self, execution):
        return Execution(vendor='fake', pipeline=execution.pipeline, id=execution.id, status=Status.RUNNING)

    def latest(self, pipeline):  # pragma: no cover
        return None

    def find_started(self, request):  # pragma: no cover
        return []

    def start(self, request):  # pragma: no cover
        raise NotImplementedError


def backend(**conn: t.Any) -> FakeBackend:
    conn.setdefault('api_url', 'http://127.0.0.1:9')
    return FakeBackend(Connection(vendor='fake', **conn))


def test_require_names_the_supported_operations_in_order():
    with pytest.raises(UnsupportedOperation) as info:
        backend().require(Operation.RESUME)
    assert info.value.msg == 'Fake CI does not support resume; it supports: start, info, cancel'
    backend().require(Operation.START)
    backend().require(Operation.CANCEL)


@pytest.mark.parametrize('call', [
    lambda b, e: b.answer_input(e, PendingInput(id='g'), True, {}),
    lambda b, e: b.resumable_stages(e),
    lambda b, e: b.resume(e, 'Deploy'),
    lambda b, e: b.retry(e),
])
def test_unsupported_default_operations_raise_unsupported(call):
    with pytest.raises(UnsupportedOperation) as info:
        call(backend(), Execution(vendor='fake', pipeline='p', id='1'))
    assert 'it supports: start, info, cancel' in info.value.msg


def test_operations_are_the_six_modules():
    assert [op.value for op in Operation] == ['start', 'info', 'input', 'resume', 'retry', 'cancel']
    assert ALL_OPERATIONS == frozenset(Operation)
    assert Operation.RETRY == 'retry' and str(Operation.RETRY) == 'retry'  # a str enum: usable in messages


def test_get_many_keeps_order():
    stubs = [Execution(vendor='fake', pipeline='p', id=str(n)) for n in (3, 1, 2)]
    assert [e.id for e in backend().get_many(stubs)] == ['3', '1', '2']


def test_connection_secrets_are_registered_for_redaction():
    b = backend(api_token='tok-secret-1', password='pw-secret-2')
    assert b.http.redact('token tok-secret-1 and password pw-secret-2') == 'token %s and password %s' % (
        REDACTED, REDACTED)


def test_given_transport_gets_the_secrets_too():
    transport = Transport('http://127.0.0.1:9', vendor='fake')
    b = FakeBackend(Connection(vendor='fake', api_url='http://x', api_token='tok-secret-3'), transport)
    assert b.http is transport
    assert transport.redact('tok-secret-3') == REDACTED


def test_transport_follows_the_connection_settings():
    b = backend(api_url='https://ci.example.com/jenkins/', request_timeout=7.5, request_retries=2,
                ca_path='/etc/ca.pem')
    assert b.http.base_url == 'https://ci.example.com/jenkins'
    assert b.http.timeout == 7.5
    assert b.http.policy.retries == 2
    assert b.http.vendor == 'fake'
    assert b.http.session.verify == '/etc/ca.pem'


@pytest.mark.parametrize('validate_certs, ca_path, verify', [
    (True, None, True),
    (True, '/etc/ca.pem', '/etc/ca.pem'),
    (False, '/etc/ca.pem', False),
    (False, None, False),
])
def test_connection_verify(validate_certs, ca_path, verify):
    assert Connection(vendor='x', validate_certs=validate_certs, ca_path=ca_path).verify == verify
