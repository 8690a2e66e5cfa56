# Developer and CI entry points. The README's test command is `make test` (.ci/run calls exactly that).
#
#   make install                      create/refresh .venv from requirements-dev.txt (idempotent, fast when unchanged)
#   make test                         install + every stage: sanity units reliability contract integration build-install ansible-lint
#                                     campaign molecule bench-smoke, and sanity/units/integration on the newest ansible-core
#   make test STAGES="sanity units"   only some stages (also: STAGES="..." in the environment)
#   make test STAGES=sanity SANITY_ARGS="--test pep8"   extra ansible-test arguments
#                                     (also UNITS_ARGS, INTEGRATION_ARGS, PYTEST_ARGS for contract)
#   make demo                         install, then run the demo against the embedded simulator
#   make bench                        install, then run the benchmarks (BENCH_ARGS="--quick" or "--only wait")
#   make campaign                     install, then the fault campaign: 10 releases per vendor at 25 % and 50 % faults
#                                     (CAMPAIGN_ARGS="--releases 3 --seed 7 --vendors buddy --verbose"; `make test` runs it small)
#   make clean                        remove generated files (keeps .venv); make distclean also removes .venv
#
# The stage runner is .ci/test.sh; it does not need an activated venv.

SHELL := /bin/bash
STAGES ?=
export STAGES SANITY_ARGS UNITS_ARGS INTEGRATION_ARGS PYTEST_ARGS CAMPAIGN_ARGS

.PHONY: help install test demo bench campaign clean distclean

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

install:
	bash .ci/install

test:
	bash .ci/test.sh

demo: install
	PATH="$(CURDIR)/.venv/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/.venv" bash playbooks/demo.sh

bench: install
	PATH="$(CURDIR)/.venv/bin:$$PATH" .venv/bin/python -m benchmarks.run $(BENCH_ARGS)

campaign: install
	PATH="$(CURDIR)/.venv/bin:$$PATH" .venv/bin/python -m tests.reliability.campaign $(CAMPAIGN_ARGS)

clean:
	rm -rf tests/output .ansible .pytest_cache dist tests/integration/inventory
	rm -f ./*.tar.gz
	find . -path ./.venv -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv .venv-newest
