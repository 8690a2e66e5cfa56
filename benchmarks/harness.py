# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harness fan-out: one `pipeline_info` task waiting on N running Harness executions against one task per
execution (a loop), each on a simulator of its own. What matters on Harness SaaS is the number of GraphQL
calls (30 per minute per account), so the table shows the calls, and the calls per execution.
"""

from __future__ import annotations

import typing as t

from .common import Simulator, Workspace, table

ACCOUNT = 'kmpySmUISimoRrJL6NL73w'
KEY = 'bench.harness.key.0123456789abcdef'
_START = 'mutation($i: StartExecutionInput!) { startExecution(input: $i) { execution { id } } }'


def _scenario(seconds: float) -> t.Dict[str, t.Any]:
    return {'harness': {'accounts': [{'id': ACCOUNT, 'api_keys': [KEY]}], 'applications': [{'name': 'fan'}]},
            'pipelines': [{'vendor': 'harness', 'name': 'fan/job', 'kind': 'pipeline',
                           'stages': [{'name': 'Work', 'duration': seconds}],
                           # Earlier runs give the typical duration the polls aim at (Harness reports no estimate).
                           'history': [{'result': 'SUCCESS', 'duration': seconds}]}]}


def _graphql(sim: Simulator, query: str, variables: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    response = sim.session.post(sim.url + '/harness/api/graphql', params={'accountId': ACCOUNT},
                                headers={'X-Api-Key': KEY}, json={'query': query, 'variables': dict(variables)})
    response.raise_for_status()
    return t.cast(t.Dict[str, t.Any], response.json()['data'])


def _start(sim: Simulator, count: int) -> t.List[t.Dict[str, t.Any]]:
    app = _graphql(sim, 'query { applicationByName(name: "fan") { id } }', {})['applicationByName']['id']
    pipeline = _graphql(sim, 'query($a: String!) { pipelineByName(pipelineName: "job", applicationId: $a) { id } }',
                        {'a': app})['pipelineByName']['id']
    records = []
    for _index in range(count):
        started = _graphql(sim, _START, {'i': {'applicationId': app, 'entityId': pipeline, 'executionType': 'PIPELINE'}})
        records.append({'vendor': 'harness', 'pipeline': 'fan/job', 'id': started['startExecution']['execution']['id'],
                        'scope': {'application_id': app, 'type': 'PIPELINE'}})
    return records


def _play(records: t.List[t.Dict[str, t.Any]], one_task: bool) -> t.List[t.Dict[str, t.Any]]:
    conn = {'vendor': 'harness', 'api_url': '{{ harness }}', 'account_id': ACCOUNT, 'api_token': KEY,
            'wait': True, 'wait_timeout': 1800}
    if one_task:
        wait: t.Dict[str, t.Any] = {'name': 'One task over all', 'cicd.pipelines.pipeline_info': dict(conn, executions=records)}
    else:
        wait = {'name': 'One task per execution', 'cicd.pipelines.pipeline_info': dict(conn, execution='{{ item }}'),
                'loop': records, 'loop_control': {'label': '{{ item.id }}'}}
    return [{'name': 'harness fan-out', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        wait,
        {'name': 'When the wait returned', 'ansible.builtin.set_fact': {'returned_at': '{{ now().timestamp() }}'}},
        {'name': 'Keep it', 'ansible.builtin.copy': {'content': '{{ returned_at }}', 'dest': '{{ stamp }}'}}]}]


def _measure(workspace: Workspace, count: int, seconds: float, one_task: bool) -> t.Dict[str, t.Any]:
    name = 'harness-%d-%s' % (count, 'one' if one_task else 'each')
    sim = workspace.simulator(name, _scenario(seconds))
    records = _start(sim, count)
    before = len(sim.requests_log(vendor='harness'))
    stamp = workspace.path(name + '.returned')
    run = workspace.playbook(name, _play(records, one_task), {'harness': sim.url + '/harness', 'stamp': stamp})
    calls = sim.requests_log(vendor='harness')[before:]
    with open(stamp, encoding='utf-8') as handle:
        returned = float(handle.read().strip())
    last_end = max(e['finished_at'] for e in sim.executions() if not e.get('history'))
    sim.stop()
    return {'wall': run.wall, 'cpu': run.cpu, 'calls': len(calls), 'per_execution': len(calls) / float(count),
            'per_minute': len(calls) * 60.0 / max(run.wall, 1e-9), 'lag': returned - last_end}


def run(workspace: Workspace, counts: t.Sequence[int], seconds: float, per_execution_up_to: int) -> str:
    rows = []
    for count in counts:
        measured = {}
        for one_task in (True, False):
            if not one_task and count > per_execution_up_to:
                rows.append([count, 'one task per execution', 'skipped', '', '', '', '', ''])
                continue
            measured[one_task] = m = _measure(workspace, count, seconds, one_task)
            rows.append([count, 'one task' if one_task else 'one task per execution', m['wall'], m['cpu'], m['calls'],
                         '%.2f' % m['per_execution'], '%.1f' % m['per_minute'], m['lag']])
        if len(measured) == 2:
            rows.append([count, 'calls: one task / per execution', '', '', '%.2fx' % (
                measured[True]['calls'] / float(max(measured[False]['calls'], 1))), '', '', ''])
    return table('Harness fan-out: waiting on N executions of one pipeline (%g s each, earlier runs known)' % seconds,
                 ['N', 'variant', 'wall s', 'CPU s', 'GraphQL calls', 'calls per execution', 'calls per minute',
                  'returned after last end s'], rows)
