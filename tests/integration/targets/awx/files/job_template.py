"""Run playbooks/release.yml as an AWX job template would: through ansible-runner, with the environment
variables the collection's credential types inject (rendered from their injectors) and the release spec
as an extra variable; then check the run and the set_stats artifacts AWX would read."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import ansible_runner
import jinja2
import yaml


def credential_env(root: pathlib.Path, vendor: str, inputs: dict) -> dict:
    """The environment a credential of the collection's credential type for `vendor` injects."""
    kind = yaml.safe_load((root / 'extensions' / 'awx' / 'credential_types' / ('%s.yml' % vendor)).read_text())
    fields = {f['id'] for f in kind['inputs']['fields']}
    missing = set(kind['inputs'].get('required', [])) - set(inputs)
    assert not missing, 'required credential fields missing: %s' % missing
    assert set(inputs) <= fields
    values = {name: inputs.get(name, '') for name in fields}
    return {var: jinja2.Template(tpl).render(**values) for var, tpl in kind['injectors']['env'].items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--collection-root', required=True)
    parser.add_argument('--sim-url', required=True)
    parser.add_argument('--work', required=True)
    args = parser.parse_args()
    root = pathlib.Path(args.collection_root)
    scenario = yaml.safe_load((root / 'tests' / 'simulator' / 'scenarios' / 'demo.yml').read_text())
    jenkins, harness = scenario['jenkins']['users'][0], scenario['harness']['accounts'][0]

    env = {}
    env.update(credential_env(root, 'jenkins', {'api_url': args.sim_url + '/jenkins', 'username': jenkins['name'],
                                                'api_token': jenkins['tokens'][0]}))
    env.update(credential_env(root, 'harness', {'api_url': args.sim_url + '/harness', 'account_id': harness['id'],
                                                'api_token': harness['api_keys'][0]}))
    # What the job template's execution environment provides: the collection, and no color codes in the log.
    env.update(ANSIBLE_COLLECTIONS_PATH=os.environ['ANSIBLE_COLLECTIONS_PATH'], ANSIBLE_FORCE_COLOR='false',
               PATH=os.environ['PATH'])
    work = pathlib.Path(args.work)
    work.mkdir(parents=True)
    (work / 'job').mkdir()
    spec = work / 'shop-6.0.0.yml'
    spec.write_text(yaml.safe_dump({
        'train_name': 'shop', 'train_version': '6.0.0', 'train_timeout': 240,
        'train_connection': {'wait_interval': 0.3, 'wait_max_interval': 1},
        'train_steps': [{'name': 'build', 'members': [
            {'vendor': 'jenkins', 'pipeline': 'shop/build', 'parameters': {'VERSION': '6.0.0'}},
            {'vendor': 'harness', 'pipeline': 'shop/build', 'parameters': {'VERSION': '6.0.0'}}]}]}))

    run = ansible_runner.run(private_data_dir=str(work / 'job'), playbook=str(root / 'playbooks' / 'release.yml'),
                             extravars={'release_spec': str(spec)}, envvars=env, quiet=True)
    assert run.status == 'successful' and run.rc == 0, (run.status, run.rc, run.stdout.read()[-3000:])

    stats = [e for e in run.events if e.get('event') == 'playbook_on_stats']
    artifacts = stats[-1]['event_data'].get('artifact_data') or {}
    train = artifacts.get('cicd_train')
    assert train and train['succeeded'] is True and train['name'] == 'shop' and train['version'] == '6.0.0', artifacts
    assert sorted(m['vendor'] for m in train['members']) == ['harness', 'jenkins']
    assert all(m['status'] == 'succeeded' for m in train['members'])
    assert artifacts['cicd_train_report'].startswith('## Release shop 6.0.0: succeeded')
    # The credentials' secrets never reach the job's output.
    output = (work / 'job' / 'artifacts').rglob('stdout')
    text = ''.join(p.read_text() for p in output)
    for secret in (jenkins['tokens'][0], harness['api_keys'][0]):
        assert secret not in text and secret not in json.dumps(artifacts)
    print('job template: ok - %d members released, set_stats artifacts: %s' % (len(train['members']), sorted(artifacts)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
