# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The six modules' documentation: parseable, consistent with each other and with the code.

DOCUMENTATION (with its doc fragments) must describe exactly the argument spec the module builds, every
module must document the same `execution` record, examples must use FQCNs, and no module's code may
name a vendor (DESIGN section 1).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import re
import typing as t

import pytest
import yaml

from ansible_collections.cicd.pipelines.plugins.module_utils import _module
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Execution

COLLECTION = pathlib.Path(__file__).resolve().parents[4]
MODULES = ('pipeline_start', 'pipeline_info', 'pipeline_input', 'pipeline_resume', 'pipeline_retry', 'pipeline_cancel')
RECORD_KEYS = ('vendor', 'pipeline', 'id', 'number', 'status', 'vendor_status', 'terminal', 'url', 'started_at',
               'finished_at', 'duration', 'stages', 'pending_inputs', 'parameters', 'idempotency_key',
               'previous_id', 'scope', 'log_tail', 'raw')
# Task keywords that may sit next to the module name in an example task.
TASK_KEYWORDS = {'name', 'register', 'when', 'loop', 'loop_control', 'vars', 'module_defaults', 'block', 'rescue',
                 'always', 'until', 'retries', 'delay', 'changed_when', 'failed_when', 'check_mode', 'diff',
                 'ignore_errors', 'no_log', 'tags', 'delegate_to', 'environment', 'become', 'run_once', 'notify',
                 'async', 'poll', 'throttle', 'timeout', 'any_errors_fatal'}


def load(name: str) -> t.Any:
    return importlib.import_module('ansible_collections.cicd.pipelines.plugins.modules.%s' % name)


def docs(name: str) -> t.Dict[str, t.Any]:
    module = load(name)
    return {'DOCUMENTATION': yaml.safe_load(module.DOCUMENTATION), 'EXAMPLES': yaml.safe_load(module.EXAMPLES),
            'RETURN': yaml.safe_load(module.RETURN)}


def fragment(reference: str) -> t.Optional[t.Dict[str, t.Any]]:
    """The parsed doc fragment `cicd.pipelines.NAME[.VARIANT]`; None for ansible.builtin ones (attributes only)."""
    if not reference.startswith('cicd.pipelines.'):
        assert reference == 'ansible.builtin.action_common_attributes', reference
        return None
    name, variant = reference[len('cicd.pipelines.'):].partition('.')[::2]
    module = importlib.import_module('ansible_collections.cicd.pipelines.plugins.doc_fragments.%s' % name)
    return yaml.safe_load(getattr(module.ModuleDocFragment, (variant or 'documentation').upper()))


def documented_options(name: str) -> t.Dict[str, t.Dict[str, t.Any]]:
    """The module's options with its fragments merged the way ansible-core does (the module's keys win)."""
    doc = docs(name)['DOCUMENTATION']
    options = {k: dict(v) for k, v in (doc.get('options') or {}).items()}
    for reference in doc.get('extends_documentation_fragment', []):
        parsed = fragment(reference)
        for option, spec in ((parsed or {}).get('options') or {}).items():
            options[option] = dict(spec, **options.get(option, {}))
    return options


class _Captured(Exception):
    pass


def argument_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> t.Tuple[t.Dict[str, t.Any], t.Dict[str, t.Any]]:
    """The argument spec (and AnsibleModule keyword arguments) the module really builds."""
    seen: t.Dict[str, t.Any] = {}

    def capture(argument_spec: t.Dict[str, t.Any], **kwargs: t.Any) -> None:
        seen.update(spec=argument_spec, kwargs=kwargs)
        raise _Captured()

    monkeypatch.setattr(_module, 'AnsibleModule', capture)
    with pytest.raises(_Captured):
        load(name).main()
    return seen['spec'], seen['kwargs']


def code_part(name: str) -> str:
    """The module file below its RETURN string: the code."""
    path = COLLECTION / 'plugins' / 'modules' / ('%s.py' % name)
    source = path.read_text(encoding='utf-8')
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', None) == 'RETURN')
    return '\n'.join(source.splitlines()[node.end_lineno:])


def tasks(items: t.Any) -> t.Iterator[t.Dict[str, t.Any]]:
    for task in items or []:
        assert isinstance(task, dict), task
        yield task
        for section in ('block', 'rescue', 'always'):
            yield from tasks(task.get(section))


@pytest.mark.parametrize('name', MODULES)
def test_documentation_parses_and_names_the_module(name):
    doc = docs(name)['DOCUMENTATION']

    assert doc['module'] == name
    assert doc['short_description'] and doc['description'] and doc['author']
    assert doc['version_added'] == '0.1.0'
    for reference in doc['extends_documentation_fragment']:
        fragment(reference)  # exists


@pytest.mark.parametrize('name', MODULES)
def test_documented_options_are_the_argument_spec(name, monkeypatch):
    spec, kwargs = argument_spec(name, monkeypatch)
    documented = documented_options(name)

    assert sorted(documented) == sorted(spec)
    for option, real in spec.items():
        doc = documented[option]
        assert doc.get('type', 'str') == real.get('type', 'str'), option
        assert doc.get('required', False) == real.get('required', False), option
        assert doc.get('default') == real.get('default'), option
        assert doc.get('choices') == real.get('choices'), option
        assert doc.get('elements') == real.get('elements'), option
        assert doc.get('description'), option
    assert kwargs['supports_check_mode'] is True


@pytest.mark.parametrize('name', MODULES)
def test_check_and_diff_mode_attributes(name):
    references = docs(name)['DOCUMENTATION']['extends_documentation_fragment']

    assert 'cicd.pipelines.attributes' in references
    expected = 'cicd.pipelines.attributes.read_only' if name == 'pipeline_info' else 'cicd.pipelines.attributes.changes'
    assert expected in references


def test_the_execution_record_is_documented_identically_by_every_module():
    blocks = {name: docs(name)['RETURN']['execution'] for name in MODULES}

    first = blocks[MODULES[0]]
    for name, block in blocks.items():
        assert block == first, '%s documents execution differently from %s' % (name, MODULES[0])


@pytest.mark.parametrize('name', MODULES)
def test_every_record_key_is_documented(name):
    contains = docs(name)['RETURN']['execution']['contains']
    rendered = Execution(vendor='v', pipeline='p').to_result(include_raw=True)

    assert set(RECORD_KEYS) == set(rendered), 'the list here is out of date with _model.Execution'
    assert sorted(contains) == sorted(RECORD_KEYS)
    for key, entry in contains.items():
        assert entry.get('description') and entry.get('type'), key


@pytest.mark.parametrize('name', MODULES)
def test_status_choices_are_the_normalised_statuses(name):
    from ansible_collections.cicd.pipelines.plugins.module_utils._model import STATUS_NAMES

    contains = docs(name)['RETURN']['execution']['contains']
    assert contains['status']['choices'] == list(STATUS_NAMES)


@pytest.mark.parametrize('name', MODULES)
def test_wait_results_are_documented(name):
    returned = docs(name)['RETURN']

    assert {'execution', 'elapsed', 'timed_out', 'polls', 'detection_lag'} <= set(returned)


@pytest.mark.parametrize('name', MODULES)
def test_examples_parse_and_use_fully_qualified_names(name):
    examples = docs(name)['EXAMPLES']

    used = []
    for task in tasks(examples):
        actions = [k for k in task if k not in TASK_KEYWORDS]
        if 'block' in task:
            assert actions == [], task
            continue
        assert len(actions) == 1, task
        used.append(actions[0])
        assert task.get('name'), 'example tasks are named: %s' % task
    assert used, 'no example tasks'
    assert all(re.match(r'^cicd\.pipelines\.pipeline_[a-z]+$', action) for action in used), used
    assert all(action.split('.')[-1] in MODULES for action in used), used
    assert 'cicd.pipelines.%s' % name in used


@pytest.mark.parametrize('name', MODULES)
def test_module_code_and_return_docs_never_name_a_vendor(name):
    """Vendor knowledge lives in backends and docs/<vendor>.md: adding a vendor never touches a module."""
    code = code_part(name)
    module = load(name)
    for part, text in (('RETURN', module.RETURN), ('DOCUMENTATION', module.DOCUMENTATION)):
        for vendor in ('jenkins', 'harness', 'buddy', 'codearts'):
            assert vendor not in text.lower(), '%s names the vendor %s in its %s' % (name, vendor, part)

    assert code.strip(), 'no code found below RETURN'
    for vendor in ('jenkins', 'harness', 'buddy', 'codearts'):
        assert vendor not in code.lower(), '%s names the vendor %s in its code' % (name, vendor)


def test_the_action_group_lists_every_module():
    runtime = yaml.safe_load((COLLECTION / 'meta' / 'runtime.yml').read_text(encoding='utf-8'))

    assert runtime['action_groups']['pipelines'] == sorted(MODULES)
    attributes = fragment('cicd.pipelines.attributes')
    assert attributes['attributes']['action_group']['membership'] == ['cicd.pipelines.pipelines']
