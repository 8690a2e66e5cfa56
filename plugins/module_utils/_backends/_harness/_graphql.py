# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Harness FirstGen on the wire: the GraphQL documents the backend sends, and how answers are read.

Every document is a constant; what the user gives travels only in `variables`, never in the query
text. tests/contract/test_harness_schema.py validates each document in `DOCUMENTS` against the
published Harness schema.

Answers: GraphQL reports resolver errors inside HTTP 200 bodies (`errors`, each with the `path` of
the field that failed, while the other fields still carry data). `GraphQL.run` returns the data and
raises a typed error for a failed field unless the caller said it may fail (lookups by name *or*
id ask for both at once and expect one to fail). Queries are retried like GETs; mutations never
blindly (their outcome is looked up first, see Backend.exactly_once).
"""

from __future__ import annotations

import re
import typing as t

from ..._errors import ApiError, AuthenticationError, NotFoundError, RateLimitedError, VendorValidationError
from ..._http import Authenticator, Outgoing, Response, ResponsePolicy, Transport, default_vendor_message

# The fields of an execution every read asks for; `STAGES` adds the stage list of a pipeline execution.
_EXECUTION = '''
fragment cicdExecution on Execution {
  __typename id executionUrl status createdAt startedAt endedAt notes failureDetails
  application { id name }
  ... on PipelineExecution { pipeline { id name } }
  ... on WorkflowExecution { workflow { id name } inputVariables { name value } }
}'''
_STAGES = '''
fragment cicdStages on Execution {
  ... on PipelineExecution {
    pipelineStageExecutions {
      __typename pipelineStageElementId pipelineStageName pipelineStepName
      ... on ApprovalStageExecution { status approvalStepType }
      ... on WorkflowStageExecution {
        status workflowExecutionId
        runtimeInputVariables { name type required allowedValues defaultValue fixed allowMultipleValues }
        inputVariables { name value }
      }
    }
  }
}'''
_VARIABLES = 'name type required allowedValues defaultValue fixed allowMultipleValues'
_APPROVALS = '''
  approvalDetails(applicationId: $app, executionId: $id) {
    approvalDetails {
      __typename approvalId approvalType stepName stageName startedAt willExpireAt
      ... on UserGroupApprovalDetails { approvers executionId variables { name value } }
    }
  }'''

# An application by id or by name (one of the two fields resolves).
APPLICATION = '''query cicdApplication($app: String!) {
  byId: application(applicationId: $app) { id name }
  byName: applicationByName(name: $app) { id name }
}'''

# A pipeline or a workflow of an application, by id or by name (whichever resolves).
ENTITY = '''query cicdEntity($app: String!, $name: String!) {
  pipelineById: pipeline(pipelineId: $name) { id name pipelineVariables { %(v)s } }
  pipelineByName: pipelineByName(pipelineName: $name, applicationId: $app) { id name pipelineVariables { %(v)s } }
  workflowById: workflow(workflowId: $name) { id name workflowVariables { %(v)s } }
  workflowByName: workflowByName(workflowName: $name, applicationId: $app) { id name workflowVariables { %(v)s } }
}''' % {'v': _VARIABLES}

# The names of an application's pipelines and workflows (for a "no such pipeline" message).
NAMES = '''query cicdNames($app: String!) {
  application(applicationId: $app) { pipelines(limit: 100) { nodes { name } } workflows(limit: 100) { nodes { name } } }
}'''

# One execution with its stages (and, when its application is known, its pending approvals).
EXECUTION = 'query cicdExecution($id: String!) {\n  execution(executionId: $id) { ...cicdExecution ...cicdStages }\n}' \
    + _EXECUTION + _STAGES
EXECUTION_WITH_APPROVALS = ('query cicdExecutionWithApprovals($id: String!, $app: String!) {\n'
                            '  execution(executionId: $id) { ...cicdExecution ...cicdStages }' + _APPROVALS + '\n}'
                            + _EXECUTION + _STAGES)
APPROVALS = 'query cicdApprovals($id: String!, $app: String!) {' + _APPROVALS + '\n}'

# Many executions in one call (a batched poll, the key lookup): `executions` with filters, newest first.
EXECUTIONS_STATUS = '''query cicdExecutionsStatus($filters: [ExecutionFilter], $limit: Int!) {
  executions(filters: $filters, limit: $limit) {
    pageInfo { hasMore total }
    nodes { __typename id status createdAt startedAt endedAt }
  }
}'''
EXECUTIONS = '''query cicdExecutions($filters: [ExecutionFilter], $limit: Int!, $offset: Int) {
  executions(filters: $filters, limit: $limit, offset: $offset) {
    pageInfo { hasMore total }
    nodes { ...cicdExecution ...cicdStages }
  }
}''' + _EXECUTION + _STAGES

START = '''mutation cicdStart($input: StartExecutionInput!) {
  startExecution(input: $input) { clientMutationId warningMessage execution { ...cicdExecution ...cicdStages } }
}''' + _EXECUTION + _STAGES

APPROVE = '''mutation cicdApprove($input: ApproveOrRejectApprovalsInput!) {
  approveOrRejectApprovals(input: $input) { success clientMutationId }
}'''

RUNTIME_INPUTS = '''mutation cicdRuntimeInputs($input: RuntimeExecutionInputsToResumePipeline!) {
  pipelineResumeRuntime(input: $input) { clientMutationId status }
}'''

RESUME = '''mutation cicdResume($input: ResumeExecutionInput) {
  resumeExecution(input: $input) { clientMutationId execution { ...cicdExecution ...cicdStages } }
}''' + _EXECUTION + _STAGES

# Every document the backend can send (validated against the published schema by the contract test).
DOCUMENTS: t.Dict[str, str] = {
    'application': APPLICATION, 'entity': ENTITY, 'names': NAMES, 'execution': EXECUTION,
    'execution_with_approvals': EXECUTION_WITH_APPROVALS, 'approvals': APPROVALS,
    'executions_status': EXECUTIONS_STATUS, 'executions': EXECUTIONS, 'start': START, 'approve': APPROVE,
    'runtime_inputs': RUNTIME_INPUTS, 'resume': RESUME,
}

# graphql-java wraps a resolver's exception text (Harness's own words) in this prefix.
_FETCH_PREFIX = re.compile(r'^\s*Exception while fetching data \([^)]*\)\s*:\s*', re.I)
_NOT_FOUND = re.compile(r"does not exist|doesn't exist|not found|access is denied|no execution found", re.I)
_REFUSED = re.compile(r'resum|cannot be|not available|already|modified', re.I)
_RATE = re.compile(r'rate limit', re.I)


def error_text(error: t.Any) -> str:
    """The vendor's words of one GraphQL error, without graphql-java's wrapper."""
    message = error.get('message') if isinstance(error, dict) else error
    return _FETCH_PREFIX.sub('', str(message or 'no details given')).strip()


def vendor_message(response: Response) -> str:
    """Harness's words in an error answer: GraphQL `errors`, the REST envelope's `responseMessages`
    (the authentication filter's 401, the REST interrupt resource), else the body text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get('errors')
        if isinstance(errors, list) and errors:
            return '; '.join(error_text(e) for e in errors)
        messages = body.get('responseMessages')
        if isinstance(messages, list) and messages:
            texts = [str(m.get('message') or m.get('code')) for m in messages if isinstance(m, dict)]
            if texts:
                return '; '.join(texts)
    return default_vendor_message(response)


class HarnessResponses(ResponsePolicy):
    """Harness answers: its words from GraphQL `errors` or the REST envelope; 429 without Retry-After
    (the transport backs off with jitter); pacing by a budget of calls per minute when one is set
    (SaaS: 30 external GraphQL calls per minute per account, and no rate-limit headers to read)."""

    def vendor_message(self, response: Response) -> str:
        return vendor_message(response)


class ApiKey(Authenticator):
    """Harness API keys travel in the X-Api-Key header (AuthenticationFilter.API_KEY_HEADER)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def apply(self, request: Outgoing) -> None:
        request.headers['X-Api-Key'] = self._key


class Refused(VendorValidationError):
    """Harness refused an action in the execution's current state (resume, approval); nothing changed."""


class Answer(t.NamedTuple):
    """The data of a GraphQL answer, and the error of each field that failed (field alias -> words)."""

    data: t.Dict[str, t.Any]
    failed: t.Dict[str, str]


class GraphQL:
    """Sends documents to `POST {api_url}/api/graphql?accountId=...` over the vendor transport."""

    def __init__(self, http: Transport, account_id: str, warnings: t.Optional[t.List[str]] = None) -> None:
        self.http = http
        self.account_id = account_id
        # Where errors about parts of an answer that otherwise arrived go (the backend's warnings).
        self.warnings = warnings if warnings is not None else []

    def run(self, document: str, variables: t.Mapping[str, t.Any], operation: str, *, mutation: bool = False,
            may_fail: t.Collection[str] = ()) -> Answer:
        """Send `document` with `variables`; `operation` completes "could not ..." in messages.

        Raises the typed error of the first failed top-level field not in `may_fail` (NotFoundError for
        Harness's "does not exist" words, Refused for refusals of resume/approval, VendorValidationError for
        the rest), and ApiError for an answer that is not GraphQL at all. An error inside a field that still
        has data (a path deeper than the field, e.g. one node of a list) leaves that data and becomes a
        warning: for a mutation, the field's data means the mutation took effect.
        """
        response = self.http.request('POST', '/api/graphql', operation=operation, params={'accountId': self.account_id},
                                     json={'query': document, 'variables': dict(variables)}, idempotent=not mutation)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError('harness: could not %s (HTTP %d): the answer is not a GraphQL response (%s)'
                           % (operation, response.status, self.http.redact(response.text[:120]) or 'empty body'),
                           status=response.status)
        data = body.get('data') if isinstance(body.get('data'), dict) else {}
        failed: t.Dict[str, str] = {}
        general: t.List[str] = []
        for error in body.get('errors') or []:
            path = error.get('path') if isinstance(error, dict) else None
            text = self.http.redact(error_text(error))
            if isinstance(path, list) and len(path) > 1 and data.get(str(path[0])) is not None:
                self.warnings.append('harness: part of the answer to "%s" is missing (%s): %s'
                                     % (operation, '.'.join(str(p) for p in path), text))
            elif isinstance(path, list) and path:
                failed.setdefault(str(path[0]), text)
            else:
                general.append(text)
        if general:
            # A document the server refused as a whole (syntax, validation, authorisation).
            raise self._error(operation, response.status, '; '.join(general))
        for alias, text in failed.items():
            if alias not in may_fail:
                raise self._error(operation, response.status, text)
        return Answer(data, failed)

    def _error(self, operation: str, status: int, text: str) -> ApiError:
        cls: t.Type[ApiError] = VendorValidationError
        if _RATE.search(text):
            cls = RateLimitedError
        elif 'api key' in text.lower() or 'not authorized' in text.lower():
            cls = AuthenticationError
        elif _NOT_FOUND.search(text):
            cls = NotFoundError
        elif _REFUSED.search(text):
            cls = Refused
        return cls('harness: could not %s: %s' % (operation, text), status=status, vendor_message=text)
