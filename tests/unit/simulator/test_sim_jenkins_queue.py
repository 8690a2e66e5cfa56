"""Jenkins build triggers and the queue: Location, coalescing, lifecycle, cancel, blocking."""
from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.cicd.pipelines.tests.simulator.testing import running


def queue_id(response):
    """Queue id from a Location header (python-jenkins style parse)."""
    return int(response.headers['Location'].rstrip('/').rsplit('/', 1)[-1])


def test_build_with_parameters_queue_lifecycle(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    created = client.post(deploy + '/buildWithParameters', params={'VERSION': '2.0', 'TARGET': 'production', 'DB_PASSWORD': 's3cret', 'BOGUS': 'x'})
    assert created.status_code == 201
    assert created.headers['Location'] == sim.jenkins_url + '/queue/item/1/'
    item = client.get(sim.jenkins_url + '/queue/item/1/api/json').json()
    assert item['_class'] == 'hudson.model.Queue$WaitingItem'
    assert item['why'] == 'In the quiet period. Expires in 1 sec' or item['why'].startswith('In the quiet period. Expires in ')
    assert item['url'] == 'queue/item/1/' and item['blocked'] is False and item['buildable'] is False
    assert item['params'] == '\nVERSION=2.0\nTARGET=production\nDRY_RUN=false\nDB_PASSWORD=****\nNOTES='
    values = {p['name']: p.get('value') for p in item['actions'][0]['parameters']}
    assert values == {'VERSION': '2.0', 'TARGET': 'production', 'DRY_RUN': False, 'DB_PASSWORD': None, 'NOTES': ''}
    assert 's3cret' not in json.dumps(item)
    assert item['actions'][1]['causes'][0] == {'_class': 'hudson.model.Cause$UserIdCause', 'shortDescription': 'Started by user Ada Admin',
                                               'userId': 'admin', 'userName': 'Ada Admin'}
    assert item['task']['name'] == 'deploy' and item['timestamp'] - item['inQueueSince'] == 1000
    assert client.get(deploy + '/api/json?tree=inQueue,queueItem[id]').json()['queueItem'] == {'_class': 'hudson.model.Queue$WaitingItem', 'id': 1}
    sim.advance(1)
    left = client.get(sim.jenkins_url + '/queue/item/1/api/json').json()
    assert left['_class'] == 'hudson.model.Queue$LeftItem' and left['cancelled'] is False and left['why'] is None
    assert left['executable'] == {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowRun', 'number': 1, 'url': deploy + '/1/'}
    assert client.get(sim.jenkins_url + '/queue/api/json').json() == {'_class': 'hudson.model.Queue', 'discoverableItems': [], 'items': []}
    sim.advance(299)
    assert client.get(sim.jenkins_url + '/queue/item/1/api/json').status_code == 200
    sim.advance(1)
    assert client.get(sim.jenkins_url + '/queue/item/1/api/json').status_code == 404


def test_identical_request_is_coalesced_with_303(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    first = client.post(deploy + '/buildWithParameters', params={'VERSION': '3.0'}, allow_redirects=False)
    again = client.post(deploy + '/buildWithParameters', data={'VERSION': '3.0'}, allow_redirects=False)
    assert again.status_code == 303 and again.headers['Location'] == first.headers['Location']
    other = client.post(deploy + '/buildWithParameters', params={'VERSION': '3.1'}, allow_redirects=False)
    assert other.status_code == 201 and queue_id(other) == queue_id(first) + 1
    assert sim.counters()['executions']['jenkins']['team/app/deploy']['created'] == 2
    sim.advance(1)
    again_later = client.post(deploy + '/buildWithParameters', params={'VERSION': '3.0'}, allow_redirects=False)
    assert again_later.status_code == 201  # the first one has left the queue: no coalescing any more


def test_build_endpoint_variants(sim, client, job_url):
    nightly = job_url(sim, 'nightly')
    first = client.post(nightly + '/build', allow_redirects=False)
    second = client.post(nightly + '/build', allow_redirects=False)
    assert first.status_code == second.status_code == 201 and first.headers['Location'] == second.headers['Location']
    refused = client.post(nightly + '/buildWithParameters', params={'X': '1'})
    assert refused.status_code == 400 and 'nightly is not parameterized' in refused.text
    deploy = job_url(sim, 'team/app/deploy')
    form = {'json': json.dumps({'parameter': [{'name': 'VERSION', 'value': '9'}, {'name': 'DRY_RUN', 'value': True}]})}
    assert client.post(deploy + '/build', data=form).status_code == 201
    run = sim.executions(pipeline='team/app/deploy')[-1]
    assert run['parameters']['VERSION'] == '9' and run['parameters']['DRY_RUN'] is True and run['parameters']['TARGET'] == 'staging'
    assert client.post(deploy + '/build').status_code == 400  # "Nothing is submitted"
    unknown = client.post(deploy + '/build', data={'json': json.dumps({'parameter': {'name': 'NOPE', 'value': 1}})})
    assert unknown.status_code == 500 and 'Oops!' in unknown.text and 'NOPE' not in unknown.text  # uncaught: no exception text
    illegal = client.post(deploy + '/buildWithParameters', params={'TARGET': 'moon'})
    assert illegal.status_code == 500 and 'Oops!' in illegal.text and 'moon' not in illegal.text
    disabled = client.post(job_url(sim, 'frozen') + '/buildWithParameters', params={'X': '1'})
    assert disabled.status_code == 409 and 'frozen is not buildable' in disabled.text


def test_delay_overrides_quiet_period(sim, client, job_url):
    response = client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': '1', 'delay': '0sec'})
    item = client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, queue_id(response))).json()
    assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['executable']['number'] == 1


def test_cancel_queue_item(sim, client, job_url):
    response = client.post(job_url(sim, 'team/app/deploy') + '/buildWithParameters', params={'VERSION': 'c'})
    qid = queue_id(response)
    listed = client.get(sim.jenkins_url + '/queue/api/json?tree=items[id,task[name]]').json()['items']
    task = {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowJob', 'name': 'deploy'}
    assert listed == [{'_class': 'hudson.model.Queue$WaitingItem', 'id': qid, 'task': task}]
    assert client.post(sim.jenkins_url + '/queue/cancelItem', params={'id': qid}).status_code == 204
    item = client.get('%s/queue/item/%d/api/json' % (sim.jenkins_url, qid)).json()
    assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['cancelled'] is True and item['executable'] is None
    again = client.post(sim.jenkins_url + '/queue/cancelItem', params={'id': qid})
    assert again.status_code == 500 and 'Oops!' in again.text  # still a LeftItem: "Could not cancel run for id N"
    assert client.post(sim.jenkins_url + '/queue/cancelItem', params={'id': 999}).status_code == 404
    sim.advance(5)
    assert sim.executions(pipeline='team/app/deploy')[0]['state'] == 'cancelled'


def test_non_concurrent_job_blocks(sim, client, job_url):
    serial = job_url(sim, 'team/app/serial')
    client.post(serial + '/build')
    sim.advance(1)
    client.post(serial + '/build')
    assert client.get(serial + '/api/json?tree=concurrentBuild').json()['concurrentBuild'] is False
    item = client.get(sim.jenkins_url + '/queue/item/2/api/json').json()
    assert item['_class'] == 'hudson.model.Queue$BlockedItem' and item['blocked'] is True
    assert item['why'] == 'Build #1 is already in progress (ETA: N/A)'
    sim.advance(9)
    item = client.get(sim.jenkins_url + '/queue/item/2/api/json').json()
    assert item['_class'] == 'hudson.model.Queue$LeftItem' and item['executable']['number'] == 2
    client.post(serial + '/build')
    assert 'ETA: 10 sec' in client.get(sim.jenkins_url + '/queue/item/3/api/json').json()['why']


def test_root_url_override_is_used_in_urls_and_location(job_url, test_scenario):
    scenario = dict(test_scenario, jenkins=dict(test_scenario['jenkins'], root_url='http://jenkins.internal.example:8080/jenkins'))
    with running(scenario) as sim:
        session = requests.Session()
        session.auth = ('admin', test_scenario['jenkins']['users'][0]['tokens'][0])
        response = session.post(job_url(sim, 'nightly') + '/build')
        assert response.headers['Location'] == 'http://jenkins.internal.example:8080/jenkins/queue/item/1/'
        assert session.get(sim.jenkins_url + '/api/json').json()['url'] == 'http://jenkins.internal.example:8080/jenkins/'


def test_parameterized_build_folded_into_a_queued_item_redirects_to_the_job(sim, client, job_url):
    deploy = job_url(sim, 'team/app/deploy')
    form = {'json': json.dumps({'parameter': [{'name': 'VERSION', 'value': '7'}]})}
    first = client.post(deploy + '/build', data=form, allow_redirects=False)
    assert first.status_code == 201
    # ParametersDefinitionProperty._doBuild: Queue.schedule gives no *created* item -> sendRedirect(".").
    again = client.post(deploy + '/build', data=form, allow_redirects=False)
    assert again.status_code == 302 and again.headers['Location'] == deploy + '/'
    assert sim.counters()['executions']['jenkins']['team/app/deploy']['created'] == 1
    # buildWithParameters with the same values: 303 to that same item.
    same = client.post(deploy + '/buildWithParameters', data={'VERSION': '7'}, allow_redirects=False)
    assert same.status_code == 303 and same.headers['Location'] == first.headers['Location']


def test_computer_set_shows_executors_and_what_they_run(sim, client, job_url):
    idle = client.get(sim.jenkins_url + '/computer/api/json').json()
    assert idle['_class'] == 'hudson.model.ComputerSet' and idle['displayName'] == 'Nodes'
    assert idle['busyExecutors'] == 0 and idle['totalExecutors'] == 2
    node = idle['computer'][0]
    assert node['_class'] == 'hudson.model.Hudson$MasterComputer' and node['displayName'] == 'Built-In Node'
    assert node['numExecutors'] == 2 and node['idle'] is True and node['offline'] is False
    assert node['executors'] == [{'_class': 'hudson.model.Executor'}] * 2 and node['oneOffExecutors'] == []
    client.post(job_url(sim, 'nightly') + '/build')
    client.post(job_url(sim, 'team/app/serial') + '/build')
    sim.advance(5)
    tree = 'busyExecutors,computer[idle,executors[number,idle,progress,currentExecutable[url]],oneOffExecutors[number,currentExecutable[url]]]'
    busy = client.post(sim.jenkins_url + '/computer/api/json', params={'tree': tree}).json()
    assert busy['busyExecutors'] == 1
    node = busy['computer'][0]
    # The freestyle build holds executor #0; the Pipeline build runs on a one-off (flyweight) executor.
    assert node['idle'] is False
    assert node['executors'] == [
        {'_class': 'hudson.model.Executor', 'number': 0, 'idle': False, 'progress': -1,
         'currentExecutable': {'_class': 'hudson.model.FreeStyleBuild', 'url': job_url(sim, 'nightly') + '/1/'}},
        {'_class': 'hudson.model.Executor', 'number': 1, 'idle': True, 'progress': -1, 'currentExecutable': None}]
    assert node['oneOffExecutors'] == [{'_class': 'hudson.model.OneOffExecutor', 'number': -1,
                                        'currentExecutable': {'_class': 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
                                                              'url': job_url(sim, 'team/app/serial') + '/1/'}}]
    python = client.get(sim.jenkins_url + '/computer/api/python?tree=totalExecutors,computer[idle]')
    assert python.text == '{"_class":"hudson.model.ComputerSet","computer":[{"_class":"hudson.model.Hudson$MasterComputer","idle":False}],"totalExecutors":2}'


def test_executor_count_and_left_item_lag_are_configurable(test_scenario, job_url):
    test_scenario['jenkins'].update({'executors': 4, 'left_item_lag': 2})
    with running(test_scenario) as sim, requests.Session() as client:
        client.auth = ('admin', '11f0c0ffeec0ffeec0ffeec0ffeec0ffee')
        assert client.get(sim.jenkins_url + '/computer/api/json?tree=totalExecutors').json()['totalExecutors'] == 4
        assert client.get(sim.jenkins_url + '/api/json?tree=numExecutors').json()['numExecutors'] == 4
        queued = client.post(job_url(sim, 'nightly') + '/build')
        item = queued.headers['Location'] + 'api/json'
        sim.advance(5)  # the quiet period is over: the item left the queue, its build does not exist yet
        left = client.get(item).json()
        assert left['_class'] == 'hudson.model.Queue$LeftItem' and left['cancelled'] is False and left['executable'] is None
        executor = client.get(sim.jenkins_url + '/computer/api/json?tree=computer[executors[idle,currentExecutable]]').json()
        assert executor['computer'][0]['executors'][0] == {'_class': 'hudson.model.Executor', 'idle': False, 'currentExecutable': None}
        sim.advance(2)
        assert client.get(item).json()['executable'] == {'_class': 'hudson.model.FreeStyleBuild', 'number': 1, 'url': job_url(sim, 'nightly') + '/1/'}


def test_jenkins_section_rejects_bad_executor_settings(test_scenario):
    for bad in ({'executors': -1}, {'executors': 'two'}, {'left_item_lag': -1}):
        scenario = json.loads(json.dumps(test_scenario))
        scenario['jenkins'].update(bad)
        with pytest.raises(Exception, match='jenkins.(executors|left_item_lag)'):
            with running(scenario):
                pass


def test_a_freestyle_build_waits_for_a_free_executor_as_a_buildable_item(test_scenario, job_url):
    """Queue.BuildableItem: due, not blocked, but every executor of the built-in node is busy (Pipeline builds
    run on one-off executors and never wait for one)."""
    test_scenario['jenkins'].update({'executors': 1})
    test_scenario['pipelines'].append({'vendor': 'jenkins', 'name': 'weekly', 'kind': 'freestyle', 'quiet_period': 0,
                                       'stages': [{'name': 'Build', 'duration': 5}]})
    with running(test_scenario) as sim, requests.Session() as client:
        client.auth = ('admin', '11f0c0ffeec0ffeec0ffeec0ffeec0ffee')
        client.post(job_url(sim, 'nightly') + '/build')
        sim.advance(5)  # nightly #1 runs on executor #0
        second = client.post(job_url(sim, 'weekly') + '/build').headers['Location'] + 'api/json'
        pipeline = client.post(job_url(sim, 'team/app/serial') + '/build').headers['Location'] + 'api/json'
        sim.advance(2)
        item = client.get(second).json()
        assert item['_class'] == 'hudson.model.Queue$BuildableItem'
        assert (item['blocked'], item['buildable'], item['pending']) == (False, True, False)
        assert item['why'] == 'Waiting for next available executor' and item['buildableStartMilliseconds'] > 0
        assert list(item)[-2:] == ['buildableStartMilliseconds', 'pending']
        queue = client.get(sim.jenkins_url + '/queue/api/json?tree=items[_class,id]').json()['items']
        assert [i['_class'] for i in queue] == ['hudson.model.Queue$BuildableItem']
        assert client.get(pipeline).json()['_class'] == 'hudson.model.Queue$LeftItem'  # a Pipeline needs no executor
        assert client.get(sim.jenkins_url + '/computer/api/json?tree=busyExecutors').json()['busyExecutors'] == 1
        sim.advance(5)  # nightly #1 has ended: weekly takes the executor
        started = client.get(second).json()
        assert started['_class'] == 'hudson.model.Queue$LeftItem' and started['executable']['number'] == 1
