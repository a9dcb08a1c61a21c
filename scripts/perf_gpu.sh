#!/usr/bin/env bash
# The GPU check of the speed work, in one run: benchmark.commands.perf on CUDA at real sizes (writes
# results/perf_gpu.csv with the device name), then the validation-quick preset through the
# local profile (several runs per GPU via resources.gpu_slots), timed.
# Sizes come from the environment so that the same script is tried on CPU first, e.g.
#   DEVICE=cpu IMAGES=32 BATCH=8 MIN_STEPS=2 MIN_SECONDS=0 REPEATS=1 EVAL_SAMPLES=40 \
#   CLASSIFIER_IMAGES=16 INCEPTION_IMAGES=2 PRD_FEATURES=40 OUT_DIR=/tmp/perf PRESET=none scripts/perf_gpu.sh
set -euo pipefail
PYTHON=${PYTHON:-python}
OUT_DIR=${OUT_DIR:-results}
PRESET=${PRESET:-workflow/config/validation-quick.yaml}
mkdir -p "$OUT_DIR"
command -v nvidia-smi >/dev/null && nvidia-smi -L
"$PYTHON" -m benchmark.commands.perf --device "${DEVICE:-cuda}" --images "${IMAGES:-8192}" --batch-size "${BATCH:-256}" \
  --min-steps "${MIN_STEPS:-50}" --min-seconds "${MIN_SECONDS:-2}" --repeats "${REPEATS:-3}" \
  --classifier-images "${CLASSIFIER_IMAGES:-10000}" --inception-images "${INCEPTION_IMAGES:-2048}" \
  --prd-features "${PRD_FEATURES:-10000}" --evaluate-samples "${EVAL_SAMPLES:-10000}" --out-dir "$OUT_DIR"
if [ -f "$PRESET" ]; then
  started=$(date +%s)
  "$PYTHON" -m snakemake --profile workflow/profiles/local --configfile "$PRESET" --cores all
  echo "$PRESET: $(( $(date +%s) - started )) s" | tee "$OUT_DIR/validation_quick_seconds.txt"
else
  echo "$PRESET not found: preset run skipped"
fi
