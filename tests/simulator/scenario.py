"""Scenario model: what pipelines exist, how their stages behave, and vendor settings.

A scenario is a YAML (or JSON) mapping, documented in ``docs/simulator.md``::

    speed: 1.0
    jenkins: {users: [...], crumbs: true, root_url: null}
    pipelines:
      - {vendor: jenkins, name: team/app/deploy, parameters: [...], stages: [...], history: [...]}

The keys the engine understands are parsed into frozen dataclasses here; every other
top-level key is a vendor section handed untouched to that vendor's API module, and
unknown pipeline, stage and gate keys are kept in ``PipelineSpec.extra``, ``StageSpec.extra``
and ``GateSpec.extra`` for vendor modules (later vendors need e.g. a Buddy workspace, a
Harness application or an approval's approver group). Validation errors raise
:class:`ScenarioError` naming the offending item, so a bad scenario fails at load time
instead of at the first request.
"""
from __future__ import annotations

import dataclasses
import typing as t

import yaml

PARAMETER_TYPES = ('string', 'choice', 'boolean', 'password', 'text')
FAIL_RESULTS = ('FAILURE', 'UNSTABLE')
# approval: yes/no from a person; input: a person supplies typed values; variables: values to set
# before the run goes on (e.g. Buddy "pass arguments", Harness runtime inputs).
GATE_KINDS = ('approval', 'input', 'variables')
DEFAULT_LOG_LINES = 3
# Results a history entry may have (Jenkins Result names; the engine maps them to its states).
HISTORY_RESULTS = ('SUCCESS', 'FAILURE', 'UNSTABLE', 'ABORTED')
# A history entry without ``ago`` ends this many seconds before the next entry starts (the newest: before the load).
HISTORY_GAP = 60.0
# ``quiet_period`` when a pipeline gives none, per vendor (others: 0). Jenkins: Jenkins.getQuietPeriod()
# returns 5 unless configured, and a job without its own quiet period uses it (AbstractProject/WorkflowJob).
DEFAULT_QUIET_PERIOD = {'jenkins': 5.0}
_PIPELINE_KEYS = {'vendor', 'name', 'kind', 'declarative', 'disabled', 'concurrent', 'max_concurrent', 'quiet_period',
                  'parameters', 'stages', 'description', 'history'}
_HISTORY_KEYS = {'result', 'duration', 'ago', 'parameters', 'stage'}
_STAGE_KEYS = {'name', 'duration', 'fail_times', 'fail_result', 'gate', 'log_lines'}
_GATE_KEYS = {'kind', 'message', 'id', 'ok', 'parameters', 'timeout', 'submitter'}


class ScenarioError(ValueError):
    """A scenario document is malformed; the message names the offending item."""


@dataclasses.dataclass(frozen=True)
class ParameterSpec:
    """A typed input of a pipeline or of a gate. ``default`` is already normalised to the type."""

    name: str
    type: str = 'string'
    default: t.Any = ''
    choices: tuple[str, ...] = ()
    description: str | None = None

    @property
    def secret(self) -> bool:
        """Whether values of this parameter must never be echoed (request log, API output)."""
        return self.type == 'password'

    def coerce(self, value: t.Any) -> t.Any:
        """Convert a submitted value (often a string from a form) to this parameter's type."""
        if self.type == 'boolean':
            if isinstance(value, bool):
                return value
            # Boolean.parseBoolean, as Jenkins' BooleanParameterDefinition: only "true" (any case) is true.
            return str(value).strip().lower() == 'true'
        return '' if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class GateSpec:
    """A point where a run waits for a person (Jenkins ``input``, Harness approval, ...).

    ``kind`` is one of :data:`GATE_KINDS` (default: ``input`` with parameters, else
    ``approval``); the engine treats every kind alike, vendor modules render them.
    ``extra`` holds the gate keys the engine does not know, for vendor modules.
    """

    message: str
    id: str | None = None
    ok: str = 'Proceed'
    parameters: tuple[ParameterSpec, ...] = ()
    timeout: float | None = None
    submitter: str | None = None
    kind: str = 'approval'
    extra: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class StageSpec:
    """One stage: runs ``duration`` simulated seconds, optionally after a gate is answered.

    ``fail_times``: the first N completions of this stage (counted per pipeline and stage,
    across runs, reset by ``/_sim/reset``) end with ``fail_result`` instead of success.
    ``log_lines``: how many lines of output the stage's work prints (vendor logs).
    ``extra`` holds the stage keys the engine does not know, for vendor modules.
    """

    name: str
    duration: float = 0.0
    fail_times: int = 0
    fail_result: str = 'FAILURE'
    gate: GateSpec | None = None
    log_lines: int = DEFAULT_LOG_LINES
    extra: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class HistorySpec:
    """A run the pipeline has already finished when the scenario is loaded or reset.

    ``result`` is one of :data:`HISTORY_RESULTS`. The run ended ``ago`` (> 0) seconds before the
    load/reset and took ``duration`` seconds. ``stage`` is the index of the stage that failed
    (FAILURE), was unstable (UNSTABLE) or was aborted (ABORTED); None for SUCCESS and for a
    pipeline without stages. ``parameters`` holds a value for every pipeline parameter (defaults
    filled in, values coerced to the parameter types), as a normal submission would.
    """

    result: str
    duration: float
    ago: float
    parameters: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)
    stage: int | None = None


@dataclasses.dataclass(frozen=True)
class PipelineSpec:
    """A pipeline (Jenkins job) of one vendor.

    ``max_concurrent``: at most that many executions run (or wait at a gate) at once; the
    rest stay queued and start in submission order. None = no limit. ``concurrent: false``
    is the same as ``max_concurrent: 1`` (both are normalised to agree).
    ``history``: runs that have already finished when the scenario is loaded or reset, oldest
    first (their start times never decrease in list order).
    ``quiet_period``: seconds a new execution waits before it may start; a scenario that gives
    none gets :data:`DEFAULT_QUIET_PERIOD` of the vendor (5 for Jenkins, else 0).
    """

    vendor: str
    name: str
    kind: str = 'pipeline'
    declarative: bool = False
    disabled: bool = False
    concurrent: bool = True
    max_concurrent: int | None = None
    quiet_period: float = 0.0
    description: str | None = None
    parameters: tuple[ParameterSpec, ...] = ()
    stages: tuple[StageSpec, ...] = ()
    history: tuple[HistorySpec, ...] = ()
    extra: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)

    @property
    def concurrency_limit(self) -> int | None:
        """How many executions may be active at once (None = unlimited)."""
        return 1 if not self.concurrent else self.max_concurrent

    def parameter(self, name: str) -> ParameterSpec | None:
        """The parameter definition called ``name``, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    def stage_index(self, name: str) -> int | None:
        """Index of the stage called ``name``, if any."""
        return next((i for i, s in enumerate(self.stages) if s.name == name), None)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A parsed scenario. ``source`` is the mapping it was parsed from (for ``GET /_sim/scenario``)."""

    speed: float = 1.0
    pipelines: tuple[PipelineSpec, ...] = ()
    vendors: t.Mapping[str, t.Mapping[str, t.Any]] = dataclasses.field(default_factory=dict)
    source: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)

    def vendor_config(self, vendor: str) -> t.Mapping[str, t.Any]:
        """The vendor's own top-level section (``{}`` when absent)."""
        return self.vendors.get(vendor) or {}


def _num(value: t.Any, what: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ScenarioError('%s must be a number >= %s, got %r' % (what, minimum, value))
    return float(value)


def _str(value: t.Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError('%s must be a non-empty string, got %r' % (what, value))
    return value


def _mapping(value: t.Any, what: str) -> t.Mapping[str, t.Any]:
    if not isinstance(value, dict):
        raise ScenarioError('%s must be a mapping, got %r' % (what, value))
    return value


def _list(value: t.Any, what: str) -> list[t.Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError('%s must be a list, got %r' % (what, value))
    return value


def parse_parameter(raw: t.Any, where: str) -> ParameterSpec:
    """Parse one parameter definition (pipeline or gate)."""
    raw = _mapping(raw, where)
    name = _str(raw.get('name'), where + '.name')
    where = '%s %r' % (where, name)
    ptype = raw.get('type', 'string')
    if ptype not in PARAMETER_TYPES:
        raise ScenarioError('%s: type must be one of %s, got %r' % (where, ', '.join(PARAMETER_TYPES), ptype))
    choices = tuple(str(c) for c in _list(raw.get('choices'), where + '.choices'))
    if ptype == 'choice':
        if not choices:
            raise ScenarioError('%s: a choice parameter needs choices' % where)
        # Jenkins' ChoiceParameterDefinition has no separate default: the first choice is it.
        default: t.Any = choices[0]
    elif ptype == 'boolean':
        default = bool(raw.get('default', False))
    else:
        default = '' if raw.get('default') is None else str(raw.get('default'))
    description = raw.get('description')
    return ParameterSpec(name=name, type=ptype, default=default, choices=choices,
                         description=None if description is None else str(description))


def _int(value: t.Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError('%s must be an integer >= %d, got %r' % (what, minimum, value))
    return value


def _parse_gate(raw: t.Any, where: str) -> GateSpec:
    raw = _mapping(raw, where)
    message = _str(raw.get('message'), where + '.message')
    params = tuple(parse_parameter(p, '%s.parameters[%d]' % (where, i)) for i, p in enumerate(_list(raw.get('parameters'), where)))
    kind = raw.get('kind', 'input' if params else 'approval')
    if kind not in GATE_KINDS:
        raise ScenarioError('%s.kind must be one of %s, got %r' % (where, ', '.join(GATE_KINDS), kind))
    timeout = raw.get('timeout')
    gate_id = raw.get('id')
    return GateSpec(message=message, id=None if gate_id in (None, '') else str(gate_id), ok=str(raw.get('ok') or 'Proceed'),
                    parameters=params, timeout=None if timeout is None else _num(timeout, where + '.timeout'),
                    submitter=raw.get('submitter'), kind=kind, extra={k: v for k, v in raw.items() if k not in _GATE_KEYS})


def _parse_stage(raw: t.Any, where: str) -> StageSpec:
    raw = _mapping(raw, where)
    name = _str(raw.get('name'), where + '.name')
    where = '%s %r' % (where, name)
    fail_result = str(raw.get('fail_result', 'FAILURE')).upper()
    if fail_result not in FAIL_RESULTS:
        raise ScenarioError('%s: fail_result must be FAILURE or UNSTABLE' % where)
    fail_times = raw.get('fail_times', 0)
    if isinstance(fail_times, bool) or not isinstance(fail_times, int) or fail_times < 0:
        raise ScenarioError('%s: fail_times must be an integer >= 0' % where)
    gate = _parse_gate(raw['gate'], where + '.gate') if raw.get('gate') is not None else None
    return StageSpec(name=name, duration=_num(raw.get('duration', 0), where + '.duration'), fail_times=fail_times,
                     fail_result=fail_result, gate=gate, log_lines=_int(raw.get('log_lines', DEFAULT_LOG_LINES), where + '.log_lines'),
                     extra={k: v for k, v in raw.items() if k not in _STAGE_KEYS})


def _history_value(param: ParameterSpec, value: t.Any, where: str) -> t.Any:
    """A history parameter value coerced to the parameter's type (a choice must be one of the choices)."""
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise ScenarioError('%s must be a scalar, got %r' % (where, value))
    coerced = param.coerce(value)
    if param.type == 'choice' and coerced not in param.choices:
        raise ScenarioError('%s must be one of %s, got %r' % (where, ', '.join(param.choices), value))
    return coerced


_HistoryItem = t.Tuple[str, float, t.Optional[float], t.Dict[str, t.Any], t.Optional[int]]


def _parse_history_item(raw: t.Any, here: str, params: tuple[ParameterSpec, ...], stages: tuple[StageSpec, ...]) -> _HistoryItem:
    """One history entry as (result, duration, ago or None, parameter values, stage index or None)."""
    item = _mapping(raw, here)
    unknown = sorted(str(k) for k in item if k not in _HISTORY_KEYS)
    if unknown:
        raise ScenarioError('%s: unknown key(s) %s (allowed: %s)' % (here, ', '.join(unknown), ', '.join(sorted(_HISTORY_KEYS))))
    result = item.get('result')
    if result not in HISTORY_RESULTS:
        raise ScenarioError('%s.result must be one of %s, got %r' % (here, ', '.join(HISTORY_RESULTS), result))
    stage: int | None = None
    if item.get('stage') is not None:
        if result == 'SUCCESS':
            raise ScenarioError('%s.stage is only for FAILURE, UNSTABLE or ABORTED entries' % here)
        name = _str(item['stage'], here + '.stage')
        stage = next((i for i, s in enumerate(stages) if s.name == name), None)
        if stage is None:
            raise ScenarioError('%s.stage must name a stage of the pipeline, got %r' % (here, name))
    elif result != 'SUCCESS' and stages:
        stage = len(stages) - 1
    ran = stages if stage is None or result == 'UNSTABLE' else stages[:stage + 1]
    duration = float(sum(s.duration for s in ran)) if item.get('duration') is None else _num(item['duration'], here + '.duration')
    ago = item.get('ago')
    if ago is not None and (isinstance(ago, bool) or not isinstance(ago, (int, float)) or ago <= 0):
        raise ScenarioError('%s.ago must be a number > 0, got %r' % (here, ago))
    given = dict(_mapping(item.get('parameters') or {}, here + '.parameters'))
    values: dict[str, t.Any] = {}
    for param in params:
        if param.name in given:
            values[param.name] = _history_value(param, given.pop(param.name), '%s.parameters.%s' % (here, param.name))
        else:
            values[param.name] = param.default
    if given:
        raise ScenarioError('%s.parameters: no such parameter(s) %s' % (here, ', '.join(sorted(repr(k) for k in given))))
    return str(result), duration, None if ago is None else float(ago), values, stage


def _parse_history(raw: t.Any, where: str, params: tuple[ParameterSpec, ...], stages: tuple[StageSpec, ...]) -> tuple[HistorySpec, ...]:
    """Parse a pipeline's ``history`` list; ``where`` names the pipeline.

    Missing ``ago`` values are spread back from the load time, newest last: an entry without
    ``ago`` ends :data:`HISTORY_GAP` seconds before the next entry starts (the newest entry:
    before the load). Entries must be listed oldest first (start times never decrease).
    """
    parsed = [_parse_history_item(item, '%s.history[%d]' % (where, index), params, stages)
              for index, item in enumerate(_list(raw, where + '.history'))]
    out: list[HistorySpec] = []
    later_start = 0.0  # seconds before the load at which the next (newer) entry starts
    for index in range(len(parsed) - 1, -1, -1):
        result, duration, given_ago, values, stage = parsed[index]
        ago = later_start + HISTORY_GAP if given_ago is None else given_ago
        if out and ago + duration < later_start:
            raise ScenarioError('%s.history[%d] starts after history[%d]; list history oldest first (by start time)' % (where, index, index + 1))
        later_start = ago + duration
        out.append(HistorySpec(result=result, duration=duration, ago=ago, parameters=values, stage=stage))
    return tuple(reversed(out))


def _parse_pipeline(raw: t.Any, where: str) -> PipelineSpec:
    raw = _mapping(raw, where)
    vendor = _str(raw.get('vendor'), where + '.vendor')
    name = _str(raw.get('name'), where + '.name').strip('/')
    where = '%s %r' % (where, name)
    params = tuple(parse_parameter(p, '%s.parameters[%d]' % (where, i)) for i, p in enumerate(_list(raw.get('parameters'), where)))
    if len({p.name for p in params}) != len(params):
        raise ScenarioError('%s: parameter names must be unique' % where)
    stages = tuple(_parse_stage(s, '%s.stages[%d]' % (where, i)) for i, s in enumerate(_list(raw.get('stages'), where)))
    if len({s.name for s in stages}) != len(stages):
        raise ScenarioError('%s: stage names must be unique' % where)
    concurrent = bool(raw.get('concurrent', True))
    limit = None if raw.get('max_concurrent') is None else _int(raw['max_concurrent'], where + '.max_concurrent', 1)
    if not concurrent and limit not in (None, 1):
        raise ScenarioError('%s: concurrent: false means max_concurrent: 1, got max_concurrent: %d' % (where, t.cast(int, limit)))
    if limit == 1:
        concurrent = False  # one at a time is what "not concurrent" means (Jenkins: disableConcurrentBuilds)
    return PipelineSpec(
        vendor=vendor, name=name, kind=str(raw.get('kind', 'pipeline')), declarative=bool(raw.get('declarative', False)),
        disabled=bool(raw.get('disabled', False)), concurrent=concurrent, max_concurrent=1 if not concurrent else limit,
        quiet_period=_num(raw.get('quiet_period', DEFAULT_QUIET_PERIOD.get(vendor, 0.0)), where + '.quiet_period'),
        description=raw.get('description'), parameters=params, stages=stages,
        history=_parse_history(raw.get('history'), where, params, stages), extra={k: v for k, v in raw.items() if k not in _PIPELINE_KEYS})


def parse_scenario(data: t.Any) -> Scenario:
    """Build a :class:`Scenario` from a mapping (``None`` gives an empty scenario)."""
    data = _mapping(data if data is not None else {}, 'scenario')
    pipelines = tuple(_parse_pipeline(p, 'pipelines[%d]' % i) for i, p in enumerate(_list(data.get('pipelines'), 'pipelines')))
    seen: set[tuple[str, str]] = set()
    for spec in pipelines:
        if (spec.vendor, spec.name) in seen:
            raise ScenarioError('pipeline %r of vendor %s is defined twice' % (spec.name, spec.vendor))
        seen.add((spec.vendor, spec.name))
    vendors = {k: _mapping(v or {}, k) for k, v in data.items() if k not in ('speed', 'pipelines')}
    return Scenario(speed=_num(data.get('speed', 1.0), 'speed'), pipelines=pipelines, vendors=vendors, source=data)


def load_scenario_text(text: str | bytes) -> Scenario:
    """Parse scenario text; YAML is a superset of JSON so both are accepted."""
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError as exc:
        raise ScenarioError('scenario is not valid YAML/JSON: %s' % exc) from exc
    return parse_scenario(data)


def load_scenario_file(path: str) -> Scenario:
    """Read and parse a scenario file."""
    with open(path, 'rb') as handle:
        return load_scenario_text(handle.read())
