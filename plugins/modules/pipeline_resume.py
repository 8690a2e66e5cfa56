#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pipeline_resume
short_description: Resume a failed or aborted CI/CD pipeline execution from a stage
version_added: 0.1.0
description:
  - Continues an execution that failed, was aborted, rejected or expired, from a stage. By default from the first stage
    that did not succeed.
  - Vendors that resume by creating a new execution return it, with RV(execution.previous_id) set to the original;
    vendors that continue in place return the same execution, active again.
  - Idempotent. If the execution is still active or succeeded, or it was resumed already (the vendor's lineage links a
    newer execution to it), that execution is returned with RV(ignore:changed=false) and nothing is started.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
options:
  stage:
    description:
      - The stage to resume from. Default is the first stage that did not succeed.
      - The message of a refused stage lists the stages the vendor allows.
    type: str
extends_documentation_fragment:
  - cicd.pipelines.vendor_notes.resume
  - cicd.pipelines.connection
  - cicd.pipelines.execution
  - cicd.pipelines.execution.raw
  - cicd.pipelines.wait
  - cicd.pipelines.attributes
  - cicd.pipelines.attributes.changes
  - ansible.builtin.action_common_attributes
notes:
  - Where a vendor cannot resume an execution from a stage, the task fails with a message that says so; use
    M(cicd.pipelines.pipeline_retry) instead.
seealso:
  - module: cicd.pipelines.pipeline_retry
  - module: cicd.pipelines.pipeline_info
'''

EXAMPLES = r'''
- name: Resume the failed deployment from the stage that failed, and wait for it
  cicd.pipelines.pipeline_resume:
    execution: "{{ deploy.execution }}"
    wait: true

- name: Resume build 41 from the Deploy stage
  cicd.pipelines.pipeline_resume:
    vendor: jenkins
    api_url: https://ci.example.com/jenkins
    pipeline: shop/deploy
    execution_id: "41"
    stage: Deploy

- name: Resume a failed Harness pipeline execution from its Smoke test stage (Harness makes a new execution)
  cicd.pipelines.pipeline_resume:
    execution: "{{ harness_deploy.execution }}"
    stage: Smoke test
    wait_for: [waiting, succeeded]

- name: Continue a failed Buddy execution from its failed action (the same as a retry on Buddy)
  cicd.pipelines.pipeline_resume:
    execution: "{{ buddy_deploy.execution }}"

- name: Re-run what failed in a CodeArts run (the same as a retry on CodeArts)
  cicd.pipelines.pipeline_resume:
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
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import InvalidState, ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Status
from ansible_collections.cicd.pipelines.plugins.module_utils._module import PipelineModule


def run(module: PipelineModule) -> dict:
    backend = module.backend
    execution = backend.get(module.target())
    done = module.continued(execution)
    if done is not None:
        return done
    allowed = backend.resumable_stages(execution)
    if not allowed:
        reason = backend.not_resumable_reason(execution)
        raise InvalidState('%s cannot be resumed from a stage (status %s)%s'
                           % (module.describe(execution), execution.status.value, ': ' + reason if reason else ''),
                           execution=execution)
    succeeded = {s.name for s in execution.stages if s.status == Status.SUCCEEDED}
    stage = module.params['stage'] or next((s for s in allowed if s not in succeeded), allowed[0])
    if stage not in allowed:
        raise ValidationError('%s cannot be resumed from stage %r; it can be resumed from: %s'
                              % (module.describe(execution), stage, ', '.join(allowed)))
    if module.check_mode:
        return module.finish(backend.predict(Operation.RESUME, execution), changed=True, before=execution.status)
    resumed = module.settle(backend.resume(execution, stage))
    return module.finish(resumed, changed=True, before=execution.status)


def main() -> None:
    module = PipelineModule(dict(stage=dict(type='str')), operation=Operation.RESUME)
    module.run(run)


if __name__ == '__main__':
    main()
