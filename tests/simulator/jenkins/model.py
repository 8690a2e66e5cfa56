"""Jenkins JSON for root, folders, jobs, builds and queue items (the ``/api/json`` data).

Builders return data in which references to other objects are :class:`~..tree.Lazy`
(shallow ``{_class, number, url}`` at depth 0), so ``depth``/``tree`` can reach into them.
Field names, ``_class`` values and orders follow Jenkins core, workflow-job and
pipeline-model-definition exports. Password parameter values are never exported.
"""
from __future__ import annotations

import typing as t

from .. import engine as eng
from ..engine import Execution
from ..scenario import ParameterSpec, PipelineSpec
from ..tree import Hidden, Lazy
from .web import Ctx

FOLDER_CLASS = 'com.cloudbees.hudson.plugins.folder.Folder'
JOB_CLASS = {'pipeline': 'org.jenkinsci.plugins.workflow.job.WorkflowJob', 'freestyle': 'hudson.model.FreeStyleProject'}
RUN_CLASS = {'pipeline': 'org.jenkinsci.plugins.workflow.job.WorkflowRun', 'freestyle': 'hudson.model.FreeStyleBuild'}
RESULT = {eng.SUCCEEDED: 'SUCCESS', eng.UNSTABLE: 'UNSTABLE', eng.FAILED: 'FAILURE', eng.ABORTED: 'ABORTED'}
COLOR = {'SUCCESS': 'blue', 'UNSTABLE': 'yellow', 'FAILURE': 'red', 'ABORTED': 'aborted', 'NOT_BUILT': 'notbuilt'}
_DEF = {'string': 'String', 'choice': 'Choice', 'boolean': 'Boolean', 'password': 'Password', 'text': 'Text'}
_VALUE = {'string': 'String', 'choice': 'String', 'boolean': 'Boolean', 'password': 'Password', 'text': 'Text'}
QUEUE_LEFT_TTL = 300.0  # Queue.leftItems: expireAfterWrite 5 minutes
RESTART_CAUSE = 'org.jenkinsci.plugins.pipeline.modeldefinition.causes.RestartDeclarativePipelineCause'
REPLAY_CAUSE = 'org.jenkinsci.plugins.workflow.cps.replay.ReplayCause'


def kind(spec: PipelineSpec) -> str:
    """``pipeline`` or ``freestyle``."""
    return 'freestyle' if spec.kind == 'freestyle' else 'pipeline'


def ms(seconds: float | None) -> int:
    """Epoch seconds (float) to Jenkins milliseconds."""
    return int(round((seconds or 0.0) * 1000))


def result_of(execution: Execution) -> str | None:
    """Jenkins ``Result`` name, None while running."""
    return RESULT.get(execution.state)


def time_span(millis: float) -> str:
    """``hudson.Util.getTimeSpanString`` in English ("4.9 sec", "3 min 12 sec", "13 min")."""
    millis = max(int(millis), 0)
    units = [(86400000, 'day'), (3600000, 'hr'), (60000, 'min'), (1000, 'sec')]
    for i, (size, label) in enumerate(units[:-1]):
        if millis >= size:
            big = millis // size
            text = '%d %s' % (big, label + ('s' if label == 'day' and big != 1 else ''))
            if big < 10:
                small_size, small_label = units[i + 1]
                small = (millis % size) // small_size
                text += ' %d %s' % (small, small_label + ('s' if small_label == 'day' and small != 1 else ''))
            return text
    seconds = millis // 1000
    if seconds >= 10:
        return '%d sec' % seconds
    if seconds >= 1:
        return '%s sec' % _java_number(seconds + (millis % 1000) // 100 / 10.0)
    if millis >= 100:
        return '%s sec' % _java_number((millis // 10) / 100.0)
    return '%d ms' % millis


def _java_number(value: float) -> str:
    """A float as MessageFormat's ``{0}`` prints it (NumberFormat: up to 3 decimals, none when whole: 5.0f -> "5")."""
    return ('%.3f' % value).rstrip('0').rstrip('.')


# -- parameters and causes -------------------------------------------------------------------
def param_value(param: ParameterSpec, value: t.Any) -> dict[str, t.Any]:
    """A ``hudson.model.*ParameterValue`` (passwords without ``value``)."""
    out: dict[str, t.Any] = {'_class': 'hudson.model.%sParameterValue' % _VALUE[param.type], 'name': param.name}
    if param.type != 'password':
        out['value'] = value
    return out


def param_definition(param: ParameterSpec) -> dict[str, t.Any]:
    """A ``hudson.model.*ParameterDefinition`` as the job's ParametersDefinitionProperty exports it."""
    out: dict[str, t.Any] = {'_class': 'hudson.model.%sParameterDefinition' % _DEF[param.type],
                             'defaultParameterValue': param_value(param, param.default), 'description': param.description,
                             'name': param.name, 'type': '%sParameterDefinition' % _DEF[param.type]}
    if param.type == 'choice':
        out['choices'] = list(param.choices)
    return out


def params_property(spec: PipelineSpec) -> dict[str, t.Any]:
    """``hudson.model.ParametersDefinitionProperty``."""
    return {'_class': 'hudson.model.ParametersDefinitionProperty', 'parameterDefinitions': [param_definition(p) for p in spec.parameters]}


def parameters_action(execution: Execution) -> dict[str, t.Any] | None:
    """``hudson.model.ParametersAction`` of a queue item or build (None for unparameterized jobs)."""
    if not execution.spec.parameters:
        return None
    return {'_class': 'hudson.model.ParametersAction',
            'parameters': [param_value(p, execution.parameters.get(p.name, p.default)) for p in execution.spec.parameters]}


def cause_action(ctx: Ctx, execution: Execution) -> dict[str, t.Any]:
    """``hudson.model.CauseAction``: the user, plus the restart / replay cause."""
    trig = execution.trigger
    user = trig.user or 'anonymous'
    causes: list[dict[str, t.Any]] = [{'_class': 'hudson.model.Cause$UserIdCause', 'shortDescription': 'Started by user %s' % ctx_full_name(ctx, user),
                                       'userId': user, 'userName': ctx_full_name(ctx, user)}]
    if trig.kind == 'restart':
        causes.append({'_class': RESTART_CAUSE, 'shortDescription': 'Restarted from build #%s, stage %s' % (trig.origin_number, trig.stage)})
    elif trig.kind in ('rebuild', 'replay'):
        causes.append({'_class': REPLAY_CAUSE, 'shortDescription': '%s #%s' % ('Rebuilt' if trig.kind == 'rebuild' else 'Replayed', trig.origin_number)})
    return {'_class': 'hudson.model.CauseAction', 'causes': causes}


def ctx_full_name(ctx: Ctx, user: str) -> str:
    """Display name of a user from the scenario."""
    found = ctx.config.user(user)
    return found.full_name if found else user


def item_actions(ctx: Ctx, execution: Execution) -> list[dict[str, t.Any]]:
    """Actions shared by the queue item and the build."""
    return [a for a in (parameters_action(execution), cause_action(ctx, execution)) if a is not None]


# -- builds ------------------------------------------------------------------------------------
def build_ref(ctx: Ctx, execution: Execution | None) -> Lazy | None:
    """Reference to a build (``{_class, number, url}`` at depth 0)."""
    if execution is None:
        return None
    shallow = {'_class': RUN_CLASS[kind(execution.spec)], 'number': execution.number, 'url': ctx.run_url(execution)}
    return Lazy(shallow, lambda: build_json(ctx, execution))


def estimated_duration(ctx: Ctx, spec: PipelineSpec) -> int:
    """Job.getEstimatedDuration / getEstimatedDurationCandidates (core): the last successful build, plus
    successful or unstable builds among the last 6 until there are 3, else completed failures (never
    aborted ones) to fill up to 3; their average duration in ms, -1 when there is none (or it is 0)."""
    runs = ctx.engine.runs('jenkins', spec.name)  # newest first
    good = (eng.SUCCEEDED, eng.UNSTABLE)
    last_success = next((e for e in runs if e.state in good), None)
    candidates = [last_success] if last_success is not None else []
    fallback = []
    for execution in runs[:6]:
        if len(candidates) >= 3:
            break
        if not execution.terminal or execution is last_success:
            continue
        if execution.state in good:
            candidates.append(execution)
        elif execution.state == eng.FAILED:  # Result.isCompleteBuild: not ABORTED / NOT_BUILT
            fallback.append(execution)
    candidates += fallback[:3 - len(candidates)]
    total = sum(ms(t.cast(float, e.finished_at) - t.cast(float, e.started_at)) for e in candidates)
    if not candidates or total == 0:
        return -1
    return int(round(total / float(len(candidates))))


def full_display_name(spec: PipelineSpec) -> str:
    """``team » app » deploy``."""
    return ' \u00bb '.join(spec.name.split('/'))


def build_json(ctx: Ctx, execution: Execution) -> dict[str, t.Any]:
    """``GET /job/J/<n>/api/json`` (Run / WorkflowRun / FreeStyleBuild)."""
    spec = execution.spec
    result = result_of(execution)
    building = result is None
    actions = item_actions(ctx, execution)
    actions.append({'_class': 'jenkins.metrics.impl.TimeInQueueAction'})
    from . import wfapi  # pylint: disable=import-outside-toplevel  # wfapi imports this module: a top-level import would be circular
    actions.extend(wfapi.input_actions(ctx, execution))
    runs = ctx.engine.runs('jenkins', spec.name)
    index = runs.index(execution)
    pipeline = kind(spec) == 'pipeline'
    data: dict[str, t.Any] = {
        '_class': RUN_CLASS[kind(spec)], 'actions': actions, 'artifacts': [], 'building': building,
        'description': execution.description, 'displayName': '#%d' % t.cast(int, execution.number),
        'duration': 0 if building else ms(t.cast(float, execution.finished_at) - t.cast(float, execution.started_at)),
        'estimatedDuration': estimated_duration(ctx, spec),
        'executor': {'_class': 'hudson.model.OneOffExecutor' if pipeline else 'hudson.model.Executor'} if building else None,
        'fullDisplayName': '%s #%d' % (full_display_name(spec), t.cast(int, execution.number)),
        'id': str(execution.number), 'keepLog': False, 'number': execution.number, 'queueId': execution.id,
        'result': result, 'timestamp': ms(execution.started_at), 'url': ctx.run_url(execution),
    }
    if pipeline:
        data.update({'changeSets': [], 'culprits': [], 'inProgress': building})
    else:
        data.update({'builtOn': '', 'changeSet': {'_class': 'hudson.scm.EmptyChangeLogSet', 'items': [], 'kind': None}, 'culprits': []})
    data['nextBuild'] = build_ref(ctx, runs[index - 1]) if index > 0 else None
    data['previousBuild'] = build_ref(ctx, runs[index + 1]) if index + 1 < len(runs) else None
    return data


# -- queue -----------------------------------------------------------------------------------
def task_json(ctx: Ctx, spec: PipelineSpec) -> dict[str, t.Any]:
    """The ``task`` of a queue item."""
    return {'_class': JOB_CLASS[kind(spec)], 'name': spec.name.rsplit('/', 1)[-1], 'url': ctx.job_url(spec.name), 'color': job_color(ctx, spec)}


def queue_item_visible(ctx: Ctx, execution: Execution) -> bool:
    """Queued, or left less than 5 simulated minutes ago."""
    left = execution.left_queue_at
    if left is None:
        return execution.state == eng.QUEUED
    return ctx.engine.now() - left < QUEUE_LEFT_TTL


def queue_item_json(ctx: Ctx, execution: Execution, with_actions: bool = True) -> dict[str, t.Any]:
    """``hudson.model.Queue$WaitingItem`` / ``$BlockedItem`` / ``$BuildableItem`` / ``$LeftItem``.

    A due freestyle item that waits only for an executor (every one of the built-in node's
    ``numExecutors`` is busy) is a BuildableItem: ``buildable: true``, ``pending: false``.
    """
    now = ctx.engine.now()
    queued = execution.state == eng.QUEUED
    waiting = queued and now < execution.not_before
    state = ctx.engine.queue_state(execution) if queued and not waiting else None
    buildable = state is not None and state.reason == 'pool'
    blocked = queued and not waiting and not buildable
    cls = 'WaitingItem' if waiting else ('BlockedItem' if blocked else ('BuildableItem' if buildable else 'LeftItem'))
    params = ''.join('\n%s=%s' % (p.name, '****' if p.secret else _param_text(execution.parameters.get(p.name, p.default)))
                     for p in execution.spec.parameters)
    why = None
    if waiting:
        why = 'In the quiet period. Expires in %s' % time_span(ms(execution.not_before - now))
    elif blocked:
        why = _blocked_why(ctx, execution, now)
    elif buildable:
        # Queue.BuildableItem.getCauseOfBlockage without agents: CauseOfBlockage.createNeedsMoreExecutor.
        why = 'Waiting for next available executor'
    data: dict[str, t.Any] = {'_class': 'hudson.model.Queue$' + cls}
    if with_actions:
        data['actions'] = item_actions(ctx, execution)
    data.update({'blocked': blocked, 'buildable': buildable, 'id': execution.id, 'inQueueSince': ms(execution.submitted_at),
                 'params': params, 'stuck': False, 'task': task_json(ctx, execution.spec), 'url': 'queue/item/%d/' % execution.id,
                 'why': why})
    if waiting:
        data['timestamp'] = ms(execution.not_before)
    elif blocked or buildable:
        data['buildableStartMilliseconds'] = ms(execution.blocked_since or execution.not_before)
        if buildable:
            data['pending'] = False  # BuildableItem's own export comes after NotWaitingItem's
    else:
        data['cancelled'] = execution.state == eng.CANCELLED
        data['executable'] = build_ref(ctx, execution) if build_exists(ctx, execution) else None
    return data


def build_exists(ctx: Ctx, execution: Execution) -> bool:
    """Whether the build of an item that left the queue exists yet. ``Queue.LeftItem.getExecutable`` is the
    primary work unit's executable, which ``Executor.run`` sets only after ``task.createExecutable()``: for
    ``jenkins.left_item_lag`` simulated seconds after the start the item has ``executable: null``."""
    if execution.number is None or execution.started_at is None:
        return False
    return execution.history or ctx.engine.now() - execution.started_at >= ctx.config.left_item_lag


def _param_text(value: t.Any) -> str:
    return ('true' if value else 'false') if isinstance(value, bool) else str(value)


def _blocked_why(ctx: Ctx, execution: Execution, now: float) -> str:
    blocker = ctx.engine.blocker(execution)
    if blocker is None:
        return 'Waiting for next available executor'
    estimate = estimated_duration(ctx, execution.spec)
    remaining = estimate - ms(now - t.cast(float, blocker.started_at)) if estimate >= 0 else -1
    return 'Build #%d is already in progress (ETA: %s)' % (t.cast(int, blocker.number), time_span(remaining) if remaining > 0 else 'N/A')


# -- jobs, folders, root ---------------------------------------------------------------------------
def permalink(ctx: Ctx, spec: PipelineSpec, name: str) -> Execution | None:
    """Resolve a permalink (lastBuild, lastSuccessfulBuild, ...) to a build."""
    runs = ctx.engine.runs('jenkins', spec.name)
    tests: dict[str, t.Callable[[Execution], bool]] = {
        'lastBuild': lambda e: True,
        'lastCompletedBuild': lambda e: e.terminal,
        'lastSuccessfulBuild': lambda e: result_of(e) in ('SUCCESS', 'UNSTABLE'),
        'lastStableBuild': lambda e: result_of(e) == 'SUCCESS',
        'lastFailedBuild': lambda e: result_of(e) == 'FAILURE',
        'lastUnstableBuild': lambda e: result_of(e) == 'UNSTABLE',
        'lastUnsuccessfulBuild': lambda e: result_of(e) not in (None, 'SUCCESS'),
        'firstBuild': lambda e: e is runs[-1],
    }
    test = tests.get(name)
    return next((e for e in runs if test(e)), None) if test else None


def job_color(ctx: Ctx, spec: PipelineSpec) -> str:
    """Ball colour: last completed result, ``_anime`` while a build runs, ``disabled``/``notbuilt``."""
    if spec.disabled:
        return 'disabled'
    runs = ctx.engine.runs('jenkins', spec.name)
    completed = next((e for e in runs if e.terminal), None)
    color = COLOR[t.cast(str, result_of(completed))] if completed else 'notbuilt'
    return color + '_anime' if runs and not runs[0].terminal else color


def job_ref(ctx: Ctx, name: str, spec: PipelineSpec | None) -> Lazy:
    """Entry of a ``jobs`` list."""
    if spec is None:
        return Lazy({'_class': FOLDER_CLASS, 'name': name.rsplit('/', 1)[-1], 'url': ctx.job_url(name)}, lambda: folder_json(ctx, name))
    return Lazy({'_class': JOB_CLASS[kind(spec)], 'name': name.rsplit('/', 1)[-1], 'url': ctx.job_url(name), 'color': job_color(ctx, spec)},
                lambda: job_json(ctx, spec))


def job_json(ctx: Ctx, spec: PipelineSpec) -> dict[str, t.Any]:
    """``GET /job/.../api/json`` for a WorkflowJob or FreeStyleProject."""
    runs = ctx.engine.runs('jenkins', spec.name)
    queued = [e for e in ctx.engine.executions('jenkins', spec.name) if e.state == eng.QUEUED]
    short = spec.name.rsplit('/', 1)[-1]
    props: list[dict[str, t.Any]] = []
    if not spec.concurrent and kind(spec) == 'pipeline':
        props.append({'_class': 'org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty'})
    if spec.parameters:
        props.append(params_property(spec))
    refs = [build_ref(ctx, e) for e in runs]
    data: dict[str, t.Any] = {
        '_class': JOB_CLASS[kind(spec)], 'actions': ([params_property(spec)] if spec.parameters else []) + [{}],
        'description': spec.description or '', 'displayName': short, 'displayNameOrNull': None,
        'fullDisplayName': full_display_name(spec), 'fullName': spec.name, 'name': short, 'url': ctx.job_url(spec.name),
        'buildable': not spec.disabled, 'builds': refs[:100], 'color': job_color(ctx, spec),
        'firstBuild': build_ref(ctx, runs[-1]) if runs else None, 'healthReport': [], 'inQueue': bool(queued), 'keepDependencies': False,
    }
    for link in ('lastBuild', 'lastCompletedBuild', 'lastFailedBuild', 'lastStableBuild', 'lastSuccessfulBuild',
                 'lastUnstableBuild', 'lastUnsuccessfulBuild'):
        data[link] = build_ref(ctx, permalink(ctx, spec, link))
    data.update({'nextBuildNumber': ctx.engine.next_number('jenkins', spec.name), 'property': props,
                 'queueItem': Lazy(queue_item_json(ctx, queued[0], with_actions=False), lambda: queue_item_json(ctx, queued[0])) if queued else None})
    if kind(spec) == 'freestyle':
        data.update({'concurrentBuild': spec.concurrent, 'disabled': spec.disabled, 'downstreamProjects': [], 'labelExpression': None,
                     'scm': {'_class': 'hudson.scm.NullSCM'}, 'upstreamProjects': []})
    else:
        data.update({'concurrentBuild': spec.concurrent, 'disabled': spec.disabled, 'resumeBlocked': False})
    data['allBuilds'] = Hidden(refs)
    return data


def folder_json(ctx: Ctx, name: str) -> dict[str, t.Any]:
    """``GET /job/<folder>/api/json``."""
    short = name.rsplit('/', 1)[-1]
    return {'_class': FOLDER_CLASS, 'actions': [{}], 'description': None, 'displayName': short, 'displayNameOrNull': None,
            'fullDisplayName': ' \u00bb '.join(name.split('/')), 'fullName': name, 'name': short, 'url': ctx.job_url(name),
            'healthReport': [], 'jobs': [job_ref(ctx, n, s) for n, s in ctx.children(name)],
            'primaryView': {'_class': 'hudson.model.AllView', 'name': 'All', 'url': ctx.job_url(name)},
            'views': [{'_class': 'hudson.model.AllView', 'name': 'All', 'url': ctx.job_url(name)}]}


def root_json(ctx: Ctx) -> dict[str, t.Any]:
    """``GET /api/json`` (``hudson.model.Hudson``)."""
    return {'_class': 'hudson.model.Hudson', 'assignedLabels': [{'name': 'built-in'}], 'mode': 'NORMAL', 'nodeDescription':
            "the Jenkins controller's built-in node", 'nodeName': '', 'numExecutors': ctx.config.executors, 'description': None,
            'jobs': [job_ref(ctx, n, s) for n, s in ctx.children('')], 'overallLoad': {},
            'primaryView': {'_class': 'hudson.model.AllView', 'name': 'all', 'url': ctx.root},
            'quietDownReason': None, 'quietingDown': False, 'slaveAgentPort': -1,
            'unlabeledLoad': {'_class': 'jenkins.model.UnlabeledLoadStatistics'}, 'url': ctx.root,
            'useCrumbs': ctx.config.crumbs, 'useSecurity': True,
            'views': [{'_class': 'hudson.model.AllView', 'name': 'all', 'url': ctx.root}]}


# -- nodes -----------------------------------------------------------------------------------------
def _executor_json(ctx: Ctx, cls: str, number: int, execution: Execution | None) -> Lazy:
    """A ``hudson.model.Executor`` / ``OneOffExecutor`` (``{_class}`` at depth 0; properties sorted by name, as Stapler's Model)."""
    def full() -> dict[str, t.Any]:
        if execution is None:
            return {'_class': cls, 'currentExecutable': None, 'idle': True, 'likelyStuck': False, 'number': number, 'progress': -1}
        estimate = estimated_duration(ctx, execution.spec)
        elapsed = ms(ctx.engine.now() - t.cast(float, execution.started_at))
        exists = build_exists(ctx, execution)
        # Executor.getProgress: -1 without an estimate, else elapsed * 100 / estimate, at most 99.
        progress = -1 if estimate <= 0 else min(elapsed * 100 // estimate, 99)
        # Executor.isLikelyStuck: 10 times the estimate, or a day without one; never without an executable.
        stuck = exists and (estimate * 10 < elapsed if estimate >= 0 else elapsed // 3600000 > 24)
        return {'_class': cls, 'currentExecutable': build_ref(ctx, execution) if exists else None, 'idle': False,
                'likelyStuck': stuck, 'number': number, 'progress': progress}
    return Lazy({'_class': cls}, full)


def computer_set_json(ctx: Ctx) -> dict[str, t.Any]:
    """``GET /computer/api/json``: ``hudson.model.ComputerSet`` with the built-in node only.

    A freestyle build takes one of the node's ``numExecutors`` executors (``hudson.model.Executor``,
    numbered from 0, in start order); a Pipeline build runs on a ``OneOffExecutor`` (number -1), as a
    flyweight task, and uses none. A freestyle build beyond ``numExecutors`` waits in the queue as a
    BuildableItem until one is free. ``busyExecutors`` and ``totalExecutors`` count
    the regular executors only (``Computer.countBusy`` / ``countExecutors``).
    """
    active = sorted((e for e in ctx.engine.executions('jenkins') if e.state in (eng.RUNNING, eng.WAITING)),
                    key=lambda e: (t.cast(float, e.started_at), e.id))
    freestyle = [e for e in active if kind(e.spec) == 'freestyle']
    slots: list[Execution | None] = list(freestyle) + [None] * max(ctx.config.executors - len(freestyle), 0)
    executors = [_executor_json(ctx, 'hudson.model.Executor', i, e) for i, e in enumerate(slots)]
    one_off = [_executor_json(ctx, 'hudson.model.OneOffExecutor', -1, e) for e in active if kind(e.spec) != 'freestyle']
    computer = {'_class': 'hudson.model.Hudson$MasterComputer', 'actions': [], 'assignedLabels': [{'name': 'built-in'}],
                'description': "the Jenkins controller's built-in node", 'displayName': 'Built-In Node', 'executors': executors,
                'idle': not active, 'numExecutors': ctx.config.executors, 'offline': False, 'offlineCause': None,
                'oneOffExecutors': one_off, 'temporarilyOffline': False}
    return {'_class': 'hudson.model.ComputerSet', 'busyExecutors': len(freestyle), 'computer': [computer], 'displayName': 'Nodes',
            'totalExecutors': len(slots)}
