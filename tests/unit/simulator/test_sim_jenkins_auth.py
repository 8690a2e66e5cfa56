"""Jenkins authentication, CSRF crumbs and common response behaviour."""
from __future__ import annotations

import ast

import requests

from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, ADMIN_TOKEN, running


def test_token_auth_and_api_headers(sim, client):
    response = client.get(sim.jenkins_url + '/api/json')
    assert response.status_code == 200
    assert response.headers['X-Jenkins'] == '2.479.1'
    assert response.headers['X-Jenkins-Session']
    assert response.headers['Content-Type'] == 'application/json;charset=utf-8'
    data = response.json()
    assert data['_class'] == 'hudson.model.Hudson' and data['useCrumbs'] is True
    assert data['url'] == sim.jenkins_url + '/'
    assert [j['name'] for j in data['jobs']] == ['team', 'nightly', 'frozen']
    assert data['jobs'][0] == {'_class': 'com.cloudbees.hudson.plugins.folder.Folder', 'name': 'team', 'url': sim.jenkins_url + '/job/team/'}


def test_api_python_is_a_python_literal(sim, client, job_url):
    response = client.get(job_url(sim, 'team/app/deploy') + '/api/python?tree=name,buildable,queueItem')
    assert ast.literal_eval(response.text) == {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowJob', 'name': 'deploy',
                                               'buildable': True, 'queueItem': None}


def test_bad_token_is_401_without_echoing_it(sim):
    response = requests.get(sim.jenkins_url + '/api/json', auth=('admin', 'not-the-token-0123'), timeout=10)
    assert response.status_code == 401
    assert 'Invalid password/token for user: admin' in response.text
    assert 'not-the-token-0123' not in response.text and 'not-the-token-0123' not in str(response.headers)
    assert response.headers['WWW-Authenticate'] == 'Basic realm="Jenkins"'
    assert requests.get(sim.jenkins_url + '/api/json', auth=('mallory', ADMIN_TOKEN), timeout=10).status_code == 401
    logged = sim.requests(vendor='jenkins')
    assert logged[-1]['status'] == 401 and ADMIN_TOKEN not in str(logged)


def test_anonymous_is_403(sim, job_url):
    response = requests.get(sim.jenkins_url + '/api/json', timeout=10)
    assert response.status_code == 403 and 'Authentication required' in response.text
    assert response.headers['X-You-Are-Authenticated-As'] == 'anonymous'
    assert requests.post(job_url(sim, 'nightly') + '/build', timeout=10).status_code == 403


def test_password_post_needs_crumb_bound_to_session(sim, job_url):
    session = requests.Session()
    session.auth = ('admin', ADMIN_PASSWORD)
    build = job_url(sim, 'nightly') + '/build'
    assert session.get(sim.jenkins_url + '/api/json').status_code == 200
    refused = session.post(build)
    assert refused.status_code == 403 and 'No valid crumb was included in the request' in refused.text
    crumb = session.get(sim.jenkins_url + '/crumbIssuer/api/json')
    assert crumb.status_code == 200
    body = crumb.json()
    assert body['_class'] == 'hudson.security.csrf.DefaultCrumbIssuer' and body['crumbRequestField'] == 'Jenkins-Crumb'
    assert any(c.name.startswith('JSESSIONID.') for c in session.cookies)
    # Without the session cookie the same crumb is not valid.
    stranger = requests.post(build, auth=('admin', ADMIN_PASSWORD), headers={'Jenkins-Crumb': body['crumb']}, timeout=10)
    assert stranger.status_code == 403
    # A crumb of another user in this session is not valid either.
    assert session.post(build, headers={'Jenkins-Crumb': 'ab' * 32}).status_code == 403
    accepted = session.post(build, headers={'Jenkins-Crumb': body['crumb']})
    assert accepted.status_code == 201 and '/queue/item/' in accepted.headers['Location']
    assert session.post(build, data={'Jenkins-Crumb': body['crumb']}).status_code == 201  # as a form field too


def test_token_post_is_crumb_exempt(sim, client, job_url):
    assert client.post(job_url(sim, 'nightly') + '/build').status_code == 201


def test_crumbs_disabled(job_url, test_scenario):
    scenario = dict(test_scenario, jenkins=dict(test_scenario['jenkins'], crumbs=False))
    with running(scenario) as sim:
        session = requests.Session()
        session.auth = ('admin', ADMIN_PASSWORD)
        assert session.get(sim.jenkins_url + '/crumbIssuer/api/json').status_code == 404
        assert session.get(sim.jenkins_url + '/api/json').json()['useCrumbs'] is False
        assert session.post(job_url(sim, 'nightly') + '/build').status_code == 201


def test_whoami_and_unknown_paths(sim, client, job_url):
    me = client.get(sim.jenkins_url + '/me/api/json').json()
    assert me['id'] == 'admin' and me['fullName'] == 'Ada Admin'
    missing = client.get(job_url(sim, 'team/nope') + '/api/json')
    assert missing.status_code == 404 and 'text/html' in missing.headers['Content-Type']
    assert client.get(job_url(sim, 'team/app/deploy') + '/99/api/json').status_code == 404
    not_allowed = client.get(job_url(sim, 'nightly') + '/build')
    assert not_allowed.status_code == 405 and not_allowed.headers['Allow'] == 'POST'
    assert client.get(sim.url + '/nothing-here').status_code == 404
    root = client.get(sim.jenkins_url, allow_redirects=False)
    assert root.status_code == 302 and root.headers['Location'].endswith('/jenkins/')
