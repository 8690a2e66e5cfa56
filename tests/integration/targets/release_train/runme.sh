#!/usr/bin/env bash
# The release train across the four vendors, against the demo scenario: a build step, then a
# deploy step whose members fail once (the flaky smoke test) and are not recovered on the first run.
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "${COLLECTION_ROOT}/tests/simulator/scenarios/demo.yml"
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" -e "collection_root=${COLLECTION_ROOT}" "$@"

# playbooks/release.yml refuses a spec with a misspelt field before anything starts, naming it.
for spec in typo stray; do
  if ansible-playbook "${COLLECTION_ROOT}/playbooks/release.yml" -e "release_spec=$(pwd)/files/${spec}.yml" > "${SIM_DIR}/${spec}.log" 2>&1; then
    echo "release.yml accepted files/${spec}.yml"; exit 1
  fi
done
grep -q 'train_steps.members.paramters' "${SIM_DIR}/typo.log"
grep -q 'train_stesp' "${SIM_DIR}/stray.log"
started="$(curl -sf "${SIM_URL}/_sim/requests?vendor=jenkins&method=POST" | grep -c '9.9.9' || true)"
[ "${started}" -eq 0 ]
