"""FID against epochs (figures.fid_curve): the tracked FID of every model that can sample during
training, under both samplers; its last point is the run's own evaluation; its table, figure and
per-epoch claim-1 verdicts."""
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from benchmark import fid_curve, paths, results
from benchmark.commands import evaluate, sample, second_stage, train, train_classifier
from benchmark.config import ConfigError, load_config, validate_config
from benchmark.fid_curve_figure import fid_curve_figure

REPO = Path(__file__).resolve().parent.parent
VALIDATION_CPU_FEATURES = "81fa915770c5e38e628294363f63ef58d2ec1da84a272829cc822db7f1c45ee3"


def _preset(tmp_path, data_root, models, seeds=(0,), epochs=2, earlier=None) -> dict:
    curve = {"dataset": "fashion", "models": list(models), **({"earlier": earlier} if earlier else {})}
    return {
        "preset": "curve-test", "data_root": str(data_root), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"), "device": "cpu",
        "progress": False, "seeds": list(seeds),
        "datasets": {"fashion": {"latent_dim": 8, "flow_width": 16, "epochs": epochs, "lr_milestones": [],
                                 "max_train_images": 768}},
        "models": {"glf": {"method": "glf", "label": "GLF", "batch_size": 64, "params": {"beta": 1}},
                   "rae_gmm": {"method": "rae_gmm", "label": "RAE+GMM", "batch_size": 64,
                               "params": {"z_penalty": 1.0, "gmm_components": 3}},
                   "wae_gan": {"method": "wae_gan", "label": "WAE-GAN", "batch_size": 64}},
        "table1": {"models": list(models)},
        "evaluation": {"features": "classifier", "num_samples": 120, "eval_samples": 120, "eval_every": 1,
                       "classifier_epochs": 1, "classifier_max_images": 768, "prd_runs": 1, "batch_size": 60},
        "figures": {"fid_curve": curve},
    }


def _write(tmp_path, config) -> str:
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize("model", ["rae_gmm", "wae_gan"])
def test_the_last_tracked_point_is_the_runs_own_evaluation(tmp_path, shared_data, model):
    """RAE+GMM (its GMM fitted on a copy at each point, as its second stage fits it) and WAE-GAN:
    the FIDs tracked at the last epoch under each sampler equal the metrics file's."""
    preset = _write(tmp_path, _preset(tmp_path, shared_data, [model]))
    run = ["--config", preset, "--model", model, "--dataset", "fashion", "--seed", "0", "--no-progress"]
    assert train_classifier.main(["--config", preset, "--dataset", "fashion"]) == 0
    assert train.main([*run, "--track-fid"]) == 0
    if model == "rae_gmm":
        assert second_stage.main(run) == 0
    assert sample.main(run) == 0
    config = load_config(preset)
    run_dir = paths.run_dir(config, "fashion", model, 0)
    out = paths.metrics(config, "fashion", model, 0)
    assert evaluate.main(["--config", preset, "samples", "--dataset", "fashion", "--model", model,
                          "--samples", str(run_dir / "samples.pt"), "--out", str(out)]) == 0
    log = pd.read_csv(run_dir / "train_log.csv")
    metrics = json.loads(out.read_text())
    assert list(log["epoch"]) == [1, 2]
    for protocol in ("eval", "authors"):
        assert log[f"fid_{protocol}"].iloc[-1] == pytest.approx(metrics[f"fid_{protocol}"], abs=1e-6), protocol
    assert log["fid_eval"].iloc[0] != pytest.approx(log["fid_eval"].iloc[-1])  # the curve moves: not one value copied
    assert (log["fid"] == log["fid_eval"]).all()  # fid: the preset's sampler's (eval by default)


def test_a_model_without_a_sampler_during_training_is_refused_at_planning(tmp_path):
    config = _preset(tmp_path, tmp_path, ["glf"])
    config["models"]["two_stage_vae"] = {"method": "two_stage_vae", "label": "Two-Stage VAE"}
    config["figures"]["fid_curve"]["models"] = ["glf", "two_stage_vae"]
    with pytest.raises(ConfigError, match=r"'figures.fid_curve.models' names 'two_stage_vae', which has no FID "
                                          r"curve: method 'two_stage_vae' samples through a second stage trained after"):
        validate_config(config)


GLF_FIDS = {0: [90.0, 70.0, 60.0], 1: [92.0, 71.0, 61.0], 2: [88.0, 69.0, 62.0]}
RAE_FIDS = {0: [80.0, 75.0, 74.0], 1: [81.0, 76.0, 73.0], 2: [82.0, 77.0, 75.0]}


def _fabricated(tmp_path, earlier=None) -> dict:
    """A preset with GLF and RAE+GMM runs of 3 seeds whose train logs tracked FIDs at epochs 2, 4, 6
    (authors = eval - 10); no metrics files."""
    config = validate_config(_preset(tmp_path, tmp_path, ["glf", "rae_gmm"], seeds=(0, 1, 2), epochs=6,
                                     earlier=earlier))
    for model, fids in (("glf", GLF_FIDS), ("rae_gmm", RAE_FIDS)):
        for seed, values in fids.items():
            run_dir = paths.run_dir(config, "fashion", model, seed)
            run_dir.mkdir(parents=True)
            rows = [{"epoch": e, "loss": 1.0, "seconds": 1.0} for e in range(1, 7)]
            for epoch, value in zip((2, 4, 6), values):
                rows[epoch - 1].update(fid=value, fid_eval=value, fid_authors=value - 10)
            pd.DataFrame(rows).to_csv(run_dir / "train_log.csv", index=False)
            (run_dir / "train_status.json").write_text(json.dumps({"status": "completed", "epochs_done": 6}))
    return config


def test_the_table_holds_each_epochs_mean_and_sd_over_seeds(tmp_path):
    found = results.load(_fabricated(tmp_path))
    frame = fid_curve.curve_frame(found)
    assert fid_curve.curve_epochs(found) == [2, 4, 6]
    glf4 = frame[(frame["model"] == "glf") & (frame["epoch"] == 4)].iloc[0]
    assert glf4["n_seeds"] == 3
    assert glf4["eval_mean"] == pytest.approx(np.mean([70.0, 71.0, 69.0]))
    assert glf4["eval_std"] == pytest.approx(np.std([70.0, 71.0, 69.0], ddof=1))
    assert glf4["authors_mean"] == pytest.approx(60.0)


def test_the_points_file_holds_every_seed_and_recomputes_the_table(tmp_path):
    config = _fabricated(tmp_path)
    fid_curve.fid_curve_tables(results.load(config), tmp_path / "out")
    points = pd.read_csv(tmp_path / "out" / "fid_curve_points.csv")
    table = pd.read_csv(tmp_path / "out" / "fid_curve_table.csv")
    assert len(points) == len(table) * 3  # 3 seeds per (model, epoch)
    again = points.groupby(["model", "epoch"])["fid_eval"].agg(["mean", "std"]).reset_index()
    merged = table.merge(again, on=["model", "epoch"])
    assert len(merged) == len(table)
    assert np.allclose(merged["eval_mean"], merged["mean"]) and np.allclose(merged["eval_std"], merged["std"])
    glf4 = points[(points["model"] == "glf") & (points["epoch"] == 4)].sort_values("seed")
    assert glf4["fid_eval"].tolist() == [70.0, 71.0, 69.0] and glf4["seed"].tolist() == [0, 1, 2]


def test_claim_1_is_decided_at_each_tracked_epoch(tmp_path):
    """At epoch 2 GLF is worse than RAE+GMM beyond the noise (fails), at epoch 6 better (holds):
    the verdict changes with the budget, and both samplers agree."""
    verdicts = fid_curve.verdict_frame(results.load(_fabricated(tmp_path))).set_index("epoch")
    assert verdicts.loc[2, "verdict"] == "fails" and verdicts.loc[6, "verdict"] == "holds"
    assert verdicts.loc[6, "part"] == "GLF vs RAE+GMM"
    assert (verdicts["eval"] == verdicts["authors"]).all()


def test_a_preset_without_a_curve_has_no_curve_table_and_says_how_to_add_one(tmp_path):
    config = _fabricated(tmp_path)
    config["figures"].pop("fid_curve")
    with pytest.raises(ConfigError, match="has no figures.fid_curve, so it has no FID-curve table: add one"):
        fid_curve.fid_curve_tables(results.load(config), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_earlier_budget_is_drawn_only_when_scored_by_the_same_classifier(tmp_path, monkeypatch):
    """validation-cpu's committed table1_long.csv is the earlier budget: its 4-epoch means join the
    table when its features' weights are this preset's, and the caption says why when they are not."""
    monkeypatch.chdir(REPO)
    config = _fabricated(tmp_path, earlier="validation-cpu")
    found = results.load(config)
    committed = pd.read_csv(REPO / "results" / "validation-cpu" / "table1_long.csv").set_index("model")
    monkeypatch.setattr(fid_curve, "features_sha256", lambda found: VALIDATION_CPU_FEATURES)
    frame = fid_curve.curve_frame(found)
    earlier = frame[frame["budget"] == "validation-cpu"].set_index("model")
    assert set(earlier.index) == {"glf", "rae_gmm"} and (earlier["epoch"] == 4).all()
    assert earlier.loc["glf", "eval_mean"] == committed.loc["glf", "fid_eval_mean"]
    assert earlier.loc["rae_gmm", "authors_std"] == committed.loc["rae_gmm", "fid_authors_std"]
    outputs = fid_curve_figure(found, tmp_path / "out")
    assert {p.suffix for p in outputs} == {".png", ".pdf", ".txt"}
    assert "Hollow points" in (tmp_path / "out" / "fid_curve.txt").read_text()
    monkeypatch.setattr(fid_curve, "features_sha256", lambda found: "0" * 64)
    assert (fid_curve.curve_frame(found)["budget"] == "curve-test").all()
    fid_curve_figure(found, tmp_path / "out")
    assert "another FID scale" in (tmp_path / "out" / "fid_curve.txt").read_text()
    assert not math.isnan(fid_curve.curve_frame(found)["eval_mean"].iloc[0])


def test_a_far_reference_row_is_named_not_drawn_and_every_curve_stays_on_the_shared_axis(tmp_path):
    """A per-pixel Gaussian at FID 324 beside curves below 100 would squash them: it goes to the
    legend with its value; the floor (near 0) is drawn; both panels end above the highest mean + sd."""
    from benchmark import fid_curve_figure as figure_module
    found = results.load(_fabricated(tmp_path))
    found.floors[("fashion", "pixel_gaussian")] = {"fid": 324.0}
    found.floors[("fashion", "training_images")] = {"fid": 0.3}
    fig = figure_module._draw(found, 7.0)
    legend = [t.get_text() for t in fig.legends[0].texts]
    assert "Per-pixel Gaussian (scale): FID 324, off the axis" in legend
    drawn = [line.get_ydata()[0] for ax in fig.axes for line in ax.lines if line.get_linestyle() in (":", "--")]
    assert drawn == [0.3, 0.3]
    top = max(max(values) for values in [*GLF_FIDS.values(), *RAE_FIDS.values()])
    assert all(ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > top for ax in fig.axes)
