# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Buddy backend against Buddy-shaped answers (fixtures/buddy, shapes from Buddy's API reference samples)."""

from __future__ import annotations

import datetime
import json
import pathlib
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._buddy import BuddyBackend
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AuthenticationError, InvalidState, NotFoundError, UnsupportedOperation, ValidationError)
from ansible_collections.cicd.pipelines.plugins.module_utils._http import _Broken
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, Level, StartRequest, Status
from ansible_collections.cicd.pipelines.plugins.module_utils._options import Connection

FIXTURES = pathlib.Path(__file__).resolve().parent / 'fixtures' / 'buddy'
URL = 'https://api.buddy.works'
TOKEN = 'bud_pat_0123456789abcdefdemo'
P = '/workspaces/acme/projects/shop/pipelines'
E = P + '/7/executions/3'


def fx(name: str) -> t.Any:
    return json.loads((FIXTURES / (name + '.json')).read_text(encoding='utf-8'))


@pytest.fixture(name='buddy')
def buddy_fixture(fake_transport: t.Any) -> t.Any:
    transport = fake_transport(URL, 'buddy')
    transport.add('GET', P, fx('pipelines'))
    transport.add('GET', P + '/7', fx('pipeline'))
    transport.add('GET', '/workspaces/acme/variables', fx('variables'))
    transport.add('GET', P + '/7/executions', fx('executions'))
    backend = BuddyBackend(Connection('buddy', api_url=URL, api_token=TOKEN, workspace='acme', project='shop',
                                      request_retries=2), transport=transport)
    backend.fake = transport
    return backend


def stub(execution_id: str = '3') -> Execution:
    return Execution(vendor='buddy', pipeline='shop/deploy', id=execution_id, scope={'project': 'shop', 'pipeline_id': 7})


def request(**kwargs: t.Any) -> StartRequest:
    values = dict(pipeline='deploy', parameters={'VERSION': '1.4.2', 'TARGET': 'production'}, key='rel-1.4.2',
                  key_derived=False)
    values.update(kwargs)
    return StartRequest(**values)


def test_requests_carry_the_bearer_token_and_go_below_the_workspace(buddy):
    buddy.fake.add('GET', E, fx('execution_failed'))

    buddy.get(stub(), Level.STAGES)

    sent = buddy.fake.calls('GET', E)[0]
    assert sent.url == URL + E and sent.header('Authorization') == 'Bearer ' + TOKEN


def test_the_us_cloud_is_the_default_url():
    backend = BuddyBackend(Connection('buddy', api_url=BuddyBackend.default_api_url(Connection('buddy')), api_token=TOKEN,
                                      workspace='acme', project='shop'))

    assert backend.http.base_url == 'https://api.buddy.works'


def test_a_pipeline_is_found_by_name_identifier_or_id_with_its_variables(buddy):
    info = buddy.describe_pipeline('deploy')

    assert info.pipeline == 'shop/deploy' and info.url.endswith('/pipeline/7')
    params = {p.name: p for p in info.parameters}
    assert params['VERSION'].default == '1.0.0' and params['DEPLOY_KEY'].type == 'password'
    assert params['DEPLOY_KEY'].default is None
    assert buddy.fake.calls('GET', '/workspaces/acme/variables')[0].params == {
        'projectName': 'shop', 'pipelineId': 7, 'project_name': 'shop', 'pipeline_id': 7}
    assert buddy.describe_pipeline('7').pipeline == 'shop/deploy'
    assert buddy.describe_pipeline('shop/deploy').pipeline == 'shop/deploy'


def test_an_unknown_pipeline_fails_listing_the_project_pipelines(buddy):
    with pytest.raises(NotFoundError) as info:
        buddy.describe_pipeline('deplyo')

    assert info.value.msg == ("buddy: project 'shop' of workspace 'acme' has no pipeline named 'deplyo' (by name, identifier "
                              "or id); its pipelines: build, deploy")


def test_start_sends_variables_with_encrypted_ones_marked_and_the_key_in_the_comment(buddy):
    buddy.fake.add('GET', P + '/7/executions', fx('executions'))
    buddy.fake.add('POST', P + '/7/executions', fx('started'), status=201)
    wanted = request(parameters={'VERSION': '1.4.2', 'DEPLOY_KEY': 'hunter2-deploy'}, notes='Release 1.4.2',
                     start_inputs={'branch': 'main', 'priority': 'HIGH', 'clear_cache': True, 'actions': [101, '102']})
    buddy.check_start(wanted, buddy.describe_pipeline('deploy'))

    # The failed run carries the key too (the module starts anew since it is neither active nor a success).
    assert [e.id for e in buddy.find_started(wanted)] == ['3']
    started = buddy.start(wanted)

    body = buddy.fake.calls('POST', P + '/7/executions')[0].json
    assert body == {'to_revision': {'revision': 'HEAD'}, 'comment': 'Release 1.4.2\ncicd-idempotency-key: rel-1.4.2',
                    'variables': [{'key': 'VERSION', 'value': '1.4.2'},
                                  {'key': 'DEPLOY_KEY', 'value': 'hunter2-deploy', 'encrypted': True}],
                    'branch': {'name': 'main'}, 'clear_cache': True, 'priority': 'HIGH', 'actions_to_run': [101, 102]}
    assert started.id == '4' and started.number == 4 and started.status == Status.QUEUED
    assert 'hunter2-deploy' in buddy.http.secrets


def test_find_started_pages_newest_first_and_matches_the_key_line(buddy):
    buddy.fake.add('GET', P + '/7/executions', fx('executions'))

    found = buddy.find_started(request(key='rel-1.4.1'))

    assert [e.id for e in found] == ['2'] and found[0].status == Status.SUCCEEDED
    assert buddy.fake.calls('GET', P + '/7/executions')[0].params == {'page': 1, 'per_page': 50}


def test_a_start_whose_answer_is_lost_is_looked_up_not_sent_again(buddy):
    after = fx('executions')
    after['executions'].insert(0, {k: v for k, v in fx('started').items() if k != 'action_executions'})
    lists = [fx('executions'), after]
    buddy.fake.add('GET', P + '/7/executions', handler=lambda r: lists.pop(0) if len(lists) > 1 else lists[0])
    buddy.fake.add('POST', P + '/7/executions', ambiguous=True)

    buddy.find_started(request())
    started = buddy.start(request())

    assert started.id == '4' and len(buddy.fake.calls('POST')) == 1


@pytest.mark.parametrize('inputs, words', [
    ({'branch': 'main', 'tag': 'v1'}, 'give one of the start inputs branch, tag and pull_request'),
    ({'actions': ['Build']}, 'must be a non-empty list of action ids'),
    ({'priority': 'URGENT'}, 'must be one of LOW, NORMAL, HIGH'),
    ({'speed': 'fast'}, 'does not take the start input speed'),
])
def test_bad_start_inputs_are_refused_before_anything_is_sent(buddy, inputs, words):
    with pytest.raises(ValidationError) as info:
        buddy.check_start(request(start_inputs=inputs), buddy.describe_pipeline('deploy'))

    assert words in info.value.msg and buddy.fake.calls('POST') == []


def test_a_token_without_the_run_scope_fails_naming_the_scope_and_not_the_token(buddy):
    buddy.fake.add('GET', P + '/7/executions', fx('executions'))
    buddy.fake.add('POST', P + '/7/executions', fx('error_scope'), status=403)

    with pytest.raises(AuthenticationError) as info:
        buddy.start(request())

    assert 'the token needs the scope EXECUTION_RUN' in info.value.msg
    assert 'You do not have permission to perform this action' in info.value.msg and TOKEN not in info.value.msg


def test_a_workspace_with_the_api_disabled_says_so(buddy):
    buddy.fake.add('GET', P, fx('error_disabled'), status=400)

    with pytest.raises(AuthenticationError) as info:
        buddy.describe_pipeline('deploy')

    assert 'API is disabled in this workspace.' in info.value.msg and 'Developer API' in info.value.msg


@pytest.mark.parametrize('status', [429, 403])
def test_rate_limiting_is_waited_out_until_the_reset(buddy, status):
    headers = {'X-Rate-Limit-Limit': '1000', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '4000000000'}
    answers = [(status, fx('error_rate'), headers), fx('execution_failed')]
    buddy.fake.add('GET', E, handler=lambda r: answers.pop(0))
    buddy.http.now = lambda: 3999999997.0

    found = buddy.get(stub(), Level.STAGES)

    assert found.status == Status.FAILED and buddy.fake.sleeps == [3.0]


def test_the_rate_limit_headers_slow_requests_down_before_the_limit(buddy):
    buddy.http.now = lambda: 3999999990.0
    buddy.fake.add('GET', E, fx('execution_failed'), headers={'X-Rate-Limit-Remaining': '3', 'X-Rate-Limit-Reset': '4000000000'})

    buddy.get(stub(), Level.STAGES)
    buddy.get(stub(), Level.STAGES)

    # Three calls left for the ten seconds until the reset: the next one waits a quarter of them.
    assert buddy.fake.sleeps == [pytest.approx(2.5)]


def test_a_failed_execution_reads_with_actions_as_stages(buddy):
    buddy.fake.add('GET', E, fx('execution_failed'))

    found = buddy.get(stub(), Level.STAGES)

    assert found.status == Status.FAILED and found.vendor_status == 'FAILED'
    assert [(s.name, s.status) for s in found.stages] == [
        ('Prepare', Status.SUCCEEDED), ('Smoke test', Status.FAILED), ('Release', Status.QUEUED), ('Deploy', Status.QUEUED)]
    assert found.duration == 2.368 and found.scope['revision'].startswith('506a39')


def test_a_wait_for_apply_is_an_approval_gate_without_parameters(buddy):
    buddy.fake.add('GET', E, fx('execution_apply'))

    found = buddy.get(stub())

    assert found.status == Status.WAITING
    gate = found.pending_inputs[0]
    assert (gate.kind, gate.stage, gate.parameters) == ('approval', 'Release', [])
    assert buddy.find_gate(found, 'Release') is gate and buddy.find_gate(found, '103') is gate


def test_a_wait_for_variables_is_a_gate_with_the_variables_of_the_action(buddy):
    buddy.fake.add('GET', E, fx('execution_variables'))
    buddy.fake.add('GET', E + '/action_executions/68e49e0e0875a8847e0980d4', fx('action_variables'))

    found = buddy.get(stub())

    assert found.status == Status.WAITING and found.vendor_status == 'INPROGRESS'
    gate = found.pending_inputs[0]
    assert gate.kind == 'variables' and gate.stage == 'Deploy'
    replicas, note = gate.parameters
    assert (replicas.type, replicas.choices, replicas.default) == ('choice', ['2', '4'], '2')
    assert note.required and note.default is None


def test_approving_sends_apply_for_the_waiting_action(buddy):
    buddy.fake.add('GET', E, fx('execution_apply'))
    buddy.fake.add('PATCH', E, fx('execution_variables'))
    current = buddy.get(stub())

    after = buddy.answer_input(current, current.pending_inputs[0], True, {})

    assert buddy.fake.calls('PATCH')[0].json == {'operation': 'APPLY', 'approve_action_id': '68e49e0e0875a8847e0980d3'}
    assert after.id == '3'


def test_variables_are_sent_with_fallbacks_after_being_checked(buddy):
    buddy.fake.add('GET', E, fx('execution_variables'))
    buddy.fake.add('GET', E + '/action_executions/68e49e0e0875a8847e0980d4', fx('action_variables'))
    buddy.fake.add('PATCH', E, fx('execution_variables'))
    current = buddy.get(stub())
    gate = buddy.find_gate(current, 'Deploy')

    with pytest.raises(ValidationError) as missing:
        buddy.check_answer(current, gate, True, {'REPLICAS': '4'}, None)
    with pytest.raises(ValidationError) as unknown:
        buddy.check_answer(current, gate, True, {'REPLICA': '4', 'NOTE': 'x'}, None)
    buddy.check_answer(current, gate, True, {'REPLICAS': '4', 'NOTE': 'go'}, None)
    buddy.answer_input(current, gate, True, {'REPLICAS': '4', 'NOTE': 'go'})

    assert "parameter 'NOTE' is required by action 'Deploy'" in missing.value.msg
    assert "unknown parameter 'REPLICA'" in unknown.value.msg
    assert buddy.fake.calls('PATCH')[0].json == {'operation': 'APPLY_VARIABLES', 'approve_action_id': '68e49e0e0875a8847e0980d4',
                                                 'variables': [{'key': 'REPLICAS', 'value': '4'}, {'key': 'NOTE', 'value': 'go'}]}


def test_rejecting_cancels_the_execution_and_comments_are_refused(buddy):
    buddy.fake.add('GET', E, fx('execution_apply'))
    terminated = dict(fx('execution_apply'), status='TERMINATED')
    buddy.fake.add('PATCH', E, terminated)
    current = buddy.get(stub())

    with pytest.raises(ValidationError):
        buddy.check_answer(current, current.pending_inputs[0], False, {}, 'no')
    after = buddy.answer_input(current, current.pending_inputs[0], False, {})

    assert buddy.fake.calls('PATCH')[0].json == {'operation': 'CANCEL'} and after.status == Status.ABORTED


def test_a_lost_approval_answer_is_looked_up_before_sending_again(buddy):
    reads = [fx('execution_apply'), fx('execution_variables')]
    buddy.fake.add('GET', E, handler=lambda r: reads.pop(0) if len(reads) > 1 else reads[0])
    buddy.fake.add('PATCH', E, ambiguous=True)
    current = buddy.get(stub(), Level.STAGES)

    after = buddy.answer_input(current, current.pending_inputs[0], True, {})

    assert len(buddy.fake.calls('PATCH')) == 1 and after.pending_inputs[0].stage == 'Deploy'


def test_retry_continues_the_same_execution(buddy):
    buddy.fake.add('GET', E, fx('execution_failed'))
    buddy.fake.add('PATCH', E, dict(fx('execution_failed'), status='INPROGRESS', finish_date=None))
    failed = buddy.get(stub(), Level.STAGES)

    retried = buddy.retry(failed)

    assert buddy.fake.calls('PATCH')[0].json == {'operation': 'RETRY'}
    assert retried.id == '3' and retried.status == Status.RUNNING and retried.previous_id is None
    assert Operation.RETRY in buddy.in_place


def test_only_failed_or_terminated_executions_are_retried(buddy):
    buddy.fake.add('GET', E, fx('execution_apply'))

    with pytest.raises(InvalidState) as info:
        buddy.retry(buddy.get(stub(), Level.STAGES))

    assert 'FAILED or TERMINATED' in info.value.msg and buddy.fake.calls('PATCH') == []


def test_resume_is_only_from_the_failed_action_and_names_pipeline_retry(buddy):
    buddy.fake.add('GET', E, fx('execution_failed'))
    failed = buddy.get(stub(), Level.STAGES)

    assert buddy.resumable_stages(failed) == ['Smoke test']
    with pytest.raises(UnsupportedOperation) as info:
        buddy.resume(failed, 'Prepare')

    assert 'cicd.pipelines.pipeline_retry' in info.value.msg


def test_cancel_sends_cancel_and_a_finished_execution_is_left_alone(buddy):
    reads = [fx('execution_apply'), dict(fx('execution_apply'), status='TERMINATED')]
    buddy.fake.add('GET', E, handler=lambda r: reads.pop(0) if len(reads) > 1 else reads[0])
    buddy.fake.add('PATCH', E, dict(fx('execution_apply'), status='TERMINATED'))

    cancelled = buddy.cancel(stub())
    again = buddy.cancel(stub())

    assert cancelled.status == Status.ABORTED and again.status == Status.ABORTED
    assert len(buddy.fake.calls('PATCH')) == 1


def test_the_log_tail_is_the_failed_action_log(buddy):
    buddy.fake.add('GET', E, fx('execution_failed'))
    buddy.fake.add('GET', E + '/action_executions/68e49e0e0875a8847e0980d2', fx('action_failed'))
    failed = buddy.get(stub(), Level.STAGES)

    tail = buddy.log_tail(failed, 2)

    assert tail.lines == ['2 tests failed', 'Command exited with code 1'] and tail.truncated
    assert tail.source == 'action Smoke test'


def test_a_poll_expects_the_end_after_the_median_of_recent_successful_runs(buddy):
    running = dict(fx('execution_apply'), status='INPROGRESS', start_date='2026-12-01T10:00:00.000Z')
    buddy.fake.add('GET', E, running)
    buddy.fake.add('GET', P + '/7/executions', fx('executions'))

    found = buddy.get(stub(), Level.STATUS)
    buddy.get(found, Level.STATUS)

    started = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone.utc).timestamp()
    assert found.expected_end == pytest.approx(started + 60)
    assert len(buddy.fake.calls('GET', P + '/7/executions')) == 1


def test_an_encrypted_value_is_never_shown_in_the_record(buddy):
    node = dict(fx('execution_failed'), variables=[{'key': 'DEPLOY_KEY', 'value': 'secure!abc', 'encrypted': True},
                                                   {'key': 'VERSION', 'value': '1.4.2', 'encrypted': False}])
    buddy.fake.add('GET', E, node)

    found = buddy.get(stub(), Level.STAGES)

    assert found.parameters == {'DEPLOY_KEY': None, 'VERSION': '1.4.2'}


def test_a_lost_connection_on_a_read_is_retried(buddy):
    answers: t.List[t.Any] = ['lost', fx('execution_failed')]

    def answer(request: t.Any) -> t.Any:
        item = answers.pop(0)
        if item == 'lost':
            raise _Broken('connection reset by peer')
        return item

    buddy.fake.add('GET', E, handler=answer)

    assert buddy.get(stub(), Level.STAGES).status == Status.FAILED


def test_a_token_that_may_not_read_variables_leaves_the_parameters_unchecked_with_a_warning(buddy):
    buddy.fake.add('GET', '/workspaces/acme/variables', {'errors': [{'message': 'no scope'}]}, status=403)

    info = buddy.describe_pipeline('deploy')

    assert info.parameters_known is False and info.parameters == []
    assert buddy.warnings == ["buddy: the token may not read the variables of pipeline 'shop/deploy' (scope VARIABLE_INFO), "
                              "so the parameters are sent without being checked"]


def test_a_status_poll_over_many_executions_reads_the_pipeline_list_once(buddy):
    found = buddy.get_many([stub('3'), stub('2')], Level.STATUS)

    assert [(e.id, e.status) for e in found] == [('3', Status.FAILED), ('2', Status.SUCCEEDED)]
    calls = buddy.fake.calls('GET', P + '/7/executions.*')
    assert len(calls) == 1 and calls[0].params == {'page': 1, 'per_page': 100}


def test_encrypted_values_are_secrets_before_the_key_lookup_or_check_mode_could_show_them(buddy):
    wanted = request(parameters={'DEPLOY_KEY': 'hunter2-deploy', 'VERSION': '1'})

    buddy.check_start(wanted, buddy.describe_pipeline('deploy'))

    assert 'hunter2-deploy' in buddy.http.secret_values() and '1' not in buddy.http.secret_values()


def test_without_the_variables_scope_secret_parameters_are_named_in_start_input_encrypted(buddy):
    buddy.fake.add('GET', '/workspaces/acme/variables', {'errors': [{'message': 'no scope'}]}, status=403)
    buddy.fake.add('POST', P + '/7/executions', fx('started'), status=201)
    wanted = request(parameters={'TOKEN': 'abc-secret', 'VERSION': '1'}, start_inputs={'encrypted': ['TOKEN']})
    info = buddy.describe_pipeline('deploy')

    buddy.check_start(wanted, info)
    buddy.start(wanted)

    assert buddy.fake.calls('POST')[0].json['variables'] == [{'key': 'TOKEN', 'value': 'abc-secret', 'encrypted': True},
                                                             {'key': 'VERSION', 'value': '1'}]
    assert 'abc-secret' in buddy.http.secret_values()
    assert any('VERSION is sent as plain variables' in w for w in buddy.warnings)
    with pytest.raises(ValidationError):
        buddy.check_start(request(start_inputs={'encrypted': ['NOPE']}), info)


def test_the_raw_record_never_holds_an_encrypted_value(buddy):
    node = dict(fx('execution_failed'), variables=[{'key': 'DEPLOY_KEY', 'value': 'secure!abc', 'encrypted': True}])
    buddy.fake.add('GET', E, node)

    found = buddy.get(stub(), Level.STAGES)

    assert found.raw['variables'] == [{'key': 'DEPLOY_KEY', 'value': None, 'encrypted': True}]


def test_api_disabled_is_recognised_whatever_the_status(buddy):
    buddy.fake.add('GET', P, fx('error_disabled'), status=403)

    with pytest.raises(AuthenticationError) as info:
        buddy.describe_pipeline('deploy')

    assert 'Developer API' in info.value.msg and 'scope' not in info.value.msg


def test_records_from_the_execution_list_are_read_in_full_before_they_are_returned(buddy):
    found = buddy.find_started(request(key='rel-1.4.1'))

    assert found[0].level == Level.STATUS


def test_the_key_line_survives_crlf_line_ends(buddy):
    listed = fx('executions')
    listed['executions'][1]['comment'] = 'Release\r\ncicd-idempotency-key: rel-1.4.1\r\n'
    buddy.fake.add('GET', P + '/7/executions', listed)

    assert [e.id for e in buddy.find_started(request(key='rel-1.4.1'))] == ['2']


def test_an_approval_is_passed_once_its_action_has_ended(buddy):
    buddy.fake.add('GET', E, fx('execution_apply'))
    found = buddy.get(stub())

    assert buddy.gate_passed(found, 'Release') is False
    assert buddy.gate_passed(found, 'Prepare') is True
