#!/usr/bin/env bash
# The GPU check in device calls of at most 8 minutes: every phase under its own `timeout`, so that a
# hang costs that phase only; everything it writes goes under $OUT (one log per phase, the results
# folder as one tar file).
#
#   OUT=/tmp/out scripts/gpu_check.sh                          # call 1: bundle tests determinism perf
#   OUT=/tmp/out PHASES="bundle validation" scripts/gpu_check.sh   # call 2: the validation-gpu preset
#   TINY=1 OUT=/tmp/out PHASES="tests determinism perf validation" scripts/gpu_check.sh   # CPU, tiny
#
# Carry: .gpu_bundle (made by ../shared/tools/gpu_bundle.sh: snakemake, jsonschema, pytorch-fid,
# clean-fid for a machine without internet) and .gpu_data (the four Fashion-MNIST .gz files in
# .gpu_data/fashion-mnist/, copied from ../shared/data/fashion-mnist).
# Phases (PHASES picks some, e.g. PHASES="validation" to resume the preset run in a second call):
#   bundle       install the carried bundle into .gpu_site and put it on PYTHONPATH
#   tests        the CUDA cases of tests/test_compiled_step.py (float64 criterion, planted departures)
#   determinism  a 2-epoch GLF run of validation-gpu twice with deterministic: true (same weight
#                hash expected) and twice without: results/repeat_*.csv (seconds = the speed cost)
#   perf         benchmark.commands.perf: every step variant and layout for GLF and VAE at 28x28x1,
#                batch 256 (results/perf_gpu.csv, with the device name) and the profiler summary
#                (results/perf_gpu_profile.txt)
#   validation   the validation-gpu preset through the local profile (resumes where a previous
#                call stopped); its seconds in results/validation_gpu_seconds.txt
set -uo pipefail
OUT=${OUT:?set OUT to the folder the results go to}
PYTHON=${PYTHON:-python3}
PHASES=${PHASES:-bundle tests determinism perf}
TINY=${TINY:-0}
T_BUNDLE=${T_BUNDLE:-30} T_TESTS=${T_TESTS:-170} T_DETERMINISM=${T_DETERMINISM:-100} T_PERF=${T_PERF:-150}
T_VALIDATION=${T_VALIDATION:-420}
PRESET=workflow/config/validation-gpu.yaml
RESULTS=results  # tiny mode keeps its files out of the repository's results
[ "$TINY" = 1 ] && RESULTS=$OUT/results
mkdir -p "$OUT" "$RESULTS"
export PYTHONPATH=$PWD/.gpu_site:$PWD/.gpu_bundle/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
summary="$OUT/summary.txt"
: > "$summary"
phase() {  # phase NAME SECONDS COMMAND...: run it under timeout, log to $OUT/NAME.log, note its outcome
  local name=$1 limit=$2; shift 2
  case " $PHASES " in *" $name "*) ;; *) return 0 ;; esac
  local started=$SECONDS
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name: rc $rc, $((SECONDS - started)) s (limit $limit s)" | tee -a "$summary"
}
if [ "$TINY" = 1 ]; then  # a tiny preset on CPU: synthetic images, one seed, GLF and VAE, few samples
  PRESET=$OUT/validation-tiny.yaml
  "$PYTHON" - "$PRESET" <<'PYEOF'
import sys, yaml
config = yaml.safe_load(open("workflow/config/validation-gpu.yaml"))
config.update(preset="validation-tiny", device="cpu", seeds=[0], data_root=".", cache_dir=f"{sys.argv[1]}.cache",
              runs_dir=f"{sys.argv[1]}.runs", results_dir=f"{sys.argv[1]}.results")
config["datasets"] = {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}}
config["models"] = {name: {**config["models"][name], "batch_size": 16} for name in ("vae", "glf")}
config["table1"] = {"models": ["vae", "glf"], "datasets": ["synthetic28"]}
config["resources"] = {**config["resources"], "gpus_per_job": 0}
config["evaluation"].update(num_samples=32, holdout_images=16, classifier_epochs=1, classifier_max_images=64,
                            prd_runs=1, batch_size=32)
yaml.safe_dump(config, open(sys.argv[1], "w"))
PYEOF
fi
DATASET=$("$PYTHON" -c "import yaml,sys; print(next(iter(yaml.safe_load(open(sys.argv[1]))['datasets'])))" "$PRESET")
command -v nvidia-smi >/dev/null && nvidia-smi -L | tee -a "$summary"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$summary"

install_bundle() {
  [ -d .gpu_bundle ] || { echo "no .gpu_bundle carried"; return 1; }
  if compgen -G ".gpu_bundle/wheels/*.whl" >/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --target .gpu_site .gpu_bundle/wheels/*.whl
  fi
  "$PYTHON" -c "import snakemake, jsonschema; print('snakemake', snakemake.__version__)"
}
phase bundle "$T_BUNDLE" install_bundle

if [ "$TINY" = 1 ]; then TEST_SELECTION="leaves_no_trace"; else TEST_SELECTION="cuda"; fi
phase tests "$T_TESTS" "$PYTHON" -m pytest tests/test_compiled_step.py -q -x -p no:cacheprovider -k "$TEST_SELECTION"

determinism() {
  local check="$OUT/determinism.yaml"
  "$PYTHON" - "$PRESET" "$check" <<'PYEOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
for settings in config["datasets"].values():
    settings.update(epochs=min(settings["epochs"], 2), lr_milestones=[])
yaml.safe_dump(config, open(sys.argv[2], "w"))
PYEOF
  "$PYTHON" -m benchmark.commands.repeat_run --config "$check" --model glf --dataset "$DATASET" \
    --deterministic true --repeats 2 --expect-equal --out "$RESULTS/repeat_deterministic.csv" || return 1
  "$PYTHON" -m benchmark.commands.repeat_run --config "$check" --model glf --dataset "$DATASET" \
    --deterministic false --repeats 2 --out "$RESULTS/repeat_default.csv"
}
phase determinism "$T_DETERMINISM" determinism

if [ "$TINY" = 1 ]; then
  PERF_ARGS=(--device cpu --images 32 --batch-size 8 --budget-seconds 2 --backend aot_eager --profile-steps 2
             --variants eager losses)
else
  PERF_ARGS=(--device cuda --images 8192 --batch-size 256 --budget-seconds 60 --variants eager losses whole
             --layouts channels_last contiguous)
fi
phase perf "$T_PERF" "$PYTHON" -m benchmark.commands.perf --shapes 28x28x1 --tasks "${PERF_ARGS[@]}" \
  --profile "$RESULTS/perf_gpu_profile.txt" --out-dir "$RESULTS"

validation() {
  local started=$SECONDS
  "$PYTHON" -m snakemake --profile workflow/profiles/local --configfile "$PRESET" --cores all || return 1
  echo "$PRESET: $((SECONDS - started)) s" | tee "$RESULTS/validation_gpu_seconds.txt"
}
phase validation "$T_VALIDATION" validation

tar -czf "$OUT/results.tar.gz" "$RESULTS" $( [ "$TINY" = 1 ] && echo "$PRESET.results" ) 2>>"$summary"
cat "$summary"
