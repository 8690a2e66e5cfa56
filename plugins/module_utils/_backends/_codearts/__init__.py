# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The CodeArts Pipeline backend (package layout: `_signer` AK/SK signing, `_api` wire details, `_records`, `_backend`)."""

from __future__ import annotations

from ._backend import CodeArtsBackend
from ._records import STATUS_TABLE

__all__ = ['CodeArtsBackend', 'STATUS_TABLE']
