# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The option table and the registry: connection options per vendor, `connections`, environment
fallbacks, what every backend declares, lazy backends, and the shared doc fragments against the
shared argument specs."""

from __future__ import annotations

import re
import subprocess
import sys
import typing as t

import pytest
import yaml

from ansible_collections.cicd.pipelines.plugins.doc_fragments import connection as connection_doc
from ansible_collections.cicd.pipelines.plugins.doc_fragments import execution as execution_doc
from ansible_collections.cicd.pipelines.plugins.doc_fragments import wait as wait_doc
from ansible_collections.cicd.pipelines.plugins.module_utils import _registry
from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import (
    ALL_OPERATIONS,
    Backend,
    Connection,
    Operation,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._errors import ValidationError
from ansible_collections.cicd.pipelines.plugins.module_utils._model import Status
from ansible_collections.cicd.pipelines.plugins.module_utils._module import (
    IDENTITY_SPEC,
    RAW_SPEC,
    WAIT_SPEC,
    connection_spec,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._options import (
    GENERIC_NAMES,
    OPTIONS,
    USES,
    Use,
    secret_values,
    uses,
    vendors_using,
)
from ansible_collections.cicd.pipelines.plugins.module_utils._registry import (
    VENDORS,
    backend_class,
    resolve_connection,
)


class FakeBackend(Backend):
    name = 'fakeci'
    display_name = 'Fake CI'
    capabilities = frozenset({Operation.START, Operation.INFO})
    status_table = {'OK': Status.SUCCEEDED}

    @classmethod
    def validate_connection(cls, conn: Connection) -> t.List[str]:
        if conn.api_url and conn.api_url.endswith('/legacy'):
            return ['Fake CI has no API under /legacy, got %s' % conn.api_url]
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


FAKE_USES = {'api_url': Use(('FAKE_URL', 'FAKE_HOST'), required=True), 'api_token': Use(('FAKE_TOKEN',), required=True)}


@pytest.fixture
def fakeci():
    _registry.register('fakeci', lambda: FakeBackend, FAKE_USES)
    yield FakeBackend
    _registry.unregister('fakeci')


def params(vendor: str = 'fakeci', **values: t.Any) -> t.Dict[str, t.Any]:
    """Module params as AnsibleModule hands them over: every option present, unset ones None."""
    result: t.Dict[str, t.Any] = {name: None for name in OPTIONS}
    result.update(vendor=vendor, connections=None)
    result.update(values)
    return result


# resolve_connection ---------------------------------------------------------------------------------


def test_environment_fills_unset_options_and_reports_env_secrets(fakeci):
    resolved = resolve_connection(params(), {'FAKE_URL': 'http://env', 'FAKE_TOKEN': 'env-token'})
    assert resolved.connection.api_url == 'http://env'
    assert resolved.connection.api_token == 'env-token'
    assert resolved.secrets == ['env-token']


def test_task_values_win_over_the_environment(fakeci):
    resolved = resolve_connection(params(api_url='http://task', api_token='task-token'),
                                  {'FAKE_URL': 'http://env', 'FAKE_TOKEN': 'env-token'})
    assert resolved.connection.api_url == 'http://task'
    assert resolved.connection.api_token == 'task-token'
    assert resolved.secrets == []


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
    assert resolved.secrets == ['t']


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
                              'api_url, api_token')


def test_missing_required_option_names_the_option_and_the_environment_variables(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t'), {})
    assert info.value.msg == 'Fake CI needs api_url (or the environment variable FAKE_URL / FAKE_HOST)'


def test_every_missing_option_is_reported_at_once(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(), {})
    assert info.value.msg == ('Fake CI needs api_url (or the environment variable FAKE_URL / FAKE_HOST); '
                              'Fake CI needs api_token (or the environment variable FAKE_TOKEN)')


def test_backend_validation_problems_are_reported(fakeci):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t'), {'FAKE_URL': 'https://ci.example.com/legacy'})
    assert info.value.msg == 'Fake CI has no API under /legacy, got https://ci.example.com/legacy'


@pytest.mark.parametrize('url, words', [
    ('ci.example.com', "api_url must be an http:// or https:// URL with a host name, got 'ci.example.com'"),
    ('https://bot:s3cret@ci.example.com/ci', "api_url must not contain credentials (user:secret@)"),
])
def test_a_bad_api_url_is_refused_before_anything_is_sent_and_never_echoes_its_credentials(fakeci, url, words):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t', api_url=url), {})
    assert words in info.value.msg and 's3cret' not in info.value.msg


def test_credentials_in_iam_url_are_refused_too():
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor='codearts', project_id='0' * 32, region='cn-north-4', username='u', password='p',
                                  iam_url='https://u:s3cret@iam.example.com'), {})
    assert 'iam_url must not contain credentials (user:secret@)' in info.value.msg and 's3cret' not in info.value.msg


@pytest.mark.parametrize('option, value, words', [
    ('request_timeout', 0, 'request_timeout must be more than 0 seconds, got 0'),
    ('request_retries', -1, 'request_retries must be 0 or more, got -1'),
])
def test_transport_numbers_are_checked(fakeci, option, value, words):
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(api_token='t', api_url='https://ci.example.com/ci', **{option: value}), {})
    assert words in info.value.msg


def test_unknown_vendor_lists_the_supported_ones():
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor='gitlab'), {})
    assert info.value.msg == "vendor 'gitlab' is not supported; choose one of: %s" % ', '.join(sorted(VENDORS))


def test_backend_class_loads_the_registered_backend(fakeci):
    assert backend_class('fakeci') is FakeBackend
    backend = backend_class('fakeci')(Connection(vendor='fakeci', api_url='http://x', api_token='tok-abc'))
    assert backend.http.redact('tok-abc') == '********'


def test_jenkins_reads_the_jenkins_cli_variables():
    """DESIGN section 3: JENKINS_URL / JENKINS_USER_ID / JENKINS_API_TOKEN, as the Jenkins CLI."""
    environ = {'JENKINS_URL': 'http://jenkins.local:8080', 'JENKINS_USER_ID': 'ci',
               'JENKINS_API_TOKEN': '11aa22bb33cc'}
    resolved = resolve_connection(params('jenkins'), environ)
    assert resolved.connection.api_url == 'http://jenkins.local:8080'
    assert resolved.connection.username == 'ci'
    assert resolved.connection.api_token == '11aa22bb33cc'
    assert resolved.secrets == ['11aa22bb33cc']


# Defaults, `connections` and several vendors ------------------------------------------------------


def test_table_defaults_apply_last(fakeci):
    conn = resolve_connection(params(api_url='http://x', api_token='t'), {}).connection
    assert (conn.validate_certs, conn.ca_path, conn.request_timeout, conn.request_retries) == (True, None, 30.0, 5)


def test_connections_entry_fills_what_the_task_leaves_unset(fakeci):
    resolved = resolve_connection(params(api_url='http://task', connections={
        'fakeci': {'api_url': 'http://entry', 'api_token': 'entry-token-1', 'request_timeout': 3.0}}), {})
    conn = resolved.connection
    assert (conn.api_url, conn.api_token, conn.request_timeout) == ('http://task', 'entry-token-1', 3.0)
    assert resolved.secrets == ['entry-token-1']  # masked by the module base: it came through no no_log option


def test_connections_entry_wins_over_the_environment(fakeci):
    resolved = resolve_connection(params(connections={'fakeci': {'api_url': 'http://entry', 'api_token': 'e'}}),
                                  {'FAKE_URL': 'http://env', 'FAKE_TOKEN': 'env-token'})
    assert (resolved.connection.api_url, resolved.connection.api_token) == ('http://entry', 'e')


def test_another_vendor_takes_only_its_entry_and_environment_never_the_task_options(fakeci):
    """Top-level options belong to the task's vendor; a record of another vendor in the same task
    (pipeline_info over executions of several vendors) is read with that vendor's own settings."""
    task = params('jenkins', api_url='http://jenkins', username='bob', api_token='jenkins-token',
                  connections={'fakeci': {'api_url': 'http://fake'}})
    resolved = resolve_connection(task, {'FAKE_TOKEN': 'fake-env-token'}, vendor='fakeci')
    assert (resolved.connection.vendor, resolved.connection.api_url, resolved.connection.api_token) == (
        'fakeci', 'http://fake', 'fake-env-token')
    assert resolved.connection.username is None


def test_an_unset_vendor_is_a_clear_error():
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor=None), {})
    assert info.value.msg.startswith('vendor is not set; choose one of: buddy, codearts, harness, jenkins')


def test_default_api_url_comes_from_the_backend(fakeci, monkeypatch):
    monkeypatch.setattr(FakeBackend, 'default_api_url', classmethod(lambda cls, conn: 'https://saas.example.com'))
    assert resolve_connection(params(api_token='t'), {}).connection.api_url == 'https://saas.example.com'
    assert resolve_connection(params(api_token='t', api_url='http://own'), {}).connection.api_url == 'http://own'


def test_secret_values_are_the_secret_options():
    conn = Connection('codearts', access_key='AK1', secret_key='SK1', security_token='ST1', project_id='p' * 32)
    assert sorted(secret_values(conn)) == ['AK1', 'SK1', 'ST1']
    assert 'SK1' not in repr(conn)


# What every vendor declares -------------------------------------------------------------------------


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_backend_declarations_are_consistent(vendor):
    cls = backend_class(vendor)
    assert cls.name == vendor
    assert cls.display_name
    assert cls.status_table, 'no status table'
    for word, status in cls.status_table.items():
        assert isinstance(word, str)
        assert isinstance(status, Status), '%s maps to %r' % (word, status)
    assert cls.capabilities <= ALL_OPERATIONS
    assert cls.in_place <= cls.capabilities
    assert vendor in USES and 'api_url' in USES[vendor]


def test_every_vendor_column_names_known_options_only():
    for vendor, column in USES.items():
        assert set(column) <= set(OPTIONS) - GENERIC_NAMES, vendor


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_missing_required_options_name_the_option_and_env_var_for_every_vendor(vendor):
    cls = backend_class(vendor)
    required = [n for n, use in uses(vendor).items() if use.required]
    with pytest.raises(ValidationError) as info:
        resolve_connection(params(vendor), {})
    for name in required:
        assert '%s needs %s' % (cls.display_name, name) in info.value.msg
        for variable in USES[vendor][name].env:
            assert variable in info.value.msg


def test_giving_jenkins_a_buddy_option_names_jenkins_options():
    with pytest.raises(ValidationError) as info:
        resolve_connection(params('jenkins', api_url='http://j', workspace='acme'), {})
    assert info.value.msg == 'Jenkins does not use workspace; its connection options are: api_url, username, api_token, password'


# Lazy backends ----------------------------------------------------------------------------------------


def test_no_backend_is_imported_until_one_is_asked_for():
    """A task imports only the backend of its vendor (DESIGN section 10): importing the module base and
    the registry loads no backend; asking for jenkins loads jenkins only."""
    code = """
import sys
from ansible_collections.cicd.pipelines.plugins.module_utils import _module, _registry
backends = 'ansible_collections.cicd.pipelines.plugins.module_utils._backends.'
before = sorted(m for m in sys.modules if m.startswith(backends) and m != backends + '_base')
_registry.backend_class('jenkins')
after = sorted(m for m in sys.modules if m.startswith(backends) and m != backends + '_base')
print(before, [m.rsplit('.', 2)[1] for m in after if m.count('.') > backends.count('.')])
"""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(p for p in sys.path if p)}).stdout.split('\n')[0]
    assert out.startswith('[] ')
    assert set(eval(out[3:])) == {'_jenkins'}  # pylint: disable=eval-used


# Doc fragments against argument specs ---------------------------------------------------------------


def fragment_options(text: str) -> t.Dict[str, t.Dict[str, t.Any]]:
    return yaml.safe_load(text)['options']


def test_vendor_choices_are_the_registered_backends():
    assert fragment_options(connection_doc.ModuleDocFragment.DOCUMENTATION)['vendor']['choices'] == sorted(VENDORS)
    assert connection_spec()['vendor']['choices'] == sorted(VENDORS)


def _same(documented: t.Mapping[str, t.Any], spec: t.Mapping[str, t.Any], where: str = '') -> None:
    assert sorted(documented) == sorted(spec), where
    for name, option in spec.items():
        doc = documented[name]
        assert doc.get('description'), where + name
        assert doc.get('type', 'str') == option.get('type', 'str'), where + name
        assert doc.get('default') == option.get('default'), where + name
        assert bool(doc.get('required')) == bool(option.get('required')), where + name
        assert doc.get('choices') == option.get('choices'), where + name
        assert doc.get('elements') == option.get('elements'), where + name
        if 'options' in option:
            _same(doc.get('suboptions') or {}, option['options'], where + name + '.')


@pytest.mark.parametrize('spec, text', [
    (connection_spec(), connection_doc.ModuleDocFragment.DOCUMENTATION),
    (WAIT_SPEC, wait_doc.ModuleDocFragment.DOCUMENTATION),
    (IDENTITY_SPEC, execution_doc.ModuleDocFragment.DOCUMENTATION),
    (RAW_SPEC, execution_doc.ModuleDocFragment.RAW),
], ids=['connection', 'wait', 'execution', 'raw'])
def test_fragment_documents_every_option_of_its_spec(spec, text):
    _same(fragment_options(text), spec)


def _described(option: str) -> str:
    return ' '.join(fragment_options(connection_doc.ModuleDocFragment.DOCUMENTATION)[option]['description'])


@pytest.mark.parametrize('option', sorted(set(OPTIONS) - GENERIC_NAMES))
def test_connection_fragment_names_the_vendors_and_environment_variables_of_every_option(option):
    described = _described(option)
    for vendor in vendors_using(option):
        assert vendor in described.lower(), '%s: does not say that %s uses it' % (option, vendor)
        for variable in USES[vendor][option].env:
            assert re.search(r'E\(%s\)' % re.escape(variable), described), '%s: %s' % (option, variable)


@pytest.mark.parametrize('option', sorted(o.name for o in OPTIONS.values() if o.default is not None))
def test_connection_fragment_states_the_table_default(option):
    value = OPTIONS[option].default
    shown = 'true' if value is True else 'false' if value is False else '%g' % value
    assert 'Default V(%s)' % shown in _described(option), option


@pytest.mark.parametrize('option', sorted(o.name for o in OPTIONS.values() if o.secret))
def test_secret_options_say_they_are_never_shown_or_are_keys(option):
    assert 'Never shown' in _described(option) or option == 'access_key'


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_every_start_input_a_backend_declares_is_in_the_vendor_notes(vendor):
    from ansible_collections.cicd.pipelines.plugins.doc_fragments import vendor_notes
    notes = ' '.join(yaml.safe_load(vendor_notes.ModuleDocFragment.START)['notes'])
    cls = backend_class(vendor)
    for parameter in cls.start_inputs:
        assert 'C(%s)' % parameter.name in notes, '%s: start input %s is not documented' % (vendor, parameter.name)
    assert 'B(%s)' % cls.display_name in notes
