# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The connection option table: every connection option declared once.

Rows are `OPTIONS` (name, type, default, whether it is a secret); columns are `USES`, one per
vendor (which options the vendor uses, which it requires, and the environment variables its own
CLI or SDK reads for them). Everything else is derived from these two tables:

- the argument spec of the top-level options and of `connections` (`argument_spec()`);
- `Connection`, the settings handed to a backend;
- secret registration (`no_log` in the argument spec; `secret_values()` for values that arrive
  through `connections` or the environment, which the module base masks at run time);
- the "vendor X does not use option Y" check, environment fallbacks and required options
  (`_registry.resolve_connection`);
- the doc-fragment test (tests/unit/plugins/module_utils/test_registry.py).

A vendor listed in `USES` need not have a backend yet: its column documents what it will take,
and `_registry.VENDORS` says which vendors can be chosen.
"""

from __future__ import annotations

import dataclasses
import typing as t


@dataclasses.dataclass(frozen=True)
class Option:
    """One connection option. `default` applies after every other source left it unset."""

    name: str
    type: str = 'str'
    default: t.Any = None
    secret: bool = False


@dataclasses.dataclass(frozen=True)
class Use:
    """How one vendor uses an option: the environment variables read when it is unset (in order), and
    whether the vendor needs it (after the vendor's own base-URL default, see Backend.default_api_url)."""

    env: t.Tuple[str, ...] = ()
    required: bool = False


# Options every vendor takes (transport settings).
GENERIC: t.Tuple[Option, ...] = (
    Option('validate_certs', 'bool', default=True),
    Option('ca_path', 'path'),
    Option('request_timeout', 'float', default=30.0),
    Option('request_retries', 'int', default=5),
)

# Options only some vendors use; each vendor's column in USES says which.
VENDOR_SPECIFIC: t.Tuple[Option, ...] = (
    Option('api_url'),
    Option('username'),
    Option('api_token', secret=True),
    Option('password', secret=True),
    Option('account_id'),
    Option('calls_per_minute', 'int'),
    Option('workspace'),
    Option('project'),
    Option('region'),
    Option('project_id'),
    Option('access_key', secret=True),
    Option('secret_key', secret=True),
    Option('security_token', secret=True),
    Option('domain'),
    Option('iam_url'),
)

OPTIONS: t.Dict[str, Option] = {o.name: o for o in VENDOR_SPECIFIC + GENERIC}
GENERIC_NAMES = frozenset(o.name for o in GENERIC)
# Options that hold a URL. Credentials written into one (user:secret@) are refused, and masked in the result
# that says so, because the module arguments are echoed with it.
URL_OPTIONS = ('api_url', 'iam_url')

# Vendor -> option -> Use. The environment variable names are each vendor's own tools' names.
USES: t.Dict[str, t.Dict[str, Use]] = {
    # The Jenkins CLI (jenkins-cli.jar) reads JENKINS_URL, JENKINS_USER_ID and JENKINS_API_TOKEN.
    'jenkins': {
        'api_url': Use(('JENKINS_URL',), required=True),
        'username': Use(('JENKINS_USER_ID',)),
        'api_token': Use(('JENKINS_API_TOKEN',)),
        'password': Use(),
    },
    # The Harness Terraform provider and CLI: HARNESS_ENDPOINT (the FirstGen gateway URL),
    # HARNESS_ACCOUNT_ID, HARNESS_API_KEY. The API key is sent as X-Api-Key.
    'harness': {
        'api_url': Use(('HARNESS_ENDPOINT',)),
        'api_token': Use(('HARNESS_API_KEY',), required=True),
        'account_id': Use(('HARNESS_ACCOUNT_ID',), required=True),
        'calls_per_minute': Use(),
    },
    # bdy (the Buddy CLI): BUDDY_TOKEN, BUDDY_WORKSPACE, BUDDY_PROJECT; Buddy's GitHub login action exports the
    # API URL as BUDDY_API_ENDPOINT next to BUDDY_TOKEN.
    'buddy': {
        'api_url': Use(('BUDDY_API_ENDPOINT',)),
        'api_token': Use(('BUDDY_TOKEN',), required=True),
        'workspace': Use(('BUDDY_WORKSPACE',), required=True),
        'project': Use(('BUDDY_PROJECT',), required=True),
    },
    # The Huawei Cloud SDK: HUAWEICLOUD_SDK_AK / _SK / _SECURITY_TOKEN. HUAWEICLOUD_SDK_PROJECT_ID is the IAM
    # project, not the CodeArts project in the URL path, so project_id deliberately has no variable.
    # The region variable is the Huawei Cloud Terraform provider's.
    'codearts': {
        'api_url': Use(),
        'region': Use(('HW_REGION_NAME',)),
        'project_id': Use(required=True),
        'access_key': Use(('HUAWEICLOUD_SDK_AK',)),
        'secret_key': Use(('HUAWEICLOUD_SDK_SK',)),
        'security_token': Use(('HUAWEICLOUD_SDK_SECURITY_TOKEN',)),
        'api_token': Use(),
        'username': Use(),
        'password': Use(),
        'domain': Use(),
        'iam_url': Use(('HUAWEICLOUD_SDK_IAM_ENDPOINT',)),
    },
}


def uses(vendor: str) -> t.Dict[str, Use]:
    """The options `vendor` takes (its own and the generic ones), in table order."""
    own = USES.get(vendor, {})
    return {name: own.get(name, Use()) for name in OPTIONS if name in own or name in GENERIC_NAMES}


def vendors_using(option: str) -> t.List[str]:
    """Vendors whose column lists `option` (every vendor for a generic option)."""
    return sorted(v for v, column in USES.items() if option in column or option in GENERIC_NAMES)


def argument_spec(vendors: t.Iterable[str]) -> t.Dict[str, t.Dict[str, t.Any]]:
    """The argument spec of the connection options: `vendor`, every option of the table, and
    `connections` with one sub-spec per choosable vendor.

    No option has an argument-spec default: a value given at the top level must be told apart from
    one that `connections` or the environment would supply; `Connection` applies the defaults last.
    """
    names = sorted(vendors)
    spec: t.Dict[str, t.Dict[str, t.Any]] = {'vendor': dict(type='str', choices=names)}
    for option in OPTIONS.values():
        spec[option.name] = _spec(option)
    spec['connections'] = dict(type='dict', options={
        vendor: dict(type='dict', options={name: _spec(OPTIONS[name]) for name in uses(vendor)}) for vendor in names})
    return spec


def _spec(option: Option) -> t.Dict[str, t.Any]:
    return dict(type=option.type, no_log=option.secret)


class Connection:
    """The connection settings of one vendor after every source was applied (see the module docstring).

    Every option of the table is an attribute; unset ones hold the table default (mostly None).
    """

    def __init__(self, vendor: str, **values: t.Any) -> None:
        unknown = sorted(set(values) - set(OPTIONS))
        if unknown:
            raise TypeError('unknown connection option(s): %s' % ', '.join(unknown))
        self.vendor = vendor
        for name, option in OPTIONS.items():
            value = values.get(name)
            setattr(self, name, option.default if value is None else value)

    def get(self, name: str) -> t.Any:
        return getattr(self, name)

    def given(self) -> t.Dict[str, t.Any]:
        """The options that hold a value other than their default."""
        return {n: self.get(n) for n, o in OPTIONS.items() if self.get(n) is not None and self.get(n) != o.default}

    @property
    def verify(self) -> t.Union[bool, str]:
        """The requests `verify` value: a CA bundle path, or whether to verify at all."""
        if self.get('validate_certs') and self.get('ca_path'):
            return t.cast(str, self.get('ca_path'))
        return bool(self.get('validate_certs'))

    def __repr__(self) -> str:
        shown = {n: ('********' if OPTIONS[n].secret else v) for n, v in self.given().items()}
        return 'Connection(vendor=%r, %s)' % (self.vendor, ', '.join('%s=%r' % kv for kv in sorted(shown.items())))


def secret_values(conn: Connection) -> t.List[str]:
    """The values of the secret options in `conn` (to register with the transport and Ansible's no_log)."""
    return [str(conn.get(o.name)) for o in OPTIONS.values() if o.secret and conn.get(o.name)]
