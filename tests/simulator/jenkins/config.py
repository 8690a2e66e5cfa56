"""The ``jenkins:`` section of a scenario.

Keys: ``users`` (list of ``{name, password, tokens, full_name, admin, groups}``; ``admin``: the user has
Overall/Administer, default false except for the built-in demo ``admin``; ``groups``: names of groups the
security realm gives the user, as authorities, besides ``authenticated``), ``crumbs`` (bool, default
true), ``root_url`` (Jenkins' configured public URL; default: derived from each request's
Host), ``version`` (``X-Jenkins``), ``settled_input_status`` (404 as real Jenkins, whose
InputAction forgets settled inputs; 400 reproduces the "already given" race answer),
``executors`` (the built-in node's ``numExecutors``, default 2 as ``Jenkins.numExecutors``; shown by
``/computer/api/json``, used by freestyle builds), ``left_item_lag`` (simulated seconds a queue item that
left the queue stays a ``LeftItem`` with ``executable: null`` before its build exists; default 0).
"""
from __future__ import annotations

import dataclasses
import typing as t

from ..scenario import ScenarioError

DEFAULT_VERSION = '2.479.1'
# Stable demo credentials (documented in docs/simulator.md). Jenkins API tokens are 34 hex
# characters starting with "11"; this one is recognisable on purpose.
# Like the administrator a new Jenkins is set up with, the demo user has Overall/Administer.
DEFAULT_USERS = ({'name': 'admin', 'password': 'admin-password', 'tokens': ['11f0c0ffeec0ffeec0ffeec0ffeec0ffee'], 'admin': True},)


@dataclasses.dataclass(frozen=True)
class JenkinsUser:
    """A user who can authenticate with a password or one of its API tokens.

    ``admin``: has Overall/Administer (may answer any input). ``groups``: the authorities the security
    realm grants besides ``authenticated`` (Jenkins' own user database grants only that one; LDAP or
    other realms add the user's groups). Every user has every job permission (build, cancel, ...).
    """

    name: str
    password: str | None
    tokens: tuple[str, ...]
    full_name: str
    admin: bool = False
    groups: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class JenkinsConfig:
    """Parsed ``jenkins:`` section."""

    users: tuple[JenkinsUser, ...]
    crumbs: bool = True
    root_url: str | None = None
    version: str = DEFAULT_VERSION
    settled_input_status: int = 404
    executors: int = 2
    left_item_lag: float = 0.0

    def user(self, name: str) -> JenkinsUser | None:
        """User by login name."""
        return next((u for u in self.users if u.name == name), None)


def parse_config(raw: t.Mapping[str, t.Any]) -> JenkinsConfig:
    """Validate the section; missing users fall back to the demo ``admin``."""
    users = []
    for i, item in enumerate(raw.get('users') or DEFAULT_USERS):
        if not isinstance(item, dict) or not item.get('name'):
            raise ScenarioError('jenkins.users[%d] needs a name' % i)
        tokens = item.get('tokens') or []
        if not isinstance(tokens, list):
            raise ScenarioError('jenkins.users[%d].tokens must be a list' % i)
        groups = item.get('groups') or []
        if not isinstance(groups, list):
            raise ScenarioError('jenkins.users[%d].groups must be a list' % i)
        admin = item.get('admin', False)
        if not isinstance(admin, bool):
            raise ScenarioError('jenkins.users[%d].admin must be true or false' % i)
        users.append(JenkinsUser(name=str(item['name']), password=None if item.get('password') is None else str(item['password']),
                                 tokens=tuple(str(tok) for tok in tokens), full_name=str(item.get('full_name') or item['name']),
                                 admin=admin, groups=tuple(str(group) for group in groups)))
    root_url = raw.get('root_url')
    if root_url is not None:
        root_url = str(root_url)
        if not root_url.startswith(('http://', 'https://')):
            raise ScenarioError('jenkins.root_url must be an absolute http(s) URL')
        root_url = root_url if root_url.endswith('/') else root_url + '/'
    status = int(raw.get('settled_input_status', 404))
    if status not in (400, 404):
        raise ScenarioError('jenkins.settled_input_status must be 400 or 404')
    executors = raw.get('executors', 2)
    if isinstance(executors, bool) or not isinstance(executors, int) or executors < 0:
        raise ScenarioError('jenkins.executors must be an integer >= 0')
    lag = raw.get('left_item_lag', 0)
    if isinstance(lag, bool) or not isinstance(lag, (int, float)) or lag < 0:
        raise ScenarioError('jenkins.left_item_lag must be a number of seconds >= 0')
    return JenkinsConfig(users=tuple(users), crumbs=bool(raw.get('crumbs', True)), root_url=root_url,
                         version=str(raw.get('version') or DEFAULT_VERSION), settled_input_status=status,
                         executors=executors, left_item_lag=float(lag))
