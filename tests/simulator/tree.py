"""Jenkins data-API shaping: ``tree=`` filters and ``depth=``.

Builders produce plain dicts/lists in which nested *references* to other model objects are
:class:`Lazy` nodes: rendered as their small depth-0 form (e.g. ``{_class, number, url}``)
unless ``depth`` or ``tree`` reaches into them, in which case the full object is built.
:class:`Hidden` marks properties Jenkins exports only on request (``visibility < 0``, e.g.
``allBuilds``): dropped by ``depth`` rendering, served when ``tree`` names them.

``tree`` grammar (Stapler's ``NamedPathPruner``)::

    tree  := item (',' item)*
    item  := name ('[' tree ']')? range?
    range := '{' N '}' | '{' M ',' N '}' | '{' M ',' '}' | '{' ',' N '}'

A named property without ``[...]`` whose value is an object keeps only that object's
``_class``. ``_class`` is always kept. Ranges slice lists (``{M,N}`` = items M..N-1).
"""
from __future__ import annotations

import typing as t


class Lazy:
    """A nested model object: ``shallow`` at depth 0, ``full()`` when asked for more."""

    __slots__ = ('shallow', '_full')

    def __init__(self, shallow: dict[str, t.Any], full: t.Callable[[], t.Any]) -> None:
        self.shallow = shallow
        self._full = full

    def full(self) -> t.Any:
        """Build the complete object."""
        return self._full()


class Hidden:
    """A property served only when ``tree`` names it."""

    __slots__ = ('value',)

    def __init__(self, value: t.Any) -> None:
        self.value = value


class TreeError(ValueError):
    """Malformed ``tree`` expression (Jenkins answers such requests with HTTP 500)."""


Spec = t.Dict[str, t.Tuple[t.Optional['Spec'], t.Optional[t.Tuple[t.Optional[int], t.Optional[int]]]]]


def parse_tree(text: str) -> Spec:
    """Parse a ``tree`` expression into ``{name: (subspec or None, (start, stop) or None)}``."""
    spec, pos = _parse_list(text, 0)
    if pos != len(text):
        raise TreeError('unexpected %r at %d in tree=%s' % (text[pos], pos, text))
    return spec


def _parse_list(text: str, pos: int) -> tuple[Spec, int]:
    spec: Spec = {}
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ',[]{}':
            pos += 1
        name = text[start:pos].strip()
        sub: Spec | None = None
        rng: tuple[int | None, int | None] | None = None
        if pos < len(text) and text[pos] == '[':
            sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ']':
                raise TreeError('missing ] in tree=%s' % text)
            pos += 1
        if pos < len(text) and text[pos] == '{':
            end = text.find('}', pos)
            if end < 0:
                raise TreeError('missing } in tree=%s' % text)
            rng = _parse_range(text[pos + 1:end], text)
            pos = end + 1
        if name:
            spec[name] = (sub, rng)
        if pos < len(text) and text[pos] == ',':
            pos += 1
            continue
        return spec, pos


def _parse_range(body: str, text: str) -> tuple[int | None, int | None]:
    try:
        if ',' not in body:
            index = int(body)
            return index, index + 1
        low, high = body.split(',', 1)
        return (int(low) if low.strip() else None, int(high) if high.strip() else None)
    except ValueError as exc:
        raise TreeError('bad range {%s} in tree=%s' % (body, text)) from exc


def render(data: t.Any, tree: str | None = None, depth: int = 0) -> t.Any:
    """Shape model data for output: ``tree`` wins over ``depth`` (as in Stapler)."""
    if tree:
        return _prune(data, parse_tree(tree))
    return _by_depth(data, depth)


def _by_depth(value: t.Any, depth: int) -> t.Any:
    if isinstance(value, Lazy):
        return _by_depth(value.full(), depth - 1) if depth > 0 else _by_depth(value.shallow, 0)
    if isinstance(value, dict):
        return {k: _by_depth(v, depth) for k, v in value.items() if not isinstance(v, Hidden)}
    if isinstance(value, list):
        return [_by_depth(v, depth) for v in value]
    return value


def _resolve(value: t.Any) -> t.Any:
    while isinstance(value, (Lazy, Hidden)):
        value = value.full() if isinstance(value, Lazy) else value.value
    return value


def _prune(value: t.Any, spec: Spec | None) -> t.Any:
    value = _resolve(value)
    if isinstance(value, list):
        return [_prune(v, spec) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, t.Any] = {}
    if '_class' in value:
        out['_class'] = value['_class']
    for name, child in value.items():
        if spec is None or name not in spec or name == '_class':
            continue
        sub, rng = spec[name]
        child = _resolve(child)
        if rng is not None and isinstance(child, list):
            child = child[rng[0]:rng[1]]
        out[name] = _prune(child, sub if sub is not None else None) if sub is not None else _leaf(child)
    return out


def _leaf(value: t.Any) -> t.Any:
    """A property named without ``[...]``: primitives as-is, objects reduced to ``_class``."""
    value = _resolve(value)
    if isinstance(value, list):
        return [_leaf(v) for v in value]
    if isinstance(value, dict):
        return {'_class': value['_class']} if '_class' in value else {}
    return value
