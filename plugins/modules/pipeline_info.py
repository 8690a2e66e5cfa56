#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pipeline_info
short_description: Read one or many CI/CD pipeline executions, optionally waiting for a status or condition
version_added: 0.1.0
description:
  - Returns the current state of an execution (stages, gates waiting for a person, parameters) in the same shape for
    every vendor.
  - Addresses an execution by O(execution), by O(pipeline) and O(execution_id), or the latest execution of
    O(pipeline) when O(execution_id) is left out.
  - With O(executions), reads many executions at once; a wait then ends when every one of them meets the condition
    (or ends), using one task and one connection instead of a task per execution.
  - Can wait until a status (O(wait_for)) or a JMESPath condition over the record (O(wait_until)) holds, polling at an
    adaptive interval and riding out transient errors and rate limits.
  - Only reads, also when a wait times out, so O(on_timeout=cancel) is refused; cancel with
    M(cicd.pipelines.pipeline_cancel) in a rescue block, or wait in the task that started the execution.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
options:
  execution_id:
    description:
      - The execution's id. Leave out to read the latest execution of O(pipeline).
  executions:
    description:
      - Several executions to read (and wait for) at once. Each item is an RV(execution) record returned by an earlier
        task, or an id of an execution of O(pipeline).
      - Records may belong to different vendors; each vendor's records are read through its own connection (from
        O(connections), or the top-level options for the task's O(vendor)).
      - Mutually exclusive with O(execution) and O(execution_id). RV(executions) is returned instead of RV(execution).
    type: list
    elements: raw
extends_documentation_fragment:
  - cicd.pipelines.vendor_notes.info
  - cicd.pipelines.connection
  - cicd.pipelines.execution
  - cicd.pipelines.execution.raw
  - cicd.pipelines.wait
  - cicd.pipelines.attributes
  - cicd.pipelines.attributes.read_only
  - ansible.builtin.action_common_attributes
notes:
  - Reading the latest execution of a pipeline that never ran returns RV(execution=null) without failing, unless the
    task waits.
seealso:
  - module: cicd.pipelines.pipeline_start
  - module: cicd.pipelines.pipeline_input
'''

EXAMPLES = r'''
- name: Read a build started earlier
  cicd.pipelines.pipeline_info:
    execution: "{{ deploy.execution }}"
  register: now

- name: Latest build of a job, by name
  cicd.pipelines.pipeline_info:
    vendor: jenkins
    api_url: https://ci.example.com/jenkins
    pipeline: team/app/deploy

- name: Wait until the deployment stops at its approval gate
  cicd.pipelines.pipeline_info:
    execution: "{{ deploy.execution }}"
    wait_for: [waiting]
    wait_timeout: 1800

- name: Wait until the Deploy stage is running
  cicd.pipelines.pipeline_info:
    execution: "{{ deploy.execution }}"
    wait_until: "stages[?name=='Deploy'].status | [0] == 'running'"

- name: Wait for many executions at once, accepting unstable builds
  cicd.pipelines.pipeline_info:
    executions: "{{ started.results | map(attribute='execution') | list }}"
    wait: true
    wait_timeout: 3600
    fail_on: [failed, aborted]

- name: Read the tail of a failed build's log (the failed step's, for a Pipeline build)
  cicd.pipelines.pipeline_info:
    execution: "{{ deploy.execution }}"
    log_lines: 40
  register: failed_build

- name: One block of connection settings for every vendor of a release; this task names none
  module_defaults:
    group/cicd.pipelines.pipelines:
      connections:
        jenkins:
          api_url: https://ci.example.com/jenkins
          username: release-bot
          api_token: "{{ vault_jenkins_token }}"
  cicd.pipelines.pipeline_info:
    executions: "{{ release_members }}"
    wait: true
    wait_mode: any

- name: Wait until a Harness execution needs a person (an approval or runtime inputs) or ends
  cicd.pipelines.pipeline_info:
    vendor: harness
    pipeline: shop/deploy
    execution_id: "{{ harness_execution_id }}"
    wait_for: [waiting, succeeded, failed, aborted, rejected, expired]
    # Secrets as options, not through `environment:`, whose values Ansible shows at -vvv.
    account_id: "{{ harness_account_id }}"
    api_token: "{{ vault_harness_api_key }}"

- name: Read a Buddy execution with the log of its failed action
  cicd.pipelines.pipeline_info:
    vendor: buddy
    pipeline: shop/deploy
    execution_id: "12"
    log_lines: 50
    workspace: acme
    project: shop
    api_token: "{{ vault_buddy_token }}"

- name: Read a CodeArts run with an IAM token fetched for a user
  cicd.pipelines.pipeline_info:
    vendor: codearts
    region: cn-north-4
    project_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
    username: release-bot
    password: "{{ vault_hw_password }}"
    domain: acme
    pipeline: deploy
    execution_id: "{{ codearts_run_id }}"
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
executions:
  description: With O(executions), the records in the same order, each shaped like RV(execution).
  returned: when O(executions) is given
  type: list
  elements: dict
'''

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import NotFoundError, ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, kind_of, shown
from ansible_collections.cicd.pipelines.plugins.module_utils._module import PipelineModule


def run(module: PipelineModule) -> dict:
    params = module.params
    if params['on_timeout'] == 'cancel':
        raise ValidationError('pipeline_info only reads, so on_timeout=cancel is refused (accepted here: fail, detach); '
                              'cancel with cicd.pipelines.pipeline_cancel in a rescue block, or wait with on_timeout=cancel '
                              'in the task that started or answered the execution')
    # A task that waits reads only what its condition needs until the wait ends (finish completes the records).
    level = module.poll_level
    if params['executions'] is not None:
        targets = [_item(module, item, index) for index, item in enumerate(params['executions'])]
        return module.finish(module.refresh(targets, level), changed=False, read_only=True)
    backend = module.backend
    if params['execution'] or params['execution_id']:
        return module.finish(module.refresh([module.target()], level)[0], changed=False, read_only=True)
    if not params['pipeline']:
        raise ValidationError('give execution, executions, or pipeline (with execution_id, or alone for its latest execution)')
    latest = backend.latest(params['pipeline'])
    if latest is None:
        if module.wants_wait:
            raise NotFoundError('pipeline %r has no executions to wait for' % params['pipeline'])
        return {'changed': False, 'execution': None}
    return module.finish(latest, changed=False, read_only=True)


def _item(module: PipelineModule, item: object, index: int) -> Execution:
    """An `executions` item: a record of any vendor (read through that vendor's backend), or an id of `pipeline`."""
    name = 'executions[%d]' % index
    if isinstance(item, dict):
        execution = module.record(item, name, any_vendor=True)
        module.backend_for(execution.vendor)  # its connection settings are checked before anything is read
        return execution
    if not isinstance(item, (str, int)) or isinstance(item, bool) or item == '':
        what = 'an empty string' if item == '' else kind_of(item)
        raise ValidationError('%s is %s, neither an execution record nor an execution id' % (name, what))
    if not module.params['pipeline']:
        raise ValidationError('%s is the id %s, not an execution record; ids need pipeline' % (name, shown(item)))
    return Execution(vendor=module.vendor, pipeline=module.params['pipeline'], id=str(item))


def main() -> None:
    module = PipelineModule(dict(
        executions=dict(type='list', elements='raw'),
    ), operation=Operation.INFO, mutually_exclusive=[('executions', 'execution'), ('executions', 'execution_id')])
    module.run(run)


if __name__ == '__main__':
    main()
