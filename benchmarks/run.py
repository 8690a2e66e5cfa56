# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the benchmarks and print their tables (Markdown, as docs/performance.md shows them).

    python -m benchmarks.run            # everything (about 20 minutes: the 10-minute build is waited for in real time)
    python -m benchmarks.run --quick    # 60-second builds only, fan-out per build up to N=100 (about 5 minutes)
    python -m benchmarks.run --smoke    # a few seconds of each, to check the harness (part of `make test`)
    python -m benchmarks.run --only wait,fanout

Ratios are measured in the same run, side by side; no figure is asserted against a threshold.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import typing as t

from . import fanout, harness, per_task, simulator, wait
from .common import Workspace

BENCHES = ('simulator', 'wait', 'per_task', 'fanout', 'harness')


def parse(argv: t.Optional[t.Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.run', description=__doc__.split('\n', maxsplit=1)[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument('--quick', action='store_true', help='shorter builds, fewer fan-out sizes per build')
    size.add_argument('--smoke', action='store_true', help='tiny sizes: checks that the harness works')
    parser.add_argument('--only', default=','.join(BENCHES), help='comma-separated subset of: ' + ', '.join(BENCHES))
    parser.add_argument('--output', help='also write the tables to this file')
    return parser.parse_args(argv)


def main(argv: t.Optional[t.Sequence[str]] = None) -> int:
    args = parse(argv)
    chosen = [b.strip() for b in args.only.split(',') if b.strip()]
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        print('unknown benchmark(s): %s; choose from %s' % (', '.join(unknown), ', '.join(BENCHES)), file=sys.stderr)
        return 2
    if args.smoke:
        sizes = dict(durations=[6.0], tasks=3, rounds=1, counts=[3], seconds=4.0, per_build=3, sim_seconds=0.5,
                     harness=[3])
    elif args.quick:
        sizes = dict(durations=[60.0], tasks=20, rounds=3, counts=[10, 100], seconds=30.0, per_build=100, sim_seconds=2.0,
                     harness=[10])
    else:
        sizes = dict(durations=[60.0, 600.0], tasks=30, rounds=3, counts=[10, 100, 1000], seconds=30.0, per_build=1000,
                     sim_seconds=3.0, harness=[10, 100])
    out = ['## Run of %s on %s (%s, %d cores, Python %s)\n' % (
        time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), platform.node() or 'this machine', platform.machine(),
        os.cpu_count() or 0, platform.python_version())]
    workspace = Workspace()
    try:
        for name in chosen:
            started = time.time()
            if name == 'simulator':
                text = simulator.run(workspace, sizes['sim_seconds'])
            elif name == 'wait':
                text = wait.run(workspace, sizes['durations'])
            elif name == 'per_task':
                text = per_task.run(workspace, sizes['tasks'], sizes['rounds'])
            elif name == 'fanout':
                text = fanout.run(workspace, sizes['counts'], sizes['seconds'], sizes['per_build'])
            else:
                text = harness.run(workspace, sizes['harness'], sizes['seconds'], sizes['per_build'])
            text += '\n(%s: %.0f s)\n' % (name, time.time() - started)
            print(text, flush=True)
            out.append(text)
    finally:
        workspace.close()
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(out))
    print('bench: %d benchmark(s) ran' % len(chosen))
    return 0


if __name__ == '__main__':
    sys.exit(main())
