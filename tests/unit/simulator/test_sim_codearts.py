"""The simulated Huawei Cloud CodeArts Pipeline v5 API: gateway auth, IAM tokens, every operation, retry, stop, queueing."""
from __future__ import annotations

import json
import time
import typing as t
import urllib.parse

import pytest

requests = pytest.importorskip('requests')

# pylint: disable=wrong-import-position
from ansible_collections.cicd.pipelines.tests.simulator.codearts import signer
from ansible_collections.cicd.pipelines.tests.simulator.codearts.model import hex32
from ansible_collections.cicd.pipelines.tests.simulator.testing import (
    CODEARTS_AK, CODEARTS_DOMAIN, CODEARTS_IAM_PROJECT_ID, CODEARTS_PASSWORD, CODEARTS_PROJECT_ID, CODEARTS_SK, CODEARTS_USER,
    SimHandle, running)

P = '/v5/%s/api/pipelines' % CODEARTS_PROJECT_ID
DEPLOY = hex32('pipeline', CODEARTS_PROJECT_ID, 'shop/deploy')
BUILD = hex32('pipeline', CODEARTS_PROJECT_ID, 'shop/build')


class Client:
    """A minimal signing client (the SDK's algorithm) for a simulator."""

    def __init__(self, sim: SimHandle, ak: str = CODEARTS_AK, sk: str = CODEARTS_SK) -> None:
        self.sim, self.ak, self.sk = sim, ak, sk

    def call(self, method: str, path: str, body: t.Any = None, query: dict[str, str] | None = None, *, sk: str | None = None,
             when: float | None = None, drop: str | None = None, extra: dict[str, str] | None = None) -> requests.Response:
        raw_query = urllib.parse.urlencode(query or {}, quote_via=urllib.parse.quote)
        data = b'' if body is None else json.dumps(body).encode('utf-8')
        headers = {'Host': '127.0.0.1:%d' % self.sim.port, 'Content-Type': 'application/json;charset=utf-8',
                   'X-Project-Id': CODEARTS_IAM_PROJECT_ID}
        headers.update(extra or {})
        headers = signer.sign(self.ak, sk or self.sk, method, path, raw_query, headers, data, when=when)
        if drop:
            headers.pop(drop)
        url = self.sim.codearts_url + path + ('?' + raw_query if raw_query else '')
        return requests.request(method, url, data=data, headers=headers, timeout=10)

    def ok(self, method: str, path: str, body: t.Any = None, query: dict[str, str] | None = None) -> t.Any:
        response = self.call(method, path, body, query)
        assert response.status_code == 200, response.text
        data = response.json()
        assert not (isinstance(data, dict) and 'error_code' in data), data
        return data


@pytest.fixture(name='sim', scope='module')
def sim_fixture() -> t.Iterator[SimHandle]:
    with running(speed=0) as handle:
        yield handle


@pytest.fixture(name='client')
def client_fixture(sim: SimHandle) -> Client:
    sim.reset()
    return Client(sim)


def _detail(client: Client, run_id: str, pipeline: str = DEPLOY) -> dict[str, t.Any]:
    return t.cast(dict, client.ok('GET', '%s/%s/pipeline-runs/detail' % (P, pipeline), query={'pipeline_run_id': run_id}))


def _stage(detail: dict[str, t.Any], name: str) -> dict[str, t.Any]:
    return next(s for s in detail['stages'] if s['name'] == name)


# -- gateway authentication -----------------------------------------------------------------------------
def test_signed_request_accepted_and_relative_path_signature(client: Client, sim: SimHandle) -> None:
    data = client.ok('POST', P + '/list', {'offset': 0, 'limit': 10})
    assert data['total'] == 2 and {p['name'] for p in data['pipelines']} == {'shop/build', 'shop/deploy'}
    # A client whose endpoint is a host root signs the path without /codearts (the official SDK does).
    root_headers = {'Host': '127.0.0.1:%d' % sim.port, 'Content-Type': 'application/json'}
    headers = signer.sign(CODEARTS_AK, CODEARTS_SK, 'POST', P + '/list', '', root_headers, b'{}')
    response = requests.post(sim.codearts_url + P + '/list', data=b'{}', headers=headers, timeout=10)
    assert response.status_code == 200 and response.headers['X-Request-Id']


@pytest.mark.parametrize('case, message', [
    ('wrong_sk', 'Incorrect IAM authentication information: verify aksk signature fail'),
    ('stale', 'Incorrect IAM authentication information: signature expired, signature time:'),
    ('missing_header', 'Incorrect IAM authentication information: verify aksk signature fail'),
    ('unknown_ak', 'Incorrect IAM authentication information: Get secretKey failed,ak:NOPE,err:ak not exist'),
    ('nothing', 'Incorrect IAM authentication information: x-auth-token not found'),
    ('bad_token', 'Incorrect IAM authentication information: decrypt token fail'),
])
def test_gateway_refusals(client: Client, sim: SimHandle, case: str, message: str) -> None:
    if case == 'wrong_sk':
        response = client.call('POST', P + '/list', {}, sk='not-the-secret')
    elif case == 'stale':
        response = client.call('POST', P + '/list', {}, when=time.time() - 16 * 60)
    elif case == 'missing_header':
        response = client.call('POST', P + '/list', {}, drop='X-Project-Id')
    elif case == 'unknown_ak':
        response = Client(sim, ak='NOPE').call('POST', P + '/list', {})
    elif case == 'nothing':
        response = requests.post(sim.codearts_url + P + '/list', json={}, timeout=10)
    else:
        response = requests.post(sim.codearts_url + P + '/list', json={}, headers={'X-Auth-Token': 'MIIbogus'}, timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body['error_code'] == 'APIGW.0301' and body['error_msg'].startswith(message) and body['request_id']


def test_iam_token(client: Client, sim: SimHandle) -> None:
    auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': CODEARTS_USER, 'password': CODEARTS_PASSWORD,
                                                                                 'domain': {'name': CODEARTS_DOMAIN}}}},
                     'scope': {'project': {'name': 'cn-north-4'}}}}
    response = requests.post(sim.codearts_url + '/v3/auth/tokens', json=auth, timeout=10)
    assert response.status_code == 201 and response.json()['token']['project']['id'] == CODEARTS_IAM_PROJECT_ID
    token = response.headers['X-Subject-Token']
    listed = requests.post(sim.codearts_url + P + '/list', json={'name': 'deploy'}, headers={'X-Auth-Token': token}, timeout=10)
    assert listed.status_code == 200 and [p['name'] for p in listed.json()['pipelines']] == ['shop/deploy']
    auth['auth']['identity']['password']['user']['password'] = 'wrong'
    wrong = requests.post(sim.codearts_url + '/v3/auth/tokens', json=auth, timeout=10)
    assert wrong.status_code == 401 and 'X-Subject-Token' not in wrong.headers and wrong.json()['error']['code'] == 401


def test_temporary_credentials(sim: SimHandle) -> None:
    scenario = {'speed': 0, 'codearts': {'credentials': [{'ak': 'TEMPAK', 'sk': 'tempsk', 'security_token': 'sec-token'}]},
                'pipelines': [{'vendor': 'codearts', 'name': 'one', 'stages': [{'name': 'A', 'duration': 1}]}]}
    sim.load(scenario)
    try:
        client = Client(sim, ak='TEMPAK', sk='tempsk')
        assert client.call('POST', P + '/list', {}).status_code == 401
        assert client.call('POST', P + '/list', {}, extra={'X-Security-Token': 'sec-token'}).status_code == 200
    finally:
        sim.load(_demo())


def _demo() -> str:
    from ansible_collections.cicd.pipelines.tests.simulator import DEMO_SCENARIO  # pylint: disable=import-outside-toplevel
    return DEMO_SCENARIO


def test_throttling_and_injected_rate_limit(sim: SimHandle) -> None:
    with running(speed=0) as other:
        other.load({'speed': 0, 'codearts': {'throttle': {'limit': 2}}, 'pipelines': []})
        client = Client(other)
        assert client.call('POST', P + '/list', {}).status_code == 200
        assert client.call('POST', P + '/list', {}).status_code == 200
        third = client.call('POST', P + '/list', {})
        assert third.status_code == 429 and third.json()['error_code'] == 'APIGW.0308'
        assert third.json()['error_msg'] == 'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 minute'
        other.advance(61)
        assert client.call('POST', P + '/list', {}).status_code == 200
    sim.add_fault({'vendor': 'codearts', 'operation': 'run', 'action': {'rate_limit': True, 'limit': 7}})
    try:
        response = Client(sim).call('POST', '%s/%s/run' % (P, BUILD), {})
        assert response.status_code == 429 and 'limit:7,time:1 minute' in response.json()['error_msg']
    finally:
        sim.clear_faults()


def test_unknown_api_and_project(client: Client) -> None:
    response = client.call('DELETE', P + '/list')
    assert response.status_code == 404 and response.json()['error_code'] == 'APIGW.0101'
    wrong = client.call('POST', '/v5/%s/api/pipelines/list' % ('f' * 32), {})
    assert wrong.status_code == 401 and wrong.json()['error_code'] == 'DEVCP.00021018'


def test_operation_labels(client: Client, sim: SimHandle) -> None:
    api = sim.simulator.vendors['/codearts']
    from ansible_collections.cicd.pipelines.tests.simulator.httpcore import Request  # pylint: disable=import-outside-toplevel
    r = P + '/x/pipeline-runs/r'
    cases = {('POST', P + '/x/run'): 'run', ('PUT', r + '/retry'): 'retry', ('POST', r + '/stop'): 'stop',
             ('GET', P + '/x/pipeline-runs/detail'): 'detail', ('POST', P + '/x/pipeline-runs/list'): 'list_runs',
             ('POST', P + '/list'): 'list_pipelines', ('GET', P + '/x'): 'pipeline', ('POST', P + '/status'): 'status',
             ('POST', r + '/jobs/j/steps/s/pass'): 'review.pass', ('POST', r + '/jobs/j/steps/s/refuse'): 'review.refuse',
             ('POST', r + '/steps/s/manual/pass'): 'checkpoint.pass', ('POST', r + '/steps/s/manual/refuse'): 'checkpoint.refuse',
             ('POST', r + '/jobs/j/steps/s/logs'): 'log', ('POST', '/v3/auth/tokens'): 'iam.token', ('GET', '/nothing'): None}
    for (method, path), label in cases.items():
        assert api.operation(Request(method=method, path=path, query={}, headers={})) == label, path
    client.ok('POST', P + '/list', {})
    assert [e['operation'] for e in sim.requests(vendor='codearts')][-1] == 'list_pipelines'


# -- runs ----------------------------------------------------------------------------------------------
def test_pipeline_detail_and_status(client: Client) -> None:
    detail = client.ok('GET', '%s/%s' % (P, DEPLOY))
    assert detail['id'] == DEPLOY and [v['name'] for v in detail['variables']] == ['VERSION', 'TARGET']
    target = detail['variables'][1]
    assert target['type'] == 'enum' and target['limits'] == ['staging', 'production'] and target['is_runtime'] is True
    assert set(detail['variables'][0]) == {'name', 'sequence', 'type', 'value', 'is_secret', 'description', 'is_runtime', 'limits',
                                           'is_reset', 'latest_value'}
    stages = json.loads(detail['definition'])['stages']
    assert stages[2]['jobs'][0]['steps'][0]['task'] == 'official_devcloud_checkpoint'
    assert stages[3]['pre'][0]['task'] == 'official_devcloud_manualTrigger'
    assert client.ok('POST', P + '/status', [DEPLOY, BUILD]) == []
    run_id = client.ok('POST', '%s/%s/run' % (P, BUILD), {})['pipeline_run_id']
    latest = client.ok('POST', P + '/status', [DEPLOY, BUILD])
    assert [item['pipeline_run_id'] for item in latest] == [run_id] and latest[0]['status'] == 'RUNNING'
    missing = client.call('GET', '%s/%s' % (P, 'a' * 32))
    assert missing.status_code == 200 and missing.json()['error_code'] == 'DEVCP.00012002'


def test_full_release_flow(client: Client, sim: SimHandle) -> None:
    run = client.ok('POST', '%s/%s/run' % (P, DEPLOY), {'variables': [{'name': 'VERSION', 'value': '2.0.0'}],
                                                        'description': 'release 2.0.0',
                                                        'sources': [{'type': 'code', 'params': {'git_type': 'codehub', 'git_url': 'https://x/y.git',
                                                                                                'build_params': {'build_type': 'tag', 'tag': 'v2.0.0'}}}]})
    run_id = run['pipeline_run_id']
    assert len(run_id) == 32 and run_id.isalnum()
    detail = _detail(client, run_id)
    assert detail['status'] == 'RUNNING' and detail['run_number'] == 1 and detail['description'] == 'release 2.0.0'
    assert detail['sources'][0]['params']['build_params']['tag'] == 'v2.0.0'
    assert [s['status'] for s in detail['stages']] == ['RUNNING', 'INIT', 'INIT', 'INIT']
    sim.advance(2)
    detail = _detail(client, run_id)
    assert detail['status'] == 'FAILED' and _stage(detail, 'Smoke test')['jobs'][0]['status'] == 'FAILED'
    smoke = _stage(detail, 'Smoke test')['jobs'][0]
    log = client.ok('POST', '%s/%s/pipeline-runs/%s/jobs/%s/steps/%s/logs' % (P, DEPLOY, run_id, smoke['id'], smoke['steps'][0]['id']),
                    {'start_offset': 0, 'limit': 500, 'sort': 'asc'})
    assert set(log) >= {'has_more', 'start_offset', 'end_offset', 'log', 'step_run_id'} and log['has_more'] is False
    assert log['log'].rstrip('\n').splitlines()[-1].split('] ', 2)[1] == '[ERROR'
    # Retry in place: same id, failed job re-runs, earlier results kept.
    assert client.ok('PUT', '%s/%s/pipeline-runs/%s/retry' % (P, DEPLOY, run_id), {'job_run_ids': [smoke['id']]}) == {'success': True}
    sim.advance(1)
    detail = _detail(client, run_id)
    assert detail['id'] == run_id and detail['run_number'] == 1 and _stage(detail, 'Smoke test')['status'] == 'COMPLETED'
    review_stage = _stage(detail, 'Release')
    job = review_stage['jobs'][0]
    assert detail['status'] == 'RUNNING' and job['status'] == 'RUNNING' and job['steps'][0]['status'] == 'RUNNING'
    assert job['steps'][0]['task'] == 'official_devcloud_checkpoint'
    again = client.call('PUT', '%s/%s/pipeline-runs/%s/retry' % (P, DEPLOY, run_id))
    assert again.status_code == 400 and again.json()['error_code'] == 'DEVCP.00021400'
    base = '%s/%s/pipeline-runs/%s' % (P, DEPLOY, run_id)
    assert client.ok('POST', '%s/jobs/%s/steps/%s/pass' % (base, job['id'], job['steps'][0]['id']), query={'approval_description': 'ok'}) \
        == {'success': True}
    detail = _detail(client, run_id)
    deploy = _stage(detail, 'Deploy')
    assert deploy['pre'][0]['status'] == 'RUNNING' and deploy['pre'][0]['name'] == 'Deploy approval' and deploy['jobs'][0]['status'] == 'INIT'
    late = client.call('POST', '%s/jobs/%s/steps/%s/pass' % (base, job['id'], job['steps'][0]['id']))
    assert late.status_code == 400 and late.json()['error_code'] == 'DEVCP.00021400'
    assert client.ok('POST', '%s/steps/%s/manual/pass' % (base, deploy['pre'][0]['id'])) == {'success': True}
    sim.advance(2)
    detail = _detail(client, run_id)
    assert detail['status'] == 'COMPLETED' and all(s['status'] == 'COMPLETED' for s in detail['stages'])
    stopped = client.call('POST', base + '/stop')
    assert stopped.status_code == 400 and stopped.json()['error_code'] == 'DEVCP.00021400'
    runs = client.ok('POST', '%s/%s/pipeline-runs/list' % (P, DEPLOY), {'offset': 0, 'limit': 10})
    assert runs['total'] == 1 and runs['pipeline_runs'][0]['pipeline_run_id'] == run_id and runs['pipeline_runs'][0]['status'] == 'COMPLETED'


def test_review_refuse_and_checkpoint_refuse(client: Client, sim: SimHandle) -> None:
    sim.advance(0)
    first = client.ok('POST', '%s/%s/run' % (P, DEPLOY), {})['pipeline_run_id']
    sim.advance(2)   # the first Smoke test fails (fail_times: 1)
    client.ok('PUT', '%s/%s/pipeline-runs/%s/retry' % (P, DEPLOY, first))
    sim.advance(1)
    job = _stage(_detail(client, first), 'Release')['jobs'][0]
    base = '%s/%s/pipeline-runs/%s' % (P, DEPLOY, first)
    client.ok('POST', '%s/jobs/%s/steps/%s/refuse' % (base, job['id'], job['steps'][0]['id']))
    detail = _detail(client, first)
    assert detail['status'] == 'FAILED' and _stage(detail, 'Release')['jobs'][0]['steps'][0]['status'] == 'FAILED'
    second = client.ok('POST', '%s/%s/run' % (P, DEPLOY), {})['pipeline_run_id']
    sim.advance(2)
    job = _stage(_detail(client, second), 'Release')['jobs'][0]
    base = '%s/%s/pipeline-runs/%s' % (P, DEPLOY, second)
    client.ok('POST', '%s/jobs/%s/steps/%s/pass' % (base, job['id'], job['steps'][0]['id']))
    pre = _stage(_detail(client, second), 'Deploy')['pre'][0]
    client.ok('POST', '%s/steps/%s/manual/refuse' % (base, pre['id']))
    detail = _detail(client, second)
    assert detail['status'] == 'FAILED' and _stage(detail, 'Deploy')['pre'][0]['status'] == 'FAILED'


def test_variables_checked(client: Client, sim: SimHandle) -> None:
    for variables, text in (([{'name': 'NOPE', 'value': 'x'}], 'variable NOPE does not exist'),
                            ([{'name': 'TARGET', 'value': 'moon'}], 'must be one of staging, production')):
        response = client.call('POST', '%s/%s/run' % (P, DEPLOY), {'variables': variables})
        assert response.status_code == 200 and response.json()['error_code'] == 'DEVCP.00014004' and text in response.json()['error_msg']
    scenario = {'speed': 0, 'pipelines': [{'vendor': 'codearts', 'name': 'fixed', 'parameters': [{'name': 'X', 'runtime': False}],
                                           'stages': [{'name': 'A'}]}]}
    sim.load(scenario)
    try:
        fixed = hex32('pipeline', CODEARTS_PROJECT_ID, 'fixed')
        response = client.call('POST', '%s/%s/run' % (P, fixed), {'variables': [{'name': 'X', 'value': '1'}]})
        assert 'cannot be set at runtime' in response.json()['error_msg']
    finally:
        sim.load(_demo())


def test_queued_by_concurrency_and_stop(client: Client, sim: SimHandle) -> None:
    first = client.ok('POST', '%s/%s/run' % (P, DEPLOY), {})['pipeline_run_id']
    response = client.call('POST', '%s/%s/run' % (P, DEPLOY), {})
    body = response.json()
    assert response.status_code == 200 and body['error_code'] == 'DEVPIPE.00011169'
    queued = body['error']['pipeline_run_id']
    assert queued != first and isinstance(body['error']['queue_id'], int)
    detail = _detail(client, queued)
    assert detail['status'] == 'RUNNING' and {s['status'] for s in detail['stages']} == {'QUEUED'}
    assert client.ok('POST', '%s/%s/pipeline-runs/%s/stop' % (P, DEPLOY, first)) == {'success': True}
    assert _detail(client, first)['status'] == 'CANCELED'
    assert _stage(_detail(client, queued), 'Prepare')['status'] == 'RUNNING'
    missing = client.call('POST', '%s/%s/pipeline-runs/%s/stop' % (P, DEPLOY, 'b' * 32))
    assert missing.status_code == 200 and missing.json()['error_code'] == 'DEVCP.00012002'


def test_choose_stages(client: Client, sim: SimHandle) -> None:
    run_id = client.ok('POST', '%s/%s/run' % (P, BUILD), {'choose_stages': ['Package']})['pipeline_run_id']
    detail = _detail(client, run_id, BUILD)
    assert [s['status'] for s in detail['stages']] == ['UNSELECTED', 'RUNNING']
    sim.advance(1)
    assert _detail(client, run_id, BUILD)['status'] == 'COMPLETED'


def test_official_sdk_drives_the_simulator(sim: SimHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """The official SDK (if installed) signs, runs, reads and approves against the simulator."""
    v2 = pytest.importorskip('huaweicloudsdkcodeartspipeline.v2')
    from huaweicloudsdkcore.auth.credentials import BasicCredentials  # pylint: disable=import-outside-toplevel,import-error
    from huaweicloudsdkcore.http.http_config import HttpConfig  # pylint: disable=import-outside-toplevel,import-error
    from huaweicloudsdkcore.sdk_request import SdkRequest  # pylint: disable=import-outside-toplevel,import-error
    sim.reset()
    # The SDK keeps only scheme://host of an endpoint; send its (root-signed) requests below /codearts.
    monkeypatch.setattr(SdkRequest, 'url', property(lambda self: '%s://%s/codearts%s' % (self.schema, self.host, self.uri)))
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    client = (v2.CodeArtsPipelineClient.new_builder().with_http_config(config)
              .with_credentials(BasicCredentials(CODEARTS_AK, CODEARTS_SK, CODEARTS_IAM_PROJECT_ID)).with_endpoints([sim.url]).build())
    body = v2.RunPipelineDTO(variables=[v2.RunPipelineDTOVariables(name='VERSION', value='3.0.0')], description='sdk')
    run_id = client.run_pipeline(v2.RunPipelineRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY, body=body)).pipeline_run_id
    sim.advance(2)
    detail = client.show_pipeline_run_detail(v2.ShowPipelineRunDetailRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY,
                                                                             pipeline_run_id=run_id))
    assert detail.status == 'FAILED' and detail.stages[1].jobs[0].status == 'FAILED'
    retry = client.retry_pipeline_run(v2.RetryPipelineRunRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY, pipeline_run_id=run_id))
    assert retry.success is True
    sim.advance(1)
    detail = client.show_pipeline_run_detail(v2.ShowPipelineRunDetailRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY,
                                                                             pipeline_run_id=run_id))
    job = detail.stages[2].jobs[0]
    client.accept_manual_review(v2.AcceptManualReviewRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY, pipeline_run_id=run_id,
                                                             job_run_id=job.id, step_run_id=job.steps[0].id, approval_description='ok by sdk'))
    detail = client.show_pipeline_run_detail(v2.ShowPipelineRunDetailRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY,
                                                                             pipeline_run_id=run_id))
    client.accept_checkpoint(v2.AcceptCheckpointRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY, pipeline_run_id=run_id,
                                                        step_run_id=detail.stages[3].pre[0].id))
    sim.advance(2)
    log = client.show_pipeline_log(v2.ShowPipelineLogRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY, pipeline_run_id=run_id,
                                                             job_run_id=detail.stages[3].jobs[0].id, step_run_id=detail.stages[3].jobs[0].steps[0].id,
                                                             body=v2.LogQuery(start_offset=0, limit=100, sort='asc')))
    assert 'executed successfully' in log.log
    runs = client.list_pipeline_runs(v2.ListPipelineRunsRequest(project_id=CODEARTS_PROJECT_ID, pipeline_id=DEPLOY,
                                                                body=v2.ListPipelineRunsQuery(offset=0, limit=5)))
    assert runs.pipeline_runs[0].status == 'COMPLETED' and runs.pipeline_runs[0].pipeline_run_id == run_id
