# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The poller with a fake clock that moves only when it sleeps: conditions, adaptive interval,
deadline, transient-error tolerance and fan-out."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._model import (
    Execution,
    PendingInput,
    Stage,
    Status,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Level
from ansible_collections.cicd.pipelines.plugins.module_utils._poller import Condition, Poller, make_condition

TERMINAL_NAMES = {'succeeded', 'unstable', 'failed', 'aborted', 'rejected', 'expired', 'skipped'}


def ex(status: str, id: str = '1', stages: t.Sequence[t.Tuple[str, str]] = (), inputs: t.Sequence[str] = (),
       tag: t.Any = None) -> Execution:
    return Execution(vendor='jenkins', pipeline='team/app', id=id, status=Status(status), raw=tag,
                     stages=[Stage(id=name, name=name, status=Status(s)) for name, s in stages],
                     pending_inputs=[PendingInput(id=i) for i in inputs])


class Script:
    """A refresh function: each call returns the next scripted states (or raises the scripted error).

    A step is a list of states for the executions passed, in order, or an exception instance.
    """

    def __init__(self, *steps: t.Any) -> None:
        self.steps = list(steps)
        self.calls: t.List[t.List[str]] = []
        self.levels: t.List[t.Any] = []

    def __call__(self, executions: t.List[Execution], level: t.Any = None) -> t.List[Execution]:
        self.calls.append([e.id for e in executions])
        self.levels.append(level)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        assert len(step) == len(executions), 'refresh got %s' % [e.id for e in executions]
        return list(step)


def poller(fake_clock: t.Any, max_errors: int = 5) -> Poller:
    # The fake clock serves as both clocks: expected ends and end times below are on its scale.
    return Poller(clock=fake_clock, sleep=fake_clock.sleep, max_errors=max_errors, epoch=fake_clock)


def wait(fake_clock, executions, refresh, condition=None, timeout=600.0, min_interval=2.0, max_interval=10.0,
         max_errors=5):
    return poller(fake_clock, max_errors).wait(executions, refresh, condition or make_condition(),
                                               timeout=timeout, min_interval=min_interval, max_interval=max_interval)


# Interval and deadline -----------------------------------------------------------------------------


@pytest.mark.parametrize('status, wait_for', [('succeeded', None), ('failed', None), ('waiting', ['waiting'])])
def test_condition_met_at_once_neither_sleeps_nor_refreshes(fake_clock, status, wait_for):
    refresh = Script()
    outcome = wait(fake_clock, [ex(status)], refresh, make_condition(wait_for))

    assert fake_clock.sleeps == []
    assert refresh.calls == []
    assert outcome.satisfied == [True]
    assert outcome.timed_out is False
    assert outcome.polls == 0
    assert outcome.elapsed == 0


def test_interval_grows_by_half_while_nothing_changes_capped_at_max(fake_clock):
    refresh = Script(*[[ex('running')] for _n in range(6)], [ex('succeeded')])
    outcome = wait(fake_clock, [ex('running')], refresh, min_interval=2.0, max_interval=10.0)

    assert fake_clock.sleeps == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]
    assert outcome.satisfied == [True]
    assert outcome.executions[0].status == Status.SUCCEEDED
    assert outcome.polls == 7
    assert outcome.elapsed == pytest.approx(sum(fake_clock.sleeps))


def test_interval_returns_to_min_after_a_change(fake_clock):
    refresh = Script(
        [ex('running')],                                   # no change -> 3
        [ex('running')],                                   # no change -> 4.5
        [ex('waiting', inputs=['gate'])],                  # status + gate changed -> 2
        [ex('waiting', inputs=['gate'])],                  # no change -> 3
        [ex('running', stages=[('Build', 'running')])],    # changed -> 2
        [ex('running', stages=[('Build', 'succeeded')])],  # a stage status changed -> 2
        [ex('running', stages=[('Build', 'succeeded')])],  # no change -> 3
        [ex('succeeded', stages=[('Build', 'succeeded')])],
    )
    wait(fake_clock, [ex('running')], refresh, min_interval=2.0, max_interval=30.0)

    assert fake_clock.sleeps == [2.0, 3.0, 4.5, 2.0, 3.0, 2.0, 2.0, 3.0]


@pytest.mark.parametrize('timeout, expected_sleeps', [(10.0, [4.0, 6.0]), (11.0, [4.0, 6.0, 1.0]),
                                                      (3.0, [3.0])])
def test_never_sleeps_past_the_deadline_and_times_out_with_the_last_state(fake_clock, timeout, expected_sleeps):
    start = fake_clock()
    refresh = Script(*[[ex('running', tag=n)] for n in range(10)])
    outcome = wait(fake_clock, [ex('running', tag='initial')], refresh, timeout=timeout, min_interval=4.0,
                   max_interval=60.0)

    assert fake_clock.sleeps == expected_sleeps
    assert fake_clock() - start == pytest.approx(timeout)
    assert outcome.timed_out is True
    assert outcome.satisfied == [False]
    assert outcome.polls == len(expected_sleeps)
    assert outcome.executions[0].raw == len(expected_sleeps) - 1  # the last state seen
    assert outcome.elapsed == pytest.approx(timeout)


def test_timeout_zero_checks_once_and_returns(fake_clock):
    refresh = Script()
    outcome = wait(fake_clock, [ex('running')], refresh, timeout=0)
    assert outcome.timed_out is True
    assert refresh.calls == []
    assert fake_clock.sleeps == []


# Errors ---------------------------------------------------------------------------------------------


def test_transient_errors_below_the_limit_are_tolerated(fake_clock):
    refresh = Script(TransientError('buddy: 503'), RateLimitedError('buddy: 429'), [ex('running')],
                     TransientError('buddy: 502'), TransientError('buddy: 500'), [ex('succeeded')])
    outcome = wait(fake_clock, [ex('running')], refresh, max_errors=3)

    assert outcome.satisfied == [True]
    assert outcome.timed_out is False
    assert outcome.polls == 2
    assert outcome.last_error is None
    assert len(refresh.calls) == 6


def test_max_errors_in_a_row_raise_the_last_error(fake_clock):
    third = TransientError('buddy: could not read execution 1 (HTTP 503): down')
    refresh = Script(TransientError('first'), RateLimitedError('second'), third, [ex('succeeded')])

    with pytest.raises(TransientError) as info:
        wait(fake_clock, [ex('running')], refresh, max_errors=3)

    assert info.value is third
    assert len(refresh.calls) == 3


def test_a_success_resets_the_error_count(fake_clock):
    refresh = Script(TransientError('1'), TransientError('2'), [ex('running')], TransientError('3'),
                     TransientError('4'), [ex('running')], TransientError('5'), TransientError('6'),
                     [ex('succeeded')])
    outcome = wait(fake_clock, [ex('running')], refresh, max_errors=3)
    assert outcome.satisfied == [True]
    assert len(refresh.calls) == 9


def test_errors_until_the_deadline_time_out_with_the_last_error(fake_clock):
    refresh = Script(*[TransientError('buddy: could not read (HTTP 503): try %d' % n) for n in range(50)])
    outcome = wait(fake_clock, [ex('running')], refresh, timeout=20.0, max_errors=50)

    assert outcome.timed_out is True
    assert outcome.last_error == 'buddy: could not read (HTTP 503): try %d' % (len(refresh.calls) - 1)
    assert sum(fake_clock.sleeps) == pytest.approx(20.0)


@pytest.mark.parametrize('error', [NotFoundError('gone'), AuthenticationError('token revoked'),
                                   ValidationError('bad')])
def test_other_errors_are_raised_at_once(fake_clock, error):
    refresh = Script(error, [ex('succeeded')])
    with pytest.raises(type(error)) as info:
        wait(fake_clock, [ex('running')], refresh, max_errors=5)
    assert info.value is error
    assert len(refresh.calls) == 1


# Fan-out -------------------------------------------------------------------------------------------


def test_fan_out_refreshes_only_pending_executions_and_settles_ones_that_end_otherwise(fake_clock):
    refresh = Script(
        [ex('succeeded', 'a'), ex('running', 'b'), ex('running', 'c')],
        [ex('failed', 'b'), ex('running', 'c')],
        [ex('succeeded', 'c')],
    )
    outcome = wait(fake_clock, [ex('running', 'a'), ex('running', 'b'), ex('running', 'c'), ex('succeeded', 'd')],
                   refresh, make_condition(['succeeded']))

    assert refresh.calls == [['a', 'b', 'c'], ['b', 'c'], ['c']]
    assert [e.id for e in outcome.executions] == ['a', 'b', 'c', 'd']
    assert [e.status for e in outcome.executions] == [Status.SUCCEEDED, Status.FAILED, Status.SUCCEEDED,
                                                      Status.SUCCEEDED]
    assert outcome.satisfied == [True, False, True, True]
    assert outcome.all_satisfied is False
    assert outcome.timed_out is False


def test_fan_out_terminal_at_start_is_never_refreshed(fake_clock):
    refresh = Script([ex('waiting', 'b')])
    outcome = wait(fake_clock, [ex('aborted', 'a'), ex('running', 'b')], refresh, make_condition(['waiting']))

    assert refresh.calls == [['b']]
    assert outcome.satisfied == [False, True]


def test_fan_out_timeout_reports_each_execution(fake_clock):
    refresh = Script(*[[ex('running', 'b')] for _n in range(20)])
    outcome = wait(fake_clock, [ex('succeeded', 'a'), ex('running', 'b')], refresh, timeout=15.0)
    assert outcome.timed_out is True
    assert outcome.satisfied == [True, False]
    assert all(call == ['b'] for call in refresh.calls)


# Conditions ----------------------------------------------------------------------------------------


def test_default_condition_is_terminal():
    condition = make_condition()
    for status in Status:
        assert condition(ex(status.value)) is (status.value in TERMINAL_NAMES), status
    assert make_condition([], None)(ex('running')) is False


def test_wait_for_statuses():
    condition = make_condition(['waiting', 'succeeded'])
    assert condition(ex('waiting')) is True
    assert condition(ex('succeeded')) is True
    assert condition(ex('running')) is False
    assert condition(ex('failed')) is False


def test_wait_until_is_jmespath_over_the_rendered_record():
    condition = make_condition(until="stages[?name=='Deploy'].status | [0] == 'running'")
    assert condition(ex('running', stages=[('Build', 'succeeded'), ('Deploy', 'running')])) is True
    assert condition(ex('running', stages=[('Build', 'running'), ('Deploy', 'queued')])) is False
    assert condition(ex('running')) is False
    # the record as rendered: status words and the terminal flag, not Python objects
    assert make_condition(until="status == 'failed' && terminal")(ex('failed')) is True
    assert make_condition(until="vendor == 'jenkins' && pipeline == 'team/app'")(ex('queued')) is True


def test_wait_until_alone_does_not_require_a_terminal_status():
    condition = make_condition(until="length(pending_inputs) > `0`")
    assert condition(ex('waiting', inputs=['approve'])) is True
    assert condition(ex('succeeded')) is False


def test_wait_for_and_wait_until_must_both_hold():
    condition = make_condition(['waiting'], "pending_inputs[0].id == 'deploy'")
    assert condition(ex('waiting', inputs=['deploy'])) is True
    assert condition(ex('waiting', inputs=['other'])) is False
    assert condition(ex('running', inputs=['deploy'])) is False


def test_unknown_wait_for_status_lists_the_accepted_ones():
    with pytest.raises(ValidationError) as info:
        make_condition(['succeeded', 'finished'])
    assert 'finished' in info.value.msg
    assert info.value.msg.startswith("wait_for: unknown status 'finished'; ")
    for status in Status:
        assert status.value in info.value.msg.split('accepted: ', 1)[1]


@pytest.mark.parametrize('expression', ["stages[?name=='Deploy'", 'status ==', '[[', 'nosuch(status)',
                                        'length(status, status)'])
def test_bad_wait_until_is_a_validation_error_before_waiting(expression):
    with pytest.raises(ValidationError) as info:
        make_condition(until=expression)
    assert info.value.msg.startswith('wait_until is not a valid JMESPath expression (%s)' % expression)
    # jmespath's words on one line, without its exception class or the expression drawn again under a caret
    assert '\n' not in info.value.msg and 'Error' not in info.value.msg and 'Invalid jmespath' not in info.value.msg


def test_wait_until_that_fails_on_a_record_is_a_validation_error():
    condition = make_condition(until="length(stages[0].name) > `3`")  # fine once stages exist
    assert condition(ex('running', stages=[('Build', 'running')])) is True
    with pytest.raises(ValidationError) as info:
        condition(ex('running'))
    assert 'wait_until could not be evaluated' in info.value.msg


# Schedule from the vendor's estimate, read levels, modes, detection lag -------------------------------


def timed(status: str, expected_end: t.Optional[float] = None, ended: t.Optional[float] = None, id: str = '1') -> Execution:
    execution = ex(status, id=id)
    execution.expected_end, execution.ended_epoch = expected_end, ended
    return execution


def test_with_an_estimate_it_looks_soon_then_at_the_cap_then_just_after_the_expected_end(fake_clock):
    """A 60-second execution with an exact estimate: 3 polls, the end seen half a second after it."""
    start = fake_clock()
    end = start + 60
    refresh = Script([timed('running', end)], [timed('running', end)], [timed('succeeded', end, ended=end)])
    outcome = wait(fake_clock, [timed('running', end)], refresh, min_interval=2.0, max_interval=30.0)
    assert fake_clock.sleeps == [2.0, 30.0, pytest.approx(28.5)]
    assert outcome.polls == 3
    assert outcome.detection_lag == pytest.approx(0.5)


def test_past_the_estimate_it_polls_densely_then_backs_off_to_the_cap(fake_clock):
    end = fake_clock() + 10
    steps = [[timed('running', end)] for _unused in range(9)] + [[timed('failed', end)]]
    outcome = wait(fake_clock, [timed('running', end)], Script(*steps), min_interval=2.0, max_interval=5.0)
    assert fake_clock.sleeps == [2.0, 5.0, pytest.approx(3.5), 2.0, 2.0, 2.0, 3.0, 4.5, 5.0, 5.0]
    assert outcome.satisfied == [True] and outcome.detection_lag is None  # no end time known: no lag


def test_a_long_estimate_never_sleeps_longer_than_the_cap(fake_clock):
    end = fake_clock() + 600
    steps = [[timed('running', end)] for _unused in range(3)] + [[timed('succeeded', end)]]
    wait(fake_clock, [timed('running', end)], Script(*steps), min_interval=2.0, max_interval=30.0)
    assert max(fake_clock.sleeps) == 30.0


@pytest.mark.parametrize('wait_for, until, level', [
    (None, None, Level.STATUS),
    (['succeeded', 'failed'], None, Level.STATUS),
    (['waiting', 'succeeded'], None, Level.STAGES),
    (['running'], None, Level.STAGES),  # a Jenkins build paused at an input still reads as building
    (None, "status == 'succeeded'", Level.FULL),
])
def test_a_poll_reads_only_the_level_its_condition_needs(fake_clock, wait_for, until, level):
    refresh = Script([ex('succeeded')])
    wait(fake_clock, [ex('queued')], refresh, make_condition(wait_for, until))
    assert refresh.levels == [level]


def test_any_mode_ends_when_one_execution_meets_the_condition(fake_clock):
    refresh = Script([ex('running', 'a'), ex('succeeded', 'b'), ex('running', 'c')])
    outcome = poller(fake_clock).wait([ex('running', 'a'), ex('running', 'b'), ex('running', 'c')], refresh,
                                      make_condition(), timeout=60, min_interval=2.0, max_interval=10.0, mode='any')
    assert outcome.satisfied == [False, True, False] and outcome.timed_out is False and outcome.polls == 1


def test_executions_are_polled_when_each_is_due_not_all_at_every_round(fake_clock):
    """One execution expected to end in 10 s, one in 100 s: the second is not read at every round."""
    start = fake_clock()
    soon, later = timed('running', start + 10, id='a'), timed('running', start + 100, id='b')
    refresh = Script([timed('running', start + 10, id='a'), timed('running', start + 100, id='b')],
                     [timed('succeeded', start + 10, id='a')],
                     [timed('running', start + 100, id='b')], [timed('running', start + 100, id='b')],
                     [timed('succeeded', start + 100, id='b')])
    outcome = poller(fake_clock).wait([soon, later], refresh, Condition(lambda e: e.terminal, Level.STATUS), timeout=600,
                                      min_interval=2.0, max_interval=30.0)
    assert refresh.calls == [['a', 'b'], ['a'], ['b'], ['b'], ['b']]
    assert outcome.all_satisfied


def test_executions_that_settle_are_completed_while_the_others_still_run(fake_clock):
    start = fake_clock()
    partial = [timed('running', start + 5, id='a'), timed('running', start + 50, id='b')]
    for execution in partial:
        execution.level = Level.STATUS
    done_a = timed('succeeded', start + 5, id='a')
    done_a.level = Level.STATUS
    done_b = timed('succeeded', start + 50, id='b')
    done_b.level = Level.STATUS
    refresh = Script([done_a, timed('running', start + 50, id='b')], [done_b])
    completed: t.List[t.List[str]] = []

    def complete(executions: t.List[Execution]) -> t.List[Execution]:
        completed.append([e.id for e in executions])
        return [timed(e.status.value, id=e.id) for e in executions]

    outcome = poller(fake_clock).wait(partial, refresh, Condition(lambda e: e.terminal, Level.STATUS), timeout=600,
                                      min_interval=2.0, max_interval=30.0, complete=complete)
    assert completed == [['a']]  # b, the last one, is left to the caller (the wait ends with it)
    assert outcome.executions[0].level == Level.FULL and outcome.executions[1].level == Level.STATUS


def test_the_detection_lag_is_that_of_the_execution_that_ended_last(fake_clock):
    start = fake_clock()
    refresh = Script([timed('succeeded', ended=start + 1.5, id='a'), timed('succeeded', ended=start - 100, id='b')])
    outcome = wait(fake_clock, [timed('running', id='a'), timed('running', id='b')], refresh)
    assert outcome.detection_lag == pytest.approx(0.5)
