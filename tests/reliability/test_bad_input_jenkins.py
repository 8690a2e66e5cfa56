# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bad-input matrix for Jenkins: every row is one bad input to one module (bad_input.py says what each row
guarantees: one clean message or the documented no-op, no state-changing request, the simulator's executions
unchanged). Besides the rows every vendor has: the reserved key parameter, quiet periods, revisions, comments,
boolean gate values, queue ids, and job names and build numbers built to reach another job's or build's URL."""

from __future__ import annotations

import typing as t

from urllib.parse import quote

import pytest

from ansible_collections.cicd.pipelines.tests.reliability import bad_input
from ansible_collections.cicd.pipelines.tests.reliability.bad_input import (
    DONE, PIPELINE, Row, World, plus, record_with, starting,
)

VENDOR = 'jenkins'
WAITING = bad_input.address('input')
FAILED = bad_input.address('resume')

Log = t.List[t.Dict[str, t.Any]]


def reaches_only(name: str) -> t.Callable[[World, t.Dict[str, t.Any], Log], None]:
    """A check: every request that addresses a job addresses the job `name` spells, each segment quoted as a whole
    (so a `/`, `%2F`, `?`, `#` or space in a segment never reaches another job, a query string or a fragment)."""
    prefix = ''.join('/job/' + quote(segment, safe='') for segment in name.split('/'))

    def check(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
        jobs = [e['path'] for e in log if e['path'].startswith('/job/')]
        assert jobs, 'the job was never looked up'
        assert all(path == prefix or path.startswith(prefix + '/') for path in jobs), (prefix, jobs)
        assert all('delay' not in (e['query'] or '') for e in log), log

    return check


def sends_nothing(_world: World, _result: t.Dict[str, t.Any], log: Log) -> None:
    """A check: the input was refused before any request."""
    assert log == [], log


def escape_rows() -> t.List[Row]:
    rows = []
    # Names Jenkins can never have: refused before anything is sent.
    for case, name, words in (('dot-dot-segment', 'shop/../deploy', "jenkins: job name 'shop/../deploy' contains '..'"),
                              ('dot-segment', 'shop/./deploy', "jenkins: job name 'shop/./deploy' contains '.'"),
                              ('leading-dot-dot', '../deploy', "contains '..', which no Jenkins item can be named"),
                              ('empty-segment', 'shop//deploy', "jenkins: job name 'shop//deploy' has an empty segment"),
                              ('trailing-slash', 'shop/deploy/', "jenkins: job name 'shop/deploy/' has an empty segment"),
                              ('blank', '   ', 'jenkins: the job name is empty')):
        rows.append(Row('start', 'job-name-%s' % case, starting(pipeline=name), [words], check=sends_nothing))
        rows.append(Row('info', 'job-name-%s' % case, lambda w, n=name: {'pipeline': n, 'execution_id': '1'}, [words],
                        check=sends_nothing))
    # Names that are only odd: looked up quoted, and not found.
    for case, name in (('encoded-slash', 'shop%2Fdeploy'), ('query-and-fragment', 'shop/deploy?delay=0sec#top'),
                       ('space', 'shop/de ploy'), ('unicode', 'shöp/deploy'), ('json', 'shop/{"job": "deploy"}')):
        rows.append(Row('start', 'job-name-%s' % case, starting(pipeline=name), ['jenkins: job %r not found (HTTP 404)' % name],
                        check=reaches_only(name)))
        rows.append(Row('cancel', 'job-name-%s' % case, lambda w, n=name: {'pipeline': n, 'execution_id': '1'},
                        ['jenkins: job %r not found (HTTP 404)' % name], check=reaches_only(name)))
    # Build numbers: ASCII digits only (int() would read ' 7', '1_0' or another script's digits as a number).
    for case, number in (('dot-dot', '../1'), ('path', '1/../2'), ('encoded-slash', '1%2F2'), ('query', '1?delay=0sec'),
                         ('fragment', '1#top'), ('space', ' 1'), ('underscore', '1_0'), ('plus', '+1'), ('fullwidth', '１'),
                         ('arabic-indic', '١'), ('superscript', '²'), ('json', '{"id": 1}'), ('word', 'latest')):
        for module in ('info', 'cancel'):
            rows.append(Row(module, 'build-number-%s' % case, lambda w, n=number: {'pipeline': PIPELINE, 'execution_id': n},
                            ['jenkins: execution id %r is not a build number (Jenkins numbers the builds of a job 1, 2, ...)'
                             % number], check=sends_nothing))
    return rows


ROWS: t.List[Row] = bad_input.common_rows(VENDOR) + escape_rows() + [
    Row('start', 'reserved-parameter', starting({'CICD_IDEMPOTENCY_KEY': 'mine'}),
        ['parameter CICD_IDEMPOTENCY_KEY is reserved: it carries the idempotency key; set idempotency_key instead']),
    Row('start', 'quiet-period-word', starting(start_inputs={'quiet_period': 'soon'}),
        ["start input 'quiet_period' is a whole number, got 'soon'"]),
    Row('start', 'quiet-period-negative', starting(start_inputs={'quiet_period': -5}),
        ['jenkins: start input quiet_period must be 0 seconds or more, got -5']),
    Row('start', 'quiet-period-superscript', starting(start_inputs={'quiet_period': '²'}),
        ["start input 'quiet_period' is a whole number, got '²'"]),
    Row('start', 'quiet-period-boolean', starting(start_inputs={'quiet_period': True}),
        ["start input 'quiet_period' is a whole number, got true"]),
    Row('start', 'quiet-period-list', starting(start_inputs={'quiet_period': [1, 2]}),
        ["start input 'quiet_period' takes one integer value, got a list"]),
    Row('start', 'start-inputs-of-another-vendor', starting(start_inputs={'branch': 'main', 'quiet_period': 0}),
        ['Jenkins does not take the start input branch; the start inputs it accepts: quiet_period']),
    Row('start', 'revision', starting(revision='v2.0.0'),
        ['Jenkins takes no revision apart from parameters; pass it as a parameter instead']),
    Row('input', 'comment', plus(WAITING, comment='CAB approved'),
        ['Jenkins does not record a comment with a gate answer; leave comment out for it']),
    Row('input', 'unknown-parameter', plus(WAITING, parameters={'BOGUS': '1'}),
        ["unknown parameter 'BOGUS' for input 'Release'; its parameters are: TARGET, CONFIRM"]),
    Row('input', 'graphql-parameter-name', plus(WAITING, parameters={'TARGET") { x }': 'staging'}),
        ["unknown parameter 'TARGET\") { x }' for input 'Release'; its parameters are: TARGET, CONFIRM"]),
    Row('input', 'choice-outside', plus(WAITING, parameters={'TARGET': 'moon'}),
        ["parameter 'TARGET' must be one of staging, production, got 'moon'"]),
    Row('input', 'json-choice-value', plus(WAITING, parameters={'TARGET': '["staging", "production"]'}),
        ['parameter \'TARGET\' must be one of staging, production, got \'["staging", "production"]\'']),
    Row('input', 'list-choice-value', plus(WAITING, parameters={'TARGET': ['staging', 'production']}),
        ["parameter 'TARGET' takes one choice value, got a list"]),
    Row('input', 'not-a-boolean', plus(WAITING, parameters={'CONFIRM': 'maybe'}),
        ["parameter 'CONFIRM' is a boolean (true or false), got 'maybe'"]),
    Row('input', 'several-problems', plus(WAITING, parameters={'TARGET': 'moon', 'CONFIRM': 'maybe', 'BOGUS': 1}),
        ["unknown parameter 'BOGUS'", "parameter 'TARGET' must be one of staging, production, got 'moon'",
         "parameter 'CONFIRM' is a boolean (true or false), got 'maybe'"]),
    Row('input', 'record-id-not-a-number', record_with('waiting', id='abc'),
        ["jenkins: execution id 'abc' is not a build number"]),
    Row('cancel', 'queue-id-word', record_with('running', id=None, scope={'queue_id': 'abc'}),
        ["jenkins: execution.scope.queue_id must be the number of a queue item (as an earlier task returned it), got 'abc'"],
        check=sends_nothing),
    Row('cancel', 'queue-id-superscript', record_with('running', id=None, scope={'queue_id': '²'}),
        ["execution.scope.queue_id must be the number of a queue item (as an earlier task returned it), got '²'"],
        check=sends_nothing),
    Row('cancel', 'queue-id-arabic-indic', record_with('running', id=None, scope={'queue_id': '٤'}),
        ["execution.scope.queue_id must be the number of a queue item (as an earlier task returned it), got '٤'"],
        check=sends_nothing),
    Row('info', 'queue-id-list', record_with('running', id=None, scope={'queue_id': [4]}),
        ['execution.scope.queue_id must be the number of a queue item (as an earlier task returned it), got a list'],
        check=sends_nothing),
    Row('cancel', 'no-build-number-nor-queue-id', record_with('running', id=None, scope={'branch': 'main'}),
        ['jenkins: the execution has neither a build number (id) nor a queue id (scope.queue_id); pass the execution '
         'record an earlier task returned'], check=sends_nothing),
    # Queue item 1 became shop/deploy #1: it is not an item of shop/done, whatever the record says.
    Row('cancel', 'queue-id-of-another-job', record_with('running', id=None, scope={'queue_id': 1}, pipeline=DONE),
        ["jenkins: queue item 1 belongs to job 'shop/deploy', not 'shop/done'"]),
    Row('resume', 'stage-not-reached', plus(FAILED, stage='Deploy'),
        ["shop/deploy #1 cannot be resumed from stage 'Deploy'; it can be resumed from: Prepare, Smoke test"]),
]


@pytest.fixture(scope='module')
def world() -> t.Iterator[World]:
    with bad_input.world_of(VENDOR) as built:
        yield built


@pytest.mark.parametrize('row', ROWS, ids=lambda row: '%s-%s' % (VENDOR, row.id))
def test_bad_input(world: World, run_module: t.Any, row: Row) -> None:
    bad_input.run_row(world, row, run_module)
