"""``python -m tests.simulator [--port 8080] [--port-file FILE] [--scenario FILE.yml] [--speed X] [--tls-cert FILE [--tls-key FILE]] [--verbose]``.

Serves until SIGTERM/SIGINT, then shuts down cleanly (exit status 0). ``--port 0`` picks a
free port; ``--port-file`` receives the port number once the socket listens, so scripts
can wait for that file instead of polling. ``--tls-cert`` serves HTTPS with that PEM
certificate chain (and ``--tls-key``, unless the key is in the same file). Bad arguments exit 2,
files that cannot be loaded exit 1, each with one ``error:`` line on stderr.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import typing as t

from . import DEMO_SCENARIO
from .scenario import ScenarioError, load_scenario_file
from .server import Simulator, SimulatorServer, tls_context


def parse_args(argv: t.Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(prog='python -m tests.simulator', description='cicd.pipelines vendor simulator (127.0.0.1 only)')
    parser.add_argument('--port', type=int, default=8080, help='TCP port (0 = any free port; default 8080)')
    parser.add_argument('--port-file', help='write the bound port number to this file once listening')
    parser.add_argument('--scenario', default=DEMO_SCENARIO, help='scenario YAML file (default: the bundled demo scenario)')
    parser.add_argument('--speed', type=float, default=None, help="clock speed factor (default: the scenario's speed)")
    parser.add_argument('--tls-cert', metavar='FILE', help='serve HTTPS with this PEM certificate (chain); default: plain HTTP')
    parser.add_argument('--tls-key', metavar='FILE', help='PEM private key of --tls-cert (default: read from the --tls-cert file)')
    parser.add_argument('--verbose', action='store_true', help='print an access log line per request on stderr')
    return parser.parse_args(argv)


def main(argv: t.Sequence[str] | None = None) -> int:
    """Run the simulator until a termination signal."""
    args = parse_args(argv)
    if args.speed is not None and args.speed < 0:
        print('error: --speed must be >= 0', file=sys.stderr)
        return 2
    if args.tls_key and not args.tls_cert:
        print('error: --tls-key needs --tls-cert', file=sys.stderr)
        return 2
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    if tls is not None:
        try:
            tls_context(*tls)  # checked here so the error names the files (OpenSSL's own words do not)
        except OSError as exc:
            files = '--tls-cert %s' % args.tls_cert + (' --tls-key %s' % args.tls_key if args.tls_key else '')
            print('error: cannot load %s: %s' % (files, getattr(exc, 'reason', None) or exc.strerror or exc), file=sys.stderr)
            return 1
    try:
        simulator = Simulator(load_scenario_file(args.scenario), speed=args.speed)
        server = SimulatorServer(simulator, port=args.port, verbose=args.verbose, tls=tls)
    except (OSError, ScenarioError) as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(_signum: int, _frame: t.Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = server.start_background()
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as handle:
            handle.write('%d\n' % server.port)
        os.replace(tmp, args.port_file)  # atomic: readers never see a half-written file
    print('cicd.pipelines simulator listening on %s (speed x%s)' % (server.url, simulator.engine.clock.speed))
    for vendor in simulator.vendors.values():
        print('  ' + vendor.banner(server.url))
    print('  %-8s %s/_sim' % ('control', server.url))
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    thread.join(5)
    return 0


if __name__ == '__main__':
    sys.exit(main())
