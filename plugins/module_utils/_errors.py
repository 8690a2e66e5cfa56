# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Typed failures. Nothing below the module base calls fail_json: code raises one of these, and
`PipelineModule` turns it into one clear `msg` (DESIGN section 5).

Every exception may carry the execution it concerns and whether something was already changed, so a
task that fails after starting something still reports `changed` and `execution`.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from ._model import Execution


class PipelineError(Exception):
    """An expected failure with a message fit for a user."""

    def __init__(self, msg: str, *, execution: t.Optional['Execution'] = None, changed: bool = False,
                 **details: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.execution = execution
        self.changed = changed
        self.details = details


class ValidationError(PipelineError):
    """The user's input is wrong; raised before anything is sent to the vendor."""


class UnsupportedOperation(PipelineError):
    """The vendor cannot do this; the message names what it does support."""


class InvalidState(PipelineError):
    """The execution is not in a state that allows the operation (e.g. resume of a running build)."""


class ApiError(PipelineError):
    """The vendor answered with an error.

    `status` is the HTTP status (None for a connection failure), `vendor_message` the vendor's own
    words (already redacted and shortened by the transport).
    """

    def __init__(self, msg: str, *, status: t.Optional[int] = None, vendor_message: t.Optional[str] = None,
                 **kwargs: t.Any) -> None:
        super().__init__(msg, **kwargs)
        self.status = status
        self.vendor_message = vendor_message


class AuthenticationError(ApiError):
    """401, or 403 caused by credentials (wrong token, missing permission, bad crumb)."""


class NotFoundError(ApiError):
    """404: the pipeline, execution or gate does not exist (or is not visible to these credentials)."""


class ConflictError(ApiError):
    """The vendor refused because of the object's state (409, Jenkins 400 'already given', ...)."""


class VendorValidationError(ApiError):
    """The vendor rejected the request's content (400/422)."""


class RateLimitedError(ApiError):
    """Still rate limited (429) after the retries allowed by the policy."""


class TransientError(ApiError):
    """5xx or connection failures that persisted through the retries (or could not be retried)."""


class AmbiguousOutcomeError(ApiError):
    """A non-idempotent request may or may not have been acted on (timeout or reset after sending).

    Never re-send the request blindly: look the result up first (see `_backends._base.exactly_once`).
    `settle` is how many more seconds the vendor may still be carrying the request out (after a timeout
    it may act after the client gave up), so a lookup that finds nothing is repeated over that time before
    anything is sent again; `sleep` and `now` are the clock of the transport that raised it.
    """

    def __init__(self, msg: str, *, settle: float = 0.0, sleep: t.Optional[t.Callable[[float], None]] = None,
                 now: t.Optional[t.Callable[[], float]] = None, **kwargs: t.Any) -> None:
        super().__init__(msg, **kwargs)
        self.settle = settle
        self.sleep = sleep
        self.now = now


class WaitTimeout(PipelineError):
    """A wait reached its deadline; carries the last execution seen."""


class UnsuccessfulExecution(PipelineError):
    """A wait ended in a status the task is configured to fail on."""
