# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX/AAP credential types (extensions/awx/credential_types) against the option table: a job template
with such a credential must give the modules exactly the environment variables they read."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from ansible_collections.cicd.pipelines.plugins.module_utils._options import OPTIONS, USES
from ansible_collections.cicd.pipelines.plugins.module_utils._registry import VENDORS

TYPES = pathlib.Path(__file__).parents[4] / 'extensions' / 'awx' / 'credential_types'


def load(vendor):
    return yaml.safe_load((TYPES / ('%s.yml' % vendor)).read_text())


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_every_variable_the_vendor_reads_is_injected_from_the_field_of_its_option(vendor):
    kind = load(vendor)
    fields = {f['id']: f for f in kind['inputs']['fields']}
    wanted = {variable: option for option, use in USES[vendor].items() for variable in use.env}

    assert set(kind['injectors']['env']) == set(wanted)
    for variable, template in kind['injectors']['env'].items():
        field = re.fullmatch(r'\{\{ (\w+) \}\}', template).group(1)
        assert field == wanted[variable], '%s must come from the %s field' % (variable, wanted[variable])
        assert field in fields
    assert set(kind['injectors']) == {'env'}  # nothing written to extra vars or files


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_fields_are_options_secret_where_the_table_says_and_required_where_the_vendor_needs_them(vendor):
    kind = load(vendor)
    fields = {f['id']: f for f in kind['inputs']['fields']}
    for name, field in fields.items():
        assert name in USES[vendor], '%s is not an option of %s' % (name, vendor)
        assert bool(field.get('secret')) == OPTIONS[name].secret, name
        assert field['type'] == 'string' and field['label']
    needed = {name for name, use in USES[vendor].items() if use.required and use.env}
    assert needed <= set(kind['inputs']['required']) <= set(fields)
    assert kind['kind'] == 'cloud' and kind['name'].startswith('cicd.pipelines ')
