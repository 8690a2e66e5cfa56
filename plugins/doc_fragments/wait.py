# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Wait options shared by every module (argument spec: _module.WAIT_SPEC)."""

    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until the execution meets O(wait_for) and O(wait_until) (by default, until it ends).
      - Setting O(wait_for) or O(wait_until) implies O(wait=true).
      - A wait that ends in a status listed in O(fail_on) fails the task, which still returns RV(ignore:changed) and
        RV(execution).
    type: bool
    default: false
  wait_for:
    description:
      - Statuses to wait for. Default is any terminal status (V(succeeded), V(unstable), V(failed), V(aborted),
        V(rejected), V(expired), V(skipped)).
      - V(waiting) means the execution is blocked on a person or an API call (approval, input, runtime variables).
      - An execution that ends without reaching one of them fails the task.
    type: list
    elements: str
    choices: [queued, running, waiting, succeeded, unstable, failed, aborted, rejected, expired, skipped, unknown]
  wait_until:
    description:
      - A JMESPath expression over the RV(execution) record; the wait ends when it gives a true value, for example
        C(stages[?name=='Deploy'].status | [0] == 'running').
      - Combined with O(wait_for), both must hold.
    type: str
  wait_timeout:
    description:
      - Seconds the whole wait may take. Different from O(request_timeout), which bounds each HTTP request.
    type: int
    default: 600
  wait_interval:
    description:
      - Shortest pause between two polls, in seconds.
      - When the vendor estimates when the execution ends (or its recent runs tell), the first poll comes after this
        pause, then polls go at most O(wait_max_interval) apart until just after the expected end, then this far apart
        for a few polls, then further apart again. Without an estimate, the pause grows by half after each poll that
        saw no progress, up to O(wait_max_interval), and drops back as soon as something changes.
      - A poll reads only what decides the wait (for example just the status); the full record is read once at the
        end.
    type: float
    default: 2
  wait_max_interval:
    description:
      - Longest pause between two polls, in seconds.
    type: float
    default: 30
  on_timeout:
    description:
      - What to do when O(wait_timeout) passes. V(fail) fails the task; V(cancel) cancels the execution and fails the
        task (not in M(cicd.pipelines.pipeline_info), which only reads); V(detach) returns successfully with
        RV(timed_out=true) and a warning, leaving the execution running.
    type: str
    choices: [fail, cancel, detach]
    default: fail
  fail_on:
    description:
      - Final statuses that fail the task after a wait. Statuses listed in O(wait_for) never fail it.
      - Remove V(unstable) to accept Jenkins builds with test failures; use V([]) to never fail on the status.
    type: list
    elements: str
    choices: [queued, running, waiting, succeeded, unstable, failed, aborted, rejected, expired, skipped, unknown]
    default: [failed, unstable, aborted, rejected, expired]
  wait_mode:
    description:
      - With several executions (O(ignore:executions)), V(all) waits until every one meets the condition (or ends);
        V(any) ends the wait as soon as one meets it. Then only the executions that met it are judged by O(fail_on).
    type: str
    choices: [all, any]
    default: all
  log_lines:
    description:
      - Return the last N lines of the execution's log in RV(ignore:execution.log_tail), so the task output shows why
        it failed (the failed step's log where the vendor tells steps apart, else the current step's or the whole log).
      - Default is V(0) (no log) when the task succeeds, and 20 lines for each execution that ended unsuccessfully and
        so made the task fail. V(0) never reads the log.
      - Registered secrets (tokens, passwords, password parameters) are masked in the lines.
    type: int
'''
