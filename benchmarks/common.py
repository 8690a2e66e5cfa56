# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every benchmark needs: simulators in their own processes, ansible-playbook runs with their
CPU time, the peak memory of the module processes, and tables.

Each benchmark variant gets a simulator of its own, so every request in that simulator's request
log is the variant's. Simulators run at speed 1: their timestamps are the wall clock, so detection
lags measured against them are real seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t

import requests
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN = ('admin', '11f0c0ffeec0ffeec0ffeec0ffeec0ffee')
# Runs a module under the real interpreter and appends its peak RSS (KiB) and CPU seconds to $BENCH_RSS_LOG.
_RSS_WRAPPER = '''#!%(python)s
import os, resource, subprocess, sys
rc = subprocess.call([%(python)r] + sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ['BENCH_RSS_LOG'], 'a') as log:
    log.write('%%d %%f\\n' %% (usage.ru_maxrss, usage.ru_utime + usage.ru_stime))
sys.exit(rc)
'''


class Workspace:
    """A temporary folder with the collection on a collections path, and helpers to run things in it."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix='cicd-bench.')
        os.makedirs(os.path.join(self.dir, 'collections', 'ansible_collections', 'cicd'))
        os.symlink(ROOT, os.path.join(self.dir, 'collections', 'ansible_collections', 'cicd', 'pipelines'))
        self.rss_log = os.path.join(self.dir, 'rss.log')
        self.wrapper = os.path.join(self.dir, 'python-rss')
        with open(self.wrapper, 'w', encoding='utf-8') as handle:
            handle.write(_RSS_WRAPPER % {'python': sys.executable})
        os.chmod(self.wrapper, 0o755)
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(self.dir, 'collections'),
                        ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                        ANSIBLE_DEPRECATION_WARNINGS='false',
                        BENCH_RSS_LOG=self.rss_log)
        self._sims: t.List['Simulator'] = []

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def write_yaml(self, name: str, data: t.Any) -> str:
        path = self.path(name)
        with open(path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
        return path

    def simulator(self, name: str, scenario: t.Mapping[str, t.Any]) -> 'Simulator':
        sim = Simulator(self, name, scenario)
        self._sims.append(sim)
        return sim

    def close(self) -> None:
        for sim in self._sims:
            sim.stop()
        subprocess.call(['rm', '-rf', self.dir])

    def playbook(self, name: str, plays: t.Any, extra_vars: t.Optional[t.Mapping[str, t.Any]] = None, *,
                 measure_rss: bool = False) -> 'Run':
        """Run `plays` with ansible-playbook; wall time, CPU seconds of every process it started, results."""
        path = self.write_yaml(name + '.yml', plays)
        env = dict(self.env)
        if measure_rss:
            env['ANSIBLE_PYTHON_INTERPRETER'] = self.wrapper
            open(self.rss_log, 'w', encoding='utf-8').close()
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', path]
        for key, value in (extra_vars or {}).items():
            command += ['-e', json.dumps({key: value})]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        ended = time.time()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise RuntimeError('%s failed (rc %d):\n%s\n%s' % (name, done.returncode, done.stdout[-4000:], done.stderr[-2000:]))
        peak_kib = 0
        if measure_rss:
            with open(self.rss_log, encoding='utf-8') as log:
                peak_kib = max((int(line.split()[0]) for line in log if line.strip()), default=0)
        return Run(started=started, ended=ended, cpu=cpu, peak_rss_mb=peak_kib / 1024.0, output=done.stdout)


@dataclasses.dataclass
class Run:
    started: float
    ended: float
    cpu: float
    peak_rss_mb: float
    output: str

    @property
    def wall(self) -> float:
        return self.ended - self.started


class Simulator:
    """One simulator process on 127.0.0.1 at speed 1, with its control API."""

    def __init__(self, workspace: Workspace, name: str, scenario: t.Mapping[str, t.Any]) -> None:
        scenario_path = workspace.write_yaml('%s-scenario.yml' % name, dict(scenario, speed=1))
        port_file = workspace.path('%s.port' % name)
        self.log = open(workspace.path('%s.log' % name), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, '-m', 'tests.simulator', '--port', '0', '--port-file', port_file, '--scenario', scenario_path],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file, encoding='utf-8').read().strip()):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError('simulator %s did not start; see %s' % (name, self.log.name))
            time.sleep(0.05)
        with open(port_file, encoding='utf-8') as handle:
            self.url = 'http://127.0.0.1:%s' % handle.read().strip()
        self.jenkins = self.url + '/jenkins'
        self.session = requests.Session()
        self.session.auth = ADMIN

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        self.log.close()

    def control(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        response = self.session.request(method, self.url + '/_sim/' + path, **kwargs)
        response.raise_for_status()
        return response.json()

    def requests_log(self, **query: t.Any) -> t.List[t.Dict[str, t.Any]]:
        answer = self.control('GET', 'requests', params=query)
        return answer['requests'] if isinstance(answer, dict) else answer

    def executions(self) -> t.List[t.Dict[str, t.Any]]:
        answer = self.control('GET', 'executions')
        return answer['executions'] if isinstance(answer, dict) else answer

    def build(self, job: str) -> None:
        """Start a build of `job` with a plain POST (what a user's trigger would do)."""
        path = ''.join('/job/' + part for part in job.split('/'))
        self.session.post(self.jenkins + path + '/build').raise_for_status()


def median(values: t.Sequence[float]) -> float:
    return statistics.median(values) if values else float('nan')


def table(title: str, header: t.Sequence[str], rows: t.Sequence[t.Sequence[t.Any]]) -> str:
    """A Markdown table (what docs/performance.md shows, printed as is)."""
    def cell(value: t.Any) -> str:
        if isinstance(value, float):
            return '%.2f' % value
        return str(value)
    lines = ['### ' + title, '', '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cell(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'
