"""Jenkins build logs: consoleText, logText/progressiveText, Stage View steps and node logs."""
from __future__ import annotations

import json

import pytest

from ansible_collections.cicd.pipelines.tests.simulator.testing import running

DEPLOY = 'team/app/deploy'
SECRET = 'hunter2-secret'


@pytest.fixture(name='deploy')
def deploy_fixture(sim, client, job_url):
    """URL of the deploy job, with build #1 queued (a password parameter set)."""
    url = job_url(sim, DEPLOY)
    assert client.post(url + '/buildWithParameters', params={'VERSION': '7', 'DB_PASSWORD': SECRET}).status_code == 201
    return url


def test_progressive_text_follows_the_build(sim, client, deploy):
    sim.advance(2)  # started at 1, Build half done
    first = client.get(deploy + '/1/logText/progressiveText', params={'start': 0})
    assert first.status_code == 200 and first.headers['Content-Type'] == 'text/plain;charset=UTF-8'
    assert first.headers['X-More-Data'] == 'true'
    stored = client.get(deploy + '/1/consoleText').content
    size = int(first.headers['X-Text-Size'])
    assert size == len(stored)  # the offset counts stored bytes ...
    assert first.content == stored.replace(b'\n', b'\r\n')  # ... while the answer has CRLF line ends
    assert first.text.startswith('Started by user Ada Admin\r\n[Pipeline] Start of Pipeline\r\n')
    assert 'Build: line 1 of 3\r\n' in first.text and 'Build: line 2 of 3' not in first.text  # printed as time passes
    same = client.get(deploy + '/1/logText/progressiveText', params={'start': size})
    assert same.content == b'' and same.headers['X-Text-Size'] == str(size) and same.headers['X-More-Data'] == 'true'
    sim.advance(3)  # Test fails at 5
    rest = client.get(deploy + '/1/logText/progressiveText', params={'start': size})
    assert 'X-More-Data' not in rest.headers
    whole = client.get(deploy + '/1/consoleText').text
    assert rest.content.replace(b'\r\n', b'\n') == whole.encode()[size:]
    assert whole.endswith('[Pipeline] End of Pipeline\nERROR: script returned exit code 1\nFinished: FAILURE\n')
    assert '+ ./ci/test.sh\nTest: line 1 of 3\nTest: line 2 of 3\nTest: line 3 of 3\nERROR: Test failed\n' in whole
    beyond = client.get(deploy + '/1/logText/progressiveText', params={'start': len(whole) + 100})
    assert beyond.content.replace(b'\r\n', b'\n') == whole.encode()  # "text rolled over": from 0 again
    assert client.get(deploy + '/1/logText/progressiveText').content == beyond.content  # no start = 0
    for bad in ('abc', ' 5', '-5', '9223372036854775808'):  # NumberFormatException, or a seek before 0: an uncaught exception
        failed = client.get(deploy + '/1/logText/progressiveText', params={'start': bad})
        assert failed.status_code == 500 and 'Oops!' in failed.text and 'Exception' not in failed.text
        assert 'X-Text-Size' not in failed.headers
    assert sim.requests(operation='progressiveText')[0]['path'].endswith('/1/logText/progressiveText')


def test_stage_nodes_list_their_steps_and_the_failed_step_log(sim, client, deploy):
    sim.advance(5)
    full = client.get(deploy + '/1/wfapi/describe', params={'fullStages': 'true'}).json()
    build, test = full['stages'][:2]
    assert [(n['name'], n['status'], n['parameterDescription']) for n in build['stageFlowNodes']] == [
        ('Print Message', 'SUCCESS', 'Running stage Build'), ('Shell Script', 'SUCCESS', './ci/build.sh')]
    assert 'stageFlowNodes' not in client.get(deploy + '/1/wfapi/describe').json()['stages'][0]  # only with fullStages
    stage = client.get(sim.jenkins_url[:-len('/jenkins')] + test['_links']['self']['href']).json()
    assert stage['id'] == '13' and stage['status'] == 'FAILED' and stage['stageFlowNodes'] == test['stageFlowNodes']
    failed = next(n for n in stage['stageFlowNodes'] if n['status'] == 'FAILED')
    base = '/jenkins/job/team/job/app/job/deploy/1/execution/node/%s/' % failed['id']
    assert failed['_links'] == {'self': {'href': base + 'wfapi/describe'}, 'log': {'href': base + 'wfapi/log'},
                                'console': {'href': base + 'log'}}
    assert failed['error'] == {'message': 'script returned exit code 1', 'type': 'hudson.AbortException'}
    assert failed['parentNodes'] == ['15'] and failed['execNode'] == '' and failed['durationMillis'] == 2000
    log = client.get(sim.jenkins_url[:-len('/jenkins')] + failed['_links']['log']['href']).json()
    text = '+ ./ci/test.sh\nTest: line 1 of 3\nTest: line 2 of 3\nTest: line 3 of 3\nERROR: Test failed\n'
    assert log == {'nodeId': failed['id'], 'nodeStatus': 'FAILED', 'length': len(text), 'hasMore': False, 'text': text,
                   'consoleUrl': base + 'log'}
    atom = client.get(deploy + '/1/execution/node/%s/wfapi/describe' % failed['id']).json()
    assert atom['status'] == 'FAILED' and set(atom['_links']) == {'self', 'log'} and atom['parameterDescription'] == './ci/test.sh'
    # A stage node has no log of its own (no LogAction).
    assert client.get(deploy + '/1/execution/node/13/wfapi/log').json() == {
        'nodeId': '13', 'nodeStatus': 'SUCCESS', 'length': 0, 'hasMore': False, 'consoleUrl': None}
    assert client.get(deploy + '/1/execution/node/99/wfapi/log').status_code == 404
    assert client.get(deploy + '/1/execution/node/20/wfapi/log').json()['consoleUrl'] is None  # skipped after the failure: a stage node
    assert client.get(deploy + '/1/execution/node/30/wfapi/log').status_code == 404  # no such node


def test_gate_steps_and_running_step_status(sim, client, deploy):
    sim.advance(5)
    client.post(deploy + '/1/restart/restartPipeline', params={'stageName': 'Test'})
    sim.advance(2)  # build 2 waits at the gate
    stage = client.get(deploy + '/2/execution/node/20/wfapi/describe').json()
    (wait,) = stage['stageFlowNodes']
    assert (wait['name'], wait['status'], wait['parameterDescription']) == (
        'Wait for interactive input', 'PAUSED_PENDING_INPUT', 'Deploy to production?')
    form = {'json': json.dumps({'parameter': [{'name': 'TARGET', 'value': 'production'}, {'name': 'CONFIRM', 'value': True}]})}
    assert client.post(deploy + '/2/input/Deploy/proceed', data=form).status_code == 200
    sim.advance(1)
    deploy_stage = client.get(deploy + '/2/execution/node/27/wfapi/describe').json()
    shell = deploy_stage['stageFlowNodes'][1]
    assert shell['status'] == 'IN_PROGRESS'
    atom = client.get(deploy + '/2/execution/node/%s/wfapi/describe' % shell['id']).json()
    assert atom['status'] == 'SUCCESS'  # StatusExt.valueOf(node.getError()): no error yet
    console = client.get(deploy + '/2/consoleText').text
    assert 'Stage "Build" skipped due to this build restarting at stage "Test"' in console
    assert '[Pipeline] input\nInput requested\nApproved by Ada Admin\n[Pipeline] sh\n' in console  # an input with parameters
    assert console.startswith('Started by user Ada Admin\nRestarted from build #1, stage Test\n')
    assert 'Finished' not in console


def test_log_lines_and_the_tail_served_by_wfapi_log(client, job_url, test_scenario):
    test_scenario['pipelines'][0]['stages'][0]['log_lines'] = 800
    with running(test_scenario) as sim:
        deploy = job_url(sim, DEPLOY)
        client.post(deploy + '/buildWithParameters', params={'VERSION': '1', 'delay': '0sec'})
        sim.advance(2)
        shell = client.get(deploy + '/1/execution/node/6/wfapi/describe').json()['stageFlowNodes'][1]
        log = client.get(deploy + '/1/execution/node/%s/wfapi/log' % shell['id']).json()
        assert log['length'] == 10 * 1024 and log['hasMore'] is True and log['nodeStatus'] == 'SUCCESS'
        assert log['text'].endswith('Build: line 799 of 800\nBuild: line 800 of 800\n')  # the tail, not the head
        assert len(log['text']) == 10 * 1024 and '+ ./ci/build.sh' not in log['text']
        console = client.get(deploy + '/1/consoleText').text
        assert console.count('Build: line ') == 800


def test_no_secret_in_any_log(sim, client, deploy, job_url):
    sim.advance(5)
    texts = [client.get(deploy + '/1/consoleText').text, client.get(deploy + '/1/logText/progressiveText').text,
             client.get(deploy + '/1/console').text, client.get(deploy + '/1/wfapi/describe?fullStages=true').text]
    for node in ('8', '9', '15', '16'):
        texts.append(client.get(deploy + '/1/execution/node/%s/wfapi/log' % node).text)
    assert all(SECRET not in text for text in texts)
    assert 'Finished: FAILURE' in texts[0]


def test_freestyle_and_stopped_logs(sim, client, job_url):
    nightly = job_url(sim, 'nightly')
    client.post(nightly + '/build', params={'delay': '0sec'})
    sim.advance(2)  # 2 of the stage's 5 seconds: 1 of its 3 lines
    client.post(nightly + '/1/stop')
    console = client.get(nightly + '/1/consoleText').text
    assert console == ('Started by user Ada Admin\n+ ./ci/build.sh\nBuild: line 1 of 3\nSending interrupt signal to process\n'
                       'Aborted by Ada Admin\nFinished: ABORTED\n')
    progressive = client.get(nightly + '/1/logText/progressiveText')
    assert progressive.status_code == 200 and 'X-More-Data' not in progressive.headers
    assert client.get(nightly + '/1/execution/node/6/wfapi/log').status_code == 404  # no Stage View on freestyle
