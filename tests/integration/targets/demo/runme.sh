#!/usr/bin/env bash
# The README's main job: the demo release, run twice by playbooks/demo.sh, which fails unless the
# second run changes nothing and sends no build request (read from the simulator's request log).
set -eux
COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/cicd/pipelines"
PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" DEMO_SPEED=8 ANSIBLE_FORCE_COLOR=false \
  bash "${COLLECTION_ROOT}/playbooks/demo.sh"
