"""The simulator over HTTPS: the ``tls`` option, its CLI flags, and quiet failed handshakes."""
from __future__ import annotations

import os
import ssl
import time
import typing as t

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.__main__ import main
from ansible_collections.cicd.pipelines.tests.simulator.server import tls_context
from ansible_collections.cicd.pipelines.tests.simulator.testing import (
    ADMIN_TOKEN, ADMIN_USER, BUDDY_TOKEN, BUDDY_WORKSPACE, SimHandle, running,
)
from ansible_collections.cicd.pipelines.tests.reliability.tls_fixtures import ForwardProxy, Pki, make_pki
from ansible_collections.cicd.pipelines.tests.unit.simulator.cli import serving


@pytest.fixture(name='pki', scope='module')
def pki_fixture(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(str(tmp_path_factory.mktemp('pki')))


@pytest.fixture(name='tls_sim')
def tls_sim_fixture(pki: Pki) -> t.Iterator[SimHandle]:
    with running(speed=0, tls=(pki.cert, pki.key), tls_ca=pki.ca) as handle:
        yield handle


def test_serves_https_with_the_certificate_given(tls_sim, pki):
    assert tls_sim.url == 'https://127.0.0.1:%d' % tls_sim.port and tls_sim.jenkins_url.startswith('https://')
    answer = requests.get(tls_sim.jenkins_url + '/api/json', auth=(ADMIN_USER, ADMIN_TOKEN), verify=pki.ca, timeout=10)
    assert answer.status_code == 200 and answer.json()['_class'] == 'hudson.model.Hudson'
    assert tls_sim.counters()['requests'] == {'jenkins': {'GET': 1}}  # the control helpers trust tls_ca


def test_links_in_answers_use_the_scheme_of_the_request(pki):
    # Jenkins without a configured root URL, and Buddy's API links, are built from the request: https here.
    scenario = {'pipelines': [{'vendor': 'jenkins', 'name': 'app', 'stages': [{'name': 'Build', 'duration': 1}]},
                              {'vendor': 'buddy', 'name': 'shop/build', 'stages': [{'name': 'Build', 'duration': 1}]}]}
    with running(scenario, speed=0, tls=(pki.cert, pki.key), tls_ca=pki.ca) as sim:
        jenkins = requests.get(sim.jenkins_url + '/api/json', auth=(ADMIN_USER, ADMIN_TOKEN), verify=pki.ca, timeout=10)
        assert [job['url'] for job in jenkins.json()['jobs']] == [sim.jenkins_url + '/job/app/']
        root = requests.get(sim.url + '/jenkins', verify=pki.ca, timeout=10, allow_redirects=False)
        assert root.status_code == 302 and root.headers['Location'] == sim.jenkins_url + '/'
        path = '/workspaces/%s/projects/shop/pipelines' % BUDDY_WORKSPACE
        buddy = requests.get(sim.buddy_url + path, headers={'Authorization': 'Bearer ' + BUDDY_TOKEN}, verify=pki.ca, timeout=10)
        assert buddy.json()['url'] == sim.buddy_url + path and buddy.json()['pipelines'][0]['url'].startswith('https://')


@pytest.mark.parametrize('scheme', ['https', 'http'])
def test_control_helpers_never_use_a_proxy(pki, monkeypatch, scheme):
    proxy = ForwardProxy().start()
    try:
        for name in ('HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy'):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv('NO_PROXY', raising=False)
        monkeypatch.delenv('no_proxy', raising=False)
        with running(speed=0, tls=(pki.cert, pki.key) if scheme == 'https' else None, tls_ca=pki.ca) as sim:
            assert sim.counters()['requests'] == {} and sim.requests() == []
    finally:
        proxy.stop()
    assert proxy.seen == []


def test_tls_1_2_is_the_floor(pki):
    context = tls_context(pki.cert, pki.key)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2 and context.protocol == ssl.PROTOCOL_TLS_SERVER


@pytest.mark.parametrize('client', ['untrusting', 'plain http'])
def test_failed_handshakes_print_no_traceback(tls_sim, pki, capfd, client):
    url = tls_sim.jenkins_url + '/api/json'
    with pytest.raises(requests.exceptions.ConnectionError):
        if client == 'untrusting':
            requests.get(url, verify=pki.other_ca, timeout=10)
        else:
            requests.get(url.replace('https://', 'http://'), timeout=10)
    assert tls_sim.requests() == []
    assert tls_sim.counters()['requests'] == {}  # the server is still serving
    time.sleep(0.2)  # the handler thread ends after the client's side
    assert 'Traceback' not in capfd.readouterr().err


def test_bad_certificate_files_fail_before_listening(pki, tmp_path):
    with pytest.raises(FileNotFoundError):
        with running(tls=(str(tmp_path / 'missing.pem'), pki.key)):
            pass  # pragma: no cover
    with pytest.raises(ssl.SSLError):
        with running(tls=(pki.ca, pki.key)):  # a certificate that does not match the key
            pass  # pragma: no cover


@pytest.mark.parametrize('argv, status, words', [
    (['--tls-key', 'server.key'], 2, 'error: --tls-key needs --tls-cert'),
    (['--tls-cert', 'missing.pem', '--tls-key', 'server.key'], 1, 'error: cannot load --tls-cert missing.pem --tls-key server.key: '),
    (['--tls-cert', 'ca.pem', '--tls-key', 'server.key'], 1, 'error: cannot load --tls-cert ca.pem --tls-key server.key: '),
])
def test_cli_refuses_bad_tls_arguments_in_one_line(pki, capsys, monkeypatch, argv, status, words):
    monkeypatch.chdir(os.path.dirname(pki.ca))

    assert main(argv + ['--port', '0']) == status

    err = capsys.readouterr().err
    assert err.startswith(words) and err.count('\n') == 1 and 'Traceback' not in err, err


def test_cli_serves_https(pki, tmp_path):
    with serving(tmp_path / 'port', '--tls-cert', pki.cert, '--tls-key', pki.key) as run:
        health = requests.get('https://127.0.0.1:%d/_sim/health' % run.port, verify=pki.ca, timeout=10).json()
        assert health['status'] == 'ok'
    assert run.returncode == 0, run.err
    assert 'listening on https://127.0.0.1:%d' % run.port in run.out and 'jenkins  https://127.0.0.1:%d/jenkins' % run.port in run.out
