# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Contract: the simulator's Harness schema subset is compatible with the real Harness FirstGen public schema.

The real schema (reference data under the PolyForm Shield licence, never part of the project) is looked for
in ``$CICD_SHARED/vendor/harness/firstgen-graphql-schema/public`` when ``CICD_SHARED`` is set, then in
``<collection root>/../shared/vendor/harness/firstgen-graphql-schema/public``; where neither exists (users'
clones) every test here skips, naming the folders it looked for.
"""
from __future__ import annotations

import os
import typing as t

import pytest

pytest.importorskip('graphql', reason='graphql-core is not installed (pip install -r requirements-dev.txt)')

# pylint: disable=wrong-import-position
from graphql import GraphQLSchema, parse, validate
from graphql.execution.values import get_variable_values

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._harness._graphql import DOCUMENTS
from ansible_collections.cicd.pipelines.tests.simulator.harness.schema import (
    SAMPLE_DOCUMENTS, SCHEMA, WRONG_DOCUMENT, SampleDocument, compatibility_problems, load_real_schema)

_SCHEMA_SUBDIR = os.path.join('vendor', 'harness', 'firstgen-graphql-schema', 'public')
_COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _candidates() -> list[str]:
    """Folders that may hold the real schema, in the order they are tried."""
    folders = []
    if os.environ.get('CICD_SHARED'):
        folders.append(os.path.join(os.environ['CICD_SHARED'], _SCHEMA_SUBDIR))
    folders.append(os.path.normpath(os.path.join(_COLLECTION_ROOT, '..', 'shared', _SCHEMA_SUBDIR)))
    return folders


@pytest.fixture(name='real', scope='module')
def real_fixture() -> GraphQLSchema:
    """The real schema, loaded with the in-memory fixups; skips when its folder is absent."""
    for folder in _candidates():
        if os.path.isdir(folder):
            return load_real_schema(folder)
    pytest.skip('real Harness FirstGen schema not found (reference data kept outside the project); looked in: '
                + ', '.join(_candidates()) + ' (set CICD_SHARED to the folder holding vendor/)')
    raise AssertionError('unreachable')  # pragma: no cover  (pytest.skip raises)


def _errors(schema: GraphQLSchema, sample: SampleDocument) -> list[str]:
    """Validation errors of a document and of its example variables against ``schema``."""
    document = parse(sample.query)
    messages = [error.message for error in validate(schema, document)]
    if not messages:
        operation = t.cast(t.Any, document.definitions[0])
        values = get_variable_values(schema, operation.variable_definitions or (), sample.variables)
        if isinstance(values, list):
            messages.extend(error.message for error in values)
    return messages


def test_real_schema_loads(real: GraphQLSchema) -> None:
    """The fixups give the documented size of the published schema."""
    assert real.query_type is not None and real.mutation_type is not None
    assert (len(real.query_type.fields), len(real.mutation_type.fields)) == (75, 58)


def test_subset_is_compatible(real: GraphQLSchema) -> None:
    """Everything our schema declares exists in the real one with the same types and required-ness."""
    assert compatibility_problems(SCHEMA, real) == []


@pytest.mark.parametrize('name', sorted(SAMPLE_DOCUMENTS))
def test_client_documents_validate_against_both(real: GraphQLSchema, name: str) -> None:
    """Each document a client sends (and its variables) is valid against our schema and the real one."""
    sample = SAMPLE_DOCUMENTS[name]
    assert _errors(SCHEMA, sample) == []
    assert _errors(real, sample) == []


def test_wrong_document_fails_against_both(real: GraphQLSchema) -> None:
    """A document with a misspelled field, a fragment-less concrete field and a missing argument is rejected by both."""
    ours = sorted(error.message for error in validate(SCHEMA, parse(WRONG_DOCUMENT)))
    theirs = sorted(error.message for error in validate(real, parse(WRONG_DOCUMENT)))
    assert len(ours) == 3
    assert ours == theirs


@pytest.mark.parametrize('name', sorted(DOCUMENTS))
def test_every_document_the_backend_sends_validates_against_both(real: GraphQLSchema, name: str) -> None:
    """The collection's own GraphQL documents (plugins/module_utils/_backends/_harness/_graphql.py) are valid
    against the simulator's schema and against the published one: the fields, fragments and variable types exist."""
    document = parse(DOCUMENTS[name])
    assert [error.message for error in validate(SCHEMA, document)] == []
    assert [error.message for error in validate(real, document)] == []
