# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures for the module tests: the fake backend, a clock that waits in no time, and a runner
that executes a module's main() the way ansible-core 2.19 does and returns its JSON result."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils._internal import _traceback
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.cicd.pipelines.plugins.module_utils import _module
from ansible_collections.cicd.pipelines.plugins.module_utils._poller import Poller
from ansible_collections.cicd.pipelines.plugins.module_utils._options import USES
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.fake_backend import FakeBackend

TOKEN = 'tok-5f1e0c9a7b3d4e2f'
CONNECTION = {'vendor': 'jenkins', 'api_url': 'https://ci.example.com', 'username': 'release-bot', 'api_token': TOKEN}


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: t.List[float] = []

    def monotonic(self) -> float:
        return self.now

    def epoch(self) -> float:
        """Wall-clock time that moves with `now` (for detection lags)."""
        return self.now + 1_700_000_000.0

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake_clock = FakeClock()
    # Poller's clock and sleep are default arguments: every Poller the module base builds uses these.
    monkeypatch.setattr(Poller.__init__, '__defaults__', (fake_clock.monotonic, fake_clock.sleep, 5, fake_clock.epoch))
    return fake_clock


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own CI credentials must not leak into (or change) the tests."""
    names = {v for column in USES.values() for use in column.values() for v in use.env}
    for variable in names | {'JENKINS_URL', 'JENKINS_USER_ID', 'JENKINS_API_TOKEN'}:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    backend = FakeBackend()
    monkeypatch.setattr(_module, 'create_backend', backend.connect)
    return backend


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., t.Dict[str, t.Any]]:
    """run_module(pipeline_start, {...}, check=False, diff=False, connection=True) -> the module's result.

    `connection=False` leaves out the default connection options (vendor still set unless given).
    The result also holds `_rc` (the exit code) and `_stdout` (the raw output, to look for leaked secrets).
    Pass `_ansible_tracebacks_for: [error]` to get `exception`, as a run with tracebacks enabled does.
    """

    # A module runs on a target: importing controller code (ansible.errors, as the filter tests do) switches ansible-core
    # to controller mode for the whole process, where warnings and tracebacks no longer reach a module's result.
    monkeypatch.setattr(ansible_internal, 'is_controller', False)
    monkeypatch.setattr(_traceback, '_is_traceback_enabled', _traceback._is_module_traceback_enabled)

    def run(module: t.Any, args: t.Mapping[str, t.Any], *, check: bool = False, diff: bool = False,
            connection: bool = True) -> t.Dict[str, t.Any]:
        full: t.Dict[str, t.Any] = dict(CONNECTION) if connection else {'vendor': 'jenkins'}
        full.update(args)
        if full.get('vendor', '') is None:
            del full['vendor']  # as a task that leaves the option out
        if check:
            full['_ansible_check_mode'] = True
        if diff:
            full['_ansible_diff'] = True
        capsys.readouterr()
        # ansible-core keeps these per process (one module run per process in real life): reset them per run
        ansible_warnings._global_warnings.clear()
        ansible_warnings._global_deprecations.clear()
        _traceback._module_tracebacks_enabled_events = None
        with patch_module_args(full):
            with pytest.raises(SystemExit) as exit_info:
                module.main()
        out = capsys.readouterr().out
        result = json.loads(out)
        result['_rc'] = exit_info.value.code
        result['_stdout'] = out
        assert bool(result.get('failed')) == (exit_info.value.code != 0), result
        return result

    return run


def warnings(result: t.Mapping[str, t.Any]) -> t.List[str]:
    """The warning texts of a module result (ansible-core 2.19 returns them as event summaries)."""
    texts = []
    for item in result.get('warnings', []):
        texts.append(item['event']['msg'] if isinstance(item, dict) else str(item))
    return texts
