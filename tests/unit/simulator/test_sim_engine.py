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
