"""Dataset preparation: verified original files -> cached uint8 tensors, once per dataset.
A localrule: it may download, and compute nodes often have no internet."""


localrules:
    prepare_data,


rule prepare_data:
    output:
        str(paths.data_ready(config, "{dataset}")),
    log:
        log_file("prepare_data/{dataset}"),
    shell:
        f"{PYTHON} -m benchmark.commands.prepare_data --config {SHARED_PRESET} --dataset {{wildcards.dataset:q}} > {{log:q}} 2>&1"
