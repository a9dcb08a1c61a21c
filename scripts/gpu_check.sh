#!/usr/bin/env bash
# The GPU check in ONE device call of at most 10 minutes: every phase under its own `timeout`, so a
# hang costs that phase only; everything comes back under $OUT (one log per phase, summary.txt, the
# results as tar files).
#
#   OUT=/tmp/out scripts/gpu_check.sh            # on the GPU machine (the device tool's $OUT)
#   TINY=1 OUT=/tmp/out scripts/gpu_check.sh     # on a CPU, tiny sizes: the same phases end to end
#
# Carry (git-ignored folders): .gpu_bundle (../shared/tools/gpu_bundle.sh: snakemake, jsonschema,
# pytorch-fid, clean-fid), .gpu_data/fashion-mnist/ (the four Fashion-MNIST .gz files),
# .authors_code (a clone of github.com/nalzok/flow-comparison) and .whl (FrEIA 0.2's wheel).
# Phases, in order (PHASES picks some):
#   bundle       install the bundle and FrEIA into .gpu_site
#   perf         benchmark.commands.perf, alone on the machine: every step variant and layout for GLF
#                and VAE at 28x28x1, batch 256, in a 60 s budget (results/perf_gpu.csv with the
#                device name) and the profiler summary (results/perf_gpu_profile.txt)
#   then, in the background (the GPU and 16 cores have room for them):
#   validation   the validation-gpu preset through the local profile (snakemake --keep-going); what
#                did not finish in time is left out, the tables are written from what did
#   compare      benchmark.commands.compare_authors: the authors' train_glf.py against the suite's
#                GLF at the validation-cpu budget, 3 seeds each (results/authors_vs_suite.*)
#   and meanwhile in the foreground:
#   determinism  a 2-epoch GLF run of validation-gpu trained twice with deterministic: true (equal
#                weight hashes expected) and twice without (results/repeat_*.csv: the speed cost,
#                both pairs timed under the same background load)
#   tests        the CUDA cases of tests/test_compiled_step.py (float64 criterion, planted departures)
set -uo pipefail
OUT=${OUT:?set OUT to the folder the results go to}
PYTHON=${PYTHON:-python3}
PHASES=${PHASES:-bundle perf validation compare determinism tests}
TINY=${TINY:-0}
T_BUNDLE=${T_BUNDLE:-40} T_PERF=${T_PERF:-75} T_DETERMINISM=${T_DETERMINISM:-90}
T_VALIDATION=${T_VALIDATION:-420} T_COMPARE=${T_COMPARE:-330} T_TESTS=${T_TESTS:-220}
PRESET=workflow/config/validation-gpu.yaml
COMPARE_PRESET=workflow/config/validation-cpu.yaml
RESULTS=results  # tiny mode keeps its files out of the repository's results
[ "$TINY" = 1 ] && RESULTS=$OUT/results
mkdir -p "$OUT" "$RESULTS"
export PYTHONPATH=$PWD/.gpu_site:$PWD/.gpu_bundle/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
summary="$OUT/summary.txt"
: > "$summary"
wanted() { case " $PHASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
phase() {  # phase NAME SECONDS COMMAND...: run it under timeout, log to $OUT/NAME.log, note its outcome
  local name=$1 limit=$2; shift 2
  wanted "$name" || return 0
  local started=$SECONDS
  if [ "$(type -t "$1")" = function ]; then  # timeout runs programs: a function runs in a bash of its own
    timeout --kill-after=10 "$limit" bash -c "$1" > "$OUT/$name.log" 2>&1
  else
    timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  fi
  local rc=$?
  echo "$name: rc $rc, $((SECONDS - started)) s (limit $limit s)" | tee -a "$summary"
}
if [ "$TINY" = 1 ]; then  # tiny presets on CPU: synthetic images for the validation, few Fashion images
  PRESET=$OUT/validation-tiny.yaml COMPARE_PRESET=$OUT/compare-tiny.yaml
  "$PYTHON" - "$PRESET" "$COMPARE_PRESET" "$OUT" <<'PYEOF'
import sys, yaml
from benchmark.config import read_preset
preset, compare, out = sys.argv[1:]
config = read_preset("workflow/config/validation-gpu.yaml")  # laid over its base, paper.yaml
config.update(preset="validation-tiny", device="cpu", seeds=[0], data_root=".", cache_dir=f"{out}/tiny.cache",
              runs_dir=f"{out}/tiny.runs", results_dir=f"{out}/tiny.results")
config["datasets"] = {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}}
config["models"] = {name: {**config["models"][name], "batch_size": 16} for name in ("vae", "glf")}
config["table1"] = {"models": ["vae", "glf"], "datasets": ["synthetic28"]}
config["figures"] = {"figure3": {"dataset": "synthetic28", "models": ["glf"]}, "grids": ["glf"]}
config["sensitivity"] = [{"model": "glf", "switch": "decoder_output", "values": ["tanh", "sigmoid"]}]
config["resources"] = {**config["resources"], "gpus_per_job": 0}
config["evaluation"].update(num_samples=32, holdout_images=16, classifier_epochs=1, classifier_max_images=64,
                            prd_runs=1, batch_size=32, eval_samples=32)
yaml.safe_dump(config, open(preset, "w"))
cmp = read_preset("workflow/config/validation-cpu.yaml")
cmp.update(preset="compare-tiny", data_root=".gpu_data", cache_dir=f"{out}/cmp.cache", runs_dir=f"{out}/cmp.runs",
           results_dir=f"{out}/cmp.results")
cmp["datasets"]["fashion"].update(epochs=1, lr_milestones=[])
cmp["evaluation"].update(num_samples=200, classifier_epochs=1, classifier_max_images=2000, prd_runs=1)
yaml.safe_dump(cmp, open(compare, "w"))
PYEOF
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L | tee -a "$summary"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$summary"
git rev-parse HEAD 2>/dev/null | sed 's/^/commit /' | tee -a "$summary"

install_bundle() {
  [ -d .gpu_bundle ] || { echo "no .gpu_bundle carried"; return 1; }
  local wheels=(.gpu_bundle/wheels/*.whl .whl/*.whl)
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target .gpu_site "${wheels[@]}" || return 1
  "$PYTHON" -c "import snakemake, jsonschema, FrEIA; print('snakemake', snakemake.__version__)"
}
export OUT PYTHON TINY PRESET COMPARE_PRESET RESULTS T_VALIDATION
export -f install_bundle
phase bundle "$T_BUNDLE" install_bundle
# The preset's settings as the workflow reads them (laid over its base): after the bundle, which
# brings jsonschema to the machine.
preset_value() { "$PYTHON" -c "import sys; from benchmark.config import read_preset; print($1)" "$PRESET"; }
DATASET=$(preset_value "next(iter(read_preset(sys.argv[1])['datasets']))")
RUNS=$(preset_value "read_preset(sys.argv[1])['runs_dir']")
PRESET_RESULTS=$(preset_value "read_preset(sys.argv[1])['results_dir']")
export DATASET RUNS PRESET_RESULTS

if [ "$TINY" = 1 ]; then
  PERF_ARGS=(--device cpu --images 32 --batch-size 8 --budget-seconds 2 --backend aot_eager --profile-steps 2
             --variants eager losses)
else
  PERF_ARGS=(--device cuda --images 8192 --batch-size 256 --budget-seconds 45 --variants eager losses whole
             --layouts channels_last contiguous)
fi
phase perf "$T_PERF" "$PYTHON" -m benchmark.commands.perf --shapes 28x28x1 --tasks "${PERF_ARGS[@]}" \
  --profile "$RESULTS/perf_gpu_profile.txt" --out-dir "$RESULTS"


validation() {  # the whole DAG where it fits; else the results commands on what finished
  local started=$SECONDS
  timeout --kill-after=10 $((T_VALIDATION - 45)) \
    "$PYTHON" -m snakemake all --configfile "$PRESET" --profile workflow/profiles/local --cores all --keep-going
  local rc=$?
  echo "snakemake rc $rc after $((SECONDS - started)) s" | tee "$RESULTS/validation_gpu_seconds.txt"
  if [ "$rc" != 0 ]; then
    local config="$RUNS/preset.yaml"
    for name in table1 table2 table3 table4 table5 table6 sensitivity; do
      "$PYTHON" -m benchmark.commands.tables --config "$config" "$name" || true
    done
    for name in figure3 figure4; do "$PYTHON" -m benchmark.commands.figures --config "$config" "$name" || true; done
    "$PYTHON" -m benchmark.commands.write_claims --config "$config" || true
    "$PYTHON" -m benchmark.commands.write_provenance --config "$config" --out "$PRESET_RESULTS/provenance.json" || true
  fi
}
compare() {
  local device=cuda
  [ "$TINY" = 1 ] && device=cpu
  "$PYTHON" -m benchmark.commands.compare_authors --authors-code .authors_code --config "$COMPARE_PRESET" \
    --seeds 0 1 2 --device "$device" --data-root .gpu_data --work-dir "${TMPDIR:-/tmp}/compare-runs" \
    --out "$RESULTS/authors_vs_suite" $( [ "$TINY" = 1 ] && echo --max-images 512 --num-samples 200 )
}
if [ "$TINY" = 1 ]; then TEST_SELECTION="leaves_no_trace"; else TEST_SELECTION="cuda"; fi
export -f validation compare
wanted validation && { phase validation "$T_VALIDATION" validation & }
wanted compare && { phase compare "$T_COMPARE" compare & }
determinism() {
  local check="$OUT/determinism.yaml"
  "$PYTHON" - "$PRESET" "$check" <<'PYEOF'
import sys, yaml
from benchmark.config import read_preset
config = read_preset(sys.argv[1])  # laid over its base, paper.yaml
config["cache_dir"] = sys.argv[2] + ".cache"  # its own data cache: the validation prepares the preset's at once
for settings in config["datasets"].values():
    settings.update(epochs=min(settings["epochs"], 2), lr_milestones=[])
yaml.safe_dump(config, open(sys.argv[2], "w"))
PYEOF
  "$PYTHON" -m benchmark.commands.repeat_run --config "$check" --model glf --dataset "$DATASET" \
    --deterministic true --repeats 2 --expect-equal --out "$RESULTS/repeat_deterministic.csv" || return 1
  "$PYTHON" -m benchmark.commands.repeat_run --config "$check" --model glf --dataset "$DATASET" \
    --deterministic false --repeats 2 --out "$RESULTS/repeat_default.csv"
}
export -f determinism
phase determinism "$T_DETERMINISM" determinism
phase tests "$T_TESTS" "$PYTHON" -m pytest tests/test_compiled_step.py -q -p no:cacheprovider -k "$TEST_SELECTION"
wait

tar -czf "$OUT/results.tar.gz" "$RESULTS" "$PRESET_RESULTS" 2>>"$summary"
tar -czf "$OUT/runs.tar.gz" --exclude='*.pt' --exclude='*.lock' "$RUNS" 2>>"$summary"
cat "$summary"
