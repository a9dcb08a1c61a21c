# Two commands do everything on a fresh machine:  `make smoke`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: setup smoke test validate-cpu paper-dryrun clean-results compare-authors

setup: $(STAMP)

# torch first, pinned, so that no other package pulls a different build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

smoke: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile workflow/config/smoke.yaml --profile workflow/profiles/local

test: $(STAMP)
	$(BIN)/python -m pytest

# The real-data validation on this machine's 2 cores (about 90 minutes): two single-threaded jobs
# at a time, results in results/validation-cpu/.
validate-cpu: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/snakemake --cores 2 --configfile workflow/config/validation-cpu.yaml --profile workflow/profiles/local

# The suite's GLF against the authors' released train_glf.py (README, "Checking against the authors'
# code"): make compare-authors AUTHORS_CODE=<checkout of github.com/nalzok/flow-comparison>
# [COMPARE_ARGS="--device cuda --seeds 0 1 2"]; FrEIA (the optional extra) is installed when missing.
COMPARE_PRESET ?= workflow/config/validation-cpu.yaml
compare-authors: $(STAMP)
	@test -n "$(AUTHORS_CODE)" || { echo "error: set AUTHORS_CODE=<checkout of github.com/nalzok/flow-comparison>"; exit 2; }
	$(BIN)/python -c "import FrEIA" 2>/dev/null || $(BIN)/pip install --quiet -e '.[authors]'
	$(BIN)/python -m benchmark.commands.compare_authors --authors-code $(AUTHORS_CODE) --config $(COMPARE_PRESET) $(COMPARE_ARGS)

paper-dryrun: $(STAMP)
	$(BIN)/snakemake -n results/table1.csv --configfile workflow/config/paper.yaml

clean-results:
	rm -rf results/table* results/figure* results/samples results/paper_vs_ours.csv results/claims.* results/provenance.json results/perf.html runs/smoke
