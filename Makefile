# Two commands do everything on a fresh machine:  `make smoke`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: setup smoke test validate-cpu paper-dryrun clean-results

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

paper-dryrun: $(STAMP)
	$(BIN)/snakemake -n results/table1.csv --configfile workflow/config/paper.yaml

clean-results:
	rm -rf results/smoke runs/smoke
