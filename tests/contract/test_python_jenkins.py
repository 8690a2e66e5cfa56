"""Contract: the third-party ``python-jenkins`` client works against the simulator's Jenkins API.

The simulator runs in-process on a free loopback port with the demo scenario and a frozen
clock (time moves only when the test advances it), so every assertion is deterministic.
"""
from __future__ import annotations

import copy
import typing as t

import pytest

jenkins = pytest.importorskip('jenkins', reason='python-jenkins is not installed (pip install python-jenkins); it is the client under test')

# pylint: disable=wrong-import-position
import yaml

from ansible_collections.cicd.pipelines.tests.simulator import DEMO_SCENARIO
from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, SimHandle, running


def _scenario() -> dict[str, t.Any]:
    """The demo scenario, frozen clock, and a long quiet period on shop/build (to cancel a queued item)."""
    with open(DEMO_SCENARIO, encoding='utf-8') as handle:
        data = copy.deepcopy(yaml.safe_load(handle))
    data['speed'] = 0
    for pipeline in data['pipelines']:
        if pipeline['name'] == 'shop/build':
            pipeline['quiet_period'] = 600
    return data


@pytest.fixture(name='sim', scope='module')
def sim_fixture() -> t.Iterator[SimHandle]:
    """One simulator for the module; each test starts from a reset."""
    with running(_scenario()) as handle:
        yield handle


@pytest.fixture(name='server')
def server_fixture(sim: SimHandle) -> t.Any:
    """A python-jenkins client authenticated with the admin API token, on a freshly reset simulator."""
    sim.reset()
    return jenkins.Jenkins(sim.jenkins_url, username=ADMIN_USER, password=ADMIN_TOKEN, timeout=10)


def _wait_executable(sim: SimHandle, server: t.Any, queue_id: int) -> dict[str, t.Any]:
    for attempt in range(20):
        item = server.get_queue_item(queue_id)
        if item.get('executable'):
            return item
        sim.advance(0.5)
    raise AssertionError('queue item %d never left the queue after %d polls' % (queue_id, attempt + 1))


def test_get_version_and_whoami(sim, server):
    assert server.get_whoami()['id'] == ADMIN_USER  # resolves auth into the client's session
    assert server.get_version() == '2.479.1'
    anonymous = jenkins.Jenkins(sim.jenkins_url, timeout=10)
    with pytest.raises(jenkins.BadHTTPException):  # anonymous has no read permission, as on a secured Jenkins
        anonymous.get_version()


def test_folder_and_job_info(server):
    folder = server.get_job_info('shop')
    assert folder['_class'] == 'com.cloudbees.hudson.plugins.folder.Folder'
    assert sorted(j['name'] for j in folder['jobs']) == ['build', 'deploy', 'tools']
    job = server.get_job_info('shop/deploy')
    assert job['fullName'] == 'shop/deploy' and job['buildable'] is True and job['nextBuildNumber'] == 1
    definitions = job['property'][-1]['parameterDefinitions']
    assert [d['name'] for d in definitions] == ['VERSION', 'TARGET', 'CICD_IDEMPOTENCY_KEY']
    assert server.get_job_name('shop/tools/cleanup') == 'cleanup'
    assert server.job_exists('shop/deploy') and not server.job_exists('shop/nope')
    names = {j['fullname'] for j in server.get_all_jobs()}
    assert {'shop/build', 'shop/deploy', 'shop/tools/cleanup', 'legacy-nightly'} <= names


def test_build_queue_build_info_stages_and_stop(sim, server):
    queue_id = server.build_job('shop/deploy', {'VERSION': '2.0', 'TARGET': 'production', 'CICD_IDEMPOTENCY_KEY': 'rel-2.0'})
    assert isinstance(queue_id, int)
    waiting = server.get_queue_item(queue_id)
    assert waiting['why'].startswith('In the quiet period') and 'executable' not in waiting
    assert [i['id'] for i in server.get_queue_info()] == [queue_id]
    item = _wait_executable(sim, server, queue_id)
    number = item['executable']['number']
    assert number == 1 and item['_class'] == 'hudson.model.Queue$LeftItem'
    info = server.get_build_info('shop/deploy', number)
    assert info['building'] is True and info['result'] is None and info['queueId'] == queue_id
    params = {p['name']: p['value'] for p in info['actions'][0]['parameters']}
    assert params == {'VERSION': '2.0', 'TARGET': 'production', 'CICD_IDEMPOTENCY_KEY': 'rel-2.0'}
    sim.advance(1.5)
    stages = server.get_build_stages('shop/deploy', number)
    assert stages['status'] == 'IN_PROGRESS'
    assert [(s['name'], s['status']) for s in stages['stages']] == [('Prepare', 'SUCCESS'), ('Smoke test', 'IN_PROGRESS')]
    server.stop_build('shop/deploy', number)
    assert server.get_build_info('shop/deploy', number)['result'] == 'ABORTED'
    assert server.get_build_stages('shop/deploy', number)['status'] == 'ABORTED'
    assert 'Finished: ABORTED' in server.get_build_console_output('shop/deploy', number)


def test_freestyle_has_no_stages(sim, server):
    queue_id = server.build_job('legacy-nightly', {'DRY_RUN': 'true'})
    number = _wait_executable(sim, server, queue_id)['executable']['number']
    assert server.get_build_info('legacy-nightly', number)['_class'] == 'hudson.model.FreeStyleBuild'
    assert server.get_build_stages('legacy-nightly', number) is None  # python-jenkins maps the 404 to None


def test_cancel_queue(sim, server):
    queue_id = server.build_job('shop/build', {'VERSION': '3.0'})
    assert server.get_queue_item(queue_id)['_class'] == 'hudson.model.Queue$WaitingItem'
    server.cancel_queue(queue_id)
    item = server.get_queue_item(queue_id)
    assert item['cancelled'] is True and item['executable'] is None
    # Jenkins keeps a left item for 5 minutes and answers a second cancel with 500 "Could not cancel run for id N"
    # (Queue.doCancelItem); python-jenkins swallows only a 404, so its users see the error a real Jenkins gives.
    with pytest.raises(jenkins.JenkinsException) as caught:
        server.cancel_queue(queue_id)
    assert '[500]' in str(caught.value)
    assert sim.executions(pipeline='shop/build')[0]['state'] == 'cancelled'


def test_password_client_fetches_crumb(sim):
    sim.reset()
    server = jenkins.Jenkins(sim.jenkins_url, username=ADMIN_USER, password=ADMIN_PASSWORD, timeout=10)
    queue_id = server.build_job('shop/build', {'VERSION': '4.0'})
    assert server.get_queue_item(queue_id)['id'] == queue_id
    server.cancel_queue(queue_id)
    assert server.get_queue_item(queue_id)['cancelled'] is True
    crumb_requests = sim.requests(vendor='jenkins', path='^/crumbIssuer/')
    assert len(crumb_requests) == 1 and crumb_requests[0]['status'] == 200
    posts = sim.requests(vendor='jenkins', method='POST')
    assert [p['status'] for p in posts] == [201, 204]
