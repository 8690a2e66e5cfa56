# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.cicd.pipelines.plugins.filter.report import train_html, train_markdown


def stage(name, status, start, end):
    return {'name': name, 'status': status, 'started_at': '2026-12-01T10:00:%02dZ' % start,
            'finished_at': None if end is None else '2026-12-01T10:00:%02dZ' % end}


def result(succeeded=True, pipeline='shop/deploy'):
    deploy = {'vendor': 'harness', 'pipeline': pipeline, 'status': 'succeeded' if succeeded else 'failed', 'attempts': 2,
              'gates_answered': [{'id': 'Release'}, {'id': 'Deploy'}],
              'execution': {'id': 'ex1', 'url': 'https://app.harness.io/#/x?a=1&b=2', 'duration': 25.5,
                            'stages': [stage('Smoke test', 'succeeded', 5, 9), stage('Deploy', 'succeeded' if succeeded else 'failed', 9, 20)]}}
    build = {'vendor': 'jenkins', 'pipeline': 'shop/build', 'status': 'succeeded', 'attempts': 1, 'gates_answered': [],
             'execution': {'id': '7', 'url': None, 'duration': 3.0, 'stages': [stage('Build', 'succeeded', 0, 3)]}}
    return {'name': 'shop', 'version': '1.4.2', 'succeeded': succeeded, 'failed_step': None if succeeded else 'deploy',
            'failure': None if succeeded else 'harness shop/deploy ex1 ended failed after 2 attempt(s)',
            'steps': [{'name': 'build', 'members': [build]}, {'name': 'deploy', 'members': [deploy]}]}


def test_markdown_has_the_outcome_and_a_row_per_member_with_links_and_gates():
    text = train_markdown(result())
    assert text.startswith('## Release shop 1.4.2: succeeded\n')
    assert '| build | jenkins | shop/build | 7 | succeeded | 1 | - | 3.0 |' in text
    assert '| deploy | harness | shop/deploy | [ex1](https://app.harness.io/#/x?a=1&b=2) | succeeded | 2 | Release, Deploy | 25.5 |' in text


def test_markdown_of_a_failed_train_quotes_the_failure_and_escapes_table_cells():
    text = train_markdown(result(succeeded=False, pipeline='a|b'))
    assert '## Release shop 1.4.2: failed in step deploy' in text
    assert '> harness shop/deploy ex1 ended failed after 2 attempt(s)' in text
    assert '| a\\|b |' in text


def test_html_is_one_page_with_an_svg_timeline_of_every_stage_and_nothing_external():
    page = train_html(result())
    svg = re.search(r'<svg .*</svg>', page).group(0)
    root = ElementTree.fromstring(svg)  # well-formed SVG
    bars = root.findall('{http://www.w3.org/2000/svg}rect')
    assert [b.find('{http://www.w3.org/2000/svg}title').text for b in bars] == [
        'Build: succeeded', 'Smoke test: succeeded', 'Deploy: succeeded']
    # One time axis: the build starts at the left edge, the deploy's last stage ends at the right.
    assert float(bars[0].get('x')) == 260.0 and abs(float(bars[2].get('x')) + float(bars[2].get('width')) - 880.0) < 0.5
    assert not re.search(r'<script|<link|<img|src=', page)
    assert '<a href="https://app.harness.io/#/x?a=1&amp;b=2">ex1</a>' in page


def test_html_escapes_what_the_vendors_say():
    page = train_html(result(pipeline='<script>alert(1)</script>'))
    assert '<script>' not in page and '&lt;script&gt;alert(1)&lt;/script&gt;' in page


def test_a_result_that_is_not_a_train_result_is_one_message():
    with pytest.raises(AnsibleFilterError, match="expected the train role's train_result"):
        train_markdown({'name': 'x'})
