# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The release report of a train (the cicd.pipelines.train role's `train_result`), as Markdown or as one
self-contained HTML page with an SVG timeline of every member's stages (documented in the sidecar YAML files)."""

from __future__ import annotations

import datetime
import html
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.cicd.pipelines.plugins.module_utils._model import kind_of

# Bar colours by normalised status; anything else is grey.
_COLOURS = {'succeeded': '#2e7d32', 'failed': '#c62828', 'unstable': '#f9a825', 'aborted': '#6d4c41',
            'rejected': '#ad1457', 'expired': '#6a1b9a', 'running': '#1565c0', 'waiting': '#ef6c00', 'skipped': '#9e9e9e'}
_ROW = 26  # pixels per member
_LABEL = 260  # pixels left of the time axis, for the member labels
_WIDTH = 900


def _members(result: t.Any) -> t.List[t.Tuple[str, t.Mapping[str, t.Any]]]:
    if not isinstance(result, t.Mapping) or not isinstance(result.get('steps'), list):
        raise AnsibleFilterError('train report: expected the train role\'s train_result (with steps), got %s' % (
            'a mapping without a list of steps' if isinstance(result, t.Mapping) else kind_of(result)))
    return [(str(step.get('name')), member) for step in result['steps'] for member in step.get('members') or []]


def _cell(value: t.Any) -> str:
    return '-' if value in (None, '') else str(value).replace('|', '\\|').replace('\n', ' ')


def train_markdown(result: t.Any) -> str:
    """The train as Markdown: a title line, the outcome, and a table of every member."""
    rows = ['| step | vendor | pipeline | execution | status | attempts | gates answered | seconds |',
            '|---|---|---|---|---|---|---|---|']
    for step, member in _members(result):
        execution = member.get('execution') or {}
        ident = _cell(execution.get('id'))
        if execution.get('url'):
            ident = '[%s](%s)' % (ident, execution['url'])
        gates = ', '.join(str(g.get('id')) for g in member.get('gates_answered') or []) or '-'
        rows.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            _cell(step), _cell(member.get('vendor')), _cell(member.get('pipeline')), ident, _cell(member.get('status')),
            _cell(member.get('attempts')), _cell(gates), _cell(execution.get('duration'))))
    outcome = 'succeeded' if result.get('succeeded') else 'failed in step %s' % result.get('failed_step')
    lines = ['## Release %s %s: %s' % (result.get('name'), result.get('version'), outcome), '']
    if result.get('failure'):
        lines += ['> %s' % str(result['failure']).replace('\n', ' '), '']
    return '\n'.join(lines + rows) + '\n'


def _epoch(stamp: t.Any) -> t.Optional[float]:
    if not stamp:
        return None
    try:
        return datetime.datetime.fromisoformat(str(stamp).replace('Z', '+00:00')).timestamp()
    except ValueError:
        return None


def train_html(result: t.Any) -> str:
    """The train as one HTML page with no external assets: the outcome, an SVG timeline (one row per member,
    one bar per stage, coloured by status) and the Markdown table's rows as an HTML table."""
    members = _members(result)
    spans = []
    for step, member in members:
        execution = member.get('execution') or {}
        stages = [(s.get('name'), s.get('status'), _epoch(s.get('started_at')), _epoch(s.get('finished_at')))
                  for s in execution.get('stages') or []]
        if not stages:
            stages = [(execution.get('pipeline'), execution.get('status'), _epoch(execution.get('started_at')),
                       _epoch(execution.get('finished_at')))]
        spans.append((step, member, [s for s in stages if s[2] is not None]))
    times = [x for _s, _m, stages in spans for st in stages for x in (st[2], st[3]) if x is not None]
    begin, end = (min(times), max(times)) if times else (0.0, 1.0)
    scale = (_WIDTH - _LABEL - 20) / max(end - begin, 1.0)
    bars = []
    for row, (step, member, stages) in enumerate(spans):
        y = 30 + row * _ROW
        label = '%s · %s %s' % (step, member.get('vendor'), member.get('pipeline'))
        bars.append('<text x="4" y="%d" class="label">%s</text>' % (y + 15, html.escape(label)))
        for name, status, start, finish in stages:
            x = _LABEL + (start - begin) * scale
            width = max(((finish if finish is not None else end) - start) * scale, 2.0)
            bars.append('<rect x="%.1f" y="%d" width="%.1f" height="18" rx="3" fill="%s"><title>%s: %s</title></rect>'
                        % (x, y, width, _COLOURS.get(str(status), '#757575'), html.escape(str(name)), html.escape(str(status))))
    height = 40 + len(spans) * _ROW
    axis = '<text x="%d" y="18" class="axis">0 s</text><text x="%d" y="18" class="axis" text-anchor="end">%d s</text>' % (
        _LABEL, _WIDTH - 20, round(end - begin))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="timeline of every member\'s stages">%s%s</svg>' % (_WIDTH, height, _WIDTH, height, axis, ''.join(bars)))
    rows = []
    for step, member in members:
        execution = member.get('execution') or {}
        link = execution.get('url')
        ident = html.escape(_cell(execution.get('id')))
        if link:
            ident = '<a href="%s">%s</a>' % (html.escape(str(link), quote=True), ident)
        rows.append('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="%s">%s</td><td>%s</td><td>%s</td></tr>' % (
            html.escape(step), html.escape(_cell(member.get('vendor'))), html.escape(_cell(member.get('pipeline'))), ident,
            html.escape(_cell(member.get('status'))), html.escape(_cell(member.get('status'))),
            html.escape(_cell(member.get('attempts'))), html.escape(_cell(execution.get('duration')))))
    outcome = 'succeeded' if result.get('succeeded') else 'failed in step %s' % result.get('failed_step')
    title = 'Release %s %s: %s' % (result.get('name'), result.get('version'), outcome)
    failure = '<p class="failure">%s</p>' % html.escape(str(result['failure'])) if result.get('failure') else ''
    style = ('body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;'
             'padding:4px 8px}.label,.axis{font-size:12px;fill:#333}.succeeded{color:#2e7d32}.failed{color:#c62828}'
             '.failure{color:#c62828}')
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head>'
            '<body><h1>%s</h1>%s%s<table><tr><th>step</th><th>vendor</th><th>pipeline</th><th>execution</th><th>status</th>'
            '<th>attempts</th><th>seconds</th></tr>%s</table></body></html>\n'
            % (html.escape(title), style, html.escape(title), failure, svg, ''.join(rows)))


class FilterModule:
    """Release report filters."""

    def filters(self) -> t.Dict[str, t.Callable[..., t.Any]]:
        return {'train_markdown': train_markdown, 'train_html': train_html}
