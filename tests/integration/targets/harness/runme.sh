#!/usr/bin/env bash
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "$(pwd)/files/scenario.yml"
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" "$@"

# A wrong API key fails clearly and never shows the key, not even at -vvvv.
set +e
ansible-playbook wrong_key.yml -e "sim_url=${SIM_URL}" -vvvv > wrong_key.log 2>&1
rc=$?
set -e
tail -40 wrong_key.log
[ "$rc" -ne 0 ] || { echo "the task with a wrong key did not fail"; exit 1; }
grep -q 'Token is not valid' wrong_key.log || { echo "Harness's words are missing"; exit 1; }
if grep -q 'hk.wrong.key.0000000000' wrong_key.log; then echo "the wrong key appears in the output"; exit 1; fi
rm -f wrong_key.log
