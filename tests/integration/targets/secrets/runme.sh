#!/usr/bin/env bash
# Every module of every vendor at -vvvv with every kind of secret (files/secrets.yml), failing paths included.
# No secret may appear in the playbook's output, in the results it registered, in the simulator's output (its
# access log shows every URL, as a real server's would) or in what the simulator's control API shows. And each
# secret must have been used: the playbook asserts that the tasks using each credential succeeded (a wrong one
# fails) and that the errors quoting secrets came back masked; below, the simulator confirms that every secret
# parameter value arrived and that it issued the crumbs and IAM tokens the modules fetched.
set -eux
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh
SIM_SPEED=10 start_simulator "$(pwd)/files/scenario.yml" --verbose
py="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"
out="${OUTPUT_DIR:-$PWD}/secrets-output"  # ansible-test's output directory of the target
rm -rf "$out"
mkdir -p "$out/checked"

set +x  # secret values from here on: not in the trace either
secret() { "$py" -c 'import sys, yaml; print(yaml.safe_load(open("files/secrets.yml"))[sys.argv[1]])' "$1"; }
# Credentials from the environment, as the vendors' own tools read them.
HUAWEICLOUD_SDK_AK="$(secret codearts_env_ak)"
HUAWEICLOUD_SDK_SK="$(secret codearts_env_sk)"
HARNESS_API_KEY="$(secret harness_env_api_key)"
export HUAWEICLOUD_SDK_AK HUAWEICLOUD_SDK_SK HARNESS_API_KEY
set -x

# Tracebacks of failed tasks are shown too. Pipelining: one process per task instead of four, which keeps the
# target fast. A failed playbook is reported after the leak check, which also names the secrets a failed task showed.
failed=""
ANSIBLE_DEBUG=0 ANSIBLE_DISPLAY_TRACEBACK=error ANSIBLE_PIPELINING=1 ansible-playbook -i inventory runme.yml -e "sim_url=${SIM_URL} results_dir=${out}/checked" -vvvv "$@" \
  > "$out/checked/playbook.log" 2>&1 || { tail -100 "$out/checked/playbook.log"; failed="the playbook failed"; }

# The simulator's own output without its start-up banner, which names the scenario's first credentials by design.
grep -v -E '^(cicd\.pipelines simulator listening on |  [a-z]+ +https?://127\.0\.0\.1:[0-9]+/)' "$SIM_DIR/log" \
  > "$out/checked/simulator.log" || true
grep -q '"POST /jenkins/' "$out/checked/simulator.log" || { echo "the simulator's access log is missing"; exit 1; }

# What the control API shows (request log, executions, scenario), and the list of secrets: files/secrets.yml
# plus what the simulator issued at run time (crumbs, session ids, IAM tokens). Every secret value the modules
# send must have arrived (the simulator keeps their digests only).
"$py" - "$SIM_URL" "$out" <<'PY' || failed="${failed:+$failed; }a secret was not used"
import hashlib, json, sys, urllib.request, yaml

sim, out = sys.argv[1:]


def get(path):
    with urllib.request.urlopen(sim + '/_sim/' + path) as answer:
        return json.load(answer)


for name in ('requests', 'executions', 'scenario'):
    with open('%s/checked/sim-%s.json' % (out, name), 'w') as handle:
        json.dump(get(name), handle, indent=1)
secrets = yaml.safe_load(open('files/secrets.yml'))
seen = get('secrets')
names = list(secrets.items())
for vendor, kinds in sorted(seen['issued'].items()):
    for kind, values in sorted(kinds.items()):
        names += [('%s %s #%d' % (vendor, kind, number), value) for number, value in enumerate(values, 1)]
with open(out + '/secrets.tsv', 'w') as handle:
    handle.writelines('%s\t%s\n' % pair for pair in names)

problems = []
sent = ('jenkins_build_password', 'jenkins_input_password', 'buddy_encrypted_variable', 'buddy_masked_input',
        'buddy_gate_variable', 'codearts_secret_variable')
received = set(seen['received_sha256'])
problems += ['the simulator never received %s' % name for name in sent
             if hashlib.sha256(secrets[name].encode('utf-8')).hexdigest() not in received]
issued = seen['issued']
# One IAM token is the playbook's own (given as api_token); the others the modules fetched for the IAM user.
wanted = {('jenkins', 'crumbs'): 1, ('jenkins', 'sessions'): 1, ('codearts', 'iam_tokens'): 2}
problems += ['the simulator issued %d %s %s, expected at least %d' % (len(issued.get(v, {}).get(k, [])), v, k, n)
             for (v, k), n in wanted.items() if len(issued.get(v, {}).get(k, [])) < n]
for problem in problems:
    print('NOT USED: %s' % problem)
sys.exit(1 if problems else 0)
PY

set +x  # the loop reads the secret values: only their names are printed
leaks=0
while IFS=$'\t' read -r name value; do
  for file in "$out"/checked/*; do
    if grep -qF -- "$value" "$file"; then
      echo "LEAK: secret '$name' appears in $(basename "$file") ($(grep -cF -- "$value" "$file") lines)"
      leaks=$((leaks + 1))
    fi
  done
done < "$out/secrets.tsv"
set -x
[ "$leaks" -eq 0 ] || failed="${failed:+$failed; }$leaks leaks"
[ -z "$failed" ] || { echo "FAILED: $failed; the outputs are in $out"; exit 1; }
echo "none of the $(wc -l < "$out/secrets.tsv") secrets appears in: $(cd "$out/checked" && echo *)"
rm -rf "$out"
