"""The paper's claims checked on this preset's runs (results/claims.{csv,md}) and the provenance
of the results (results/provenance.json)."""


localrules:
    claims,
    provenance,


def claims_inputs():
    """Table 1's metrics, and each figure model's log and final metrics on its dataset."""
    inputs = metrics_of(TABLE_MODELS, TABLE1_DATASETS)
    for name in ("figure3", "figure4"):
        if name in FIGURES:
            models, datasets = FIGURES[name]["models"], [FIGURES[name]["dataset"]]
            inputs += logs_of(models, datasets) + metrics_of(models, datasets)
    inputs += logs_of(TABLE_MODELS, TABLE1_DATASETS)
    return list(dict.fromkeys(inputs))


CLAIM_FILES = [str(paths.results(config, f"claims.{fmt}")) for fmt in ("csv", "md")]
PROVENANCE_FILE = str(paths.results(config, "provenance.json"))


rule claims:
    input:
        claims_inputs(),
    output:
        report(CLAIM_FILES[0], category="Claims", caption="../report/claims.rst"),
        CLAIM_FILES[1],
    log:
        "logs/claims.log",
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.write_claims --config {PRESET} > {{log}} 2>&1"


rule provenance:
    input:
        [str(paths.data_ready(config, d)) for d in config["datasets"]],
        list(dict.fromkeys(str(paths.feature_weights(config, d)) for d in TABLE1_DATASETS)),
    output:
        report(PROVENANCE_FILE, category="Provenance"),
    log:
        "logs/provenance.log",
    conda:
        ENV
    shell:
        f"{PYTHON} -m benchmark.write_provenance --config {PRESET} --out {{output}} > {{log}} 2>&1"
