# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Contract: the simulator's Buddy API against Buddy's *published* material, not against our own client.

1. Published examples (``fixtures/buddy/*.json``, each naming its ``source`` page on buddy.works/docs/api): the
   request bodies of the API reference are sent to the in-process simulator, and each answer must have the HTTP
   status the page gives and every field (nested fields too) of the page's response sample, with the same JSON type
   (values may differ), plus the exact enum values the pages fix (statuses, priority, ``triggered_on``). Also the
   error body ``{"errors":[{"message": ...}]}`` and the ``X-Rate-Limit-*`` headers.
2. An independent client: Buddy's own Node library ``buddyworksapi`` (npm, pinned), installed into a temporary
   folder when ``node`` and ``npm`` are there and the registry answers, drives the simulator through
   ``tests/contract/buddy_node_client.js``.

The scenario mirrors the docs' examples: workspace ``buddy``, project ``company-website``, pipeline 2 with actions
1 (build), 2 (a wait-for-variables action asking for ``myVar1``) and 3, and two finished executions, so the next
execution is 3 as in the run sample. The clock is frozen (it moves only when a test advances it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import typing as t
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ansible_collections.cicd.pipelines.tests.simulator.testing import SimHandle, running

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures', 'buddy')
NODE_SCRIPT = os.path.join(HERE, 'buddy_node_client.js')
NODE_PACKAGE = 'buddyworksapi@1.0.11'

TOKEN = 'b0dd7e5ac0417ac7c0417ac7c0417ac7c0417ac7c0417ac7c0417ac7c0417ac7'
WORKSPACE = 'buddy'
PROJECT = 'company-website'
P = '/workspaces/%s/projects/%s/pipelines' % (WORKSPACE, PROJECT)
EXECUTIONS = P + '/2/executions'
# The newest docs spell the older samples' ``triggeredOn`` as ``triggered_on`` (executions/cancel-retry-approve,
# response body); the simulator sends the spelling its ``trigger_key`` names (default triggered_on).
RENAMED = {'triggeredOn': 'triggered_on'}
# Lists the sample shows with entries that the scenario has no reason to fill (no per-user pipeline permissions).
MAY_BE_EMPTY = ('.permissions.users', '.permissions.groups')
PRIORITIES = ('LOW', 'NORMAL', 'HIGH')

SCENARIO: dict[str, t.Any] = {
    'speed': 0,
    'buddy': {
        'workspaces': [{'domain': WORKSPACE, 'name': 'Buddy',
                        'projects': [{'name': PROJECT, 'display_name': 'Company Website', 'default_branch': 'master'}]}],
        'tokens': [{'token': TOKEN, 'name': 'Mike Benson', 'scopes': ['WORKSPACE', 'EXECUTION_INFO', 'EXECUTION_RUN', 'VARIABLE_INFO']}],
    },
    'pipelines': [{
        'vendor': 'buddy', 'name': PROJECT + '/Live mirror', 'id': 2, 'refs': ['refs/heads/master'],
        'parameters': [{'name': 'version', 'type': 'string', 'default': '1.0', 'description': 'Version'},
                       {'name': 'pass', 'type': 'password'}],
        'stages': [
            {'name': 'Build application', 'duration': 2, 'action_id': 1},
            {'name': 'Pass arguments', 'action_id': 2,
             'gate': {'kind': 'variables', 'message': 'Pass arguments', 'parameters': [{'name': 'myVar1', 'default': ''}]}},
            {'name': 'Upload files to Live mirror', 'duration': 5, 'action_id': 3, 'action_type': 'FTP'},
        ],
        'history': [{'result': 'SUCCESS'}, {'result': 'SUCCESS'}],
    }],
}


class Answer(t.NamedTuple):
    """One HTTP answer of the simulator."""

    status: int
    headers: dict[str, str]
    body: t.Any


def fixture(name: str) -> dict[str, t.Any]:
    """A published sample (``fixtures/buddy/<name>.json``)."""
    with open(os.path.join(FIXTURES, name + '.json'), encoding='utf-8') as handle:
        data = json.load(handle)
    assert data['source'].startswith('https://'), 'fixture %s names no source' % name
    return data


def call(sim: SimHandle, method: str, path: str, body: t.Any = None, query: dict[str, t.Any] | None = None,
         token: str | None = TOKEN) -> Answer:
    """A request to the simulator's Buddy API (stdlib only); errors are answers too."""
    url = sim.buddy_url + path + ('?' + urllib.parse.urlencode(query) if query else '')
    data = None if body is None else json.dumps(body).encode('utf-8')
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header('Content-Type', 'application/json')
    if token is not None:
        request.add_header('Authorization', 'Bearer ' + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec - loopback simulator
            status, headers, text = response.status, dict(response.headers.items()), response.read().decode('utf-8')
    except urllib.error.HTTPError as exc:
        status, headers, text = exc.code, dict(exc.headers.items()), exc.read().decode('utf-8')
    return Answer(status, headers, json.loads(text) if text else None)


def json_type(value: t.Any) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    return 'array' if isinstance(value, list) else 'object'


def shape_problems(sample: t.Any, actual: t.Any, where: str = '$', lenient: bool = False) -> list[str]:
    """Where ``actual`` lacks a field of ``sample`` or has another JSON type (a null in the sample: presence only).

    Objects: every key of the sample (a renamed key under its new name). Arrays: each entry of ``actual`` against
    the sample's first entry; an entry whose ``status`` differs from the sample entry's is in another state, so
    there a null where the sample has a value (``start_date`` of an action not started yet) is accepted
    (``lenient``). An empty ``actual`` where the sample has entries is a problem unless listed in MAY_BE_EMPTY.
    """
    if sample is None or (lenient and actual is None):
        return []
    if json_type(sample) != json_type(actual):
        return ['%s: %s in the sample, %s in the simulator (%r)' % (where, json_type(sample), json_type(actual), actual)]
    problems: list[str] = []
    if isinstance(sample, dict):
        for key, value in sample.items():
            name = key if key in actual or key not in RENAMED else RENAMED[key]
            if name not in actual:
                problems.append('%s.%s: missing' % (where, key))
            else:
                problems.extend(shape_problems(value, actual[name], '%s.%s' % (where, name), lenient))
    elif isinstance(sample, list) and sample:
        if not actual and not any(where.endswith(suffix) for suffix in MAY_BE_EMPTY):
            problems.append('%s: empty in the simulator, the sample has entries' % where)
        model = sample[0]
        same_state = [isinstance(model, dict) and isinstance(item, dict) and item.get('status', model.get('status')) == model.get('status')
                      for item in actual]
        if actual and isinstance(model, dict) and 'status' in model and not any(same_state):
            problems.append('%s: no entry in the state of the sample entry (status %s) to compare strictly' % (where, model['status']))
        for index, item in enumerate(actual):
            problems.extend(shape_problems(model, item, '%s[%d]' % (where, index), lenient or not same_state[index]))
    return problems


def check(answer: Answer, published: dict[str, t.Any]) -> dict[str, t.Any]:
    """The status and the response shape of a published example; returns the body."""
    assert answer.status == published['status'], (published['source'], answer.status, answer.body)
    problems = shape_problems(published['response'], answer.body)
    assert not problems, 'differs from %s:\n  %s' % (published['source'], '\n  '.join(problems))
    for field in published.get('fields', []):  # the response-body field list of the page (any type, null allowed)
        assert field in answer.body, '%s: %s is documented but missing' % (published['source'], field)
    return t.cast(dict, answer.body)


def check_rate_headers(answer: Answer) -> None:
    """X-Rate-Limit-Limit / -Remaining (doc samples) and -Reset (epoch seconds, Go SDK), all integers."""
    headers = {k.lower(): v for k, v in answer.headers.items()}
    for name in fixture('errors')['rate_limit_headers']:
        assert name.lower() in headers, '%s missing on a %d answer' % (name, answer.status)
        assert headers[name.lower()].isdigit(), (name, headers[name.lower()])
    assert int(headers['x-rate-limit-remaining']) <= int(headers['x-rate-limit-limit'])
    assert int(headers['x-rate-limit-reset']) > 1_000_000_000  # epoch seconds, not a delta


def trigger(body: dict[str, t.Any]) -> t.Any:
    """The trigger field under either spelling."""
    return body.get('triggered_on', body.get('triggeredOn'))


@pytest.fixture(name='sim', scope='module')
def sim_fixture() -> t.Iterator[SimHandle]:
    """One simulator for the module."""
    with running(SCENARIO) as handle:
        yield handle


@pytest.fixture(name='fresh')
def fresh_fixture(sim: SimHandle) -> SimHandle:
    """The simulator back at the scenario's start (two finished executions, frozen clock)."""
    sim.reset()
    return sim


def waiting_execution(sim: SimHandle) -> dict[str, t.Any]:
    """A new execution that has reached the wait-for-variables action (after the 2 s build)."""
    started = call(sim, 'POST', EXECUTIONS, {'to_revision': {'revision': 'HEAD'}})
    assert started.status == fixture('run')['status']
    sim.advance(2.5)
    execution = call(sim, 'GET', EXECUTIONS + '/%d' % started.body['id']).body
    assert execution['status'] == 'WAITING_FOR_VARIABLES' and execution['action_executions'][1]['status'] == 'WAITING_FOR_VARIABLES'
    return t.cast(dict, execution)


# -- 1. published examples ---------------------------------------------------------------------------------

def test_run_example(fresh: SimHandle) -> None:
    published = fixture('run')
    assert published['request']['actions_to_run'] == [1, 2]  # the scenario's action ids are the sample's
    body = check(call(fresh, 'POST', EXECUTIONS, published['request']), published)
    assert body['id'] == 3 and body['status'] == 'INPROGRESS' and body['priority'] == 'HIGH' and trigger(body) == 'CLICK'
    assert body['comment'] == 'hotfix' and body['clear_cache'] is True
    statuses = [(a['action']['id'], a['status']) for a in body['action_executions']]
    assert statuses == [(1, 'INPROGRESS'), (2, 'INITIAL'), (3, 'SKIPPED')]  # action 3 is not in actions_to_run
    passed = {v['key']: v for v in body['variables']}
    assert passed['version']['value'] == '1.0' and passed['pass']['encrypted'] is True and passed['pass']['value'] != 'qwerty'


def test_get_example(fresh: SimHandle) -> None:
    published = fixture('get')
    body = check(call(fresh, 'GET', EXECUTIONS + '/1'), published)
    assert body['id'] == 1 and body['status'] == 'SUCCESSFUL' and body['priority'] in PRIORITIES and trigger(body) == 'CLICK'


def test_list_example(fresh: SimHandle) -> None:
    published = fixture('list')
    call(fresh, 'POST', EXECUTIONS, {'to_revision': {'revision': 'HEAD'}})
    body = check(call(fresh, 'GET', EXECUTIONS, query=published['query']), published)
    assert [e['id'] for e in body['executions']] == [3, 2]  # newest first, per_page=2
    assert (body['page'], body['page_size'], body['element_count'], body['total_element_count'], body['total_page_count']) == (1, 2, 2, 3, 2)
    assert [e['status'] for e in body['executions']] == ['INPROGRESS', 'SUCCESSFUL']
    assert check(call(fresh, 'GET', EXECUTIONS), published)['page_size'] == 20  # the documented default per_page


def test_apply_variables_example(fresh: SimHandle) -> None:
    published = fixture('patch_apply_variables')
    execution = waiting_execution(fresh)
    body = check(call(fresh, 'PATCH', EXECUTIONS + '/%d' % execution['id'], published['request']), published)
    assert body['id'] == execution['id'] and body['status'] == 'INPROGRESS' and trigger(body) in published['triggered_on']
    assert [a['status'] for a in body['action_executions']] == ['SUCCESSFUL', 'SUCCESSFUL', 'INPROGRESS']


def test_cancel_and_retry_answer_the_execution(fresh: SimHandle) -> None:
    published = fixture('patch_apply_variables')  # same endpoint and answer ("Cancels, retries or approves the execution")
    assert {'CANCEL', 'RETRY'} <= set(published['operations'])
    started = call(fresh, 'POST', EXECUTIONS, {'to_revision': {'revision': 'HEAD'}}).body
    url = EXECUTIONS + '/%d' % started['id']
    cancelled = check(call(fresh, 'PATCH', url, {'operation': 'CANCEL'}), published)
    assert cancelled['status'] == 'TERMINATED' and cancelled['finish_date'] is not None
    retried = check(call(fresh, 'PATCH', url, {'operation': 'RETRY'}), published)
    assert retried['status'] == 'INPROGRESS' and retried['id'] == started['id']


def test_action_execution_details_example(fresh: SimHandle) -> None:
    published = fixture('action_execution_details')
    execution = waiting_execution(fresh)
    call(fresh, 'PATCH', EXECUTIONS + '/%d' % execution['id'], fixture('patch_apply_variables')['request'])
    hex_id = execution['action_executions'][1]['action_execution_id']
    body = check(call(fresh, 'GET', EXECUTIONS + '/%d/action_executions/%s' % (execution['id'], hex_id)), published)
    assert body['status'] == 'SUCCESSFUL' and body['status'] in published['statuses'] and body['progress'] == 100
    assert body['action']['type'] == 'WAIT_FOR_VARIABLES' and body['action']['trigger_time'] == 'ON_EVERY_EXECUTION'
    assert [v['key'] for v in body['action']['variables']] == ['myVar1']
    assert body['passed_variables'] == [{'key': 'myVar1', 'value': 'someValue', 'encrypted': False}]
    assert body['outputted_variables'][0]['key'] == 'BUDDY_APPROVING_ACTOR' and body['approver_id'] == 1
    # Every action status of an execution is one of the documented enum.
    for entry in call(fresh, 'GET', EXECUTIONS + '/%d' % execution['id']).body['action_executions']:
        assert entry['status'] in published['statuses']


def test_legacy_action_details_example(fresh: SimHandle) -> None:
    published = fixture('action_details_legacy')
    body = check(call(fresh, 'GET', EXECUTIONS + '/1/action/1'), published)
    assert body['status'] == 'SUCCESSFUL' and body['progress'] == 100 and body['action']['type'] == 'BUILD'
    assert body['action']['last_execution_status'] in published['last_execution_status']


def test_pipeline_get_and_list_examples(fresh: SimHandle) -> None:
    published = fixture('pipeline_get')
    body = check(call(fresh, 'GET', P + '/2'), published)
    assert body['id'] == 2 and body['name'] == 'Live mirror' and body['refs'] == ['refs/heads/master']
    assert body['last_execution_status'] == 'SUCCESSFUL' and body['last_execution_status'] in published['last_execution_status']
    assert [(a['id'], a['status']) for a in body['actions']] == [(1, 'SUCCESSFUL'), (2, 'SUCCESSFUL'), (3, 'SUCCESSFUL')]
    # The list page's sample was not readable: its entries are checked against the get sample, less the
    # get-only ``actions`` (the official Go SDK's Pipeline, which the list decodes into, has no actions).
    listed = call(fresh, 'GET', P)
    assert listed.status == 200 and set(listed.body) >= {'url', 'html_url', 'pipelines'}
    entry = {k: v for k, v in published['response'].items() if k != 'actions'}
    assert not shape_problems([entry], listed.body['pipelines'], '$.pipelines')
    assert [p['id'] for p in listed.body['pipelines']] == [2]


def test_variables_example(fresh: SimHandle) -> None:
    published = fixture('variables_list')
    body = check(call(fresh, 'GET', '/workspaces/%s/variables' % WORKSPACE, query=published['query']), published)
    found = {v['key']: v for v in body['variables']}
    assert set(found) == {'version', 'pass'} and found['pass']['encrypted'] is True and found['pass']['value'].startswith('secure!')
    # "If no query params are set, returns only workspace-scoped variables": the scenario has none.
    unfiltered = call(fresh, 'GET', '/workspaces/%s/variables' % WORKSPACE)
    assert unfiltered.status == 200 and unfiltered.body['variables'] == []


def test_errors_and_rate_limit_headers(fresh: SimHandle) -> None:
    published = fixture('errors')
    answers = [call(fresh, 'GET', EXECUTIONS + '/999'), call(fresh, 'GET', P + '/7'),
               call(fresh, 'PATCH', EXECUTIONS + '/1', {'operation': 'CANCEL'}), call(fresh, 'GET', P, token='not-a-token')]
    assert [a.status for a in answers[:2]] == [404, 404] and 400 <= answers[2].status < 500 and answers[3].status == 401
    for answer in answers:
        assert not shape_problems(published['error'], answer.body), answer.body
        assert answer.body['errors'][0]['message'], answer.body
        check_rate_headers(answer)
    ok = call(fresh, 'GET', EXECUTIONS + '/1')
    check_rate_headers(ok)
    assert int(ok.headers['X-Rate-Limit-Reset']) >= int(time.time()) - 86400 * 365 * 50  # plausibly epoch-based


def test_older_trigger_spelling_is_the_samples() -> None:
    scenario = json.loads(json.dumps(SCENARIO))
    scenario['buddy']['trigger_key'] = 'triggeredOn'
    with running(scenario) as sim:
        body = call(sim, 'GET', EXECUTIONS + '/1').body
        assert body['triggeredOn'] == fixture('get')['response']['triggeredOn'] == 'CLICK' and 'triggered_on' not in body


# -- 2. an independent client: Buddy's Node library ----------------------------------------------------------

@pytest.fixture(name='node_modules', scope='module')
def node_modules_fixture() -> t.Iterator[str]:
    """``buddyworksapi`` installed into a temporary folder (skips without node/npm or the npm registry)."""
    node, npm = shutil.which('node'), shutil.which('npm')
    if not node or not npm:
        pytest.skip('node and npm are needed to install %s (the independent Buddy client); found node=%s npm=%s' % (NODE_PACKAGE, node, npm))
    folder = tempfile.mkdtemp(prefix='buddyworksapi-')
    try:
        try:
            done = subprocess.run([npm, 'install', '--no-audit', '--no-fund', '--prefix', folder, NODE_PACKAGE],
                                  capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            pytest.skip('npm install %s timed out (no network to the npm registry?)' % NODE_PACKAGE)
        if done.returncode != 0:
            pytest.skip('npm install %s failed (no network to the npm registry?): %s' % (NODE_PACKAGE, (done.stderr or done.stdout)[-500:]))
        yield os.path.join(folder, 'node_modules')
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_official_node_client(fresh: SimHandle, node_modules: str) -> None:
    config = {'host': fresh.buddy_url, 'token': TOKEN, 'workspace': WORKSPACE, 'project': PROJECT, 'pipeline_id': 2}
    done = subprocess.run([t.cast(str, shutil.which('node')), NODE_SCRIPT, node_modules, json.dumps(config)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr or done.stdout
    out = json.loads(done.stdout)
    steps = out['steps']
    assert out['host'] == fresh.buddy_url
    assert [p['id'] for p in steps['pipelines']['pipelines']] == [2] and steps['pipeline']['name'] == 'Live mirror'
    run = steps['run']
    assert run['id'] == 3 and run['status'] == 'INPROGRESS' and run['comment'] == 'from buddyworksapi'
    assert steps['get']['id'] == 3 and steps['get']['status'] == 'INPROGRESS'
    assert [e['id'] for e in steps['list']['executions']] == [3, 2, 1] and steps['list']['total_element_count'] == 3
    assert steps['cancel']['id'] == 3 and steps['cancel']['status'] == 'TERMINATED'
    assert steps['retry']['id'] == 3 and steps['retry']['status'] == 'INPROGRESS'
    assert steps['cancel_again']['status'] == 'TERMINATED'
    refused = steps['cancel_finished']['error']
    assert refused['code'] == 400 and refused['message'] == refused['messages'][0]['message']
    missing = steps['missing']['error']
    assert missing['code'] == 404 and missing['message'] == 'Execution not found.'
    # The client's PATCH bodies are the documented {"operation": ...}.
    patched = [e for e in fresh.requests(vendor='buddy', method='PATCH') if e.get('status') == 200]
    assert [e['operation'] for e in patched] == ['patch.cancel', 'patch.retry', 'patch.cancel']
