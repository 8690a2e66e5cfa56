#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pipeline_input
short_description: Approve or reject a gate that a CI/CD pipeline execution is waiting at
version_added: 0.1.0
description:
  - Answers a gate that waits for a person (an approval, an input with parameters, runtime variables), approving it
    with parameter values or rejecting it, optionally with a comment.
  - The answer is checked against the gate's declared parameters before anything is sent (unknown names, values
    outside a choice, booleans), also in check mode.
  - Can wait for the gate to appear first (O(gate_timeout)), so it can follow M(cicd.pipelines.pipeline_start)
    directly.
  - Idempotent. When the execution is already past the gate (it was answered, or the execution ended), nothing is sent
    and RV(ignore:changed=false). The vendor notes say how each vendor tells a passed gate apart.
  - Fails, sending nothing, when the execution is still active and the gate is not pending (after O(gate_timeout)).
    The message names the execution's status, the stage that runs and any other gate that waits, so a wrong
    O(input_id) is told from a gate that has not been reached yet.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
options:
  input_id:
    description:
      - The gate to answer, by the C(id) of a gate in RV(execution.pending_inputs) (see the vendor notes for how ids are
        spelled).
      - Required when several gates are pending at once; otherwise the only pending gate is answered.
    type: str
  action:
    description:
      - V(approve) lets the execution go on; V(reject) stops it (the vendor notes say which status it then ends in).
    type: str
    choices: [approve, reject]
    default: approve
  parameters:
    description:
      - Values for the gate's parameters, by name. Parameters left out take the gate's defaults.
      - Only with O(action=approve).
    type: dict
    default: {}
  comment:
    description:
      - A comment recorded with the answer, for vendors that keep one (approval comments, review text).
      - Refused before anything is sent for a vendor that records no comment.
    type: str
  gate_timeout:
    description:
      - Seconds to wait for the gate to appear when none is pending yet. V(0) does not wait.
      - The wait ends early when the execution ends or moves past the gate. If the gate has not appeared by then and
        the execution is still active, the task fails.
    type: int
    default: 0
extends_documentation_fragment:
  - cicd.pipelines.vendor_notes.input
  - cicd.pipelines.connection
  - cicd.pipelines.execution
  - cicd.pipelines.execution.raw
  - cicd.pipelines.wait
  - cicd.pipelines.attributes
  - cicd.pipelines.attributes.changes
  - ansible.builtin.action_common_attributes
seealso:
  - module: cicd.pipelines.pipeline_start
  - module: cicd.pipelines.pipeline_info
'''

EXAMPLES = r'''
- name: Approve the release gate with parameters, waiting up to 10 minutes for it to appear
  cicd.pipelines.pipeline_input:
    execution: "{{ deploy.execution }}"
    input_id: Release
    parameters:
      TARGET: production
      CHANGE_TICKET: CHG-1234
    gate_timeout: 600

- name: Reject the pending gate of build 42
  cicd.pipelines.pipeline_input:
    vendor: jenkins
    api_url: https://ci.example.com/jenkins
    pipeline: shop/deploy
    execution_id: "42"
    action: reject

- name: Approve and wait for the deployment to finish
  cicd.pipelines.pipeline_input:
    execution: "{{ deploy.execution }}"
    wait: true

- name: Approve a Harness approval stage by its step name, with its variables and a comment
  cicd.pipelines.pipeline_input:
    vendor: harness
    execution: "{{ harness_deploy.execution }}"
    input_id: Release
    parameters:
      CHANGE_TICKET: CHG-1042
    comment: Approved by the change board

- name: Supply the runtime inputs a Harness stage paused for, and wait for the pipeline to end
  cicd.pipelines.pipeline_input:
    execution: "{{ harness_deploy.execution }}"
    input_id: Deploy
    parameters:
      REPLICAS: "4"
    wait: true

- name: Approve a Buddy wait-for-approval action (no parameters)
  cicd.pipelines.pipeline_input:
    execution: "{{ buddy_deploy.execution }}"
    input_id: Release

- name: Give the variables a Buddy wait-for-variables action asks for
  cicd.pipelines.pipeline_input:
    execution: "{{ buddy_deploy.execution }}"
    input_id: Deploy
    parameters:
      REPLICAS: "4"
    wait: true

- name: Pass a CodeArts manual review with a comment
  cicd.pipelines.pipeline_input:
    execution: "{{ codearts_deploy.execution }}"
    input_id: Release
    comment: Approved by the change board
    wait_for: [waiting, succeeded]
'''

RETURN = r'''
execution:
  description:
    - The execution, in the same shape for every vendor. Pass it to other modules of this collection as O(ignore:execution).
  returned: success, and on failure once an execution is known
  type: dict
  contains:
    vendor:
      description: The vendor that runs it.
      type: str
    pipeline:
      description: The pipeline's identity as the vendor knows it (see the vendor guide in the collection's docs).
      type: str
      sample: team/app/deploy
    id:
      description:
        - The execution's id, always a string.
        - V(null) while the vendor has not assigned one yet (an execution still waiting to start); RV(execution.scope)
          then addresses it.
      type: str
      sample: "42"
    number:
      description: The human run number, where the vendor has one.
      type: int
      sample: 42
    status:
      description:
        - Normalised status, the same words for every vendor. See the status mapping in the collection's docs.
      type: str
      sample: running
      choices: [queued, running, waiting, succeeded, unstable, failed, aborted, rejected, expired, skipped, unknown]
    vendor_status:
      description: The vendor's own status word, untouched.
      type: str
      sample: IN_PROGRESS
    terminal:
      description: Whether the status is final.
      type: bool
      sample: false
    url:
      description: Link to the execution in the vendor's web UI.
      type: str
      sample: https://ci.example.com/job/team/job/app/job/deploy/42/
    started_at:
      description: When it started, ISO 8601 UTC.
      type: str
      sample: "2026-11-25T10:00:00Z"
    finished_at:
      description: When it ended, ISO 8601 UTC; V(null) while it runs.
      type: str
      sample: "2026-11-25T10:04:10Z"
    duration:
      description: Seconds it ran (so far).
      type: float
      sample: 250.0
    stages:
      description: Stages in run order (vendors differ in whether stages that have not started yet are listed).
      type: list
      elements: dict
      sample: [{id: "6", name: Build, status: succeeded, vendor_status: SUCCESS, started_at: "2026-11-25T10:00:01Z",
                finished_at: "2026-11-25T10:02:00Z"}]
    pending_inputs:
      description:
        - Gates waiting for a person, with what each one accepts. Answer them with M(cicd.pipelines.pipeline_input).
        - Each has C(id), C(stage), C(message), C(kind) (V(approval), V(input) or V(variables)) and C(parameters), a list
          of C(name), C(type) (V(string), V(text), V(choice), V(boolean), V(password), V(other)), C(required),
          C(default), C(choices) and C(description).
      type: list
      elements: dict
      sample: [{id: Release, stage: Approval, message: "Release to production?", kind: input,
                parameters: [{name: TARGET, type: choice, required: false, default: staging,
                              choices: [staging, production], description: null}]}]
    parameters:
      description: The parameters the execution runs with. Password values are not shown.
      type: dict
      sample: {VERSION: 1.4.2, TARGET: production}
    idempotency_key:
      description: The idempotency key the execution carries, or V(null).
      type: str
      sample: shop-deploy-1.4.2
    previous_id:
      description: For an execution created by resume or retry, the id of the one it continues.
      type: str
      sample: "41"
    scope:
      description: What else addresses the execution at the vendor (for example its queue item, project or application).
      type: dict
      sample: {queue_id: 311}
    log_tail:
      description:
        - The end of the execution's log, when O(log_lines) asks for it or the task failed because the execution ended
          unsuccessfully; otherwise V(null). Secrets are masked.
        - C(lines) (the last lines, oldest first), C(source) (which log they come from, for example the failed step),
          C(truncated) (whether earlier lines were left out) and C(url) (the full log in the vendor's web UI).
      type: dict
      sample: {lines: ["+ ./smoke-test.sh", "ERROR: smoke test failed: HTTP 503"], source: "stage Test", truncated: true,
               url: "https://ci.example.com/job/team/job/app/job/deploy/42/console"}
    raw:
      description: The vendor's own payload. Vendor-specific; its shape may change with vendor versions.
      returned: when O(return_raw=true)
      type: dict
elapsed:
  description: Seconds the task waited.
  returned: when the task waited
  type: float
  sample: 42.5
timed_out:
  description: Whether the wait ended at O(wait_timeout) (with O(on_timeout=detach) the task still succeeds).
  returned: when the task waited
  type: bool
  sample: false
polls:
  description: How many rounds of reads the wait took.
  returned: when the task waited
  type: int
  sample: 4
detection_lag:
  description:
    - Seconds between the moment the vendor says the (last) execution ended and the poll that saw it; V(null) when the
      vendor does not say when it ended, or it did not end during the wait.
  returned: when the task waited
  type: float
  sample: 0.6
input:
  description: The gate that was answered (or would be, in check mode), as listed in RV(execution.pending_inputs).
  returned: when a gate was answered
  type: dict
  sample: {id: Release, stage: Approval, message: "Release to production?", kind: input, parameters: []}
'''

import dataclasses

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import InvalidState, ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, Level, PendingInput, Status
from ansible_collections.cicd.pipelines.plugins.module_utils._module import PipelineModule
from ansible_collections.cicd.pipelines.plugins.module_utils._poller import Condition


def not_pending(module: PipelineModule, execution: Execution, input_id: str | None, gate_timeout: int) -> str:
    """Why the task fails: the gate is not pending, the execution is active and not past it. Names what
    the execution does instead (its status, the stage that runs, the gates that do wait)."""
    what = 'input %r did not appear' % input_id if input_id else 'no input appeared'
    waited = ' within %ss (gate_timeout)' % gate_timeout if gate_timeout else ' (set gate_timeout to wait for it)'
    running = [s.name for s in execution.stages if s.status in (Status.RUNNING, Status.WAITING)]
    doing = 'is %s%s' % (execution.status.value, ' in stage %s' % ', '.join(running) if running else '')
    others = ['%r (stage %s, %s)' % (g.id, g.stage or '-', g.kind) for g in execution.pending_inputs]
    if others:
        return ('input %r is not pending at %s, which %s and waits at %s instead; name one of those in input_id'
                % (input_id, module.describe(execution), doing, ', '.join(others)))
    return ('%s at %s%s: it %s and waits for no input. Nothing was answered; if the gate was answered before, '
            'see the vendor notes on telling answered gates apart' % (what, module.describe(execution), waited, doing))


def run(module: PipelineModule) -> dict:
    params, backend = module.params, module.backend
    approve = params['action'] == 'approve'
    if params['parameters'] and not approve:
        raise ValidationError('parameters are only sent with action=approve')
    backend.check_comment(params['comment'])
    execution = backend.get(module.target())

    def pick(current: Execution) -> PendingInput | None:
        return backend.find_gate(current, params['input_id'])

    def past(current: Execution) -> bool:
        return current.terminal or backend.gate_passed(current, params['input_id']) is True

    gate = pick(execution)
    if gate is None and params['gate_timeout'] > 0 and not past(execution):
        outcome = module.wait([execution], Condition(lambda e: pick(e) is not None or past(e), Level.FULL),
                              timeout=params['gate_timeout'])
        execution = outcome.executions[0]
        gate = pick(execution)
    if gate is None:
        if not past(execution):
            raise InvalidState(not_pending(module, execution, params['input_id'], params['gate_timeout']), execution=execution)
        return module.finish(execution, changed=False, before=execution.status)
    backend.check_answer(execution, gate, approve, params['parameters'], params['comment'])
    before = execution.status
    if module.check_mode:
        execution = backend.predict(Operation.INPUT, execution, gate=gate, approve=approve)
    else:
        execution = backend.answer_input(execution, gate, approve, params['parameters'], params['comment'])
    result = module.finish(execution, changed=True, before=before,
                           expect=() if approve else (Status.ABORTED, Status.REJECTED))
    result['input'] = dataclasses.asdict(gate)
    return result


def main() -> None:
    module = PipelineModule(dict(
        input_id=dict(type='str'),
        action=dict(type='str', default='approve', choices=['approve', 'reject']),
        parameters=dict(type='dict', default={}),
        comment=dict(type='str'),
        gate_timeout=dict(type='int', default=0),
    ), operation=Operation.INPUT)
    module.run(run)


if __name__ == '__main__':
    main()
