# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Harness view of a scenario: the ``harness:`` section, applications, pipelines/workflows and their ids.

Contract
--------
* :func:`parse_catalog` validates the ``harness:`` section and every ``vendor: harness`` pipeline of a
  scenario (raising :class:`~..scenario.ScenarioError`) and returns a :class:`Catalog`.
* Every id (account fallback aside) is 22 characters of URL-safe base64 without padding, as Harness renders
  its UUIDs, and is derived with :func:`make_id` from stable names, so two runs of a scenario give the same ids.
* A pipeline's name is ``<application name>/<pipeline or workflow name>``; applications named by pipelines
  but not listed in ``harness.applications`` are created in the first account.
* Variables (pipeline/workflow variables, approval variables, runtime inputs) are read from the raw scenario
  mapping, because Harness needs ``required``/``fixed`` and a choice's own default, which the vendor-neutral
  :class:`~..scenario.ParameterSpec` does not carry.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import typing as t

from ..scenario import PipelineSpec, Scenario, ScenarioError, StageSpec

VENDOR = 'harness'
# Fixed demo credentials (documented in docs/simulator.md); the account id has Harness's 22-char shape.
DEFAULT_ACCOUNT_ID = 'kmpySmUISimoRrJL6NL73w'
DEFAULT_API_KEY = 'c2ltLWhhcm5lc3MtZGVtby1rZXk6Y2ljZC1waXBlbGluZXM='
DEFAULT_PORTAL_URL = 'https://app.harness.io/'
DEFAULT_APPROVERS = ('Account Administrator',)
KINDS = ('pipeline', 'workflow')
_ID_CHARS = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')


def make_id(*parts: str) -> str:
    """A deterministic Harness-shaped id: 16 bytes of SHA-256 over ``parts``, URL-safe base64, no padding (22 chars)."""
    digest = hashlib.sha256('\x1f'.join(parts).encode('utf-8')).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode('ascii').rstrip('=')


def _given_id(value: t.Any, where: str) -> str:
    text = str(value)
    if len(text) != 22 or not set(text) <= _ID_CHARS:
        raise ScenarioError('%s must be 22 characters of URL-safe base64 (A-Z a-z 0-9 - _), got %r' % (where, value))
    return text


@dataclasses.dataclass(frozen=True)
class VariableDef:
    """A Harness ``Variable`` (all simulated variables are of display type ``Text``)."""

    name: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    default: str | None = None
    fixed: bool = False
    allow_multiple: bool = False

    def view(self) -> dict[str, t.Any]:
        """The GraphQL ``Variable`` object."""
        return {'name': self.name, 'type': 'Text', 'required': self.required,
                'allowedValues': None if self.allowed is None else list(self.allowed),
                'defaultValue': self.default, 'fixed': self.fixed, 'allowMultipleValues': self.allow_multiple}


def parse_variables(raw: t.Any, where: str) -> tuple[VariableDef, ...]:
    """Variables from a raw scenario ``parameters`` list (already checked by the scenario parser)."""
    out = []
    for index, item in enumerate(raw or []):
        if not isinstance(item, dict):
            raise ScenarioError('%s[%d] must be a mapping' % (where, index))
        choices = item.get('choices')
        default = item.get('default')
        out.append(VariableDef(name=str(item['name']), required=bool(item.get('required', False)),
                               allowed=None if not choices else tuple(str(c) for c in choices),
                               default=None if default is None else str(default).lower() if isinstance(default, bool) else str(default),
                               fixed=bool(item.get('fixed', False)), allow_multiple=bool(item.get('allow_multiple', False))))
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Account:
    """An account and the API keys that authenticate as it."""

    id: str
    api_keys: tuple[str, ...]
    key_name: str = 'cicd-pipelines'


@dataclasses.dataclass(frozen=True)
class Application:
    """A Harness application."""

    id: str
    name: str
    account: str
    description: str | None = None

    def view(self) -> dict[str, t.Any]:
        """The GraphQL ``Application`` object."""
        return {'id': self.id, 'name': self.name, 'description': self.description}


@dataclasses.dataclass(frozen=True)
class Stage:
    """One pipeline stage (one element) or one workflow step, by engine stage index.

    ``kind``: ``approval`` (a USER_GROUP approval), ``runtime`` (a workflow stage paused for runtime inputs)
    or ``workflow`` (a stage that just runs). ``variables``: the approval variables or runtime inputs.
    """

    index: int
    step_name: str
    stage_name: str
    element_id: str
    kind: str
    variables: tuple[VariableDef, ...] = ()
    approvers: tuple[str, ...] = DEFAULT_APPROVERS


@dataclasses.dataclass(frozen=True)
class Entity:
    """A Harness pipeline or workflow backed by one engine pipeline spec."""

    spec: PipelineSpec
    id: str
    app: Application
    kind: str
    name: str
    variables: tuple[VariableDef, ...]
    stages: tuple[Stage, ...]
    modified_after_start: bool = False
    description: str | None = None

    @property
    def is_pipeline(self) -> bool:
        """Pipeline (PIPELINE executions) or workflow (ORCHESTRATION executions)."""
        return self.kind == 'pipeline'

    def variable(self, name: str) -> VariableDef | None:
        """The variable called ``name``, if any."""
        return next((v for v in self.variables if v.name == name), None)

    def view(self, created_ms: int) -> dict[str, t.Any]:
        """The GraphQL ``Pipeline`` / ``Workflow`` object."""
        variables = [v.view() for v in self.variables]
        out = {'id': self.id, 'name': self.name, 'description': self.description, 'createdAt': created_ms}
        out['pipelineVariables' if self.is_pipeline else 'workflowVariables'] = variables
        return out


@dataclasses.dataclass(frozen=True)
class HarnessConfig:
    """The parsed ``harness:`` section."""

    accounts: tuple[Account, ...]
    rate_limit: int | None
    portal_url: str

    def account_for_key(self, key: str) -> Account | None:
        """The account an API key belongs to."""
        return next((a for a in self.accounts if key in a.api_keys), None)


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Config, applications and entities of one scenario (immutable; rebuilt on load)."""

    config: HarnessConfig
    apps: tuple[Application, ...]
    entities: tuple[Entity, ...]

    def app(self, app_id: str) -> Application | None:
        """Application by id."""
        return next((a for a in self.apps if a.id == app_id), None)

    def app_by_name(self, account: str, name: str) -> Application | None:
        """Application by name within an account."""
        return next((a for a in self.apps if a.account == account and a.name == name), None)

    def entity(self, entity_id: str) -> Entity | None:
        """Pipeline or workflow by id."""
        return next((e for e in self.entities if e.id == entity_id), None)

    def entity_by_name(self, app_id: str, kind: str, name: str) -> Entity | None:
        """Pipeline or workflow by application id and name."""
        return next((e for e in self.entities if e.app.id == app_id and e.kind == kind and e.name == name), None)

    def for_spec(self, spec: PipelineSpec) -> Entity:
        """The entity of an engine pipeline spec (every harness spec has one)."""
        return next(e for e in self.entities if e.spec.name == spec.name)


def _parse_config(raw: t.Mapping[str, t.Any]) -> tuple[HarnessConfig, list[t.Mapping[str, t.Any]]]:
    accounts = []
    for index, item in enumerate(raw.get('accounts') or [{'id': DEFAULT_ACCOUNT_ID, 'api_keys': [DEFAULT_API_KEY]}]):
        where = 'harness.accounts[%d]' % index
        if not isinstance(item, dict) or not item.get('id'):
            raise ScenarioError('%s needs an id' % where)
        keys = item.get('api_keys') or []
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ScenarioError('%s.api_keys must be a list of non-empty strings' % where)
        accounts.append(Account(id=_given_id(item['id'], where + '.id'), api_keys=tuple(keys),
                                key_name=str(item.get('api_key_name') or 'cicd-pipelines')))
    if len({a.id for a in accounts}) != len(accounts):
        raise ScenarioError('harness.accounts: account ids must be unique')
    limit = raw.get('rate_limit')
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ScenarioError('harness.rate_limit must be an integer >= 1 (calls per minute per account) or null')
    portal = str(raw.get('portal_url') or DEFAULT_PORTAL_URL)
    if not portal.startswith(('http://', 'https://')):
        raise ScenarioError('harness.portal_url must be an absolute http(s) URL')
    apps = raw.get('applications') or []
    if not isinstance(apps, list):
        raise ScenarioError('harness.applications must be a list')
    return HarnessConfig(accounts=tuple(accounts), rate_limit=limit, portal_url=portal if portal.endswith('/') else portal + '/'), apps


def _parse_apps(raw_apps: list[t.Any], config: HarnessConfig, names: t.Iterable[str]) -> list[Application]:
    apps: list[Application] = []
    for index, item in enumerate(raw_apps):
        where = 'harness.applications[%d]' % index
        if not isinstance(item, dict) or not item.get('name'):
            raise ScenarioError('%s needs a name' % where)
        account = str(item.get('account') or config.accounts[0].id)
        if account not in {a.id for a in config.accounts}:
            raise ScenarioError('%s.account %r is not one of harness.accounts' % (where, account))
        app_id = _given_id(item['id'], where + '.id') if item.get('id') else make_id(VENDOR, 'application', account, str(item['name']))
        apps.append(Application(id=app_id, name=str(item['name']), account=account, description=item.get('description')))
    for name in names:  # applications only named by pipelines live in the first account
        if not any(a.name == name for a in apps):
            account = config.accounts[0].id
            apps.append(Application(id=make_id(VENDOR, 'application', account, name), name=name, account=account))
    if len({a.id for a in apps}) != len(apps) or len({(a.account, a.name) for a in apps}) != len(apps):
        raise ScenarioError('harness.applications: ids and names (per account) must be unique')
    return apps


def _stage(entity_id: str, kind: str, index: int, stage: StageSpec, raw: t.Mapping[str, t.Any], where: str) -> Stage:
    gate = stage.gate
    stage_kind = 'workflow'
    variables: tuple[VariableDef, ...] = ()
    approvers = DEFAULT_APPROVERS
    if gate is not None:
        stage_kind = 'approval' if gate.kind == 'approval' else 'runtime'
        if kind == 'workflow' and stage_kind != 'approval':
            raise ScenarioError('%s: a workflow step can only have an approval gate (workflows have no runtime inputs)' % where)
        variables = parse_variables((raw.get('gate') or {}).get('parameters'), where + '.gate.parameters')
        given = gate.extra.get('approvers')
        if given is not None:
            if not isinstance(given, list) or not given:
                raise ScenarioError('%s.gate.approvers must be a non-empty list of user group names' % where)
            approvers = tuple(str(g) for g in given)
    stage_name = str(stage.extra.get('stage_name') or 'STAGE %d' % (index + 1))
    return Stage(index=index, step_name=stage.name, stage_name=stage_name, element_id=make_id(VENDOR, 'stage', entity_id, str(index)),
                 kind=stage_kind, variables=variables, approvers=approvers)


def parse_catalog(scenario: Scenario) -> Catalog:
    """Validate the Harness part of a scenario and build its catalog (ScenarioError on a mistake)."""
    config, raw_apps = _parse_config(scenario.vendor_config(VENDOR))
    specs = [p for p in scenario.pipelines if p.vendor == VENDOR]
    raw_by_name = {str(p.get('name', '')).strip('/'): p for p in (scenario.source.get('pipelines') or [])
                   if isinstance(p, dict) and p.get('vendor') == VENDOR}
    for spec in specs:
        if '/' not in spec.name:
            raise ScenarioError('harness pipeline %r: the name must be "<application>/<pipeline or workflow name>"' % spec.name)
    apps = _parse_apps(raw_apps, config, [s.name.split('/', 1)[0] for s in specs])
    entities = []
    for spec in specs:
        where = 'harness pipeline %r' % spec.name
        if spec.kind not in KINDS:
            raise ScenarioError('%s: kind must be pipeline or workflow, got %r' % (where, spec.kind))
        app_name, short = spec.name.split('/', 1)
        app = next(a for a in apps if a.name == app_name)
        raw = raw_by_name.get(spec.name, {})
        entity_id = _given_id(spec.extra['id'], where + '.id') if spec.extra.get('id') else make_id(VENDOR, spec.kind, spec.name)
        raw_stages = raw.get('stages') or []
        stages = tuple(_stage(entity_id, spec.kind, i, s, raw_stages[i] if i < len(raw_stages) else {}, '%s.stages[%d]' % (where, i))
                       for i, s in enumerate(spec.stages))
        if len({s.stage_name for s in stages}) != len(stages):
            raise ScenarioError('%s: stage_name values must be unique' % where)
        entities.append(Entity(spec=spec, id=entity_id, app=app, kind=spec.kind, name=short,
                               variables=parse_variables(raw.get('parameters'), where + '.parameters'), stages=stages,
                               modified_after_start=bool(spec.extra.get('modified_after_start', False)), description=spec.description))
    if len({e.id for e in entities}) != len(entities):
        raise ScenarioError('harness pipelines: ids must be unique')
    return Catalog(config=config, apps=tuple(apps), entities=tuple(entities))
