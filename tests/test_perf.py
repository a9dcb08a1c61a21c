"""benchmark.commands.perf on tiny sizes: the rows, the CSV columns and the suite/naive ratios (no timing asserts)."""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from benchmark import paths
from benchmark import perf
from benchmark.commands import perf as perf_command
from benchmark.config import validate_config
from models import build_model
from models.base import ModelSpec, adam

TINY_SHAPE = {"28x28x1": ("synthetic28", 4, 8)}
COLUMNS = ["device", "task", "method", "shape", "suite", "naive", "speedup", "unit", "size", "epoch_seconds",
           "compiled", "batch_size", "paper_preset_hours_estimate"]


def test_training_rows_report_both_loops_and_their_ratio():
    rows = perf.training_rows(["glf", "vae"], 16, 8, torch.device("cpu"), repeats=1, shapes=TINY_SHAPE,
                              min_steps=4, min_seconds=0.0)
    assert [(r["method"], r["shape"], r["unit"]) for r in rows] == [("glf", "28x28x1", "images/s"),
                                                                     ("vae", "28x28x1", "images/s")]
    for row in rows:
        assert row["suite"] > 0 and row["naive"] > 0
        assert row["speedup"] == pytest.approx(row["suite"] / row["naive"])
        assert row["epoch_seconds"] == pytest.approx(60_000 / row["suite"])
        assert row["compiled"] is False


def test_each_timing_runs_at_least_the_steps_and_seconds_asked():
    calls = []

    def epoch():
        calls.append(1)
        return 0.5

    assert perf.rate_over(epoch, 4, 8, min_steps=10, min_seconds=0.0) == pytest.approx(12 * 8 / 1.5)
    assert len(calls) == 3
    calls.clear()
    assert perf.rate_over(epoch, 100, 8, min_steps=10, min_seconds=2.0) == pytest.approx(400 * 8 / 2.0)
    assert len(calls) == 4
    assert perf.seconds_over(lambda: 0.75, 2.0) == pytest.approx(0.75)


def test_prd_speedup_is_naive_over_suite_seconds():
    (row,) = perf.prd_rows(60, dim=4, repeats=1)
    assert row["unit"] == "seconds" and row["shape"] == "60x4"
    assert row["speedup"] == pytest.approx(row["naive"] / row["suite"])


def test_naive_optimisers_are_default_adam_with_the_models_groups():
    model = build_model("glf", ModelSpec(1, 28, 4, 8))
    (suite_opt,) = model.configure_optimizers(1e-3)
    (naive_opt,) = perf.default_adams([suite_opt])
    assert suite_opt.defaults["fused"] is True
    assert naive_opt.defaults["fused"] is None and naive_opt.defaults["foreach"] is None
    assert [g["betas"] for g in naive_opt.param_groups] == [(0.9, 0.999), (0.8, 0.9)]
    assert [g["weight_decay"] for g in naive_opt.param_groups] == [0, 2e-5]
    assert all(g["fused"] is None for g in naive_opt.param_groups)


def test_fused_adam_takes_the_same_steps_as_default_adam():
    torch.manual_seed(0)
    weights = torch.randn(5, 3)
    fused_w, plain_w = weights.clone().requires_grad_(), weights.clone().requires_grad_()
    fused, plain = adam([fused_w], lr=0.1, betas=(0.8, 0.9)), torch.optim.Adam([plain_w], lr=0.1, betas=(0.8, 0.9))
    for _ in range(3):
        for w, opt in ((fused_w, fused), (plain_w, plain)):
            opt.zero_grad()
            (w ** 2).sum().backward()
            opt.step()
    assert fused.defaults["fused"] is True
    assert not torch.equal(fused_w, weights)
    torch.testing.assert_close(fused_w, plain_w)


def test_main_writes_the_csv_with_every_task(tmp_path, monkeypatch):
    monkeypatch.setattr(perf, "SHAPES", TINY_SHAPE)
    monkeypatch.setattr(perf, "random_inception", lambda device: perf.random_classifier(
        perf.make_synthetic(perf.dataset_info("synthetic32"), "test", 1).images, tmp_path, device))
    monkeypatch.setattr(perf, "PAPER_SHAPES", {"fashion": "28x28x1"})
    monkeypatch.setattr(perf, "paper_preset_hours", lambda config, train, seconds, samples: 1.5)
    assert perf_command.main(["--device", "cpu", "--images", "16", "--batch-size", "8", "--repeats", "1",
                      "--classifier-images", "8", "--inception-images", "4", "--prd-features", "40",
                      "--evaluate-samples", "40", "--min-steps", "2", "--min-seconds", "0",
                      "--shapes", "28x28x1", "--out-dir", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "perf.csv")
    assert list(table.columns) == COLUMNS
    assert list(table.task) == ["train", "train", "features", "features", "prd", "evaluate"]
    assert (table.paper_preset_hours_estimate == 1.5).all()
    assert table.speedup.notna().all() and (table.speedup > 0).all()
    assert table.device.iloc[0].startswith("cpu")


def test_paper_preset_hours_counts_every_planned_run_once():
    config = validate_config({
        "preset": "t", "data_root": ".", "seeds": [0, 1],
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4},
                     "cifar10": {"latent_dim": 64, "flow_width": 256, "epochs": 10}},
        "models": {"glf": {"method": "glf"}, "vae": {"method": "vae", "epochs_factor": 2}},
        "table1": {"models": ["glf", "vae"], "datasets": ["fashion"]},
        "evaluation": {"features": "classifier", "num_samples": 10},
        "figures": {"figure3": {"dataset": "cifar10", "models": ["glf"]}},
    })
    assert paths.planned_runs(config) == [("glf", "fashion"), ("vae", "fashion"), ("glf", "cifar10")]
    rows = pd.DataFrame([{"method": "glf", "shape": "28x28x1", "suite": 100.0},
                         {"method": "vae", "shape": "28x28x1", "suite": 50.0},
                         {"method": "glf", "shape": "32x32x3", "suite": 25.0}])
    expected = (4 * 60_000 / 100 + 8 * 60_000 / 50 + 10 * 50_000 / 25) * 2 / 3600
    assert perf.paper_preset_hours(config, rows) == pytest.approx(expected)
    with_evaluation = expected + 3 * 2 * (7.0 * 10 / 1000) / 3600  # 3 runs x 2 seeds, 10 of 1000 samples
    assert perf.paper_preset_hours(config, rows, 7.0, 1000) == pytest.approx(with_evaluation)


def test_paper_preset_hours_counts_a_trained_second_stage():
    config = validate_config({
        "preset": "t", "data_root": ".", "seeds": [0],
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"glann": {"method": "glann", "second_stage": {"epochs": 3}}},
        "table1": {"models": ["glann"], "datasets": ["fashion"]},
        "evaluation": {"features": "classifier", "num_samples": 10}})
    rows = pd.DataFrame([{"method": "glf", "shape": "28x28x1", "suite": 100.0},
                         {"method": "vae", "shape": "28x28x1", "suite": 50.0}])
    assert perf.paper_preset_hours(config, rows) == pytest.approx((4 + 3) * 60_000 / 100 / 3600)


def test_paper_preset_hours_counts_the_penalty_search():
    config = validate_config({
        "preset": "t", "data_root": ".", "seeds": [0],
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"rae": {"method": "rae_gmm", "z_penalty_grid": [0.1, 1.0, 10.0]}},
        "table1": {"models": ["rae"], "datasets": ["fashion"]},
        "evaluation": {"features": "classifier", "num_samples": 10}})
    rows = pd.DataFrame([{"method": "glf", "shape": "28x28x1", "suite": 100.0}])
    one_run = 4 * 60_000 / 100 + 7.0 * 10 / 1000
    assert perf.paper_preset_hours(config, rows, 7.0, 1000) == pytest.approx((1 + 3) * one_run / 3600)


def test_a_budget_is_shared_among_the_timings():
    count = perf.timing_count(["28x28x1"], ("eager", "losses"), ("channels_last",), ("train", "prd"))
    assert count == 4 + 4 + 2
    settings = perf.budget_settings(60.0, count)
    assert settings["repeats"] == 1 and settings["min_seconds"] * count == pytest.approx(60.0)
    assert perf.budget_settings(600.0, 5)["repeats"] == 3
    assert perf.timing_count(["28x28x1"], (), ("channels_last",), ()) == 1


def test_variant_rows_time_each_step_variant_and_say_whether_it_ran_compiled():
    rows = perf.variant_rows(["glf"], 16, 8, torch.device("cpu"), TINY_SHAPE, ("eager", "whole"), min_steps=2,
                             min_seconds=0.0, backend="aot_eager")
    assert [(r["variant"], r["compiled"]) for r in rows] == [("eager", False), ("whole", True)]
    assert all(r["task"] == "train_variant" and r["suite"] > 0 and r["first_epoch_seconds"] > 0 for r in rows)


def test_profile_summary_names_the_top_ops():
    text = perf.profile_summary("glf", "eager", torch.device("cpu"), 8, steps=2, top=5)
    assert text.startswith("glf step eager (compiled: False), batch 8, 2 steps on cpu")
    assert "aten::" in text and "cpu_time_total" in text


def test_the_naive_evaluation_computes_the_same_metrics_as_the_suite(monkeypatch):
    from benchmark.metrics import evaluate as evaluate_module
    calls = {"suite": 0, "naive": 0}

    def counting(name, kid):
        def counted(*args, **kwargs):
            calls[name] += 1
            return kid(*args, **kwargs)
        return counted

    monkeypatch.setattr(evaluate_module, "kid_from_features", counting("suite", evaluate_module.kid_from_features))
    monkeypatch.setattr(perf, "kid_from_features", counting("naive", perf.kid_from_features))
    perf.evaluate_rows(40, torch.device("cpu"), repeats=1, min_seconds=0)
    assert calls["suite"] == calls["naive"] > 0  # KID on both sides: the speedup compares equal work
