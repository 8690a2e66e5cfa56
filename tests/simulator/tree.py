"""Jenkins data-API shaping: ``tree=`` filters and ``depth=``.

Builders produce plain dicts/lists in which nested *references* to other model objects are
:class:`Lazy` nodes: rendered as their small depth-0 form (e.g. ``{_class, number, url}``)
unless ``depth`` or ``tree`` reaches into them, in which case the full object is built.
:class:`Hidden` marks properties Jenkins exports only on request (``visibility < 0``, e.g.
``allBuilds``): dropped by ``depth`` rendering, served when ``tree`` names them.

``tree`` grammar (Stapler's ``NamedPathPruner``, a recursive descent parser)::

    list  := node (',' node)*
    node  := NAME ('[' list ']')? ('{' range '}')?
    range := ',' N | N | N ',' | N ',' N            (N: digits only)

A NAME is everything up to the next ``,[]{}``: it is never trimmed, so ``jobs, name`` asks
for a property called `` name``, which matches nothing. ``*`` matches every property not
named at the same level (also the ones exported only on request). An empty name anywhere
(``tree=``, ``a,,b``, ``a[]``, ``a,``) or an unclosed bracket is a syntax error: Stapler
throws ``IllegalArgumentException("expected name at 0")`` etc., which
``ResponseImpl.serveExposedBean`` wraps in ``ServletException("Malformed tree expression: ...")``
(HTTP 500). A named property without ``[...]`` whose value is an object keeps only that
object's ``_class``. ``_class`` is always kept. Ranges slice lists (``{M,N}`` = items M..N-1).
"""
from __future__ import annotations

import re
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
    """Malformed ``tree`` expression; the message is the IllegalArgumentException's (Jenkins answers HTTP 500)."""


Spec = t.Dict[str, t.Tuple[t.Optional['Spec'], t.Optional[t.Tuple[t.Optional[int], t.Optional[int]]]]]
_DELIMITERS = ',[]{}'
# Token names of NamedPathPruner.Token, as its error messages print them.
_TOKENS = {',': 'COMMA', '[': 'LBRACE', ']': 'RBRACE', '{': 'QLBRACE', '}': 'QRBRACE', '': 'EOF'}


class _Reader:
    """``NamedPathPruner.Reader``: tokens are one delimiter, the end, or the text up to the next delimiter."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        """(kind, text): kind is a delimiter, '' at the end, or 'name'."""
        if self.pos == len(self.text):
            return '', ''
        char = self.text[self.pos]
        if char in _DELIMITERS:
            return char, char
        end = self.pos
        while end < len(self.text) and self.text[end] not in _DELIMITERS:
            end += 1
        return 'name', self.text[self.pos:end]

    def advance(self, token: tuple[str, str]) -> None:
        """Move past ``token`` (as returned by :meth:`peek`)."""
        self.pos += max(len(token[1]), 1) if token[0] else 0

    def accept(self, kind: str) -> bool:
        """Consume the next token if it is ``kind``."""
        token = self.peek()
        if token[0] != kind:
            return False
        self.advance(token)
        return True

    def expect(self, kind: str) -> None:
        """Consume ``kind`` or fail as ``Reader.expect`` does."""
        if not self.accept(kind):
            raise TreeError('expected %s at %d' % (_TOKENS[kind], self.pos))

    def number(self) -> int:
        """``Reader.expectNumber``: digits only (no sign, no spaces)."""
        token = self.peek()
        if token[0] != 'name' or re.fullmatch('[0-9]+', token[1]) is None:
            raise TreeError('expected number at %d' % self.pos)
        self.advance(token)
        return int(token[1])


def parse_tree(text: str) -> Spec:
    """Parse a ``tree`` expression into ``{name: (subspec or None, (start, stop) or None)}`` (None: no ``[...]`` / no range)."""
    reader = _Reader(text)
    spec: Spec = {}
    _parse_list(reader, spec)
    reader.expect('')
    return spec


def _parse_list(reader: _Reader, spec: Spec) -> None:
    while True:
        token = reader.peek()
        if token[0] != 'name':
            raise TreeError('expected name at %d' % reader.pos)
        reader.advance(token)
        sub: Spec | None = None
        rng: tuple[int | None, int | None] | None = None
        if reader.accept('['):
            sub = {}
            _parse_list(reader, sub)
            reader.expect(']')
        if reader.accept('{'):
            rng = _parse_range(reader)
            reader.expect('}')
        spec[token[1]] = (sub, rng)  # a repeated name replaces the earlier one (TreeMap.put)
        if not reader.accept(','):
            return


def _parse_range(reader: _Reader) -> tuple[int | None, int | None]:
    """``NamedPathPruner.parseRange``: ``{,M}``, ``{N}``, ``{N,}``, ``{N,M}``."""
    if reader.accept(','):
        return None, reader.number()
    low = reader.number()
    if reader.peek()[0] == '}':
        return low, low + 1
    reader.expect(',')
    if reader.peek()[0] == '}':
        return low, None
    return low, reader.number()


def render(data: t.Any, tree: str | None = None, depth: int = 0) -> t.Any:
    """Shape model data for output: ``tree`` wins over ``depth`` (as in Stapler). An empty ``tree`` is
    a ``tree`` too (``tree != null`` in ``ResponseImpl.serveExposedBean``), and a malformed one."""
    if tree is not None:
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
        # NamedPathPruner.accept: the property's own name first, else the wildcard.
        found = None if spec is None or name == '_class' else spec.get(name, spec.get('*'))
        if found is None:
            continue
        sub, rng = found
        child = _resolve(child)
        if rng is not None and isinstance(child, list):
            child = child[rng[0]:rng[1]]
        out[name] = _prune(child, sub) if sub is not None else _leaf(child)
    return out


def _leaf(value: t.Any) -> t.Any:
    """A property named without ``[...]``: primitives as-is, objects reduced to ``_class``."""
    value = _resolve(value)
    if isinstance(value, list):
        return [_leaf(v) for v in value]
    if isinstance(value, dict):
        return {'_class': value['_class']} if '_class' in value else {}
    return value
