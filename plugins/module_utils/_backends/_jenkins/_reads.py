# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The read side of the Jenkins backend: jobs, queue items, builds, keys and lineage.

Kept apart from the writes (`_backend.py`) only for size; `JenkinsBackend` is the one class users see.
"""

from __future__ import annotations

import collections
import dataclasses
import html
import re
import typing as t

from ..._errors import ApiError, AuthenticationError, InvalidState, NotFoundError, ValidationError
from ..._http import Authenticator, BasicAuth, ResponsePolicy, Transport
from ..._model import Execution, InputParameter, Level, LogTail, PipelineInfo, StartRequest, Status, shown
from .._base import Backend, Connection
from ._api import (BUILD_FIELDS, BUILD_TREE, BUILDS_TREE, JOB_TREE, LAST_BUILD_TREE, QUEUE_IDS_TREE, QUEUE_TREE, JenkinsApi,
                   JenkinsResponses, build_path, job_name_from_url, job_path, same_job)
from ._records import (KEY_PARAMETER, build_record, carried_key, class_tail, continues, job_definitions,
                       job_parameter, parameters_of, queue_record, same_parameters)

# Items whose JSON has `jobs`: folders, multibranch projects, organisation folders.
_FOLDER_WORDS = ('Folder', 'OrganizationFolder', 'WorkflowMultiBranchProject')
_MARKUP = re.compile(r'<[^>]+>')
# Reads in flight at once when many builds are read one by one (one HTTP session, a few connections).
_WORKERS = 8
# Builds a job may have started since the last look, added to the build-list window of a batched poll.
_WINDOW_SLACK = 5
# The most builds one batched poll asks a job for.
_MAX_WINDOW = 500
# Scope keys the backend itself sets on a record; a refreshed record keeps them.
_KEPT_SCOPE = ('coalesced', 'retry_of')


def queue_number(queue_id: t.Any) -> int:
    """`scope.queue_id` of a record a user passed back, as a queue item number (ValidationError when it is not one)."""
    number = queue_number_or_none(queue_id)
    if number is None:
        raise ValidationError('jenkins: execution.scope.queue_id must be the number of a queue item (as an earlier task '
                              'returned it), got %s' % shown(queue_id))
    return number


def queue_number_or_none(queue_id: t.Any) -> t.Optional[int]:
    """`scope.queue_id` as a queue item number, or None when it is not one."""
    # ASCII digits only: int() also reads other scripts' digits ('²' fails, '١٢' is 12), which address no queue item given.
    if isinstance(queue_id, bool) or not (isinstance(queue_id, int) or (isinstance(queue_id, str) and _digits(queue_id.strip()))):
        return None
    return int(queue_id)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@dataclasses.dataclass
class JobInfo:
    """What the backend remembers of a job: its parameters and whether it declares the key carrier."""

    name: str
    path: str
    url: str
    definitions: t.List[t.Dict[str, t.Any]]
    parameters: t.List[InputParameter]
    declares_key: bool

    def parameter(self, name: str) -> t.Optional[InputParameter]:
        return next((p for p in self.parameters if p.name == name), None)


@dataclasses.dataclass
class Scan:
    """One look at a job: its queue items and its last 50 builds, newest first."""

    queue: t.List[t.Dict[str, t.Any]]
    builds: t.List[t.Dict[str, t.Any]]
    job: t.Dict[str, t.Any] = dataclasses.field(default_factory=dict)

    @property
    def queue_ids(self) -> t.FrozenSet[int]:
        return frozenset(int(i['id']) for i in self.queue)

    @property
    def newest_build(self) -> int:
        return max((int(b['number']) for b in self.builds), default=0)


class JenkinsReads(Backend):
    """Reads shared by every Jenkins operation (see JenkinsBackend for the contract)."""

    def __init__(self, conn: Connection, transport: t.Optional[Transport] = None) -> None:
        super().__init__(conn, transport)
        self.api = JenkinsApi(self.http, conn.get('api_url') or self.http.base_url, use_crumbs=not conn.get('api_token'))
        self._jobs: t.Dict[str, JobInfo] = {}
        # The scan find_started made, reused by the start that follows as its "before" snapshot.
        self._last_scan: t.Dict[str, Scan] = {}
        # The scan describe_pipeline made, for the find_started that follows it.
        self._described: t.Dict[str, Scan] = {}
        # Job -> the newest build number seen, to size the build-list window of the next batched poll.
        self._newest: t.Dict[str, int] = {}
        # Password defaults of pending gates (wfapi returns them in clear text): sent when the answer
        # leaves them out, never put into a record.
        self._gate_secrets: t.Dict[t.Tuple[str, int, str], t.Dict[str, str]] = {}

    def _authenticator(self) -> t.Optional[Authenticator]:
        """HTTP Basic with the user and their API token (or password); none for anonymous access."""
        secret = self.conn.get('api_token') or self.conn.get('password')
        return BasicAuth(self.conn.get('username'), secret) if self.conn.get('username') and secret else None

    def _responses(self) -> ResponsePolicy:
        return JenkinsResponses()

    def describe(self, execution: Execution) -> str:
        """'team/app/deploy #12', or 'team/app/deploy (queue item 311)' while it waits in the queue."""
        queue_id = execution.scope.get('queue_id')
        if execution.id is None and queue_id is not None:
            return '%s (queue item %s)' % (execution.pipeline, queue_id)
        return super().describe(execution)

    def waiting_reason(self, execution: Execution) -> t.Optional[str]:
        """The queue item's `why` (e.g. "In the quiet period. Expires in 4.9 sec")."""
        return execution.scope.get('queue_reason')

    def same_gate(self, gate_id: str, wanted: str) -> bool:
        """The input step upper-cases the first letter of its `id` (InputStep.setId): either spelling matches."""
        return gate_id in (wanted, wanted[:1].upper() + wanted[1:])

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        problems = []
        if conn.api_token and conn.password:
            problems.append('give either api_token or password, not both')
        if (conn.api_token or conn.password) and not conn.username:
            problems.append('api_token and password need username (the Jenkins user they belong to)')
        if conn.username and not (conn.api_token or conn.password):
            problems.append('username needs api_token (recommended) or password; give none of them for anonymous access')
        return problems

    # Jobs -------------------------------------------------------------------------------------

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        """The job's parameters and whether it can be built, from the scan a start needs anyway (queue, then
        job): find_started and start use the same look, so a start costs one job read, not two."""
        scan = self._described[pipeline] = self._scan(pipeline)
        data = scan.job
        job = self._jobs[pipeline]
        reason = None
        if data.get('disabled') or data.get('color') == 'disabled':
            reason = 'the job is disabled'
        elif data.get('buildable') is False:
            reason = 'Jenkins reports the job as not buildable'
        return PipelineInfo(pipeline=pipeline, parameters=job.parameters, url=job.url, startable=reason is None,
                            reason=reason)

    def key_carrier(self, pipeline: str) -> str:
        """How an explicit idempotency key travels with a build of `pipeline` (DESIGN section 4).

        'parameter': the job declares CICD_IDEMPOTENCY_KEY; the key is sent with the start, atomically.
        'description': it does not; the key is written into the build description once the build
        exists (after_start), so a lost answer before that can still start a duplicate.
        """
        return 'parameter' if self._job(pipeline).declares_key else 'description'

    def _is_jenkins_root(self) -> bool:
        """Whether api_url is a Jenkins root: every Jenkins answer there carries X-Jenkins (also a 403 or 404)."""
        try:
            response = self.http.request('GET', '/api/json', operation='read the Jenkins root', params={'tree': 'mode'})
        except AuthenticationError:
            return True  # it asks for credentials: a server that guards its root, the job message fits better
        except ApiError:
            return False
        return response.headers.get('X-Jenkins') is not None

    def _job(self, pipeline: str) -> JobInfo:
        if pipeline not in self._jobs:
            self._remember(pipeline, self._job_json(pipeline, JOB_TREE))
        return self._jobs[pipeline]

    def _job_json(self, pipeline: str, tree: str) -> t.Dict[str, t.Any]:
        path = job_path(pipeline)
        try:
            data = self.api.get_json(path + '/api/json', 'read job %r' % pipeline, tree)
        except NotFoundError as exc:
            if not self._is_jenkins_root():
                raise NotFoundError('jenkins: api_url %s does not look like a Jenkins root: it answers no X-Jenkins '
                                    'header there. Include Jenkins\'s context path (for example '
                                    'https://ci.example.com/jenkins) or check the host' % self.http.base_url,
                                    status=exc.status, vendor_message=exc.vendor_message)
            raise NotFoundError('jenkins: job %r not found (HTTP %s); give its full name including folders '
                                '(folder/job) and check that these credentials can see it' % (pipeline, exc.status),
                                status=exc.status, vendor_message=exc.vendor_message)
        if not isinstance(data, dict):
            data = {}
        if 'jobs' in data or class_tail(data) in _FOLDER_WORDS:
            names = ['%s/%s' % (pipeline, j.get('name')) for j in data.get('jobs') or [] if isinstance(j, dict)]
            listed = ', '.join(names[:20]) + (' and %d more' % (len(names) - 20) if len(names) > 20 else '')
            raise ValidationError('jenkins: %r is a folder (%s), not a job; give the full name of one of its jobs: %s'
                                  % (pipeline, class_tail(data) or 'Folder', listed or 'it has none'))
        return data

    def _remember(self, pipeline: str, data: t.Mapping[str, t.Any]) -> JobInfo:
        path = job_path(pipeline)
        definitions = job_definitions(data)
        job = JobInfo(name=pipeline, path=path, url=self.api.url(path + '/'), definitions=definitions,
                      parameters=[job_parameter(d) for d in definitions if d['name'] != KEY_PARAMETER],
                      declares_key=any(d['name'] == KEY_PARAMETER for d in definitions))
        self._jobs[pipeline] = job
        return job

    # Executions -------------------------------------------------------------------------------

    def get(self, execution: Execution, level: Level = Level.FULL) -> Execution:
        if execution.id is not None:
            # A build a poll saw finished keeps its build JSON: completing the record needs only its stages.
            known = None
            if execution.terminal and execution.level < Level.FULL and isinstance(execution.raw, dict):
                known = execution.raw.get('build')
            record = self._get_build(execution.pipeline, self._number(execution), level, known or None)
        else:
            queue_id = execution.scope.get('queue_id')
            if queue_id is None:
                raise ValidationError('jenkins: the execution has neither a build number (id) nor a queue id '
                                      '(scope.queue_id); pass the execution record an earlier task returned')
            record = self._get_queued(execution.pipeline, queue_number(queue_id), level)
        return self._keep_scope(execution, record)

    @staticmethod
    def _keep_scope(execution: Execution, record: Execution) -> Execution:
        for key in _KEPT_SCOPE:
            if key in execution.scope:
                record.scope.setdefault(key, execution.scope[key])
        if record.previous_id is None and record.scope.get('retry_of') is not None:
            record.previous_id = str(record.scope['retry_of'])
        return record

    def get_many(self, executions: t.Sequence[Execution], level: Level = Level.FULL) -> t.List[Execution]:
        """Many executions at once. Polls (below Level.FULL) read each job's builds in one request per job
        (`builds[...]{0,N}`) and every queued item from one queue read; stages, where a poll needs them,
        and full records are read per build, a few at a time."""
        if level == Level.FULL or len(executions) < 2:
            return self._each(executions, lambda e: self.get(e, level))
        found: t.Dict[int, Execution] = {}
        queued = [i for i, e in enumerate(executions) if e.id is None]
        if len(queued) > 1:
            found.update(self._queued_batch(executions, queued, level))
        by_job: t.Dict[str, t.List[int]] = {}
        for i, execution in enumerate(executions):
            if execution.id is not None:
                by_job.setdefault(execution.pipeline, []).append(i)
        for pipeline, indexes in by_job.items():
            if len(indexes) > 1:
                found.update(self._builds_batch(pipeline, executions, indexes, level))
        rest = [i for i in range(len(executions)) if i not in found]
        for i, record in zip(rest, self._each([executions[i] for i in rest], lambda e: self.get(e, level))):
            found[i] = record
        return [self._keep_scope(executions[i], found[i]) for i in range(len(executions))]

    def _each(self, executions: t.Sequence[Execution], read: t.Callable[[Execution], Execution]) -> t.List[Execution]:
        """`read` for each execution, in order, at most _WORKERS at a time over the one HTTP session."""
        if len(executions) < 2:
            return [read(e) for e in executions]
        import concurrent.futures  # pylint: disable=import-outside-toplevel  # only a fan-out pays for threads
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(_WORKERS, len(executions))) as pool:
            return list(pool.map(read, executions))

    def _queued_batch(self, executions: t.Sequence[Execution], indexes: t.List[int],
                      level: Level) -> t.Dict[int, Execution]:
        """Queued items still in the queue, from one queue read; items that left are read one by one."""
        queue = self.api.get_json('/queue/api/json', 'read the build queue', QUEUE_TREE) or {}
        items = {int(i['id']): i for i in queue.get('items') or [] if isinstance(i, dict) and i.get('id') is not None}
        found = {}
        for i in indexes:
            execution = executions[i]
            queue_id = queue_number_or_none(execution.scope.get('queue_id'))
            if queue_id is None:
                continue  # left to get(), which refuses it clearly
            item = items.get(queue_id)
            if item is not None and same_job((item.get('task') or {}).get('url'), execution.pipeline):
                record = queue_record(execution.pipeline, self.api.url(job_path(execution.pipeline) + '/'), item)
                record.level = level
                found[i] = record
        return found

    def _builds_batch(self, pipeline: str, executions: t.Sequence[Execution], indexes: t.List[int],
                      level: Level) -> t.Dict[int, Execution]:
        """The builds `indexes` of one job from one read of its build list.

        Jenkins lists builds newest first and `{0,N}` takes the first N, so N must reach from the newest
        build down to the oldest one wanted; the newest number seen in the last round is the guess (a few
        more for builds started since). Builds outside the window are left for a read of their own.
        """
        numbers = {i: self._number(executions[i]) for i in indexes}
        newest = max(self._newest.get(pipeline, 0), *numbers.values())
        # Jenkins loads every build in the window: builds far older than the newest are read one by one.
        numbers = {i: n for i, n in numbers.items() if newest - n < _MAX_WINDOW}
        if len(numbers) < 2:
            return {}
        window = newest - min(numbers.values()) + 1 + _WINDOW_SLACK
        indexes = list(numbers)
        # `allBuilds`, not `builds`: Job.getNewBuilds() (exported as builds) stops at 100 builds.
        data = self._job_json(pipeline, 'lastBuild[number],allBuilds[%s]{0,%d}' % (BUILD_FIELDS, window))
        last = (data.get('lastBuild') or {}).get('number')
        if isinstance(last, int):
            self._newest[pipeline] = last
        builds = {int(b['number']): b for b in data.get('allBuilds') or [] if isinstance(b, dict) and b.get('number') is not None}
        wanted = [i for i in indexes if numbers[i] in builds]
        reads = self._each([executions[i] for i in wanted],
                           lambda e: self._get_build(pipeline, self._number(e), level, builds[self._number(e)]))
        return dict(zip(wanted, reads))

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        last = self._job_json(pipeline, LAST_BUILD_TREE).get('lastBuild')
        if not isinstance(last, dict) or last.get('number') is None:
            return None
        return self._get_build(pipeline, int(last['number']))

    def _get_queued(self, pipeline: str, queue_id: int, level: Level = Level.FULL) -> Execution:
        operation = 'read queue item %d of job %r' % (queue_id, pipeline)
        item = self.api.get_json_or_none('/queue/item/%d/api/json' % queue_id, operation)
        if not isinstance(item, dict):
            # Jenkins forgets left items 5 minutes after they leave the queue (Queue.leftItems cache);
            # the build remembers where it came from in `queueId`.
            for build in self._job_json(pipeline, QUEUE_IDS_TREE).get('builds') or []:
                if build.get('queueId') == queue_id:
                    return self._get_build(pipeline, int(build['number']), level)
            raise NotFoundError('jenkins: queue item %d of job %r no longer exists (Jenkins forgets queue items 5 '
                                'minutes after they leave the queue) and none of the job\'s last 50 builds came '
                                'from it' % (queue_id, pipeline), status=404)
        owner = job_name_from_url((item.get('task') or {}).get('url'))
        if owner is not None and not same_job((item.get('task') or {}).get('url'), pipeline):
            raise ValidationError('jenkins: queue item %d belongs to job %r, not %r' % (queue_id, owner, pipeline))
        executable = item.get('executable')
        if isinstance(executable, dict) and executable.get('number') is not None:
            return self._get_build(pipeline, int(executable['number']), level)
        record = queue_record(pipeline, self.api.url(job_path(pipeline) + '/'), item)
        record.level = Level.FULL  # a queue item has nothing more to read
        return record

    def _get_build(self, pipeline: str, number: int, level: Level = Level.FULL,
                   build: t.Optional[t.Mapping[str, t.Any]] = None) -> Execution:
        """Build `number` read to `level`: its build JSON (unless `build` holds it already), its stages
        (Stage View) from Level.STAGES on, and its pending gates' definitions at Level.FULL."""
        path = build_path(pipeline, number)
        operation = 'read build #%d of job %r' % (number, pipeline)
        if build is None:
            try:
                build = self.api.get_json(path + '/api/json', operation, BUILD_TREE)
            except NotFoundError as exc:
                # Say which is missing: the job (this read raises that message), or the build, next to the newest there is.
                try:
                    last = (self._job_json(pipeline, LAST_BUILD_TREE).get('lastBuild') or {}).get('number')
                    newest = '; its last build is #%s' % last if last is not None else '; it has no builds'
                except (NotFoundError, ValidationError):
                    raise
                except ApiError:
                    newest = ''
                raise NotFoundError('jenkins: build #%d of job %r not found (HTTP %s)%s' % (number, pipeline, exc.status, newest),
                                    status=exc.status, vendor_message=exc.vendor_message)
        wfapi = pending = None
        # Stages and gates come from the Pipeline Stage View REST API; freestyle builds have none.
        pipeline_run = class_tail(build) in ('', 'WorkflowRun')
        if pipeline_run and level >= Level.STAGES:
            wfapi = self.api.get_json_or_none(path + '/wfapi/describe', operation)
            if not isinstance(wfapi, dict):
                wfapi = None
        if level == Level.FULL and wfapi is not None and (wfapi.get('status') == 'PAUSED_PENDING_INPUT'
                                                          or 'pendingInputActions' in (wfapi.get('_links') or {})):
            pending = self.api.get_json_or_none(path + '/wfapi/pendingInputActions', operation)
            pending = pending if isinstance(pending, list) else []
            self._remember_gates(pipeline, number, pending)
        record = build_record(pipeline, self.api.url(path + '/'), build, wfapi, pending)
        record.level = level if pipeline_run else Level.FULL
        return record

    def _remember_gates(self, pipeline: str, number: int, pending: t.Sequence[t.Any]) -> None:
        for action in pending:
            if not isinstance(action, dict):
                continue
            secrets = {}
            for spec in action.get('inputs') or []:
                definition = spec.get('definition') if isinstance(spec, dict) else None
                if spec.get('type') == 'PasswordParameterDefinition' and isinstance(definition, dict):
                    value = definition.get('defaultVal')
                    if value:
                        self.http.add_secret(str(value))
                        secrets[str(spec.get('name'))] = str(value)
            self._gate_secrets[(pipeline, number, str(action.get('id')))] = secrets

    def _number(self, execution: Execution) -> int:
        if execution.id is None:
            raise InvalidState('jenkins: the execution is still queued (queue item %s) and has no build yet'
                               % execution.scope.get('queue_id'), execution=execution)
        # A build number is ASCII digits: int() would also take ' 7', '1_0' or '١', addressing a build the id does not name.
        if not _digits(execution.id):
            raise ValidationError('jenkins: execution id %r is not a build number (Jenkins numbers the builds of a job 1, 2, ...)'
                                  % execution.id)
        return int(execution.id)

    # Keys and lineage -------------------------------------------------------------------------

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        """Queue items, then builds (last 50), of the job that carry `request.key`, newest first.

        Records of builds are summaries from the job's build list (no stages or gates: `get` reads those).
        A derived key on a job without the key parameter is matched by parameter equality.
        """
        # The look describe_pipeline just took serves this lookup once; a later lookup looks again.
        scan = self._described.pop(request.pipeline, None) or self._scan(request.pipeline)
        self._last_scan[request.pipeline] = scan
        job = self._jobs[request.pipeline]
        url = job.url
        found = [queue_record(request.pipeline, url, i) for i in scan.queue if self._carries(request, job, i)]
        found += [build_record(request.pipeline, self.api.url(build_path(request.pipeline, int(b['number'])) + '/'),
                               b, None, None) for b in scan.builds if self._carries(request, job, b)]
        for execution in found:
            execution.idempotency_key = execution.idempotency_key or request.key
        return found

    def creation_order(self, execution: Execution) -> t.Optional[t.Tuple[t.Any, ...]]:
        """The id of the queue item the execution is, or came from (a build's queueId). Jenkins numbers queue
        items from one counter as it creates them, under the queue's lock, and keeps the counter in queue.xml
        across restarts (Queue.save/load, WaitingItem.COUNTER). Identical requests merged into one waiting item
        share its id, so they are one execution here too. None for a record without a queue id."""
        queue_id = queue_number_or_none(execution.scope.get('queue_id'))
        return None if queue_id is None else (queue_id,)

    @staticmethod
    def _carries(request: StartRequest, job: JobInfo, obj: t.Mapping[str, t.Any]) -> bool:
        values = parameters_of(obj)
        if request.key_derived and not job.declares_key:
            return same_parameters(request.parameters, values)
        return carried_key(values, obj.get('description')) == request.key

    def _scan(self, pipeline: str) -> Scan:
        """One queue GET then one job GET (in that order: an item that leaves the queue in between is
        then among the builds, never in neither)."""
        job_path(pipeline)  # a malformed name is refused before anything is sent
        queue = self.api.get_json('/queue/api/json', 'read the build queue', QUEUE_TREE) or {}
        items = [i for i in queue.get('items') or []
                 if isinstance(i, dict) and i.get('id') is not None and same_job((i.get('task') or {}).get('url'), pipeline)]
        data = self._job_json(pipeline, BUILDS_TREE)
        self._remember(pipeline, data)
        builds = [b for b in data.get('builds') or [] if isinstance(b, dict) and b.get('number') is not None]
        return Scan(queue=sorted(items, key=lambda i: -int(i['id'])),
                    builds=sorted(builds, key=lambda b: -int(b['number'])), job=data)

    def _new_since(self, pipeline: str, before: Scan,
                   matches: t.Callable[[t.Mapping[str, t.Any]], bool]) -> t.Optional[Execution]:
        """The newest queue item or build that was not there `before` and `matches`, or None."""
        now = self._scan(pipeline)
        for item in now.queue:
            if int(item['id']) not in before.queue_ids and matches(item):
                return queue_record(pipeline, self.api.url(job_path(pipeline) + '/'), item)
        for build in now.builds:
            if int(build['number']) > before.newest_build and matches(build):
                return self._get_build(pipeline, int(build['number']))
        return None

    def find_continuation(self, execution: Execution, operation: str) -> t.Optional[Execution]:
        """The newest build or queue item that resumes/retries `execution` (restart, replay and rebuild
        causes, or our retry markers), or None."""
        if execution.id is None:
            return None
        origin = self._number(execution)
        found = self._new_since(execution.pipeline, Scan(queue=[], builds=[{'number': origin}]),
                                lambda obj: continues(obj, origin, operation))
        if found is not None:
            found.previous_id = str(origin)
        return found

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        """Stages Declarative 'restart from stage' accepts; [] when restart is not available (the
        action 404s unless the run was Declarative, finished, and restart is allowed)."""
        if execution.id is None:
            return []
        path = build_path(execution.pipeline, self._number(execution)) + '/restart/api/json'
        data = self.api.get_json_or_none(path, 'read the restartable stages of build #%s of job %r'
                                         % (execution.id, execution.pipeline))
        if not isinstance(data, dict) or not data.get('restartEnabled'):
            return []
        return [str(s) for s in data.get('restartableStages') or []]

    def not_resumable_reason(self, execution: Execution) -> t.Optional[str]:
        """What Jenkins supports instead, from the build's class and state (restart needs a finished Declarative run)."""
        if execution.status.active:
            return 'Jenkins restarts only finished builds; wait for it to end'
        build = execution.raw.get('build') if isinstance(execution.raw, dict) else None
        kind = str((build or {}).get('_class') or '')
        if kind and kind != 'org.jenkinsci.plugins.workflow.job.WorkflowRun':
            return ('it is a %s, not a Pipeline build, and restart from a stage exists only for Declarative Pipelines; '
                    'cicd.pipelines.pipeline_retry runs the job again with the same parameters' % re.split(r'[.$]', kind)[-1])
        return ('restart from a stage needs a Declarative Pipeline whose job allows it (a scripted Pipeline, or '
                'options { disableRestartFromStage() }, has none); cicd.pipelines.pipeline_retry reruns the build '
                'with Replay instead')

    # Logs -----------------------------------------------------------------------------------------

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        """The failed (else the last) step's log of a Pipeline build, else the end of the console log.

        Pipeline builds: the Stage View API names each stage's steps (`execution/node/<stage>/wfapi/describe`,
        `stageFlowNodes`) and serves the tail of one step's log (`execution/node/<step>/wfapi/log`, at most
        10 KiB), so only that step's text travels. Other builds (freestyle, or Stage View missing): the whole
        `consoleText`, of which the last lines are kept (Jenkins serves no tail of it: `progressiveText`
        starts again at 0 when asked for an offset past the end).
        """
        if execution.id is None:
            return None
        number = self._number(execution)
        path = build_path(execution.pipeline, number)
        step = self._step_log(execution, path, lines)
        if step is not None:
            return step
        operation = 'read the console log of build #%d of job %r' % (number, execution.pipeline)
        response = self.http.request('GET', path + '/consoleText', operation=operation)
        kept: t.Deque[str] = collections.deque(maxlen=lines)
        total = 0
        for line in response.text.splitlines():
            kept.append(line)
            total += 1
        return LogTail(lines=list(kept), source='console', truncated=total > lines, url=self.api.url(path + '/console'))

    def _step_log(self, execution: Execution, path: str, lines: int) -> t.Optional[LogTail]:
        bad = (Status.FAILED, Status.UNSTABLE, Status.ABORTED)
        stage = next((s for s in execution.stages if s.status in bad), None) or \
            next((s for s in reversed(execution.stages) if s.started_at), None)
        if stage is None:
            return None
        operation = 'read the steps of stage %r of build #%s' % (stage.name, execution.id)
        described = self.api.get_json_or_none('%s/execution/node/%s/wfapi/describe' % (path, stage.id), operation)
        nodes = [n for n in (described or {}).get('stageFlowNodes') or [] if isinstance(n, dict) and n.get('id')]
        if not nodes:
            return None
        node = next((n for n in reversed(nodes) if n.get('status') in ('FAILED', 'UNSTABLE', 'ABORTED')), nodes[-1])
        log = self.api.get_json_or_none('%s/execution/node/%s/wfapi/log' % (path, node['id']),
                                        'read the log of step %s of build #%s' % (node['id'], execution.id))
        if not isinstance(log, dict) or not isinstance(log.get('text'), str):
            return None
        # Stage View renders the step log as HTML (console notes become markup): keep the words only.
        text = [html.unescape(_MARKUP.sub('', line)) for line in log['text'].splitlines()]
        what = node.get('parameterDescription') or node.get('name') or 'step %s' % node['id']
        return LogTail(lines=text[-lines:], source='stage %s, step %s' % (stage.name, what),
                       truncated=bool(log.get('hasMore')) or len(text) > lines,
                       url=self.api.url('%s/execution/node/%s/log/' % (path, node['id'])))
