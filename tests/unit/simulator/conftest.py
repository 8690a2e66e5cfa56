"""Fixtures for the simulator's own tests: an in-process simulator with a frozen clock."""
from __future__ import annotations

import copy
import typing as t

import pytest

requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, SimHandle, running

TEST_SCENARIO = {
    'speed': 0,
    'jenkins': {'users': [{'name': 'admin', 'password': ADMIN_PASSWORD, 'tokens': [ADMIN_TOKEN], 'full_name': 'Ada Admin'},
                          {'name': 'bob', 'password': 'bob-password', 'tokens': []}]},
    'pipelines': [
        {'vendor': 'jenkins', 'name': 'team/app/deploy', 'declarative': True, 'quiet_period': 1,
         'parameters': [{'name': 'VERSION', 'default': '1.0.0'},
                        {'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']},
                        {'name': 'DRY_RUN', 'type': 'boolean'},
                        {'name': 'DB_PASSWORD', 'type': 'password'},
                        {'name': 'NOTES', 'type': 'text'}],
         'stages': [{'name': 'Build', 'duration': 2},
                    {'name': 'Test', 'duration': 2, 'fail_times': 1},
                    {'name': 'Approval', 'gate': {'id': 'deploy', 'message': 'Deploy to production?',
                                                  'parameters': [{'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']},
                                                                 {'name': 'CONFIRM', 'type': 'boolean'}]}},
                    {'name': 'Deploy', 'duration': 3}]},
        {'vendor': 'jenkins', 'name': 'team/app/serial', 'concurrent': False, 'quiet_period': 0,
         'stages': [{'name': 'Work', 'duration': 10}]},
        {'vendor': 'jenkins', 'name': 'team/app/gate', 'declarative': False,
         'stages': [{'name': 'Ask', 'gate': {'message': 'Is the build okay?', 'timeout': 30}}, {'name': 'After', 'duration': 1}]},
        {'vendor': 'jenkins', 'name': 'nightly', 'kind': 'freestyle', 'quiet_period': 5, 'stages': [{'name': 'Build', 'duration': 5}]},
        {'vendor': 'jenkins', 'name': 'frozen', 'disabled': True, 'parameters': [{'name': 'X'}]},
    ],
}


@pytest.fixture(name='sim')
def sim_fixture() -> t.Iterator[SimHandle]:
    """A simulator on a free port running TEST_SCENARIO with a frozen clock."""
    with running(TEST_SCENARIO) as handle:
        yield handle


@pytest.fixture(name='demo')
def demo_fixture() -> t.Iterator[SimHandle]:
    """A simulator running the bundled demo scenario with a frozen clock."""
    with running(speed=0) as handle:
        yield handle


@pytest.fixture(name='client')
def client_fixture(sim: SimHandle) -> t.Iterator[t.Any]:
    """A requests session authenticated with the admin API token, and a ``url()`` helper."""
    session = requests.Session()
    session.auth = (ADMIN_USER, ADMIN_TOKEN)
    session.base = sim.jenkins_url  # type: ignore[attr-defined]
    yield session
    session.close()


def _job_url(sim: SimHandle, name: str) -> str:
    return sim.jenkins_url + ''.join('/job/' + part for part in name.split('/'))


@pytest.fixture(name='job_url')
def job_url_fixture() -> t.Callable[[SimHandle, str], str]:
    """``job_url(sim, 'a/b')`` -> ``<jenkins>/job/a/job/b``."""
    return _job_url


@pytest.fixture(name='test_scenario')
def test_scenario_fixture() -> dict[str, t.Any]:
    """The scenario behind the ``sim`` fixture (a copy to derive variants from)."""
    return copy.deepcopy(TEST_SCENARIO)
