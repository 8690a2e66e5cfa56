# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's own throughput, measured in the same run, so it is never the hidden bottleneck:
keep-alive GETs of a build's JSON over one connection, and of a job's build list."""

from __future__ import annotations

import time

from .common import Workspace, table

SCENARIO = {'pipelines': [{'vendor': 'jenkins', 'name': 'bench/sim', 'quiet_period': 0,
                           'stages': [{'name': 'Work', 'duration': 30}],
                           'history': [{'result': 'SUCCESS', 'duration': 30} for _n in range(50)]}]}


def run(workspace: Workspace, seconds: float) -> str:
    sim = workspace.simulator('throughput', SCENARIO)
    rows = []
    for label, path in (('build JSON', '/job/bench/job/sim/1/api/json'),
                        ('build list (50 builds)', '/job/bench/job/sim/api/json?tree=builds[number,result,duration]{0,50}')):
        count, start = 0, time.time()
        while time.time() - start < seconds:
            sim.session.get(sim.jenkins + path).raise_for_status()
            count += 1
        elapsed = time.time() - start
        rows.append([label, count, count / elapsed, 1000.0 * elapsed / count])
    sim.stop()
    return table('Simulator throughput (one keep-alive connection)', ['request', 'requests', 'per second', 'ms each'], rows)
