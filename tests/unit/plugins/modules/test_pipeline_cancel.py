# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import NotFoundError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Status
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_cancel, pipeline_start
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import gate

PIPELINE = 'shop/deploy'


def cancel(run_module, execution, *, check=False, diff=False, **args):
    return run_module(pipeline_cancel, dict(execution=execution.to_result(), **args), check=check, diff=diff)


@pytest.mark.parametrize('status', ['running', 'waiting'])
def test_cancels_an_active_execution(run_module, fake, status):
    execution = fake.add_execution(PIPELINE, status, pending_inputs=[gate()] if status == 'waiting' else [])

    result = cancel(run_module, execution, diff=True)

    assert result['changed'] is True and not result.get('failed')
    assert result['execution']['status'] == 'aborted' and result['execution']['pending_inputs'] == []
    assert fake.writes() == [('cancel', {'execution': '1', 'queue_id': None})]
    assert result['diff'] == {'before': {'status': status}, 'after': {'status': 'aborted'}}


@pytest.mark.parametrize('status', ['succeeded', 'failed', 'aborted', 'unstable'])
def test_a_finished_execution_is_left_alone(run_module, fake, status):
    execution = fake.add_execution(PIPELINE, status)

    result = cancel(run_module, execution)

    assert result['changed'] is False and not result.get('failed')
    assert result['execution']['status'] == status
    assert fake.writes() == []


def test_cancels_a_queued_item_addressed_by_its_record(run_module, fake):
    fake.add_pipeline(PIPELINE)
    fake.queue_reads = None
    started = run_module(pipeline_start, {'pipeline': PIPELINE, 'wait_timeout': 3})['execution']
    assert started['id'] is None

    result = run_module(pipeline_cancel, {'execution': started})

    assert result['changed'] is True and result['execution']['status'] == 'aborted'
    assert fake.writes('cancel') == [('cancel', {'execution': None, 'queue_id': started['scope']['queue_id']})]
    assert fake.queue == {}


@pytest.mark.parametrize('wait', [False, True])
def test_cancel_twice_changes_nothing_the_second_time(run_module, fake, wait):
    execution = fake.add_execution(PIPELINE, 'running')

    first = cancel(run_module, execution, wait=wait)
    second = cancel(run_module, execution, wait=wait)

    assert first['changed'] is True and not first.get('failed')
    # a re-run of the same task finds it aborted: nothing to do, and not a failure
    assert second['changed'] is False and not second.get('failed')
    assert second['execution']['status'] == 'aborted'
    assert len(fake.writes('cancel')) == 1


def test_check_mode_predicts_without_cancelling(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'waiting', pending_inputs=[gate()])

    result = cancel(run_module, execution, check=True, diff=True)

    assert result['changed'] is True and result['execution']['status'] == 'aborted'
    assert result['execution']['pending_inputs'] == []
    assert result['diff'] == {'before': {'status': 'waiting'}, 'after': {'status': 'aborted'}}
    assert fake.writes() == [] and fake.stored(PIPELINE, '1').status == Status.WAITING


def test_check_mode_on_a_finished_execution_predicts_no_change(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'failed')

    assert cancel(run_module, execution, check=True)['changed'] is False


def test_wait_until_it_has_stopped_does_not_fail_on_aborted(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.cancel_status = Status.RUNNING  # the stop takes a moment
    fake.script(execution, ['running', 'running', 'aborted'])

    result = cancel(run_module, execution, wait=True)

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'aborted' and result['timed_out'] is False
    assert clock.sleeps


def test_wait_ending_otherwise_reports_the_status_without_failing(run_module, fake):
    # it failed on its own before the stop took effect: it has stopped, as asked, and the record says how
    execution = fake.add_execution(PIPELINE, 'running')
    fake.cancel_status = Status.RUNNING
    fake.script(execution, ['running', 'failed'])

    result = cancel(run_module, execution, wait=True)

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'failed'


def test_wait_on_an_execution_that_already_failed_does_not_fail(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'failed')

    result = cancel(run_module, execution, wait=True)

    assert not result.get('failed') and result['changed'] is False
    assert result['execution']['status'] == 'failed'


def test_without_wait_it_returns_the_state_right_after_asking(run_module, fake, clock):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.cancel_status = Status.RUNNING

    result = cancel(run_module, execution)

    assert result['changed'] is True and result['execution']['status'] == 'running' and clock.sleeps == []


def test_by_pipeline_and_id(run_module, fake):
    fake.add_execution(PIPELINE, 'running')

    result = run_module(pipeline_cancel, {'pipeline': PIPELINE, 'execution_id': '1'})

    assert result['changed'] is True and fake.writes('cancel')[0][1]['execution'] == '1'


def test_execution_id_without_pipeline_is_an_error(run_module, fake):
    result = run_module(pipeline_cancel, {'execution_id': '1'})

    assert result['failed'] is True and 'pipeline' in result['msg'] and 'execution_id' in result['msg']
    assert fake.writes() == []


def test_an_execution_that_does_not_exist(run_module, fake):
    fake.add_pipeline(PIPELINE)

    result = run_module(pipeline_cancel, {'pipeline': PIPELINE, 'execution_id': '7'})

    assert result['failed'] is True and 'not found' in result['msg'] and result['changed'] is False


def test_an_error_while_cancelling_is_reported(run_module, fake):
    execution = fake.add_execution(PIPELINE, 'running')
    fake.fail('cancel', NotFoundError('jenkins: cancel shop/deploy #1: HTTP 404: Not Found', status=404))

    result = cancel(run_module, execution)

    assert result['failed'] is True and 'HTTP 404' in result['msg']
