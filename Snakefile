"""glf-bench: every model of the GLF paper, its FID/PRD, Tables 1-6 and Figures 3-4.

    snakemake --cores 8 results/smoke/table1.csv                                # smoke preset
    snakemake --cores 8 results/table1.csv --configfile workflow/config/paper.yaml

Targets go before --configfile (which takes every word after it as a file).  Without
--configfile the smoke preset is used.  A preset with a ``base`` key is laid over that preset
(benchmark/config.py, with_base), then validated against
workflow/schema/config.schema.yaml, its dataset files are found (benchmark/preset_data.py) and the
weights files it needs (Inception, VGG16) are checked against their SHA-256, before any job is
planned; a dry run only warns about missing data.
"""
import yaml
from snakemake.logging import logger
from snakemake.utils import min_version

from benchmark.config import ConfigError, command_line_booleans, read_preset, validate_config, with_base
from benchmark.data import DataError
from benchmark.preset_data import find_data_root
from benchmark.preset_weights import check_needed_weights
from benchmark.weights import WeightsError

min_version("9.0")

DEFAULT_PRESET = "workflow/config/smoke.yaml"

try:
    if "preset" not in config:  # no --configfile: the smoke preset, under any --config values
        config.update({**read_preset(DEFAULT_PRESET), **config})
    if "base" in config:  # Snakemake read the --configfile as written: lay it over its base here
        stating = [path for path in workflow.configfiles if "base" in (yaml.safe_load(open(path)) or {})]
        if not stating:
            raise ConfigError("'base' is a key of a preset file (base: paper.yaml), not a --config value: "
                              "write it in the preset given to --configfile")
        merged = with_base(dict(config), stating[-1])
        config.clear()  # the merged preset has no base key, nor the keys the preset sets to null
        config.update(merged)
    config.update(validate_config(command_line_booleans(dict(config)), source="snakemake config"))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
DRY_RUN = bool(workflow.output_settings and workflow.output_settings.dryrun)
if workflow.is_main_process:  # once per workflow run; each job checks the files it loads again
    try:  # a dry run downloads nothing, so it takes the download hosts as reachable
        config["data_root"] = str(find_data_root(config, **({"online": lambda url: True} if DRY_RUN else {})))
    except DataError as err:
        if not DRY_RUN:
            raise WorkflowError(str(err)) from None
        logger.warning(f"warning: {err}")
    try:
        for warning in check_needed_weights(config):
            logger.warning(f"warning: {warning}")
    except WeightsError as err:
        raise WorkflowError(str(err)) from None


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
