"""Protocol sensitivity (the preset's ``sensitivity`` block, see benchmark/sensitivity.py).

Variant runs (``<model>@<switch>=<value>``) go through the rules of train.smk and evaluate.smk
like every model; here only the evaluation of runs' samples under another FID resize variant
(its own reference statistics and metrics file).  The sampling protocol needs no rule: every
metrics file holds both FIDs."""
from benchmark.sensitivity import evaluation_config, other_fid_variants


def variant_feature_inputs(variant_config):
    """``feature_inputs`` under ``variant_config``: an input function of the dataset wildcard."""
    return lambda w: [str(paths.feature_weights(variant_config, w.dataset)),
                      str(paths.reference_stats(variant_config, w.dataset))]


for _variant in other_fid_variants(config):
    _config = evaluation_config(config, "fid_variant", _variant)

    rule:
        name:
            f"reference_stats_{_variant}"
        input:
            data_ready,
            lambda w: str(paths.feature_weights(config, w.dataset)),
        output:
            str(paths.reference_stats(_config, "{dataset}")),
        log:
            f"logs/reference_stats/{{dataset}}-{_variant}.log",
        resources:
            gpu=GPUS,
            gpu_slots=GPU_SLOT,
            mem_mb=EVAL_MEM_MB,
            runtime=EVAL_RUNTIME,
        shell:
            f"{PYTHON} -m benchmark.commands.evaluate --config {PRESET} --fid-variant {shell_arg(_variant)}"
            " reference --dataset {wildcards.dataset:q} > {log:q} 2>&1"

    rule:
        name:
            f"evaluate_{_variant}"
        group:
            "run"
        input:
            samples=f"{RUN}/samples.pt",
            features=variant_feature_inputs(_config),
        output:
            str(paths.metrics(_config, "{dataset}", "{model}", "{seed}")),
        params:
            evaluation=evaluation_params(_config["evaluation"]),
        log:
            f"logs/evaluate/{{dataset}}-{{model}}-seed{{seed}}-{_variant}.log",
        resources:
            gpu=GPUS,
            gpu_slots=GPU_SLOT,
            mem_mb=EVAL_MEM_MB,
            runtime=EVAL_RUNTIME,
        shell:
            f"{PYTHON} -m benchmark.commands.evaluate --config {PRESET} --fid-variant {shell_arg(_variant)} samples"
            " --dataset {wildcards.dataset:q} --model {wildcards.model:q} --samples {input.samples:q} --out {output:q}"
            " > {log:q} 2>&1"
