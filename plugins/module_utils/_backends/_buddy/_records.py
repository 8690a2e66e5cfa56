# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Buddy JSON -> vendor-neutral records (pure functions, no I/O)."""

from __future__ import annotations

import datetime
import typing as t

from .._keyline import key_of
from ..._model import Execution, InputParameter, Level, PendingInput, Stage, Status, map_status

VENDOR = 'buddy'

# Buddy's execution and action-execution statuses (the action-execution enum of the API reference, all
# thirteen; executions use the same words). A wait action's status is mirrored by a waiting execution.
STATUS_TABLE: t.Mapping[str, Status] = {
    'INITIAL': Status.QUEUED,
    'ENQUEUED': Status.QUEUED,
    'INPROGRESS': Status.RUNNING,
    'TERMINATING': Status.RUNNING,
    'WAITING_FOR_APPLY': Status.WAITING,
    'WAITING_FOR_VARIABLES': Status.WAITING,
    'WAITING_FOR_SETTABLE_VARIABLES': Status.WAITING,
    'WAITING_FOR_VT_SESSION': Status.WAITING,
    'SUCCESSFUL': Status.SUCCEEDED,
    'FAILED': Status.FAILED,
    'TERMINATED': Status.ABORTED,
    'SKIPPED': Status.SKIPPED,
    'NOT_EXECUTED': Status.SKIPPED,
}
WAITING = ('WAITING_FOR_APPLY', 'WAITING_FOR_VARIABLES', 'WAITING_FOR_SETTABLE_VARIABLES', 'WAITING_FOR_VT_SESSION')
# Waits whose variables are read from the action-execution details.
ASKING = ('WAITING_FOR_VARIABLES', 'WAITING_FOR_SETTABLE_VARIABLES')
# Which PATCH operation answers which wait (APPROVE_VT: a visual-tests session, answered in Buddy's UI).
ANSWER = {'WAITING_FOR_APPLY': 'APPLY', 'WAITING_FOR_VARIABLES': 'APPLY_VARIABLES',
          'WAITING_FOR_SETTABLE_VARIABLES': 'SET_VARIABLES', 'WAITING_FOR_VT_SESSION': 'APPROVE_VT'}
# Encrypted values come back as ciphertext with this prefix; it is never shown.
SECURE_PREFIX = 'secure!'


def epoch(value: t.Any) -> t.Optional[float]:
    """ISO 8601 (`2016-03-29T08:12:04.132Z`) -> epoch seconds, None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def iso(value: t.Any) -> t.Optional[str]:
    seconds = epoch(value)
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace('+00:00', 'Z')


def action_executions(node: t.Any) -> t.List[t.Dict[str, t.Any]]:
    items = node.get('action_executions') if isinstance(node, dict) else None
    return [a for a in items or [] if isinstance(a, dict)]


def action_name(item: t.Mapping[str, t.Any]) -> str:
    action = item.get('action') if isinstance(item.get('action'), dict) else {}
    return str(action.get('name') or action.get('id') or item.get('action_execution_id'))


def action_key(item: t.Mapping[str, t.Any]) -> str:
    """How an action execution is addressed: its 24-hex id, else its action's numeric id."""
    action = item.get('action') if isinstance(item.get('action'), dict) else {}
    return str(item.get('action_execution_id') or action.get('id'))


def waiting_status(node: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """The wait an execution is held at: its own status if it is a wait, else a waiting action's."""
    if node.get('status') in WAITING:
        return str(node['status'])
    return next((str(a['status']) for a in action_executions(node) if a.get('status') in WAITING), None)


def parameters_of(action: t.Mapping[str, t.Any]) -> t.List[InputParameter]:
    """The variables a wait-for-variables action asks for (its `variables` definitions).

    Buddy has no `required` flag or option list: every variable asked for must be given unless it has a
    value to fall back to; `defaults` with several lines lists the options (as Buddy's UI offers them).
    """
    params = []
    for variable in action.get('variables') or []:
        if not isinstance(variable, dict) or not variable.get('key'):
            continue
        defaults = variable.get('defaults')
        lines = [line for line in str(defaults).splitlines() if line.strip()] if defaults not in (None, '') else []
        secret = bool(variable.get('encrypted'))
        description = str(variable.get('description') or '') or None
        if len(lines) > 1:
            params.append(InputParameter(name=str(variable['key']), type='choice', required=True, default=lines[0],
                                         choices=lines, description=description))
        else:
            default = None if secret or not lines else lines[0]
            params.append(InputParameter(name=str(variable['key']), type='password' if secret else 'string',
                                         required=True, default=default, description=description))
    return params


def gates_of(node: t.Mapping[str, t.Any], details: t.Mapping[str, t.Mapping[str, t.Any]]) -> t.List[PendingInput]:
    """The waiting actions as gates; `details` (action key -> action-execution details) give the variables."""
    gates = []
    for item in action_executions(node):
        status = item.get('status')
        if status not in WAITING:
            continue
        key, name = action_key(item), action_name(item)
        detail = details.get(key) or {}
        action = detail.get('action') if isinstance(detail.get('action'), dict) else item.get('action') or {}
        if status == 'WAITING_FOR_APPLY':
            gates.append(PendingInput(id=key, stage=name, kind='approval', message='%s waits for approval' % name))
        elif status == 'WAITING_FOR_VT_SESSION':
            gates.append(PendingInput(id=key, stage=name, kind='approval',
                                      message='%s waits for a visual-tests review, answered in Buddy' % name))
        else:
            params = parameters_of(action)
            what = 'values of settable variables' if status == 'WAITING_FOR_SETTABLE_VARIABLES' else 'variables'
            asked = ': ' + ', '.join(p.name for p in params) if params else ''
            gates.append(PendingInput(id=key, stage=name, kind='variables', parameters=params,
                                      message='%s waits for %s%s' % (name, what, asked)))
    return gates


def variables_of(node: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """Variables an execution shows (never the value of an encrypted one)."""
    values: t.Dict[str, t.Any] = {}
    for variable in node.get('variables') or []:
        if isinstance(variable, dict) and variable.get('key'):
            value = variable.get('value')
            hidden = variable.get('encrypted') or (isinstance(value, str) and value.startswith(SECURE_PREFIX))
            values[str(variable['key'])] = None if hidden else value
    return values


def _without_secrets(node: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """A copy of an execution answer with the values of encrypted variables blanked (the raw record may be returned)."""
    raw = dict(node)
    if isinstance(raw.get('variables'), list):
        raw['variables'] = [dict(v, value=None) if isinstance(v, dict) and (
            v.get('encrypted') or str(v.get('value') or '').startswith(SECURE_PREFIX)) else v for v in raw['variables']]
    return raw


def execution_of(node: t.Mapping[str, t.Any], pipeline: str, pipeline_id: t.Any, project: str) -> Execution:
    """One execution (run/get/PATCH/list answer) as a record; gates with variables are added by the caller."""
    vendor_status = node.get('status')
    status = map_status(STATUS_TABLE, vendor_status)
    held = waiting_status(node)
    if held is not None and status in (Status.RUNNING, Status.QUEUED, Status.UNKNOWN):
        status = Status.WAITING  # an action waits although the execution says INPROGRESS
    started, ended = epoch(node.get('start_date')), epoch(node.get('finish_date'))
    stages = [Stage(id=action_key(a), name=action_name(a), status=map_status(STATUS_TABLE, a.get('status')),
                    vendor_status=a.get('status'), started_at=iso(a.get('start_date')), finished_at=iso(a.get('finish_date')))
              for a in action_executions(node)]
    revision = node.get('to_revision') if isinstance(node.get('to_revision'), dict) else {}
    branch = node.get('branch') if isinstance(node.get('branch'), dict) else {}
    scope: t.Dict[str, t.Any] = {'pipeline_id': pipeline_id, 'project': project}
    if revision.get('revision'):
        scope['revision'] = revision['revision']
    if branch.get('name'):
        scope['branch'] = branch['name']
    execution_id = node.get('id')
    return Execution(
        vendor=VENDOR, pipeline=pipeline, id=None if execution_id is None else str(execution_id),
        number=execution_id if isinstance(execution_id, int) else None, status=status, vendor_status=vendor_status,
        url=node.get('html_url'), started_at=iso(node.get('start_date')), finished_at=iso(node.get('finish_date')),
        duration=round(ended - started, 3) if started is not None and ended is not None else None, stages=stages,
        pending_inputs=gates_of(node, {}), parameters=variables_of(node), idempotency_key=key_of(node.get('comment')),
        scope=scope, raw=_without_secrets(node), ended_epoch=ended,
        # The variables a waiting action asks for come from its details: until they are added the record is partial.
        level=Level.STAGES if any(a.get('status') in ASKING for a in action_executions(node)) else Level.FULL)
