# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """What each vendor does for each module, as notes (a vendor that lands adds its lines here and in
    docs/<vendor>.md, never in a module)."""

    DOCUMENTATION = r'''
options: {}
'''

    START = r'''
options: {}
notes:
  - B(Jenkins) - O(pipeline) is the full job name with folders, for example C(team/app/deploy). The module follows the
    queue item until it becomes a build (bounded by O(wait_timeout)), so RV(execution.id) is the real build number, never
    a guess; if it is still queued then, RV(execution.id) is V(null) and C(queue_id) in RV(execution.scope) addresses it.
  - B(Jenkins) - the idempotency key travels in the build parameter C(CICD_IDEMPOTENCY_KEY) when the job declares it (a
    string parameter; the key then arrives atomically with the build). Otherwise it is written to the build description
    once the build leaves the queue, and a warning says so. O(notes) go to the build description. O(revision) is not
    supported (pass it as a build parameter). O(start_inputs) - C(quiet_period) (seconds before the build starts).
  - B(Harness) - O(pipeline) is C(APPLICATION/NAME), each part a name or an id; NAME is a pipeline or a workflow
    (write C(APPLICATION/workflow:NAME) or C(APPLICATION/pipeline:NAME) when the application has both with that name).
    O(parameters) are the pipeline's (or workflow's) variables, sent as C(variableInputs) by name; a variable Harness does
    not know fails before anything starts (Harness itself would ignore it), and a C(warningMessage) from Harness becomes
    a warning. The idempotency key and O(notes) travel in the execution's notes. O(revision) is not supported.
    O(start_inputs) - C(variable_types) (variable name to C(NAME), C(ID) or C(EXPRESSION)), C(artifacts) (a list of
    C({service, artifact_source, build_number}), optionally with C(parameters) for a parameterized artifact source) and
    C(continue_with_default_values) (boolean; pipelines with runtime inputs go on with their defaults).
  - B(Buddy) - O(pipeline) is the pipeline's name, identifier or numeric id in O(project) (C(PROJECT/NAME) for another
    project of the workspace). O(parameters) are variables defined for the pipeline (workspace, project or pipeline
    level); encrypted ones are sent with C(encrypted) and never shown. O(revision) is C(to_revision) (default C(HEAD)).
    The idempotency key and O(notes) travel in the run's comment. O(start_inputs) - C(branch), C(tag), C(pull_request),
    C(from_revision), C(refresh), C(clear_cache), C(priority) (C(LOW), C(NORMAL), C(HIGH)), C(actions) (ids of the
    actions to run) and C(encrypted) (names of parameters to send encrypted, besides those Buddy defines as encrypted).
  - B(CodeArts) - O(pipeline) is the pipeline's name or its 32-character id in O(project_id). O(parameters) are the
    pipeline's runtime parameters (others are refused; secret ones are never shown). The idempotency key and O(notes)
    travel in the run's description. A run held back by a concurrency limit is returned queued, with a warning.
    O(revision) is not supported. O(start_inputs) - C(branch) or C(tag) (of the pipeline's first code source),
    C(stages) and C(jobs) (ids to run; C(choose_stages), C(choose_jobs)).
  - See the vendor guides in the collection's C(docs/) folder (C(docs/jenkins.md), C(docs/harness.md), C(docs/buddy.md), C(docs/codearts.md)).
'''

    INFO = r'''
options: {}
notes:
  - B(Jenkins) - O(execution_id) is the build number. Stages and gates come from the Pipeline Stage View API; freestyle
    builds have none. The log tail is the failed step's log for Pipeline builds, else the end of the console log.
  - B(Harness) - O(execution_id) is the execution id. RV(execution.stages) are the pipeline's stages that have started
    (named by their step, the workflow or approval); workflow executions have none. Approvals waiting for a person and
    stages paused for runtime inputs are RV(execution.pending_inputs). The FirstGen GraphQL API has no log query, so
    RV(execution.log_tail) is always V(null).
  - B(Buddy) - O(execution_id) is the execution's id (a number per pipeline). RV(execution.stages) are the actions
    (C(action_executions)); actions waiting for approval or for variables are RV(execution.pending_inputs). The log tail
    is the failed action's log.
  - B(CodeArts) - O(execution_id) is the run id (32 characters). RV(execution.stages) are the run's stages; their jobs
    and steps are in the vendor record. Manual reviews and manual checkpoints that wait are RV(execution.pending_inputs).
    The log tail is the failed step's log.
'''

    INPUT = r'''
options: {}
notes:
  - B(Jenkins) - a gate is an C(input) step; O(input_id) is its C(id) (Jenkins upper-cases its first letter; either
    spelling matches). V(approve) is proceed, V(reject) is abort (the build ends aborted). Jenkins records no comment,
    so O(comment) is refused. Jenkins keeps no record of which input ids a build has passed; an input that is no longer
    pending counts as passed only when a stage of the same name has ended (name the stage after its input), or when
    the build has ended.
  - B(Harness) - a gate is an approval (O(input_id) is its approval id, or the name of its step or stage) or a stage
    paused for runtime inputs (its C(pipelineStageElementId), or the step or stage name). Approvals take O(parameters) (the
    approval's variables), O(comment) and V(reject) (the execution ends rejected); runtime inputs take O(parameters)
    only, every variable not given is sent with its default, and they cannot be rejected (cancel the execution instead).
    A gate named by its step or stage counts as passed once that stage has ended; one named by its approval id only
    once the execution has ended.
  - B(Buddy) - a gate is a wait-for-approval action (V(approve) sends C(APPLY); no parameters) or a wait-for-variables
    action (C(APPLY_VARIABLES), or C(SET_VARIABLES) for settable ones, with O(parameters)); O(input_id) is the action's
    name, its id or its action-execution id. Buddy has no reject, so V(reject) cancels the execution (it ends
    C(TERMINATED), reported as aborted). Buddy records no comment, so O(comment) is refused. A gate counts as passed
    once its action has ended.
  - B(CodeArts) - a gate is a manual review (a review step in a job) or a manual checkpoint (before a stage);
    O(input_id) is its step id or its stage's name. V(approve) is pass, V(reject) is refuse; O(comment) is the review's
    approval description (checkpoints take none). Neither takes O(parameters). A gate counts as passed once its step
    (or, named by its stage, that stage) has ended.
'''

    RESUME = r'''
options: {}
notes:
  - B(Jenkins) - restarts a Declarative Pipeline build from the stage ("Restart from Stage"), once the build has
    finished and unless the job disables it. Jenkins makes a new build with the same parameters; it is returned, with
    RV(execution.previous_id) set to the original build.
  - B(Harness) - resumes a failed, aborted, rejected, expired or errored pipeline execution from a stage (O(stage) is
    the step name or Harness's stage name such as C(STAGE 2); default the first stage that did not succeed). Harness makes
    a new execution, returned with RV(execution.previous_id); only the latest execution of a resumed chain can be resumed
    again, and a pipeline modified since cannot be resumed. Workflow executions cannot be resumed.
  - B(Buddy) - Buddy continues an execution only from the action that failed or was stopped, which is what
    M(cicd.pipelines.pipeline_retry) does; any other stage is refused.
  - B(CodeArts) - CodeArts re-runs only what failed, which is M(cicd.pipelines.pipeline_retry); any other stage is
    refused.
'''

    RETRY = r'''
options: {}
notes:
  - B(Jenkins) - restarts a Declarative Pipeline from its first stage that did not succeed; where that is not available,
    rebuilds it (Replay's "Rebuild", same script and parameters); for jobs without that, starts the job again with the
    same parameters. The new build is returned with RV(execution.previous_id) set to the original. A build with password
    parameters can be restarted from a stage but not rebuilt, because Jenkins does not reveal password values.
  - B(Harness) - has no retry of its own, so the module resumes the pipeline execution from its first stage that did not
    succeed (see M(cicd.pipelines.pipeline_resume)). Workflow executions cannot be retried; start them again.
  - B(Buddy) - sends C(RETRY) for a failed or terminated execution; Buddy runs it again from the failed action under the
    same execution id, so RV(execution.id) does not change.
  - B(CodeArts) - sends C(retry) for a failed or cancelled run; CodeArts runs its failed jobs again in the same run, so
    RV(execution.id) does not change.
'''

    CANCEL = r'''
options: {}
notes:
  - B(Jenkins) - stops a running build (C(stop)) or cancels a queue item (also one addressed by an RV(execution) record
    that is still queued).
  - B(Harness) - the public GraphQL API has no abort mutation; the module sends Harness's REST interrupt
    C(ABORT_ALL) (C(PUT /api/executions/ID)) with the same API key.
  - B(Buddy) - sends C(CANCEL) (queued, running or waiting executions end C(TERMINATED)).
  - B(CodeArts) - sends C(stop) for the run.
'''
