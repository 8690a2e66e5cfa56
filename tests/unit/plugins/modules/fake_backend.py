# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory backend for the module tests: a small CI server behind the Backend interface.

It keeps pipelines (with declared parameters) and executions, follows the real life cycle of an
execution (a start is a queue item without id that becomes a running execution with an id on a
later read; resume and retry create new executions linked by `previous_id`), records every write,
and can be scripted:

- `script(execution, [...])`: the states the execution goes through, one per read (`get`); each
  state is a status name or a dict of fields (status, pending_inputs, stages, ...).
- `next_scripts`: scripts for the executions created next (by start, resume or retry), in order.
- `fail(method, exc, times=None)`: make a method raise (once per listed exception, or always).
- `racers`: two tasks at once. Each entry is another task's start with the same key that the vendor
  creates while this task's start is in flight: `'before'` (created just before this task's execution)
  or `'after'` (just after); `'before-same-time'` and `'after-same-time'` are created in the same
  instant as this task's execution, so only the id tells them apart. `ordered = True` gives
  executions a creation order (`creation_order`: the creation time in `scope['created']`, then the
  id), as Harness, Buddy and CodeArts record one;
  `racer_status` is the status the other tasks' executions are in when this task looks.

It is named `jenkins` so the `vendor: jenkins` option selects it; tests install it in place of the
real backend (see conftest.py).
"""

from __future__ import annotations

import copy
import typing as t

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import (
    ALL_OPERATIONS, Backend, Connection,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import NotFoundError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import (
    UNSUCCESSFUL, Execution, InputParameter, LogTail, PendingInput, PipelineInfo, Stage, StartRequest, Status,
)

WRITES = ('start', 'after_start', 'answer_input', 'resume', 'retry', 'cancel')

State = t.Union[str, Status, t.Mapping[str, t.Any]]


def gate(id: str = 'Release', *params: InputParameter, stage: str = 'Approval', kind: str = 'input',
         message: str = 'Release to production?') -> PendingInput:
    return PendingInput(id=id, message=message, stage=stage, kind=kind, parameters=list(params))


def stages(*pairs: t.Tuple[str, str]) -> t.List[Stage]:
    """stages(('Build', 'succeeded'), ('Deploy', 'failed'))"""
    return [Stage(id=str(i + 1), name=name, status=Status(status), vendor_status=status.upper())
            for i, (name, status) in enumerate(pairs)]


class FakeBackend(Backend):
    name = 'jenkins'
    display_name = 'FakeCI'
    capabilities = ALL_OPERATIONS
    status_table = {s.value.upper(): s for s in Status}
    # Like a CI whose rejected gate aborts the run.
    rejected_status = Status.ABORTED
    comments = True
    revisions = True

    def describe(self, execution: Execution) -> str:
        """Queued executions are named by their queue item, as a CI with a build queue does."""
        if execution.id is None and execution.scope.get('queue_id') is not None:
            return '%s (queue item %s)' % (execution.pipeline, execution.scope['queue_id'])
        return super().describe(execution)

    def __init__(self, conn: t.Optional[Connection] = None) -> None:
        super().__init__(conn or Connection(vendor='jenkins', api_url='https://ci.example.com'))
        self.connections: t.List[Connection] = []
        self.pipelines: t.Dict[str, PipelineInfo] = {}
        # (pipeline, id) -> execution; ids are per-pipeline build numbers, in creation order.
        self.executions: t.Dict[t.Tuple[str, str], Execution] = {}
        # queue_id -> [execution without id, reads left before it leaves the queue]
        self.queue: t.Dict[int, t.List[t.Any]] = {}
        self.scripts: t.Dict[t.Tuple[str, str], t.List[State]] = {}
        self.next_scripts: t.List[t.List[State]] = []
        self.errors: t.Dict[str, t.List[t.Optional[BaseException]]] = {}
        self.always: t.Dict[str, BaseException] = {}
        self.calls: t.List[t.Tuple[str, t.Dict[str, t.Any]]] = []
        self.reads: t.List[t.Tuple[str, t.Any]] = []
        # (pipeline, id) -> log lines, for log_tail
        self.logs: t.Dict[t.Tuple[str, str], t.List[str]] = {}
        self.warnings: t.List[str] = []
        # Reads a queue item stays in the queue; None = it never leaves.
        self.queue_reads: t.Optional[int] = 1
        # Status a cancel leaves a running execution in (a real stop takes a moment).
        self.cancel_status = Status.ABORTED
        # Stage names resume accepts, by (pipeline, id); default: every stage of an unsuccessful execution.
        self.resumable: t.Dict[t.Tuple[str, str], t.List[str]] = {}
        self._next_queue_id = 300
        # queue_id -> script for the execution the queue item becomes; queue items cancelled while queued.
        self._queued_scripts: t.Dict[int, t.List[State]] = {}
        self._dropped: t.Dict[int, Execution] = {}
        # (pipeline, id) -> ids of the gates answered, for gate_passed; remember_gates=False: a CI that keeps no record.
        self.answered: t.Dict[t.Tuple[str, str], t.List[str]] = {}
        self.remember_gates = True
        # Two tasks at once (see the module docstring); `_created` is the creation clock.
        self.racers: t.List[str] = []
        self.racer_status = Status.RUNNING
        self.ordered = False
        self._created = 0

    # Set-up -------------------------------------------------------------------------------------

    def connect(self, conn: Connection) -> 'FakeBackend':
        """What the registry's create_backend would do: bind the connection, register its secrets."""
        self.conn = conn
        self.connections.append(conn)
        for secret in (conn.api_token, conn.password):
            self.http.add_secret(secret)
        return self

    def add_pipeline(self, name: str, *params: InputParameter, url: t.Optional[str] = None,
                     startable: bool = True, reason: t.Optional[str] = None) -> PipelineInfo:
        info = PipelineInfo(pipeline=name, parameters=list(params), url=url or 'https://ci.example.com/job/%s/' % name,
                            startable=startable, reason=reason)
        self.pipelines[name] = info
        return info

    def add_execution(self, pipeline: str, status: t.Union[str, Status] = 'running', **fields: t.Any) -> Execution:
        """An execution that exists already (started before the task); returns a copy of it."""
        if pipeline not in self.pipelines:
            self.add_pipeline(pipeline)
        execution = Execution(vendor=self.name, pipeline=pipeline, status=Status(status),
                              vendor_status=Status(status).value.upper(), **fields)
        self._created += 1
        execution.scope.setdefault('created', self._created)
        self._assign_id(execution)
        return copy.deepcopy(execution)

    def script(self, execution: Execution, states: t.Sequence[State]) -> None:
        self.scripts[(execution.pipeline, execution.id)] = list(states)  # type: ignore[index]

    def fail(self, method: str, *excs: BaseException, always: bool = False) -> None:
        if always:
            self.always[method] = excs[0]
        else:
            self.errors.setdefault(method, []).extend(excs)

    def stored(self, pipeline: str, id: str) -> Execution:
        return self.executions[(pipeline, id)]

    def writes(self, method: t.Optional[str] = None) -> t.List[t.Tuple[str, t.Dict[str, t.Any]]]:
        """Every write call as (method, arguments), or only those of `method`."""
        return [c for c in self.calls if method is None or c[0] == method]

    def sent(self, method: str) -> t.List[t.Dict[str, t.Any]]:
        """The arguments of every call of the write `method`, in order."""
        return [args for name, args in self.calls if name == method]

    # Internals ----------------------------------------------------------------------------------

    def _maybe_raise(self, method: str) -> None:
        if method in self.always:
            raise self.always[method]
        pending = self.errors.get(method)
        if pending:
            exc = pending.pop(0)
            if exc is not None:
                raise exc

    def _record(self, method: str, **args: t.Any) -> None:
        self.calls.append((method, copy.deepcopy(args)))

    def _assign_id(self, execution: Execution) -> None:
        number = 1 + sum(1 for e in self.executions.values() if e.pipeline == execution.pipeline)
        execution.id, execution.number = str(number), number
        execution.url = '%s%d/' % (self.pipelines[execution.pipeline].url, number)
        self.executions[(execution.pipeline, execution.id)] = execution
        queued_script = self._queued_scripts.pop(execution.scope.get('queue_id'), None)
        if queued_script is not None:
            self.scripts[(execution.pipeline, execution.id)] = queued_script

    def _create(self, pipeline: str, **fields: t.Any) -> Execution:
        """A new execution: a queue item without id (it gets one when it leaves the queue)."""
        self._next_queue_id += 1
        self._created += 1
        execution = Execution(vendor=self.name, pipeline=pipeline, status=Status.QUEUED, vendor_status='QUEUED',
                              scope={'queue_id': self._next_queue_id, 'created': self._created}, **fields)
        if self.next_scripts:
            self._queued_scripts[self._next_queue_id] = list(self.next_scripts.pop(0))
        if self.queue_reads == 0:
            self._leave_queue(execution)
        else:
            self.queue[self._next_queue_id] = [execution, self.queue_reads]
        return execution

    def _leave_queue(self, execution: Execution) -> None:
        execution.status, execution.vendor_status = Status.RUNNING, 'RUNNING'
        self._assign_id(execution)

    def _apply(self, execution: Execution, state: State) -> None:
        changes = dict(state) if isinstance(state, t.Mapping) else {'status': state}
        for key, value in changes.items():
            if key == 'status':
                value = Status(value)
                execution.vendor_status = value.value.upper()
            setattr(execution, key, copy.deepcopy(value))
        if execution.status.terminal:
            execution.pending_inputs = []

    def _find(self, execution: Execution) -> Execution:
        if execution.id is None:
            queue_id = execution.scope.get('queue_id')
            entry = self.queue.get(queue_id)
            if queue_id in self._dropped:
                return self._dropped[queue_id]
            if entry is None:
                # It left the queue since: find it by its queue id, as a real backend would.
                found = [e for e in self.executions.values() if e.scope.get('queue_id') == queue_id]
                if not found:
                    raise NotFoundError('%s: queue item %s not found' % (self.name, queue_id), status=404)
                return found[0]
            return entry[0]
        stored = self.executions.get((execution.pipeline, execution.id))
        if stored is None:
            raise NotFoundError('%s: %s #%s not found' % (self.name, execution.pipeline, execution.id), status=404)
        return stored

    # Reads --------------------------------------------------------------------------------------

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        self.reads.append(('describe_pipeline', pipeline))
        self._maybe_raise('describe_pipeline')
        if pipeline not in self.pipelines:
            raise NotFoundError('%s: pipeline %r not found' % (self.name, pipeline), status=404)
        return copy.deepcopy(self.pipelines[pipeline])

    def get(self, execution: Execution) -> Execution:
        self.reads.append(('get', (execution.pipeline, execution.id, dict(execution.scope))))
        self._maybe_raise('get')
        stored = self._find(execution)
        if stored.id is None and stored.scope['queue_id'] in self.queue:
            entry = self.queue[stored.scope['queue_id']]
            if entry[1] is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    del self.queue[stored.scope['queue_id']]
                    self._leave_queue(stored)
        else:
            states = self.scripts.get((stored.pipeline, stored.id))
            if states:
                self._apply(stored, states.pop(0))
        return copy.deepcopy(stored)

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        self.reads.append(('latest', pipeline))
        self._maybe_raise('latest')
        if pipeline not in self.pipelines:
            raise NotFoundError('%s: pipeline %r not found' % (self.name, pipeline), status=404)
        mine = [e for e in self.executions.values() if e.pipeline == pipeline]
        return copy.deepcopy(mine[-1]) if mine else None

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        self.reads.append(('find_started', request.key))
        self._maybe_raise('find_started')
        queued = [entry[0] for entry in self.queue.values()]
        mine = [e for e in list(self.executions.values()) + queued
                if e.pipeline == request.pipeline and e.idempotency_key == request.key]
        return [copy.deepcopy(e) for e in reversed(mine)]

    def gate_passed(self, execution: Execution, gate_id: t.Optional[str]) -> t.Optional[bool]:
        if self.remember_gates and gate_id in self.answered.get((execution.pipeline, execution.id), []):  # type: ignore[arg-type]
            return True
        return super().gate_passed(execution, gate_id)

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        stored = self._find(execution)
        if (stored.pipeline, stored.id) in self.resumable:
            return list(self.resumable[(stored.pipeline, stored.id)])  # type: ignore[index]
        return [s.name for s in stored.stages] if stored.status in UNSUCCESSFUL else []

    def find_continuation(self, execution: Execution, operation: str) -> t.Optional[Execution]:
        self.reads.append(('find_continuation', (execution.id, operation)))
        queued = [entry[0] for entry in self.queue.values()]
        newer = [e for e in list(self.executions.values()) + queued
                 if e.pipeline == execution.pipeline and e.previous_id == execution.id]
        return copy.deepcopy(newer[-1]) if newer else None

    # Writes -------------------------------------------------------------------------------------

    def start(self, request: StartRequest) -> Execution:
        self._record('start', request=request)
        self._maybe_raise('start')
        defaults = {p.name: p.default for p in self.pipelines[request.pipeline].parameters if p.default is not None}
        parameters = dict(defaults, **request.parameters)
        stamp = self._created + 1  # this task's creation time, shared by the '-same-time' racers
        for racer in self.racers:
            if racer.startswith('before'):
                self._racer(request, parameters, racer, stamp)
        execution = self._create(request.pipeline, parameters=parameters, idempotency_key=request.key)
        if self.racers and self.queue.pop(execution.scope['queue_id'], None) is not None:
            # In a race every execution gets its id as it is created, so ids follow creation.
            self._leave_queue(execution)
        if any(r.endswith('-same-time') for r in self.racers):
            execution.scope['created'] = stamp
        for racer in self.racers:
            if racer.startswith('after'):
                self._racer(request, parameters, racer, stamp)
        self.racers = []
        return copy.deepcopy(execution)

    def _racer(self, request: StartRequest, parameters: t.Dict[str, t.Any], racer: str, stamp: int) -> None:
        """Another task's start (see `racers`): an execution with the same key that leaves the queue at once."""
        twin = self._create(request.pipeline, parameters=dict(parameters), idempotency_key=request.key)
        self._leave_queue(twin)
        twin.status, twin.vendor_status = self.racer_status, self.racer_status.value.upper()
        if racer.endswith('-same-time'):
            twin.scope['created'] = stamp

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """(creation time, id) when `ordered`, as a vendor that records both; else None (no order: no reconciling)."""
        if not self.ordered or execution.id is None or 'created' not in execution.scope:
            return None
        return (execution.scope['created'], int(execution.id))

    def after_start(self, execution: Execution, request: t.Optional[StartRequest] = None) -> Execution:
        self._record('after_start', execution=execution.id, key=request.key if request else None)
        self._maybe_raise('after_start')
        return copy.deepcopy(self._find(execution))

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool,
                     values: t.Mapping[str, t.Any], comment: t.Optional[str] = None) -> Execution:
        self._record('answer_input', execution=execution.id, gate=gate.id, approve=approve, values=dict(values),
                     **({'comment': comment} if comment else {}))
        self._maybe_raise('answer_input')
        stored = self._find(execution)
        stored.pending_inputs = [g for g in stored.pending_inputs if g.id != gate.id]
        self.answered.setdefault((stored.pipeline, stored.id), []).append(gate.id)  # type: ignore[arg-type]
        stored.status = Status.RUNNING if approve else Status.ABORTED
        stored.vendor_status = stored.status.value.upper()
        return copy.deepcopy(stored)

    def resume(self, execution: Execution, stage: str) -> Execution:
        self._record('resume', execution=execution.id, stage=stage)
        self._maybe_raise('resume')
        stored = self._find(execution)
        return copy.deepcopy(self._create(stored.pipeline, parameters=dict(stored.parameters), previous_id=stored.id))

    def retry(self, execution: Execution) -> Execution:
        self._record('retry', execution=execution.id)
        self._maybe_raise('retry')
        stored = self._find(execution)
        return copy.deepcopy(self._create(stored.pipeline, parameters=dict(stored.parameters), previous_id=stored.id))

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        """The last `lines` of `logs[(pipeline, id)]` (a read, not a write); None when there is no log."""
        self.reads.append(('log_tail', (execution.id, lines)))
        self._maybe_raise('log_tail')
        log = self.logs.get((execution.pipeline, str(execution.id)))
        if log is None:
            return None
        return LogTail(lines=log[-lines:], source='console', truncated=len(log) > lines)

    def cancel(self, execution: Execution) -> Execution:
        self._record('cancel', execution=execution.id, queue_id=execution.scope.get('queue_id'))
        self._maybe_raise('cancel')
        stored = self._find(execution)
        if stored.id is None:
            del self.queue[stored.scope['queue_id']]
            self._dropped[stored.scope['queue_id']] = stored
            stored.status = Status.ABORTED
        elif not stored.terminal:
            stored.status = self.cancel_status
        stored.vendor_status = stored.status.value.upper()
        if stored.status.terminal:
            stored.pending_inputs = []
        return copy.deepcopy(stored)
