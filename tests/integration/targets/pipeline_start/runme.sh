#!/usr/bin/env bash
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
start_simulator
ansible-playbook runme.yml -e "sim_url=${SIM_URL}" "$@"

# No secret anywhere in the output at -vvvv: password build and gate parameters, a token in the URL.
ansible-playbook secret.yml -e "sim_url=${SIM_URL}" -vvvv > secret.log 2>&1 || { tail -60 secret.log; exit 1; }
for secret in db-pa55-secret-4711 pin-s3cret-0815 url-t0ken-secret 11f0c0ffeec0ffeec0ffeec0ffeec0ffee; do
  if grep -q "$secret" secret.log; then echo "a secret appears in the output ($(grep -c "$secret" secret.log) lines)"; exit 1; fi
done
rm -f secret.log
