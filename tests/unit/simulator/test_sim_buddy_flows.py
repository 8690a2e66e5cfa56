# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Buddy simulator: run-body validation, wait-for-apply / wait-for-variables, retry, cancel, delays, actions_to_run, secrets, logs."""
from __future__ import annotations

import json
import time
import typing as t

import pytest

requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator import DEMO_SCENARIO
from ansible_collections.cicd.pipelines.tests.simulator.scenario import ScenarioError
from ansible_collections.cicd.pipelines.tests.simulator.testing import BUDDY_TOKEN, SimHandle, running

P = '/workspaces/acme/projects/shop/pipelines'
DEPLOY = P + '/2/executions'


def call(sim: SimHandle, method: str, path: str, **kwargs: t.Any) -> requests.Response:
    """A Buddy request with the demo token."""
    return requests.request(method, sim.buddy_url + path, headers={'Authorization': 'Bearer ' + BUDDY_TOKEN}, timeout=10, **kwargs)


def patch(sim: SimHandle, execution: int, operation: str, **body: t.Any) -> requests.Response:
    """PATCH a deploy execution."""
    return call(sim, 'PATCH', '%s/%d' % (DEPLOY, execution), json=dict(body, operation=operation))


def get(sim: SimHandle, execution: int, path: str = DEPLOY) -> dict[str, t.Any]:
    """GET an execution."""
    return call(sim, 'GET', '%s/%d' % (path, execution)).json()


def statuses(execution: dict[str, t.Any]) -> list[str]:
    """The action statuses of an execution, in order."""
    return [a['status'] for a in execution['action_executions']]


def details(sim: SimHandle, execution: dict[str, t.Any], index: int) -> dict[str, t.Any]:
    """The action-execution details of the ``index``-th action, by its hex id."""
    return call(sim, 'GET', '%s/%d/action_executions/%s' % (DEPLOY, execution['id'],
                                                            execution['action_executions'][index]['action_execution_id'])).json()


def messages(response: requests.Response) -> list[str]:
    """The ``errors[].message`` texts of a refusal."""
    return [e['message'] for e in response.json()['errors']]


def to_waiting_for_apply(sim: SimHandle) -> dict[str, t.Any]:
    """Run deploy, let the smoke test fail, retry it and reach the Release approval."""
    run = call(sim, 'POST', DEPLOY, json={'to_revision': {'revision': 'HEAD'}}).json()
    sim.advance(2)
    assert get(sim, run['id'])['status'] == 'FAILED'
    patch(sim, run['id'], 'RETRY')
    sim.advance(1)
    return get(sim, run['id'])


# -- run body ------------------------------------------------------------------------------------------

def test_run_body_validation_refusals(demo: SimHandle) -> None:
    cases = [({'priority': 'URGENT'}, 'Wrong priority: URGENT. Allowed values: LOW, NORMAL, HIGH.'),
             ({'actions_to_run': [201, 999]}, 'Action with id 999 does not exist in this pipeline.'),
             ({'actions_to_run': 'all'}, 'Wrong actions_to_run value: it must be a list of action ids.'),
             ({'variables': [{'value': 'x'}]}, 'Variable key is required.'),
             ({'delay_until': 'tomorrow'}, 'Wrong delay_until value: tomorrow. Use the format 2026-11-18T12:38:16.000Z.'),
             ({'branch': {'name': 'a'}, 'tag': {'name': 'b'}}, 'Only one of branch, tag and pull_request can be given.'),
             ({'refresh': 'yes'}, 'Wrong refresh value: it must be true or false.')]
    for body, message in cases:
        response = call(demo, 'POST', DEPLOY, json=body)
        assert response.status_code == 400 and messages(response) == [message], body
    assert messages(call(demo, 'POST', DEPLOY, data='{oops')) == ['Request body is not valid JSON.']
    assert demo.executions(vendor='buddy') == []


def test_run_echoes_options_and_never_the_plaintext_of_encrypted_variables(demo: SimHandle) -> None:
    body = {'to_revision': {'revision': 'abc123'}, 'comment': 'hotfix', 'refresh': True, 'clear_cache': True, 'priority': 'HIGH',
            'variables': [{'key': 'VERSION', 'value': '2.0.0'}, {'key': 'DEPLOY_KEY', 'value': 'top-secret-key'},
                          {'key': 'EXTRA', 'value': 'hidden-too', 'encrypted': True}]}
    response = call(demo, 'POST', DEPLOY, json=body)
    run = response.json()
    assert run['priority'] == 'HIGH' and run['refresh'] is True and run['clear_cache'] is True and run['comment'] == 'hotfix'
    assert run['to_revision']['revision'] == 'abc123'
    echoed = {v['key']: v for v in run['variables']}
    assert echoed['VERSION'] == {'key': 'VERSION', 'value': '2.0.0', 'encrypted': False}
    assert echoed['DEPLOY_KEY']['encrypted'] is True and echoed['DEPLOY_KEY']['value'].startswith('secure!')
    assert echoed['EXTRA']['encrypted'] is True and echoed['EXTRA']['value'].startswith('secure!')
    demo.advance(1)
    log = details(demo, run, 0)['log']
    assert any('VERSION=2.0.0' in line and 'DEPLOY_KEY=[encrypted]' in line and 'EXTRA=[encrypted]' in line for line in log)
    seen = [response.text, json.dumps(get(demo, run['id'])), json.dumps(details(demo, run, 0)), json.dumps(demo.executions(vendor='buddy')),
            call(demo, 'GET', DEPLOY).text, json.dumps(demo.requests())]
    assert not any('top-secret-key' in text or 'hidden-too' in text for text in seen)


def test_refs_decide_which_branches_may_run() -> None:
    scenario = {'speed': 0, 'pipelines': [
        {'vendor': 'buddy', 'name': 'shop/release', 'refs': ['main', 'refs/heads/release-*', 'refs/tags/v*'], 'stages': [{'name': 'Go'}]},
        {'vendor': 'buddy', 'name': 'shop/wild', 'refs': ['refs/heads/*'], 'stages': [{'name': 'Go'}]}]}
    with running(scenario) as sim:
        assert call(sim, 'POST', P + '/1/executions', json={}).json()['branch']['name'] == 'main'
        assert call(sim, 'POST', P + '/1/executions', json={'branch': {'name': 'release-2'}}).json()['branch']['name'] == 'release-2'
        tagged = call(sim, 'POST', P + '/1/executions', json={'tag': {'name': 'v1.2'}}).json()
        assert tagged['tag'] == {'name': 'v1.2'} and tagged['branch'] is None
        refused = call(sim, 'POST', P + '/1/executions', json={'branch': {'name': 'feature'}})
        assert refused.status_code == 400 and 'feature' in messages(refused)[0]
        assert call(sim, 'POST', P + '/2/executions', json={}).status_code == 400
        assert call(sim, 'POST', P + '/2/executions', json={'branch': {'name': 'anything'}}).status_code == 200


def test_actions_to_run_skips_the_other_actions(demo: SimHandle) -> None:
    run = call(demo, 'POST', DEPLOY, json={'actions_to_run': [201, 204]}).json()
    assert statuses(run) == ['INPROGRESS', 'SKIPPED', 'SKIPPED', 'INITIAL']
    demo.advance(1)
    waiting = get(demo, run['id'])
    assert waiting['status'] == 'WAITING_FOR_VARIABLES' and statuses(waiting) == ['SUCCESSFUL', 'SKIPPED', 'SKIPPED', 'WAITING_FOR_VARIABLES']
    assert details(demo, waiting, 1)['log'] == []


def test_delay_until_queues_and_run_delayed_starts_it(demo: SimHandle) -> None:
    later = time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(demo.control('GET', 'clock')['now'] + 3600))
    run = call(demo, 'POST', P + '/1/executions', json={'delay_until': later}).json()
    assert run['status'] == 'ENQUEUED' and run['start_date'] is None and run['delay_until'] == later and statuses(run) == ['INITIAL', 'INITIAL']
    started = call(demo, 'PATCH', P + '/1/executions/1', json={'operation': 'RUN_DELAYED'}).json()
    assert started['status'] == 'INPROGRESS'
    again = call(demo, 'PATCH', P + '/1/executions/1', json={'operation': 'RUN_DELAYED'})
    assert again.status_code == 400 and messages(again) == ['Execution is not delayed.']


def test_run_status_200_switch_and_disabled_pipeline() -> None:
    scenario = {'speed': 0, 'buddy': {'run_status': 200, 'trigger_key': 'triggeredOn'},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/a', 'stages': [{'name': 'Go'}]},
                              {'vendor': 'buddy', 'name': 'shop/b', 'disabled': True, 'stages': [{'name': 'Go'}]}]}
    with running(scenario) as sim:
        response = call(sim, 'POST', P + '/1/executions', json={})
        assert response.status_code == 200 and response.json()['triggeredOn'] == 'CLICK' and 'triggered_on' not in response.json()
        refused = call(sim, 'POST', P + '/2/executions', json={})
        assert refused.status_code == 400 and messages(refused) == ['Pipeline is disabled.']


# -- waiting actions -------------------------------------------------------------------------------------

def test_wait_for_apply_then_wait_for_variables_to_success(demo: SimHandle) -> None:
    waiting = to_waiting_for_apply(demo)
    assert waiting['status'] == 'WAITING_FOR_APPLY' and statuses(waiting) == ['SUCCESSFUL', 'SUCCESSFUL', 'WAITING_FOR_APPLY', 'INITIAL']
    release = details(demo, waiting, 2)
    assert release['action']['type'] == 'WAIT_FOR_APPLY' and release['action']['comment'] == 'Release to production?'
    assert release['log'] == ['Waiting for approval: Release to production?']
    wrong = patch(demo, waiting['id'], 'APPLY_VARIABLES', variables=[{'key': 'REPLICAS', 'value': '2'}])
    assert wrong.status_code == 400 and messages(wrong) == ['Execution is not waiting for variables.']
    applied = patch(demo, waiting['id'], 'APPLY')
    assert applied.status_code == 200 and applied.json()['id'] == waiting['id']
    now = applied.json()
    assert now['status'] == 'WAITING_FOR_VARIABLES' and statuses(now)[2:] == ['SUCCESSFUL', 'WAITING_FOR_VARIABLES']
    approved = details(demo, now, 2)
    assert approved['approver_id'] == 1 and approved['approval_date'] is not None and approved['log'][1] == 'Approved by cicd-pipelines.'
    deploy = details(demo, now, 3)
    assert deploy['action']['type'] == 'WAIT_FOR_VARIABLES'
    assert deploy['action']['variables'] == [{'id': deploy['action']['variables'][0]['id'], 'key': 'REPLICAS', 'type': 'VAR',
                                              'description': 'Replicas to roll out', 'defaults': '2\n4', 'encrypted': False,
                                              'settable': False}]
    old_path = call(demo, 'GET', '%s/%d/action/204' % (DEPLOY, now['id'])).json()
    assert old_path['action']['variables'] == deploy['action']['variables'] and old_path['status'] == 'WAITING_FOR_VARIABLES'
    refusals = [([], 'Variable REPLICAS is required.'), ([{'key': 'REPLICAS', 'value': '3'}], 'Wrong value of variable REPLICAS. Allowed values: 2, 4.'),
                ([{'key': 'REPLICAS', 'value': '2'}, {'key': 'NOPE', 'value': 'x'}], 'Variable NOPE is not defined in action "Deploy".')]
    for variables, message in refusals:
        response = patch(demo, now['id'], 'APPLY_VARIABLES', variables=variables)
        assert response.status_code == 400 and messages(response) == [message]
    assert patch(demo, now['id'], 'APPLY').status_code == 400
    going = patch(demo, now['id'], 'APPLY_VARIABLES', variables=[{'key': 'REPLICAS', 'value': '4'}]).json()
    assert going['status'] == 'INPROGRESS'
    passed = details(demo, going, 3)
    assert passed['passed_variables'] == [{'key': 'REPLICAS', 'value': '4', 'encrypted': False}]
    assert passed['outputted_variables'] == [{'key': 'BUDDY_APPROVING_ACTOR', 'value': 'cicd-pipelines'}]
    demo.advance(2)
    done = get(demo, going['id'])
    assert done['status'] == 'SUCCESSFUL' and statuses(done) == ['SUCCESSFUL'] * 4 and done['finish_date'] is not None
    assert details(demo, done, 3)['log'][1] == 'Variables passed by cicd-pipelines: REPLICAS=4'


def test_approve_action_id_hex_or_numeric(demo: SimHandle) -> None:
    waiting = to_waiting_for_apply(demo)
    hex_id = waiting['action_executions'][2]['action_execution_id']
    other = waiting['action_executions'][0]['action_execution_id']
    refused = patch(demo, waiting['id'], 'APPLY', approve_action_id=other)
    assert refused.status_code == 400 and messages(refused) == ['Action "Prepare" is not waiting for approval.']
    assert patch(demo, waiting['id'], 'APPLY', approve_action_id='f' * 24).status_code == 404
    assert patch(demo, waiting['id'], 'APPLY', approve_action_id=hex_id).json()['status'] == 'WAITING_FOR_VARIABLES'
    done = patch(demo, waiting['id'], 'APPLY_VARIABLES', approve_action_id='204', variables=[{'key': 'REPLICAS', 'value': '2'}])
    assert done.json()['status'] == 'INPROGRESS'


def test_cancel_a_waiting_execution_is_the_reject(demo: SimHandle) -> None:
    waiting = to_waiting_for_apply(demo)
    cancelled = patch(demo, waiting['id'], 'CANCEL').json()
    assert cancelled['status'] == 'TERMINATED' and statuses(cancelled) == ['SUCCESSFUL', 'SUCCESSFUL', 'TERMINATED', 'NOT_EXECUTED']
    release = details(demo, cancelled, 2)
    assert release['terminator_id'] == 1 and release['termination_date'] is not None and release['approver_id'] is None
    assert release['log'][-1] == 'Action "Release" terminated by cicd-pipelines.'
    again = patch(demo, waiting['id'], 'CANCEL')
    assert again.status_code == 400 and messages(again) == ['Only enqueued, running or waiting executions can be cancelled.']
    assert patch(demo, waiting['id'], 'APPLY').status_code == 400


def test_cancel_while_enqueued_and_retry_keeps_the_id(demo: SimHandle) -> None:
    first = call(demo, 'POST', DEPLOY, json={}).json()
    second = call(demo, 'POST', DEPLOY, json={}).json()  # deploy is not concurrent: it waits
    assert second['status'] == 'ENQUEUED' and statuses(second) == ['INITIAL'] * 4
    cancelled = patch(demo, second['id'], 'CANCEL').json()
    assert cancelled['status'] == 'TERMINATED' and cancelled['start_date'] is None and statuses(cancelled) == ['NOT_EXECUTED'] * 4
    patch(demo, first['id'], 'CANCEL')
    retried = patch(demo, second['id'], 'RETRY').json()
    assert retried['id'] == second['id'] and retried['status'] == 'INPROGRESS'
    assert [e['id'] for e in call(demo, 'GET', DEPLOY).json()['executions']] == [2, 1]


def test_retry_continues_the_same_execution_from_the_failed_action(demo: SimHandle) -> None:
    run = call(demo, 'POST', DEPLOY, json={}).json()
    refused = patch(demo, run['id'], 'RETRY')
    assert refused.status_code == 400 and messages(refused) == ['Only failed or terminated executions can be retried.']
    demo.advance(2)
    failed = get(demo, run['id'])
    assert failed['status'] == 'FAILED' and statuses(failed) == ['SUCCESSFUL', 'FAILED', 'NOT_EXECUTED', 'NOT_EXECUTED']
    smoke = details(demo, failed, 1)
    assert smoke['error_message'] == 'script returned exit code 1'
    assert smoke['log'][-2:] == ['Error: script returned exit code 1', 'Action "Smoke test" failed.']
    prepare_id = failed['action_executions'][0]['action_execution_id']
    retried = patch(demo, run['id'], 'RETRY').json()
    assert retried['id'] == run['id'] and retried['status'] == 'INPROGRESS'
    assert statuses(retried) == ['SUCCESSFUL', 'INPROGRESS', 'INITIAL', 'INITIAL']
    assert retried['action_executions'][0]['action_execution_id'] == prepare_id  # kept, not re-run
    assert retried['action_executions'][1]['action_execution_id'] != failed['action_executions'][1]['action_execution_id']
    assert call(demo, 'GET', DEPLOY).json()['total_element_count'] == 1
    demo.advance(1)
    assert get(demo, run['id'])['status'] == 'WAITING_FOR_APPLY'


def test_retry_new_execution_switch() -> None:
    with open(DEMO_SCENARIO, encoding='utf-8') as handle:
        text = handle.read()
    assert 'retry: same_execution' in text
    text = text.replace('retry: same_execution', 'retry: new_execution').replace('speed: 1.0', 'speed: 0')
    with running(text) as sim:
        run = call(sim, 'POST', DEPLOY, json={'variables': [{'key': 'VERSION', 'value': '3.1.4'}]}).json()
        sim.advance(2)
        retried = patch(sim, run['id'], 'RETRY').json()
        assert retried['id'] == run['id'] + 1 and retried['status'] == 'INPROGRESS'
        assert statuses(retried) == ['SKIPPED', 'INPROGRESS', 'INITIAL', 'INITIAL']
        assert retried['variables'] == [{'key': 'VERSION', 'value': '3.1.4', 'encrypted': False}]
        assert get(sim, run['id'])['status'] == 'FAILED'
        assert [e['id'] for e in call(sim, 'GET', DEPLOY).json()['executions']] == [2, 1]


def test_settable_variables_gate_and_encrypted_passed_values() -> None:
    scenario = {'speed': 0, 'pipelines': [{
        'vendor': 'buddy', 'name': 'shop/config', 'parameters': [{'name': 'REGION', 'default': 'eu'}],
        'stages': [{'name': 'Set', 'gate': {'kind': 'variables', 'settable': True, 'message': 'Settings',
                                            'parameters': [{'name': 'REGION', 'default': 'eu'}, {'name': 'TOKEN', 'type': 'password'}]}},
                   {'name': 'After', 'duration': 1}]}]}
    with running(scenario) as sim:
        path = P + '/1/executions'
        run = call(sim, 'POST', path, json={}).json()
        assert run['status'] == 'WAITING_FOR_SETTABLE_VARIABLES'
        listed = {v['key']: v for v in call(sim, 'GET', '/workspaces/acme/variables', params={'pipelineId': 1}).json()['variables']}
        assert listed['REGION']['settable'] is True and listed['TOKEN']['settable'] is True and listed['TOKEN']['encrypted'] is True
        url = '%s/%d' % (path, run['id'])
        assert call(sim, 'PATCH', url, json={'operation': 'APPLY_VARIABLES'}).status_code == 400
        body = {'operation': 'SET_VARIABLES', 'variables': [{'key': 'REGION', 'value': 'us'}, {'key': 'TOKEN', 'value': 'pa55word'}]}
        done = call(sim, 'PATCH', url, json=body)
        assert done.json()['status'] == 'INPROGRESS'
        hex_id = done.json()['action_executions'][0]['action_execution_id']
        action = call(sim, 'GET', '%s/action_executions/%s' % (url, hex_id)).json()
        passed = {v['key']: v for v in action['passed_variables']}
        assert passed['REGION']['value'] == 'us' and passed['TOKEN']['encrypted'] is True and passed['TOKEN']['value'].startswith('secure!')
        assert 'pa55word' not in json.dumps(action) and 'pa55word' not in json.dumps(sim.executions())


def test_scenario_errors_name_the_buddy_item() -> None:
    bad = [({'buddy': {'retry': 'maybe'}}, 'buddy.retry'),
           ({'buddy': {'rate_limit': {'limit': 0}}}, 'buddy.rate_limit'),
           ({'buddy': {'nope': 1}}, 'unknown key'),
           ({'pipelines': [{'vendor': 'buddy', 'name': 'flat', 'stages': []}]}, '<project>/<pipeline name>'),
           ({'pipelines': [{'vendor': 'buddy', 'name': 'shop/x', 'stages': [{'name': 'A', 'gate': {'kind': 'approval', 'message': 'm',
                                                                                                   'parameters': [{'name': 'P'}]}}]}]},
            'WAIT_FOR_APPLY'),
           ({'pipelines': [{'vendor': 'buddy', 'name': 'shop/x', 'id': 1}, {'vendor': 'buddy', 'name': 'shop/y', 'id': 1}]}, 'unique')]
    for scenario, text in bad:
        with pytest.raises(ScenarioError, match=text):
            with running(scenario):
                pass  # pragma: no cover
