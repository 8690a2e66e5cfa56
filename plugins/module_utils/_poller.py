# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The one poller: wait until one or many executions meet a condition, or a deadline passes.

What a poll reads (DESIGN section 9): the condition says which `Level` decides it (a status-only
condition needs only the status; `waiting` needs stages and gates; a JMESPath condition the whole
record), and `refresh(executions, level)` reads that much. The caller reads the full record once
at the end.

When to poll, for each execution on its own:
- With the vendor's estimate of the end (`Execution.expected_end`: the vendor's own estimate, or the
  pipeline's recent durations): the first poll comes `min_interval` after the wait starts (an early
  failure is seen soon), then polls go at most `max_interval` apart until just after the expected
  end, then densely (`min_interval`) for a short window, then back off by half per poll towards
  `max_interval` when the estimate has passed.
- Without one: the interval starts at `min_interval`, grows by half after every poll that saw no
  change in that execution, and returns to `min_interval` as soon as it changes.
- Never longer than `max_interval`, never past the deadline. A round polls the executions that are
  due (and those due within half a `min_interval`, so rounds merge); executions that reached a
  terminal status are never polled again.
- Transient failures (5xx, connection errors, rate limiting that outlived the transport's retries)
  do not end the wait; only `max_errors` of them in a row do.
- `mode='any'` ends the wait as soon as one execution meets the condition.
- The clocks and sleep are injectable so tests run in no time.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t

from ._errors import RateLimitedError, TransientError, ValidationError
from ._model import STATUS_NAMES, TERMINAL, Execution, Level, Status

Refresh = t.Callable[[t.List[Execution], Level], t.List[Execution]]
# How long to keep polling densely once an execution is past its expected end, and how far after the
# expected end the first look goes (the vendor records the end a moment after it happens).
_DENSE_WINDOW = 3
_AFTER_END = 0.5


class Condition:
    """A wait condition: `test(execution)` and the `level` of record it needs."""

    def __init__(self, test: t.Callable[[Execution], bool], level: Level = Level.FULL) -> None:
        self.test = test
        self.level = level

    def __call__(self, execution: Execution) -> bool:
        return self.test(execution)


def make_condition(statuses: t.Optional[t.Iterable[str]] = None, until: t.Optional[str] = None) -> Condition:
    """Build the wait condition from `wait_for` statuses and a `wait_until` JMESPath expression.

    Neither given: the execution is terminal. Both given: both must hold. The JMESPath expression is
    evaluated over the execution record as the module returns it and must yield a truthy value.
    Raises ValidationError for an unknown status or an expression that does not compile (or calls an
    unknown function); the condition raises ValidationError when the expression fails on a record.
    """
    targets: t.FrozenSet[Status] = TERMINAL
    jmespath = None
    if statuses:
        unknown = [str(s) for s in statuses if s not in STATUS_NAMES]
        if unknown:
            raise ValidationError('wait_for: unknown status%s %s; accepted: %s' % (
                'es' if len(unknown) > 1 else '', ', '.join(repr(u) for u in unknown), ', '.join(STATUS_NAMES)))
        targets = frozenset(Status(s) for s in statuses)
    compiled = None
    if until:
        try:
            # Imported here: only a task with wait_until pays for it.
            import jmespath  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise ValidationError('wait_until needs the Python library jmespath on the managed node')
        try:
            compiled = jmespath.compile(until)
            # Functions are only looked up when evaluated: try once on an empty record so a misspelt
            # function fails here, before anything is started, not in the middle of a wait.
            compiled.search(Execution(vendor='', pipeline='').to_result())
        except (jmespath.exceptions.ParseError, jmespath.exceptions.UnknownFunctionError) as exc:
            raise ValidationError('wait_until is not a valid JMESPath expression (%s): %s' % (until, _jmespath_problem(exc)))
        except jmespath.exceptions.JMESPathError:
            pass  # a type error on the empty record says nothing about real ones
    check_status = bool(statuses) or compiled is None
    # Telling running from waiting needs the stages and gates (a paused Jenkins build is still "building").
    level = Level.FULL if compiled is not None else Level.STAGES if targets & {Status.RUNNING, Status.WAITING} else Level.STATUS

    def test(execution: Execution) -> bool:
        if check_status and execution.status not in targets:
            return False
        if compiled is None:
            return True
        try:
            return bool(compiled.search(execution.to_result()))
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationError('wait_until could not be evaluated on the execution record (%s): %s'
                                  % (until, _jmespath_problem(exc)))

    return Condition(test, level)


def _jmespath_problem(exc: Exception) -> str:
    """What jmespath found wrong, on one line and in words: its reason and the column (0-based, as jmespath counts),
    without the exception class or the expression it draws with a caret under it."""
    from jmespath import exceptions  # pylint: disable=import-outside-toplevel  # only reached with jmespath loaded
    position = getattr(exc, 'lex_position', None)
    where = ' at column %d' % position if isinstance(position, int) else ''
    if isinstance(exc, exceptions.IncompleteExpressionError):
        return 'the expression ends before it is complete' + where
    if isinstance(exc, exceptions.LexerError):
        return '%s%s' % (str(exc.token_type or 'a character it cannot read').lower(), where)  # "unclosed ' delimiter"
    if isinstance(exc, exceptions.ParseError) and getattr(exc, 'msg', None) and not isinstance(exc, exceptions.ArityError):
        return '%s%s' % (exc.msg, where)  # "Unexpected token: c"
    if isinstance(exc, exceptions.JMESPathTypeError):
        return 'function %s() takes %s, got %s' % (exc.function_name, ' or '.join(str(e) for e in exc.expected_types),
                                                   exc.actual_type)
    return ' '.join(str(exc).split())  # "Unknown function: foo()", "Expected 1 argument for function abs(), received 2"


@dataclasses.dataclass
class WaitOutcome:
    """How a wait ended. `satisfied[i]` tells whether `executions[i]` met the condition.

    `polls` counts rounds of reads; `detection_lag` is how long after the vendor says the last execution
    to end did so the wait saw it (None when the vendor does not say when it ended).
    """

    executions: t.List[Execution]
    satisfied: t.List[bool]
    timed_out: bool
    elapsed: float
    polls: int
    last_error: t.Optional[str] = None
    detection_lag: t.Optional[float] = None

    @property
    def all_satisfied(self) -> bool:
        return all(self.satisfied)


class _Track:
    """The schedule of one execution."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.due = 0.0
        self.late_polls = 0


class Poller:
    """Polls on a schedule until a condition holds for every (or any) execution, or a deadline."""

    def __init__(self, clock: t.Callable[[], float] = time.monotonic,
                 sleep: t.Callable[[float], None] = time.sleep, max_errors: int = 5,
                 epoch: t.Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_errors = max_errors
        self.epoch = epoch

    def wait(self, executions: t.Sequence[Execution], refresh: Refresh, condition: t.Callable[[Execution], bool], *,
             timeout: float, min_interval: float, max_interval: float, mode: str = 'all',
             complete: t.Optional[t.Callable[[t.List[Execution]], t.List[Execution]]] = None) -> WaitOutcome:
        """Wait until `condition` holds for each execution (`mode='any'`: for one), or it is terminal.

        `executions` must be fresh (they are checked before the first sleep). `refresh(pending, level)`
        gets the executions due for a poll and returns their new state in the same order. `complete`, when
        given, reads in full the executions a round has just settled, so a fan-out completes its records
        while the others still run instead of all at the end (a transient failure there is left for the
        caller to retry). Raises the last transient error once `max_errors` polls in a row failed; any other
        error at once.
        """
        level = getattr(condition, 'level', Level.FULL)
        start = self.clock()
        deadline = start + timeout
        current = list(executions)
        satisfied = [condition(e) for e in current]
        settled = [s or e.terminal for s, e in zip(satisfied, current)]
        tracks = [_Track(min_interval) for _unused in current]
        for track in tracks:
            track.due = start + min_interval
        polls = errors = 0
        last_error = None
        lag: t.Optional[float] = None
        last_end = float('-inf')
        while not self._done(satisfied, settled, mode):
            now = self.clock()
            if deadline - now <= 0:
                return WaitOutcome(current, satisfied, True, now - start, polls, last_error, lag)
            due = min(tracks[i].due for i, done in enumerate(settled) if not done)
            if due > now:
                self.sleep(min(due - now, deadline - now))
                now = self.clock()
            # Everything due now, or soon enough that one round serves it too; at the deadline, one last look at all.
            horizon = now + min_interval / 2 if now < deadline else float('inf')
            pending = [i for i, done in enumerate(settled) if not done and tracks[i].due <= horizon]
            if not pending:
                continue
            try:
                fresh = refresh([current[i] for i in pending], level)
            except (TransientError, RateLimitedError) as exc:
                errors += 1
                last_error = exc.msg
                if errors >= self.max_errors:
                    raise
                for i in pending:
                    tracks[i].interval = min(max_interval, tracks[i].interval * 2)
                    tracks[i].due = now + tracks[i].interval
                continue
            polls += 1
            errors = 0
            last_error = None
            seen_at = self.epoch()
            for i, execution in zip(pending, fresh):
                changed = _fingerprint(execution) != _fingerprint(current[i])
                current[i] = execution
                satisfied[i] = condition(execution)
                settled[i] = satisfied[i] or execution.terminal
                if execution.terminal and execution.ended_epoch is not None and execution.ended_epoch > last_end:
                    # The lag of the execution that ended last (the one the wait really waited for).
                    last_end = execution.ended_epoch
                    lag = max(0.0, seen_at - execution.ended_epoch)
                self._schedule(tracks[i], execution, changed, self.clock(), seen_at, min_interval, max_interval)
            settled_now = [i for i in pending if settled[i] and current[i].level < Level.FULL]
            if complete is not None and settled_now and not self._done(satisfied, settled, mode):
                try:
                    for i, execution in zip(settled_now, complete([current[i] for i in settled_now])):
                        current[i] = execution
                except (TransientError, RateLimitedError):
                    pass
        return WaitOutcome(current, satisfied, False, self.clock() - start, polls, last_error, lag)

    @staticmethod
    def _done(satisfied: t.List[bool], settled: t.List[bool], mode: str) -> bool:
        return all(settled) or (mode == 'any' and any(satisfied))

    @staticmethod
    def _schedule(track: _Track, execution: Execution, changed: bool, now: float, epoch: float,
                  min_interval: float, max_interval: float) -> None:
        """Set when `execution` is polled next (see the module docstring)."""
        if execution.expected_end is not None:
            left = execution.expected_end + _AFTER_END - epoch
            if left > 0:
                track.late_polls = 0
                track.interval = min_interval
                track.due = now + min(max_interval, max(left, min_interval / 4))
                return
            track.late_polls += 1
            if track.late_polls > _DENSE_WINDOW:
                track.interval = min(max_interval, track.interval * 1.5)
            track.due = now + track.interval
            return
        track.interval = min_interval if changed else min(max_interval, track.interval * 1.5)
        track.due = now + track.interval


def _fingerprint(execution: Execution) -> t.Tuple[t.Any, ...]:
    """What counts as progress: status, stage statuses, and the gates waiting."""
    return (execution.status, execution.id, tuple((s.name, s.status) for s in execution.stages),
            tuple(p.id for p in execution.pending_inputs))
