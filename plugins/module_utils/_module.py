# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""PipelineModule: the one place that knows Ansible.

It merges the shared argument specs (the connection options from the option table, the rest kept in
step with the doc fragments), builds the backend of each vendor a task talks to, checks the
operation against the vendor's capabilities, runs a module's function, waits when asked, attaches
log tails, renders results (with diff), and turns every typed error into one clean `msg` while still
reporting `changed` and `execution`. It holds no vendor knowledge: what an operation means for a
vendor (predictions, gate ids, names in messages) is asked of the backend.
"""

from __future__ import annotations

import os
import re
import traceback
import typing as t

from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._backends._base import Backend, Operation
from ._errors import PipelineError, UnsuccessfulExecution, ValidationError, WaitTimeout
from ._http import HAS_REQUESTS, REDACTED, REQUESTS_IMPORT_ERROR
from ._model import DEFAULT_FAIL_ON, STATUS_NAMES, UNSUCCESSFUL, Execution, Level, StartRequest, Status
from ._options import GENERIC_NAMES, OPTIONS, URL_OPTIONS, argument_spec
from ._poller import Condition, Poller, WaitOutcome, make_condition
from ._registry import VENDORS, backend_class, resolve_connection

# Shared options. Each dict is documented by the doc fragment of the same name; validate-modules checks
# that the two agree for every module. The connection options come from the option table (_options).
IDENTITY_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    pipeline=dict(type='str'),
    execution_id=dict(type='str'),
    execution=dict(type='dict'),
)
RAW_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    return_raw=dict(type='bool', default=False),
)
WAIT_SPEC: t.Dict[str, t.Dict[str, t.Any]] = dict(
    wait=dict(type='bool', default=False),
    wait_for=dict(type='list', elements='str', choices=list(STATUS_NAMES)),
    wait_until=dict(type='str'),
    wait_timeout=dict(type='int', default=600),
    wait_interval=dict(type='float', default=2.0),
    wait_max_interval=dict(type='float', default=30.0),
    on_timeout=dict(type='str', default='fail', choices=['fail', 'cancel', 'detach']),
    fail_on=dict(type='list', elements='str', choices=list(STATUS_NAMES), default=list(DEFAULT_FAIL_ON)),
    wait_mode=dict(type='str', default='all', choices=['all', 'any']),
    log_lines=dict(type='int'),
)
# Lines of log returned for an execution that made the task fail, unless log_lines says otherwise.
DEFAULT_FAILURE_LOG_LINES = 20
# What the echoed module arguments show instead of a parameter value (Ansible's word for a no_log value).
WITHHELD = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def connection_spec() -> t.Dict[str, t.Dict[str, t.Any]]:
    """The connection part of every module's argument spec, for the vendors that can be chosen now."""
    return argument_spec(VENDORS)


Records = t.Union[Execution, t.List[Execution]]


class PipelineModule:
    """An AnsibleModule with the collection's shared options, backend wiring and error edge.

    Modules build one with the Operation they perform, then call `run(function)`;
    `function(module)` returns the result dict (usually from `finish()`) or raises a PipelineError.
    Nothing else calls exit_json/fail_json. The base checks that the vendor supports the operation
    before the function runs.

    Several vendors in one task: `backend` is the task's own vendor (the `vendor` option, or the
    vendor of the `execution` record); `backend_for(vendor)` builds the backend of any other vendor
    from `connections[vendor]` and that vendor's environment, each with its own HTTP session.
    """

    def __init__(self, argument_spec: t.Optional[t.Dict[str, t.Any]] = None, *, operation: Operation,
                 identity: bool = True, **kwargs: t.Any) -> None:
        spec = connection_spec()
        spec.update(WAIT_SPEC)
        spec.update(RAW_SPEC)
        if identity:
            spec.update(IDENTITY_SPEC)
            kwargs.setdefault('mutually_exclusive', []).extend([('execution', 'pipeline'), ('execution', 'execution_id')])
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
        self.params = self.module.params
        self.operation = operation
        self.poller = Poller()
        self.condition: t.Optional[Condition] = None
        self._backends: t.Dict[str, Backend] = {}
        # What the task changed so far: a failure after that still reports changed and the execution.
        self._changed: t.Optional[Records] = None

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def task_vendor(self) -> t.Optional[str]:
        """The task's own vendor: the `vendor` option, else the vendor of the `execution` record; None when
        neither is given (a pipeline_info over `executions` reads each record with its own vendor)."""
        return self.params.get('vendor') or _record_vendor(self.params.get('execution'))

    @property
    def vendor(self) -> str:
        """The task's own vendor; ValidationError when the task names none."""
        vendor = self.task_vendor
        if not vendor:
            raise ValidationError('vendor is not set; choose one of: %s (set it on the task, in module_defaults, or '
                                  'pass an execution record, which names its vendor)' % ', '.join(sorted(VENDORS)))
        return vendor

    @property
    def backend(self) -> Backend:
        """The task's vendor's backend, built on first use (after the connection options are checked)."""
        return self.backend_for(self.vendor)

    def backend_for(self, vendor: str) -> Backend:
        """The backend of `vendor`, built once per task; the operation is checked against its capabilities.

        The top-level connection options belong to the task's own vendor; any other vendor is configured by
        `connections[vendor]` and its environment only.
        """
        if vendor not in self._backends:
            params = dict(self.params)
            params['vendor'] = self.task_vendor
            resolved = resolve_connection(params, os.environ, vendor)
            for secret in resolved.secrets:
                self.module.no_log_values.add(secret)
            backend = create_backend(resolved.connection)
            backend.require(self.operation)
            self._backends[vendor] = backend
        return self._backends[vendor]

    def _check_task(self) -> None:
        """What can be refused before anything is read: a task vendor's connection settings, options that
        belong to no vendor, a negative log_lines."""
        if (self.params.get('log_lines') or 0) < 0:
            raise ValidationError('log_lines must be 0 or more, got %s' % self.params['log_lines'])
        for name in ('wait_interval', 'wait_max_interval'):
            if self.params.get(name) is not None and self.params[name] <= 0:
                raise ValidationError('%s must be more than 0 seconds, got %s' % (name, self.params[name]))
        for name in ('wait_timeout', 'gate_timeout'):
            if self.params.get(name) is not None and self.params[name] < 0:
                raise ValidationError('%s must be 0 seconds or more, got %s' % (name, self.params[name]))
        execution_id = self.params.get('execution_id')
        # A negative number is no id; other ids may start with '-' (Harness ids are URL-safe base64).
        if execution_id is not None and (not str(execution_id).strip() or re.fullmatch(r'\s*-[0-9]+\s*', str(execution_id))):
            raise ValidationError('execution_id must be the id (or number) of an execution, got %r' % execution_id)
        if self.task_vendor:
            self.backend_for(self.task_vendor)
            return
        if not self.params.get('executions'):
            self.backend_for(self.vendor)  # self.vendor raises: nothing names the vendor
        given = sorted(n for n in OPTIONS if n not in GENERIC_NAMES and self.params.get(n) is not None)
        if given:
            one = len(given) == 1
            raise ValidationError('%s given but vendor is not set, so no vendor would use %s; set vendor, or put %s in '
                                  'connections under %s vendor' % (', '.join(given), 'it' if one else 'them', 'it' if one else 'them',
                                                                   'its' if one else 'their'))

    def backend_of(self, execution: Execution) -> Backend:
        return self.backend_for(execution.vendor)

    def describe(self, execution: Execution) -> str:
        """How messages name `execution` (its vendor decides: e.g. a queue item while it has no id)."""
        try:
            return self.backend_of(execution).describe(execution)
        except PipelineError:
            return execution.pipeline

    @property
    def poll_level(self) -> Level:
        """How much of a record the task needs before its wait ends: the wait condition's level when the
        task waits (the record is completed once at the end), else all of it."""
        if self.wants_wait and self.condition is not None:
            return getattr(self.condition, 'level', Level.FULL)
        return Level.FULL

    @property
    def wants_wait(self) -> bool:
        """`wait: true`, or a wait condition given (which implies waiting)."""
        return bool(self.params.get('wait') or self.params.get('wait_for') or self.params.get('wait_until'))

    # The edge -----------------------------------------------------------------------------------

    def run(self, operation: t.Callable[['PipelineModule'], t.Dict[str, t.Any]]) -> None:
        """Run `operation` and exit; every failure leaves through here as one clean message."""
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        try:
            if self.wants_wait:
                self.condition = make_condition(self.params.get('wait_for'), self.params.get('wait_until'))
            self._check_task()  # connection options and the operation are checked before anything else
            result = operation(self)
        except PipelineError as exc:
            self._mask()
            self._warn_backend()
            failure: t.Dict[str, t.Any] = dict(exc.details, changed=exc.changed)
            failure.update(self._changed_so_far(failure))
            if exc.execution is not None:
                failure['execution'] = self.render(exc.execution)
            # `exception` explicitly: the default would carry the unredacted message at -vvv.
            self.module.fail_json(msg=self._redact(exc.msg), exception=self._redact(traceback.format_exc()),
                                  invocation=self._invocation(), **failure)
        except Exception as exc:  # pylint: disable=broad-except
            # A bug or an unforeseen vendor answer: a clean message here, the traceback only in `exception`.
            self._mask()
            who = self.params.get('vendor') or 'cicd.pipelines'
            self.module.fail_json(msg=self._redact('%s: unexpected error: %s: %s' % (who, type(exc).__name__, exc)),
                                  exception=self._redact(traceback.format_exc()), invocation=self._invocation(),
                                  **self._changed_so_far({}))
        self._mask()
        self._warn_backend()
        self.module.exit_json(invocation=self._invocation(), **result)

    def _mask(self) -> None:
        """Let Ansible mask what the backends learned is secret (password parameters, encrypted variables)
        wherever it appears in the result, including the module arguments echoed at -vvv; and credentials
        written into a URL option (refused, but echoed with the arguments otherwise): the password and the user
        part too, which is the token itself in the https://TOKEN@host form."""
        for backend in self._backends.values():
            self.module.no_log_values.update(backend.http.secret_values())
        entries = [self.params] + [entry for entry in (self.params.get('connections') or {}).values() if isinstance(entry, dict)]
        for url in (entry.get(name) for entry in entries for name in URL_OPTIONS):
            parts = urlsplit(str(url)) if url else None
            for secret in (parts.username, parts.password) if parts is not None else ():
                if secret:
                    self.module.no_log_values.update({secret, unquote(secret)})

    def _invocation(self) -> t.Dict[str, t.Any]:
        """The module arguments Ansible echoes with the result (`invocation`, shown at -vvv), without the values of
        `parameters`: only the vendor's definitions tell which of them are secrets (password parameters, encrypted
        variables), and a task can end before it read them (a wrong token, an unknown pipeline, a gate answered
        already). Ansible masks the no_log options and every registered secret in the rest."""
        args = dict(self.params)
        if isinstance(args.get('parameters'), dict):
            args['parameters'] = {name: WITHHELD for name in args['parameters']}
        return {'module_args': args}

    def _changed_so_far(self, failure: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        """For a failure after the task changed something: changed=true and the execution(s) it changed."""
        if self._changed is None:
            return {}
        extra: t.Dict[str, t.Any] = {'changed': True}
        many = isinstance(self._changed, list)
        key = 'executions' if many else 'execution'
        if key not in failure:
            extra.update(self._key(many, list(self._changed) if many else [self._changed]))  # type: ignore[list-item, arg-type]
        return extra

    def _redact(self, text: str) -> str:
        for backend in self._backends.values():
            text = backend.http.redact(text)
        for name, option in OPTIONS.items():
            value = self.params.get(name)
            if option.secret and value:
                text = text.replace(str(value), REDACTED)
        return text

    def _warn_backend(self) -> None:
        """Each backend's warnings, then one line per transport for its retries and one for unchecked certificates."""
        for backend in self._backends.values():
            for warning in backend.warnings:
                self.module.warn(self._redact(warning))
            for summary in (backend.http.summary(), backend.http.tls_warning()):
                if summary:
                    self.module.warn(self._redact(summary))

    # Addressing -----------------------------------------------------------------------------------

    def record(self, data: t.Any, option: str = 'execution', any_vendor: bool = False) -> Execution:
        """Read an execution record given back by the user (`execution`, items of `executions`).

        Unless `any_vendor`, the record must belong to the task's vendor.
        """
        try:
            execution = Execution.from_result(data, option)
        except (TypeError, ValueError) as exc:
            raise ValidationError(str(exc))  # from_result names the record by `option` already
        if execution.vendor not in VENDORS:
            raise ValidationError('%s is a record of vendor %r, which this collection does not support; supported: %s'
                                  % (option, execution.vendor, ', '.join(sorted(VENDORS))))
        if not any_vendor and execution.vendor != self.vendor:
            raise ValidationError('%s is a %s execution but vendor is %s' % (option, execution.vendor, self.vendor))
        return execution

    def target(self) -> Execution:
        """The execution the task addresses: the `execution` record, or `pipeline` + `execution_id`.

        Returns a stub (identity only); call `backend.get()` for its state. Raises ValidationError.
        """
        if self.params.get('execution'):
            return self.record(self.params['execution'])
        if not self.params.get('pipeline') or not self.params.get('execution_id'):
            raise ValidationError('give execution (the record an earlier task returned) or both pipeline and execution_id')
        return Execution(vendor=self.vendor, pipeline=self.params['pipeline'], id=str(self.params['execution_id']))

    def warn(self, message: str) -> None:
        self.module.warn(self._redact(message))

    def refresh(self, executions: t.Sequence[Execution], level: Level = Level.FULL) -> t.List[Execution]:
        """The current state of `executions` (any mix of vendors), in order, read to `level`: each vendor's
        records are read together through that vendor's backend (`get_many`, which may batch them)."""
        groups: t.Dict[str, t.List[int]] = {}
        for index, execution in enumerate(executions):
            groups.setdefault(execution.vendor, []).append(index)
        fresh: t.List[t.Optional[Execution]] = [None] * len(executions)
        for vendor, indexes in groups.items():
            records = self.backend_for(vendor).get_many([executions[i] for i in indexes], level)
            for index, record in zip(indexes, records):
                fresh[index] = record
        return t.cast(t.List[Execution], fresh)

    def continued(self, execution: Execution) -> t.Optional[t.Dict[str, t.Any]]:
        """For resume and retry: the result when there is nothing to do, else None.

        Nothing to do when the execution is still active or succeeded (an in-place retry makes the same
        execution active again), or when an earlier run of the task already continued it: the vendor's
        lineage links a newer execution to it, which is then returned (DESIGN section 4).
        """
        if execution.status.active or execution.status == Status.SUCCEEDED:
            return self.finish(execution, changed=False, before=execution.status)
        found = self.backend.find_continuation(execution, self.operation)
        if found is None:
            return None
        return self.finish(self.backend.get(found), changed=False, before=execution.status)

    # Waiting and results ---------------------------------------------------------------------------

    def settle(self, execution: Execution, request: t.Optional[StartRequest] = None) -> Execution:
        """Follow an execution this task just created until the vendor gives it an id (e.g. a queue item
        leaving the queue), within wait_timeout, then let the backend finish the start (`after_start`).
        Returns it as it is then, warning when it still has no id."""
        self._changed = execution  # a failure from here on still reports it, and changed=true
        backend = self.backend_of(execution)
        if execution.id is None and not execution.terminal:
            outcome = self.poller.wait([execution], self.refresh, Condition(lambda e: e.id is not None, Level.STATUS),
                                       timeout=self.params['wait_timeout'], min_interval=min(1.0, self.params['wait_interval']),
                                       max_interval=self.params['wait_max_interval'])
            execution = self._changed = self._full(outcome.executions)[0]
        if execution.id is not None:
            return backend.after_start(execution, request)
        if not execution.terminal:
            reason = backend.waiting_reason(execution)
            self.warn('%s is still queued after %ss%s; pass the returned execution to cicd.pipelines.pipeline_info '
                      'to follow it' % (self.describe(execution), self.params['wait_timeout'],
                                        ' (%s)' % reason if reason else ''))
        return execution

    def disown(self) -> None:
        """Forget the change `settle` recorded: the task undid it (cancelled the execution it had just started), so
        a failure from here on reports neither changed=true nor that execution."""
        self._changed = None

    def finish(self, executions: Records, *, changed: bool, before: t.Optional[Status] = None,
               read_only: bool = False, expect: t.Iterable[Status] = ()) -> t.Dict[str, t.Any]:
        """Wait if the task asked to, judge the outcome, attach log tails, and build the result.

        `executions` is one record (result key `execution`) or a list (key `executions`). Check mode
        skips the wait unless the module is `read_only`. `expect` are final statuses that are the point
        of the operation (e.g. aborted for a cancel) and so never fail the task.
        Raises WaitTimeout / UnsuccessfulExecution carrying `changed` and the records.
        """
        many = isinstance(executions, list)
        records: t.List[Execution] = list(executions) if many else [executions]  # type: ignore[list-item, arg-type]
        result: t.Dict[str, t.Any] = {'changed': changed}
        if changed and not self.check_mode:
            self._changed = executions
        if self.wants_wait and self.condition is not None and (read_only or not self.check_mode):
            outcome = self.wait(records, self.condition, timeout=self.params['wait_timeout'])
            records = outcome.executions
            result.update(elapsed=round(outcome.elapsed, 1), timed_out=outcome.timed_out, polls=outcome.polls,
                          detection_lag=None if outcome.detection_lag is None else round(outcome.detection_lag, 2))
            try:
                changed = self._judge(outcome.satisfied, records, outcome.timed_out, outcome.last_error, changed,
                                      frozenset(expect))
            except (WaitTimeout, UnsuccessfulExecution) as exc:
                self._attach_logs(records if exc.execution is None else [exc.execution], failed=True)
                if exc.execution is None:
                    exc.details.update(self._key(True, records))
                # A failed wait reports how long it waited and whether it ran out of time, as a successful one does.
                waited = ('elapsed', 'timed_out', 'polls', 'detection_lag')
                exc.details.update({k: v for k, v in result.items() if k in waited})
                raise
            result['changed'] = changed
        records = self._full(records)
        self._attach_logs(records, failed=False)
        result.update(self._key(many, records))
        if self.module._diff and not many and not read_only:
            result['diff'] = {'before': {'status': before.value if before else None},
                              'after': {'status': records[0].status.value}}
        return result

    def wait(self, records: t.List[Execution], condition: t.Callable[[Execution], bool], *,
             timeout: float) -> WaitOutcome:
        """Poll `records` until `condition` (with the task's intervals and wait_mode), then read in full the
        records the polls read only in part, once."""
        level = getattr(condition, 'level', Level.FULL)
        records = self._at_least(records, level)  # the first check must not judge a record that lacks what it needs
        outcome = self.poller.wait(records, self.refresh, condition, timeout=timeout,
                                   min_interval=self.params['wait_interval'], max_interval=self.params['wait_max_interval'],
                                   mode=self.params.get('wait_mode') or 'all', complete=self._full)
        outcome.executions = self._full(outcome.executions)
        return outcome

    def _full(self, records: t.List[Execution]) -> t.List[Execution]:
        """`records` with every one that a poll read only in part read again in full."""
        return self._at_least(records, Level.FULL)

    def _at_least(self, records: t.List[Execution], level: Level) -> t.List[Execution]:
        """`records` with every one read below `level` read again to it."""
        partial = [i for i, record in enumerate(records) if record.level < level]
        if not partial:
            return records
        records = list(records)
        for i, record in zip(partial, self.refresh([records[i] for i in partial], level)):
            records[i] = record
        return records

    def _attach_logs(self, records: t.List[Execution], *, failed: bool) -> None:
        """Fill `log_tail` of the records: `log_lines` lines when asked; on a failed task by default
        DEFAULT_FAILURE_LOG_LINES for each record that ended unsuccessfully. A log that cannot be read
        never fails the task (a warning says why)."""
        asked = self.params.get('log_lines')
        for record in records:
            lines = asked
            if lines is None:
                lines = DEFAULT_FAILURE_LOG_LINES if failed and record.status in UNSUCCESSFUL else 0
            if not lines or lines < 0 or record.id is None:
                continue
            try:
                tail = self.backend_of(record).log_tail(record, lines)
            except PipelineError as exc:
                self.warn('could not read the log of %s: %s' % (self.describe(record), exc.msg))
                continue
            if tail is not None:
                tail.lines = [self._redact(line) for line in tail.lines]
                tail.source = self._redact(tail.source)
                tail.url = self._redact(tail.url) if tail.url else tail.url
                record.log_tail = tail

    def render(self, execution: Execution) -> t.Dict[str, t.Any]:
        return execution.to_result(include_raw=bool(self.params.get('return_raw')))

    def _key(self, many: bool, records: t.List[Execution]) -> t.Dict[str, t.Any]:
        if many:
            return {'executions': [self.render(e) for e in records]}
        return {'execution': self.render(records[0])}

    def _judge(self, satisfied: t.List[bool], records: t.List[Execution], timed_out: bool, last_error: t.Optional[str],
               changed: bool, expect: t.FrozenSet[Status]) -> bool:
        """Raise for a wait that did not end well; return `changed` (a cancel on timeout changes things).

        The raised error carries the single execution (one record) or nothing (the caller adds the list).
        """
        single = records[0] if len(records) == 1 else None
        if timed_out:
            pending = [e for e, ok in zip(records, satisfied) if not ok and not e.terminal]
            what = '; '.join('%s is %s' % (self.describe(e), e.status.value) for e in pending)
            msg = 'timed out after %ss waiting: %s' % (self.params['wait_timeout'], what)
            if last_error:
                msg += ' (last poll failed: %s)' % last_error
            if self.params['on_timeout'] == 'detach':
                self.warn(msg + '; detached, the execution goes on')
                return changed
            if self.params['on_timeout'] == 'cancel':
                # Report them as the cancel left them, not as they were before it.
                for index, execution in enumerate(records):
                    if any(execution is p for p in pending):
                        records[index] = self.backend_of(execution).cancel(execution)
                msg += '; cancelled %s as on_timeout=cancel asks' % ('it' if len(pending) == 1 else 'them')
                changed = True
                single = records[0] if single is not None else None
            raise WaitTimeout(msg, execution=single, changed=changed)
        wanted = frozenset(Status(s) for s in self.params.get('wait_for') or ())
        fail_on = frozenset(Status(s) for s in self.params['fail_on']) - wanted - expect
        failed = [e for e in records if e.status in fail_on]
        missed = [e for e, ok in zip(records, satisfied) if not ok]
        if self.params.get('wait_mode') == 'any':
            # Only the executions that met the condition count; the others may go on.
            met = [e for e, ok in zip(records, satisfied) if ok]
            failed = [e for e in met if e.status in fail_on]
            missed = [] if met else records
        if failed:
            raise UnsuccessfulExecution('; '.join('%s ended %s (%s)' % (self.describe(e), e.status.value, e.vendor_status)
                                                  for e in failed), execution=single, changed=changed)
        if missed:
            raise UnsuccessfulExecution('; '.join('%s ended %s without meeting the wait condition'
                                                  % (self.describe(e), e.status.value) for e in missed),
                                        execution=single, changed=changed)
        return changed


def _record_vendor(data: t.Any) -> t.Optional[str]:
    return str(data['vendor']) if isinstance(data, t.Mapping) and data.get('vendor') else None


def create_backend(connection: t.Any) -> Backend:
    """Build the backend for a resolved connection (a seam: the module tests put a fake backend here)."""
    return backend_class(connection.vendor)(connection)
