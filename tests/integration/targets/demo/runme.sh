#!/usr/bin/env bash
# The README's main job: the demo release train, run twice by playbooks/demo.sh, which fails unless
# the second run changes nothing and sends no build request (read from the simulator's request log).
# Then the release report it wrote: Markdown, and one HTML page with an SVG timeline and no external assets.
set -eux
COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/cicd/pipelines"
REPORT_DIR="$(mktemp -d)"
trap 'rm -rf "$REPORT_DIR"' EXIT
PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}" DEMO_SPEED=8 ANSIBLE_FORCE_COLOR=false DEMO_REPORT_DIR="$REPORT_DIR" \
  bash "${COLLECTION_ROOT}/playbooks/demo.sh" | tee "$REPORT_DIR/demo.log"
grep -q "report: $REPORT_DIR/shop-1.4.2.md and $REPORT_DIR/shop-1.4.2.html" "$REPORT_DIR/demo.log"
grep -q '^## Release shop 1.4.2: succeeded' "$REPORT_DIR/shop-1.4.2.md"
[ "$(grep -c '^| deploy |' "$REPORT_DIR/shop-1.4.2.md")" -eq 4 ]
[ "$(grep -c '^| build |' "$REPORT_DIR/shop-1.4.2.md")" -eq 4 ]
grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$REPORT_DIR/shop-1.4.2.html"
# Self-contained: no scripts, style sheets or images fetched from anywhere.
! grep -Eq '<script|<link|<img|src=' "$REPORT_DIR/shop-1.4.2.html"
