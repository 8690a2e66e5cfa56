# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CodeArts JSON over engine executions: status words, PipelineRunDetail, list items, pipeline detail, step logs.

Contract
--------
* CodeArts facts about an engine execution live in ``Execution.vendor_data``: ``run_id`` (32 hex), ``executor``
  (IAM user name), ``description``, ``build_params`` (the run's code-source build parameters), ``unselected``
  (stage indexes left out by ``choose_stages`` / ``choose_jobs``), ``variables`` (name -> value as run) and
  ``reviews`` (stage index -> ``{"approved", "user", "description"}``).
* Status words (simulator choices where Huawei does not say, see docs/simulator.md): run ``RUNNING`` while queued
  or running, ``wait_status`` (``RUNNING`` by default, or ``PAUSED``) while a manual review / checkpoint waits,
  ``COMPLETED`` (succeeded or unstable), ``FAILED`` (a step failed, or a review / checkpoint was refused or
  timed out), ``CANCELED`` (stopped, or stopped while queued). Stages and jobs: ``QUEUED`` while the run is queued,
  ``INIT`` until reached (also after the run ended), ``RUNNING``, the wait status while their review /
  checkpoint waits, ``COMPLETED``, ``FAILED``, ``CANCELED``, ``UNSELECTED`` (not chosen), ``SKIPPED``.
  Steps use the documented RUNNING / CANCELED / COMPLETED / FAILED plus ``INIT`` before they start; a waiting
  review step (and a waiting checkpoint pre-step) is ``RUNNING``.
* Times are epoch milliseconds (0 = not yet); ``stage_status_list`` times are the same numbers as strings.
"""
from __future__ import annotations

import json
import time
import typing as t

from ..engine import ABORTED, CANCELLED, FAILED, PENDING, QUEUED, RUNNING, SKIPPED, SUCCEEDED, UNSTABLE, WAITING, Execution, StageRun
from .model import AUTO_TRIGGER, MANUAL_TRIGGER, Config, Pipeline, Stage, hex32

LOG_TIME_ZONE = 8 * 3600     # CodeArts log lines carry GMT+08:00 stamps (doc sample)
CONSOLE = 'https://devcloud.%s.huaweicloud.com/cicd/project/%s/pipeline/detail/%s/%s'


def ms(value: float | None) -> int:
    """Simulated epoch seconds -> epoch milliseconds (0 when unset)."""
    return 0 if value is None else int(round(value * 1000))


def refused(execution: Execution) -> bool:
    """Whether the run ended because a review / checkpoint was refused or timed out (CodeArts: FAILED)."""
    return execution.state == ABORTED and execution.reason in ('rejected', 'expired')


def run_status(execution: Execution, config: Config) -> str:
    """The run's ``status`` (see the module contract)."""
    state = execution.state
    if state in (QUEUED, RUNNING):
        return 'RUNNING'
    if state == WAITING:
        return config.wait_status
    if state in (SUCCEEDED, UNSTABLE):
        return 'COMPLETED'
    if state == FAILED or refused(execution):
        return 'FAILED'
    return 'CANCELED'


def _ids(execution: Execution, index: int) -> dict[str, str]:
    run_id = execution.vendor_data['run_id']
    return {'stage': hex32('stage', run_id, index), 'job': hex32('job', run_id, index), 'step': hex32('step', run_id, index),
            'pre': hex32('pre', run_id, index)}


def step_ids(execution: Execution, index: int) -> dict[str, str]:
    """Ids of stage ``index`` of a run: ``stage``, ``job``, ``step`` (the job's step) and ``pre`` (the stage's pre step)."""
    return _ids(execution, index)


def _statuses(execution: Execution, stage: Stage, run: StageRun, config: Config) -> tuple[str, str, str, str]:
    """(stage, job, step, pre step) statuses of one stage."""
    wait = config.wait_status
    status = run.status
    if execution.state == QUEUED:
        return 'QUEUED', 'QUEUED', 'INIT', 'INIT'
    if status == PENDING:
        return 'INIT', 'INIT', 'INIT', 'INIT'
    if status == SKIPPED:
        word = 'UNSELECTED' if stage.index in execution.vendor_data.get('unselected', ()) else 'SKIPPED'
        return word, word, 'INIT', 'INIT'
    if status == WAITING:
        if stage.waits == 'checkpoint':
            return wait, 'INIT', 'INIT', 'RUNNING'
        return wait, wait, 'RUNNING', 'COMPLETED'
    if status == RUNNING:
        return 'RUNNING', 'RUNNING', 'RUNNING', 'COMPLETED'
    if status in (SUCCEEDED, UNSTABLE):
        return 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'
    if status == FAILED:
        return 'FAILED', 'FAILED', 'FAILED', 'COMPLETED'
    # Aborted: stopped -> CANCELED; a refused / timed-out review or checkpoint -> FAILED.
    word = 'FAILED' if refused(execution) else 'CANCELED'
    if stage.waits == 'checkpoint' and (run.answer is None or not run.answer.approved):
        return word, 'INIT', 'INIT', word
    return word, word, word, 'COMPLETED'


def _message(execution: Execution, stage: Stage, run: StageRun, step: str) -> str:
    if step == 'FAILED' and run.error:
        return run.error
    review = execution.vendor_data.get('reviews', {}).get(stage.index)
    if review is not None and stage.waits == 'review':
        return '%s by %s%s' % ('Approved' if review['approved'] else 'Rejected', review['user'],
                               ': ' + review['description'] if review.get('description') else '')
    if run.status == WAITING and stage.waits == 'review':
        return stage.message
    return ''


def stage_view(execution: Execution, pipeline: Pipeline, stage: Stage, config: Config) -> dict[str, t.Any]:
    """A StageRun (with its one JobRun and StepRun, and its pre step)."""
    run = execution.stages[stage.index]
    ids = _ids(execution, stage.index)
    stage_word, job_word, step_word, pre_word = _statuses(execution, stage, run, config)
    start, end = ms(run.started_at), ms(run.finished_at)
    pause = ms(run.paused + ((time_now(execution) - run.waiting_since) if run.waiting_since is not None else 0.0)) if run.started_at else 0
    identifier = 'JOB_%s' % hex32('identifier', pipeline.id, stage.index)[:5]
    pre_name = stage.checkpoint_name if stage.waits == 'checkpoint' else 'Auto trigger'
    pre_step = {'id': ids['pre'], 'name': pre_name, 'task': MANUAL_TRIGGER if stage.waits == 'checkpoint' else AUTO_TRIGGER,
                'business_type': 'Normal', 'inputs': [], 'sequence': 0, 'official_task_version': None, 'identifier': None,
                'multi_step_editable': 0, 'endpoint_ids': [], 'last_dispatch_id': None, 'status': pre_word,
                'message': stage.message if stage.waits == 'checkpoint' and pre_word == 'RUNNING' else '',
                'start_time': start, 'end_time': start if pre_word == 'COMPLETED' and stage.waits != 'checkpoint' else
                (ms(run.answer.at) if run.answer is not None and stage.waits == 'checkpoint' else 0), 'daily_build_number': None}
    job_started = start if stage.waits != 'checkpoint' else (ms(run.answer.at) if run.answer is not None and run.answer.approved else 0)
    inputs = [{'key': 'audit_source', 'value': 'members'}, {'key': 'check_strategy', 'value': 'all'},
              {'key': 'comment', 'value': stage.message}] if stage.waits == 'review' else []
    step = {'id': ids['step'], 'name': stage.step_name, 'task': stage.task, 'business_type': stage.business_type, 'inputs': inputs,
            'sequence': 0, 'official_task_version': '0.0.5', 'identifier': hex32('step-identifier', pipeline.id, stage.index),
            'multi_step_editable': 0, 'endpoint_ids': [], 'last_dispatch_id': hex32('dispatch', ids['step'], execution.attempts),
            'status': step_word, 'message': _message(execution, stage, run, step_word),
            'start_time': job_started if step_word != 'INIT' else 0, 'end_time': end if step_word in ('COMPLETED', 'FAILED', 'CANCELED') else 0,
            'daily_build_number': None}
    job = {'id': ids['job'], 'category': None, 'sequence': 0, 'async': None, 'name': stage.job_name, 'identifier': identifier,
           'depends_on': [], 'condition': '${{ default() }}', 'resource': '{"type":"system","arch":"x86"}',
           'is_select': stage.index not in execution.vendor_data.get('unselected', ()), 'timeout': '',
           'last_dispatch_id': step['last_dispatch_id'], 'status': job_word, 'message': step['message'] if job_word == 'FAILED' else '',
           'start_time': job_started if job_word not in ('INIT', 'QUEUED', 'UNSELECTED', 'SKIPPED') else 0,
           'end_time': end if job_word in ('COMPLETED', 'FAILED', 'CANCELED') else 0, 'exec_id': hex32('exec', ids['job'], execution.attempts),
           'steps': [step]}
    return {'id': ids['stage'], 'category': None, 'name': stage.name, 'identifier': hex32('stage-identifier', pipeline.id, stage.index),
            'run_always': False, 'parallel': None, 'is_select': job['is_select'], 'sequence': stage.index, 'depends_on': [],
            'condition': None, 'status': stage_word, 'start_time': start if stage_word not in ('INIT', 'QUEUED') else 0,
            'end_time': end if stage_word in ('COMPLETED', 'FAILED', 'CANCELED') else 0, 'pause_time': pause,
            'pre': [pre_step], 'post': [], 'jobs': [job]}


def time_now(execution: Execution) -> float:
    """The simulated time a view is built at (handlers store it in ``vendor_data['now']`` before rendering)."""
    return float(execution.vendor_data.get('now') or time.time())


def sources(pipeline: Pipeline, execution: Execution | None) -> list[dict[str, t.Any]]:
    """The run's (or the pipeline's) code sources."""
    build = dict(execution.vendor_data.get('build_params') or {}) if execution is not None else {}
    repo = pipeline.git_url.rstrip('/').rsplit('/', 1)[-1][:-len('.git')] if pipeline.git_url.endswith('.git') else pipeline.name
    params: dict[str, t.Any] = {'git_type': 'codehub', 'git_url': pipeline.git_url, 'ssh_git_url': pipeline.git_url.replace('https://', 'git@', 1),
                                'web_url': pipeline.git_url[:-4] if pipeline.git_url.endswith('.git') else pipeline.git_url,
                                'repo_name': repo, 'default_branch': pipeline.default_branch, 'endpoint_id': None,
                                'codehub_id': hex32('repo', pipeline.git_url)[:7], 'alias': None}
    if execution is not None:
        params['build_params'] = build
    return [{'type': 'code', 'params': params}]


def run_detail(execution: Execution, pipeline: Pipeline, config: Config, now: float) -> dict[str, t.Any]:
    """PipelineRunDetail."""
    execution.vendor_data['now'] = now
    data = execution.vendor_data
    executor = config.user(data.get('executor'))
    paused = sum(s.paused for s in execution.stages) + sum(now - s.waiting_since for s in execution.stages if s.waiting_since is not None)
    return {'id': data['run_id'], 'pipeline_id': pipeline.id, 'manifest_version': '3.0', 'name': pipeline.name,
            'description': data.get('description') or '', 'is_publish': False,
            'executor_id': executor.id if executor else hex32('user', data.get('executor')), 'executor_name': data.get('executor'),
            'status': run_status(execution, config), 'trigger_type': 'Manual', 'run_number': execution.number,
            'pause_time': ms(paused) if paused else 0, 'start_time': ms(execution.started_at or execution.submitted_at),
            'end_time': ms(execution.finished_at), 'current_system_time': ms(now),
            'stages': [stage_view(execution, pipeline, stage, config) for stage in pipeline.stages],
            'domain_id': config.domain_id, 'project_id': config.project_id, 'region': config.region, 'component_id': '',
            'language': 'en-us', 'sources': sources(pipeline, execution), 'artifacts': [], 'subject_id': data['run_id'],
            'group_id': None, 'group_name': None, 'detail_url': detail_url(config, pipeline, execution)}


def detail_url(config: Config, pipeline: Pipeline, execution: Execution | None = None) -> str:
    """The console URL of a run (or of the pipeline)."""
    return CONSOLE % (config.region, config.project_id, pipeline.id, execution.vendor_data['run_id'] if execution else '')


def run_item(execution: Execution, pipeline: Pipeline, config: Config, now: float, with_ids: bool = True) -> dict[str, t.Any]:
    """A ``pipeline_runs[]`` / ``latest_run`` item (PipelineLatestRun)."""
    detail = run_detail(execution, pipeline, config, now)
    stages = []
    for stage in detail['stages']:
        item = {'name': stage['name'], 'sequence': stage['sequence'], 'status': stage['status'],
                'start_time': str(stage['start_time']) if stage['start_time'] else None,
                'end_time': str(stage['end_time']) if stage['end_time'] else None}
        if with_ids:
            item['id'] = stage['id']
        stages.append(item)
    build = dict(execution.vendor_data.get('build_params') or {})
    build.setdefault('git_url', pipeline.git_url)
    return {'pipeline_id': pipeline.id, 'pipeline_run_id': detail['id'], 'executor_id': detail['executor_id'],
            'executor_name': detail['executor_name'], 'stage_status_list': stages, 'status': detail['status'],
            'run_number': detail['run_number'], 'trigger_type': 'Manual', 'build_params': build,
            'artifact_params': None, 'start_time': detail['start_time'], 'end_time': detail['end_time'],
            'modify_url': detail_url(config, pipeline).replace('/detail/', '/edit/'), 'detail_url': detail['detail_url']}


def variables(pipeline: Pipeline, latest: Execution | None) -> list[dict[str, t.Any]]:
    """PipelineVariable list (secret values masked)."""
    values = (latest.vendor_data.get('variables') or {}) if latest is not None else {}
    out = []
    for var in pipeline.variables:
        shown = '******' if var.is_secret and var.value else var.value
        last = values.get(var.name)
        out.append({'name': var.name, 'sequence': var.sequence, 'type': var.type, 'value': shown, 'is_secret': var.is_secret,
                    'description': var.description, 'is_runtime': var.is_runtime, 'limits': list(var.limits), 'is_reset': False,
                    'latest_value': None if last is None else ('******' if var.is_secret else last)})
    return out


def definition(pipeline: Pipeline) -> str:
    """The pipeline ``definition`` (a JSON string, as CodeArts returns it)."""
    stages = []
    for stage in pipeline.stages:
        step = {'name': stage.step_name, 'task': stage.task, 'business_type': stage.business_type, 'sequence': 0, 'inputs': [],
                'identifier': hex32('step-identifier', pipeline.id, stage.index), 'multi_step_editable': 0, 'official_task_version': '0.0.5'}
        stages.append({'name': stage.name, 'identifier': hex32('stage-identifier', pipeline.id, stage.index), 'sequence': stage.index,
                       'run_always': False, 'depends_on': [],
                       'pre': [{'task': MANUAL_TRIGGER if stage.waits == 'checkpoint' else AUTO_TRIGGER, 'sequence': 0,
                                'name': stage.checkpoint_name if stage.waits == 'checkpoint' else None}],
                       'post': None,
                       'jobs': [{'name': stage.job_name, 'identifier': 'JOB_%s' % hex32('identifier', pipeline.id, stage.index)[:5],
                                 'sequence': 0, 'condition': '${{ default() }}', 'steps': [step],
                                 'exec_type': 'AGENTLESS_JOB' if stage.waits == 'review' else 'OCTOPUS_JOB'}]})
    return json.dumps({'stages': stages}, separators=(',', ':'))


def log_stamp(value: float) -> str:
    """``2023/11/24 21:49:32.198 GMT+08:00`` (the doc sample's format)."""
    shifted = value + LOG_TIME_ZONE
    return time.strftime('%Y/%m/%d %H:%M:%S', time.gmtime(shifted)) + '.%03d GMT+08:00' % (int(round(shifted * 1000)) % 1000)


def log_lines(execution: Execution, stage: Stage, now: float) -> tuple[list[str], bool]:
    """(lines so far, finished) of the job step of ``stage``: deterministic; a failed step ends with an ``[ERROR]`` line."""
    run = execution.stages[stage.index]
    if run.started_at is None or run.status in (PENDING, SKIPPED):
        return [], run.status == SKIPPED or execution.terminal
    begin = run.started_at
    if stage.waits == 'checkpoint':
        if run.answer is None or not run.answer.approved:
            return [], execution.terminal
        begin = run.answer.at
    name = stage.step_name
    lines = ['[%s] [INFO] [real_stage: %s]: This step starts to be executed.' % (log_stamp(begin), name)]
    if stage.waits == 'review':
        lines.append('[%s] [INFO] [real_stage: %s]: Waiting for manual review: %s' % (log_stamp(begin), name, stage.message))
        review = execution.vendor_data.get('reviews', {}).get(stage.index)
        if review is not None:
            lines.append('[%s] [INFO] [real_stage: %s]: Manual review %s by %s.%s' % (
                log_stamp(run.answer.at if run.answer else begin), name, 'approved' if review['approved'] else 'rejected', review['user'],
                ' ' + review['description'] if review.get('description') else ''))
    end = run.finished_at if run.finished_at is not None else now
    span = max(0.0, (run.ends_at or end) - (run.answer.at if run.answer is not None and stage.waits == 'review' else begin))
    work_start = run.answer.at if run.answer is not None else begin
    total = run.spec.log_lines
    for number in range(total):
        due = work_start + span * (number + 1) / (total + 1)
        if run.finished_at is None and (run.status == WAITING or due > now):
            break
        lines.append('[%s] [INFO] [real_stage: %s]: %s: output line %d of %d' % (log_stamp(due), name, stage.job_name, number + 1, total))
    finished = run.finished_at is not None
    if run.status == FAILED:
        lines.append('[%s] [ERROR] [real_stage: %s]: This step fails to be executed. Error: %s' % (log_stamp(end), name, run.error or 'failed'))
    elif run.status == ABORTED:
        word = 'fails to be executed. Error: manual review rejected' if refused(execution) else 'is canceled.'
        lines.append('[%s] [%s] [real_stage: %s]: This step %s' % (log_stamp(end), 'ERROR' if refused(execution) else 'INFO', name, word))
    elif finished:
        lines.append('[%s] [INFO] [real_stage: %s]: This step is executed successfully.' % (log_stamp(end), name))
    return lines, finished or execution.state in (CANCELLED,)
