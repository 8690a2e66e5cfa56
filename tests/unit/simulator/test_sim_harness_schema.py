# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's Harness schema builds, accepts the client documents, and the compatibility check finds mismatches.

No real Harness schema is needed here (that is the contract test's job): the check is exercised on tiny
schemas built in the test.
"""
from __future__ import annotations

import typing as t

import pytest

pytest.importorskip('graphql', reason='graphql-core is not installed (pip install -r requirements-dev.txt)')

# pylint: disable=wrong-import-position
from graphql import build_schema, parse, validate
from graphql.execution.values import get_variable_values

from ansible_collections.cicd.pipelines.tests.simulator.harness.schema import SAMPLE_DOCUMENTS, SCHEMA, WRONG_DOCUMENT, compatibility_problems

REAL = '''
type Query { thing(id: String!, verbose: Boolean): Thing  things(limit: Int!, offset: Int): [Thing] }
type Mutation { make(input: MakeInput!): Thing }
interface Node { id: String }
type Thing implements Node { id: String  name: String  tags: [String]!  state: State }
enum State { NEW DONE LOST }
input MakeInput { name: String!  note: String  size: Int }
'''

SUBSET = '''
type Query { thing(id: String!): Thing  things(limit: Int!): [Thing] }
type Mutation { make(input: MakeInput!): Thing }
interface Node { id: String }
type Thing implements Node { id: String  tags: [String]!  state: State }
enum State { NEW DONE }
input MakeInput { name: String! }
'''


def test_schema_builds_with_the_operations() -> None:
    """The root fields the collection uses are there, with Harness's argument names."""
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    assert {'execution', 'executions', 'pipelineByName', 'workflowByName', 'pipeline', 'workflow', 'approvalDetails'} <= set(SCHEMA.query_type.fields)
    assert set(SCHEMA.mutation_type.fields) == {'startExecution', 'approveOrRejectApprovals', 'pipelineResumeRuntime', 'resumeExecution'}
    assert set(SCHEMA.query_type.fields['executions'].args) == {'filters', 'includeIndirectExecutions', 'limit', 'offset'}
    assert str(SCHEMA.mutation_type.fields['resumeExecution'].args['input'].type) == 'ResumeExecutionInput'


@pytest.mark.parametrize('name', sorted(SAMPLE_DOCUMENTS))
def test_client_documents_validate(name: str) -> None:
    """Each sample document and its variables are valid against our schema."""
    sample = SAMPLE_DOCUMENTS[name]
    document = parse(sample.query)
    assert [error.message for error in validate(SCHEMA, document)] == []
    operation = t.cast(t.Any, document.definitions[0])
    values = get_variable_values(SCHEMA, operation.variable_definitions or (), sample.variables)
    assert not isinstance(values, list), [error.message for error in values]


def test_wrong_document_fails() -> None:
    """The deliberately wrong document gets one error per mistake."""
    assert len(validate(SCHEMA, parse(WRONG_DOCUMENT))) == 3


def test_schema_is_compatible_with_itself() -> None:
    """A schema is trivially compatible with itself, and a true subset with its superset."""
    assert compatibility_problems(SCHEMA, SCHEMA) == []
    assert compatibility_problems(build_schema(SUBSET), build_schema(REAL)) == []


def test_planted_mismatches_are_all_reported() -> None:
    """Every kind of mismatch gives one sentence naming the place."""
    ours = build_schema('''
type Query { thing(id: String!, depth: Int): Thing  things(offset: Int): [Thing]  gone: String }
type Mutation { make(input: MakeInput!): Thing }
interface Node { id: String }
interface Extra { id: String }
type Thing implements Node & Extra { id: String!  tags: [String]  state: State  colour: String }
enum State { NEW DONE GONE }
input MakeInput { name: String!  note: String!  size: String }
type Ghost { id: String }
''')
    problems = compatibility_problems(ours, build_schema(REAL))
    assert sorted(problems) == sorted([
        'Extra: type missing in the real schema',
        'Ghost: type missing in the real schema',
        'MakeInput.note: required here (String!), optional in the real schema (String)',
        'MakeInput.size: type String here, Int in the real schema',
        'Query.gone: field missing in the real schema',
        'Query.thing(depth): argument missing in the real schema',
        'Query.things(limit): required by the real schema (Int!) but missing here',
        'State.GONE: enum value missing in the real schema',
        'Thing.colour: field missing in the real schema',
        'Thing.id: type String! here, String in the real schema',
        'Thing.tags: type [String] here, [String]! in the real schema',
        'Thing: implements Extra here, not in the real schema',
    ])


def test_kind_and_required_input_mismatches() -> None:
    """A type of another kind and a real required input field we lack are reported."""
    ours = build_schema('''
type Query { thing(id: String!): Thing  make(input: MakeInput): String }
input Thing { id: String }
input MakeInput { note: String }
''')
    real = build_schema('''
type Query { thing(id: String!): Thing  make(input: MakeInput): String }
type Thing { id: String }
input MakeInput { name: String!  note: String  size: Int! = 3 }
''')
    assert compatibility_problems(ours, real) == [
        'MakeInput.name: required by the real schema (String!) but missing here',
        'Thing: an input type here, an object type in the real schema',
    ]
