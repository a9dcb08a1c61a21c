"""The paper's claims checked on this preset's runs (results/claims.{csv,md}), the provenance
of the results (results/provenance.json) and the results README written from them."""


localrules:
    claims,
    provenance,
    results_readme,


# Table 1's metrics and logs, and each figure model's log and final metrics on its dataset.
CLAIM_INPUTS = list(dict.fromkeys(
    metrics_of(TABLE_MODELS, TABLE1_DATASETS) + logs_of(TABLE_MODELS, TABLE1_DATASETS)
    + [f for name in FIGURE_NAMES if name in ("figure3", "figure4")
       for f in logs_of(FIGURES[name]["models"], [FIGURES[name]["dataset"]])
       + metrics_of(FIGURES[name]["models"], [FIGURES[name]["dataset"]])]
))

CLAIM_FILES = [str(paths.results(config, f"claims.{fmt}")) for fmt in ("csv", "md")]
PROVENANCE_FILE = str(paths.results(config, "provenance.json"))


rule claims:
    input:
        CLAIM_INPUTS,
    output:
        report(CLAIM_FILES[0], category="Claims", caption="../report/claims.rst"),
        CLAIM_FILES[1],
    log:
        log_file("claims"),
    shell:
        f"{PYTHON} -m benchmark.commands.write_claims --config {PRESET} > {{log:q}} 2>&1"


rule provenance:
    input:
        [str(paths.data_ready(config, d)) for d in evaluated_datasets(config)],
        list(dict.fromkeys(str(paths.feature_weights(config, d)) for d in TABLE1_DATASETS)),
    output:
        report(PROVENANCE_FILE, category="Provenance", caption="../report/provenance.rst"),
    log:
        log_file("provenance"),
    shell:
        f"{PYTHON} -m benchmark.commands.write_provenance --config {PRESET} --out {{output:q}} > {{log:q}} 2>&1"


rule results_readme:
    input:
        RUNS_FILE,
        table_files("table1"),
        CLAIM_FILES,
        PROVENANCE_FILE,
        [f for name in EXTRA_TABLES if name in ("sensitivity", "fid_curve_table") for f in table_files(name)],
    output:
        report(RESULTS_README, category="Claims", caption="../report/results_readme.rst"),
    log:
        log_file("results_readme"),
    shell:
        f"{PYTHON} -m benchmark.commands.write_results_readme --config {PRESET} > {{log:q}} 2>&1"
