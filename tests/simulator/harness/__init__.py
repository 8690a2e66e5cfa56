# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Harness FirstGen GraphQL API of the simulator (to be served under ``/harness``).

:mod:`.schema` holds the project's own schema subset (``schema.graphql``, written by us; the names
follow Harness because clients send them) and the compatibility check used by the contract test.
"""
