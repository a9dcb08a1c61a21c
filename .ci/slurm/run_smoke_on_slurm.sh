#!/usr/bin/env bash
# Run the smoke preset of the main workflow through workflow/profiles/slurm on the
# one-node localhost cluster, then prove from the logs that every job ran as a SLURM job
# (its log records SLURM_JOB_ID=<number>) and every localrule on this host (=none).
#
#   .ci/slurm/run_smoke_on_slurm.sh [extra snakemake arguments]
#
# Environment: SNAKEMAKE (default: .venv/bin/snakemake, else snakemake on PATH),
# plus start_cluster.sh's GLF_SLURM_* variables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ -z "${SNAKEMAKE:-}" ]]; then
    if [[ -x .venv/bin/snakemake ]]; then SNAKEMAKE=.venv/bin/snakemake; else SNAKEMAKE=snakemake; fi
fi
PYTHON="$(dirname "$(command -v "$SNAKEMAKE")")/python"

.ci/slurm/start_cluster.sh

# This shell must not look like a SLURM job itself, or localrules would inherit its id.
unset "${!SLURM_@}"
started="$(date +%s)"
# 5 s before the first squeue poll instead of 40 s: the smoke jobs are short.
"$SNAKEMAKE" --profile workflow/profiles/slurm --configfile workflow/config/smoke.yaml \
    --slurm-init-seconds-before-status-checks 5 "$@"
echo "run_smoke_on_slurm: snakemake finished in $(( $(date +%s) - started )) s"

snakemake_log="$(ls -t .snakemake/log/*.snakemake.log | head -n 1)"
"$PYTHON" .ci/slurm/check_job_logs.py "$snakemake_log"
