#!/usr/bin/env bash
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator "$(pwd)/files/scenario.yml"
# AK/SK from the Huawei Cloud SDK's environment variables, as a user would set them.
export HUAWEICLOUD_SDK_AK=HPUAINTEGRATION00001 HUAWEICLOUD_SDK_SK=iNtEgRaTiOnSeCrEtKeY0123456789abcdef01
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" "$@"

# A wrong SK fails with the gateway's words and never shows the SK, not even at -vvvv.
set +e
ansible-playbook wrong_sk.yml -e "sim_url=${SIM_URL}" -vvvv > wrong_sk.log 2>&1
rc=$?
set -e
tail -30 wrong_sk.log
[ "$rc" -ne 0 ] || { echo "the task with a wrong SK did not fail"; exit 1; }
grep -q 'APIGW.0301' wrong_sk.log || { echo "the gateway's words are missing"; exit 1; }
if grep -q 'wRoNgSeCrEtKeY-0000-do-not-show' wrong_sk.log; then echo "the SK appears in the output"; exit 1; fi
if grep -q 'iNtEgRaTiOnSeCrEtKeY' wrong_sk.log; then echo "the environment's SK appears in the output"; exit 1; fi
rm -f wrong_sk.log
