"""Contract: the official Huawei Cloud SDK (``huaweicloudsdkcodeartspipeline`` 3.1.219) works against the simulated CodeArts API,
and the collection's own AK/SK signer (``AkSkSigner``) signs exactly as the SDK's ``huaweicloudsdkcore`` signer does.

The simulator runs in-process on a free loopback port with a scenario of this module's own (its own AK/SK and project ids)
and a frozen clock, so every assertion is deterministic. Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import copy
import datetime
import json
import typing as t
import urllib.parse

import pytest

v2 = pytest.importorskip('huaweicloudsdkcodeartspipeline.v2',
                         reason='huaweicloudsdkcodeartspipeline is not installed (pip install -r requirements-dev.txt); it is the client under test')

# pylint: disable=wrong-import-position,import-error
import requests

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._codearts._signer import AkSkSigner
from ansible_collections.cicd.pipelines.plugins.module_utils._http import Outgoing
from ansible_collections.cicd.pipelines.tests.simulator.codearts.model import hex32
from ansible_collections.cicd.pipelines.tests.simulator.testing import SimHandle, running

AK = 'HPUACONTRACTSDKTEST01'
SK = 'c0ntr4ctSdkS3cretKeyForTheSimulator0123456'
PROJECT_ID = '5dc0e7a1b2c34d5e8f90a1b2c3d4e5f6'
IAM_PROJECT_ID = '9e8d7c6b5a4f43e2a1b0c9d8e7f6a5b4'
PIPELINE = 'contract/release'
PIPELINE_ID = hex32('pipeline', PROJECT_ID, PIPELINE)
P = '/v5/%s/api/pipelines' % PROJECT_ID

SCENARIO: dict[str, t.Any] = {
    'speed': 0,
    'codearts': {'credentials': [{'ak': AK, 'sk': SK, 'user': 'contract'}],
                 'users': [{'name': 'contract', 'password': 'contract-password', 'domain': 'contract'}],
                 'project_id': PROJECT_ID, 'iam_project_id': IAM_PROJECT_ID},
    'pipelines': [{
        'vendor': 'codearts', 'name': PIPELINE,
        'parameters': [{'name': 'VERSION', 'default': '1.0.0'}],
        'stages': [{'name': 'Build', 'duration': 1},
                   {'name': 'Smoke test', 'duration': 1, 'fail_times': 1},
                   {'name': 'Release', 'gate': {'kind': 'approval', 'message': 'Release?'}},
                   {'name': 'Deploy', 'duration': 1, 'gate': {'kind': 'input', 'id': 'Deploy approval', 'message': 'Go?'}}],
    }],
}

FIXED = datetime.datetime(2026, 11, 25, 17, 42, 57, tzinfo=datetime.timezone.utc)
FIXED_DATE = '20261125T174257Z'


@pytest.fixture(name='sim', scope='module')
def sim_fixture() -> t.Iterator[SimHandle]:
    """One simulator for the module; each test starts from a reset."""
    with running(copy.deepcopy(SCENARIO)) as handle:
        yield handle


@pytest.fixture(name='sdk_base', autouse=True)
def sdk_base_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK keeps only scheme://host of an endpoint and signs the path from the host root: send it below /codearts.

    The simulator accepts a signature over the path relative to /codearts (what the SDK signs against a host-root endpoint).
    """
    monkeypatch.setattr(SdkRequest, 'url', property(lambda self: '%s://%s/codearts%s' % (self.schema, self.host, self.uri)))


def _client(sim: SimHandle, sk: str = SK) -> t.Any:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.timeout = (5, 10)
    return (v2.CodeArtsPipelineClient.new_builder().with_http_config(config)
            .with_credentials(BasicCredentials(AK, sk, IAM_PROJECT_ID)).with_endpoints([sim.url]).build())


@pytest.fixture(name='client')
def client_fixture(sim: SimHandle) -> t.Any:
    """An SDK client on a freshly reset simulator."""
    sim.reset()
    return _client(sim)


def _ids(**extra: t.Any) -> dict[str, t.Any]:
    return {'project_id': PROJECT_ID, 'pipeline_id': PIPELINE_ID, **extra}


def _detail(client: t.Any, run_id: str) -> t.Any:
    return client.show_pipeline_run_detail(v2.ShowPipelineRunDetailRequest(**_ids(pipeline_run_id=run_id)))


def _stage(detail: t.Any, name: str) -> t.Any:
    return next(stage for stage in detail.stages if stage.name == name)


def _run(client: t.Any, version: str = '2.0.0', description: str = 'contract run') -> str:
    body = v2.RunPipelineDTO(variables=[v2.RunPipelineDTOVariables(name='VERSION', value=version)], description=description)
    response = client.run_pipeline(v2.RunPipelineRequest(**_ids(body=body)))
    assert response.status_code == 200 and response.error_msg is None
    run_id = response.pipeline_run_id
    assert isinstance(run_id, str) and len(run_id) == 32 and run_id.isalnum()
    return t.cast(str, run_id)


def _to_review(client: t.Any, sim: SimHandle, run_id: str | None = None) -> tuple[str, t.Any]:
    """A run (new, or just started) whose smoke test failed once and was retried in place, now waiting at the manual review."""
    run_id = run_id or _run(client)
    sim.advance(2)
    failed = _detail(client, run_id)
    smoke = _stage(failed, 'Smoke test').jobs[0]
    assert failed.status == 'FAILED' and smoke.status == 'FAILED'
    retried = client.retry_pipeline_run(v2.RetryPipelineRunRequest(**_ids(pipeline_run_id=run_id, body=v2.RetryPipelineRequest(job_run_ids=[smoke.id]))))
    assert retried.success is True and retried.status_code == 200
    sim.advance(1)
    detail = _detail(client, run_id)
    assert detail.id == run_id and detail.run_number == 1 and detail.status == 'RUNNING'
    assert _stage(detail, 'Build').status == 'COMPLETED' and _stage(detail, 'Smoke test').jobs[0].status == 'COMPLETED'
    assert _stage(detail, 'Smoke test').jobs[0].id == smoke.id      # the same job ran again, in the same run
    review = _stage(detail, 'Release').jobs[0]
    assert review.status == 'RUNNING' and review.steps[0].status == 'RUNNING' and review.steps[0].task == 'official_devcloud_checkpoint'
    return run_id, review


# -- 1. the SDK's own signed requests are accepted, and its parsed answers are right -----------------------------------------
def test_sdk_release_flow(client: t.Any, sim: SimHandle) -> None:
    """run (variables, description), detail, in-place retry of the failed job, review and check point accepted, refusals after the end."""
    run_id = _run(client, version='2.0.0', description='release 2.0.0 by the sdk')
    detail = _detail(client, run_id)
    assert detail.id == run_id and detail.pipeline_id == PIPELINE_ID and detail.project_id == PROJECT_ID and detail.name == PIPELINE
    assert detail.status == 'RUNNING' and detail.run_number == 1 and detail.description == 'release 2.0.0 by the sdk'
    assert [s.status for s in detail.stages] == ['RUNNING', 'INIT', 'INIT', 'INIT']
    engine = sim.executions(vendor='codearts', pipeline=PIPELINE)
    assert len(engine) == 1 and 'VERSION' in json.dumps(engine[0]) and '2.0.0' in json.dumps(engine[0])

    review = _to_review(client, sim, run_id)[1]      # the same run, retried in place

    accept = v2.AcceptManualReviewRequest(**_ids(pipeline_run_id=run_id, job_run_id=review.id, step_run_id=review.steps[0].id,
                                                 approval_description='ok by the sdk'))
    accepted = client.accept_manual_review(accept)
    assert accepted.success is True
    passed = sim.requests(vendor='codearts', operation='review.pass')
    assert passed[-1]['status'] == 200 and urllib.parse.parse_qs(passed[-1]['query']) == {'approval_description': ['ok by the sdk']}
    detail = _detail(client, run_id)
    assert _stage(detail, 'Release').jobs[0].steps[0].status == 'COMPLETED'
    pre = _stage(detail, 'Deploy').pre[0]
    assert pre.name == 'Deploy approval' and pre.status == 'RUNNING' and pre.task == 'official_devcloud_manualTrigger'
    checkpoint = client.accept_checkpoint(v2.AcceptCheckpointRequest(**_ids(pipeline_run_id=run_id, step_run_id=pre.id)))
    assert checkpoint.success is True
    sim.advance(1)
    detail = _detail(client, run_id)
    assert detail.status == 'COMPLETED' and all(s.status == 'COMPLETED' for s in detail.stages)

    # Refusals on an ended run: HTTP 400 DEVCP.00021400, raised by the SDK as ClientRequestException.
    with pytest.raises(ClientRequestException) as stopped:
        client.stop_pipeline_run(v2.StopPipelineRunRequest(**_ids(pipeline_run_id=run_id)))
    assert stopped.value.status_code == 400 and stopped.value.error_code == 'DEVCP.00021400'
    with pytest.raises(ClientRequestException) as retried:
        client.retry_pipeline_run(v2.RetryPipelineRunRequest(**_ids(pipeline_run_id=run_id)))
    assert retried.value.status_code == 400 and retried.value.error_code == 'DEVCP.00021400'
    runs = client.list_pipeline_runs(v2.ListPipelineRunsRequest(**_ids(body=v2.ListPipelineRunsQuery(offset=0, limit=5))))
    assert runs.total == 1 and runs.pipeline_runs[0].pipeline_run_id == run_id and runs.pipeline_runs[0].status == 'COMPLETED'


def test_sdk_stop(client: t.Any, sim: SimHandle) -> None:
    """stop_pipeline_run cancels a running run."""
    run_id = _run(client)
    stopped = client.stop_pipeline_run(v2.StopPipelineRunRequest(**_ids(pipeline_run_id=run_id)))
    assert stopped.success is True and stopped.status_code == 200
    detail = _detail(client, run_id)
    assert detail.id == run_id and detail.status == 'CANCELED'
    sim.advance(5)
    assert _detail(client, run_id).status == 'CANCELED'


def test_sdk_reject_manual_review(client: t.Any, sim: SimHandle) -> None:
    """reject_manual_review fails the run; accepting the review afterwards is refused (400)."""
    run_id, review = _to_review(client, sim)
    rejected = client.reject_manual_review(v2.RejectManualReviewRequest(**_ids(pipeline_run_id=run_id, job_run_id=review.id,
                                                                               step_run_id=review.steps[0].id, approval_description='no')))
    assert rejected.success is True
    detail = _detail(client, run_id)
    assert detail.status == 'FAILED' and _stage(detail, 'Release').jobs[0].steps[0].status == 'FAILED'
    with pytest.raises(ClientRequestException) as late:     # the review no longer waits
        client.accept_manual_review(v2.AcceptManualReviewRequest(**_ids(pipeline_run_id=run_id, job_run_id=review.id, step_run_id=review.steps[0].id)))
    assert late.value.status_code == 400 and late.value.error_code == 'DEVCP.00021400'


# -- 2. a wrong SK is refused by the gateway ----------------------------------------------------------------------------------
def test_sdk_wrong_secret_key_refused(sim: SimHandle) -> None:
    """A wrong SK through the SDK: the gateway's 401 APIGW.0301, raised as ClientRequestException; nothing runs."""
    sim.reset()
    with pytest.raises(ClientRequestException) as refused:
        _client(sim, sk='not-the-secret-key').run_pipeline(v2.RunPipelineRequest(**_ids(body=v2.RunPipelineDTO())))
    assert refused.value.status_code == 401 and refused.value.error_code == 'APIGW.0301'
    assert refused.value.error_msg == 'Incorrect IAM authentication information: verify aksk signature fail' and refused.value.request_id
    assert sim.executions(vendor='codearts') == []
    assert sim.requests(vendor='codearts')[-1]['status'] == 401


# -- 3. our signer signs as the SDK does --------------------------------------------------------------------------------------
def _our_authorization(request: t.Mapping[str, t.Any], now: datetime.datetime) -> str:
    """AkSkSigner's Authorization for a request {method, url, params, headers (without X-Sdk-Date), body} at ``now``."""
    body = request['body']
    outgoing = Outgoing(request['method'], request['url'], request['params'], dict(request['headers']), data=body if body else None)
    assert outgoing.body == body
    AkSkSigner(AK, SK, now=lambda: now).apply(outgoing)
    return outgoing.headers['Authorization']


def _parse_date(value: str) -> datetime.datetime:
    return datetime.datetime.strptime(value, '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc)


def test_signatures_equal_on_captured_sdk_requests(client: t.Any, sim: SimHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrap the SDK's signer; re-sign every request it sends with AkSkSigner at the SDK's X-Sdk-Date."""
    captured: list[dict[str, t.Any]] = []
    original = Signer.sign

    def spy(self: Signer, request: SdkRequest) -> SdkRequest:
        body = request.body.encode('utf-8') if isinstance(request.body, str) else (request.body or b'')
        before = {'method': request.method, 'url': '%s://%s%s' % (request.schema, request.host, request.resource_path),
                  'params': copy.deepcopy(list(request.query_params or [])), 'headers': dict(request.header_params), 'body': body}
        signed = original(self, request)
        before['authorization'] = signed.header_params['Authorization']
        before['date'] = signed.header_params['X-Sdk-Date']
        captured.append(before)
        return signed

    monkeypatch.setattr(Signer, 'sign', spy)
    run_id, review = _to_review(client, sim)          # POST run (JSON body), GET detail (query), PUT retry (JSON body)
    accept = v2.AcceptManualReviewRequest(**_ids(pipeline_run_id=run_id, job_run_id=review.id, step_run_id=review.steps[0].id,
                                                 approval_description='ok ~ by the sdk/é'))
    client.accept_manual_review(accept)                                                                        # POST, query, no body
    client.stop_pipeline_run(v2.StopPipelineRunRequest(**_ids(pipeline_run_id=run_id)))                       # POST, no query, no body
    kinds = set()
    for item in captured:
        assert 'X-Sdk-Date' not in item['headers'] and item['headers'].get('Content-Type', '').startswith('application/json')
        ours = _our_authorization(item, _parse_date(item['date']))
        assert ours == item['authorization'], item
        kinds.add((item['method'], bool(item['params']), bool(item['body'])))
    assert {('POST', False, True), ('GET', True, False), ('PUT', False, True), ('POST', True, False), ('POST', False, False)} <= kinds
    assert all(entry['status'] == 200 for entry in sim.requests(vendor='codearts'))


SIGN_CASES = [
    pytest.param('POST', P + '/%s/run' % PIPELINE_ID, [], 'application/json;charset=utf-8',
                 json.dumps({'variables': [{'name': 'VERSION', 'value': 'v2 ~ é'}], 'description': 'déploiement'}).encode('utf-8'), id='post-json'),
    pytest.param('GET', P + '/%s/pipeline-runs/detail' % PIPELINE_ID, [('pipeline_run_id', 'a' * 32), ('pipeline_run_number', 3)],
                 'application/json', b'', id='get-query'),
    pytest.param('GET', P + '/list', [('z', 'last'), ('a b', 'x/y+z~é'), ('flag', True), ('multi', ['b', 'a'])], 'application/json', b'',
                 id='get-query-encoding'),
    pytest.param('POST', P + '/%s/pipeline-runs/%s/jobs/j%%201/steps/s1/pass' % (PIPELINE_ID, 'b' * 32), [('approval_description', 'ok by ansible')],
                 'application/json;charset=UTF-8', b'', id='post-query-no-body'),
    pytest.param('PUT', P + '/%s/pipeline-runs/%s/retry' % (PIPELINE_ID, 'c' * 32), [], 'text/plain', b'{"job_run_ids": ["j1"]}', id='unsigned-payload'),
    pytest.param('POST', P + '/%s/pipeline-runs/%s/stop' % (PIPELINE_ID, 'c' * 32), [], 'application/x-www-form-urlencoded', b'',
                 id='unsigned-payload-empty-body'),
]


@pytest.mark.parametrize('method, path, params, content_type, body', SIGN_CASES)
def test_signatures_equal_at_fixed_date(method: str, path: str, params: list[tuple[str, t.Any]], content_type: str, body: bytes) -> None:
    """Sign one SdkRequest with the SDK's Signer at a fixed X-Sdk-Date, the same request with AkSkSigner(now=that date)."""
    host = '127.0.0.1:8443'
    headers = {'Content-Type': content_type, 'X-Project-Id': IAM_PROJECT_ID, 'User-Agent': 'huaweicloud-usdk-python/3.0; contract'}
    request = SdkRequest(method=method, schema='http', host=host, resource_path=path, query_params=copy.deepcopy(params),
                         header_params={**headers, 'X-Sdk-Date': FIXED_DATE}, body=body)
    sdk = Signer(BasicCredentials(AK, SK, IAM_PROJECT_ID)).sign(request).header_params['Authorization']
    ours = _our_authorization({'method': method, 'url': 'http://%s%s' % (host, path), 'params': params, 'headers': headers, 'body': body}, FIXED)
    assert ours == sdk
    assert sdk.startswith('SDK-HMAC-SHA256 Access=%s, SignedHeaders=' % AK)
    names = 'content-type;host;user-agent;x-project-id;x-sdk-date'
    if not content_type.startswith('application/json'):
        names = 'content-type;host;user-agent;x-project-id;x-sdk-content-sha256;x-sdk-date'
    assert ', SignedHeaders=%s, ' % names in sdk


def test_simulator_accepts_sdk_signature_with_unsigned_payload_and_empty_body(sim: SimHandle) -> None:
    """The SDK hashes an empty body as the empty string even when it sends X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD."""
    sim.reset()
    client = _client(sim)
    run_id = _run(client)
    host = '127.0.0.1:%d' % sim.port
    request = SdkRequest(method='POST', schema='http', host=host, resource_path='%s/%s/pipeline-runs/%s/stop' % (P, PIPELINE_ID, run_id),
                         query_params=[], header_params={'Content-Type': 'application/x-www-form-urlencoded', 'X-Project-Id': IAM_PROJECT_ID},
                         body=b'')
    signed = Signer(BasicCredentials(AK, SK, IAM_PROJECT_ID)).sign(request)
    assert signed.header_params['X-Sdk-Content-Sha256'] == 'UNSIGNED-PAYLOAD'
    response = requests.post(sim.codearts_url + signed.uri, data=b'', headers=signed.header_params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {'success': True} and _detail(client, run_id).status == 'CANCELED'


def test_simulator_accepts_our_signature(sim: SimHandle) -> None:
    """Requests signed by AkSkSigner over the full /codearts path (as the collection sends them) pass the gateway."""
    sim.reset()
    signer = AkSkSigner(AK, SK)

    def send(method: str, path: str, params: list[tuple[str, str]] | None = None, body: t.Any = None) -> t.Any:
        outgoing = Outgoing(method, sim.codearts_url + path, params, {'X-Project-Id': IAM_PROJECT_ID,
                                                                      'Content-Type': 'application/json;charset=utf-8'}, json=body)
        signer.apply(outgoing)      # it may move the query into the URL, as signed (then outgoing.params is None)
        response = requests.request(method, outgoing.url, params=outgoing.params, data=outgoing.body, headers=outgoing.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    listed = send('POST', P + '/list', params=[('note', 'a b/é~+')], body={'name': 'contract', 'offset': 0, 'limit': 10})
    assert listed['total'] == 1 and listed['pipelines'][0]['pipeline_id'] == PIPELINE_ID
    run_id = send('POST', '%s/%s/run' % (P, PIPELINE_ID), body={'variables': [{'name': 'VERSION', 'value': '3.0 é'}],
                                                                'description': 'ours'})['pipeline_run_id']
    detail = send('GET', '%s/%s/pipeline-runs/detail' % (P, PIPELINE_ID), params=[('pipeline_run_id', run_id)])
    assert detail['id'] == run_id and detail['description'] == 'ours' and detail['status'] == 'RUNNING'
    assert send('POST', '%s/%s/pipeline-runs/%s/stop' % (P, PIPELINE_ID, run_id)) == {'success': True}
    # ... and a wrong SK through our signer gets the gateway's 401 body.
    outgoing = Outgoing('POST', sim.codearts_url + P + '/list', None, {'X-Project-Id': IAM_PROJECT_ID}, json={})
    AkSkSigner(AK, 'wrong').apply(outgoing)
    refused = requests.post(outgoing.url, data=outgoing.body, headers=outgoing.headers, timeout=10)
    assert refused.status_code == 401 and refused.json()['error_code'] == 'APIGW.0301'
