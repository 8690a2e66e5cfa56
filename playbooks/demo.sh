#!/usr/bin/env bash
# Run the demo release (playbooks/demo.yml) against the bundled simulator, twice: the first run
# releases, the second shows that re-running a finished release changes nothing and starts no build.
# Usage: make demo  (installs the tool chain first), or: bash playbooks/demo.sh with .venv present.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -d "$ROOT/.venv/bin" ] && export PATH="$ROOT/.venv/bin:$PATH"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cicd-demo.XXXXXX")"
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# ansible-playbook finds the collection through a collections path; the repository root is the collection.
mkdir -p "$WORK/collections/ansible_collections/cicd"
ln -s "$ROOT" "$WORK/collections/ansible_collections/cicd/pipelines"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-true}" ANSIBLE_NOCOWS=1 ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false

SCENARIO="tests/simulator/scenarios/demo.yml"
"$PY" -m tests.simulator --port 0 --port-file "$WORK/port" --scenario "$SCENARIO" --speed "${DEMO_SPEED:-4}" \
  > "$WORK/simulator.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "the simulator did not start:"; cat "$WORK/simulator.log"; exit 1; }
SIM="http://127.0.0.1:$(cat "$WORK/port")"
echo "Simulator running at $SIM (Jenkins at $SIM/jenkins)"

# The Jenkins CLI's variables: the modules read them when api_url/username/api_token are not set.
export JENKINS_URL="$SIM/jenkins"
eval "$("$PY" - "$SCENARIO" <<'PYEOF'
import shlex, sys, yaml
user = yaml.safe_load(open(sys.argv[1]))['jenkins']['users'][0]
print('export JENKINS_USER_ID=%s JENKINS_API_TOKEN=%s' % (shlex.quote(user['name']), shlex.quote(user['tokens'][0])))
PYEOF
)"

builds_started() {  # how many build requests the simulator has received so far
  "$PY" - "$SIM" <<'PYEOF'
import json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + '/_sim/requests?vendor=jenkins&method=POST'))
entries = log['requests'] if isinstance(log, dict) else log
print(sum(1 for r in entries if r['path'].endswith(('/build', '/buildWithParameters', '/restartPipeline', '/rebuild'))))
PYEOF
}

echo
echo "=== First run: the release"
ansible-playbook playbooks/demo.yml
first=$(builds_started)

echo
echo "=== Second run: the same release again (every task should report ok, not changed)"
ansible-playbook playbooks/demo.yml | tee "$WORK/second.log"
second=$(( $(builds_started) - first ))

echo
echo "=== Result"
echo "first run:  $first build request(s) sent to Jenkins"
echo "second run: $second build request(s) sent to Jenkins, $(grep -Eo 'changed=[0-9]+' "$WORK/second.log" | tail -1)"
if [ "$second" -ne 0 ] || ! grep -q 'changed=0' "$WORK/second.log"; then
  echo "demo: FAILED - the second run changed something"
  exit 1
fi
echo "demo: ok - the release ran once; re-running it changed nothing"
