"""Tables 1-6, paper_vs_ours, Figures 3-4 and the sample montages under results/."""


localrules:
    copy_grid,


for _name in (*TABLE_NAMES, "paper_vs_ours"):

    rule:
        name:
            _name
        input:
            TABLE_INPUTS[_name],
        output:
            [report(f, category="Tables") if f.endswith(".csv") else f for f in table_files(_name)],
        params:
            name=_name,
        log:
            f"logs/tables/{_name}.log",
        shell:
            f"{PYTHON} -m benchmark.tables --config {PRESET} {{params.name:q}} > {{log:q}} 2>&1"


for _name in FIGURE_NAMES:

    rule:
        name:
            _name
        input:
            figure_inputs(_name),
        output:
            [report(f, category="Figures") if f.endswith(".png") else f for f in figure_files(_name)],
        params:
            name=_name,
        log:
            f"logs/figures/{_name}.log",
        shell:
            f"{PYTHON} -m benchmark.figures --config {PRESET} {{params.name:q}} > {{log:q}} 2>&1"


rule copy_grid:
    input:
        f"{FIRST_SEED_RUN}/{{kind}}.png",
    output:
        str(paths.results(config, "samples/{dataset}/{model}_{kind}.png")),
    wildcard_constraints:
        kind="grid|interpolation",
    log:
        "logs/copy_grid/{dataset}-{model}-{kind}.log",
    shell:
        'echo "SLURM_JOB_ID=${{SLURM_JOB_ID:-none}}" > {log:q}; cp {input:q} {output:q} 2>> {log:q}'
