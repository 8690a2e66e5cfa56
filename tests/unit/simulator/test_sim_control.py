"""Fault injection, request log, control API, binding."""
from __future__ import annotations

import hashlib
import socket
import time

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.httpcore import RateLimit, Request, Response, VendorApi, json_response
from ansible_collections.cicd.pipelines.tests.simulator.testing import (
    ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, BUDDY_TOKEN, CODEARTS_AK, CODEARTS_DOMAIN, CODEARTS_PASSWORD, CODEARTS_SK,
    CODEARTS_USER, HARNESS_API_KEY, running,
)
from ansible_collections.cicd.pipelines.tests.unit.simulator.cli import serving


def test_status_fault_applies_times_then_stops(sim, client, job_url):
    sim.add_fault({'vendor': 'jenkins', 'method': 'POST', 'path': r'/buildWithParameters$', 'times': 1,
                   'action': {'status': 503, 'body': 'maintenance', 'headers': {'X-Why': 'test'}}})
    url = job_url(sim, 'team/app/deploy') + '/buildWithParameters'
    failed = client.post(url, params={'VERSION': '1'})
    assert failed.status_code == 503 and failed.text == 'maintenance' and failed.headers['X-Why'] == 'test'
    assert sim.executions() == []  # responded instead of acting
    assert client.post(url, params={'VERSION': '1'}).status_code == 201
    assert sim.faults()[0]['hits'] == 1
    assert client.get(sim.jenkins_url + '/api/json').status_code == 200  # method filter


def test_rate_limit_with_and_without_retry_after(sim, client):
    sim.add_fault([{'vendor': 'jenkins', 'action': {'rate_limit': True, 'retry_after': 2}},
                   {'vendor': 'jenkins', 'rate_limit': True}])
    first = client.get(sim.jenkins_url + '/api/json')
    second = client.get(sim.jenkins_url + '/api/json')
    assert first.status_code == second.status_code == 429
    assert first.headers['Retry-After'] == '2' and 'Retry-After' not in second.headers
    assert client.get(sim.jenkins_url + '/api/json').status_code == 200


def test_latency(sim, client):
    sim.add_fault({'vendor': 'jenkins', 'path': '^/api/json$', 'action': {'latency': 0.3}})
    started = time.monotonic()
    assert client.get(sim.jenkins_url + '/api/json').status_code == 200
    assert time.monotonic() - started >= 0.3
    assert sim.requests()[-1]['fault'] == 'latency'


def test_probability_faults_are_seeded_and_hit_that_fraction(sim, client):
    def pattern(seed: int) -> list[int]:
        sim.clear_faults()
        sim.add_fault({'vendor': 'jenkins', 'path': '^/api/json$', 'times': None, 'probability': 0.25, 'seed': seed,
                       'action': {'status': 503}})
        return [client.get(sim.jenkins_url + '/api/json').status_code for _request in range(200)]

    first, again, other = pattern(7), pattern(7), pattern(8)
    assert first == again != other                       # the same seed gives the same faults
    assert 25 <= first.count(503) <= 75 and set(first) == {200, 503}
    assert sim.faults()[0]['hits'] == other.count(503) and sim.faults()[0]['probability'] == 0.25
    # a request the rule's draw spares goes on to the next rule
    sim.clear_faults()
    sim.add_fault([{'vendor': 'jenkins', 'times': None, 'probability': 0.5, 'seed': 1, 'action': {'status': 503}},
                   {'vendor': 'jenkins', 'times': None, 'action': {'status': 502}}])
    assert {client.get(sim.jenkins_url + '/api/json').status_code for _request in range(40)} == {502, 503}
    for bad in (0, 1.5, True, 'half'):
        assert requests.post(sim.url + '/_sim/faults', json={'probability': bad, 'action': {'status': 500}}, timeout=10).status_code == 400
    assert requests.post(sim.url + '/_sim/faults', json={'seed': 'x', 'action': {'status': 500}}, timeout=10).status_code == 400


def test_reset_drops_without_acting(sim, client, job_url):
    sim.add_fault({'vendor': 'jenkins', 'method': 'POST', 'action': {'reset': True}})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': 'r'})
    assert sim.executions() == []
    assert client.get(sim.jenkins_url + '/queue/api/json').json()['items'] == []
    entry = sim.requests(method='POST')[-1]
    assert entry['status'] is None and entry['fault'] == 'reset'


def test_commit_then_drop_commits(sim, client, job_url):
    sim.add_fault({'vendor': 'jenkins', 'method': 'POST', 'path': 'buildWithParameters', 'action': {'commit_then_drop': True}})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': 'c'})
    items = client.get(sim.jenkins_url + '/queue/api/json').json()['items']
    assert len(items) == 1 and items[0]['id'] == 1  # the client saw an error, but the build is queued
    entry = sim.requests(method='POST')[-1]
    assert entry['status'] is None and entry['fault'] == 'commit_then_drop' and entry['committed_status'] == 201
    assert sim.counters()['executions'] == {'jenkins': {'team/app/deploy': {'created': 1, 'started': 0}}}


def test_reset_is_a_tcp_rst():
    from ansible_collections.cicd.pipelines.tests.simulator.testing import running  # pylint: disable=import-outside-toplevel
    with running(speed=0) as sim:
        sim.add_fault({'action': {'reset': True}})
        with socket.create_connection(('127.0.0.1', sim.port), timeout=5) as sock:
            sock.sendall(b'GET /jenkins/api/json HTTP/1.1\r\nHost: x\r\n\r\n')
            with pytest.raises(ConnectionResetError):
                while sock.recv(1024):
                    pass


def test_request_log_redacts_secrets_and_filters(sim, client, job_url):
    url = job_url(sim, 'team/app/deploy') + '/buildWithParameters'
    client.post(url, params={'VERSION': '1', 'DB_PASSWORD': 'hunter2', 'token': 'job-token-xyz'})
    client.get(sim.jenkins_url + '/api/json', params={'tree': 'jobs[name]'})
    posts = sim.requests(vendor='jenkins', method='POST', path='buildWithParameters')
    assert len(posts) == 1
    entry = posts[0]
    assert set(entry) == {'seq', 'time', 'vendor', 'method', 'path', 'query', 'status', 'fault', 'operation'}
    assert entry['path'] == '/job/team/job/app/job/deploy/buildWithParameters' and entry['status'] == 201
    assert entry['operation'] == 'buildWithParameters'
    assert 'hunter2' not in entry['query'] and 'job-token-xyz' not in entry['query']
    assert 'DB_PASSWORD=********' in entry['query'] and 'token=********' in entry['query'] and 'VERSION=1' in entry['query']
    everything = str(sim.requests())
    assert 'hunter2' not in everything and ADMIN_TOKEN not in everything
    assert [e['method'] for e in sim.requests(path='^/api/json$')] == ['GET']
    counters = sim.counters()
    assert counters['requests']['jenkins'] == {'POST': 1, 'GET': 1}
    sim.clear_requests()
    assert sim.requests() == []


def test_control_api(sim, client, job_url):
    health = sim.control('GET', 'health')
    vendors = {'jenkins': '/jenkins', 'harness': '/harness', 'buddy': '/buddy', 'codearts': '/codearts'}
    assert health['status'] == 'ok' and health['vendors'] == vendors and health['speed'] == 0
    scenario = sim.control('GET', 'scenario')
    assert scenario['jenkins']['users'][0]['password'] == '********' and scenario['jenkins']['users'][0]['tokens'] == '********'
    before = sim.control('GET', 'clock')['now']
    after = sim.control('POST', 'clock', {'advance': 30, 'speed': 0})
    assert after['now'] == pytest.approx(before + 30, abs=0.01)
    client.post(job_url(sim, 'nightly') + '/build')
    sim.add_fault({'action': {'status': 500}, 'path': 'never'})
    sim.reset()
    assert sim.executions() == [] and sim.faults() == [] and sim.requests() == [] and sim.counters()['requests'] == {}
    loaded = sim.load('speed: 0\npipelines:\n  - {vendor: jenkins, name: solo, stages: [{name: S, duration: 1}]}\n')
    assert loaded['pipelines'] == [{'vendor': 'jenkins', 'name': 'solo'}]
    jobs = client.get(sim.jenkins_url + '/api/json?tree=jobs[name]').json()['jobs']
    assert [j['name'] for j in jobs] == ['solo']
    # The demo admin is the default user when a scenario defines none.
    assert client.get(sim.jenkins_url + '/me/api/json').json()['id'] == 'admin'
    bad = requests.post(sim.url + '/_sim/scenario', data='pipelines: [{vendor: jenkins}]', timeout=10)
    assert bad.status_code == 400 and 'name' in bad.json()['error']
    assert requests.post(sim.url + '/_sim/faults', json={'action': {}}, timeout=10).status_code == 400
    assert requests.get(sim.url + '/_sim/nothing', timeout=10).status_code == 404


def test_executions_view(sim, client, job_url):
    client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': 'v', 'DB_PASSWORD': 'pw'})
    sim.advance(3)
    (execution,) = sim.executions(vendor='jenkins', pipeline='team/app/deploy')
    assert execution['number'] == 1 and execution['state'] == 'running' and execution['parameters']['DB_PASSWORD'] == '********'
    assert [s['status'] for s in execution['stages']] == ['succeeded', 'running', 'pending', 'pending']


def test_secrets_view_lists_issued_crumbs_and_digests_of_received_password_values(sim, client, job_url):
    crumb = requests.get(sim.jenkins_url + '/crumbIssuer/api/json', auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=10).json()['crumb']
    client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': '1', 'DB_PASSWORD': 'hunter2'})
    view = sim.control('GET', 'secrets')
    assert view['issued']['jenkins']['crumbs'] == [crumb] and len(view['issued']['jenkins']['sessions']) == 1
    assert view['received_sha256'] == [hashlib.sha256(b'hunter2').hexdigest()] and 'hunter2' not in str(view)
    sim.reset()
    assert sim.control('GET', 'secrets') == {'issued': {'jenkins': {'crumbs': [], 'sessions': []}, 'codearts': {'iam_tokens': []}},
                                             'received_sha256': []}


def test_secrets_view_lists_iam_tokens_and_digests_of_encrypted_variables(demo):
    identity = {'methods': ['password'], 'password': {'user': {'name': CODEARTS_USER, 'password': CODEARTS_PASSWORD,
                                                               'domain': {'name': CODEARTS_DOMAIN}}}}
    token = requests.post(demo.codearts_url + '/v3/auth/tokens', json={'auth': {'identity': identity}},
                          timeout=10).headers['X-Subject-Token']
    run = requests.post(demo.buddy_url + '/workspaces/acme/projects/shop/pipelines/2/executions', timeout=10,
                        headers={'Authorization': 'Bearer ' + BUDDY_TOKEN},
                        json={'variables': [{'key': 'DEPLOY_KEY', 'value': 'k3y-in-the-clear'}]})
    assert run.status_code == 200
    view = demo.control('GET', 'secrets')
    assert view['issued']['codearts']['iam_tokens'] == [token]
    assert hashlib.sha256(b'k3y-in-the-clear').hexdigest() in view['received_sha256']
    # The scenario view shows no credential of any vendor (nor the IAM token just issued).
    scenario = str(demo.control('GET', 'scenario'))
    for secret in (HARNESS_API_KEY, BUDDY_TOKEN, CODEARTS_AK, CODEARTS_SK, CODEARTS_PASSWORD, ADMIN_TOKEN, token):
        assert secret not in scenario


def test_scenario_view_hides_the_defaults_of_password_parameters(sim):
    sim.load({'speed': 0, 'pipelines': [{'vendor': 'jenkins', 'name': 'p', 'parameters': [
        {'name': 'PIN', 'type': 'password', 'default': 'default-pin-1234'}, {'name': 'V', 'default': 'shown'}]}]})
    parameters = sim.control('GET', 'scenario')['pipelines'][0]['parameters']
    assert parameters == [{'name': 'PIN', 'type': 'password', 'default': '********'}, {'name': 'V', 'default': 'shown'}]


def _outbound_address() -> str | None:
    """This host's address on its default route (no packet is sent), if any."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(('203.0.113.1', 9))
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def test_binds_loopback_only(sim):
    assert sim.server.server_address[0] == '127.0.0.1'
    assert sim.server.socket.getsockname()[0] == '127.0.0.1'
    others = {'127.0.0.2', _outbound_address()} - {None, '127.0.0.1'}
    for address in others:  # bound to 127.0.0.1 exactly, so any other local address refuses
        with pytest.raises(OSError):
            socket.create_connection((address, sim.port), timeout=2).close()


def test_cli_port_file_banner_and_clean_sigterm(tmp_path):
    with serving(tmp_path / 'port') as run:
        health = requests.get('http://127.0.0.1:%d/_sim/health' % run.port, timeout=10).json()
        assert health['status'] == 'ok' and health['speed'] == 0
    assert run.returncode == 0, run.err
    assert 'listening on http://127.0.0.1:%d (speed x0.0)' % run.port in run.out
    assert 'jenkins  http://127.0.0.1:%d/jenkins' % run.port in run.out and 'control  http://127.0.0.1:%d/_sim' % run.port in run.out


def test_keep_alive_requests_do_not_stall_on_nagle(sim):
    # Headers and body leave in two writes: with Nagle on, each keep-alive answer waits ~40 ms for
    # the client's delayed ACK (50 requests took > 2 s). The bound is generous on purpose.
    session = requests.Session()
    session.auth = (ADMIN_USER, ADMIN_TOKEN)
    assert session.get(sim.jenkins_url + '/api/json').status_code == 200  # connect outside the timing
    started = time.monotonic()
    for _attempt in range(50):
        assert session.get(sim.jenkins_url + '/api/json').status_code == 200
    elapsed = time.monotonic() - started
    session.close()
    assert elapsed < 1.5, '50 keep-alive requests took %.2f s' % elapsed


def test_operation_labels_in_log_filters_and_fault_rules(sim, client, job_url):
    deploy, nightly = job_url(sim, 'team/app/deploy'), job_url(sim, 'nightly')
    # A fault aimed at the operation (not the path) applies before the vendor acts.
    sim.add_fault({'vendor': 'jenkins', 'operation': 'buildWithParameters', 'action': {'status': 503}})
    assert client.post(nightly + '/build').status_code == 201  # "build" is not "buildWithParameters": full match
    assert client.post(deploy + '/buildWithParameters', params={'VERSION': '1'}).status_code == 503
    assert [e['pipeline'] for e in sim.executions()] == ['nightly']
    assert client.post(deploy + '/buildWithParameters', params={'VERSION': '1'}).status_code == 201
    sim.advance(5)
    client.post(nightly + '/1/stop')
    client.get(sim.jenkins_url + '/crumbIssuer/api/json')
    client.get(sim.jenkins_url + '/nothing/here')
    ops = [e['operation'] for e in sim.requests()]
    assert ops == ['build', 'buildWithParameters', 'buildWithParameters', 'stop', 'run.page', 'crumb', None]
    assert [e['status'] for e in sim.requests(operation='buildWithParameters')] == [503, 201]
    assert [e['operation'] for e in sim.requests(operation='build.*')] == ['build', 'buildWithParameters', 'buildWithParameters']
    assert sim.faults()[0]['operation'] == 'buildWithParameters' and sim.faults()[0]['hits'] == 1
    bad = requests.get(sim.url + '/_sim/requests', params={'operation': '('}, timeout=10)
    assert bad.status_code == 400 and 'bad filter' in bad.json()['error']
    assert requests.post(sim.url + '/_sim/faults', json={'operation': '(', 'action': {'status': 500}}, timeout=10).status_code == 400


def test_jenkins_input_and_rebuild_operation_labels(sim, client, job_url):
    gate = job_url(sim, 'team/app/gate')
    client.post(gate + '/build')
    client.post(gate + '/1/input/Nope/abort')
    client.get(gate + '/1/wfapi/describe')
    client.get(gate + '/1/execution/node/6/wfapi/log')
    client.post(gate + '/1/replay/rebuild', allow_redirects=False)
    assert [e['operation'] for e in sim.requests(method=None)] == ['build', 'input.abort', 'describe', 'node.log', 'rebuild']


class _ToyApi(VendorApi):
    """A vendor with Buddy-shaped rate limiting (headers and a JSON error body)."""

    name = 'toy'
    base = '/toy'

    def register(self) -> None:
        self.router.add('GET', r'/ping', lambda request: json_response({'pong': True}), 'ping')

    def rate_limit_response(self, request: Request, limit: RateLimit) -> Response:
        response = json_response({'errors': [{'message': 'Rate limit exceeded'}]}, 429)
        for name, value in (('X-Rate-Limit-Limit', limit.limit), ('X-Rate-Limit-Remaining', limit.remaining),
                            ('X-Rate-Limit-Reset', limit.reset_after)):
            if value is not None:
                response.headers.append((name, str(value)))
        return response


def test_rate_limit_is_shaped_by_the_vendor():
    with running(speed=0) as sim:
        sim.simulator.vendors[_ToyApi.base] = _ToyApi(sim.simulator.engine)
        sim.add_fault({'vendor': 'toy', 'operation': 'ping', 'rate_limit': True, 'limit': 100, 'remaining': 0, 'reset_after': 30})
        limited = requests.get(sim.url + '/toy/ping', timeout=10)
        assert limited.status_code == 429 and limited.json() == {'errors': [{'message': 'Rate limit exceeded'}]}
        assert limited.headers['X-Rate-Limit-Limit'] == '100' and limited.headers['X-Rate-Limit-Remaining'] == '0'
        assert limited.headers['X-Rate-Limit-Reset'] == '30' and 'Retry-After' not in limited.headers
        assert requests.get(sim.url + '/toy/ping', timeout=10).json() == {'pong': True}
        assert [(e['operation'], e['status'], e['fault']) for e in sim.requests(vendor='toy')] == [('ping', 429, 'rate_limit'), ('ping', 200, None)]
        # The default shape (Jenkins keeps it) ignores the window numbers.
        sim.add_fault({'vendor': 'jenkins', 'rate_limit': True, 'retry_after': 2.0, 'remaining': 0})
        default = requests.get(sim.jenkins_url + '/api/json', timeout=10)
        assert default.status_code == 429 and default.text == 'Too Many Requests\n' and default.headers['Retry-After'] == '2'
        assert 'X-Rate-Limit-Remaining' not in default.headers
        for bad in ({'limit': -1}, {'remaining': 1.5}, {'reset_after': 'soon'}):
            answer = requests.post(sim.url + '/_sim/faults', json=dict(bad, rate_limit=True), timeout=10)
            assert answer.status_code == 400, bad
