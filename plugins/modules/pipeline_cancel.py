#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pipeline_cancel
short_description: Stop a running or queued CI/CD pipeline execution
version_added: 0.1.0
description:
  - Asks the vendor to stop an execution, or to drop it from the queue before it starts.
  - Idempotent. An execution that already ended is left alone and RV(ignore:changed=false).
  - With O(wait), waits until the execution has really ended. The task does not fail on the final status (it was
    asked to stop), only if the wait times out.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
extends_documentation_fragment:
  - cicd.pipelines.vendor_notes.cancel
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
- name: Cancel the deployment started earlier and wait until it has stopped
  cicd.pipelines.pipeline_cancel:
    execution: "{{ deploy.execution }}"
    wait: true

- name: Stop build 42 of a job
  cicd.pipelines.pipeline_cancel:
    vendor: jenkins
    api_url: https://ci.example.com/jenkins
    pipeline: shop/deploy
    execution_id: "42"

- name: Abort a Harness execution (sent as Harness's REST interrupt ABORT_ALL)
  cicd.pipelines.pipeline_cancel:
    vendor: harness
    pipeline: shop/deploy
    execution_id: "{{ harness_execution_id }}"

- name: Cancel a Buddy execution
  cicd.pipelines.pipeline_cancel:
    vendor: buddy
    pipeline: shop/deploy
    execution_id: "12"

- name: Stop a CodeArts run
  cicd.pipelines.pipeline_cancel:
    execution: "{{ codearts_deploy.execution }}"
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
'''

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._model import TERMINAL
from ansible_collections.cicd.pipelines.plugins.module_utils._module import PipelineModule


def run(module: PipelineModule) -> dict:
    backend = module.backend
    execution = backend.get(module.target())
    if execution.terminal:
        # Ended already (perhaps stopped by an earlier run of this task): it has stopped, as asked.
        return module.finish(execution, changed=False, before=execution.status, expect=TERMINAL)
    if module.check_mode:
        return module.finish(backend.predict(Operation.CANCEL, execution), changed=True, before=execution.status)
    return module.finish(backend.cancel(execution), changed=True, before=execution.status, expect=TERMINAL)


def main() -> None:
    module = PipelineModule(operation=Operation.CANCEL)
    module.run(run)


if __name__ == '__main__':
    main()
