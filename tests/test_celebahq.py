"""CelebA-HQ (Figures 2e and 6): the 256x256 images from a local folder, the DCGAN-style
auto-encoder, a training step at that size, and the figure2e/figure6 targets, on a synthetic
folder of a few images."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from benchmark import data
from benchmark.config import ConfigError, evaluated_datasets, load_config, read_preset, resolve_run, validate_config
from benchmark.data import DataError, load_dataset
from models import build_model
from models.base import ModelSpec
from models.dcgan import DCGANDecoder, DCGANEncoder, halvings

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
COUNT = 10  # 9 training images, 1 test image (the last tenth)


def write_folder(root: Path, count: int = COUNT, size: int = 256) -> list[np.ndarray]:
    """``count`` random RGB PNGs of ``size`` pixels in ``root/celebahq``; returns them as (3, S, S)."""
    folder = root / "celebahq"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = []
    for index in range(count):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:05d}.png")
        images.append(pixels.transpose(2, 0, 1))
    return images


def test_splits_are_the_files_as_they_are_sorted_by_name(tmp_path):
    written = write_folder(tmp_path)
    train = load_dataset("celebahq", "train", tmp_path)
    test = load_dataset("celebahq", "test", tmp_path)
    assert train.images.shape == (9, 3, 256, 256) and test.images.shape == (1, 3, 256, 256)
    assert train.images.dtype == torch.uint8 and train.labels is None
    assert np.array_equal(train.images.numpy(), np.stack(written[:9]))
    assert np.array_equal(test.images[0].numpy(), written[9])


def test_cache_serves_the_split_and_is_rebuilt_when_an_image_changes(tmp_path):
    written = write_folder(tmp_path / "root")
    first = load_dataset("celebahq", "train", tmp_path / "root", tmp_path / "cache")
    cached = data.cache_path(tmp_path / "cache", "celebahq", "train", None)
    assert cached.exists()
    assert torch.equal(load_dataset("celebahq", "train", tmp_path / "absent", tmp_path / "cache").images, first.images)
    changed = 255 - written[3]
    Image.fromarray(changed.transpose(1, 2, 0)).save(tmp_path / "root" / "celebahq" / "00003.png")
    rebuilt = load_dataset("celebahq", "train", tmp_path / "root", tmp_path / "cache")
    assert np.array_equal(rebuilt.images[3].numpy(), changed)


def test_missing_folder_names_what_to_download_and_where(tmp_path):
    with pytest.raises(DataError, match=r"missing CelebA-HQ images: .*celebahq does not exist.*256x256.*put them in"):
        load_dataset("celebahq", "train", tmp_path)
    (tmp_path / "celebahq").mkdir()
    with pytest.raises(DataError, match="holds no .jpg or .png files"):
        load_dataset("celebahq", "train", tmp_path)


def test_wrong_size_and_unreadable_files_are_named(tmp_path):
    write_folder(tmp_path, count=4)
    Image.fromarray(np.zeros((128, 128, 3), dtype=np.uint8)).save(tmp_path / "celebahq" / "00001.png")
    with pytest.raises(DataError, match=r"00001.png is 128x128 pixels, expected 256x256"):
        load_dataset("celebahq", "train", tmp_path)
    (tmp_path / "celebahq" / "00001.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"unreadable CelebA-HQ image .*00001.png"):
        load_dataset("celebahq", "train", tmp_path)


def test_dcgan_autoencoder_halves_to_4x4_with_width_channels_there():
    assert halvings(256) == 6 and halvings(64) == 4
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        halvings(28)
    encoder, decoder = DCGANEncoder(3, 256, 10, width=32), DCGANDecoder(3, 256, 10, width=32)
    convs = [m for m in encoder.net if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [1, 2, 4, 8, 16, 32]
    deconvs = [m for m in decoder.net if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [d.in_channels for d in deconvs] == [32, 16, 8, 4, 2, 1] and deconvs[-1].out_channels == 3
    x = torch.rand(2, 3, 256, 256)
    z = encoder(x)
    assert z.shape == (2, 10)
    out = decoder(z)
    assert out.shape == (2, 3, 256, 256) and 0 <= out.min() and out.max() <= 1


def test_glf_trains_a_step_on_256px_images_with_the_dcgan_autoencoder(tmp_path):
    write_folder(tmp_path, count=5)
    images = load_dataset("celebahq", "train", tmp_path).images.float() / 255
    spec = ModelSpec(3, 256, 8, 8, params={"autoencoder": "dcgan", "dcgan_width": 16})
    torch.manual_seed(0)
    model = build_model("glf", spec)
    assert isinstance(model.encoder, DCGANEncoder) and isinstance(model.decoder, DCGANDecoder)
    optimizers = model.configure_optimizers(1e-3)
    before = [p.detach().clone() for p in model.decoder.parameters()]
    first = model.train_step(images, optimizers)
    for _ in range(4):
        last = model.train_step(images, optimizers)
    assert all(torch.isfinite(v) for v in first.values())
    assert float(last["recon"]) < float(first["recon"])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.decoder.parameters()))
    assert model.sample(3).shape == (3, 3, 256, 256)


def test_infogan_stays_the_default_autoencoder():
    model = build_model("glf", ModelSpec(1, 28, 4, 8))
    assert not isinstance(model.encoder, DCGANEncoder)


def test_paper_preset_trains_glf_and_glf_perceptual_on_celebahq_with_its_schedule():
    config = load_config(REPO / "workflow" / "config" / "paper.yaml")
    assert "celebahq" not in evaluated_datasets(config)
    for model in (config["figures"]["figure2e"]["model"], config["figures"]["figure6"]["model"]):
        run = resolve_run(config, model, "celebahq", 0)
        assert (run.train.batch_size, run.train.lr, run.train.epochs) == (64, 2.0e-4, 40)
        assert run.spec.image_size == 256 and run.spec.params["autoencoder"] == "dcgan"
    assert resolve_run(config, "glf", "celeba", 0).train.batch_size == 256  # other datasets keep theirs
    assert config["figures"]["figure6"]["model"] == "glf_perceptual"
    with pytest.raises(ConfigError, match=r"'vae' .*cannot run on dataset 'celebahq'.*datasets.celebahq.params.autoenc"):
        resolve_run(config, "vae", "celebahq", 0)


def test_dataset_params_are_checked_against_the_method(tmp_path):
    config = read_preset(REPO / "workflow" / "config" / "smoke.yaml")
    config["datasets"]["fashion"]["params"] = {"autoencoder": "vgg"}
    with pytest.raises(ConfigError, match=r"invalid value 'vgg' at 'datasets.fashion.params.autoencoder'"):
        resolve_run(validate_config(config), "glf", "fashion", 0)


TINY_PRESET = """
preset: tiny-celebahq
data_root: data
cache_dir: cache
runs_dir: runs
results_dir: results
device: cpu
progress: false
seeds: [0]
datasets:
  synthetic28: {latent_dim: 4, flow_width: 8, epochs: 1, max_train_images: 64}
  celebahq: {latent_dim: 4, flow_width: 8, epochs: 1, params: {autoencoder: dcgan, dcgan_width: 8}}
models:
  glf: {method: glf, batch_size: 32, per_dataset: {celebahq: {batch_size: 3}}}
  glf_perceptual: {method: glf_perceptual, batch_size: 3, params: {vgg_weights: VGG, vgg_sha256: SHA}}
table1: {models: [glf], datasets: [synthetic28]}
evaluation: {features: classifier, num_samples: 100, classifier_epochs: 1, classifier_max_images: 200,
             prd_runs: 1, batch_size: 100}
figures:
  figure2e: {dataset: celebahq, model: glf, samples: 16}
  figure6: {dataset: celebahq, model: glf_perceptual, samples: 16}
"""


def _tiny_workflow(tmp_path: Path):
    """A preset in ``tmp_path`` with both figures and a random-weights VGG16; returns a runner."""
    import torchvision

    from benchmark.weights import sha256_file

    vgg = tmp_path / "vgg16-random.pth"
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), vgg)
    preset = TINY_PRESET.replace("VGG", str(vgg)).replace("SHA", sha256_file(vgg))
    (tmp_path / "preset.yaml").write_text(preset)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def snakemake(*args):
        return subprocess.run([*SNAKEMAKE, *args, "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
                               "--configfile", "preset.yaml"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
    return snakemake


def test_without_the_folder_the_figures_stop_naming_the_download_and_the_rest_plans(tmp_path):
    snakemake = _tiny_workflow(tmp_path)
    for target in ("results/figure2e.png", "results/figure6.png"):
        result = snakemake("-n", target)
        assert result.returncode != 0
        assert "missing CelebA-HQ images" in result.stderr + result.stdout
        assert "put them in data/celebahq" in result.stderr + result.stdout
    rest = snakemake("-n")  # the default target plans without CelebA-HQ: the figures are not in it
    assert rest.returncode == 0, rest.stdout + rest.stderr
    lines = [line for line in (rest.stdout + rest.stderr).splitlines() if not line.startswith("glf-bench: preset")]
    assert not [line for line in lines if "celebahq" in line]  # only the banner names the preset
    (tmp_path / "data").mkdir()
    write_folder(tmp_path / "data", count=7)
    planned = snakemake("-n", "results/figure2e.png", "results/figure6.png")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    stats = planned.stdout + planned.stderr
    for job, count in (("figure2e", 1), ("figure6", 1), ("train", 2), ("prepare_data", 1)):
        assert re.search(rf"^{job}\s+{count}$", stats, re.M), (job, stats)


@pytest.mark.slow
def test_figures_are_drawn_from_a_folder_of_images(tmp_path):
    snakemake = _tiny_workflow(tmp_path)
    (tmp_path / "data").mkdir()
    write_folder(tmp_path / "data", count=7)
    result = snakemake("--cores", "1", "results/figure2e.png", "results/figure6.png")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("figure2e", "figure6"):
        grid = Image.open(tmp_path / "results" / f"{name}.png")
        assert grid.width == 8 * 256 + 9 * 2  # 8 samples a row, 2 px gaps
        assert grid.height > 2 * 256  # 16 samples: two rows, and the caption below
    assert (tmp_path / "runs" / "celebahq" / "glf_perceptual" / "seed0" / "model.pt").exists()
