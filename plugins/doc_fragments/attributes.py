# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by every module."""

    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/cicd.pipelines.pipelines) in O(ignore:module_defaults) to set defaults for this module.
    support: full
    membership:
      - cicd.pipelines.pipelines
  platform:
    platforms: posix
'''

    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    details: The module changes nothing; in check mode it still reads and waits.
  diff_mode:
    support: none
'''

    CHANGES = r'''
attributes:
  check_mode:
    support: full
    details: Reads the current state, validates the request and predicts the result without changing anything.
  diff_mode:
    support: full
    details: Shows the execution status before and after.
'''
