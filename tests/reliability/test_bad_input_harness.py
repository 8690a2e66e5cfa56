# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bad-input matrix for Harness: every row is one bad input to one module (bad_input.py says what each row
guarantees: one clean message or the documented no-op, no GraphQL mutation nor REST abort, the simulator's
executions unchanged). Besides the rows every vendor has: required variables, the start inputs variable_types,
artifacts and continue_with_default_values, runtime inputs (required, choices, no comment, no reject), executions
addressed with another pipeline than theirs, and names and ids carrying GraphQL syntax, which must travel as
GraphQL variables and never become part of a query's text."""

from __future__ import annotations

import re
import typing as t

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._harness import _graphql as gql
from ansible_collections.cicd.pipelines.tests.reliability import bad_input
from ansible_collections.cicd.pipelines.tests.reliability.bad_input import (
    LONG, PIPELINE, Row, World, plus, record_with, starting,
)

VENDOR = 'harness'
WAITING = bad_input.address('input')
FAILED = bad_input.address('resume')

Log = t.List[t.Dict[str, t.Any]]
# What the backend sent through GraphQL.run in the current row: (document, variables).
SENT: t.List[t.Tuple[str, t.Dict[str, t.Any]]] = []


def as_variable(text: str) -> t.Callable[[World, t.Dict[str, t.Any], Log], None]:
    """A check: `text` was sent, and only as (part of) a GraphQL variable; every query is one of the backend's
    constant documents, so no input can add a field or a mutation to it."""

    def check(_world: World, _result: t.Dict[str, t.Any], _log: Log) -> None:
        assert SENT, 'nothing was sent'
        documents = set(gql.DOCUMENTS.values())
        assert all(document in documents for document, _variables in SENT), [d for d, _v in SENT if d not in documents]
        assert all(text not in document for document, _variables in SENT)
        assert any(text in str(value) for _document, variables in SENT for value in variables.values()), SENT

    return check


def sends_nothing(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
    """A check: the input was refused before any request."""
    assert log == [] and SENT == [], (log, SENT)


INJECTION = 'deploy") { startExecution(input: {applicationId: "x"}) { clientMutationId } } #'


def escape_rows() -> t.List[Row]:
    rows = []
    for case, name in (('graphql-in-name', 'shop/' + INJECTION), ('json-in-name', 'shop/{"name": "deploy"}'),
                       ('dot-dot', 'shop/../deploy'), ('encoded-slash', 'shop/deploy%2F..%2Fdone'),
                       ('query-and-fragment', 'shop/deploy?x=1#top'), ('space', 'shop/de ploy'), ('unicode', 'shop/dеploy')):
        _app, _sep, entity = name.partition('/')
        rows.append(Row('start', 'pipeline-%s' % case, starting(pipeline=name),
                        ["harness: application 'shop' has no pipeline or workflow named %r (or with that id); its pipelines: "
                         'deploy, done, long; its workflows: none' % entity], check=as_variable(entity)))
    rows += [
        Row('start', 'pipeline-graphql-in-application', starting(pipeline='shop") { x } #/deploy'),
            ["harness: application 'shop\") { x } #' does not exist (by name or id) or the API key cannot see it"],
            check=as_variable('shop") { x } #')),
        Row('start', 'pipeline-without-application', starting(pipeline='deploy'),
            ["harness: pipeline 'deploy' must be APPLICATION/NAME (names or ids), e.g. shop/release"], check=sends_nothing),
        Row('start', 'pipeline-without-name', starting(pipeline='shop/ '),
            ["harness: pipeline 'shop/ ' must be APPLICATION/NAME"], check=sends_nothing),
        Row('start', 'pipeline-prefix-of-no-workflow', starting(pipeline='shop/workflow:deploy'),
            ["harness: application 'shop' has no workflow named 'deploy'"]),
    ]
    for case, execution_id in (('graphql', '") { startExecution(input: {}) { clientMutationId } } #'), ('dot-dot', '../x'),
                               ('query-and-fragment', 'x?y=1#z'), ('json', '{"id": "x"}'), ('unicode', 'ехесution')):
        for module in ('info', 'cancel'):
            rows.append(Row(module, 'execution-id-%s' % case, lambda w, i=execution_id: {'pipeline': PIPELINE, 'execution_id': i},
                            ['harness: could not read execution %s: Invalid request: Execution does not exist or access is '
                             'denied' % execution_id], check=as_variable(execution_id)))
    return rows


ROWS: t.List[Row] = bad_input.common_rows(VENDOR) + escape_rows() + [
    Row('start', 'missing-required-variable', lambda w: {'pipeline': PIPELINE, 'parameters': {'VERSION': '2.0.0'}},
        ["parameter 'TARGET' is required by pipeline 'shop/deploy'"]),
    # VERSION is required but has a default; TARGET has none.
    Row('start', 'no-parameters', lambda w: {'pipeline': PIPELINE}, ["parameter 'TARGET' is required by pipeline 'shop/deploy'"]),
    Row('start', 'variable-types-list', starting(start_inputs={'variable_types': ['VERSION']}),
        ['harness: start input variable_types must be a mapping of variable name to NAME, ID or EXPRESSION, got a list']),
    Row('start', 'variable-types-unknown-kind', starting(start_inputs={'variable_types': {'VERSION': 'RAW'}}),
        ["harness: start input variable_types: 'VERSION' must be NAME, ID or EXPRESSION, got 'RAW'"]),
    Row('start', 'variable-types-list-kind', starting(start_inputs={'variable_types': {'VERSION': ['NAME']}}),
        ["harness: start input variable_types: 'VERSION' must be NAME, ID or EXPRESSION, got a list"]),
    Row('start', 'variable-types-of-no-parameter', starting(start_inputs={'variable_types': {'REPLICAS': 'NAME'}}),
        ["harness: start input variable_types names 'REPLICAS', which is not among the parameters given (TARGET, VERSION)"]),
    Row('start', 'artifacts-string', starting(start_inputs={'artifacts': 'web:1.2'}),
        ['harness: start input artifacts must be a list of {service, artifact_source, build_number} (optional parameters: a '
         'mapping), got a string']),
    Row('start', 'artifacts-item-not-mapping', starting(start_inputs={'artifacts': ['web']}),
        ['harness: start input artifacts[0] must be a mapping: a list of {service, artifact_source, build_number}']),
    Row('start', 'artifacts-item-incomplete', starting(start_inputs={'artifacts': [{'service': 'web', 'image': 'x'}]}),
        ['harness: start input artifacts[0]: unknown key(s) image; missing artifact_source, build_number; each item is a list of']),
    Row('start', 'artifacts-parameters-not-mapping', starting(start_inputs={'artifacts': [
        {'service': 'web', 'artifact_source': 'hub', 'build_number': '1', 'parameters': 'TAG=1'}]}),
        ['harness: start input artifacts[0].parameters must be a mapping']),
    Row('start', 'continue-with-default-values-word', starting(start_inputs={'continue_with_default_values': 'maybe'}),
        ["start input 'continue_with_default_values' is a boolean (true or false), got 'maybe'"]),
    Row('start', 'key-with-line-break', starting(idempotency_key='shop-2.0\ncicd-idempotency-key: other'),
        ['harness: the idempotency key travels on one line of text, so it cannot contain a line break']),
    Row('start', 'revision', starting(revision='v2.0.0'), ['Harness takes no revision apart from parameters']),
    Row('input', 'missing-required-runtime-input', WAITING,
        ["parameter 'REPLICAS' is required by the runtime inputs of 'Release'"]),
    Row('input', 'runtime-input-outside-choices', plus(WAITING, parameters={'REPLICAS': '3'}),
        ["parameter 'REPLICAS' must be one of 2, 4, got '3'"]),
    Row('input', 'runtime-input-number', plus(WAITING, parameters={'REPLICAS': 3}),
        ["parameter 'REPLICAS' must be one of 2, 4, got 3"]),
    Row('input', 'runtime-input-graphql', plus(WAITING, parameters={'REPLICAS': '2"}) { x }'}),
        ['parameter \'REPLICAS\' must be one of 2, 4, got \'2"}) { x }\'']),
    Row('input', 'unknown-runtime-input', plus(WAITING, parameters={'REPLICAS': '2', 'ZONE': 'eu'}),
        ["unknown parameter 'ZONE' for the runtime inputs of 'Release'; its parameters are: REPLICAS"]),
    Row('input', 'runtime-inputs-comment', plus(WAITING, parameters={'REPLICAS': '2'}, comment='ok'),
        ['harness: runtime inputs carry no comment; leave comment out for them']),
    Row('input', 'runtime-inputs-reject', plus(WAITING, action='reject'),
        ['harness: a stage waiting for runtime inputs cannot be rejected; supply the inputs, or stop the execution with '
         'cicd.pipelines.pipeline_cancel']),
    Row('resume', 'stage-not-reached', plus(FAILED, stage='Deploy'),
        ["shop/deploy ", "cannot be resumed from stage 'Deploy'; it can be resumed from: Prepare, Smoke test, STAGE 1, STAGE 2"]),
    Row('resume', 'stage-regex-alternative', plus(FAILED, stage='Smoke test|Prepare'),
        ["cannot be resumed from stage 'Smoke test|Prepare'; it can be resumed from: "]),
    # Execution ids are global at Harness: an execution named with another pipeline than its own is refused (a record's
    # scope names its pipeline by ids, which win over the name: they survive a rename, so these records have none).
    Row('cancel', 'execution-of-another-pipeline', lambda w: {'pipeline': PIPELINE, 'execution_id': w.records['running']['id']},
        ["belongs to %s, not to 'shop/deploy'; give the pipeline it belongs to" % LONG]),
    Row('cancel', 'record-of-another-pipeline', record_with('running', pipeline=PIPELINE, scope={}),
        ["belongs to %s, not to 'shop/deploy'" % LONG]),
    Row('input', 'record-of-another-pipeline', plus(record_with('waiting', pipeline=LONG, scope={}), parameters={'REPLICAS': '2'}),
        ["belongs to shop/deploy, not to 'shop/long'"]),
    Row('resume', 'record-of-another-pipeline', record_with('failed', pipeline='shop/pipeline:done', scope={}),
        ["belongs to shop/deploy, not to 'shop/pipeline:done'"]),
    Row('info', 'record-of-another-entity', lambda w: {'execution': w.record('succeeded', scope=dict(
        w.records['succeeded']['scope'], entity_id=w.records['failed']['scope']['entity_id']))},
        [re.compile(r"belongs to shop/done, not to the one of scope.entity_id '[^']+'; give the pipeline it belongs to")]),
]


@pytest.fixture(scope='module')
def world() -> t.Iterator[World]:
    with bad_input.world_of(VENDOR) as built:
        yield built


@pytest.fixture(autouse=True)
def graphql_spy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every document and its variables the backend sends (GraphQL.run is where every one leaves)."""
    SENT.clear()
    run = gql.GraphQL.run

    def spy(self: gql.GraphQL, document: str, variables: t.Mapping[str, t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        SENT.append((document, dict(variables)))
        return run(self, document, variables, *args, **kwargs)

    monkeypatch.setattr(gql.GraphQL, 'run', spy)


@pytest.mark.parametrize('row', ROWS, ids=lambda row: '%s-%s' % (VENDOR, row.id))
def test_bad_input(world: World, run_module: t.Any, row: Row) -> None:
    bad_input.run_row(world, row, run_module)


def test_an_execution_id_that_starts_with_a_dash_is_an_id(world: World, run_module: t.Any) -> None:
    """Harness ids are URL-safe base64 and may start with '-': only a negative number is refused as no id."""
    running = world.records['running']
    assert running['id'].startswith('-'), 'the scenario no longer gives this run a dashed id: %s' % running['id']
    result = run_module(bad_input.MODULES['info'], dict(world.connection, pipeline=LONG, execution_id=running['id']),
                        connection=False)
    assert not result.get('failed'), result.get('msg')
    assert (result['execution']['id'], result['execution']['status']) == (running['id'], 'running')
