# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The execution record (DESIGN section 2): rendering, reading it back, statuses, parameter checks,
derived idempotency keys."""

from __future__ import annotations

import json

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._model import (
    ACTIVE,
    STATUS_NAMES,
    TERMINAL,
    Execution,
    InputParameter,
    PendingInput,
    Stage,
    Status,
    check_values,
    derive_key,
    iso_from_millis,
    map_status,
)

# DESIGN section 2, word for word.
DESIGN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'unstable', 'failed', 'aborted', 'rejected',
                   'expired', 'skipped', 'unknown']
DESIGN_TERMINAL = {'succeeded', 'unstable', 'failed', 'aborted', 'rejected', 'expired', 'skipped'}
DESIGN_KEYS = {'vendor', 'pipeline', 'id', 'number', 'status', 'vendor_status', 'terminal', 'url', 'started_at',
               'finished_at', 'duration', 'stages', 'pending_inputs', 'parameters', 'idempotency_key',
               'previous_id', 'scope', 'log_tail'}


def full_execution(status: Status = Status.WAITING) -> Execution:
    return Execution(
        vendor='harness', pipeline='pipe-1', id='exec-9', number=12, status=status, vendor_status='PAUSED',
        url='https://app.harness.io/#/x', started_at='2024-01-02T03:04:05Z', finished_at=None, duration=61.5,
        stages=[Stage(id='s1', name='Build', status=Status.SUCCEEDED, vendor_status='SUCCESS',
                      started_at='2024-01-02T03:04:05Z', finished_at='2024-01-02T03:05:00Z'),
                Stage(id='s2', name='Approve', status=Status.WAITING, vendor_status='PAUSED')],
        pending_inputs=[PendingInput(id='gate-1', message='Ship it?', stage='Approve', kind='input', parameters=[
            InputParameter(name='ENV', type='choice', required=True, choices=['dev', 'prod'], description='where'),
            InputParameter(name='FORCE', type='boolean', default=False)])],
        parameters={'VERSION': '1.2.3', 'FLAGS': ['a', 'b']}, idempotency_key='release-1.2.3', previous_id='exec-8',
        scope={'application': 'app-1'}, raw={'vendor': {'payload': [1, 2, 3]}})


# Rendering ------------------------------------------------------------------------------------------


def test_to_result_is_plain_json_with_the_design_keys():
    result = full_execution().to_result()

    assert set(result) == DESIGN_KEYS
    assert json.loads(json.dumps(result)) == result
    assert isinstance(result['status'], str) and not isinstance(result['status'], Status)
    assert result['status'] == 'waiting'
    assert result['terminal'] is False
    assert [type(s['status']) for s in result['stages']] == [str, str]
    assert [s['status'] for s in result['stages']] == ['succeeded', 'waiting']
    assert set(result['stages'][0]) == {'id', 'name', 'status', 'vendor_status', 'started_at', 'finished_at'}
    gate = result['pending_inputs'][0]
    assert set(gate) == {'id', 'stage', 'message', 'kind', 'parameters'}
    assert gate['parameters'][0] == {'name': 'ENV', 'type': 'choice', 'required': True, 'default': None,
                                     'choices': ['dev', 'prod'], 'description': 'where'}
    assert result['vendor_status'] == 'PAUSED'


def test_to_result_terminal_flag_follows_the_status():
    assert full_execution(Status.FAILED).to_result()['terminal'] is True
    assert full_execution(Status.UNKNOWN).to_result()['terminal'] is False


def test_raw_only_with_include_raw():
    execution = full_execution()
    assert 'raw' not in execution.to_result()
    with_raw = execution.to_result(include_raw=True)
    assert with_raw['raw'] == {'vendor': {'payload': [1, 2, 3]}}
    assert json.loads(json.dumps(with_raw)) == with_raw


def test_to_result_leaves_the_execution_untouched():
    execution = full_execution()
    execution.to_result()['stages'][0]['name'] = 'changed'
    assert execution.stages[0].status is Status.SUCCEEDED
    assert execution.stages[0].name == 'Build'


# Reading a record back ------------------------------------------------------------------------------


def test_from_result_round_trips_identity_fields_through_json():
    original = full_execution()
    back = Execution.from_result(json.loads(json.dumps(original.to_result())))

    for field in ('vendor', 'pipeline', 'id', 'number', 'status', 'vendor_status', 'url', 'idempotency_key',
                  'previous_id', 'parameters', 'scope'):
        assert getattr(back, field) == getattr(original, field), field
    assert back.status is Status.WAITING


def test_from_result_of_a_queued_item_without_id():
    queued = Execution(vendor='jenkins', pipeline='team/app', status=Status.QUEUED, scope={'queue_id': 17})
    back = Execution.from_result(queued.to_result())
    assert back.id is None
    assert back.scope == {'queue_id': 17}
    assert back.status is Status.QUEUED


def test_from_result_turns_ids_into_strings_and_unknown_status_into_unknown():
    back = Execution.from_result({'vendor': 'jenkins', 'pipeline': 'a', 'id': 42, 'status': 'exploded'})
    assert back.id == '42'
    assert back.status is Status.UNKNOWN


@pytest.mark.parametrize('data, missing', [
    ({}, 'vendor, pipeline, id'),
    ({'vendor': 'jenkins', 'pipeline': 'a'}, 'id'),
    ({'vendor': 'jenkins', 'id': '3'}, 'pipeline'),
    ({'pipeline': 'a', 'id': '3', 'scope': {}}, 'vendor'),
    ({'vendor': 'jenkins', 'pipeline': 'a', 'id': ''}, 'id'),
])
def test_from_result_names_what_is_missing(data, missing):
    with pytest.raises(ValueError) as info:
        Execution.from_result(data)
    assert str(info.value).startswith('execution is missing %s;' % missing)
    assert 'whole execution record' in str(info.value)


def test_from_result_of_something_else_names_its_kind_in_words():
    with pytest.raises(ValueError) as info:
        Execution.from_result('12')
    assert str(info.value) == 'execution must be the execution record returned by an earlier task, got a string'


# Statuses -------------------------------------------------------------------------------------------


def test_status_words_and_sets_match_design():
    assert list(STATUS_NAMES) == DESIGN_STATUSES
    assert [s.value for s in Status] == DESIGN_STATUSES
    assert {s.value for s in TERMINAL} == DESIGN_TERMINAL
    assert {s.value for s in ACTIVE} == {'queued', 'running', 'waiting'}
    assert not TERMINAL & ACTIVE
    assert Status.UNKNOWN not in TERMINAL | ACTIVE
    for status in Status:
        assert status.terminal is (status.value in DESIGN_TERMINAL)
        assert status.active is (status.value in {'queued', 'running', 'waiting'})
        assert str(status) == status.value


def test_map_status():
    table = {'SUCCESS': Status.SUCCEEDED, 'FAILURE': Status.FAILED}
    assert map_status(table, 'SUCCESS') is Status.SUCCEEDED
    assert map_status(table, 'FAILURE') is Status.FAILED
    assert map_status(table, 'SOMETHING_NEW') is Status.UNKNOWN
    assert map_status(table, None) is Status.UNKNOWN
    assert map_status({}, '') is Status.UNKNOWN


@pytest.mark.parametrize('millis, iso', [
    (1700000000123, '2023-11-14T22:13:20Z'),
    (1700000000999.9, '2023-11-14T22:13:20Z'),
    (1000, '1970-01-01T00:00:01Z'),
    (None, None),
    (0, None),
    (-5, None),
])
def test_iso_from_millis(millis, iso):
    assert iso_from_millis(millis) == iso


# Parameter checks -----------------------------------------------------------------------------------


DEFINITIONS = [
    InputParameter(name='ZONE', type='choice', choices=['eu', 'us']),
    InputParameter(name='APP', required=True),
    InputParameter(name='DRY_RUN', type='boolean'),
    InputParameter(name='LEVEL', required=True, default='info'),
]


def test_acceptable_values_have_no_problems():
    assert check_values(DEFINITIONS, {'ZONE': 'eu', 'APP': 'web', 'DRY_RUN': True}, 'pipeline p') == []
    assert check_values(DEFINITIONS, {'APP': 'web', 'DRY_RUN': 'False'}, 'pipeline p') == []


def test_unknown_names_list_the_real_ones_in_declared_order():
    problems = check_values(DEFINITIONS, {'APP': 'web', 'zeta': 1, 'alpha': 2}, 'pipeline team/app')
    assert problems == ["unknown parameters 'alpha', 'zeta' for pipeline team/app; "
                        "its parameters are: ZONE, APP, DRY_RUN, LEVEL"]


def test_unknown_name_when_nothing_is_declared():
    assert check_values([], {'X': 1}, "input 'ok'") == [
        "unknown parameter 'X' for input 'ok'; its parameters are: none (it takes no parameters)"]


def test_choice_outside_choices_names_the_choices():
    assert check_values(DEFINITIONS, {'APP': 'web', 'ZONE': 'ap'}, 'pipeline p') == [
        "parameter 'ZONE' must be one of eu, us, got 'ap'"]


@pytest.mark.parametrize('value', [True, False, 'true', 'FALSE'])
def test_boolean_accepts_booleans(value):
    assert check_values(DEFINITIONS, {'APP': 'x', 'DRY_RUN': value}, 'p') == []


@pytest.mark.parametrize('value', ['maybe', 2, 'yes please'])
def test_boolean_rejects_other_values(value):
    assert check_values(DEFINITIONS, {'APP': 'x', 'DRY_RUN': value}, 'p') == [
        "parameter 'DRY_RUN' is a boolean (true or false), got %r" % (value,)]


@pytest.mark.parametrize('value, kind', [(['web', 'api'], 'a list'), ({'a': 1}, 'a mapping')])
def test_a_list_or_mapping_for_a_single_value_parameter_is_refused(value, kind):
    assert check_values(DEFINITIONS, {'APP': value}, 'p') == [
        "parameter 'APP' takes one string value, got %s; join the values into one string yourself (for example with "
        "the join filter)" % kind]


def test_a_vendor_specific_parameter_type_may_take_a_list():
    other = [InputParameter('TAGS', type='other')]
    assert check_values(other, {'TAGS': ['a', 'b']}, 'p') == []


def test_required_without_default_must_be_given():
    assert check_values(DEFINITIONS, {}, 'pipeline p') == ["parameter 'APP' is required by pipeline p"]


def test_every_problem_is_reported_at_once():
    problems = check_values(DEFINITIONS, {'ZONE': 'mars', 'DRY_RUN': 'perhaps', 'EXTRA': 1}, 'pipeline p')
    assert len(problems) == 4


def test_pending_input_check_answer_names_the_gate():
    gate = PendingInput(id='deploy', parameters=[InputParameter(name='OK', required=True)])
    assert gate.check_answer({}) == ["parameter 'OK' is required by input 'deploy'"]
    assert gate.check_answer({'OK': 'y'}) == []


# Derived idempotency keys ---------------------------------------------------------------------------


def test_derived_key_is_stable_across_runs_and_dict_order():
    a = derive_key('team/app', {'VERSION': '1.2.3', 'ENV': 'prod'}, 'abc123')
    b = derive_key('team/app', {'ENV': 'prod', 'VERSION': '1.2.3'}, 'abc123')
    assert a == b
    # The key must be the same in the next ansible-playbook run (a new process): no hash() salt.
    assert a == 'auto-566cf77ecbe0001ac6a06e89'


def test_derived_key_ignores_nested_dict_order():
    assert (derive_key('p', {'cfg': {'a': 1, 'b': [1, 2]}}, None)
            == derive_key('p', {'cfg': {'b': [1, 2], 'a': 1}}, None))


@pytest.mark.parametrize('other', [
    ('team/app', {'VERSION': '1.2.4', 'ENV': 'prod'}, 'abc123'),
    ('team/app', {'VERSION': '1.2.3'}, 'abc123'),
    ('team/app', {'VERSION': '1.2.3', 'ENV': 'prod', 'X': ''}, 'abc123'),
    ('team/other', {'VERSION': '1.2.3', 'ENV': 'prod'}, 'abc123'),
    ('team/app', {'VERSION': '1.2.3', 'ENV': 'prod'}, 'def456'),
    ('team/app', {'VERSION': '1.2.3', 'ENV': 'prod'}, None),
])
def test_derived_key_differs_when_an_input_differs(other):
    assert derive_key(*other) != derive_key('team/app', {'VERSION': '1.2.3', 'ENV': 'prod'}, 'abc123')
