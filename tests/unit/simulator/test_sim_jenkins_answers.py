"""Jenkins answers checked against the Jenkins sources: cancelling left queue items, replay/rebuild with
password parameters, input parameter defaults in Stage View, the stages of finished Declarative
builds, and the default quiet period."""
from __future__ import annotations

import re
import typing as t

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_TOKEN, ADMIN_USER, running

DEPLOY = 'team/app/deploy'
REPLAY_REFUSED = 'Replay is not allowed when password parameters are used.'


def queue_id(response: t.Any) -> int:
    """Queue id from a Location header."""
    return int(response.headers['Location'].rstrip('/').rsplit('/', 1)[-1])


def assert_oops(response: t.Any, status: int) -> None:
    """Jenkins' oops.jelly page with ``status``; the HttpResponses.error message is not in it."""
    assert response.status_code == status
    assert response.headers['Content-Type'].startswith('text/html')
    assert re.search(r'<title>Jenkins - Jenkins</title>', response.text)
    assert 'Oops!' in response.text and 'A problem occurred while processing the request' in response.text
    assert re.search(r'Logging ID=[0-9a-f-]{36}', response.text)
    assert 'Could not cancel' not in response.text and 'Provided id' not in response.text


# -- 1. queue/cancelItem ---------------------------------------------------------------------------
def test_cancel_item_of_an_item_that_became_a_build_is_500_until_the_left_item_expires(sim, client, job_url):
    cancel = sim.jenkins_url + '/queue/cancelItem'
    response = client.post(job_url(sim, DEPLOY) + '/buildWithParameters', params={'VERSION': '1', 'delay': '0sec'})
    qid = queue_id(response)
    item = client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).json()
    assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['executable']['number'] == 1
    assert_oops(client.post(cancel, params={'id': qid}), 500)  # "Could not cancel run for id N"
    assert client.get(job_url(sim, DEPLOY) + '/1/api/json').json()['building'] is True  # the build runs on
    sim.advance(299.9)
    assert_oops(client.post(cancel, params={'id': qid}), 500)
    sim.advance(0.1)  # Queue.leftItems: expireAfterWrite(5 * 60, SECONDS)
    assert_oops(client.post(cancel, params={'id': qid}), 404)  # "Provided id (N) not found"
    assert client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).status_code == 404


def test_cancel_item_of_a_cancelled_item_is_500_and_an_unknown_id_404(sim, client, job_url):
    cancel = sim.jenkins_url + '/queue/cancelItem'
    qid = queue_id(client.post(job_url(sim, DEPLOY) + '/buildWithParameters', params={'VERSION': '2'}))
    first = client.post(cancel, params={'id': qid})
    assert first.status_code == 204 and first.content == b''
    assert_oops(client.post(cancel, params={'id': qid}), 500)
    assert_oops(client.post(cancel, params={'id': 4242}), 404)
    sim.advance(300)
    assert_oops(client.post(cancel, params={'id': qid}), 404)


# -- 2. replay/rebuild -----------------------------------------------------------------------------
@pytest.mark.parametrize(('operation', 'form'), [('rebuild', None), ('run', {'json': '{"mainScript": "echo 1"}'})])
def test_replay_and_rebuild_refuse_builds_with_password_parameters(sim, client, job_url, operation, form):
    deploy = job_url(sim, DEPLOY)
    assert client.post(deploy + '/buildWithParameters', params={'VERSION': '7', 'DB_PASSWORD': 'pw', 'delay': '0sec'}).status_code == 201
    sim.advance(4)  # build #1 failed at Test
    refused = client.post(deploy + '/1/replay/' + operation, data=form, allow_redirects=False)
    assert refused.status_code == 400 and refused.headers['X-Error'] == REPLAY_REFUSED
    assert refused.headers['Content-Type'].startswith('text/html')
    assert '<h1>Error</h1><p>%s</p>' % REPLAY_REFUSED in refused.text and '<title>Jenkins - Jenkins</title>' in refused.text
    assert client.get(deploy + '/api/json').json()['nextBuildNumber'] == 2 and len(sim.executions(pipeline=DEPLOY)) == 1


# -- 3. pendingInputActions definitions ------------------------------------------------------------
def test_pending_input_definitions_carry_password_and_text_defaults(client, job_url, test_scenario):
    gate = {'id': 'creds', 'message': 'Credentials?', 'parameters': [
        {'name': 'API_KEY', 'type': 'password', 'default': 'k3y-in-clear'},
        {'name': 'NOTES', 'type': 'text', 'default': 'line 1\nline 2', 'description': 'Release notes'},
        {'name': 'EMPTY', 'type': 'password'}]}
    test_scenario['pipelines'].append({'vendor': 'jenkins', 'name': 'creds', 'quiet_period': 0, 'stages': [{'name': 'Ask', 'gate': gate}]})
    with running(test_scenario) as sim:
        job = job_url(sim, 'creds')
        client.post(job + '/build')
        sim.advance(0)
        (pending,) = client.get(job + '/1/wfapi/pendingInputActions').json()
        assert pending['inputs'] == [
            {'type': 'PasswordParameterDefinition', 'name': 'API_KEY', 'definition': {'defaultVal': 'k3y-in-clear'}},
            {'type': 'TextParameterDefinition', 'name': 'NOTES', 'description': 'Release notes', 'definition': {'defaultVal': 'line 1\nline 2'}},
            {'type': 'PasswordParameterDefinition', 'name': 'EMPTY', 'definition': {'defaultVal': ''}}]
        assert client.get(job + '/1/wfapi/nextPendingInputAction').json()['inputs'] == pending['inputs']


# -- 4. stages of finished Declarative builds ------------------------------------------------------
def test_failed_declarative_build_lists_the_stages_skipped_after_the_failure(sim, client, job_url):
    deploy = job_url(sim, DEPLOY)
    client.post(deploy + '/buildWithParameters', params={'VERSION': '7', 'delay': '0sec'})
    sim.advance(1)
    running_build = client.get(deploy + '/1/wfapi/describe').json()
    assert [s['name'] for s in running_build['stages']] == ['Build']  # a running build lists the stages it entered
    sim.advance(3)  # Test fails at 4
    describe = client.get(deploy + '/1/wfapi/describe').json()
    end = describe['endTimeMillis']
    assert describe['status'] == 'FAILED'
    assert [(s['id'], s['name'], s['status']) for s in describe['stages']] == [
        ('6', 'Build', 'SUCCESS'), ('13', 'Test', 'FAILED'), ('20', 'Approval', 'SUCCESS'), ('27', 'Deploy', 'SUCCESS')]
    for skipped in describe['stages'][2:]:
        assert skipped['startTimeMillis'] == end and skipped['durationMillis'] == 0 and skipped['pauseDurationMillis'] == 0
        assert 'error' not in skipped and skipped['execNode'] == ''
    node = client.get(deploy + '/1/execution/node/20/wfapi/describe').json()
    assert node['status'] == 'SUCCESS' and node['stageFlowNodes'] == [] and node['startTimeMillis'] == end
    full = client.get(deploy + '/1/wfapi/describe', params={'fullStages': 'true'}).json()
    assert [s['stageFlowNodes'] for s in full['stages'][2:]] == [[], []]
    console = client.get(deploy + '/1/consoleText').text
    assert ('[Pipeline] { (Approval)\nStage "Approval" skipped due to earlier failure(s)\n[Pipeline] }\n[Pipeline] // stage\n'
            '[Pipeline] stage\n[Pipeline] { (Deploy)\nStage "Deploy" skipped due to earlier failure(s)\n') in console
    assert console.endswith('[Pipeline] // stage\n[Pipeline] End of Pipeline\nERROR: script returned exit code 1\nFinished: FAILURE\n')


def test_stopped_declarative_build_lists_every_stage_and_scripted_only_the_reached_ones(sim, client, job_url):
    deploy, gate = job_url(sim, DEPLOY), job_url(sim, 'team/app/gate')
    client.post(deploy + '/buildWithParameters', params={'VERSION': '7', 'delay': '0sec'})
    client.post(gate + '/build', params={'delay': '0sec'})
    sim.advance(1)
    client.post(deploy + '/1/stop')
    client.post(gate + '/1/stop')
    stages = client.get(deploy + '/1/wfapi/describe').json()['stages']
    assert [(s['name'], s['status']) for s in stages] == [
        ('Build', 'ABORTED'), ('Test', 'SUCCESS'), ('Approval', 'SUCCESS'), ('Deploy', 'SUCCESS')]
    scripted = client.get(gate + '/1/wfapi/describe').json()['stages']
    assert [(s['name'], s['status']) for s in scripted] == [('Ask', 'ABORTED')]


def test_restart_skipped_stages_are_not_executed_with_zero_times(sim, client, job_url):
    deploy = job_url(sim, DEPLOY)
    client.post(deploy + '/buildWithParameters', params={'VERSION': '7', 'delay': '0sec'})
    sim.advance(4)
    client.post(deploy + '/1/restart/restartPipeline', params={'stageName': 'Test'})
    sim.advance(2)  # build #2: Build skipped for the restart, Test ran, waiting at Approval
    build, test = client.get(deploy + '/2/wfapi/describe').json()['stages'][:2]
    assert {k: build[k] for k in ('status', 'startTimeMillis', 'durationMillis', 'pauseDurationMillis')} == {
        'status': 'NOT_EXECUTED', 'startTimeMillis': 0, 'durationMillis': 0, 'pauseDurationMillis': 0}
    assert test['status'] == 'SUCCESS' and test['startTimeMillis'] > 0 and test['durationMillis'] == 2000


# -- 5. default quiet period -----------------------------------------------------------------------
def test_default_quiet_period_is_five_seconds(sim, client, job_url):
    gate = job_url(sim, 'team/app/gate')  # no quiet_period in the scenario
    qid = queue_id(client.post(gate + '/build'))
    item = client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).json()
    assert item['_class'] == 'hudson.model.Queue$WaitingItem' and item['why'] == 'In the quiet period. Expires in 5 sec'
    assert item['timestamp'] - item['inQueueSince'] == 5000
    sim.advance(4.9)
    assert client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).json()['why'] == 'In the quiet period. Expires in 0.1 sec'
    sim.advance(0.1)
    item = client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).json()
    assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['executable']['number'] == 1


def test_demo_jobs_without_a_quiet_period_start_at_once(demo):
    """Guard for the explicit ``quiet_period: 0`` the demo scenario now gives the jobs that relied on the old 0 default."""
    with requests.Session() as client:
        client.auth = (ADMIN_USER, ADMIN_TOKEN)
        for path in ('/job/shop/job/tools/job/cleanup', '/job/legacy-nightly'):
            qid = queue_id(client.post(demo.jenkins_url + path + '/build', data={'json': '{"parameter": []}'}))
            item = client.get('%s/queue/item/%d/api/json' % (demo.jenkins_url, qid)).json()
            assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['executable']['number'] == 1
