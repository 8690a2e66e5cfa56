# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/capabilities.md publishes what each vendor's backend can do; it must be the matrix the code gives.

When a backend changes, paste the table this test prints into docs/capabilities.md.
"""

from __future__ import annotations

import pathlib
import re

from ansible_collections.cicd.pipelines.plugins.module_utils._backends._base import Operation
from ansible_collections.cicd.pipelines.plugins.module_utils._registry import VENDORS, backend_class

DOC = pathlib.Path(__file__).resolve().parents[4] / 'docs' / 'capabilities.md'


def matrix() -> str:
    """The capability matrix of every choosable vendor, from the backends' declarations."""
    vendors = sorted(VENDORS)
    classes = [backend_class(v) for v in vendors]
    rows = [('module', [])]
    for operation in Operation:
        rows.append(('`pipeline_%s`' % operation.value,
                     ['yes%s' % (' (in place)' if operation in c.in_place else '') if operation in c.capabilities else 'no'
                      for c in classes]))
    rows += [
        ('gate comments (`comment`)', ['yes' if c.comments else 'no' for c in classes]),
        ('source revision (`revision`)', ['yes' if c.revisions else 'no' for c in classes]),
        ('a rejected gate ends', [c.rejected_status.value for c in classes]),
        ('start inputs (`start_inputs`)', [', '.join('`%s`' % p.name for p in c.start_inputs) or '-' for c in classes]),
        ('reserved parameters', [', '.join('`%s`' % p for p in c.reserved_parameters) or '-' for c in classes]),
    ]
    lines = ['| | %s |' % ' | '.join(c.display_name for c in classes), '|---|%s' % ('---|' * len(classes))]
    lines += ['| %s | %s |' % (name, ' | '.join(cells)) for name, cells in rows[1:]]
    return '\n'.join(lines)


def test_the_published_matrix_is_the_one_the_backends_declare():
    text = DOC.read_text(encoding='utf-8')
    match = re.search(r'<!-- capability-matrix -->\n(.*?)\n<!-- end capability-matrix -->', text, re.S)
    assert match, 'docs/capabilities.md has no capability matrix between its markers'
    assert match.group(1) == matrix(), 'docs/capabilities.md is out of date; the matrix is now:\n' + matrix()
