# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: gate_answer
short_description: Pick the configured answer for the gate an execution waits at
version_added: 0.2.0
description:
  - Given an execution record (as the collection's modules return it) and a list of configured answers, returns the
    first pending gate that an answer matches, with that answer; or V(null) when no answer matches any pending gate.
  - An answer matches a gate by C(id) (the gate's id or the name of its stage, in any case, since vendors spell gate ids
    differently), by C(stage) (the stage the gate waits in), or by C(message) (a regular expression searched in the
    gate's message). Pending gates are tried in order, and for each gate the answers in order.
  - The release roles use it; it reads only what it is given.
author:
  - cicd.pipelines contributors (@cicd-pipelines)
positional: _input, answers
options:
  _input:
    description: The execution record (with C(pending_inputs)).
    type: dict
    required: true
  answers:
    description: Configured answers, each with some of C(id), C(stage), C(message), and what to answer.
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Pick the answer for the gate the deployment waits at
  ansible.builtin.set_fact:
    picked: "{{ deploy.execution | cicd.pipelines.gate_answer([{'id': 'Release', 'parameters': {'CHANGE_TICKET': 'CHG-1'}}]) }}"
'''

RETURN = r'''
_value:
  description:
    - V(null) when no answer matches. Otherwise C(gate) (the pending gate, as in RV(ignore:execution.pending_inputs)) and
      C(answer) (the matching entry of O(answers), unchanged).
  type: dict
'''

import re
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.cicd.pipelines.plugins.module_utils._model import kind_of


def _text(value: t.Any) -> str:
    return '' if value is None else str(value)


def matches(gate: t.Mapping[str, t.Any], answer: t.Mapping[str, t.Any]) -> bool:
    """Whether `answer` names `gate`: by id (or stage name, any case), by stage, or by a message regex."""
    wanted = _text(answer.get('id'))
    if wanted and wanted.lower() in (_text(gate.get('id')).lower(), _text(gate.get('stage')).lower()):
        return True
    stage = _text(answer.get('stage'))
    if stage and stage == _text(gate.get('stage')):
        return True
    pattern = _text(answer.get('message'))
    if pattern:
        try:
            return re.search(pattern, _text(gate.get('message'))) is not None
        except re.error as exc:
            where = ' at position %d' % exc.pos if exc.pos is not None else ''
            raise AnsibleFilterError('gate_answer: message %r is not a regular expression (%s%s)' % (pattern, exc.msg, where))
    return False


def gate_answer(execution: t.Any, answers: t.Any) -> t.Optional[t.Dict[str, t.Any]]:
    """The first pending gate of `execution` an entry of `answers` matches, with that entry; None if none does."""
    if not isinstance(execution, t.Mapping):
        raise AnsibleFilterError('gate_answer: expected an execution record (a mapping), got %s' % kind_of(execution))
    if not isinstance(answers, (list, tuple)) or not all(isinstance(a, t.Mapping) for a in answers):
        raise AnsibleFilterError('gate_answer: answers must be a list of mappings')
    for gate in execution.get('pending_inputs') or []:
        for answer in answers:
            if matches(gate, answer):
                return {'gate': gate, 'answer': answer}
    return None


class FilterModule:
    """cicd.pipelines filters."""

    def filters(self) -> t.Dict[str, t.Callable[..., t.Any]]:
        return {'gate_answer': gate_answer}
