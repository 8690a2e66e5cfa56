# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Jenkins JSON -> execution records: the status table, parameters, lineage, stages and gates.

Pure functions over the JSON Jenkins returns (core `api/json`, pipeline-stage-view `wfapi`); no I/O.
"""

from __future__ import annotations

import re
import typing as t

from ..._model import Execution, InputParameter, PendingInput, Stage, Status, iso_from_millis, map_status

VENDOR = 'jenkins'

# The build parameter that carries the idempotency key when a job declares it (DESIGN section 4).
KEY_PARAMETER = 'CICD_IDEMPOTENCY_KEY'
# Lines this collection writes into build descriptions (one per line, read back by prefix).
KEY_LINE = 'cicd.pipelines idempotency_key: '
RETRY_LINE = 'cicd.pipelines retry_of: '
# The key a re-run with the same parameters carries (retry fallback), so its lineage survives.
RETRY_KEY = 'retry-of-%d'

STATUS_TABLE: t.Mapping[str, Status] = {
    # Build results (hudson.model.Result, exported by name).
    'SUCCESS': Status.SUCCEEDED,
    'UNSTABLE': Status.UNSTABLE,
    'FAILURE': Status.FAILED,
    'NOT_BUILT': Status.SKIPPED,
    'ABORTED': Status.ABORTED,
    # Pipeline Stage View StatusExt (runs and stages); SUCCESS/UNSTABLE/ABORTED as above.
    'IN_PROGRESS': Status.RUNNING,
    'PAUSED_PENDING_INPUT': Status.WAITING,
    'FAILED': Status.FAILED,
    'NOT_EXECUTED': Status.SKIPPED,
    # Queue items, by the tail of their _class.
    'WaitingItem': Status.QUEUED,
    'BlockedItem': Status.QUEUED,
    'BuildableItem': Status.QUEUED,
    # A LeftItem whose executable is still null: it left the queue, the build does not exist yet.
    'LeftItem': Status.QUEUED,
    # Our word for a LeftItem with cancelled=true (removed from the queue, no build).
    'CANCELLED': Status.ABORTED,
    # Our word for a build without result that has no wfapi status (freestyle, or no stage view plugin).
    'BUILDING': Status.RUNNING,
}

PARAMETER_TYPES: t.Mapping[str, str] = {
    'StringParameterDefinition': 'string',
    'TextParameterDefinition': 'text',
    'ChoiceParameterDefinition': 'choice',
    'BooleanParameterDefinition': 'boolean',
    'PasswordParameterDefinition': 'password',
}

# Cause texts (the only exported field of these causes). MessageFormat groups digits ("#1,234").
_NUMBER = r"#(\d{1,3}(?:[,.\u00a0\u202f']\d{3})+|\d+)"
_LINEAGE = (
    # pipeline-model-definition RestartDeclarativePipelineCause: "Restarted from build #{0}, stage {1}".
    ('restart', re.compile(r'^Restarted from build ' + _NUMBER)),
    # workflow-cps ReplayCause: "Replayed #{0}" / "Rebuilt #{0}".
    ('replay', re.compile(r'^Replayed ' + _NUMBER)),
    ('rebuild', re.compile(r'^Rebuilt ' + _NUMBER)),
    # rebuild-plugin RebuildCause (wording UNVERIFIED).
    ('rebuild', re.compile(r'^Rebuilds build ' + _NUMBER)),
)


def class_tail(obj: t.Any) -> str:
    """`hudson.model.Queue$WaitingItem` -> `WaitingItem` ('' when there is no _class)."""
    if not isinstance(obj, dict):
        return ''
    return re.split(r'[.$]', str(obj.get('_class') or ''))[-1]


def as_text(value: t.Any) -> str:
    """A parameter value as Jenkins receives it in a form (and as it is compared)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return ''
    if isinstance(value, (list, tuple)):
        return ','.join(as_text(v) for v in value)
    return str(value)


# Parameters ---------------------------------------------------------------------------------------

def job_definitions(job: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
    """The job's parameter definitions (ParametersDefinitionProperty), in declaration order."""
    found: t.List[t.Dict[str, t.Any]] = []
    for prop in job.get('property') or []:
        if isinstance(prop, dict):
            found.extend(d for d in prop.get('parameterDefinitions') or [] if isinstance(d, dict) and d.get('name'))
    return found


def parameter_type(definition: t.Mapping[str, t.Any]) -> str:
    word = definition.get('type') or class_tail(definition)
    return PARAMETER_TYPES.get(str(word), 'other')


def job_parameter(definition: t.Mapping[str, t.Any]) -> InputParameter:
    """A job parameter definition as an InputParameter. Password defaults are never surfaced."""
    kind = parameter_type(definition)
    choices = [str(c) for c in definition.get('choices') or []] if kind == 'choice' else None
    default_value = definition.get('defaultParameterValue')
    default = default_value.get('value') if isinstance(default_value, dict) else None
    if kind == 'password':
        default = None
    elif kind == 'choice' and default is None and choices:
        default = choices[0]  # Jenkins' ChoiceParameterDefinition defaults to the first choice
    return InputParameter(name=str(definition['name']), type=kind, required=False, default=default,
                          choices=choices, description=definition.get('description') or None)


def input_parameter(spec: t.Mapping[str, t.Any]) -> InputParameter:
    """A wfapi pendingInputActions `inputs[]` entry as an InputParameter (password default withheld)."""
    kind = PARAMETER_TYPES.get(str(spec.get('type')), 'other')
    definition = spec.get('definition')
    if not isinstance(definition, dict):
        definition = {}
    choices = [str(c) for c in definition.get('choices') or []] if kind == 'choice' else None
    default = definition.get('defaultVal')
    if kind == 'password':
        default = None
    elif kind == 'choice' and default is None and choices:
        default = choices[0]
    return InputParameter(name=str(spec.get('name')), type=kind, required=False, default=default,
                          choices=choices, description=spec.get('description') or None)


def parameters_of(obj: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """Parameter values of a build or queue item (ParametersAction), key parameter included.

    Values Jenkins does not export (PasswordParameterValue, file parameters) are None. A queue item
    without a readable ParametersAction falls back to its `params` text ("\\nNAME=value...").
    """
    values: t.Dict[str, t.Any] = {}
    found = False
    for action in obj.get('actions') or []:
        if isinstance(action, dict) and isinstance(action.get('parameters'), list):
            found = True
            for param in action['parameters']:
                if isinstance(param, dict) and param.get('name'):
                    values[str(param['name'])] = param.get('value')
    if not found and isinstance(obj.get('params'), str):
        for line in obj['params'].split('\n'):
            name, sep, value = line.partition('=')
            if sep and name:
                values[name] = value
    return values


def user_parameters(values: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """The parameters users set: everything but the key carrier (reported as idempotency_key)."""
    return {k: v for k, v in values.items() if k != KEY_PARAMETER}


def same_parameters(requested: t.Mapping[str, t.Any], actual: t.Mapping[str, t.Any]) -> bool:
    """True when every requested parameter has the same value (as text) in `actual`.

    Only the requested names count (unrequested ones ran with defaults). Unexported values (None,
    e.g. passwords) cannot be compared and are skipped.
    """
    for name, value in requested.items():
        if name == KEY_PARAMETER:
            continue
        if name not in actual:
            return False
        if actual[name] is not None and as_text(actual[name]) != as_text(value):
            return False
    return True


# Keys and lineage ---------------------------------------------------------------------------------

def description_value(description: t.Optional[str], prefix: str) -> t.Optional[str]:
    """The value of the last description line starting with `prefix` (our own marker lines)."""
    found = None
    for line in (description or '').splitlines():
        line = line.strip()
        if line.startswith(prefix):
            found = line[len(prefix):].strip() or None
    return found


def carried_key(values: t.Mapping[str, t.Any], description: t.Optional[str]) -> t.Optional[str]:
    """The idempotency key an execution carries: the key parameter, else the description line."""
    key = values.get(KEY_PARAMETER)
    if isinstance(key, str) and key:
        return key
    return description_value(description, KEY_LINE)


def causes_of(obj: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
    causes: t.List[t.Dict[str, t.Any]] = []
    for action in obj.get('actions') or []:
        if isinstance(action, dict) and isinstance(action.get('causes'), list):
            causes.extend(c for c in action['causes'] if isinstance(c, dict))
    return causes


def lineage(obj: t.Mapping[str, t.Any]) -> t.List[t.Tuple[str, int]]:
    """(kind, origin build number) for each restart/replay/rebuild cause of a build or queue item."""
    found = []
    for cause in causes_of(obj):
        text = str(cause.get('shortDescription') or '')
        for kind, pattern in _LINEAGE:
            match = pattern.match(text)
            if match:
                found.append((kind, int(re.sub(r'\D', '', match.group(1)))))
                break
    return found


def previous_of(obj: t.Mapping[str, t.Any], values: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """The build this one continues: from its causes, our retry_of line, or a retry key."""
    for _kind, number in lineage(obj):
        return str(number)
    retry_of = description_value(obj.get('description'), RETRY_LINE)
    if retry_of:
        return retry_of
    match = re.match(r'^retry-of-(\d+)$', str(values.get(KEY_PARAMETER) or ''))
    return match.group(1) if match else None


def continues(obj: t.Mapping[str, t.Any], origin: int, operation: str) -> bool:
    """True when a build or queue item was created by resuming ('resume') or retrying ('retry') `origin`.

    Resume is restart-from-stage only; retry also counts replay/rebuild causes and the markers of the
    re-run-with-parameters fallback (retry_of description line, `retry-of-N` key).
    """
    for kind, number in lineage(obj):
        if number == origin and (kind == 'restart' or operation == 'retry'):
            return True
    if operation != 'retry':
        return False
    if description_value(obj.get('description'), RETRY_LINE) == str(origin):
        return True
    return parameters_of(obj).get(KEY_PARAMETER) == RETRY_KEY % origin


# Records ------------------------------------------------------------------------------------------

def queue_record(pipeline: str, job_url: str, item: t.Mapping[str, t.Any]) -> Execution:
    """A queue item (`/queue/item/<id>/api/json` or an entry of `/queue/api/json`) that has no build."""
    word = class_tail(item)
    if word == 'LeftItem' and item.get('cancelled'):
        word = 'CANCELLED'
    values = parameters_of(item)
    scope: t.Dict[str, t.Any] = {'queue_id': item.get('id')}
    if item.get('why'):
        scope['queue_reason'] = item['why']
    return Execution(vendor=VENDOR, pipeline=pipeline, id=None, status=map_status(STATUS_TABLE, word or None),
                     vendor_status=word or None, url=job_url, parameters=user_parameters(values),
                     idempotency_key=carried_key(values, None), previous_id=previous_of(item, values),
                     scope=scope, raw={'queue_item': item})


def build_word(build: t.Mapping[str, t.Any], wfapi: t.Optional[t.Mapping[str, t.Any]],
               has_pending: bool) -> t.Optional[str]:
    """The vendor status word of a build.

    A build's `result` can be set while it still runs (a Pipeline may set currentBuild.result, and
    post-production follows the result), so it counts only once `building`/`inProgress` are false.
    While it runs, wfapi tells running from waiting for input.
    """
    result = build.get('result')
    if 'building' in build or 'inProgress' in build:
        running = bool(build.get('building')) or bool(build.get('inProgress'))
    else:
        running = result is None
    wf_status = wfapi.get('status') if isinstance(wfapi, dict) else None
    if not running:
        return str(result or wf_status) if (result or wf_status) else None
    if wf_status == 'PAUSED_PENDING_INPUT' or has_pending:
        return 'PAUSED_PENDING_INPUT'
    if wf_status == 'IN_PROGRESS':
        return 'IN_PROGRESS'
    return 'BUILDING'


def stages_of(wfapi: t.Optional[t.Mapping[str, t.Any]]) -> t.List[Stage]:
    """Stage View stages as records. Stage View reports a Declarative stage skipped after an earlier failure as
    SUCCESS with no run of its own (no flow nodes, no duration, after a stage that failed or was aborted): such a
    stage never ran, so it is `skipped` (the vendor word stays SUCCESS)."""
    stages = []
    ended_badly = False
    for node in (wfapi or {}).get('stages') or []:
        if not isinstance(node, dict):
            continue
        word = node.get('status')
        start = node.get('startTimeMillis')
        finished = None
        status = map_status(STATUS_TABLE, word)
        never_ran = ended_badly and word == 'SUCCESS' and not node.get('durationMillis') and not node.get('stageFlowNodes')
        if never_ran:
            status, start = Status.SKIPPED, None
        elif word not in ('IN_PROGRESS', 'PAUSED_PENDING_INPUT') and start:
            finished = iso_from_millis(start + (node.get('durationMillis') or 0))
        if word in ('FAILED', 'ABORTED'):
            ended_badly = True
        stages.append(Stage(id=str(node.get('id')), name=str(node.get('name')), status=status,
                            vendor_status=word, started_at=iso_from_millis(start), finished_at=finished))
    return stages


def pending_of(pending: t.Optional[t.Sequence[t.Any]], stages: t.Sequence[Stage]) -> t.List[PendingInput]:
    """Gates from wfapi/pendingInputActions; the stage is the one paused (else running, else last)."""
    stage = None
    for wanted in ('PAUSED_PENDING_INPUT', 'IN_PROGRESS'):
        names = [s.name for s in stages if s.vendor_status == wanted]
        if names:
            stage = names[-1]
            break
    if stage is None and stages:
        stage = stages[-1].name
    gates = []
    for action in pending or []:
        if not isinstance(action, dict) or not action.get('id'):
            continue
        params = [input_parameter(i) for i in action.get('inputs') or [] if isinstance(i, dict)]
        gates.append(PendingInput(id=str(action['id']), message=str(action.get('message') or ''), stage=stage,
                                  kind='input' if params else 'approval', parameters=params))
    return gates


def build_record(pipeline: str, url: str, build: t.Mapping[str, t.Any], wfapi: t.Optional[t.Mapping[str, t.Any]],
                 pending: t.Optional[t.Sequence[t.Any]]) -> Execution:
    """A build (`<job>/<n>/api/json`), with its wfapi run and pending inputs when it is a Pipeline."""
    stages = stages_of(wfapi)
    gates = pending_of(pending, stages)
    word = build_word(build, wfapi, bool(gates))
    status = map_status(STATUS_TABLE, word)
    values = parameters_of(build)
    started = build.get('timestamp')
    duration = finished = None
    if status.terminal and started:
        duration = (build.get('duration') or 0) / 1000.0
        finished = iso_from_millis(started + (build.get('duration') or 0))
    elif isinstance(wfapi, dict) and wfapi.get('durationMillis') is not None:
        duration = wfapi['durationMillis'] / 1000.0
    scope = {'queue_id': build['queueId']} if build.get('queueId') is not None else {}
    number = int(build['number'])
    execution = Execution(vendor=VENDOR, pipeline=pipeline, id=str(number), number=number, status=status,
                          vendor_status=word, url=url, started_at=iso_from_millis(started), finished_at=finished,
                          duration=duration, stages=stages, pending_inputs=gates, parameters=user_parameters(values),
                          idempotency_key=carried_key(values, build.get('description')),
                          previous_id=previous_of(build, values), scope=scope,
                          raw={'build': build, 'wfapi': wfapi, 'pending_inputs': pending})
    if started:
        # Run.getEstimatedDuration: the job's recent successful builds (-1: none yet). Precise end times for
        # the detection lag come from the millisecond fields, not the rendered ISO strings.
        estimate = build.get('estimatedDuration')
        if not status.terminal and isinstance(estimate, (int, float)) and estimate > 0:
            execution.expected_end = (started + estimate) / 1000.0
        if status.terminal and build.get('duration'):
            execution.ended_epoch = (started + build['duration']) / 1000.0
    return execution
