# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The registry: connection options per vendor, environment fallbacks, what every backend declares,
and the shared doc fragments against the shared argument specs."""

from __future__ import annotations

import re
import typing as t

import pytest
import yaml

from ansible_collections.cicd.pipelines.plugins.doc_fragments import connection as connection_doc
from ansible_collections.cicd.pipelines.plugins.doc_fragments import execution as execution_doc
from ansible_collections.cicd.pipelines.plugins.doc_fragments import wait as wait_doc
from ansible_collections.cicd.pipelines.plugins.module_utils import _registry
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import (
    ALL_OPERATIONS,
    INFO,
    START,
    Backend,
    Connection,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Status
from ansible_collections.cicd.pipelines.plugins.module_utils._module import (
    CONNECTION_SPEC,
    IDENTITY_SPEC,
    RAW_SPEC,
    WAIT_SPEC,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._registry import (
    BACKENDS,
    CONNECTION_OPTIONS,
    GENERIC_OPTIONS,
    create_backend,
    resolve_connection,
)


class FakeBackend(Backend):
    name = 'fakeci'
    display_name = 'Fake CI'
    capabilities = frozenset({START, INFO})
    status_table = {'OK': Status.SUCCEEDED}
    options = frozenset({'api_url', 'api_token'})
    required = ('api_url', 'api_token')
    env = {'api_url': ('FAKE_URL', 'FAKE_HOST'), 'api_token': ('FAKE_TOKEN',)}

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        if conn.api_url and not conn.api_url.startswith('http'):
            return ['Fake CI api_url must start with http:// or https://, got %s' % conn.api_url]
        return []

    def describe_pipeline(self, pipeline):  # pragma: no cover
        raise NotImplementedError

    def get(self, execution):  # pragma: no cover
        raise NotImplementedError

    def latest(self, pipeline):  # pragma: no cover
        raise NotImplementedError

    def find_started(self, request):  # pragma: no cover
        raise NotImplementedError

    def start(self, request):  # pragma: no cover
        raise NotImplementedError


@pytest.fixture
def fakeci(monkeypatch):
    monkeypatch.setitem(_registry.BACKENDS, 'fakeci', FakeBackend)
    return FakeBackend


def params(vendor: str = 'fakeci', **values: t.Any) -> t.Dict[str, t.Any]:
    """Module params as AnsibleModule hands them over: every option present, unset ones None."""
    result = {name: None for name in CONNECTION_OPTIONS}
    result.update(vendor=vendor, validate_certs=True, request_timeout=30.0, request_retries=5)
    result.update(values)
    return result


# resolve_connection ---------------------------------------------------------------------------------


def test_environment_fills_unset_options_and_reports_env_secrets(fakeci):
    resolved = resolve_connection(params(), {'FAKE_URL': 'http://env', 'FAKE_TOKEN': 'env-token'})
    assert resolved.connection.api_url == 'http://env'
    assert resolved.connection.api_token == 'env-token'
    assert resolved.env_secrets == ['env-token']


def test_task_values_win_over_the_environment(fakeci):
    resolved = resolve_connection(params(api_url='http://task', api_token='task-token'),
                                  {'FAKE_URL': 'http://env', 'FAKE_TOKEN': 'env-token'})
    assert resolved.connection.api_url == 'http://task'
    assert resolved.connection.api_token == 'task-token'
    assert resolved.env_secrets == []


def test_environment_variables_are_tried_in_order_and_empty_ones_skipped(fakeci):
    environ = {'FAKE_URL': 'http://first', 'FAKE_HOST': 'http://second', 'FAKE_TOKEN': 't'}
    assert resolve_connection(params(), environ).connection.api_url == 'http://first'
    environ['FAKE_URL'] = ''
    assert resolve_connection(params(), environ).connection.api_url == 'http://second'


def test_only_the_chosen_vendors_variables_are_read(fakeci):
    environ = {'FAKE_URL': 'http://fake', 'FAKE_TOKEN': 't', 'JENKINS_USER_ID': 'bob',
               'JENKINS_API_TOKEN': 'jenkins-token', 'JENKINS_URL': 'http://jenkins', 'BUDDY_TOKEN': 'b'}
    resolved = resolve_connection(params(), environ)
    assert resolved.connection.username is None
    assert resolved.connection.api_url == 'http://fake'
    assert resolved.connection.api_token == 't'
    assert resolved.env_secrets == ['t']


def test_generic_options_are_carried_and_never_unused(fakeci):
    resolved = resolve_connection(params(api_url='http://x', api_token='t', validate_certs=False,
                                         ca_path='/ca.pem', request_timeout=4.0, request_retries=1), {})
    conn = resolved.connection
    assert (conn.vendor, conn.validate_certs, conn.ca_path, conn.request_timeout, conn.request_retries) == (
        'fakeci', False, '/ca.pem', 4.0, 1)


def test_an_option_the_vendor_does_not_use_is_an_error_naming_it_and_the_vendors_options(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_url='http://x', api_token='t', username='bob', password='pw'), {})
    assert info.value.msg == ('Fake CI does not use password, username; its connection options are: '
                              'api_token, api_url')


def test_missing_required_option_names_the_option_and_the_environment_variables(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t'), {})
    assert info.value.msg == 'Fake CI needs api_url (or the environment variable FAKE_URL / FAKE_HOST)'


def test_every_problem_is_reported_at_once(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(username='bob'), {})
    problems = info.value.msg.split('; ')
    assert 'Fake CI does not use username' in problems[0]
    assert 'Fake CI needs api_url (or the environment variable FAKE_URL / FAKE_HOST)' in problems
    assert 'Fake CI needs api_token (or the environment variable FAKE_TOKEN)' in problems


def test_backend_validation_problems_are_reported(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t'), {'FAKE_URL': 'ci.example.com'})
    assert info.value.msg == 'Fake CI api_url must start with http:// or https://, got ci.example.com'


def test_unknown_vendor_lists_the_supported_ones():
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor='gitlab'), {})
    assert info.value.msg == "vendor 'gitlab' is not supported; choose one of: %s" % ', '.join(sorted(BACKENDS))


def test_create_backend_builds_the_vendors_backend(fakeci):
    backend = create_backend(Connection(vendor='fakeci', api_url='http://x', api_token='tok-abc'))
    assert isinstance(backend, FakeBackend)
    assert backend.http.redact('tok-abc') == '********'


def test_jenkins_reads_the_jenkins_cli_variables():
    """DESIGN section 3: JENKINS_URL / JENKINS_USER_ID / JENKINS_API_TOKEN, as the Jenkins CLI."""
    environ = {'JENKINS_URL': 'http://jenkins.local:8080', 'JENKINS_USER_ID': 'ci',
               'JENKINS_API_TOKEN': '11aa22bb33cc'}
    resolved = resolve_connection(params('jenkins'), environ)
    assert resolved.connection.api_url == 'http://jenkins.local:8080'
    assert resolved.connection.username == 'ci'
    assert resolved.connection.api_token == '11aa22bb33cc'
    assert resolved.env_secrets == ['11aa22bb33cc']


# What every backend declares ------------------------------------------------------------------------


@pytest.mark.parametrize('vendor', sorted(BACKENDS))
def test_backend_declarations_are_consistent(vendor):
    cls = BACKENDS[vendor]
    assert cls.name == vendor
    assert cls.display_name
    assert cls.status_table, 'no status table'
    for word, status in cls.status_table.items():
        assert isinstance(word, str)
        assert isinstance(status, Status), '%s maps to %r' % (word, status)
    assert cls.capabilities <= set(ALL_OPERATIONS), sorted(cls.capabilities - set(ALL_OPERATIONS))
    assert cls.options <= set(CONNECTION_OPTIONS) - GENERIC_OPTIONS
    assert set(cls.env) <= cls.options, sorted(set(cls.env) - cls.options)
    assert set(cls.required) <= cls.options | GENERIC_OPTIONS
    assert 'api_url' in cls.options


@pytest.mark.parametrize('vendor', sorted(BACKENDS))
def test_missing_api_url_names_the_option_and_env_var_for_every_vendor(vendor):
    cls = BACKENDS[vendor]
    if 'api_url' not in cls.required:
        pytest.skip('%s has a default api_url' % vendor)
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor), {})
    assert '%s needs api_url' % cls.display_name in info.value.msg
    for variable in cls.env.get('api_url', ()):
        assert variable in info.value.msg


# Doc fragments against argument specs ---------------------------------------------------------------


def fragment_options(text: str) -> t.Dict[str, t.Dict[str, t.Any]]:
    return yaml.safe_load(text)['options']


def test_vendor_choices_are_the_registered_backends():
    assert fragment_options(connection_doc.ModuleDocFragment.DOCUMENTATION)['vendor']['choices'] == sorted(BACKENDS)
    assert CONNECTION_SPEC['vendor']['choices'] == sorted(BACKENDS)


@pytest.mark.parametrize('spec, text', [
    (CONNECTION_SPEC, connection_doc.ModuleDocFragment.DOCUMENTATION),
    (WAIT_SPEC, wait_doc.ModuleDocFragment.DOCUMENTATION),
    (IDENTITY_SPEC, execution_doc.ModuleDocFragment.DOCUMENTATION),
    (RAW_SPEC, execution_doc.ModuleDocFragment.RAW),
], ids=['connection', 'wait', 'execution', 'raw'])
def test_fragment_documents_every_option_of_its_spec(spec, text):
    documented = fragment_options(text)
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        doc = documented[name]
        assert doc.get('description'), name
        assert doc.get('type', 'str') == option.get('type', 'str'), name
        assert doc.get('default') == option.get('default'), name
        assert bool(doc.get('required')) == bool(option.get('required')), name
        assert doc.get('choices') == option.get('choices'), name
        assert doc.get('elements') == option.get('elements'), name


@pytest.mark.parametrize('vendor', sorted(BACKENDS))
def test_connection_fragment_names_every_environment_variable(vendor):
    text = connection_doc.ModuleDocFragment.DOCUMENTATION
    for option, variables in BACKENDS[vendor].env.items():
        section = yaml.safe_load(text)['options'][option]
        described = ' '.join(section['description'])
        for variable in variables:
            assert re.search(r'E\(%s\)' % re.escape(variable), described), '%s: %s' % (option, variable)
