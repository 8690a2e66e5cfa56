# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The backend interface: everything a module may ask of a vendor, in vendor-neutral terms.

A backend knows one vendor's API and nothing of Ansible: it never imports AnsibleModule and never
calls fail_json; it raises the typed errors of `_errors`. Modules never name a vendor; they call
these methods and check `capabilities` through `require()`.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import time
import typing as t

from .._errors import AmbiguousOutcomeError, UnsupportedOperation, ValidationError
from .._http import ResponsePolicy, RetryPolicy, Transport
from .._model import (Execution, InputParameter, Level, LogTail, PendingInput, PipelineInfo, StartRequest, Status,
                      check_values)
from .._options import Connection, secret_values

T = t.TypeVar('T')


class Operation(str, enum.Enum):
    """What a module asks of a backend; the values name operations in capability sets and messages."""

    START = 'start'
    INFO = 'info'
    INPUT = 'input'
    RESUME = 'resume'
    RETRY = 'retry'
    CANCEL = 'cancel'

    def __str__(self) -> str:
        return self.value


ALL_OPERATIONS = frozenset(Operation)


class Backend(abc.ABC):
    """One vendor behind the common interface.

    Class attributes describe the vendor to the registry and the docs:
    `name` (the `vendor` option value), `display_name` (how messages name it), `capabilities`
    (operations it supports), `status_table` (vendor status word -> Status, published in docs/),
    `in_place` (operations that continue the same execution instead of creating a new one, e.g. a
    Buddy retry), `start_inputs` (vendor-only inputs `pipeline_start` accepts in `start_inputs`,
    declared as typed parameters and checked before anything is sent), `comments` (whether gate
    answers carry a comment), `revisions` (whether a start takes a revision). Its connection options are its column of the option table
    (`_options.USES`).
    """

    name: t.ClassVar[str]
    display_name: t.ClassVar[str]
    capabilities: t.ClassVar[t.FrozenSet[Operation]]
    status_table: t.ClassVar[t.Mapping[str, Status]]
    in_place: t.ClassVar[t.FrozenSet[Operation]] = frozenset()
    start_inputs: t.ClassVar[t.Sequence[InputParameter]] = ()
    comments: t.ClassVar[bool] = False
    # Whether starts take a source revision apart from parameters (pipeline_start's `revision`).
    revisions: t.ClassVar[bool] = False
    # Parameter names the backend uses itself (e.g. the one carrying the idempotency key); users may not set them.
    reserved_parameters: t.ClassVar[t.Tuple[str, ...]] = ()

    def __init__(self, conn: Connection, transport: t.Optional[Transport] = None) -> None:
        self.conn = conn
        self.http = transport or self._transport()
        if transport is not None:
            # A transport made elsewhere (tests, a shared session) still reads and signs as this vendor does.
            transport.auth = self._authenticator() or transport.auth
            transport.responses = self._responses()
        # Things the user should know that do not fail the task; the module base shows each once.
        self.warnings: t.List[str] = []
        for secret in secret_values(conn):
            self.http.add_secret(secret)

    def _transport(self) -> Transport:
        """Build the transport from the connection settings, with the vendor's auth and response policy."""
        conn = self.conn
        return Transport(conn.get('api_url') or '', vendor=self.name, timeout=conn.get('request_timeout'),
                         verify=conn.verify, policy=RetryPolicy(retries=conn.get('request_retries')),
                         auth=self._authenticator(), responses=self._responses())

    def _authenticator(self) -> t.Any:
        """The Authenticator the transport applies to every attempt (None: anonymous)."""
        return None

    def _responses(self) -> ResponsePolicy:
        """How this vendor's answers are read (errors in 2xx bodies, rate-limit headers, pacing)."""
        return ResponsePolicy()

    @classmethod
    def default_api_url(cls, conn: Connection) -> t.Optional[str]:
        """The base URL when api_url is not given (a SaaS URL, or one from a region table); None: required."""
        return None

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        """Problems with the connection settings beyond required/unused options (e.g. conflicting auth)."""
        return []

    def require(self, operation: Operation) -> None:
        """Raise UnsupportedOperation naming what the vendor does support, unless it supports `operation`."""
        if operation not in self.capabilities:
            supported = ', '.join(op.value for op in Operation if op in self.capabilities)
            raise UnsupportedOperation('%s does not support %s; it supports: %s'
                                       % (self.display_name, operation.value, supported))

    # What modules ask besides the vendor's API ---------------------------------------------------

    def describe(self, execution: Execution) -> str:
        """How messages name an execution: 'team/app/deploy #12' (its number, else its id)."""
        if execution.id is not None:
            return '%s #%s' % (execution.pipeline, execution.number if execution.number is not None else execution.id)
        return '%s (not started yet)' % execution.pipeline

    def find_gate(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[PendingInput]:
        """The pending gate `gate_id` names (None: the only one), or None when there is none.

        ValidationError when no id is given and several gates are pending.
        """
        if gate_id:
            return next((g for g in execution.pending_inputs if self.same_gate(g.id, gate_id)), None)
        if len(execution.pending_inputs) > 1:
            raise ValidationError('%s has several pending inputs (%s); set input_id'
                                  % (self.describe(execution), ', '.join(g.id for g in execution.pending_inputs)))
        return execution.pending_inputs[0] if execution.pending_inputs else None

    def gate_passed(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[bool]:
        """Whether `execution` is already past the gate `gate_id` names, which is not pending now.

        True: it was answered (or the execution moved beyond it); False: it is still ahead; None: the
        vendor keeps no record that tells (then only an ended execution counts as past it).
        Default: the stage `gate_id` names (by name or id), where a vendor's gates are named after their
        stage or step: past it once that stage has ended. A gate named after no stage is None.
        """
        if not gate_id:
            return None
        named = [s for s in execution.stages if gate_id in (s.id, s.name)]
        if not named:
            return None
        return all(s.status.terminal for s in named)

    def not_resumable_reason(self, execution: Execution) -> t.Optional[str]:
        """Why `execution`, which offers no stage to resume from, cannot be resumed, and what to use instead
        (one clause, the vendor's terms), or None when the status says it all."""
        return None

    def waiting_reason(self, execution: Execution) -> t.Optional[str]:
        """Why a queued execution has not started yet, in the vendor's words, or None."""
        return None

    def same_gate(self, gate_id: str, wanted: str) -> bool:
        """Whether the vendor's gate id `gate_id` is the one the user named `wanted`."""
        return gate_id == wanted

    def check_start(self, request: StartRequest, info: PipelineInfo) -> None:
        """Refuse a start the vendor would refuse, before anything is sent (also in check mode).

        Default: `start_inputs` checked against the declared `start_inputs`; a revision only where the
        vendor declares one. Backends extend it.
        """
        # Password values are secrets from here on: the key lookup, check mode and every message come after.
        for param in info.parameters:
            if param.type == 'password' and request.parameters.get(param.name) is not None:
                self.http.add_secret(str(request.parameters[param.name]))
        accepted = ', '.join(p.name for p in self.start_inputs) or 'none'
        unknown = sorted(set(request.start_inputs) - {p.name for p in self.start_inputs})
        if unknown:
            raise ValidationError('%s does not take the start input%s %s; the start inputs it accepts: %s'
                                  % (self.display_name, 's' if len(unknown) > 1 else '', ', '.join(unknown), accepted))
        problems = check_values(self.start_inputs, request.start_inputs, 'start_inputs of %s' % self.display_name,
                                noun='start input')
        if problems:
            raise ValidationError('; '.join(problems))
        if request.revision and not self.revisions:
            raise ValidationError('%s takes no revision apart from parameters; pass it as a parameter instead (e.g. '
                                  'parameters: {GIT_REF: ...})' % self.display_name)

    def check_comment(self, comment: t.Optional[str]) -> None:
        """Refuse a gate comment a vendor does not record (before anything is read or sent)."""
        if comment and not self.comments:
            raise ValidationError('%s does not record a comment with a gate answer; leave comment out for it'
                                  % self.display_name)

    def check_answer(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str]) -> None:
        """Refuse a gate answer the vendor cannot take, before anything is sent (also in check mode)."""
        for param in gate.parameters:
            if param.type == 'password' and values.get(param.name) is not None:
                self.http.add_secret(str(values[param.name]))
        self.check_comment(comment)
        problems = gate.check_answer(values) if approve else []
        if problems:
            raise ValidationError('; '.join(problems), execution=execution)

    def predict(self, operation: Operation, current: t.Optional[Execution], *,
                request: t.Optional[StartRequest] = None, info: t.Optional[PipelineInfo] = None,
                gate: t.Optional[PendingInput] = None, approve: bool = True) -> Execution:
        """What `operation` would leave behind, for check mode (nothing is sent).

        start: a queued execution carrying the key; resume/retry: the execution that continues
        `current` (the same one, active again, when the vendor continues in place; else a new one
        with `previous_id`); input: the execution going on (approve) or ended (reject); cancel: aborted.
        """
        if operation == Operation.START:
            if request is None:
                raise ValueError('predict(START) needs the request')
            return Execution(vendor=self.name, pipeline=request.pipeline, status=Status.QUEUED,
                             parameters=dict(request.parameters), idempotency_key=request.key)
        if current is None:
            raise ValueError('predict(%s) needs the current execution' % operation)
        if operation in (Operation.RESUME, Operation.RETRY):
            if operation in self.in_place:
                return dataclasses.replace(current, status=Status.RUNNING, finished_at=None, pending_inputs=[])
            return Execution(vendor=current.vendor, pipeline=current.pipeline, status=Status.QUEUED,
                             parameters=current.parameters, previous_id=current.id, scope=dict(current.scope))
        if operation == Operation.INPUT:
            rest = [g for g in current.pending_inputs if g is not gate]
            return dataclasses.replace(current, status=Status.RUNNING if approve else self.rejected_status,
                                       pending_inputs=rest if approve else [])
        if operation == Operation.CANCEL:
            return dataclasses.replace(current, status=Status.ABORTED, pending_inputs=[])
        raise ValueError('nothing to predict for %s' % operation)

    # The status an execution ends in when a person rejects its gate.
    rejected_status: t.ClassVar[Status] = Status.REJECTED

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        """The last `lines` lines of the execution's log: the failed step's where the vendor tells it
        apart, else the current step's or the whole log's. None when the vendor keeps no log for it.
        Secrets registered with the transport are masked by the caller."""
        return None

    # Reads -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        """The pipeline's identity and declared parameters. NotFoundError when it does not exist."""

    @abc.abstractmethod
    def get(self, execution: Execution) -> Execution:
        """The current state of the execution `execution` addresses (it may be a stub: pipeline + id/scope)."""

    def get_many(self, executions: t.Sequence[Execution], level: Level = Level.FULL) -> t.List[Execution]:
        """Current state of many executions, in order, read at least to `level` (a poll asks for the least
        that decides its condition). Backends batch requests here where the vendor's API allows."""
        return [self.get(e) for e in executions]

    @abc.abstractmethod
    def latest(self, pipeline: str) -> t.Optional[Execution]:
        """The pipeline's most recent execution, or None when it never ran."""

    @abc.abstractmethod
    def find_started(self, request: StartRequest) -> t.List[Execution]:
        """Executions of `request.pipeline` that carry `request.key`, newest first (DESIGN section 4)."""

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """Where `execution` stands among its pipeline's executions in the order the vendor created them: a sort key
        made of what the vendor records once (a creation time, a sequential id; never a status or a start time that
        changes), ending with the id so that equal times still compare the same way for every reader.

        Two tasks that started the same key at the same moment use it to agree which execution survives
        (pipeline_start). None: the vendor records no such order for it, and such a race is not reconciled.
        """
        return None

    def find_twins(self, request: StartRequest, mine: Execution) -> t.List[Execution]:
        """Executions of `request.pipeline` other than `mine` (which this task just started) that carry
        `request.key`; at least every one the vendor created before `mine`, in any order, as read now.

        One lookup. Default: `find_started`, without `mine`; a backend whose `find_started` stops at the newest
        match overrides it.
        """
        return [e for e in self.find_started(request) if e.id is None or e.id != mine.id]

    # Writes ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def start(self, request: StartRequest) -> Execution:
        """Start one execution carrying `request.key`, exactly once even when the answer is lost."""

    def after_start(self, execution: Execution, request: t.Optional[StartRequest] = None) -> Execution:
        """Finish a start once `execution` has its id: the module calls this when a started (or retried)
        execution first has one, with the StartRequest when there is one. Backends that can only attach
        notes or the key to an existing execution do it here (Jenkins: the build description). Must be
        safe to call more than once. Default: nothing to do."""
        return execution

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        """Approve (with `values`) or reject `gate`; the answer passed `check_answer` already."""
        self.require(Operation.INPUT)
        raise NotImplementedError  # pragma: no cover - only reached by a backend that forgot to override

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        """Stage names `resume` accepts for this execution (empty when it cannot be resumed)."""
        self.require(Operation.RESUME)
        raise NotImplementedError  # pragma: no cover

    def find_continuation(self, execution: Execution, operation: Operation) -> t.Optional[Execution]:
        """The execution an earlier resume/retry of `execution` created, found through vendor lineage."""
        return None

    def resume(self, execution: Execution, stage: str) -> Execution:
        """Continue `execution` from `stage`; returns the execution that continues it (maybe a new one)."""
        self.require(Operation.RESUME)
        raise NotImplementedError  # pragma: no cover

    def retry(self, execution: Execution) -> Execution:
        """Run the failed part of `execution` again; returns the execution that does it."""
        self.require(Operation.RETRY)
        raise NotImplementedError  # pragma: no cover

    def cancel(self, execution: Execution) -> Execution:
        """Ask the vendor to stop `execution` (or drop it from the queue); returns its state after asking."""
        self.require(Operation.CANCEL)
        raise NotImplementedError  # pragma: no cover


def exactly_once(send: t.Callable[[], T], lookup: t.Callable[[], t.Optional[T]]) -> T:
    """Perform a non-idempotent request so that it takes effect once, even when its answer is lost.

    When `send` raises AmbiguousOutcomeError, `lookup` decides what happened: a result means the
    server did act (it is returned, nothing is re-sent); None means it did not, and only then is the
    request sent once more. Because a vendor may act on a request after the client stopped waiting
    (a timeout, a gateway's 504), a lookup that finds nothing is repeated for the error's `settle`
    seconds before the request is sent again. A second ambiguous outcome that the lookup cannot
    explain is raised.
    """
    try:
        return send()
    except AmbiguousOutcomeError as exc:
        found = _settled(lookup, exc)
        if found is not None:
            return found
    try:
        return send()
    except AmbiguousOutcomeError as exc:
        found = _settled(lookup, exc)
        if found is not None:
            return found
        exc.msg += '; nothing was found that it started, so check the vendor before running the task again'
        raise


def _settled(lookup: t.Callable[[], t.Optional[T]], exc: AmbiguousOutcomeError) -> t.Optional[T]:
    """`lookup()`, repeated with growing pauses until it finds something or `exc.settle` seconds have passed."""
    found = lookup()
    if found is not None or exc.settle <= 0:
        return found
    sleep = exc.sleep or time.sleep
    now = exc.now or time.monotonic
    deadline = now() + exc.settle
    pause = 0.5
    for _lookup in range(8):  # also bounded in lookups, whatever the clock does
        left = deadline - now()
        if found is not None or left <= 0:
            break
        sleep(min(pause, left))
        pause *= 2
        found = lookup()
    return found
