"""Evaluation: the feature extractor and the real-data statistics once per dataset (shared by
every model), then FID and PRD of each run's samples."""


localrules:
    inception_weights,


rule inception_weights:
    output:
        str(paths.inception_weights(config)),
    log:
        "logs/features/inception.log",
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.evaluate --config {PRESET} fetch-inception > {{log}} 2>&1"


rule classifier:
    input:
        data_ready,
    output:
        str(paths.classifier_weights(config, "{dataset}")),
    params:
        epochs=EVAL.get("classifier_epochs", 10),
        max_images=f"--max-images {EVAL['classifier_max_images']}" if EVAL.get("classifier_max_images") else "",
    log:
        "logs/features/classifier-{dataset}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.metrics.classifier --dataset {{wildcards.dataset}} --data-root {config['data_root']}"
        f" --cache-dir {config['cache_dir']} --out {{output}} --epochs {{params.epochs}} {{params.max_images}}"
        f" --device {config['device']} > {{log}} 2>&1"


rule reference_stats:
    input:
        data_ready,
        lambda w: str(paths.feature_weights(config, w.dataset)),
    output:
        str(paths.reference_stats(config, "{dataset}")),
    log:
        "logs/reference_stats/{dataset}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.evaluate --config {PRESET} reference --dataset {{wildcards.dataset}} > {{log}} 2>&1"


rule evaluate:
    group:
        "run"
    input:
        samples=f"{RUN}/samples.pt",
        features=lambda w: feature_inputs(w.dataset),
    output:
        str(paths.metrics(config, "{dataset}", "{model}", "{seed}")),
    log:
        "logs/evaluate/{dataset}-{model}-seed{seed}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.evaluate --config {PRESET} samples --dataset {{wildcards.dataset}}"
        " --samples {input.samples} --out {output} > {log} 2>&1"
