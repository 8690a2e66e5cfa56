"""Jenkins ``tree=`` / ``depth=`` shaping."""
from __future__ import annotations

import pytest

from ansible_collections.cicd.pipelines.tests.simulator.tree import Hidden, Lazy, TreeError, parse_tree, render


def build(number):
    """A build reference like the Jenkins model produces."""
    full = {'_class': 'Run', 'number': number, 'result': 'SUCCESS', 'actions': [{'_class': 'CauseAction', 'causes': [{'shortDescription': 'x'}]}],
            'next': None}
    return Lazy({'_class': 'Run', 'number': number, 'url': 'u/%d/' % number}, lambda: full)


DATA = {'_class': 'Job', 'name': 'j', 'builds': [build(n) for n in (5, 4, 3, 2, 1)], 'lastBuild': build(5),
        'property': [{'_class': 'P', 'choices': ['a', 'b']}], 'allBuilds': Hidden([build(1)])}


def test_parse_nested_and_ranges():
    spec = parse_tree('name,builds[number,actions[causes[shortDescription]]]{1,3},lastBuild')
    assert set(spec) == {'name', 'builds', 'lastBuild'}
    assert spec['builds'][1] == (1, 3)
    assert 'actions' in spec['builds'][0]
    assert parse_tree('jobs{2}')['jobs'] == (None, (2, 3))
    assert parse_tree('jobs[name]{,2}')['jobs'][1] == (None, 2)
    assert parse_tree('jobs[name]{3,}')['jobs'][1] == (3, None)


@pytest.mark.parametrize('bad', ['builds[number', 'builds{1,x}', 'a]b'])
def test_parse_errors(bad):
    with pytest.raises(TreeError):
        parse_tree(bad)


def test_depth_zero_uses_shallow_refs_and_drops_hidden():
    out = render(DATA)
    assert out['builds'][0] == {'_class': 'Run', 'number': 5, 'url': 'u/5/'}
    assert 'allBuilds' not in out


def test_depth_one_expands_refs():
    out = render(DATA, depth=1)
    assert out['lastBuild']['result'] == 'SUCCESS'
    assert out['builds'][4]['actions'][0]['causes'] == [{'shortDescription': 'x'}]


def test_tree_selects_fields_keeps_class_and_slices():
    out = render(DATA, tree='builds[number,result,actions[causes[shortDescription]]]{0,2}')
    assert out == {'_class': 'Job', 'builds': [
        {'_class': 'Run', 'number': 5, 'result': 'SUCCESS', 'actions': [{'_class': 'CauseAction', 'causes': [{'shortDescription': 'x'}]}]},
        {'_class': 'Run', 'number': 4, 'result': 'SUCCESS', 'actions': [{'_class': 'CauseAction', 'causes': [{'shortDescription': 'x'}]}]}]}


def test_tree_object_without_subtree_keeps_only_class_and_lists_of_primitives():
    out = render(DATA, tree='lastBuild,property[choices],name')
    assert out == {'_class': 'Job', 'name': 'j', 'lastBuild': {'_class': 'Run'}, 'property': [{'_class': 'P', 'choices': ['a', 'b']}]}


def test_tree_reaches_hidden_and_open_ranges():
    assert render(DATA, tree='allBuilds[number]') == {'_class': 'Job', 'allBuilds': [{'_class': 'Run', 'number': 1}]}
    assert [b['number'] for b in render(DATA, tree='builds[number]{3,}')['builds']] == [2, 1]
    assert [b['number'] for b in render(DATA, tree='builds[number]{,1}')['builds']] == [5]
    assert [b['number'] for b in render(DATA, tree='builds[number]{2}')['builds']] == [3]
