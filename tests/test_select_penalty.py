"""RAE's z_penalty search: candidates train without the held-out training images, are scored by
FID against them (never the test split), and the run then uses the value of the lowest FID."""
from __future__ import annotations

import argparse
import json

import pytest
import torch

from benchmark import data, paths
from benchmark.commands import select_penalty
from benchmark.config import ConfigError, validate_config
from benchmark.metrics.classifier import make_recipe, save_classifier, train_classifier
from benchmark.runs import load_run


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    root = tmp_path_factory.mktemp("select")
    config = validate_config({
        "preset": "t", "data_root": str(root), "cache_dir": str(root / "cache"), "runs_dir": str(root / "runs"),
        "seeds": [0], "device": "cpu", "progress": False,
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 240}},
        "models": {"rae": {"method": "rae_gmm", "batch_size": 60, "params": {"gmm_components": 2},
                           "z_penalty_grid": [0.001, 1000.0]}},
        "table1": {"models": ["rae"]},
        "evaluation": {"features": "classifier", "num_samples": 50, "holdout_images": 60, "prd_runs": 2}})
    train = data.load_dataset("synthetic28", "train", root).take(240)
    recipe = make_recipe("synthetic28", train.images, train.labels, epochs=1, width=4, batch_size=64)
    save_classifier(train_classifier(train.images, train.labels, recipe), recipe,
                    paths.feature_weights(config, "synthetic28"))
    return config, train.images


@pytest.mark.slow
def test_grid_picks_the_lowest_fid_on_held_out_training_images(preset, monkeypatch):
    config, train_images = preset
    scored, original_load = [], data.load_dataset

    def no_test_split(name, split, *args, **kwargs):
        assert split == "train", "the selection read the test split"
        return original_load(name, split, *args, **kwargs)

    def record(images, *args):
        scored.append(images)
        return original_stats(images, *args)

    original_stats = select_penalty.real_features_and_statistics
    monkeypatch.setattr("benchmark.runs.load_dataset", no_test_split)
    monkeypatch.setattr(select_penalty, "real_features_and_statistics", record)
    run_dir = paths.run_dir(config, "synthetic28", "rae", 0)
    selection = select_penalty.select(config, "rae", "synthetic28", 0, run_dir)
    assert torch.equal(scored[0], train_images[-60:])  # the held-out part: the last 60 training images
    fids = dict(zip(selection["values"], selection["holdout_fids"]))
    assert selection["chosen"] == min(fids, key=fids.get) and len(set(fids.values())) == 2
    for value in fids:
        candidate = torch.load(run_dir / "grid" / f"z_penalty={value}" / "model.pt", weights_only=False)
        assert candidate["meta"]["epochs"] == 1
    assert json.loads((run_dir / "selection.json").read_text()) == selection

    preset_file = run_dir.parent / "preset.yaml"
    import yaml
    preset_file.write_text(yaml.safe_dump(config))
    args = argparse.Namespace(config=str(preset_file), model="rae", dataset="synthetic28", seed=0, run_dir=run_dir)
    _, run, _ = load_run(args)
    assert run.spec.params["z_penalty"] == selection["chosen"] and run.holdout_images == 0


def test_lowest_picks_the_minimum_and_a_diverged_candidate_never_wins():
    assert select_penalty.lowest({0.1: 30.0, 1.0: 12.5, 10.0: float("inf")}) == 1.0


def test_grid_on_a_method_without_z_penalty_is_refused():
    config = {"preset": "t", "data_root": ".", "seeds": [0],
              "datasets": {"fashion": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
              "models": {"glf": {"method": "glf", "z_penalty_grid": [1, 2]}}, "table1": {"models": ["glf"]},
              "evaluation": {"features": "classifier", "num_samples": 10}}
    with pytest.raises(ConfigError, match="models.glf.z_penalty_grid"):
        validate_config(config)


def test_the_penalty_is_searched_once_on_the_first_seed_unless_every_seed_is_asked(tmp_path):
    import yaml
    base = {"preset": "t", "data_root": ".", "runs_dir": str(tmp_path / "runs"), "seeds": [3, 4],
            "datasets": {"fashion": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
            "models": {"rae": {"method": "rae_gmm", "z_penalty_grid": [0.1, 1.0]}}, "table1": {"models": ["rae"]},
            "evaluation": {"features": "classifier", "num_samples": 10}}
    config = validate_config(base)
    assert config["models"]["rae"]["z_penalty_search"] == "first_seed"  # the paper reports one searched value
    assert paths.selection(config, "fashion", "rae", 4) == paths.run_dir(config, "fashion", "rae", 3) / "selection.json"
    paths.selection(config, "fashion", "rae", 3).parent.mkdir(parents=True)
    paths.selection(config, "fashion", "rae", 3).write_text(json.dumps({"chosen": 1.0}))
    preset_file = tmp_path / "preset.yaml"
    preset_file.write_text(yaml.safe_dump(config))
    args = argparse.Namespace(config=str(preset_file), model="rae", dataset="fashion", seed=4, run_dir=None)
    assert load_run(args)[1].spec.params["z_penalty"] == 1.0  # seed 4 trains with seed 3's choice
    base["models"]["rae"]["z_penalty_search"] = "every_seed"
    every = validate_config(base)
    assert paths.selection(every, "fashion", "rae", 4) == paths.run_dir(every, "fashion", "rae", 4) / "selection.json"
    preset_file.write_text(yaml.safe_dump(every))
    with pytest.raises(FileNotFoundError, match="seed4/selection.json is missing"):
        load_run(args)
