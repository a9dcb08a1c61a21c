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
        eval_args=eval_arguments,
    log:
        "logs/train/{dataset}-{model}-seed{seed}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=TRAIN_MEM_MB,
        runtime=TRAIN_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.train --config {PRESET} --model {{wildcards.model}} --dataset {{wildcards.dataset}}"
        f" --seed {{wildcards.seed}} --run-dir {RUN_SHELL} {{params.eval_args}} --no-progress > {{log}} 2>&1"


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
        "logs/second_stage/{dataset}-{model}-seed{seed}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=TRAIN_MEM_MB,
        runtime=TRAIN_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.second_stage --config {PRESET} --model {{wildcards.model}}"
        f" --dataset {{wildcards.dataset}} --seed {{wildcards.seed}} --run-dir {RUN_SHELL} --no-progress > {{log}} 2>&1"


rule sample:
    group:
        "run"
    input:
        final_model,
    output:
        samples=f"{RUN}/samples.pt",
        grid=f"{RUN}/grid.png",
        interpolation=f"{RUN}/interpolation.png",
    params:
        num=EVAL["num_samples"],
        device=config["device"],
    log:
        "logs/sample/{dataset}-{model}-seed{seed}.log",
    resources:
        gpu=GPUS,
        gpu_slots=GPU_SLOT,
        mem_mb=EVAL_MEM_MB,
        runtime=EVAL_RUNTIME,
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.sample --model-file {{input}} --seed {{wildcards.seed}} --num-samples {{params.num}}"
        " --device {params.device} --out {output.samples} --grid {output.grid}"
        " --interpolation {output.interpolation} --no-progress > {log} 2>&1"
