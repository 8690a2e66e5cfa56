"""Execution engine: timing, failures, gates, restart, blocking (no HTTP)."""
from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.tests.simulator import engine as eng
from ansible_collections.cicd.pipelines.tests.simulator.clock import Clock
from ansible_collections.cicd.pipelines.tests.simulator.engine import Engine, EngineError, Trigger
from ansible_collections.cicd.pipelines.tests.simulator.scenario import ScenarioError, parse_scenario

SCENARIO = {
    'pipelines': [
        {'vendor': 'v', 'name': 'p', 'quiet_period': 1, 'parameters': [{'name': 'A', 'default': 'x'}],
         'stages': [{'name': 'Build', 'duration': 2}, {'name': 'Test', 'duration': 2, 'fail_times': 1},
                    {'name': 'Gate', 'gate': {'message': 'ok?', 'timeout': 60}, 'duration': 1}, {'name': 'Deploy', 'duration': 3}]},
        {'vendor': 'v', 'name': 'serial', 'concurrent': False, 'stages': [{'name': 'Work', 'duration': 10}]},
        {'vendor': 'v', 'name': 'shaky',
         'stages': [{'name': 'Lint', 'duration': 1, 'fail_times': 2, 'fail_result': 'UNSTABLE'}, {'name': 'Ship', 'duration': 1}]},
    ],
}


@pytest.fixture(name='engine')
def engine_fixture() -> Engine:
    """An engine with a frozen clock at t=1000."""
    return Engine(parse_scenario(SCENARIO), clock=Clock(speed=0, start=1000.0))


def submit(engine: Engine, name: str, **kwargs):
    """Queue an execution of ``name``."""
    spec = engine.pipeline('v', name)
    return engine.submit(spec, {'A': 'x'}, Trigger(user='u'), **kwargs)


def stage_statuses(execution):
    """Stage statuses in order."""
    return [s.status for s in execution.stages]


def test_quiet_period_then_stage_timing(engine):
    run = submit(engine, 'p')
    engine.clock.advance(0.5)
    engine.sync()
    assert run.state == eng.QUEUED and run.number is None
    engine.clock.advance(0.5)
    engine.sync()
    assert run.state == eng.RUNNING and run.number == 1 and run.started_at == 1001.0
    assert stage_statuses(run)[:2] == [eng.RUNNING, eng.PENDING]
    engine.clock.advance(2)
    engine.sync()
    assert stage_statuses(run)[:2] == [eng.SUCCEEDED, eng.RUNNING]
    assert run.stages[0].finished_at == 1003.0


def test_speed_scales_elapsed_time():
    fake = [0.0]
    clock = Clock(speed=10, start=0.0, monotonic=lambda: fake[0])
    engine = Engine(parse_scenario(SCENARIO), clock=clock)
    run = submit(engine, 'p', delay=0)
    fake[0] = 0.35  # 3.5 simulated seconds
    engine.sync()
    assert run.stages[0].status == eng.SUCCEEDED and run.stages[1].status == eng.RUNNING
    clock.set_speed(0)
    fake[0] = 100.0
    assert clock.now() == pytest.approx(3.5)


def test_fail_times_then_pass_across_runs(engine):
    first = submit(engine, 'p', delay=0)
    engine.clock.advance(10)
    engine.sync()
    assert first.state == eng.FAILED and first.reason == 'failed'
    assert stage_statuses(first) == [eng.SUCCEEDED, eng.FAILED, eng.PENDING, eng.PENDING]
    assert first.finished_at == 1004.0
    second = submit(engine, 'p', delay=0)
    engine.clock.advance(4)
    engine.sync()
    assert stage_statuses(second)[:3] == [eng.SUCCEEDED, eng.SUCCEEDED, eng.WAITING]
    assert second.state == eng.WAITING


def test_unstable_stage_continues_and_marks_run(engine):
    run = submit(engine, 'shaky', delay=0)
    engine.clock.advance(5)
    engine.sync()
    assert run.state == eng.UNSTABLE
    assert stage_statuses(run) == [eng.UNSTABLE, eng.SUCCEEDED]


def _at_gate(engine):
    engine.pipeline('v', 'p')
    engine._completions[('v', 'p', 'Test')] = 1  # pylint: disable=protected-access  # skip the planned failure
    run = submit(engine, 'p', delay=0)
    engine.clock.advance(4)
    engine.sync()
    assert run.state == eng.WAITING
    return run


def test_gate_proceed_runs_stage_duration_then_continues(engine):
    run = _at_gate(engine)
    engine.clock.advance(5)
    engine.answer_gate(run, True, {'X': 1}, 'alice')
    gate = run.stages[2]
    assert gate.status == eng.RUNNING and gate.paused == 5 and gate.answer.values == {'X': 1}
    engine.clock.advance(4)
    engine.sync()
    assert run.state == eng.SUCCEEDED and run.finished_at == 1000 + 4 + 5 + 1 + 3
    with pytest.raises(EngineError):
        engine.answer_gate(run, True)


def test_gate_abort_and_timeout(engine):
    run = _at_gate(engine)
    engine.answer_gate(run, False, None, 'alice')
    assert run.state == eng.ABORTED and run.reason == 'rejected' and run.ended_by == 'alice'
    assert run.stages[2].status == eng.ABORTED and run.stages[3].status == eng.PENDING
    late = submit(engine, 'p', delay=0)
    engine.clock.advance(4 + 60)
    engine.sync()
    assert late.state == eng.ABORTED and late.reason == 'expired' and late.finished_at == 1004 + 4 + 60


def test_stop_and_cancel(engine):
    queued = submit(engine, 'p')
    engine.cancel(queued, 'u')
    assert queued.state == eng.CANCELLED and queued.number is None
    running = submit(engine, 'p', delay=0)
    engine.clock.advance(1)
    assert engine.stop(running, 'u') is True
    assert running.state == eng.ABORTED and running.reason == 'stopped' and running.stages[0].status == eng.ABORTED
    assert engine.stop(running) is False
    with pytest.raises(EngineError):
        engine.cancel(running)


def test_restart_from_stage_skips_earlier_stages_and_reuses_parameters(engine):
    origin = engine.submit(engine.pipeline('v', 'p'), {'A': 'custom'}, Trigger(user='u'), delay=0)
    engine.clock.advance(10)
    engine.sync()
    assert origin.state == eng.FAILED
    assert engine.restartable_stages(origin) == ['Build', 'Test']
    restarted = engine.submit(origin.spec, dict(origin.parameters), Trigger(kind='restart', origin_id=origin.id, stage='Test'),
                              delay=0, start_stage=1)
    engine.sync()
    assert restarted.parameters == {'A': 'custom'} and restarted.number == 2
    assert restarted.stages[0].status == eng.SKIPPED and restarted.stages[0].finished_at == restarted.started_at
    assert restarted.stages[1].status == eng.RUNNING
    engine.clock.advance(2)
    engine.sync()
    assert restarted.state == eng.WAITING
    assert engine.restartable_stages(restarted) == ['Build', 'Test', 'Gate']


def test_non_concurrent_pipeline_blocks_second_run(engine):
    first = submit(engine, 'serial', delay=0)
    second = submit(engine, 'serial', delay=0)
    engine.sync()
    assert first.state == eng.RUNNING and second.state == eng.QUEUED
    assert engine.is_blocked(second) and engine.blocker(second) is first
    engine.clock.advance(10)
    engine.sync()
    assert first.state == eng.SUCCEEDED
    assert second.state == eng.RUNNING and second.started_at == first.finished_at and second.number == 2
    assert engine.counters() == {'v': {'serial': {'created': 2, 'started': 2}}}


def test_reset_forgets_everything(engine):
    submit(engine, 'p', delay=0)
    engine.reset()
    assert not engine.executions() and engine.next_number('v', 'p') == 1 and engine.counters() == {}


@pytest.mark.parametrize('bad, message', [
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'parameters': [{'name': 'C', 'type': 'choice'}]}]}, 'needs choices'),
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'stages': [{'name': 'S', 'fail_result': 'BOOM'}]}]}, 'fail_result'),
    ({'pipelines': [{'vendor': 'v', 'name': 'p'}, {'vendor': 'v', 'name': 'p'}]}, 'defined twice'),
    ({'speed': -1}, 'speed'),
])
def test_scenario_validation(bad, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(bad)


def _failed_at_test(engine):
    run = engine.submit(engine.pipeline('v', 'p'), {'A': 'custom'}, Trigger(user='u'), delay=0)
    engine.clock.advance(10)
    engine.sync()
    assert run.state == eng.FAILED and stage_statuses(run) == [eng.SUCCEEDED, eng.FAILED, eng.PENDING, eng.PENDING]
    return run


def test_retry_in_place_continues_the_same_execution_from_the_failed_stage(engine):
    run = _failed_at_test(engine)
    build_finished = run.stages[0].finished_at
    assert engine.retry_in_place(run) == 1
    assert run.state == eng.RUNNING and run.id == 1 and run.number == 1 and run.attempts == 2
    assert run.reason is None and run.finished_at is None and engine.executions() == [run]
    assert run.stages[0].status == eng.SUCCEEDED and run.stages[0].finished_at == build_finished and run.stages[0].attempt == 1
    assert run.stages[1].status == eng.RUNNING and run.stages[1].attempt == 2 and run.stages[1].error is None
    engine.clock.advance(2)
    engine.sync()
    assert stage_statuses(run) == [eng.SUCCEEDED, eng.SUCCEEDED, eng.WAITING, eng.PENDING]  # fail_times counts across attempts
    engine.answer_gate(run, True)
    engine.clock.advance(4)
    engine.sync()
    assert run.state == eng.SUCCEEDED and run.to_dict()['attempts'] == 2
    assert engine.counters() == {'v': {'p': {'created': 1, 'started': 1}}}
    with pytest.raises(EngineError, match='succeeded: only a failed or aborted execution'):
        engine.retry_in_place(run)


def test_retry_in_place_from_stage_only_and_refusals(engine):
    run = _failed_at_test(engine)
    with pytest.raises(EngineError, match="no stage 'Nope'"):
        engine.retry_in_place(run, from_stage='Nope')
    with pytest.raises(EngineError, match="'Deploy' comes after the stage the execution stopped at"):
        engine.retry_in_place(run, from_stage='Deploy')
    build_finished = run.stages[0].finished_at
    assert engine.retry_in_place(run, from_stage='Build', only=['Test']) == 0
    assert run.stages[0].status == eng.SUCCEEDED and run.stages[0].finished_at == build_finished  # not in `only`: kept
    assert run.stages[1].status == eng.RUNNING
    with pytest.raises(EngineError, match='running: only a failed or aborted'):
        engine.retry_in_place(run)
    engine.stop(run, 'u')
    assert engine.retry_in_place(run, from_stage='Build') == 0 and run.attempts == 3
    assert run.stages[0].status == eng.RUNNING and run.stages[0].finished_at is None
    queued = submit(engine, 'p')
    with pytest.raises(EngineError, match='queued'):
        engine.retry_in_place(queued)


def test_max_concurrent_queues_beyond_the_limit_in_submission_order():
    scenario = {'pipelines': [{'vendor': 'v', 'name': 'pool', 'max_concurrent': 2, 'stages': [{'name': 'Work', 'duration': 10}]}]}
    engine = Engine(parse_scenario(scenario), clock=Clock(speed=0, start=1000.0))
    spec = engine.pipeline('v', 'pool')
    assert spec.concurrency_limit == 2 and spec.concurrent is True
    first, second = (engine.submit(spec, {}, Trigger(), delay=0) for _attempt in range(2))
    third = engine.submit(spec, {}, Trigger(), delay=3)
    fourth = engine.submit(spec, {}, Trigger(), delay=0)
    engine.sync()
    assert [first.state, second.state, third.state, fourth.state] == [eng.RUNNING, eng.RUNNING, eng.QUEUED, eng.QUEUED]
    state = engine.queue_state(fourth)
    assert (state.reason, state.position, state.limit, state.active) == ('concurrency', 2, 2, (1, 2))
    assert engine.queue_state(third).reason == 'delay' and engine.queue_state(third).position == 1
    engine.clock.advance(5)
    engine.sync()
    assert engine.queue_state(third).reason == 'concurrency' and engine.queue_state(first) is None
    engine.clock.advance(5)  # both slots free at 1010: the earlier submission wins although its delay ended later
    engine.sync()
    assert third.state == eng.RUNNING and fourth.state == eng.RUNNING and third.started_at == fourth.started_at == 1010.0
    assert (third.number, fourth.number) == (3, 4)


def test_max_concurrent_two_with_three_submissions():
    scenario = {'pipelines': [{'vendor': 'v', 'name': 'pool', 'max_concurrent': 2, 'stages': [{'name': 'Work', 'duration': 10}]}]}
    engine = Engine(parse_scenario(scenario), clock=Clock(speed=0, start=1000.0))
    spec = engine.pipeline('v', 'pool')
    runs = [engine.submit(spec, {}, Trigger(), delay=0) for _attempt in range(3)]
    engine.clock.advance(1)
    engine.sync()
    assert [r.state for r in runs] == [eng.RUNNING, eng.RUNNING, eng.QUEUED] and engine.is_blocked(runs[2])
    assert engine.blocker(runs[2]) is runs[0]
    engine.stop(runs[1])
    engine.sync()
    assert runs[2].state == eng.RUNNING and runs[2].started_at == 1001.0 and runs[2].number == 3


def test_gate_kinds_and_vendor_extras():
    parsed = parse_scenario({'pipelines': [{'vendor': 'v', 'name': 'p', 'workspace': 'ws', 'stages': [
        {'name': 'A', 'gate': {'message': 'ok?', 'approvers': ['ops']}, 'action_id': 7},
        {'name': 'B', 'gate': {'message': 'values?', 'parameters': [{'name': 'X'}]}},
        {'name': 'C', 'gate': {'message': 'set', 'kind': 'variables', 'parameters': [{'name': 'Y'}]}, 'log_lines': 50}]}]})
    spec = parsed.pipelines[0]
    assert [s.gate.kind for s in spec.stages] == ['approval', 'input', 'variables']
    assert spec.extra == {'workspace': 'ws'} and spec.stages[0].extra == {'action_id': 7} and spec.stages[1].extra == {}
    assert spec.stages[0].gate.extra == {'approvers': ['ops']} and spec.stages[2].gate.extra == {}
    assert spec.stages[2].log_lines == 50 and spec.stages[0].log_lines == 3
    assert spec.concurrency_limit is None


@pytest.mark.parametrize('bad, message', [
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'stages': [{'name': 'S', 'gate': {'message': 'm', 'kind': 'vote'}}]}]},
     r"stages\[0\] 'S'\.gate\.kind must be one of approval, input, variables, got 'vote'"),
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'max_concurrent': 0}]}, r"'p'\.max_concurrent must be an integer >= 1"),
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'max_concurrent': True}]}, 'max_concurrent must be an integer'),
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'concurrent': False, 'max_concurrent': 3}]}, 'concurrent: false means max_concurrent: 1'),
    ({'pipelines': [{'vendor': 'v', 'name': 'p', 'stages': [{'name': 'S', 'log_lines': -1}]}]}, r"'S'\.log_lines must be an integer >= 0"),
])
def test_scenario_validation_of_new_keys(bad, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(bad)


def test_max_concurrent_one_is_not_concurrent():
    spec = parse_scenario({'pipelines': [{'vendor': 'v', 'name': 'p', 'max_concurrent': 1}]}).pipelines[0]
    assert spec.concurrent is False and spec.concurrency_limit == 1
    legacy = parse_scenario({'pipelines': [{'vendor': 'v', 'name': 'p', 'concurrent': False}]}).pipelines[0]
    assert legacy.max_concurrent == 1 and legacy.concurrency_limit == 1
