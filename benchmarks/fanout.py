# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fan-out: one `pipeline_info` task waiting on N running builds (of a few jobs) against one task per
build (a loop), on a simulator of its own each: wall, CPU seconds of everything the play ran,
requests, peak RSS of a module process, and how long after the last build's end the wait returned.
"""

from __future__ import annotations

import concurrent.futures
import typing as t

from .common import ADMIN, Simulator, Workspace, table

JOBS = 4


def _scenario(jobs: int, seconds: float) -> t.Dict[str, t.Any]:
    return {'pipelines': [{'vendor': 'jenkins', 'name': 'fan/job%d' % j, 'quiet_period': 0, 'concurrent': True,
                           'stages': [{'name': 'Work', 'duration': seconds}],
                           'history': [{'result': 'SUCCESS', 'duration': seconds}]} for j in range(jobs)]}


def _start(sim: Simulator, count: int, jobs: int) -> t.List[t.Dict[str, t.Any]]:
    names = ['fan/job%d' % (n % jobs) for n in range(count)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(sim.build, names))
    started = [e for e in sim.executions() if e['trigger']['kind'] == 'user']
    return [{'vendor': 'jenkins', 'pipeline': e['pipeline'], 'id': str(e['number'])} for e in started]


def _play(records: t.List[t.Dict[str, t.Any]], one_task: bool) -> t.List[t.Dict[str, t.Any]]:
    conn = {'vendor': 'jenkins', 'api_url': '{{ jenkins }}', 'username': ADMIN[0], 'api_token': ADMIN[1],
            'wait': True, 'wait_timeout': 1800}
    if one_task:
        wait: t.Dict[str, t.Any] = {'name': 'One task over all', 'cicd.pipelines.pipeline_info': dict(conn, executions=records)}
    else:
        wait = {'name': 'One task per build', 'cicd.pipelines.pipeline_info': dict(conn, execution='{{ item }}'),
                'loop': records, 'loop_control': {'label': '{{ item.pipeline }} #{{ item.id }}'}}
    return [{'name': 'fan-out', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        wait,
        {'name': 'When the wait returned', 'ansible.builtin.set_fact': {'returned_at': '{{ now().timestamp() }}'}},
        {'name': 'Keep it', 'ansible.builtin.copy': {'content': '{{ returned_at }}', 'dest': '{{ stamp }}'}}]}]


def _measure(workspace: Workspace, count: int, seconds: float, one_task: bool) -> t.Dict[str, t.Any]:
    name = 'fan-%d-%s' % (count, 'one' if one_task else 'each')
    sim = workspace.simulator(name, _scenario(min(JOBS, count), seconds))
    records = _start(sim, count, min(JOBS, count))
    before = len(sim.requests_log(vendor='jenkins'))
    stamp = workspace.path(name + '.returned')
    run = workspace.playbook(name, _play(records, one_task), {'jenkins': sim.jenkins, 'stamp': stamp}, measure_rss=True)
    with open(stamp, encoding='utf-8') as handle:
        returned = float(handle.read().strip())
    last_end = max(e['finished_at'] for e in sim.executions() if e['trigger']['kind'] == 'user')
    requests = len(sim.requests_log(vendor='jenkins')) - before
    sim.stop()
    return {'wall': run.wall, 'cpu': run.cpu, 'requests': requests, 'per_execution': requests / float(count),
            'rss': run.peak_rss_mb, 'lag': returned - last_end}


def run(workspace: Workspace, counts: t.Sequence[int], seconds: float, per_execution_up_to: int) -> str:
    rows = []
    for count in counts:
        for one_task in (True, False):
            if not one_task and count > per_execution_up_to:
                rows.append([count, 'one task per build', 'skipped (--quick)', '', '', '', '', ''])
                continue
            m = _measure(workspace, count, seconds, one_task)
            rows.append([count, 'one task' if one_task else 'one task per build', m['wall'], m['cpu'], m['requests'],
                         '%.2f' % m['per_execution'], '%.0f' % m['rss'], m['lag']])
    return table('Fan-out: waiting on N builds of %d jobs (%g s each, estimate known)' % (JOBS, seconds),
                 ['N', 'variant', 'wall s', 'CPU s', 'requests', 'requests per build', 'peak module RSS MB',
                  'returned after last end s'], rows)
