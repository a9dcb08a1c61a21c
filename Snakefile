"""glf-bench: every model of the GLF paper, its FID/PRD, Tables 1-6 and Figures 3-4.

    snakemake --cores 8 results/table1.csv                                      # paper preset
    snakemake --cores 8 --configfile=workflow/config/smoke.yaml results/smoke/table1.csv

--configfile=FILE takes one word; ``--configfile FILE`` with a space takes every word after it as
a file (targets go before it then: Snakemake reads those files before this Snakefile, so its
FileNotFoundError cannot be caught here).  Without
--configfile the paper preset is used.  A preset with a ``base`` key is laid over that preset
(benchmark/config.py, with_base), then validated against workflow/schema/config.schema.yaml before
any job is planned; the first line names the preset, its results folder and its device.  Before
the first job runs (onstart): a run folder that another process trains in stops the workflow (its
files untouched), so does a folder the jobs must write that is not writable, a GPU-sized preset on a machine without a GPU stops with one message,
the weights files it needs (Inception, VGG16) are checked against their SHA-256, and the files of
the datasets that jobs will prepare are found (benchmark/preset_data.py).  A dry run only warns
about missing data and weights.
"""
import sys
from pathlib import Path

import yaml
from snakemake.cli import get_argument_parser
from snakemake.logging import logger
from snakemake.utils import min_version

from benchmark.config import (ConfigError, command_line_booleans, command_line_numbers, read_preset, validate_config,
                              with_base)
from benchmark.data import DataError
from benchmark.joblog import set_aside
from benchmark.preset_data import find_data_roots
from benchmark.run_lock import busy_runs
from benchmark.workflow_start import (banner, foreign_target_message, no_gpu_message, requires_gpu, unwritable_message,
                                     visible_gpus)

min_version("9.0")

DEFAULT_PRESET = Path(workflow.basedir) / "workflow" / "config" / "paper.yaml"

CONFIG_FILES = [str(f) for f in get_argument_parser().parse_args(sys.argv[1:]).configfile or []] \
    if workflow.is_main_process else []
try:
    if "preset" not in config:  # no --configfile: the paper preset, under any --config values
        config.update({**read_preset(DEFAULT_PRESET), **config})
        CONFIG_FILES = [str(DEFAULT_PRESET)]
    if "base" in config:  # Snakemake read the --configfile as written: lay it over its base here
        stating = [path for path in workflow.configfiles if "base" in (yaml.safe_load(open(path)) or {})]
        if not stating:
            raise ConfigError("'base' is a key of a preset file (base: paper.yaml), not a --config value: "
                              "write it in the preset given to --configfile")
        merged = with_base(dict(config), stating[-1])
        config.clear()  # the merged preset has no base key, nor the keys the preset sets to null
        config.update(merged)
    CONFIG_SOURCE = f"{' + '.join(CONFIG_FILES) or 'the preset'} (with any --config values)"
    config.update(validate_config(command_line_numbers(command_line_booleans(dict(config))), source=CONFIG_SOURCE))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
DRY_RUN = bool(workflow.output_settings and workflow.output_settings.dryrun)
GPUS_HERE = visible_gpus()


include: "workflow/rules/startup.smk"


if workflow.is_main_process:  # once per workflow run; each job checks the files it loads again
    logger.info(banner(config, GPUS_HERE))
    if DRY_RUN:  # a dry run downloads nothing, so it takes the download hosts as reachable
        try:
            find_data_roots(config, unprepared_datasets(config["datasets"]), online=lambda url: True)
        except DataError as err:
            logger.warning(f"warning: {err}")
        check_weights()


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/gpu_slots.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/results.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/sensitivity.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_results(),
        CLAIM_FILES,
        SENSITIVITY_METRICS,
        PROVENANCE_FILE,


onstart:
    jobs = list(workflow.dag.needrun_jobs())
    # Snakemake deletes a job's outputs and log before it runs (and a failed job's outputs after):
    # a run another process trains now must stop this workflow before it touches that run's files.
    busy = busy_runs(f for job in jobs for f in job.output)
    if busy:
        raise WorkflowError(f"{', '.join(busy)}: in use by another process, which this workflow's jobs would "
                            "disturb (Snakemake deletes a job's outputs and log before it runs); nothing was "
                            "changed. Wait for it to end or stop it, then rerun")
    unwritable = unwritable_message(f for job in jobs for f in [*job.output, *job.log])
    if unwritable:
        raise WorkflowError(unwritable)
    if requires_gpu(config) and not GPUS_HERE and any(job.resources.get("gpu_slots") for job in jobs):
        raise WorkflowError(no_gpu_message(config))
    check_weights()
    prepared = sorted({job.wildcards.dataset for job in jobs if job.rule.name == "prepare_data"})
    try:
        find_data_roots(config, prepared)
    except DataError as err:
        raise WorkflowError(str(err)) from None
    write_resolved_preset(config, PRESET_FILE)
    # each old log to <log>.previous: a job whose submission fails shows no log, never an earlier run's
    set_aside(f for job in jobs for f in job.log)


if workflow.is_main_process:
    _made = [f for f in [*all_results(), *CLAIM_FILES, PROVENANCE_FILE] if Path(f).suffix == ".csv"]
    _problem = foreign_target_message(config, command_line_targets(), _made)
    if _problem:
        raise WorkflowError(_problem)
