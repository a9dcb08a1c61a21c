"""The VGG16 perceptual loss: real checksum-verifying loader on a random VGG16 saved by the test."""
from __future__ import annotations

import shutil

import pytest
import torch
import torchvision

from benchmark.commands.vgg_weights import main
from models.perceptual import (
    VGG16_SHA256,
    VGG16_URL,
    WEIGHTS_ENV,
    PerceptualLoss,
    WeightsError,
    load_vgg16_stages,
    sha256_file,
)


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """A randomly initialised torchvision VGG16 state_dict file and its SHA-256."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-random.pth"
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), path)
    return path, sha256_file(path)


@pytest.fixture
def images():
    return torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def test_pinned_hash_is_a_full_sha256_matching_torchvision_file_name_prefix():
    assert len(VGG16_SHA256) == 64 and int(VGG16_SHA256, 16) >= 0
    assert VGG16_URL.endswith(f"vgg16-{VGG16_SHA256[:8]}.pth")


def test_loader_returns_frozen_stages_with_the_file_weights(vgg_file):
    path, sha = vgg_file
    stages = load_vgg16_stages(path, sha, levels=4)
    reference = torchvision.models.vgg16(weights=None)
    reference.load_state_dict(torch.load(path, weights_only=True))
    assert torch.equal(stages[3][-1].weight, reference.features[21].weight)  # conv4_3, before its ReLU
    assert not any(p.requires_grad for p in stages.parameters())
    assert not stages.training


def test_identical_images_cost_zero_and_noise_costs_more_with_its_size(vgg_file, images):
    loss = PerceptualLoss(28, *vgg_file)
    gen = torch.Generator().manual_seed(2)
    noise = torch.randn(images.shape, generator=gen)
    assert loss(images, images).item() == 0.0
    small = loss((images + 0.05 * noise).clamp(0, 1), images).item()
    large = loss((images + 0.3 * noise).clamp(0, 1), images).item()
    assert 0.0 < small < large


def test_gradient_reaches_the_reconstruction_but_not_the_vgg(vgg_file, images):
    loss = PerceptualLoss(28, *vgg_file)
    x_hat = (images.flip(0) * 0.5).requires_grad_()
    loss(x_hat, images).backward()
    assert x_hat.grad is not None and x_hat.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.stages(images.device).parameters())


def test_vgg_is_not_in_state_dict_nor_parameters(vgg_file, images):
    loss = PerceptualLoss(28, *vgg_file)
    loss(images, images)
    assert list(loss.parameters()) == []
    assert loss.state_dict() == {}


def test_colour_64px_images_use_four_levels(vgg_file):
    loss = PerceptualLoss(64, *vgg_file)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    assert loss.levels == 4 and len(loss.stages(x.device)) == 4
    assert loss(x, x.flip(0)).item() > 0


def test_corrupted_file_raises_naming_both_hashes(vgg_file, tmp_path):
    path, sha = vgg_file
    corrupt = tmp_path / "vgg16-corrupt.pth"
    shutil.copy(path, corrupt)
    with open(corrupt, "r+b") as stream:
        stream.seek(1000)
        byte = stream.read(1)
        stream.seek(1000)
        stream.write(bytes([byte[0] ^ 0xFF]))
    actual = sha256_file(corrupt)
    assert actual != sha
    with pytest.raises(WeightsError) as err:
        PerceptualLoss(28, corrupt, sha)(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 28, 28))
    assert sha in str(err.value) and actual in str(err.value)


def test_real_hash_is_the_default_expectation(vgg_file):
    with pytest.raises(WeightsError, match=VGG16_SHA256):
        load_vgg16_stages(vgg_file[0])


def test_missing_file_says_where_to_download_and_put_it(tmp_path):
    missing = tmp_path / "nowhere" / "vgg16.pth"
    with pytest.raises(WeightsError) as err:
        load_vgg16_stages(missing)
    message = str(err.value)
    assert str(missing) in message and VGG16_URL in message and WEIGHTS_ENV in message


def test_environment_variable_points_the_loader_at_the_file(vgg_file, monkeypatch, images):
    path, sha = vgg_file
    monkeypatch.setenv(WEIGHTS_ENV, str(path))
    assert PerceptualLoss(28, sha256=sha)(images, images.flip(0)).item() > 0


def test_command_line_check_reports_a_missing_file(tmp_path, capsys):
    assert main(["--path", str(tmp_path / "missing.pth")]) == 2
    assert "not found" in capsys.readouterr().err


def test_sum_and_mean_reductions_differ_by_each_terms_element_count(vgg_file, images):
    """Per image, sum = sum over terms of (element count x mean): pixels 1x28x28, then the VGG
    maps conv1_2 64x28x28, conv2_2 128x14x14, conv3_2 256x7x7."""
    x_hat = images.flip(0)
    summed, averaged = PerceptualLoss(28, *vgg_file, reduction="sum"), PerceptualLoss(28, *vgg_file, reduction="mean")
    stages = summed.stages(images.device)
    a, b = summed._normalise(x_hat), summed._normalise(images)
    terms = [(x_hat - images).abs().flatten(1)]
    for stage in stages:
        a, b = stage(a), stage(b)
        terms.append((a - b).abs().flatten(1))
    assert [t.shape[1] for t in terms] == [784, 64 * 784, 128 * 196, 256 * 49]
    expected_sum = sum(t.mean(dim=1) * t.shape[1] for t in terms).mean()
    expected_mean = sum(t.mean(dim=1) for t in terms).mean()
    assert torch.allclose(summed(x_hat, images), expected_sum, rtol=1e-5)
    assert torch.allclose(averaged(x_hat, images), expected_mean, rtol=1e-5)
    assert summed(x_hat, images) > 100 * averaged(x_hat, images)


def test_perceptual_reduction_param_reaches_the_loss_of_both_methods(vgg_file):
    from models import build_model
    from models.base import ModelSpec
    path, sha = vgg_file
    for method in ("glf_perceptual", "glann"):
        for reduction in ("sum", "mean"):
            spec = ModelSpec(1, 28, latent_dim=4, flow_width=8, num_train=4,
                             params={"vgg_weights": str(path), "vgg_sha256": sha, "perceptual_reduction": reduction})
            assert build_model(method, spec).perceptual.reduction == reduction


def test_features_are_taken_before_the_relu_by_default_and_after_it_on_request(vgg_file):
    conv, relu = load_vgg16_stages(*vgg_file, levels=4), load_vgg16_stages(*vgg_file, levels=4, activation="relu")
    assert all(isinstance(stage[-1], torch.nn.Conv2d) for stage in conv)  # authors: conv1_2, conv2_2, ...
    assert all(isinstance(stage[-1], torch.nn.ReLU) for stage in relu)
    x = torch.rand(1, 3, 28, 28, generator=torch.Generator().manual_seed(4))
    assert conv[0](x).min() < 0 <= relu[0](x).min()
    assert PerceptualLoss(28, *vgg_file).activation == "conv"
