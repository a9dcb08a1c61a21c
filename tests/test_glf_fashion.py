"""End to end on the real Fashion-MNIST: the train CLI, then the sample CLI with a PNG grid."""
import csv

import pytest
import torch
import yaml

from benchmark.commands import sample, train
from benchmark.data import load_dataset, to_float
from benchmark.model_io import load_model


@pytest.fixture
def glf_preset(tmp_path, shared_data):
    config = {
        "preset": "test", "data_root": str(shared_data), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 2, "lr_milestones": [1],
                                 "max_train_images": 6000}},
        "models": {"glf": {"method": "glf", "params": {"beta": 1}}},
        "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 100, "sampling": "authors"},  # the stretch, tested below
    }
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, tmp_path


def _test_mse(model, images):
    x = to_float(images)
    return (model.reconstruct(x) - x).pow(2).flatten(1).sum(1).mean().item()


@pytest.mark.slow
def test_glf_two_epochs_on_real_fashion(glf_preset, shared_data):
    preset, tmp = glf_preset
    assert train.main(["--config", str(preset), "--model", "glf", "--dataset", "fashion", "--no-progress"]) == 0
    run_dir = tmp / "runs" / "fashion" / "glf" / "seed0"
    rows = list(csv.DictReader(open(run_dir / "train_log.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["recon"]) < float(rows[0]["recon"])

    model, meta = load_model(run_dir / "model.pt")
    assert meta["status"] == "completed" and meta["epochs"] == 2 and meta["compiled"] is False  # eager on CPU
    test_images = load_dataset("fashion", "test", shared_data).images[:500]
    untrained = type(model)(model.spec).eval()
    assert _test_mse(model, test_images) < 0.5 * _test_mse(untrained, test_images)

    assert sample.main(["--config", str(preset), "--model", "glf", "--dataset", "fashion", "--no-progress"]) == 0
    for png in ("grid.png", "interpolation.png"):
        assert (run_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    payload = torch.load(run_dir / "samples.pt", weights_only=True)
    samples = payload["images"]
    assert samples.shape == (100, 1, 28, 28) and samples.dtype == torch.uint8
    assert samples.float().std() > 10  # not a blank image
    assert payload["sampling"] == "authors" and torch.equal(samples, payload["images_by_sampling"]["authors"])
    flat = samples.flatten(1)
    assert (flat.min(dim=1).values == 0).all() and (flat.max(dim=1).values == 255).all()  # stretched
    assert not torch.equal(samples, payload["images_by_sampling"]["eval"])
