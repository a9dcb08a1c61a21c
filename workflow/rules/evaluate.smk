"""Evaluation: the feature extractor and the real-data statistics once per dataset (shared by
every model), then FID and PRD of each run's samples."""


localrules:
    inception_weights,


rule inception_weights:
    output:
        str(paths.feature_weights(config, "", "inception")),
    log:
        log_file("features/inception"),
    shell:
        f"{PYTHON} -m benchmark.commands.evaluate --config {SHARED_PRESET} fetch-inception > {{log:q}} 2>&1"


# Trains a classifier only for settings with no pinned one: a pinned classifier
# (workflow/weights/classifiers.json) is what paths.feature_weights names, a committed input
# file outside this rule's output pattern, so the workflow plans with it and never retrains it.
rule classifier:
    input:
        data_ready,
    output:
        classifier_weights_pattern(config),
    params:  # read from the preset; params so that a change retrains the classifier
        epochs=EVAL["classifier_epochs"],
        max_images=EVAL["classifier_max_images"],
    log:
        log_file("features/classifier-{dataset}-{key}"),
    resources:  # no GPU: it trains on the CPU with one thread (benchmark.metrics.classifier)
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.train_classifier --config {SHARED_PRESET} --dataset {{wildcards.dataset:q}} > {{log:q}} 2>&1"


rule reference_stats:
    input:
        data_ready,
        lambda w: str(paths.feature_weights(config, w.dataset)),
    output:
        str(paths.reference_stats(config, "{dataset}")),
    log:
        log_file("reference_stats/{dataset}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.evaluate --config {SHARED_PRESET} reference --dataset {{wildcards.dataset:q}} > {{log:q}} 2>&1"


rule evaluate:
    group:
        "run"
    input:
        samples=f"{RUN}/samples.pt",
        features=lambda w: feature_inputs(w.dataset),
    output:
        str(paths.metrics(config, "{dataset}", "{model}", "{seed}")),
    params:
        evaluation=evaluation_params(EVAL),
    log:
        log_file("evaluate/{dataset}-{model}-seed{seed}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.evaluate --config {PRESET} samples --dataset {{wildcards.dataset:q}}"
        " --model {wildcards.model:q} --samples {input.samples:q} --out {output:q} > {log:q} 2>&1"


rule floor:
    input:
        data_ready,
        features=lambda w: feature_inputs(w.dataset),
    output:
        str(paths.floor_metrics(config, "{dataset}", "{kind}")),
    params:
        evaluation=json.dumps(evaluation_settings(EVAL), sort_keys=True),
    wildcard_constraints:
        kind="|".join(FLOORS),
    log:
        log_file("floor/{dataset}-{kind}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.evaluate --config {PRESET} floor --dataset {{wildcards.dataset:q}}"
        " --kind {wildcards.kind:q} --out {output:q} > {log:q} 2>&1"
