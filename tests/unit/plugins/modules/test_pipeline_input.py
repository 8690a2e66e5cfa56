# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import ConflictError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import InputParameter
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_input
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import warnings
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import gate, stages

PIPELINE = 'shop/deploy'


def release_gate():
    return gate('Release',
                InputParameter('TARGET', type='choice', choices=['staging', 'production'], default='staging'),
                InputParameter('CHANGE_TICKET', required=True),
                InputParameter('SMOKE', type='boolean', default=True))


@pytest.fixture
def waiting(fake):
    """An execution waiting at the Release gate."""
    return fake.add_execution(PIPELINE, 'waiting', pending_inputs=[release_gate()])


def answer(run_module, execution, *, check=False, diff=False, **args):
    return run_module(pipeline_input, dict(execution=execution.to_result(), **args), check=check, diff=diff)


def test_approves_the_gate_with_parameters(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'TARGET': 'production', 'CHANGE_TICKET': 'CHG-1', 'SMOKE': False})

    assert result['changed'] is True and not result.get('failed')
    assert fake.writes('answer_input') == [('answer_input', {
        'execution': '1', 'gate': 'Release', 'approve': True,
        'values': {'TARGET': 'production', 'CHANGE_TICKET': 'CHG-1', 'SMOKE': False}})]
    assert result['execution']['status'] == 'running' and result['execution']['pending_inputs'] == []
    assert result['input']['id'] == 'Release'
    assert [p['name'] for p in result['input']['parameters']] == ['TARGET', 'CHANGE_TICKET', 'SMOKE']


def test_addresses_the_execution_by_pipeline_and_id(run_module, fake, waiting):
    result = run_module(pipeline_input, {'pipeline': PIPELINE, 'execution_id': '1', 'parameters': {'CHANGE_TICKET': 'C'}})

    assert result['changed'] is True and len(fake.writes('answer_input')) == 1


def test_unknown_parameter_lists_the_gates_parameters_and_sends_nothing(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C', 'TARGTE': 'production'})

    assert result['failed'] is True and result['changed'] is False
    assert "'TARGTE'" in result['msg'] and 'TARGET, CHANGE_TICKET, SMOKE' in result['msg']
    assert "input 'Release'" in result['msg']
    assert fake.writes() == []


def test_choice_outside_its_choices_fails_before_sending(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C', 'TARGET': 'moon'})

    assert result['failed'] is True and 'staging, production' in result['msg'] and "'moon'" in result['msg']
    assert fake.writes() == []


def test_a_required_gate_parameter_must_be_given(run_module, fake, waiting):
    result = answer(run_module, waiting)

    assert result['failed'] is True and "'CHANGE_TICKET' is required" in result['msg']
    assert fake.writes() == []


def test_a_non_boolean_for_a_boolean_fails(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C', 'SMOKE': 'maybe'})

    assert result['failed'] is True and 'SMOKE' in result['msg'] and 'boolean' in result['msg']
    assert fake.writes() == []


def test_rejects_the_gate(run_module, fake, waiting):
    result = answer(run_module, waiting, action='reject')

    assert result['changed'] is True and not result.get('failed')
    [call] = fake.sent('answer_input')
    assert call['approve'] is False and call['values'] == {} and call['gate'] == 'Release'
    assert result['execution']['status'] == 'aborted'


def test_reject_and_wait_ending_aborted_does_not_fail(run_module, fake, waiting):
    result = answer(run_module, waiting, action='reject', wait=True)

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'aborted'


def test_approve_and_wait_for_the_outcome(run_module, fake, waiting):
    fake.script(waiting, ['running', 'failed'])

    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'}, wait=True)

    assert result['failed'] is True and result['changed'] is True
    assert result['execution']['status'] == 'failed' and 'ended failed' in result['msg']


def test_reject_with_parameters_is_an_error(run_module, fake, waiting):
    result = answer(run_module, waiting, action='reject', parameters={'TARGET': 'staging'})

    assert result['failed'] is True and 'action=approve' in result['msg']
    assert fake.writes() == []


def test_no_pending_gate_on_an_active_execution_fails_naming_its_status(run_module, fake):
    running = fake.add_execution(PIPELINE, 'running', stages=stages(('Build', 'succeeded'), ('Test', 'running')))

    result = answer(run_module, running)

    assert result['failed'] is True and result['changed'] is False
    assert 'is running in stage Test' in result['msg'] and 'waits for no input' in result['msg']
    assert 'gate_timeout' in result['msg'] and result['execution']['status'] == 'running'
    assert fake.writes() == []


def test_no_pending_gate_on_a_finished_execution_changes_nothing_quietly(run_module, fake):
    done = fake.add_execution(PIPELINE, 'succeeded')

    result = answer(run_module, done, gate_timeout=60)

    assert result['changed'] is False and not result.get('failed')
    assert not any('no pending input' in w for w in warnings(result))
    assert fake.writes() == []


def test_answering_twice_changes_nothing_the_second_time(run_module, fake, waiting):
    first = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'})
    second = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'})

    assert first['changed'] is True and second['changed'] is False
    assert len(fake.writes('answer_input')) == 1
    assert 'input' not in second


def test_several_gates_without_input_id_is_an_error_naming_them(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate('Release'), gate('Smoke', stage='Test')])

    result = answer(run_module, execution)

    assert result['failed'] is True and 'Release, Smoke' in result['msg'] and 'input_id' in result['msg']
    assert fake.writes() == []


def test_input_id_picks_one_of_several_gates(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate('Release'), gate('Smoke')])

    result = answer(run_module, execution, input_id='Smoke')

    assert result['changed'] is True and fake.writes('answer_input')[0][1]['gate'] == 'Smoke'
    assert [g['id'] for g in result['execution']['pending_inputs']] == ['Release']


def test_the_backend_decides_which_gate_an_input_id_names(run_module, fake, monkeypatch):
    """How a vendor spells gate ids (e.g. Jenkins capitalises them) is the backend's knowledge, not the module's."""
    monkeypatch.setattr(type(fake), 'same_gate', lambda self, gate_id, wanted: gate_id.lower() == wanted.lower())
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate('Release')])

    result = answer(run_module, execution, input_id='RELEASE')

    assert result['changed'] is True and fake.writes('answer_input')[0][1]['gate'] == 'Release'


def test_a_comment_is_passed_to_the_backend(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate('Release')])

    result = answer(run_module, execution, comment='CAB approved CHG-1042')

    assert result['changed'] is True and fake.writes('answer_input')[0][1]['comment'] == 'CAB approved CHG-1042'


@pytest.mark.parametrize('check', [False, True])
@pytest.mark.parametrize('pending', [True, False])
def test_a_comment_for_a_vendor_that_keeps_none_is_refused_before_sending(run_module, fake, monkeypatch, check, pending):
    """Refused whether or not a gate is pending: it must not pass silently on a run with no gate."""
    monkeypatch.setattr(type(fake), 'comments', False)
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate('Release')] if pending else [])

    result = answer(run_module, execution, comment='ok', check=check)

    assert result['failed'] is True and 'does not record a comment' in result['msg']
    assert fake.writes() == [] and not any(name == 'get' for name, _args in fake.reads)


def test_input_id_of_no_pending_gate_fails_naming_the_gate_that_waits(run_module, fake, waiting):
    """A misspelled or wrong input_id while another gate waits: the task names the one that waits."""
    result = answer(run_module, waiting, input_id='Deploy')

    assert result['failed'] is True and result['changed'] is False and fake.writes() == []
    assert "input 'Deploy' is not pending" in result['msg']
    assert "waits at 'Release' (stage Approval, input)" in result['msg']


def test_a_gate_answered_before_changes_nothing_while_the_execution_goes_on(run_module, fake):
    """The second run of a playbook: the first answered Release and the execution now waits at Deploy."""
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[release_gate(), gate('Deploy', stage='Deploy')])
    first = answer(run_module, execution, input_id='Release', parameters={'CHANGE_TICKET': 'C'})

    again = answer(run_module, execution, input_id='Release', parameters={'CHANGE_TICKET': 'C'}, gate_timeout=60)

    assert first['changed'] is True and again['changed'] is False and not again.get('failed')
    assert len(fake.writes('answer_input')) == 1
    assert [g['id'] for g in again['execution']['pending_inputs']] == ['Deploy']


def test_a_gate_named_after_a_stage_that_ended_counts_as_passed(run_module, fake):
    """Where gates are named after their stage (Harness, Buddy, CodeArts), an ended stage is a passed gate."""
    fake.remember_gates = False
    execution = fake.add_execution(PIPELINE, 'running', stages=stages(('Release', 'succeeded'), ('Deploy', 'running')))

    result = answer(run_module, execution, input_id='Release')

    assert result['changed'] is False and not result.get('failed') and fake.writes() == []


def test_a_gate_named_after_a_stage_still_ahead_is_waited_for_then_fails(run_module, fake, clock):
    fake.remember_gates = False
    execution = fake.add_execution(PIPELINE, 'running', stages=stages(('Build', 'running'), ('Release', 'queued')))
    fake.script(execution, [{'status': 'running', 'stages': stages(('Build', 'running'), ('Release', 'queued'))}] * 1000)

    result = answer(run_module, execution, input_id='Release', gate_timeout=30)

    assert result['failed'] is True and "input 'Release' did not appear" in result['msg'] and 'within 30s' in result['msg']
    assert 'in stage Build' in result['msg'] and fake.writes() == []
    assert 25 <= clock.now - 1000.0 <= 31


def test_an_execution_that_ends_while_the_gate_is_awaited_changes_nothing(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'succeeded'])

    result = answer(run_module, execution, gate_timeout=600)

    assert result['changed'] is False and not result.get('failed') and fake.writes() == []
    assert result['execution']['status'] == 'succeeded'


def test_gate_timeout_waits_for_the_gate_to_appear(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'running', {'status': 'waiting', 'pending_inputs': [release_gate()]}])

    result = answer(run_module, execution, parameters={'CHANGE_TICKET': 'C'}, gate_timeout=600)

    assert result['changed'] is True and fake.writes('answer_input')[0][1]['gate'] == 'Release'
    assert clock.sleeps


def test_gate_timeout_passing_without_a_gate_fails_and_sends_nothing(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running'] * 1000)

    result = answer(run_module, execution, gate_timeout=30)

    assert result['failed'] is True and result['changed'] is False and fake.writes() == []
    assert 'no input appeared' in result['msg'] and 'within 30s' in result['msg']
    assert 25 <= clock.now - 1000.0 <= 31


def test_without_gate_timeout_it_does_not_wait(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', {'status': 'waiting', 'pending_inputs': [release_gate()]}])

    result = answer(run_module, execution)

    assert result['failed'] is True and clock.sleeps == [] and fake.writes() == []


def test_the_gate_is_validated_after_it_appears(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, [{'status': 'waiting', 'pending_inputs': [release_gate()]}])

    result = answer(run_module, execution, parameters={'CHANGE_TICKET': 'C', 'TARGET': 'moon'}, gate_timeout=60)

    assert result['failed'] is True and 'moon' in result['msg'] and fake.writes() == []


def test_check_mode_validates_the_answer(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C', 'TARGET': 'moon'}, check=True)

    assert result['failed'] is True and 'staging, production' in result['msg']


def test_check_mode_predicts_without_sending(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'}, check=True, diff=True)

    assert result['changed'] is True and not result.get('failed')
    assert result['execution']['status'] == 'running' and result['execution']['pending_inputs'] == []
    assert result['input']['id'] == 'Release'
    assert result['diff'] == {'before': {'status': 'waiting'}, 'after': {'status': 'running'}}
    assert fake.writes() == []
    assert fake.stored(PIPELINE, '1').pending_inputs  # still pending at the vendor


def test_check_mode_predicts_a_rejection(run_module, fake, waiting):
    result = answer(run_module, waiting, action='reject', check=True)

    assert result['changed'] is True and result['execution']['status'] == 'aborted' and fake.writes() == []


def test_check_mode_with_no_gate_predicts_no_change(run_module, fake):
    running = fake.add_execution(PIPELINE, 'running')

    assert answer(run_module, running, check=True)['changed'] is False


def test_diff_shows_the_status_change(run_module, fake, waiting):
    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'}, diff=True)

    assert result['diff'] == {'before': {'status': 'waiting'}, 'after': {'status': 'running'}}


def test_vendor_refusal_is_reported_with_its_message(run_module, fake, waiting):
    fake.fail('answer_input', ConflictError('jenkins: answer input Release of shop/deploy #1: HTTP 400: already '
                                            'answered', status=400))

    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'})

    assert result['failed'] is True and 'HTTP 400' in result['msg'] and 'already answered' in result['msg']


def test_a_vendor_without_gates_says_what_it_supports(run_module, fake, waiting):
    fake.capabilities = frozenset({'start', 'info', 'cancel'})

    result = answer(run_module, waiting)

    assert result['failed'] is True and 'does not support input' in result['msg']
    assert 'start, info, cancel' in result['msg'] and fake.writes() == []


def test_an_error_while_waiting_after_answering_still_reports_changed(run_module, fake, waiting):
    from ansible_collections.cicd.pipelines.plugins.module_utils._errors import AuthenticationError

    fake.fail('get', None, AuthenticationError('jenkins: HTTP 403: Forbidden', status=403))

    result = answer(run_module, waiting, parameters={'CHANGE_TICKET': 'C'}, wait=True)

    assert result['failed'] is True and result['changed'] is True
    assert result['execution']['status'] == 'running' and len(fake.writes('answer_input')) == 1
