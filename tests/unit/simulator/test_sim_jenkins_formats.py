"""Jenkins data API formats as Stapler writes them: ``api/python``, ``pretty``, ``tree`` syntax and POST."""
from __future__ import annotations

import ast
import json
import re

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.jenkins.web import stapler_dump
from ansible_collections.cicd.pipelines.tests.simulator.tree import TreeError, parse_tree
from ansible_collections.cicd.pipelines.tests.simulator.testing import ADMIN_PASSWORD, ADMIN_USER


def is_oops(response):
    """Jenkins' "Oops!" page for an uncaught exception: 500, HTML, no exception text."""
    return response.status_code == 500 and 'Oops!' in response.text and 'Exception' not in response.text


def test_python_flavor_is_json_syntax_with_python_literals(sim, client, job_url):
    response = client.get(job_url(sim, 'team/app/deploy') + '/api/python?tree=name,buildable,queueItem,description,lastBuild')
    assert response.status_code == 200 and response.headers['Content-Type'] == 'text/x-python;charset=utf-8'
    # PythonDataWriter: JSONDataWriter with None/True/False; strings in double quotes, no spaces between tokens.
    assert response.text == ('{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","description":"","name":"deploy",'
                             '"buildable":True,"lastBuild":None,"queueItem":None}')
    assert ast.literal_eval(response.text)['buildable'] is True


def test_python_and_json_strings_are_escaped_as_stapler_does():
    text = 'a"b\\c\nd\re\tf\x08g\x7fh\u00e9i\U0001F600j/k\'l'
    expected = '"a\\"b\\\\c\\nd\\re\\tf\\u0008g\\u007fh\u00e9i\\ud83d\\ude00j/k\'l"'
    assert stapler_dump(text) == expected
    assert stapler_dump(text, 'python') == expected  # not repr(): no single quotes, \b as \u0008
    assert json.loads(stapler_dump(text)) == text
    assert stapler_dump({'a': [True, None, 1]}, 'python') == '{"a":[True,None,1]}'


def test_pretty_is_any_value_of_the_parameter_and_stapler_indented(sim, client):
    for value in ('true', 'false', ''):
        response = client.get(sim.jenkins_url + '/me/api/json', params={'pretty': value, 'tree': 'id,property'})
        assert response.text == '{\n  "_class" : "hudson.model.User",\n  "id" : "admin",\n  "property" : [\n    \n  ]\n}'


def test_tree_wildcard(sim, client, job_url):
    root = client.get(sim.jenkins_url + '/api/json?tree=jobs[*]').json()
    folder = root['jobs'][0]
    assert folder['name'] == 'team' and folder['_class'] == 'com.cloudbees.hudson.plugins.folder.Folder'
    # The nested objects of a job are reduced to their _class, and the job's other fields are all there.
    assert folder['primaryView'] == {'_class': 'hudson.model.AllView'} and 'fullDisplayName' in folder
    job = client.get(job_url(sim, 'team/app/deploy') + '/api/json?tree=*').json()
    assert job['name'] == 'deploy' and job['allBuilds'] == [] and job['property'][0] == {'_class': 'hudson.model.ParametersDefinitionProperty'}
    # A named property wins over the wildcard at its level.
    named = client.get(job_url(sim, 'team/app/deploy') + '/api/json?tree=*,property[parameterDefinitions[name]]').json()
    assert named['property'][0]['parameterDefinitions'][0] == {'_class': 'hudson.model.StringParameterDefinition', 'name': 'VERSION'}


def test_tree_names_are_not_trimmed(sim, client, job_url):
    answer = client.get(job_url(sim, 'team/app/deploy') + '/api/json', params={'tree': 'name, buildable'}).json()
    assert answer == {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowJob', 'name': 'deploy'}


@pytest.mark.parametrize('tree', ['', 'jobs[', 'jobs[]', 'jobs,', 'jobs,,name', 'jobs{ 1}', 'jobs{-1}', 'jobs]', 'jobs[name]x'])
def test_malformed_tree_is_an_uncaught_servlet_exception(sim, client, tree):
    assert is_oops(client.get(sim.jenkins_url + '/api/json', params={'tree': tree}))


def test_depth_must_be_an_integer_unless_tree_is_given(sim, client):
    assert is_oops(client.get(sim.jenkins_url + '/api/json', params={'depth': ' 1'}))
    assert is_oops(client.get(sim.jenkins_url + '/api/json', params={'depth': 'x'}))
    assert client.get(sim.jenkins_url + '/api/json', params={'depth': 'x', 'tree': 'mode'}).json() == {'_class': 'hudson.model.Hudson', 'mode': 'NORMAL'}


def test_post_api_json_is_answered_like_get(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    for fmt in ('json', 'python'):
        got = client.get(deploy + '/api/%s?tree=name,color' % fmt)
        posted = client.post(deploy + '/api/%s?tree=name,color' % fmt)
        assert posted.status_code == 200 and posted.text == got.text
    # Form parameters of the POST count too (Jetty merges them with the query).
    assert client.post(sim.jenkins_url + '/api/json', data={'tree': 'mode'}).json() == {'_class': 'hudson.model.Hudson', 'mode': 'NORMAL'}
    assert client.post(sim.jenkins_url + '/queue/api/json').json()['_class'] == 'hudson.model.Queue'
    assert client.post(sim.jenkins_url + '/crumbIssuer/api/json').json()['crumbRequestField'] == 'Jenkins-Crumb'


def test_post_api_json_needs_a_crumb_with_a_password(sim):
    with requests.Session() as session:
        session.auth = (ADMIN_USER, ADMIN_PASSWORD)
        refused = session.post(sim.jenkins_url + '/api/json')
        assert refused.status_code == 403 and 'No valid crumb was included in the request' in refused.text
        crumb = session.get(sim.jenkins_url + '/crumbIssuer/api/json').json()['crumb']
        assert session.post(sim.jenkins_url + '/api/json?tree=mode', headers={'Jenkins-Crumb': crumb}).json()['mode'] == 'NORMAL'


@pytest.mark.parametrize('tree, message', [('', 'expected name at 0'), ('jobs[', 'expected name at 5'), ('jobs[name', 'expected RBRACE at 9'),
                                           ('jobs{1', 'expected COMMA at 6'), ('jobs{1,2', 'expected QRBRACE at 8'),
                                           ('jobs{x}', 'expected number at 5'), ('a]', 'expected EOF at 1')])
def test_tree_syntax_errors_are_named_as_named_path_pruner_names_them(tree, message):
    with pytest.raises(TreeError, match='^%s$' % re.escape(message)):
        parse_tree(tree)


# -- form bodies (Jetty / Stapler) and uncaught exceptions -------------------------------------------------------
def test_a_body_without_content_type_has_no_form_parameters(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    request = requests.Request('POST', deploy + '/buildWithParameters', data=b'VERSION=2.0', auth=client.auth).prepare()
    assert 'Content-Type' not in request.headers  # requests adds none for a bytes body
    assert client.send(request).status_code == 201
    assert sim.executions(pipeline='team/app/deploy')[-1]['parameters']['VERSION'] == '1.0.0'
    # The URL-encoded type is matched without its parameters and in any case.
    typed = client.post(deploy + '/buildWithParameters', data=b'VERSION=3.0', headers={'Content-Type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8'})
    assert typed.status_code == 201 and sim.executions(pipeline='team/app/deploy')[-1]['parameters']['VERSION'] == '3.0'


def test_multipart_bodies_are_parsed_as_stapler_does(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    created = client.post(deploy + '/buildWithParameters', files={'VERSION': (None, '4.0'), 'TARGET': (None, 'production')})
    assert created.status_code == 201
    assert {k: v for k, v in sim.executions(pipeline='team/app/deploy')[-1]['parameters'].items() if k in ('VERSION', 'TARGET')} == {
        'VERSION': '4.0', 'TARGET': 'production'}
    # /build reads the multipart "json" part; a "json" in the query does not count then (getSubmittedForm).
    form = json.dumps({'parameter': [{'name': 'VERSION', 'value': '5.0'}]})
    assert client.post(deploy + '/build', files={'json': (None, form)}).status_code == 201
    assert sim.executions(pipeline='team/app/deploy')[-1]['parameters']['VERSION'] == '5.0'
    ignored = client.post(deploy + '/build', params={'json': form}, files={'other': (None, 'x')})
    assert ignored.status_code == 400 and 'This page expects a form submission' in ignored.text


def test_a_repeated_parameter_is_an_illegal_number_of_values(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    for answer in (client.post(deploy + '/buildWithParameters', data=[('VERSION', '1'), ('VERSION', '2')]),
                   client.post(deploy + '/buildWithParameters', params={'VERSION': '1'}, data={'VERSION': '2'}),
                   client.post(deploy + '/buildWithParameters', params={'VERSION': '1'}, files={'VERSION': (None, '2')})):
        assert is_oops(answer)  # IllegalArgumentException("Illegal number of parameter values for VERSION: 2")
    assert sim.executions(pipeline='team/app/deploy') == []
    # Within one multipart body the last part of a name wins (one value).
    assert client.post(deploy + '/buildWithParameters', files=[('VERSION', (None, '1')), ('VERSION', (None, '2'))]).status_code == 201
    assert sim.executions(pipeline='team/app/deploy')[-1]['parameters']['VERSION'] == '2'


def test_uncaught_exceptions_are_the_oops_page_without_their_text(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    answers = [client.post(deploy + '/buildWithParameters', params={'TARGET': 'moon'}),
               client.post(deploy + '/buildWithParameters', params={'VERSION': '1', 'delay': 'soon'}),
               client.post(deploy + '/build', data={'json': '{not json'}),
               client.post(deploy + '/build', data={'json': '[1]'}),
               client.post(deploy + '/build', data={'json': json.dumps({'parameter': [{'value': 1}]})}),
               client.post(deploy + '/build', data={'json': json.dumps({'parameter': [{'name': 'NOPE', 'value': 1}]})})]
    for answer in answers:
        assert is_oops(answer) and answer.headers['Content-Type'] == 'text/html;charset=utf-8'
        for text in ('moon', 'soon', 'not json', 'NOPE', 'JSONObject', 'Illegal', 'Invalid', 'HTTP ERROR'):
            assert text not in answer.text
