# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Vendor name -> backend, loaded lazily; building a backend's Connection from module parameters.

Each backend is imported inside its loader function, so a task imports only the vendor it uses.
AnsiballZ still ships every backend: its dependency finder reads the import statements of this
file, including those inside functions.
"""

from __future__ import annotations

import os
import ssl
import typing as t

from urllib.parse import urlsplit, urlunsplit

from ._errors import ValidationError
from ._options import GENERIC_NAMES, OPTIONS, URL_OPTIONS, USES, Connection, Use, secret_values, uses

if t.TYPE_CHECKING:  # pragma: no cover
    from ._backends._base import Backend


def _jenkins() -> t.Type['Backend']:
    from ._backends._jenkins import JenkinsBackend
    return JenkinsBackend


def _buddy() -> t.Type['Backend']:
    from ._backends._buddy import BuddyBackend
    return BuddyBackend


def _codearts() -> t.Type['Backend']:
    from ._backends._codearts import CodeArtsBackend
    return CodeArtsBackend


def _harness() -> t.Type['Backend']:
    from ._backends._harness import HarnessBackend
    return HarnessBackend


# The vendors that can be chosen (`vendor` option), each with the function that imports its backend.
VENDORS: t.Dict[str, t.Callable[[], t.Type['Backend']]] = {
    'jenkins': _jenkins,
    'harness': _harness,
    'buddy': _buddy,
    'codearts': _codearts,
}


def register(vendor: str, loader: t.Callable[[], t.Type['Backend']], options: t.Mapping[str, Use]) -> None:
    """Make `vendor` choosable: `loader()` returns its backend class, `options` is its column of the
    option table (option name -> Use). Used by tests to add a vendor without touching the collection."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError('%s: unknown connection option(s) %s' % (vendor, ', '.join(unknown)))
    VENDORS[vendor] = loader
    USES[vendor] = dict(options)


def unregister(vendor: str) -> None:
    VENDORS.pop(vendor, None)
    USES.pop(vendor, None)


def backend_class(vendor: str) -> t.Type['Backend']:
    """The backend class of `vendor` (imported now if it was not yet); ValidationError for an unknown one."""
    loader = VENDORS.get(vendor)
    if loader is None:
        raise ValidationError('vendor %r is not supported; choose one of: %s' % (vendor, ', '.join(sorted(VENDORS))))
    return loader()


class Resolved(t.NamedTuple):
    connection: Connection
    # Secret values that did not come through a no_log top-level option (`connections`, the environment):
    # the caller must mask them (AnsibleModule.no_log_values).
    secrets: t.List[str]


def resolve_connection(params: t.Mapping[str, t.Any], environ: t.Mapping[str, str],
                       vendor: t.Optional[str] = None) -> Resolved:
    """The Connection for `vendor` (default: the task's `vendor` option), from, in this order of precedence:

    1. the task's top-level options — only for the task's own vendor (they belong to it);
    2. `connections[vendor]` (typically from module_defaults, holding every vendor of a release);
    3. the vendor's environment variables (its CLI/SDK names), read only for options still unset;
    4. the backend's default base URL (`Backend.default_api_url`, e.g. a SaaS URL or a region table);
    5. the table defaults.

    Raises ValidationError listing every problem: options the vendor does not use, missing required
    ones, and the backend's own checks (`Backend.validate_connection`).
    """
    own_vendor = params.get('vendor')
    vendor = vendor or own_vendor
    if not vendor:
        raise ValidationError('vendor is not set; choose one of: %s (set it on the task or in module_defaults)'
                              % ', '.join(sorted(VENDORS)))
    cls = backend_class(vendor)
    column = uses(vendor)
    problems = []
    values: t.Dict[str, t.Any] = {}
    if vendor == own_vendor:
        values = {n: params.get(n) for n in OPTIONS if params.get(n) is not None}
        unused = sorted(n for n in values if n not in column)
        if unused:
            own = ', '.join(n for n in column if n not in GENERIC_NAMES)
            problems.append('%s does not use %s; its connection options are: %s'
                            % (cls.display_name, ', '.join(unused), own or 'none beyond the generic ones'))
    from_connections = ((params.get('connections') or {}).get(vendor) or {})
    secrets = []
    for name in column:
        if values.get(name) is None and from_connections.get(name) is not None:
            values[name] = from_connections[name]
            if OPTIONS[name].secret:
                secrets.append(str(values[name]))
    for name, use in column.items():
        if values.get(name) is None:
            for variable in use.env:
                if environ.get(variable):
                    values[name] = environ[variable]
                    if OPTIONS[name].secret:
                        secrets.append(environ[variable])
                    break
    if not problems:
        connection = Connection(vendor, **{n: v for n, v in values.items() if n in column})
        if connection.get('api_url') is None:
            connection.api_url = cls.default_api_url(connection)  # type: ignore[attr-defined]
        for name, use in column.items():
            if use.required and connection.get(name) is None:
                hint = ' (or the environment variable %s)' % ' / '.join(use.env) if use.env else ''
                problems.append('%s needs %s%s' % (cls.display_name, name, hint))
        problems.extend(generic_problems(connection))
        problems.extend(cls.validate_connection(connection))
    if problems:
        raise ValidationError('; '.join(problems))
    return Resolved(connection, secrets)


def generic_problems(conn: Connection) -> t.List[str]:
    """Problems with the options every vendor shares and with credentials in any URL option, found before anything
    is sent (one sentence each)."""
    problems = []
    url = conn.get('api_url')
    if url:
        parts = urlsplit(str(url))
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            problems.append('api_url must be an http:// or https:// URL with a host name, got %r' % _without_credentials(str(url)))
    for name in URL_OPTIONS:
        url = conn.get(name)
        parts = urlsplit(str(url)) if url else None
        if parts is not None and parts.scheme in ('http', 'https') and parts.hostname and (parts.username or parts.password):
            # Credentials in a URL end up in messages and logs; the options keep them secret.
            problems.append('%s must not contain credentials (user:secret@); give them as the connection options '
                            'instead (username with api_token or password, or the vendor\'s token option), got %r'
                            % (name, _without_credentials(str(url))))
    timeout = conn.get('request_timeout')
    if timeout is not None and float(timeout) <= 0:
        problems.append('request_timeout must be more than 0 seconds, got %s' % timeout)
    retries = conn.get('request_retries')
    if retries is not None and int(retries) < 0:
        problems.append('request_retries must be 0 or more, got %s' % retries)
    ca_problem = _ca_path_problem(conn)
    if ca_problem:
        problems.append(ca_problem)
    return problems


def _ca_path_problem(conn: Connection) -> t.Optional[str]:
    """Why the CA bundle the requests would verify with (ca_path, unless validate_certs is false) cannot be used, or None.

    Checked here because requests reports a missing file only when the first request is sent (as an OSError), and a
    file without certificates as a failed TLS handshake. A directory of hashed certificates (c_rehash) is accepted as is.
    """
    path = conn.verify
    if not isinstance(path, str):
        return None
    if not os.path.exists(path):
        return 'ca_path %r does not exist; give the PEM file of the certificate authorities to trust' % path
    if os.path.isdir(path):
        return None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError as exc:  # before OSError, its base class
        reason = str(exc.reason or 'unreadable').lower().replace('_', ' ')
        return ('ca_path %r holds no PEM certificate that can be used (%s); give the PEM file of the certificate '
                'authorities to trust' % (path, reason))
    except OSError as exc:
        return 'ca_path %r cannot be read (%s)' % (path, exc.strerror or type(exc).__name__)
    return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ''
    if parts.port:
        host += ':%d' % parts.port
    return urlunsplit((parts.scheme, '********@' + host, parts.path, parts.query, parts.fragment))


__all__ = ['VENDORS', 'Connection', 'Resolved', 'backend_class', 'register', 'resolve_connection', 'secret_values',
           'unregister']
