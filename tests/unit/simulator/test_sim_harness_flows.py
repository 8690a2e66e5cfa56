# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harness simulator: start, status, stage executions, approvals, runtime inputs, resume, abort, listing, workflows."""
from __future__ import annotations

import typing as t

import pytest
import yaml

pytest.importorskip('graphql', reason='graphql-core is not installed (pip install -r requirements-dev.txt)')
requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator import DEMO_SCENARIO
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


def start(sim: SimHandle, app: str, entity: str, variables: dict[str, str], notes: str | None = None, kind: str = 'PIPELINE') -> dict[str, t.Any]:
    """startExecution; returns the whole JSON answer."""
    inputs = [{'name': k, 'variableValue': {'type': 'NAME', 'value': v}} for k, v in variables.items()]
    payload = {'applicationId': app, 'entityId': entity, 'executionType': kind, 'variableInputs': inputs, 'notes': notes,
               'clientMutationId': 'm-1'}
    return gql(sim, START, {'input': payload}).json()


STATUS = ('query($id: String!) { execution(executionId: $id) { __typename id status notes startedAt endedAt failureDetails executionUrl '
          '... on PipelineExecution { pipelineStageExecutions { __typename pipelineStageElementId pipelineStageName pipelineStepName '
          '... on ApprovalStageExecution { status approvalStepType } ... on WorkflowStageExecution { status workflowExecutionId '
          'runtimeInputVariables { name required allowedValues defaultValue } } } } ... on WorkflowExecution { workflow { name } '
          'inputVariables { name value } } } }')
APPROVALS = ('query($a: String!, $e: String!) { approvalDetails(applicationId: $a, executionId: $e) { approvalDetails { __typename '
             'approvalId approvalType stepName stageName startedAt willExpireAt ... on UserGroupApprovalDetails { approvers executionId '
             'variables { name value } } } } }')
APPROVE = 'mutation($i: ApproveOrRejectApprovalsInput!) { approveOrRejectApprovals(input: $i) { success clientMutationId } }'
RUNTIME = 'mutation($i: RuntimeExecutionInputsToResumePipeline!) { pipelineResumeRuntime(input: $i) { status clientMutationId } }'
RESUME = ('mutation($i: ResumeExecutionInput) { resumeExecution(input: $i) { clientMutationId execution { __typename id status notes '
          '... on PipelineExecution { pipelineStageExecutions { pipelineStageName ... on WorkflowStageExecution { status workflowExecutionId } } } } } }')


def _scenario() -> dict[str, t.Any]:
    with open(DEMO_SCENARIO, encoding='utf-8') as handle:
        data = yaml.safe_load(handle)
    data['speed'] = 0
    data['pipelines'].append({'vendor': 'harness', 'name': 'shop/hotfix', 'kind': 'workflow',
                              'parameters': [{'name': 'ENV', 'type': 'choice', 'choices': ['qa', 'prod'], 'default': 'qa'}],
                              'stages': [{'name': 'Check', 'duration': 1},
                                         {'name': 'Sign off', 'gate': {'kind': 'approval', 'message': 'ok?', 'approvers': ['Release Managers']}},
                                         {'name': 'Patch', 'duration': 1}]})
    return data


@pytest.fixture(name='sim')
def sim_fixture() -> t.Iterator[SimHandle]:
    """Demo scenario plus a workflow, frozen clock."""
    with running(_scenario()) as handle:
        yield handle


@pytest.fixture(name='ids_')
def ids_fixture(sim: SimHandle) -> dict[str, str]:
    """Ids of the application, pipelines and the workflow."""
    found = ids(sim)
    found['hotfix'] = gql(sim, 'query($a: String!) { workflowByName(workflowName: "hotfix", applicationId: $a) { id } }',
                          {'a': found['app']}).json()['data']['workflowByName']['id']
    return found


def status(sim: SimHandle, execution_id: str) -> dict[str, t.Any]:
    """The execution object."""
    return gql(sim, STATUS, {'id': execution_id}).json()['data']['execution']


def error(body: dict[str, t.Any]) -> str:
    """The single error message of an answer."""
    assert len(body['errors']) == 1, body
    return body['errors'][0]['message']


def deploy(sim: SimHandle, ids_: dict[str, str], notes: str = 'cicd-key:1') -> str:
    """Start shop/deploy; its id."""
    return start(sim, ids_['app'], ids_['deploy'], {'VERSION': '1.2.3', 'TARGET': 'production'}, notes=notes)['data']['startExecution']['execution']['id']


def test_start_returns_a_running_pipeline_execution_every_time(sim: SimHandle, ids_: dict[str, str]) -> None:
    first = start(sim, ids_['app'], ids_['build'], {'VERSION': '1', 'EXTRA': 'x', 'MORE': 'y'}, notes='key-1')['data']['startExecution']
    assert first['clientMutationId'] == 'm-1'
    assert first['warningMessage'] == "Ignoring values for variables: [EXTRA,MORE] as they don't exist in Pipeline. Might be modified"
    execution = first['execution']
    assert execution['__typename'] == 'PipelineExecution' and execution['status'] == 'RUNNING' and execution['notes'] == 'key-1'
    assert isinstance(execution['createdAt'], int) and len(execution['id']) == 22 and execution['pipeline']['name'] == 'build'
    second = start(sim, ids_['app'], ids_['build'], {'VERSION': '1'}, notes='key-1')['data']['startExecution']['execution']
    assert second['id'] != execution['id']  # no idempotency on Harness's side
    sim.advance(2.5)
    done = status(sim, execution['id'])
    assert done['status'] == 'SUCCESS' and done['endedAt'] >= done['startedAt']
    assert [(s['pipelineStageName'], s['pipelineStepName'], s['status']) for s in done['pipelineStageExecutions']] == [
        ('STAGE 1', 'Build', 'SUCCESS'), ('STAGE 2', 'Package', 'SUCCESS')]
    assert done['executionUrl'].startswith('https://app.harness.io/#/account/kmpySmUISimoRrJL6NL73w/app/%s/pipeline-execution/%s/' % (
        ids_['app'], execution['id']))


def test_start_refusals_in_harness_words(sim: SimHandle, ids_: dict[str, str]) -> None:
    app, pipe = ids_['app'], ids_['deploy']
    assert error(start(sim, app, '', {})).endswith(': Invalid request: Entity Id cannot be empty')
    assert error(start(sim, 'nope', pipe, {})).endswith(': Invalid request: Application does not exist')
    assert error(start(sim, app, 'unknown', {})) == (
        "Exception while fetching data (/startExecution) : Pipeline unknown doesn't exist in the specified application %s" % app)
    assert error(start(sim, app, pipe, {})).endswith(': Invalid request: Value not provided for required variable: [VERSION,TARGET]')
    assert error(start(sim, app, pipe, {'VERSION': '1', 'TARGET': 'moon'})).endswith(
        ': Invalid request: Variable TARGET can only take values [staging, production]')
    refused = start(sim, app, pipe, {})
    assert refused['data'] == {'startExecution': None}
    assert sim.executions(vendor='harness') == []


def test_failure_then_resume_creates_a_new_execution_that_skips_earlier_stages(sim: SimHandle, ids_: dict[str, str]) -> None:
    first = deploy(sim, ids_)
    sim.advance(2.5)
    failed = status(sim, first)
    assert failed['status'] == 'FAILED' and failed['failureDetails'] == 'Smoke test failed: script returned exit code 1'
    assert [s['status'] for s in failed['pipelineStageExecutions']] == ['SUCCESS', 'FAILED']  # later stages never started
    resume = {'applicationId': ids_['app'], 'pipelineExecutionId': first, 'pipelineStageName': 'STAGE 2', 'clientMutationId': 'r'}
    body = gql(sim, RESUME, {'i': resume}).json()['data']['resumeExecution']
    second = body['execution']
    assert body['clientMutationId'] == 'r' and second['id'] != first and second['notes'] == 'cicd-key:1'
    assert [(s['pipelineStageName'], s['status']) for s in second['pipelineStageExecutions']] == [('STAGE 1', 'SUCCESS'), ('STAGE 2', 'RUNNING')]
    # The copied stage reuses the previous iteration's workflow execution; the re-run one has a new one.
    before = [s['workflowExecutionId'] for s in failed['pipelineStageExecutions']]
    after = [s['workflowExecutionId'] for s in second['pipelineStageExecutions']]
    assert all(before) and after[0] == before[0] and after[1] not in (None, before[1])
    # Only the latest iteration of a chain can be resumed.
    assert error(gql(sim, RESUME, {'i': resume}).json()).endswith(
        ': Invalid request: Pipeline resume is only available on the latest iteration of a resumed execution: %s' % first)
    sim.advance(1)
    paused = status(sim, second['id'])
    assert paused['status'] == 'PAUSED'
    approval = paused['pipelineStageExecutions'][2]
    assert approval == {'__typename': 'ApprovalStageExecution', 'pipelineStageElementId': approval['pipelineStageElementId'],
                        'pipelineStageName': 'STAGE 3', 'pipelineStepName': 'Release', 'status': 'PAUSED', 'approvalStepType': 'USER_GROUP'}
    engine_view = list(sim.executions(vendor='harness'))
    assert [s['status'] for s in engine_view[1]['stages']][:2] == ['skipped', 'succeeded']  # Prepare was not run again


def test_resume_refusals(sim: SimHandle, ids_: dict[str, str]) -> None:
    running_one = deploy(sim, ids_)

    def resume(execution_id: str, stage: str = 'STAGE 2', app: str | None = None) -> str:
        return error(gql(sim, RESUME, {'i': {'applicationId': app or ids_['app'], 'pipelineExecutionId': execution_id,
                                             'pipelineStageName': stage}}).json())
    assert resume(running_one) == ('Exception while fetching data (/resumeExecution) : Invalid request: Pipeline resume is not available for '
                                   '[%s]. Resumable states are : [[FAILED, ABORTED, REJECTED, EXPIRED, ERROR]]' % running_one)
    assert resume('nope') == "Exception while fetching data (/resumeExecution) : Execution [nope] doesn't exist."
    assert resume(running_one, stage='STAGE 9').endswith(': Invalid request: Pipeline Stage does not exist or has not yet started: [STAGE 9]')
    sim.advance(2.5)  # failed at STAGE 2: STAGE 3 never started
    assert resume(running_one, stage='STAGE 3').endswith(': Invalid request: You cannot resume a pipeline which has been modified')
    sim.simulator.vendors['/harness'].mark_modified('shop/deploy')  # type: ignore[attr-defined]
    assert resume(running_one).endswith(': Invalid request: You cannot resume a pipeline which has been modified')
    hotfix = start(sim, ids_['app'], ids_['hotfix'], {}, kind='WORKFLOW')['data']['startExecution']['execution']['id']
    assert resume(hotfix, stage='.*').endswith(': Invalid request: You cannot resume pipeline, seems to be invalid')


def test_approval_details_and_approve_with_variables(sim: SimHandle, ids_: dict[str, str]) -> None:
    others = [p for p in _scenario()['pipelines'] if p['name'] != 'shop/deploy' or p['vendor'] != 'harness']
    sim.control('POST', 'scenario', yaml.safe_dump(dict(_scenario(), pipelines=others + [_no_smoke_failure()])))
    app = ids(sim)['app']
    execution = deploy(sim, {'app': app, 'deploy': ids(sim)['deploy']})
    sim.advance(2)
    details = gql(sim, APPROVALS, {'a': app, 'e': execution}).json()['data']['approvalDetails']['approvalDetails']
    assert len(details) == 1
    pending = details[0]
    assert pending['__typename'] == 'UserGroupApprovalDetails' and pending['approvalType'] == 'USER_GROUP'
    assert (pending['stepName'], pending['stageName'], pending['executionId']) == ('Release', 'STAGE 3', execution)
    assert isinstance(pending['startedAt'], str) and pending['startedAt'].isdigit() and pending['willExpireAt'] is None
    assert pending['variables'] == [{'name': 'CHANGE_TICKET', 'value': ''}] and pending['approvers'] == ['Account Administrator']
    base = {'executionId': execution, 'applicationId': app, 'action': 'APPROVE', 'clientMutationId': 'a-1'}
    assert error(gql(sim, APPROVE, {'i': dict(base, approvalId='wrong')}).json()).endswith(
        ': Invalid argument(s): No Pipeline execution [%s] waiting for approval id: wrong' % execution)
    assert error(gql(sim, APPROVE, {'i': dict(base, approvalId=pending['approvalId'], variableInputs=[{'name': 'X', 'value': '1'}])}).json()).endswith(
        ': Invalid request: Variable with name "X" not present')
    assert error(gql(sim, APPROVE, {'i': dict(base, executionId='nope', approvalId='x')}).json()).endswith(
        ': Invalid request: Execution does not exist or access is denied')
    approve = dict(base, approvalId=pending['approvalId'], comments='go', variableInputs=[{'name': 'CHANGE_TICKET', 'value': 'CHG-7'}])
    answer = gql(sim, APPROVE, {'i': approve}).json()
    assert answer == {'data': {'approveOrRejectApprovals': {'success': True, 'clientMutationId': 'a-1'}}}
    assert gql(sim, APPROVALS, {'a': app, 'e': execution}).json()['data']['approvalDetails']['approvalDetails'] == []
    gate = [s for s in sim.executions(vendor='harness')[0]['stages'] if s['name'] == 'Release'][0]
    assert gate['answer']['values'] == {'CHANGE_TICKET': 'CHG-7'} and gate['answer']['approved'] is True

    # Deploy now waits for its runtime inputs, listed only while PAUSED.
    paused = status(sim, execution)
    deploy_stage = paused['pipelineStageExecutions'][3]
    assert paused['status'] == 'PAUSED' and deploy_stage['status'] == 'PAUSED' and deploy_stage['__typename'] == 'WorkflowStageExecution'
    assert deploy_stage['runtimeInputVariables'] == [{'name': 'REPLICAS', 'required': True, 'allowedValues': ['2', '4'], 'defaultValue': '2'}]
    runtime = {'applicationId': app, 'pipelineExecutionId': execution, 'pipelineStageElementId': deploy_stage['pipelineStageElementId'],
               'clientMutationId': 'rt'}
    assert error(gql(sim, RUNTIME, {'i': runtime}).json()).endswith(': Invalid request: Value not provided for required variable: [REPLICAS]')
    bad = dict(runtime, variableInputs=[{'name': 'REPLICAS', 'variableValue': {'type': 'NAME', 'value': '3'}}])
    assert error(gql(sim, RUNTIME, {'i': bad}).json()).endswith(': Invalid request: Variable REPLICAS can only take values [2, 4]')
    assert error(gql(sim, RUNTIME, {'i': dict(runtime, pipelineStageElementId='zzz')}).json()).endswith(
        ': Invalid request: No stage found for the given pipeline stage ID zzz')
    good = dict(runtime, variableInputs=[{'name': 'REPLICAS', 'variableValue': {'type': 'NAME', 'value': '4'}}])
    assert gql(sim, RUNTIME, {'i': good}).json() == {'data': {'pipelineResumeRuntime': {'status': True, 'clientMutationId': 'rt'}}}
    again = status(sim, execution)
    assert again['id'] == execution and again['status'] == 'RUNNING' and again['pipelineStageExecutions'][3]['runtimeInputVariables'] is None
    assert error(gql(sim, RUNTIME, {'i': good}).json()).endswith(': Invalid request: Pipeline stage is not in paused state')
    sim.advance(2)
    assert status(sim, execution)['status'] == 'SUCCESS'


def _no_smoke_failure() -> dict[str, t.Any]:
    spec = next(p for p in _scenario()['pipelines'] if p['vendor'] == 'harness' and p['name'] == 'shop/deploy')
    spec['stages'][1].pop('fail_times')
    return spec


def test_reject_ends_rejected_and_workflow_approvals(sim: SimHandle, ids_: dict[str, str]) -> None:
    hotfix = start(sim, ids_['app'], ids_['hotfix'], {'ENV': 'prod', 'NOPE': '1'}, kind='WORKFLOW')['data']['startExecution']
    assert hotfix['warningMessage'] == "Ignoring values for variables: [NOPE] as they don't exist in workflow. Workflow Might be modified"
    execution = hotfix['execution']
    assert execution['__typename'] == 'WorkflowExecution'
    sim.advance(1)
    view = status(sim, execution['id'])
    assert view['status'] == 'PAUSED' and view['inputVariables'] == [{'name': 'ENV', 'value': 'prod'}] and 'pipelineStageExecutions' not in view
    pending = gql(sim, APPROVALS, {'a': ids_['app'], 'e': execution['id']}).json()['data']['approvalDetails']['approvalDetails'][0]
    assert pending['approvers'] == ['Release Managers'] and pending['stageName'] is None and pending['variables'] is None
    assert error(gql(sim, APPROVE, {'i': {'executionId': execution['id'], 'applicationId': ids_['app'], 'approvalId': pending['approvalId'],
                                          'action': 'REJECT', 'variableInputs': []}}).json()).endswith(
        ': Invalid request: Variable were not present for the given approval')
    rejected = gql(sim, APPROVE, {'i': {'executionId': execution['id'], 'applicationId': ids_['app'], 'approvalId': pending['approvalId'],
                                        'action': 'REJECT', 'comments': 'no'}}).json()
    assert rejected['data']['approveOrRejectApprovals']['success'] is True
    final = status(sim, execution['id'])
    assert final['status'] == 'REJECTED' and final['failureDetails'].startswith('Approval rejected')


def test_rest_abort(sim: SimHandle, ids_: dict[str, str]) -> None:
    execution = deploy(sim, ids_)

    def put(execution_id: str, kind: str = 'ABORT_ALL', app: str | None = None) -> requests.Response:
        return requests.put(sim.harness_url + '/api/executions/' + execution_id, params={'appId': app or ids_['app'], 'accountId': 'kmpySmUISimoRrJL6NL73w'},
                            json={'executionInterruptType': kind}, headers={'X-Api-Key': HARNESS_API_KEY}, timeout=10)
    refused = put(execution, 'PAUSE_ALL')
    assert refused.status_code == 400 and refused.json()['responseMessages'][0]['message'].startswith('Invalid request: Invalid ExecutionInterrupt: ')
    answer = put(execution)
    assert answer.status_code == 200
    body = answer.json()
    assert body['metaData'] == {} and body['responseMessages'] == []
    assert body['resource']['executionInterruptType'] == 'ABORT_ALL' and body['resource']['executionUuid'] == execution
    assert status(sim, execution)['status'] == 'ABORTED'
    done = put(execution)
    assert done.status_code == 400 and done.headers['X-Harness-Error'] == 'INVALID_REQUEST'
    assert done.json()['responseMessages'][0]['message'] == 'Invalid request: Workflow execution [deploy] already completed.'
    unknown = put('nope')
    assert unknown.status_code == 400 and unknown.json()['responseMessages'][0]['code'] == 'GENERAL_ERROR'
    assert requests.put(sim.harness_url + '/api/executions/' + execution, json={}, timeout=10).status_code == 400  # no key
    # An aborted pipeline can be resumed (from a stage it reached).
    resumed = gql(sim, RESUME, {'i': {'applicationId': ids_['app'], 'pipelineExecutionId': execution, 'pipelineStageName': 'STAGE 1'}}).json()
    assert resumed['data']['resumeExecution']['execution']['status'] == 'RUNNING'


def test_executions_filters_batch_reads_and_paging(sim: SimHandle, ids_: dict[str, str]) -> None:
    query = ('query($f: [ExecutionFilter], $l: Int!, $o: Int) { executions(filters: $f, limit: $l, offset: $o) { '
             'pageInfo { hasMore total offset limit } nodes { id status ... on PipelineExecution { pipeline { name } } } } }')
    builds = [start(sim, ids_['app'], ids_['build'], {'VERSION': str(n)})['data']['startExecution']['execution']['id'] for n in range(3)]
    sim.advance(1)
    deploy_id = deploy(sim, ids_)

    def run(filters: list[dict[str, t.Any]], limit: int = 10, offset: int = 0) -> dict[str, t.Any]:
        return gql(sim, query, {'f': filters, 'l': limit, 'o': offset}).json()
    listed = run([])['data']['executions']
    assert [n['id'] for n in listed['nodes']] == [deploy_id] + builds[::-1]  # newest first
    assert listed['pageInfo'] == {'hasMore': False, 'total': 4, 'offset': 0, 'limit': 10}
    batch = run([{'execution': {'operator': 'IN', 'values': [builds[0], deploy_id]}}])['data']['executions']['nodes']
    assert {n['id'] for n in batch} == {builds[0], deploy_id}
    active = run([{'pipeline': {'operator': 'EQUALS', 'values': [ids_['build']]}},
                  {'status': {'operator': 'IN', 'values': ['RUNNING', 'PAUSED', 'QUEUED', 'NEW']}}])['data']['executions']
    assert active['pageInfo']['total'] == 3
    page = run([], limit=2, offset=1)['data']['executions']
    assert [n['id'] for n in page['nodes']] == builds[::-1][:2] and page['pageInfo']['hasMore'] is True
    assert run([], limit=500)['data']['executions']['pageInfo']['limit'] == 100
    assert error(run([], limit=-1)).endswith(': Invalid request: Limit argument accepts only non negative values')
    assert error(run([{'execution': {'operator': 'EQUALS', 'values': ['a', 'b']}}])).endswith(
        ': Only one value needs to be inputted for operator EQUALS')
    created = status(sim, deploy_id)
    later = run([{'creationTime': {'operator': 'AFTER', 'value': sim.control('GET', 'clock')['now'] * 1000 - 100}}])
    assert [n['id'] for n in later['data']['executions']['nodes']] == [created['id']]
