# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Buddy JSON over engine executions: ids, status words, dates, the Execution / action-execution objects and logs.

Contract
--------
* Buddy facts about an engine execution live in ``Execution.vendor_data``: ``id`` (the per-pipeline execution id),
  ``hex`` (the UI id in ``html_url``), ``creator`` (a :class:`~.model.Member`), ``priority``, ``comment``, ``refresh``,
  ``clear_cache``, ``branch`` / ``tag`` / ``pull_request`` (names or None), ``revision``, ``from_revision``,
  ``variables`` (the run's passed variables, encrypted values already as ``secure!...``), ``delay_until``,
  ``excluded`` (indexes of actions left out by ``actions_to_run``) and ``superseded`` (an engine execution whose
  Buddy id moved to a newer engine execution; it is invisible to the API).
* Status words (:func:`execution_status`, :func:`action_status`): queued ENQUEUED, running INPROGRESS, waiting the
  waiting action's ``WAITING_FOR_*`` (mirrored onto the execution), succeeded SUCCESSFUL, failed FAILED, stopped or
  cancelled TERMINATED. Actions not reached are INITIAL while the execution is active and NOT_EXECUTED once it has
  ended; actions left out by ``actions_to_run`` (or before the start action of a new-execution retry) are SKIPPED.
* Dates are ISO-8601 UTC with milliseconds and ``Z``; fields without a value are ``null``, never missing.
* Logs never contain the value of an encrypted variable.
"""
from __future__ import annotations

import hashlib
import time
import typing as t

from ..engine import ABORTED, CANCELLED, FAILED, PENDING, QUEUED, RUNNING, SKIPPED, SUCCEEDED, UNSTABLE, WAITING, Execution, StageRun
from .model import WAIT_STATUS, Action, BuddyConfig, Member, Pipeline, VariableDef, encrypt, hex_id

ENCRYPTED_IN_LOG = '[encrypted]'


def iso(value: float | None) -> str | None:
    """Simulated epoch seconds -> ``2026-03-29T08:12:04.132Z`` (None stays None)."""
    if value is None:
        return None
    millis = int(round(value * 1000))
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(millis // 1000)) + '.%03dZ' % (millis % 1000)


class Urls:
    """``url`` (API, from the request's Host and the vendor base) and ``html_url`` (UI) builders for one request."""

    def __init__(self, api_root: str, app_url: str) -> None:
        self.api_root = api_root.rstrip('/')
        self.app_url = app_url

    def api(self, path: str) -> str:
        """Absolute API URL of a path below the base."""
        return self.api_root + path

    def project(self, pipeline: Pipeline) -> tuple[str, str]:
        """(url, html_url) of the pipeline's project."""
        return (self.api('/workspaces/%s/projects/%s' % (pipeline.workspace, pipeline.project.name)),
                '%s/%s/%s' % (self.app_url, pipeline.workspace, pipeline.project.name))

    def pipeline(self, pipeline: Pipeline) -> tuple[str, str]:
        """(url, html_url) of a pipeline."""
        url, html = self.project(pipeline)
        return url + '/pipelines/%d' % pipeline.id, html + '/pipelines/pipeline/%d' % pipeline.id

    def execution(self, pipeline: Pipeline, execution: Execution) -> tuple[str, str]:
        """(url, html_url) of an execution (the UI names it by its 24-hex id)."""
        url, html = self.pipeline(pipeline)
        return url + '/executions/%d' % execution.vendor_data['id'], html + '/execution/%s' % execution.vendor_data['hex']

    def member(self, workspace: str, member: Member) -> dict[str, t.Any]:
        """A member object (creator, committer)."""
        return {'url': self.api('/workspaces/%s/members/%d' % (workspace, member.id)),
                'html_url': '%s/%s/-/people/%d' % (self.app_url, workspace, member.id), 'id': member.id, 'name': member.name,
                'email': member.email, 'avatar_url': '%s/image-server/user/0/0/0/0/0/0/%d/snf/avatar.png' % (self.app_url, member.id),
                'admin': member.id == 1, 'workspace_owner': member.id == 1}


def execution_status(execution: Execution, pipeline: Pipeline) -> str:
    """The execution's ``status`` (see the module contract)."""
    state = execution.state
    if state == QUEUED:
        return 'ENQUEUED'
    if state == RUNNING:
        return 'INPROGRESS'
    if state == WAITING:
        stage = execution.pending_gate()
        return WAIT_STATUS[pipeline.actions[execution.stages.index(stage)].type] if stage is not None else 'INPROGRESS'
    if state in (SUCCEEDED, UNSTABLE):
        return 'SUCCESSFUL'
    if state == FAILED:
        return 'FAILED'
    return 'TERMINATED'  # stopped, gate timeout, or cancelled while enqueued


def action_status(execution: Execution, action: Action, run: StageRun) -> str:
    """An action execution's ``status`` (see the module contract)."""
    status = run.status
    if status == PENDING:
        return 'NOT_EXECUTED' if execution.terminal else 'INITIAL'
    if status == SKIPPED:
        return 'SKIPPED'
    if status == RUNNING:
        return 'INPROGRESS'
    if status == WAITING:
        return WAIT_STATUS[action.type]
    if status in (SUCCEEDED, UNSTABLE):
        return 'SUCCESSFUL'
    if status == FAILED:
        return 'FAILED'
    return 'TERMINATED'


def action_execution_id(execution: Execution, action: Action) -> str:
    """The 24-hex id of an action's execution: new for every attempt that runs the action, stable while it waits to run."""
    run = execution.stages[action.index]
    attempt = run.attempt if run.status != PENDING else execution.attempts
    return hex_id('buddy', 'action-execution', execution.vendor_data['hex'], action.id, attempt)


def progress(run: StageRun, now: float) -> int:
    """0-100: how far the action's work is (waiting and not started: 0; finished: 100)."""
    if run.status in (SUCCEEDED, UNSTABLE, FAILED):
        return 100
    if run.status == RUNNING and run.ends_at is not None:
        duration = run.spec.duration
        if duration <= 0:
            return 99
        return max(0, min(99, int(100 * (now - (run.ends_at - duration)) / duration)))
    return 0


def revision_view(urls: Urls, pipeline: Pipeline, sha: str, when: float, committer: Member) -> dict[str, t.Any]:
    """A revision (``to_revision`` / ``from_revision``)."""
    base = urls.project(pipeline)
    return {'url': base[0] + '/repository/commits/' + sha, 'html_url': base[1] + '/repository/commit/' + sha, 'revision': sha,
            'author_date': iso(when), 'commit_date': iso(when), 'message': 'Simulated commit %s\n' % sha[:7],
            'committer': urls.member(pipeline.workspace, committer)}


def head_revision(pipeline: Pipeline, ref: str) -> str:
    """The simulated HEAD commit of a ref (40 hex, stable per project and ref)."""
    return hashlib.sha1(('buddy-sim\x1f%s\x1f%s\x1f%s' % (pipeline.workspace, pipeline.project.name, ref)).encode('utf-8')).hexdigest()


def _action_short(urls: Urls, pipeline: Pipeline, action: Action) -> dict[str, t.Any]:
    url, html = urls.pipeline(pipeline)
    return {'url': url + '/actions/%d' % action.id, 'html_url': html + '/action/%d/edit' % action.id, 'id': action.id,
            'name': action.name, 'type': action.type}


def variable_definition(item: VariableDef) -> dict[str, t.Any]:
    """An entry of a waiting action's ``variables``: what it asks for (options in ``defaults``, newline-separated)."""
    return {'id': item.id, 'key': item.key, 'type': 'VAR', 'description': item.description, 'defaults': item.defaults,
            'encrypted': item.encrypted, 'settable': item.settable}


def action_view(urls: Urls, pipeline: Pipeline, action: Action, last_status: str | None = None) -> dict[str, t.Any]:
    """The ``action`` object of an action-execution details answer (with the variable definitions of waiting actions)."""
    view = dict(_action_short(urls, pipeline, action), trigger_time='ON_EVERY_EXECUTION', disabled=False,
                last_execution_status=last_status, ignore_errors=False, run_next='WAIT_ON_SUCCESS')
    if action.type in WAIT_STATUS:
        view.update(comment=action.message, prevent_self_approval=False, variables=[variable_definition(v) for v in action.variables])
    return view


def action_summary(urls: Urls, pipeline: Pipeline, execution: Execution, action: Action, now: float) -> dict[str, t.Any]:
    """An entry of the execution's ``action_executions``."""
    run = execution.stages[action.index]
    hex_value = action_execution_id(execution, action)
    exec_url, exec_html = urls.execution(pipeline, execution)
    finished = run.finished_at if run.status not in (PENDING, RUNNING, WAITING) else None
    return {'url': exec_url + '/action_executions/' + hex_value, 'html_url': exec_html + '?actionExecutionId=' + hex_value,
            'action_execution_id': hex_value, 'status': action_status(execution, action, run),
            'start_date': iso(run.started_at if run.status != PENDING else None), 'finish_date': iso(finished),
            'progress': progress(run, now), 'action': _action_short(urls, pipeline, action)}


def passed_variables(action: Action, run: StageRun) -> list[dict[str, t.Any]]:
    """The values an approved wait action received (encrypted ones as ``secure!...``, already so in the engine)."""
    if run.answer is None or action.type not in ('WAIT_FOR_VARIABLES', 'SET_VARIABLES'):
        return []
    secret = {v.key for v in action.variables if v.encrypted}
    return [{'key': k, 'value': v, 'encrypted': k in secret or str(v).startswith('secure!')} for k, v in run.answer.values.items()]


def action_details(urls: Urls, config: BuddyConfig, pipeline: Pipeline, execution: Execution, action: Action, now: float) -> dict[str, t.Any]:
    """``GET .../action_executions/:id``: the summary plus the action (with variable definitions), approval and log."""
    run = execution.stages[action.index]
    view = action_summary(urls, pipeline, execution, action, now)
    status = view['status']
    approver = config.member(run.answer.user) if run.answer is not None else None
    ended_by = config.member(execution.ended_by) if status == 'TERMINATED' else None
    view.update(action=action_view(urls, pipeline, action, status), error_message=run.error if run.status == FAILED else None,
                terminator_id=None if ended_by is None else ended_by.id,
                termination_date=iso(run.finished_at) if status == 'TERMINATED' else None,
                approver_id=None if approver is None else approver.id, approval_date=None if run.answer is None else iso(run.answer.at),
                passed_variables=passed_variables(action, run),
                outputted_variables=[] if approver is None else [{'key': 'BUDDY_APPROVING_ACTOR', 'value': approver.name}],
                log=action_log(config, pipeline, execution, action, now))
    return view


def legacy_action_details(urls: Urls, config: BuddyConfig, pipeline: Pipeline, execution: Execution, action: Action,
                          now: float) -> dict[str, t.Any]:
    """The old ``GET .../executions/:id/action/:action_id`` answer: ``{url, html_url, status, progress, action, dates, log}``."""
    full = action_details(urls, config, pipeline, execution, action, now)
    return {k: full[k] for k in ('url', 'html_url', 'status', 'progress', 'action', 'start_date', 'finish_date', 'log')}


def _variable_text(pipeline: Pipeline, execution: Execution) -> str:
    passed = {v['key']: v for v in execution.vendor_data.get('variables', [])}
    parts = []
    for item in pipeline.variables:
        secret = item.encrypted or bool(passed.get(item.key, {}).get('encrypted'))
        parts.append('%s=%s' % (item.key, ENCRYPTED_IN_LOG if secret else execution.parameters.get(item.key, item.default)))
    for key, item in passed.items():
        if pipeline.spec.parameter(key) is None:
            parts.append('%s=%s' % (key, ENCRYPTED_IN_LOG if item.get('encrypted') else item.get('value')))
    return ', '.join(parts)


def action_log(config: BuddyConfig, pipeline: Pipeline, execution: Execution, action: Action, now: float) -> list[str]:
    """The deterministic log lines of an action so far (empty before it starts; encrypted values never printed)."""
    run = execution.stages[action.index]
    if run.status in (PENDING, SKIPPED) or run.started_at is None:
        return []
    lines: list[str] = []
    if action.type == 'WAIT_FOR_APPLY':
        lines.append('Waiting for approval: %s' % action.message)
    elif action.type in WAIT_STATUS:
        lines.append('Waiting for variables: %s (%s)' % (action.message, ', '.join(v.key for v in action.variables)))
    else:
        lines.append('Executing action "%s" (%s)' % (action.name, action.type))
        text = _variable_text(pipeline, execution)
        if text:
            lines.append('Variables: ' + text)
    if run.answer is not None:
        who = run.answer.user or 'unknown'
        if action.type == 'WAIT_FOR_APPLY':
            lines.append('Approved by %s.' % who)
        else:
            secret = {v.key for v in action.variables if v.encrypted}
            values = ', '.join('%s=%s' % (k, ENCRYPTED_IN_LOG if k in secret or str(v).startswith('secure!') else v)
                               for k, v in run.answer.values.items())
            lines.append('Variables passed by %s: %s' % (who, values))
    worked_from = run.answer.at if run.answer is not None else run.started_at
    duration = run.spec.duration
    if run.status in (SUCCEEDED, UNSTABLE, FAILED):
        shown = run.spec.log_lines
    elif run.status == RUNNING and duration > 0:
        shown = min(run.spec.log_lines, int(run.spec.log_lines * (now - worked_from) / duration))
    elif run.status == ABORTED and duration > 0 and run.finished_at is not None and (run.answer is not None or not action.waits):
        shown = min(run.spec.log_lines, int(run.spec.log_lines * (run.finished_at - worked_from) / duration))
    else:
        shown = 0
    lines.extend('[%s] step %d of %d' % (action.name, n + 1, run.spec.log_lines) for n in range(shown))
    if run.status in (SUCCEEDED, UNSTABLE):
        lines.append('Action "%s" finished successfully.' % action.name)
    elif run.status == FAILED:
        lines.append('Error: %s' % (run.error or 'action failed'))
        lines.append('Action "%s" failed.' % action.name)
    elif run.status == ABORTED:
        lines.append('Action "%s" terminated%s.' % (action.name, ' by %s' % execution.ended_by if execution.ended_by else ''))
    return lines


def execution_view(urls: Urls, config: BuddyConfig, pipeline: Pipeline, execution: Execution, now: float,
                   actions: bool = True) -> dict[str, t.Any]:
    """The Execution object (run / get / PATCH); ``actions=False`` leaves out ``action_executions`` (list entries)."""
    data = execution.vendor_data
    url, html = urls.execution(pipeline, execution)
    project_url, project_html = urls.project(pipeline)
    creator: Member = data['creator']
    branch = data.get('branch')
    started = execution.started_at if execution.state != CANCELLED else None
    view: dict[str, t.Any] = {
        'url': url, 'html_url': html, 'id': data['id'], 'start_date': iso(started),
        'finish_date': iso(execution.finished_at) if execution.terminal else None, config.trigger_key: 'CLICK',
        'priority': data.get('priority', 'NORMAL'), 'refresh': bool(data.get('refresh')), 'clear_cache': bool(data.get('clear_cache')),
        'status': execution_status(execution, pipeline), 'comment': data.get('comment') or '',
        'branch': None if branch is None else {'url': project_url + '/repository/branches/' + branch,
                                               'html_url': project_html + '/repository/branch/' + branch, 'name': branch,
                                               'default': branch == pipeline.project.default_branch},
        'tag': None if data.get('tag') is None else {'name': data['tag']},
        'pull_request': None if data.get('pull_request') is None else {'name': data['pull_request']},
        'from_revision': (None if data.get('from_revision') is None
                          else revision_view(urls, pipeline, data['from_revision'], execution.submitted_at, creator)),
        'to_revision': revision_view(urls, pipeline, data['revision'], execution.submitted_at, creator),
        'creator': urls.member(pipeline.workspace, creator),
        'delay_until': data.get('delay_until'),
        'variables': [dict(v) for v in data.get('variables', [])],
    }
    if actions:
        view['action_executions'] = [action_summary(urls, pipeline, execution, a, now) for a in pipeline.actions]
    return view


def variable_view(urls: Urls, pipeline: Pipeline, item: VariableDef) -> dict[str, t.Any]:
    """A pipeline variable of ``GET /workspaces/:ws/variables`` (an encrypted value as ``secure!...``)."""
    return {'url': urls.api('/workspaces/%s/variables/%d' % (pipeline.workspace, item.id)),
            'html_url': '%s/%s/-/environment-variables/edit/%d' % (urls.app_url, pipeline.workspace, item.id), 'id': item.id,
            'key': item.key, 'value': encrypt(item.default, item.key) if item.encrypted else item.default, 'type': 'VAR',
            'encrypted': item.encrypted, 'settable': item.settable, 'run_only_settable': False, 'description': item.description,
            'file_path': None, 'file_chmod': None, 'file_place': None, 'public_value': None, 'key_fingerprint': None, 'checksum': None,
            'project': {'url': urls.project(pipeline)[0], 'html_url': urls.project(pipeline)[1], 'name': pipeline.project.name,
                        'display_name': pipeline.project.display_name, 'status': 'ACTIVE'},
            'pipeline': {'url': urls.pipeline(pipeline)[0], 'html_url': urls.pipeline(pipeline)[1], 'id': pipeline.id,
                         'identifier': pipeline.identifier, 'name': pipeline.name},
            'action': None, 'environment': None}


def pipeline_view(urls: Urls, pipeline: Pipeline, last: Execution | None, created: float, creator: Member,
                  actions: bool = False) -> dict[str, t.Any]:
    """A Pipeline object (get / list); ``actions=True`` (get) adds the ``actions`` with their last status."""
    url, html = urls.pipeline(pipeline)
    project_url, project_html = urls.project(pipeline)
    spec = pipeline.spec
    view: dict[str, t.Any] = {
        'url': url, 'html_url': html, 'id': pipeline.id, 'identifier': pipeline.identifier, 'name': pipeline.name,
        'on': 'CLICK', 'refs': list(pipeline.refs), 'events': [], 'trigger_conditions': [], 'execution_message_template': '$BUDDY_EXECUTION_REVISION_SUBJECT',
        'last_execution_status': 'INITIAL' if last is None else execution_status(last, pipeline),
        'last_execution_revision': None if last is None else last.vendor_data.get('revision'),
        'create_date': iso(created), 'priority': pipeline.priority, 'always_from_scratch': False, 'auto_clear_cache': False,
        'fetch_all_refs': False, 'paused': False, 'disabled': spec.disabled,
        'disabled_reason': 'Disabled in the scenario' if spec.disabled else None,
        'concurrent_pipeline_runs': spec.concurrent, 'definition_source': 'LOCAL', 'git_config_ref': 'NONE',
        'manage_variables_by_yaml': False, 'manage_permissions_by_yaml': False, 'description_required': False, 'tags': [],
        'project': {'url': project_url, 'html_url': project_html, 'name': pipeline.project.name,
                    'display_name': pipeline.project.display_name, 'status': 'ACTIVE'},
        'creator': urls.member(pipeline.workspace, creator),
        'permissions': {'others': 'DEFAULT', 'users': [], 'groups': []},
    }
    if actions:
        view['actions'] = [dict(_action_short(urls, pipeline, a), trigger_time='ON_EVERY_EXECUTION',
                                status='INITIAL' if last is None else action_status(last, a, last.stages[a.index]),
                                revision=None if last is None else last.vendor_data.get('revision')) for a in pipeline.actions]
    return view
