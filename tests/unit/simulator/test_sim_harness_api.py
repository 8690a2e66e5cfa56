# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harness simulator: transport, authentication, errors, rate limits, operation labels, faults and lookups."""
from __future__ import annotations

import typing as t

import pytest

pytest.importorskip('graphql', reason='graphql-core is not installed (pip install -r requirements-dev.txt)')
requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator.harness.schema import SAMPLE_DOCUMENTS, WRONG_DOCUMENT
from ansible_collections.cicd.pipelines.tests.simulator.testing import HARNESS_ACCOUNT_ID, HARNESS_API_KEY, SimHandle, running

START = ('mutation Start($input: StartExecutionInput!) { startExecution(input: $input) { clientMutationId warningMessage '
         'execution { __typename id status notes createdAt ... on PipelineExecution { pipeline { id name } } } } }')


def gql(sim: SimHandle, query: str, variables: dict[str, t.Any] | None = None, key: str | None = HARNESS_API_KEY,
        account: str | None = HARNESS_ACCOUNT_ID, operation: str | None = None) -> requests.Response:
    """POST a GraphQL document as a Harness client does."""
    headers = {} if key is None else {'x-api-key': key}
    params = {} if account is None else {'accountId': account}
    body: dict[str, t.Any] = {'query': query, 'variables': variables or {}}
    if operation:
        body['operationName'] = operation
    return requests.post(sim.harness_url + '/api/graphql', params=params, json=body, headers=headers, timeout=10)


def ids(sim: SimHandle) -> dict[str, str]:
    """Application and pipeline ids of the demo."""
    data = gql(sim, '{ applicationByName(name: "shop") { id } }').json()['data']
    app = data['applicationByName']['id']
    found = gql(sim, 'query($a: String!) { b: pipelineByName(pipelineName: "build", applicationId: $a) { id } '
                     'd: pipelineByName(pipelineName: "deploy", applicationId: $a) { id } }', {'a': app}).json()['data']
    return {'app': app, 'build': found['b']['id'], 'deploy': found['d']['id']}


@pytest.fixture(name='demo_ids')
def demo_ids_fixture(demo: SimHandle) -> dict[str, str]:
    """Ids of the demo's Harness application and pipelines."""
    return ids(demo)


def start(sim: SimHandle, app: str, entity: str, variables: dict[str, str], notes: str | None = None, kind: str = 'PIPELINE') -> dict[str, t.Any]:
    """startExecution; returns the whole JSON answer."""
    inputs = [{'name': k, 'variableValue': {'type': 'NAME', 'value': v}} for k, v in variables.items()]
    payload = {'applicationId': app, 'entityId': entity, 'executionType': kind, 'variableInputs': inputs, 'notes': notes,
               'clientMutationId': 'm-1'}
    return gql(sim, START, {'input': payload}).json()


# -- transport and authentication --------------------------------------------------------------

def test_missing_key_is_400_and_bad_key_401_in_the_rest_envelope(demo: SimHandle) -> None:
    missing = gql(demo, '{ applicationByName(name: "shop") { id } }', key=None)
    assert missing.status_code == 400 and missing.headers['X-Harness-Error'] == 'INVALID_REQUEST'
    assert missing.json() == {'metaData': {}, 'resource': None, 'responseMessages': [
        {'code': 'INVALID_REQUEST', 'level': 'ERROR', 'message': 'Invalid request: Api Key not supplied', 'exception': None, 'failureTypes': []}]}
    bad = gql(demo, '{ applicationByName(name: "shop") { id } }', key='not-a-key')
    assert bad.status_code == 401 and bad.headers['X-Harness-Error'] == 'INVALID_TOKEN'
    assert bad.json()['responseMessages'][0]['code'] == 'INVALID_TOKEN' and bad.json()['resource'] is None
    # The key must belong to the accountId given; without accountId the key's own account is used.
    assert gql(demo, '{ applicationByName(name: "shop") { id } }', account='AAAAAAAAAAAAAAAAAAAAAA').status_code == 401
    assert gql(demo, '{ applicationByName(name: "shop") { id } }', account=None).json()['data']['applicationByName']['id']


def test_text_plain_body_is_the_bare_query(demo: SimHandle) -> None:
    response = requests.post(demo.harness_url + '/api/graphql', data='{ applicationByName(name: "shop") { name } }',
                             headers={'X-API-KEY': HARNESS_API_KEY, 'Content-Type': 'text/plain'}, timeout=10)
    assert response.status_code == 200 and response.json() == {'data': {'applicationByName': {'name': 'shop'}}}


def test_resolver_error_is_http_200_with_null_data_and_path(demo: SimHandle) -> None:
    response = gql(demo, 'query { execution(executionId: "nope") { id } }')
    assert response.status_code == 200
    assert response.json() == {'data': {'execution': None}, 'errors': [{
        'message': 'Exception while fetching data (/execution) : Invalid request: Execution does not exist or access is denied',
        'locations': [{'line': 1, 'column': 9}], 'path': ['execution']}]}


def test_validation_error_has_only_errors(demo: SimHandle) -> None:
    body = gql(demo, WRONG_DOCUMENT, {'id': 'x'}).json()
    assert 'data' not in body and len(body['errors']) >= 3
    assert gql(demo, '{ execution(executionId: ').json().keys() == {'errors'}  # syntax error


@pytest.mark.parametrize('name', sorted(SAMPLE_DOCUMENTS))
def test_published_sample_documents_execute(demo: SimHandle, name: str) -> None:
    """The documents a client sends run without validation errors (resolver refusals for the fake ids are fine)."""
    sample = SAMPLE_DOCUMENTS[name]
    body = gql(demo, sample.query, sample.variables).json()
    assert 'data' in body
    for error in body.get('errors', []):
        assert error['message'].startswith('Exception while fetching data (/') and error['path']


def test_lookups_and_their_refusals(demo: SimHandle, demo_ids: dict[str, str]) -> None:
    body = gql(demo, 'query($p: String!, $a: String!) { pipeline(pipelineId: $p) { id name pipelineVariables { name type required '
                     'allowedValues defaultValue fixed } } application(applicationId: $a) { name } }',
               {'p': demo_ids['deploy'], 'a': demo_ids['app']}).json()['data']
    assert body['application'] == {'name': 'shop'}
    assert body['pipeline']['name'] == 'deploy' and len(body['pipeline']['id']) == 22
    assert body['pipeline']['pipelineVariables'] == [
        {'name': 'VERSION', 'type': 'Text', 'required': True, 'allowedValues': None, 'defaultValue': None, 'fixed': False},
        {'name': 'TARGET', 'type': 'Text', 'required': True, 'allowedValues': ['staging', 'production'], 'defaultValue': None, 'fixed': False}]
    errors = gql(demo, '{ pipeline(pipelineId: "blah") { id } workflow(workflowId: "blah") { id } '
                       'workflowByName(workflowName: "x", applicationId: "y") { id } application(applicationId: "z") { id } '
                       'applicationByName(name: "nope") { id } }').json()['errors']
    assert sorted(e['message'] for e in errors) == sorted([
        'Exception while fetching data (/pipeline) : Entity with id: blah is not found',
        'Exception while fetching data (/workflow) : Entity with id: blah is not found',
        'Exception while fetching data (/workflowByName) : Invalid request: Workflow does not exist',
        'Exception while fetching data (/application) : Invalid request: Application does not exist',
        'Exception while fetching data (/applicationByName) : Invalid request: Application does not exist'])


def test_ids_are_deterministic_across_runs(demo_ids: dict[str, str]) -> None:
    with running(speed=0) as other:
        assert ids(other) == demo_ids


# -- rate limits, labels and faults ------------------------------------------------------------

def _rate_limited_scenario(limit: int | None) -> dict[str, t.Any]:
    return {'speed': 0, 'harness': {'accounts': [{'id': HARNESS_ACCOUNT_ID, 'api_keys': [HARNESS_API_KEY]}], 'rate_limit': limit},
            'pipelines': [{'vendor': 'harness', 'name': 'shop/build', 'stages': [{'name': 'Build', 'duration': 1}]}]}


def test_rate_limit_is_a_sliding_minute_per_account() -> None:
    with running(_rate_limited_scenario(2)) as sim:
        query = '{ applicationByName(name: "shop") { id } }'
        assert [gql(sim, query).status_code for attempt in range(3)] == [200, 200, 429]
        limited = gql(sim, query)
        assert limited.json() == {'errors': [{'message': "You've reached your account's rate limit for data queries. Please try again later.",
                                              'locations': []}]}
        assert 'Retry-After' not in limited.headers
        sim.advance(61)
        assert gql(sim, query).status_code == 200


def test_rate_limit_is_off_by_default() -> None:
    with running(_rate_limited_scenario(None)) as sim:
        assert {gql(sim, '{ applicationByName(name: "shop") { id } }').status_code for attempt in range(40)} == {200}


def test_operation_labels_in_the_request_log(demo: SimHandle) -> None:
    gql(demo, '{ applicationByName(name: "shop") { id } }')
    gql(demo, 'query Named { applicationByName(name: "shop") { id } }', operation='Named')
    gql(demo, '{ execution(executionId: "x") { id } executions(limit: 1) { nodes { id } } }', key='wrong')  # labelled without auth
    requests.put(demo.harness_url + '/api/executions/abc', params={'appId': 'x'}, json={'executionInterruptType': 'ABORT_ALL'},
                 headers={'X-Api-Key': HARNESS_API_KEY}, timeout=10)
    assert [e['operation'] for e in demo.requests(vendor='harness')] == ['applicationByName', 'Named', 'execution+executions', 'abort']


def test_fault_injection_by_operation(demo: SimHandle, demo_ids: dict[str, str]) -> None:
    demo.add_fault({'vendor': 'harness', 'operation': 'startExecution', 'action': {'rate_limit': True, 'retry_after': 5}})
    limited = start(demo, demo_ids['app'], demo_ids['build'], {'VERSION': '1'})
    assert limited == {'errors': [{'message': "You've reached your account's rate limit for data queries. Please try again later.",
                                   'locations': []}]}
    assert demo.executions(vendor='harness') == []  # refused before anything happened
    demo.add_fault({'vendor': 'harness', 'operation': 'startExecution', 'action': {'commit_then_drop': True}})
    with pytest.raises(requests.ConnectionError):
        start(demo, demo_ids['app'], demo_ids['build'], {'VERSION': '1'})
    assert len(demo.executions(vendor='harness')) == 1  # ... but the execution was created


def test_application_lists_its_pipelines_and_workflows(demo: SimHandle, demo_ids: dict[str, str]) -> None:
    body = gql(demo, 'query($a: String!) { application(applicationId: $a) { pipelines(limit: 100) { pageInfo { total } nodes { name } } '
                     'workflows(limit: 100) { nodes { name } } } }', {'a': demo_ids['app']}).json()
    assert body == {'data': {'application': {'pipelines': {'pageInfo': {'total': 2}, 'nodes': [{'name': 'build'}, {'name': 'deploy'}]},
                                             'workflows': {'nodes': []}}}}
