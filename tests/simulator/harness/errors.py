# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harness error wording: GraphQL fetcher errors and the REST ``RestResponse`` error envelope.

Contract
--------
* A resolver raises :class:`FetchError` with Harness's own message and the Java exception kind that carried
  it. The GraphQL error message is then, as graphql-java 12's ``ExceptionWhileDataFetching`` renders a
  Harness fetcher exception: ``Exception while fetching data (/<path>) : <text>``, where ``<text>`` is the
  message passed through Harness's ``response_messages.properties`` template of the exception's error code:
  ``InvalidRequestException`` (INVALID_REQUEST) -> ``Invalid request: <msg>``; ``GeneralException``
  (GENERAL_ERROR, from ``Validator.notNullCheck``) and plain ``WingsException`` (UNKNOWN_ERROR) -> ``<msg>``;
  INVALID_ARGUMENT -> ``Invalid argument(s): <msg>``.
* :func:`rest_error` builds the JSON body, status and ``X-Harness-Error`` header that ``WingsExceptionMapper``
  answers for a ``WingsException`` on a REST resource (or in the authentication filter).
"""
from __future__ import annotations

import typing as t

from ..httpcore import Response, json_response

# Error kinds (the Java exception class / error code behind a message) and their templates.
REQUEST, GENERAL, UNKNOWN, ARGUMENT = 'INVALID_REQUEST', 'GENERAL_ERROR', 'UNKNOWN_ERROR', 'INVALID_ARGUMENT'
_TEMPLATES = {REQUEST: 'Invalid request: %s', GENERAL: '%s', UNKNOWN: '%s', ARGUMENT: 'Invalid argument(s): %s'}
# ErrorCode -> HTTP status (ErrorCode's default is 400 BAD_REQUEST; INVALID_TOKEN is 401).
_STATUS = {REQUEST: 400, GENERAL: 400, ARGUMENT: 400, UNKNOWN: 500, 'INVALID_TOKEN': 401}


class FetchError(Exception):
    """A Harness data-fetcher refusal: ``message`` as Harness writes it, ``kind`` one of the error kinds above."""

    def __init__(self, message: str, kind: str = REQUEST) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind

    def text(self) -> str:
        """The message after Harness's response-message template (what follows ``(/path) : ``)."""
        return _TEMPLATES[self.kind] % self.message


def rest_envelope(resource: t.Any = None, messages: list[dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
    """``RestResponse``: ``metaData`` is an empty map, ``resource`` may be null (Jackson keeps nulls)."""
    return {'metaData': {}, 'resource': resource, 'responseMessages': messages or []}


def rest_error(code: str, message: str) -> Response:
    """``WingsExceptionMapper``'s answer: the envelope with one ERROR response message, ``X-Harness-Error: <code>``."""
    body = rest_envelope(None, [{'code': code, 'level': 'ERROR', 'message': message, 'exception': None, 'failureTypes': []}])
    return json_response(body, _STATUS.get(code, 400), 'application/json').set_header('X-Harness-Error', code)


def rest_fetch_error(error: FetchError) -> Response:
    """A :class:`FetchError` raised on a REST path, mapped like ``WingsExceptionMapper`` does."""
    return rest_error(error.kind, error.text())


def graphql_error_body(message: str) -> dict[str, t.Any]:
    """``GraphQLUtils.getErrorMessage``: an ExecutionResult with one builder-made error (no data, empty locations)."""
    return {'errors': [{'message': message, 'locations': []}]}
