# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The proof that the core is vendor-neutral (DESIGN section 10): a fifth vendor, "Toy CI", is added
from this file alone — its backend, its column of the option table and a minimal API on the
project's simulator engine — and all six modules drive it over real HTTP: start, info with wait,
input with a comment, resume, retry (both in place), cancel, check mode, log tails and bad options.
Nothing under plugins/ knows about it.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils import _registry
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import ALL_OPERATIONS, Backend, Operation, exactly_once
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import NotFoundError
from ansible_collections.cicd.pipelines.plugins.module_utils._http import Authenticator, Outgoing, ResponsePolicy
from ansible_collections.cicd.pipelines.plugins.module_utils._model import (
    Execution, InputParameter, LogTail, PendingInput, PipelineInfo, Stage, StartRequest, Status,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._options import Use
from ansible_collections.cicd.pipelines.plugins.module_utils._poller import Poller
from ansible_collections.cicd.pipelines.plugins.modules import (
    pipeline_cancel, pipeline_info, pipeline_input, pipeline_resume, pipeline_retry, pipeline_start,
)
from ansible_collections.cicd.pipelines.tests.simulator import engine as eng
from ansible_collections.cicd.pipelines.tests.simulator import server
from ansible_collections.cicd.pipelines.tests.simulator.httpcore import Request, Response, VendorApi, json_response, text_response
from ansible_collections.cicd.pipelines.tests.simulator.jenkins import JenkinsApi
from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_TOKEN, ADMIN_USER, running

requests = pytest.importorskip('requests')

TOKEN = 'toy-token-5e4d3c2b1a'
PIPELINE = 'shop/release'


# The toy vendor's API, served by the simulator -------------------------------------------------------


class ToyApi(VendorApi):
    """Toy CI under /toy: `Authorization: Token T`; runs numbered on creation; in-place retry."""

    name = 'toy'
    base = '/toy'

    def register(self) -> None:
        run = r'/api/pipelines/(?P<p>[^/]+/[^/]+)/runs/(?P<n>[0-9]+)'
        self.router.add('GET', r'/api/pipelines/(?P<p>[^/]+/[^/]+)', self.pipeline, 'pipeline')
        self.router.add('GET', r'/api/pipelines/(?P<p>[^/]+/[^/]+)/runs', self.runs, 'runs')
        self.router.add('POST', r'/api/pipelines/(?P<p>[^/]+/[^/]+)/runs', self.start, 'start')
        self.router.add('GET', run, self.run, 'run')
        self.router.add('POST', run + '/gate', self.gate, 'gate')
        self.router.add('POST', run + '/retry', self.retry, 'retry')
        self.router.add('POST', run + '/cancel', self.cancel, 'cancel')
        self.router.add('GET', run + '/log', self.log, 'log')

    def handle(self, request: Request) -> Response:
        if request.header('Authorization') != 'Token ' + TOKEN:
            return json_response({'error': 'bad token'}, 401)
        self.engine.sync()
        return super().handle(request)

    def _spec(self, request: Request) -> t.Any:
        spec = self.engine.pipeline('toy', t.cast(t.Any, request.match)['p'])
        if spec is None:
            raise LookupError
        return spec

    def _run(self, request: Request) -> eng.Execution:
        match = t.cast(t.Any, request.match)
        found = self.engine.by_number('toy', match['p'], int(match['n']))
        if found is None:
            raise LookupError
        return found

    def _json(self, execution: eng.Execution) -> t.Dict[str, t.Any]:
        gate = execution.pending_gate()
        return {'number': execution.number, 'state': execution.state.upper(), 'key': execution.vendor_data.get('key'),
                'parameters': execution.parameters, 'attempt': execution.attempts,
                'stages': [{'name': s.name, 'state': s.status.upper()} for s in execution.stages],
                'gate': None if gate is None else {
                    'id': gate.name.lower(), 'message': gate.spec.gate.message,
                    'parameters': [{'name': p.name, 'type': p.type, 'default': p.default, 'choices': list(p.choices)}
                                   for p in gate.spec.gate.parameters]}}

    def pipeline(self, request: Request) -> Response:
        try:
            spec = self._spec(request)
        except LookupError:
            return json_response({'error': 'no such pipeline'}, 404)
        return json_response({'name': spec.name, 'parameters': [
            {'name': p.name, 'type': p.type, 'default': p.default, 'choices': list(p.choices)} for p in spec.parameters]})

    def runs(self, request: Request) -> Response:
        return json_response({'runs': [self._json(e) for e in self.engine.runs('toy', t.cast(t.Any, request.match)['p'])]})

    def start(self, request: Request) -> Response:
        body = request.json_body()
        execution = self.engine.submit(self._spec(request), body.get('parameters') or {}, eng.Trigger(), delay=0,
                                       number_now=True)
        execution.vendor_data['key'] = body.get('key')
        return json_response(self._json(execution), 201)

    def run(self, request: Request) -> Response:
        try:
            return json_response(self._json(self._run(request)))
        except LookupError:
            return json_response({'error': 'no such run'}, 404)

    def gate(self, request: Request) -> Response:
        body, execution = request.json_body(), self._run(request)
        execution.vendor_data.setdefault('comments', []).append(body.get('comment'))
        self.engine.answer_gate(execution, bool(body.get('approve')), body.get('values'))
        return json_response(self._json(execution))

    def retry(self, request: Request) -> Response:
        execution = self._run(request)
        try:
            self.engine.retry_in_place(execution, from_stage=(request.json_body() or {}).get('from_stage'))
        except eng.EngineError as exc:
            return json_response({'error': str(exc)}, 409)
        return json_response(self._json(execution))

    def cancel(self, request: Request) -> Response:
        execution = self._run(request)
        if not self.engine.stop(execution) and execution.state == eng.QUEUED:
            self.engine.cancel(execution)
        return json_response(self._json(execution))

    def log(self, request: Request) -> Response:
        execution = self._run(request)
        lines = ['[%s] %s' % (s.name, s.error or s.status) for s in execution.stages]
        return text_response('\n'.join(['toy ci run %d' % execution.number] + lines) + '\n')


# The toy vendor's backend ----------------------------------------------------------------------------


class TokenAuth(Authenticator):
    def __init__(self, token: str) -> None:
        self.token = token

    def apply(self, request: Outgoing) -> None:
        request.headers['Authorization'] = 'Token ' + self.token


class ToyResponses(ResponsePolicy):
    def vendor_message(self, response: t.Any) -> str:
        return str((response.json() or {}).get('error') or response.text)


STAGE = {'PENDING': Status.QUEUED, 'RUNNING': Status.RUNNING, 'WAITING': Status.WAITING,
         'SUCCEEDED': Status.SUCCEEDED, 'FAILED': Status.FAILED, 'ABORTED': Status.ABORTED, 'SKIPPED': Status.SKIPPED}


class ToyBackend(Backend):
    name = 'toy'
    display_name = 'Toy CI'
    capabilities = ALL_OPERATIONS
    status_table = {'QUEUED': Status.QUEUED, 'RUNNING': Status.RUNNING, 'WAITING': Status.WAITING,
                    'SUCCEEDED': Status.SUCCEEDED, 'FAILED': Status.FAILED, 'ABORTED': Status.ABORTED,
                    'UNSTABLE': Status.UNSTABLE, 'CANCELLED': Status.ABORTED}
    in_place = frozenset({Operation.RETRY, Operation.RESUME})
    comments = True
    start_inputs = (InputParameter('priority', type='choice', choices=['low', 'high']),)

    def _authenticator(self) -> Authenticator:
        return TokenAuth(self.conn.get('api_token'))

    def _responses(self) -> ResponsePolicy:
        return ToyResponses()

    def _path(self, pipeline: str, number: t.Any = None) -> str:
        return '/api/pipelines/%s/runs' % pipeline + ('/%s' % number if number is not None else '')

    def _record(self, pipeline: str, data: t.Mapping[str, t.Any]) -> Execution:
        gate = data.get('gate')
        return Execution(
            vendor='toy', pipeline=pipeline, id=str(data['number']), number=data['number'],
            status=self.status_table.get(data['state'], Status.UNKNOWN), vendor_status=data['state'],
            parameters=dict(data.get('parameters') or {}), idempotency_key=data.get('key'),
            stages=[Stage(id=str(i), name=s['name'], status=STAGE.get(s['state'], Status.UNKNOWN), vendor_status=s['state'],
                          started_at='x' if s['state'] != 'PENDING' else None) for i, s in enumerate(data['stages'])],
            pending_inputs=[] if not gate else [PendingInput(
                id=gate['id'], message=gate['message'], kind='input' if gate['parameters'] else 'approval',
                parameters=[InputParameter(p['name'], p['type'], default=p['default'], choices=p['choices'] or None)
                            for p in gate['parameters']])])

    def describe_pipeline(self, pipeline: str) -> PipelineInfo:
        try:
            data = self.http.request('GET', '/api/pipelines/' + pipeline, operation='read pipeline %r' % pipeline).json()
        except NotFoundError as exc:
            raise NotFoundError('toy: pipeline %r not found' % pipeline, status=exc.status)
        return PipelineInfo(pipeline=pipeline, parameters=[
            InputParameter(p['name'], p['type'], default=p['default'], choices=p['choices'] or None) for p in data['parameters']])

    def get(self, execution: Execution) -> Execution:
        return self._record(execution.pipeline, self.http.request('GET', self._path(execution.pipeline, execution.id),
                                                                  operation='read a run').json())

    def latest(self, pipeline: str) -> t.Optional[Execution]:
        runs = self.http.request('GET', self._path(pipeline), operation='list runs').json()['runs']
        return self._record(pipeline, runs[0]) if runs else None

    def find_started(self, request: StartRequest) -> t.List[Execution]:
        runs = self.http.request('GET', self._path(request.pipeline), operation='list runs').json()['runs']
        return [self._record(request.pipeline, r) for r in runs if r.get('key') == request.key]

    def start(self, request: StartRequest) -> Execution:
        def send() -> Execution:
            data = self.http.request('POST', self._path(request.pipeline), operation='start a run',
                                     json={'parameters': request.parameters, 'key': request.key}).json()
            return self._record(request.pipeline, data)
        return exactly_once(send, lambda: next(iter(self.find_started(request)), None))

    def _post(self, execution: Execution, action: str, body: t.Any) -> Execution:
        data = self.http.request('POST', self._path(execution.pipeline, execution.id) + '/' + action,
                                 operation='%s run %s' % (action, execution.id), json=body, idempotent=False).json()
        return self._record(execution.pipeline, data)

    def answer_input(self, execution: Execution, gate: PendingInput, approve: bool, values: t.Mapping[str, t.Any],
                     comment: t.Optional[str] = None) -> Execution:
        return self._post(execution, 'gate', {'approve': approve, 'values': dict(values), 'comment': comment})

    def resumable_stages(self, execution: Execution) -> t.List[str]:
        return [s.name for s in execution.stages] if execution.status in (Status.FAILED, Status.ABORTED) else []

    def resume(self, execution: Execution, stage: str) -> Execution:
        return self._post(execution, 'retry', {'from_stage': stage})

    def retry(self, execution: Execution) -> Execution:
        return self._post(execution, 'retry', {})

    def cancel(self, execution: Execution) -> Execution:
        return self._post(execution, 'cancel', {})

    def log_tail(self, execution: Execution, lines: int) -> t.Optional[LogTail]:
        text = self.http.request('GET', self._path(execution.pipeline, execution.id) + '/log', operation='read the log').text
        all_lines = text.splitlines()
        return LogTail(lines=all_lines[-lines:], source='run log', truncated=len(all_lines) > lines)


# The test --------------------------------------------------------------------------------------------


SCENARIO = {
    'speed': 0,
    'pipelines': [
        {'vendor': 'toy', 'name': PIPELINE, 'parameters': [{'name': 'VERSION', 'default': '1.0'}],
         'stages': [{'name': 'Build', 'duration': 30},
                    {'name': 'Approve', 'gate': {'message': 'Ship it?', 'parameters': [
                        {'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']}]}},
                    {'name': 'Deploy', 'duration': 20, 'fail_times': 2}]},
        {'vendor': 'toy', 'name': 'shop/nightly', 'stages': [{'name': 'Work', 'duration': 600}]},
        {'vendor': 'jenkins', 'name': 'shop/build', 'quiet_period': 0, 'stages': [{'name': 'Compile', 'duration': 40}]},
    ],
}


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch, clock: t.Any) -> t.Iterator[t.Any]:
    """The simulator with the toy API next to Jenkins, the toy vendor registered, and polls that
    advance the simulator's clock by the time they would have slept."""
    monkeypatch.setattr(server, 'VENDOR_CLASSES', [JenkinsApi, ToyApi])
    _registry.register('toy', lambda: ToyBackend, {'api_url': Use(('TOY_URL',), required=True),
                                                   'api_token': Use(('TOY_TOKEN',), required=True)})
    try:
        with running(SCENARIO) as sim:
            def sleep(seconds: float) -> None:
                clock.sleep(seconds)
                sim.advance(seconds)
            monkeypatch.setattr(Poller.__init__, '__defaults__', (clock.monotonic, sleep, 5, clock.epoch))
            sim.connection = {'vendor': 'toy', 'api_url': sim.jenkins_url[:-len('/jenkins')] + '/toy', 'api_token': TOKEN}
            yield sim
    finally:
        _registry.unregister('toy')


def call(run_module: t.Any, sim: t.Any, module: t.Any, check: bool = False, **args: t.Any) -> t.Dict[str, t.Any]:
    return run_module(module, dict(sim.connection, **args), check=check, connection=False)


def posts(sim: t.Any) -> t.List[str]:
    return [r['operation'] for r in sim.requests(vendor='toy', method='POST')]


def test_a_fifth_vendor_from_the_tests_alone_drives_all_six_modules(run_module, toy):
    # check mode: validated and predicted, nothing sent
    predicted = call(run_module, toy, pipeline_start, check=True, pipeline=PIPELINE, parameters={'VERSION': '2.0'},
                     idempotency_key='rel-2.0', start_inputs={'priority': 'high'})
    assert predicted['changed'] is True and predicted['execution']['status'] == 'queued' and posts(toy) == []
    refused = call(run_module, toy, pipeline_start, check=True, pipeline=PIPELINE, start_inputs={'quiet_period': 5})
    assert refused['msg'] == 'Toy CI does not take the start input quiet_period; the start inputs it accepts: priority'
    no_revision = call(run_module, toy, pipeline_start, check=True, pipeline=PIPELINE, revision='v2.0')
    assert no_revision['msg'].startswith('Toy CI takes no revision apart from parameters')

    # start, waiting for the gate
    started = call(run_module, toy, pipeline_start, pipeline=PIPELINE, parameters={'VERSION': '2.0'},
                   idempotency_key='rel-2.0', wait_for=['waiting'])
    run = started['execution']
    assert (started['changed'], run['vendor'], run['id'], run['status']) == (True, 'toy', '1', 'waiting')
    assert run['pending_inputs'][0]['parameters'][0]['choices'] == ['staging', 'production']
    again = call(run_module, toy, pipeline_start, pipeline=PIPELINE, parameters={'VERSION': '2.0'}, idempotency_key='rel-2.0')
    assert (again['changed'], again['execution']['id']) == (False, '1') and posts(toy) == ['start']

    # input with a comment (checked against the gate first), then the wait ends failed with the log tail
    bad = call(run_module, toy, pipeline_input, execution=run, parameters={'TARGET': 'moon'})
    assert bad['failed'] and "must be one of staging, production" in bad['msg'] and posts(toy) == ['start']
    answered = call(run_module, toy, pipeline_input, execution=run, parameters={'TARGET': 'production'},
                    comment='CAB approved', wait=True)
    assert answered['failed'] is True and answered['changed'] is True
    assert answered['execution']['status'] == 'failed'
    assert answered['execution']['log_tail']['lines'][-1] == '[Deploy] script returned exit code 1'
    assert toy.executions(vendor='toy')[0]['stages'][1]['answer']['approved'] is True

    # resume in place from a stage (fails again), then retry in place (succeeds): the same execution throughout
    resumed = call(run_module, toy, pipeline_resume, execution=run, stage='Deploy', wait=True, log_lines=0)
    assert resumed['failed'] is True and resumed['execution']['id'] == '1' and resumed['execution']['log_tail'] is None
    predicted = call(run_module, toy, pipeline_retry, check=True, execution=run)
    assert (predicted['changed'], predicted['execution']['id'], predicted['execution']['status']) == (True, '1', 'running')
    retried = call(run_module, toy, pipeline_retry, execution=run, wait=True)
    assert (retried['changed'], retried['execution']['id'], retried['execution']['status']) == (True, '1', 'succeeded')
    assert call(run_module, toy, pipeline_retry, execution=run)['changed'] is False  # succeeded: nothing to retry

    # info over several executions, and cancel
    nightly = call(run_module, toy, pipeline_start, pipeline='shop/nightly', force=True)['execution']
    both = call(run_module, toy, pipeline_info, executions=[run, nightly])
    assert [e['status'] for e in both['executions']] == ['succeeded', 'running']
    assert call(run_module, toy, pipeline_cancel, check=True, execution=nightly)['execution']['status'] == 'aborted'
    cancelled = call(run_module, toy, pipeline_cancel, execution=nightly)
    assert (cancelled['changed'], cancelled['execution']['status']) == (True, 'aborted')
    assert call(run_module, toy, pipeline_cancel, execution=nightly)['changed'] is False
    assert posts(toy) == ['start', 'gate', 'retry', 'retry', 'start', 'cancel']


def test_the_toy_vendor_gets_the_option_checks_and_environment_of_its_column(run_module, toy, monkeypatch):
    wrong = call(run_module, toy, pipeline_info, pipeline=PIPELINE, workspace='acme')
    assert wrong['msg'] == 'Toy CI does not use workspace; its connection options are: api_url, api_token'
    orphan = run_module(pipeline_info, {'vendor': None, 'api_url': 'http://x',
                                        'executions': [{'vendor': 'toy', 'pipeline': PIPELINE, 'id': '1'}]}, connection=False)
    assert orphan['msg'] == ('api_url given but vendor is not set, so no vendor would use it; set vendor, or put it '
                             'in connections under its vendor')
    monkeypatch.setenv('TOY_TOKEN', TOKEN)
    latest = run_module(pipeline_info, {'vendor': 'toy', 'api_url': toy.connection['api_url'], 'pipeline': PIPELINE},
                        connection=False)
    assert latest == dict(latest, changed=False, execution=None)
    assert toy.requests(vendor='toy')[-1]['path'].endswith('/runs')  # the token from TOY_TOKEN was accepted


def test_one_module_defaults_block_for_two_vendors_and_one_info_task_over_both(run_module, toy):
    """`connections` holds both vendors' settings; each task names only its vendor; one pipeline_info task
    reads a Jenkins build and a toy run, each through its own backend and HTTP session."""
    connections = {'jenkins': {'api_url': toy.jenkins_url, 'username': ADMIN_USER, 'api_token': ADMIN_TOKEN},
                   'toy': {'api_url': toy.connection['api_url'], 'api_token': TOKEN}}

    def task(module: t.Any, **args: t.Any) -> t.Dict[str, t.Any]:
        return run_module(module, dict(args, connections=connections), connection=False)

    build = task(pipeline_start, vendor='jenkins', pipeline='shop/build')['execution']
    run = task(pipeline_start, vendor='toy', pipeline='shop/nightly')['execution']
    assert (build['vendor'], run['vendor']) == ('jenkins', 'toy')
    toy.clear_requests()

    both = task(pipeline_info, vendor=None, executions=[build, run], wait=True, wait_for=['running'])
    assert [(e['vendor'], e['status']) for e in both['executions']] == [('jenkins', 'running'), ('toy', 'running')]
    assert {r['vendor'] for r in toy.requests()} == {'jenkins', 'toy'}
    assert ADMIN_TOKEN not in both['_stdout'] and TOKEN not in both['_stdout']  # no_log reaches into connections

    cancelled = task(pipeline_cancel, vendor=None, execution=run)  # no vendor option: the record names its vendor
    assert (cancelled['changed'], cancelled['execution']['status']) == (True, 'aborted')
