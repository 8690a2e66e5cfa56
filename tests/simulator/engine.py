"""Vendor-neutral execution engine: executions of scenario pipelines on a simulated clock.

Contract
--------
* An :class:`Execution` is created *queued* by :meth:`Engine.submit`; it starts once its
  ``not_before`` time has passed (quiet period / delay) and fewer than the pipeline's
  concurrency limit (``max_concurrent``; ``concurrent: false`` = 1) of its executions are
  running or waiting. When a slot frees, the ready execution submitted first takes it.
  :meth:`Engine.queue_state` says why a queued execution waits and where it is in line.
  Starting assigns the per-pipeline run ``number`` (as Jenkins does when an item leaves
  the queue).
* Stages run in order. A stage with a gate enters ``waiting`` until :meth:`Engine.answer_gate`
  (approve: the stage then runs its ``duration``; reject: the execution ends ``aborted``,
  reason ``rejected``) or until the gate's timeout (``aborted``, reason ``expired``).
* A stage whose completion is one of the pipeline's first ``fail_times`` completions of
  that stage ends ``failed`` (execution ends ``failed``, later stages never start) or
  ``unstable`` (execution continues and ends ``unstable``).
* :meth:`Engine.stop` ends a running/waiting execution ``aborted`` (reason ``stopped``);
  :meth:`Engine.cancel` turns a queued one into ``cancelled`` (it never gets a number).
* Executions created with ``start_stage`` (restart from stage) report the earlier stages
  ``skipped`` and spend no time in them.
* :meth:`Engine.retry_in_place` puts a failed or aborted execution back to running under
  the same id and number (vendors whose retry continues the run: Buddy, CodeArts); it
  re-runs from the first failed stage, keeps earlier stages' results and counts
  ``Execution.attempts``. Vendors whose retry makes a new run (Jenkins) never call it.

* A pipeline's scenario ``history`` is recreated by every :meth:`Engine.reset` (and so on
  load): each entry becomes an execution that is already finished, relative to the reset
  time (the clock does not move): state by result (SUCCESS succeeded, FAILURE failed,
  UNSTABLE unstable, ABORTED aborted with reason ``stopped``), numbers 1..k in list order
  (new runs continue at k+1), engine ids in start order across pipelines, no queue time.
  Its stages are consistent with the result: SUCCESS - all succeeded; UNSTABLE - all ran and
  the entry's ``stage`` (default: the last) is unstable; FAILURE / ABORTED - the stages
  before ``stage`` (default: the last) succeeded, ``stage`` failed / was aborted and later
  ones never ran. The run's ``duration`` is spread over the stages that ran in proportion to
  their scenario durations (evenly when those are all 0). Gates that were passed were
  approved at their stage's start with the gate parameters' defaults; an aborted gate stage
  spent its time waiting. History runs are marked ``history``, do not count toward
  ``fail_times`` or the created/started counters, and never wait at a gate.

State is advanced lazily: every reader or actor calls :meth:`Engine.sync` (under
``Engine.lock``), which replays all due events in time order up to ``clock.now()``.
No background thread exists, so the same inputs always give the same history.
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
import typing as t

from .clock import Clock
from .scenario import HistorySpec, PipelineSpec, Scenario, StageSpec

# Execution states and stage statuses, in engine words (vendor modules translate them).
QUEUED, RUNNING, WAITING = 'queued', 'running', 'waiting'
SUCCEEDED, UNSTABLE, FAILED, ABORTED, CANCELLED = 'succeeded', 'unstable', 'failed', 'aborted', 'cancelled'
PENDING, SKIPPED = 'pending', 'skipped'
TERMINAL = frozenset((SUCCEEDED, UNSTABLE, FAILED, ABORTED, CANCELLED))
# Engine state of a scenario history entry by its (Jenkins) result.
HISTORY_STATES = {'SUCCESS': SUCCEEDED, 'FAILURE': FAILED, 'UNSTABLE': UNSTABLE, 'ABORTED': ABORTED}


class EngineError(Exception):
    """An operation is not possible in the execution's current state."""


@dataclasses.dataclass
class Trigger:
    """Why an execution exists: ``kind`` is user, restart, rebuild or replay."""

    kind: str = 'user'
    user: str | None = None
    origin_id: int | None = None
    origin_number: int | None = None
    stage: str | None = None


@dataclasses.dataclass
class GateAnswer:
    """How a gate was settled."""

    approved: bool
    user: str | None
    at: float
    values: dict[str, t.Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class StageRun:
    """One stage of one execution."""

    spec: StageSpec
    status: str = PENDING
    started_at: float | None = None
    finished_at: float | None = None
    ends_at: float | None = None          # while running: when the stage completes
    waiting_since: float | None = None    # while a gate is pending
    paused: float = 0.0                   # total seconds spent waiting on the gate
    error: str | None = None
    answer: GateAnswer | None = None
    attempt: int = 0                      # the execution attempt that last ran this stage (0: never ran)
    kept: bool = False                    # retry_in_place keeps this stage's result instead of re-running it
    answers: int = 0                      # gate answers accepted on this stage, over every attempt (a duplicate shows here)

    @property
    def name(self) -> str:
        """The stage name."""
        return self.spec.name


@dataclasses.dataclass
class Execution:
    """One execution (Jenkins: queue item, then build) of a pipeline."""

    id: int
    spec: PipelineSpec
    parameters: dict[str, t.Any]
    trigger: Trigger
    submitted_at: float
    not_before: float
    start_stage: int = 0
    number: int | None = None
    state: str = QUEUED
    reason: str | None = None             # failed/stopped/rejected/expired/cancelled
    ended_by: str | None = None           # user who stopped/rejected/cancelled
    started_at: float | None = None
    finished_at: float | None = None
    blocked_since: float | None = None
    description: str | None = None
    unstable: bool = False
    attempts: int = 1                     # 1 + the number of in-place retries
    history: bool = False                 # created finished from the scenario's history (never ran on this clock)
    stages: list[StageRun] = dataclasses.field(default_factory=list)
    vendor_data: dict[str, t.Any] = dataclasses.field(default_factory=dict)

    @property
    def vendor(self) -> str:
        """Vendor of the pipeline."""
        return self.spec.vendor

    @property
    def pipeline(self) -> str:
        """Pipeline name."""
        return self.spec.name

    @property
    def terminal(self) -> bool:
        """Whether the execution has ended (including cancelled while queued)."""
        return self.state in TERMINAL

    @property
    def left_queue_at(self) -> float | None:
        """When it stopped being queued (started or cancelled)."""
        return self.started_at if self.started_at is not None else (self.finished_at if self.state == CANCELLED else None)

    def current_stage(self) -> StageRun | None:
        """The running or waiting stage, if any."""
        return next((s for s in self.stages if s.status in (RUNNING, WAITING)), None)

    def pending_gate(self) -> StageRun | None:
        """The stage whose gate waits for an answer, if any."""
        return next((s for s in self.stages if s.status == WAITING), None)

    def to_dict(self) -> dict[str, t.Any]:
        """Engine view for ``/_sim/executions`` (secret parameter values redacted)."""
        def stamp(value: float | None) -> float | None:
            return None if value is None else round(value, 3)
        params = {k: ('********' if (self.spec.parameter(k) and self.spec.parameter(k).secret) else v) for k, v in self.parameters.items()}
        return {
            'id': self.id, 'vendor': self.vendor, 'pipeline': self.pipeline, 'number': self.number, 'state': self.state,
            'reason': self.reason, 'ended_by': self.ended_by, 'parameters': params, 'description': self.description,
            'trigger': dataclasses.asdict(self.trigger), 'submitted_at': stamp(self.submitted_at), 'not_before': stamp(self.not_before),
            'started_at': stamp(self.started_at), 'finished_at': stamp(self.finished_at), 'start_stage': self.start_stage,
            'attempts': self.attempts, 'history': self.history,
            'stages': [{'name': s.name, 'status': s.status, 'started_at': stamp(s.started_at), 'finished_at': stamp(s.finished_at),
                        'paused': round(s.paused, 3), 'error': s.error, 'attempt': s.attempt, 'answers': s.answers,
                        'answer': None if s.answer is None else {'approved': s.answer.approved, 'user': s.answer.user, 'at': stamp(s.answer.at),
                                                                 'values': {k: ('********' if _secret_gate_value(s.spec, k) else v)
                                                                            for k, v in s.answer.values.items()}}}
                       for s in self.stages],
        }


def _secret_gate_value(stage: StageSpec, name: str) -> bool:
    return bool(stage.gate and any(p.name == name and p.secret for p in stage.gate.parameters))


@dataclasses.dataclass(frozen=True)
class QueueState:
    """Why a queued execution has not started (for vendor queue answers).

    ``reason``: ``delay`` (quiet period / requested delay not over, until ``not_before``; it wins
    over a full pipeline),
    ``concurrency`` (the pipeline's ``limit`` of active executions is reached: ``active``
    are their ids, oldest first), ``pool`` (every slot of the vendor's shared pool it needs is
    taken, e.g. Jenkins executors) or ``ready`` (due; it starts at the next sync). ``position`` is 1-based among the pipeline's queued
    executions in submission order (1 = next to start once it may).
    """

    reason: str
    position: int
    limit: int | None
    active: tuple[int, ...]
    not_before: float


class Engine:
    """All executions of all vendors. Callers hold :attr:`lock` around every use."""

    def __init__(self, scenario: Scenario, speed: float | None = None, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        # Pools of slots a vendor shares between pipelines (Jenkins executors): a vendor API sets a hook
        # giving the pool an execution needs to run in and the pool's size, or None (it needs none).
        self.pools: dict[str, t.Callable[[Execution], tuple[str, int] | None]] = {}
        # A speed given here (CLI --speed, or an explicit clock's) wins over the scenario's until a new scenario is loaded.
        self._speed_override = clock.speed if clock is not None and speed is None else speed
        self.clock = clock or Clock(scenario.speed if speed is None else speed)
        self._cursor = self.clock.now()
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self, keep_speed: bool = False) -> None:
        """Forget all executions and failure counters; speed back to the scenario's (or CLI's).

        Then recreate every pipeline's scenario history as finished executions ending before
        the current simulated time (see the module contract); the clock is not advanced.
        """
        with self.lock:
            self._executions: dict[int, Execution] = {}
            self._active: dict[int, Execution] = {}
            self._next_id = 1
            self._numbers: dict[tuple[str, str], int] = {}
            self._completions: dict[tuple[str, str, str], int] = {}
            self.created: dict[tuple[str, str], int] = {}
            self.started: dict[tuple[str, str], int] = {}
            # SHA-256 digests of the secret values received (``/_sim/secrets``): a test checks that a value
            # arrived without the simulator ever showing it.
            self.secret_digests: set[str] = set()
            if not keep_speed:
                self.clock.set_speed(self.scenario.speed if self._speed_override is None else self._speed_override)
            self._cursor = self.clock.now()
            self._create_history(self._cursor)

    def _create_history(self, now: float) -> None:
        """Add the scenario's history entries as finished executions, ids in start order, numbers in list order."""
        entries: list[tuple[float, int, int, PipelineSpec, HistorySpec]] = []
        for order, spec in enumerate(self.scenario.pipelines):
            for index, entry in enumerate(spec.history):
                entries.append((now - entry.ago - entry.duration, order, index, spec, entry))
            if spec.history:
                self._numbers[(spec.vendor, spec.name)] = len(spec.history)
        for started, _order, index, spec, entry in sorted(entries, key=lambda item: item[:3]):
            execution = Execution(id=self._next_id, spec=spec, parameters=dict(entry.parameters), trigger=Trigger(kind='user'),
                                  submitted_at=started, not_before=started, number=index + 1, history=True,
                                  stages=[StageRun(spec=s) for s in spec.stages])
            self._next_id += 1
            self._finish_history(execution, entry, started)
            self._executions[execution.id] = execution

    @staticmethod
    def _finish_history(execution: Execution, entry: HistorySpec, started: float) -> None:
        """Fill in a history execution's times, stages and result (see the module contract)."""
        state = HISTORY_STATES[entry.result]
        last = len(execution.stages) - 1 if entry.stage is None or state in (SUCCEEDED, UNSTABLE) else entry.stage
        ran = execution.stages[:last + 1]
        weights = [s.spec.duration for s in ran]
        total = sum(weights)
        if total <= 0:
            weights, total = [1.0] * len(ran), float(len(ran))
        done = 0.0
        for index, stage in enumerate(ran):
            stage.started_at = started + entry.duration * done / total
            done += weights[index]
            stage.finished_at = started + entry.duration * done / total if index < len(ran) - 1 else started + entry.duration
            stage.attempt = 1
            stage.status = state if index == entry.stage else SUCCEEDED
            gate = stage.spec.gate
            if gate is not None and stage.status == ABORTED:
                stage.paused = stage.finished_at - stage.started_at  # stopped while waiting for an answer
            elif gate is not None:
                stage.answer = GateAnswer(approved=True, user=None, at=stage.started_at, values={p.name: p.default for p in gate.parameters})
            if stage.status == FAILED:
                stage.error = 'script returned exit code 1'
        execution.started_at, execution.finished_at = started, started + entry.duration
        execution.state, execution.unstable = state, state == UNSTABLE
        execution.reason = {FAILED: 'failed', ABORTED: 'stopped'}.get(state)

    def load(self, scenario: Scenario) -> None:
        """Replace the scenario (its speed wins over a CLI speed) and reset."""
        with self.lock:
            self.scenario = scenario
            self._speed_override = None
            self.reset()

    # -- queries ---------------------------------------------------------------------------
    def pipeline(self, vendor: str, name: str) -> PipelineSpec | None:
        """The pipeline spec, or None."""
        return next((p for p in self.scenario.pipelines if p.vendor == vendor and p.name == name), None)

    def pipelines(self, vendor: str) -> list[PipelineSpec]:
        """All pipelines of a vendor, in scenario order."""
        return [p for p in self.scenario.pipelines if p.vendor == vendor]

    def get(self, execution_id: int) -> Execution | None:
        """Execution by engine id."""
        return self._executions.get(execution_id)

    def executions(self, vendor: str | None = None, pipeline: str | None = None) -> list[Execution]:
        """Executions (oldest first), optionally filtered."""
        return [e for e in self._executions.values()
                if (vendor is None or e.vendor == vendor) and (pipeline is None or e.pipeline == pipeline)]

    def runs(self, vendor: str, pipeline: str) -> list[Execution]:
        """Started executions of a pipeline, newest first (Jenkins builds order)."""
        found = [e for e in self._executions.values() if e.vendor == vendor and e.pipeline == pipeline and e.number is not None]
        return sorted(found, key=lambda e: t.cast(int, e.number), reverse=True)

    def by_number(self, vendor: str, pipeline: str, number: int) -> Execution | None:
        """Started execution by run number."""
        return next((e for e in self._executions.values()
                     if e.vendor == vendor and e.pipeline == pipeline and e.number == number), None)

    def next_number(self, vendor: str, pipeline: str) -> int:
        """The number the next started execution of the pipeline gets."""
        return self._numbers.get((vendor, pipeline), 0) + 1

    def _active_runs(self, execution: Execution) -> list[Execution]:
        """Running or waiting executions of the same pipeline (oldest first), excluding ``execution``."""
        found = [e for e in self._active.values() if e is not execution and e.vendor == execution.vendor
                 and e.pipeline == execution.pipeline and e.state in (RUNNING, WAITING)]
        return sorted(found, key=lambda e: e.id)  # a retried run re-enters _active at the end

    def is_blocked(self, execution: Execution) -> bool:
        """Whether a queued execution must wait: its pipeline's concurrency limit is reached, or its pool is full."""
        limit = execution.spec.concurrency_limit
        return (limit is not None and len(self._active_runs(execution)) >= limit) or self.pool_full(execution)

    def pool_of(self, execution: Execution) -> tuple[str, int] | None:
        """The shared pool (name, size) `execution` takes a slot of while it runs, if its vendor has one."""
        hook = self.pools.get(execution.vendor)
        return hook(execution) if hook is not None else None

    def pool_full(self, execution: Execution) -> bool:
        """Whether every slot of the pool a queued `execution` needs is taken by a running or waiting execution."""
        pool = self.pool_of(execution)
        if pool is None:
            return False
        taken = sum(1 for e in self._active.values() if e is not execution and e.state in (RUNNING, WAITING)
                    and self.pool_of(e) == pool)
        return taken >= pool[1]

    def blocker(self, execution: Execution) -> Execution | None:
        """The oldest active run of the same pipeline (what a blocked execution waits for), if any."""
        return next(iter(self._active_runs(execution)), None)

    def queue_state(self, execution: Execution) -> QueueState | None:
        """Why a queued execution waits and its place in the pipeline's line; None unless queued."""
        if execution.state != QUEUED:
            return None
        queued = [e for e in self._active.values() if e.state == QUEUED and e.vendor == execution.vendor and e.pipeline == execution.pipeline]
        position = 1 + sum(1 for e in queued if e.id < execution.id)
        # The delay comes first (as Jenkins keeps an item in the quiet period before it can be blocked).
        if execution.not_before > self.now():
            reason = 'delay'
        else:
            limit = execution.spec.concurrency_limit
            if limit is not None and len(self._active_runs(execution)) >= limit:
                reason = 'concurrency'
            else:
                reason = 'pool' if self.pool_full(execution) else 'ready'
        return QueueState(reason=reason, position=position, limit=execution.spec.concurrency_limit,
                          active=tuple(e.id for e in self._active_runs(execution)), not_before=execution.not_before)

    # -- time ------------------------------------------------------------------------------
    def now(self) -> float:
        """Current simulated time (does not advance executions)."""
        return self.clock.now()

    def sync(self) -> float:
        """Apply every event due up to now, in time order; return now."""
        with self.lock:
            now = max(self.clock.now(), self._cursor)
            while True:
                event = self._next_event(now)
                if event is None:
                    break
                when, execution, kind = event
                self._cursor = max(self._cursor, when)
                self._apply(kind, execution, self._cursor)
            self._cursor = now
            for execution in self._active.values():
                if execution.state == QUEUED and execution.not_before <= now and execution.blocked_since is None:
                    execution.blocked_since = execution.not_before
            return now

    def _next_event(self, now: float) -> tuple[float, Execution, str] | None:
        """The earliest due event (ties: oldest execution first)."""
        best_key: tuple[float, int] | None = None
        best: tuple[float, Execution, str] | None = None
        for execution in self._active.values():
            candidate: tuple[float, str] | None = None
            if execution.state == QUEUED:
                if execution.not_before <= now and not self.is_blocked(execution):
                    # Ready since before the cursor means "ready now": ties then go by id, so a freed
                    # slot goes to the execution submitted first, not to the one whose delay ended first.
                    candidate = (max(execution.not_before, self._cursor), 'start')
            else:
                stage = execution.current_stage()
                if stage is not None and stage.status == RUNNING and stage.ends_at is not None and stage.ends_at <= now:
                    candidate = (stage.ends_at, 'stage_end')
                elif stage is not None and stage.status == WAITING and stage.spec.gate and stage.spec.gate.timeout is not None:
                    expiry = t.cast(float, stage.waiting_since) + stage.spec.gate.timeout
                    if expiry <= now:
                        candidate = (expiry, 'gate_timeout')
            if candidate is not None and (best_key is None or (candidate[0], execution.id) < best_key):
                best_key = (candidate[0], execution.id)
                best = (candidate[0], execution, candidate[1])
        return best

    def _apply(self, kind: str, execution: Execution, when: float) -> None:
        if kind == 'start':
            key = (execution.vendor, execution.pipeline)
            if execution.number is None:
                self._numbers[key] = self._numbers.get(key, 0) + 1
                execution.number = self._numbers[key]
            self.started[key] = self.started.get(key, 0) + 1
            execution.started_at = when
            execution.state = RUNNING
            self._enter_stage(execution, 0, when)
        elif kind == 'stage_end':
            stage = t.cast(StageRun, execution.current_stage())
            self._complete_stage(execution, stage, when)
        elif kind == 'gate_timeout':
            stage = t.cast(StageRun, execution.pending_gate())
            stage.paused += when - t.cast(float, stage.waiting_since)
            stage.waiting_since = None
            self._abort(execution, stage, when, 'expired', None)

    def _enter_stage(self, execution: Execution, index: int, when: float) -> None:
        while index < len(execution.stages):
            stage = execution.stages[index]
            if stage.kept:
                index += 1
                continue
            stage.started_at = when
            stage.attempt = execution.attempts
            if index < execution.start_stage:
                stage.status, stage.finished_at = SKIPPED, when
                index += 1
                continue
            if stage.spec.gate is not None:
                stage.status, stage.waiting_since = WAITING, when
                execution.state = WAITING
            else:
                stage.status, stage.ends_at = RUNNING, when + stage.spec.duration
                execution.state = RUNNING
            return
        self._finish(execution, UNSTABLE if execution.unstable else SUCCEEDED, None, when)

    def _complete_stage(self, execution: Execution, stage: StageRun, when: float) -> None:
        key = (execution.vendor, execution.pipeline, stage.name)
        done = self._completions.get(key, 0)
        self._completions[key] = done + 1
        stage.finished_at, stage.ends_at = when, None
        if done < stage.spec.fail_times and stage.spec.fail_result == 'FAILURE':
            stage.status, stage.error = FAILED, 'script returned exit code 1'
            self._finish(execution, FAILED, 'failed', when)
            return
        if done < stage.spec.fail_times:
            stage.status, execution.unstable = UNSTABLE, True
        else:
            stage.status = SUCCEEDED
        execution.state = RUNNING
        self._enter_stage(execution, execution.stages.index(stage) + 1, when)

    def _abort(self, execution: Execution, stage: StageRun | None, when: float, reason: str, user: str | None) -> None:
        if stage is not None:
            stage.status, stage.finished_at, stage.ends_at = ABORTED, when, None
        execution.ended_by = user
        self._finish(execution, ABORTED, reason, when)

    def _finish(self, execution: Execution, state: str, reason: str | None, when: float) -> None:
        execution.state, execution.reason, execution.finished_at = state, reason, when
        self._active.pop(execution.id, None)

    # -- actions ---------------------------------------------------------------------------
    def note_secret(self, value: t.Any) -> None:
        """Remember that a secret value (a password parameter, an encrypted variable) was received, by digest only."""
        if value is not None and str(value) != '':
            self.secret_digests.add(hashlib.sha256(str(value).encode('utf-8')).hexdigest())

    def submit(self, spec: PipelineSpec, parameters: dict[str, t.Any], trigger: Trigger, *, delay: float | None = None,
               start_stage: int = 0, number_now: bool = False) -> Execution:
        """Queue a new execution; it may start after ``delay`` (default: the pipeline's quiet period).

        ``number_now`` assigns the run number at once (vendors whose executions are numbered
        on creation); otherwise it is assigned when the execution starts.
        """
        with self.lock:
            now = self.sync()
            for name, value in parameters.items():
                param = spec.parameter(name)
                if param is not None and param.secret:
                    self.note_secret(value)
            execution = Execution(id=self._next_id, spec=spec, parameters=dict(parameters), trigger=trigger, submitted_at=now,
                                  not_before=now + (spec.quiet_period if delay is None else delay), start_stage=start_stage,
                                  stages=[StageRun(spec=s) for s in spec.stages])
            self._next_id += 1
            key = (spec.vendor, spec.name)
            if number_now:
                self._numbers[key] = self._numbers.get(key, 0) + 1
                execution.number = self._numbers[key]
            self.created[key] = self.created.get(key, 0) + 1
            self._executions[execution.id] = execution
            self._active[execution.id] = execution
            return execution

    def cancel(self, execution: Execution, user: str | None = None) -> None:
        """Cancel a queued execution (it leaves the queue without ever running)."""
        with self.lock:
            now = self.sync()
            if execution.state != QUEUED:
                raise EngineError('execution %d is not queued' % execution.id)
            execution.ended_by = user
            self._finish(execution, CANCELLED, 'cancelled', now)

    def stop(self, execution: Execution, user: str | None = None) -> bool:
        """Abort a running or waiting execution now; False (no-op) if it is not active."""
        with self.lock:
            now = self.sync()
            if execution.state not in (RUNNING, WAITING):
                return False
            stage = execution.current_stage()
            if stage is not None and stage.waiting_since is not None:
                stage.paused += now - stage.waiting_since
                stage.waiting_since = None
            self._abort(execution, stage, now, 'stopped', user)
            return True

    def answer_gate(self, execution: Execution, approve: bool, values: dict[str, t.Any] | None = None, user: str | None = None) -> None:
        """Settle the pending gate: approve (with parameter values) or reject."""
        with self.lock:
            now = self.sync()
            stage = execution.pending_gate()
            if stage is None:
                raise EngineError('execution %d has no pending gate' % execution.id)
            stage.paused += now - t.cast(float, stage.waiting_since)
            stage.waiting_since = None
            for name, value in (values or {}).items():
                if _secret_gate_value(stage.spec, name):
                    self.note_secret(value)
            stage.answer = GateAnswer(approved=approve, user=user, at=now, values=dict(values or {}))
            stage.answers += 1
            if not approve:
                self._abort(execution, stage, now, 'rejected', user)
                return
            stage.status, stage.ends_at = RUNNING, now + stage.spec.duration
            execution.state = RUNNING

    def retry_in_place(self, execution: Execution, from_stage: str | None = None, only: t.Collection[str] | None = None) -> int:
        """Continue a failed or aborted execution in place (same id and number); return the stage index it resumes at.

        It resumes at ``from_stage`` or else at the first failed/aborted stage; stages before
        that keep their results. With ``only`` (stage names), stages from there on that
        already succeeded (or were unstable) and are not listed keep their results too;
        stages that never ran always run. ``attempts`` goes up by one, the run is running
        again (the concurrency limit is not consulted: the run already holds its place),
        and re-run gates wait for a new answer. ``fail_times`` keeps counting across attempts.
        Raises EngineError for an execution that is queued, active, succeeded, unstable or
        cancelled, or for an unknown ``from_stage`` or one after the failed stage.
        """
        with self.lock:
            now = self.sync()
            if execution.state not in (FAILED, ABORTED):
                raise EngineError('execution %d is %s: only a failed or aborted execution can be retried in place'
                                  % (execution.id, execution.state))
            failed = next((i for i, s in enumerate(execution.stages) if s.status in (FAILED, ABORTED)), None)
            if failed is None:  # ended between stages: resume at the first stage that did not run
                failed = next((i for i, s in enumerate(execution.stages) if s.status == PENDING), len(execution.stages))
            start = failed
            if from_stage is not None:
                index = execution.spec.stage_index(from_stage)
                if index is None:
                    raise EngineError('execution %d has no stage %r' % (execution.id, from_stage))
                if index > failed:
                    raise EngineError('stage %r comes after the stage the execution stopped at (%r)'
                                      % (from_stage, execution.stages[failed].name if failed < len(execution.stages) else None))
                start = index
            wanted = None if only is None else set(only)
            for index, stage in enumerate(execution.stages):
                stage.kept = index < start or (wanted is not None and stage.name not in wanted and stage.status in (SUCCEEDED, UNSTABLE))
                if not stage.kept:
                    stage.status, stage.started_at, stage.finished_at, stage.ends_at = PENDING, None, None, None
                    stage.waiting_since, stage.paused, stage.error, stage.answer = None, 0.0, None, None
            execution.attempts += 1
            execution.start_stage = min(execution.start_stage, start)
            execution.state, execution.reason, execution.ended_by, execution.finished_at = RUNNING, None, None, None
            execution.unstable = any(s.kept and s.status == UNSTABLE for s in execution.stages)
            self._active[execution.id] = execution
            self._enter_stage(execution, start, now)
            return start

    def restartable_stages(self, execution: Execution) -> list[str]:
        """Stages an execution may be restarted from: the ones it reached (or skipped for a restart)."""
        return [s.name for s in execution.stages if s.status != PENDING]

    def counters(self) -> dict[str, dict[str, dict[str, int]]]:
        """Executions created/started per vendor and pipeline."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for (vendor, name), count in self.created.items():
            out.setdefault(vendor, {})[name] = {'created': count, 'started': self.started.get((vendor, name), 0)}
        return out
