#!/usr/bin/env bash
# AWX/AAP: the execution-environment definition gives a valid build context, and playbooks/release.yml
# runs through ansible-runner (the engine AWX uses) with the environment a job template with the
# collection's credential types would get, leaving the release summary in its set_stats artifacts.
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "${COLLECTION_ROOT}/tests/simulator/scenarios/demo.yml"
PY="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"

CONTEXT="${SIM_DIR}/ee"
"$(dirname "$PY")/ansible-builder" create -f "${COLLECTION_ROOT}/extensions/awx/execution-environment.yml" -c "$CONTEXT"
[ -f "$CONTEXT/Containerfile" ] || [ -f "$CONTEXT/Dockerfile" ]
grep -q 'ansible-core==2.19.14 ansible-runner==2.4.3' "$CONTEXT"/*file
grep -q 'name: cicd.pipelines' "$CONTEXT/_build/requirements.yml"

"$PY" files/job_template.py --collection-root "$COLLECTION_ROOT" --sim-url "$SIM_URL" --work "${SIM_DIR}/runner"
