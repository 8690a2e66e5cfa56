# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CodeArts backend against answers shaped as the CodeArts SDK's models (fixtures/codearts)."""

from __future__ import annotations

import copy

import json
import pathlib
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._codearts import CodeArtsBackend
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AuthenticationError, InvalidState, NotFoundError, UnsupportedOperation, ValidationError)
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, Level, StartRequest, Status
from ansible_collections.cicd.pipelines.plugins.module_utils._options import Connection

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures' / 'codearts'
URL = 'https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com'
PID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
PIPE = 'f00dfeedf00dfeedf00dfeedf00dfeed'
RUN = 'a1a1a1a1b2b2b2b2c3c3c3c3d4d4d4d4'
AK, SK = 'AKDEMO000000000000', 'SKdemo/secret+0123456789abcdef'
BASE = '/v5/%s/api/pipelines' % PID
DETAIL = BASE + '/%s/pipeline-runs/detail' % PIPE


def fx(name: str) -> t.Any:
    return json.loads((FIXTURES / (name + '.json')).read_text(encoding='utf-8'))


def conn(**kwargs: t.Any) -> Connection:
    values = dict(region='cn-north-4', project_id=PID, access_key=AK, secret_key=SK, request_retries=2)
    values.update(kwargs)
    values.setdefault('api_url', CodeArtsBackend.default_api_url(Connection('codearts', **values)))
    return Connection('codearts', **values)


@pytest.fixture(name='codearts')
def codearts_fixture(fake_transport: t.Any) -> t.Any:
    transport = fake_transport(URL, 'codearts')
    transport.add('GET', BASE + '/' + PIPE, fx('pipeline'))
    transport.add('POST', BASE + '/list', fx('pipelines'))
    transport.add('POST', BASE + '/%s/pipeline-runs/list' % PIPE, fx('runs'))
    transport.add('GET', DETAIL, handler=lambda r: fx('run_older') if r.params['pipeline_run_id'] == 'e' * 32 else fx('run_failed'))
    backend = CodeArtsBackend(conn(), transport=transport)
    backend.fake = transport
    return backend


def stub(run_id: str = RUN) -> Execution:
    return Execution(vendor='codearts', pipeline='deploy', id=run_id, scope={'pipeline_id': PIPE})


def request(**kwargs: t.Any) -> StartRequest:
    values = dict(pipeline='deploy', parameters={'VERSION': '1.4.2', 'TARGET': 'production'}, key='rel-1.4.2', key_derived=False)
    values.update(kwargs)
    return StartRequest(**values)


def test_the_region_picks_the_endpoint_of_the_sdk_region_table():
    assert CodeArtsBackend.default_api_url(Connection('codearts', region='cn-north-4')) == URL
    assert CodeArtsBackend.default_api_url(Connection('codearts', region='tr-west-1')) == \
        'https://pipeline-external.tr-west-1.myhuaweicloud.com'
    assert CodeArtsBackend.default_api_url(Connection('codearts', region='af-south-1')) == 'https://pipeline.af-south-1.myhuaweicloud.com'


@pytest.mark.parametrize('values, words', [
    (dict(region='mars-1', access_key=AK, secret_key=SK), "no endpoint for region 'mars-1'"),
    (dict(region='cn-north-4', access_key=AK), 'access_key and secret_key together'),
    (dict(region='cn-north-4'), 'or api_token (an IAM token), or username and password'),
    (dict(region='cn-north-4', api_token='t', project_id='abc'), '32-character CodeArts project id'),
])
def test_connection_problems_are_named(values, words):
    problems = CodeArtsBackend.validate_connection(Connection('codearts', **values))

    assert any(words in p for p in problems), problems


def test_requests_are_signed_with_the_access_key(codearts):
    codearts.get(stub())

    sent = codearts.fake.calls('GET', DETAIL)[0]
    assert sent.header('Authorization').startswith('SDK-HMAC-SHA256 Access=%s, SignedHeaders=' % AK)
    assert sent.header('X-Sdk-Date') and sent.header('Host') == 'cloudpipeline-ext.cn-north-4.myhuaweicloud.com'
    assert sent.params == {'pipeline_run_id': RUN}


def test_an_iam_token_is_fetched_for_a_user_and_kept_secret(fake_transport):
    transport = fake_transport(URL, 'codearts')
    transport.add('POST', '/v3/auth/tokens', handler=lambda r: (201, {'token': {}}, {'X-Subject-Token': 'MIItoken-abc'}))
    transport.add('GET', DETAIL, fx('run_failed'))
    transport.add('GET', BASE + '/' + PIPE, fx('pipeline'))
    backend = CodeArtsBackend(conn(access_key=None, secret_key=None, username='bot', password='pw-secret', domain='acme',
                                   iam_url=URL), transport=transport)

    backend.get(stub())

    assert transport.calls('GET', DETAIL)[0].header('X-Auth-Token') == 'MIItoken-abc'
    body = transport.requests[0].json
    assert body['auth']['identity']['password']['user'] == {'name': 'bot', 'password': 'pw-secret', 'domain': {'name': 'acme'}}
    assert 'MIItoken-abc' in backend.http.secret_values()


def test_variables_are_typed_parameters_and_only_runtime_ones_may_be_set(codearts):
    info = codearts.describe_pipeline('deploy')

    params = {p.name: p for p in info.parameters}
    assert params['TARGET'].type == 'choice' and params['TARGET'].choices == ['staging', 'production']
    assert params['DEPLOY_TOKEN'].type == 'password' and params['VERSION'].default == '1.0.0'
    with pytest.raises(ValidationError) as refused:
        codearts.check_start(request(parameters={'REGION': 'eu'}), info)
    assert 'REGION' in refused.value.msg and 'runtime parameter' in refused.value.msg


def test_an_unknown_pipeline_lists_the_similar_ones(codearts):
    with pytest.raises(NotFoundError) as info:
        codearts.describe_pipeline('deplo')

    assert "no pipeline named 'deplo'" in info.value.msg and 'deploy, deploy-old' in info.value.msg


def test_start_sends_variables_sources_and_the_key_in_the_description(codearts):
    codearts.fake.add('POST', BASE + '/%s/run' % PIPE, {'pipeline_run_id': RUN})
    wanted = request(notes='Release 1.4.2', start_inputs={'branch': 'release/1.4', 'stages': ['stg1']},
                     parameters={'VERSION': '1.4.2', 'DEPLOY_TOKEN': 'tok-secret'})
    codearts.check_start(wanted, codearts.describe_pipeline('deploy'))

    started = codearts.start(wanted)

    body = codearts.fake.calls('POST', BASE + '/%s/run' % PIPE)[0].json
    assert body['description'] == 'Release 1.4.2\ncicd-idempotency-key: rel-1.4.2'
    assert body['variables'] == [{'name': 'VERSION', 'value': '1.4.2'}, {'name': 'DEPLOY_TOKEN', 'value': 'tok-secret'}]
    assert body['sources'][0]['params']['build_params'] == {
        'build_type': 'branch', 'event_type': 'Manual', 'target_branch': 'release/1.4'}
    assert body['sources'][0]['params']['git_url'] == 'https://codehub.example.com/shop.git'
    assert body['choose_stages'] == ['stg1']
    assert started.id == RUN and 'tok-secret' in codearts.http.secret_values()


def test_a_run_held_back_by_the_concurrency_limit_is_a_queued_execution(codearts):
    codearts.fake.add('POST', BASE + '/%s/run' % PIPE, fx('queued'))
    codearts.fake.add('GET', DETAIL, {'error_code': 'DEVCP.00012002', 'error_msg': 'record not found'})

    started = codearts.start(request())

    assert started.id == 'f' * 32 and started.status == Status.QUEUED and started.scope['queue_id'] == 'q1'
    assert any('waits in the queue' in w for w in codearts.warnings)


def test_an_error_code_inside_http_200_is_an_error(codearts):
    codearts.fake.add('POST', BASE + '/%s/run' % PIPE, fx('error_permission'))

    with pytest.raises(AuthenticationError) as info:
        codearts.start(request())

    assert info.value.msg == "codearts: could not run pipeline 'deploy': DEVCP.00014031 Insufficient permission"


def test_a_bad_signature_is_one_clear_message_without_the_secret_key(codearts):
    codearts.fake.add('GET', DETAIL, fx('error_auth'), status=401)

    with pytest.raises(AuthenticationError) as info:
        codearts.get(stub())

    assert 'APIGW.0301 Incorrect IAM authentication information' in info.value.msg and SK not in info.value.msg


def test_gateway_throttling_is_waited_out(codearts):
    answers = [(429, fx('throttled')), fx('run_failed')]
    codearts.fake.add('GET', DETAIL, handler=lambda r: answers.pop(0))

    assert codearts.get(stub()).status == Status.FAILED and len(codearts.fake.sleeps) == 1


def test_a_run_reads_with_its_stages_in_order(codearts):
    found = codearts.get(stub())

    assert found.status == Status.FAILED and found.number == 3
    assert [(s.name, s.status) for s in found.stages] == [('Prepare', Status.SUCCEEDED), ('Smoke test', Status.FAILED)]
    assert found.duration == 30.0 and found.idempotency_key == 'rel-1.4.2'


def test_a_waiting_manual_review_is_a_gate_answered_with_pass_and_its_comment(codearts):
    reads = [fx('run_review'), fx('run_checkpoint')]
    codearts.fake.add('GET', DETAIL, handler=lambda r: reads.pop(0) if len(reads) > 1 else reads[0])
    review = BASE + '/%s/pipeline-runs/%s/jobs/%s/steps/%s/pass' % (PIPE, RUN, 'job' + '3' * 29, 'stp' + '3' * 29)
    codearts.fake.add('POST', review, {'success': True})
    current = codearts.get(stub())

    gate = codearts.find_gate(current, 'Release')
    codearts.answer_input(current, gate, True, {}, 'ok by the CAB')

    assert current.status == Status.WAITING and gate.kind == 'approval'
    assert codearts.fake.calls('POST', review)[0].params == {'approval_description': 'ok by the CAB'}


def test_a_manual_checkpoint_is_passed_through_its_own_path_and_takes_no_comment(codearts):
    codearts.fake.add('GET', DETAIL, fx('run_checkpoint'))
    path = BASE + '/%s/pipeline-runs/%s/steps/%s/manual/refuse' % (PIPE, RUN, 'chk' + '4' * 29)
    codearts.fake.add('POST', path, {'success': True})
    current = codearts.get(stub())
    gate = codearts.find_gate(current, 'Deploy')

    with pytest.raises(ValidationError):
        codearts.check_answer(current, gate, False, {}, 'no')
    codearts.answer_input(current, gate, False, {})

    assert len(codearts.fake.calls('POST', path)) == 1


def test_retry_is_in_place_and_refused_for_a_run_that_did_not_fail(codearts):
    retry = BASE + '/%s/pipeline-runs/%s/retry' % (PIPE, RUN)
    codearts.fake.add('PUT', retry, {'success': True})
    reads = [fx('run_failed'), dict(fx('run_failed'), status='RUNNING', end_time=0)]
    codearts.fake.add('GET', DETAIL, handler=lambda r: reads.pop(0) if len(reads) > 1 else reads[0])

    retried = codearts.retry(stub())
    with pytest.raises(InvalidState) as refused:
        codearts.retry(stub())

    assert retried.id == RUN and retried.status == Status.RUNNING
    assert len(codearts.fake.calls('PUT', retry)) == 1 and 'retries only runs that are FAILED' in refused.value.msg


def test_resume_only_from_what_failed(codearts):
    failed = codearts.get(stub())

    with pytest.raises(UnsupportedOperation) as info:
        codearts.resume(failed, 'Prepare')

    assert codearts.resumable_stages(failed) == ['Smoke test'] and 'pipeline_retry' in info.value.msg


def test_cancel_stops_a_running_run_and_leaves_a_finished_one(codearts):
    stop = BASE + '/%s/pipeline-runs/%s/stop' % (PIPE, RUN)
    codearts.fake.add('POST', stop, {'success': True})

    finished = codearts.cancel(stub())
    codearts.fake.add('GET', DETAIL, fx('run_review'))
    codearts.cancel(stub())

    assert finished.status == Status.FAILED and len(codearts.fake.calls('POST', stop)) == 1


def test_the_log_tail_is_the_failed_step_log(codearts):
    logs = BASE + '/%s/pipeline-runs/%s/jobs/%s/steps/%s/logs' % (PIPE, RUN, 'job' + '2' * 29, 'stp' + '2' * 29)
    codearts.fake.add('POST', logs, fx('log'))

    tail = codearts.log_tail(codearts.get(stub()), 2)

    assert tail.lines == ['[smoke] 2 tests failed', '[smoke] exit code 1'] and tail.source == 'step smoke of job Smoke test'


def test_the_key_lookup_reads_the_newest_runs_in_detail(codearts):
    found = codearts.find_started(request(key='rel-1.4.1'))

    assert [e.id for e in found] == ['e' * 32]
    assert [c.params['pipeline_run_id'] for c in codearts.fake.calls('GET', DETAIL)] == [RUN, 'e' * 32]


def test_a_lost_start_is_looked_up_not_sent_again(codearts):
    lists = [fx('runs'), dict(fx('runs'), pipeline_runs=[{'pipeline_run_id': 'e' * 32}, {'pipeline_run_id': RUN},
                                                         {'pipeline_run_id': '9' * 32}])]
    codearts.fake.add('POST', BASE + '/%s/pipeline-runs/list' % PIPE, handler=lambda r: lists.pop(0) if len(lists) > 1 else lists[0])
    codearts.fake.add('GET', DETAIL, handler=lambda r: dict(fx('run_review'), id=r.params['pipeline_run_id']))
    codearts.fake.add('POST', BASE + '/%s/run' % PIPE, ambiguous=True)

    started = codearts.start(request())

    assert started.id in ('9' * 32, 'e' * 32, RUN) and len(codearts.fake.calls('POST', BASE + '/%s/run' % PIPE)) == 1
    assert Level.FULL == started.level


# Review findings -------------------------------------------------------------------------------------

def test_a_query_is_sent_exactly_as_it_was_signed(codearts):
    reads = [fx('run_review'), fx('run_checkpoint')]
    codearts.fake.add('GET', DETAIL, handler=lambda r: reads.pop(0) if len(reads) > 1 else reads[0])
    review = BASE + '/%s/pipeline-runs/%s/jobs/%s/steps/%s/pass' % (PIPE, RUN, 'job' + '3' * 29, 'stp' + '3' * 29)
    codearts.fake.add('POST', review, {'success': True})
    current = codearts.get(stub())

    codearts.answer_input(current, codearts.find_gate(current, 'Release'), True, {}, 'ok by the CAB*~')

    assert codearts.fake.calls('POST', review)[0].url.endswith('/pass?approval_description=ok%20by%20the%20CAB%2A~')


def test_a_retry_accepted_before_the_run_shows_it_is_reported_running_and_not_sent_again(codearts):
    retry = BASE + '/%s/pipeline-runs/%s/retry' % (PIPE, RUN)
    codearts.fake.add('PUT', retry, {'success': True})

    retried = codearts.retry(stub())

    assert retried.status == Status.RUNNING and retried.finished_at is None and retried.level == Level.STATUS
    assert len(codearts.fake.calls('PUT', retry)) == 1


def test_an_iam_token_given_wins_over_an_access_key_pair_from_the_environment(fake_transport):
    transport = fake_transport(URL, 'codearts')
    transport.add('GET', DETAIL, fx('run_failed'))
    transport.add('GET', BASE + '/' + PIPE, fx('pipeline'))
    backend = CodeArtsBackend(conn(api_token='MIIgiven-token'), transport=transport)

    backend.get(stub())

    sent = transport.calls('GET', DETAIL)[0]
    assert sent.header('X-Auth-Token') == 'MIIgiven-token' and sent.header('Authorization') is None


def test_fetching_a_token_for_a_user_needs_the_region():
    problems = CodeArtsBackend.validate_connection(Connection('codearts', api_url=URL, project_id=PID, username='bot',
                                                              password='pw'))

    assert any('needs region to fetch an IAM token' in p for p in problems)


def test_a_run_held_back_in_the_queue_is_queued_although_it_says_running(codearts):
    queued = fx('run_review')
    for stage in queued['stages']:
        stage['status'] = 'QUEUED'
    codearts.fake.add('GET', DETAIL, queued)

    assert codearts.get(stub()).status == Status.QUEUED


def test_the_log_tail_asks_for_the_last_lines(codearts):
    logs = BASE + '/%s/pipeline-runs/%s/jobs/%s/steps/%s/logs' % (PIPE, RUN, 'job' + '2' * 29, 'stp' + '2' * 29)
    codearts.fake.add('POST', logs, dict(fx('log'), has_more=True))

    tail = codearts.log_tail(codearts.get(stub()), 2)

    assert codearts.fake.calls('POST', logs)[0].json == {'sort': 'desc', 'limit': 2} and tail.truncated


def test_a_review_is_passed_once_its_step_has_ended_and_a_checkpoint_ahead_is_not(codearts):
    passed = copy.deepcopy(fx('run_review'))
    passed['stages'][2]['jobs'][0]['steps'][0]['status'] = 'COMPLETED'
    reads = [fx('run_review'), passed, fx('run_checkpoint')]
    codearts.fake.add('GET', DETAIL, handler=lambda r: reads.pop(0))
    waiting, answered, later = codearts.get(stub()), codearts.get(stub()), codearts.get(stub())

    assert codearts.gate_passed(waiting, 'stp' + '3' * 29) is False and codearts.gate_passed(waiting, 'Manual review') is False
    assert codearts.gate_passed(answered, 'stp' + '3' * 29) is True and codearts.gate_passed(answered, 'Manual review') is True
    assert codearts.gate_passed(waiting, 'Smoke test') is True
    assert codearts.gate_passed(later, 'chk' + '4' * 29) is False
    assert codearts.gate_passed(later, 'no such gate') is None
