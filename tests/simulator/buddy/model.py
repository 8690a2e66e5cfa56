# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Buddy view of a scenario: the ``buddy:`` section, workspaces, projects, tokens, pipelines and their actions.

Contract
--------
* :func:`parse_catalog` validates the ``buddy:`` section and every ``vendor: buddy`` pipeline of a scenario
  (raising :class:`~..scenario.ScenarioError`) and returns an immutable :class:`Catalog`.
* A pipeline's scenario name is ``<project name>/<pipeline name>``; it lives in the workspace named by its
  ``workspace:`` key, else in the first workspace. Projects named by pipelines but not listed are created there.
* Ids are deterministic: pipeline ids are the given ``id`` or the smallest unused integer from 1 (in scenario
  order); action ids are the stage's ``action_id`` or ``<pipeline id> * 100 + <position>`` (1-based), so they never
  look like pipeline or execution ids; variable ids are ``<pipeline id> * 1000 + <n>``.
* Every engine stage is one Buddy action. Its type is the stage's ``action_type``, else by gate: ``approval`` ->
  ``WAIT_FOR_APPLY``; ``variables``/``input`` -> ``WAIT_FOR_VARIABLES`` (``SET_VARIABLES`` with ``settable: true``);
  no gate -> ``BUILD``.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import typing as t

from ..scenario import ParameterSpec, PipelineSpec, Scenario, ScenarioError, StageSpec

VENDOR = 'buddy'
# Fixed demo credentials (docs/simulator.md, "The Buddy API"); also the defaults when a scenario has no buddy.tokens.
DEFAULT_WORKSPACE = 'acme'
DEFAULT_TOKEN = 'b0dd7e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6'
DEFAULT_SCOPES = ('WORKSPACE', 'EXECUTION_INFO', 'EXECUTION_RUN', 'VARIABLE_INFO')
DEFAULT_APP_URL = 'https://app.buddy.works'
DEFAULT_RATE_LIMIT = (1000, 3600.0)     # requests per window (s) when buddy.rate_limit is null
RETRY_MODES = ('same_execution', 'new_execution')
TRIGGER_KEYS = ('triggered_on', 'triggeredOn')
# Scope families (docs: EXECUTION_RUN "contains EXECUTION_INFO rights"; bdy docs use PIPELINE_* for the same calls).
READ_SCOPES = frozenset(('EXECUTION_INFO', 'EXECUTION_RUN', 'EXECUTION_MANAGE', 'PIPELINE_READ', 'PIPELINE_RUN', 'PIPELINE_WRITE',
                         'PIPELINE_MANAGE'))
RUN_SCOPES = frozenset(('EXECUTION_RUN', 'EXECUTION_MANAGE', 'PIPELINE_RUN', 'PIPELINE_MANAGE'))
VARIABLE_SCOPES = frozenset(('VARIABLE_INFO', 'VARIABLE_ADD', 'VARIABLE_MANAGE'))
# Action types by how the action waits; the execution and the action show the waiting status.
WAIT_STATUS = {'WAIT_FOR_APPLY': 'WAITING_FOR_APPLY', 'WAIT_FOR_VARIABLES': 'WAITING_FOR_VARIABLES',
               'SET_VARIABLES': 'WAITING_FOR_SETTABLE_VARIABLES'}
WAIT_OPERATION = {'WAIT_FOR_APPLY': 'APPLY', 'WAIT_FOR_VARIABLES': 'APPLY_VARIABLES', 'SET_VARIABLES': 'SET_VARIABLES'}
_SECTION_KEYS = {'workspaces', 'tokens', 'rate_limit', 'rate_limit_status', 'run_status', 'retry', 'app_url', 'trigger_key'}


def hex_id(*parts: t.Any) -> str:
    """A deterministic 24-hex id (Buddy's Mongo-style UI / action-execution ids) from ``parts``."""
    return hashlib.sha256('\x1f'.join(str(p) for p in parts).encode('utf-8')).hexdigest()[:24]


def encrypt(value: str, key: str) -> str:
    """What Buddy returns for an encrypted value: ``secure!`` + base64 ciphertext (here a one-way digest: never the plaintext)."""
    digest = hashlib.sha256(('buddy-sim\x1f%s\x1f%s' % (key, value)).encode('utf-8')).digest()
    return 'secure!' + base64.b64encode(digest + digest[:16]).decode('ascii')


def slug(name: str) -> str:
    """Buddy's default pipeline identifier: lower case, runs of other characters as ``-``."""
    return re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'pipeline'


@dataclasses.dataclass(frozen=True)
class Member:
    """The workspace member a token belongs to (creator / approver in answers)."""

    id: int
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class Token:
    """A personal access token and its scopes."""

    value: str
    scopes: frozenset[str]
    member: Member

    def allows(self, needed: frozenset[str]) -> bool:
        """Whether one of the token's scopes grants one of ``needed``."""
        return bool(self.scopes & needed)


@dataclasses.dataclass(frozen=True)
class Project:
    """A project of a workspace."""

    name: str
    display_name: str
    default_branch: str = 'main'


@dataclasses.dataclass(frozen=True)
class Workspace:
    """A workspace (``domain`` is the path segment)."""

    domain: str
    name: str
    api_disabled: bool
    active: bool
    projects: tuple[Project, ...]

    def project(self, name: str) -> Project | None:
        """Project by name."""
        return next((p for p in self.projects if p.name == name), None)


@dataclasses.dataclass(frozen=True)
class VariableDef:
    """A variable: a pipeline variable (``settable``) or one an action asks for (``choices`` -> ``defaults`` list)."""

    id: int
    key: str
    default: str
    encrypted: bool = False
    settable: bool = False
    description: str = ''
    choices: tuple[str, ...] = ()

    @property
    def defaults(self) -> str:
        """The ``defaults`` field: the options as a newline-separated list, else the default value."""
        return '\n'.join(self.choices) if self.choices else self.default


@dataclasses.dataclass(frozen=True)
class Action:
    """One action of a pipeline (one engine stage)."""

    id: int
    index: int
    name: str
    type: str
    message: str | None = None
    variables: tuple[VariableDef, ...] = ()

    @property
    def waits(self) -> bool:
        """Whether the action waits for a person (apply / variables)."""
        return self.type in WAIT_STATUS


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """A Buddy pipeline backed by an engine pipeline spec."""

    spec: PipelineSpec
    id: int
    identifier: str
    name: str
    workspace: str
    project: Project
    refs: tuple[str, ...]
    priority: str
    actions: tuple[Action, ...]
    variables: tuple[VariableDef, ...]

    def action(self, action_id: int) -> Action | None:
        """Action by numeric id."""
        return next((a for a in self.actions if a.id == action_id), None)


@dataclasses.dataclass(frozen=True)
class BuddyConfig:
    """The parsed ``buddy:`` section."""

    workspaces: tuple[Workspace, ...]
    tokens: tuple[Token, ...]
    rate_limit: tuple[int, float]
    rate_limit_status: int
    run_status: int
    retry: str
    app_url: str
    trigger_key: str

    def token(self, value: str) -> Token | None:
        """The token with this value."""
        return next((tok for tok in self.tokens if tok.value == value), None)

    def workspace(self, domain: str) -> Workspace | None:
        """Workspace by domain."""
        return next((w for w in self.workspaces if w.domain == domain), None)

    def member(self, name: str | None) -> Member | None:
        """Member by name (approvers are recorded by name in the engine)."""
        return next((tok.member for tok in self.tokens if tok.member.name == name), None)


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Config and pipelines of one scenario (immutable; rebuilt on load)."""

    config: BuddyConfig
    pipelines: tuple[Pipeline, ...]

    def pipeline(self, workspace: str, project: str, pipeline_id: int) -> Pipeline | None:
        """Pipeline by workspace, project and id."""
        return next((p for p in self.pipelines if p.workspace == workspace and p.project.name == project and p.id == pipeline_id), None)

    def in_project(self, workspace: str, project: str) -> list[Pipeline]:
        """The pipelines of a project, in id order."""
        return sorted((p for p in self.pipelines if p.workspace == workspace and p.project.name == project), key=lambda p: p.id)

    def for_spec(self, spec: PipelineSpec) -> Pipeline:
        """The pipeline of an engine spec (every buddy spec has one)."""
        return next(p for p in self.pipelines if p.spec.name == spec.name)


def _bool(raw: t.Mapping[str, t.Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ScenarioError('%s.%s must be true or false, got %r' % (where, key, value))
    return value


def _strings(value: t.Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ScenarioError('%s must be a list of non-empty strings' % where)
    return tuple(value)


def _workspaces(raw: t.Any) -> list[tuple[str, str, bool, bool, list[Project]]]:
    items = raw if raw is not None else [{'domain': DEFAULT_WORKSPACE}]
    if not isinstance(items, list) or not items:
        raise ScenarioError('buddy.workspaces must be a non-empty list')
    out = []
    for index, item in enumerate(items):
        where = 'buddy.workspaces[%d]' % index
        if not isinstance(item, dict) or not isinstance(item.get('domain'), str) or not re.fullmatch(r'[A-Za-z0-9_-]+', item['domain']):
            raise ScenarioError('%s needs a domain (letters, digits, - and _)' % where)
        projects = []
        for number, proj in enumerate(item.get('projects') or []):
            here = '%s.projects[%d]' % (where, number)
            if not isinstance(proj, dict) or not isinstance(proj.get('name'), str) or not re.fullmatch(r'[A-Za-z0-9_.-]+', proj['name']):
                raise ScenarioError('%s needs a name (letters, digits, ., - and _)' % here)
            projects.append(Project(name=proj['name'], display_name=str(proj.get('display_name') or proj['name']),
                                    default_branch=str(proj.get('default_branch') or 'main')))
        flags = (_bool(item, 'api_disabled', False, where), _bool(item, 'active', True, where))
        out.append((item['domain'], str(item.get('name') or item['domain']), flags[0], flags[1], projects))
    if len({w[0] for w in out}) != len(out):
        raise ScenarioError('buddy.workspaces: domains must be unique')
    return out


def _tokens(raw: t.Any) -> tuple[Token, ...]:
    items = raw if raw is not None else [{'token': DEFAULT_TOKEN, 'scopes': list(DEFAULT_SCOPES)}]
    if not isinstance(items, list):
        raise ScenarioError('buddy.tokens must be a list')
    out = []
    for index, item in enumerate(items):
        where = 'buddy.tokens[%d]' % index
        if not isinstance(item, dict) or not isinstance(item.get('token'), str) or not item['token']:
            raise ScenarioError('%s needs a token (a non-empty string)' % where)
        member_id = item.get('member_id', index + 1)
        if isinstance(member_id, bool) or not isinstance(member_id, int) or member_id < 1:
            raise ScenarioError('%s.member_id must be an integer >= 1' % where)
        name = str(item.get('name') or ('cicd-pipelines' if index == 0 else 'cicd-pipelines-%d' % (index + 1)))
        member = Member(id=member_id, name=name, email=str(item.get('email') or '%s@example.com' % slug(name)))
        out.append(Token(value=item['token'], scopes=frozenset(_strings(item.get('scopes'), where + '.scopes')), member=member))
    if len({tok.value for tok in out}) != len(out):
        raise ScenarioError('buddy.tokens: token values must be unique')
    return tuple(out)


def _config(raw: t.Mapping[str, t.Any]) -> tuple[BuddyConfig, list[tuple[str, str, bool, bool, list[Project]]]]:
    unknown = sorted(str(k) for k in raw if k not in _SECTION_KEYS)
    if unknown:
        raise ScenarioError('buddy: unknown key(s) %s (allowed: %s)' % (', '.join(unknown), ', '.join(sorted(_SECTION_KEYS))))
    limit = raw.get('rate_limit')
    rate = DEFAULT_RATE_LIMIT
    if limit is not None:
        count, window = (limit.get('limit'), limit.get('window', 3600)) if isinstance(limit, dict) else (None, None)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1 or isinstance(window, bool) \
                or not isinstance(window, (int, float)) or window <= 0:
            raise ScenarioError('buddy.rate_limit must be null or {limit: N >= 1, window: seconds > 0}')
        rate = (count, float(window))
    choices = {'rate_limit_status': (429, 403), 'run_status': (200, 201), 'retry': RETRY_MODES, 'trigger_key': TRIGGER_KEYS}
    picked = {}
    for key, allowed in choices.items():
        value = raw.get(key, allowed[0])
        if value not in allowed:
            raise ScenarioError('buddy.%s must be one of %s, got %r' % (key, ', '.join(str(a) for a in allowed), value))
        picked[key] = value
    app_url = str(raw.get('app_url') or DEFAULT_APP_URL).rstrip('/')
    if not app_url.startswith(('http://', 'https://')):
        raise ScenarioError('buddy.app_url must be an absolute http(s) URL')
    workspaces = _workspaces(raw.get('workspaces'))
    config = BuddyConfig(workspaces=(), tokens=_tokens(raw.get('tokens')), rate_limit=rate, rate_limit_status=int(picked['rate_limit_status']),
                         run_status=int(picked['run_status']), retry=str(picked['retry']), app_url=app_url,
                         trigger_key=str(picked['trigger_key']))
    return config, workspaces


def _pipeline_variables(pipeline_id: int, params: tuple[ParameterSpec, ...], raw: t.Sequence[t.Any]) -> list[VariableDef]:
    out = []
    for number, param in enumerate(params):
        item = raw[number] if number < len(raw) and isinstance(raw[number], dict) else {}
        default = str(param.default).lower() if isinstance(param.default, bool) else str(param.default)
        out.append(VariableDef(id=pipeline_id * 1000 + number + 1, key=param.name, default=default, encrypted=param.secret,
                               settable=bool(item.get('settable', False)), description=param.description or ''))
    return out


def _action_type(stage: StageSpec, where: str) -> str:
    given = stage.extra.get('action_type')
    gate = stage.gate
    if gate is None:
        if given in WAIT_STATUS:
            raise ScenarioError('%s: action_type %s needs a gate' % (where, given))
        return str(given or 'BUILD')
    if gate.kind == 'approval':
        if gate.parameters:
            raise ScenarioError('%s: a WAIT_FOR_APPLY action asks for no variables; use gate kind: variables' % where)
        kind = 'WAIT_FOR_APPLY'
    else:
        if not gate.parameters:
            raise ScenarioError('%s: a %s gate needs parameters (the variables it asks for)' % (where, gate.kind))
        kind = 'SET_VARIABLES' if gate.extra.get('settable') else 'WAIT_FOR_VARIABLES'
    if given is not None and given != kind:
        raise ScenarioError('%s: action_type %r does not fit its gate (%s)' % (where, given, kind))
    return kind


def _actions(pipeline_id: int, spec: PipelineSpec, first_variable: int, where: str) -> list[Action]:
    actions = []
    serial = first_variable
    for index, stage in enumerate(spec.stages):
        here = '%s.stages[%d]' % (where, index)
        given = stage.extra.get('action_id')
        if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < 1):
            raise ScenarioError('%s.action_id must be an integer >= 1' % here)
        kind = _action_type(stage, here)
        variables = []
        for param in stage.gate.parameters if stage.gate is not None and kind != 'WAIT_FOR_APPLY' else ():
            serial += 1
            variables.append(VariableDef(id=pipeline_id * 1000 + serial, key=param.name,
                                         default='' if param.type == 'choice' else str(param.default).lower()
                                         if isinstance(param.default, bool) else str(param.default),
                                         encrypted=param.secret, settable=kind == 'SET_VARIABLES', description=param.description or '',
                                         choices=param.choices if param.type == 'choice' else ()))
        actions.append(Action(id=given or pipeline_id * 100 + index + 1, index=index, name=stage.name, type=kind,
                              message=None if stage.gate is None else stage.gate.message, variables=tuple(variables)))
    return actions


def parse_catalog(scenario: Scenario) -> Catalog:
    """Validate the Buddy part of a scenario and build its catalog (ScenarioError on a mistake)."""
    config, raw_workspaces = _config(scenario.vendor_config(VENDOR))
    specs = [p for p in scenario.pipelines if p.vendor == VENDOR]
    raw_by_name = {str(p.get('name', '')).strip('/'): p for p in (scenario.source.get('pipelines') or [])
                   if isinstance(p, dict) and p.get('vendor') == VENDOR}
    given_ids = [s.extra.get('id') for s in specs if s.extra.get('id') is not None]
    for value in given_ids:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ScenarioError('buddy pipelines: id must be an integer >= 1, got %r' % (value,))
    if len(set(given_ids)) != len(given_ids):
        raise ScenarioError('buddy pipelines: ids must be unique')
    used = set(given_ids)
    domains = [w[0] for w in raw_workspaces]
    pipelines = []
    for spec in specs:
        where = 'buddy pipeline %r' % spec.name
        if spec.name.count('/') != 1:
            raise ScenarioError('%s: the name must be "<project>/<pipeline name>"' % where)
        project_name, short = spec.name.split('/')
        domain = str(spec.extra.get('workspace') or domains[0])
        if domain not in domains:
            raise ScenarioError('%s: workspace %r is not one of buddy.workspaces' % (where, domain))
        projects = next(w[4] for w in raw_workspaces if w[0] == domain)
        project = next((p for p in projects if p.name == project_name), None)
        if project is None:
            project = Project(name=project_name, display_name=project_name)
            projects.append(project)
        pipeline_id = spec.extra.get('id')
        if pipeline_id is None:
            pipeline_id = next(n for n in range(1, len(specs) + len(used) + 2) if n not in used)
            used.add(pipeline_id)
        priority = str(spec.extra.get('priority', 'NORMAL'))
        if priority not in ('LOW', 'NORMAL', 'HIGH'):
            raise ScenarioError('%s: priority must be LOW, NORMAL or HIGH' % where)
        raw = raw_by_name.get(spec.name, {})
        variables = _pipeline_variables(pipeline_id, spec.parameters, raw.get('parameters') or [])
        actions = _actions(pipeline_id, spec, len(variables), where)
        # A SET_VARIABLES action asks for existing settable variables: they are pipeline variables marked settable.
        for action in (a for a in actions if a.type == 'SET_VARIABLES'):
            for item in action.variables:
                known = next((n for n, v in enumerate(variables) if v.key == item.key), None)
                if known is None:
                    variables.append(dataclasses.replace(item, choices=()))
                else:
                    variables[known] = dataclasses.replace(variables[known], settable=True)
        if len({a.id for a in actions}) != len(actions):
            raise ScenarioError('%s: action ids must be unique' % where)
        identifier = str(spec.extra.get('identifier') or slug(short))
        pipelines.append(Pipeline(spec=spec, id=pipeline_id, identifier=identifier, name=short, workspace=domain, project=project,
                                  refs=_strings(spec.extra.get('refs'), where + '.refs'), priority=priority,
                                  actions=tuple(actions), variables=tuple(variables)))
    all_actions = [a.id for p in pipelines for a in p.actions]
    if len(set(all_actions)) != len(all_actions):
        raise ScenarioError('buddy pipelines: action ids must be unique across the scenario')
    for domain in domains:
        mine = [p for p in pipelines if p.workspace == domain]
        if len({(p.project.name, p.identifier) for p in mine}) != len(mine):
            raise ScenarioError('buddy workspace %r: pipeline identifiers must be unique per project' % domain)
    workspaces = tuple(Workspace(domain=d, name=n, api_disabled=off, active=active, projects=tuple(projs))
                       for d, n, off, active, projs in raw_workspaces)
    return Catalog(config=dataclasses.replace(config, workspaces=workspaces), pipelines=tuple(pipelines))
