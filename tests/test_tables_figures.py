import json

import pandas as pd
import pytest

from benchmark import figures, paths, tables
from benchmark.config import validate_config
from benchmark.provenance import preset_hash


@pytest.fixture
def config(tmp_path):
    return validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0, 1], "runs_dir": str(tmp_path / "runs"),
        "results_dir": str(tmp_path / "results"),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4},
                     "synthetic32": {"latent_dim": 8, "flow_width": 16, "epochs": 2}},
        "models": {"glf": {"method": "glf", "label": "GLF"},
                   "glf_b10": {"method": "glf", "label": "GLF b10", "params": {"beta": 10}},
                   "reg": {"method": "regularized_glf", "label": "Reg GLF"}},
        "table1": {"models": ["glf", "glf_b10", "reg"], "datasets": ["fashion", "synthetic32"]},
        "evaluation": {"features": "classifier", "num_samples": 500},
        "figures": {"figure3": {"dataset": "fashion", "models": ["glf", "glf_b10"]},
                    "figure4": {"dataset": "fashion", "models": ["reg"]}},
    })


def _metrics(config, dataset, model, seed, fid=None, status="completed", kid=None):
    path = paths.metrics(config, dataset, model, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"status": status, "features": "classifier", "num_samples": 500}
    if fid is not None:
        body.update(fid=fid, prd_f8=0.9, prd_f1_8=0.8, **({} if kid is None else {"kid": kid}))
    path.write_text(json.dumps(body))


def _log(config, dataset, model, seed, rows, diverged_at=None):
    path = paths.train_log(config, dataset, model, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    status = {"status": "diverged" if diverged_at else "completed", "epochs_done": len(rows),
              "diverged_at_epoch": diverged_at}
    path.with_name("train_status.json").write_text(json.dumps(status))


def test_table1_mean_std_missing_and_diverged(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    _metrics(config, "fashion", "glf", 1, fid=22.0)
    _metrics(config, "fashion", "reg", 0, status="diverged")
    tables.table1(config, tmp_path / "results")
    table = pd.read_csv(tmp_path / "results" / "table1.csv").set_index("model")
    assert table.loc["GLF", "fashion"] == "21.0 ± 1.4"  # sample std of (20, 22)
    assert table.loc["Reg GLF", "fashion"] == "diverged"
    assert table.loc["GLF b10", "fashion"] == "not run" and table.loc["GLF", "synthetic32"] == "not run"
    markdown = (tmp_path / "results" / "table1.md").read_text()
    assert "offline classifier" in markdown and "500 generated samples" in markdown
    assert "\\begin{tabular}" in (tmp_path / "results" / "table1.tex").read_text()
    long = pd.read_csv(tmp_path / "results" / "table1_long.csv")
    assert long.loc[(long.model == "glf") & (long.dataset == "fashion"), "fid_mean"].item() == 21.0
    assert long.loc[(long.model == "glf_b10") & (long.dataset == "fashion"), "fid_mean"].isna().all()
    assert long["kid_mean"].isna().all()  # metrics files written before KID existed


def test_table4_appends_gan_rows_and_paper_vs_ours_differences(config, tmp_path):
    config = {**config, "evaluation": {**config["evaluation"], "features": "inception"}}
    _metrics(config, "fashion", "glf", 0, fid=25.3, kid=0.02)
    tables.table4(config, tmp_path / "results")
    table4 = pd.read_csv(tmp_path / "results" / "table4.csv").set_index("model")
    assert table4.loc["WGAN GP (Lucic et al. 2018)", "fashion"] == "24.5 ± 2.1"
    assert table4.loc["GLF", "fashion"] == "25.3 ± 0.0"
    assert not any(name.startswith("GANs") for name in table4.index)
    tables.paper_vs_ours(config, tmp_path / "results")
    versus = pd.read_csv(tmp_path / "results" / "paper_vs_ours.csv")
    row = versus[(versus.model == "GLF") & (versus.dataset == "fashion")].iloc[0]
    assert row.paper_fid_mean == 21.3 and row.difference == pytest.approx(4.0) and row.our_kid_mean == 0.02
    assert versus[(versus.model == "GLF") & (versus.dataset == "mnist")].iloc[0].our_status == "not run"


def test_paper_vs_ours_never_subtracts_across_feature_kinds(config, tmp_path):
    for seed, fid in ((0, 25.3), (1, 26.3)):
        _metrics(config, "fashion", "glf", seed, fid=fid)
    tables.paper_vs_ours(config, tmp_path / "results")
    versus = pd.read_csv(tmp_path / "results" / "paper_vs_ours.csv")
    assert versus.difference.isna().all()
    row = versus[(versus.model == "GLF") & (versus.dataset == "fashion")].iloc[0]
    assert row.our_fid_mean == pytest.approx(25.8) and row.paper_features == "inception"
    assert "classifier features" in row.note and "not compared" in row.note


def test_table4_sets_inception_gan_rows_apart_under_classifier_features(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=25.3)
    tables.table4(config, tmp_path / "results")
    models = list(pd.read_csv(tmp_path / "results" / "table4.csv").model)
    heading = next(i for i, name in enumerate(models) if name.startswith("GANs"))
    assert "not comparable" in models[heading]
    assert all("Lucic" not in name for name in models[:heading])
    assert all("Lucic" in name for name in models[heading:])
    assert "not compared" in (tmp_path / "results" / "table4.md").read_text().splitlines()[0]


def test_every_caption_names_the_commit_and_preset_hash(config, tmp_path):
    out = tmp_path / "results"
    for name in ("table1", "table2", "table3", "table4", "table5", "table6"):
        tables.TABLES[name](config, out)
        caption = (out / f"{name}.md").read_text().splitlines()[0]
        assert f"preset sha256 {preset_hash(config)[:12]}" in caption and "commit " in caption, name


def test_tables_2_3_5_6(config, tmp_path):
    out = tmp_path / "results"
    tables.table2(config, out)
    assert pd.read_csv(out / "table2.csv").set_index("model").loc["GLF", "fashion"] == 4
    tables.table3(config, out)
    table3 = pd.read_csv(out / "table3.csv")
    fashion = table3[table3.input == "1x28x28, latent 20"]
    small = table3[table3.input == "3x32x32, latent 8"]
    assert len(fashion) == len(small) == 22
    assert fashion.layer.iloc[0] == "Conv(1->64, k4, s2, p1)" and small.layer.iloc[0] == "Conv(3->64, k4, s2, p1)"
    assert fashion.output_shape.iloc[-1] == "1x28x28" and small.output_shape.iloc[9] == "8"
    _log(config, "fashion", "glf", 0, [{"epoch": 1, "loss": 1.0, "seconds": 2.0}, {"epoch": 2, "loss": 0.5, "seconds": 4.0}])
    tables.table5(config, out)
    assert pd.read_csv(out / "table5.csv").set_index("model").loc["GLF", "fashion"] == "3.00"
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    tables.table6(config, out)
    assert pd.read_csv(out / "table6.csv").set_index("model").loc["GLF", "fashion"] == "(0.90, 0.80)"


def test_figures_draw_diverged_runs_up_to_divergence(config, tmp_path):
    for model in ("glf", "glf_b10"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 10.0 / e, "recon": 5.0}
                                            for e in (1, 2, 3)])
    _log(config, "fashion", "reg", 0, [{"epoch": 1, "fid": 80.0, "nll": -50.0, "recon": 9.0}], diverged_at=2)
    out = tmp_path / "results"
    for name in ("figure3", "figure4"):
        written = figures.training_curves(config, name, out)
        assert [p.suffix for p in written] == [".png", ".pdf"]
        assert written[0].read_bytes()[:4] == b"\x89PNG" and written[1].read_bytes()[:4] == b"%PDF"
    curves, diverged = figures._run_curves(config, "fashion", "reg")
    assert diverged == 2 and curves["epoch"].tolist() == [1]


def test_figure3b_plots_the_papers_entropy_loss_column():
    assert figures.PANELS["figure3"][1][0] == "entropy_loss"  # -sum(log sigma), logged by VAE+flow prior


def test_table1_long_holds_the_fid_of_both_sampling_protocols(config, tmp_path):
    for seed, (authors, evaluated) in enumerate([(20.0, 30.0), (22.0, 34.0)]):
        path = paths.metrics(config, "fashion", "glf", seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"status": "completed", "sampling": "authors", "fid": authors,
                                    "fid_authors": authors, "fid_eval": evaluated}))
    tables.table1(config, tmp_path / "results")
    long = pd.read_csv(tmp_path / "results" / "table1_long.csv").set_index(["model", "dataset"])
    row = long.loc[("glf", "fashion")]
    assert (row.fid_mean, row.fid_authors_mean, row.fid_eval_mean) == (21.0, 21.0, 32.0)
    assert row.fid_eval_std == pytest.approx(2 ** 1.5)  # sample std of (30, 34)
    assert "sampling: authors" in (tmp_path / "results" / "table1.md").read_text()


def test_table2_counts_the_rae_penalty_search(tmp_path):
    config = validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0], "results_dir": str(tmp_path),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"rae": {"method": "rae_gmm", "label": "RAE", "z_penalty_grid": [0.1, 1.0, 10.0]}},
        "table1": {"models": ["rae"]}, "evaluation": {"features": "classifier", "num_samples": 500}})
    tables.table2(config, tmp_path)
    assert pd.read_csv(tmp_path / "table2.csv").set_index("model").loc["RAE", "fashion"] == \
        "4 + GMM fit (+ z_penalty search: 3 x (4 + GMM fit))"
