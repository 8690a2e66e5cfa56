# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Wait efficiency: `pipeline_start` + `wait` against a hand-written `ansible.builtin.uri` + `until`
loop (`delay: 5`, the usual copy-paste), on the same simulated executions, run side by side.

Each variant has a simulator of its own (every request in its log is the variant's). Per variant:
- requests: every HTTP request of the play; `wait requests`: those after the build started (the
  polling itself, plus the module's final full read);
- detection lag: from the build's end (the simulator's own record) to the first request that saw
  it ended;
- wall: the play's duration.
The module runs with its defaults. "with estimate": the job has finished builds, so Jenkins reports
`estimatedDuration`; "no estimate": the job never ran before.
"""

from __future__ import annotations

import concurrent.futures
import typing as t

from .common import ADMIN, Simulator, Workspace, table

UNTIL_DELAY = 5


def _scenario(name: str, seconds: float, history: bool) -> t.Dict[str, t.Any]:
    pipeline: t.Dict[str, t.Any] = {'vendor': 'jenkins', 'name': name, 'quiet_period': 0, 'concurrent': True,
                                    # The recommended set-up: the idempotency key travels as a build parameter.
                                    'parameters': [{'name': 'CICD_IDEMPOTENCY_KEY', 'default': ''}],
                                    'stages': [{'name': 'Build', 'duration': seconds * 0.4},
                                               {'name': 'Deploy', 'duration': seconds * 0.6}]}
    if history:
        pipeline['history'] = [{'result': 'SUCCESS', 'duration': seconds} for _index in range(3)]
    return {'pipelines': [pipeline]}


def _module_play(job: str) -> t.List[t.Dict[str, t.Any]]:
    return [{'name': 'pipeline_start + wait', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Start and wait', 'cicd.pipelines.pipeline_start': {
            'vendor': 'jenkins', 'api_url': '{{ jenkins }}', 'username': ADMIN[0], 'api_token': ADMIN[1],
            'pipeline': job, 'idempotency_key': 'bench-release-1', 'wait': True, 'wait_timeout': 1800}}]}]


def _uri_play(job: str) -> t.List[t.Dict[str, t.Any]]:
    """What users write by hand today: POST, follow the queue item, poll the build until it has a result."""
    auth = {'url_username': ADMIN[0], 'url_password': ADMIN[1], 'force_basic_auth': True}
    path = ''.join('/job/' + part for part in job.split('/'))
    return [{'name': 'uri + until', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Trigger', 'ansible.builtin.uri': dict(auth, url='{{ jenkins }}%s/buildWithParameters' % path, method='POST',
                                                          status_code=201), 'register': 'queued'},
        {'name': 'Wait for the build number', 'ansible.builtin.uri': dict(
            auth, url="{{ queued.location }}api/json"),
         'register': 'item', 'until': 'item.json.executable.number is defined', 'retries': 60, 'delay': 1},
        {'name': 'Wait for the result', 'ansible.builtin.uri': dict(
            auth, url='{{ jenkins }}%s/{{ item.json.executable.number }}/api/json' % path),
         'register': 'build', 'until': 'build.json.result is not none', 'retries': 400, 'delay': UNTIL_DELAY}]}]


def _measure(workspace: Workspace, sim: Simulator, job: str, variant: str) -> t.Dict[str, t.Any]:
    play = _module_play(job) if variant == 'module' else _uri_play(job)
    run = workspace.playbook('wait-%s-%s' % (variant, sim.url.rsplit(':', 1)[-1]), play, {'jenkins': sim.jenkins})
    builds = [e for e in sim.executions() if e['pipeline'] == job and e['trigger']['kind'] == 'user']
    build = builds[-1]
    log = sim.requests_log(vendor='jenkins')
    number_path = '/%s/' % build['number']
    after_end = [r for r in log if r['time'] >= build['finished_at'] and number_path in r['path'] + '/']
    lag = after_end[0]['time'] - build['finished_at'] if after_end else float('nan')
    return {'requests': len(log), 'wait_requests': len([r for r in log if r['time'] >= build['started_at']]),
            'lag': lag, 'wall': run.wall}


def run(workspace: Workspace, durations: t.Sequence[float]) -> str:
    """Every (duration, estimate?, variant) at once, each on its own simulator; one table."""
    cases = [(seconds, history) for seconds in durations for history in (True, False)]
    jobs: t.Dict[t.Tuple[float, bool, str], t.Any] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(cases) * 2) as pool:
        for seconds, history in cases:
            for variant in ('module', 'uri'):
                sim = workspace.simulator('wait-%d-%s-%s' % (seconds, history, variant),
                                          _scenario('bench/wait', seconds, history))
                jobs[(seconds, history, variant)] = pool.submit(_measure, workspace, sim, 'bench/wait', variant)
    rows = []
    for seconds, history in cases:
        mod, uri = jobs[(seconds, history, 'module')].result(), jobs[(seconds, history, 'uri')].result()
        rows.append(['%d s, %s' % (seconds, 'with estimate' if history else 'no estimate'),
                     '%d (%d)' % (mod['requests'], mod['wait_requests']), '%d (%d)' % (uri['requests'], uri['wait_requests']),
                     '%.2f' % (mod['wait_requests'] / float(uri['wait_requests'])),
                     mod['lag'], uri['lag'], mod['wall'], uri['wall']])
    return table('Wait: pipeline_start + wait vs uri + until (delay %d)' % UNTIL_DELAY,
                 ['execution', 'module requests (while running)', 'uri requests (while running)',
                  'ratio while running', 'module lag s', 'uri lag s', 'module wall s', 'uri wall s'], rows)
