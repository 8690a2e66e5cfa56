# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The machinery of the bad-input matrix (test_bad_input_<vendor>.py): one simulator per test file, the
executions every row addresses, and the checks every row makes.

A row runs one module with one bad input against the in-process simulator and guarantees:

- the task fails with one message (one line) that contains what the row expects (what was wrong and, where it
  applies, what is accepted) and nothing a user should not see: no traceback, no Python exception repr or type
  name, no secret of the connection;
- or, for a row whose input the collection documents as a no-op (cancel of a finished run, resume or retry of
  a run that is active or succeeded, an answer to a run that ended), the task succeeds with changed=false;
- the simulator's executions (every pipeline, full records) are the same before and after the task, and the
  request log holds no request that could change state (only the vendor's reads, see READS).

The executions are made once per test file, through the collection's own backend (a start, then the simulated
clock moved until the run is where the row needs it), with the clock frozen (speed 0) so nothing moves between
rows. When a row did change the state (a bug), the next row finds it changed and rebuilds it, so one failure does
not spread to the rows after it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import typing as t

from ansible_collections.cicd.pipelines.plugins.module_utils import _module
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Backend
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution, Status, StartRequest
from ansible_collections.cicd.pipelines.plugins.module_utils._registry import resolve_connection
from ansible_collections.cicd.pipelines.plugins.modules import (
    pipeline_cancel, pipeline_info, pipeline_input, pipeline_resume, pipeline_retry, pipeline_start,
)
from ansible_collections.cicd.pipelines.tests.simulator import testing
from ansible_collections.cicd.pipelines.tests.simulator.testing import SimHandle

MODULES: t.Dict[str, t.Any] = {
    'start': pipeline_start, 'info': pipeline_info, 'input': pipeline_input,
    'resume': pipeline_resume, 'retry': pipeline_retry, 'cancel': pipeline_cancel,
}
PIPELINE = 'shop/deploy'
# A pipeline with one succeeded run, and one whose only stage outlasts every test (its run stays running).
DONE = 'shop/done'
LONG = 'shop/long'

_DEPLOY_STAGES: t.Dict[str, t.List[t.Dict[str, t.Any]]] = {
    # Jenkins: an input step with a choice and a boolean (Jenkins input parameters are never required).
    'jenkins': [{'name': 'Prepare', 'duration': 1}, {'name': 'Smoke test', 'duration': 1},
                {'name': 'Release', 'gate': {'kind': 'input', 'id': 'Release', 'message': 'Release?', 'parameters': [
                    {'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']},
                    {'name': 'CONFIRM', 'type': 'boolean', 'default': False}]}},
                {'name': 'Deploy', 'duration': 1}],
    # Harness: a stage paused for runtime inputs, one a choice that is required and has no default.
    'harness': [{'name': 'Prepare', 'duration': 1}, {'name': 'Smoke test', 'duration': 1},
                {'name': 'Release', 'duration': 1, 'gate': {'kind': 'input', 'message': 'Rollout settings', 'parameters': [
                    {'name': 'REPLICAS', 'type': 'choice', 'choices': ['2', '4'], 'required': True}]}},
                {'name': 'Deploy', 'duration': 1}],
    # Buddy: a wait-for-variables action; variables without a default are required.
    'buddy': [{'name': 'Prepare', 'duration': 1}, {'name': 'Smoke test', 'duration': 1},
              {'name': 'Release', 'duration': 1, 'gate': {'kind': 'variables', 'message': 'Rollout settings', 'parameters': [
                  {'name': 'REPLICAS', 'type': 'choice', 'choices': ['2', '4']}, {'name': 'NOTE', 'type': 'string'}]}},
              {'name': 'Deploy', 'duration': 1}],
    # CodeArts: a manual review (it takes no parameters).
    'codearts': [{'name': 'Prepare', 'duration': 1}, {'name': 'Smoke test', 'duration': 1},
                 {'name': 'Release', 'gate': {'kind': 'approval', 'message': 'Release?'}},
                 {'name': 'Deploy', 'duration': 1}],
}


def scenario(vendor: str) -> t.Dict[str, t.Any]:
    """The scenario of one vendor's file, with the clock frozen: `shop/deploy` (parameters, a gate) with one failed
    run in its history, `shop/done` with one succeeded run, and `shop/long`, whose run stays running."""
    required = {'required': True} if vendor == 'harness' else {}  # only Harness variables can be required
    deploy: t.Dict[str, t.Any] = {
        'vendor': vendor, 'name': PIPELINE,
        'parameters': [dict({'name': 'VERSION', 'type': 'string', 'default': '1.0.0'}, **required),
                       dict({'name': 'TARGET', 'type': 'choice', 'choices': ['staging', 'production']}, **required)],
        'stages': _DEPLOY_STAGES[vendor],
        'history': [{'result': 'FAILURE', 'stage': 'Smoke test', 'parameters': {'VERSION': '1.0.1', 'TARGET': 'staging'}}],
    }
    done: t.Dict[str, t.Any] = {'vendor': vendor, 'name': DONE, 'stages': [{'name': 'Build', 'duration': 1}],
                                'history': [{'result': 'SUCCESS'}]}
    long: t.Dict[str, t.Any] = {'vendor': vendor, 'name': LONG, 'stages': [{'name': 'Work', 'duration': 10 ** 7}]}
    if vendor == 'jenkins':
        deploy['parameters'].append({'name': 'CICD_IDEMPOTENCY_KEY', 'type': 'string', 'default': ''})
        for spec in (deploy, done, long):
            spec.update(kind='pipeline', declarative=True, quiet_period=0)
    return {'speed': 0, 'pipelines': [deploy, done, long]}


def connection(vendor: str, sim: SimHandle) -> t.Dict[str, t.Any]:
    """The module options that connect `vendor` to the simulator with the demo credentials."""
    if vendor == 'jenkins':
        return {'vendor': 'jenkins', 'api_url': sim.jenkins_url, 'username': testing.ADMIN_USER,
                'api_token': testing.ADMIN_TOKEN}
    if vendor == 'harness':
        return {'vendor': 'harness', 'api_url': sim.harness_url, 'account_id': testing.HARNESS_ACCOUNT_ID,
                'api_token': testing.HARNESS_API_KEY}
    if vendor == 'buddy':
        return {'vendor': 'buddy', 'api_url': sim.buddy_url, 'workspace': testing.BUDDY_WORKSPACE,
                'project': testing.BUDDY_PROJECT, 'api_token': testing.BUDDY_TOKEN}
    return {'vendor': 'codearts', 'api_url': sim.codearts_url, 'project_id': testing.CODEARTS_PROJECT_ID,
            'access_key': testing.CODEARTS_AK, 'secret_key': testing.CODEARTS_SK}


# Every credential of the demo scenario: none may appear in a task's output.
SECRETS = (testing.ADMIN_TOKEN, testing.ADMIN_PASSWORD, testing.HARNESS_API_KEY, testing.BUDDY_TOKEN,
           testing.BUDDY_READ_TOKEN, testing.CODEARTS_SK, testing.CODEARTS_PASSWORD)

# The requests that cannot change anything, per vendor: (method, operation label) pairs, None for any label.
# Jenkins: reads only (token auth needs no crumb). Harness: GraphQL queries, whose label in the request log is their
# top-level fields joined by "+" (see _harness_read); never a mutation (startExecution, approveOrRejectApprovals,
# pipelineResumeRuntime, resumeExecution) nor the REST abort (PUT). Buddy: GETs only. CodeArts: GETs, the IAM token
# and the POSTs that only read (the pipeline and run lists, the status and log reads).
READS: t.Dict[str, t.FrozenSet[t.Tuple[str, t.Optional[str]]]] = {
    'jenkins': frozenset({('GET', None)}),
    'harness': frozenset(),
    'buddy': frozenset({('GET', None)}),
    'codearts': frozenset({('GET', None), ('POST', 'iam.token'), ('POST', 'list_pipelines'), ('POST', 'list_runs'),
                           ('POST', 'status'), ('POST', 'log')}),
}
# The query fields of the Harness documents the backend sends (plugins/module_utils/_backends/_harness/_graphql.py).
_HARNESS_QUERIES = frozenset({'application', 'applicationByName', 'pipeline', 'pipelineByName', 'workflow', 'workflowByName',
                              'execution', 'executions', 'approvalDetails'})


def _harness_read(entry: t.Mapping[str, t.Any]) -> bool:
    fields = str(entry.get('operation') or '').split('+')
    return entry['method'] == 'POST' and entry['path'] == '/api/graphql' and set(fields) <= _HARNESS_QUERIES


# What a message must never show: traceback text, Python exception reprs and class names, Python type names
# where words belong, and the name of the status enum's own error.
FORBIDDEN = re.compile(
    r'Traceback|File "|\bline \d+, in\b|NoneType|Ansible(Unsafe|Tagged)\w*|_AnsibleTagged\w*|<class |<\w+ object at |'
    r'\b\w*(Error|Exception)\(|\b(ValueError|TypeError|KeyError|AttributeError|IndexError|JMESPathError|ParseError|'
    r'LexerError|re\.error)\b|is not a valid Status|unexpected error|'
    r'\b(got|of type) (str|int|float|bool|list|dict|tuple|NoneType)\b')


def is_read(vendor: str, entry: t.Mapping[str, t.Any]) -> bool:
    """Whether the request of a request-log entry only reads (see READS)."""
    if vendor == 'harness':
        return _harness_read(entry)
    reads = READS[vendor]
    return (entry['method'], None) in reads or (entry['method'], entry.get('operation')) in reads


@dataclasses.dataclass
class World:
    """One vendor's simulator and the executions the rows address (records as the modules return them)."""

    vendor: str
    sim: SimHandle
    connection: t.Dict[str, t.Any]
    records: t.Dict[str, t.Dict[str, t.Any]] = dataclasses.field(default_factory=dict)
    baseline: t.List[t.Dict[str, t.Any]] = dataclasses.field(default_factory=list)

    def record(self, name: str, **changes: t.Any) -> t.Dict[str, t.Any]:
        """A copy of the record `name` (succeeded, failed, running, waiting), with `changes` applied."""
        record = dict(self.records[name])
        record['scope'] = dict(record.get('scope') or {})
        record.update(changes)
        return record

    def snapshot(self) -> t.List[t.Dict[str, t.Any]]:
        return self.sim.executions()

    def build(self) -> None:
        """Back to the scenario, then a run waiting at the deploy gate and a run that stays running."""
        self.sim.reset()
        backend = _module.create_backend(resolve_connection(self.connection, {}).connection)
        for name, pipeline in (('succeeded', DONE), ('failed', PIPELINE)):
            latest = backend.latest(pipeline)  # the pipeline's one history run
            assert latest is not None, pipeline
            self.records[name] = backend.get(latest).to_result()
        waiting = self._start(backend, PIPELINE, {'VERSION': '2.0.0', 'TARGET': 'production'},
                              lambda e: e.status == Status.WAITING and bool(e.pending_inputs))
        self.records['waiting'] = waiting.to_result()
        running = self._start(backend, LONG, {}, lambda e: e.status == Status.RUNNING and bool(e.stages))
        self.records['running'] = running.to_result()
        assert [self.records[n]['status'] for n in ('succeeded', 'failed')] == ['succeeded', 'failed'], self.records
        self.baseline = self.snapshot()

    def _start(self, backend: Backend, pipeline: str, parameters: t.Dict[str, t.Any],
               reached: t.Callable[[Execution], bool]) -> Execution:
        """Start `pipeline` through the backend, then move the clock until `reached` holds."""
        request = StartRequest(pipeline=pipeline, parameters=parameters, key='bad-input-%s' % pipeline.replace('/', '-'),
                               key_derived=False)
        backend.describe_pipeline(pipeline)
        backend.find_started(request)
        execution = backend.after_start(backend.start(request), request)
        for _step in range(30):
            execution = backend.get(execution)
            if execution.id is not None:
                execution = backend.after_start(execution, request)
            if reached(execution):
                return backend.get(execution)
            self.sim.advance(1)
        raise AssertionError('%s never got where the rows need it: %r' % (pipeline, execution))

    def ensure(self) -> None:
        """Rebuild the executions when an earlier row changed them (then that row failed already)."""
        if self.snapshot() != self.baseline:
            self.build()
        self.sim.clear_requests()


@dataclasses.dataclass
class Row:
    """One bad input: `args(world)` are the module's options besides the connection (which `connection(world)`
    replaces when given). A failing row expects every text of `expect` in the message (a str, or a compiled
    pattern searched); `ansible` marks a message of Ansible's own option checks, in Ansible's words (which name
    the Python type they could not convert). A no-op row (`noop`) expects success with changed=false and the
    execution in the status `noop` names. `check(world, result, log)` makes the row's own assertions (e.g. the
    paths an identifier reached)."""

    module: str
    case: str
    args: t.Callable[[World], t.Dict[str, t.Any]]
    expect: t.Sequence[t.Union[str, t.Pattern[str]]] = ()
    noop: t.Optional[str] = None
    ansible: bool = False
    connection: t.Optional[t.Callable[[World], t.Dict[str, t.Any]]] = None
    check: t.Optional[t.Callable[[World, t.Dict[str, t.Any], t.List[t.Dict[str, t.Any]]], None]] = None

    @property
    def id(self) -> str:
        return '%s-%s' % (self.module, self.case)


# Ansible's own option checks say "argument 'x' is of type str and we were unable to convert to int: ..." (and for a
# dict "<class 'list'> cannot be converted to a dict"): those words are Ansible's, as docs/troubleshooting.md says.
_ANSIBLE_WORDS = re.compile(r"\bis of type \w+ and we were unable to convert\b|<class '\w+'> cannot be converted")


def run_row(world: World, row: Row, run_module: t.Callable[..., t.Dict[str, t.Any]]) -> t.Dict[str, t.Any]:
    """Run one row and make the checks every row makes (see the module docstring); returns the result."""
    world.ensure()
    before = world.snapshot()
    options = dict(row.connection(world) if row.connection is not None else world.connection)
    options.update(row.args(world))
    result = run_module(MODULES[row.module], options, connection=False)
    log = world.sim.requests()
    after = world.snapshot()
    for secret in SECRETS:
        assert secret not in result['_stdout'], 'a secret is in the output of %s' % row.id
    if row.noop:
        assert not result.get('failed'), result.get('msg')
        assert result['changed'] is False, result
        assert result['execution']['status'] == row.noop, result['execution']
    else:
        assert result.get('failed') is True, result
        msg = result['msg']
        assert isinstance(msg, str) and msg.strip() and '\n' not in msg, msg
        bad = FORBIDDEN.search(_ANSIBLE_WORDS.sub('', msg) if row.ansible else msg)
        assert bad is None, 'the message shows %r: %s' % (bad.group(0), msg)
        for wanted in row.expect:
            if isinstance(wanted, str):
                assert wanted in msg, 'expected %r in: %s' % (wanted, msg)
            else:
                assert wanted.search(msg), 'expected /%s/ in: %s' % (wanted.pattern, msg)
    writes = [e for e in log if not is_read(world.vendor, e)]
    assert writes == [], 'state-changing requests for %s: %s' % (row.id, writes)
    assert after == before, 'the executions changed'
    if row.check is not None:
        row.check(world, result, log)
    return result


@contextlib.contextmanager
def world_of(vendor: str) -> t.Iterator[World]:
    """The simulator of one vendor's test file, with the executions built."""
    with testing.running(scenario(vendor), speed=0) as sim:
        world = World(vendor=vendor, sim=sim, connection=connection(vendor, sim))
        world.build()
        yield world


# The rows every vendor has -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Facts:
    """What a vendor's rows differ in: the required connection option to leave out, an option it does not use, an
    execution id it does not know, how it says that shop/nope does not exist (looked up by name; and with an execution
    id, which some vendors read without the pipeline), the gate of the waiting run, and whether its pipeline parameters
    have choices."""

    display: str
    required: str
    unused: t.Tuple[str, t.Any]
    unknown_id: str
    no_pipeline: str
    no_pipeline_by_id: str
    gate: str
    choices: bool = True


FACTS: t.Dict[str, Facts] = {
    'jenkins': Facts('Jenkins', 'api_url', ('workspace', 'acme'), '999', "jenkins: job 'shop/nope' not found",
                     "jenkins: job 'shop/nope' not found", 'Release'),
    'harness': Facts('Harness', 'account_id', ('username', 'release-bot'), 'AAAAAAAAAAAAAAAAAAAAAA',
                     "harness: application 'shop' has no pipeline or workflow named 'nope'",
                     'harness: could not read execution 1: Invalid request: Execution does not exist', 'Release'),
    'buddy': Facts('Buddy', 'workspace', ('region', 'eu-west-1'), '999',
                   "buddy: project 'shop' of workspace 'acme' has no pipeline named 'nope'",
                   "buddy: project 'shop' of workspace 'acme' has no pipeline named 'nope'", 'Release', choices=False),
    'codearts': Facts('CodeArts', 'project_id', ('account_id', 'acme'), 'ffffffffffffffffffffffffffffffff',
                      "has no pipeline named 'shop/nope'", "has no pipeline named 'shop/nope'", 'Release'),
}

Args = t.Callable[[World], t.Dict[str, t.Any]]

# The execution each module addresses when a row needs a valid one.
_TARGET = {'info': 'succeeded', 'input': 'waiting', 'resume': 'failed', 'retry': 'failed', 'cancel': 'running'}


def address(module: str) -> Args:
    """Options that address a valid execution for `module` (a pipeline to start for pipeline_start)."""
    if module == 'start':
        return starting()
    return lambda w: {'execution': w.record(_TARGET[module])}


# Valid parameters of shop/deploy: a start row whose bad input went unnoticed would start a run (and fail on that).
VALID = {'VERSION': '2.0.0', 'TARGET': 'staging'}


def starting(parameters: t.Optional[t.Mapping[str, t.Any]] = None, **options: t.Any) -> Args:
    """pipeline_start options for shop/deploy: the valid parameters with `parameters` added, and `options`."""
    return lambda w: dict({'pipeline': PIPELINE, 'parameters': dict(VALID, **(parameters or {}))}, **options)


def plus(base: Args, **options: t.Any) -> Args:
    """`base` with `options` added."""
    return lambda w: dict(base(w), **options)


def record_with(name: str, **changes: t.Any) -> Args:
    """The record `name` with `changes`, as the `execution` option."""
    return lambda w: {'execution': w.record(name, **changes)}


def _without(option: str) -> Args:
    return lambda w: {k: v for k, v in w.connection.items() if k != option}


def _with(option: str, value: t.Any) -> Args:
    return lambda w: dict(w.connection, **{option: value})


def connection_rows(vendor: str) -> t.List[Row]:
    """Every module: a required connection option left out, an option the vendor does not use, wrong types of a shared
    option, and the checks of the wait options (all before anything is read)."""
    facts = FACTS[vendor]
    unused, value = facts.unused
    rows = []
    for module in MODULES:
        target = address(module)
        rows += [
            Row(module, 'missing-%s' % facts.required.replace('_', '-'), target, ['%s needs %s' % (facts.display, facts.required)],
                connection=_without(facts.required)),
            Row(module, 'unused-%s' % unused.replace('_', '-'), target,
                ['%s does not use %s; its connection options are: ' % (facts.display, unused)], connection=_with(unused, value)),
            Row(module, 'wrong-type-wait-timeout', plus(target, wait_timeout='soon'), ["argument 'wait_timeout'", 'int'],
                ansible=True),
            Row(module, 'wrong-type-request-retries', plus(target, request_retries='many'), ["argument 'request_retries'", 'int'],
                ansible=True),
            Row(module, 'wrong-type-wait', plus(target, wait='perhaps'), ["argument 'wait'", 'bool'], ansible=True),
            Row(module, 'negative-wait-timeout', plus(target, wait_timeout=-1), ['wait_timeout must be 0 seconds or more, got -1']),
            Row(module, 'zero-wait-interval', plus(target, wait=True, wait_interval=0),
                ['wait_interval must be more than 0 seconds, got 0']),
            Row(module, 'negative-log-lines', plus(target, log_lines=-5), ['log_lines must be 0 or more, got -5']),
            Row(module, 'negative-request-timeout', plus(target, request_timeout=-1),
                ['request_timeout must be more than 0 seconds, got -1']),
            Row(module, 'unknown-wait-for', plus(target, wait_for=['done']), ['wait_for', 'queued, running', 'done'], ansible=True),
            Row(module, 'unknown-on-timeout', plus(target, on_timeout='explode'), ['on_timeout', 'fail, cancel, detach'],
                ansible=True),
            Row(module, 'incomplete-wait-until', plus(target, wait_until="status == 'x' &&"),
                ["wait_until is not a valid JMESPath expression (status == 'x' &&): the expression ends before it is "
                 'complete at column 16']),
            Row(module, 'unknown-function-wait-until', plus(target, wait_until='finished(status)'),
                ['wait_until is not a valid JMESPath expression (finished(status)): Unknown function: finished()']),
            Row(module, 'unclosed-wait-until', plus(target, wait_until="status == 'x"),
                ["wait_until is not a valid JMESPath expression (status == 'x): unclosed ' delimiter at column 10"]),
            Row(module, 'api-url-with-credentials', target, ['api_url must not contain credentials', '********@'],
                connection=lambda w: dict(w.connection, api_url=w.connection['api_url'].replace('://', '://bot:pa55@'))),
            Row(module, 'api-url-not-http', target, ["api_url must be an http:// or https:// URL with a host name, got 'ftp://"],
                connection=lambda w: dict(w.connection, api_url='ftp://127.0.0.1/x')),
            Row(module, 'unknown-vendor', target, ['vendor', 'buddy, codearts, harness, jenkins'], ansible=True,
                connection=_with('vendor', 'gitlab')),
        ]
    return rows


def record_rows(vendor: str) -> t.List[Row]:
    """Every module that addresses an execution: a wrong type, unknown executions and pipelines, and malformed records."""
    facts = FACTS[vendor]
    other = 'harness' if vendor != 'harness' else 'jenkins'
    rows = []
    for module in ('info', 'input', 'resume', 'retry', 'cancel'):
        name = _TARGET[module]
        rows += [
            Row(module, 'wrong-type-execution', lambda w: {'execution': 'the last one'}, ["argument 'execution'", 'dict'],
                ansible=True),
            Row(module, 'record-and-execution-id', plus(address(module), execution_id='1'),
                ['parameters are mutually exclusive: execution|execution_id'], ansible=True),
            Row(module, 'record-and-pipeline', plus(address(module), pipeline=PIPELINE),
                ['parameters are mutually exclusive: execution|pipeline'], ansible=True),
            Row(module, 'execution-id-without-pipeline', lambda w: {'execution_id': '1'},
                ['pipeline'] if module == 'info' else ['give execution (the record an earlier task returned) or both pipeline '
                                                       'and execution_id']),
            Row(module, 'unknown-execution-id', lambda w, p=(LONG if module == 'cancel' else PIPELINE): {
                'pipeline': p, 'execution_id': facts.unknown_id}, [facts.unknown_id]),
            Row(module, 'unknown-pipeline', lambda w: {'pipeline': 'shop/nope', 'execution_id': '1'}, [facts.no_pipeline_by_id]),
            Row(module, 'negative-execution-id', lambda w: {'pipeline': PIPELINE, 'execution_id': '-1'},
                ["execution_id must be the id (or number) of an execution, got '-1'"]),
            Row(module, 'blank-execution-id', lambda w: {'pipeline': PIPELINE, 'execution_id': '  '},
                ["execution_id must be the id (or number) of an execution, got '  '"]),
            Row(module, 'record-missing-id', record_with(name, id=None, scope={}),
                ['execution is missing id; pass the whole execution record returned by an earlier cicd.pipelines task']),
            Row(module, 'record-without-vendor', lambda w, n=name: {'execution': w.record(n, vendor=''), 'vendor': vendor},
                ['execution is missing vendor; pass the whole execution record']),
            Row(module, 'whole-result-as-record', lambda w, n=name: {'execution': {'changed': False, 'execution': w.record(n)}},
                ['execution is missing vendor, pipeline, id']),
            Row(module, 'record-scope-not-mapping', record_with(name, scope=['queue', 1]),
                ['execution.scope must be a mapping, got a list; pass the whole execution record']),
            Row(module, 'record-parameters-not-mapping', record_with(name, parameters='VERSION=1'),
                ['execution.parameters must be a mapping, got a string']),
            Row(module, 'record-id-list', record_with(name, id=['1']), ['execution.id must be a string, got a list']),
            Row(module, 'record-id-boolean', record_with(name, id=True), ['execution.id must be a string, got a boolean']),
            Row(module, 'record-of-other-vendor', lambda w, n=name: {'execution': w.record(n, vendor=other), 'vendor': vendor},
                ['execution is a %s execution but vendor is %s' % (other, vendor)]),
            Row(module, 'record-of-unknown-vendor', lambda w, n=name: {'execution': w.record(n, vendor='gitlab'), 'vendor': None},
                ["vendor 'gitlab' is not supported; choose one of: buddy, codearts, harness, jenkins"]),
            # Harness reads an execution by its id alone: it checks that the execution is of the record's pipeline.
            Row(module, 'record-of-unknown-pipeline', record_with(name, pipeline='shop/nope', scope={}),
                ["belongs to shop/%s, not to 'shop/nope'" % ('long' if module == 'cancel' else 'done' if module == 'info' else 'deploy')]
                if vendor == 'harness' else [facts.no_pipeline]),
        ]
    return rows


def start_rows(vendor: str) -> t.List[Row]:
    """pipeline_start: wrong types, unknown pipelines, parameters and start inputs, values outside their choices."""
    facts = FACTS[vendor]
    rows = [
        Row('start', 'missing-pipeline', lambda w: {}, ['missing required arguments: pipeline'], ansible=True),
        Row('start', 'execution-given', lambda w: dict(starting()(w), execution=w.record('failed')),
            ['Unsupported parameters', 'execution'], ansible=True),
        Row('start', 'wrong-type-parameters', lambda w: {'pipeline': PIPELINE, 'parameters': ['VERSION']},
            ["argument 'parameters'", 'dict'], ansible=True),
        Row('start', 'wrong-type-start-inputs', starting(start_inputs=42),
            ["argument 'start_inputs'", 'dict'], ansible=True),
        Row('start', 'wrong-type-force', starting(force='maybe'), ["argument 'force'", 'bool'],
            ansible=True),
        Row('start', 'unknown-pipeline', starting(pipeline='shop/nope'), [facts.no_pipeline]),
        Row('start', 'unknown-parameter', starting({'VERSON': '2.0'}),
            ["unknown parameter 'VERSON' for pipeline ", '; its parameters are: VERSION, TARGET']),
        Row('start', 'json-parameter-name', starting({'{"TARGET": "production"}': 'x'}),
            ['unknown parameter \'{"TARGET": "production"}\' for pipeline ', 'its parameters are: VERSION, TARGET']),
        Row('start', 'list-value', starting({'VERSION': ['2.0', '2.1']}),
            ["parameter 'VERSION' takes one string value, got a list; join the values into one string yourself"]),
        Row('start', 'mapping-value', starting({'VERSION': {'major': 2}}),
            ["parameter 'VERSION' takes one string value, got a mapping"]),
        Row('start', 'unknown-start-input', starting(start_inputs={'bogus': 1}),
            ['%s does not take the start input bogus; the start inputs it accepts: ' % facts.display]),
        Row('start', 'negative-wait-timeout-and-parameters', starting({'VERSON': 'x'}, wait_timeout=-3),
            ['wait_timeout must be 0 seconds or more, got -3']),
    ]
    if facts.choices:
        rows += [
            Row('start', 'choice-outside', starting({'TARGET': 'moon'}),
                ["parameter 'TARGET' must be one of staging, production, got 'moon'"]),
            Row('start', 'json-choice-value', starting({'TARGET': '{"env": "production"}'}),
                ['parameter \'TARGET\' must be one of staging, production, got \'{"env": "production"}\'']),
            Row('start', 'null-choice-value', starting({'TARGET': None}),
                ["parameter 'TARGET' must be one of staging, production, got null"]),
            Row('start', 'number-choice-value', starting({'TARGET': 7}),
                ["parameter 'TARGET' must be one of staging, production, got 7"]),
        ]
    return rows


def input_rows(vendor: str) -> t.List[Row]:
    """pipeline_input: answers with unknown names, wrong option values, gates that do not wait (a running run fails;
    an ended one is a documented no-op), and gate ids built to escape."""
    facts = FACTS[vendor]
    waiting = address('input')
    rows = [
        Row('input', 'wrong-type-parameters', plus(waiting, parameters='REPLICAS'), ["argument 'parameters'", 'dict'],
            ansible=True),
        Row('input', 'wrong-type-gate-timeout', plus(waiting, gate_timeout='later'), ["argument 'gate_timeout'", 'int'],
            ansible=True),
        Row('input', 'unknown-action', plus(waiting, action='maybe'), ['action', 'approve, reject'], ansible=True),
        Row('input', 'negative-gate-timeout', plus(waiting, gate_timeout=-1), ['gate_timeout must be 0 seconds or more, got -1']),
        Row('input', 'parameters-with-reject', plus(waiting, action='reject', parameters={'TARGET': 'staging'}),
            ['parameters are only sent with action=approve']),
        Row('input', 'unknown-input-id', plus(waiting, input_id='Nope'),
            ["input 'Nope' is not pending at ", 'waits at ', '; name one of those in input_id']),
        Row('input', 'running-run-without-gate', lambda w: {'execution': w.record('running')},
            ['no input appeared at ', ' (set gate_timeout to wait for it): it is running', 'waits for no input']),
        Row('input', 'running-run-unknown-input-id', lambda w: {'execution': w.record('running'), 'input_id': 'Release'},
            ["input 'Release' did not appear at ", 'it is running']),
        Row('input', 'succeeded-run', lambda w: {'execution': w.record('succeeded')}, noop='succeeded'),
        Row('input', 'failed-run', lambda w: {'execution': w.record('failed'), 'input_id': facts.gate}, noop='failed'),
    ]
    for case, gate_id in (('dot-dot', '../Release'), ('encoded-slash', 'Release%2F..%2FDeploy'), ('query', 'Release?proceed=1'),
                          ('fragment', 'Release#abort'), ('space', 'Re lease'), ('unicode', 'Relеase'),  # a Cyrillic e
                          ('json', '{"id": "Release"}')):
        rows.append(Row('input', 'input-id-%s' % case, plus(waiting, input_id=gate_id),
                        ['input %r is not pending at ' % gate_id]))
    return rows


def continue_rows(vendor: str) -> t.List[Row]:
    """pipeline_resume, pipeline_retry and pipeline_cancel: the documented no-ops (resume or retry of an active or
    succeeded run, cancel of an ended one) and stages that do not exist."""
    rows = []
    for module in ('resume', 'retry'):
        rows += [
            Row(module, 'succeeded-run', lambda w: {'execution': w.record('succeeded')}, noop='succeeded'),
            Row(module, 'running-run', lambda w: {'execution': w.record('running')}, noop='running'),
            Row(module, 'waiting-run', lambda w: {'execution': w.record('waiting')}, noop='waiting'),
        ]
    rows += [
        Row('cancel', 'succeeded-run', lambda w: {'execution': w.record('succeeded')}, noop='succeeded'),
        Row('cancel', 'failed-run', lambda w: {'execution': w.record('failed')}, noop='failed'),
        # Ansible turns a mapping given for a string option into its text (with a warning): no stage is named so.
        Row('resume', 'wrong-type-stage', plus(address('resume'), stage={'name': 'Deploy'}),
            ['cannot be resumed from stage "{\'name\': \'Deploy\'}"; it can be resumed from: ']),
    ]
    for case, stage in (('unknown', 'Nope'), ('dot-dot', 'Smoke test/../Deploy'), ('regex', '.*'), ('encoded', 'Smoke%20test'),
                        ('json', '{"stage": "Deploy"}')):
        rows.append(Row('resume', 'stage-%s' % case, plus(address('resume'), stage=stage), [repr(stage)]))
    return rows


def common_rows(vendor: str) -> t.List[Row]:
    return connection_rows(vendor) + record_rows(vendor) + start_rows(vendor) + input_rows(vendor) + continue_rows(vendor)
