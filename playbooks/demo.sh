#!/usr/bin/env bash
# Run the demo release (playbooks/demo.yml) against the bundled simulator, twice: the first run
# releases on Jenkins, Harness, Buddy and CodeArts, the second shows that re-running a finished release changes
# nothing and starts, retries or answers nothing.
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
for _ in $(seq 600); do [ -s "$WORK/port" ] && break; kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "the simulator did not start:"; cat "$WORK/simulator.log"; exit 1; }
SIM="http://127.0.0.1:$(cat "$WORK/port")"
echo "Simulator running at $SIM (Jenkins at $SIM/jenkins, Harness at $SIM/harness, Buddy at $SIM/buddy, CodeArts at $SIM/codearts)"

# The playbook's module_defaults take the URLs from DEMO_SIMULATOR; the credentials come from each
# vendor's own CLI variables (Jenkins: JENKINS_USER_ID, JENKINS_API_TOKEN; Harness: HARNESS_API_KEY;
# Buddy: BUDDY_TOKEN; CodeArts: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK).
export DEMO_SIMULATOR="$SIM"
export DEMO_REPORT_DIR="${DEMO_REPORT_DIR:-$ROOT/demo-report}"
eval "$("$PY" - "$SCENARIO" <<'PYEOF'
import shlex, sys, yaml
scenario = yaml.safe_load(open(sys.argv[1]))
user = scenario['jenkins']['users'][0]
account = scenario['harness']['accounts'][0]
print('export JENKINS_USER_ID=%s JENKINS_API_TOKEN=%s' % (shlex.quote(user['name']), shlex.quote(user['tokens'][0])))
print('export DEMO_HARNESS_ACCOUNT=%s HARNESS_API_KEY=%s' % (shlex.quote(account['id']), shlex.quote(account['api_keys'][0])))
print('export BUDDY_TOKEN=%s' % shlex.quote(scenario['buddy']['tokens'][0]['token']))
codearts = scenario['codearts']
print('export DEMO_CODEARTS_PROJECT=%s HUAWEICLOUD_SDK_AK=%s HUAWEICLOUD_SDK_SK=%s' % (
    shlex.quote(codearts['project_id']), shlex.quote(codearts['credentials'][0]['ak']), shlex.quote(codearts['credentials'][0]['sk'])))
PYEOF
)"

builds_started() {  # how many requests that start, continue or answer something the simulator has received so far
  "$PY" - "$SIM" <<'PYEOF'
import json, sys, urllib.request
def log(query):
    entries = json.load(urllib.request.urlopen(sys.argv[1] + '/_sim/requests?' + query))
    return entries['requests'] if isinstance(entries, dict) else entries
jenkins = sum(1 for r in log('vendor=jenkins&method=POST')
              if r['path'].endswith(('/build', '/buildWithParameters', '/restartPipeline', '/rebuild', '/proceed',
                                     '/proceedEmpty', '/abort')))
mutations = ('startExecution', 'resumeExecution', 'approveOrRejectApprovals', 'pipelineResumeRuntime')
harness = sum(1 for r in log('vendor=harness') if any(m in (r.get('operation') or '') for m in mutations))
buddy = sum(1 for r in log('vendor=buddy') if (r.get('operation') or '') == 'run' or (r.get('operation') or '').startswith('patch.'))
acting = ('run', 'retry', 'stop', 'review.pass', 'review.refuse', 'checkpoint.pass', 'checkpoint.refuse')
codearts = sum(1 for r in log('vendor=codearts') if (r.get('operation') or '') in acting)
print(jenkins + harness + buddy + codearts)
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
echo "first run:  $first request(s) that start, retry or answer something (Jenkins, Harness, Buddy and CodeArts)"
echo "second run: $second such request(s), $(grep -Eo 'changed=[0-9]+' "$WORK/second.log" | tail -1)"
if [ "$second" -ne 0 ] || ! grep -q 'changed=0' "$WORK/second.log"; then
  echo "demo: FAILED - the second run changed something"
  exit 1
fi
echo "demo: ok - the release ran once on each vendor; re-running it changed nothing"
echo "report: $DEMO_REPORT_DIR/shop-1.4.2.md and $DEMO_REPORT_DIR/shop-1.4.2.html"
