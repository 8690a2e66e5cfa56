# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Jenkins backend against recorded Jenkins JSON (fixtures/jenkins) through the fake transport."""

from __future__ import annotations

import dataclasses

import base64
import json
import re
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Connection
from ansible_collections.cicd.pipelines.plugins.module_utils._http import Outgoing, Response
from ansible_collections.cicd.pipelines.plugins.module_utils._options import USES
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._jenkins._records import stages_of
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._jenkins import (
    KEY_PARAMETER, STATUS_TABLE, JenkinsBackend)
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._jenkins._api import job_path
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import (AmbiguousOutcomeError, ApiError, AuthenticationError,
                                                                             ConflictError, InvalidState,
                                                                             NotFoundError, UnsupportedOperation,
                                                                             ValidationError, VendorValidationError)
from ansible_collections.cicd.pipelines.plugins.module_utils._model import (Execution, Level, PendingInput, PipelineInfo, StartRequest, Status,
                                                                            map_status)

BASE = 'https://ci.example.com/jenkins'
# Jenkins' own idea of its root URL, as it appears in Location headers and `url` fields (wrong: proxy).
INTERNAL = 'http://jenkins.internal:8080/jenkins'
DEPLOY = '/job/team/job/app/job/deploy'
PLAIN = '/job/team/job/app/job/plain'
CRUMB = '0f9a1c2b3d4e5f60718293a4b5c6d7e8'
NOT_FOUND = '<html><head><title>Error 404 Not Found</title></head><body><h2>HTTP ERROR 404 Not Found</h2></body></html>'
AUTH = {
    'token': {'username': 'ci-bot', 'api_token': '11aa22bb33cc44dd55ee66ff77889900aa'},
    'password': {'username': 'ci-bot', 'password': 'hunter2-but-longer'},
    'anonymous': {},
}


class Jenkins:
    """Recorded Jenkins answers behind a FakeTransport, and the backend under test."""

    def __init__(self, fake: t.Any, load: t.Callable[[str, str], t.Any]) -> None:
        self.fake = fake
        self.load = lambda name: load('jenkins', name)
        self.queue_items: t.List[t.Dict[str, t.Any]] = self.load('queue')['items']
        self.fake.add('GET', r'/queue/api/json',
                      handler=lambda r: {'_class': 'hudson.model.Queue', 'items': self.queue_items})

    def backend(self, auth: str = 'token') -> JenkinsBackend:
        return JenkinsBackend(Connection(vendor='jenkins', api_url=BASE + '/', **AUTH[auth]), transport=self.fake)

    def route(self, method: str, path: str, body: t.Any = None, **kwargs: t.Any) -> None:
        self.fake.add(method, re.escape(path), body, **kwargs)

    def job(self, path: str, name: str, builds: t.Sequence[str] = ()) -> t.Dict[str, t.Any]:
        data = self.load(name)
        data['builds'] = [self.load(b) for b in builds] + data.get('builds', [])
        self.route('GET', path + '/api/json', data)
        return data

    def build(self, path: str, name: str, wfapi: t.Optional[str] = None, pending: t.Optional[str] = None) -> None:
        data = self.load(name)
        prefix = '%s/%d' % (path, data['number'])
        self.route('GET', prefix + '/api/json', data)
        if wfapi:
            self.route('GET', prefix + '/wfapi/describe', self.load(wfapi))
        else:
            self.route('GET', prefix + '/wfapi/describe', NOT_FOUND, status=404)
        if pending:
            self.route('GET', prefix + '/wfapi/pendingInputActions', self.load(pending))

    def queue_item(self, name: str, **changes: t.Any) -> t.Dict[str, t.Any]:
        data = self.load(name)
        data.update(changes)
        self.route('GET', '/queue/item/%d/api/json' % data['id'], data)
        return data

    def posts(self, pattern: str = '.*') -> t.List[t.Any]:
        return self.fake.calls('POST', pattern)


@pytest.fixture
def jenkins(fake_transport: t.Any, fixture_json: t.Any) -> Jenkins:
    return Jenkins(fake_transport(BASE, 'jenkins'), fixture_json)


def stub(pipeline: str = 'team/app/deploy', id: t.Optional[str] = None, **scope: t.Any) -> Execution:
    return Execution(vendor='jenkins', pipeline=pipeline, id=id, scope=scope)


def request(key: str = 'rel-9', derived: bool = False, pipeline: str = 'team/app/deploy', **kwargs: t.Any) -> StartRequest:
    parameters = kwargs.pop('parameters', {'VERSION': '9.0.0', 'DB_PASSWORD': 's3cret-db-pw'})
    return StartRequest(pipeline=pipeline, parameters=parameters, key=key, key_derived=derived, **kwargs)


def scheduled(jenkins: Jenkins, queue_id: int, status: int = 201, commit: bool = True,
              **item_changes: t.Any) -> t.Callable[[t.Any], t.Any]:
    """A buildWithParameters/build handler: queue a WaitingItem carrying the posted form, answer 201 + Location."""
    def handler(req: t.Any) -> t.Any:
        form = req.form()
        item = jenkins.load('queue_item_waiting')
        item.update(id=queue_id, url='queue/item/%d/' % queue_id, params='')
        item['actions'][0]['parameters'] = [{'name': k, 'value': v} for k, v in form.items()]
        item.update(item_changes)
        if commit:
            jenkins.queue_items.append(item)
            jenkins.route('GET', '/queue/item/%d/api/json' % queue_id, item)
        return (status, None, {'Location': INTERNAL + '/queue/item/%d/' % queue_id})
    return handler


# Paths ----------------------------------------------------------------------------------------------

def test_job_path_nests_folders_and_quotes_each_segment() -> None:
    assert job_path('team/app/deploy') == '/job/team/job/app/job/deploy'
    assert job_path('my team/a?b#c%/x+y') == '/job/my%20team/job/a%3Fb%23c%25/job/x%2By'


def test_describe_requests_the_quoted_folder_path(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/my%20team/job/r%26d/api/json', jenkins.load('job_nightly'))
    jenkins.backend().describe_pipeline('my team/r&d')
    # The queue first: the same look serves the key lookup of the start that follows.
    assert [r.path for r in jenkins.fake.requests] == ['/queue/api/json', '/job/my%20team/job/r%26d/api/json']
    assert jenkins.fake.requests[1].url == BASE + '/job/my%20team/job/r%26d/api/json'
    # Cause texts are matched in English whatever Jenkins' default locale.
    assert jenkins.fake.requests[1].header('Accept-Language') == 'en'


@pytest.mark.parametrize('name', ['', ' ', 'a//b', '/a', 'a/', 'a/../b', 'a/./b'])
def test_malformed_job_names_are_rejected_before_any_request(jenkins: Jenkins, name: str) -> None:
    with pytest.raises(ValidationError):
        jenkins.backend().describe_pipeline(name)
    assert jenkins.fake.requests == []


# Auth and crumbs ----------------------------------------------------------------------------------

def test_token_auth_never_asks_for_a_crumb(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302, headers={'Location': INTERNAL + DEPLOY + '/45/'})
    backend = jenkins.backend('token')
    backend.cancel(stub(id='45'))
    backend.cancel(stub(id='45'))
    assert jenkins.fake.calls('GET', r'/crumbIssuer/.*') == []
    assert [r.header('Jenkins-Crumb') for r in jenkins.posts()] == [None, None]


@pytest.mark.parametrize('auth', ['password', 'anonymous'])
def test_password_and_anonymous_fetch_one_crumb_and_send_it(jenkins: Jenkins, auth: str) -> None:
    jenkins.route('GET', '/crumbIssuer/api/json', jenkins.load('crumb'))
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)
    backend = jenkins.backend(auth)
    backend.cancel(stub(id='45'))
    backend.cancel(stub(id='45'))
    assert len(jenkins.fake.calls('GET', '/crumbIssuer/api/json')) == 1
    assert [r.header('Jenkins-Crumb') for r in jenkins.posts()] == [CRUMB, CRUMB]
    # The crumb is a credential: never in a message.
    assert CRUMB not in backend.http.redact('crumb %s' % CRUMB)


def test_crumb_error_refetches_the_crumb_once_and_resends(jenkins: Jenkins) -> None:
    # The first crumb fetch gets the (by then stale) crumb, every later one a fresh crumb.
    jenkins.route('GET', '/crumbIssuer/api/json', jenkins.load('crumb_refreshed'))
    jenkins.route('GET', '/crumbIssuer/api/json', jenkins.load('crumb'), times=1)
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)
    jenkins.route('POST', DEPLOY + '/45/stop', '<html><body>HTTP ERROR 403 No valid crumb was included in the '
                  'request</body></html>', status=403, times=1)
    jenkins.backend('password').cancel(stub(id='45'))
    assert len(jenkins.fake.calls('GET', '/crumbIssuer/api/json')) == 2
    assert [r.header('Jenkins-Crumb') for r in jenkins.posts()] == [CRUMB, '99aa88bb77cc66dd55ee44ff33001122']


def test_other_403_is_not_retried(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/crumbIssuer/api/json', jenkins.load('crumb'))
    jenkins.route('POST', DEPLOY + '/45/stop', 'ci-bot is missing the Job/Cancel permission', status=403)
    with pytest.raises(ApiError) as caught:
        jenkins.backend('password').cancel(stub(id='45'))
    assert 'Job/Cancel' in caught.value.msg
    assert len(jenkins.posts()) == 1


def test_no_crumb_issuer_means_no_crumb(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/crumbIssuer/api/json', NOT_FOUND, status=404)
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)
    jenkins.backend('password').cancel(stub(id='45'))
    assert jenkins.posts()[0].header('Jenkins-Crumb') is None


@pytest.mark.parametrize('auth, expected', [
    ('token', ('ci-bot', AUTH['token']['api_token'])),
    ('password', ('ci-bot', AUTH['password']['password'])),
    ('anonymous', None),
])
def test_own_transport_uses_basic_auth(auth: str, expected: t.Any) -> None:
    backend = JenkinsBackend(Connection(vendor='jenkins', api_url=BASE, **AUTH[auth]))
    assert backend.http.base_url == BASE
    if expected is None:
        assert backend.http.auth is None
        return
    outgoing = Outgoing('GET', BASE + '/api/json', None, {})
    backend.http.auth.apply(outgoing)
    assert outgoing.headers['Authorization'] == 'Basic ' + base64.b64encode(('%s:%s' % expected).encode()).decode()


def test_basic_auth_is_sent_on_every_attempt(jenkins: Jenkins) -> None:
    """The authenticator runs inside the transport, once per attempt: a retried read carries it again."""
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('GET', DEPLOY + '/45/api/json', 'busy', status=503, times=1)  # later routes answer first
    jenkins.backend().get(stub(id='45'))
    reads = jenkins.fake.calls('GET', re.escape(DEPLOY) + '/45/api/json')
    assert len(reads) == 2
    assert all((r.header('Authorization') or '').startswith('Basic ') for r in reads)


@pytest.mark.parametrize('settings, problem', [
    ({'username': 'u', 'api_token': 't', 'password': 'p'}, 'give either api_token or password, not both'),
    ({'api_token': 't'}, 'need username'),
    ({'password': 'p'}, 'need username'),
    ({'username': 'u'}, 'username needs api_token'),
])
def test_validate_connection(settings: t.Dict[str, str], problem: str) -> None:
    problems = JenkinsBackend.validate_connection(Connection(vendor='jenkins', api_url=BASE, **settings))
    assert any(problem in p for p in problems), problems
    assert JenkinsBackend.validate_connection(Connection(vendor='jenkins', api_url=BASE, **AUTH['token'])) == []


def test_backend_contract_attributes() -> None:
    assert JenkinsBackend.name == 'jenkins'
    assert JenkinsBackend.capabilities == frozenset({'start', 'info', 'input', 'resume', 'retry', 'cancel'})
    assert sorted(USES['jenkins']) == ['api_token', 'api_url', 'password', 'username']
    assert USES['jenkins']['api_token'].env == ('JENKINS_API_TOKEN',)
    assert USES['jenkins']['api_url'].env == ('JENKINS_URL',)
    assert USES['jenkins']['username'].env == ('JENKINS_USER_ID',)


# Errors ---------------------------------------------------------------------------------------------

def test_x_error_header_is_the_message(jenkins: Jenkins) -> None:
    jenkins.route('POST', DEPLOY + '/44/input/Release/abort', '<html>long page</html>', status=400,
                  headers={'X-Error': 'You need to be release-managers to submit this.'})
    jenkins.build(DEPLOY, 'build_paused', 'wfapi_paused', 'pending_inputs')
    backend = jenkins.backend()
    gate = backend.get(stub(id='44')).pending_inputs[0]
    with pytest.raises(VendorValidationError) as caught:
        backend.answer_input(stub(id='44'), gate, False, {})
    assert caught.value.vendor_message == 'You need to be release-managers to submit this.'
    assert caught.value.status == 400


JETTY_401 = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
             '<title>Error 401 Invalid password/token for user: admin</title>\n</head>\n<body>\n'
             '<h2>HTTP ERROR 401 Invalid password/token for user: admin</h2>\n<table>\n'
             '<tr><th>URI:</th><td>/job/shop/job/deploy/api/json</td></tr>\n<tr><th>STATUS:</th><td>401</td></tr>\n'
             '<tr><th>MESSAGE:</th><td>Invalid password/token for user: admin</td></tr>\n'
             '<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n<hr/><a href="https://jetty.org/">Powered by Jetty://</a>\n'
             '</body>\n</html>\n')


def test_container_error_page_gives_only_its_message(jenkins: Jenkins) -> None:
    # A wrong token: Jenkins answers with Jetty's error page; the message is its MESSAGE row, not the page.
    jenkins.route('GET', DEPLOY + '/api/json', JETTY_401, status=401)
    with pytest.raises(AuthenticationError) as caught:
        jenkins.backend().describe_pipeline('team/app/deploy')
    assert caught.value.vendor_message == 'Invalid password/token for user: admin'
    assert caught.value.msg == ("jenkins: could not read job 'team/app/deploy' (HTTP 401): "
                                "Invalid password/token for user: admin")


def test_html_page_instead_of_json_hints_at_api_url(jenkins: Jenkins) -> None:
    jenkins.route('GET', DEPLOY + '/api/json', '<html><body>Sign in</body></html>')
    with pytest.raises(ApiError) as caught:
        jenkins.backend().describe_pipeline('team/app/deploy')
    assert 'api_url' in caught.value.msg and 'HTML' in caught.value.msg


def test_job_not_found(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/x/job/y/api/json', NOT_FOUND, status=404)
    jenkins.route('GET', '/api/json', {'mode': 'NORMAL'}, headers={'X-Jenkins': '2.479.1'})
    with pytest.raises(NotFoundError) as caught:
        jenkins.backend().describe_pipeline('x/y')
    assert caught.value.msg.startswith("jenkins: job 'x/y' not found")


def test_an_api_url_without_the_context_path_is_named_as_the_problem(jenkins: Jenkins) -> None:
    # A reverse proxy's own 404 pages: no X-Jenkins header, neither for the job nor for the root.
    jenkins.route('GET', '/job/x/job/y/api/json', NOT_FOUND, status=404)
    jenkins.route('GET', '/api/json', NOT_FOUND, status=404)
    with pytest.raises(NotFoundError) as caught:
        jenkins.backend().describe_pipeline('x/y')
    assert 'does not look like a Jenkins root' in caught.value.msg and 'context path' in caught.value.msg


# describe_pipeline ------------------------------------------------------------------------------------

def test_describe_types_parameters_and_hides_the_key_parameter(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    backend = jenkins.backend()
    info = backend.describe_pipeline('team/app/deploy')
    got = [(p.name, p.type, p.default, p.choices) for p in info.parameters]
    assert got == [
        ('VERSION', 'string', '1.0.0', None),
        ('CHANGELOG', 'text', '', None),
        ('ENV', 'choice', 'staging', ['staging', 'production']),
        ('DRY_RUN', 'boolean', False, None),
        ('DB_PASSWORD', 'password', None, None),
        ('UPSTREAM', 'other', None, None),
    ]
    assert info.parameters[0].description == 'Version to deploy'
    assert info.startable is True
    assert info.url == BASE + DEPLOY + '/'
    assert backend.key_carrier('team/app/deploy') == 'parameter'
    assert len(jenkins.fake.requests) == 2  # queue + job, once: the carrier is remembered, not read again


def test_choice_default_is_the_first_choice(jenkins: Jenkins) -> None:
    data = jenkins.load('job_plain')
    data['property'][0]['parameterDefinitions'][1].pop('defaultParameterValue')
    jenkins.route('GET', PLAIN + '/api/json', data)
    backend = jenkins.backend()
    assert backend.describe_pipeline('team/app/plain').parameters[1].default == 'staging'
    assert backend.key_carrier('team/app/plain') == 'description'


def test_folder_is_not_a_job(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/team/job/app/api/json', jenkins.load('folder_app'))
    with pytest.raises(ValidationError) as caught:
        jenkins.backend().describe_pipeline('team/app')
    assert 'folder' in caught.value.msg
    assert 'team/app/deploy' in caught.value.msg and 'team/app/plain' in caught.value.msg


def test_disabled_job_is_not_startable(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/team/job/legacy/api/json', jenkins.load('job_disabled'))
    info = jenkins.backend().describe_pipeline('team/legacy')
    assert info.startable is False
    assert info.reason == 'the job is disabled'


# Status mapping ------------------------------------------------------------------------------------

EXPECTED_STATUS = {
    'SUCCESS': 'succeeded', 'UNSTABLE': 'unstable', 'FAILURE': 'failed', 'NOT_BUILT': 'skipped',
    'ABORTED': 'aborted', 'IN_PROGRESS': 'running', 'PAUSED_PENDING_INPUT': 'waiting', 'FAILED': 'failed',
    'NOT_EXECUTED': 'skipped', 'WaitingItem': 'queued', 'BlockedItem': 'queued', 'BuildableItem': 'queued',
    'LeftItem': 'queued', 'CANCELLED': 'aborted', 'BUILDING': 'running',
}


@pytest.mark.parametrize('word, expected', sorted(EXPECTED_STATUS.items()))
def test_status_table(word: str, expected: str) -> None:
    assert map_status(JenkinsBackend.status_table, word).value == expected


def test_status_table_has_no_other_words_and_unknown_words_are_unknown() -> None:
    assert set(STATUS_TABLE) == set(EXPECTED_STATUS)
    assert map_status(JenkinsBackend.status_table, 'SOMETHING_NEW') is Status.UNKNOWN


@pytest.mark.parametrize('build, wfapi, status, word', [
    ('build_success', 'wfapi_success', 'succeeded', 'SUCCESS'),
    ('build_failure', 'wfapi_failure', 'failed', 'FAILURE'),
    ('build_unstable', None, 'unstable', 'UNSTABLE'),
    ('build_aborted', None, 'aborted', 'ABORTED'),
    ('build_running', 'wfapi_running', 'running', 'IN_PROGRESS'),
    ('build_running', None, 'running', 'BUILDING'),
    # currentBuild.result set while the build still runs: not finished yet.
    ('build_result_set_while_running', None, 'running', 'BUILDING'),
])
def test_build_status(jenkins: Jenkins, build: str, wfapi: t.Optional[str], status: str, word: str) -> None:
    jenkins.build(DEPLOY, build, wfapi)
    number = jenkins.load(build)['number']
    execution = jenkins.backend().get(stub(id=str(number)))
    assert (execution.status.value, execution.vendor_status) == (status, word)
    assert execution.terminal is (status not in ('running', 'waiting'))


def test_finished_build_record(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_failure', 'wfapi_failure')
    execution = jenkins.backend().get(stub(id='42'))
    assert execution.id == '42' and execution.number == 42
    assert execution.url == BASE + DEPLOY + '/42/'
    assert execution.started_at == '2026-01-01T00:16:40Z'
    assert execution.finished_at == '2026-01-01T00:18:45Z'
    assert execution.duration == 125.5
    assert [(s.name, s.status.value, s.vendor_status) for s in execution.stages] == [
        ('Build', 'succeeded', 'SUCCESS'), ('Test', 'failed', 'FAILED'), ('Unit', 'failed', 'FAILED'),
        ('Deploy', 'skipped', 'NOT_EXECUTED')]
    assert execution.stages[0].started_at == '2026-01-01T00:16:40Z'
    assert execution.stages[0].finished_at == '2026-01-01T00:17:40Z'
    assert execution.parameters == {
        'VERSION': '1.8.0', 'CHANGELOG': 'Fixes', 'ENV': 'production', 'DRY_RUN': False, 'DB_PASSWORD': None}
    assert execution.idempotency_key == 'rel-1.8'
    assert execution.scope == {'queue_id': 1280}
    assert set(execution.raw) == {'build', 'wfapi', 'pending_inputs'}
    assert jenkins.fake.calls('GET', r'.*/pendingInputActions') == []  # nothing pending: not asked


def test_freestyle_build_does_not_ask_wfapi(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/nightly/7/api/json', jenkins.load('build_freestyle'))
    execution = jenkins.backend().get(stub('nightly', id='7'))
    assert execution.status is Status.SUCCEEDED and execution.stages == []
    assert [r.path for r in jenkins.fake.requests] == ['/job/nightly/7/api/json']


def test_why_a_build_cannot_be_resumed_names_what_jenkins_supports_instead(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/job/nightly/7/api/json', jenkins.load('build_freestyle'))
    backend = jenkins.backend()
    freestyle = backend.get(stub('nightly', id='7'))

    assert 'FreeStyleBuild, not a Pipeline build' in backend.not_resumable_reason(freestyle)
    assert 'pipeline_retry' in backend.not_resumable_reason(freestyle)
    running = dataclasses.replace(freestyle, status=Status.RUNNING)
    assert 'only finished builds' in backend.not_resumable_reason(running)


def test_missing_build(jenkins: Jenkins) -> None:
    jenkins.route('GET', DEPLOY + '/99/api/json', NOT_FOUND, status=404)
    jenkins.route('GET', DEPLOY + '/api/json', {'lastBuild': {'number': 44}})
    with pytest.raises(NotFoundError, match=r"build #99 of job 'team/app/deploy' not found \(HTTP 404\); its last build is #44$"):
        jenkins.backend().get(stub(id='99'))


# Pending inputs -------------------------------------------------------------------------------------

def test_pending_inputs_are_typed(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_paused', 'wfapi_paused', 'pending_inputs')
    backend = jenkins.backend()
    execution = backend.get(stub(id='44'))
    assert (execution.status, execution.vendor_status) == (Status.WAITING, 'PAUSED_PENDING_INPUT')
    release, okay = execution.pending_inputs
    assert (release.id, release.kind, release.stage, release.message) == (
        'Release', 'input', 'Approve', 'Release 2.0.0 to production?')
    assert [(p.name, p.type, p.default) for p in release.parameters] == [
        ('TICKET', 'string', 'CHG-0'), ('REGION', 'choice', 'eu-west-1'), ('NOTIFY', 'boolean', True),
        ('DEPLOY_KEY', 'password', None), ('NOTES', 'text', ''), ('SOURCE_RUN', 'other', None)]
    assert release.parameters[1].choices == ['eu-west-1', 'us-east-1']
    assert release.parameters[0].description == 'Change ticket'
    assert (okay.id, okay.kind, okay.parameters) == ('Ef95dd500ae6ed3b27b89fb852296d12', 'approval', [])
    # wfapi hands out password defaults in clear text: they never reach the record, and are secrets
    # from the moment they are read.
    assert 'pw-default-7f3a' not in json.dumps(execution.to_result())
    assert backend.http.redact('key pw-default-7f3a') == 'key ********'


def test_pending_inputs_link_alone_is_enough(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_paused', None, 'pending_inputs')
    wfapi = jenkins.load('wfapi_paused')
    wfapi['status'] = 'IN_PROGRESS'  # the run status and the links are computed separately
    jenkins.route('GET', DEPLOY + '/44/wfapi/describe', wfapi)
    execution = jenkins.backend().get(stub(id='44'))
    assert [g.id for g in execution.pending_inputs] == ['Release', 'Ef95dd500ae6ed3b27b89fb852296d12']
    assert execution.status is Status.WAITING


# Lineage -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('build, previous', [
    ('build_restarted', '42'),   # RestartDeclarativePipelineCause
    ('build_replayed', '42'),    # ReplayCause "Replayed #42"
    ('build_rebuilt', '1042'),   # ReplayCause "Rebuilt #1,042" (MessageFormat groups digits)
    ('build_running', None),
])
def test_previous_id_from_causes(jenkins: Jenkins, build: str, previous: t.Optional[str]) -> None:
    jenkins.build(DEPLOY, build)
    number = jenkins.load(build)['number']
    assert jenkins.backend().get(stub(id=str(number))).previous_id == previous


def test_previous_id_from_retry_of_description_line(jenkins: Jenkins) -> None:
    jenkins.build(PLAIN, 'build_plain_retry_of')
    assert jenkins.backend().get(stub('team/app/plain', id='13')).previous_id == '11'


def test_previous_id_of_a_queued_retry_from_its_key(jenkins: Jenkins) -> None:
    item = jenkins.queue_item('queue_item_waiting')
    item['actions'][0]['parameters'][-1]['value'] = 'retry-of-42'
    assert jenkins.backend().get(stub(queue_id=1310)).previous_id == '42'


# Queue -> build -------------------------------------------------------------------------------------

@pytest.mark.parametrize('fixture, word, reason', [
    ('queue_item_waiting', 'WaitingItem', 'In the quiet period. Expires in 4.9 sec'),
    ('queue_item_blocked', 'BlockedItem', 'Build #45 is already in progress (ETA: 3 min 2 sec)'),
    ('queue_item_buildable', 'BuildableItem', 'Waiting for next available executor'),
])
def test_queued_item(jenkins: Jenkins, fixture: str, word: str, reason: str) -> None:
    data = jenkins.queue_item(fixture)
    execution = jenkins.backend().get(stub(queue_id=data['id']))
    assert (execution.id, execution.status, execution.vendor_status) == (None, Status.QUEUED, word)
    assert execution.scope == {'queue_id': data['id'], 'queue_reason': reason}
    assert KEY_PARAMETER not in execution.parameters
    assert execution.idempotency_key == data['actions'][0]['parameters'][-1]['value']
    assert execution.url == BASE + DEPLOY + '/'


def test_left_item_resolves_to_its_build(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_left')
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    execution = jenkins.backend().get(stub(queue_id=1300))
    assert (execution.id, execution.status, execution.scope) == ('45', Status.RUNNING, {'queue_id': 1300})
    # executable.url names Jenkins' internal host: never followed.
    assert all(r.url.startswith(BASE + '/') for r in jenkins.fake.requests)


def test_left_item_whose_build_does_not_exist_yet_is_still_queued(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_left_starting')
    execution = jenkins.backend().get(stub(queue_id=1301))
    assert (execution.id, execution.status, execution.vendor_status) == (None, Status.QUEUED, 'LeftItem')


@pytest.mark.parametrize('queue_id', ['abc', '-3', True, 1.5, ['1']])
def test_a_queue_id_that_is_not_a_number_is_refused_before_anything_is_sent(jenkins: Jenkins, queue_id: t.Any) -> None:
    backend = jenkins.backend()
    for call in (backend.get, backend.cancel):
        with pytest.raises(ValidationError, match=r'scope.queue_id must be the number of a queue item'):
            call(stub(queue_id=queue_id))
    assert jenkins.fake.requests == []


def test_cancelled_queue_item(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_cancelled')
    execution = jenkins.backend().get(stub(queue_id=1290))
    assert (execution.status, execution.vendor_status, execution.terminal) == (Status.ABORTED, 'CANCELLED', True)


def test_expired_queue_item_is_found_by_queue_id(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/queue/item/1280/api/json', NOT_FOUND, status=404)
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.build(DEPLOY, 'build_failure', 'wfapi_failure')
    execution = jenkins.backend().get(stub(queue_id=1280))
    assert (execution.id, execution.status) == ('42', Status.FAILED)


def test_expired_queue_item_without_build(jenkins: Jenkins) -> None:
    jenkins.route('GET', '/queue/item/999/api/json', NOT_FOUND, status=404)
    jenkins.job(DEPLOY, 'job_deploy')
    with pytest.raises(NotFoundError, match='5 minutes'):
        jenkins.backend().get(stub(queue_id=999))


def test_queue_item_of_another_job_is_refused(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_waiting')
    with pytest.raises(ValidationError, match="belongs to job 'team/app/deploy'"):
        jenkins.backend().get(stub('team/app/plain', queue_id=1310))


def test_latest(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('GET', '/job/team/job/fresh/api/json', jenkins.load('job_never_ran'))
    backend = jenkins.backend()
    assert backend.latest('team/app/deploy').id == '45'
    assert backend.latest('team/fresh') is None


# find_started -------------------------------------------------------------------------------------

def test_find_started_by_key_parameter(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    backend = jenkins.backend()
    # rel-2.2 is queued twice: for this job (1310) and for other/team/app/deploy (1312, same job name).
    found = backend.find_started(request('rel-2.2'))
    assert [(e.id, e.scope.get('queue_id'), e.status) for e in found] == [(None, 1310, Status.QUEUED)]
    assert [(e.id, e.status) for e in backend.find_started(request('rel-1.9'))] == [('43', Status.SUCCEEDED)]
    assert backend.find_started(request('rel-nope')) == []
    assert len(jenkins.fake.requests) == 6  # one queue GET and one job GET per lookup


def test_creation_order_is_the_queue_item_id_of_items_and_builds(jenkins: Jenkins) -> None:
    # Jenkins numbers queue items from one counter as it creates them, and a build keeps its item's id (queueId):
    # the order two racing starts agree on (pipeline_start), a queued item and a build compared alike.
    jenkins.job(DEPLOY, 'job_deploy')
    backend = jenkins.backend()
    [queued] = backend.find_started(request('rel-2.2'))
    [built] = backend.find_started(request('rel-1.9'))
    assert backend.creation_order(queued) == (1310,)
    assert backend.creation_order(built) == (int(built.scope['queue_id']),) and built.scope['queue_id'] < 1310
    assert backend.creation_order(stub(id='7', queue_id='1400')) == (1400,)
    # no queue id (a build record from before Jenkins exported queueId, or an edited record): no order
    assert [backend.creation_order(stub(id='7', **scope)) for scope in ({}, {'queue_id': True}, {'queue_id': 'x1'})] \
        == [None, None, None]


def test_find_started_by_description_line(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    found = jenkins.backend().find_started(request('rel-3.1', pipeline='team/app/plain', parameters={}))
    assert [(e.id, e.status, e.idempotency_key) for e in found] == [('12', Status.RUNNING, 'rel-3.1')]


def test_find_started_derived_key_by_parameter_equality(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    backend = jenkins.backend()
    found = backend.find_started(request('d-1', True, 'team/app/plain', parameters={'VERSION': '3.0.0', 'ENV': 'staging'}))
    assert [e.id for e in found] == ['11', '10']  # newest first
    found = backend.find_started(request('d-2', True, 'team/app/plain', parameters={'VERSION': '3.2.0'}))
    assert [(e.id, e.scope['queue_id']) for e in found] == [(None, 1313)]
    assert backend.find_started(request('d-3', True, 'team/app/plain', parameters={'VERSION': '0.1'})) == []


def test_parameter_equality_skips_values_jenkins_does_not_export(jenkins: Jenkins) -> None:
    data = jenkins.load('job_plain')
    data['builds'][1]['actions'][0]['parameters'].append({'_class': 'hudson.model.PasswordParameterValue',
                                                          'name': 'DB_PASSWORD'})
    jenkins.route('GET', PLAIN + '/api/json', data)
    found = jenkins.backend().find_started(request('d-4', True, 'team/app/plain', parameters={
        'VERSION': '3.0.0', 'ENV': 'staging', 'DB_PASSWORD': 'whatever'}))
    assert [e.id for e in found] == ['11']  # build 10 has no DB_PASSWORD at all: not the same inputs


def test_find_started_explicit_key_does_not_match_by_parameters(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    found = jenkins.backend().find_started(request('rel-x', pipeline='team/app/plain',
                                                   parameters={'VERSION': '3.0.0', 'ENV': 'staging'}))
    assert found == []


# start -------------------------------------------------------------------------------------------

def test_start_posts_parameters_and_key_as_form_body(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', handler=scheduled(jenkins, 1400))
    backend = jenkins.backend()
    execution = backend.start(request('rel-9', parameters={'VERSION': '9.0.0', 'DRY_RUN': True,
                                                           'DB_PASSWORD': 's3cret-db-pw'}))
    post, = jenkins.posts()
    assert post.params is None  # nothing in the query string (access logs)
    assert post.form() == {'VERSION': '9.0.0', 'DRY_RUN': 'true', 'DB_PASSWORD': 's3cret-db-pw',
                           KEY_PARAMETER: 'rel-9'}
    assert (execution.id, execution.status, execution.scope['queue_id']) == (None, Status.QUEUED, 1400)
    assert execution.idempotency_key == 'rel-9'
    assert 'coalesced' not in execution.scope
    # The follow-up read goes to the configured URL although Location named Jenkins' internal host.
    assert jenkins.fake.calls('GET', '/queue/item/1400/api/json')[0].url == BASE + '/queue/item/1400/api/json'
    assert 's3cret-db-pw' not in backend.http.redact('pw s3cret-db-pw')


def test_start_coalesced_with_a_queued_item(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.queue_item('queue_item_waiting')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', status=303,
                  headers={'Location': INTERNAL + '/queue/item/1310/'})
    execution = jenkins.backend().start(request('rel-2.2', parameters={'VERSION': '2.2.0'}))
    assert execution.scope['queue_id'] == 1310 and execution.scope['coalesced'] is True


def test_start_without_parameters_uses_build(jenkins: Jenkins) -> None:
    jenkins.job('/job/nightly', 'job_nightly')
    jenkins.route('POST', '/job/nightly/build', handler=scheduled(jenkins, 1401, task={'url': INTERNAL + '/job/nightly/'}))
    execution = jenkins.backend().start(request('d', True, 'nightly', parameters={}))
    post, = jenkins.posts()
    assert (post.path, post.data) == ('/job/nightly/build', None)
    assert execution.scope['queue_id'] == 1401


def test_start_without_location_is_an_error(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', status=302, headers={'Location': INTERNAL + DEPLOY + '/'})
    with pytest.raises(ApiError, match='without a queue item Location'):
        jenkins.backend().start(request())


def test_start_with_revision_is_refused_before_anything_is_sent(jenkins: Jenkins) -> None:
    with pytest.raises(ValidationError, match='Jenkins takes no revision'):
        jenkins.backend().check_start(request(revision='abc123'), PipelineInfo(pipeline='team/app/deploy'))
    assert jenkins.fake.requests == []


def test_quiet_period_start_input_is_sent_as_delay(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', handler=scheduled(jenkins, 1402))
    backend = jenkins.backend()
    backend.check_start(request(start_inputs={'quiet_period': 0}), PipelineInfo(pipeline='team/app/deploy'))
    backend.start(request(start_inputs={'quiet_period': 0}))
    assert jenkins.posts()[0].params == {'delay': '0sec'}


@pytest.mark.parametrize('inputs, message', [
    ({'quiet_period': 'soon'}, "start input 'quiet_period' is a whole number, got 'soon'"),
    ({'clear_cache': True}, 'Jenkins does not take the start input clear_cache; the start inputs it accepts: quiet_period'),
])
def test_bad_start_inputs_are_refused_listing_what_jenkins_accepts(jenkins: Jenkins, inputs, message) -> None:
    with pytest.raises(ValidationError) as info:
        jenkins.backend().check_start(request(start_inputs=inputs), PipelineInfo(pipeline='team/app/deploy'))
    assert info.value.msg == message


def test_start_ambiguous_but_committed_is_not_resent(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', ambiguous=True, commit=scheduled(jenkins, 1402))
    execution = jenkins.backend().start(request('rel-9'))
    assert len(jenkins.posts()) == 1
    assert execution.scope['queue_id'] == 1402 and execution.idempotency_key == 'rel-9'


def test_start_ambiguous_and_not_committed_is_sent_once_more(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', handler=scheduled(jenkins, 1403))
    jenkins.route('POST', DEPLOY + '/buildWithParameters', ambiguous=True, times=1)
    execution = jenkins.backend().start(request('rel-9'))
    assert len(jenkins.posts()) == 2
    assert execution.scope['queue_id'] == 1403


def test_start_ambiguous_twice_raises(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', ambiguous=True)
    with pytest.raises(AmbiguousOutcomeError):
        jenkins.backend().start(request('rel-9'))
    assert len(jenkins.posts()) == 2


def test_start_ambiguous_without_key_parameter_matches_new_item_by_parameters(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    jenkins.route('POST', PLAIN + '/buildWithParameters', ambiguous=True,
                  commit=scheduled(jenkins, 1404, task={'url': INTERNAL + PLAIN + '/'}))
    execution = jenkins.backend().start(request('rel-4', pipeline='team/app/plain', parameters={'VERSION': '4.0.0'}))
    assert [p.form() for p in jenkins.posts()] == [{'VERSION': '4.0.0'}]  # no key parameter to send
    assert execution.scope['queue_id'] == 1404


def test_find_started_then_start_reuses_the_scan(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/buildWithParameters', handler=scheduled(jenkins, 1405))
    backend = jenkins.backend()
    assert backend.find_started(request('rel-9')) == []
    backend.start(request('rel-9'))
    assert len(jenkins.fake.calls('GET', '/queue/api/json')) == 1


# after_start ----------------------------------------------------------------------------------------

def test_after_start_writes_notes_and_key_line_keeping_the_description(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    build = jenkins.load('build_plain_running')
    build['description'] = 'Started from chat'
    jenkins.route('GET', PLAIN + '/12/api/json', build)
    jenkins.route('GET', PLAIN + '/12/wfapi/describe', NOT_FOUND, status=404)

    def submit(req: t.Any) -> t.Any:
        build['description'] = req.form()['description']
        return (302, None, {'Location': INTERNAL + PLAIN + '/12/'})
    jenkins.route('POST', PLAIN + '/12/submitDescription', handler=submit)
    backend = jenkins.backend()
    start = request('rel-12', pipeline='team/app/plain', parameters={}, notes='Release 12 for ACME')
    execution = backend.after_start(stub('team/app/plain', id='12'), start)
    assert jenkins.posts()[0].form() == {
        'description': 'Started from chat\nRelease 12 for ACME\ncicd.pipelines idempotency_key: rel-12'}
    assert execution.idempotency_key == 'rel-12'
    backend.after_start(stub('team/app/plain', id='12'), start)
    assert len(jenkins.posts()) == 1  # already written: nothing to do


def test_after_start_with_derived_key_writes_only_notes(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    jenkins.build(PLAIN, 'build_plain_running')
    jenkins.route('POST', PLAIN + '/12/submitDescription', status=302)
    start = request('derived-1', True, pipeline='team/app/plain', parameters={}, notes='hotfix')
    jenkins.backend().after_start(stub('team/app/plain', id='12'), start)
    assert jenkins.posts()[0].form() == {
        'description': 'Release 3.1\ncicd.pipelines idempotency_key: rel-3.1\nhotfix'}


def test_after_start_with_key_parameter_and_no_notes_does_nothing(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    execution = stub(id='45')
    assert jenkins.backend().after_start(execution, request('rel-2.1')) is execution
    assert jenkins.posts() == [] and jenkins.fake.calls('GET', r'.*/45/.*') == []


# answer_input -------------------------------------------------------------------------------------

@pytest.fixture
def paused(jenkins: Jenkins) -> t.Tuple[JenkinsBackend, Execution]:
    jenkins.build(DEPLOY, 'build_paused', 'wfapi_paused', 'pending_inputs')
    backend = jenkins.backend()
    return backend, backend.get(stub(id='44'))


def test_approve_sends_every_parameter_as_proceed_json(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused
    jenkins.route('POST', DEPLOY + '/44/input/Release/proceed')
    backend.answer_input(execution, execution.pending_inputs[0], True, {'TICKET': 'CHG-42', 'NOTIFY': 'false'})
    post, = jenkins.posts()
    assert json.loads(post.form()['json']) == {'parameter': [
        {'name': 'TICKET', 'value': 'CHG-42'},
        {'name': 'REGION', 'value': 'eu-west-1'},
        {'name': 'NOTIFY', 'value': False},
        {'name': 'DEPLOY_KEY', 'value': 'pw-default-7f3a'},
        {'name': 'NOTES', 'value': ''},
    ]}
    assert 'pw-default-7f3a' not in backend.http.redact('pw-default-7f3a')


def test_approve_without_parameters_is_proceed_empty(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused
    jenkins.route('POST', DEPLOY + '/44/input/Ef95dd500ae6ed3b27b89fb852296d12/proceedEmpty')
    backend.answer_input(execution, execution.pending_inputs[1], True, {})
    post, = jenkins.posts()
    assert (post.path, post.data) == (DEPLOY + '/44/input/Ef95dd500ae6ed3b27b89fb852296d12/proceedEmpty', None)


def test_reject_is_abort(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused
    jenkins.route('POST', DEPLOY + '/44/input/Release/abort')
    backend.answer_input(execution, execution.pending_inputs[0], False, {'TICKET': 'ignored'})
    post, = jenkins.posts()
    assert (post.path, post.data) == (DEPLOY + '/44/input/Release/abort', None)


def test_answer_already_given_is_a_conflict(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused
    jenkins.route('POST', DEPLOY + '/44/input/Release/abort', '<html/>', status=400,
                  headers={'X-Error': 'This input has been already given'})
    with pytest.raises(ConflictError, match='already given'):
        backend.answer_input(execution, execution.pending_inputs[0], False, {})


def test_ambiguous_answer_that_took_effect_is_not_resent(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused

    def settle(_req: t.Any) -> None:
        jenkins.route('GET', DEPLOY + '/44/wfapi/pendingInputActions', jenkins.load('pending_inputs')[1:])
    jenkins.route('POST', DEPLOY + '/44/input/Release/abort', ambiguous=True, commit=settle)
    result = backend.answer_input(execution, execution.pending_inputs[0], False, {})
    assert len(jenkins.posts()) == 1
    assert [g.id for g in result.pending_inputs] == ['Ef95dd500ae6ed3b27b89fb852296d12']


def test_answer_of_a_queued_execution_is_invalid(jenkins: Jenkins, paused: t.Any) -> None:
    backend, execution = paused
    with pytest.raises(InvalidState):
        backend.answer_input(stub(queue_id=1310), execution.pending_inputs[0], True, {})


# resume and find_continuation -------------------------------------------------------------------------

def restart_scheduled(jenkins: Jenkins, origin: int, stage: str, queue_id: int = 1500) -> t.Callable[[t.Any], t.Any]:
    def handler(_req: t.Any) -> t.Any:
        item = jenkins.load('queue_item_waiting')
        item.update(id=queue_id, url='queue/item/%d/' % queue_id)
        item['actions'][1]['causes'].append({
            '_class': 'org.jenkinsci.plugins.pipeline.modeldefinition.causes.RestartDeclarativePipelineCause',
            'shortDescription': 'Restarted from build #%d, stage %s' % (origin, stage)})
        jenkins.queue_items.append(item)
        jenkins.route('GET', '/queue/item/%d/api/json' % queue_id, item)
        return jenkins.load('restart_ok')
    return handler


def test_resume_finds_the_restarted_build_in_the_queue(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', handler=restart_scheduled(jenkins, 42, 'Test'))
    result = jenkins.backend().resume(stub(id='42'), 'Test')
    assert jenkins.posts()[0].form() == {'stageName': 'Test'}
    assert (result.id, result.scope['queue_id'], result.previous_id) == (None, 1500, '42')


def test_resume_waits_for_the_restarted_build_to_appear(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    late = restart_scheduled(jenkins, 42, 'Deploy', 1502)
    scans = []

    def queue(_req: t.Any) -> t.Any:
        scans.append(1)
        if len(scans) == 3:  # before, first look, then it appears
            late(None)
        return {'items': jenkins.queue_items}
    jenkins.fake.add('GET', '/queue/api/json', handler=queue)
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', jenkins.load('restart_ok'))
    result = jenkins.backend().resume(stub(id='42'), 'Deploy')
    assert result.scope['queue_id'] == 1502
    assert jenkins.fake.sleeps == [0.5]


def test_resume_accepted_but_never_seen_reports_changed(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', jenkins.load('restart_ok'))
    with pytest.raises(ApiError) as caught:
        jenkins.backend().resume(stub(id='42'), 'Deploy')
    assert caught.value.changed is True
    assert len(jenkins.posts()) == 1


def test_resume_refused_in_the_envelope_is_a_conflict(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', jenkins.load('restart_refused'))
    with pytest.raises(ConflictError) as caught:
        jenkins.backend().resume(stub(id='42'), 'Nope')
    assert caught.value.vendor_message.startswith('Failure restarting from stage: java.lang.IllegalStateException')
    assert 'Stage Nope is not present' in caught.value.msg


def test_resume_ambiguous_but_restarted_is_not_resent(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', ambiguous=True,
                  commit=restart_scheduled(jenkins, 42, 'Test', 1501))
    result = jenkins.backend().resume(stub(id='42'), 'Test')
    assert len(jenkins.posts()) == 1 and result.scope['queue_id'] == 1501


def test_resume_where_restart_is_not_available(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.route('POST', DEPLOY + '/41/restart/restartPipeline', NOT_FOUND, status=404)
    with pytest.raises(InvalidState, match='not a Declarative Pipeline'):
        jenkins.backend().resume(stub(id='41'), 'Build')


def test_find_continuation_by_operation(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy', ['build_rebuilt', 'build_replayed', 'build_restarted'])
    for build in ('build_rebuilt', 'build_replayed', 'build_restarted'):
        jenkins.build(DEPLOY, build)
    backend = jenkins.backend()
    assert backend.find_continuation(stub(id='42'), 'resume').id == '47'  # restart only
    assert backend.find_continuation(stub(id='42'), 'retry').id == '48'   # replay counts; 49 rebuilt #1042
    assert backend.find_continuation(stub(id='43'), 'retry') is None
    assert backend.find_continuation(stub(queue_id=1310), 'retry') is None


def test_resumable_stages(jenkins: Jenkins) -> None:
    jenkins.route('GET', DEPLOY + '/42/restart/api/json', jenkins.load('restart'))
    jenkins.route('GET', DEPLOY + '/45/restart/api/json', NOT_FOUND, status=404)
    backend = jenkins.backend()
    assert backend.resumable_stages(stub(id='42')) == ['Build', 'Test', 'Deploy']
    assert backend.resumable_stages(stub(id='45')) == []


# retry -------------------------------------------------------------------------------------------

def test_retry_restarts_from_the_first_failed_stage(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.build(DEPLOY, 'build_failure', 'wfapi_failure')
    jenkins.route('GET', DEPLOY + '/42/restart/api/json', jenkins.load('restart'))
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', handler=restart_scheduled(jenkins, 42, 'Test'))
    result = jenkins.backend().retry(stub(id='42'))
    assert [(p.path, p.form()) for p in jenkins.posts()] == [(DEPLOY + '/42/restart/restartPipeline', {'stageName': 'Test'})]
    assert result.previous_id == '42'


def test_retry_restarts_from_the_top_level_stage_of_a_failed_nested_one(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    wfapi = jenkins.load('wfapi_failure')
    wfapi['stages'][1]['status'] = 'SUCCESS'  # only the nested 'Unit' failed
    jenkins.build(DEPLOY, 'build_failure')
    jenkins.route('GET', DEPLOY + '/42/wfapi/describe', wfapi)
    jenkins.route('GET', DEPLOY + '/42/restart/api/json', jenkins.load('restart'))
    jenkins.route('POST', DEPLOY + '/42/restart/restartPipeline', handler=restart_scheduled(jenkins, 42, 'Test'))
    jenkins.backend().retry(stub(id='42'))
    assert jenkins.posts()[0].form() == {'stageName': 'Test'}


def test_retry_rebuilds_when_restart_is_unavailable(jenkins: Jenkins) -> None:
    data = jenkins.job(DEPLOY, 'job_deploy')
    jenkins.build(DEPLOY, 'build_failure', 'wfapi_failure')
    jenkins.route('GET', DEPLOY + '/42/restart/api/json', NOT_FOUND, status=404)
    jenkins.build(DEPLOY, 'build_replayed')

    def rebuild(_req: t.Any) -> t.Any:
        data['builds'].insert(0, jenkins.load('build_replayed'))
        return (302, None, {'Location': INTERNAL + DEPLOY + '/'})
    jenkins.route('POST', DEPLOY + '/42/replay/rebuild', handler=rebuild)
    result = jenkins.backend().retry(stub(id='42'))
    assert [p.path for p in jenkins.posts()] == [DEPLOY + '/42/replay/rebuild']
    assert (result.id, result.previous_id) == ('48', '42')


def test_retry_reruns_with_the_original_parameters_when_nothing_else_works(jenkins: Jenkins) -> None:
    jenkins.job(PLAIN, 'job_plain')
    build = jenkins.load('build_plain_running')
    build.update(number=11, result='FAILURE', building=False, inProgress=False)
    jenkins.route('GET', PLAIN + '/11/api/json', build)
    jenkins.route('GET', PLAIN + '/11/wfapi/describe', NOT_FOUND, status=404)
    jenkins.route('POST', PLAIN + '/11/replay/rebuild', NOT_FOUND, status=404)
    jenkins.route('POST', PLAIN + '/buildWithParameters',
                  handler=scheduled(jenkins, 1600, task={'url': INTERNAL + PLAIN + '/'}))
    backend = jenkins.backend()
    result = backend.retry(stub('team/app/plain', id='11'))
    assert [(p.path, p.form()) for p in jenkins.posts()] == [
        (PLAIN + '/11/replay/rebuild', {}),
        (PLAIN + '/buildWithParameters', {'VERSION': '3.1.0', 'ENV': 'production'})]
    assert (result.scope['queue_id'], result.scope['retry_of'], result.previous_id) == (1600, 11, '11')
    refreshed = backend.get(result)  # the marker survives refreshes until after_start has written it
    assert (refreshed.scope['retry_of'], refreshed.previous_id) == (11, '11')
    # Once it has a build, after_start records the lineage in the description.
    started = jenkins.load('build_plain_running')
    started.update(number=14, description=None)
    jenkins.route('GET', PLAIN + '/14/api/json', started)
    jenkins.route('GET', PLAIN + '/14/wfapi/describe', NOT_FOUND, status=404)
    jenkins.route('POST', PLAIN + '/14/submitDescription', status=302)
    backend.after_start(Execution(vendor='jenkins', pipeline='team/app/plain', id='14', scope=result.scope))
    assert jenkins.posts()[-1].form() == {'description': 'cicd.pipelines retry_of: 11'}


def test_retry_rerun_with_key_parameter_carries_retry_key(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    build = jenkins.load('build_unstable')
    # No password among this build's parameters, so it can be run again with the same ones.
    build['actions'][0]['parameters'] = [p for p in build['actions'][0]['parameters'] if 'value' in p]
    jenkins.route('GET', DEPLOY + '/40/api/json', build)
    jenkins.route('GET', DEPLOY + '/40/wfapi/describe', NOT_FOUND, status=404)
    jenkins.route('POST', DEPLOY + '/40/replay/rebuild', NOT_FOUND, status=404)
    jenkins.route('POST', DEPLOY + '/buildWithParameters', handler=scheduled(jenkins, 1601))
    result = jenkins.backend().retry(stub(id='40'))
    assert jenkins.posts()[-1].form() == {'VERSION': '1.6.0', 'CHANGELOG': 'Fixes', 'ENV': 'production',
                                          'DRY_RUN': 'false', KEY_PARAMETER: 'retry-of-40'}
    assert (result.scope['queue_id'], result.previous_id) == (1601, '40')


def test_retry_cannot_rerun_with_password_parameters(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    jenkins.build(DEPLOY, 'build_aborted')
    jenkins.route('POST', DEPLOY + '/41/replay/rebuild', '<html/>', status=400,
                  headers={'X-Error': 'Replay is not allowed when password parameters are used.'})
    with pytest.raises(UnsupportedOperation, match='DB_PASSWORD'):
        jenkins.backend().retry(stub(id='41'))
    assert [p.path for p in jenkins.posts()] == [DEPLOY + '/41/replay/rebuild']


def test_retry_of_a_running_build_is_refused(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    with pytest.raises(InvalidState, match='still running'):
        jenkins.backend().retry(stub(id='45'))
    assert jenkins.posts() == []


# cancel ------------------------------------------------------------------------------------------

def test_cancel_queued_item(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_waiting')

    def cancel(_req: t.Any) -> t.Any:
        jenkins.queue_item('queue_item_cancelled', id=1310, url='queue/item/1310/')
        return (204, None)
    jenkins.route('POST', '/queue/cancelItem', handler=cancel)
    result = jenkins.backend().cancel(stub(queue_id=1310))
    post, = jenkins.posts()
    assert post.params == {'id': 1310}
    assert (result.status, result.vendor_status) == (Status.ABORTED, 'CANCELLED')


def test_cancel_queued_item_is_retried_on_5xx(jenkins: Jenkins) -> None:
    jenkins.queue_item('queue_item_cancelled', id=1310, url='queue/item/1310/')
    jenkins.route('POST', '/queue/cancelItem', status=204)
    jenkins.route('POST', '/queue/cancelItem', 'Bad Gateway', status=502, times=1)
    result = jenkins.backend().cancel(stub(queue_id=1310))
    assert len(jenkins.posts()) == 2  # cancelling twice is harmless: a lost answer may be retried
    assert result.status is Status.ABORTED


def test_cancel_queued_item_that_already_became_a_build_stops_the_build(jenkins: Jenkins) -> None:
    jenkins.route('POST', '/queue/cancelItem', 'Provided id (1300) not found', status=404)
    jenkins.queue_item('queue_item_left')
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)
    jenkins.backend().cancel(stub(queue_id=1300))
    assert [p.path for p in jenkins.posts()] == ['/queue/cancelItem', DEPLOY + '/45/stop']


def test_cancel_of_an_item_that_left_the_queue_reads_the_500_as_jenkinss_answer(jenkins: Jenkins) -> None:
    # Queue.doCancelItem answers 500 "Could not cancel run for id N" while the left item is still cached.
    jenkins.route('POST', '/queue/cancelItem', '<html><h1>Oops!</h1></html>', status=500)
    jenkins.queue_item('queue_item_left')
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)

    jenkins.backend().cancel(stub(queue_id=1300))

    assert [p.path for p in jenkins.posts()] == ['/queue/cancelItem', DEPLOY + '/45/stop']


def test_cancel_of_an_item_already_cancelled_reports_it_cancelled(jenkins: Jenkins) -> None:
    jenkins.route('POST', '/queue/cancelItem', '<html><h1>Oops!</h1></html>', status=500)
    jenkins.queue_item('queue_item_cancelled', id=1310, url='queue/item/1310/')

    result = jenkins.backend().cancel(stub(queue_id=1310))

    assert result.status is Status.ABORTED and len(jenkins.posts()) == 1


def test_cancel_running_build_is_retried_on_5xx(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.route('POST', DEPLOY + '/45/stop', status=302)
    jenkins.route('POST', DEPLOY + '/45/stop', 'Service Unavailable', status=503, times=1)
    result = jenkins.backend().cancel(stub(id='45'))
    assert len(jenkins.posts()) == 2  # stop is idempotent: a 503 may be retried
    assert result.id == '45'


@pytest.mark.parametrize('given', ['release', 'Release'])
def test_an_input_id_matches_with_either_first_letter_case(given: str) -> None:
    """InputStep.setId capitalises the first letter of the id a Jenkinsfile gives."""
    backend = JenkinsBackend(Connection(vendor='jenkins', api_url=BASE, **AUTH['token']))
    execution = Execution(vendor='jenkins', pipeline='team/app/deploy', id='44', pending_inputs=[
        PendingInput(id='Release'), PendingInput(id='Other')])
    assert backend.find_gate(execution, given).id == 'Release'
    assert backend.find_gate(execution, 'RELEASE') is None


def test_a_queued_build_is_named_by_its_queue_item() -> None:
    backend = JenkinsBackend(Connection(vendor='jenkins', api_url=BASE, **AUTH['token']))
    assert backend.describe(Execution(vendor='jenkins', pipeline='a/b', scope={'queue_id': 311})) == 'a/b (queue item 311)'
    assert backend.describe(Execution(vendor='jenkins', pipeline='a/b', id='12', number=12)) == 'a/b #12'


# Log tail ---------------------------------------------------------------------------------------------


def failed_record() -> Execution:
    from ansible_collections.cicd.pipelines.plugins.module_utils._model import Stage
    return Execution(vendor='jenkins', pipeline='team/app/deploy', id='44', number=44, status=Status.FAILED, stages=[
        Stage(id='6', name='Build', status=Status.SUCCEEDED, started_at='2026-11-25T10:00:00Z'),
        Stage(id='12', name='Test', status=Status.FAILED, started_at='2026-11-25T10:01:00Z')])


def test_log_tail_of_a_pipeline_build_is_the_failed_steps_log(jenkins: Jenkins) -> None:
    jenkins.route('GET', DEPLOY + '/44/execution/node/12/wfapi/describe', {'id': '12', 'name': 'Test', 'stageFlowNodes': [
        {'id': '13', 'name': 'Shell Script', 'status': 'SUCCESS', 'parameterDescription': 'make'},
        {'id': '15', 'name': 'Shell Script', 'status': 'FAILED', 'parameterDescription': './smoke.sh'}]})
    jenkins.route('GET', DEPLOY + '/44/execution/node/15/wfapi/log', {
        'nodeId': '15', 'nodeStatus': 'FAILED', 'length': 90, 'hasMore': False,
        'text': 'line 1\nline 2\n<span class="timestamp">+ ./smoke.sh</span>\nERROR: HTTP 503 &amp; retry\n'})
    tail = jenkins.backend().log_tail(failed_record(), 3)
    assert tail.lines == ['line 2', '+ ./smoke.sh', 'ERROR: HTTP 503 & retry']
    assert (tail.source, tail.truncated) == ('stage Test, step ./smoke.sh', True)
    assert tail.url == BASE + DEPLOY + '/44/execution/node/15/log/'
    assert jenkins.fake.calls('GET', '.*consoleText') == []  # only the step's log travelled


def test_log_tail_falls_back_to_the_end_of_the_console_log(jenkins: Jenkins) -> None:
    jenkins.route('GET', DEPLOY + '/44/execution/node/12/wfapi/describe', NOT_FOUND, status=404)
    jenkins.route('GET', DEPLOY + '/44/consoleText', handler=lambda r: Response(
        200, {'Content-Type': 'text/plain'}, ''.join('line %d\n' % n for n in range(1, 101)).encode()))
    tail = jenkins.backend().log_tail(failed_record(), 2)
    assert (tail.lines, tail.source, tail.truncated) == (['line 99', 'line 100'], 'console', True)


# Read levels and batched polls ---------------------------------------------------------------------------


def builds_list(jenkins: Jenkins, numbers: t.Sequence[int], last: int, estimate: int = 60000) -> None:
    """The job's build list as `tree=lastBuild[number],allBuilds[...]{0,N}` answers it (newest first, N kept)."""
    def answer(req: t.Any) -> t.Any:
        window = int(re.search(r'\{0,(\d+)\}', req.params['tree']).group(1))
        builds = []
        for number in sorted(numbers, reverse=True):
            build = dict(jenkins.load('build_running'), number=number, estimatedDuration=estimate, timestamp=1764583200000)
            builds.append(build)
        return {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowJob', 'lastBuild': {'number': last},
                'allBuilds': [b for b in builds if last - b['number'] < window]}
    jenkins.fake.add('GET', re.escape(DEPLOY + '/api/json'), handler=answer)


def test_a_status_poll_of_many_builds_of_one_job_is_one_request(jenkins: Jenkins) -> None:
    builds_list(jenkins, [41, 42, 43], last=43)
    records = jenkins.backend().get_many([stub(id=str(n)) for n in (41, 42, 43)], Level.STATUS)
    assert [r.id for r in records] == ['41', '42', '43'] and len(jenkins.fake.requests) == 1
    assert all(r.level == Level.STATUS and r.status == Status.RUNNING for r in records)
    assert records[0].expected_end == (1764583200000 + 60000) / 1000.0  # timestamp + estimatedDuration
    # allBuilds: `builds` stops at 100 (Job.getNewBuilds), a fan-out may need more.
    assert 'allBuilds[' in jenkins.fake.requests[0].params['tree'] and '{0,8}' in jenkins.fake.requests[0].params['tree']


def test_builds_outside_the_window_are_read_on_their_own(jenkins: Jenkins) -> None:
    """20 newer builds started since: the window misses the wanted ones, which are then read one by one."""
    builds_list(jenkins, list(range(41, 64)), last=63)
    jenkins.build(DEPLOY, 'build_running')
    jenkins.route('GET', DEPLOY + '/44/api/json', dict(jenkins.load('build_running'), number=44))
    backend = jenkins.backend()
    records = backend.get_many([stub(id='44'), stub(id='45')], Level.STATUS)
    assert [r.id for r in records] == ['44', '45']
    assert len(jenkins.fake.calls('GET', re.escape(DEPLOY) + r'/4[45]/api/json')) == 2
    # the next round knows the newest build: its window reaches them
    jenkins.fake.requests.clear()
    backend.get_many([stub(id='44'), stub(id='45')], Level.STATUS)
    assert len(jenkins.fake.requests) == 1


def test_a_stages_poll_adds_the_stage_view_but_never_the_gate_definitions(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_paused', 'wfapi_paused', 'pending_inputs')
    record = jenkins.backend().get(stub(id='44'), Level.STAGES)
    assert record.level == Level.STAGES and record.status == Status.WAITING
    assert jenkins.fake.calls('GET', '.*pendingInputActions') == []
    full = jenkins.backend().get(stub(id='44'))
    assert full.level == Level.FULL and full.pending_inputs


def test_a_status_poll_reads_no_stage_view(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_running', 'wfapi_running')
    jenkins.backend().get(stub(id='45'), Level.STATUS)
    assert jenkins.fake.calls('GET', '.*wfapi.*') == []


def test_queued_items_of_a_poll_come_from_one_queue_read(jenkins: Jenkins) -> None:
    queue_ids = [int(i['id']) for i in jenkins.queue_items if 'deploy' in (i.get('task') or {}).get('url', '')][:2]
    assert len(queue_ids) == 2, 'the queue fixture needs two items of the deploy job'
    records = jenkins.backend().get_many([stub(queue_id=q) for q in queue_ids], Level.STATUS)
    assert [r.scope['queue_id'] for r in records] == queue_ids
    assert [r.path for r in jenkins.fake.requests] == ['/queue/api/json']


def test_completing_a_finished_build_seen_by_a_poll_reads_only_its_stages(jenkins: Jenkins) -> None:
    jenkins.build(DEPLOY, 'build_failure', 'wfapi_failure')
    backend = jenkins.backend()
    polled = backend.get(stub(id=str(jenkins.load('build_failure')['number'])), Level.STATUS)
    jenkins.fake.requests.clear()
    full = backend.get(polled)
    assert full.level == Level.FULL and full.stages and [r.path.rsplit('/', 2)[-2:] for r in jenkins.fake.requests] == [
        ['wfapi', 'describe']]


def test_a_start_looks_at_the_queue_and_the_job_once_for_definition_and_key(jenkins: Jenkins) -> None:
    jenkins.job(DEPLOY, 'job_deploy')
    backend = jenkins.backend()
    backend.describe_pipeline('team/app/deploy')
    backend.find_started(request('rel-2.2'))
    assert [r.path for r in jenkins.fake.requests] == ['/queue/api/json', DEPLOY + '/api/json']
    backend.find_started(request('rel-2.2'))  # a later lookup looks again
    assert len(jenkins.fake.requests) == 4


def test_a_build_far_older_than_the_others_is_read_on_its_own(jenkins: Jenkins) -> None:
    """The window stops at 500 builds: Jenkins loads every build it covers."""
    builds_list(jenkins, [1000, 1001], last=1001)
    jenkins.route('GET', DEPLOY + '/3/api/json', dict(jenkins.load('build_running'), number=3))
    records = jenkins.backend().get_many([stub(id='3'), stub(id='1000'), stub(id='1001')], Level.STATUS)
    assert [r.id for r in records] == ['3', '1000', '1001']
    assert '{0,7}' in jenkins.fake.calls('GET', re.escape(DEPLOY) + '/api/json')[0].params['tree']
    assert len(jenkins.fake.calls('GET', re.escape(DEPLOY) + '/3/api/json')) == 1


def test_queued_records_without_a_usable_queue_id_are_refused_clearly(jenkins: Jenkins) -> None:
    with pytest.raises(ValidationError, match='neither a build number'):
        jenkins.backend().get_many([stub(queue_id=None), stub(queue_id=None)], Level.STATUS)


def test_a_stage_stage_view_reports_succeeded_after_a_failure_but_never_ran_is_skipped(fixture_json: t.Any) -> None:
    # Stage View lists Declarative stages skipped after a failure as SUCCESS with no run of their own
    # (ChunkVisitor / StatusAndTiming): the record must not say they succeeded.
    wfapi = fixture_json('jenkins', 'wfapi_failure')
    wfapi['stages'][3].update(status='SUCCESS', durationMillis=0, pauseDurationMillis=0,
                              startTimeMillis=wfapi['endTimeMillis'] if 'endTimeMillis' in wfapi else 1)

    stages = stages_of(wfapi)

    assert [(s.name, s.status, s.vendor_status) for s in stages] == [
        ('Build', Status.SUCCEEDED, 'SUCCESS'), ('Test', Status.FAILED, 'FAILED'), ('Unit', Status.FAILED, 'FAILED'),
        ('Deploy', Status.SKIPPED, 'SUCCESS')]
    assert stages[3].started_at is None and stages[3].finished_at is None
