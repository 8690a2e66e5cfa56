# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Buddy simulator: paths and shapes, authentication and scopes, refusals, paging, variables, rate limits, labels, faults."""
from __future__ import annotations

import re
import time
import typing as t

import pytest

requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator.testing import BUDDY_READ_TOKEN, BUDDY_TOKEN, SimHandle, running

P = '/workspaces/acme/projects/shop/pipelines'
ISO = re.compile(r'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z')
HEX24 = re.compile(r'[0-9a-f]{24}')


def call(sim: SimHandle, method: str, path: str, token: str | None = BUDDY_TOKEN, **kwargs: t.Any) -> requests.Response:
    """A Buddy request with a Bearer token (None: no Authorization header)."""
    headers = dict(kwargs.pop('headers', {}))
    if token is not None:
        headers['Authorization'] = 'Bearer ' + token
    return requests.request(method, sim.buddy_url + path, headers=headers, timeout=10, **kwargs)


def messages(response: requests.Response) -> list[str]:
    """The ``errors[].message`` texts of a refusal."""
    return [e['message'] for e in response.json()['errors']]


# -- paths and shapes ----------------------------------------------------------------------------

def test_pipelines_list_and_get_match_buddy_fields(demo: SimHandle) -> None:
    listing = call(demo, 'GET', P)
    assert listing.status_code == 200 and listing.headers['Content-Type'].startswith('application/json')
    body = listing.json()
    assert set(body) == {'url', 'html_url', 'pipelines'} and body['url'] == demo.buddy_url + P
    pipelines = {p['name']: p for p in body['pipelines']}
    assert set(pipelines) == {'build', 'deploy'}
    deploy = pipelines['deploy']
    assert deploy['id'] == 2 and deploy['identifier'] == 'deploy' and deploy['last_execution_status'] == 'INITIAL'
    assert deploy['concurrent_pipeline_runs'] is False and deploy['disabled'] is False and deploy['disabled_reason'] is None
    assert deploy['project']['name'] == 'shop' and deploy['project']['display_name'] == 'Shop' and ISO.fullmatch(deploy['create_date'])
    one = call(demo, 'GET', P + '/2').json()
    actions = one.pop('actions')  # GET pipeline also lists the actions (doc sample), the list does not
    assert one == deploy and one['url'] == demo.buddy_url + P + '/2' and 'actions' not in deploy
    expected = [(201, 'Prepare', 'INITIAL', None), (202, 'Smoke test', 'INITIAL', None)]
    assert [(a['id'], a['name'], a['status'], a['revision']) for a in actions][:2] == expected
    assert deploy['on'] == 'CLICK' and deploy['permissions'] == {'others': 'DEFAULT', 'users': [], 'groups': []}
    assert one['html_url'] == 'https://app.buddy.works/acme/shop/pipelines/pipeline/2'
    # Paging as the Go SDK does it: until an empty page.
    assert [p['id'] for p in call(demo, 'GET', P, params={'per_page': 1, 'page': 2}).json()['pipelines']] == [2]
    assert call(demo, 'GET', P, params={'per_page': 30, 'page': 2}).json()['pipelines'] == []


def test_run_answers_200_with_an_execution_object(demo: SimHandle) -> None:
    response = call(demo, 'POST', P + '/1/executions', json={'to_revision': {'revision': 'HEAD'}, 'comment': 'from tests'})
    assert response.status_code == 200
    run = response.json()
    assert run['id'] == 1 and run['status'] == 'INPROGRESS' and run['triggered_on'] == 'CLICK' and 'triggeredOn' not in run
    assert run['url'] == demo.buddy_url + P + '/1/executions/1'
    assert re.fullmatch(r'https://app\.buddy\.works/acme/shop/pipelines/pipeline/1/execution/[0-9a-f]{24}', run['html_url'])
    assert ISO.fullmatch(run['start_date']) and run['finish_date'] is None and run['comment'] == 'from tests'
    assert run['priority'] == 'NORMAL' and run['refresh'] is False and run['clear_cache'] is False
    assert run['branch']['name'] == 'main' and run['branch']['default'] is True and run['tag'] is None and run['pull_request'] is None
    assert re.fullmatch(r'[0-9a-f]{40}', run['to_revision']['revision']) and run['from_revision'] is None
    assert run['creator']['name'] == 'cicd-pipelines'
    entries = run['action_executions']
    expected = [('Build', 'BUILD', 'INPROGRESS'), ('Package', 'BUILD', 'INITIAL')]
    assert [(a['action']['name'], a['action']['type'], a['status']) for a in entries] == expected
    assert all(HEX24.fullmatch(a['action_execution_id']) for a in entries) and entries[0]['action']['id'] == 101
    assert entries[1]['start_date'] is None and entries[1]['finish_date'] is None and entries[1]['progress'] == 0
    # Ids are per pipeline: the first deploy run is 1 too.
    assert call(demo, 'POST', P + '/2/executions', json={}).json()['id'] == 1
    assert call(demo, 'POST', P + '/1/executions', json={}).json()['id'] == 2


def test_get_and_list_executions_newest_first_with_paging(demo: SimHandle) -> None:
    for _index in range(3):
        call(demo, 'POST', P + '/1/executions', json={})
        demo.advance(5)
    got = call(demo, 'GET', P + '/1/executions/2').json()
    assert got['id'] == 2 and got['status'] == 'SUCCESSFUL' and ISO.fullmatch(got['finish_date'])
    assert [a['status'] for a in got['action_executions']] == ['SUCCESSFUL', 'SUCCESSFUL'] and got['action_executions'][0]['progress'] == 100
    page = call(demo, 'GET', P + '/1/executions').json()
    assert {k: page[k] for k in ('page', 'page_size', 'total_page_count', 'element_count', 'total_element_count')} == {
        'page': 1, 'page_size': 20, 'total_page_count': 1, 'element_count': 3, 'total_element_count': 3}
    assert [e['id'] for e in page['executions']] == [3, 2, 1] and 'action_executions' not in page['executions'][0]
    second = call(demo, 'GET', P + '/1/executions', params={'page': 2, 'per_page': 2}).json()
    assert [e['id'] for e in second['executions']] == [1] and second['total_page_count'] == 2 and second['element_count'] == 1
    past = call(demo, 'GET', P + '/1/executions', params={'page': 9, 'per_page': 2}).json()
    assert past['executions'] == [] and past['page'] == 9 and past['total_element_count'] == 3
    assert call(demo, 'GET', P + '/1/executions', params={'per_page': 500}).json()['page_size'] == 100
    bad = call(demo, 'GET', P + '/1/executions', params={'page': 'x'})
    assert bad.status_code == 400 and 'page' in messages(bad)[0]
    assert call(demo, 'GET', P + '/1').json()['last_execution_status'] == 'SUCCESSFUL'


def test_action_execution_details_and_old_action_path(demo: SimHandle) -> None:
    run = call(demo, 'POST', P + '/1/executions', json={}).json()
    demo.advance(5)
    first = run['action_executions'][0]
    details = call(demo, 'GET', P + '/1/executions/1/action_executions/' + first['action_execution_id'])
    assert details.status_code == 200
    body = details.json()
    assert body['action_execution_id'] == first['action_execution_id'] and body['status'] == 'SUCCESSFUL' and body['progress'] == 100
    for key in ('error_message', 'terminator_id', 'termination_date', 'approver_id', 'approval_date'):
        assert key in body and body[key] is None
    assert body['passed_variables'] == [] and body['outputted_variables'] == [] and body['action']['name'] == 'Build'
    assert body['log'][0] == 'Executing action "Build" (BUILD)' and body['log'][-1] == 'Action "Build" finished successfully.'
    assert 'VERSION=1.0.0' in body['log'][1]
    for path in ('/action/101', '/actions/101'):
        old = call(demo, 'GET', P + '/1/executions/1' + path).json()
        assert set(old) == {'url', 'html_url', 'status', 'progress', 'action', 'start_date', 'finish_date', 'log'}
        assert old['status'] == 'SUCCESSFUL' and old['log'] == body['log']
    assert messages(call(demo, 'GET', P + '/1/executions/1/action/999')) == ['Action not found.']
    unknown = call(demo, 'GET', P + '/1/executions/1/action_executions/' + 'a' * 24)
    assert unknown.status_code == 404 and messages(unknown) == ['Action execution not found.']


def test_variables_endpoint_lists_pipeline_variables_encrypted_as_ciphertext(demo: SimHandle) -> None:
    response = call(demo, 'GET', '/workspaces/acme/variables', params={'projectName': 'shop', 'pipelineId': 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {'url', 'html_url', 'variables'}
    found = {v['key']: v for v in body['variables']}
    assert set(found) == {'VERSION', 'TARGET', 'DEPLOY_KEY'}
    assert found['TARGET']['value'] == 'staging' and found['TARGET']['type'] == 'VAR' and found['TARGET']['encrypted'] is False
    assert found['DEPLOY_KEY']['encrypted'] is True and found['DEPLOY_KEY']['value'].startswith('secure!')
    assert found['VERSION']['pipeline']['id'] == 2 and found['VERSION']['project']['name'] == 'shop' and found['VERSION']['settable'] is False
    everything = call(demo, 'GET', '/workspaces/acme/variables', params={'project_name': 'shop'}).json()['variables']
    assert len(everything) == 4  # build's VERSION too (the docs' snake_case filter names work as well)
    assert [v['key'] for v in call(demo, 'GET', '/workspaces/acme/variables', params={'pipeline_id': 1}).json()['variables']] == ['VERSION']
    # Without a filter only workspace-scoped variables are listed (docs), and the simulator has none.
    assert call(demo, 'GET', '/workspaces/acme/variables').json()['variables'] == []
    assert call(demo, 'GET', '/workspaces/acme/variables', params={'pipelineId': 99}).status_code == 404
    # The read-only token lacks VARIABLE_INFO.
    refused = call(demo, 'GET', '/workspaces/acme/variables', token=BUDDY_READ_TOKEN)
    assert refused.status_code == 403 and 'VARIABLE_INFO' in messages(refused)[0]


# -- authentication, scopes, refusals ---------------------------------------------------------------

def test_tokens_bearer_and_query_parameter(demo: SimHandle) -> None:
    missing = call(demo, 'GET', P, token=None)
    assert missing.status_code == 401 and messages(missing)
    wrong = call(demo, 'GET', P, token='nope')
    assert wrong.status_code == 401 and messages(wrong) == ['Invalid access token.']
    assert call(demo, 'GET', P, token=None, params={'access_token': BUDDY_TOKEN}).status_code == 200
    # The request log never shows the token.
    logged = demo.requests(vendor='buddy')[-1]
    assert BUDDY_TOKEN not in logged['query'] and 'access_token=' in logged['query']
    assert demo.control('GET', 'scenario')['buddy']['tokens'] == '********'


def test_read_only_token_can_look_but_not_run_or_patch(demo: SimHandle) -> None:
    assert call(demo, 'GET', P + '/2', token=BUDDY_READ_TOKEN).status_code == 200
    refused = call(demo, 'POST', P + '/2/executions', token=BUDDY_READ_TOKEN, json={})
    assert refused.status_code == 403 and messages(refused) == ['The access token does not have the required scope: EXECUTION_RUN.']
    assert demo.executions(vendor='buddy') == []
    call(demo, 'POST', P + '/2/executions', json={})
    assert call(demo, 'GET', P + '/2/executions/1', token=BUDDY_READ_TOKEN).status_code == 200
    patch = call(demo, 'PATCH', P + '/2/executions/1', token=BUDDY_READ_TOKEN, json={'operation': 'CANCEL'})
    assert patch.status_code == 403 and call(demo, 'GET', P + '/2/executions/1').json()['status'] == 'INPROGRESS'


def test_scope_families_and_a_token_without_read_scope() -> None:
    scenario = {'speed': 0, 'buddy': {'tokens': [{'token': 'pipeline-family', 'scopes': ['PIPELINE_READ', 'PIPELINE_RUN']},
                                                 {'token': 'workspace-only', 'scopes': ['WORKSPACE']},
                                                 {'token': 'manage', 'scopes': ['EXECUTION_MANAGE']}]},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/build', 'stages': [{'name': 'Build', 'duration': 1}]}]}
    with running(scenario) as sim:
        # No run_status in this scenario: the default 200 (the doc sample of a run says 200 OK).
        assert call(sim, 'POST', P + '/1/executions', token='pipeline-family', json={}).status_code == 200
        assert call(sim, 'POST', P + '/1/executions', token='manage', json={}).status_code == 200
        refused = call(sim, 'GET', P + '/1/executions', token='workspace-only')
        assert refused.status_code == 403 and messages(refused) == ['The access token does not have the required scope: EXECUTION_INFO.']


def test_unknown_things_are_404_in_the_errors_body(demo: SimHandle) -> None:
    cases = {'/workspaces/nope/projects/shop/pipelines': 'Workspace not found.',
             '/workspaces/acme/projects/nope/pipelines': 'Project not found.',
             P + '/77': 'Pipeline not found.', P + '/1/executions/5': 'Execution not found.',
             '/workspaces/acme/nothing-here': 'Not found.'}
    for path, message in cases.items():
        response = call(demo, 'GET', path)
        assert response.status_code == 404 and messages(response) == [message], path
        assert response.headers['X-Rate-Limit-Limit'] == '1000'
    wrong_method = call(demo, 'DELETE', P + '/1/executions')
    assert wrong_method.status_code == 405 and 'errors' in wrong_method.json()


def test_api_disabled_and_inactive_workspaces() -> None:
    scenario = {'speed': 0, 'buddy': {'workspaces': [{'domain': 'off', 'api_disabled': True, 'projects': [{'name': 'shop'}]},
                                                     {'domain': 'gone', 'active': False}]},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/build', 'workspace': 'off', 'stages': [{'name': 'Build'}]}]}
    with running(scenario) as sim:
        for method in ('GET', 'POST'):
            refused = call(sim, method, '/workspaces/off/projects/shop/pipelines/1/executions', json={})
            assert refused.status_code == 400 and messages(refused) == ['API is disabled in this workspace.']
        inactive = call(sim, 'GET', '/workspaces/gone/projects/x/pipelines')
        assert inactive.status_code == 403 and messages(inactive) == ['Only active workspace have access to API']


# -- rate limits --------------------------------------------------------------------------------------

def test_rate_limit_headers_window_and_429() -> None:
    scenario = {'speed': 0, 'buddy': {'rate_limit': {'limit': 3, 'window': 60}},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/build', 'stages': [{'name': 'Build'}]}]}
    with running(scenario) as sim:
        now = sim.control('GET', 'clock')['now']
        seen = [call(sim, 'GET', P) for _index in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers['X-Rate-Limit-Remaining'] for r in seen] == ['2', '1', '0', '0']
        assert all(r.headers['X-Rate-Limit-Limit'] == '3' for r in seen)
        assert abs(int(seen[0].headers['X-Rate-Limit-Reset']) - (now + 60)) <= 1
        assert messages(seen[3]) == ['Rate limit exceeded.']
        # Unauthenticated answers carry the headers too and do not use up the window.
        assert call(sim, 'GET', P, token='bad').headers['X-Rate-Limit-Remaining'] == '3'
        sim.advance(61)
        assert call(sim, 'GET', P).status_code == 200


def test_rate_limit_reset_is_a_wall_clock_time_at_any_speed() -> None:
    # A client compares X-Rate-Limit-Reset with its own clock: at speed 10 a 600 s window ends in 60 real seconds.
    scenario = {'speed': 10, 'buddy': {'rate_limit': {'limit': 5, 'window': 600}},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/build', 'stages': [{'name': 'Build'}]}]}
    with running(scenario) as sim:
        reset = int(call(sim, 'GET', P).headers['X-Rate-Limit-Reset'])
        assert abs(reset - (time.time() + 60)) <= 2


def test_rate_limit_status_403_variant_and_injected_rate_limit() -> None:
    scenario = {'speed': 0, 'buddy': {'rate_limit': {'limit': 1, 'window': 10}, 'rate_limit_status': 403},
                'pipelines': [{'vendor': 'buddy', 'name': 'shop/build', 'stages': [{'name': 'Build'}]}]}
    with running(scenario) as sim:
        call(sim, 'GET', P)
        limited = call(sim, 'GET', P)
        assert limited.status_code == 403 and messages(limited) == ['Rate limit exceeded.']
    with running(speed=0) as sim:
        sim.add_fault({'vendor': 'buddy', 'operation': 'run', 'action': {'rate_limit': True, 'reset_after': 30, 'remaining': 0}})
        now = sim.control('GET', 'clock')['now']
        injected = call(sim, 'POST', P + '/1/executions', json={})
        assert injected.status_code == 429 and messages(injected) == ['Rate limit exceeded.'] and 'Retry-After' not in injected.headers
        assert injected.headers['X-Rate-Limit-Remaining'] == '0' and injected.headers['X-Rate-Limit-Limit'] == '1000'
        assert abs(int(injected.headers['X-Rate-Limit-Reset']) - (now + 30)) <= 1
        assert sim.executions(vendor='buddy') == []  # not carried out
        assert call(sim, 'POST', P + '/1/executions', json={}).status_code == 200


# -- operation labels and faults ------------------------------------------------------------------------

def test_operation_labels_in_the_request_log(demo: SimHandle) -> None:
    call(demo, 'GET', P)
    call(demo, 'GET', P + '/2')
    run = call(demo, 'POST', P + '/2/executions', json={}).json()
    call(demo, 'GET', P + '/2/executions')
    call(demo, 'GET', P + '/2/executions/1')
    call(demo, 'GET', P + '/2/executions/1/action_executions/' + run['action_executions'][0]['action_execution_id'])
    call(demo, 'GET', P + '/2/executions/1/action/201')
    call(demo, 'GET', '/workspaces/acme/variables')
    call(demo, 'PATCH', P + '/2/executions/1', json={'operation': 'APPLY_VARIABLES', 'variables': []})
    call(demo, 'PATCH', P + '/2/executions/1', json={'operation': 'CANCEL'})
    call(demo, 'PATCH', P + '/2/executions/1', data='not json')
    call(demo, 'PATCH', P + '/2/executions/1', token='bad', json={'operation': 'RETRY'})  # labelled without auth
    labels = [e['operation'] for e in demo.requests(vendor='buddy')]
    assert labels == ['pipelines', 'pipeline', 'run', 'list', 'get', 'action', 'action', 'variables', 'patch.apply_variables',
                      'patch.cancel', 'patch', 'patch.retry']
    patches = [e['operation'] for e in demo.requests(vendor='buddy', operation='patch\\..*')]
    assert patches == ['patch.apply_variables', 'patch.cancel', 'patch.retry']


def test_fault_by_operation_hits_only_that_patch(demo: SimHandle) -> None:
    call(demo, 'POST', P + '/2/executions', json={})
    demo.add_fault({'vendor': 'buddy', 'operation': 'patch.cancel', 'action': {'status': 503, 'body': 'maintenance'}})
    assert call(demo, 'PATCH', P + '/2/executions/1', json={'operation': 'RETRY'}).status_code == 400  # not running -> refusal, not fault
    assert call(demo, 'PATCH', P + '/2/executions/1', json={'operation': 'CANCEL'}).status_code == 503
    assert call(demo, 'GET', P + '/2/executions/1').json()['status'] == 'INPROGRESS'
    demo.add_fault({'vendor': 'buddy', 'operation': 'patch.cancel', 'action': {'commit_then_drop': True}})
    with pytest.raises(requests.ConnectionError):
        call(demo, 'PATCH', P + '/2/executions/1', json={'operation': 'CANCEL'})
    assert call(demo, 'GET', P + '/2/executions/1').json()['status'] == 'TERMINATED'
