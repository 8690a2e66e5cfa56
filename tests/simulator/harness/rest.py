# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one REST call the collection needs: ``PUT /api/executions/{id}?appId=`` (ExecutionResource interrupt).

Contract: body ``{"executionInterruptType": "ABORT_ALL"}`` (``ABORT`` too for workflows) ends a running,
paused or queued execution ABORTED and answers ``RestResponse<ExecutionInterrupt>``. Refusals follow
``WorkflowExecutionServiceImpl.triggerExecutionInterrupt`` and are mapped like ``WingsExceptionMapper``:
unknown execution (or another application) -> 400 GENERAL_ERROR ``WorkflowExecution``; finished ->
400 INVALID_REQUEST ``Invalid request: Workflow execution [<name>] already completed.``; other interrupt
types -> 400 INVALID_REQUEST ``Invalid request: Invalid ExecutionInterrupt: ...`` (pause/resume/retry and
friends are not simulated).
"""
from __future__ import annotations

import json
import typing as t

from ..engine import QUEUED, Engine
from ..httpcore import Request, Response, json_response
from .errors import GENERAL, REQUEST, rest_envelope, rest_error
from .model import Account, make_id
from .views import Registry, ms

_ACCEPTED = ('ABORT_ALL', 'ABORT')


def abort(engine: Engine, registry: Registry, account: Account, request: Request, execution_id: str) -> Response:
    """Register an ABORT_ALL interrupt on an execution (see the module contract)."""
    app_id = request.query.get('appId', [None])[0]
    try:
        body = json.loads(request.body.decode('utf-8') or 'null')
    except (ValueError, UnicodeDecodeError):
        return rest_error(REQUEST, 'Invalid request: Unable to process JSON')  # simulator wording (Jackson's is not a WingsException)
    kind = body.get('executionInterruptType') if isinstance(body, dict) else None
    execution = registry.get(execution_id, account.id)
    if execution is None or execution.vendor_data.get('app') != app_id:
        return rest_error(GENERAL, 'WorkflowExecution')  # notNullCheck("WorkflowExecution", ...) in getExecutionWithoutSummary
    entity = registry.catalog.for_spec(execution.spec)
    if execution.terminal:
        return rest_error(REQUEST, 'Invalid request: Workflow execution [%s] already completed.' % entity.name)
    if kind != 'ABORT_ALL' and not (kind == 'ABORT' and not entity.is_pipeline):
        return rest_error(REQUEST, 'Invalid request: Invalid ExecutionInterrupt: ExecutionInterrupt(executionInterruptType=%s, appId=%s, '
                                   'executionUuid=%s)' % (kind, app_id, execution_id))
    if execution.state == QUEUED:
        engine.cancel(execution, user=account.key_name)  # not started yet: aborted at once
    else:
        engine.stop(execution, user=account.key_name)
    now = ms(engine.now())
    count = execution.vendor_data.setdefault('interrupts', 0) + 1
    execution.vendor_data['interrupts'] = count
    resource: dict[str, t.Any] = {
        'uuid': make_id('harness', 'interrupt', execution.vendor_data['id'], str(count)), 'appId': app_id, 'createdAt': now,
        'lastUpdatedAt': now, 'executionInterruptType': kind, 'seized': False, 'envId': None, 'executionUuid': execution_id,
        'stateExecutionInstanceId': None, 'properties': None, 'accountId': account.id}
    return json_response(rest_envelope(resource), 200, 'application/json')
