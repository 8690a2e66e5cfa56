"""Jenkins fidelity: progressive logs (text and HTML), wfapi artifacts/changesets/node logs, InputAction and
ApproverAction in a build's actions, and who may answer an input (submitter)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.cicd.pipelines.tests.simulator.testing import running

DEPLOY = 'team/app/deploy'
GATE = 'team/app/gate'


@pytest.fixture(name='deploy')
def deploy_fixture(sim, client, job_url):
    """URL of the deploy job, with build #1 queued."""
    url = job_url(sim, DEPLOY)
    assert client.post(url + '/buildWithParameters', params={'VERSION': '7'}).status_code == 201
    return url


# -- logText/progressiveText and progressiveHtml ---------------------------------------------------------------
def test_progressive_html_escapes_and_wraps_step_output(sim, client, deploy):
    sim.advance(2)  # the Build stage's shell step is running
    running_html = client.get(deploy + '/1/logText/progressiveHtml')
    assert running_html.status_code == 200 and running_html.headers['Content-Type'] == 'text/html;charset=UTF-8'
    assert running_html.headers['X-More-Data'] == 'true' and running_html.headers['X-ConsoleAnnotator']
    stored = client.get(deploy + '/1/consoleText').content
    assert running_html.headers['X-Text-Size'] == str(len(stored))
    # The running step's block is still open: the flush closes it (LogStorage.endStep).
    assert running_html.text.endswith('[Pipeline] sh\r\n<span class="pipeline-node-9">+ ./ci/build.sh\r\nBuild: line 1 of 3\r\n</span>')
    assert '[Pipeline] echo\r\n<span class="pipeline-node-8">Running stage Build\r\n</span>[Pipeline] sh\r\n' in running_html.text
    assert running_html.text.startswith('Started by user Ada Admin\r\n[Pipeline] Start of Pipeline\r\n')  # the build's own output: no block
    size = int(running_html.headers['X-Text-Size'])
    sim.advance(3)  # Test fails: the build is over
    rest = client.get(deploy + '/1/logText/progressiveHtml', params={'start': size})
    assert 'X-More-Data' not in rest.headers and rest.headers['X-ConsoleAnnotator']
    assert rest.text.startswith('Build: line 2 of 3\r\n')  # the rest of a step that began before start is not wrapped
    assert '</span>[Pipeline] }\r\n' in rest.text and rest.text.endswith('Finished: FAILURE\r\n')
    plain = client.get(deploy + '/1/logText/progressiveText', params={'start': size})
    assert 'X-ConsoleAnnotator' not in plain.headers and '<span' not in plain.text
    assert plain.headers['X-Text-Size'] == rest.headers['X-Text-Size']
    whole = client.get(deploy + '/1/logText/progressiveHtml').text
    assert whole.count('<span class="pipeline-node-') == whole.count('</span>') == 4  # Build's echo and sh, Test's echo and sh
    failed = client.get(deploy + '/1/logText/progressiveHtml', params={'start': '-1'})
    assert failed.status_code == 500 and 'Oops!' in failed.text
    assert client.get(deploy + '/1/logText/progressiveHtml', params={'start': size * 10}).text == whole  # rolled over: from 0


def test_progressive_html_escapes_markup(client, job_url, test_scenario):
    test_scenario['pipelines'][0]['stages'][0]['name'] = 'Build <fast> & "safe"'
    with running(test_scenario) as sim:
        deploy = job_url(sim, DEPLOY)
        client.post(deploy + '/buildWithParameters', params={'VERSION': '1', 'delay': '0sec'})
        sim.advance(3)
        page = client.get(deploy + '/1/logText/progressiveHtml').text
        # Util.xmlEscape: &, < and > only (quotes stay as they are in <pre> text).
        assert '[Pipeline] { (Build &lt;fast&gt; &amp; "safe")\r\n' in page and '<fast>' not in page
        assert '(Build <fast> & "safe")\r\n' in client.get(deploy + '/1/logText/progressiveText').text


def test_progressive_html_of_a_freestyle_build_has_no_step_blocks(sim, client, job_url):
    nightly = job_url(sim, 'nightly')
    client.post(nightly + '/build', params={'delay': '0sec'})
    sim.advance(6)
    page = client.get(nightly + '/1/logText/progressiveHtml')
    assert page.status_code == 200 and '<span' not in page.text and page.headers['X-ConsoleAnnotator']
    assert page.text.endswith('Finished: SUCCESS\r\n') and 'X-More-Data' not in page.headers


def test_input_step_log_lines(sim, client, job_url):
    gate = job_url(sim, GATE)
    client.post(gate + '/build', params={'delay': '0sec'})
    sim.advance(1)
    # InputStepExecution.start without parameters: the message, then "<ok> or <cancel>".
    assert client.get(gate + '/1/consoleText').text.endswith('[Pipeline] input\nIs the build okay?\nProceed or Abort\n')
    assert client.post(gate + '/1/input/' + _input_id(client, gate, 1) + '/abort').status_code == 200
    console = client.get(gate + '/1/consoleText').text
    # A rejection prints nothing in the step; FlowInterruptedException.handle prints the Rejection at the end.
    assert console.endswith('Proceed or Abort\n[Pipeline] }\n[Pipeline] // stage\n[Pipeline] End of Pipeline\n'
                            'Rejected by Ada Admin\nFinished: ABORTED\n')


def _input_id(client, job, number):
    return client.get(job + '/%d/wfapi/nextPendingInputAction' % number).json()['id']


# -- wfapi artifacts, changesets, node logs ----------------------------------------------------------------------
def test_run_artifacts_and_changesets_are_empty_lists(sim, client, deploy, job_url):
    sim.advance(2)
    for tail in ('artifacts', 'changesets'):
        answer = client.get(deploy + '/1/wfapi/' + tail)
        assert answer.status_code == 200 and answer.json() == [] and answer.headers['Content-Type'] == 'application/json; charset=UTF-8'
        assert sim.requests(operation=tail)[0]['path'].endswith('/1/wfapi/' + tail)
    # RunExt links them only when the run has artifacts / changes.
    assert set(client.get(deploy + '/1/wfapi/describe').json()['_links']) == {'self'}
    assert client.get(deploy + '/9/wfapi/artifacts').status_code == 404
    nightly = job_url(sim, 'nightly')
    client.post(nightly + '/build', params={'delay': '0sec'})
    sim.advance(1)
    assert client.get(nightly + '/1/wfapi/changesets').status_code == 404  # no RunAPI on a freestyle build


def test_node_log_of_a_step_and_of_a_stage(sim, client, deploy):
    sim.advance(3)
    step = client.get(deploy + '/1/execution/node/9/wfapi/log')
    assert step.json()['text'] == '+ ./ci/build.sh\nBuild: line 1 of 3\nBuild: line 2 of 3\nBuild: line 3 of 3\n'
    assert step.headers['X-ConsoleAnnotator']  # writeHtmlTo of the step's log sets it on the wfapi answer
    stage = client.get(deploy + '/1/execution/node/6/wfapi/log')
    assert stage.json() == {'nodeId': '6', 'nodeStatus': 'SUCCESS', 'length': 0, 'hasMore': False, 'consoleUrl': None}
    assert 'X-ConsoleAnnotator' not in stage.headers  # no LogAction: nothing was written


# -- InputAction and ApproverAction ----------------------------------------------------------------------------------
INPUT = 'org.jenkinsci.plugins.workflow.support.steps.input.'


def _actions(client, url, **params):
    return [a for a in client.get(url + '/api/json', params=params).json()['actions'] if a.get('_class', '').startswith(INPUT)]


def test_input_action_while_waiting_and_approver_action_after(sim, client, deploy):
    sim.advance(1)
    assert not _actions(client, deploy + '/1')  # no input step has started yet
    sim.advance(4)
    client.post(deploy + '/1/restart/restartPipeline', params={'stageName': 'Test'})
    sim.advance(2)  # build 2 waits at the gate
    # Visibility 1 is below what actions entries show at depth 0.
    assert _actions(client, deploy + '/2') == [{'_class': INPUT + 'InputAction'}]
    (waiting,) = _actions(client, deploy + '/2', depth=1)
    assert waiting == {'_class': INPUT + 'InputAction', 'displayName': 'Paused for Input', 'waitingForInput': True,
                       'executions': [{'displayName': 'Deploy to production?', 'id': 'Deploy', 'settled': False,
                                       'input': {'_class': INPUT + 'InputStep'}}]}
    (deeper,) = _actions(client, deploy + '/2', depth=2)
    step = deeper['executions'][0]['input']
    assert {k: v for k, v in step.items() if k != 'parameters'} == {
        '_class': INPUT + 'InputStep', 'cancel': 'Abort', 'id': 'Deploy', 'message': 'Deploy to production?', 'ok': 'Proceed',
        'submitter': None, 'submitterParameter': None}
    assert [(p['name'], p['defaultParameterValue']) for p in step['parameters']] == [
        ('TARGET', {'_class': 'hudson.model.StringParameterValue'}), ('CONFIRM', {'_class': 'hudson.model.BooleanParameterValue'})]
    picked = client.get(deploy + '/2/api/json', params={'tree': 'actions[waitingForInput,executions[id]]'}).json()['actions']
    assert {'_class': INPUT + 'InputAction', 'waitingForInput': True, 'executions': [{'id': 'Deploy'}]} in picked
    form = {'json': json.dumps({'parameter': [{'name': 'TARGET', 'value': 'production'}, {'name': 'CONFIRM', 'value': True}]})}
    assert client.post(deploy + '/2/input/Deploy/proceed', data=form).status_code == 200
    assert _actions(client, deploy + '/2') == [{'_class': INPUT + 'InputAction'}, {'_class': INPUT + 'ApproverAction'}]
    assert _actions(client, deploy + '/2', depth=1) == [
        {'_class': INPUT + 'InputAction', 'displayName': None, 'executions': [], 'waitingForInput': False},
        {'_class': INPUT + 'ApproverAction', 'userId': 'admin'}]
    # Build 1 never reached the gate; a restart that skips the gate stage never starts its input step either.
    assert not _actions(client, deploy + '/1')
    sim.advance(10)
    client.post(deploy + '/2/restart/restartPipeline', params={'stageName': 'Deploy'})
    sim.advance(1)
    assert not _actions(client, deploy + '/3')


def test_rejected_input_leaves_no_approver_action(sim, client, job_url):
    gate = job_url(sim, GATE)
    client.post(gate + '/build', params={'delay': '0sec'})
    sim.advance(1)
    message = client.get(gate + '/1/api/json', params={'depth': 1}).json()
    assert 'Is the build okay?' in json.dumps(message)
    client.post(gate + '/1/input/%s/abort' % _input_id(client, gate, 1))
    assert _actions(client, gate + '/1', depth=1) == [
        {'_class': INPUT + 'InputAction', 'displayName': None, 'executions': [], 'waitingForInput': False}]


# -- who may answer an input ---------------------------------------------------------------------------------------
TOKENS = {'root': '11' + 'a' * 32, 'bob': '11' + 'b' * 32, 'carol': '11' + 'c' * 32, 'dave': '11' + 'd' * 32}


def _submitter_scenario(submitter):
    users = [{'name': 'root', 'tokens': [TOKENS['root']], 'admin': True}, {'name': 'bob', 'tokens': [TOKENS['bob']]},
             {'name': 'carol', 'tokens': [TOKENS['carol']], 'groups': ['Release-Managers']}, {'name': 'dave', 'tokens': [TOKENS['dave']]}]
    gate = {'message': 'Ship it?', 'submitter': submitter}
    return {'speed': 0, 'jenkins': {'users': users},
            'pipelines': [{'vendor': 'jenkins', 'name': 'ship', 'quiet_period': 0, 'stages': [{'name': 'Ask', 'gate': gate}]}]}


def _waiting_build(sim, session):
    """Start build #1 of ``ship`` (as root) and return its URL and a function answering its input as a given user."""
    url = sim.jenkins_url + '/job/ship'
    assert session.post(url + '/build', auth=('root', TOKENS['root'])).status_code == 201
    sim.advance(1)

    def answer(user, verb):
        ident = session.get(url + '/1/wfapi/nextPendingInputAction', auth=('root', TOKENS['root'])).json()['id']
        return session.post(url + '/1/input/%s/%s' % (ident, verb), auth=(user, TOKENS[user]))
    return url, answer


@pytest.mark.parametrize('user, allowed', [('dave', False), ('bob', True), ('carol', True), ('root', True)])
def test_submitter_names_users_and_groups_case_insensitively(client, user, allowed):
    with running(_submitter_scenario(' release-MANAGERS , Bob ')) as sim:
        url, answer = _waiting_build(sim, client)
        reply = answer(user, 'proceedEmpty')
        if allowed:  # bob by name (any case), carol by group, root as administrator
            assert reply.status_code == 200
            assert client.get(url + '/1/api/json', auth=('root', TOKENS['root'])).json()['result'] == 'SUCCESS'
        else:
            assert reply.status_code == 400
            assert reply.headers['X-Error'] == 'You need to be release-MANAGERS , Bob to submit this.'
            ident = client.get(url + '/1/wfapi/nextPendingInputAction', auth=(user, TOKENS[user])).json()['id']
            refused = client.post(url + '/1/wfapi/inputSubmit', params={'inputId': ident}, data={'json': '{}'}, auth=(user, TOKENS[user]))
            # RunAPI wraps the Failure in a ServletException, which Jenkins shows as its "Oops!" page, without the text.
            assert refused.status_code == 500 and 'Oops!' in refused.text and 'Input Submit' not in refused.text
            assert answer(user, 'abort').status_code == 200  # Job/Cancel is enough to abort


@pytest.mark.parametrize('submitter', ['authenticated', 'AUTHENTICATED', '   '])
def test_authenticated_authority_and_blank_submitter(client, submitter):
    with running(_submitter_scenario(submitter)) as sim:
        _url, answer = _waiting_build(sim, client)
        assert answer('dave', 'proceedEmpty').status_code == 200
