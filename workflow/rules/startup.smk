"""Functions the Snakefile calls at start (before and in onstart); no rules, so that the Snakefile
holds no functions beside its rules (snakemake --lint)."""

from benchmark import paths
from benchmark.preset_weights import check_needed_weights
from benchmark.weights import WeightsError


def command_line_targets():
    """The targets named on this snakemake command line (Snakemake hands them to the workflow only
    after it is read): its own parser on ``sys.argv``."""
    return get_argument_parser().parse_args(sys.argv[1:]).targets or []


def check_weights():
    """Warn of each weights file the preset needs that is missing; stop on a missing one that no
    job fetches or on a wrong SHA-256 (benchmark/preset_weights.py)."""
    try:
        for warning in check_needed_weights(config):
            logger.warning(f"warning: {warning}")
    except WeightsError as err:
        raise WorkflowError(str(err)) from None


def unprepared_datasets(datasets):
    """The datasets among ``datasets`` whose prepared tensors are missing: only their files are read."""
    return [d for d in datasets if not paths.data_ready(config, d).exists()]
