# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Internal to cicd.pipelines; may change in any release.

"""The idempotency key as a line of free text (Harness execution notes, Buddy execution comments).

Vendors without a field of their own for the key get it on a line of the text a start carries, after the
user's notes: `cicd-idempotency-key: KEY`. The last such line counts (the user's notes might quote one).
"""

from __future__ import annotations

import re
import typing as t

KEY_LINE = 'cicd-idempotency-key: '
# Tolerant of a vendor that stores the text with CRLF line ends or trailing blanks.
_KEY = re.compile(r'^[ \t]*cicd-idempotency-key: (.+?)[ \t\r]*$', re.M)


def key_of(text: t.Optional[str]) -> t.Optional[str]:
    """The idempotency key written into `text`, or None."""
    found = _KEY.findall(text or '')
    return found[-1] if found else None


def with_key(notes: t.Optional[str], key: str) -> str:
    """The text a start sends: the user's notes, then the key line."""
    text = (notes or '').strip()
    return (text + '\n' if text else '') + KEY_LINE + key


def key_problem(key: str) -> t.Optional[str]:
    """Why `key` cannot travel on one line of text, or None."""
    if '\n' in key or '\r' in key:
        return 'the idempotency key travels on one line of text, so it cannot contain a line break'
    return None
