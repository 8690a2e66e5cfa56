# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.cicd.pipelines.plugins.filter.gate_answer import gate_answer
from ansible_collections.cicd.pipelines.plugins.filter.train import (train_acted, train_member, train_round, train_started,
                                                                     train_summary)


def execution(status, id='1', gates=(), terminal=None):
    return {'vendor': 'jenkins', 'pipeline': 'shop/deploy', 'id': id, 'status': status,
            'terminal': status in ('succeeded', 'failed', 'unstable', 'aborted') if terminal is None else terminal,
            'pending_inputs': list(gates)}


def gate(id='Release', stage='Approval', message='Release to production?', params=()):
    return {'id': id, 'stage': stage, 'message': message, 'kind': 'input',
            'parameters': [{'name': p} for p in params]}


def member(**spec):
    spec.setdefault('vendor', 'jenkins')
    spec.setdefault('pipeline', 'shop/deploy')
    return train_member(spec, 'shop', '1.4.2')


def started(members, *executions):
    return train_started(members, [{'execution': e} for e in executions])


# gate_answer ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('answer', [{'id': 'release'}, {'id': 'APPROVAL'}, {'stage': 'Approval'}, {'message': 'to prod'}])
def test_an_answer_matches_a_gate_by_id_or_stage_name_any_case_by_stage_or_by_message(answer):
    picked = gate_answer(execution('waiting', gates=[gate()]), [{'id': 'Other'}, answer])
    assert picked == {'gate': gate(), 'answer': answer}


def test_no_answer_for_the_pending_gate_is_none_and_a_bad_regex_is_one_message():
    assert gate_answer(execution('waiting', gates=[gate()]), [{'id': 'Deploy'}, {'message': 'staging'}]) is None
    assert gate_answer(execution('running'), [{'id': 'Release'}]) is None
    with pytest.raises(AnsibleFilterError, match=r"message '\(' is not a regular expression"):
        gate_answer(execution('waiting', gates=[gate()]), [{'message': '('}])


# train -------------------------------------------------------------------------------------------------

def test_a_member_gets_the_key_the_release_role_would_derive():
    assert member()['key'] == 'shop-shop-deploy-1.4.2'
    assert member(pipeline='team app/deploy')['key'] == 'shop-team-app-deploy-1.4.2'
    assert member(key='mine')['key'] == 'mine'
    with pytest.raises(AnsibleFilterError, match='needs vendor and pipeline'):
        train_member({'pipeline': 'x'}, 'shop', '1')


def test_a_round_answers_configured_gates_recovers_failures_and_ends_the_rest():
    members = started([member(gates=[{'id': 'Release'}]), member(attempts=2), member(attempts=2, recovery='resume'),
                       member(), member()],
                      *[execution('running', id=str(i)) for i in range(5)])
    after = train_round(members, [execution('waiting', '0', [gate()]), execution('failed', '1'), execution('unstable', '2'),
                                  execution('succeeded', '3'), execution('aborted', '4')], 'finish_group')

    assert [m['next'] for m in after] == ['gate', 'retry', 'resume', None, None]
    assert [m['state'] for m in after] == ['active', 'active', 'active', 'succeeded', 'failed']
    assert after[0]['pick']['gate']['id'] == 'Release'
    assert after[4]['failure'] == 'jenkins shop/deploy 4 ended aborted after 1 attempt(s)'


def test_a_gate_nobody_configured_fails_the_member_naming_it_and_stop_leaves_the_others():
    members = started([member(), member()], execution('running', '1'), execution('running', '2'))
    after = train_round(members, [execution('waiting', '1', [gate(params=['CHANGE_TICKET'])]), execution('running', '2')])

    assert after[0]['state'] == 'failed'
    assert "waits at 'Release' (stage Approval), which asks for CHANGE_TICKET" in after[0]['failure']
    assert after[1]['state'] == 'stopped' and after[1]['next'] is None and 'the train stopped' in after[1]['failure']


def test_only_the_members_still_driven_take_an_execution_from_the_wait():
    members = started([member(), member()], execution('succeeded', '1'), execution('running', '2'))
    members = train_round(members, [execution('succeeded', '1'), execution('running', '2')])
    assert [m['state'] for m in members] == ['succeeded', 'active']

    after = train_round(members, [execution('succeeded', '2')])
    assert [m['state'] for m in after] == ['succeeded', 'succeeded'] and after[1]['execution']['id'] == '2'
    with pytest.raises(AnsibleFilterError, match='1 active members but 2 executions'):
        train_round(members, [execution('running'), execution('running')])


def test_acting_records_the_answer_and_counts_the_recovery():
    members = started([member(gates=[{'id': 'Release', 'action': 'approve'}]), member(attempts=2), member()],
                      *[execution('running', str(i)) for i in range(3)])
    members = train_round(members, [execution('waiting', '0', [gate()]), execution('failed', '1'), execution('running', '2')])
    skipped = {'skipped': True}
    after = train_acted(members, [{'changed': True, 'execution': execution('running', '0')}, skipped, skipped],
                        [skipped, {'changed': True, 'execution': execution('running', '1b')}, skipped], [skipped] * 3)

    assert after[0]['gates_answered'] == [{'id': 'Release', 'stage': 'Approval', 'action': 'approve', 'changed': True}]
    assert after[0]['execution']['status'] == 'running' and after[0]['attempts'] == 1
    assert after[1]['attempts'] == 2 and after[1]['execution']['id'] == '1b'
    assert after[2]['attempts'] == 1 and after[2]['gates_answered'] == []
    assert all(m['next'] is None and m['pick'] is None for m in after)


def test_the_summary_leaves_out_the_bookkeeping():
    members = started([member(gates=[{'id': 'Release'}])], execution('succeeded'))
    summary = train_summary(members)[0]
    assert 'spec' not in summary and 'pick' not in summary and 'next' not in summary
    assert summary['key'] == 'shop-shop-deploy-1.4.2' and summary['status'] == 'succeeded'
