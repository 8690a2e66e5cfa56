# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two playbooks start the same release at the same moment with the same idempotency key: one execution results.

Each round spawns two pipeline_start processes together (as two ansible-playbook runs would) against the
in-process simulator and then counts, in the simulator's own state, the executions of that round that are
active or succeeded. The start request is slowed down by a latency fault, so that both tasks' lookups
before starting find nothing and both really send a start: the simulator's request log shows it, and the
test requires that at least one round of each vendor raced that way (a round where one task saw the other's
execution first proves nothing about the race, but its outcome is checked all the same).

Jenkins coalesces identical queue items, so two requests within the first one's quiet period become one queue
item; a later one becomes a second item. Harness, Buddy and CodeArts start one execution per request. Wherever
two executions exist, the collection reconciles: each task looks the key up once more after its start and the
one whose execution the vendor created later (Jenkins: the higher queue item id) cancels its own
(docs/user_guide.md). The `late` Jenkins rounds make sure that second case is reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import typing as t

import pytest

import ansible_collections.cicd.pipelines as collection
from ansible_collections.cicd.pipelines.tests.simulator import testing as sim
from ansible_collections.cicd.pipelines.tests.simulator.testing import running
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import warnings

PIPELINE = 'shop/build'
ROUNDS = 3
# Real seconds the simulator holds each start request before acting on it: longer than the gap between the two
# processes' lookups, so that neither lookup sees the other's execution.
START_LATENCY = 1.5
# Real seconds more the second start request is held in a `late` round: past the first queue item's quiet period.
LATE = 2.5
# The simulator's operation label of each vendor's start request (docs/simulator.md).
START_OPERATION = {'jenkins': r'build|buildWithParameters', 'harness': r'startExecution', 'buddy': r'run', 'codearts': r'run'}
# Engine states of an execution that stands for the release (not cancelled, aborted or failed).
STANDING = ('queued', 'running', 'waiting', 'succeeded')
# The directory holding ansible_collections/, for the module processes' PYTHONPATH.
TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(list(collection.__path__)[0]))))


def connection(vendor: str, handle: t.Any) -> t.Dict[str, t.Any]:
    """Module options that reach `vendor` in the simulator with the demo credentials."""
    options: t.Dict[str, t.Any] = {'vendor': vendor, 'request_timeout': 20, 'wait_timeout': 60, 'wait_interval': 0.2,
                                   'wait_max_interval': 0.5}
    if vendor == 'jenkins':
        options.update(api_url=handle.jenkins_url, username=sim.ADMIN_USER, api_token=sim.ADMIN_TOKEN)
    elif vendor == 'harness':
        options.update(api_url=handle.harness_url, account_id=sim.HARNESS_ACCOUNT_ID, api_token=sim.HARNESS_API_KEY)
    elif vendor == 'buddy':
        options.update(api_url=handle.buddy_url, workspace=sim.BUDDY_WORKSPACE, project=sim.BUDDY_PROJECT, api_token=sim.BUDDY_TOKEN)
    else:
        options.update(api_url=handle.codearts_url, project_id=sim.CODEARTS_PROJECT_ID, access_key=sim.CODEARTS_AK,
                       secret_key=sim.CODEARTS_SK)
    return options


def run_module(args: t.Mapping[str, t.Any], barrier: threading.Barrier) -> t.Dict[str, t.Any]:
    """pipeline_start in a process of its own, spawned once the other racer is ready too; its JSON result."""
    env = dict(os.environ, PYTHONPATH=TREE, ANSIBLE_NOCOLOR='1')
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
        env.pop(name, None)
    barrier.wait(timeout=30)
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.cicd.pipelines.plugins.modules.pipeline_start'],
                          input=json.dumps({'ANSIBLE_MODULE_ARGS': dict(args)}), capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    try:
        return t.cast(t.Dict[str, t.Any], json.loads(proc.stdout))
    except ValueError:
        return {'failed': True, 'msg': 'no JSON result (exit %d): %s' % (proc.returncode, proc.stderr[-500:])}


def race(args: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
    """Two tasks with the same arguments, started at the same moment; their results."""
    barrier = threading.Barrier(2)
    results: t.List[t.Dict[str, t.Any]] = [{}, {}]

    def one(index: int) -> None:
        results[index] = run_module(args, barrier)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


@pytest.mark.parametrize('vendor, late', [('jenkins', False), ('jenkins', True), ('harness', False), ('buddy', False), ('codearts', False)],
                         ids=['jenkins', 'jenkins-after-the-quiet-period', 'harness', 'buddy', 'codearts'])
def test_two_tasks_starting_the_same_key_at_once_leave_one_execution(vendor: str, late: bool) -> None:
    """`late`: the second start request is held until the first one's queue item has left the Jenkins queue (the
    job's quiet period is 1 s in the demo scenario), so Jenkins cannot merge them and the collection reconciles."""
    raced = merged = 0
    with running(speed=1) as handle:
        for number in range(ROUNDS):
            version = '7.%d.%d' % (number, late)
            key = 'race-%s-%d-%d' % (vendor, number, late)
            handle.clear_requests()
            for latency in ([START_LATENCY, START_LATENCY + LATE] if late else [START_LATENCY, START_LATENCY]):
                handle.add_fault({'vendor': vendor, 'method': 'POST', 'operation': START_OPERATION[vendor], 'times': 1,
                                  'action': {'latency': latency}})
            results = race(dict(connection(vendor, handle), pipeline=PIPELINE, parameters={'VERSION': version},
                                idempotency_key=key))
            handle.clear_faults()
            sent = len(handle.requests(vendor=vendor, method='POST', operation=START_OPERATION[vendor]))
            raced += sent == 2

            assert [r.get('msg') for r in results if r.get('failed')] == []
            mine = [e for e in handle.executions(vendor=vendor, pipeline=PIPELINE) if e['parameters'].get('VERSION') == version]
            standing = [e for e in mine if e['state'] in STANDING]
            # The outcome: one execution of the release, whatever the timing was.
            assert len(standing) == 1, (vendor, number, sent, mine, results)
            # Both tasks return it (a Jenkins queue item found by the lookup has no build number yet: its queue id
            # names it), and it carries the key.
            named = {r['execution']['id'] or 'queue item %s' % r['execution']['scope'].get('queue_id') for r in results}
            assert len(named) == 1, results
            assert {r['execution']['idempotency_key'] for r in results} == {key}
            assert all(r['execution']['status'] not in ('aborted', 'failed') for r in results)
            told = [w for r in results for w in warnings(r) if 'another task started the same release' in w]
            if vendor == 'jenkins' and len(mine) == 1:
                # Jenkins merged the two identical queue items (the second request came within the first one's quiet
                # period): nothing was started twice, nothing to cancel. Each task that sent the request reports
                # changed=true: Jenkins answers both alike and does not say it merged them.
                assert told == []
                assert sorted(r['changed'] for r in results) == ([True, True] if sent == 2 else [False, True])
                merged += 1
                continue
            # Only one task says it changed something.
            assert sorted(r['changed'] for r in results) == [False, True]
            if sent == 2:
                # Both executions existed; the later one was cancelled by the task that started it, which said so.
                assert len(mine) == 2, mine
                assert len(told) == 1 and 'key %s' % key in told[0], told
                loser = next(r for r in results if warnings(r))
                assert loser['changed'] is False and 'returns %s' % PIPELINE in told[0]
    # At least one round must have been a real race (both tasks sent a start), or the test proved nothing.
    assert raced >= 1, 'no round of %s raced: every time one task saw the other\'s execution before starting' % vendor
    if late:
        assert merged == 0, 'Jenkins merged a start request that came after the quiet period'
