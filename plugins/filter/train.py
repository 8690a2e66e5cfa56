# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bookkeeping of the cicd.pipelines.train role, as filters (documented in the sidecar YAML files).

A member is a mapping: `vendor`, `pipeline`, `key`, `spec` (its entry of the train's step), `state` (`active`
while the train drives it, then `succeeded`, `failed` or `stopped`), `execution` (the latest record), `attempts`,
`gates_answered`, `failure` (why it did not succeed), and for the round in progress `next` (`gate`, `retry`,
`resume` or none) with `pick` (the gate and the answer for `gate`). The role asks the vendors; these filters only
decide, from the records the modules returned.
"""

from __future__ import annotations

import re
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.cicd.pipelines.plugins.filter.gate_answer import gate_answer
from ansible_collections.cicd.pipelines.plugins.module_utils._model import kind_of

Member = t.Dict[str, t.Any]
_UNSUCCESSFUL = ('failed', 'unstable')
_INTERNAL = ('spec', 'next', 'pick')


def default_key(name: str, pipeline: str, version: str) -> str:
    """The idempotency key the release roles derive: name, pipeline and version, runs of other characters as `-`."""
    return re.sub(r'[^A-Za-z0-9._-]+', '-', '-'.join(p for p in (name, pipeline, version) if p))


def train_member(spec: t.Any, name: str, version: str) -> Member:
    """A member of a step, not started yet, from its entry in `train_steps[].members`."""
    if not isinstance(spec, t.Mapping):
        raise AnsibleFilterError('train_member: a member needs vendor and pipeline, got %s' % kind_of(spec))
    if not spec.get('pipeline') or not spec.get('vendor'):
        missing = ' and '.join(k for k in ('vendor', 'pipeline') if not spec.get(k))
        raise AnsibleFilterError('train_member: a member needs vendor and pipeline, got one without %s (its keys: %s)'
                                 % (missing, ', '.join(sorted(str(k) for k in spec)) or 'none'))
    return {'vendor': spec['vendor'], 'pipeline': spec['pipeline'],
            'key': spec.get('key') or default_key(name, str(spec['pipeline']), version),
            'spec': dict(spec), 'state': 'active', 'status': None, 'execution': None, 'attempts': 1,
            'gates_answered': [], 'failure': None, 'next': None, 'pick': None}


def train_started(members: t.Sequence[Member], results: t.Sequence[t.Mapping[str, t.Any]]) -> t.List[Member]:
    """The members with the executions their starts returned (the results of a loop over `members`)."""
    if len(members) != len(results):
        raise AnsibleFilterError('train_started: %d members but %d start results' % (len(members), len(results)))
    return [dict(m, execution=r['execution'], status=r['execution']['status']) for m, r in zip(members, results)]


def train_round(members: t.Sequence[Member], executions: t.Sequence[t.Mapping[str, t.Any]],
                on_failure: str = 'stop') -> t.List[Member]:
    """Decide each member's next step from the fan-out wait's `executions` (one per active member, in order).

    A member waiting at a gate that one of its `gates` answers goes on to `gate`; one waiting at a gate no answer
    matches fails (a person must answer it); a failed or unstable one with attempts left goes on to its recovery;
    any other ended one is done, `succeeded` or `failed`. With `on_failure='stop'`, once any member has failed for
    good, the members still active are `stopped` (left as they are: nothing is cancelled).
    """
    active = [i for i, m in enumerate(members) if m['state'] == 'active']
    if len(active) != len(executions):
        raise AnsibleFilterError('train_round: %d active members but %d executions' % (len(active), len(executions)))
    out = [dict(m, next=None, pick=None) for m in members]
    for index, execution in zip(active, executions):
        member = out[index]
        spec = member['spec']
        member.update(execution=dict(execution), status=execution.get('status'))
        status = execution.get('status')
        if status == 'waiting':
            pick = gate_answer(execution, list(spec.get('gates') or []))
            if pick is not None:
                member.update(next='gate', pick=pick)
            else:
                member.update(state='failed', failure=_unanswered(member, execution))
        elif status in _UNSUCCESSFUL and member['attempts'] < int(spec.get('attempts') or 1):
            member['next'] = spec.get('recovery') or 'retry'
        elif execution.get('terminal'):
            failed = status != 'succeeded'
            why = '%s %s %s ended %s after %d attempt(s)' % (
                member['vendor'], member['pipeline'], execution.get('id'), status, member['attempts'])
            member.update(state='failed' if failed else 'succeeded', failure=why if failed else None)
        # Still queued or running: the wait ended at the deadline; the next wait reports the timeout.
    if on_failure == 'stop' and any(m['state'] == 'failed' for m in out):
        for member in out:
            if member['state'] == 'active':
                member.update(state='stopped', next=None, pick=None,
                              failure='%s %s left %s: the train stopped' % (member['vendor'], member['pipeline'], member['status']))
    return out


def _unanswered(member: Member, execution: t.Mapping[str, t.Any]) -> str:
    gates = execution.get('pending_inputs') or []
    names = ', '.join("'%s' (stage %s)" % (g.get('id'), g.get('stage')) for g in gates) or 'a gate'
    asks = ', '.join(p.get('name') for g in gates for p in g.get('parameters') or []) or 'no parameters'
    return ('%s %s %s waits at %s, which asks for %s; no gate of the member matches it by id, stage or message'
            % (member['vendor'], member['pipeline'], execution.get('id'), names, asks))


def train_acted(members: t.Sequence[Member], *results: t.Sequence[t.Mapping[str, t.Any]]) -> t.List[Member]:
    """Take in what the round's answer, retry and resume loops (each over `members`, skipped where not meant)
    returned: the new execution, the gate answered, the attempt counted."""
    for listed in results:
        if len(listed) != len(members):
            raise AnsibleFilterError('train_acted: %d members but %d results' % (len(members), len(listed)))
    out = []
    for index, member in enumerate(members):
        member = dict(member)
        acted = next((r[index] for r in results if not r[index].get('skipped') and 'execution' in r[index]), None)
        if acted is not None and member.get('next'):
            member.update(execution=acted['execution'], status=acted['execution'].get('status'))
            if member['next'] == 'gate':
                gate, answer = member['pick']['gate'], member['pick']['answer']
                member['gates_answered'] = list(member['gates_answered']) + [
                    {'id': gate.get('id'), 'stage': gate.get('stage'), 'action': answer.get('action') or 'approve',
                     'changed': bool(acted.get('changed'))}]
            else:
                member['attempts'] = int(member['attempts']) + 1
        member.update(next=None, pick=None)
        out.append(member)
    return out


def train_summary(members: t.Sequence[Member]) -> t.List[Member]:
    """The members as the train's summary shows them (without the role's own bookkeeping)."""
    return [{k: v for k, v in m.items() if k not in _INTERNAL} for m in members]


class FilterModule:
    """The release train's bookkeeping filters."""

    def filters(self) -> t.Dict[str, t.Callable[..., t.Any]]:
        return {'train_member': train_member, 'train_started': train_started, 'train_round': train_round,
                'train_acted': train_acted, 'train_summary': train_summary}
