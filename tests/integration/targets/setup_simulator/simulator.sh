# shellcheck shell=bash
# Sourced by the runme.sh of every target that needs the vendor simulator (alias
# needs/target/setup_simulator). start_simulator starts it on 127.0.0.1 with a free port and
# exports SIM_URL; it is stopped when the target's script exits.

# ansible-test points ANSIBLE_COLLECTIONS_PATH at the tree that holds this collection.
COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/cicd/pipelines"
SIM_SCENARIO_DEFAULT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/files/scenario.yml"

stop_simulator() {
  local rc=$?
  if [ -n "${SIM_PID:-}" ]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "${SIM_DIR:-}/log" ]; then
    echo "--- simulator output"; cat "$SIM_DIR/log"
  fi
  rm -rf "${SIM_DIR:-}"
  return "$rc"
}

start_simulator() {  # start_simulator [SCENARIO_FILE [SIMULATOR_OPTION...]]; its output goes to $SIM_DIR/log
  local scenario="${1:-$SIM_SCENARIO_DEFAULT}"
  if [ "$#" -gt 0 ]; then shift; fi
  SIM_DIR="$(mktemp -d)"
  (cd "$COLLECTION_ROOT" && exec "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" -m tests.simulator \
      --port 0 --port-file "$SIM_DIR/port" --scenario "$scenario" --speed "${SIM_SPEED:-5}" "$@") > "$SIM_DIR/log" 2>&1 &
  SIM_PID=$!
  trap stop_simulator EXIT
  # Up to 60 s: a loaded machine (the other lanes of make test) can take a while to import it; stop early if it died.
  for _ in $(seq 600); do
    [ -s "$SIM_DIR/port" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -s "$SIM_DIR/port" ] || { echo "the simulator did not start"; cat "$SIM_DIR/log"; return 1; }
  SIM_URL="http://127.0.0.1:$(cat "$SIM_DIR/port")"
  export SIM_URL
}
