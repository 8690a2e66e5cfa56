# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import AuthenticationError, TransientError
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_info, pipeline_start
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import warnings
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import gate, stages

PIPELINE = 'team/app/deploy'


@pytest.fixture
def fake(fake):
    fake.add_pipeline(PIPELINE)
    fake.add_pipeline('team/app/never-run')
    return fake


def info(run_module, *, check=False, **args):
    return run_module(pipeline_info, args, check=check)


def test_reads_an_execution_by_the_record_an_earlier_task_returned(run_module, fake):
    started = run_module(pipeline_start, {'pipeline': PIPELINE})['execution']
    fake.script(fake.stored(PIPELINE, started['id']),
                [{'status': 'waiting', 'stages': stages(('Build', 'succeeded'), ('Approval', 'waiting')),
                  'pending_inputs': [gate('Release')]}])

    result = info(run_module, execution=started)

    assert result['changed'] is False and not result.get('failed')
    execution = result['execution']
    assert execution['id'] == started['id'] and execution['status'] == 'waiting'
    assert [(s['name'], s['status']) for s in execution['stages']] == [('Build', 'succeeded'), ('Approval', 'waiting')]
    assert execution['pending_inputs'][0]['id'] == 'Release'
    assert fake.writes('start') and not fake.writes('cancel')


def test_reads_a_record_that_was_still_queued(run_module, fake):
    # wait_timeout=0: the start does not follow the queue item, so it returns it without id
    started = run_module(pipeline_start, {'pipeline': PIPELINE, 'wait_timeout': 0})['execution']
    assert started['id'] is None

    result = info(run_module, execution=started)

    assert result['execution']['id'] == '1' and result['execution']['status'] == 'running'


def test_reads_by_pipeline_and_id(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded')
    fake.add_execution(PIPELINE, 'failed')

    result = info(run_module, pipeline=PIPELINE, execution_id='1')

    assert result['execution']['id'] == '1' and result['execution']['status'] == 'succeeded'
    assert result['execution']['terminal'] is True


def test_reads_the_latest_execution_of_a_pipeline(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded')
    fake.add_execution(PIPELINE, 'running')

    result = info(run_module, pipeline=PIPELINE)

    assert result['changed'] is False and result['execution']['id'] == '2'
    assert result['execution']['status'] == 'running'


def test_latest_of_a_pipeline_that_never_ran_is_null(run_module, fake):
    result = info(run_module, pipeline='team/app/never-run')

    assert not result.get('failed') and result['changed'] is False
    assert result['execution'] is None


def test_waiting_for_the_latest_of_a_pipeline_that_never_ran_fails(run_module, fake):
    result = info(run_module, pipeline='team/app/never-run', wait=True)

    assert result['failed'] is True and 'no executions' in result['msg']


def test_unknown_execution_fails_with_not_found(run_module, fake):
    result = info(run_module, pipeline=PIPELINE, execution_id='99')

    assert result['failed'] is True and 'not found' in result['msg'] and '#99' in result['msg']


def test_nothing_to_address_is_an_error(run_module, fake):
    result = info(run_module)

    assert result['failed'] is True and 'pipeline' in result['msg'] and 'execution' in result['msg']


def test_execution_and_pipeline_are_mutually_exclusive(run_module, fake):
    record = fake.add_execution(PIPELINE).to_result()

    result = info(run_module, execution=record, pipeline=PIPELINE)

    assert result['failed'] is True and 'mutually exclusive' in result['msg']


def test_a_record_of_another_vendor_is_refused_clearly(run_module, fake):
    record = dict(fake.add_execution(PIPELINE).to_result(), vendor='teamcity')

    result = info(run_module, execution=record)

    assert result['failed'] is True
    assert result['msg'] == ("execution is a record of vendor 'teamcity', which this collection does not support; "
                             "supported: buddy, codearts, harness, jenkins")
    assert not any(r[0] == 'get' for r in fake.reads)


def test_something_that_is_not_a_record_is_refused_clearly(run_module, fake):
    result = info(run_module, execution={'id': '3'})

    assert result['failed'] is True and 'missing' in result['msg'] and 'vendor' in result['msg']
    assert 'earlier' in result['msg']


def test_return_raw_adds_the_vendor_payload(run_module, fake):
    fake.add_execution(PIPELINE, raw={'result': 'SUCCESS', '_class': 'WorkflowRun'})

    plain = info(run_module, pipeline=PIPELINE, execution_id='1')
    raw = info(run_module, pipeline=PIPELINE, execution_id='1', return_raw=True)

    assert 'raw' not in plain['execution']
    assert raw['execution']['raw'] == {'result': 'SUCCESS', '_class': 'WorkflowRun'}


# Waiting ----------------------------------------------------------------------------------------------


def test_waits_for_a_status(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'running', {'status': 'waiting', 'pending_inputs': [gate()]}, 'succeeded'])

    result = info(run_module, execution=execution.to_result(), wait_for=['waiting'])

    assert not result.get('failed') and result['changed'] is False
    assert result['execution']['status'] == 'waiting' and result['timed_out'] is False
    assert fake.scripts[(PIPELINE, '1')] == ['succeeded']
    assert clock.sleeps  # it really polled (in no real time)


def test_wait_ending_failed_fails_the_task_with_the_execution(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['failed'])

    result = info(run_module, execution=execution.to_result(), wait=True)

    assert result['failed'] is True and result['changed'] is False
    assert result['execution']['status'] == 'failed'
    assert 'team/app/deploy #1 ended failed' in result['msg']


def test_wait_timeout_reports_what_it_waited_for(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running'] * 1000)

    result = info(run_module, execution=execution.to_result(), wait=True, wait_timeout=30)

    assert result['failed'] is True and 'timed out after 30s' in result['msg']
    assert result['execution']['status'] == 'running'
    # As the user guide says: a failed wait also tells how long it waited and that it ran out of time.
    assert result['timed_out'] is True and result['elapsed'] >= 30


def test_an_execution_that_ends_badly_reports_the_wait_too(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'failed'])

    result = info(run_module, execution=execution.to_result(), wait=True)

    assert result['failed'] is True and result['timed_out'] is False and 'elapsed' in result


def test_a_negative_execution_id_is_refused_clearly(run_module, fake):
    result = info(run_module, pipeline=PIPELINE, execution_id='-1')

    assert result['failed'] is True and "execution_id must be the id (or number) of an execution, got '-1'" in result['msg']


def test_transient_errors_while_waiting_are_ridden_out(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'succeeded'])
    fake.fail('get', None, TransientError('HTTP 503', status=503), TransientError('HTTP 503', status=503))

    result = info(run_module, execution=execution.to_result(), wait=True)

    assert not result.get('failed') and result['execution']['status'] == 'succeeded'


def test_check_mode_still_reads_and_waits(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['running', 'succeeded'])

    result = info(run_module, execution=execution.to_result(), wait=True, check=True)

    assert not result.get('failed') and result['changed'] is False
    assert result['execution']['status'] == 'succeeded' and 'elapsed' in result


def test_check_mode_still_waits_for_many(run_module, fake):
    first, second = fake.add_execution(PIPELINE, 'running'), fake.add_execution(PIPELINE, 'running')
    fake.script(first, ['succeeded'])
    fake.script(second, ['running', 'succeeded'])

    result = info(run_module, executions=[first.to_result(), second.to_result()], wait=True, check=True)

    assert not result.get('failed') and [e['status'] for e in result['executions']] == ['succeeded', 'succeeded']


def test_check_mode_reads_the_latest(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded')

    result = info(run_module, pipeline=PIPELINE, check=True)

    assert result['execution']['id'] == '1' and fake.writes() == []


# Many executions at once --------------------------------------------------------------------------------


def test_reads_many_executions_given_as_records_and_ids_in_order(run_module, fake):
    first = fake.add_execution(PIPELINE, 'succeeded')
    second = fake.add_execution(PIPELINE, 'running')
    other = fake.add_execution('team/other', 'failed')

    result = info(run_module, pipeline=PIPELINE, executions=[other.to_result(), '2', first.to_result()])

    assert not result.get('failed') and result['changed'] is False
    assert 'execution' not in result
    assert [(e['pipeline'], e['id'], e['status']) for e in result['executions']] == [
        ('team/other', '1', 'failed'), (PIPELINE, second.id, 'running'), (PIPELINE, '1', 'succeeded')]


def test_fan_out_wait_ends_when_every_execution_has_ended(run_module, fake):
    quick, slow, slower = [fake.add_execution(PIPELINE, 'running') for count in range(3)]
    fake.script(quick, ['succeeded'])
    fake.script(slow, ['running', 'running', 'succeeded'])
    fake.script(slower, ['running'] * 5 + ['unstable'])

    result = info(run_module, executions=[quick.to_result(), slow.to_result(), slower.to_result()], wait=True,
                  fail_on=['failed'])

    assert not result.get('failed'), result.get('msg')
    assert [e['status'] for e in result['executions']] == ['succeeded', 'succeeded', 'unstable']
    assert result['timed_out'] is False
    # a finished execution is not read again while the others are still going
    reads = [r[1][1] for r in fake.reads if r[0] == 'get']
    assert reads.count(quick.id) == 1 and reads.count(slower.id) == 6


def test_fan_out_wait_fails_naming_the_failed_execution_and_returns_them_all(run_module, fake):
    good, bad = fake.add_execution(PIPELINE, 'running'), fake.add_execution(PIPELINE, 'running')
    fake.script(good, ['succeeded'])
    fake.script(bad, ['running', 'failed'])

    result = info(run_module, executions=[good.to_result(), bad.to_result()], wait=True)

    assert result['failed'] is True
    assert 'team/app/deploy #2 ended failed' in result['msg'] and '#1' not in result['msg']
    assert [e['status'] for e in result['executions']] == ['succeeded', 'failed']


def test_fan_out_timeout_names_only_the_unfinished_ones(run_module, fake):
    done, stuck = fake.add_execution(PIPELINE, 'running'), fake.add_execution(PIPELINE, 'running')
    fake.script(done, ['succeeded'])
    fake.script(stuck, ['running'] * 1000)

    result = info(run_module, executions=[done.to_result(), stuck.to_result()], wait=True, wait_timeout=100)

    assert result['failed'] is True and 'timed out' in result['msg']
    assert 'team/app/deploy #2 is running' in result['msg'] and '#1' not in result['msg']
    assert [e['status'] for e in result['executions']] == ['succeeded', 'running']


def test_ids_in_executions_need_a_pipeline(run_module, fake):
    result = info(run_module, executions=['1'])

    assert result['failed'] is True and 'ids need pipeline' in result['msg']


def test_executions_with_a_record_of_another_vendor_is_refused(run_module, fake):
    record = dict(fake.add_execution(PIPELINE).to_result(), vendor='teamcity')

    result = info(run_module, executions=[record])

    assert result['failed'] is True and 'teamcity' in result['msg'] and 'jenkins' in result['msg']


def test_executions_and_execution_are_mutually_exclusive(run_module, fake):
    record = fake.add_execution(PIPELINE).to_result()

    result = info(run_module, executions=[record], execution=record)

    assert result['failed'] is True and 'mutually exclusive' in result['msg']


def test_empty_executions_list_reads_nothing(run_module, fake):
    result = info(run_module, executions=[], wait=True)

    assert not result.get('failed') and result['executions'] == []


def test_diff_mode_shows_no_diff_for_a_read(run_module, fake):
    # pipeline_info documents diff_mode support none: a read must not look like a change under --diff
    fake.add_execution(PIPELINE, 'running')

    result = run_module(pipeline_info, {'pipeline': PIPELINE, 'execution_id': '1'}, diff=True)

    assert 'diff' not in result and result['changed'] is False


@pytest.mark.parametrize('check', [False, True])
def test_on_timeout_cancel_is_refused_because_info_only_reads(run_module, fake, check):
    """An _info module never changes anything, not even when a wait times out (nor in check mode)."""
    stuck = fake.add_execution(PIPELINE, 'running')
    fake.script(stuck, ['running'] * 1000)

    result = run_module(pipeline_info, {'executions': [stuck.to_result()], 'wait': True, 'wait_timeout': 100,
                                        'on_timeout': 'cancel'}, check=check)

    assert result['failed'] is True and result['changed'] is False
    assert 'on_timeout=cancel is refused' in result['msg'] and 'fail, detach' in result['msg']
    assert 'pipeline_cancel' in result['msg']
    assert fake.writes() == [] and fake.reads == []


def test_a_poll_error_while_reading_reports_nothing_changed(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.fail('get', None, AuthenticationError('HTTP 401', status=401))

    result = info(run_module, execution=execution.to_result(), wait=True)

    assert result['failed'] is True and result['changed'] is False


# Log tail ---------------------------------------------------------------------------------------------


LOG = ['line %d' % n for n in range(1, 41)] + ['ERROR: deploy failed, token tok-5f1e0c9a7b3d4e2f rejected']


def test_a_failed_wait_returns_the_last_20_log_lines_by_default_with_secrets_masked(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['failed'])
    fake.logs[(PIPELINE, execution.id)] = LOG

    result = info(run_module, execution=execution.to_result(), wait=True)

    tail = result['execution']['log_tail']
    assert result['failed'] is True and len(tail['lines']) == 20 and tail['truncated'] is True
    assert tail['lines'][-1] == 'ERROR: deploy failed, token ******** rejected'
    assert 'tok-5f1e0c9a7b3d4e2f' not in result['_stdout']


def test_log_lines_zero_never_reads_the_log(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['failed'])
    fake.logs[(PIPELINE, execution.id)] = LOG

    result = info(run_module, execution=execution.to_result(), wait=True, log_lines=0)

    assert result['failed'] is True and result['execution']['log_tail'] is None
    assert not any(name == 'log_tail' for name, _args in fake.reads)


def test_log_lines_asks_for_the_tail_of_a_running_execution_and_success_reads_none_by_default(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.logs[(PIPELINE, execution.id)] = LOG

    asked = info(run_module, execution=execution.to_result(), log_lines=2)
    plain = info(run_module, execution=execution.to_result())

    assert asked['execution']['log_tail'] == {'lines': ['line 40', 'ERROR: deploy failed, token ******** rejected'],
                                              'source': 'console', 'truncated': True, 'url': None}
    assert plain['execution']['log_tail'] is None


def test_a_log_that_cannot_be_read_warns_and_does_not_change_the_outcome(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.script(execution, ['succeeded'])
    fake.fail('log_tail', TransientError('jenkins: could not read the log (HTTP 503): busy', status=503))

    result = info(run_module, execution=execution.to_result(), wait=True, log_lines=5)

    assert not result.get('failed') and result['execution']['status'] == 'succeeded'
    assert any('could not read the log of team/app/deploy #1' in w for w in warnings(result))


def test_many_executions_get_their_own_tails(run_module, fake):
    one, two = fake.add_execution(PIPELINE, 'running'), fake.add_execution(PIPELINE, 'running')
    fake.script(one, ['succeeded'])
    fake.script(two, ['failed'])
    fake.logs[(PIPELINE, two.id)] = LOG

    result = info(run_module, executions=[one.to_result(), two.to_result()], wait=True)

    assert result['failed'] is True
    assert [e['log_tail'] is None for e in result['executions']] == [True, False]


@pytest.mark.parametrize('args, message', [
    ({'execution': {'vendor': 'jenkins', 'pipeline': PIPELINE, 'id': '1', 'parameters': [1]}},
     'execution.parameters must be a mapping, got a list'),
    ({'executions': [['a']], 'pipeline': PIPELINE}, 'executions[0] is a list, neither an execution record nor an execution id'),
    ({'pipeline': PIPELINE, 'log_lines': -1}, 'log_lines must be 0 or more, got -1'),
    ({'pipeline': PIPELINE, 'wait': True, 'wait_interval': 0}, 'wait_interval must be more than 0 seconds, got 0'),
])
def test_malformed_input_gets_one_clear_message(run_module, fake, args, message):
    result = info(run_module, **args)

    assert result['failed'] is True and result['msg'].startswith(message)
    assert 'unexpected error' not in result['msg'] and fake.reads == []
