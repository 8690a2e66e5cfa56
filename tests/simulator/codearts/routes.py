# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Handlers of the simulated CodeArts Pipeline v5 API (one authenticated :class:`Call` each, under the engine lock).

Contract
--------
* Errors are ``{"error_code", "error_msg"}`` (:class:`Refusal`); codes, HTTP statuses and which of them are
  Huawei's documented ones are in :data:`ERRORS` and docs/simulator.md. Some are HTTP 200 (as Huawei documents for
  ``DEVCP.00012002`` / ``DEVCP.00014004``): a client must look for ``error_code`` in every answer.
* Checks run in this order: project id of the path (must be ``codearts.project_id``) -> pipeline -> run ->
  job / step -> body -> state.
* ``run`` creates a new run every time. When the pipeline's ``max_concurrent`` runs are already active, the run
  is created queued and the answer is HTTP 200 ``{"error_code": "DEVPIPE.00011169", "error_msg": ...,
  "error": {"pipeline_run_id", "queue_id"}}`` (the shape Huawei's Terraform provider reads); it starts when a slot
  frees.
* ``retry`` continues a FAILED run in place (same id and number, engine ``retry_in_place``): the failed job (or the
  jobs named by ``job_run_ids``) and everything after it runs again; earlier jobs keep their results.
* ``stop`` cancels a queued run or stops an active one (CANCELED at once).
"""
from __future__ import annotations

import dataclasses
import hashlib
import typing as t

from ..engine import QUEUED, RUNNING, SKIPPED, WAITING, Engine, EngineError, Execution, Trigger
from ..httpcore import Request, Response, json_response
from .model import VENDOR, Catalog, Config, Pipeline, Stage, hex32
from .views import definition, detail_url, log_lines, ms, run_detail, run_item, run_status, sources, step_ids, variables

JSON_TYPE = 'application/json;charset=UTF-8'
# (HTTP status, error_code, message template). "doc": code and status from Huawei's error-code page; "sim": ours.
ERRORS = {
    'project': (401, 'DEVCP.00021018', 'No permission to access project %s.'),                        # doc code, sim text
    'pipeline': (200, 'DEVCP.00012002', 'The pipeline does not exist: %s.'),                           # doc code (record not found)
    'run': (200, 'DEVCP.00012002', 'The pipeline run does not exist: %s.'),
    'job': (200, 'DEVCP.00012002', 'The job run does not exist: %s.'),
    'step': (200, 'DEVCP.00012002', 'The step run does not exist: %s.'),
    'parameter': (200, 'DEVCP.00014004', 'Invalid parameter: %s'),                                      # doc code (invalid parameter)
    'state': (400, 'DEVCP.00021400', '%s'),                                                             # doc code (bad request), sim text
}
QUEUED_CODE = 'DEVPIPE.00011169'
QUEUED_MESSAGE = 'The maximum number of concurrent executions of the pipeline has been reached. The pipeline run enters the queue.'
DEFAULT_LIMIT = 10


class Refusal(Exception):
    """A request refused with a CodeArts error answer."""

    def __init__(self, kind: str, detail: str) -> None:
        self.status, self.code, template = ERRORS[kind]
        self.message = template % detail
        super().__init__(self.message)

    def response(self) -> Response:
        """The error answer."""
        return error_response(self.status, self.code, self.message)


def error_response(status: int, code: str, message: str, **extra: t.Any) -> Response:
    """``{"error_code", "error_msg", ...}``."""
    body = {'error_code': code, 'error_msg': message}
    body.update(extra)
    return json_response(body, status, JSON_TYPE)


@dataclasses.dataclass
class Call:
    """One authenticated request: the request, the IAM user it acts as and the simulated time."""

    request: Request
    user: str
    now: float

    def arg(self, name: str) -> str:
        """A named group of the path match."""
        return t.cast('re.Match[str]', self.request.match).group(name)

    def body(self, default: t.Any = None) -> t.Any:
        """The JSON body (``default`` when empty); Refusal when it is not JSON."""
        if not self.request.body.strip():
            return default
        try:
            return self.request.json_body()
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal('parameter', 'the request body is not valid JSON') from exc


def _success() -> Response:
    return json_response({'success': True}, 200, JSON_TYPE)


def _int(value: t.Any, name: str, default: int, minimum: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise Refusal('parameter', '%s must be an integer >= %d' % (name, minimum))
    return value


class Handlers:
    """Route handlers over the engine and the catalog (swapped on reset)."""

    def __init__(self, engine: Engine, catalog: Catalog) -> None:
        self.engine = engine
        self.catalog = catalog
        self._queue_ids = 0

    @property
    def config(self) -> Config:
        """The ``codearts:`` section."""
        return self.catalog.config

    # -- lookups ---------------------------------------------------------------------------------
    def adopt(self) -> None:
        """Give executions the engine made on its own (scenario history) their CodeArts facts."""
        for execution in self.engine.executions(VENDOR):
            if 'run_id' not in execution.vendor_data:
                pipeline = self.catalog.for_spec(execution.spec)
                self._facts(execution, pipeline, self.config.users[0].name if self.config.users else 'cicd-pipelines', {})

    @staticmethod
    def _facts(execution: Execution, pipeline: Pipeline, user: str, data: dict[str, t.Any]) -> None:
        execution.vendor_data.update({'run_id': hex32('run', pipeline.id, execution.id), 'executor': user, 'description': '',
                                      'build_params': {'build_type': 'branch', 'target_branch': pipeline.default_branch,
                                                       'event_type': 'Manual', 'commit_id': _commit(pipeline, pipeline.default_branch)},
                                      'unselected': [], 'variables': {k: _text(v) for k, v in execution.parameters.items()}, 'reviews': {}})
        execution.vendor_data.update(data)

    def _pipeline(self, call: Call) -> Pipeline:
        if call.arg('project') != self.config.project_id:
            raise Refusal('project', call.arg('project'))
        pipeline = self.catalog.pipeline(call.arg('pipeline')) if 'pipeline' in (call.request.match.groupdict() if call.request.match else {}) else None
        if pipeline is None:
            raise Refusal('pipeline', call.arg('pipeline'))
        return pipeline

    def runs(self, pipeline: Pipeline) -> list[Execution]:
        """The pipeline's runs, newest first."""
        return sorted(self.engine.executions(VENDOR, pipeline.spec.name), key=lambda e: e.id, reverse=True)

    def _run(self, pipeline: Pipeline, run_id: str | None, number: str | None = None) -> Execution:
        runs = self.runs(pipeline)
        if run_id:
            found = next((e for e in runs if e.vendor_data['run_id'] == run_id), None)
            if found is None:
                raise Refusal('run', run_id)
            return found
        if number:
            found = next((e for e in runs if str(e.number) == number), None)
            if found is None:
                raise Refusal('run', 'run number %s' % number)
            return found
        if not runs:
            raise Refusal('run', 'the pipeline has no runs')
        return runs[0]   # no id: the latest run (docs: only runs that exist are returned)

    def _stage_by(self, execution: Execution, pipeline: Pipeline, kind: str, value: str) -> Stage:
        for stage in pipeline.stages:
            if step_ids(execution, stage.index)[kind] == value:
                return stage
        raise Refusal('job' if kind == 'job' else 'step', value)

    # -- run / retry / stop ----------------------------------------------------------------------
    def run(self, call: Call) -> Response:
        """``POST .../pipelines/{id}/run`` with RunPipelineDTO."""
        pipeline = self._pipeline(call)
        body = call.body({})
        if not isinstance(body, dict):
            raise Refusal('parameter', 'the request body must be a JSON object')
        params = {p.name: p.default for p in pipeline.spec.parameters}
        given = self._run_variables(pipeline, body.get('variables'), params)
        description = body.get('description')
        if description is not None and (not isinstance(description, str) or len(description) > 1024):
            raise Refusal('parameter', 'description must be a string of at most 1024 characters')
        unselected = self._unselected(pipeline, body.get('choose_stages'), body.get('choose_jobs'))
        build = self._build_params(pipeline, body.get('sources'))
        execution = self.engine.submit(pipeline.spec, params, Trigger(kind='user', user=call.user), delay=0, number_now=True)
        self._facts(execution, pipeline, call.user, {'description': description or '', 'build_params': build, 'unselected': unselected,
                                                     'variables': {k: _text(v) for k, v in params.items()}, 'given': sorted(given)})
        self._skip_unselected(execution, -1)
        self.engine.sync()
        state = self.engine.queue_state(execution)
        if execution.state == QUEUED and state is not None and state.reason == 'concurrency':
            self._queue_ids += 1
            execution.vendor_data['queue_id'] = self._queue_ids
            queued = {'pipeline_run_id': execution.vendor_data['run_id'], 'queue_id': self._queue_ids}
            return error_response(200, QUEUED_CODE, QUEUED_MESSAGE, error=queued)
        return json_response({'pipeline_run_id': execution.vendor_data['run_id']}, 200, JSON_TYPE)

    @staticmethod
    def _run_variables(pipeline: Pipeline, raw: t.Any, params: dict[str, t.Any]) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
            raise Refusal('parameter', 'variables must be a list of {name, value} objects')
        names = []
        for item in raw:
            name, value = item.get('name'), item.get('value')
            if not isinstance(name, str) or not name:
                raise Refusal('parameter', 'variables[].name is required')
            if value is None or not isinstance(value, (str, int, float, bool)) or len(_text(value)) > 8192:
                raise Refusal('parameter', 'variables[].value of %s must be a string of at most 8192 characters' % name)
            var = pipeline.variable(name)
            if var is None:
                raise Refusal('parameter', 'variable %s does not exist in the pipeline' % name)
            if not var.is_runtime:
                raise Refusal('parameter', 'variable %s cannot be set at runtime' % name)
            text = _text(value)
            if var.limits and text not in var.limits:
                raise Refusal('parameter', 'the value of variable %s must be one of %s' % (name, ', '.join(var.limits)))
            spec = pipeline.spec.parameter(name)
            params[name] = spec.coerce(text) if spec is not None else text
            names.append(name)
        return names

    @staticmethod
    def _unselected(pipeline: Pipeline, stages: t.Any, jobs: t.Any) -> list[int]:
        """Stage indexes not chosen; ``choose_stages`` (stage ids / identifiers / names) wins over ``choose_jobs``."""
        chosen = stages if stages else jobs
        if not chosen:
            return []
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            raise Refusal('parameter', 'choose_stages / choose_jobs must be lists of strings')
        keys = []
        for stage in pipeline.stages:
            if stages:
                keys.append({hex32('stage-identifier', pipeline.id, stage.index), stage.name})
            else:
                keys.append({'JOB_%s' % hex32('identifier', pipeline.id, stage.index)[:5], stage.job_name})
        for value in chosen:
            if not any(value in k for k in keys):
                raise Refusal('parameter', '%s %s does not exist in the pipeline' % ('stage' if stages else 'job', value))
        return [i for i, k in enumerate(keys) if not any(v in k for v in chosen)]

    @staticmethod
    def _build_params(pipeline: Pipeline, raw: t.Any) -> dict[str, t.Any]:
        build: dict[str, t.Any] = {'build_type': 'branch', 'target_branch': pipeline.default_branch, 'event_type': 'Manual'}
        if raw:
            if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
                raise Refusal('parameter', 'sources must be a list of {type, params} objects')
            params = raw[0].get('params') or {}
            if raw[0].get('type') != 'code' or not isinstance(params, dict) or not params.get('git_type') or not params.get('git_url'):
                raise Refusal('parameter', 'sources[].type must be code, with params.git_type and params.git_url')
            given = params.get('build_params') or {}
            if not isinstance(given, dict):
                raise Refusal('parameter', 'sources[].params.build_params must be an object')
            kind = given.get('build_type', 'branch')
            if kind not in ('branch', 'tag'):
                raise Refusal('parameter', 'build_type must be branch or tag')
            build['build_type'] = kind
            for key in ('target_branch', 'tag', 'event_type', 'commit_id'):
                if given.get(key):
                    build[key] = str(given[key])
            if kind == 'tag' and not build.get('tag'):
                raise Refusal('parameter', 'build_params.tag is required when build_type is tag')
        ref = build.get('tag') if build['build_type'] == 'tag' else build['target_branch']
        build.setdefault('commit_id', _commit(pipeline, str(ref)))
        return build

    def _skip_unselected(self, execution: Execution, after: int) -> None:
        """Stages not chosen are skipped without running (engine ``kept``), as Buddy's actions_to_run."""
        for index in execution.vendor_data.get('unselected', []):
            stage = execution.stages[index]
            if index > after and stage.status not in (RUNNING, WAITING):
                stage.kept, stage.status = True, SKIPPED

    def retry(self, call: Call) -> Response:
        """``PUT .../pipeline-runs/{run}/retry`` (optional ``{job_run_ids, repo_https_url}``)."""
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.arg('run'))
        body = call.body({}) or {}
        if not isinstance(body, dict):
            raise Refusal('parameter', 'the request body must be a JSON object')
        self.engine.sync()
        if run_status(execution, self.config) != 'FAILED':
            raise Refusal('state', 'Only a failed pipeline run can be retried; the run is %s.' % run_status(execution, self.config))
        jobs = body.get('job_run_ids')
        from_stage, only = None, None
        if jobs:
            if not isinstance(jobs, list) or not all(isinstance(j, str) for j in jobs):
                raise Refusal('parameter', 'job_run_ids must be a list of job run ids')
            stages = [self._stage_by(execution, pipeline, 'job', j) for j in jobs]
            from_stage, only = min(stages, key=lambda s: s.index).name, [s.name for s in stages]
        try:
            start = self.engine.retry_in_place(execution, from_stage=from_stage, only=only)
        except EngineError as exc:
            raise Refusal('state', 'The job cannot be retried: %s' % exc) from exc
        execution.vendor_data['reviews'] = {k: v for k, v in execution.vendor_data.get('reviews', {}).items() if k < start}
        self._skip_unselected(execution, start)
        return _success()

    def stop(self, call: Call) -> Response:
        """``POST .../pipeline-runs/{run}/stop``."""
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.arg('run'))
        self.engine.sync()
        if execution.state == QUEUED:
            self.engine.cancel(execution, user=call.user)
        elif not self.engine.stop(execution, user=call.user):
            raise Refusal('state', 'The pipeline run has already ended (%s) and cannot be stopped.' % run_status(execution, self.config))
        return _success()

    # -- reading ---------------------------------------------------------------------------------
    def detail(self, call: Call) -> Response:
        """``GET .../pipeline-runs/detail?pipeline_run_id=&pipeline_run_number=``."""
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.request.param('pipeline_run_id'), call.request.param('pipeline_run_number'))
        self.engine.sync()
        return json_response(run_detail(execution, pipeline, self.config, self.engine.now()), 200, JSON_TYPE)

    def list_runs(self, call: Call) -> Response:
        """``POST .../pipeline-runs/list`` with ListPipelineRunsQuery (newest first unless ``sort_dir: asc``)."""
        pipeline = self._pipeline(call)
        body = call.body({}) or {}
        if not isinstance(body, dict):
            raise Refusal('parameter', 'the request body must be a JSON object')
        offset, limit = _int(body.get('offset'), 'offset', 0), _int(body.get('limit'), 'limit', DEFAULT_LIMIT, 1)
        wanted = body.get('status') or []
        if not isinstance(wanted, list):
            raise Refusal('parameter', 'status must be a list')
        self.engine.sync()
        now = self.engine.now()
        found = [e for e in self.runs(pipeline) if not wanted or run_status(e, self.config) in wanted]
        if str(body.get('sort_dir') or 'desc').lower() == 'asc':
            found.reverse()
        page = found[offset:offset + limit]
        return json_response({'offset': offset, 'limit': limit, 'total': len(found),
                              'pipeline_runs': [run_item(e, pipeline, self.config, now) for e in page]}, 200, JSON_TYPE)

    def list_pipelines(self, call: Call) -> Response:
        """``POST /v5/{project}/api/pipelines/list`` with ListPipelineQuery (``name`` fuzzy, offset/limit)."""
        if call.arg('project') != self.config.project_id:
            raise Refusal('project', call.arg('project'))
        body = call.body({}) or {}
        if not isinstance(body, dict):
            raise Refusal('parameter', 'the request body must be a JSON object')
        offset, limit = _int(body.get('offset'), 'offset', 0), _int(body.get('limit'), 'limit', DEFAULT_LIMIT, 1)
        name = body.get('name') or ''
        self.engine.sync()
        now = self.engine.now()
        found = [p for p in self.catalog.pipelines if str(name).lower() in p.name.lower()]
        items = []
        for pipeline in found[offset:offset + limit]:
            runs = self.runs(pipeline)
            items.append({'pipeline_id': pipeline.id, 'name': pipeline.name, 'project_id': self.config.project_id,
                          'project_name': self.config.project_name, 'component_id': '', 'is_publish': False, 'is_collect': False,
                          'manifest_version': '3.0', 'create_time': ms(self._created(pipeline)), 'convert_sign': 0, 'security_level': 1,
                          'banned': False, 'description': pipeline.spec.description or '', 'tag_list': [],
                          'latest_run': run_item(runs[0], pipeline, self.config, now) if runs else None})
        return json_response({'offset': offset, 'limit': limit, 'total': len(found), 'current_system_time': ms(now),
                              'number_of_hidden_data': 0, 'highest_confidentiality': None, 'pipelines': items}, 200, JSON_TYPE)

    def _created(self, pipeline: Pipeline) -> float:
        first = min((e.submitted_at for e in self.runs(pipeline)), default=self.engine.now())
        return first - 86400.0   # a pipeline exists a day before its first run (fixed, so answers are stable)

    def pipeline(self, call: Call) -> Response:
        """``GET /v5/{project}/api/pipelines/{id}``."""
        pipeline = self._pipeline(call)
        runs = self.runs(pipeline)
        creator = self.config.users[0] if self.config.users else None
        created = ms(self._created(pipeline))
        return json_response({
            'id': pipeline.id, 'name': pipeline.name, 'description': pipeline.spec.description or '', 'manifest_version': '3.0',
            'region': self.config.region, 'domain_id': self.config.domain_id, 'project_id': self.config.project_id, 'component_id': '',
            'is_publish': False, 'creator_id': creator.id if creator else None, 'creator_name': creator.name if creator else None,
            'updater_id': creator.id if creator else None, 'create_time': created, 'update_time': created, 'is_collect': False,
            'sources': sources(pipeline, None), 'variables': variables(pipeline, runs[0] if runs else None), 'schedules': [],
            'triggers': [], 'group_id': None, 'definition': definition(pipeline), 'security_level': 1, 'banned': False,
            'project_name': self.config.project_name, 'group_name': None, 'detail_url': detail_url(self.config, pipeline),
            'modify_url': detail_url(self.config, pipeline).replace('/detail/', '/edit/'),
            'concurrency_control': {'pipeline_id': pipeline.id, 'concurrency_number': pipeline.spec.concurrency_limit or 0,
                                    'exceed_action': 'QUEUE', 'create_time': created, 'update_time': created,
                                    'enable': pipeline.spec.concurrency_limit is not None},
        }, 200, JSON_TYPE)

    def status(self, call: Call) -> Response:
        """``POST /v5/{project}/api/pipelines/status`` with a JSON array of pipeline ids -> PipelineLatestRun list."""
        if call.arg('project') != self.config.project_id:
            raise Refusal('project', call.arg('project'))
        body = call.body([])
        if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
            raise Refusal('parameter', 'the request body must be a JSON array of pipeline ids')
        self.engine.sync()
        now = self.engine.now()
        out = []
        for pipeline_id in body:
            pipeline = self.catalog.pipeline(pipeline_id)
            runs = self.runs(pipeline) if pipeline else []
            if pipeline is not None and runs:   # unknown pipelines and pipelines without runs are left out
                out.append(run_item(runs[0], pipeline, self.config, now, with_ids=False))
        return json_response(out, 200, JSON_TYPE)

    # -- manual review / checkpoint ----------------------------------------------------------------
    def review(self, call: Call, approve: bool) -> Response:
        """``POST .../jobs/{job}/steps/{step}/pass|refuse?approval_description=``."""
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.arg('run'))
        stage = self._stage_by(execution, pipeline, 'job', call.arg('job'))
        if step_ids(execution, stage.index)['step'] != call.arg('step'):
            raise Refusal('step', call.arg('step'))
        self.engine.sync()
        if stage.waits != 'review' or execution.pending_gate() is not execution.stages[stage.index]:
            raise Refusal('state', 'The step %s is not waiting for a manual review.' % call.arg('step'))
        description = call.request.param('approval_description') or ''
        execution.vendor_data.setdefault('reviews', {})[stage.index] = {'approved': approve, 'user': call.user, 'description': description}
        self.engine.answer_gate(execution, approve, user=call.user)
        return _success()

    def checkpoint(self, call: Call, approve: bool) -> Response:
        """``POST .../pipeline-runs/{run}/steps/{step}/manual/pass|refuse``."""
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.arg('run'))
        stage = self._stage_by(execution, pipeline, 'pre', call.arg('step'))
        self.engine.sync()
        if stage.waits != 'checkpoint' or execution.pending_gate() is not execution.stages[stage.index]:
            raise Refusal('state', 'The step %s is not waiting at a manual check point.' % call.arg('step'))
        gate = execution.spec.stages[stage.index].gate
        values = {p.name: p.default for p in gate.parameters} if gate is not None else {}
        self.engine.answer_gate(execution, approve, values if approve else None, user=call.user)
        return _success()

    # -- logs ------------------------------------------------------------------------------------
    def log(self, call: Call) -> Response:
        """``POST .../jobs/{job}/steps/{step}/logs`` with LogQuery ``{start_offset, end_offset, limit, sort, offset, level}``.

        Offsets are character offsets into the step's whole log. ``asc``: ``limit`` lines from
        ``start_offset``; ``desc``: the last ``limit`` lines before ``end_offset`` (0/absent: the end).
        The answer's offsets delimit the returned text; ``has_more`` says more text follows (asc) or
        precedes (desc), or that the step is still writing.
        """
        pipeline = self._pipeline(call)
        execution = self._run(pipeline, call.arg('run'))
        stage = self._stage_by(execution, pipeline, 'job', call.arg('job'))
        if step_ids(execution, stage.index)['step'] != call.arg('step'):
            raise Refusal('step', call.arg('step'))
        body = call.body({}) or {}
        if not isinstance(body, dict):
            raise Refusal('parameter', 'the request body must be a JSON object')
        limit = _int(body.get('limit'), 'limit', 500, 1)
        start = _int(body.get('start_offset'), 'start_offset', 0)
        end = _int(body.get('end_offset'), 'end_offset', 0)
        self.engine.sync()
        lines, finished = log_lines(execution, stage, self.engine.now())
        text = ''.join(line + '\n' for line in lines)
        bounds, position = [], 0
        for line in lines:
            bounds.append((position, position + len(line) + 1))
            position += len(line) + 1
        if str(body.get('sort') or 'asc').lower() == 'desc':
            stop = end if 0 < end <= len(text) else len(text)
            chosen = [b for b in bounds if b[1] <= stop][-limit:]
            more = bool(chosen) and chosen[0][0] > 0
        else:
            chosen = [b for b in bounds if b[0] >= start][:limit]
            more = (bool(chosen) and chosen[-1][1] < len(text)) or not finished
        first, last = (chosen[0][0], chosen[-1][1]) if chosen else (min(start, len(text)), min(start, len(text)))
        return json_response({'has_more': more, 'start_offset': str(first), 'end_offset': str(last), 'log': text[first:last],
                              'location': None, 'step_run_id': call.arg('step')}, 200, JSON_TYPE)


def _text(value: t.Any) -> str:
    return str(value).lower() if isinstance(value, bool) else '' if value is None else str(value)


def _commit(pipeline: Pipeline, ref: str) -> str:
    """A deterministic 40-hex commit id for a branch or tag of the pipeline's repository."""
    return hashlib.sha1(('%s\x1f%s' % (pipeline.git_url, ref)).encode('utf-8')).hexdigest()  # nosec - an id, not security
