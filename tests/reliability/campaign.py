# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fault campaign: releases through the modules, against the simulator, with faults on a fraction of requests.

    python -m tests.reliability.campaign                      # 10 releases per vendor at 25 % and at 50 % faults
    python -m tests.reliability.campaign --releases 2 --seed 7 --rates 0.5 --vendors buddy,jenkins

For every landed vendor (all at once, one thread each) and every fault rate (one after the other), N
releases run as a release playbook would run them, one module process per task:

    pipeline_start (idempotency key, wait until waiting or ended) -> the first run fails its test stage
    -> pipeline_retry (wait) -> the run waits at its approval -> pipeline_input approves (wait) -> succeeded

A task that fails for any reason other than the pipeline's status (retries used up, a lookup that could
not decide) is handled as a user would: the release is run again from the start, with the same key,
up to `--reruns` times. That is the point of the idempotency keys, and the campaign proves it is safe.

Faults come from the simulator's seeded `probability` rules (docs/simulator.md), built so that each
request meets a fault with probability `rate`, shared equally among the kinds: 5xx; 429 with
Retry-After, bare, and in the vendor's own shape (rate-limit headers/body); latency beyond the request
timeout (the simulator acts after the client has given up); a reset before the response; and, for
requests that change something, commit-then-drop (the simulator acts, the client hears nothing). On
top, one 10-second outage per vendor and rate (connections refused, through a relay) in the middle
of the wait for the first release's deploy.

The verdict is read from the simulator's own state, not from what the modules report: it passes only
when every release ends succeeded, there are zero duplicate executions (no second success, nothing
left running beside the release, no execution retried twice; see `judge`), every gate was answered
exactly once, and no output holds a traceback. It prints a table per rate and exits non-zero on any failure. The seed makes the fault
draws reproducible (the same requests in the same order get the same faults).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import typing as t

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENDORS = ('jenkins', 'harness', 'buddy', 'codearts')
REQUEST_TIMEOUT = 2.0
STOPS = ['waiting', 'succeeded', 'unstable', 'failed', 'aborted', 'rejected', 'expired', 'skipped']
# (kind, action): each request draws one of these with probability rate / len(kinds for its method).
KINDS: t.Tuple[t.Tuple[str, t.Dict[str, t.Any]], ...] = (
    ('5xx', {'status': 503, 'body': 'Service Temporarily Unavailable'}),
    ('429 Retry-After', {'rate_limit': True, 'retry_after': 1}),
    ('429 bare', {'rate_limit': True}),
    ('429 vendor', {'rate_limit': True, 'limit': 100, 'remaining': 0, 'reset_after': 1}),
    ('timeout', {'latency': REQUEST_TIMEOUT + 1.0}),
    ('reset', {'reset': True}),
)
TIMEOUT = KINDS[4]
COMMIT_DROP = ('commit-drop', {'commit_then_drop': True})
METHODS = ('GET', 'POST', 'PATCH', 'PUT', 'DELETE')
# The simulator's operation labels (docs/simulator.md) of each vendor's start, retry and approval. Besides the
# random draws, release N of a rate meets, on each of the three, a commit-then-drop or a timeout after which
# the simulator still acts (alternating with N and the rate), so both always happen in a campaign.
MUTATIONS: t.Dict[str, t.Dict[str, str]] = {
    'jenkins': {'start': r'build|buildWithParameters', 'retry': r'restart|restartPipeline|rebuild|replay',
                'approve': r'input\..*|inputSubmit'},
    'harness': {'start': r'startExecution', 'retry': r'resumeExecution', 'approve': r'approveOrRejectApprovals|pipelineResumeRuntime'},
    'buddy': {'start': r'run', 'retry': r'patch\.retry', 'approve': r'patch\.(approve|set_variables)'},
    'codearts': {'start': r'run', 'retry': r'retry', 'approve': r'review\.pass|checkpoint\.pass'},
}
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|unexpected error')


def fault_rules(vendor: str, rate: float, seed: int, releases: int, rate_index: int) -> t.Tuple[t.List[t.Dict[str, t.Any]], t.Dict[int, str]]:
    """The vendor's fault rules for `rate`, and the kind of each rule by its position.

    First the certain ones: release N's start, retry and approval each meet a commit-then-drop or a
    timeout (the simulator acts after the client gave up), alternating with N and `rate_index`; each
    rule hits once, so the N-th start meets release N's rule. Then the random draws: per method, rule i
    of k gets probability s / (1 - i*s) with s = rate / k, so a request passes the earlier rules' draws
    with probability 1 - i*s, each kind hits a fraction s of the requests and a fault of some kind a
    fraction `rate`. Requests that change something also draw commit-then-drop.
    """
    rules: t.List[t.Dict[str, t.Any]] = []
    kinds: t.Dict[int, str] = {}
    for number in range(1, releases + 1):
        kind, action = (COMMIT_DROP, TIMEOUT)[(number - 1 + rate_index) % 2]
        for label in MUTATIONS[vendor].values():
            kinds[len(rules)] = kind
            rules.append({'vendor': vendor, 'operation': label, 'times': 1, 'action': dict(action)})
    for m_index, method in enumerate(METHODS):
        chain = list(KINDS) + ([COMMIT_DROP] if method != 'GET' else [])
        share = rate / len(chain)
        for index, (kind, action) in enumerate(chain):
            kinds[len(rules)] = kind
            rules.append({'vendor': vendor, 'method': method, 'times': None, 'probability': min(1.0, share / (1 - index * share)),
                          'seed': seed * 1000 + VENDORS.index(vendor) * 100 + m_index * 10 + index, 'action': dict(action)})
    return rules, kinds


def scenario(releases: int) -> t.Dict[str, t.Any]:
    """The demo scenario's accounts, and one pipeline per release and vendor: camp/rel-NN.

    Each pipeline fails its Test stage once (so every release needs exactly one retry), then waits at
    an approval before Deploy. One pipeline per release keeps the releases' counts apart.
    """
    import yaml  # pylint: disable=import-outside-toplevel

    with open(os.path.join(ROOT, 'tests', 'simulator', 'scenarios', 'demo.yml'), encoding='utf-8') as handle:
        data = yaml.safe_load(handle)
    data['speed'] = 10.0
    data['harness']['applications'].append({'name': 'camp'})
    data['buddy']['workspaces'][0]['projects'].append({'name': 'camp', 'display_name': 'Campaign'})
    pipelines = []
    for vendor in VENDORS:
        for number in range(1, releases + 1):
            parameters: t.List[t.Dict[str, t.Any]] = [{'name': 'VERSION', 'type': 'string', 'default': '0.0.0'}]
            gate: t.Dict[str, t.Any] = {'kind': 'approval', 'message': 'Release?'}
            pipeline: t.Dict[str, t.Any] = {'vendor': vendor, 'name': 'camp/rel-%02d' % number}
            if vendor == 'jenkins':
                parameters.append({'name': 'CICD_IDEMPOTENCY_KEY', 'type': 'string', 'default': ''})
                gate = {'id': 'Release', 'message': 'Release?', 'ok': 'Proceed'}
                pipeline.update(kind='pipeline', declarative=True, quiet_period=1)
            pipeline['parameters'] = parameters
            # The first release deploys for 15 real seconds: the outage comes in the middle of that wait.
            pipeline['stages'] = [{'name': 'Prepare', 'duration': 1}, {'name': 'Test', 'duration': 1, 'fail_times': 1},
                                  {'name': 'Release', 'gate': gate}, {'name': 'Deploy', 'duration': 150 if number == 1 else 1}]
            pipelines.append(pipeline)
    data['pipelines'] = pipelines
    return data


def connection(vendor: str, base: str) -> t.Dict[str, t.Any]:
    """Module options that reach `vendor` through `base` (the vendor's relay), with the demo credentials."""
    from ansible_collections.cicd.pipelines.tests.simulator import testing as sim  # pylint: disable=import-outside-toplevel

    common: t.Dict[str, t.Any] = {'vendor': vendor, 'api_url': '%s/%s' % (base, vendor), 'request_timeout': REQUEST_TIMEOUT,
                                  'wait_interval': 0.3, 'wait_max_interval': 1.0, 'wait_timeout': 300}
    if vendor == 'jenkins':
        common.update(username=sim.ADMIN_USER, api_token=sim.ADMIN_TOKEN)
    elif vendor == 'harness':
        common.update(account_id=sim.HARNESS_ACCOUNT_ID, api_token=sim.HARNESS_API_KEY)
    elif vendor == 'buddy':
        common.update(workspace=sim.BUDDY_WORKSPACE, project='camp', api_token=sim.BUDDY_TOKEN)
    else:
        common.update(project_id=sim.CODEARTS_PROJECT_ID, access_key=sim.CODEARTS_AK, secret_key=sim.CODEARTS_SK)
    return common


class TaskFailed(Exception):
    """A module run failed (its msg), other than by the pipeline's own status."""


@dataclasses.dataclass
class Tally:
    """What one vendor's releases at one rate did, from the client's side."""

    tasks: int = 0
    reruns: int = 0
    retries: int = 0
    tracebacks: t.List[str] = dataclasses.field(default_factory=list)
    failures: t.List[str] = dataclasses.field(default_factory=list)
    finals: t.Dict[str, str] = dataclasses.field(default_factory=dict)


class Runner:
    """Runs one module task per process, as ansible-playbook does, and reads its JSON result.

    With `verbose`, each task prints one line when it ends: vendor, module, seconds, outcome."""

    def __init__(self, tree: str, verbose: bool = False) -> None:
        self.env = dict(os.environ, PYTHONPATH=tree, ANSIBLE_NOCOLOR='1')
        for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
            self.env.pop(name, None)
        self.verbose = verbose

    def run(self, tally: Tally, module: str, args: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        began = time.monotonic()
        try:
            result = self._run(tally, module, args)
        except TaskFailed as exc:
            self._say(args, module, began, 'FAILED %s' % exc)
            raise
        execution = result.get('execution') or {}
        self._say(args, module, began, '%s %s%s' % (execution.get('id'), execution.get('status'), ' changed' if result.get('changed') else ''))
        return result

    def _say(self, args: t.Mapping[str, t.Any], module: str, began: float, what: str) -> None:
        if self.verbose:
            pipeline = args.get('pipeline') or (args.get('execution') or {}).get('pipeline')
            print('  %-8s %-14s %-12s %5.1fs %s' % (args.get('vendor'), module, pipeline, time.monotonic() - began, what[:300]), flush=True)

    def _run(self, tally: Tally, module: str, args: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
        tally.tasks += 1
        proc = subprocess.run([sys.executable, '-m', 'ansible_collections.cicd.pipelines.plugins.modules.%s' % module],
                              input=json.dumps({'ANSIBLE_MODULE_ARGS': dict(args)}), capture_output=True, text=True,
                              env=self.env, timeout=900, check=False)
        for stream in (proc.stdout, proc.stderr):
            if TRACEBACK.search(stream):
                tally.tracebacks.append('%s: %s' % (module, stream.strip()[-500:]))
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            raise TaskFailed('%s printed no JSON result (exit %d): %s' % (module, proc.returncode, proc.stderr.strip()[-300:])) from None
        for warning in result.get('warnings') or []:
            text = warning.get('event', {}).get('msg', '') if isinstance(warning, dict) else str(warning)
            if 'were retried' in text:
                tally.retries += sum(int(n) for n in re.findall(r'(\d+) after ', text))
        if result.get('failed'):
            raise TaskFailed('%s: %s' % (module, result.get('msg')))
        return result


def release(runner: Runner, tally: Tally, conn: t.Mapping[str, t.Any], pipeline: str, key: str, version: str,
            reruns: int, on_wait: t.Callable[[], None]) -> None:
    """One release, run again from the start (same key) when a task fails, as a user re-runs a playbook."""
    last = ''
    for run in range(reruns + 1):
        if run:
            tally.reruns += 1
        try:
            result = runner.run(tally, 'pipeline_start', dict(conn, pipeline=pipeline, parameters={'VERSION': version},
                                                              idempotency_key=key, wait_for=STOPS, fail_on=[]))
            retried = False
            while True:
                execution = result['execution']
                if execution['status'] == 'waiting':
                    gate = execution['pending_inputs'][0]
                    on_wait()
                    result = runner.run(tally, 'pipeline_input', dict(conn, execution=execution, input_id=gate['id'], action='approve',
                                                                      wait_for=STOPS, fail_on=[]))
                elif execution['status'] == 'failed' and not retried:
                    retried = True
                    result = runner.run(tally, 'pipeline_retry', dict(conn, execution=execution, wait_for=STOPS, fail_on=[]))
                else:
                    tally.finals[pipeline] = execution['status']
                    return
        except TaskFailed as exc:
            last = str(exc)
            tally.failures.append('%s run %d: %s' % (pipeline, run + 1, last))
    tally.finals[pipeline] = 'gave up: ' + last


@dataclasses.dataclass
class Verdict:
    """One vendor at one rate: the client's tally and what the simulator's state says."""

    vendor: str
    rate: float
    releases: int
    tally: Tally
    requests: int = 0
    faults: t.Dict[str, int] = dataclasses.field(default_factory=dict)
    duplicates: int = 0
    wrong: t.List[str] = dataclasses.field(default_factory=list)
    gate_problems: t.List[str] = dataclasses.field(default_factory=list)
    outages: int = 0

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.wrong or self.gate_problems or self.tally.tracebacks)


def judge(handle: t.Any, vendor: str, releases: int, in_place: bool) -> t.Tuple[int, t.List[str], t.List[str]]:
    """Duplicates, wrong final states and gate problems, from the simulator's executions.

    A duplicate is an execution that should not exist: one submitted while another execution of the
    release had not ended (two at once), a second one that succeeded, one left queued, running or
    waiting, or a second retry of the same execution (in place: more than one extra attempt; else more
    than one execution continuing the same origin). An execution that had failed before the next one
    was submitted is not one: when a task failed after its start had failed, running the release again
    starts afresh, because a failed execution does not hold the key.
    """
    duplicates, wrong, gates = 0, [], []
    for number in range(1, releases + 1):
        pipeline = 'camp/rel-%02d' % number
        runs = [e for e in handle.executions(vendor=vendor, pipeline=pipeline) if not e['history']]
        succeeded = [e for e in runs if e['state'] == 'succeeded']
        left = [e for e in runs if e['state'] in ('queued', 'running', 'waiting')]
        if in_place:
            retried_twice = sum(max(0, e['attempts'] - 2) for e in runs)
        else:
            origins = [e['trigger']['origin_id'] for e in runs if e['trigger'].get('origin_id') is not None]
            retried_twice = len(origins) - len(set(origins))
        at_once = sum(1 for b in runs if any(a is not b and (a['submitted_at'], a['id']) < (b['submitted_at'], b['id'])
                                             and (a['finished_at'] is None or a['finished_at'] > b['submitted_at']) for a in runs))
        extra = max(max(0, len(succeeded) - 1) + len(left), at_once) + retried_twice
        duplicates += extra
        if extra:
            wrong.append('%s: duplicates: %s' % (pipeline, '; '.join(
                'id %s %s attempts %s trigger %s params %s' % (e['id'], e['state'], e['attempts'], e['trigger'], e['parameters'])
                for e in runs)))
        if not succeeded:
            wrong.append('%s: %s' % (pipeline, 'no execution' if not runs else 'none succeeded (%s)' % ', '.join(e['state'] for e in runs)))
        answers = sum(s['answers'] for e in runs for s in e['stages'] if s['name'] == 'Release')
        if answers != 1:
            gates.append('%s: the gate was answered %d times' % (pipeline, answers))
    return duplicates, wrong, gates


def campaign_at(handle: t.Any, runner: Runner, vendors: t.Sequence[str], rate: float, rate_index: int, releases: int, seed: int,
                outage: float, reruns: int) -> t.List[Verdict]:
    """Every vendor at one rate, in parallel; the simulator is reset first."""
    from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation  # pylint: disable=import-outside-toplevel
    from ansible_collections.cicd.pipelines.plugins.module_utils._registry import backend_class  # pylint: disable=import-outside-toplevel
    from ansible_collections.cicd.pipelines.tests.reliability.relay import Relay  # pylint: disable=import-outside-toplevel

    handle.reset()
    handle.clear_faults()
    kinds_by_rule: t.Dict[str, t.Dict[int, str]] = {}
    for vendor in vendors:
        rules, kinds = fault_rules(vendor, rate, seed, releases, rate_index)
        created = handle.add_fault(rules)
        kinds_by_rule[vendor] = {rule['id']: kinds[i] for i, rule in enumerate(created)}
    verdicts = {v: Verdict(vendor=v, rate=rate, releases=releases, tally=Tally()) for v in vendors}
    relays = {v: Relay(handle.port) for v in vendors}

    def drive(vendor: str) -> None:
        conn = connection(vendor, relays[vendor].url)
        tally = verdicts[vendor].tally
        for number in range(1, releases + 1):
            timers: t.List[threading.Timer] = []

            def outage_during_wait(timers: t.List[threading.Timer] = timers,  # pylint: disable=dangerous-default-value
                                   first: bool = number == 1) -> None:
                # Once per vendor and rate: the network goes away two seconds into the wait for the first
                # release's 15-second deploy, and comes back before it ends. (`timers` is bound per release on purpose.)
                if first and outage > 0 and not timers:
                    timers.append(threading.Timer(2.0, relays[vendor].outage, args=(outage,)))
                    timers[0].start()
            release(runner, tally, conn, 'camp/rel-%02d' % number, 'camp-%s-%d-rel-%02d' % (int(rate * 100), seed, number),
                    '1.%d.%d' % (int(rate * 100), number), reruns, outage_during_wait)
            for timer in timers:
                timer.join()

    threads = [threading.Thread(target=drive, args=(v,), name='campaign-%s' % v) for v in vendors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rules = handle.faults()  # before clearing them: their hits are the faults injected
    handle.clear_faults()
    log = handle.requests()
    for vendor in vendors:
        verdict = verdicts[vendor]
        verdict.requests = sum(1 for entry in log if entry['vendor'] == vendor)
        for rule in rules:
            kind = kinds_by_rule[vendor].get(rule['id'])
            if kind:
                verdict.faults[kind] = verdict.faults.get(kind, 0) + rule['hits']
        verdict.outages = relays[vendor].outages
        relays[vendor].close()
        in_place = Operation.RETRY in backend_class(vendor).in_place
        verdict.duplicates, verdict.wrong, verdict.gate_problems = judge(handle, vendor, releases, in_place)
        for pipeline, final in sorted(verdict.tally.finals.items()):
            if final != 'succeeded' and not any(w.startswith(pipeline + ':') for w in verdict.wrong):
                verdict.wrong.append('%s: the modules reported %s' % (pipeline, final))
    return [verdicts[v] for v in vendors]


def table(verdicts: t.Sequence[Verdict], outage: float) -> str:
    """The campaign's table (Markdown, so it can go into docs/reliability.md as it is)."""
    kinds = [k for k, _a in KINDS] + [COMMIT_DROP[0]]
    header = ['vendor', 'faults', 'releases', 'requests'] + kinds + ['outage', 'retried', 'tasks', 'reruns', 'duplicates',
                                                                     'wrong final states', 'gates not answered once', 'tracebacks']
    rows = []
    for v in verdicts:
        injected = sum(v.faults.values())
        rows.append([v.vendor, '%d%% (%d%% seen)' % (v.rate * 100, round(100.0 * injected / max(1, v.requests))), v.releases, v.requests]
                    + [v.faults.get(k, 0) for k in kinds]
                    + ['%d x %gs' % (v.outages, outage), v.tally.retries, v.tally.tasks, v.tally.reruns, v.duplicates, len(v.wrong),
                       len(v.gate_problems), len(v.tally.tracebacks)])
    lines = ['| %s |' % ' | '.join(header), '|%s' % ('---|' * len(header))]
    lines += ['| %s |' % ' | '.join(str(c) for c in row) for row in rows]
    return '\n'.join(lines)


@contextlib.contextmanager
def collection_tree() -> t.Iterator[str]:
    """A folder with ansible_collections/cicd/pipelines pointing at this collection (for the module processes)."""
    base = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    if os.path.basename(os.path.dirname(ROOT)) == 'cicd' and os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == 'ansible_collections':
        yield base
        return
    with tempfile.TemporaryDirectory(prefix='cicd-campaign.') as tree:
        os.makedirs(os.path.join(tree, 'ansible_collections', 'cicd'))
        os.symlink(ROOT, os.path.join(tree, 'ansible_collections', 'cicd', 'pipelines'))
        yield tree


def parse(argv: t.Optional[t.Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m tests.reliability.campaign', description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--releases', type=int, default=10, help='releases per vendor and rate (default 10)')
    parser.add_argument('--rates', default='0.25,0.5', help='fault rates, comma-separated (default 0.25,0.5)')
    parser.add_argument('--seed', type=int, default=20261201, help='seed of the fault draws (printed; reuse it to reproduce)')
    parser.add_argument('--vendors', default=','.join(VENDORS), help='vendors, comma-separated (default: all)')
    parser.add_argument('--outage', type=float, default=10.0, help='seconds of the outage in a wait, per vendor and rate (0: none)')
    parser.add_argument('--reruns', type=int, default=5, help='times a release is run again after a task failed (default 5)')
    parser.add_argument('--markdown', help='also write the tables to this file')
    parser.add_argument('--verbose', action='store_true', help='print a line for every task as it ends')
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(',') if r]
    args.vendors = [v for v in args.vendors.split(',') if v]
    unknown = sorted(set(args.vendors) - set(VENDORS))
    if unknown or not all(0 < r < 1 for r in args.rates) or args.releases < 1:
        parser.error('vendors must be among %s, rates between 0 and 1, releases at least 1' % ', '.join(VENDORS))
    return args


def main(argv: t.Optional[t.Sequence[str]] = None) -> int:
    args = parse(argv)
    with collection_tree() as tree:
        sys.path.insert(0, tree)
        from ansible_collections.cicd.pipelines.tests.simulator.testing import running  # pylint: disable=import-outside-toplevel

        runner = Runner(tree, args.verbose)
        out: t.List[str] = []
        failed = False
        began = time.monotonic()
        with running(scenario(args.releases), speed=10.0) as handle:
            for rate_index, rate in enumerate(args.rates):
                t0 = time.monotonic()
                verdicts = campaign_at(handle, runner, args.vendors, rate, rate_index, args.releases, args.seed, args.outage, args.reruns)
                text = table(verdicts, args.outage)
                print('\nFaults on %d%% of requests (seed %d, %.0f s):\n\n%s' % (rate * 100, args.seed, time.monotonic() - t0, text), flush=True)
                out.append('Faults on %d%% of requests, %d releases per vendor, seed %d:\n\n%s\n' % (rate * 100, args.releases, args.seed, text))
                for v in verdicts:
                    for problem in v.wrong + v.gate_problems + v.tally.tracebacks + (['%d duplicate executions' % v.duplicates] if v.duplicates else []):
                        print('FAIL %s at %d%%: %s' % (v.vendor, rate * 100, problem))
                    if not v.ok:
                        failed = True
                        for failure in v.tally.failures:
                            print('  task failure that led to a rerun: %s' % failure)
        if args.markdown:
            with open(args.markdown, 'w', encoding='utf-8') as handle_out:
                handle_out.write('\n'.join(out))
        print('\ncampaign: %s in %.0f s (seed %d)' % ('FAILED' if failed else 'passed', time.monotonic() - began, args.seed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
