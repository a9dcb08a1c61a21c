"""runs.csv: every run's values; Table 1's means and a claim's test recomputed from it alone; its
reader refuses a missing column, a non-numeric FID and a duplicated run."""
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from benchmark import paths, results, tables
from benchmark.commands.write_claims import write_claims
from benchmark.config import validate_config
from benchmark.run_table import COLUMNS, RunsFileError, read_runs, write_runs

FIDS = {"glf": [20.0, 22.5, 21.0], "vae": [30.0, 33.0, 31.0], "rae": [25.0]}  # 3, 3 and 1 seeds


@pytest.fixture
def folder(tmp_path):
    config = validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0, 1, 2], "runs_dir": str(tmp_path / "runs"),
        "results_dir": str(tmp_path / "results"),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"glf": {"method": "glf", "label": "GLF"}, "vae": {"method": "vae", "label": "VAE"},
                   "rae": {"method": "rae_gmm", "label": "RAE+GMM"}},
        "table1": {"models": ["vae", "rae", "glf"]},
        "evaluation": {"features": "classifier", "num_samples": 500, "sampling": "eval"}})
    for model, values in FIDS.items():
        for seed, fid in enumerate(values):
            path = paths.metrics(config, "fashion", model, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"status": "completed", "fid": fid, "fid_eval": fid, "fid_authors": fid - 5,
                                        "kid": fid * 3, "prd_f8": 0.5, "prd_f1_8": 0.6, "features_sha256": "ab" * 32,
                                        "provenance": {"git": {"commit": "c" * 40, "dirty": False}}}))
            pd.DataFrame({"epoch": [1, 2], "seconds": [10.0 + seed, 12.0 + seed]}).to_csv(
                path.parent / "train_log.csv", index=False)
    out = tmp_path / "results"
    found = results.load(config)
    write_runs(found, out)
    tables.table1(found, out)
    write_claims(config)
    return out


def test_table1_and_a_claims_test_recompute_from_runs_csv_alone(folder):
    runs = read_runs(folder / "runs.csv")
    assert list(runs.columns) == COLUMNS and len(runs) == 7
    glf = runs[runs.model == "glf"].iloc[0]
    assert (glf.status, glf.seconds_per_epoch, glf.evaluated_commit, glf.trained_commit, glf.model_sha256) == (
        "finished", 11.0, "c" * 40, "unknown", "unknown")  # no model file: no training record
    table1 = pd.read_csv(folder / "table1.csv").set_index("model")
    for model, rows in runs.groupby("model"):
        assert table1.loc[model, "fid_mean"] == pytest.approx(rows.fid.mean())
        assert table1.loc[model, "n_seeds"] == len(rows)
        if len(rows) > 1:
            assert table1.loc[model, "fid_std"] == pytest.approx(rows.fid.std(ddof=1))
    assert "finished seeds per row: VAE 3, RAE+GMM 1, GLF 3" in (folder / "table1.md").read_text()
    claims = pd.read_csv(folder / "claims.csv")
    evidence = claims[(claims.claim == 1) & (claims.subject == "GLF vs VAE")].evidence.item()
    welch = stats.ttest_ind(runs[runs.model == "glf"].fid_eval, runs[runs.model == "vae"].fid_eval, equal_var=False)
    assert re.search(rf"Welch's t-test t {abs(welch.statistic):.2f} \(\d+\.\d dof\), p {welch.pvalue:.3g}", evidence)
    one_seed = claims[(claims.claim == 1) & (claims.subject == "GLF vs RAE+GMM")].evidence.item()
    x, sample = runs[runs.model == "rae"].fid_eval, runs[runs.model == "glf"].fid_eval
    pooled = stats.ttest_ind(sample, x, equal_var=True)  # one observation against a sample
    assert f"one-seed prediction t-test t {abs(pooled.statistic):.2f} (2.0 dof), p {pooled.pvalue:.3g}" in one_seed
    assert "finished seeds per Table 1 model: VAE 3, RAE+GMM 1, GLF 3" in (folder / "claims.md").read_text()
    assert "| one-seed prediction t-test |" in (folder / "claims.md").read_text()


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="fid_eval"), r"lacks the column\(s\) fid_eval"),
    (lambda f: f.assign(fid=f.fid.astype(object).where(f.index != 0, "abc")), "'fid' of .* is 'abc', not a FID"),
    (lambda f: pd.concat([f, f.iloc[:1]]), "holds 2 rows of .* seed 0; one row per run"),
])
def test_the_runs_reader_names_each_problem(folder, change, message):
    path = folder / "runs.csv"
    change(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(RunsFileError, match=message):
        read_runs(path)


def test_the_committed_long_run_recomputes_from_its_runs_csv():
    """results/validation-cpu-long (real runs, 3 seeds each): Table 1's means and sds and claim 1's
    GLF vs RAE+GMM Welch test under both samplers, recomputed from runs.csv alone."""
    folder = Path(__file__).resolve().parent.parent / "results" / "validation-cpu-long"
    runs = read_runs(folder / "runs.csv")
    table1 = pd.read_csv(folder / "table1.csv").set_index("model")
    for model, rows in runs.groupby("model"):
        assert len(rows) == 3 and table1.loc[model, "n_seeds"] == 3
        assert table1.loc[model, "fid_mean"] == pytest.approx(rows.fid.mean())
        assert table1.loc[model, "fid_std"] == pytest.approx(rows.fid.std(ddof=1))
    claims = pd.read_csv(folder / "claims.csv")
    evidence = claims[(claims.claim == 1) & (claims.subject == "GLF vs RAE+GMM")].evidence.item()
    for sampler in ("eval", "authors"):
        column = f"fid_{sampler}"
        welch = stats.ttest_ind(runs[runs.model == "glf"][column], runs[runs.model == "rae_gmm"][column],
                                equal_var=False)
        assert re.search(rf"{sampler}: .*?Welch's t-test t {abs(welch.statistic):.2f} \(\d+\.\d dof\), "
                         rf"p {welch.pvalue:.3g}", evidence)
