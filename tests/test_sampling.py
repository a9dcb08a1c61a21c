"""The FID sampling protocols: the authors' (train-mode BatchNorm, min-max stretch) and eval mode,
each method's own (the table of docs/protocol.md), the samples file holding both, and the metrics holding one
FID per protocol."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from benchmark import paths
from benchmark.commands import sample
from benchmark.run_metrics import evaluate_file
from benchmark.config import resolve_run, sampling_protocol, validate_config
from benchmark.data import load_dataset
from benchmark.metrics.classifier import make_recipe, save_classifier, train_classifier
from benchmark.model_io import run_record, save_model
from benchmark.sampling import generate, interpolation
from models import MODELS, build_model
from models.base import ModelSpec
from models.sampling import stretch_to_unit


@pytest.fixture(scope="module")
def glf():
    """A GLF whose BatchNorm running statistics are far from its batch statistics."""
    torch.manual_seed(0)
    model = build_model("glf", ModelSpec(1, 28, latent_dim=8, flow_width=16))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.add_(0.5)
                module.running_var.mul_(3.0)
    return model.eval()


def test_authors_protocol_uses_batch_statistics_and_stretches_each_image_to_exactly_0_1(glf):
    before = {k: v.clone() for k, v in glf.state_dict().items()}
    authors = glf.sample(64, torch.Generator().manual_seed(1), protocol="authors")
    evaluated = glf.sample(64, torch.Generator().manual_seed(1), protocol="eval")
    assert (authors - evaluated).abs().max() > 0.05
    flat = authors.flatten(1)
    assert torch.equal(flat.min(dim=1).values, torch.zeros(64)) and torch.equal(flat.max(dim=1).values, torch.ones(64))
    glf.train()  # by hand: batch statistics of the same latents, then the stretch
    with torch.no_grad():
        by_hand = stretch_to_unit(glf.decode(glf.sample_latents(64, torch.Generator().manual_seed(1))))
    glf.load_state_dict(before)
    glf.eval()
    torch.testing.assert_close(authors, by_hand)
    assert not glf.training
    assert all(torch.equal(v, before[k]) for k, v in glf.state_dict().items())  # running stats untouched


def test_authors_images_depend_on_the_batch_they_are_drawn_with(glf):
    """Batch statistics: the same latent decodes differently in another batch; eval mode does not."""
    z = glf.sample_latents(64, torch.Generator().manual_seed(2))
    with torch.no_grad():
        glf.train()
        small, large = glf.decode(z[:4]), glf.decode(z)[:4]
        glf.eval()
        assert torch.allclose(glf.decode(z[:4]), glf.decode(z)[:4], atol=1e-6)
    assert (small - large).abs().max() > 1e-3


def test_authors_protocol_draws_batches_of_500(glf, monkeypatch):
    sizes = []
    original = glf.sample
    monkeypatch.setattr(glf, "sample", lambda n, gen, protocol: sizes.append((n, protocol)) or original(n, gen, protocol))
    generate(glf, 700, seed=0, batch_size=200, protocol="authors")
    generate(glf, 300, seed=0, batch_size=200, protocol="eval")
    assert sizes == [(500, "authors"), (200, "authors"), (200, "eval"), (100, "eval")]


def test_metrics_hold_one_fid_per_protocol_and_fid_follows_the_presets_one_protocol(tmp_path):
    root = tmp_path
    train = load_dataset("synthetic28", "train", root).take(256)
    recipe = make_recipe("synthetic28", train.images, train.labels, epochs=1, width=4, batch_size=64)
    real = load_dataset("synthetic28", "test", root).images
    base = {"preset": "t", "data_root": str(root), "cache_dir": str(root / "cache"), "seeds": [0],
            "datasets": {"synthetic28": {"latent_dim": 8, "flow_width": 16, "epochs": 1}},
            "models": {"glf": {"method": "glf"}, "vae": {"method": "vae"}}, "table1": {"models": ["glf"]},
            "evaluation": {"features": "classifier", "num_samples": 200, "prd_runs": 2}}
    config = validate_config(base)
    assert config["evaluation"]["sampling"] == "eval"  # the schema's default: one sampler for every row
    save_classifier(train_classifier(train.images, train.labels, recipe), recipe,
                    paths.feature_weights(config, "synthetic28"))
    noise = torch.randint(0, 256, (200, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    by_sampling = {"authors": real[:200].flip(0).clone(), "eval": noise}
    samples = root / "samples.pt"

    def evaluate(model: str, sampling: str) -> dict:
        torch.save({"images": by_sampling[sampling], "status": "completed", "meta": {"compiled": False}, "sampling": sampling,
                    "images_by_sampling": by_sampling}, samples)
        return evaluate_file(config, "synthetic28", model, samples, root / "m.json")

    metrics = evaluate("glf", "eval")  # GLF too: its authors' sampler is no privilege of its row
    assert json.loads((root / "m.json").read_text()) == metrics
    assert metrics["sampling"] == "eval" and metrics["fid"] == metrics["fid_eval"]
    assert metrics["compiled"] is False  # whether the run's training step ran compiled, from its model file
    assert metrics["fid_eval"] > 2 * metrics["fid_authors"]  # noise is much farther than real images
    vae = evaluate("vae", "eval")
    assert vae["sampling"] == "eval" and vae["fid"] == pytest.approx(metrics["fid_eval"])
    assert (vae["fid_authors"], vae["fid_eval"]) == pytest.approx((metrics["fid_authors"], metrics["fid_eval"]))
    with pytest.raises(ValueError, match="drawn under sampling 'authors', but glf's protocol in this preset is 'eval'"):
        evaluate("glf", "authors")  # its grid and interpolation would be of the other protocol
    config["evaluation"]["sampling"] = "authors"  # the other uniform protocol: every method
    assert evaluate("vae", "authors")["fid"] == pytest.approx(metrics["fid_authors"])
    config["evaluation"]["sampling"] = "eval"
    torch.save({"images": real[:200], "status": "completed", "meta": {}, "sampling": "eval"}, samples)
    with pytest.raises(ValueError, match="rerun"):
        evaluate_file(config, "synthetic28", "glf", samples, root / "m.json")


def readme_sampling_table() -> dict[str, str]:
    """The per-method sampling table of docs/protocol.md: method -> protocol."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
    table = text[text.index("| method | protocol | why (the method's own code) |"):].split("\n\n")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:]]
    return {method.strip().strip("`"): protocol.strip() for method, protocol in rows}


def test_readme_sampling_table_is_what_evaluate_records_for_each_method(tmp_path):
    table = readme_sampling_table()
    assert sorted(table) == sorted(MODELS)  # one row per method, no other
    assert {m for m, p in table.items() if p == "authors"} == {"glf", "regularized_glf", "glf_perceptual"}
    config = validate_config({
        "preset": "t", "data_root": str(tmp_path), "cache_dir": str(tmp_path / "cache"), "seeds": [0],
        "datasets": {"synthetic28": {"latent_dim": 8, "flow_width": 16, "epochs": 1}},
        "models": {method: {"method": method} for method in MODELS}, "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 200}})
    samples = tmp_path / "samples.pt"
    torch.save({"images": None, "status": "diverged", "meta": {}}, samples)  # no numbers: only what is recorded
    recorded = {method: evaluate_file(config, "synthetic28", method, samples, tmp_path / "m.json")["sampling"]
                for method in MODELS}
    assert recorded == {method: "eval" for method in MODELS}  # one sampler for every row
    assert table == {method: cls.sampling for method, cls in MODELS.items()}  # each method's own, reported beside
    config["evaluation"]["sampling"] = "authors"
    assert {sampling_protocol(config, method) for method in MODELS} == {"authors"}


def test_interpolation_is_drawn_under_the_protocol_it_is_given(glf):
    before = {k: v.clone() for k, v in glf.state_dict().items()}
    authors = interpolation(glf, pairs=3, steps=5, seed=4, protocol="authors")
    evaluated = interpolation(glf, pairs=3, steps=5, seed=4, protocol="eval")
    assert authors.shape == evaluated.shape == (15, 1, 28, 28)
    assert (authors - evaluated).abs().max() > 0.05  # the switch changes the pictures
    flat = authors.flatten(1)
    assert torch.equal(flat.min(dim=1).values, torch.zeros(15)) and torch.equal(flat.max(dim=1).values, torch.ones(15))
    gen = torch.Generator().manual_seed(4)  # by hand: the same draws, one batch of 500 in train mode
    ends = torch.randn(2, 3, 8, generator=gen)
    t = torch.linspace(0, 1, 5).view(1, 5, 1)
    walk = ((1 - t) * ends[0, :, None] + t * ends[1, :, None]).reshape(15, 8)
    batch = torch.cat([walk, torch.randn(485, 8, generator=gen)])
    with torch.no_grad():
        torch.testing.assert_close(evaluated, glf.decode(glf.noise_to_latent(walk)).clamp(0, 1))
        glf.train()
        by_hand = stretch_to_unit(glf.decode(glf.noise_to_latent(batch)))[:15]
    glf.load_state_dict(before)
    glf.eval()
    torch.testing.assert_close(authors, by_hand)
    assert not glf.training and all(torch.equal(v, before[k]) for k, v in glf.state_dict().items())


def test_rae_interpolation_walks_between_gmm_draws_under_either_protocol():
    torch.manual_seed(0)
    rae = build_model("rae_gmm", ModelSpec(1, 28, latent_dim=4, params={"gmm_components": 2}))
    rae.fit_second_stage(torch.randn(200, 4), seed=0)
    with torch.no_grad():  # BatchNorm running statistics far from a batch's
        for module in rae.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_var.mul_(5.0)
    rae.eval()
    authors, evaluated = (interpolation(rae, pairs=2, steps=4, seed=1, protocol=p) for p in ("authors", "eval"))
    assert authors.shape == evaluated.shape == (8, 1, 28, 28)
    assert (authors - evaluated).abs().max() > 0.05
    assert torch.equal(authors.flatten(1).max(dim=1).values, torch.ones(8))


def test_sample_command_records_the_presets_protocol_and_draws_both_pictures_under_it(tmp_path, monkeypatch):
    config = {"preset": "t", "data_root": str(tmp_path), "cache_dir": str(tmp_path / "cache"),
              "runs_dir": str(tmp_path / "runs"), "device": "cpu", "progress": False, "seeds": [0],
              "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
              "models": {"glf": {"method": "glf"}, "vae": {"method": "vae"}}, "table1": {"models": ["glf"]},
              "evaluation": {"features": "classifier", "num_samples": 20}}
    preset = tmp_path / "preset.yaml"
    drawn = []
    monkeypatch.setattr(sample, "interpolation", lambda *args, protocol, **kw: drawn.append(protocol)
                        or interpolation(*args, protocol=protocol, **kw))
    for name, protocol in (("glf", "eval"), ("vae", "eval"), ("glf", "authors"), ("vae", "authors")):
        preset.write_text(yaml.safe_dump({**config, "evaluation": {**config["evaluation"], "sampling": protocol}}))
        torch.manual_seed(0)
        model = build_model(name, ModelSpec(1, 28, latent_dim=4, flow_width=8))
        run = resolve_run(validate_config(config), name, "synthetic28", 0)
        save_model(tmp_path / "runs" / "synthetic28" / name / "seed0" / "model.pt", model, name,
                   {**run_record(run), "status": "completed"})
        assert sample.main(["--config", str(preset), "--model", name, "--dataset", "synthetic28", "--no-progress"]) == 0
        payload = torch.load(tmp_path / "runs" / "synthetic28" / name / "seed0" / "samples.pt", weights_only=True)
        assert payload["sampling"] == protocol and drawn[-1] == protocol
        assert torch.equal(payload["images"], payload["images_by_sampling"][protocol])
