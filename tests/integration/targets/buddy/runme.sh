#!/usr/bin/env bash
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "$(pwd)/files/scenario.yml"
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" "$@"

# A masked variable's value never appears in the output, not even at -vvvv.
ansible-playbook secret.yml -e "sim_url=${SIM_URL}" -vvvv > secret.log 2>&1 || { tail -60 secret.log; exit 1; }
if grep -q 's3cr3t-deploy-key-4711' secret.log; then echo "the masked value appears in the output"; exit 1; fi
if grep -q 'bud.integration.run' secret.log; then echo "the token appears in the output"; exit 1; fi
rm -f secret.log
