"""Tables 1-6, paper_vs_ours, Figures 3-4, the sample figures (2e, 6), the sample montages, the
perf table and every run's values (runs.csv) under results/, each registered
in the snakemake report with its caption (workflow/report/)."""


localrules:
    copy_grid,
    perf,
    runs_csv,


rule runs_csv:
    input:
        PLANNED_METRICS + SENSITIVITY_METRICS,
    output:
        report(RUNS_FILE, category="Tables", subcategory="runs", caption="../report/runs.rst",
               labels={"table": "runs", "format": "csv"}),
    log:
        log_file("tables/runs"),
    shell:
        f"{PYTHON} -m benchmark.commands.write_runs --config {PRESET} > {{log:q}} 2>&1"


for _name in (*TABLE_NAMES, *EXTRA_TABLES):

    rule:
        name:
            _name
        input:
            TABLE_INPUTS[_name],
        output:
            [report_table(f) for f in table_files(_name)],
        params:  # the labels and the caption's pipeline-check note: params, so that an edit re-renders
            name=_name,
            text=TABLE_TEXT,
        log:
            log_file(f"tables/{_name}"),
        shell:
            f"{PYTHON} -m benchmark.commands.tables --config {PRESET} {{params.name:q}} > {{log:q}} 2>&1"


for _name in FIGURE_NAMES:

    rule:
        name:
            _name
        input:
            figure_inputs(_name),
        output:
            [report_figure(f, _name) for f in figure_files(_name)] + figure_captions(_name),
        params:
            name=_name,
        log:
            log_file(f"figures/{_name}"),
        shell:
            f"{PYTHON} -m benchmark.commands.figures --config {PRESET} {{params.name:q}} > {{log:q}} 2>&1"


for _name in SAMPLE_FIGURE_NAMES:

    rule:
        name:
            _name
        input:
            sample_figure_inputs(_name),
        output:
            report(str(paths.results(config, f"{_name}.png")), caption="../report/sample_figure.rst",
                   category="Figures", subcategory=_name, labels={"figure": _name}),
        params:  # read from the preset; params so that a change redraws the figure
            name=_name,
            figure=json.dumps(FIGURES[_name], sort_keys=True),
            sampling=sampling_protocol(config, FIGURES[_name]["model"]),
        log:
            log_file(f"figures/{_name}"),
        resources:
            gpu=GPUS,
            gpu_slots=GPU_SLOT,
            mem_mb=EVAL_MEM_MB,
            runtime=EVAL_RUNTIME,
        shell:
            f"{PYTHON} -m benchmark.commands.sample_figure --config {PRESET} {{params.name:q}} --no-progress"
            f" > {{log:q}} 2>&1"


rule copy_grid:
    input:
        f"{FIRST_SEED_RUN}/{{kind}}.png",
    output:
        report(
            str(paths.results(config, "samples/{dataset}/{model}_{kind}.png")),
            caption="../report/sample_png.rst",
            category="Samples",
            subcategory="{dataset}",
            labels={"model": "{model}", "image": "{kind}"},
        ),
    wildcard_constraints:
        kind="grid|interpolation",
    log:
        log_file("copy_grid/{dataset}-{model}-{kind}"),
    shell:
        'echo "SLURM_JOB_ID=${{SLURM_JOB_ID:-none}}" > {log:q}; cp {input:q} {output:q} 2>> {log:q}'


rule perf:
    input:
        PERF_CSVS,
    output:
        report(
            str(paths.results(config, "perf.html")),
            caption="../report/perf.rst",
            category="Performance",
            labels={"table": "perf", "format": "html"},
        ),
    log:
        log_file("tables/perf"),
    shell:
        f"{PYTHON} -m benchmark.commands.tables --config {PRESET} perf > {{log:q}} 2>&1"
