#!/usr/bin/env bash
# Stage runner behind `make test` (and so behind .ci/run). The repository root IS the collection
# cicd.pipelines; ansible-test only works inside .../ansible_collections/<ns>/<name>/ (and not
# through a symlink: it uses the real cwd), so the stages run on a copy of the working tree in
# a temporary ansible_collections tree, with ANSIBLE_COLLECTIONS_PATH pointing at it.
#
# Usage:
#   make test                               # all stages
#   make test STAGES="sanity units"         # a subset, in the given order (or: STAGES=... bash .ci/test.sh)
#   bash .ci/test.sh contract build-install # same, stages as arguments
#   make test STAGES=sanity SANITY_ARGS="--test pep8"      # extra arguments for ansible-test
#   make test STAGES=units UNITS_ARGS="tests/unit/simulator"
#   make test STAGES=integration INTEGRATION_ARGS="pipeline_start"
#   make test STAGES=contract PYTEST_ARGS="-k jenkins -x"
#   make test STAGES=bench-smoke                          # the benchmark harness at tiny sizes
#   KEEP_WORKDIR=1 make test ...            # keep the temporary tree (path is printed)
#   make test STAGES="units-newest"         # a stage on the newest ansible-core (.venv-newest)
#
# Versions: sanity, units and integration run on the oldest ansible-core that meta/runtime.yml's
# requires_ansible admits (.venv, requirements-dev.txt) and, as sanity-newest, units-newest and
# integration-newest, on the newest release (.venv-newest, requirements-newest.txt). That line
# needs Python >= 3.12: CICD_NEWEST_PYTHON names the interpreter, else the first of python3.12,
# python3.13, python3.14 or pyenv's that runs. Without one those stages print `skipped` and why,
# and do not fail the run. units-newest runs the collection's unit tests (tests/unit/plugins/);
# the simulator's own tests do not depend on ansible-core and run once, in `units`.
# integration-newest runs every target except the vendor tours harness, buddy and codearts.
#
# Lanes: the stages run in three lanes at once, each on its own copy of the tree: the main lane
# (units, integration: printed as it goes), the newest lane (the *-newest stages) and a side lane (sanity,
# campaign, reliability, contract, build-install, ansible-lint, molecule, bench-smoke). The
# other lanes' output is printed when they end; the summary counts every stage.
#
# The fault campaign (`campaign`) runs at its CI size: one release per vendor at 25 % and at 50 %
# faults (CAMPAIGN_ARGS replaces that; `make campaign` runs the full size).
#
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO="$(pwd)"

NEWEST_STAGES="integration-newest units-newest sanity-newest"
SIDE_STAGES="sanity campaign reliability contract build-install ansible-lint molecule bench-smoke"
ALL_STAGES="units integration $SIDE_STAGES $NEWEST_STAGES"
MODULES="pipeline_start pipeline_info pipeline_input pipeline_resume pipeline_retry pipeline_cancel"

if [ "$#" -gt 0 ]; then
  STAGES="$*"
else
  STAGES="${STAGES:-$ALL_STAGES}"
fi
for s in $STAGES; do
  case " $ALL_STAGES " in
    *" $s "*) ;;
    *) echo "unknown stage '$s' (known: $ALL_STAGES)" >&2; echo "ci: 0 passed, 1 failed"; exit 2 ;;
  esac
done

t_install=$SECONDS
echo "=== install"
if ! bash .ci/install; then
  echo "=== stage install: FAILED ($((SECONDS - t_install))s)"
  echo "ci: 0 passed, 1 failed"
  exit 1
fi
echo "=== install: ok ($((SECONDS - t_install))s)"

# Never depend on the caller's shell: use the project venv (molecule also needs its bin on PATH).
export VIRTUAL_ENV="$REPO/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
unset PYTHONHOME
export PY_COLORS=0 NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
PYV="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cicd-pipelines-ci.XXXXXX")"
if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
  echo "workdir kept: $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
copy_tree() {  # copy_tree ROOT: the working tree as ROOT/ansible_collections/cicd/pipelines
  mkdir -p "$1/ansible_collections/cicd/pipelines"
  tar -C "$REPO" \
    --exclude=./.git --exclude=./.venv --exclude=./.venv-newest --exclude=./.ansible --exclude=./tests/output \
    --exclude=./tests/integration/inventory --exclude=.pytest_cache --exclude=__pycache__ \
    --exclude='*.pyc' --exclude='*.tar.gz' --exclude=./dist --exclude=./demo-report \
    -cf - . | tar -C "$1/ansible_collections/cicd/pipelines" -xf -
}
COLL="$WORK/ansible_collections/cicd/pipelines"
copy_tree "$WORK"
mkdir -p "$WORK/logs"
export ANSIBLE_COLLECTIONS_PATH="$WORK"   # ansible-lint / ansible-playbook resolve cicd.pipelines here

passed=0; failed=0; failed_names=""

contract() {
  # Contract tests look for the real vendor schemas in ../shared next to the collection root
  # (they skip where it is absent, as in users' clones); make that relative path work in the copy,
  # for this stage only (elsewhere ansible would take ansible_collections/cicd/shared for a collection).
  local link="$LANE_ROOT/ansible_collections/cicd/shared" rc=0
  if [ -d "$REPO/../shared" ] && [ ! -e "$link" ]; then
    ln -s "$(cd "$REPO/../shared" && pwd)" "$link"
  fi
  # shellcheck disable=SC2086
  PYTHONPATH="$LANE_ROOT${PYTHONPATH:+:$PYTHONPATH}" python -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} \
    ansible_collections/cicd/pipelines/tests/contract || rc=$?
  if [ -L "$link" ]; then rm -f "$link"; fi
  return "$rc"
}

build_install() {
  # Build from the real working tree (so that galaxy.yml's build_ignore is what is tested),
  # install the tarball into a clean path and render every module's documentation from it.
  local dist="$WORK/dist" inst="$WORK/installed" tarball rc=0 out err m bad
  ansible-galaxy collection build --force --output-path "$dist" "$REPO" || return 1
  tarball="$(ls "$dist"/cicd-pipelines-*.tar.gz)" || return 1
  bad="$(tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.venv-newest|\.ansible|\.ci|\.git|tests/output|__pycache__|\.pytest_cache)(/|$)|\.tar\.gz$|\.pyc$|^(\./)?(Makefile|requirements-(dev|newest)\.txt|\.ansible-lint|\.yamllint)$')"
  if [ -n "$bad" ]; then
    echo "build-install: the tarball contains files that build_ignore should keep out:"
    echo "$bad" | head -20
    rc=1
  fi
  echo "build-install: $(tar -tzf "$tarball" | grep -vc '/$') files in $(basename "$tarball")"
  ANSIBLE_COLLECTIONS_PATH="$inst" ansible-galaxy collection install --offline --force -p "$inst" "$tarball" || return 1
  for m in role:release role:train filter:gate_answer filter:train_markdown filter:train_html; do
    out="$(ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -t "${m%%:*}" "cicd.pipelines.${m#*:}" 2>"$WORK/ansible-doc.err")" || {
      echo "build-install: ansible-doc -t ${m%%:*} cicd.pipelines.${m#*:} failed:"; cat "$WORK/ansible-doc.err"; rc=1; continue; }
    echo "build-install: ansible-doc -t ${m%%:*} cicd.pipelines.${m#*:} ok ($(wc -l <<<"$out") lines)"
  done
  for m in $MODULES; do
    out="$(ANSIBLE_COLLECTIONS_PATH="$inst" ansible-doc -t module "cicd.pipelines.$m" 2>"$WORK/ansible-doc.err")" || {
      echo "build-install: ansible-doc cicd.pipelines.$m failed:"; cat "$WORK/ansible-doc.err"; rc=1; continue; }
    err="$(cat "$WORK/ansible-doc.err")"
    if [ -z "$out" ] || grep -qE 'ERROR|WARNING' <<<"$err"; then
      echo "build-install: ansible-doc cicd.pipelines.$m rendered with errors or warnings:"; echo "$err"; rc=1
    else
      echo "build-install: ansible-doc cicd.pipelines.$m ok ($(wc -l <<<"$out") lines)"
    fi
  done
  return "$rc"
}

newest_python() {  # the first interpreter >= 3.12 that runs, or nothing
  local c
  for c in ${CICD_NEWEST_PYTHON:-} python3.12 python3.13 python3.14 \
           "$(pyenv root 2>/dev/null)"/versions/3.1[234]*/bin/python3.1[234]; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

RETRY="--retry-on-error --continue-on-error"
target_times() {  # each integration target's run time, longest first (from ansible-test's result file)
  python - tests/output/data/integration-*.json <<'PY'
import json, sys
times = {}
for path in sys.argv[1:]:
    for name, target in json.load(open(path))['targets'].items():
        times[name] = target['run_time_seconds']
print('targets: ' + ', '.join('%s %ds' % pair for pair in sorted(times.items(), key=lambda pair: -pair[1])))
PY
}

run_stage() {  # run_stage STAGE: one stage, in the current directory's lane (PYV, COLL, LANE_ROOT set by the lane)
  # Word splitting of the *_ARGS variables is intended.
  # shellcheck disable=SC2086
  case "$1" in
    sanity|sanity-newest)           (cd "$COLL" && ansible-test sanity --python "$PYV" --color no ${SANITY_ARGS:-}) ;;
    units)                          (cd "$COLL" && ansible-test units --python "$PYV" --color no ${UNITS_ARGS:-}) ;;
    units-newest)                   (cd "$COLL" && ansible-test units --python "$PYV" --color no ${UNITS_ARGS:-tests/unit/plugins/}) ;;
    # A target that fails is run once more (a fresh simulator, at full verbosity) and the others go on; a target
    # that passed only on its second run is named at the end of make test, with what failed the first time.
    integration)                    (cd "$COLL" && ansible-test integration --python "$PYV" --color no $RETRY ${INTEGRATION_ARGS:-} \
                                       && target_times) ;;
    # Every target but the three vendor tours, which exercise the backends' Python rather than ansible-core
    # (the modules and roles still run on every vendor here: release_role, release_train, demo, secrets, awx).
    integration-newest)             (cd "$COLL" && ansible-test integration --python "$PYV" --color no $RETRY \
                                       ${INTEGRATION_ARGS:---exclude harness --exclude buddy --exclude codearts} && target_times) ;;
    # The bad-input matrix, TLS and proxies, concurrent starts (tests/reliability): plain pytest, because
    # ansible-test units forks a process per test, which would start a file's simulator once per row.
    reliability)                    (cd "$LANE_ROOT" && PYTHONPATH="$LANE_ROOT${PYTHONPATH:+:$PYTHONPATH}" python -m pytest -q -p no:cacheprovider -n 2 \
                                       ${PYTEST_ARGS:-} ansible_collections/cicd/pipelines/tests/reliability) ;;
    contract)                       (cd "$LANE_ROOT" && contract) ;;
    build-install)                  (cd "$LANE_ROOT" && build_install) ;;
    ansible-lint)                   (cd "$COLL" && ansible-lint --nocolor) ;;
    # The benchmark harness at tiny sizes (the real run is `make bench`; no timing is asserted).
    bench-smoke)                    (cd "$COLL" && python -m benchmarks.run --smoke) ;;
    # The seeded fault campaign through the modules (tests/reliability/campaign.py), at its CI size.
    campaign)                       (cd "$COLL" && python -m tests.reliability.campaign ${CAMPAIGN_ARGS:---releases 1 --rates 0.25,0.5}) ;;
    # The roles' scenarios under extensions/molecule/ (molecule needs the venv's bin on PATH, which is set).
    # `reset` first: molecule keeps each scenario's state under ~/.ansible/tmp by the collection's name, so a run
    # that was interrupted would otherwise make the next one skip `prepare` (and start no simulator).
    molecule)                       (cd "$COLL" && molecule reset --all >/dev/null && molecule test --all) ;;
  esac
}

lane() {  # lane NAME STAGE...: run the stages one after the other; results ("ok NAME" / "FAILED NAME") in $WORK/NAME.results
  local name=$1 s t0
  shift
  for s in "$@"; do
    t0=$SECONDS
    echo "=== stage $s"
    # Each stage's output also goes to $WORK/logs/STAGE.log, for the failure excerpts at the end.
    if run_stage "$s" 2>&1 | tee "$WORK/logs/$s.log"; then
      echo "ok $s" >> "$WORK/$name.results"; echo "=== stage $s: ok ($((SECONDS - t0))s)"
    else
      echo "FAILED $s" >> "$WORK/$name.results"; echo "=== stage $s: FAILED ($((SECONDS - t0))s)"
    fi
  done
}

newest_lane() {  # newest_lane STAGE...: those stages on .venv-newest, on a copy in $WORK/newest
  local py s t0
  if ! py="$(newest_python)"; then
    for s in "$@"; do
      echo "=== stage $s: skipped (the newest ansible-core needs Python >= 3.12 and none was found; set CICD_NEWEST_PYTHON)"
    done
    return 0
  fi
  t0=$SECONDS
  if ! VENV=.venv-newest REQUIREMENTS=requirements-newest.txt PYTHON="$py" bash .ci/install; then
    for s in "$@"; do echo "FAILED $s" >> "$WORK/newest.results"; echo "=== stage $s: FAILED (install of .venv-newest)"; done
    return 0
  fi
  LANE_ROOT="$WORK/newest"; COLL="$LANE_ROOT/ansible_collections/cicd/pipelines"
  copy_tree "$LANE_ROOT"
  export VIRTUAL_ENV="$REPO/.venv-newest" PATH="$REPO/.venv-newest/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$LANE_ROOT"
  PYV="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  echo "newest: $(ansible --version | sed -n 1p) on Python $PYV (install $((SECONDS - t0))s)"
  lane newest "$@"
}

side_lane() {  # side_lane STAGE...: those stages on .venv, on a copy in $WORK/side
  LANE_ROOT="$WORK/side"; COLL="$LANE_ROOT/ansible_collections/cicd/pipelines"
  copy_tree "$LANE_ROOT"
  export ANSIBLE_COLLECTIONS_PATH="$LANE_ROOT"
  lane side "$@"
}

newest=""; side=""; main_stages=""
for s in $STAGES; do
  case " $NEWEST_STAGES " in *" $s "*) newest="$newest $s"; continue ;; esac
  case " $SIDE_STAGES " in *" $s "*) side="$side $s"; continue ;; esac
  main_stages="$main_stages $s"
done
lane_pids=""
# shellcheck disable=SC2086
if [ -n "$newest" ]; then
  echo "=== lane newest:$newest (in parallel; its output follows when it ends)"
  (newest_lane $newest) > "$WORK/newest.log" 2>&1 &
  lane_pids="$lane_pids newest:$!"
fi
# shellcheck disable=SC2086
if [ -n "$side" ]; then
  echo "=== lane side:$side (in parallel; its output follows when it ends)"
  (side_lane $side) > "$WORK/side.log" 2>&1 &
  lane_pids="$lane_pids side:$!"
fi

LANE_ROOT="$WORK"
# shellcheck disable=SC2086
lane main $main_stages

for entry in $lane_pids; do
  wait "${entry#*:}"
  echo "=== lane ${entry%%:*}: output"
  cat "$WORK/${entry%%:*}.log"
done
for name in main newest side; do
  [ -f "$WORK/$name.results" ] || continue
  while read -r res stage_name; do
    if [ "$res" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names="$failed_names $stage_name"; fi
  done < "$WORK/$name.results"
done

failures() {  # failures LOG [N]: for each place where ansible-test saw a target fail, the N lines (default 30) before
  # it, then that target's task failures that no `ignore_errors` let pass (last: a CI log is often read from its end)
  awk -v n="${2:-30}" '
    /^Running .* integration test/ { fatal = "" }
    /^TASK \[/ { task = $0 }
    pending != "" { if ($0 !~ /\.\.\.ignoring/) fatal = fatal pending "\n"; pending = "" }
    /^(fatal|failed): \[/ { pending = task "\n" substr($0, 1, 3000) }
    /^ERROR: Command |Retrying test target/ {
      print "--- the " n " lines before: " $0
      for (i = NR - n; i < NR; i++) if (i > 0 && (i in buf)) print substr(buf[i], 1, 2000)
      if (fatal != "") { print "--- the failed tasks of that target"; printf "%s", fatal }
      fatal = ""
    }
    { buf[NR] = $0; delete buf[NR - n] }
  ' "$1" | tail -n 300
}
for log in "$WORK"/logs/*.log; do  # targets that passed only when run again: flaky, to be looked into
  if [ ! -f "$log" ] || ! grep -q 'Retrying test target' "$log"; then continue; fi
  echo "=== passed on a second run, in stage $(basename "$log" .log): $(grep -o 'Retrying test target "[^"]*"' "$log" | cut -d'"' -f2 | tr '\n' ' ')"
  failures "$log"
done
for s in $failed_names; do  # what went wrong, again, at the end
  [ -f "$WORK/logs/$s.log" ] || continue
  echo "=== failure excerpt: stage $s (its last lines and errors, then what came before each failed target)"
  tail -n 15 "$WORK/logs/$s.log"
  echo "--- its errors"
  grep -E '^(ERROR|FATAL): ' "$WORK/logs/$s.log" | grep -v '^ERROR: Command ' | tail -n 20
  failures "$WORK/logs/$s.log"
done
[ -z "$failed_names" ] || echo "failed stages:$failed_names"
echo "total: $((SECONDS - t_install))s"
echo "ci: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
