"""Jenkins builds, wfapi, input step, restart from stage, replay/rebuild, stop."""
from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, running

DEPLOY = 'team/app/deploy'


@pytest.fixture(name='deploy')
def deploy_fixture(sim, client, job_url):
    """URL of the deploy job, with build #1 queued (VERSION=7)."""
    url = job_url(sim, DEPLOY)
    assert client.post(url + '/buildWithParameters', params={'VERSION': '7', 'DB_PASSWORD': 'pw'}).status_code == 201
    return url


def test_build_json_while_running_and_after_failure(sim, client, deploy):
    sim.advance(1)
    build = client.get(deploy + '/1/api/json').json()
    assert build['_class'] == 'org.jenkinsci.plugins.workflow.job.WorkflowRun'
    assert build['building'] is True and build['inProgress'] is True and build['result'] is None and build['duration'] == 0
    assert build['displayName'] == '#1' and build['id'] == '1' and build['queueId'] == 1
    assert build['fullDisplayName'] == 'team \u00bb app \u00bb deploy #1' and build['url'] == deploy + '/1/'
    assert build['executor'] == {'_class': 'hudson.model.OneOffExecutor'} and build['estimatedDuration'] == -1
    password = [p for p in build['actions'][0]['parameters'] if p['name'] == 'DB_PASSWORD'][0]
    assert password == {'_class': 'hudson.model.PasswordParameterValue', 'name': 'DB_PASSWORD'}
    job = client.get(deploy + '/api/json').json()
    assert job['color'] == 'notbuilt_anime' and job['nextBuildNumber'] == 2 and job['lastBuild']['number'] == 1
    sim.advance(4)
    build = client.get(deploy + '/lastBuild/api/json').json()
    assert build['result'] == 'FAILURE' and build['building'] is False and build['duration'] == 4000
    job = client.get(deploy + '/api/json').json()
    assert job['color'] == 'red' and job['lastFailedBuild']['number'] == 1 and job['lastSuccessfulBuild'] is None
    stages = client.get(deploy + '/1/wfapi/describe/').json()
    assert stages['status'] == 'FAILED' and [s['status'] for s in stages['stages']] == ['SUCCESS', 'FAILED', 'SUCCESS', 'SUCCESS']
    assert stages['stages'][1]['error'] == {'message': 'script returned exit code 1', 'type': 'hudson.AbortException'}
    assert stages['queueDurationMillis'] == 1000 and stages['durationMillis'] == 4000
    assert client.get(deploy + '/1/consoleText').text.endswith('Finished: FAILURE\n')


def test_restart_from_stage_then_input_proceed(sim, client, deploy):
    sim.advance(1)
    assert client.get(deploy + '/1/restart/api/json').status_code == 404  # still running: the action has no URL
    sim.advance(4)
    restart = client.get(deploy + '/1/restart/api/json').json()
    assert restart == {'_class': 'org.jenkinsci.plugins.pipeline.modeldefinition.actions.RestartDeclarativePipelineAction',
                       'restartEnabled': True, 'restartableStages': ['Build', 'Test']}
    refused = client.post(deploy + '/1/restart/restartPipeline', params={'stageName': 'Deploy'}).json()
    assert refused['status'] == 'ok' and refused['data']['success'] == 'false'
    assert 'Stage Deploy is not present in the top-level stages for team/app/deploy #1' in refused['data']['message']
    assert client.post(deploy + '/1/restart/restartPipeline', params={'stageName': 'Test'}).json() == {
        'status': 'ok', 'data': {'success': 'true', 'message': 'ok'}}
    build = client.get(deploy + '/2/api/json').json()
    causes = build['actions'][1]['causes']
    assert causes[1] == {'_class': 'org.jenkinsci.plugins.pipeline.modeldefinition.causes.RestartDeclarativePipelineCause',
                         'shortDescription': 'Restarted from build #1, stage Test'}
    assert {p['name']: p.get('value') for p in build['actions'][0]['parameters']}['VERSION'] == '7'
    sim.advance(2)
    describe = client.get(deploy + '/2/wfapi/describe').json()
    assert describe['status'] == 'PAUSED_PENDING_INPUT'
    assert [(s['name'], s['status']) for s in describe['stages']] == [
        ('Build', 'NOT_EXECUTED'), ('Test', 'SUCCESS'), ('Approval', 'PAUSED_PENDING_INPUT')]
    assert describe['_links']['pendingInputActions']['href'] == '/jenkins/job/team/job/app/job/deploy/2/wfapi/pendingInputActions'
    pending = client.get(deploy + '/2/wfapi/pendingInputActions').json()
    assert pending == [{'id': 'Deploy', 'proceedText': 'Proceed', 'message': 'Deploy to production?',
                        'inputs': [{'type': 'ChoiceParameterDefinition', 'name': 'TARGET',
                                    'definition': {'defaultVal': 'staging', 'choices': ['staging', 'production']}},
                                   {'type': 'BooleanParameterDefinition', 'name': 'CONFIRM', 'definition': {'defaultVal': False}}],
                        'proceedUrl': '/jenkins/job/team/job/app/job/deploy/2/wfapi/inputSubmit?inputId=Deploy',
                        'abortUrl': '/jenkins/job/team/job/app/job/deploy/2/input/Deploy/abort',
                        'redirectApprovalUrl': '/jenkins/job/team/job/app/job/deploy/2/input/'}]
    assert client.get(deploy + '/2/wfapi/nextPendingInputAction').json()['id'] == 'Deploy'
    proceed = deploy + '/2/input/Deploy/proceed'
    bad_name = client.post(proceed, data={'json': json.dumps({'parameter': [{'name': 'NOPE', 'value': 'x'}]})})
    assert bad_name.status_code == 500 and 'Oops!' in bad_name.text and 'NOPE' not in bad_name.text  # uncaught: no exception text
    bad_choice = client.post(proceed, data={'json': json.dumps({'parameter': [{'name': 'TARGET', 'value': 'moon'}]})})
    assert bad_choice.status_code == 500 and 'Oops!' in bad_choice.text and 'moon' not in bad_choice.text
    assert client.post(proceed).status_code == 400  # the json form field is required
    # A password-authenticated approver needs the crumb like every POST.
    approver = requests.Session()
    approver.auth = ('admin', ADMIN_PASSWORD)
    assert approver.post(proceed, data={'json': '{"parameter": []}'}).status_code == 403
    crumb = approver.get(sim.jenkins_url + '/crumbIssuer/api/json').json()['crumb']
    form = {'json': json.dumps({'parameter': [{'name': 'TARGET', 'value': 'production'}, {'name': 'CONFIRM', 'value': True}]})}
    ok = approver.post(proceed, data=form, headers={'Jenkins-Crumb': crumb})
    assert ok.status_code == 200 and ok.text == ''
    assert client.post(proceed, data=form).status_code == 404  # settled inputs leave InputAction
    assert client.get(deploy + '/2/wfapi/pendingInputActions').json() == []
    assert client.get(deploy + '/2/wfapi/nextPendingInputAction').text == 'null'
    answer = sim.executions(pipeline=DEPLOY)[1]['stages'][2]['answer']
    assert answer['approved'] is True and answer['values'] == {'TARGET': 'production', 'CONFIRM': True}
    sim.advance(3)
    assert client.get(deploy + '/2/api/json').json()['result'] == 'SUCCESS'


def test_input_abort_submit_and_wfapi_submit(sim, client, job_url):
    gate = job_url(sim, 'team/app/gate')
    for attempt in range(3):
        assert client.post(gate + '/build', params={'delay': '0sec'}).headers['Location'].endswith('/queue/item/%d/' % (attempt + 1))
        sim.advance(0.1)
    # No explicit id: capitalize(md5(message)), exactly as Jenkins (reference example).
    ident = 'Ef95dd500ae6ed3b27b89fb852296d12'
    assert client.get(gate + '/1/wfapi/pendingInputActions').json()[0]['id'] == ident
    assert client.post(gate + '/1/input/%s/abort' % ident).status_code == 200
    assert client.get(gate + '/1/api/json').json()['result'] == 'ABORTED'
    assert client.get(gate + '/1/wfapi/describe').json()['stages'][0]['status'] == 'ABORTED'
    submitted = client.post(gate + '/2/input/%s/submit' % ident, data={'proceed': 'Proceed', 'json': '{"parameter": []}'}, allow_redirects=False)
    assert submitted.status_code == 302 and submitted.headers['Location'].endswith('/job/team/job/app/job/gate/2/console')
    assert client.post(gate + '/3/wfapi/inputSubmit', params={'inputId': 'Nope'}, data={'json': '{}'}).status_code == 500
    via_wfapi = client.post(gate + '/3/wfapi/inputSubmit', params={'inputId': ident}, data={'json': '{"parameter": []}'})
    assert via_wfapi.status_code == 200 and via_wfapi.json() is None
    sim.advance(1)
    results = [client.get(gate + '/%d/api/json' % n).json()['result'] for n in (1, 2, 3)]
    assert results == ['ABORTED', 'SUCCESS', 'SUCCESS']
    assert client.get(gate + '/2/restart/api/json').status_code == 404  # not declarative


def test_gate_timeout_aborts(sim, client, job_url):
    gate = job_url(sim, 'team/app/gate')
    client.post(gate + '/build')
    sim.advance(36)  # the default quiet period (5 s), then the 30 s timeout
    assert client.get(gate + '/1/api/json').json()['result'] == 'ABORTED'
    assert sim.executions(pipeline='team/app/gate')[0]['reason'] == 'expired'


def test_settled_input_status_400_variant(client, job_url, test_scenario):
    test_scenario['jenkins']['settled_input_status'] = 400
    with running(test_scenario) as sim:
        gate = job_url(sim, 'team/app/gate')
        client.post(gate + '/build', params={'delay': '0sec'})
        ident = 'Ef95dd500ae6ed3b27b89fb852296d12'
        assert client.post(gate + '/1/input/%s/proceedEmpty' % ident).status_code == 200
        again = client.post(gate + '/1/input/%s/proceedEmpty' % ident)
        assert again.status_code == 400 and again.headers['X-Error'] == 'This input has been already given'
        assert client.post(gate + '/1/input/Other/proceedEmpty').status_code == 404


def test_rebuild_stop_description_and_freestyle(sim, client, deploy, job_url):
    serial = job_url(sim, 'team/app/serial')
    client.post(serial + '/build')
    sim.advance(11)
    rebuilt = client.post(serial + '/1/replay/rebuild', allow_redirects=False)
    assert rebuilt.status_code == 302 and rebuilt.headers['Location'] == serial + '/'
    build = client.get(serial + '/2/api/json').json()
    assert build['actions'][0]['causes'][1] == {'_class': 'org.jenkinsci.plugins.workflow.cps.replay.ReplayCause', 'shortDescription': 'Rebuilt #1'}
    replay = client.post(deploy + '/1/replay/run', data={'json': '{"mainScript": "echo 1"}'})
    assert replay.status_code == 400 and 'password parameters' in replay.headers['X-Error']
    stopped = client.post(serial + '/2/stop', allow_redirects=False)
    assert stopped.status_code == 302 and stopped.headers['Location'] == serial + '/2/'
    assert client.get(serial + '/2/api/json').json()['result'] == 'ABORTED'
    assert client.post(serial + '/2/kill').status_code == 200  # no-op once finished; redirect followed to the build page
    described = client.post(serial + '/2/submitDescription', data={'description': 'cicd-key=abc'}, allow_redirects=False)
    assert described.status_code == 302
    assert client.get(serial + '/api/json?tree=builds[number,description]').json()['builds'][0] == {
        '_class': 'org.jenkinsci.plugins.workflow.job.WorkflowRun', 'number': 2, 'description': 'cicd-key=abc'}
    nightly = job_url(sim, 'nightly')
    client.post(nightly + '/build', params={'delay': '0sec'})
    free = client.get(nightly + '/1/api/json').json()
    assert free['_class'] == 'hudson.model.FreeStyleBuild' and 'inProgress' not in free
    assert client.get(nightly + '/1/wfapi/describe').status_code == 404
    assert client.post(nightly + '/1/term').status_code == 404
    assert client.post(nightly + '/1/stop').status_code == 200
    assert client.get(nightly + '/api/json').json()['color'] == 'aborted'


def test_job_runs_and_tree_on_builds(sim, client, deploy):
    sim.advance(5)
    client.post(deploy + '/buildWithParameters', params={'VERSION': '8'})
    sim.advance(1)
    runs = client.get(deploy + '/wfapi/runs').json()
    assert [r['name'] for r in runs] == ['#2', '#1']
    assert client.get(deploy + '/wfapi/describe').json()['runCount'] == 2
    tree = 'builds[number,result,building,description,actions[parameters[name,value],causes[shortDescription]]]{0,50}'
    builds = client.get(deploy + '/api/json', params={'tree': tree}).json()['builds']
    assert [(b['number'], b['result'], b['building']) for b in builds] == [(2, None, True), (1, 'FAILURE', False)]
    assert builds[0]['actions'][1]['causes'] == [{'_class': 'hudson.model.Cause$UserIdCause', 'shortDescription': 'Started by user Ada Admin'}]
    deep = client.get(deploy + '/api/json', params={'depth': 1}).json()
    assert deep['builds'][1]['result'] == 'FAILURE'
