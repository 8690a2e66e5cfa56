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
import typing as t

from .._errors import AmbiguousOutcomeError, UnsupportedOperation
from .._http import RetryPolicy, Transport
from .._model import Execution, PendingInput, PipelineInfo, StartRequest, Status

T = t.TypeVar('T')

# Operations, as named in capability sets and error messages.
START = 'start'
INFO = 'info'
INPUT = 'input'
RESUME = 'resume'
RETRY = 'retry'
CANCEL = 'cancel'
ALL_OPERATIONS = (START, INFO, INPUT, RESUME, RETRY, CANCEL)


@dataclasses.dataclass
class Connection:
    """Connection settings after argument parsing and environment fallbacks."""

    vendor: str
    api_url: t.Optional[str] = None
    username: t.Optional[str] = None
    api_token: t.Optional[str] = None
    password: t.Optional[str] = None
    validate_certs: bool = True
    ca_path: t.Optional[str] = None
    request_timeout: float = 30.0
    request_retries: int = 5

    @property
    def verify(self) -> t.Union[bool, str]:
        """The requests `verify` value: a CA bundle path, or whether to verify at all."""
        if self.validate_certs and self.ca_path:
            return self.ca_path
        return self.validate_certs


class Backend(abc.ABC):
    """One vendor behind the common interface.

    Class attributes describe the vendor to the registry and the docs:
    `name` (the `vendor` option value), `capabilities` (operations it supports), `status_table`
    (vendor status word -> Status, published in docs/), `options` (connection options it uses;
    any other one given is an error), `required` (options that must be set), `env` (option ->
    environment variables read when the option is not set, the vendor CLI's own names).
    """

    name: t.ClassVar[str]
    display_name: t.ClassVar[str]
    capabilities: t.ClassVar[t.FrozenSet[str]]
    status_table: t.ClassVar[t.Mapping[str, Status]]
    options: t.ClassVar[t.FrozenSet[str]]
    required: t.ClassVar[t.Tuple[str, ...]] = ('api_url',)
    env: t.ClassVar[t.Mapping[str, t.Tuple[str, ...]]] = {}

    def __init__(self, conn: Connection, transport: t.Optional[Transport] = None) -> None:
        self.conn = conn
        self.http = transport or self._transport()
        # Things the user should know that do not fail the task; the module base shows each once.
        self.warnings: t.List[str] = []
        for secret in (conn.api_token, conn.password):
            self.http.add_secret(secret)

    def _transport(self) -> Transport:
        """Build the transport from the connection settings; backends extend it with auth."""
        return Transport(self.conn.api_url or '', vendor=self.name, timeout=self.conn.request_timeout,
                         verify=self.conn.verify, policy=RetryPolicy(retries=self.conn.request_retries))

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        """Problems with the connection settings beyond required/unused options (e.g. conflicting auth)."""
        return []

    def require(self, operation: str) -> None:
        """Raise UnsupportedOperation naming what the vendor does support, unless it supports `operation`."""
        if operation not in self.capabilities:
            supported = ', '.join(op for op in ALL_OPERATIONS if op in self.capabilities)
            raise UnsupportedOperation('%s does not support %s; it supports: %s'
                                       % (self.display_name, operation, supported))

    # Reads -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        """The pipeline's identity and declared parameters. NotFoundError when it does not exist."""

    @abc.abstractmethod
    def get(self, execution: Execution) -> Execution:
        """The current state of the execution `execution` addresses (it may be a stub: pipeline + id/scope)."""

    def get_many(self, executions: t.Sequence[Execution]) -> t.List[Execution]:
        """Current state of many executions, in order. Backends may batch requests here."""
        return [self.get(e) for e in executions]

    @abc.abstractmethod
    def latest(self, pipeline: str) -> t.Optional[Execution]:
        """The pipeline's most recent execution, or None when it never ran."""

    @abc.abstractmethod
    def find_started(self, request: StartRequest) -> t.List[Execution]:
        """Executions of `request.pipeline` that carry `request.key`, newest first (DESIGN section 4)."""

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
                     values: t.Mapping[str, t.Any]) -> Execution:
        """Approve (with `values`) or reject `gate`; the values were checked against the gate already."""
        self.require(INPUT)
        raise NotImplementedError  # pragma: no cover - only reached by a backend that forgot to override

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        """Stage names `resume` accepts for this execution (empty when it cannot be resumed)."""
        self.require(RESUME)
        raise NotImplementedError  # pragma: no cover

    def find_continuation(self, execution: Execution, operation: str) -> t.Optional[Execution]:
        """The execution an earlier resume/retry of `execution` created, found through vendor lineage."""
        return None

    def resume(self, execution: Execution, stage: str) -> Execution:
        """Continue `execution` from `stage`; returns the execution that continues it (maybe a new one)."""
        self.require(RESUME)
        raise NotImplementedError  # pragma: no cover

    def retry(self, execution: Execution) -> Execution:
        """Run the failed part of `execution` again; returns the execution that does it."""
        self.require(RETRY)
        raise NotImplementedError  # pragma: no cover

    def cancel(self, execution: Execution) -> Execution:
        """Ask the vendor to stop `execution` (or drop it from the queue); returns its state after asking."""
        self.require(CANCEL)
        raise NotImplementedError  # pragma: no cover


def exactly_once(send: t.Callable[[], T], lookup: t.Callable[[], t.Optional[T]]) -> T:
    """Perform a non-idempotent request so that it takes effect once, even when its answer is lost.

    When `send` raises AmbiguousOutcomeError, `lookup` decides what happened: a result means the
    server did act (it is returned, nothing is re-sent); None means it did not, and only then is the
    request sent once more. A second ambiguous outcome that the lookup cannot explain is raised.
    """
    try:
        return send()
    except AmbiguousOutcomeError:
        found = lookup()
        if found is not None:
            return found
    try:
        return send()
    except AmbiguousOutcomeError as exc:
        found = lookup()
        if found is not None:
            return found
        exc.msg += '; nothing was found that it started, so check the vendor before running the task again'
        raise
