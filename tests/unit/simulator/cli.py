"""The simulator's command line (``python -m tests.simulator``) in a process of its own, for the tests of that command line."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import signal
import subprocess
import sys
import time
import typing as t

MODULE = 'ansible_collections.cicd.pipelines.tests.simulator'


@dataclasses.dataclass
class CliRun:
    """What a run of the command line showed: its port while it serves; its output and exit status once stopped."""

    port: int = 0
    out: str = ''
    err: str = ''
    returncode: t.Optional[int] = None


@contextlib.contextmanager
def serving(port_file: pathlib.Path, *options: str) -> t.Iterator[CliRun]:
    """Run the command line on a free port at speed 0 with `options`, and yield once `port_file` names the port.

    On leaving, the process gets SIGTERM (killed if it has not stopped within 15 s), and `out`, `err` and
    `returncode` are filled in.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    command = [sys.executable, '-m', MODULE, '--port', '0', '--port-file', str(port_file), '--speed', '0', *options]
    run = CliRun()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True) as process:
        try:
            for attempt in range(100):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.05 + attempt * 0.001)
            run.port = int(port_file.read_text())
            yield run
            process.send_signal(signal.SIGTERM)
            run.out, run.err = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
    run.returncode = process.returncode
