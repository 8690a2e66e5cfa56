# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""Vendor name -> backend class, and building a backend from module parameters.

Imports are static on purpose: AnsiballZ ships only the module_utils it can see imported.
"""

from __future__ import annotations

import typing as t

from ._backends._base import Backend, Connection
from ._backends._jenkins import JenkinsBackend
from ._errors import ValidationError

BACKENDS: t.Dict[str, t.Type[Backend]] = {
    JenkinsBackend.name: JenkinsBackend,
}

# Connection options every vendor takes; the rest are checked against Backend.options.
GENERIC_OPTIONS = frozenset({'vendor', 'validate_certs', 'ca_path', 'request_timeout', 'request_retries'})
CONNECTION_OPTIONS = ('vendor', 'api_url', 'username', 'api_token', 'password', 'validate_certs', 'ca_path',
                      'request_timeout', 'request_retries')
SECRET_OPTIONS = frozenset({'api_token', 'password'})


class Resolved(t.NamedTuple):
    connection: Connection
    # Secret values taken from the environment: the caller must mask them (AnsibleModule.no_log_values).
    env_secrets: t.List[str]


def resolve_connection(params: t.Mapping[str, t.Any], environ: t.Mapping[str, str]) -> Resolved:
    """Validate the connection options for the chosen vendor and apply its environment fallbacks.

    Environment variables are read late, only for the chosen vendor and only for options left unset,
    so module_defaults and task options always win. Raises ValidationError with every problem found.
    """
    vendor = params['vendor']
    cls = BACKENDS.get(vendor)
    if cls is None:
        raise ValidationError('vendor %r is not supported; choose one of: %s' % (vendor, ', '.join(sorted(BACKENDS))))
    values = {name: params.get(name) for name in CONNECTION_OPTIONS}
    problems = []
    unused = sorted(n for n in CONNECTION_OPTIONS if values[n] is not None and n not in GENERIC_OPTIONS
                    and n not in cls.options)
    if unused:
        problems.append('%s does not use %s; its connection options are: %s'
                        % (cls.display_name, ', '.join(unused), ', '.join(sorted(cls.options))))
    env_secrets = []
    for option, variables in cls.env.items():
        if values.get(option) is None:
            for variable in variables:
                if environ.get(variable):
                    values[option] = environ[variable]
                    if option in SECRET_OPTIONS:
                        env_secrets.append(environ[variable])
                    break
    for option in cls.required:
        if values.get(option) is None:
            hint = ' (or the environment variable %s)' % ' / '.join(cls.env[option]) if option in cls.env else ''
            problems.append('%s needs %s%s' % (cls.display_name, option, hint))
    connection = Connection(**values)
    problems.extend(cls.validate_connection(connection))
    if problems:
        raise ValidationError('; '.join(problems))
    return Resolved(connection, env_secrets)


def create_backend(connection: Connection) -> Backend:
    return BACKENDS[connection.vendor](connection)
