# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The CodeArts view of a scenario: the ``codearts:`` section (credentials, IAM users, project ids, throttling) and
every ``vendor: codearts`` pipeline with its stages, jobs, steps and variables.

Contract
--------
* :func:`parse_catalog` validates the section and the CodeArts pipelines (raising
  :class:`~..scenario.ScenarioError`) and returns an immutable :class:`Catalog`.
* Ids are 32 lower-case hex characters (CodeArts ids are 32 alphanumerics), derived from a hash
  of what they name (:func:`hex32`), so the same scenario always gives the same ids. A pipeline's
  id is its ``id`` key (32 alphanumerics) or ``hex32('pipeline', project id, name)``.
* Every engine stage is one CodeArts stage with exactly one job (named by the stage's ``job``
  key, else the stage name) and one step in that job. The step's plugin (``task``) is the
  stage's ``task`` key, else ``official_devcloud_checkpoint`` for a manual review (gate kind
  ``approval`` without ``checkpoint: true``), else ``official_shell_plugin``. A gate of kind
  ``input`` / ``variables``, or any gate with ``checkpoint: true``, is a *manual checkpoint*: the
  stage's ``pre`` step ``official_devcloud_manualTrigger`` (named by the gate ``id``, else
  ``Manual checkpoint``) waits; other stages get the ``official_devcloud_autoTrigger`` pre step.
* Pipeline parameters become PipelineVariables: ``password`` -> ``is_secret``; ``choice`` ->
  type ``enum`` with ``limits``; ``boolean`` -> ``enum`` with limits ``true``/``false``; a
  parameter with ``runtime: false`` is not settable when the pipeline is run.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import typing as t

from ..scenario import ParameterSpec, PipelineSpec, Scenario, ScenarioError, StageSpec

VENDOR = 'codearts'
# Fixed demo values (docs/simulator.md, "The CodeArts API"); also the defaults of a scenario without a codearts: section.
DEFAULT_AK = 'HPUACODEARTSSIMDEMO01'
DEFAULT_SK = 'cOdEaRtSsImUlAtOrDeMoSeCrEtKeY0123456789'
DEFAULT_PROJECT_ID = '0c2f1e4d5a6b47c8a9d0e1f2a3b4c5d6'
DEFAULT_IAM_PROJECT_ID = '0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5'
DEFAULT_USER = 'cicd-pipelines'
DEFAULT_PASSWORD = 'codearts-demo-password'
DEFAULT_DOMAIN = 'cicd-demo'
DEFAULT_REGION = 'cn-north-4'
REVIEW_TASK = 'official_devcloud_checkpoint'
SHELL_TASK = 'official_shell_plugin'
AUTO_TRIGGER = 'official_devcloud_autoTrigger'
MANUAL_TRIGGER = 'official_devcloud_manualTrigger'
WAIT_STATUSES = ('RUNNING', 'PAUSED')
_SECTION_KEYS = {'credentials', 'users', 'project_id', 'iam_project_id', 'region', 'domain_id', 'throttle', 'wait_status',
                 'project_name', 'token_ttl'}
_ID = re.compile(r'[A-Za-z0-9]{32}')


def hex32(*parts: t.Any) -> str:
    """A deterministic 32-character id from ``parts``."""
    return hashlib.sha256(('codearts\x1f' + '\x1f'.join(str(p) for p in parts)).encode('utf-8')).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class Credential:
    """An AK/SK pair; ``security_token`` set = temporary credentials (the request must carry X-Security-Token)."""

    ak: str
    sk: str
    user: str
    security_token: str | None = None


@dataclasses.dataclass(frozen=True)
class User:
    """An IAM user that may obtain a token with its password."""

    name: str
    password: str
    domain: str

    @property
    def id(self) -> str:
        """The IAM user id (the run's ``executor_id``)."""
        return hex32('user', self.domain, self.name)


@dataclasses.dataclass(frozen=True)
class Variable:
    """A PipelineVariable of a pipeline."""

    name: str
    sequence: int
    type: str
    value: str
    is_secret: bool
    description: str
    is_runtime: bool
    limits: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One CodeArts stage (one engine stage): its single job and step, and how it waits (``review``/``checkpoint``/None)."""

    index: int
    name: str
    job_name: str
    step_name: str
    task: str
    waits: str | None
    checkpoint_name: str
    message: str
    business_type: str


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """A CodeArts pipeline backed by an engine spec."""

    spec: PipelineSpec
    id: str
    name: str
    stages: tuple[Stage, ...]
    variables: tuple[Variable, ...]
    git_url: str
    default_branch: str

    def variable(self, name: str) -> Variable | None:
        """Variable by name."""
        return next((v for v in self.variables if v.name == name), None)


@dataclasses.dataclass(frozen=True)
class Config:
    """The parsed ``codearts:`` section."""

    credentials: tuple[Credential, ...]
    users: tuple[User, ...]
    project_id: str
    iam_project_id: str
    project_name: str
    region: str
    domain_id: str
    throttle: tuple[int, float] | None
    wait_status: str
    token_ttl: float

    def credential(self, ak: str) -> Credential | None:
        """The credentials with this AK."""
        return next((c for c in self.credentials if c.ak == ak), None)

    def user(self, name: str | None) -> User | None:
        """IAM user by name."""
        return next((u for u in self.users if u.name == name), None)


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Config and pipelines of one scenario (rebuilt on load)."""

    config: Config
    pipelines: tuple[Pipeline, ...]

    def pipeline(self, pipeline_id: str) -> Pipeline | None:
        """Pipeline by id."""
        return next((p for p in self.pipelines if p.id == pipeline_id), None)

    def for_spec(self, spec: PipelineSpec) -> Pipeline:
        """The pipeline of an engine spec."""
        return next(p for p in self.pipelines if p.spec.name == spec.name)


def _text(raw: t.Mapping[str, t.Any], key: str, default: str, where: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ScenarioError('%s.%s must be a non-empty string, got %r' % (where, key, value))
    return value


def _project_id(raw: t.Mapping[str, t.Any], key: str, default: str) -> str:
    value = _text(raw, key, default, 'codearts')
    if not _ID.fullmatch(value):
        raise ScenarioError('codearts.%s must be 32 letters/digits, got %r' % (key, value))
    return value


def _credentials(raw: t.Any) -> tuple[Credential, ...]:
    items = raw if raw is not None else [{'ak': DEFAULT_AK, 'sk': DEFAULT_SK}]
    if not isinstance(items, list):
        raise ScenarioError('codearts.credentials must be a list')
    out = []
    for index, item in enumerate(items):
        where = 'codearts.credentials[%d]' % index
        if not isinstance(item, dict):
            raise ScenarioError('%s must be a mapping {ak, sk, security_token?, user?}' % where)
        token = item.get('security_token')
        if token is not None and (not isinstance(token, str) or not token):
            raise ScenarioError('%s.security_token must be a non-empty string' % where)
        out.append(Credential(ak=_text(item, 'ak', '', where), sk=_text(item, 'sk', '', where),
                              user=_text(item, 'user', DEFAULT_USER, where), security_token=token))
    if len({c.ak for c in out}) != len(out):
        raise ScenarioError('codearts.credentials: AKs must be unique')
    return tuple(out)


def _users(raw: t.Any) -> tuple[User, ...]:
    items = raw if raw is not None else [{'name': DEFAULT_USER, 'password': DEFAULT_PASSWORD, 'domain': DEFAULT_DOMAIN}]
    if not isinstance(items, list):
        raise ScenarioError('codearts.users must be a list')
    out = []
    for index, item in enumerate(items):
        where = 'codearts.users[%d]' % index
        if not isinstance(item, dict):
            raise ScenarioError('%s must be a mapping {name, password, domain}' % where)
        out.append(User(name=_text(item, 'name', '', where), password=_text(item, 'password', '', where),
                        domain=_text(item, 'domain', DEFAULT_DOMAIN, where)))
    if len({u.name for u in out}) != len(out):
        raise ScenarioError('codearts.users: names must be unique')
    return tuple(out)


def _config(raw: t.Mapping[str, t.Any]) -> Config:
    unknown = sorted(str(k) for k in raw if k not in _SECTION_KEYS)
    if unknown:
        raise ScenarioError('codearts: unknown key(s) %s (allowed: %s)' % (', '.join(unknown), ', '.join(sorted(_SECTION_KEYS))))
    throttle = raw.get('throttle')
    limit: tuple[int, float] | None = None
    if throttle is not None:
        count, window = (throttle.get('limit'), throttle.get('window', 60)) if isinstance(throttle, dict) else (None, None)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1 or isinstance(window, bool) \
                or not isinstance(window, (int, float)) or window <= 0:
            raise ScenarioError('codearts.throttle must be null or {limit: N >= 1, window: seconds > 0 (default 60)}')
        limit = (count, float(window))
    wait_status = raw.get('wait_status', 'RUNNING')
    if wait_status not in WAIT_STATUSES:
        raise ScenarioError('codearts.wait_status must be one of %s, got %r' % (', '.join(WAIT_STATUSES), wait_status))
    ttl = raw.get('token_ttl', 86400)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0:
        raise ScenarioError('codearts.token_ttl must be a number of seconds > 0')
    users = _users(raw.get('users'))
    credentials = _credentials(raw.get('credentials'))
    domain = users[0].domain if users else DEFAULT_DOMAIN
    return Config(credentials=credentials, users=users, project_id=_project_id(raw, 'project_id', DEFAULT_PROJECT_ID),
                  iam_project_id=_project_id(raw, 'iam_project_id', DEFAULT_IAM_PROJECT_ID),
                  project_name=_text(raw, 'project_name', 'shop', 'codearts'), region=_text(raw, 'region', DEFAULT_REGION, 'codearts'),
                  domain_id=_text(raw, 'domain_id', hex32('domain', domain), 'codearts'), throttle=limit,
                  wait_status=str(wait_status), token_ttl=float(ttl))


def _variables(params: tuple[ParameterSpec, ...], raw: t.Sequence[t.Any], where: str) -> tuple[Variable, ...]:
    out = []
    for number, param in enumerate(params):
        item = raw[number] if number < len(raw) and isinstance(raw[number], dict) else {}
        runtime = item.get('runtime', True)
        if not isinstance(runtime, bool):
            raise ScenarioError('%s.parameters[%d].runtime must be true or false' % (where, number))
        if not re.fullmatch(r'[A-Za-z0-9_]{1,128}', param.name):
            raise ScenarioError('%s: variable names are letters, digits and _ (at most 128), got %r' % (where, param.name))
        if param.type == 'choice':
            kind, limits, value = 'enum', param.choices, str(param.default)
        elif param.type == 'boolean':
            kind, limits, value = 'enum', ('true', 'false'), 'true' if param.default else 'false'
        else:
            kind, limits, value = 'string', (), str(param.default)
        out.append(Variable(name=param.name, sequence=number + 1, type=kind, value=value, is_secret=param.secret,
                            description=param.description or '', is_runtime=runtime, limits=tuple(limits)))
    return tuple(out)


def _stage(index: int, stage: StageSpec, where: str) -> Stage:
    gate = stage.gate
    checkpoint = stage.extra.get('checkpoint', False)
    if not isinstance(checkpoint, bool):
        raise ScenarioError('%s.checkpoint must be true or false' % where)
    if gate is not None and gate.extra.get('checkpoint') is not None:
        checkpoint = bool(gate.extra.get('checkpoint'))
    waits: str | None = None
    if gate is not None:
        waits = 'checkpoint' if checkpoint or gate.kind in ('input', 'variables') else 'review'
    elif checkpoint:
        raise ScenarioError('%s: checkpoint: true needs a gate (its message)' % where)
    task = stage.extra.get('task') or (REVIEW_TASK if waits == 'review' else SHELL_TASK)
    job = stage.extra.get('job') or stage.name
    if not isinstance(task, str) or not isinstance(job, str):
        raise ScenarioError('%s: task and job must be strings' % where)
    return Stage(index=index, name=stage.name, job_name=job, step_name=str(stage.extra.get('step') or ('ManualReview' if waits == 'review' else job)),
                 task=task, waits=waits, checkpoint_name=str((gate.id if gate is not None else None) or 'Manual checkpoint'),
                 message='' if gate is None else gate.message, business_type='Normal' if waits == 'review' else 'Build')


def parse_catalog(scenario: Scenario) -> Catalog:
    """Validate the CodeArts part of a scenario and build its catalog (ScenarioError on a mistake)."""
    config = _config(scenario.vendor_config(VENDOR))
    raw_by_name = {str(p.get('name', '')): p for p in (scenario.source.get('pipelines') or []) if isinstance(p, dict) and p.get('vendor') == VENDOR}
    pipelines = []
    for spec in (p for p in scenario.pipelines if p.vendor == VENDOR):
        where = 'codearts pipeline %r' % spec.name
        given = spec.extra.get('id')
        if given is not None and (not isinstance(given, str) or not _ID.fullmatch(given)):
            raise ScenarioError('%s: id must be 32 letters/digits' % where)
        raw = raw_by_name.get(spec.name, {})
        source = spec.extra.get('source') or {}
        if not isinstance(source, dict):
            raise ScenarioError('%s.source must be a mapping {git_url, default_branch}' % where)
        slug = re.sub(r'[^a-z0-9]+', '-', spec.name.lower()).strip('-')
        pipelines.append(Pipeline(spec=spec, id=given or hex32('pipeline', config.project_id, spec.name), name=spec.name,
                                  stages=tuple(_stage(i, s, '%s.stages[%d]' % (where, i)) for i, s in enumerate(spec.stages)),
                                  variables=_variables(spec.parameters, raw.get('parameters') or [], where),
                                  git_url=str(source.get('git_url') or 'https://codehub.example.com/%s/%s.git' % (config.project_name, slug)),
                                  default_branch=str(source.get('default_branch') or 'master')))
    if len({p.id for p in pipelines}) != len(pipelines):
        raise ScenarioError('codearts pipelines: ids must be unique')
    return Catalog(config=config, pipelines=tuple(pipelines))
