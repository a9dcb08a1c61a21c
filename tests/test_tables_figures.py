import json
import shutil

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import torch

from benchmark import paths, table_format
from benchmark import figures, results, tables
from benchmark.commands import check_outputs
from benchmark.config import load_config, validate_config
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
                    "figure4": {"dataset": "fashion", "models": ["reg"]},
                    "fid_curve": {"dataset": "fashion", "models": ["glf", "glf_b10"]}},
    })


def _metrics(config, dataset, model, seed, fid=None, status="completed", kid=None):
    path = paths.metrics(config, dataset, model, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"status": status, "features": config["evaluation"]["features"], "num_samples": 500}
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


def _md_table(path):
    """The Markdown table of ``path`` (after its caption) as a frame of strings, bold marks kept."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return pd.DataFrame(rows[2:], columns=rows[0]).set_index(rows[0][0])


def test_table1_mean_std_missing_and_diverged(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    _metrics(config, "fashion", "glf", 1, fid=22.0)
    _metrics(config, "fashion", "glf_b10", 0, fid=30.0)
    _metrics(config, "fashion", "reg", 0, status="diverged")
    out = tmp_path / "results"
    tables.table1(results.load(config), out)
    shown = _md_table(out / "table1.md")
    assert shown.loc["GLF (ours)", "fashion"] == "**21.0 ± 1.4**"  # sample std of (20, 22), best FID in bold
    assert shown.loc["GLF b10 (ours)", "fashion"] == "30.0"  # one seed: its spread is unknown, not zero
    assert shown.loc["Reg GLF", "fashion"] == "diverged"
    assert shown.loc["GLF (ours)", "synthetic32"] == "not run"
    markdown = (out / "table1.md").read_text()
    assert "offline classifier" in markdown and "500 generated samples" in markdown
    assert "1-2 seeds per cell (n_seeds in the CSV); a cell of one seed shows its value alone" in markdown
    latex = (out / "table1.tex").read_text()
    assert "\\centering" in latex and "\\label{tab:table1}" in latex and "\\begin{tabular}{lrr}" in latex
    assert "\\bfseries 21.0 $\\pm$ 1.4" in latex and "Table 1:" not in latex
    numbers = pd.read_csv(out / "table1.csv")
    glf = numbers[(numbers.model == "glf") & (numbers.dataset == "fashion")].iloc[0]
    assert glf.fid_mean == 21.0 and glf.fid_std == pytest.approx(2 ** 0.5) and glf.n_seeds == 2
    assert (glf.features, glf.num_samples, glf.preset) == ("classifier", 500, "unit")
    long = pd.read_csv(out / "table1_long.csv")
    assert long.loc[(long.model == "glf_b10") & (long.dataset == "synthetic32"), "fid_mean"].isna().all()
    assert long["kid_mean"].isna().all()  # metrics files written before KID existed
    b10 = long[(long.model == "glf_b10") & (long.dataset == "fashion")].iloc[0]
    assert b10.n_seeds == 1 and pd.isna(b10.fid_std)


def test_latex_escapes_captions_and_cells_and_sets_groups_apart():
    display = pd.DataFrame({"model": ["A_1", "B & C", "D (perceptual)"], "x": ["1.0 ± 0.1", "2 -> 3", "50%"]})
    latex = table_format.to_latex(table_format.Table(display, "F_8, F_1/8 & 100% of $x", "t", rules_before=(2,)))
    assert "\\caption{F\\_8, F\\_1/8 \\& 100\\% of \\$x}" in latex
    assert "A\\_1 & 1.0 $\\pm$ 0.1" in latex and "B \\& C & 2 $\\rightarrow$ 3" in latex
    body = latex.split("\\midrule\n", 1)[1]
    assert body.index("B \\& C") < body.index("\\midrule") < body.index("D (perceptual)")


def test_perceptual_models_come_last_after_a_rule(config, tmp_path):
    config = validate_config({**config, "models": {**config["models"], "glann": {"method": "glann", "label": "GLANN"}},
                              "table1": {**config["table1"], "models": ["glann", "glf", "reg"]}})
    out = tmp_path / "results"
    tables.table1(results.load(config), out)
    assert list(_md_table(out / "table1.md").index) == [
        "GLF (ours)", "Reg GLF", "GLANN", "GLANN (cited, Hoshen et al. 2019)", "Training images (floor)",
        "Per-pixel Gaussian (scale)"]
    body = (out / "table1.tex").read_text().split("\\midrule\n", 1)[1]
    assert body.index("Reg GLF") < body.index("\\midrule") < body.index("GLANN &")
    cited, floors = body.index("GLANN (cited"), body.index("Training images")
    assert body.index("GLANN &") < body.index("\\midrule", body.index("GLANN &")) < cited
    assert cited < body.index("\\midrule", cited) < floors  # each group after a rule of its own


def test_table4_appends_gan_rows_and_paper_vs_ours_differences(config, tmp_path):
    config = {**config, "evaluation": {**config["evaluation"], "features": "inception"}}
    _metrics(config, "fashion", "glf", 0, fid=25.3, kid=0.02)
    tables.table4(results.load(config), tmp_path / "results")
    shown = _md_table(tmp_path / "results" / "table4.md")
    assert shown.loc["WGAN GP (Lucic et al. 2018)", "fashion"] == "24.5 ± 2.1"
    assert shown.loc["GLF (ours)", "fashion"] == "25.3"  # one seed: the value alone
    numbers = pd.read_csv(tmp_path / "results" / "table4.csv")
    assert numbers.loc[numbers.label == "WGAN GP (Lucic et al. 2018)", "fid_std"].item() == 2.1
    assert not any(name.startswith("GANs") for name in shown.index)
    tables.paper_vs_ours(results.load(config), tmp_path / "results")
    versus = pd.read_csv(tmp_path / "results" / "paper_vs_ours.csv")
    row = versus[(versus.model == "GLF") & (versus.dataset == "fashion")].iloc[0]
    assert row.paper_fid_mean == 21.3 and row.difference == pytest.approx(4.0) and row.our_kid_mean == 0.02
    assert versus[(versus.model == "GLF") & (versus.dataset == "mnist")].iloc[0].our_status == "not run"


def test_table4_shows_tiny_fids_with_the_decimals_their_scale_needs(config, tmp_path):
    """A tiny classifier's FIDs (about 0.04) print as 0.042, not 0.0, as in Table 1; the GAN rows
    keep the one decimal they were published with."""
    _metrics(config, "fashion", "glf", 0, fid=0.041)
    _metrics(config, "fashion", "glf", 1, fid=0.043)
    tables.table4(results.load(config), tmp_path / "results")
    shown = _md_table(tmp_path / "results" / "table4.md")
    assert shown.loc["GLF (ours)", "fashion"].strip("*") == "0.042 ± 0.001"
    assert shown.loc["WGAN GP (Lucic et al. 2018)", "fashion"] == "24.5 ± 2.1"


def test_paper_vs_ours_never_subtracts_across_feature_kinds(config, tmp_path):
    for seed, fid in ((0, 25.3), (1, 26.3)):
        _metrics(config, "fashion", "glf", seed, fid=fid)
    tables.paper_vs_ours(results.load(config), tmp_path / "results")
    versus = pd.read_csv(tmp_path / "results" / "paper_vs_ours.csv")
    assert versus.difference.isna().all()
    row = versus[(versus.model == "GLF") & (versus.dataset == "fashion")].iloc[0]
    assert row.our_fid_mean == pytest.approx(25.8) and row.paper_features == "inception"
    assert "classifier features" in row.note and "not compared" in row.note


def test_table4_sets_inception_gan_rows_apart_under_classifier_features(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=25.3)
    tables.table4(results.load(config), tmp_path / "results")
    models = list(_md_table(tmp_path / "results" / "table4.md").index)
    heading = next(i for i, name in enumerate(models) if name.startswith("GANs"))
    assert "not comparable" in models[heading]
    assert all("Lucic" not in name for name in models[:heading])
    assert all("Lucic" in name for name in models[heading + 1:])
    assert "not compared" in (tmp_path / "results" / "table4.md").read_text().splitlines()[0]
    numbers = pd.read_csv(tmp_path / "results" / "table4.csv")
    gans = numbers.label.str.contains("Lucic")
    assert set(numbers.features[gans]) == {"inception"} and set(numbers.features[~gans]) == {"classifier"}


def test_every_caption_names_the_commit_and_preset_hash(config, tmp_path):
    out = tmp_path / "results"
    for name in ("table1", "table2", "table3", "table4", "table5", "table6"):
        tables.TABLES[name](results.load(config), out)
        caption = (out / f"{name}.md").read_text().splitlines()[0]
        assert f"preset sha256 {preset_hash(config)[:12]}" in caption and "commit " in caption, name


def test_tables_2_3_5_6(config, tmp_path):
    out = tmp_path / "results"
    tables.table2(results.load(config), out)
    assert _md_table(out / "table2.md").loc["GLF (ours)", "fashion"] == "4"
    tables.table3(results.load(config), out)
    table3 = pd.read_csv(out / "table3.csv")
    fashion = table3[table3.image_size == 28]
    small = table3[table3.image_size == 32]
    assert len(fashion) == len(small) == 22
    assert fashion.layer.iloc[0] == "Conv(1->64, k4, s2, p1)" and small.layer.iloc[0] == "Conv(3->64, k4, s2, p1)"
    assert fashion.output_shape.iloc[-1] == "1x28x28" and small.output_shape.iloc[9] == "8"
    shown = pd.read_csv(out / "table3.csv")  # the input shape heads each group once in the display
    assert (_md_table(out / "table3.md").index != "").sum() == 2 and len(shown) == 44
    _log(config, "fashion", "glf", 0, [{"epoch": 1, "loss": 1.0, "seconds": 2.0}, {"epoch": 2, "loss": 0.5, "seconds": 4.0}])
    tables.table5(results.load(config), out)
    assert _md_table(out / "table5.md").loc["GLF (ours)", "fashion"] == "3.00"
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    tables.table6(results.load(config), out)
    shown = _md_table(out / "table6.md")
    assert shown.loc["GLF (ours)", "fashion F8"] == "**0.90**" and shown.loc["GLF (ours)", "fashion F1/8"] == "**0.80**"


def test_every_table_csv_reads_as_numbers(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    _log(config, "fashion", "glf", 0, [{"epoch": 1, "loss": 1.0, "seconds": 2.0}])
    out = tmp_path / "results"
    numeric = {"table1": ["fid_mean", "fid_std", "n_seeds", "num_samples"], "table1_long": ["fid_mean", "n_seeds"],
               "table2": ["stage1_epochs", "stage2_epochs"], "table3": ["channels", "image_size", "latent_dim"],
               "table4": ["fid_mean", "fid_std"], "table5": ["seconds_per_epoch", "n_seeds"],
               "table6": ["prd_f8_mean", "prd_f8_std", "prd_f1_8_mean", "n_seeds", "num_samples"]}
    for name in tables.TABLES:
        tables.TABLES[name](results.load(config), out)
    for name, columns in numeric.items():
        frame = pd.read_csv(out / f"{name}.csv")
        assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in columns), (name, frame.dtypes.to_dict())


def test_figures_draw_diverged_runs_up_to_divergence(config, tmp_path):
    for model in ("glf", "glf_b10"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 10.0 / e, "recon": 5.0}
                                            for e in (1, 2, 3)])
    _log(config, "fashion", "reg", 0, [{"epoch": 1, "fid": 80.0, "nll": -50.0, "recon": 9.0}], diverged_at=2)
    out = tmp_path / "results"
    for name in ("figure3", "figure4"):
        written = figures.training_curves(results.load(config), name, out)
        assert [p.name for p in written] == [f"{name}.png", f"{name}.pdf", f"{name}_column.png", f"{name}_column.pdf",
                                             f"{name}.txt", f"{name}_column.txt"]
        assert written[0].read_bytes()[:4] == b"\x89PNG" and written[1].read_bytes()[:4] == b"%PDF"
        assert not any(check_outputs.type3_fonts(p) for p in written if p.suffix == ".pdf")
    curves, diverged = results.load(config).curves("reg", "fashion")
    assert diverged == 2 and curves["epoch"].tolist() == [1]


def test_figure3b_plots_the_papers_entropy_loss_column():
    assert figures.PANELS["figure3"][1][0] == "entropy_loss"  # -sum(log sigma), logged by VAE+flow prior


def test_table1_long_holds_the_fid_of_both_sampling_protocols(config, tmp_path):
    for seed, (authors, evaluated) in enumerate([(20.0, 30.0), (22.0, 34.0)]):
        path = paths.metrics(config, "fashion", "glf", seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"status": "completed", "sampling": "eval", "fid": evaluated,
                                    "fid_authors": authors, "fid_eval": evaluated}))
    tables.table1(results.load(config), tmp_path / "results")
    long = pd.read_csv(tmp_path / "results" / "table1_long.csv").set_index(["model", "dataset"])
    row = long.loc[("glf", "fashion")]
    assert (row.fid_mean, row.fid_authors_mean, row.fid_eval_mean) == (32.0, 21.0, 32.0)
    assert row.fid_eval_std == pytest.approx(2 ** 1.5)  # sample std of (30, 34)
    assert (row.own_sampling, row.fid_own_mean) == ("authors", 21.0)  # GLF drawn as its authors draw it, beside
    assert long.loc[("reg", "fashion")].own_sampling == "authors"  # regularized GLF: the same sampler
    caption = (tmp_path / "results" / "table1.md").read_text()
    assert "every row sampled under one protocol (eval: GLF (ours), GLF b10 (ours), Reg GLF" in caption


def test_table2_counts_the_rae_penalty_search(tmp_path):
    config = validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0], "results_dir": str(tmp_path),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"rae": {"method": "rae_gmm", "label": "RAE", "z_penalty_grid": [0.1, 1.0, 10.0]}},
        "table1": {"models": ["rae"]}, "evaluation": {"features": "classifier", "num_samples": 500}})
    tables.table2(results.load(config), tmp_path)
    assert _md_table(tmp_path / "table2.md").loc["RAE", "fashion"] == \
        "4 + GMM fit (+ z_penalty search: 3 x (4 + GMM fit), once per dataset)"
    assert pd.read_csv(tmp_path / "table2.csv").set_index("model").loc["rae", "z_penalty_candidates"] == 3


def _figure_texts(fig):
    return [ax.get_title(loc="left") for ax in fig.axes] + [t.get_text() for t in fig.legends[0].texts]


def test_figure_labels_betas_missing_panels_and_diverged_marker(config):
    for model in ("glf", "glf_b10"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 1.0 / e} for e in (1, 2, 3)])
    curves = {m: results.load(config).curves(m, "fashion") for m in ("glf", "glf_b10")}
    fig = figures._draw_curves(config, "figure3", curves, width=3.3)
    texts = _figure_texts(fig)
    assert "GLF b10" in texts and "GLF" in texts  # the model's label, nothing added
    assert "GLF, GLF b10: has no entropy loss −Σ log σ" in texts  # neither logs an entropy
    assert "x: diverged" not in texts  # nothing diverged
    assert fig.axes[0].get_ylabel() == "FID (classifier features)"
    assert all(tick == int(tick) for tick in fig.axes[0].get_xticks())
    assert fig.get_size_inches()[0] == pytest.approx(3.3)
    curves["glf"] = (curves["glf"][0], 3)
    assert "x: diverged" in _figure_texts(figures._draw_curves(config, "figure3", curves, width=7.0))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-recommended)")
def test_every_table_compiles_and_fits_its_column(config, tmp_path):
    for model in ("glf", "glf_b10"):
        _metrics(config, "fashion", model, 0, fid=123.456)
        _metrics(config, "synthetic32", model, 1, fid=99.0)
    out = tmp_path / "results"
    for name in tables.TABLES:
        tables.TABLES[name](results.load(config), out)
    texs = sorted(out.glob("*.tex"))
    assert {t.stem for t in texs} == {"table1", "table1_long", "table2", "table3", "table4", "table5", "table6",
                                      "sensitivity", "fid_curve_table", "fid_curve_points",
                                      "fid_curve_claims"}
    assert [p for tex in texs for p in check_outputs.latex_problems(tex)] == []
    (out / "unescaped.tex").write_text("\\begin{tabular}{l}F_8\\end{tabular}\n")
    assert any("Missing $ inserted" in p for p in check_outputs.latex_problems(out / "unescaped.tex"))
    (out / "too_wide.tex").write_text("\\begin{tabular}{l}\\rule{10cm}{1pt}\\end{tabular}\n")
    assert any("overfull box" in p for p in check_outputs.latex_problems(out / "too_wide.tex"))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-recommended)")
def test_a_long_table_with_warnings_wraps_and_fits_the_page(tmp_path):
    """Like table1_long of the smoke run, which was 743 pt wider than the page on one line: eight
    columns, a 38-character label, KIDs of 18 characters and a 101-character warning."""
    warning = ("seed 0: gamma_x not settled; seed 1: gamma_x not settled; seed 2: stage 2 collapsed; "
               "seed 3: diverged")
    row = ["GLO + IMLE (re-trained, squared error)", "fashion", "2", "411.2 ± 22.1", "289.8 ± 15.2",
           "305.4 ± 14.5", "411.2 ± 22.1", warning]
    display = pd.DataFrame([row] * 9, columns=["model", "dataset", "seeds", "fid", "kid", "fid_authors",
                                                "fid_own", "warning"])
    tex = tmp_path / "long.tex"
    tex.write_text(table_format.to_latex(table_format.Table(display, "A caption.", "long")))
    assert "\\begin{tabular}{p{9.6em}lrrrrrp{9.6em}}" in tex.read_text()
    assert check_outputs.latex_problems(tex) == []


def test_long_table1_shows_each_fid_once_and_warnings_without_their_figures(config, tmp_path):
    nan = float("nan")
    long = pd.DataFrame({"label": ["GLF", "Training images"], "dataset": ["fashion"] * 2, "status": ["ok"] * 2,
                         "n_seeds": [2, nan],
                         **{f"{key}_{stat}": values for key, values in (("fid", [20.0, 1.0]), ("fid_eval", [20.0, nan]),
                                                                          ("fid_authors", [15.0, nan]))
                            for stat in ("mean", "std")},
                         "warning": ["seed 0: gamma_x not settled (0.980 after 2 epochs, its reconstruction error "
                                     "supports 0.235)", ""]})
    shown = tables.long_display(long, "fid_eval")
    assert list(shown.columns) == ["model", "dataset", "seeds", "fid", "fid_authors", "warning"]
    assert shown.loc[0, "warning"] == "seed 0: gamma_x not settled"
    assert shown.loc[1, "fid_authors"] == "--"  # a reference row has no per-sampler FID, not "nan"
    assert list(tables.long_display(long, "fid_authors").columns)[3:5] == ["fid", "fid_eval"]


def test_long_table1_prints_kid_in_the_units_of_its_csv():
    """The classifier's KIDs are ~77 (not ~0.01): printed as the CSV holds them, never times 1000."""
    nan = float("nan")
    long = pd.DataFrame({"label": ["VAE", "GLF"], "dataset": ["fashion"] * 2, "status": ["ok"] * 2, "n_seeds": [1, 3],
                         "fid_mean": [213.3, 88.0], "fid_std": [nan, 7.9],
                         "kid_mean": [77.41362762451172, 34.45], "kid_std": [nan, 2.5]})
    shown = tables.long_display(long, "fid_eval")
    assert list(shown["kid"]) == ["77.4", "34.5 ± 2.5"]


def _floor(config, dataset, kind, fid, kid=0.02):
    path = paths.floor_metrics(config, dataset, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": "completed", "fid": fid, "kid": kid, "fid_authors": fid, "fid_eval": fid}))


def test_a_model_is_bold_only_when_it_beats_the_per_pixel_gaussian(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=300.0, kid=0.0123)
    _metrics(config, "synthetic32", "glf", 0, fid=20.0)
    _floor(config, "fashion", "pixel_gaussian", 140.0)
    _floor(config, "synthetic32", "pixel_gaussian", 140.0)
    out = tmp_path / "results"
    tables.table1(results.load(config), out)
    shown = _md_table(out / "table1.md")
    assert shown.loc["GLF (ours)", "fashion"] == "300.0"  # the best model, but worse than the Gaussian
    assert shown.loc["GLF (ours)", "synthetic32"] == "**20.0**"
    assert "beats the Per-pixel Gaussian (scale) row" in (out / "table1.md").read_text().splitlines()[0]
    tables.table4(results.load(config), out)
    assert _md_table(out / "table4.md").loc["GLF (ours)", "fashion"] == "300.0"
    long = _md_table(out / "table1_long.md").reset_index()
    glf = long[(long.model == "GLF (ours)") & (long.dataset == "fashion")].iloc[0]
    assert glf["kid"] == "0.012" and glf["seeds"] == "1"  # KID in its own units, an integer seed count
    gaussian = long[long.model == "Per-pixel Gaussian (scale)"].iloc[0]
    assert gaussian["seeds"] == ""
    csv_text = (out / "table1.csv").read_text()
    assert ",1.0,0.0," not in csv_text and ",1,0," in csv_text  # n_seeds, n_diverged written as integers


def test_a_pipeline_check_preset_says_so_in_every_caption(config, tmp_path):
    out = tmp_path / "results"
    check = validate_config({**config, "pipeline_check": True})
    for name in ("table1", "table2", "table3", "table4", "table5", "table6", "sensitivity"):
        for found, marked in ((results.load(config), False), (results.load(check), True)):
            tables.TABLES[name](found, out)
            caption = (out / f"{name}.md").read_text().splitlines()[0]
            assert ("pipeline check, numbers meaningless" in caption) == marked, name
            data = pd.read_csv(out / f"{name}.csv")
            assert ("pipeline_check" in data.columns) == marked, name
            assert not marked or (data["pipeline_check"] == "pipeline check, numbers meaningless").all(), name
    tables.paper_vs_ours(results.load(check), out)
    assert (pd.read_csv(out / "paper_vs_ours.csv")["pipeline_check"] == "pipeline check, numbers meaningless").all()
    tables.paper_vs_ours(results.load(config), out)
    assert "pipeline_check" not in pd.read_csv(out / "paper_vs_ours.csv").columns


def test_a_pipeline_check_preset_marks_its_figures_on_the_image(config, tmp_path):
    """The mark is drawn on the figure itself: tens of thousands of red pixels more than the same
    figure unmarked (whose lines may be red too)."""
    import numpy as np
    from PIL import Image

    for model in ("glf", "glf_b10"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 1.0 / e} for e in (1, 2, 3)])
    red = {}
    for marked in (False, True):
        out = tmp_path / str(marked)
        figures.training_curves(results.load(validate_config({**config, "pipeline_check": marked})), "figure3", out)
        pixels = np.asarray(Image.open(out / "figure3_column.png").convert("RGB")).astype(int)
        red[marked] = int(((pixels[..., 0] > 200) & (pixels[..., 1] < 200) & (pixels[..., 1] - pixels[..., 2] < 30)
                           & (pixels[..., 0] - pixels[..., 1] > 60)).sum())
    assert red[True] - red[False] > 20_000, red


def test_figure_labels_colours_and_captions(config, tmp_path):
    config = validate_config({**config, "models": {**config["models"],
                                                   "vfp": {"method": "vae_flow_prior", "label": "VFP (beta=1)",
                                                           "params": {"beta": 1}}},
                              "figures": {**config["figures"], "figure3": {"dataset": "fashion",
                                                                           "models": ["glf_b10", "vfp", "glf"]}}})
    assert figures.model_label(config, "vfp") == "VFP (β=1)"  # one spelling of beta
    colours = figures.model_colours(["glf", "glf_b10", "vfp"])
    assert figures.model_colours(["vfp", "reg", "glf"])["glf"] == colours["glf"]  # fixed by the model, not the figure
    assert len(set(colours.values())) == 3
    for model in ("glf", "glf_b10", "vfp"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 1.0 / e} for e in (1, 2)])
    found = results.load(config)
    curves = {m: found.curves(m, "fashion") for m in ("glf_b10", "vfp", "glf")}
    fig = figures._draw_curves(config, "figure3", curves, width=7.0)
    drawn = {line.get_label(): line.get_color() for line in fig.axes[0].get_lines()}
    assert matplotlib.colors.same_color(drawn["GLF"], colours["glf"])
    written = figures.training_curves(found, "figure3", tmp_path)
    caption = (tmp_path / "figure3.txt").read_text()
    assert "GLF b10: β 10" in caption and "VFP (β=1): β 1" in caption and "classifier features" in caption
    assert all(p.with_suffix(".txt").exists() for p in written if p.suffix == ".png")
    assert not caption.lower().startswith("pipeline check")
    checked = validate_config({**config, "pipeline_check": True})
    figures.training_curves(results.load(checked), "figure3", tmp_path)
    assert (tmp_path / "figure3_column.txt").read_text().startswith("Pipeline check, numbers meaningless")


def test_figures_draw_a_seed_band_where_several_seeds_logged(config, tmp_path):
    config = validate_config({**config, "seeds": [0, 1, 2]})
    for seed, shift in enumerate((-1.0, 0.0, 1.0)):  # FID sd 1 over the three seeds at every epoch
        _log(config, "fashion", "glf", seed, [{"epoch": e, "fid": 50.0 - e + shift, "nll": 1.0 / e} for e in (1, 2, 3)])
    _log(config, "fashion", "glf_b10", 0, [{"epoch": e, "fid": 60.0 - e, "nll": 2.0 / e} for e in (1, 2, 3)])
    found = results.load(config)
    spreads = {m: found.curve_spread(m, "fashion") for m in ("glf", "glf_b10")}
    assert spreads["glf"]["seeds"].tolist() == [3, 3, 3] and spreads["glf"]["fid"].tolist() == pytest.approx([1, 1, 1])
    assert spreads["glf_b10"]["seeds"].tolist() == [1, 1, 1] and spreads["glf_b10"]["fid"].isna().all()
    fig = figures._draw_curves(config, "figure3", {m: found.curves(m, "fashion") for m in spreads}, 7.0, spreads)
    bands = fig.axes[0].collections
    assert len(bands) == 1  # GLF's three seeds; none for the one seed of GLF b10
    assert matplotlib.colors.same_color(bands[0].get_facecolor()[0][:3], figures.model_colours(["glf"])["glf"])
    heights = bands[0].get_paths()[0].vertices[:, 1]
    assert (heights.min(), heights.max()) == pytest.approx((46.0, 50.0))  # mean 49..47, ± 1
    assert "shaded: ± 1 sd over seeds" in _figure_texts(fig)
    figures.training_curves(found, "figure3", tmp_path)
    caption = (tmp_path / "figure3.txt").read_text()
    assert "(seeds per model: GLF 3, GLF b10 1)" in caption
    assert "The paper's figure is on cifar10 over 200 GLF epochs; this budget gives fashion over 4" in caption


def test_the_montage_leaves_the_grids_caption_out_and_its_caption_matches_the_picture(config, tmp_path):
    from PIL import Image
    from benchmark.sample_png import save_png
    path = tmp_path / "interpolation.png"
    save_png(torch.rand(20, 1, 28, 28), path, nrow=10, caption="a caption written below the images")
    image = Image.open(path)
    assert image.height > 2 * 30 + 2  # the caption strip
    assert figures.without_caption(image).size == (10 * 30 + 2, 2 * 30 + 2)
    config = validate_config({**config, "figures": {**config["figures"], "grids": ["glf"]}})
    figures.sample_montage(results.load(config), "fashion", tmp_path)
    caption = (tmp_path / "samples_fashion.txt").read_text()
    assert f"each row {figures.INTERPOLATION_STEPS} images" in caption and "ends included" in caption
    sampler = config["evaluation"]["sampling"]
    assert f"under the {sampler} sampler" in caption and "each model's sampling protocol" not in caption
    assert f"under the {sampler} sampler" in (tmp_path / "samples_fashion_column.txt").read_text()


def test_the_one_column_montage_shows_large_tiles_under_short_titles(config, tmp_path):
    """At 3.3 in, three models per row and each model's first 4 x 4 samples: a 28-pixel sample
    prints about 3.3 / 3 / 4 in = 7 mm wide (the old montage: 1.2 mm), titles the label alone."""
    from PIL import Image
    from benchmark.sample_png import save_png
    models = list(config["models"])[:4]
    config = validate_config({**config, "figures": {**config["figures"], "grids": models}})
    for model in models:
        path = paths.grid(config, "fashion", model)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_png(torch.rand(100, 1, 28, 28), path, nrow=10, caption="seed 0")
    assert figures.corner(Image.open(path)).size == (2 + 4 * 30, 2 + 4 * 30)
    fig = figures._draw_column_montage(config, "fashion", figures.WIDTHS_IN["_column"])
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == len(models) and fig.get_size_inches()[0] == pytest.approx(3.3)
    assert [ax.get_title() for ax in shown] == [figures.model_label(config, m) for m in models]
    fig.canvas.draw()  # lays the figure out
    tile_in = shown[0].get_window_extent().width / fig.dpi
    assert tile_in / 4 * 25.4 > 5  # each sample over 5 mm wide
    plt.close(fig)


@pytest.mark.parametrize("preset", ["validation-cpu", "validation-gpu", "paper"])
def test_the_samples_figure_shows_every_table1_row(preset):
    config = load_config(f"workflow/config/{preset}.yaml")
    assert config["figures"]["grids"] == config["table1"]["models"]


def test_check_outputs_finds_misleading_outputs(config, tmp_path):
    out = tmp_path / "results"
    _metrics(config, "fashion", "glf", 0, fid=300.0)
    _floor(config, "fashion", "pixel_gaussian", 140.0)
    tables.table1(results.load(config), out)
    assert check_outputs.bold_problems(out) == [] and check_outputs.count_problems(out) == []
    table = out / "table1.md"
    table.write_text(table.read_text().replace("| 300.0 ", "| **300.0** "))  # bold although worse than the Gaussian
    assert "not better than" in check_outputs.bold_problems(out)[0]
    pd.DataFrame({"model": ["glf"], "n_seeds": [2.0]}).to_csv(out / "counts.csv", index=False)
    assert "n_seeds holds decimals" in check_outputs.count_problems(out)[0]
    (out / "figure9.png").write_bytes(b"")
    assert check_outputs.caption_problems(out) == [f"{out / 'figure9.png'}: no caption beside it (figure9.txt)"]
    assert str(table) in "".join(check_outputs.pipeline_check_problems(out))  # a preset without pipeline_check
    tables.table1(results.load(validate_config({**config, "pipeline_check": True})), out)
    assert not any("table1" in p for p in check_outputs.pipeline_check_problems(out))


def test_table1_warns_beside_a_run_its_budget_did_not_train(config, tmp_path):
    _metrics(config, "fashion", "glf", 0, fid=20.0)
    _metrics(config, "fashion", "glf_b10", 0, fid=30.0)
    _log(config, "fashion", "glf_b10", 0, [{"epoch": 1, "loss": 1.0, "recon": 7.84, "gamma_x": 0.55}])
    stage2 = paths.run_dir(config, "fashion", "glf_b10", 0) / "stage2_log.csv"
    pd.DataFrame({"epoch": [1, 2], "kl": [1.0, 0.07]}).to_csv(stage2, index=False)
    out = tmp_path / "results"
    tables.table1(results.load(config), out)
    long = pd.read_csv(out / "table1_long.csv", keep_default_na=False).set_index(["model", "dataset"])
    expected = ("seed 0: gamma_x not settled (0.550 after 1 epochs, its reconstruction error supports 0.100); "
                "seed 0: stage 2 collapsed (KL 0.070 nats < 0.1)")
    assert long.loc[("glf_b10", "fashion"), "warning"] == expected
    assert long.loc[("glf", "fashion"), "warning"] == ""
    shown = "seed 0: gamma_x not settled; seed 0: stage 2 collapsed"  # the figures are in the caption
    assert _md_table(out / "table1_long.md")["warning"].tolist().count(shown) == 1
    for name in ("table1.md", "table1_long.md"):
        caption = (out / name).read_text().split("\n|")[0]
        assert f"GLF b10 (ours) on fashion: {expected}" in caption
        assert "such a row's FID is that of the under-trained model, not of its method" in caption


def test_table1_cites_glann_and_labels_the_retrained_glo_imle_with_both_epochs(tmp_path):
    config = validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0], "runs_dir": str(tmp_path / "runs"),
        "results_dir": str(tmp_path / "results"),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"glf": {"method": "glf", "label": "GLF"},
                   "glann": {"method": "glann", "label": "GLO + IMLE", "second_stage": {"epochs": 3}}},
        "table1": {"models": ["glf", "glann"], "datasets": ["fashion"]},
        "evaluation": {"features": "inception", "num_samples": 500},
    })
    out = tmp_path / "results"
    tables.table1(results.load(config), out)
    shown = _md_table(out / "table1.md")
    assert shown.loc[tables.CITED_GLANN, "fashion"] == "13.0 ± 0.1"  # workflow/reference/glann_cited.csv
    cited = pd.read_csv(out / "table1.csv").set_index("model").loc["glann_cited"]
    assert (cited.fid_mean, cited.status) == (13.0, "cited") and "Hoshen" in cited.source
    caption = (out / "table1.md").read_text().split("\n|")[0]
    assert "transcribed (from memory" in caption and "not checked against a copy of GLANN's paper" in caption
    assert ("GLO + IMLE: GLO codes and an IMLE map trained here with GLANN's recipe at this preset's budget, "
            "GLO + IMLE epochs fashion 4 + 3 (GLANN's own: 500 + 50); not GLANN's published model.") in caption


def test_no_model_is_drawn_in_grey():
    """Figure 3 of validation-figures drew GLF and the learned-variance VAE in two greys."""
    models = ["glf", "vae_flow_prior", "vae_flow_prior_beta400", "vae_flow_prior_learned", "regularized_glf_beta1",
              "wae_gan", "rae_gmm", "vae", "two_stage_vae", "vae_flow_posterior", "glann", "glf_perceptual"]
    colours = figures.model_colours(models)
    assert all(max(c) - min(c) > 0.05 for c in colours.values())
    assert len(set(colours.values())) == len(models)


def test_a_one_column_figure_with_long_labels_lists_one_label_per_line(config, tmp_path):
    """figure3_column clipped 'VAE+flow prior (learned variance)' when two labels shared a line."""
    config["models"]["glf_b10"]["label"] = "VAE+flow prior (learned variance)"
    for model in ("glf", "glf_b10"):
        _log(config, "fashion", model, 0, [{"epoch": e, "fid": 50.0 - e, "nll": 1.0, "recon": 5.0} for e in (1, 2)])
    found = results.load(config)
    curves = {model: found.curves(model, "fashion") for model in ("glf", "glf_b10")}
    assert figures._draw_curves(config, "figure3", curves, 3.3).legends[0]._ncols == 1
    assert figures._draw_curves(config, "figure3", curves, 7.0).legends[0]._ncols == 4
