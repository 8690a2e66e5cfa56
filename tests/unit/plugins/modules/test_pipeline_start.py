# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AmbiguousOutcomeError, AuthenticationError, TransientError,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._http import REDACTED
from ansible_collections.cicd.pipelines.plugins.module_utils._model import InputParameter, Status, derive_key
from ansible_collections.cicd.pipelines.plugins.modules import pipeline_start
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import TOKEN, warnings
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import gate, stages

PIPELINE = 'shop/deploy'
PARAMS = {'VERSION': '1.4.2', 'TARGET': 'production'}


@pytest.fixture
def fake(fake):
    fake.add_pipeline(PIPELINE,
                      InputParameter('VERSION', required=True),
                      InputParameter('TARGET', type='choice', choices=['staging', 'production'], default='staging'),
                      InputParameter('DRY_RUN', type='boolean', default=False))
    return fake


def start(run_module, *, check=False, diff=False, connection=True, **args):
    return run_module(pipeline_start, dict({'pipeline': PIPELINE, 'parameters': PARAMS}, **args),
                      check=check, diff=diff, connection=connection)


# Starting --------------------------------------------------------------------------------------------


def test_starts_with_parameters_and_returns_the_execution_the_queue_item_became(run_module, fake):
    result = start(run_module)

    assert result['changed'] is True and not result.get('failed')
    execution = result['execution']
    assert execution['id'] == '1' and execution['number'] == 1
    assert execution['status'] == 'running' and execution['terminal'] is False
    assert execution['pipeline'] == PIPELINE and execution['vendor'] == 'jenkins'
    assert execution['parameters'] == {'VERSION': '1.4.2', 'TARGET': 'production', 'DRY_RUN': False}
    assert execution['scope']['queue_id'] == fake.stored(PIPELINE, '1').scope['queue_id']
    [call] = fake.sent('start')
    assert call['request'].parameters == PARAMS and call['request'].pipeline == PIPELINE
    # the key (derived, as none was given) travels with the start and is reported
    assert call['request'].key_derived is True
    assert execution['idempotency_key'] == call['request'].key == derive_key(PIPELINE, PARAMS, None)
    # the backend may finish the start once the id is known (e.g. write the key to the description)
    assert fake.writes('after_start') == [('after_start', {'execution': '1', 'key': call['request'].key})]
    assert 'raw' not in execution


def test_revision_and_notes_reach_the_backend(run_module, fake):
    start(run_module, revision='v1.4.2', notes='release train 12')

    [call] = fake.sent('start')
    assert call['request'].revision == 'v1.4.2' and call['request'].notes == 'release train 12'
    assert call['request'].key == derive_key(PIPELINE, PARAMS, 'v1.4.2')


def test_an_item_that_stays_queued_is_returned_with_its_queue_id_and_a_warning(run_module, fake):
    fake.queue_reads = None  # never leaves the queue

    result = start(run_module, wait_timeout=20)

    assert result['changed'] is True and not result.get('failed')
    execution = result['execution']
    assert execution['id'] is None and execution['status'] == 'queued'
    assert execution['scope']['queue_id'] is not None
    assert any('still queued' in w and 'pipeline_info' in w for w in warnings(result))
    # no after_start without an id to address
    assert fake.writes('after_start') == []


def test_unknown_parameter_fails_listing_the_real_parameters_and_starts_nothing(run_module, fake):
    result = start(run_module, parameters={'VERSON': '1.4.2'})

    assert result['failed'] is True and result['changed'] is False
    assert "'VERSON'" in result['msg']
    assert 'VERSION, TARGET, DRY_RUN' in result['msg']
    assert fake.writes() == []


def test_choice_outside_its_choices_fails_before_starting(run_module, fake):
    result = start(run_module, parameters={'VERSION': '1', 'TARGET': 'moon'})

    assert result['failed'] is True
    assert 'TARGET' in result['msg'] and 'staging, production' in result['msg'] and 'moon' in result['msg']
    assert fake.writes() == []


@pytest.mark.parametrize('check', [False, True])
def test_a_list_for_a_string_parameter_fails_before_starting_also_in_check_mode(run_module, fake, check):
    result = start(run_module, parameters={'VERSION': ['1.4.2', '1.4.3']}, check=check)

    assert result['failed'] is True and result['changed'] is False
    assert "parameter 'VERSION' takes one string value, got a list" in result['msg']
    assert fake.writes() == []


@pytest.mark.parametrize('check', [False, True])
def test_a_revision_for_a_vendor_that_takes_none_fails_the_same_in_check_mode(run_module, fake, monkeypatch, check):
    """Check mode refuses exactly what the real run refuses, before the key lookup reads anything."""
    monkeypatch.setattr(type(fake), 'revisions', False)

    result = start(run_module, revision='v1.4.2', check=check)

    assert result['failed'] is True and result['changed'] is False
    assert 'takes no revision' in result['msg'] and 'parameter' in result['msg']
    assert fake.writes() == [] and not any(name == 'find_started' for name, _args in fake.reads)


def test_missing_required_parameter_fails_before_starting(run_module, fake):
    result = start(run_module, parameters={'TARGET': 'staging'})

    assert result['failed'] is True and "'VERSION' is required" in result['msg']
    assert fake.writes() == []


def test_a_pipeline_that_cannot_be_started_fails_with_the_reason(run_module, fake):
    fake.add_pipeline('shop/old', startable=False, reason='the job is disabled')

    result = run_module(pipeline_start, {'pipeline': 'shop/old'})

    assert result['failed'] is True and 'the job is disabled' in result['msg']
    assert fake.writes() == []


def test_unknown_pipeline_fails_cleanly(run_module, fake):
    result = run_module(pipeline_start, {'pipeline': 'shop/nope'})

    assert result['failed'] is True and 'shop/nope' in result['msg'] and 'not found' in result['msg']
    assert fake.writes() == []


# Idempotency (DESIGN section 4) ---------------------------------------------------------------------


@pytest.mark.parametrize('status', ['queued', 'running', 'waiting', 'succeeded'])
def test_explicit_key_of_an_active_or_succeeded_execution_returns_it_unchanged(run_module, fake, status):
    earlier = fake.add_execution(PIPELINE, status, idempotency_key='shop-1.4.2', parameters=dict(PARAMS))

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is False and not result.get('failed')
    assert result['execution']['id'] == earlier.id
    assert result['execution']['status'] == status
    assert fake.writes() == []


def test_explicit_key_prefers_the_active_execution_over_an_older_success(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded', idempotency_key='shop-1.4.2')
    active = fake.add_execution(PIPELINE, 'running', idempotency_key='shop-1.4.2')
    fake.add_execution(PIPELINE, 'succeeded', idempotency_key='shop-1.4.2')

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is False and result['execution']['id'] == active.id
    assert fake.writes() == []


@pytest.mark.parametrize('status', ['failed', 'aborted', 'unstable'])
def test_explicit_key_with_only_an_unsuccessful_earlier_execution_starts_a_new_one(run_module, fake, status):
    earlier = fake.add_execution(PIPELINE, status, idempotency_key='shop-1.4.2')

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is True
    assert result['execution']['id'] != earlier.id
    assert result['execution']['idempotency_key'] == 'shop-1.4.2'
    [call] = fake.sent('start')
    assert call['request'].key == 'shop-1.4.2' and call['request'].key_derived is False


def test_explicit_key_of_another_pipeline_does_not_count(run_module, fake):
    fake.add_execution('shop/other', 'running', idempotency_key='shop-1.4.2')

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is True and len(fake.writes('start')) == 1


def test_same_inputs_twice_while_running_start_once(run_module, fake):
    first = start(run_module)
    second = start(run_module)

    assert first['changed'] is True and second['changed'] is False
    assert second['execution']['id'] == first['execution']['id']
    assert len(fake.writes('start')) == 1


def test_rerun_while_still_queued_finds_the_queue_item(run_module, fake):
    fake.queue_reads = None
    first = start(run_module, wait_timeout=5)
    second = start(run_module, wait_timeout=5)

    assert second['changed'] is False
    assert second['execution']['scope']['queue_id'] == first['execution']['scope']['queue_id']
    assert len(fake.writes('start')) == 1


def test_derived_key_does_not_reuse_a_finished_success(run_module, fake):
    first = start(run_module)
    fake.stored(PIPELINE, first['execution']['id']).status = fake.status_table['SUCCEEDED']

    second = start(run_module)

    assert second['changed'] is True
    assert second['execution']['id'] != first['execution']['id']
    assert len(fake.writes('start')) == 2


def test_different_inputs_are_a_different_start(run_module, fake):
    start(run_module)
    other = start(run_module, parameters={'VERSION': '1.4.3'})

    assert other['changed'] is True and len(fake.writes('start')) == 2


def test_force_always_starts(run_module, fake):
    earlier = fake.add_execution(PIPELINE, 'running', idempotency_key='shop-1.4.2')

    result = start(run_module, idempotency_key='shop-1.4.2', force=True)

    assert result['changed'] is True and result['execution']['id'] != earlier.id
    assert len(fake.writes('start')) == 1


def test_force_without_a_key_gets_a_key_of_its_own(run_module, fake):
    # the same derived key would let Jenkins merge the forced build into an identical queued one
    start(run_module)
    start(run_module, force=True)
    start(run_module, force=True)

    keys = [call['request'].key for call in fake.sent('start')]
    derived = derive_key(PIPELINE, PARAMS, None)
    assert keys[0] == derived
    assert all(k.startswith(derived + '-') for k in keys[1:]) and len(set(keys)) == 3


def test_backend_errors_during_the_lookup_fail_without_starting(run_module, fake):
    fake.fail('find_started', TransientError('jenkins: look up builds: HTTP 503: Service Unavailable', status=503))

    result = start(run_module, idempotency_key='k')

    assert result['failed'] is True and 'HTTP 503' in result['msg']
    assert fake.writes() == []


def test_ambiguous_start_reports_the_backends_message(run_module, fake):
    fake.fail('start', AmbiguousOutcomeError('jenkins: start shop/deploy: connection reset after sending; nothing '
                                             'was found that it started', status=None))

    result = start(run_module, idempotency_key='k')

    assert result['failed'] is True and 'connection reset' in result['msg']
    assert len(fake.writes('start')) == 1  # the module never re-sends on its own


# Two tasks at once ---------------------------------------------------------------------------------
# Both tasks' lookups found nothing, so each started an execution; each then orders what carries the key by
# the vendor's creation order, and the later one cancels its own execution and returns the earlier.


@pytest.mark.parametrize('racer', ['before', 'before-same-time'])
def test_a_twin_created_first_wins_and_this_task_cancels_only_its_own(run_module, fake, racer):
    fake.ordered, fake.racers = True, [racer]

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert not result.get('failed') and result['changed'] is False
    twin, mine = fake.stored(PIPELINE, '1'), fake.stored(PIPELINE, '2')
    assert twin.scope['created'] <= mine.scope['created']
    assert result['execution']['id'] == '1' and result['execution']['status'] == 'running'
    assert fake.sent('cancel') == [{'execution': '2', 'queue_id': mine.scope['queue_id']}]
    assert twin.status.value == 'running' and mine.status.value == 'aborted'
    assert len(fake.writes('start')) == 1
    [warning] = [w for w in warnings(result) if 'at the same moment' in w]
    assert 'key shop-1.4.2' in warning and 'cancelled its own execution shop/deploy #2' in warning


@pytest.mark.parametrize('racer', ['after', 'after-same-time'])
def test_a_twin_created_later_leaves_this_tasks_execution_standing(run_module, fake, racer):
    # the other task reads the same order and yields to this one
    fake.ordered, fake.racers = True, [racer]

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is True and result['execution']['id'] == '1'
    assert fake.sent('cancel') == [] and fake.stored(PIPELINE, '2').status.value == 'running'
    assert not [w for w in warnings(result) if 'at the same moment' in w]


def test_a_twin_that_already_failed_does_not_count(run_module, fake):
    fake.ordered, fake.racers, fake.racer_status = True, ['before'], Status.FAILED

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is True and result['execution']['id'] == '2' and fake.sent('cancel') == []


def test_without_a_creation_order_a_race_is_not_reconciled(run_module, fake):
    # Jenkins: its queue merges identical requests instead (docs/reliability.md)
    fake.racers = ['before']

    result = start(run_module, idempotency_key='shop-1.4.2')

    assert result['changed'] is True and result['execution']['id'] == '2' and fake.sent('cancel') == []


def test_force_starts_beside_a_twin_and_cancels_nothing(run_module, fake):
    fake.ordered, fake.racers = True, ['before']

    result = start(run_module, idempotency_key='shop-1.4.2', force=True)

    assert result['changed'] is True and result['execution']['id'] == '2' and fake.sent('cancel') == []


def test_check_mode_starts_nothing_so_there_is_nothing_to_reconcile(run_module, fake):
    fake.ordered, fake.racers = True, ['before']

    result = start(run_module, check=True, idempotency_key='shop-1.4.2')

    assert result['changed'] is True and result['execution']['status'] == 'queued'
    assert fake.writes() == [] and fake.executions == {}


def test_a_failed_cancel_of_its_own_execution_fails_the_task_as_changed(run_module, fake):
    fake.ordered, fake.racers = True, ['before']
    fake.fail('cancel', TransientError('jenkins: stop shop/deploy #2: HTTP 503: Service Unavailable', status=503),
              always=True)

    result = start(run_module, idempotency_key='shop-1.4.2')

    # its execution still runs beside the earlier one: the task says so rather than hiding a duplicate
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'] == ('jenkins: another task started the same release (key shop-1.4.2) at the same moment, and '
                             'this task could not cancel its own execution shop/deploy #2, so two run now (the other '
                             'one: shop/deploy #1); cancel one of them yourself. The cancel failed with: jenkins: stop '
                             'shop/deploy #2: HTTP 503: Service Unavailable')
    assert fake.stored(PIPELINE, '2').status.value == 'running'
    assert result['execution']['id'] == '2'


# Check and diff mode --------------------------------------------------------------------------------


def test_check_mode_predicts_a_queued_execution_and_writes_nothing(run_module, fake):
    result = start(run_module, check=True)

    assert result['changed'] is True and not result.get('failed')
    execution = result['execution']
    assert execution['status'] == 'queued' and execution['id'] is None
    assert execution['parameters'] == PARAMS
    assert execution['idempotency_key'] == derive_key(PIPELINE, PARAMS, None)
    assert execution['url'] is None  # it does not exist yet: no link to pretend to
    assert fake.writes() == [] and fake.executions == {} and fake.queue == {}


def test_check_mode_still_validates_parameters(run_module, fake):
    result = start(run_module, parameters={'NOPE': 1}, check=True)

    assert result['failed'] is True and 'VERSION, TARGET, DRY_RUN' in result['msg']


def test_check_mode_reports_an_existing_execution_unchanged(run_module, fake):
    earlier = fake.add_execution(PIPELINE, 'running', idempotency_key='shop-1.4.2')

    result = start(run_module, idempotency_key='shop-1.4.2', check=True)

    assert result['changed'] is False and result['execution']['id'] == earlier.id


def test_check_mode_does_not_wait(run_module, fake, clock):
    result = start(run_module, check=True, wait=True)

    assert result['changed'] is True and result['execution']['status'] == 'queued'
    assert 'elapsed' not in result and clock.sleeps == []


def test_diff_shows_status_before_and_after(run_module, fake):
    result = start(run_module, diff=True)

    assert result['diff'] == {'before': {'status': None}, 'after': {'status': 'running'}}


def test_diff_of_a_reused_execution_shows_no_change(run_module, fake):
    fake.add_execution(PIPELINE, 'running', idempotency_key='k')

    result = start(run_module, idempotency_key='k', diff=True)

    assert result['diff'] == {'before': {'status': 'running'}, 'after': {'status': 'running'}}


def test_no_diff_without_diff_mode(run_module, fake):
    assert 'diff' not in start(run_module)


# Waiting --------------------------------------------------------------------------------------------


def test_wait_until_it_succeeds(run_module, fake):
    fake.next_scripts = [['running', 'running', 'succeeded']]

    result = start(run_module, wait=True)

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'succeeded' and result['execution']['terminal'] is True
    assert result['timed_out'] is False and 'elapsed' in result


def test_wait_ending_failed_fails_the_task_but_reports_changed_and_execution(run_module, fake):
    fake.next_scripts = [['running', 'failed']]

    result = start(run_module, wait=True)

    assert result['failed'] is True and result['changed'] is True
    assert result['execution']['status'] == 'failed' and result['execution']['id'] == '1'
    assert 'shop/deploy #1 ended failed' in result['msg']


def test_wait_for_waiting_stops_at_the_gate(run_module, fake):
    fake.next_scripts = [['running', {'status': 'waiting', 'pending_inputs': [gate('Release')]}, 'succeeded']]

    result = start(run_module, wait_for=['waiting'])

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'waiting'
    assert [g['id'] for g in result['execution']['pending_inputs']] == ['Release']
    # it stopped polling there: the rest of the script was not consumed
    assert fake.scripts[(PIPELINE, '1')] == ['succeeded']


def test_wait_for_a_status_never_reached_fails_when_it_ends(run_module, fake):
    fake.next_scripts = [['running', 'succeeded']]

    result = start(run_module, wait_for=['waiting'])

    assert result['failed'] is True and result['changed'] is True
    assert 'without meeting the wait condition' in result['msg']
    assert result['execution']['status'] == 'succeeded'


def test_fail_on_empty_accepts_a_failure(run_module, fake):
    fake.next_scripts = [['failed']]

    result = start(run_module, wait=True, fail_on=[])

    assert not result.get('failed') and result['changed'] is True
    assert result['execution']['status'] == 'failed'


def test_unstable_fails_by_default_but_not_when_removed_from_fail_on(run_module, fake):
    fake.next_scripts = [['unstable'], ['unstable']]

    assert start(run_module, wait=True, force=True)['failed'] is True
    accepted = start(run_module, wait=True, force=True, fail_on=['failed', 'aborted'])
    assert not accepted.get('failed') and accepted['execution']['status'] == 'unstable'


def test_wait_until_expression(run_module, fake):
    fake.next_scripts = [[
        {'status': 'running', 'stages': stages(('Build', 'running'))},
        {'stages': stages(('Build', 'succeeded'), ('Deploy', 'running'))},
        'succeeded',
    ]]

    result = start(run_module, wait_until="stages[?name=='Deploy'].status | [0] == 'running'")

    assert not result.get('failed')
    assert [s['name'] for s in result['execution']['stages']] == ['Build', 'Deploy']
    assert result['execution']['status'] == 'running'


def test_bad_wait_until_fails_before_anything_is_started(run_module, fake):
    result = start(run_module, wait_until="stages[?name=='Deploy'")

    assert result['failed'] is True and 'wait_until' in result['msg'] and 'JMESPath' in result['msg']
    assert fake.writes() == [] and fake.reads == []


def test_on_timeout_fail(run_module, fake, clock):
    fake.next_scripts = [['running'] * 1000]

    result = start(run_module, wait=True, wait_timeout=60)

    assert result['failed'] is True and result['changed'] is True
    assert 'timed out after 60s' in result['msg'] and 'shop/deploy #1 is running' in result['msg']
    assert result['execution']['status'] == 'running'
    assert fake.writes('cancel') == []
    assert 55 <= clock.now - 1000.0 <= 62


def test_on_timeout_detach_succeeds_with_a_warning_and_leaves_it_running(run_module, fake):
    fake.next_scripts = [['running'] * 1000]

    result = start(run_module, wait=True, wait_timeout=60, on_timeout='detach')

    assert not result.get('failed') and result['changed'] is True
    assert result['timed_out'] is True and result['execution']['status'] == 'running'
    assert any('timed out' in w and 'detached' in w for w in warnings(result))
    assert fake.writes('cancel') == []


def test_on_timeout_cancel_cancels_and_fails(run_module, fake):
    fake.next_scripts = [['running'] * 1000]

    result = start(run_module, wait=True, wait_timeout=60, on_timeout='cancel')

    assert result['failed'] is True and result['changed'] is True
    assert 'cancelled it' in result['msg']
    assert [c['execution'] for c in fake.sent('cancel')] == ['1']
    assert fake.stored(PIPELINE, '1').status.value == 'aborted'


def test_transient_poll_errors_do_not_end_the_wait(run_module, fake):
    fake.next_scripts = [['running', 'succeeded']]
    start_result = start(run_module)
    # the reuse read works, then three polls fail (the transport gave up on them), then it succeeds
    fake.fail('get', None, *[TransientError('HTTP 502', status=502)] * 3)
    result = start(run_module, wait=True)

    assert not result.get('failed') and result['changed'] is False
    assert result['execution']['id'] == start_result['execution']['id']
    assert result['execution']['status'] == 'succeeded'


# The error edge -------------------------------------------------------------------------------------


def test_a_secret_in_a_backend_error_is_redacted(run_module, fake):
    fake.fail('describe_pipeline', AuthenticationError(
        'jenkins: describe shop/deploy: HTTP 401: token %s is not valid' % TOKEN, status=401))

    result = start(run_module)

    assert result['failed'] is True and 'HTTP 401' in result['msg']
    assert TOKEN not in result['_stdout']
    assert REDACTED in result['msg']


@pytest.mark.parametrize('outcome', ['fails before the pipeline is read', 'succeeds'])
def test_parameter_values_are_not_echoed_with_the_module_arguments(run_module, fake, outcome):
    # A wrong token fails before the definitions tell a password parameter from a version: no value is echoed (-vvv).
    if outcome != 'succeeds':
        fake.fail('describe_pipeline', AuthenticationError('jenkins: could not read job (HTTP 401)', status=401))

    result = start(run_module, parameters={'DB_PASSWORD': 'pa55-unknown-type'})

    assert 'pa55-unknown-type' not in result['_stdout']
    # ansible-core 2.19 returns the arguments as `invocation` (shown at -vvv); 2.21 returns none from the module.
    if 'invocation' in result:
        assert result['invocation']['module_args']['parameters'] == {'DB_PASSWORD': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}


@pytest.mark.parametrize('url', ['https://t0ken-as-user@ci.example.com', 'https://bot:pa55%40word@ci.example.com'])
def test_credentials_in_a_url_are_refused_and_never_echoed(run_module, fake, url):
    result = start(run_module, api_url=url)

    assert result['failed'] is True and 'api_url must not contain credentials' in result['msg']
    for secret in ('t0ken-as-user', 'pa55%40word', 'pa55@word'):
        assert secret not in result['_stdout']


@pytest.mark.parametrize('tracebacks', [[], ['error']])
def test_a_secret_only_the_backend_knows_is_redacted(run_module, fake, tracebacks):
    # e.g. a CSRF crumb or an IAM token fetched at run time: not a module option, so no_log cannot know it
    crumb = 'crumb-0a9b8c7d6e5f'
    fake.http.add_secret(crumb)
    fake.fail('start', TransientError('jenkins: start: HTTP 500: bad crumb %s' % crumb, status=500))

    result = start(run_module, _ansible_tracebacks_for=tracebacks)

    assert result['failed'] is True and REDACTED in result['msg']
    assert crumb not in result['_stdout']  # also not in `exception` when tracebacks are shown (-vvv)


def test_backend_warnings_are_shown_redacted(run_module, fake):
    fake.warnings.append('the key was written to the description (token %s)' % TOKEN)

    result = start(run_module)

    assert any('written to the description' in w for w in warnings(result))
    assert TOKEN not in result['_stdout']


def test_an_unexpected_exception_gives_a_clean_message_and_the_traceback_apart(run_module, fake):
    fake.fail('describe_pipeline', KeyError('executable'))

    result = start(run_module, _ansible_tracebacks_for=['error'])

    assert result['failed'] is True
    assert 'unexpected error' in result['msg'] and 'KeyError' in result['msg'] and "'executable'" in result['msg']
    assert 'Traceback' not in result['msg'] and '\n' not in result['msg']
    assert 'Traceback' in result['exception'] and 'describe_pipeline' in result['exception']


@pytest.mark.parametrize('secret', [TOKEN, 'crumb-only-the-backend-knows'])
def test_an_unexpected_exception_with_a_secret_is_redacted_in_msg_and_exception(run_module, fake, secret):
    fake.http.add_secret('crumb-only-the-backend-knows')
    fake.fail('start', RuntimeError('boom %s' % secret))

    result = start(run_module, _ansible_tracebacks_for=['error'])

    assert result['failed'] is True and secret not in result['_stdout']
    assert 'boom ' + REDACTED in result['msg'] and 'boom ' + REDACTED in result['exception']


def test_an_unexpected_exception_without_tracebacks_enabled_still_has_a_clean_message(run_module, fake):
    fake.fail('describe_pipeline', KeyError('executable'))

    result = start(run_module)

    assert result['failed'] is True and result['msg'] == "jenkins: unexpected error: KeyError: 'executable'"


def test_an_unsupported_operation_names_what_the_vendor_supports(run_module, fake):
    fake.capabilities = frozenset({'info', 'cancel'})

    result = start(run_module)

    assert result['failed'] is True
    assert 'does not support start' in result['msg'] and 'info, cancel' in result['msg']
    assert fake.writes() == []


# Connection options and environment -----------------------------------------------------------------


def test_connection_options_reach_the_backend(run_module, fake):
    start(run_module, validate_certs=False, request_timeout=7.5, request_retries=2)

    [conn] = fake.connections
    assert conn.vendor == 'jenkins' and conn.api_url == 'https://ci.example.com'
    assert conn.username == 'release-bot' and conn.api_token == TOKEN
    assert conn.validate_certs is False and conn.request_timeout == 7.5 and conn.request_retries == 2


def test_environment_variables_are_used_when_options_are_unset(run_module, fake, monkeypatch):
    env_token = 'envtok-9d8c7b6a5f4e'
    monkeypatch.setenv('JENKINS_URL', 'https://env-ci.example.com')
    monkeypatch.setenv('JENKINS_USER_ID', 'env-bot')
    monkeypatch.setenv('JENKINS_API_TOKEN', env_token)
    # make the backend echo the token everywhere a careless module could show it
    fake.warnings.append('using token %s' % env_token)
    fake.pipelines[PIPELINE].url = 'https://env-ci.example.com/job/shop/job/deploy/?t=%s' % env_token

    result = start(run_module, connection=False)

    assert not result.get('failed'), result['msg']
    [conn] = fake.connections
    assert (conn.api_url, conn.username, conn.api_token) == ('https://env-ci.example.com', 'env-bot', env_token)
    assert env_token not in result['_stdout']


def test_environment_token_is_redacted_from_errors(run_module, fake, monkeypatch):
    env_token = 'envtok-1a2b3c4d5e6f'
    monkeypatch.setenv('JENKINS_URL', 'https://env-ci.example.com')
    monkeypatch.setenv('JENKINS_USER_ID', 'env-bot')
    monkeypatch.setenv('JENKINS_API_TOKEN', env_token)
    fake.fail('describe_pipeline', AuthenticationError('HTTP 401 for token %s' % env_token, status=401))

    result = start(run_module, connection=False)

    assert result['failed'] is True and 'HTTP 401' in result['msg']
    assert env_token not in result['_stdout']


def test_task_options_win_over_the_environment(run_module, fake, monkeypatch):
    monkeypatch.setenv('JENKINS_URL', 'https://env-ci.example.com')
    monkeypatch.setenv('JENKINS_API_TOKEN', 'envtok-unused')

    start(run_module)

    [conn] = fake.connections
    assert conn.api_url == 'https://ci.example.com' and conn.api_token == TOKEN


def test_missing_api_url_names_the_option_and_its_environment_variable(run_module, fake):
    result = start(run_module, connection=False)

    assert result['failed'] is True and 'api_url' in result['msg'] and 'JENKINS_URL' in result['msg']
    assert fake.connections == [] and fake.writes() == []


def test_unknown_vendor_is_refused_by_the_argument_spec(run_module, fake):
    result = start(run_module, vendor='teamcity')

    assert result['failed'] is True and 'vendor' in result['msg'] and 'jenkins' in result['msg']


# The backend interface ------------------------------------------------------------------------------


def test_start_works_with_a_backend_that_implements_only_the_abstract_interface(run_module, monkeypatch):
    """A new vendor's backend implements the abstract methods; the module must need nothing more."""
    from ansible_collections.cicd.pipelines.plugins.module_utils import _module
    from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Backend
    from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, PipelineInfo, Status

    class Minimal(Backend):
        name, display_name = 'jenkins', 'Minimal'
        capabilities = frozenset({'start', 'info'})
        status_table = {}
        options = frozenset({'api_url', 'username', 'api_token', 'password'})

        def describe_pipeline(self, pipeline):
            return PipelineInfo(pipeline=pipeline)

        def get(self, execution):
            return execution

        def latest(self, pipeline):
            return None

        def find_started(self, request):
            return []

        def start(self, request):
            return Execution(vendor='jenkins', pipeline=request.pipeline, id='7', status=Status.RUNNING)

    monkeypatch.setattr(_module, 'create_backend', Minimal)

    result = run_module(pipeline_start, {'pipeline': 'p'})

    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['execution']['id'] == '7'


@pytest.mark.parametrize('check', [False, True])
def test_an_option_the_vendor_does_not_use_is_an_error(run_module, fake, check):
    """A Buddy-only option given to Jenkins (a typo in a vendor switch) fails before anything is sent,
    in check mode too, naming Jenkins's own options."""
    result = start(run_module, workspace='acme', secret_key='sk-7c6b5a4d3e2f', check=check)

    assert result['failed'] is True
    assert result['msg'] == ('Jenkins does not use secret_key, workspace; its connection options are: '
                             'api_url, username, api_token, password')
    assert 'sk-7c6b5a4d3e2f' not in result['_stdout']
    assert fake.connections == [] and fake.writes() == []


# Failing after something was started ----------------------------------------------------------------


def test_a_poll_error_after_starting_still_reports_changed_and_the_execution(run_module, fake):
    fake.next_scripts = [['running', 'succeeded']]
    # the queue read works, then the token loses its permission while waiting
    fake.fail('get', None, AuthenticationError('jenkins: read shop/deploy #1: HTTP 403: Forbidden', status=403))

    result = start(run_module, wait=True)

    assert result['failed'] is True and 'HTTP 403' in result['msg']
    assert result['changed'] is True
    assert result['execution']['id'] == '1'
    assert len(fake.writes('start')) == 1


def test_a_wait_that_gives_up_on_transient_errors_still_reports_changed(run_module, fake):
    fake.next_scripts = [['running'] * 10]
    fake.fail('get', None, *[TransientError('jenkins: HTTP 503', status=503)] * 5)

    result = start(run_module, wait=True)

    assert result['failed'] is True and 'HTTP 503' in result['msg'] and result['changed'] is True
    assert result['execution']['id'] == '1'


def test_a_failing_after_start_step_still_reports_changed_and_the_execution(run_module, fake):
    fake.fail('after_start', AuthenticationError('jenkins: write the description of build #1: HTTP 403', status=403))

    result = start(run_module, idempotency_key='k')

    assert result['failed'] is True and 'HTTP 403' in result['msg']
    assert result['changed'] is True and result['execution']['id'] == '1'


def test_an_unexpected_error_after_starting_still_reports_changed(run_module, fake):
    fake.fail('after_start', KeyError('description'))

    result = start(run_module)

    assert result['failed'] is True and 'unexpected error' in result['msg']
    assert result['changed'] is True and result['execution']['id'] == '1'


def test_a_failed_start_reports_nothing_changed(run_module, fake):
    fake.fail('start', AuthenticationError('jenkins: start shop/deploy: HTTP 403: Forbidden', status=403))

    result = start(run_module)

    assert result['failed'] is True and result['changed'] is False and 'execution' not in result


def test_on_timeout_cancel_returns_the_execution_as_cancelled(run_module, fake):
    fake.next_scripts = [['running'] * 1000]

    result = start(run_module, wait=True, wait_timeout=60, on_timeout='cancel')

    assert result['failed'] is True and result['execution']['status'] == 'aborted'


def test_an_error_while_following_the_queue_item_still_reports_it(run_module, fake):
    fake.fail('get', AuthenticationError('jenkins: read queue item: HTTP 403: Forbidden', status=403))

    result = start(run_module)

    assert result['failed'] is True and result['changed'] is True
    assert result['execution']['id'] is None and result['execution']['scope']['queue_id'] is not None


def test_a_detached_wait_does_not_leak_a_secret_from_the_last_poll_error(run_module, fake):
    crumb = 'crumb-5e4d3c2b1a09'
    fake.http.add_secret(crumb)
    fake.next_scripts = [['running'] * 1000]
    fake.fail('get', None, *[TransientError('jenkins: HTTP 503 (crumb %s)' % crumb, status=503)] * 4)

    result = start(run_module, wait=True, wait_timeout=20, wait_interval=5, on_timeout='detach')

    assert not result.get('failed') and result['timed_out'] is True
    assert any('last poll failed' in w for w in warnings(result))
    assert crumb not in result['_stdout']


# Rough edges a newcomer meets -------------------------------------------------------------------------

def test_an_explicit_key_reused_with_other_parameters_fails_naming_the_differences(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded', parameters={'VERSION': '1.4.1', 'TARGET': 'production'},
                       idempotency_key='shop-deploy')

    result = start(run_module, idempotency_key='shop-deploy')

    assert result['failed'] is True and not fake.sent('start')
    assert "idempotency_key 'shop-deploy' already started" in result['msg']
    assert "VERSION '1.4.1' there, '1.4.2' here" in result['msg'] and 'force: true' in result['msg']


def test_the_same_key_with_the_same_parameters_attaches(run_module, fake):
    fake.add_execution(PIPELINE, 'succeeded', parameters=dict(PARAMS, DRY_RUN=False), idempotency_key='shop-deploy')

    result = start(run_module, idempotency_key='shop-deploy')

    assert result['changed'] is False and not fake.sent('start')


def test_a_parameter_reserved_by_the_backend_is_refused_as_reserved(run_module, fake):
    fake.reserved_parameters = ('CICD_IDEMPOTENCY_KEY',)

    result = start(run_module, parameters=dict(PARAMS, CICD_IDEMPOTENCY_KEY='mine'))

    assert result['failed'] is True and 'CICD_IDEMPOTENCY_KEY is reserved' in result['msg'] and not fake.sent('start')


@pytest.mark.parametrize('args, words', [
    ({'wait': True, 'wait_timeout': -5}, 'wait_timeout must be 0 seconds or more, got -5'),
    ({'wait_interval': 0}, 'wait_interval must be more than 0 seconds, got 0.0'),
])
def test_bad_numbers_are_refused_before_anything_is_started(run_module, fake, args, words):
    result = start(run_module, **args)

    assert result['failed'] is True and words in result['msg'] and not fake.sent('start')


def test_a_password_parameter_never_appears_in_the_result_also_in_check_mode(run_module, fake):
    fake.add_pipeline('shop/secret', InputParameter('DB_PASSWORD', type='password'))

    result = run_module(pipeline_start, {'pipeline': 'shop/secret', 'parameters': {'DB_PASSWORD': 'hunter2-db'}}, check=True)

    assert result['changed'] is True and 'hunter2-db' not in json.dumps(result)
