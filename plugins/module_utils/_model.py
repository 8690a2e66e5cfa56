# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The execution record every module returns, and the normalised statuses.

The record is the contract between backends, modules and users (DESIGN section 2). Backends build
`Execution` objects; modules render them with `to_result()`; users pass a rendered record back in
through the `execution` option, which `Execution.from_result()` reads.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import typing as t


class Level(enum.IntEnum):
    """How much of an execution a read fetches; a poll reads the least that decides its condition.

    STATUS: status, id, times and the vendor's estimate of the end; STAGES: also the stages and whether a
    gate waits (what `waiting` needs); FULL: the whole record (gate definitions, parameters, lineage).
    """

    STATUS = 1
    STAGES = 2
    FULL = 3


class Status(str, enum.Enum):
    """Normalised execution status, the same words for every vendor."""

    QUEUED = 'queued'
    RUNNING = 'running'
    WAITING = 'waiting'
    SUCCEEDED = 'succeeded'
    UNSTABLE = 'unstable'
    FAILED = 'failed'
    ABORTED = 'aborted'
    REJECTED = 'rejected'
    EXPIRED = 'expired'
    SKIPPED = 'skipped'
    UNKNOWN = 'unknown'

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def active(self) -> bool:
        """True while the execution may still do work (queued, running or waiting)."""
        return self in ACTIVE

    def __str__(self) -> str:
        return self.value


TERMINAL = frozenset({Status.SUCCEEDED, Status.UNSTABLE, Status.FAILED, Status.ABORTED,
                      Status.REJECTED, Status.EXPIRED, Status.SKIPPED})
ACTIVE = frozenset({Status.QUEUED, Status.RUNNING, Status.WAITING})
# Statuses after which resume/retry make sense: the execution did not get to the end successfully.
UNSUCCESSFUL = frozenset({Status.UNSTABLE, Status.FAILED, Status.ABORTED, Status.REJECTED, Status.EXPIRED})
STATUS_NAMES = tuple(s.value for s in Status)
# The default set of final statuses that fail a task that waited for them.
DEFAULT_FAIL_ON = ('failed', 'unstable', 'aborted', 'rejected', 'expired')


def map_status(table: t.Mapping[str, Status], vendor_status: t.Optional[str]) -> Status:
    """Look a vendor status up in a backend's table; an unmapped or missing one is UNKNOWN, never an error."""
    if vendor_status is None:
        return Status.UNKNOWN
    return table.get(vendor_status, Status.UNKNOWN)


def iso_from_millis(millis: t.Optional[float]) -> t.Optional[str]:
    """Epoch milliseconds -> ISO 8601 UTC string (second precision), None for None/0/negative."""
    if not millis or millis <= 0:
        return None
    moment = datetime.datetime.fromtimestamp(millis / 1000.0, tz=datetime.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace('+00:00', 'Z')


@dataclasses.dataclass
class InputParameter:
    """A value a person (or the playbook) supplies when answering a gate, or a pipeline parameter.

    `type` is one of string, text, choice, boolean, integer, password, other.
    """

    name: str
    type: str = 'string'
    required: bool = False
    default: t.Any = None
    choices: t.Optional[t.List[str]] = None
    description: t.Optional[str] = None

    def check(self, value: t.Any, noun: str = 'parameter') -> t.Optional[str]:
        """Return why `value` is not acceptable for this parameter, or None when it is.

        `noun` names what the value is in the message (a pipeline's or a gate's parameter, a start input)."""
        if isinstance(value, (list, tuple, set, dict)) and self.type != 'other':
            # A vendor would receive Python's text of the list ("['a', 'b']"); only vendor-specific types take several.
            advice = ('join the values into one string yourself (for example with the join filter)'
                      if self.type in ('string', 'text', 'password') else 'give one value')
            return '%s %r takes one %s value, got %s; %s' % (noun, self.name, self.type, kind_of(value), advice)
        if self.type == 'choice' and self.choices is not None and str(value) not in self.choices:
            return '%s %r must be one of %s, got %s' % (noun, self.name, ', '.join(self.choices), shown(value))
        if self.type == 'boolean' and not isinstance(value, bool) and str(value).lower() not in ('true', 'false'):
            return '%s %r is a boolean (true or false), got %s' % (noun, self.name, shown(value))
        if self.type == 'integer' and (isinstance(value, bool) or not _whole(value)):
            return '%s %r is a whole number, got %s' % (noun, self.name, shown(value))
        return None


def _whole(value: t.Any) -> bool:
    """Whether `value` is a whole number or its text in ASCII digits (Python's int() also takes other scripts' digits)."""
    text = str(value).strip()
    digits = text[1:] if text.startswith('-') else text
    return digits.isascii() and digits.isdigit()


def kind_of(value: t.Any) -> str:
    """What kind of value `value` is, in the words of a message ("a list"), never a Python type name."""
    if value is None:
        return 'nothing (null)'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, t.Mapping):
        return 'a mapping'
    if isinstance(value, (list, tuple, set, frozenset)):
        return 'a list'
    return 'a value that is neither text, a number, a list nor a mapping'


def shown(value: t.Any) -> str:
    """`value` as a message shows it: text quoted, booleans and null as YAML writes them, others by their kind."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return repr(str(value))  # str(): a tagged string from Ansible shows as plain text
    return kind_of(value)


@dataclasses.dataclass
class PendingInput:
    """A gate waiting for a person: approval, input with parameters, or runtime variables."""

    id: str
    message: str = ''
    stage: t.Optional[str] = None
    kind: str = 'approval'
    parameters: t.List[InputParameter] = dataclasses.field(default_factory=list)

    def check_answer(self, values: t.Mapping[str, t.Any]) -> t.List[str]:
        """Every problem with answering this gate with `values`; empty when the answer is acceptable."""
        return check_values(self.parameters, values, 'input %r' % self.id)


def check_values(definitions: t.Sequence[InputParameter], values: t.Mapping[str, t.Any], owner: str,
                 noun: str = 'parameter') -> t.List[str]:
    """Every problem with `values` against declared parameters: unknown names (listing the real ones),
    values outside a choice, non-booleans for a boolean, missing required ones. Empty when acceptable.
    `noun` names what the values are in the messages of single values (InputParameter.check)."""
    known = {p.name: p for p in definitions}
    problems = []
    unknown = sorted(set(values) - set(known))
    if unknown:
        accepted = ', '.join(p.name for p in definitions) if known else 'none (it takes no parameters)'
        problems.append('unknown parameter%s %s for %s; its parameters are: %s'
                        % ('s' if len(unknown) > 1 else '', ', '.join(repr(u) for u in unknown), owner, accepted))
    for name, value in values.items():
        if name in known:
            problem = known[name].check(value, noun)
            if problem:
                problems.append(problem)
    for param in definitions:
        if param.required and param.default is None and param.name not in values:
            problems.append('parameter %r is required by %s' % (param.name, owner))
    return problems


def derive_key(pipeline: str, parameters: t.Mapping[str, t.Any], revision: t.Optional[str]) -> str:
    """The idempotency key of a start without an explicit one: the same inputs give the same key."""
    import hashlib  # pylint: disable=import-outside-toplevel  # only a start without a key needs it
    canonical = json.dumps({'pipeline': pipeline, 'parameters': parameters, 'revision': revision},
                           sort_keys=True, separators=(',', ':'), default=str)
    return 'auto-' + hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:24]


@dataclasses.dataclass
class Stage:
    id: str
    name: str
    status: Status = Status.UNKNOWN
    vendor_status: t.Optional[str] = None
    started_at: t.Optional[str] = None
    finished_at: t.Optional[str] = None


@dataclasses.dataclass
class LogTail:
    """The end of an execution's log: `lines` (secrets masked), where they come from, and whether
    earlier lines were left out."""

    lines: t.List[str]
    source: str = 'log'
    truncated: bool = False
    url: t.Optional[str] = None


@dataclasses.dataclass
class Execution:
    """One pipeline execution as every module reports it (DESIGN section 2).

    `id` is None only while the vendor has not assigned one yet (a Jenkins queue item); `scope` then
    holds what addresses it (for Jenkins, `queue_id`).
    """

    vendor: str
    pipeline: str
    id: t.Optional[str] = None
    number: t.Optional[int] = None
    status: Status = Status.UNKNOWN
    vendor_status: t.Optional[str] = None
    url: t.Optional[str] = None
    started_at: t.Optional[str] = None
    finished_at: t.Optional[str] = None
    duration: t.Optional[float] = None
    stages: t.List[Stage] = dataclasses.field(default_factory=list)
    pending_inputs: t.List[PendingInput] = dataclasses.field(default_factory=list)
    parameters: t.Dict[str, t.Any] = dataclasses.field(default_factory=dict)
    idempotency_key: t.Optional[str] = None
    previous_id: t.Optional[str] = None
    scope: t.Dict[str, t.Any] = dataclasses.field(default_factory=dict)
    log_tail: t.Optional[LogTail] = None
    raw: t.Any = None
    # Not part of the rendered record (internal to the poller, DESIGN section 9):
    # when the vendor expects it to end (epoch seconds: its estimate, or the pipeline's recent durations),
    # when it ended (epoch seconds, as precise as the vendor says), and how much of it this record holds.
    expected_end: t.Optional[float] = dataclasses.field(default=None, compare=False, repr=False)
    ended_epoch: t.Optional[float] = dataclasses.field(default=None, compare=False, repr=False)
    level: Level = dataclasses.field(default=Level.FULL, compare=False, repr=False)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def to_result(self, include_raw: bool = False) -> t.Dict[str, t.Any]:
        """Render as plain JSON-able data; `raw` only when asked for (it is large and vendor-specific)."""
        # Field by field rather than dataclasses.asdict: that would deep-copy `raw` only to drop it, on every
        # poll of every execution a JMESPath condition is evaluated on.
        result: t.Dict[str, t.Any] = {name: getattr(self, name) for name in _PLAIN}
        result['status'] = self.status.value
        result['terminal'] = self.terminal
        result['stages'] = [dict(dataclasses.asdict(stage), status=stage.status.value) for stage in self.stages]
        result['pending_inputs'] = [dataclasses.asdict(gate) for gate in self.pending_inputs]
        result['parameters'] = dict(self.parameters)
        result['scope'] = dict(self.scope)
        result['log_tail'] = dataclasses.asdict(self.log_tail) if self.log_tail is not None else None
        if include_raw:
            result['raw'] = self.raw
        return result

    @classmethod
    def from_result(cls, data: t.Mapping[str, t.Any], name: str = 'execution') -> 'Execution':
        """Read a record rendered by `to_result()` (e.g. `execution: "{{ earlier.execution }}"`).

        Raises ValueError naming what is missing when the mapping is not such a record; `name` is how the
        messages name the record (the option it came in).
        """
        if not isinstance(data, t.Mapping):
            raise ValueError('%s must be the execution record returned by an earlier task, got %s' % (name, kind_of(data)))
        missing = [k for k in ('vendor', 'pipeline') if not data.get(k)]
        if data.get('id') in (None, '') and not data.get('scope'):
            missing.append('id')
        if missing:
            raise ValueError('%s is missing %s; pass the whole execution record returned by an earlier '
                             'cicd.pipelines task' % (name, ', '.join(missing)))
        for key in ('parameters', 'scope'):
            if data.get(key) is not None and not isinstance(data[key], t.Mapping):
                raise ValueError('%s.%s must be a mapping, got %s; pass the whole execution record returned by '
                                 'an earlier cicd.pipelines task' % (name, key, kind_of(data[key])))
        if data.get('id') is not None and (isinstance(data['id'], bool) or not isinstance(data['id'], (str, int))):
            raise ValueError('%s.id must be a string, got %s' % (name, kind_of(data['id'])))
        status = data.get('status') or Status.UNKNOWN.value
        return cls(
            vendor=str(data['vendor']),
            pipeline=str(data['pipeline']),
            id=None if data.get('id') in (None, '') else str(data['id']),
            number=data.get('number'),
            status=Status(status) if status in STATUS_NAMES else Status.UNKNOWN,
            vendor_status=data.get('vendor_status'),
            url=data.get('url'),
            idempotency_key=data.get('idempotency_key'),
            previous_id=data.get('previous_id'),
            parameters=dict(data.get('parameters') or {}),
            scope=dict(data.get('scope') or {}),
        )


# Rendered as they are (strings, numbers, None); the other fields are converted or left out by to_result.
_PLAIN = ('vendor', 'pipeline', 'id', 'number', 'vendor_status', 'url', 'started_at', 'finished_at', 'duration',
          'idempotency_key', 'previous_id')


@dataclasses.dataclass
class PipelineInfo:
    """What a backend knows about a pipeline before starting it: its identity and declared parameters."""

    pipeline: str
    parameters: t.List[InputParameter] = dataclasses.field(default_factory=list)
    url: t.Optional[str] = None
    startable: bool = True
    # Why the pipeline cannot be started, when startable is False (e.g. "the job is disabled").
    reason: t.Optional[str] = None
    # False when the vendor could not say which parameters the pipeline takes (e.g. the token may not read
    # them): they are then sent unchecked, and the backend warns.
    parameters_known: bool = True


@dataclasses.dataclass
class StartRequest:
    """Everything that identifies one start, handed to the backend (DESIGN section 4).

    `key` is either the user's idempotency key or one derived from (pipeline, parameters, revision);
    `key_derived` tells which, because a derived key only ever matches active executions.
    """

    pipeline: str
    parameters: t.Dict[str, t.Any]
    key: str
    key_derived: bool
    revision: t.Optional[str] = None
    notes: t.Optional[str] = None
    # Vendor-only inputs (`start_inputs`), declared by the backend and checked by Backend.check_start.
    start_inputs: t.Dict[str, t.Any] = dataclasses.field(default_factory=dict)
