# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Harness backend against Harness-shaped GraphQL and REST answers (fixtures/harness, shapes from the Harness
FirstGen API docs and the published schema)."""

from __future__ import annotations

import json
import pathlib
import re
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._harness import HarnessBackend
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._harness._graphql import DOCUMENTS
from ansible_collections.cicd.pipelines.plugins.module_utils._http import _Broken
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AmbiguousOutcomeError, ApiError, AuthenticationError, InvalidState, NotFoundError, TransientError, ValidationError,
    VendorValidationError)
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, Level, StartRequest, Status
from ansible_collections.cicd.pipelines.plugins.module_utils._options import Connection

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures' / 'harness'

URL = 'https://harness.example.com/gateway'
KEY = 'pat.harness.demo-key-0123456789'
ACCOUNT = 'kmpySmUISimoRrJL6NL73w'
APP_ID = 'Lxz3HGpfQTuGvjLQ-UHAZA'
_OPERATION = re.compile(r'^\s*(?:query|mutation)\s+(\w+)')


def operation_of(request: t.Any) -> str:
    return _OPERATION.match(request.json['query']).group(1)


class Harness:
    """A fake Harness: GraphQL answers by operation name (a list is answered in turn, the last one repeats)."""

    transport_class: t.Any = None  # conftest's FakeTransport, set by the autouse fixture below

    def __init__(self, **answers: t.Any) -> None:
        self.answers = {k: (v if isinstance(v, list) else [v]) for k, v in answers.items()}
        self.transport = self.transport_class(URL, 'harness')
        self.transport.add('POST', '/api/graphql', handler=self.graphql)
        self.backend = HarnessBackend(Connection('harness', api_url=URL, api_token=KEY, account_id=ACCOUNT,
                                                 request_retries=2), transport=self.transport)

    def graphql(self, request: t.Any) -> t.Any:
        name = operation_of(request)
        if name not in self.answers:
            raise AssertionError('unexpected GraphQL operation %s' % name)
        queue = self.answers[name]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request) if callable(answer) else answer

    def sent(self, name: t.Optional[str] = None) -> t.List[t.Any]:
        return [r for r in self.transport.calls('POST', '/api/graphql') if name is None or operation_of(r) == name]


@pytest.fixture(autouse=True)
def _transport_class(fake_transport: t.Any) -> None:
    Harness.transport_class = fake_transport


def fx(name: str) -> t.Any:
    """A fresh copy of fixtures/harness/<name>.json."""
    return json.loads((FIXTURES / (name + '.json')).read_text(encoding='utf-8'))


def lookups(**more: t.Any) -> t.Dict[str, t.Any]:
    return dict(cicdApplication=fx('application'), cicdEntity=fx('entity_pipeline'), **more)


def record(fixture: str) -> Execution:
    node = fx(fixture)['data']['execution']
    return Execution(vendor='harness', pipeline='shop/deploy', id=node['id'], scope={'application_id': APP_ID})


def request(**kwargs: t.Any) -> StartRequest:
    values = dict(pipeline='shop/deploy', parameters={'VERSION': '1.4.2', 'TARGET': 'production'}, key='rel-1.4.2',
                  key_derived=False)
    values.update(kwargs)
    return StartRequest(**values)


# Connection -------------------------------------------------------------------------------------

def test_every_call_is_a_graphql_post_with_the_api_key_header_and_the_account_id():
    fake = Harness(cicdExecution=fx('execution_failed'))

    fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'))

    sent = fake.sent()[0]
    assert sent.url == URL + '/api/graphql'
    assert sent.header('X-Api-Key') == KEY
    assert sent.params == {'accountId': ACCOUNT}
    assert sent.json['variables'] == {'id': 'exFailedAAAAAAAAAAAAAA'}


def test_saas_is_the_default_url_and_is_paced_to_thirty_calls_a_minute():
    saas = HarnessBackend(Connection('harness', api_url=HarnessBackend.default_api_url(Connection('harness')),
                                     api_token=KEY, account_id=ACCOUNT))
    onprem = HarnessBackend(Connection('harness', api_url=URL.replace('harness.example.com', 'cd.example.com'),
                                       api_token=KEY, account_id=ACCOUNT))
    chosen = HarnessBackend(Connection('harness', api_url=URL, api_token=KEY, account_id=ACCOUNT, calls_per_minute=12))

    assert saas.http.base_url == 'https://app.harness.io/gateway'
    assert saas.http.responses.budget == (30, 60.0)
    assert onprem.http.responses.budget is None
    assert chosen.http.responses.budget == (12, 60.0)


def test_a_budget_paces_calls_instead_of_running_into_429():
    clock = [1000.0]
    transport = Harness.transport_class(URL, 'harness', now=lambda: clock[0])
    transport.sleep = lambda seconds: (transport.sleeps.append(seconds), clock.__setitem__(0, clock[0] + seconds))
    transport.add('POST', '/api/graphql', fx('execution_failed'))
    backend = HarnessBackend(Connection('harness', api_url=URL, api_token=KEY, account_id=ACCOUNT, calls_per_minute=3),
                             transport=transport)
    stub = Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA')

    for _round in range(4):
        backend.get(stub, Level.STATUS)

    assert transport.sleeps == [60.0]


def test_an_invalid_api_key_is_an_authentication_error_in_harness_words_without_the_key():
    fake = Harness()
    fake.transport.add('POST', '/api/graphql', fx('unauthorized'), status=401, headers={'X-Harness-Error': 'INVALID_TOKEN'})

    with pytest.raises(AuthenticationError) as info:
        fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'))

    assert 'Token is not valid.' in info.value.msg and 'HTTP 401' in info.value.msg
    assert KEY not in info.value.msg


def test_429_is_waited_out_with_backoff_then_the_read_goes_on():
    fake = Harness(cicdExecution=[(429, fx('rate_limited')), (429, fx('rate_limited')), fx('execution_failed')])

    found = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'))

    assert found.status == Status.FAILED
    assert len(fake.sent('cicdExecution')) == 3 and len(fake.transport.sleeps) == 2
    assert fake.transport.retried == {'HTTP 429': 2}


def test_documents_are_constants_and_user_input_travels_only_in_variables():
    name = 'deploy") { id } mutation { x'
    fake = Harness(cicdApplication=fx('application'), cicdEntity=fx('entity_none'), cicdNames=fx('names'))

    with pytest.raises(NotFoundError):
        fake.backend.describe_pipeline('shop/' + name)

    for sent in fake.sent():
        assert sent.json['query'] in DOCUMENTS.values()
    assert fake.sent('cicdEntity')[0].json['variables'] == {'app': APP_ID, 'name': name}


# Names and ids ----------------------------------------------------------------------------------

def test_a_pipeline_is_found_by_application_and_pipeline_name_with_its_variables():
    fake = Harness(**lookups())

    info = fake.backend.describe_pipeline('shop/deploy')

    assert info.pipeline == 'shop/deploy'
    params = {p.name: p for p in info.parameters}
    assert params['VERSION'].required and params['VERSION'].default is None
    assert params['TARGET'].type == 'choice' and params['TARGET'].choices == ['staging', 'production']
    assert params['TARGET'].default == 'staging'
    assert fake.sent('cicdApplication')[0].json['variables'] == {'app': 'shop'}


def test_an_unknown_pipeline_fails_naming_what_the_application_has():
    fake = Harness(cicdApplication=fx('application'), cicdEntity=fx('entity_none'), cicdNames=fx('names'))

    with pytest.raises(NotFoundError) as info:
        fake.backend.describe_pipeline('shop/deplyo')

    assert info.value.msg == ("harness: application 'shop' has no pipeline or workflow named 'deplyo' (or with that id); "
                              "its pipelines: build, deploy; its workflows: smoke")


def test_an_unknown_application_fails_clearly():
    missing = {'data': {'byId': None, 'byName': None}, 'errors': [
        {'message': 'Application does not exist', 'path': ['byId']}, {'message': 'Application does not exist', 'path': ['byName']}]}
    fake = Harness(cicdApplication=missing)

    with pytest.raises(NotFoundError) as info:
        fake.backend.describe_pipeline('shpo/deploy')

    assert "application 'shpo' does not exist" in info.value.msg


def test_a_pipeline_name_must_name_its_application():
    with pytest.raises(ValidationError) as info:
        Harness().backend.describe_pipeline('deploy')

    assert 'APPLICATION/NAME' in info.value.msg


def test_a_name_shared_by_a_pipeline_and_a_workflow_must_say_which():
    both = fx('entity_pipeline')
    both['data']['workflowByName'] = {'id': 'wfIdAAAAAAAAAAAAAAAAAA', 'name': 'deploy', 'workflowVariables': []}
    both['errors'] = [e for e in both['errors'] if e['path'] != ['workflowByName']]
    fake = Harness(cicdApplication=fx('application'), cicdEntity=both)

    with pytest.raises(ValidationError) as info:
        fake.backend.describe_pipeline('shop/deploy')
    workflow = fake.backend.describe_pipeline('shop/workflow:deploy')

    assert 'shop/pipeline:deploy or shop/workflow:deploy' in info.value.msg
    assert workflow.pipeline == 'shop/deploy' and workflow.parameters == []


# Start ------------------------------------------------------------------------------------------

def test_start_sends_variables_by_name_and_the_key_in_the_notes_and_turns_warning_message_into_a_warning():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent'), cicdStart=fx('start')))
    wanted = request(notes='Release 1.4.2')

    # The earlier failed run carries the key too (the module starts anew since it is neither active nor a success).
    assert [e.id for e in fake.backend.find_started(wanted)] == ['exFailedAAAAAAAAAAAAAA']
    started = fake.backend.start(wanted)

    sent = fake.sent('cicdStart')[0].json['variables']['input']
    assert sent == {'applicationId': APP_ID, 'entityId': 'pRq8sGhJTvO7uxWw0xK2Lg', 'executionType': 'PIPELINE',
                    'variableInputs': [{'name': 'VERSION', 'variableValue': {'type': 'NAME', 'value': '1.4.2'}},
                                       {'name': 'TARGET', 'variableValue': {'type': 'NAME', 'value': 'production'}}],
                    'notes': 'Release 1.4.2\ncicd-idempotency-key: rel-1.4.2'}
    assert started.id == 'exStartedAAAAAAAAAAAAA' and started.status == Status.RUNNING
    assert started.idempotency_key == 'rel-1.4.2'
    assert fake.backend.warnings == ["harness: Ignoring values for variables: [COLOR] as they don't exist in Pipeline. "
                                     "Might be modified"]
    assert len(fake.sent('cicdExecutions')) == 1  # the key lookup's list is the start's "before"


def test_find_started_matches_the_key_line_in_the_notes():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent')))

    found = fake.backend.find_started(request(key='rel-1.4.1'))

    assert [e.id for e in found] == ['exSucceededAAAAAAAAAAA']
    filters = fake.sent('cicdExecutions')[0].json['variables']['filters']
    assert filters == [{'pipeline': {'operator': 'EQUALS', 'values': ['pRq8sGhJTvO7uxWw0xK2Lg']}}]


def test_variable_types_and_artifacts_become_variable_value_types_and_service_inputs():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent'), cicdStart=fx('start')))
    wanted = request(start_inputs={'variable_types': {'TARGET': 'id'},
                                   'artifacts': [{'service': 'shop-api', 'artifact_source': 'docker', 'build_number': 42}]})

    fake.backend.check_start(wanted, fake.backend.describe_pipeline('shop/deploy'))
    fake.backend.start(wanted)

    sent = fake.sent('cicdStart')[0].json['variables']['input']
    assert sent['variableInputs'][1] == {'name': 'TARGET', 'variableValue': {'type': 'ID', 'value': 'production'}}
    assert sent['serviceInputs'] == [{'name': 'shop-api', 'artifactValueInput': {
        'valueType': 'BUILD_NUMBER', 'buildNumber': {'artifactSourceName': 'docker', 'buildNumber': '42'}}}]


@pytest.mark.parametrize('inputs, words', [
    ({'variable_types': {'TARGET': 'VALUE'}}, "'TARGET' must be NAME, ID or EXPRESSION"),
    ({'variable_types': {'COLOR': 'ID'}}, "names 'COLOR', which is not among the parameters given"),
    ({'artifacts': [{'service': 'shop-api', 'build_number': 1}]}, 'missing artifact_source'),
    ({'artifacts': {'service': 'shop-api'}}, 'must be a list of {service, artifact_source, build_number}'),
    ({'colour': 1}, 'does not take the start input colour'),
])
def test_bad_start_inputs_are_refused_before_anything_is_sent(inputs, words):
    fake = Harness(**lookups())
    info = fake.backend.describe_pipeline('shop/deploy')

    with pytest.raises(ValidationError) as caught:
        fake.backend.check_start(request(start_inputs=inputs), info)

    assert words in caught.value.msg
    assert fake.sent('cicdStart') == []


def test_a_fixed_variable_cannot_be_set_at_start():
    fake = Harness(**lookups())

    with pytest.raises(ValidationError) as info:
        fake.backend.check_start(request(parameters={'VERSION': '1', 'REGION': 'us'}),
                                 fake.backend.describe_pipeline('shop/deploy'))

    assert 'variable REGION' in info.value.msg and 'fixed' in info.value.msg


def lost(request: t.Any) -> t.Any:
    """The request reached Harness (and took effect), its answer never came back."""
    raise _Broken('connection reset by peer after the request was sent')


def test_a_start_whose_answer_is_lost_is_looked_up_not_sent_again():
    recent = fx('executions_recent')
    after = fx('executions_recent')
    after['data']['executions']['nodes'].insert(0, fx('start')['data']['startExecution']['execution'])
    fake = Harness(**lookups(cicdExecutions=[recent, after], cicdStart=lost))
    wanted = request()

    fake.backend.find_started(wanted)
    started = fake.backend.start(wanted)

    assert started.id == 'exStartedAAAAAAAAAAAAA'
    assert len(fake.sent('cicdStart')) == 1


def test_harness_refusing_a_start_is_a_validation_error_in_its_words():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent'), cicdStart=fx('error_required')))

    with pytest.raises(VendorValidationError) as info:
        fake.backend.start(request(parameters={}))

    assert info.value.msg == ('harness: could not start pipeline \'shop/deploy\': Value not provided for required '
                              'variable: [${VERSION}]')


def test_a_mutation_is_never_resent_after_a_server_error():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent')))
    fake.transport.add('POST', '/api/graphql', handler=lambda r: (500, 'Error while handling api request') if
                       'cicdStart' in r.json['query'] else fake.graphql(r))

    with pytest.raises(TransientError):
        fake.backend.start(request())

    assert len([r for r in fake.transport.requests if 'cicdStart' in r.json['query']]) == 1


# Reads ------------------------------------------------------------------------------------------

def test_a_failed_execution_reads_with_stages_named_by_their_step():
    fake = Harness(cicdExecutionWithApprovals=dict(fx('execution_failed'), data=dict(
        fx('execution_failed')['data'], approvalDetails={'approvalDetails': []})))

    found = fake.backend.get(record('execution_failed'))

    assert found.status == Status.FAILED and found.vendor_status == 'FAILED'
    assert [(s.name, s.status) for s in found.stages] == [('Prepare', Status.SUCCEEDED), ('Smoke test', Status.FAILED)]
    assert found.pipeline == 'shop/deploy' and found.idempotency_key == 'rel-1.4.2'
    assert found.started_at == '2025-12-01T10:00:01Z' and found.duration == 29.0
    assert found.scope['application_id'] == APP_ID and found.scope['type'] == 'PIPELINE'


def test_a_pending_approval_is_a_gate_with_its_variables_read_in_the_same_call():
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_approval'))

    found = fake.backend.get(record('execution_paused_approval'))

    assert found.status == Status.WAITING
    gate = found.pending_inputs[0]
    assert (gate.id, gate.kind, gate.stage) == ('apprAAAAAAAAAAAAAAAAAA', 'approval', 'Release')
    assert [p.name for p in gate.parameters] == ['CHANGE_TICKET']
    assert 'release-managers' in gate.message
    assert len(fake.sent()) == 1


def test_a_stage_paused_for_runtime_inputs_is_a_gate_with_typed_parameters():
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_runtime'))

    found = fake.backend.get(record('execution_paused_runtime'))

    gate = found.pending_inputs[0]
    assert (gate.id, gate.kind, gate.stage) == ('s4AAAAAAAAAAAAAAAAAAAA', 'variables', 'Deploy')
    replicas = gate.parameters[0]
    assert (replicas.type, replicas.choices, replicas.default, replicas.required) == ('choice', ['2', '4'], '2', True)
    assert fake.backend.find_gate(found, 'Deploy') is gate
    assert fake.backend.find_gate(found, 'STAGE 4') is gate


def test_an_unknown_execution_is_not_found_in_harness_words():
    fake = Harness(cicdExecution=fx('error_not_found'))

    with pytest.raises(NotFoundError) as info:
        fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='nopeAAAAAAAAAAAAAAAAAA'))

    assert info.value.msg == ('harness: could not read execution nopeAAAAAAAAAAAAAAAAAA: Execution does not exist or '
                              'access is denied')


def test_many_executions_are_read_in_one_executions_call():
    fake = Harness(cicdExecutions=fx('executions_recent'))
    stubs = [Execution(vendor='harness', pipeline='shop/deploy', id=i) for i in ('exFailedAAAAAAAAAAAAAA', 'exSucceededAAAAAAAAAAA')]

    found = fake.backend.get_many(stubs, Level.STAGES)

    assert [(e.id, e.status) for e in found] == [('exFailedAAAAAAAAAAAAAA', Status.FAILED),
                                                 ('exSucceededAAAAAAAAAAA', Status.SUCCEEDED)]
    assert len(fake.sent()) == 1
    assert fake.sent()[0].json['variables']['filters'] == [
        {'execution': {'operator': 'IN', 'values': ['exFailedAAAAAAAAAAAAAA', 'exSucceededAAAAAAAAAAA']}}]


# Gates ------------------------------------------------------------------------------------------

def test_approving_sends_approve_or_reject_approvals_with_variables_and_comment():
    answered = dict(fx('execution_paused_runtime'))
    fake = Harness(cicdExecutionWithApprovals=[fx('execution_paused_approval'), answered],
                   cicdApprove={'data': {'approveOrRejectApprovals': {'success': True, 'clientMutationId': 'x'}}})
    current = fake.backend.get(record('execution_paused_approval'))
    gate = fake.backend.find_gate(current, 'Release')

    after = fake.backend.answer_input(current, gate, True, {'CHANGE_TICKET': 'CHG-1042'}, 'ok by CAB')

    sent = fake.sent('cicdApprove')[0].json['variables']['input']
    assert sent['action'] == 'APPROVE' and sent['approvalId'] == 'apprAAAAAAAAAAAAAAAAAA'
    assert sent['executionId'] == 'exPausedAAAAAAAAAAAAAA' and sent['applicationId'] == APP_ID
    assert sent['variableInputs'] == [{'name': 'CHANGE_TICKET', 'value': 'CHG-1042'}]
    assert sent['comments'] == 'ok by CAB'
    assert after.pending_inputs[0].kind == 'variables'


def test_runtime_inputs_are_sent_with_defaults_for_those_not_given():
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_runtime'),
                   cicdRuntimeInputs={'data': {'pipelineResumeRuntime': {'status': True, 'clientMutationId': None}}})
    current = fake.backend.get(record('execution_paused_runtime'))
    gate = fake.backend.find_gate(current, 'Deploy')

    fake.backend.answer_input(current, gate, True, {'REPLICAS': 4})

    sent = fake.sent('cicdRuntimeInputs')[0].json['variables']['input']
    assert sent['pipelineStageElementId'] == 's4AAAAAAAAAAAAAAAAAAAA'
    assert sent['variableInputs'] == [{'name': 'REPLICAS', 'variableValue': {'type': 'NAME', 'value': '4'}},
                                      {'name': 'ZONE', 'variableValue': {'type': 'NAME', 'value': 'a'}}]


@pytest.mark.parametrize('approve, values, comment, words', [
    (False, {}, None, 'cannot be rejected'),
    (True, {'REPLICAS': '3'}, None, "must be one of 2, 4"),
    (True, {'ZONE': 'b'}, None, 'ZONE of Deploy is fixed'),
    (True, {}, 'why', 'carry no comment'),
])
def test_runtime_input_answers_are_checked_before_anything_is_sent(approve, values, comment, words):
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_runtime'))
    current = fake.backend.get(record('execution_paused_runtime'))

    with pytest.raises(ValidationError) as info:
        fake.backend.check_answer(current, current.pending_inputs[0], approve, values, comment)

    assert words in info.value.msg


# Resume, retry, cancel --------------------------------------------------------------------------

def test_resume_maps_the_step_to_its_harness_stage_and_returns_the_new_execution():
    fake = Harness(**lookups(cicdExecutionWithApprovals=dict(fx('execution_failed'), data=dict(
        fx('execution_failed')['data'], approvalDetails={'approvalDetails': []})), cicdResume=fx('resume')))
    failed = fake.backend.get(record('execution_failed'))

    assert fake.backend.resumable_stages(failed) == ['Prepare', 'Smoke test', 'STAGE 1', 'STAGE 2']
    resumed = fake.backend.resume(failed, 'Smoke test')

    sent = fake.sent('cicdResume')[0].json['variables']['input']
    assert sent['pipelineStageName'] == 'STAGE 2' and sent['pipelineExecutionId'] == 'exFailedAAAAAAAAAAAAAA'
    assert resumed.id == 'exResumedAAAAAAAAAAAAA' and resumed.previous_id == 'exFailedAAAAAAAAAAAAAA'


def test_retry_resumes_from_the_first_stage_that_did_not_succeed():
    fake = Harness(**lookups(cicdExecution=fx('execution_failed'), cicdResume=fx('resume')))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    fake.backend.retry(failed)

    assert fake.sent('cicdResume')[0].json['variables']['input']['pipelineStageName'] == 'STAGE 2'


def test_the_continuation_is_the_later_execution_that_reuses_the_earlier_stages():
    fake = Harness(**lookups(cicdExecution=fx('execution_failed'), cicdExecutions=fx('executions_after_failed')))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    found = fake.backend.find_continuation(failed, Operation.RESUME)

    assert found.id == 'exResumedAAAAAAAAAAAAA' and found.previous_id == 'exFailedAAAAAAAAAAAAAA'
    filters = fake.sent('cicdExecutions')[0].json['variables']['filters']
    assert filters[1] == {'creationTime': {'operator': 'AFTER', 'value': 1764583200000}}


def test_a_resume_refused_as_not_the_latest_iteration_returns_the_continuation():
    fake = Harness(**lookups(cicdExecution=fx('execution_failed'), cicdResume=fx('error_latest_iteration'),
                             cicdExecutions=fx('executions_after_failed')))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    resumed = fake.backend.resume(failed, 'Smoke test')

    assert resumed.id == 'exResumedAAAAAAAAAAAAA'


@pytest.mark.parametrize('status', ['SUCCESS', 'PAUSED', 'RUNNING', 'SKIPPED'])
def test_only_resumable_states_can_be_resumed(status):
    answer = fx('execution_failed')
    answer['data']['execution']['status'] = status
    fake = Harness(cicdExecution=answer, cicdExecutionsStatus={'data': {'executions': {'nodes': []}}})
    current = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                               Level.STAGES)

    with pytest.raises(InvalidState) as info:
        fake.backend.resumable_stages(current)

    assert 'FAILED, ABORTED, REJECTED, EXPIRED, ERROR' in info.value.msg and status in info.value.msg


def test_workflow_executions_cannot_be_resumed():
    current = Execution(vendor='harness', pipeline='shop/smoke', id='x', vendor_status='FAILED', status=Status.FAILED,
                        scope={'type': 'WORKFLOW'})

    with pytest.raises(InvalidState) as info:
        Harness().backend.retry(current)

    assert 'workflow execution' in info.value.msg


def test_cancel_sends_the_rest_interrupt_abort_all():
    aborted = fx('execution_paused_approval')
    aborted['data']['execution']['status'] = 'ABORTED'
    fake = Harness(cicdExecution=fx('execution_paused_approval'), cicdExecutionWithApprovals=aborted)
    fake.transport.add('PUT', '/api/executions/exPausedAAAAAAAAAAAAAA', fx('abort'))

    after = fake.backend.cancel(Execution(vendor='harness', pipeline='shop/deploy', id='exPausedAAAAAAAAAAAAAA'))

    put = fake.transport.calls('PUT')[0]
    assert put.json == {'executionInterruptType': 'ABORT_ALL'}
    assert put.params == {'appId': APP_ID, 'accountId': ACCOUNT} and put.header('X-Api-Key') == KEY
    assert after.status == Status.ABORTED


def test_the_log_tail_is_none_since_firstgen_graphql_has_no_log_query():
    assert Harness().backend.log_tail(record('execution_failed'), 20) is None


def test_a_lost_connection_on_a_read_is_retried_but_on_a_mutation_is_ambiguous():
    fake = Harness(cicdExecution=[lost, fx('execution_failed')], cicdApprove=lost)

    found = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'), Level.STAGES)

    assert found.status == Status.FAILED and len(fake.sent('cicdExecution')) == 2
    with pytest.raises(AmbiguousOutcomeError):
        fake.backend.graphql.run(DOCUMENTS['approve'], {'input': {}}, 'approve', mutation=True)
    assert len(fake.sent('cicdApprove')) == 1


# Review findings -------------------------------------------------------------------------------------

def test_an_approval_without_variables_is_answered_without_variable_inputs():
    answer = fx('execution_paused_approval')
    answer['data']['approvalDetails']['approvalDetails'][0]['variables'] = []
    fake = Harness(cicdExecutionWithApprovals=[answer, fx('execution_paused_runtime')],
                   cicdApprove={'data': {'approveOrRejectApprovals': {'success': True, 'clientMutationId': None}}})
    current = fake.backend.get(record('execution_paused_approval'))

    fake.backend.answer_input(current, current.pending_inputs[0], True, {})

    assert 'variableInputs' not in fake.sent('cicdApprove')[0].json['variables']['input']


def test_a_key_with_spaces_is_found_again_and_the_last_key_line_wins():
    recent = fx('executions_recent')
    recent['data']['executions']['nodes'][0]['notes'] = ('quoting an old run: cicd-idempotency-key: other\n'
                                                         'cicd-idempotency-key: shop release 1.4.1')
    fake = Harness(**lookups(cicdExecutions=recent))

    found = fake.backend.find_started(request(key='shop release 1.4.1'))

    assert [e.id for e in found] == ['exSucceededAAAAAAAAAAA']


def test_a_key_with_a_line_break_is_refused_before_anything_is_sent():
    fake = Harness(**lookups())

    with pytest.raises(ValidationError) as info:
        fake.backend.check_start(request(key='a\nb'), fake.backend.describe_pipeline('shop/deploy'))

    assert 'line break' in info.value.msg


def test_required_variables_left_out_are_sent_with_their_defaults():
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent'), cicdStart=fx('start')))

    fake.backend.start(request(parameters={'VERSION': '1.4.2'}))

    sent = fake.sent('cicdStart')[0].json['variables']['input']['variableInputs']
    assert sent == [{'name': 'VERSION', 'variableValue': {'type': 'NAME', 'value': '1.4.2'}},
                    {'name': 'TARGET', 'variableValue': {'type': 'NAME', 'value': 'staging'}}]


def test_a_stage_name_is_sent_with_its_regular_expression_characters_escaped():
    answer = fx('execution_failed')
    answer['data']['execution']['pipelineStageExecutions'][1]['pipelineStageName'] = 'Prod (eu)'
    fake = Harness(cicdExecution=answer, cicdResume=fx('resume'))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    fake.backend.resume(failed, 'Smoke test')

    assert fake.sent('cicdResume')[0].json['variables']['input']['pipelineStageName'] == 'Prod \\(eu\\)'


def test_the_continuation_lookup_uses_the_record_and_not_the_name():
    fake = Harness(cicdExecution=fx('execution_failed'), cicdExecutions=fx('executions_after_failed'))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    assert fake.backend.find_continuation(failed, Operation.RETRY).id == 'exResumedAAAAAAAAAAAAA'
    assert fake.sent('cicdApplication') == [] and fake.sent('cicdEntity') == []


def test_an_error_inside_a_started_execution_keeps_the_start_and_warns():
    started = fx('start')
    started['data']['startExecution']['execution']['pipeline'] = None
    started['errors'] = [{'message': 'Exception while fetching data (/startExecution/execution/pipeline) : '
                                     'User not authorized', 'path': ['startExecution', 'execution', 'pipeline']}]
    fake = Harness(**lookups(cicdExecutions=fx('executions_recent'), cicdStart=started))

    execution = fake.backend.start(request())

    assert execution.id == 'exStartedAAAAAAAAAAAAA'
    assert any('startExecution.execution.pipeline' in w and 'User not authorized' in w for w in fake.backend.warnings)


def test_a_second_attempt_refused_because_the_gate_no_longer_waits_counts_as_answered():
    refused = {'data': {'approveOrRejectApprovals': None}, 'errors': [{
        'message': 'Exception while fetching data (/approveOrRejectApprovals) : Invalid argument(s): No Pipeline '
                   'execution [exPausedAAAAAAAAAAAAAA] waiting for approval id: apprAAAAAAAAAAAAAAAAAA',
        'path': ['approveOrRejectApprovals']}]}
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_approval'), cicdApprove=[lost, refused])
    current = fake.backend.get(record('execution_paused_approval'))

    after = fake.backend.answer_input(current, current.pending_inputs[0], True, {'CHANGE_TICKET': 'CHG-1'})

    assert len(fake.sent('cicdApprove')) == 2 and after.id == current.id


def test_a_read_failing_after_an_answer_took_effect_reports_a_change():
    fake = Harness(cicdExecutionWithApprovals=[fx('execution_paused_approval'), (500, 'down'), (500, 'down'),
                                               (500, 'down')],
                   cicdApprove={'data': {'approveOrRejectApprovals': {'success': True, 'clientMutationId': None}}})
    current = fake.backend.get(record('execution_paused_approval'))

    with pytest.raises(ApiError) as info:
        fake.backend.answer_input(current, current.pending_inputs[0], True, {})

    assert info.value.changed is True and 'was done, but reading the execution afterwards failed' in info.value.msg


def test_a_step_that_runs_in_two_stages_is_named_with_its_stage():
    answer = fx('execution_failed')
    stages = answer['data']['execution']['pipelineStageExecutions']
    stages[0]['pipelineStepName'] = stages[1]['pipelineStepName'] = 'Deploy'
    fake = Harness(cicdExecution=answer, cicdResume=fx('resume'))
    failed = fake.backend.get(Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA'),
                              Level.STAGES)

    assert [s.name for s in failed.stages] == ['Deploy (STAGE 1)', 'Deploy (STAGE 2)']
    fake.backend.retry(failed)
    assert fake.sent('cicdResume')[0].json['variables']['input']['pipelineStageName'] == 'STAGE 2'


def test_an_approval_harness_cannot_answer_through_its_api_is_refused_before_sending():
    answer = fx('execution_paused_approval')
    answer['data']['approvalDetails']['approvalDetails'][0]['approvalType'] = 'JIRA'
    fake = Harness(cicdExecutionWithApprovals=answer)
    current = fake.backend.get(record('execution_paused_approval'))

    with pytest.raises(ValidationError) as info:
        fake.backend.check_answer(current, current.pending_inputs[0], True, {}, None)

    assert 'JIRA Approval Type not supported' in info.value.msg
    assert 'answered in Jira' in current.pending_inputs[0].message


def test_a_poll_expects_the_end_after_the_median_of_recent_successful_runs_read_once_per_pipeline():
    running = fx('execution_failed')
    running['data']['execution'].update(status='RUNNING', endedAt=None, startedAt=1764583201000)
    durations = [{'data': {'executions': {'nodes': [
        {'__typename': 'PipelineExecution', 'id': 'h%d' % i, 'status': 'SUCCESS', 'createdAt': 0,
         'startedAt': 1764500000000, 'endedAt': 1764500000000 + seconds * 1000} for i, seconds in enumerate((40, 60, 300))]}}}]
    fake = Harness(cicdExecution=running, cicdExecutionsStatus=durations)
    stub = Execution(vendor='harness', pipeline='shop/deploy', id='exFailedAAAAAAAAAAAAAA')

    first = fake.backend.get(stub, Level.STATUS)
    fake.backend.get(first, Level.STATUS)

    assert first.expected_end == 1764583201.0 + 60
    lookups_sent = fake.sent('cicdExecutionsStatus')
    assert len(lookups_sent) == 1
    assert lookups_sent[0].json['variables']['filters'] == [
        {'pipeline': {'operator': 'EQUALS', 'values': ['pRq8sGhJTvO7uxWw0xK2Lg']}},
        {'status': {'operator': 'IN', 'values': ['SUCCESS']}}]


def test_a_gate_named_by_its_stage_is_passed_once_that_stage_has_ended():
    """The second run of a playbook that approved Release: the execution now waits for Deploy's runtime inputs."""
    fake = Harness(cicdExecutionWithApprovals=fx('execution_paused_runtime'))
    current = fake.backend.get(record('execution_paused_runtime'))

    assert fake.backend.gate_passed(current, 'Release') is True
    assert fake.backend.gate_passed(current, 'Deploy') is False
    assert fake.backend.gate_passed(current, 'apprAAAAAAAAAAAAAAAAAA') is None
