#!/usr/bin/env bash
# validation-figures in stages, one job at a time on both threads: Figure 4's models first (GLF,
# regularized GLF), then Figure 3's VAE+flow prior at beta 1, beta 400, learned variance, then the rest.
set -u
cd /work/run36
SM="/work/main/.venv/bin/snakemake --cores 2 --configfile=workflow/config/validation-figures.yaml --profile workflow/profiles/local"
OPTS="--set-threads train=2 select_penalty=2 second_stage=2 sample=2 evaluate=2 floor=2 reference_stats=2"
R=runs/validation-figures/fashion
m() { for s in 0 1 2; do echo $R/$1/seed$s/metrics-classifier.json; done; }
for group in "glf regularized_glf_beta1" "vae_flow_prior" "vae_flow_prior_beta400" "vae_flow_prior_learned"; do
  targets=$(for g in $group; do m $g; done)
  echo "=== $(date -u +%FT%TZ) stage: $group"
  $SM $targets $OPTS || echo "=== stage $group failed: $?"
done
echo "=== $(date -u +%FT%TZ) stage: all"
$SM all $OPTS
echo "=== $(date -u +%FT%TZ) done: $?"
