# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-task overhead: a play of N `pipeline_info` tasks (no wait) against N `ansible.builtin.uri` GETs
of the same build and N `ansible.builtin.ping`s (the floor: no HTTP), interleaved over a few rounds,
medians compared."""

from __future__ import annotations

import typing as t

from .common import ADMIN, Workspace, median, table

SCENARIO = {'pipelines': [{'vendor': 'jenkins', 'name': 'bench/info', 'quiet_period': 0,
                           'stages': [{'name': 'Work', 'duration': 30}],
                           'history': [{'result': 'SUCCESS', 'duration': 30}]}]}


def _play(kind: str, tasks: int) -> t.List[t.Dict[str, t.Any]]:
    if kind == 'pipeline_info':
        task: t.Dict[str, t.Any] = {'cicd.pipelines.pipeline_info': {
            'vendor': 'jenkins', 'api_url': '{{ jenkins }}', 'username': ADMIN[0], 'api_token': ADMIN[1],
            'pipeline': 'bench/info', 'execution_id': '1'}}
    elif kind == 'uri':
        task = {'ansible.builtin.uri': {'url': '{{ jenkins }}/job/bench/job/info/1/api/json', 'url_username': ADMIN[0],
                                        'url_password': ADMIN[1], 'force_basic_auth': True}}
    else:
        task = {'ansible.builtin.ping': {}}
    return [{'name': kind, 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [dict(task, name='%s %d' % (kind, n)) for n in range(tasks)]}]


def run(workspace: Workspace, tasks: int, rounds: int) -> str:
    sim = workspace.simulator('per-task', SCENARIO)
    walls: t.Dict[str, t.List[float]] = {'pipeline_info': [], 'uri': [], 'ping': []}
    for _round in range(rounds):
        for kind in walls:
            walls[kind].append(workspace.playbook('per-task-' + kind, _play(kind, tasks), {'jenkins': sim.jenkins}).wall)
    info, uri, ping = (median(walls[k]) for k in ('pipeline_info', 'uri', 'ping'))
    rows = [[kind, tasks, median(walls[kind]), median(walls[kind]) / tasks] for kind in walls]
    rows.append(['pipeline_info / uri', '', '%.2fx' % (info / uri), ''])
    rows.append(['pipeline_info / ping', '', '%.2fx' % (info / ping), ''])
    return table('Per-task overhead (%d tasks a play, median of %d rounds)' % (tasks, rounds),
                 ['play', 'tasks', 'wall s', 's per task'], rows)
