# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The one poller: wait until one or many executions meet a condition, or a deadline passes.

- The interval adapts: it starts at `min_interval`, grows by half after every poll that saw no change,
  returns to `min_interval` as soon as something changes, and never exceeds `max_interval` or the
  time left before the deadline.
- Transient failures (5xx, connection errors, rate limiting that outlived the transport's retries)
  do not end the wait; only `max_errors` of them in a row do.
- Executions that reached a terminal status are not polled again (they cannot change); a fan-out wait
  therefore costs fewer requests as executions finish.
- The clock and sleep are injectable so tests run in no time.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
import typing as t

from ._errors import RateLimitedError, TransientError, ValidationError
from ._model import TERMINAL, Execution, Status

try:
    import jmespath
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR: t.Optional[str] = traceback.format_exc()
else:
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None

Condition = t.Callable[[Execution], bool]
Refresh = t.Callable[[t.List[Execution]], t.List[Execution]]


def make_condition(statuses: t.Optional[t.Iterable[str]] = None, until: t.Optional[str] = None) -> Condition:
    """Build the wait condition from `wait_for` statuses and a `wait_until` JMESPath expression.

    Neither given: the execution is terminal. Both given: both must hold. The JMESPath expression is
    evaluated over the execution record as the module returns it and must yield a truthy value.
    Raises ValidationError for an unknown status or an expression that does not compile (or calls an
    unknown function); the condition raises ValidationError when the expression fails on a record.
    """
    targets: t.FrozenSet[Status] = TERMINAL
    if statuses:
        try:
            targets = frozenset(Status(s) for s in statuses)
        except ValueError as exc:
            raise ValidationError('wait_for: %s; accepted: %s' % (exc, ', '.join(s.value for s in Status)))
    compiled = None
    if until:
        if not HAS_JMESPATH:
            raise ValidationError('wait_until needs the Python library jmespath on the managed node')
        try:
            compiled = jmespath.compile(until)
            # Functions are only looked up when evaluated: try once on an empty record so a misspelt
            # function fails here, before anything is started, not in the middle of a wait.
            compiled.search(Execution(vendor='', pipeline='').to_result())
        except (jmespath.exceptions.ParseError, jmespath.exceptions.UnknownFunctionError) as exc:
            raise ValidationError('wait_until is not a valid JMESPath expression (%s): %s' % (until, exc))
        except jmespath.exceptions.JMESPathError:
            pass  # a type error on the empty record says nothing about real ones
    check_status = bool(statuses) or compiled is None

    def condition(execution: Execution) -> bool:
        if check_status and execution.status not in targets:
            return False
        if compiled is None:
            return True
        try:
            return bool(compiled.search(execution.to_result()))
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationError('wait_until could not be evaluated on the execution record (%s): %s' % (until, exc))

    return condition


@dataclasses.dataclass
class WaitOutcome:
    """How a wait ended. `satisfied[i]` tells whether `executions[i]` met the condition."""

    executions: t.List[Execution]
    satisfied: t.List[bool]
    timed_out: bool
    elapsed: float
    polls: int
    last_error: t.Optional[str] = None

    @property
    def all_satisfied(self) -> bool:
        return all(self.satisfied)


class Poller:
    """Polls with an adaptive interval until a condition holds for every execution, or a deadline."""

    def __init__(self, clock: t.Callable[[], float] = time.monotonic,
                 sleep: t.Callable[[float], None] = time.sleep, max_errors: int = 5) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_errors = max_errors

    def wait(self, executions: t.Sequence[Execution], refresh: Refresh, condition: Condition, *,
             timeout: float, min_interval: float, max_interval: float) -> WaitOutcome:
        """Wait until `condition` holds for each execution, or it is terminal (it cannot change then).

        `executions` must be fresh (they are checked before the first sleep). `refresh` gets the
        executions still pending and returns their new state in the same order. Raises the last
        transient error once `max_errors` polls in a row failed; any other error at once.
        """
        start = self.clock()
        deadline = start + timeout
        current = list(executions)
        satisfied = [condition(e) for e in current]
        settled = [s or e.terminal for s, e in zip(satisfied, current)]
        interval = min_interval
        polls = errors = 0
        last_error = None
        while not all(settled):
            left = deadline - self.clock()
            if left <= 0:
                return WaitOutcome(current, satisfied, True, self.clock() - start, polls, last_error)
            self.sleep(min(interval, left))
            pending = [i for i, done in enumerate(settled) if not done]
            try:
                fresh = refresh([current[i] for i in pending])
            except (TransientError, RateLimitedError) as exc:
                errors += 1
                last_error = exc.msg
                if errors >= self.max_errors:
                    raise
                interval = min(max_interval, interval * 2)
                continue
            polls += 1
            errors = 0
            last_error = None
            changed = False
            for i, execution in zip(pending, fresh):
                changed = changed or _fingerprint(execution) != _fingerprint(current[i])
                current[i] = execution
                satisfied[i] = condition(execution)
                settled[i] = satisfied[i] or execution.terminal
            interval = min_interval if changed else min(max_interval, interval * 1.5)
        return WaitOutcome(current, satisfied, False, self.clock() - start, polls, last_error)


def _fingerprint(execution: Execution) -> t.Tuple[t.Any, ...]:
    """What counts as progress: status, stage statuses, and the gates waiting."""
    return (execution.status, execution.id, tuple((s.name, s.status) for s in execution.stages),
            tuple(p.id for p in execution.pending_inputs))
