#!/usr/bin/env bash
# CI job for SLURM support (Debian/Ubuntu runner, as root, after `make setup`):
# the profile tests on a toy workflow (a failing job must fail the run), then the
# smoke preset of the real workflow through the slurm profile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
.ci/slurm/start_cluster.sh
GLF_SLURM_TESTS=1 .venv/bin/python -m pytest tests/test_slurm_profile.py -q
.ci/slurm/run_smoke_on_slurm.sh
