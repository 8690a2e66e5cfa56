# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bad-input matrix for Buddy: every row is one bad input to one module (bad_input.py says what each row
guarantees: one clean message or the documented no-op, nothing but GETs, the simulator's executions unchanged).
Besides the rows every vendor has: Buddy's start inputs (priority, actions, encrypted, refs, refresh), wait-for-
variables answers (required, choices, no comment), records with a bad pipeline id or project, and projects,
pipelines and execution ids built to reach another endpoint (a `..` segment is removed by the HTTP client, so it is
refused; anything else is sent quoted)."""

from __future__ import annotations

import typing as t

from urllib.parse import quote

import pytest

from ansible_collections.cicd.pipelines.tests.reliability import bad_input
from ansible_collections.cicd.pipelines.tests.reliability.bad_input import PIPELINE, Row, World, plus, record_with, starting

VENDOR = 'buddy'
WAITING = bad_input.address('input')

Log = t.List[t.Dict[str, t.Any]]


def sends_nothing(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
    """A check: the input was refused before any request."""
    assert log == [], log


def reads_execution(execution_id: str) -> t.Callable[[World, t.Dict[str, t.Any], Log], None]:
    """A check: the execution was read at its own path, the id quoted as one segment (never another endpoint)."""
    def check(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
        paths = [e['path'] for e in log if '/executions' in e['path']]
        assert paths and all(p.endswith('/executions/' + quote(execution_id, safe='')) for p in paths), paths
    return check


def escape_rows() -> t.List[Row]:
    rows = []
    for case, execution_id in (('dot-dot', '..'), ('dot', '.'), ('blank', ' ')):
        for module in ('info', 'cancel'):
            rows.append(Row(module, 'execution-id-%s' % case, lambda w, i=execution_id: {'pipeline': PIPELINE, 'execution_id': i},
                            ["buddy: execution id %r is not a name or id Buddy gives" % execution_id]
                            if execution_id.strip() else ['execution_id must be the id (or number) of an execution'],
                            check=None if execution_id.strip() else sends_nothing))
    for case, execution_id in (('path', '1/../2'), ('encoded-dot-dot', '%2e%2e'), ('encoded-slash', '1%2F..%2F2'),
                               ('query', '1?operation=CANCEL'), ('fragment', '1#top'), ('space', '1 2'), ('unicode', '١'),
                               ('json', '{"id": 1}')):
        for module in ('info', 'cancel'):
            rows.append(Row(module, 'execution-id-%s' % case, lambda w, i=execution_id: {'pipeline': PIPELINE, 'execution_id': i},
                            ["buddy: could not read execution %s of pipeline 'shop/deploy' (HTTP 404)" % execution_id],
                            check=reads_execution(execution_id)))
    for case, name, words in (
            ('dot-dot-project', '../deploy', "buddy: project '..' is not a name or id Buddy gives"),
            ('dot-project', './deploy', "buddy: project '.' is not a name or id Buddy gives"),
            ('empty-project', '/deploy', "buddy: project '' is not a name or id Buddy gives"),
            ('dot-dot-name', 'shop/../deploy', "buddy: project 'shop' of workspace 'acme' has no pipeline named '../deploy'"),
            ('encoded-slash', 'shop%2Fdeploy', "has no pipeline named 'shop%2Fdeploy'"),
            ('query', 'deploy?page=2', "has no pipeline named 'deploy?page=2'"),
            ('unicode-digits', '١', "has no pipeline named '١'"),
            ('json', '{"id": 1}', 'has no pipeline named \'{"id": 1}\'')):
        rows.append(Row('start', 'pipeline-%s' % case, starting(pipeline=name), [words],
                        check=sends_nothing if 'is not a name' in words else None))
    return rows


ROWS: t.List[Row] = bad_input.common_rows(VENDOR) + escape_rows() + [
    Row('start', 'priority-outside', starting(start_inputs={'priority': 'urgent'}),
        ["start input 'priority' must be one of LOW, NORMAL, HIGH, got 'URGENT'"]),
    Row('start', 'actions-names', starting(start_inputs={'actions': ['Smoke test']}),
        ["buddy: start input actions must be a non-empty list of action ids (numbers), got a list holding 'Smoke test'"]),
    Row('start', 'actions-superscript', starting(start_inputs={'actions': ['²']}),
        ["buddy: start input actions must be a non-empty list of action ids (numbers), got a list holding '²'"]),
    Row('start', 'actions-empty', starting(start_inputs={'actions': []}),
        ['buddy: start input actions must be a non-empty list of action ids (numbers), got an empty list']),
    Row('start', 'actions-number', starting(start_inputs={'actions': 101}),
        ['buddy: start input actions must be a non-empty list of action ids (numbers), got 101']),
    Row('start', 'encrypted-string', starting(start_inputs={'encrypted': 'VERSION'}),
        ["buddy: start input encrypted must be a list of parameter names, got 'VERSION'"]),
    Row('start', 'encrypted-numbers', starting(start_inputs={'encrypted': ['VERSION', 7]}),
        ['buddy: start input encrypted must be a list of parameter names, got a list holding 7']),
    Row('start', 'encrypted-not-given', starting(start_inputs={'encrypted': ['DEPLOY_KEY']}),
        ['buddy: start input encrypted names DEPLOY_KEY, which is not among the parameters given (TARGET, VERSION)']),
    Row('start', 'branch-and-tag', starting(start_inputs={'branch': 'main', 'tag': 'v2'}),
        ['buddy: give one of the start inputs branch, tag and pull_request, not branch and tag']),
    Row('start', 'refresh-word', starting(start_inputs={'refresh': 'sometimes'}),
        ["start input 'refresh' is a boolean (true or false), got 'sometimes'"]),
    Row('start', 'branch-list', starting(start_inputs={'branch': ['main', 'dev']}),
        ["start input 'branch' takes one string value, got a list"]),
    Row('start', 'key-with-line-break', starting(idempotency_key='shop-2.0\nother'),
        ['buddy: the idempotency key travels on one line of text, so it cannot contain a line break']),
    Row('input', 'missing-required-variable', plus(WAITING, parameters={'REPLICAS': '2'}),
        ["parameter 'NOTE' is required by action 'Release'"]),
    Row('input', 'variable-outside-choices', plus(WAITING, parameters={'REPLICAS': '3', 'NOTE': 'x'}),
        ["parameter 'REPLICAS' must be one of 2, 4, got '3'"]),
    Row('input', 'unknown-variable', plus(WAITING, parameters={'REPLICAS': '2', 'NOTE': 'x', 'ZONE': 'eu'}),
        ["unknown parameter 'ZONE' for action 'Release'; its parameters are: REPLICAS, NOTE"]),
    Row('input', 'json-variable-value', plus(WAITING, parameters={'REPLICAS': '{"count": 2}', 'NOTE': 'x'}),
        ['parameter \'REPLICAS\' must be one of 2, 4, got \'{"count": 2}\'']),
    Row('input', 'comment', plus(WAITING, parameters={'REPLICAS': '2', 'NOTE': 'x'}, comment='CAB approved'),
        ['Buddy does not record a comment with a gate answer; leave comment out for it']),
    Row('info', 'record-pipeline-id-word', record_with('succeeded', scope={'project': 'shop', 'pipeline_id': 'deploy'}),
        ["buddy: execution.scope.pipeline_id must be the pipeline's numeric id, got 'deploy'"], check=sends_nothing),
    Row('cancel', 'record-pipeline-id-superscript', record_with('running', scope={'project': 'shop', 'pipeline_id': '²'}),
        ["buddy: execution.scope.pipeline_id must be the pipeline's numeric id, got '²'"], check=sends_nothing),
    Row('cancel', 'record-pipeline-id-list', record_with('running', scope={'project': 'shop', 'pipeline_id': [3]}),
        ["buddy: execution.scope.pipeline_id must be the pipeline's numeric id, got a list"], check=sends_nothing),
    Row('cancel', 'record-project-dot-dot', record_with('running', scope={'project': '..', 'pipeline_id': 3}),
        ["buddy: project '..' is not a name or id Buddy gives"], check=sends_nothing),
    Row('info', 'workspace-dot-dot', lambda w: {'pipeline': PIPELINE, 'execution_id': '1'},
        ["buddy: workspace '..' is not a name or id Buddy gives"], connection=lambda w: dict(w.connection, workspace='..'),
        check=sends_nothing),
    Row('retry', 'record-id-dot-dot', record_with('failed', id='..'), ["buddy: execution id '..' is not a name or id Buddy gives"]),
]


@pytest.fixture(scope='module')
def world() -> t.Iterator[World]:
    with bad_input.world_of(VENDOR) as built:
        yield built


@pytest.mark.parametrize('row', ROWS, ids=lambda row: '%s-%s' % (VENDOR, row.id))
def test_bad_input(world: World, run_module: t.Any, row: Row) -> None:
    bad_input.run_row(world, row, run_module)
