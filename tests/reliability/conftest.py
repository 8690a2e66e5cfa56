# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module tests' fixtures (a module runner, a clock that waits in no time, a clean environment) for the
reliability tests here, which run under plain pytest (`make test` stage `reliability`) rather than
`ansible-test units`: that runs every test in a forked process, so a simulator shared by a file's
thousand rows would be started once per row."""

from __future__ import annotations

# pylint: disable=unused-import
from ansible_collections.cicd.pipelines.tests.unit.plugins.modules.conftest import clean_environment, clock, fake, run_module  # noqa: F401
