"""Local vendor simulator for cicd.pipelines (see docs/simulator.md).

One loopback HTTP server with each vendor API under its base path (``/jenkins`` today), a
vendor-neutral execution engine on a simulated clock, fault injection, a request log and
a control API under ``/_sim``. Start it with ``python -m tests.simulator`` from the
collection root, or in-process with :func:`tests.simulator.testing.running`.
"""
from __future__ import annotations

import os

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scenarios')
DEMO_SCENARIO = os.path.join(SCENARIO_DIR, 'demo.yml')
