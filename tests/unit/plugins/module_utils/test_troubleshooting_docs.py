# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/troubleshooting.md lists every error message a user can meet; this test fails when the page drifts from the code.

What it guarantees: every message the collection's code writes is found on the page, by a key taken from the
message's literal text. The messages are found by reading the sources (Python with `ast`, YAML with
`yaml.safe_load`), not by running them:

- Python (`plugins/module_utils`, `plugins/modules`, `plugins/filter`): the first argument of every call of an
  error class (`raise ValidationError('...' % x)`, also a class built and returned by a helper, or a `cls(...)`
  holding one), when it is a string literal, an implicit concatenation of literals, a `'...' % ...` with a literal
  left side, a `+` of text and a literal, either branch of a conditional, or a literal inside a call there (such as
  the vendor words of the transport's `_message(...)`). A name given as that argument is followed to what the
  function assigns to it. Also: `problems.append('...')` (joined into one message), `exc.msg += '...'`, the `msg`
  of `fail_json`, and the helpers in MESSAGE_PARTS, whose text becomes part of a message.
- YAML (`roles/*/tasks/*.yml`, `playbooks/*.yml`): the `msg` of `ansible.builtin.fail` and the `fail_msg` (or
  `msg`) of `ansible.builtin.assert`, in tasks at any depth of block / rescue / always.

A message's key is its literal text up to the first placeholder (`%s`, `%r`, `{{ ... }}` and the like),
whitespace-normalised; when that is shorter than MIN_KEY characters, the longest literal fragment of the message
instead. When the key is also part of other messages, the message must also show its longest fragment that those
do not have, so that every one of them is on the page. Keys are looked for, case-sensitive, in the page with its
Markdown backticks and asterisks removed and its whitespace normalised; the keys of one message must be in one
paragraph or table row. Keys with fewer than three letters belong to wrappers around other messages
(`'%s: %s' % (option, exc)`) and are not looked for; the wrapped messages are.

SKIPPED lists the few raises that never reach a user, each with the reason. On failure the test lists every
missing key with its file and line, so the page can be brought up to date in one pass.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
import re
import typing as t

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[4]
DOC = ROOT / 'docs' / 'troubleshooting.md'
PYTHON_DIRS = ('plugins/module_utils', 'plugins/modules', 'plugins/filter')
YAML_GLOBS = ('roles/*/tasks/*.yml', 'playbooks/*.yml')
ERRORS_MODULE = 'plugins/module_utils/_errors.py'

# Keys shorter than this are replaced by the message's longest literal fragment.
MIN_KEY = 12
# Stands for a placeholder in a message's template.
HOLE = '\0'

# Names that carry a message although they do not end in "Error": the transport's internal connection failures,
# whose reason becomes the vendor words of "VENDOR: could not ... (no HTTP response): REASON", and `cls`, a variable
# holding the error class a vendor's answer maps to.
CARRIERS = frozenset({'_NotSent', '_Broken', 'cls'})

# Helpers whose text becomes part of a message although no error class is called there:
# (file, function, what): `return` for the strings it returns, else the name whose assigned strings count (also a
# keyword argument of that name). `<module>` is the module's top level.
MESSAGE_PARTS: t.Tuple[t.Tuple[str, str, str], ...] = (
    ('plugins/module_utils/_http.py', 'Transport._message', 'where'),
    ('plugins/module_utils/_http.py', 'Transport._message', 'text'),
    ('plugins/module_utils/_registry.py', 'resolve_connection', 'hint'),
    ('plugins/module_utils/_model.py', 'InputParameter.check', 'return'),
    ('plugins/modules/pipeline_input.py', 'not_pending', 'return'),
    ('plugins/modules/pipeline_input.py', 'not_pending', 'what'),
    ('plugins/modules/pipeline_input.py', 'not_pending', 'waited'),
    ('plugins/module_utils/_backends/_keyline.py', 'key_problem', 'return'),
    ('plugins/module_utils/_backends/_jenkins/_reads.py', 'JenkinsReads.not_resumable_reason', 'return'),
    ('plugins/module_utils/_backends/_jenkins/_reads.py', 'JenkinsReads.describe_pipeline', 'reason'),
    ('plugins/module_utils/_backends/_buddy/_backend.py', 'BuddyBackend.describe_pipeline', 'reason'),
    ('plugins/module_utils/_backends/_buddy/_api.py', '<module>', '_SCOPE_WORDS'),
    ('plugins/module_utils/_backends/_harness/_backend.py', 'HarnessBackend.validate_connection', 'return'),
    ('plugins/module_utils/_backends/_codearts/_api.py', 'CodeArtsApi.call', 'hint'),
    ('plugins/module_utils/_backends/_codearts/_backend.py', '<module>', '_HINTS'),
    ('plugins/filter/train.py', 'train_round', 'why'),
    ('plugins/filter/train.py', 'train_round', 'failure'),
    ('plugins/filter/train.py', '_unanswered', 'return'),
)

# (file, function, error class) -> why no user ever sees it.
SKIPPED: t.Dict[t.Tuple[str, str, str], str] = {
    ('plugins/module_utils/_backends/_base.py', 'Backend.predict', 'ValueError'):
        'a programming error: the modules always pass predict() the request or the execution it needs',
    ('plugins/module_utils/_options.py', 'Connection.__init__', 'TypeError'):
        'a programming error: connections are built from the option table, which holds only known options',
    ('plugins/module_utils/_registry.py', 'register', 'ValueError'):
        'a hook for tests that add a vendor; no task calls it',
}


@dataclasses.dataclass(frozen=True)
class Message:
    """One message as the code writes it: its template (HOLE for each placeholder) and where it is written."""

    template: str
    where: str

    @property
    def fragments(self) -> t.List[str]:
        return [f for f in (normalise(p) for p in self.template.split(HOLE)) if f]

    @property
    def lead(self) -> str:
        return normalise(self.template.split(HOLE)[0])

    @property
    def key(self) -> str:
        if len(self.lead) >= MIN_KEY:
            return self.lead
        return max(self.fragments, key=len, default='')


def normalise(text: str) -> str:
    return ' '.join(text.split())


# Python ---------------------------------------------------------------------------------------------

_PERCENT = re.compile(r'%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]')


def _holes(text: str) -> str:
    """A %-format string as a template: each conversion a HOLE, `%%` a percent sign."""
    return _PERCENT.sub(lambda m: '%' if m.group(0) == '%%' else HOLE, text)


def templates(node: t.Optional[ast.AST]) -> t.List[str]:
    """The message texts an expression can produce, as templates (empty when it holds no literal text)."""
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        return [''.join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return [_holes(left) for left in templates(node.left)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        lefts, rights = templates(node.left), templates(node.right)
        if not lefts and not rights:
            return []
        return [left + right for left in lefts or [HOLE] for right in rights or [HOLE]]
    if isinstance(node, ast.IfExp):
        return templates(node.body) + templates(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [text for value in node.values for text in templates(value)]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [text for element in node.elts for text in templates(element)]
    if isinstance(node, ast.Dict):
        return [text for value in node.values for text in templates(value)]
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        return templates(node.elt)
    if isinstance(node, ast.Call):
        # Literal words handed to a helper that builds the message (the function itself is not text).
        return [text for arg in list(node.args) + [k.value for k in node.keywords] for text in templates(arg)]
    return []


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ''


class _Scanner(ast.NodeVisitor):
    """Collects the messages of one Python file, each with the function it is written in."""

    def __init__(self, error_classes: t.FrozenSet[str]) -> None:
        self.error_classes = error_classes
        self.found: t.List[t.Tuple[str, int, str, str]] = []  # (function, line, class, template)
        self.scope: t.List[str] = []
        self.assigned: t.List[t.Dict[str, t.List[ast.AST]]] = [{}]

    @property
    def function(self) -> str:
        return '.'.join(self.scope) or '<module>'

    def _add(self, node: ast.AST, kind: str, value: t.Optional[ast.AST]) -> None:
        for text in templates(value):
            self.found.append((self.function, getattr(node, 'lineno', 0), kind, text))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:  # pylint: disable=invalid-name
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: t.Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> None:  # pylint: disable=invalid-name
        self.scope.append(node.name)
        assigned: t.Dict[str, t.List[ast.AST]] = {}
        for inner in ast.walk(node):
            if isinstance(inner, ast.Assign):
                for target in inner.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(inner.value)
            elif isinstance(inner, (ast.AugAssign, ast.AnnAssign)) and isinstance(inner.target, ast.Name):
                if inner.value is not None:
                    assigned.setdefault(inner.target.id, []).append(inner.value)
        self.assigned.append(assigned)
        self.generic_visit(node)
        self.assigned.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # pylint: disable=invalid-name

    def visit_Call(self, node: ast.Call) -> None:  # pylint: disable=invalid-name
        name = _called(node)
        if (name.endswith('Error') or name in self.error_classes or name in CARRIERS) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name):
                for value in self.assigned[-1].get(first.id, []):
                    self._add(node, name, value)
            else:
                self._add(node, name, first)
        elif name == 'append' and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id.endswith('problems') and node.args:
            self._add(node, 'problems', node.args[0])
        elif name == 'fail_json':
            self._add(node, 'fail_json', next((k.value for k in node.keywords if k.arg == 'msg'), None))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:  # pylint: disable=invalid-name
        if isinstance(node.target, ast.Attribute) and node.target.attr == 'msg':
            self._add(node, 'msg +=', node.value)
        self.generic_visit(node)


def _error_classes(files: t.Dict[str, ast.Module]) -> t.FrozenSet[str]:
    """The typed errors of `_errors.py` and every class anywhere that derives from one of them (or from a carrier)."""
    names = {n.name for n in ast.walk(files[ERRORS_MODULE]) if isinstance(n, ast.ClassDef)} | set(CARRIERS)
    classes = [n for tree in files.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grown = True
    while grown:
        grown = False
        for cls in classes:
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else '' for b in cls.bases}
            if cls.name not in names and bases & names:
                names.add(cls.name)
                grown = True
    return frozenset(names)


def _parts(path: str, tree: ast.Module, function: str, what: str) -> t.List[Message]:
    """The strings of MESSAGE_PARTS entry (function, what) in one file."""
    found: t.List[Message] = []

    def visit(node: ast.AST, scope: t.List[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, scope + [child.name])
                continue
            if '.'.join(scope) == function or (function == '<module>' and not scope):
                values: t.List[ast.AST] = []
                if what == 'return' and isinstance(child, ast.Return) and child.value is not None:
                    values = [child.value]
                elif isinstance(child, ast.Assign) and any(isinstance(x, ast.Name) and x.id == what for x in child.targets):
                    values = [child.value]
                elif isinstance(child, (ast.AugAssign, ast.AnnAssign)) and isinstance(child.target, ast.Name) \
                        and child.target.id == what and child.value is not None:
                    values = [child.value]
                elif isinstance(child, ast.keyword) and child.arg == what:
                    values = [child.value]
                for value in values:
                    for text in templates(value):
                        found.append(Message(text, '%s:%d' % (path, getattr(child, 'lineno', getattr(value, 'lineno', 0)))))
            visit(child, scope)

    visit(tree, [])
    return found


def python_messages() -> t.Tuple[t.List[Message], t.List[t.Tuple[t.Tuple[str, str, str], str]]]:
    """Every message of the Python sources, and the skipped ones (their SKIPPED entry, and 'file:line class: reason')."""
    files = {}
    for directory in PYTHON_DIRS:
        for path in sorted((ROOT / directory).rglob('*.py')):
            relative = path.relative_to(ROOT).as_posix()
            files[relative] = ast.parse(path.read_text(encoding='utf-8'), filename=relative)
    classes = _error_classes(files)
    messages: t.List[Message] = []
    skipped: t.List[t.Tuple[t.Tuple[str, str, str], str]] = []
    for relative, tree in files.items():
        scanner = _Scanner(classes)
        scanner.visit(tree)
        for function, line, kind, text in scanner.found:
            reason = SKIPPED.get((relative, function, kind))
            if reason is not None:
                skipped.append(((relative, function, kind), '%s:%d %s: %s' % (relative, line, kind, reason)))
                continue
            messages.append(Message(text, '%s:%d' % (relative, line)))
    for relative, function, what in MESSAGE_PARTS:
        parts = _parts(relative, files[relative], function, what)
        assert parts, 'MESSAGE_PARTS names %s %s %s, which holds no message text any more' % (relative, function, what)
        messages.extend(parts)
    return messages, skipped


# YAML -----------------------------------------------------------------------------------------------

_JINJA = re.compile(r'\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}', re.S)
_FAIL = ('ansible.builtin.fail', 'ansible.legacy.fail', 'fail')
_ASSERT = ('ansible.builtin.assert', 'ansible.legacy.assert', 'assert')
_TASK_LISTS = ('tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always')


def _task_messages(tasks: t.Any) -> t.Iterator[t.Tuple[t.Mapping[str, t.Any], str]]:
    """(task, message) of every fail / assert task in a task list, blocks (and plays' task lists) included."""
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        for key in _TASK_LISTS:
            yield from _task_messages(task.get(key))
        for module, fields in [(m, ('msg',)) for m in _FAIL] + [(m, ('fail_msg', 'msg')) for m in _ASSERT]:
            args = task.get(module)
            if isinstance(args, dict):
                text = next((args[f] for f in fields if isinstance(args.get(f), str)), None)
                if text is not None:
                    yield task, text


def _line_of(text: str, task: t.Mapping[str, t.Any]) -> int:
    """The line of a task, found by its name (0 when it has none)."""
    name = task.get('name')
    if isinstance(name, str):
        for number, line in enumerate(text.splitlines(), 1):
            if re.match(r'\s*-?\s*name:\s*["\']?%s' % re.escape(name), line):
                return number
    return 0


def yaml_messages() -> t.List[Message]:
    messages = []
    for pattern in YAML_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            relative = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding='utf-8')
            for task, message in _task_messages(yaml.safe_load(text)):
                messages.append(Message(_JINJA.sub(HOLE, message), '%s:%d' % (relative, _line_of(text, task))))
    return messages


# The check ------------------------------------------------------------------------------------------

def keys_of(messages: t.Sequence[Message]) -> t.List[t.Tuple[Message, t.List[str]]]:
    """Each message (wrappers left out) with the keys the page must show for it: its key and, when other messages
    contain that key too, its longest fragment that none of them contains."""
    checked = [m for m in messages if len(re.findall(r'[A-Za-z]', m.key)) >= 3]
    texts = {normalise(m.template) for m in checked}
    out = []
    for message in checked:
        others = [text for text in texts if text != normalise(message.template) and message.key in text]
        keys = [message.key]
        own = [f for f in message.fragments if f != message.key and not any(f in other for other in others)]
        if others and own:
            keys.append(max(own, key=len))
        out.append((message, keys))
    return out


def page_blocks(text: str) -> t.List[str]:
    """The page's paragraphs and table rows, without Markdown backticks and asterisks, whitespace normalised."""
    text = text.replace('`', '').replace('*', '').replace('\\|', '|')
    blocks = []
    for paragraph in re.split(r'\n\s*\n', text):
        lines = paragraph.splitlines()
        if lines and all(line.lstrip().startswith('|') for line in lines):
            blocks.extend(normalise(line) for line in lines)
        else:
            blocks.append(normalise(paragraph))
    return blocks


def missing_keys(blocks: t.Sequence[str]) -> t.List[str]:
    """'file:line: key' (keys joined by ' ... ') of every message no paragraph or table row shows."""
    messages, _skipped = python_messages()
    messages += yaml_messages()
    return sorted({'%s: %s' % (m.where, ' ... '.join(keys)) for m, keys in keys_of(messages)
                   if not any(all(key in block for key in keys) for block in blocks)})


def test_messages_are_found_in_the_sources() -> None:
    messages, skipped = python_messages()
    assert len(messages) > 150, 'the scan finds too few messages; has the source layout changed?'
    unused = sorted(set(SKIPPED) - {entry for entry, _where in skipped})
    assert not unused, 'SKIPPED has entries that match no message any more: %s' % unused
    assert yaml_messages(), 'no fail / assert message found in the roles and playbooks'


def test_every_message_is_on_the_troubleshooting_page() -> None:
    missing = missing_keys(page_blocks(DOC.read_text(encoding='utf-8')))
    assert not missing, ('docs/troubleshooting.md does not show these %d messages (file:line: the text the page lacks; '
                         'add the whole message as the user sees it):\n%s' % (len(missing), '\n'.join(missing)))
