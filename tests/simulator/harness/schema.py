# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator's Harness FirstGen GraphQL schema, and the check that it is a faithful subset of the real one.

Contract
--------
* :data:`SCHEMA` is built with graphql-core from ``schema.graphql`` next to this file: the types, fields,
  arguments and enum values the collection uses, in the project's own words. Names, nullability and list
  wrapping follow Harness exactly, so a document that validates against :data:`SCHEMA` also validates
  against the real schema (the contract test proves it with :func:`compatibility_problems`).
* :func:`load_real_schema` builds the real published schema (reference data that is never part of the
  project) from a folder of ``*.graphql`` files, applying in memory the fixups graphql-core 3.3 needs.
* :func:`compatibility_problems` lists, as readable sentences, everything in our schema that the real one
  lacks or defines differently; an empty list means "compatible".
* :data:`SAMPLE_DOCUMENTS` are documents a client sends (with example variables); :data:`WRONG_DOCUMENT`
  must fail validation against any faithful schema. Both are used by the tests.
"""
from __future__ import annotations

import dataclasses
import os
import re
import typing as t

from graphql import (
    DefinitionNode,
    DocumentNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    build_ast_schema,
    build_schema,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
    parse,
    print_ast,
)

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'schema.graphql')

_BUILTIN_SCALARS = frozenset(('String', 'Int', 'Float', 'Boolean', 'ID'))
# "implements A, B" (legacy SDL, accepted by graphql-java 12) up to the opening brace or a directive.
_LEGACY_IMPLEMENTS = re.compile(r'\bimplements\s+(\w+(?:\s*[,&]?\s*\w+)*?)(?=\s*[{@])')


def _read_schema_file() -> GraphQLSchema:
    """Build the project's schema from ``schema.graphql``."""
    with open(SCHEMA_FILE, encoding='utf-8') as handle:
        return build_schema(handle.read())


SCHEMA: GraphQLSchema = _read_schema_file()


def _fix_legacy_implements(text: str) -> str:
    """Fixup 1: rewrite ``implements A, B`` (or ``A B``) to ``implements A & B``; other text is unchanged."""
    def repl(match: re.Match[str]) -> str:
        names = re.findall(r'\w+', match.group(1))
        return 'implements ' + ' & '.join(names)
    return _LEGACY_IMPLEMENTS.sub(repl, text)


def _drop_duplicate_extension_fields(document: DocumentNode) -> DocumentNode:
    """Fixup 3: drop fields of ``extend type X`` that type ``X`` already declares with the same type.

    In the published schema this concerns only ``extend type User`` in ``user.graphql`` (``id``, ``name``,
    ``email`` are already on ``type User`` in ``administration.graphql``). A redefinition with a *different*
    type is kept, so graphql-core still reports it.
    """
    base: dict[str, dict[str, str]] = {}
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            fields = base.setdefault(definition.name.value, {})
            for field in definition.fields or ():
                fields[field.name.value] = print_ast(field.type)
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeExtensionNode) and definition.name.value in base:
            known = base[definition.name.value]
            kept = tuple(field for field in definition.fields or () if known.get(field.name.value) != print_ast(field.type))
            definition = dataclasses.replace(definition, fields=kept)
        definitions.append(definition)
    return dataclasses.replace(document, definitions=tuple(definitions))


def load_real_schema(path: str | os.PathLike[str]) -> GraphQLSchema:
    """Build the real Harness FirstGen public schema from the ``*.graphql`` files in folder ``path``.

    The files are read (sorted by name, never modified) and merged; in memory, before building:
    (1) legacy ``implements A, B`` becomes ``implements A & B``; (2) ``scalar Long`` is added unless declared
    (graphql-java 12 had it built in); (3) duplicate fields of ``extend type User`` are dropped.
    Raises :class:`FileNotFoundError` when the folder holds no ``*.graphql`` file, and graphql-core's
    errors when the result is not a valid schema.
    """
    names = sorted(name for name in os.listdir(path) if name.endswith('.graphql'))
    if not names:
        raise FileNotFoundError(f'no *.graphql files in {os.fspath(path)}')
    parts: list[str] = []
    for name in names:
        with open(os.path.join(path, name), encoding='utf-8') as handle:
            parts.append(_fix_legacy_implements(handle.read()))
    text = '\n'.join(parts)
    if not re.search(r'^\s*scalar\s+Long\b', text, re.MULTILINE):
        text += '\nscalar Long\n'
    return build_ast_schema(_drop_duplicate_extension_fields(parse(text)))


def _kind(named: GraphQLNamedType) -> str:
    """A human name for the kind of a named type."""
    kinds: tuple[tuple[type, str], ...] = (
        (GraphQLObjectType, 'an object type'), (GraphQLInterfaceType, 'an interface'), (GraphQLUnionType, 'a union'),
        (GraphQLEnumType, 'an enum'), (GraphQLInputObjectType, 'an input type'), (GraphQLScalarType, 'a scalar'))
    for cls, label in kinds:
        if isinstance(named, cls):
            return label
    return type(named).__name__


def _field_problems(type_name: str, name: str, ours: GraphQLField, real: GraphQLField) -> list[str]:
    """Problems of one output field (its type and its arguments)."""
    where = f'{type_name}.{name}'
    problems: list[str] = []
    if str(ours.type) != str(real.type):
        problems.append(f'{where}: type {ours.type} here, {real.type} in the real schema')
    for arg_name, arg in ours.args.items():
        real_arg = real.args.get(arg_name)
        if real_arg is None:
            problems.append(f'{where}({arg_name}): argument missing in the real schema')
        elif str(arg.type) != str(real_arg.type):
            problems.append(f'{where}({arg_name}): type {arg.type} here, {real_arg.type} in the real schema')
    for arg_name, real_arg in real.args.items():
        if arg_name not in ours.args and is_required_argument(real_arg):
            problems.append(f'{where}({arg_name}): required by the real schema ({real_arg.type}) but missing here')
    return problems


def _fields_problems(ours: GraphQLObjectType | GraphQLInterfaceType, real: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
    """Problems of an object type or interface: fields, arguments and implemented interfaces."""
    problems: list[str] = []
    real_interfaces = {iface.name for iface in real.interfaces}
    for iface in ours.interfaces:
        if iface.name not in real_interfaces:
            problems.append(f'{ours.name}: implements {iface.name} here, not in the real schema')
    for name, field in ours.fields.items():
        real_field = real.fields.get(name)
        if real_field is None:
            problems.append(f'{ours.name}.{name}: field missing in the real schema')
        else:
            problems.extend(_field_problems(ours.name, name, field, real_field))
    return problems


def _input_problems(ours: GraphQLInputObjectType, real: GraphQLInputObjectType) -> list[str]:
    """Problems of an input type: missing or differently typed fields, and required-ness in both directions."""
    problems: list[str] = []
    for name, field in ours.fields.items():
        where = f'{ours.name}.{name}'
        real_field = real.fields.get(name)
        if real_field is None:
            problems.append(f'{where}: input field missing in the real schema')
        elif is_non_null_type(field.type) and not is_non_null_type(real_field.type):
            problems.append(f'{where}: required here ({field.type}), optional in the real schema ({real_field.type})')
        elif str(field.type) != str(real_field.type):
            problems.append(f'{where}: type {field.type} here, {real_field.type} in the real schema')
    for name, real_field in real.fields.items():
        if name not in ours.fields and is_required_input_field(real_field):
            problems.append(f'{ours.name}.{name}: required by the real schema ({real_field.type}) but missing here')
    return problems


def _type_problems(ours: GraphQLNamedType, real: GraphQLNamedType) -> list[str]:
    """Problems of one named type present in both schemas."""
    if type(ours) is not type(real):  # pylint: disable=unidiomatic-typecheck
        return [f'{ours.name}: {_kind(ours)} here, {_kind(real)} in the real schema']
    if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
        return _fields_problems(ours, t.cast('GraphQLObjectType | GraphQLInterfaceType', real))
    if isinstance(ours, GraphQLInputObjectType):
        return _input_problems(ours, t.cast(GraphQLInputObjectType, real))
    if isinstance(ours, GraphQLEnumType):
        real_values = t.cast(GraphQLEnumType, real).values
        return [f'{ours.name}.{value}: enum value missing in the real schema' for value in ours.values if value not in real_values]
    if isinstance(ours, GraphQLUnionType):
        members = {member.name for member in t.cast(GraphQLUnionType, real).types}
        return [f'{ours.name}: member {member.name} missing in the real union' for member in ours.types if member.name not in members]
    return []


def compatibility_problems(ours: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    """Everything in ``ours`` that ``real`` lacks or defines differently, one sentence each (empty: compatible).

    Checked for every named type of ``ours`` (introspection types and built-in scalars aside): the type exists
    in ``real`` with the same kind; every field, argument, enum value, union member and implemented interface
    of ours exists there; output fields, arguments and input fields have the same type (same named type, same
    NonNull/List wrapping); an input field ours marks required is required there too; and nothing that
    ``real`` requires (a non-null argument or input field without default) is missing from ours, since a
    client following ours would not send it. The root operation types must have the same names.
    ``real`` may have any number of further types, fields, optional arguments and enum values.
    """
    problems: list[str] = []
    for role, mine, theirs in (('query', ours.query_type, real.query_type), ('mutation', ours.mutation_type, real.mutation_type),
                               ('subscription', ours.subscription_type, real.subscription_type)):
        if mine is not None and (theirs is None or theirs.name != mine.name):
            problems.append(f'schema: {role} root type {mine.name} here, {theirs.name if theirs else "none"} in the real schema')
    for name in sorted(ours.type_map):
        if name.startswith('__') or name in _BUILTIN_SCALARS:
            continue
        real_type = real.type_map.get(name)
        if real_type is None:
            problems.append(f'{name}: type missing in the real schema')
        else:
            problems.extend(_type_problems(ours.type_map[name], real_type))
    return problems


class SampleDocument(t.NamedTuple):
    """A GraphQL document a client sends, with example variables (``{}`` when it has none)."""

    query: str
    variables: dict[str, t.Any]


_STAGES = '''
pipelineStageExecutions {
  __typename pipelineStageElementId pipelineStageName pipelineStepName
  ... on ApprovalStageExecution { status approvalStepType }
  ... on WorkflowStageExecution {
    status workflowExecutionId
    runtimeInputVariables { name type required allowedValues defaultValue fixed allowMultipleValues }
  }
}'''

SAMPLE_DOCUMENTS: dict[str, SampleDocument] = {
    'start_pipeline': SampleDocument(
        'mutation StartExecution($input: StartExecutionInput!) {\n'
        '  startExecution(input: $input) {\n'
        '    clientMutationId warningMessage\n'
        '    execution { __typename id status createdAt notes ... on PipelineExecution { pipeline { id name } } }\n'
        '  }\n'
        '}',
        {'input': {'applicationId': 'APP', 'entityId': 'PIPE', 'executionType': 'PIPELINE', 'notes': 'cicd-key:1',
                   'clientMutationId': 'cicd-1',
                   'variableInputs': [{'name': 'branch', 'variableValue': {'type': 'NAME', 'value': 'main'}}],
                   'serviceInputs': [{'name': 'web', 'artifactValueInput': {
                       'valueType': 'BUILD_NUMBER', 'buildNumber': {'artifactSourceName': 'registry', 'buildNumber': '1.2.3'}}}]}}),
    'start_workflow': SampleDocument(
        'mutation StartExecution($input: StartExecutionInput!) {\n'
        '  startExecution(input: $input) {\n'
        '    warningMessage execution { __typename id status ... on WorkflowExecution { workflow { id name } } }\n'
        '  }\n'
        '}',
        {'input': {'applicationId': 'APP', 'entityId': 'WF', 'executionType': 'WORKFLOW',
                   'variableInputs': [{'name': 'env', 'variableValue': {'type': 'ID', 'value': 'ENV1'}}]}}),
    'execution_status': SampleDocument(
        'query ExecutionStatus($executionId: String!) {\n'
        '  execution(executionId: $executionId) {\n'
        '    __typename id status createdAt startedAt endedAt notes failureDetails application { id name }\n'
        '    ... on WorkflowExecution { workflow { id name } }\n'
        '    ... on PipelineExecution { pipeline { id name } ' + _STAGES + ' }\n'
        '  }\n'
        '}',
        {'executionId': 'EXEC'}),
    'find_executions': SampleDocument(
        'query FindExecutions($filters: [ExecutionFilter], $limit: Int!, $offset: Int) {\n'
        '  executions(filters: $filters, limit: $limit, offset: $offset) {\n'
        '    pageInfo { hasMore total offset limit }\n'
        '    nodes { __typename id status notes createdAt ... on PipelineExecution { pipeline { id } } }\n'
        '  }\n'
        '}',
        {'filters': [{'pipeline': {'operator': 'EQUALS', 'values': ['PIPE']}},
                     {'application': {'operator': 'EQUALS', 'values': ['APP']}},
                     {'status': {'operator': 'IN', 'values': ['RUNNING', 'PAUSED', 'QUEUED']}}],
         'limit': 10, 'offset': 0}),
    'pipeline_by_name': SampleDocument(
        'query PipelineByName($name: String!, $app: String!) {\n'
        '  pipelineByName(pipelineName: $name, applicationId: $app) {\n'
        '    id name pipelineVariables { name type required allowedValues defaultValue fixed }\n'
        '  }\n'
        '}',
        {'name': 'release', 'app': 'APP'}),
    'workflow_by_id': SampleDocument(
        'query Workflow($id: String!) { workflow(workflowId: $id) { id name workflowVariables { name type required } } }',
        {'id': 'WF'}),
    'approval_details': SampleDocument(
        'query ApprovalDetails($app: String!, $exec: String!) {\n'
        '  approvalDetails(applicationId: $app, executionId: $exec) {\n'
        '    approvalDetails {\n'
        '      __typename approvalId approvalType stepName stageName startedAt willExpireAt triggeredBy { name email }\n'
        '      ... on UserGroupApprovalDetails { approvers executionId variables { name value } }\n'
        '    }\n'
        '  }\n'
        '}',
        {'app': 'APP', 'exec': 'EXEC'}),
    'approve': SampleDocument(
        'mutation Approve($input: ApproveOrRejectApprovalsInput!) { approveOrRejectApprovals(input: $input) { success clientMutationId } }',
        {'input': {'executionId': 'EXEC', 'approvalId': 'APPROVAL', 'action': 'APPROVE', 'applicationId': 'APP',
                   'comments': 'ok', 'variableInputs': [{'name': 'ticket', 'value': 'T-1'}]}}),
    'runtime_inputs': SampleDocument(
        'mutation ResumeRuntime($input: RuntimeExecutionInputsToResumePipeline!) {\n'
        '  pipelineResumeRuntime(input: $input) { clientMutationId status }\n'
        '}',
        {'input': {'applicationId': 'APP', 'pipelineExecutionId': 'EXEC', 'pipelineStageElementId': 'STAGE',
                   'variableInputs': [{'name': 'bat', 'variableValue': {'type': 'NAME', 'value': 'x'}}]}}),
    'resume': SampleDocument(
        'mutation Resume($input: ResumeExecutionInput) {\n'
        '  resumeExecution(input: $input) { clientMutationId execution { __typename id status ... on PipelineExecution {' + _STAGES + ' } } }\n'
        '}',
        {'input': {'applicationId': 'APP', 'pipelineExecutionId': 'EXEC', 'pipelineStageName': 'STAGE 2'}}),
}

# Three mistakes a faithful schema must reject: a misspelled field, a concrete field without a fragment
# (``pipeline`` is not on the Execution interface), and a required argument left out (``limit``).
WRONG_DOCUMENT = '''
query Wrong($id: String!) {
  execution(executionId: $id) { id state pipeline { id } }
  executions { nodes { id } }
}
'''
