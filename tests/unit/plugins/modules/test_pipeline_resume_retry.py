# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pipeline_resume and pipeline_retry: both continue an unsuccessful execution with a new one, and both
find what an earlier run of the task created through the vendor's lineage."""

from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import AmbiguousOutcomeError
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_resume, pipeline_retry
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import warnings
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import stages

PIPELINE = 'shop/deploy'
MODULES = {'resume': pipeline_resume, 'retry': pipeline_retry}


@pytest.fixture
def failed(fake):
    """Build #1 failed in its Deploy stage."""
    return fake.add_execution(PIPELINE, 'failed', parameters={'VERSION': '1.4.2'},
                              stages=stages(('Build', 'succeeded'), ('Test', 'succeeded'), ('Deploy', 'failed'),
                                            ('Verify', 'skipped')))


def run(run_module, operation, execution, *, check=False, diff=False, **args):
    return run_module(MODULES[operation], dict(execution=execution.to_result(), **args), check=check, diff=diff)


# Both ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_a_failed_execution_is_continued_by_a_new_one(run_module, fake, failed, operation):
    result = run(run_module, operation, failed)

    assert result['changed'] is True and not result.get('failed')
    execution = result['execution']
    assert execution['id'] == '2' and execution['previous_id'] == '1'
    assert execution['status'] == 'running' and execution['parameters'] == {'VERSION': '1.4.2'}
    assert len(fake.writes(operation)) == 1 and fake.writes(operation)[0][1]['execution'] == '1'


@pytest.mark.parametrize('operation', ['resume', 'retry'])
@pytest.mark.parametrize('status', ['aborted', 'unstable', 'rejected', 'expired'])
def test_other_unsuccessful_endings_are_continued_too(run_module, fake, operation, status):
    execution = fake.add_execution(PIPELINE, status, stages=stages(('Build', 'succeeded'), ('Deploy', status)))

    result = run(run_module, operation, execution)

    assert result['changed'] is True and result['execution']['previous_id'] == execution.id


@pytest.mark.parametrize('operation', ['resume', 'retry'])
@pytest.mark.parametrize('status', ['queued', 'running', 'waiting', 'succeeded'])
def test_an_active_or_succeeded_execution_is_left_alone(run_module, fake, operation, status):
    execution = fake.add_execution(PIPELINE, status, stages=stages(('Build', 'succeeded')))

    result = run(run_module, operation, execution, diff=True)

    assert result['changed'] is False and not result.get('failed')
    assert result['execution']['id'] == execution.id and result['execution']['status'] == status
    assert result['diff'] == {'before': {'status': status}, 'after': {'status': status}}
    assert fake.writes() == []


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_a_second_run_returns_what_the_first_created(run_module, fake, failed, operation):
    first = run(run_module, operation, failed)
    second = run(run_module, operation, failed)

    assert first['changed'] is True and second['changed'] is False
    assert second['execution']['id'] == first['execution']['id'] == '2'
    assert second['execution']['previous_id'] == '1'
    assert len(fake.writes(operation)) == 1


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_a_continuation_still_in_the_queue_is_found_too(run_module, fake, failed, operation):
    fake.queue_reads = None
    first = run(run_module, operation, failed, wait_timeout=5)
    second = run(run_module, operation, failed, wait_timeout=5)

    assert first['execution']['id'] is None and second['changed'] is False
    assert second['execution']['scope']['queue_id'] == first['execution']['scope']['queue_id']
    assert len(fake.writes(operation)) == 1


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_a_second_run_waits_for_the_continuation(run_module, fake, failed, operation):
    run(run_module, operation, failed)
    fake.script(fake.stored(PIPELINE, '2'), ['running', 'succeeded'])

    result = run(run_module, operation, failed, wait=True)

    assert result['changed'] is False and not result.get('failed')
    assert result['execution']['id'] == '2' and result['execution']['status'] == 'succeeded'


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_check_mode_predicts_without_writing(run_module, fake, failed, operation):
    result = run(run_module, operation, failed, check=True, diff=True)

    assert result['changed'] is True and not result.get('failed')
    execution = result['execution']
    assert execution['status'] == 'queued' and execution['previous_id'] == '1' and execution['id'] is None
    assert execution['parameters'] == {'VERSION': '1.4.2'}
    assert result['diff'] == {'before': {'status': 'failed'}, 'after': {'status': 'queued'}}
    assert fake.writes() == [] and list(fake.executions) == [(PIPELINE, '1')]


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_check_mode_after_a_real_run_predicts_no_change(run_module, fake, failed, operation):
    run(run_module, operation, failed)

    result = run(run_module, operation, failed, check=True)

    assert result['changed'] is False and result['execution']['id'] == '2'


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_wait_for_the_new_execution_and_fail_if_it_fails_again(run_module, fake, failed, operation):
    fake.next_scripts = [['running', 'failed']]

    result = run(run_module, operation, failed, wait=True)

    assert result['failed'] is True and result['changed'] is True
    assert result['execution']['id'] == '2' and result['execution']['status'] == 'failed'


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_by_pipeline_and_execution_id(run_module, fake, failed, operation):
    result = run_module(MODULES[operation], {'pipeline': PIPELINE, 'execution_id': '1'})

    assert result['changed'] is True and result['execution']['previous_id'] == '1'


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_unsupported_by_the_vendor_names_what_it_supports(run_module, fake, failed, operation):
    fake.capabilities = frozenset({'start', 'info', 'cancel'})

    result = run(run_module, operation, failed)

    assert result['failed'] is True and 'does not support %s' % operation in result['msg']
    assert 'start, info, cancel' in result['msg'] and fake.writes() == []


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_an_ambiguous_answer_is_reported_not_resent(run_module, fake, failed, operation):
    fake.fail(operation, AmbiguousOutcomeError('jenkins: %s shop/deploy #1: read timed out; nothing was found '
                                               'that it started' % operation))

    result = run(run_module, operation, failed)

    assert result['failed'] is True and 'read timed out' in result['msg']
    assert len(fake.writes(operation)) == 1


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_the_backend_finishes_the_new_execution_once_it_has_an_id(run_module, fake, failed, operation):
    # e.g. Jenkins writes the retry lineage into the new build's description: without it, a second run of the
    # task could not find the retry and would retry again
    run(run_module, operation, failed)

    assert fake.sent('after_start') == [{'execution': '2', 'key': None}]


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_a_new_execution_still_queued_is_not_finished_yet(run_module, fake, failed, operation):
    fake.queue_reads = None

    result = run(run_module, operation, failed, wait_timeout=5)

    assert result['execution']['id'] is None and fake.sent('after_start') == []
    assert any('still queued' in w for w in warnings(result))


# Resume only -------------------------------------------------------------------------------------------


def test_resume_defaults_to_the_first_stage_that_did_not_succeed(run_module, fake, failed):
    run(run_module, 'resume', failed)

    assert fake.writes('resume')[0][1]['stage'] == 'Deploy'


def test_resume_from_a_given_stage(run_module, fake, failed):
    run(run_module, 'resume', failed, stage='Test')

    assert fake.writes('resume')[0][1]['stage'] == 'Test'


def test_resume_from_a_stage_not_allowed_lists_the_allowed_ones(run_module, fake, failed):
    fake.resumable[(PIPELINE, '1')] = ['Build', 'Deploy']

    result = run(run_module, 'resume', failed, stage='Verify')

    assert result['failed'] is True
    assert "stage 'Verify'" in result['msg'] and 'it can be resumed from: Build, Deploy' in result['msg']
    assert fake.writes() == []


def test_resume_default_stage_skips_stages_the_vendor_does_not_allow(run_module, fake, failed):
    # the vendor only restarts from top-level stages it knows; Deploy is not one of them
    fake.resumable[(PIPELINE, '1')] = ['Build', 'Test', 'Verify']

    run(run_module, 'resume', failed)

    assert fake.writes('resume')[0][1]['stage'] == 'Verify'


def test_resume_of_an_execution_the_vendor_cannot_resume(run_module, fake, failed):
    fake.resumable[(PIPELINE, '1')] = []

    result = run(run_module, 'resume', failed)

    assert result['failed'] is True and 'cannot be resumed' in result['msg'] and 'failed' in result['msg']
    assert fake.writes() == []


def test_resume_check_mode_still_checks_the_stage(run_module, fake, failed):
    result = run(run_module, 'resume', failed, stage='Nope', check=True)

    assert result['failed'] is True and 'Build, Test, Deploy, Verify' in result['msg']


@pytest.mark.parametrize('operation', ['resume', 'retry'])
def test_an_error_after_the_new_execution_exists_still_reports_it(run_module, fake, failed, operation):
    from ansible_collections.cicd.pipelines.plugins.module_utils._errors import AuthenticationError

    # reads: the original, the lineage lookup needs none, the queue item leaving the queue; then a poll fails
    fake.fail('get', None, None, AuthenticationError('jenkins: HTTP 403: Forbidden', status=403))

    result = run(run_module, operation, failed, wait=True)

    assert result['failed'] is True and 'HTTP 403' in result['msg']
    assert result['changed'] is True and result['execution']['id'] == '2'
    assert result['execution']['previous_id'] == '1'
