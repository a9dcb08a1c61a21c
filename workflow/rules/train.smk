"""Training: one job per (model, dataset, seed); the second stage of two-stage methods is a job
of its own; then samples, a sample grid and an interpolation per run.

The jobs of one run (train, second stage, sample, evaluate) form the group "run": on a cluster
they are submitted as one job, so a run costs one scheduler slot and one start-up, not four."""


rule train:
    group:
        "run"
    input:
        train_inputs,
    output:
        model=f"{RUN}/model.pt",
        log=f"{RUN}/train_log.csv",
        status=f"{RUN}/train_status.json",
    params:
        settings=run_settings,
        code=TRAINING_CODE,
        eval_args=eval_arguments,
    log:
        log_file("train/{dataset}-{model}-seed{seed}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=TRAIN_MEM_MB,
        runtime=TRAIN_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.train --config {PRESET} --model {{wildcards.model:q}} --dataset {{wildcards.dataset:q}}"
        f" --seed {{wildcards.seed:q}} {{params.eval_args}} --no-progress > {{log:q}} 2>&1"


rule select_penalty:
    group:
        "run"
    input:
        data_ready,
        lambda w: str(paths.feature_weights(config, w.dataset)),
    output:
        f"{RUN}/selection.json",
    params:
        settings=run_settings,
        code=TRAINING_CODE,
    log:
        log_file("select_penalty/{dataset}-{model}-seed{seed}"),
    resources:
        gpu=GPUS,
        mem_mb=TRAIN_MEM_MB,
        runtime=TRAIN_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.select_penalty --config {PRESET} --model {{wildcards.model:q}}"
        f" --dataset {{wildcards.dataset:q}} --seed {{wildcards.seed:q}} --no-progress > {{log:q}} 2>&1"


rule second_stage:
    group:
        "run"
    input:
        f"{RUN}/model.pt",
        data_ready,
    output:
        model=f"{RUN}/model_stage2.pt",
        status=f"{RUN}/stage2_status.json",
    params:
        settings=run_settings,
    log:
        log_file("second_stage/{dataset}-{model}-seed{seed}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=TRAIN_MEM_MB,
        runtime=TRAIN_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.second_stage --config {PRESET} --model {{wildcards.model:q}}"
        f" --dataset {{wildcards.dataset:q}} --seed {{wildcards.seed:q}} --no-progress > {{log:q}} 2>&1"


rule sample:
    group:
        "run"
    input:
        final_model,
    output:
        samples=f"{RUN}/samples.pt",
        grid=f"{RUN}/grid.png",
        interpolation=f"{RUN}/interpolation.png",
    params:  # read from the preset; params so that a change reruns sampling
        num_samples=EVAL["num_samples"],
        sampling=run_sampling,
    log:
        log_file("sample/{dataset}-{model}-seed{seed}"),
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    shell:
        f"{PYTHON} -m benchmark.commands.sample --config {PRESET} --model {{wildcards.model:q}} --dataset {{wildcards.dataset:q}}"
        f" --seed {{wildcards.seed:q}} --no-progress > {{log:q}} 2>&1"
