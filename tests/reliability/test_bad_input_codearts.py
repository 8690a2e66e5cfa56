# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bad-input matrix for CodeArts: every row is one bad input to one module (bad_input.py says what each row
guarantees: one clean message or the documented no-op, only reads, the simulator's executions unchanged). Besides
the rows every vendor has: CodeArts' start inputs (branch or tag, stages, jobs), a project id that is not one,
answers to a manual review (which takes no parameters), records naming another pipeline, and pipeline names and run
ids built to reach another endpoint (a run id travels as a query value; pipeline names are looked up in a body)."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.cicd.pipelines.tests.reliability import bad_input
from ansible_collections.cicd.pipelines.tests.reliability.bad_input import PIPELINE, Row, World, plus, record_with, starting

VENDOR = 'codearts'
WAITING = bad_input.address('input')

Log = t.List[t.Dict[str, t.Any]]


def run_id_as_query(run_id: str) -> t.Callable[[World, t.Dict[str, t.Any], Log], None]:
    """A check: the run id was sent as the query value pipeline_run_id of the run detail, never in a path."""
    def check(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
        details = [e for e in log if e.get('operation') == 'detail']
        assert details, log
        assert all(e['path'].endswith('/pipeline-runs/detail') and 'pipeline_run_id=' in (e['query'] or '') for e in details), details
        assert all(run_id not in e['path'] for e in log), log
    return check


def escape_rows() -> t.List[Row]:
    rows = []
    for case, run_id in (('dot-dot', '..'), ('path', '../../pipelines/list'), ('encoded-slash', 'x%2F..%2Fy'),
                         ('query', 'x&pipeline_run_id=y'), ('fragment', 'x#y'), ('space', 'x y'), ('unicode', 'ｆｆ'),
                         ('json', '{"id": "x"}')):
        for module in ('info', 'cancel'):
            rows.append(Row(module, 'run-id-%s' % case, lambda w, i=run_id: {'pipeline': PIPELINE, 'execution_id': i},
                            ["codearts: could not read run %s of pipeline 'shop/deploy'" % run_id], check=run_id_as_query(run_id)))
    for case, name in (('dot-dot', '../deploy'), ('encoded-slash', 'shop%2Fdeploy'), ('query', 'shop/deploy?offset=1'),
                       ('json', '{"name": "shop/deploy"}'), ('unicode', 'shop/dеploy')):
        rows.append(Row('start', 'pipeline-%s' % case, starting(pipeline=name),
                        ["codearts: project 0c2f1e4d5a6b47c8a9d0e1f2a3b4c5d6 has no pipeline named %r (or with that id)" % name]))
    rows.append(Row('cancel', 'record-pipeline-id-dot-dot', record_with('running', scope={'pipeline_id': '..'}),
                    ["codearts: project 0c2f1e4d5a6b47c8a9d0e1f2a3b4c5d6 has no pipeline named '..'"]))
    return rows


ROWS: t.List[Row] = bad_input.common_rows(VENDOR) + escape_rows() + [
    Row('start', 'branch-and-tag', starting(start_inputs={'branch': 'main', 'tag': 'v2'}),
        ['codearts: give start input branch or tag, not both']),
    Row('start', 'stages-string', starting(start_inputs={'stages': 'Deploy'}),
        ['codearts: start input stages must be a non-empty list of ids']),
    Row('start', 'jobs-empty', starting(start_inputs={'jobs': []}), ['codearts: start input jobs must be a non-empty list of ids']),
    Row('start', 'tag-list', starting(start_inputs={'tag': ['v1', 'v2']}), ["start input 'tag' takes one string value, got a list"]),
    Row('start', 'revision', starting(revision='v2.0.0'), ['CodeArts takes no revision apart from parameters']),
    Row('start', 'key-with-line-break', starting(idempotency_key='shop-2.0\nother'),
        ['codearts: the idempotency key travels on one line of text, so it cannot contain a line break']),
    Row('start', 'project-id-not-an-id', starting(), ["project_id must be the 32-character CodeArts project id, got '../other'"],
        connection=lambda w: dict(w.connection, project_id='../other')),
    Row('input', 'review-parameters', plus(WAITING, parameters={'TARGET': 'staging'}),
        ['codearts: manual reviews and checkpoints take no parameters; leave parameters out']),
    Row('input', 'review-json-parameters', plus(WAITING, parameters={'{"approve": true}': 'x'}),
        ['codearts: manual reviews and checkpoints take no parameters; leave parameters out']),
    Row('resume', 'stage-not-failed', plus(bad_input.address('resume'), stage='Prepare'),
        ["shop/deploy #1 cannot be resumed from stage 'Prepare'; it can be resumed from: Smoke test"]),
    Row('retry', 'record-of-another-pipeline', lambda w: {'execution': w.record('failed', scope={
        'pipeline_id': w.records['succeeded']['scope']['pipeline_id']})}, ["codearts: could not read run "]),
]


@pytest.fixture(scope='module')
def world() -> t.Iterator[World]:
    with bad_input.world_of(VENDOR) as built:
        yield built


@pytest.mark.parametrize('row', ROWS, ids=lambda row: '%s-%s' % (VENDOR, row.id))
def test_bad_input(world: World, run_module: t.Any, row: Row) -> None:
    bad_input.run_row(world, row, run_module)
