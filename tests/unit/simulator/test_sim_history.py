"""Scenario ``history``: pipelines that start with finished runs (scenario parsing, engine, Jenkins API, control API)."""
from __future__ import annotations

import typing as t

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator import engine as eng
from ansible_collections.cicd.pipelines.tests.simulator.clock import Clock
from ansible_collections.cicd.pipelines.tests.simulator.engine import Engine, Trigger
from ansible_collections.cicd.pipelines.tests.simulator.scenario import HISTORY_GAP, ScenarioError, parse_scenario
from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, running

START = 10000.0
USERS = {'users': [{'name': ADMIN_USER, 'password': ADMIN_PASSWORD, 'tokens': [ADMIN_TOKEN]}]}
STAGES = [{'name': 'Build', 'duration': 20}, {'name': 'Test', 'duration': 30, 'fail_times': 1},
          {'name': 'Approval', 'gate': {'message': 'Ship it?', 'parameters': [{'name': 'CONFIRM', 'type': 'boolean'}]}},
          {'name': 'Deploy', 'duration': 10}]
PARAMS = [{'name': 'VERSION', 'default': '0.0'}, {'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']},
          {'name': 'DRY_RUN', 'type': 'boolean'}]
HISTORY = [
    {'result': 'SUCCESS', 'duration': 60, 'ago': 7200, 'parameters': {'VERSION': '1.0'}},
    {'result': 'SUCCESS', 'duration': 90, 'ago': 3600, 'parameters': {'VERSION': '1.1', 'TARGET': 'production', 'DRY_RUN': 'true'}},
    {'result': 'SUCCESS', 'duration': 120, 'ago': 1800},
    {'result': 'FAILURE', 'duration': 45, 'ago': 600, 'stage': 'Test'},
]


def scenario(history: t.Any, **extra: t.Any) -> dict[str, t.Any]:
    """A one-pipeline Jenkins scenario (frozen clock) whose pipeline ``team/app/deploy`` has ``history``."""
    pipeline: dict[str, t.Any] = {'vendor': 'jenkins', 'name': 'team/app/deploy', 'declarative': True, 'parameters': PARAMS,
                                  'stages': STAGES, 'history': history}
    pipeline.update(extra)
    return {'speed': 0, 'jenkins': USERS, 'pipelines': [pipeline]}


def engine_for(history: t.Any, **extra: t.Any) -> Engine:
    """An engine on a frozen clock at START running :func:`scenario`."""
    return Engine(parse_scenario(scenario(history, **extra)), clock=Clock(speed=0, start=START))


# -- scenario validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(('entry', 'message'), [
    ({'result': 'PASSED'}, "pipelines[0] 'team/app/deploy'.history[0].result must be one of SUCCESS, FAILURE, UNSTABLE, ABORTED, got 'PASSED'"),
    ({}, "pipelines[0] 'team/app/deploy'.history[0].result must be one of"),
    ({'result': 'SUCCESS', 'duration': -1}, "pipelines[0] 'team/app/deploy'.history[0].duration must be a number >= 0"),
    ({'result': 'SUCCESS', 'ago': 0}, "pipelines[0] 'team/app/deploy'.history[0].ago must be a number > 0, got 0"),
    ({'result': 'SUCCESS', 'ago': 'yesterday'}, "history[0].ago must be a number > 0"),
    ({'result': 'SUCCESS', 'parameters': {'NOPE': 1}}, "pipelines[0] 'team/app/deploy'.history[0].parameters: no such parameter(s) 'NOPE'"),
    ({'result': 'SUCCESS', 'parameters': {'TARGET': 'moon'}}, "history[0].parameters.TARGET must be one of staging, production, got 'moon'"),
    ({'result': 'SUCCESS', 'parameters': {'VERSION': [1]}}, "history[0].parameters.VERSION must be a scalar"),
    ({'result': 'SUCCESS', 'parameters': ['VERSION']}, "history[0].parameters must be a mapping"),
    ({'result': 'SUCCESS', 'durations': 3}, "history[0]: unknown key(s) durations"),
    ({'result': 'SUCCESS', 'stage': 'Test'}, "history[0].stage is only for FAILURE, UNSTABLE or ABORTED entries"),
    ({'result': 'FAILURE', 'stage': 'Lint'}, "history[0].stage must name a stage of the pipeline, got 'Lint'"),
    ('SUCCESS', "history[0] must be a mapping"),
])
def test_invalid_history_entry_names_the_item(entry, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(scenario([entry]))
    assert message in str(info.value)


def test_history_must_be_a_list_oldest_first():
    with pytest.raises(ScenarioError, match=r"pipelines\[0\] 'team/app/deploy'.history must be a list"):
        parse_scenario(scenario({'result': 'SUCCESS'}))
    with pytest.raises(ScenarioError, match=r"history\[0\] starts after history\[1\]; list history oldest first"):
        parse_scenario(scenario([{'result': 'SUCCESS', 'ago': 100, 'duration': 10}, {'result': 'SUCCESS', 'ago': 200, 'duration': 10}]))


def test_history_defaults_and_coercion():
    spec = parse_scenario(scenario([{'result': 'SUCCESS', 'parameters': {'VERSION': 2, 'DRY_RUN': 'TRUE'}},
                                    {'result': 'FAILURE', 'stage': 'Build'}, {'result': 'UNSTABLE', 'stage': 'Test'},
                                    {'result': 'ABORTED'}])).pipelines[0]
    first, failed, unstable, aborted = spec.history
    assert first.parameters == {'VERSION': '2', 'TARGET': 'staging', 'DRY_RUN': True}
    assert failed.parameters == {'VERSION': '0.0', 'TARGET': 'staging', 'DRY_RUN': False}
    # duration: the stages that ran (all for SUCCESS/UNSTABLE, through the failed/aborted stage otherwise)
    assert (first.duration, failed.duration, unstable.duration, aborted.duration) == (60.0, 20.0, 60.0, 60.0)
    assert (first.stage, failed.stage, unstable.stage, aborted.stage) == (None, 0, 1, 3)
    # ago: spread back from the load, HISTORY_GAP between entries, none overlapping
    assert aborted.ago == HISTORY_GAP
    assert unstable.ago == aborted.ago + aborted.duration + HISTORY_GAP
    assert failed.ago == unstable.ago + unstable.duration + HISTORY_GAP
    assert first.ago == failed.ago + failed.duration + HISTORY_GAP
    assert parse_scenario(scenario(None)).pipelines[0].history == ()


# -- engine ------------------------------------------------------------------------------------------
def test_history_runs_are_finished_and_numbering_continues():
    engine = engine_for(HISTORY)
    runs = engine.executions('jenkins', 'team/app/deploy')
    assert [(e.id, e.number, e.state, e.history) for e in runs] == [
        (1, 1, eng.SUCCEEDED, True), (2, 2, eng.SUCCEEDED, True), (3, 3, eng.SUCCEEDED, True), (4, 4, eng.FAILED, True)]
    assert engine.now() == START  # the clock did not move
    assert [(e.started_at, e.finished_at) for e in runs] == [(START - 7260, START - 7200), (START - 3690, START - 3600),
                                                             (START - 1920, START - 1800), (START - 645, START - 600)]
    success, failure = runs[0], runs[3]
    assert [s.status for s in success.stages] == [eng.SUCCEEDED] * 4
    assert success.stages[0].started_at == success.started_at and success.stages[-1].finished_at == success.finished_at
    assert success.stages[2].answer is not None and success.stages[2].answer.approved and success.stages[2].answer.values == {'CONFIRM': False}
    assert [s.status for s in failure.stages] == [eng.SUCCEEDED, eng.FAILED, eng.PENDING, eng.PENDING]
    assert failure.reason == 'failed' and failure.stages[1].finished_at == failure.finished_at
    assert failure.stages[0].finished_at == pytest.approx(START - 645 + 18)  # 45 s spread 20:30 over Build and Test
    assert runs[1].parameters == {'VERSION': '1.1', 'TARGET': 'production', 'DRY_RUN': True}
    assert engine.next_number('jenkins', 'team/app/deploy') == 5
    assert engine.counters() == {}  # history is not counted as created/started
    new = engine.submit(engine.pipeline('jenkins', 'team/app/deploy'), {}, Trigger(user='u'), delay=0)
    assert new.id == 5 and not new.history
    engine.sync()
    assert new.number == 5 and new.state == eng.RUNNING
    assert engine.runs('jenkins', 'team/app/deploy')[0] is new
    engine.clock.advance(50)
    engine.sync()
    assert new.state == eng.FAILED  # fail_times: 1 was not used up by history runs that passed or failed Test


def test_unstable_and_aborted_history_stages():
    engine = engine_for([{'result': 'UNSTABLE', 'stage': 'Build'}, {'result': 'ABORTED', 'stage': 'Approval', 'duration': 30}])
    unstable, aborted = engine.executions()
    assert unstable.state == eng.UNSTABLE and unstable.unstable and unstable.reason is None
    assert [s.status for s in unstable.stages] == [eng.UNSTABLE, eng.SUCCEEDED, eng.SUCCEEDED, eng.SUCCEEDED]
    assert aborted.state == eng.ABORTED and aborted.reason == 'stopped'
    assert [s.status for s in aborted.stages] == [eng.SUCCEEDED, eng.SUCCEEDED, eng.ABORTED, eng.PENDING]
    assert aborted.stages[2].answer is None and aborted.finished_at == START - HISTORY_GAP


def test_history_ids_follow_start_time_across_pipelines():
    data = scenario([{'result': 'SUCCESS', 'ago': 100}])
    data['pipelines'].append({'vendor': 'jenkins', 'name': 'other', 'history': [{'result': 'SUCCESS', 'ago': 500}, {'result': 'FAILURE', 'ago': 10}]})
    engine = Engine(parse_scenario(data), clock=Clock(speed=0, start=START))
    assert [(e.id, e.pipeline, e.number) for e in engine.executions()] == [(1, 'other', 1), (2, 'team/app/deploy', 1), (3, 'other', 2)]
    assert engine.next_number('jenkins', 'other') == 3 and engine.next_number('jenkins', 'team/app/deploy') == 2


def test_reset_recreates_history_relative_to_reset_time():
    engine = engine_for([{'result': 'SUCCESS', 'duration': 5, 'ago': 100}])
    engine.submit(engine.pipeline('jenkins', 'team/app/deploy'), {}, Trigger(user='u'), delay=0)
    engine.clock.advance(1000)
    engine.sync()
    engine.reset()
    runs = engine.executions()
    assert len(runs) == 1 and runs[0].history and runs[0].finished_at == START + 1000 - 100
    assert engine.next_number('jenkins', 'team/app/deploy') == 2


# -- Jenkins API and control API ---------------------------------------------------------------------
def session() -> requests.Session:
    """An admin API-token session."""
    client = requests.Session()
    client.auth = (ADMIN_USER, ADMIN_TOKEN)
    return client


def test_jenkins_shows_history_as_builds_and_estimates_from_it():
    with running(scenario(HISTORY)) as sim, session() as client:
        job = sim.jenkins_url + '/job/team/job/app/job/deploy'
        now_ms = round(sim.control('GET', 'clock')['now'] * 1000)
        data = client.get(job + '/api/json').json()
        assert [b['number'] for b in data['builds']] == [4, 3, 2, 1]
        assert data['nextBuildNumber'] == 5 and data['color'] == 'red' and data['inQueue'] is False
        links = {k: data[k]['number'] if data[k] else None for k in ('lastBuild', 'lastCompletedBuild', 'lastSuccessfulBuild', 'lastStableBuild',
                                                                     'lastFailedBuild', 'lastUnsuccessfulBuild', 'firstBuild')}
        assert links == {'lastBuild': 4, 'lastCompletedBuild': 4, 'lastSuccessfulBuild': 3, 'lastStableBuild': 3,
                         'lastFailedBuild': 4, 'lastUnsuccessfulBuild': 4, 'firstBuild': 1}
        failed = client.get(job + '/lastBuild/api/json').json()
        assert failed['number'] == 4 and failed['result'] == 'FAILURE' and failed['building'] is False and failed['inProgress'] is False
        assert failed['duration'] == 45000 and failed['timestamp'] == pytest.approx(now_ms - 645000, abs=1)
        assert failed['previousBuild']['number'] == 3 and failed['nextBuild'] is None
        assert client.get(job + '/lastSuccessfulBuild/api/json').json()['number'] == 3
        second = client.get(job + '/2/api/json').json()
        values = {p['name']: p['value'] for p in second['actions'][0]['parameters']}
        assert values == {'VERSION': '1.1', 'TARGET': 'production', 'DRY_RUN': True}
        average = (60000 + 90000 + 120000) // 3
        assert failed['estimatedDuration'] == average
        describe = client.get(job + '/4/wfapi/describe').json()
        assert describe['status'] == 'FAILED' and describe['durationMillis'] == 45000 and describe['queueDurationMillis'] == 0
        # Stage View lists every declared stage: those skipped after the failure as SUCCESS without run time.
        assert [(s['name'], s['status']) for s in describe['stages']] == [
            ('Build', 'SUCCESS'), ('Test', 'FAILED'), ('Approval', 'SUCCESS'), ('Deploy', 'SUCCESS')]
        console = client.get(job + '/4/consoleText').text
        assert 'ERROR: Test failed' in console and console.endswith('ERROR: script returned exit code 1\nFinished: FAILURE\n')
        assert 'Stage "Deploy" skipped due to earlier failure(s)' in console
        assert client.get(job + '/1/consoleText').text.endswith('Finished: SUCCESS\n')
        # the first new build: number 5, estimated from the history from the start
        created = client.post(job + '/buildWithParameters', params={'VERSION': '2.0', 'delay': '0sec'}, allow_redirects=False)
        assert created.status_code == 201 and created.headers['Location'].endswith('/queue/item/5/')
        sim.advance(0)
        new = client.get(job + '/lastBuild/api/json').json()
        assert new['number'] == 5 and new['building'] is True and new['estimatedDuration'] == average
        assert sim.control('GET', 'clock')['now'] * 1000 == pytest.approx(now_ms, abs=1)  # no clock jump


def test_control_api_lists_and_resets_history():
    with running(scenario([{'result': 'SUCCESS', 'duration': 5, 'ago': 100}, {'result': 'FAILURE', 'duration': 5, 'ago': 50}])) as sim:
        listed = sim.executions(pipeline='team/app/deploy')
        assert [(e['number'], e['state'], e['history']) for e in listed] == [(1, 'succeeded', True), (2, 'failed', True)]
        assert sim.counters()['executions'] == {}
        with session() as client:
            client.post(sim.jenkins_url + '/job/team/job/app/job/deploy/build', data={'json': '{"parameter": []}'})
        sim.advance(3600)
        assert [e['history'] for e in sim.executions()] == [True, True, False]
        sim.reset()
        again = sim.executions()
        assert [e['number'] for e in again] == [1, 2]
        assert again[1]['finished_at'] == pytest.approx(sim.control('GET', 'clock')['now'] - 50, abs=0.01)


def test_no_history_keeps_estimate_unknown():
    with running(scenario([])) as sim, session() as client:
        job = sim.jenkins_url + '/job/team/job/app/job/deploy'
        assert client.get(job + '/api/json').json()['builds'] == []
        client.post(job + '/buildWithParameters', params={'VERSION': '2.0', 'delay': '0sec'})
        sim.advance(0)
        build = client.get(job + '/lastBuild/api/json').json()
        assert build['number'] == 1 and build['estimatedDuration'] == -1


@pytest.mark.parametrize(('history', 'expected'), [
    # Job.getEstimatedDurationCandidates: the last success, then good builds among the last 6, up to 3 ...
    ([{'result': 'SUCCESS', 'duration': 10}, {'result': 'SUCCESS', 'duration': 20}, {'result': 'UNSTABLE', 'duration': 30},
      {'result': 'SUCCESS', 'duration': 40}], 30000),
    # ... filled up with completed failures when there are fewer than 3 ...
    ([{'result': 'FAILURE', 'duration': 10}, {'result': 'FAILURE', 'duration': 20}, {'result': 'SUCCESS', 'duration': 60}], 30000),
    # ... never with aborted builds; failures alone still give an estimate.
    ([{'result': 'ABORTED', 'duration': 90}, {'result': 'FAILURE', 'duration': 30}], 30000),
    ([{'result': 'ABORTED', 'duration': 90}], -1),
])
def test_estimated_duration_follows_jenkins_candidates(history, expected):
    with running(scenario(history)) as sim, session() as client:
        job = sim.jenkins_url + '/job/team/job/app/job/deploy'
        client.post(job + '/buildWithParameters', params={'VERSION': '2.0', 'delay': '0sec'})
        sim.advance(0)
        assert client.get(job + '/lastBuild/api/json').json()['estimatedDuration'] == expected
