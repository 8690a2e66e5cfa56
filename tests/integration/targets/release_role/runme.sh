#!/usr/bin/env bash
# The release role on every vendor, against the demo scenario (shop/deploy: a flaky smoke test, then
# an approval and a stage that asks for rollout settings).
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "${COLLECTION_ROOT}/tests/simulator/scenarios/demo.yml"
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" -e "collection_root=${COLLECTION_ROOT}" "$@"
