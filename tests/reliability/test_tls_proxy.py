# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS and proxies, end to end: the real modules against the simulator serving HTTPS with a CA made here.

For every vendor: `ca_path` trusts the simulator; a wrong CA and the default trust store (which does not hold
our CA) fail with one sentence; `validate_certs: false` works and warns once; proxies from the environment
(HTTPS_PROXY as CONNECT tunnels, HTTP_PROXY as forwarded absolute URIs, NO_PROXY) carry every request,
the CodeArts IAM token request included; credentials in a proxy URL never reach the output. The proxy is a
small stdlib one (tls_fixtures says why).
"""

from __future__ import annotations

import typing as t
import urllib.parse

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils import _http
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_start
from ansible_collections.cicd.pipelines.tests.simulator import testing as simulator
from ansible_collections.cicd.pipelines.tests.simulator.testing import SimHandle, running
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import warnings
from ansible_collections.cicd.pipelines.tests.reliability.tls_fixtures import ForwardProxy, Pki, make_pki

# urllib3 also warns on stderr for each unchecked request; the tests assert the module's own single warning instead.
pytestmark = pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')

VENDORS = ('jenkins', 'harness', 'buddy', 'codearts')
PIPELINE = 'shop/build'
# Every secret a task below is given: none may appear in a result.
SECRETS = (simulator.ADMIN_TOKEN, simulator.HARNESS_API_KEY, simulator.BUDDY_TOKEN, simulator.CODEARTS_PASSWORD)
PROXY_SECRET = 'pr0xy-s3cret'
TLS_HINT = 'Check ca_path (the certificate authorities to trust) or, on a trusted network only, validate_certs'
# What requests and OpenSSL read from the environment: the tests decide trust and proxies themselves.
ENVIRONMENT = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
               'HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy', 'no_proxy')


def connection(vendor: str, sim: SimHandle, iam_host: str = '127.0.0.1') -> t.Dict[str, t.Any]:
    """The options of a task of `vendor` against `sim` (demo scenario); CodeArts fetches an IAM token for a user,
    from `iam_host` (another name of the simulator, so a proxy can tell the IAM request from the others)."""
    if vendor == 'jenkins':
        return dict(api_url=sim.jenkins_url, username=simulator.ADMIN_USER, api_token=simulator.ADMIN_TOKEN)
    if vendor == 'harness':
        return dict(api_url=sim.harness_url, account_id=simulator.HARNESS_ACCOUNT_ID, api_token=simulator.HARNESS_API_KEY)
    if vendor == 'buddy':
        return dict(api_url=sim.buddy_url, workspace=simulator.BUDDY_WORKSPACE, project=simulator.BUDDY_PROJECT,
                    api_token=simulator.BUDDY_TOKEN)
    return dict(api_url=sim.codearts_url, project_id=simulator.CODEARTS_PROJECT_ID, region='cn-north-4',
                username=simulator.CODEARTS_USER, password=simulator.CODEARTS_PASSWORD, domain=simulator.CODEARTS_DOMAIN,
                iam_url=sim.codearts_url.replace('127.0.0.1', iam_host))


@pytest.fixture(scope='module')
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(str(tmp_path_factory.mktemp('pki')))


@pytest.fixture(scope='module')
def https_sim(pki: Pki) -> t.Iterator[SimHandle]:
    with running(speed=0, tls=(pki.cert, pki.key), tls_ca=pki.ca) as handle:
        yield handle


@pytest.fixture(scope='module')
def http_sim() -> t.Iterator[SimHandle]:
    with running(speed=0) as handle:
        yield handle


@pytest.fixture
def proxy() -> t.Iterator[ForwardProxy]:
    server = ForwardProxy().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_logs(https_sim: SimHandle, http_sim: SimHandle) -> None:
    https_sim.clear_requests()
    http_sim.clear_requests()


def start(run_module: t.Callable[..., t.Dict[str, t.Any]], vendor: str, sim: SimHandle, **options: t.Any) -> t.Dict[str, t.Any]:
    """pipeline_start of the demo build in check mode: it reads the pipeline and its executions, changes nothing."""
    args = dict(vendor=vendor, pipeline=PIPELINE, parameters={'VERSION': '1.2.3'}, **connection(vendor, sim))
    args.update(options)
    return run_module(pipeline_start, args, check=True, connection=False)


def assert_clean(result: t.Mapping[str, t.Any], *secrets: str) -> None:
    """What a user reads holds no secret, no traceback and no Python exception repr."""
    out = result['_stdout']
    for secret in SECRETS + secrets:
        assert secret not in out
    assert 'Traceback' not in out
    for text in [result.get('msg') or ''] + warnings(result):
        assert 'Error(' not in text and 'Exception' not in text and '_ssl.c' not in text, text


# TLS ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('vendor', VENDORS)
def test_ca_path_trusts_the_server(run_module, https_sim, pki, vendor):
    result = start(run_module, vendor, https_sim, ca_path=pki.ca)

    assert not result.get('failed'), result['msg']
    assert result['changed'] is True and result['execution']['pipeline'] == PIPELINE
    assert warnings(result) == []
    assert https_sim.requests(vendor=vendor)  # the answers came from the simulator, over TLS
    if vendor == 'codearts':
        assert https_sim.requests(vendor='codearts', path='/v3/auth/tokens', method='POST')
    assert_clean(result)


@pytest.mark.parametrize('vendor', VENDORS)
@pytest.mark.parametrize('trust', ['other CA', 'default store'])
def test_an_untrusted_certificate_fails_in_one_sentence(run_module, https_sim, pki, vendor, trust):
    options = {'ca_path': pki.other_ca} if trust == 'other CA' else {}

    result = start(run_module, vendor, https_sim, **options)

    assert result['failed'] is True and result['changed'] is False
    base = connection(vendor, https_sim)['api_url']
    assert result['msg'] == ('%s: TLS error talking to %s: certificate verify failed (unable to get local issuer '
                             'certificate). %s' % (vendor, base, TLS_HINT))
    assert https_sim.requests(vendor=vendor) == []  # refused at the handshake, and not retried into a request
    assert_clean(result)


@pytest.mark.parametrize('vendor', VENDORS)
def test_validate_certs_false_works_and_warns_once(run_module, https_sim, vendor):
    result = start(run_module, vendor, https_sim, validate_certs=False)

    assert not result.get('failed'), result['msg']
    assert result['changed'] is True
    origin = https_sim.url
    assert warnings(result) == ['%s: validate_certs is false: the certificate of %s was not checked, so anyone on the '
                                'network path could read or change the requests and their credentials; give the CA in '
                                'ca_path instead' % (vendor, origin)]
    assert len(https_sim.requests(vendor=vendor)) > 1  # one warning for the task, not one per request
    assert_clean(result)


@pytest.mark.parametrize('trust', ['ca_path', 'validate_certs false', 'other CA'])
def test_the_codearts_iam_request_has_the_same_tls_settings(run_module, https_sim, pki, trust):
    # The IAM endpoint on another name of the simulator: its certificate is checked (or not) as the API's is.
    iam_url = connection('codearts', https_sim, iam_host='localhost')['iam_url']
    options: t.Dict[str, t.Any] = {'ca_path': {'ca_path': pki.ca}, 'validate_certs false': {'validate_certs': False},
                                   'other CA': {'ca_path': pki.other_ca}}[trust]

    result = start(run_module, 'codearts', https_sim, iam_url=iam_url, **options)

    iam_origin = 'https://localhost:%d' % https_sim.port
    if trust == 'other CA':
        assert result['msg'] == ('codearts: TLS error talking to %s: certificate verify failed (unable to get local issuer '
                                 'certificate). %s' % (iam_origin, TLS_HINT))
        assert https_sim.requests(vendor='codearts') == []
    else:
        assert not result.get('failed'), result['msg']
        assert https_sim.requests(vendor='codearts', path='/v3/auth/tokens', method='POST')
        if trust == 'validate_certs false':
            assert len(warnings(result)) == 1 and ('%s, %s was not checked' % (https_sim.url, iam_origin)) in warnings(result)[0]
    assert_clean(result)


def test_validate_certs_false_does_not_warn_without_tls(run_module, http_sim):
    result = start(run_module, 'jenkins', http_sim, validate_certs=False)

    assert not result.get('failed') and warnings(result) == []


@pytest.mark.parametrize('vendor', ['jenkins', 'codearts'])
def test_the_task_settings_win_over_requests_ca_bundle(run_module, https_sim, pki, monkeypatch, vendor):
    # requests lets REQUESTS_CA_BUNDLE replace a session's verify setting; the task's own must win.
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki.other_ca)

    assert not start(run_module, vendor, https_sim, ca_path=pki.ca).get('failed')
    assert not start(run_module, vendor, https_sim, validate_certs=False).get('failed')
    refused = start(run_module, vendor, https_sim)
    assert refused['failed'] and 'certificate verify failed' in refused['msg']  # ... which otherwise applies, as usual


def test_requests_ca_bundle_applies_when_the_task_sets_nothing(run_module, https_sim, pki, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki.ca)

    assert not start(run_module, 'buddy', https_sim).get('failed')


@pytest.mark.parametrize('vendor', VENDORS)
def test_a_missing_ca_path_is_refused_before_anything_is_sent(run_module, https_sim, tmp_path, vendor):
    missing = str(tmp_path / 'no-such-ca.pem')

    result = start(run_module, vendor, https_sim, ca_path=missing)

    assert result['failed'] is True
    assert result['msg'] == 'ca_path %r does not exist; give the PEM file of the certificate authorities to trust' % missing
    assert https_sim.requests() == []
    assert_clean(result)


def test_a_ca_path_that_is_not_pem_fails_in_one_sentence(run_module, https_sim, tmp_path):
    garbage = tmp_path / 'ca.pem'
    garbage.write_text('not a certificate\n')

    result = start(run_module, 'harness', https_sim, ca_path=str(garbage))

    assert result['failed'] is True
    assert result['msg'] == ('ca_path %r holds no PEM certificate that can be used (no certificate or crl found); give '
                             'the PEM file of the certificate authorities to trust' % str(garbage))
    assert https_sim.requests() == []
    assert_clean(result)


# Proxies ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('vendor', VENDORS)
@pytest.mark.parametrize('no_proxy', [None, ''])
def test_https_goes_through_the_proxy_as_connect_tunnels(run_module, https_sim, pki, proxy, monkeypatch, vendor, no_proxy):
    # 127.0.0.1 is not bypassed by default: requests leaves out only what NO_PROXY names.
    monkeypatch.setenv('HTTPS_PROXY', proxy.url)
    if no_proxy is not None:
        monkeypatch.setenv('NO_PROXY', no_proxy)

    options: t.Dict[str, t.Any] = {'ca_path': pki.ca}
    if vendor == 'codearts':  # the IAM token from another name of the simulator: a tunnel of its own shows it was proxied
        options['iam_url'] = connection(vendor, https_sim, iam_host='localhost')['iam_url']

    result = start(run_module, vendor, https_sim, **options)

    assert not result.get('failed'), result['msg']
    port = https_sim.port
    tunnels = {target for method, target in proxy.seen if method == 'CONNECT'}
    assert proxy.seen and all(method == 'CONNECT' for method, _target in proxy.seen)
    assert ('127.0.0.1:%d' % port) in tunnels
    if vendor == 'codearts':
        assert ('localhost:%d' % port) in tunnels
        assert https_sim.requests(vendor='codearts', path='/v3/auth/tokens')
    assert_clean(result)


@pytest.mark.parametrize('vendor', VENDORS)
def test_http_is_forwarded_by_the_proxy(run_module, http_sim, proxy, monkeypatch, vendor):
    monkeypatch.setenv('HTTP_PROXY', proxy.url)

    result = start(run_module, vendor, http_sim)

    assert not result.get('failed'), result['msg']
    assert proxy.seen and all(uri.startswith(http_sim.url + '/' + vendor + '/') for _method, uri in proxy.seen)
    # Every request the simulator answered came through the proxy (the log's query is redacted: paths only).
    forwarded = sorted((method, urllib.parse.urlsplit(uri).path) for method, uri in proxy.seen)
    served = sorted((r['method'], '/%s%s' % (vendor, r['path'])) for r in http_sim.requests(vendor=vendor))
    assert forwarded == served
    if vendor == 'codearts':
        assert ('POST', http_sim.codearts_url + '/v3/auth/tokens') in proxy.seen
    assert_clean(result)


@pytest.mark.parametrize('vendor', VENDORS)
def test_no_proxy_bypasses_the_proxy(run_module, https_sim, http_sim, pki, proxy, monkeypatch, vendor):
    monkeypatch.setenv('HTTPS_PROXY', proxy.url)
    monkeypatch.setenv('HTTP_PROXY', proxy.url)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1')

    assert not start(run_module, vendor, https_sim, ca_path=pki.ca).get('failed')
    assert not start(run_module, vendor, http_sim).get('failed')

    assert proxy.seen == []
    assert https_sim.requests(vendor=vendor) and http_sim.requests(vendor=vendor)


@pytest.mark.parametrize('vendor', ['jenkins', 'codearts'])
@pytest.mark.parametrize('scheme', ['https', 'http'])
def test_proxy_credentials_are_used_and_never_shown(run_module, https_sim, http_sim, pki, monkeypatch, vendor, scheme):
    # https: the proxy refuses the CONNECT; http: it answers the forwarded request itself with 407.
    sim, variable, options = (https_sim, 'HTTPS_PROXY', {'ca_path': pki.ca}) if scheme == 'https' else (http_sim, 'HTTP_PROXY', {})
    proxy = ForwardProxy(credentials=('ops', PROXY_SECRET)).start()
    try:
        monkeypatch.setenv(variable, proxy.url.replace('http://', 'http://ops:%s@' % PROXY_SECRET))
        admitted = start(run_module, vendor, sim, **options)
        monkeypatch.setenv(variable, proxy.url.replace('http://', 'http://ops:wrong-%s@' % PROXY_SECRET))
        refused = start(run_module, vendor, sim, **options)
    finally:
        proxy.stop()

    assert not admitted.get('failed'), admitted['msg']
    assert proxy.seen and sim.requests(vendor=vendor)
    assert_clean(admitted, PROXY_SECRET)
    assert refused['failed'] is True
    assert refused['msg'] == ('%s: could not connect through the proxy http://ops:********@127.0.0.1:%d: it answered '
                              '407 Proxy Authentication Required; check the proxy settings (HTTPS_PROXY, HTTP_PROXY, '
                              'NO_PROXY)' % (vendor, proxy.server_address[1]))
    assert_clean(refused, PROXY_SECRET)


def test_warnings_never_show_proxy_credentials(run_module, https_sim, monkeypatch):
    proxy = ForwardProxy(credentials=('ops', PROXY_SECRET)).start()
    try:
        monkeypatch.setenv('HTTPS_PROXY', proxy.url.replace('http://', 'http://ops:%s@' % PROXY_SECRET))
        result = start(run_module, 'harness', https_sim, validate_certs=False)
    finally:
        proxy.stop()

    assert not result.get('failed'), result['msg']
    assert len(warnings(result)) == 1 and proxy.seen
    assert_clean(result, PROXY_SECRET)


@pytest.mark.parametrize('proxy, shown, secrets', [
    ('http://ops:s3cret@proxy.example.com:3128', 'http://ops:********@proxy.example.com:3128', ['s3cret']),
    ('http://ops:p%40ss@proxy.example.com:3128/', 'http://ops:********@proxy.example.com:3128/', ['p%40ss', 'p@ss']),
    ('http://tok3n@proxy.example.com', 'http://********@proxy.example.com', ['tok3n']),  # a token as the user part
    ('ops:s3cret@proxy.example.com:3128', 'ops:********@proxy.example.com:3128', ['s3cret']),  # requests assumes http://
    ('http://proxy.example.com:3128', 'http://proxy.example.com:3128', []),
])
def test_proxy_urls_are_shown_without_credentials(monkeypatch, proxy, shown, secrets):
    monkeypatch.setenv('HTTPS_PROXY', proxy)

    assert _http._masked_proxy(proxy) == shown
    assert sorted(_http._proxy_secrets()) == sorted(secrets)
    transport = _http.Transport('https://ci.example.com', vendor='jenkins')
    assert all(secret in transport.secret_values() for secret in secrets)  # so Ansible masks them everywhere too


def test_an_unreachable_proxy_is_named(run_module, https_sim, pki, monkeypatch):
    closed = ForwardProxy()
    closed.stop()  # nothing listens on its port any more
    monkeypatch.setenv('HTTPS_PROXY', closed.url.replace('http://', 'http://ops:%s@' % PROXY_SECRET))

    result = start(run_module, 'buddy', https_sim, ca_path=pki.ca, request_retries=0)

    assert result['failed'] is True
    assert result['msg'] == ("buddy: could not list the pipelines of project 'shop' (no HTTP response): cannot connect to the "
                             "proxy http://ops:********@127.0.0.1:%d" % closed.server_address[1])
    assert_clean(result, PROXY_SECRET)
