# Two commands do everything on a fresh machine:  `make smoke`  and  `make test`.
# Snakemake takes every word after --configfile as a file: targets always come before it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
GPUS ?= 1
GPU_SLOTS ?= 4
PLAN ?= paper-dryrun.txt
# The torch wheels' index: empty = PyPI's default (the CUDA build on Linux); a CPU-only machine can
# take the much smaller CPU build: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
PAPER := --configfile workflow/config/paper.yaml --profile workflow/profiles/local


.PHONY: setup smoke test validate-cpu validate-figures paper paper-gpu paper-dryrun clean-results compare-authors

setup: $(STAMP)

# torch first, pinned, so that no other package pulls a different build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The Fashion-MNIST files come from data/, $$GLF_SHARED_DATA or ../shared/data, else are downloaded
# into data/ (workflow/config/smoke.yaml).
smoke: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) all --configfile workflow/config/smoke.yaml --profile workflow/profiles/local

test: $(STAMP)
	$(BIN)/python -m pytest

# The real-data validation on a 2-core machine (wall time in results/validation-cpu/README.md): two
# single-threaded jobs at a time, results in results/validation-cpu/.
validate-cpu: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/snakemake --cores 2 all --configfile workflow/config/validation-cpu.yaml --profile workflow/profiles/local

# Figures 3 and 4 on real data on a 2-core machine (wall time in the preset's header), 3 seeds each,
# one job at a time on both threads: results in results/validation-figures/.
validate-figures: $(STAMP)
	$(BIN)/snakemake --cores 2 all --configfile workflow/config/validation-figures.yaml --profile workflow/profiles/local \
		--set-threads train=2 sample=2 evaluate=2 floor=2 reference_stats=2

# The suite's GLF against the authors' released train_glf.py (docs/authors-comparison.md):
# make compare-authors AUTHORS_CODE=<checkout of github.com/nalzok/flow-comparison>
# [COMPARE_ARGS="--device cuda --seeds 0 1 2"]; FrEIA (the optional extra) is installed when missing.
COMPARE_PRESET ?= workflow/config/validation-cpu.yaml
compare-authors: $(STAMP)
	@test -n "$(AUTHORS_CODE)" || { echo "error: set AUTHORS_CODE=<checkout of github.com/nalzok/flow-comparison>"; exit 2; }
	$(BIN)/python -c "import FrEIA" 2>/dev/null || $(BIN)/pip install --quiet -e '.[authors]'
	$(BIN)/python -m benchmark.commands.compare_authors --authors-code $(AUTHORS_CODE) --config $(COMPARE_PRESET) $(COMPARE_ARGS)

# The paper: every table, figure, claim and sensitivity row (target all) on this machine's GPUs,
# one job per GPU at a time.
paper: $(STAMP)
	$(BIN)/snakemake all $(PAPER) --resources gpus=$(GPUS)

# The same with GPU_SLOTS jobs sharing each GPU (small runs use a fraction of a large GPU).
paper-gpu: $(STAMP)
	$(BIN)/snakemake all $(PAPER) --resources gpus=$(GPUS) gpu_slots=$$(( $(GPUS) * $(GPU_SLOTS) ))

# What `make paper` would run, without running it: a summary (jobs per rule, datasets, models, the
# estimate, warnings last); the full plan goes to $(PLAN).
paper-dryrun: $(STAMP)
	$(BIN)/snakemake -n all $(PAPER) --resources gpus=$(GPUS) > $(PLAN) 2>&1 || { tail -n 20 $(PLAN); exit 1; }
	$(BIN)/python -m benchmark.commands.plan_summary $(PLAN)

clean-results:
	rm -rf results/smoke runs/smoke
