"""glf-bench: every model of the GLF paper, its FID/PRD, Tables 1-6 and Figures 3-4.

    snakemake --cores 8 results/smoke/table1.csv                                # smoke preset
    snakemake --cores 8 results/table1.csv --configfile workflow/config/paper.yaml

Without --configfile the smoke preset is used.  The preset is validated against
workflow/schema/config.schema.yaml, and the weights files it needs (Inception, VGG16) are checked
against their SHA-256, before any job is planned.
"""
import yaml
from snakemake.logging import logger
from snakemake.utils import min_version

from benchmark.config import ConfigError, validate_config
from benchmark.preset_weights import check_needed_weights
from benchmark.weights import WeightsError

min_version("9.0")

DEFAULT_PRESET = "workflow/config/smoke.yaml"

if not config:
    config.update(yaml.safe_load(open(DEFAULT_PRESET)))
try:
    config.update(validate_config(dict(config), source="snakemake config"))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
if workflow.is_main_process:  # once per workflow run; each job checks the files it loads again
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
