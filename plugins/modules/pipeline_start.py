#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pipeline_start
short_description: Start a CI/CD pipeline execution exactly once
version_added: 0.1.0
description:
  - Starts an execution of a pipeline with parameters and returns the real execution (the one the vendor's queue
    item became, never a guessed one).
  - Idempotent. With O(idempotency_key), an execution of the pipeline that carries the key and is active or succeeded is
    returned with RV(ignore:changed=false) instead of starting another. Without a key, one is derived from the pipeline and
    its parameters, and only an B(active) execution with the same inputs is reused, so the same inputs never run twice
    at once. O(force=true) always starts a new execution.
  - Parameter names and values are checked against the pipeline's definition before anything is started.
  - When a start request's answer is lost (timeout, reset connection), the module looks the execution up by its key
    before it would ever send the request again.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
options:
  pipeline:
    description:
      - The pipeline to start, as the vendor names it (see the vendor notes), for example C(team/app/deploy).
    type: str
    required: true
  parameters:
    description:
      - Parameter values, by name. Unknown names and values outside a choice parameter's choices are refused before
        anything is started; the message lists the pipeline's real parameters.
      - Parameters left out take the pipeline's defaults.
    type: dict
    default: {}
  idempotency_key:
    description:
      - A key naming this start, for example C(shop-deploy-1.4.2). If an execution of the pipeline carrying it is
        active or succeeded, it is returned and nothing is started. Use it in release playbooks so a re-run of a
        finished release changes nothing.
      - Each vendor carries the key in the execution itself where it can (the vendor notes say where, and what that
        means if the answer to a start is lost).
    type: str
  force:
    description:
      - Start a new execution even if one with the same key or inputs exists.
      - Without O(idempotency_key), the new execution gets a key of its own, so the vendor does not merge it with an
        identical request still waiting in its queue.
    type: bool
    default: false
  revision:
    description:
      - Source revision (branch, tag or commit) to build, for vendors that take one apart from parameters.
      - Refused, before anything is started, by vendors that take no revision apart from parameters.
    type: str
  start_inputs:
    description:
      - Inputs only some vendors take (for example a quiet period, a cache refresh, chosen stages), by name. Each
        vendor declares the ones it accepts (see the vendor notes); any other name, or a value of the wrong type, is
        refused before anything is started, with a message listing what the vendor accepts.
    type: dict
    default: {}
  notes:
    description:
      - A free-text note stored with the execution (see the vendor notes for where it goes).
    type: str
extends_documentation_fragment:
  - cicd.pipelines.vendor_notes.start
  - cicd.pipelines.connection
  - cicd.pipelines.wait
  - cicd.pipelines.execution.raw
  - cicd.pipelines.attributes
  - cicd.pipelines.attributes.changes
  - ansible.builtin.action_common_attributes
notes:
  - Without O(wait), the module still follows an execution that waits in the vendor's queue until it has an id (bounded
    by O(wait_timeout)). If it has none by then, RV(execution.id) is V(null) and RV(execution.scope) addresses it; pass
    RV(execution) to M(cicd.pipelines.pipeline_info).
seealso:
  - module: cicd.pipelines.pipeline_info
  - module: cicd.pipelines.pipeline_input
  - module: cicd.pipelines.pipeline_cancel
'''

EXAMPLES = r'''
- name: Configure every cicd.pipelines module once
  module_defaults:
    group/cicd.pipelines.pipelines:
      vendor: jenkins
      api_url: https://ci.example.com/jenkins
      username: release-bot
      api_token: "{{ vault_jenkins_token }}"
  block:
    - name: Start the deployment of 1.4.2, once per release
      cicd.pipelines.pipeline_start:
        pipeline: shop/deploy
        parameters:
          VERSION: 1.4.2
          TARGET: production
        idempotency_key: shop-deploy-1.4.2
      register: deploy

    - name: Start a build and wait for it to finish (fails the task unless it succeeds)
      cicd.pipelines.pipeline_start:
        pipeline: shop/build
        parameters:
          VERSION: 1.4.2
        wait: true
        wait_timeout: 1800

    - name: Start and wait only until it stops at an approval gate (or ends)
      cicd.pipelines.pipeline_start:
        pipeline: shop/deploy
        parameters:
          VERSION: 1.4.2
        idempotency_key: shop-deploy-1.4.2
        wait_for: [waiting, succeeded, failed, aborted, unstable]

- name: Credentials from the Jenkins CLI's environment variables (JENKINS_URL, JENKINS_USER_ID, JENKINS_API_TOKEN)
  cicd.pipelines.pipeline_start:
    vendor: jenkins
    pipeline: team/app/nightly
    force: true

- name: Start a Harness pipeline (application shop, pipeline deploy) with an artifact build, once per release
  cicd.pipelines.pipeline_start:
    vendor: harness
    account_id: "{{ harness_account_id }}"
    api_token: "{{ vault_harness_api_key }}"
    pipeline: shop/deploy
    parameters:
      VERSION: 1.4.2
      TARGET: production
    start_inputs:
      artifacts:
        - service: shop-api
          artifact_source: shop-api-docker
          build_number: "142"
    idempotency_key: shop-deploy-1.4.2
    notes: Release 1.4.2 (CHG-1042)
    wait_for: [waiting, succeeded, failed]

- name: Run a Buddy pipeline on a branch with a masked variable, once per release
  cicd.pipelines.pipeline_start:
    vendor: buddy
    workspace: acme
    project: shop
    api_token: "{{ vault_buddy_token }}"
    pipeline: deploy
    parameters:
      VERSION: 1.4.2
      DEPLOY_KEY: "{{ vault_deploy_key }}"
    start_inputs:
      branch: main
      priority: HIGH
    idempotency_key: shop-deploy-1.4.2
    wait_for: [waiting, succeeded, failed]

- name: Run a CodeArts pipeline with AK/SK from the Huawei Cloud SDK's environment variables
  cicd.pipelines.pipeline_start:
    vendor: codearts
    region: cn-north-4
    project_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
    pipeline: deploy
    parameters:
      VERSION: 1.4.2
    start_inputs:
      branch: release/1.4
    idempotency_key: shop-deploy-1.4.2
    wait_for: [waiting, succeeded, failed]
    # Secrets as options, not through `environment:`, whose values Ansible shows at -vvv.
    access_key: "{{ vault_hw_ak }}"
    secret_key: "{{ vault_hw_sk }}"
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

import secrets
import typing as t

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Backend, Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import InvalidState, PipelineError, ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, StartRequest, Status, check_values, derive_key
from ansible_collections.cicd.pipelines.plugins.module_utils._module import PipelineModule


def run(module: PipelineModule) -> dict:
    params, backend = module.params, module.backend
    reserved = sorted(set(params['parameters']) & set(backend.reserved_parameters))
    if reserved:
        raise ValidationError('parameter %s is reserved: it carries the idempotency key; set idempotency_key instead'
                              % ', '.join(reserved))
    info = backend.describe_pipeline(params['pipeline'])
    problems = check_values(info.parameters, params['parameters'], 'pipeline %r' % info.pipeline) if info.parameters_known else []
    if problems:
        raise ValidationError('; '.join(problems))
    if not info.startable:
        raise InvalidState('pipeline %r cannot be started: %s' % (info.pipeline, info.reason))
    explicit = params['idempotency_key']
    key = explicit or derive_key(info.pipeline, params['parameters'], params['revision'])
    if params['force'] and not explicit:
        # A forced start gets a key of its own, so a vendor that merges identical queued requests
        # still starts a new execution.
        key += '-' + secrets.token_hex(4)
    request = StartRequest(pipeline=info.pipeline, parameters=params['parameters'], revision=params['revision'],
                           notes=params['notes'], key_derived=not explicit, key=key,
                           start_inputs=dict(params['start_inputs']))
    backend.check_start(request, info)
    if not params['force']:
        # An explicit key also matches a finished success (the release already happened); a derived
        # key only matches what is still running, so the same inputs can run again later.
        reusable = [e for e in backend.find_started(request) if _reusable(e, bool(explicit))]
        if reusable:
            found = sorted(reusable, key=lambda e: not e.status.active)[0]
            if explicit:
                _same_inputs(module.describe(found), explicit, params['parameters'], found.parameters)
            return module.finish(backend.get(found), changed=False, before=found.status)
    if module.check_mode:
        return module.finish(backend.predict(Operation.START, None, request=request, info=info), changed=True)
    execution = module.settle(backend.start(request), request)
    if not params['force']:
        earlier = _earlier_twin(backend, request, execution, bool(explicit))
        if earlier is not None:
            return _yield_to(module, request, execution, earlier)
    return module.finish(execution, changed=True)


def _reusable(execution: Execution, explicit: bool) -> bool:
    """Whether a found execution carrying the key stands for this start: active, or (explicit key) succeeded."""
    return execution.status.active or (explicit and execution.status == Status.SUCCEEDED)


def _earlier_twin(backend: Backend, request: StartRequest, mine: Execution, explicit: bool) -> t.Optional[Execution]:
    """The execution that wins a race with `mine`, which this task just started: the first one the vendor created
    among the reusable executions carrying the key, when that is not `mine`; else None.

    Two tasks whose lookups before starting both found nothing each start one execution. Each then looks the key
    up again (one lookup) and orders what it finds by the vendor's creation order, so both pick the same survivor
    without talking to each other. A vendor without such an order is not reconciled (None).
    """
    own = backend.creation_order(mine)
    if own is None:
        return None
    ordered = [(order, e) for e in backend.find_twins(request, mine) if _reusable(e, explicit)
               for order in [backend.creation_order(e)] if order is not None and order < own]
    return min(ordered, key=lambda pair: pair[0])[1] if ordered else None


def _yield_to(module: PipelineModule, request: StartRequest, mine: Execution, earlier: Execution) -> dict:
    """Cancel `mine` (only ever this task's own execution) and return `earlier` with changed=false and a warning.

    If the cancel fails, the task fails: its execution then still runs beside the earlier one, and the failure
    says so and reports it (changed=true) rather than hiding the duplicate.
    """
    backend = module.backend_of(mine)
    try:
        cancelled = backend.cancel(mine)
    except PipelineError as exc:
        raise PipelineError('%s: another task started the same release (key %s) at the same moment, and this task could '
                            'not cancel its own execution %s, so two run now (the other one: %s); cancel one of them '
                            'yourself. The cancel failed with: %s'
                            % (backend.name, request.key, module.describe(mine), module.describe(earlier), exc.msg),
                            changed=True) from exc
    module.disown()
    module.warn('%s: another task started the same release (key %s) at the same moment; this task cancelled its own '
                'execution %s and returns %s' % (backend.name, request.key, module.describe(cancelled), module.describe(earlier)))
    return module.finish(backend.get(earlier), changed=False, before=earlier.status)


def _same_inputs(what: str, key: str, wanted: dict, found: dict) -> None:
    """Refuse reusing an explicit key with other parameters (as payment APIs treat idempotency keys): the execution
    found would not be the one asked for. Values the vendor does not show (secrets, unknown) are not compared."""
    differences = ['%s %r there, %r here' % (name, found[name], value) for name, value in sorted(wanted.items())
                   if name in found and found[name] is not None and str(found[name]) != _text(value)]
    if differences:
        raise ValidationError('idempotency_key %r already started %s with other parameters (%s); use another key for '
                              'these parameters, or force: true to start anyway' % (key, what, '; '.join(differences)))


def _text(value) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def main() -> None:
    module = PipelineModule(dict(
        pipeline=dict(type='str', required=True),
        parameters=dict(type='dict', default={}),
        idempotency_key=dict(type='str', no_log=False),
        force=dict(type='bool', default=False),
        revision=dict(type='str'),
        notes=dict(type='str'),
        start_inputs=dict(type='dict', default={}),
    ), operation=Operation.START, identity=False)
    module.run(run)


if __name__ == '__main__':
    main()
