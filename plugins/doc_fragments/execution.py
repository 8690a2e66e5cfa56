# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How a task addresses an existing execution (argument spec: _module.IDENTITY_SPEC)."""

    DOCUMENTATION = r'''
options:
  pipeline:
    description:
      - The pipeline the execution belongs to. For B(Jenkins), the full job name with folders, for example C(team/app/deploy).
      - Use with O(execution_id). Mutually exclusive with O(execution).
    type: str
  execution_id:
    description:
      - The execution's id. For B(Jenkins), the build number.
      - Use with O(pipeline).
    type: str
  execution:
    description:
      - The RV(execution) record an earlier task of this collection returned, for example
        C("{{ started.execution }}"). It carries everything needed to address the execution again, also while it
        is still queued.
      - Mutually exclusive with O(pipeline) and O(execution_id).
    type: dict
'''

    RAW = r'''
options:
  return_raw:
    description:
      - Also return the vendor's own payload as RV(execution.raw). It is large and its shape is the vendor's, so it
        may change with vendor versions.
    type: bool
    default: false
'''
