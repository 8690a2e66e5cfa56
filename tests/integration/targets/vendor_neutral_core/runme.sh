#!/usr/bin/env bash
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" "$@"
