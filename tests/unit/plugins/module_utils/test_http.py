# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport against a real HTTP server on 127.0.0.1 (see conftest.FakeServer): retry policy,
ambiguous outcomes, error mapping, vendor messages and redaction (DESIGN section 5)."""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    VendorValidationError,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._http import (
    REDACTED,
    Authenticator,
    Outgoing,
    ResponsePolicy,
    Response,
    RetryPolicy,
    Transport,
)

NOW = 1_700_000_000.0
TOKEN = 'tok-9f8e7d6c5b4a3210'


def exact_type(value, cls) -> bool:
    """The exception is of exactly this class, not a subclass (the typed errors form a hierarchy)."""
    return isinstance(value, cls) and not any(isinstance(value, sub) for sub in cls.__subclasses__())


class RecordingRng:
    """Stands in for random.Random: records the jitter bounds and picks the lower one."""

    def __init__(self) -> None:
        self.bounds: t.List[t.Tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return low


def make_transport(server: t.Any, retries: int = 3, backoff: float = 1.0, max_delay: float = 60.0,
                   timeout: float = 5.0, rng: t.Any = None, sleep: t.Any = None,
                   **kwargs: t.Any) -> t.Tuple[Transport, t.List[float]]:
    sleeps: t.List[float] = []
    transport = Transport(server.url, vendor='buddy', timeout=timeout,
                          policy=RetryPolicy(retries=retries, backoff=backoff, max_delay=max_delay),
                          sleep=sleep or sleeps.append, now=lambda: NOW, rng=rng or random.Random(7), **kwargs)
    return transport, sleeps


def errors_body(message: str) -> str:
    return json.dumps({'errors': [{'message': message}]})


# 429 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_429_is_retried_for_any_method_honouring_retry_after_seconds(http_server, method):
    http_server.queue(http_server.Reply(429, {'Retry-After': '3'}, errors_body('slow down')),
                      http_server.Reply(200, body='{"id": "42"}'))
    transport, sleeps = make_transport(http_server)

    response = transport.request(method, '/pipelines/1/executions', operation='run pipeline 1', json={'a': 1})

    assert response.status == 200
    assert response.json() == {'id': '42'}
    assert sleeps == [3.0]
    assert [r.method for r in http_server.requests] == [method, method]
    assert [json.loads(r.body) for r in http_server.requests] == [{'a': 1}, {'a': 1}]


def test_429_retry_after_http_date(http_server):
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    http_server.queue(http_server.Reply(429, {'Retry-After': date}), http_server.Reply(200))
    transport, sleeps = make_transport(http_server)

    assert transport.request('GET', '/x', operation='read x').status == 200
    assert sleeps == [pytest.approx(7.0)]


def test_429_retry_after_http_date_in_the_past_retries_at_once(http_server):
    date = email.utils.formatdate(NOW - 30, usegmt=True)
    http_server.queue(http_server.Reply(429, {'Retry-After': date}), http_server.Reply(200))
    transport, sleeps = make_transport(http_server)

    transport.request('GET', '/x', operation='read x')
    assert sleeps == [0.0]


def test_429_x_rate_limit_reset_epoch(http_server):
    http_server.queue(http_server.Reply(429, {'X-Rate-Limit-Reset': str(int(NOW) + 12),
                                              'X-Rate-Limit-Remaining': '0'}),
                      http_server.Reply(200))
    transport, sleeps = make_transport(http_server)

    assert transport.request('POST', '/x', operation='run x').status == 200
    assert sleeps == [12.0]


def test_429_retry_after_wins_over_rate_limit_reset(http_server):
    http_server.queue(http_server.Reply(429, {'Retry-After': '2', 'X-Rate-Limit-Reset': str(int(NOW) + 40)}),
                      http_server.Reply(200))
    transport, sleeps = make_transport(http_server)

    transport.request('GET', '/x', operation='read x')
    assert sleeps == [2.0]


def test_429_hint_is_capped_at_max_delay(http_server):
    http_server.queue(http_server.Reply(429, {'Retry-After': '120'}),
                      http_server.Reply(429, {'X-Rate-Limit-Reset': str(int(NOW) + 3600)}),
                      http_server.Reply(200))
    transport, sleeps = make_transport(http_server, max_delay=10.0)

    transport.request('GET', '/x', operation='read x')
    assert sleeps == [10.0, 10.0]


def test_429_without_hint_backs_off_exponentially_with_jitter_capped_at_max_delay(http_server):
    http_server.queue(*[http_server.Reply(429) for _n in range(5)], http_server.Reply(200))
    rng = RecordingRng()
    transport, sleeps = make_transport(http_server, retries=5, backoff=1.0, max_delay=4.0, rng=rng)

    assert transport.request('GET', '/x', operation='read x').status == 200
    # ceiling = min(max_delay, backoff * 2 ** (attempt - 1)); the delay is drawn from [ceiling / 2, ceiling]
    assert rng.bounds == [(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (2.0, 4.0), (2.0, 4.0)]
    assert sleeps == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_backoff_jitter_with_a_real_rng_stays_within_bounds(http_server):
    http_server.queue(*[http_server.Reply(429) for _n in range(6)], http_server.Reply(200))
    transport, sleeps = make_transport(http_server, retries=6, backoff=0.5, max_delay=3.0, rng=random.Random(1))

    transport.request('GET', '/x', operation='read x')
    ceilings = [min(3.0, 0.5 * 2 ** n) for n in range(6)]
    assert len(sleeps) == 6
    for delay, ceiling in zip(sleeps, ceilings):
        assert ceiling / 2 <= delay <= ceiling
    assert sleeps != ceilings  # jittered, not the bare ceiling
    assert max(sleeps) <= 3.0


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_429_after_all_retries_is_rate_limited_error_naming_vendor_operation_and_status(http_server, method):
    http_server.default = http_server.Reply(429, {'Retry-After': '1'}, errors_body('Rate limit exceeded.'))
    transport, sleeps = make_transport(http_server, retries=2)

    with pytest.raises(RateLimitedError) as info:
        transport.request(method, '/x', operation='start pipeline deploy')

    assert info.value.msg == 'buddy: could not start pipeline deploy (HTTP 429): Rate limit exceeded.'
    assert info.value.status == 429
    assert len(http_server.requests) == 3
    assert sleeps == [1.0, 1.0]


def test_custom_rate_limit_detection_retries_a_403_rate_limit(http_server):
    """Buddy may answer 403 "Rate limit exceeded." instead of 429; a backend can say so."""
    http_server.queue(http_server.Reply(403, {'Retry-After': '4'}, errors_body('Rate limit exceeded.')),
                      http_server.Reply(200))

    class Responses(ResponsePolicy):

        def is_rate_limited(self, response):
            return response.status == 429 or (response.status == 403 and 'Rate limit' in response.text)

    transport, sleeps = make_transport(http_server, responses=Responses())

    assert transport.request('POST', '/x', operation='run x').status == 200
    assert sleeps == [4.0]


# 5xx -----------------------------------------------------------------------------------------------


def test_5xx_is_retried_for_get_until_success(http_server):
    http_server.queue(http_server.Reply(503), http_server.Reply(500), http_server.Reply(200, body='{"ok": 1}'))
    transport, sleeps = make_transport(http_server, retries=3)

    response = transport.request('GET', '/x', operation='read x')

    assert response.json() == {'ok': 1}
    assert len(http_server.requests) == 3
    assert len(sleeps) == 2


def test_5xx_for_get_after_all_retries_is_transient_error(http_server):
    http_server.default = http_server.Reply(503, body='{"message": "Service Unavailable"}')
    transport, sleeps = make_transport(http_server, retries=2)

    with pytest.raises(TransientError) as info:
        transport.request('GET', '/x', operation='read execution 7')

    assert exact_type(info.value, TransientError)
    assert info.value.msg == 'buddy: could not read execution 7 (HTTP 503): Service Unavailable'
    assert len(http_server.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize('status', [500, 503])
def test_5xx_for_post_is_not_retried_and_is_transient(http_server, status):
    http_server.default = http_server.Reply(status, body='{"message": "boom"}')
    transport, sleeps = make_transport(http_server, retries=5)

    with pytest.raises(TransientError) as info:
        transport.request('POST', '/x', operation='start pipeline deploy')

    assert exact_type(info.value, TransientError)
    assert info.value.status == status
    assert len(http_server.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize('status', [502, 504])
def test_gateway_error_for_post_is_ambiguous_and_not_retried(http_server, status):
    http_server.default = http_server.Reply(status, body='<html><title>Bad Gateway</title></html>')
    transport, sleeps = make_transport(http_server, retries=5)

    with pytest.raises(AmbiguousOutcomeError) as info:
        transport.request('POST', '/x', operation='start pipeline deploy')

    assert info.value.status == status
    assert ('(HTTP %d)' % status) in info.value.msg
    assert len(http_server.requests) == 1
    assert sleeps == []


def test_post_marked_idempotent_is_retried_after_5xx(http_server):
    """A read sent with POST (GraphQL query) may be declared idempotent and then retried."""
    http_server.queue(http_server.Reply(502), http_server.Reply(200))
    transport = make_transport(http_server)[0]

    assert transport.request('POST', '/graphql', operation='read execution', idempotent=True).status == 200
    assert len(http_server.requests) == 2


# Connection failures -------------------------------------------------------------------------------


def test_connection_reset_for_get_is_retried(http_server):
    http_server.queue(http_server.Reset(), http_server.Reply(200, body='{"n": 2}'))
    transport, sleeps = make_transport(http_server)

    assert transport.request('GET', '/x', operation='read x').json() == {'n': 2}
    assert len(http_server.requests) == 2
    assert len(sleeps) == 1
    assert transport.retried == {'connection error': 1}


def test_commit_then_drop_for_post_is_ambiguous_and_never_resent(http_server):
    http_server.queue(http_server.CommitThenDrop(), http_server.Reply(201))
    transport, sleeps = make_transport(http_server, retries=5)

    with pytest.raises(AmbiguousOutcomeError) as info:
        transport.request('POST', '/pipelines/1/executions', operation='run pipeline 1', json={'comment': 'k'})

    assert info.value.status is None
    assert info.value.msg.startswith('buddy: could not run pipeline 1 (no HTTP response): ')
    assert 'may or may not have been acted on' in info.value.msg
    assert len(http_server.committed) == 1  # the server acted once ...
    assert len(http_server.requests) == 1  # ... and the client did not send it again
    assert sleeps == []


def test_connection_reset_for_get_after_all_retries_is_transient_error(http_server):
    http_server.default = http_server.Reset()
    transport, sleeps = make_transport(http_server, retries=2)

    with pytest.raises(TransientError) as info:
        transport.request('GET', '/x', operation='read x')

    assert info.value.status is None
    assert 'no HTTP response' in info.value.msg
    assert len(http_server.requests) == 3
    assert len(sleeps) == 2


def test_read_timeout_for_post_is_ambiguous_after_one_request(http_server):
    http_server.default = http_server.Delay(1.0)
    transport, sleeps = make_transport(http_server, timeout=0.25, retries=5)

    with pytest.raises(AmbiguousOutcomeError) as info:
        transport.request('POST', '/x', operation='approve input deploy')

    assert 'no response within 0.25s' in info.value.msg
    assert len(http_server.requests) == 1
    assert sleeps == []


def test_read_timeout_for_get_is_retried(http_server):
    http_server.queue(http_server.Delay(1.0), http_server.Reply(200, body='{"fine": true}'))
    transport, sleeps = make_transport(http_server, timeout=0.25)

    assert transport.request('GET', '/x', operation='read x').json() == {'fine': True}
    assert len(http_server.requests) == 2
    assert len(sleeps) == 1


def test_connection_refused_is_retried_even_for_post_then_transient_error(http_server):
    http_server.stop()
    transport, sleeps = make_transport(http_server, retries=2)

    with pytest.raises(TransientError) as info:
        transport.request('POST', '/x', operation='start pipeline deploy')

    assert info.value.msg.startswith('buddy: could not start pipeline deploy (no HTTP response): cannot connect to ')
    assert transport.request_count == 3
    assert len(sleeps) == 2
    assert transport.retried == {'connection not established': 2}


def test_connection_refused_post_goes_through_once_the_server_is_back(http_server):
    http_server.stop()

    def sleep(_seconds: float) -> None:
        if http_server._server is None:
            http_server.start()  # same port

    transport = make_transport(http_server, sleep=sleep)[0]
    response = transport.request('POST', '/x', operation='start pipeline deploy', json={'k': 1})

    assert response.status == 200
    assert transport.request_count == 2
    assert len(http_server.requests) == 1  # nothing was sent by the refused attempt


# Error mapping and messages ------------------------------------------------------------------------


@pytest.mark.parametrize('status, error', [
    (400, VendorValidationError),
    (401, AuthenticationError),
    (403, AuthenticationError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, VendorValidationError),
])
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_client_errors_are_typed_and_not_retried(http_server, status, error, method):
    http_server.default = http_server.Reply(status, body='{"message": "the vendor says no"}')
    transport, sleeps = make_transport(http_server)

    with pytest.raises(error) as info:
        transport.request(method, '/x', operation='read pipeline 5')

    assert exact_type(info.value, error)
    assert info.value.msg == 'buddy: could not read pipeline 5 (HTTP %d): the vendor says no' % status
    assert info.value.status == status
    assert info.value.vendor_message == 'the vendor says no'
    assert len(http_server.requests) == 1
    assert sleeps == []


def test_other_4xx_is_a_plain_api_error(http_server):
    http_server.default = http_server.Reply(405, body='{"message": "Method Not Allowed"}')
    transport = make_transport(http_server)[0]

    with pytest.raises(ApiError) as info:
        transport.request('GET', '/x', operation='read x')
    assert exact_type(info.value, ApiError)
    assert info.value.msg == 'buddy: could not read x (HTTP 405): Method Not Allowed'


@pytest.mark.parametrize('body, expected', [
    ('{"message": "Job team/app not found"}', 'Job team/app not found'),
    ('{"errors": [{"message": "Pipeline not found"}]}', 'Pipeline not found'),
    ('<html><body><h1>Error 404</h1>\n<p>Not <b>found</b></p></body></html>', 'Error 404 Not found'),
    ('', 'no details given'),
])
def test_vendor_message_extraction(http_server, body, expected):
    http_server.default = http_server.Reply(404, {'Content-Type': 'text/html'}, body)
    transport = make_transport(http_server)[0]

    with pytest.raises(NotFoundError) as info:
        transport.request('GET', '/x', operation='read x')
    assert info.value.msg == 'buddy: could not read x (HTTP 404): %s' % expected


def test_long_html_page_is_reduced_to_its_title(http_server):
    page = ('<html><head><title>Jenkins [Jenkins]\n - Oops!</title><style>body { color: red; }</style>'
            '<script>var x = "<b>not text</b>";</script></head><body>'
            + '<p>stack frame at hudson.model.Something</p>' * 40 + '</body></html>')
    http_server.default = http_server.Reply(500, {'Content-Type': 'text/html'}, page)
    transport = make_transport(http_server, retries=0)[0]

    with pytest.raises(TransientError) as info:
        transport.request('GET', '/x', operation='read x')
    assert info.value.vendor_message == 'Jenkins [Jenkins] - Oops!'
    assert info.value.msg == 'buddy: could not read x (HTTP 500): Jenkins [Jenkins] - Oops!'


def test_long_vendor_message_is_shortened_to_300_characters(http_server):
    words = ' '.join('word%03d' % i for i in range(200))
    http_server.default = http_server.Reply(400, body=json.dumps({'message': words}))
    transport = make_transport(http_server)[0]

    with pytest.raises(VendorValidationError) as info:
        transport.request('POST', '/x', operation='run x')
    assert len(info.value.vendor_message) == 300
    assert info.value.vendor_message.endswith('...')
    assert words.startswith(info.value.vendor_message[:-3])
    assert info.value.msg == 'buddy: could not run x (HTTP 400): ' + info.value.vendor_message


# Secrets and summary -------------------------------------------------------------------------------


def test_registered_secret_echoed_by_the_server_never_reaches_the_message(http_server):
    http_server.default = http_server.Reply(401, body=json.dumps({'message': 'bad token %s for bob' % TOKEN}))
    transport = make_transport(http_server)[0]
    transport.add_secret(TOKEN)

    with pytest.raises(AuthenticationError) as info:
        transport.request('GET', '/x', operation='read x', headers={'Authorization': 'Bearer ' + TOKEN})

    assert http_server.requests[0].headers['Authorization'] == 'Bearer ' + TOKEN
    assert TOKEN not in info.value.msg
    assert TOKEN not in info.value.vendor_message
    assert info.value.msg == 'buddy: could not read x (HTTP 401): bad token %s for bob' % REDACTED


def test_secret_at_the_shortening_cut_does_not_leak_in_part(http_server):
    """A secret that straddles the 300-character cut must not leave its first characters behind."""
    message = 'x' * 290 + ' ' + TOKEN + ' and more text after it'
    http_server.default = http_server.Reply(403, body=json.dumps({'message': message}))
    transport = make_transport(http_server)[0]
    transport.add_secret(TOKEN)

    with pytest.raises(AuthenticationError) as info:
        transport.request('GET', '/x', operation='read x')
    assert TOKEN[:6] not in info.value.msg
    assert TOKEN[:6] not in info.value.vendor_message


def test_secret_in_a_not_found_html_page_is_redacted(http_server):
    http_server.default = http_server.Reply(404, {'Content-Type': 'text/html'},
                                            '<html><body>No job at /job/%s/</body></html>' % TOKEN)
    transport = make_transport(http_server)[0]
    transport.add_secret(TOKEN)
    transport.add_secret(None)  # ignored, not a crash

    with pytest.raises(NotFoundError) as info:
        transport.request('GET', '/x', operation='read x')
    assert TOKEN not in info.value.msg
    assert REDACTED in info.value.msg


def test_summary_is_none_without_retries(http_server):
    transport = make_transport(http_server)[0]
    transport.request('GET', '/x', operation='read x')
    assert transport.summary() is None


def test_summary_counts_retries_per_reason(http_server):
    http_server.queue(http_server.Reply(429), http_server.Reply(503), http_server.Reply(429, {'Retry-After': '1'}),
                      http_server.Reset(), http_server.Reply(200))
    transport = make_transport(http_server, retries=5)[0]

    transport.request('GET', '/x', operation='read x')
    assert transport.retried == {'HTTP 429': 2, 'HTTP 503': 1, 'connection error': 1}
    assert transport.summary() == ('buddy: requests to %s were retried (2 after HTTP 429, 1 after HTTP 503, '
                                   '1 after connection error)' % http_server.url)


# Responses -----------------------------------------------------------------------------------------


def test_response_headers_are_case_insensitive(http_server):
    http_server.default = http_server.Reply(201, {'X-Custom-Thing': 'v1', 'Location': 'http://h/queue/item/5/'})
    transport = make_transport(http_server)[0]

    response = transport.request('POST', '/job/a/build', operation='start job a')

    assert response.status == 201
    assert response.headers['x-custom-thing'] == 'v1'
    assert response.headers['X-CUSTOM-THING'] == 'v1'
    assert response.headers.get('location') == 'http://h/queue/item/5/'
    assert response.headers.get('LOCATION') == 'http://h/queue/item/5/'
    assert 'x-Custom-Thing' in response.headers
    assert 'X-Missing' not in response.headers
    assert response.headers.get('X-Missing', 'dflt') == 'dflt'


def test_recorded_response_headers_are_case_insensitive():
    response = Response(200, {'Retry-After': '5', 'content-type': 'application/json'}, b'{"a": 1}')
    assert response.headers['retry-after'] == '5'
    assert response.headers.get('Content-Type') == 'application/json'
    assert 'CONTENT-TYPE' in response.headers
    assert response.json() == {'a': 1}
    assert Response(204).json() is None


def test_redirect_is_returned_not_followed(http_server):
    http_server.default = http_server.Reply(302, {'Location': '/login'})
    transport = make_transport(http_server)[0]

    response = transport.request('GET', '/x', operation='read x')
    assert response.status == 302
    assert len(http_server.requests) == 1


def test_paths_are_joined_below_the_base_url(http_server):
    transport = Transport(http_server.url + '/jenkins/', vendor='jenkins')
    transport.request('GET', 'job/a/api/json', operation='read job a', params={'tree': 'x'})
    transport.request('GET', '/job/b/api/json', operation='read job b')
    assert [r.path for r in http_server.requests] == ['/jenkins/job/a/api/json?tree=x', '/jenkins/job/b/api/json']


# Hooks: authenticator, errors in 2xx bodies, pacing ---------------------------------------------------


class CountingSigner(Authenticator):
    """Signs each attempt with a fresh counter and the body it is about to send."""

    def __init__(self) -> None:
        self.seen: t.List[t.Tuple[str, bytes]] = []

    def apply(self, request: Outgoing) -> None:
        self.seen.append((request.method, request.body))
        request.headers['X-Signature'] = 'sig-%d-%s' % (len(self.seen), hashlib.sha256(request.body).hexdigest()[:8])


def test_the_authenticator_signs_every_attempt_and_the_server_gets_the_signed_body(http_server):
    http_server.queue(http_server.Reply(503), http_server.Reply(200))
    signer = CountingSigner()
    transport = make_transport(http_server, auth=signer)[0]
    transport.request('POST', '/graphql', operation='query x', json={'query': '{ a }'}, idempotent=True)
    first, second = http_server.requests
    assert first.headers['X-Signature'].startswith('sig-1-') and second.headers['X-Signature'].startswith('sig-2-')
    assert second.body == signer.seen[1][1] == b'{"query":"{ a }"}'
    assert second.headers['Content-Type'] == 'application/json;charset=utf-8'


def test_a_post_that_only_reads_is_retried_after_5xx_when_marked_idempotent(http_server):
    http_server.queue(http_server.Reply(502), http_server.Reply(200))
    transport = make_transport(http_server)[0]
    assert transport.request('POST', '/graphql', operation='query x', json={}, idempotent=True).status == 200
    http_server.queue(http_server.Reply(502))
    with pytest.raises(AmbiguousOutcomeError):
        transport.request('POST', '/graphql', operation='start x', json={})


class GraphQLResponses(ResponsePolicy):
    def body_error(self, response):
        errors = (response.json() or {}).get('errors')
        return (VendorValidationError, errors[0]['message']) if errors else None


def test_an_error_inside_a_200_body_becomes_a_typed_error_with_the_vendor_message(http_server):
    http_server.queue(http_server.Reply(200, {}, errors_body('Pipeline not found')))
    transport = make_transport(http_server, responses=GraphQLResponses())[0]
    with pytest.raises(VendorValidationError) as info:
        transport.request('POST', '/graphql', operation='query x', json={}, idempotent=True)
    assert info.value.msg == 'buddy: could not query x (HTTP 200): Pipeline not found'
    assert len(http_server.requests) == 1


def test_rate_limit_headers_pace_requests_before_the_limit_is_reached(http_server):
    """3 requests left in a window that resets in 8 s: the next request waits 8/4 s instead of running into a
    429; with none left it waits for the rest of the window (8 - 2 s); after the reset nothing waits."""
    clock = [NOW]
    sleeps: t.List[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    reset = str(int(NOW) + 8)
    http_server.queue(http_server.Reply(200, {'X-Rate-Limit-Remaining': '3', 'X-Rate-Limit-Reset': reset}),
                      http_server.Reply(200, {'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': reset}),
                      http_server.Reply(200), http_server.Reply(200))
    transport = Transport(http_server.url, vendor='buddy', sleep=sleep, now=lambda: clock[0])
    for _attempt in range(4):
        transport.request('GET', '/x', operation='read x')
    assert sleeps == [pytest.approx(8 / 4), pytest.approx(6.0)]


def test_a_request_budget_paces_a_vendor_without_headers(http_server):
    """A vendor that publishes a limit (e.g. 30 calls a minute) but sends no headers: the 4th request of a
    budget of 3 per 60 s waits until the first leaves the window."""
    clock = [NOW]
    http_server.default = http_server.Reply(200)
    sleeps: t.List[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    transport = Transport(http_server.url, vendor='harness', sleep=sleep, now=lambda: clock[0],
                          responses=ResponsePolicy(budget=(3, 60.0)))
    for _attempt in range(4):
        transport.request('GET', '/x', operation='read x')
        clock[0] += 1.0
    assert sleeps == [pytest.approx(57.0)]
