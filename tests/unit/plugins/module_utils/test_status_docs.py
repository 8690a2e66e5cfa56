# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/statuses.md publishes each vendor's status table; it must say exactly what the code does."""

from __future__ import annotations

import pathlib
import re

import pytest

from ansible_collections.cicd.pipelines.plugins.module_utils._registry import VENDORS, backend_class

DOC = pathlib.Path(__file__).resolve().parents[4] / 'docs' / 'statuses.md'


def published_table(vendor: str) -> dict:
    text = DOC.read_text(encoding='utf-8')
    match = re.search(r'<!-- status-table: %s -->(.*?)<!-- end status-table -->' % re.escape(vendor), text, re.S)
    assert match, 'docs/statuses.md has no status table for %s' % vendor
    rows = re.findall(r'^\| `([^`]+)` \| (\w+) \|', match.group(1), re.M)
    return dict(rows)


@pytest.mark.parametrize('vendor', sorted(VENDORS))
def test_published_status_table_matches_the_backend(vendor):
    code = {word: status.value for word, status in backend_class(vendor).status_table.items()}
    assert published_table(vendor) == code
