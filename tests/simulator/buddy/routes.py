# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Handlers of the simulated Buddy REST API (one authenticated :class:`Call` each, under the engine lock).

Contract
--------
* Checks run in this order and refuse with ``{"errors":[{"message": ...}]}``: workspace unknown (404) -> workspace
  not active (403) -> API disabled (400) -> missing scope (403) -> project / pipeline / execution / action unknown
  (404) -> body validation and state checks (400). Wording is in :data:`MESSAGES` (docs/simulator.md says which
  texts are Buddy's and which are the simulator's).
* ``POST .../executions`` creates a new execution every time (Buddy has no idempotency key); it has started when the
  answer is built unless it is delayed or its pipeline is busy (``concurrent: false``).
* ``PATCH`` answers 200 with the Execution after the operation; RETRY continues the same execution (engine
  ``retry_in_place``) unless ``buddy.retry: new_execution``; CANCEL ends it TERMINATED at once (no TERMINATING phase).
"""
from __future__ import annotations

import calendar
import dataclasses
import fnmatch
import math
import re
import time
import typing as t

from ..engine import ABORTED, CANCELLED, FAILED, QUEUED, RUNNING, SKIPPED, WAITING, Engine, EngineError, Execution, Trigger
from ..httpcore import Request, Response, json_response
from .model import (READ_SCOPES, RUN_SCOPES, VARIABLE_SCOPES, VENDOR, WAIT_OPERATION, Action, BuddyConfig, Catalog, Member, Pipeline, Token,
                    Workspace, encrypt, hex_id)
from .views import (Urls, action_details, action_execution_id, execution_status, execution_view, head_revision, legacy_action_details,
                    pipeline_view, variable_view)

JSON_TYPE = 'application/json;charset=UTF-8'
OPERATIONS = ('CANCEL', 'RETRY', 'APPLY', 'APPLY_VARIABLES', 'SET_VARIABLES', 'RUN_DELAYED', 'APPROVE_VT')
PRIORITIES = ('LOW', 'NORMAL', 'HIGH')
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MESSAGES = {
    'api_disabled': 'API is disabled in this workspace.',
    'inactive': 'Only active workspace have access to API',
    'scope': 'The access token does not have the required scope: %s.',
    'workspace': 'Workspace not found.',
    'project': 'Project not found.',
    'pipeline': 'Pipeline not found.',
    'execution': 'Execution not found.',
    'action_execution': 'Action execution not found.',
    'action': 'Action not found.',
}


def error(status: int, message: str) -> Response:
    """Buddy's error answer: ``{"errors":[{"message": ...}]}``."""
    return json_response({'errors': [{'message': message}]}, status, JSON_TYPE)


class Refusal(Exception):
    """A request refused with a Buddy error answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """The error answer."""
        return error(self.status, self.message)


@dataclasses.dataclass
class Call:
    """One authenticated request: the request, its token, URL builders and the simulated time."""

    request: Request
    token: Token
    urls: Urls
    now: float

    def arg(self, name: str) -> str:
        """A named group of the path match."""
        return t.cast('re.Match[str]', self.request.match).group(name)


def parse_date(text: t.Any) -> float:
    """ISO-8601 UTC (``2026-11-18T12:38:16.000Z``, milliseconds and ``Z`` optional) -> epoch seconds; ValueError otherwise."""
    match = re.fullmatch(r'(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]00:?00)?', str(text))
    if match is None:
        raise ValueError(text)
    base = calendar.timegm(time.strptime(match.group(1) + 'T' + match.group(2), '%Y-%m-%dT%H:%M:%S'))
    return base + float(match.group(3) or 0)


def _page_args(call: Call) -> tuple[int, int]:
    values = []
    for name, default in (('page', 1), ('per_page', DEFAULT_PER_PAGE)):
        raw = call.request.query.get(name, [None])[0]
        if raw in (None, ''):
            values.append(default)
            continue
        if not re.fullmatch(r'\d+', str(raw)) or int(raw) < 1:
            raise Refusal(400, 'Wrong %s parameter: %s. It must be a number greater than 0.' % (name, raw))
        values.append(int(raw))
    return values[0], min(values[1], MAX_PER_PAGE)


class Handlers:
    """The routes' handlers over the engine and the catalog (swapped on reset)."""

    def __init__(self, engine: Engine, catalog: Catalog, created: float) -> None:
        self.engine = engine
        self.catalog = catalog
        self.created = created

    @property
    def config(self) -> BuddyConfig:
        """The parsed ``buddy:`` section."""
        return self.catalog.config

    # -- executions of a pipeline ------------------------------------------------------------
    def adopt(self) -> None:
        """Give executions the engine made on its own (scenario history) their Buddy facts: id = run number."""
        for execution in self.engine.executions(VENDOR):
            if 'id' not in execution.vendor_data:
                pipeline = self.catalog.for_spec(execution.spec)
                branch = pipeline.refs[0] if pipeline.refs and not _wild(pipeline.refs[0]) else pipeline.project.default_branch
                self._facts(execution, pipeline, int(t.cast(int, execution.number)), self.config.tokens[0].member if self.config.tokens
                            else Member(1, 'cicd-pipelines', 'cicd-pipelines@example.com'),
                            {'branch': _short_ref(branch), 'revision': head_revision(pipeline, _short_ref(branch)), 'variables': []})

    def _facts(self, execution: Execution, pipeline: Pipeline, buddy_id: int, creator: Member, data: dict[str, t.Any]) -> None:
        execution.vendor_data.update({'id': buddy_id, 'hex': hex_id('buddy', 'execution', pipeline.workspace, pipeline.id, buddy_id,
                                                                    execution.id),
                                      'creator': creator, 'priority': pipeline.priority, 'comment': '', 'refresh': False,
                                      'clear_cache': False, 'branch': None, 'tag': None, 'pull_request': None, 'from_revision': None,
                                      'delay_until': None, 'excluded': [], 'superseded': False})
        execution.vendor_data.update(data)

    def visible(self, pipeline: Pipeline) -> list[Execution]:
        """The pipeline's executions the API shows, newest first (by Buddy id)."""
        found = [e for e in self.engine.executions(VENDOR, pipeline.spec.name) if 'id' in e.vendor_data and not e.vendor_data['superseded']]
        return sorted(found, key=lambda e: e.vendor_data['id'], reverse=True)

    def _execution(self, call: Call, pipeline: Pipeline) -> Execution:
        wanted = int(call.arg('execution'))
        found = next((e for e in self.visible(pipeline) if e.vendor_data['id'] == wanted), None)
        if found is None:
            raise Refusal(404, MESSAGES['execution'])
        return found

    # -- lookups -------------------------------------------------------------------------------
    def _workspace(self, call: Call, scopes: frozenset[str], scope_name: str) -> Workspace:
        workspace = self.config.workspace(call.arg('workspace'))
        if workspace is None:
            raise Refusal(404, MESSAGES['workspace'])
        if not workspace.active:
            raise Refusal(403, MESSAGES['inactive'])
        if workspace.api_disabled:
            raise Refusal(400, MESSAGES['api_disabled'])
        if not call.token.allows(scopes):
            raise Refusal(403, MESSAGES['scope'] % scope_name)
        return workspace

    def _project(self, call: Call, scopes: frozenset[str], scope_name: str) -> Workspace:
        workspace = self._workspace(call, scopes, scope_name)
        if workspace.project(call.arg('project')) is None:
            raise Refusal(404, MESSAGES['project'])
        return workspace

    def _pipeline(self, call: Call, scopes: frozenset[str] = READ_SCOPES, scope_name: str = 'EXECUTION_INFO') -> Pipeline:
        workspace = self._project(call, scopes, scope_name)
        pipeline = self.catalog.pipeline(workspace.domain, call.arg('project'), int(call.arg('pipeline')))
        if pipeline is None:
            raise Refusal(404, MESSAGES['pipeline'])
        return pipeline

    def _json(self, call: Call) -> dict[str, t.Any]:
        body = call.request.body
        if not body.strip():
            return {}
        try:
            data = call.request.json_body()
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal(400, 'Request body is not valid JSON.') from exc
        if not isinstance(data, dict):
            raise Refusal(400, 'Request body must be a JSON object.')
        return data

    def _answer(self, call: Call, pipeline: Pipeline, execution: Execution, status: int = 200) -> Response:
        self.engine.sync()
        return json_response(execution_view(call.urls, self.config, pipeline, execution, self.engine.now()), status, JSON_TYPE)

    # -- pipelines -------------------------------------------------------------------------------
    def pipelines(self, call: Call) -> Response:
        """``GET P``: one page of the project's pipelines (``{url, html_url, pipelines}``; empty past the end)."""
        workspace = self._project(call, READ_SCOPES, 'EXECUTION_INFO')
        page, per_page = _page_args(call)
        found = self.catalog.in_project(workspace.domain, call.arg('project'))
        chosen = found[(page - 1) * per_page:page * per_page]
        html = '%s/%s/%s/pipelines' % (self.config.app_url, workspace.domain, call.arg('project'))
        return json_response({'url': call.urls.api(call.request.path), 'html_url': html,
                              'pipelines': [self._pipeline_view(call, p) for p in chosen]}, 200, JSON_TYPE)

    def _pipeline_view(self, call: Call, pipeline: Pipeline, actions: bool = False) -> dict[str, t.Any]:
        runs = self.visible(pipeline)
        return pipeline_view(call.urls, pipeline, runs[0] if runs else None, self.created,
                             self.config.tokens[0].member if self.config.tokens else call.token.member, actions=actions)

    def pipeline(self, call: Call) -> Response:
        """``GET P/:pipeline_id`` (with its ``actions``, as the doc sample shows)."""
        return json_response(self._pipeline_view(call, self._pipeline(call), actions=True), 200, JSON_TYPE)

    # -- executions ------------------------------------------------------------------------------
    def list_executions(self, call: Call) -> Response:
        """``GET P/:id/executions``: newest first, ``page`` 1-based, ``per_page`` default 20 (at most 100)."""
        pipeline = self._pipeline(call)
        page, per_page = _page_args(call)
        found = self.visible(pipeline)
        chosen = found[(page - 1) * per_page:page * per_page]
        now = self.engine.now()
        return json_response({'url': call.urls.api(call.request.path), 'html_url': call.urls.pipeline(pipeline)[1] + '/executions',
                              'page': page, 'page_size': per_page, 'total_page_count': math.ceil(len(found) / per_page),
                              'element_count': len(chosen), 'total_element_count': len(found),
                              'executions': [execution_view(call.urls, self.config, pipeline, e, now, actions=False) for e in chosen]},
                             200, JSON_TYPE)

    def get_execution(self, call: Call) -> Response:
        """``GET P/:id/executions/:execution_id``."""
        pipeline = self._pipeline(call)
        return self._answer(call, pipeline, self._execution(call, pipeline))

    def run(self, call: Call) -> Response:
        """``POST P/:id/executions``: validate the body, queue a new execution, answer it (200, or ``run_status``)."""
        pipeline = self._pipeline(call, RUN_SCOPES, 'EXECUTION_RUN')
        body = self._json(call)
        spec = pipeline.spec
        data: dict[str, t.Any] = {}
        params = {p.name: p.default for p in spec.parameters}
        data['variables'] = self._run_variables(pipeline, body.get('variables'), params)
        priority = body.get('priority', pipeline.priority) or pipeline.priority
        if priority not in PRIORITIES:
            raise Refusal(400, 'Wrong priority: %s. Allowed values: LOW, NORMAL, HIGH.' % (priority,))
        data['priority'] = priority
        for key in ('refresh', 'clear_cache'):
            if body.get(key) is not None and not isinstance(body[key], bool):
                raise Refusal(400, 'Wrong %s value: it must be true or false.' % key)
            data[key] = bool(body.get(key))
        if body.get('comment') is not None and not isinstance(body['comment'], str):
            raise Refusal(400, 'Wrong comment value: it must be a string.')
        data['comment'] = body.get('comment') or ''
        data.update(self._refs(pipeline, body))
        if data['from_revision'] is None:
            # Without one, an execution goes from the revision of the pipeline's previous execution (doc samples: the
            # first execution has no from_revision, later ones have one).
            previous = self.visible(pipeline)
            data['from_revision'] = previous[0].vendor_data.get('revision') if previous else None
        data['excluded'] = self._excluded(pipeline, body.get('actions_to_run'))
        delay = None
        if body.get('delay_until') is not None:
            try:
                when = parse_date(body['delay_until'])
            except ValueError as exc:
                raise Refusal(400, 'Wrong delay_until value: %s. Use the format 2026-11-18T12:38:16.000Z.' % (body['delay_until'],)) from exc
            delay = max(0.0, when - self.engine.now())
            data['delay_until'] = body['delay_until']
        if spec.disabled:
            raise Refusal(400, 'Pipeline is disabled.')
        execution = self.engine.submit(spec, params, Trigger(kind='user', user=call.token.member.name), delay=delay)
        self._facts(execution, pipeline, self._next_id(pipeline), call.token.member, data)
        self._skip_excluded(execution, -1)
        return self._answer(call, pipeline, execution, self.config.run_status)

    def _next_id(self, pipeline: Pipeline) -> int:
        ids = [e.vendor_data['id'] for e in self.engine.executions(VENDOR, pipeline.spec.name) if 'id' in e.vendor_data]
        return max(ids, default=0) + 1

    @staticmethod
    def _skip_excluded(execution: Execution, after: int) -> None:
        """Actions left out by ``actions_to_run`` (after index ``after``) are skipped without running (engine ``kept``)."""
        for index in execution.vendor_data.get('excluded', []):
            run = execution.stages[index]
            if index > after and run.status not in (RUNNING, WAITING):
                run.kept, run.status = True, SKIPPED

    def _run_variables(self, pipeline: Pipeline, raw: t.Any, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """Passed variables (any key; encrypted ones stored only as ``secure!...``), applied to ``params``."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise Refusal(400, 'Wrong variables value: it must be a list of {key, value} objects.')
        echo = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get('key'), str) or not item['key'].strip():
                raise Refusal(400, 'Variable key is required.')
            value = item.get('value')
            if isinstance(value, (dict, list)):
                raise Refusal(400, 'Wrong value of variable %s.' % item['key'])
            text = '' if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            param = pipeline.spec.parameter(item['key'])
            secret = bool(item.get('encrypted')) or bool(param is not None and param.secret)
            if secret:
                self.engine.note_secret(text)
            stored = encrypt(text, item['key']) if secret else text
            if param is not None:
                params[item['key']] = stored
            echo.append({'key': item['key'], 'value': stored, 'encrypted': secret})
        return echo

    def _refs(self, pipeline: Pipeline, body: dict[str, t.Any]) -> dict[str, t.Any]:
        """``branch`` / ``tag`` / ``pull_request`` (checked against the pipeline's refs) and the revisions."""
        picked: dict[str, t.Any] = {'branch': None, 'tag': None, 'pull_request': None}
        kinds = (('branch', 'refs/heads/'), ('tag', 'refs/tags/'), ('pull_request', 'refs/pull/'))
        given = []
        for key, prefix in kinds:
            value = body.get(key)
            if value is None:
                continue
            if not isinstance(value, dict) or not isinstance(value.get('name'), str) or not value['name']:
                raise Refusal(400, 'Wrong %s value: it must be an object with a name.' % key)
            given.append((key, prefix, value['name']))
        if len(given) > 1:
            raise Refusal(400, 'Only one of branch, tag and pull_request can be given.')
        if given:
            key, prefix, name = given[0]
            if pipeline.refs and not any(_ref_matches(ref, prefix, name) for ref in pipeline.refs):
                raise Refusal(400, '%s %s does not match the refs of the pipeline (%s).'
                              % ({'branch': 'Branch', 'tag': 'Tag', 'pull_request': 'Pull request'}[key], name, ', '.join(pipeline.refs)))
            picked[key] = name
        else:
            fixed = [r for r in pipeline.refs if not _wild(r) and not r.startswith(('refs/tags/', 'refs/pull/'))]
            if pipeline.refs and not fixed:
                raise Refusal(400, 'The pipeline has wildcard refs: give a branch, tag or pull_request.')
            picked['branch'] = _short_ref(fixed[0]) if fixed else pipeline.project.default_branch
        ref_name = next(v for v in (picked['branch'], picked['tag'], picked['pull_request']) if v)
        revisions = {}
        for key in ('to_revision', 'from_revision'):
            value = body.get(key)
            if value is None:
                continue
            if not isinstance(value, dict) or not isinstance(value.get('revision'), str) or not value['revision']:
                raise Refusal(400, 'Wrong %s value: it must be an object with a revision.' % key)
            revisions[key] = value['revision']
        to_rev = revisions.get('to_revision', 'HEAD')
        picked['revision'] = head_revision(pipeline, ref_name) if to_rev.upper() == 'HEAD' else to_rev
        picked['from_revision'] = revisions.get('from_revision')
        return picked

    @staticmethod
    def _excluded(pipeline: Pipeline, raw: t.Any) -> list[int]:
        if raw is None or raw == []:
            return []
        if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            raise Refusal(400, 'Wrong actions_to_run value: it must be a list of action ids.')
        for value in raw:
            if pipeline.action(value) is None:
                raise Refusal(400, 'Action with id %d does not exist in this pipeline.' % value)
        return [a.index for a in pipeline.actions if a.id not in raw]

    # -- PATCH -----------------------------------------------------------------------------------
    def patch(self, call: Call) -> Response:
        """``PATCH P/:id/executions/:execution_id``: ``{"operation": ..., "variables": [...], "approve_action_id": ...}``."""
        pipeline = self._pipeline(call, RUN_SCOPES, 'EXECUTION_RUN')
        execution = self._execution(call, pipeline)
        body = self._json(call)
        operation = body.get('operation')
        if operation is None:
            raise Refusal(400, 'Operation is required. Allowed values: %s.' % ', '.join(OPERATIONS))
        if operation not in OPERATIONS:
            raise Refusal(400, 'Wrong operation: %s. Allowed values: %s.' % (operation, ', '.join(OPERATIONS)))
        self.engine.sync()
        user = call.token.member.name
        if operation == 'CANCEL':
            if execution.state == QUEUED:
                self.engine.cancel(execution, user=user)
            elif not self.engine.stop(execution, user=user):
                raise Refusal(400, 'Only enqueued, running or waiting executions can be cancelled.')
        elif operation == 'RETRY':
            execution = self._retry(pipeline, execution, call.token.member)
        elif operation == 'RUN_DELAYED':
            if execution.state != QUEUED or execution.vendor_data.get('delay_until') is None or execution.not_before <= self.engine.now():
                raise Refusal(400, 'Execution is not delayed.')
            execution.not_before = self.engine.now()  # the engine starts a queued execution once not_before has passed
        elif operation == 'APPROVE_VT':
            raise Refusal(400, 'Execution is not waiting for a visual tests session.')
        else:
            self._approve(pipeline, execution, operation, body, user)
        return self._answer(call, pipeline, execution)

    def _retry(self, pipeline: Pipeline, execution: Execution, member: Member) -> Execution:
        if execution_status(execution, pipeline) not in ('FAILED', 'TERMINATED'):
            raise Refusal(400, 'Only failed or terminated executions can be retried.')
        if self.config.retry == 'same_execution' and execution.state != CANCELLED:
            try:
                start = self.engine.retry_in_place(execution)
            except EngineError as exc:  # pragma: no cover - the status check above rules this out
                raise Refusal(400, str(exc)) from exc
            self._skip_excluded(execution, start)
            return execution
        failed = next((i for i, s in enumerate(execution.stages) if s.status in (FAILED, ABORTED)), 0)
        start = 0 if execution.state == CANCELLED else failed
        data = {k: v for k, v in execution.vendor_data.items() if k not in ('id', 'hex', 'creator', 'superseded')}
        fresh = self.engine.submit(execution.spec, dict(execution.parameters),
                                   Trigger(kind='restart', user=member.name, origin_id=execution.id, origin_number=execution.number,
                                           stage=execution.stages[start].name if execution.stages else None), delay=0, start_stage=start)
        if self.config.retry == 'same_execution':
            # Never started (cancelled while enqueued): the same Buddy execution runs on a new engine execution.
            self._facts(fresh, pipeline, execution.vendor_data['id'], execution.vendor_data['creator'], data)
            fresh.vendor_data['hex'] = execution.vendor_data['hex']
            execution.vendor_data['superseded'] = True
        else:
            self._facts(fresh, pipeline, self._next_id(pipeline), member, data)
        self._skip_excluded(fresh, start - 1)
        return fresh

    def _waiting_action(self, pipeline: Pipeline, execution: Execution, operation: str, body: dict[str, t.Any]) -> Action:
        wanted = body.get('approve_action_id')
        stage = execution.pending_gate()
        waiting = None if stage is None else pipeline.actions[execution.stages.index(stage)]
        if wanted not in (None, ''):
            text = str(wanted)
            named = next((a for a in pipeline.actions if text == str(a.id) or text.lower() == action_execution_id(execution, a)), None)
            if named is None:
                raise Refusal(404, MESSAGES['action_execution'])
            if named is not waiting:
                raise Refusal(400, 'Action "%s" is not waiting for approval.' % named.name)
        what = {'APPLY': 'approval', 'APPLY_VARIABLES': 'variables', 'SET_VARIABLES': 'settable variables'}[operation]
        if waiting is None or WAIT_OPERATION[waiting.type] != operation:
            raise Refusal(400, 'Execution is not waiting for %s.' % what)
        return waiting

    def _approve(self, pipeline: Pipeline, execution: Execution, operation: str, body: dict[str, t.Any], user: str) -> None:
        action = self._waiting_action(pipeline, execution, operation, body)
        values: dict[str, str] = {}
        if operation != 'APPLY':
            values = self._gate_values(action, body.get('variables'))
        self.engine.answer_gate(execution, True, values, user=user)

    def _gate_values(self, action: Action, raw: t.Any) -> dict[str, str]:
        """Check the passed values against what the action asks for: every key, nothing else, options respected."""
        if raw is None:
            raw = []
        if not isinstance(raw, list) or not all(isinstance(i, dict) and isinstance(i.get('key'), str) for i in raw):
            raise Refusal(400, 'Wrong variables value: it must be a list of {key, value} objects.')
        asked = {v.key: v for v in action.variables}
        values: dict[str, str] = {}
        for item in raw:
            definition = asked.get(item['key'])
            if definition is None:
                raise Refusal(400, 'Variable %s is not defined in action "%s".' % (item['key'], action.name))
            value = item.get('value')
            text = '' if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            if definition.choices and text not in definition.choices:
                raise Refusal(400, 'Wrong value of variable %s. Allowed values: %s.' % (definition.key, ', '.join(definition.choices)))
            secret = definition.encrypted or bool(item.get('encrypted'))
            if secret:
                self.engine.note_secret(text)
            values[definition.key] = encrypt(text, definition.key) if secret else text
        missing = [k for k in asked if k not in values]
        if missing:
            raise Refusal(400, 'Variable %s is required.' % missing[0])
        return values

    # -- actions ---------------------------------------------------------------------------------
    def action_execution(self, call: Call) -> Response:
        """``GET .../executions/:id/action_executions/:action_execution_id`` (24-hex)."""
        pipeline = self._pipeline(call)
        execution = self._execution(call, pipeline)
        wanted = call.arg('hex').lower()
        action = next((a for a in pipeline.actions if action_execution_id(execution, a) == wanted), None)
        if action is None:
            raise Refusal(404, MESSAGES['action_execution'])
        body = action_details(call.urls, self.config, pipeline, execution, action, self.engine.now())
        return json_response(body, 200, JSON_TYPE)

    def action(self, call: Call) -> Response:
        """The old ``GET .../executions/:id/action/:action_id`` (also ``actions/``): status, progress, action, dates, log."""
        pipeline = self._pipeline(call)
        execution = self._execution(call, pipeline)
        action = pipeline.action(int(call.arg('action')))
        if action is None:
            raise Refusal(404, MESSAGES['action'])
        body = legacy_action_details(call.urls, self.config, pipeline, execution, action, self.engine.now())
        return json_response(body, 200, JSON_TYPE)

    # -- variables -------------------------------------------------------------------------------
    def variables(self, call: Call) -> Response:
        """``GET /workspaces/:ws/variables?project_name=&pipeline_id=`` (also ``projectName`` / ``pipelineId``).

        Without any filter only workspace-scoped variables are listed (docs), and the simulator has none.
        """
        workspace = self._workspace(call, VARIABLE_SCOPES, 'VARIABLE_INFO')
        query = call.request.query

        def given(*names: str) -> str:
            return next((query[n][0] for n in names if query.get(n, [''])[0]), '')

        project = given('project_name', 'projectName')
        pipeline_id = given('pipeline_id', 'pipelineId')
        if project and workspace.project(project) is None:
            raise Refusal(404, MESSAGES['project'])
        if pipeline_id and not re.fullmatch(r'\d+', pipeline_id):
            raise Refusal(400, 'Wrong pipelineId parameter: %s.' % pipeline_id)
        found = [p for p in self.catalog.pipelines if p.workspace == workspace.domain and (not project or p.project.name == project)
                 and (not pipeline_id or p.id == int(pipeline_id))]
        if pipeline_id and not found:
            raise Refusal(404, MESSAGES['pipeline'])
        # No action / environment / sandbox variables here, and no workspace-scoped ones (what an unfiltered call lists).
        narrowed = bool(given('action_id', 'actionId', 'environment_id', 'sandbox_id')) or not (project or pipeline_id)
        items = [] if narrowed else [variable_view(call.urls, p, v) for p in sorted(found, key=lambda p: p.id) for v in p.variables]
        return json_response({'url': call.urls.api(call.request.path), 'html_url': '%s/%s/-/environment-variables' % (self.config.app_url, workspace.domain),
                              'variables': items}, 200, JSON_TYPE)


def _wild(ref: str) -> bool:
    return any(c in ref for c in '*?[')


def _short_ref(ref: str) -> str:
    return ref[len('refs/heads/'):] if ref.startswith('refs/heads/') else ref


def _ref_matches(ref: str, prefix: str, name: str) -> bool:
    """Whether a pipeline ref (``main``, ``refs/heads/release-*``, ``refs/tags/v*``) covers a branch / tag / pull request name."""
    if ref.startswith('refs/'):
        return fnmatch.fnmatchcase(prefix + name, ref)
    return prefix == 'refs/heads/' and fnmatch.fnmatchcase(name, ref)
