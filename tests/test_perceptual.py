"""The VGG16 perceptual loss: real checksum-verifying loader on a random VGG16 saved by the test,
and a literal re-implementation of the authors' feature loop (utils/perceptual_loss.py) to hold
the ``authors`` features and inputs against."""
from __future__ import annotations

import shutil

import pytest
import torch
import torchvision
from torchvision import transforms

from benchmark.commands.vgg_weights import main
from models.perceptual import (
    IMAGENET_MEAN,
    IMAGENET_STD,
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
    """A randomly initialised torchvision VGG16 state_dict file (its ``features.*`` tensors, all
    the loss reads) and its SHA-256."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-random.pth"
    state = torchvision.models.vgg16(weights=None).state_dict()
    torch.save({k: v for k, v in state.items() if k.startswith("features.")}, path)
    return path, sha256_file(path)


def reference_features(path) -> torch.nn.Sequential:
    """torchvision's own ``vgg16().features`` (``ReLU(inplace=True)``) with the file's weights."""
    features = torchvision.models.vgg16(weights=None).features
    features.load_state_dict({k.removeprefix("features."): v for k, v in torch.load(path, weights_only=True).items()})
    return features.eval()


@pytest.fixture
def images():
    return torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def test_pinned_hash_is_a_full_sha256_matching_torchvision_file_name_prefix():
    assert len(VGG16_SHA256) == 64 and int(VGG16_SHA256, 16) >= 0
    assert VGG16_URL.endswith(f"vgg16-{VGG16_SHA256[:8]}.pth")


def test_loader_returns_frozen_stages_with_the_file_weights(vgg_file):
    path, sha = vgg_file
    stages = load_vgg16_stages(path, sha, levels=4)
    assert torch.equal(stages[3][-1].weight, reference_features(path)[21].weight)  # conv4_3, before its ReLU
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
    a, b = summed.vgg_input(x_hat), summed.vgg_input(images)
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


def test_features_are_taken_before_the_relu_by_default_and_after_it_or_as_the_authors_on_request(vgg_file):
    conv, relu = load_vgg16_stages(*vgg_file, levels=4), load_vgg16_stages(*vgg_file, levels=4, activation="relu")
    assert all(isinstance(stage[-1], torch.nn.Conv2d) for stage in conv)  # conv1_2, conv2_2, ...
    assert all(isinstance(stage[-1], torch.nn.ReLU) for stage in relu)
    for levels in (3, 4):
        authors = load_vgg16_stages(*vgg_file, levels=levels, activation="authors")
        assert [type(stage[-1]).__name__ for stage in authors] == ["ReLU"] * (levels - 1) + ["Conv2d"]
    x = torch.rand(1, 3, 28, 28, generator=torch.Generator().manual_seed(4))
    assert conv[0](x).min() < 0 <= relu[0](x).min()
    assert PerceptualLoss(28, *vgg_file).activation == "conv"  # the declared default: existing runs unchanged


AUTHORS_LAYER_IDS = [2, 7, 12, 21]  # utils/perceptual_loss.py: conv1_2, conv2_2, conv3_2, conv4_3


def authors_features(features: torch.nn.Sequential, z: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """The authors' feature loop, re-written literally: run vgg16.features layer by layer up to
    the deepest wanted id, appending the tensor after each wanted layer; the in-place ReLU that
    follows a stored tensor overwrites it."""
    layer_ids = AUTHORS_LAYER_IDS[:levels]
    output = []
    for i in range(layer_ids[-1] + 1):
        z = features[i](z)
        if i in layer_ids:
            output.append(z)
    return output


def authors_data(x: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] as the authors' code feeds them to the loss with the perceptual loss:
    Normalize((0.5,), (0.5,)) then repeated to 3 channels for MNIST/Fashion (train_glf.py),
    ImageNet Normalize for CIFAR-10/CelebA (utils/dataset.py); their decoder's tanh is not shifted."""
    if x.shape[1] == 1:
        x = transforms.Normalize((0.5,), (0.5,))(x)
        return torch.cat((x, x, x), dim=1)
    return transforms.Normalize(list(IMAGENET_MEAN), list(IMAGENET_STD))(x)


def authors_vgg_distance(features, I1: torch.Tensor, I2: torch.Tensor, levels: int) -> torch.Tensor:
    """The authors' _VGGDistance without its (unused) factors: L1 of the inputs plus of each level,
    every sum over the whole batch."""
    f1, f2 = authors_features(features, I1, levels), authors_features(features, I2, levels)
    loss = torch.abs(I1 - I2).sum()
    for i in range(levels):
        loss = loss + torch.abs(f1[i] - f2[i]).sum()
    return loss


@pytest.mark.parametrize("shape", [(3, 1, 28, 28), (2, 3, 64, 64)], ids=["grayscale-28px", "colour-64px"])
def test_authors_features_and_loss_equal_a_literal_reimplementation_of_the_authors_code(vgg_file, shape):
    path, sha = vgg_file
    gen = torch.Generator().manual_seed(5)
    x, x_hat = torch.rand(shape, generator=gen), torch.rand(shape, generator=gen)
    reference = reference_features(path)
    assert all(layer.inplace for layer in reference if isinstance(layer, torch.nn.ReLU))
    loss = PerceptualLoss(shape[-1], path, sha, activation="authors", inputs="authors")
    levels = loss.levels
    assert levels == (4 if shape[-1] == 64 else 3)
    with torch.no_grad():
        expected = authors_features(reference, authors_data(x), levels)
        ours = list(loss.feature_maps(x))
        assert len(ours) == levels
        for level, (mine, theirs) in enumerate(zip(ours, expected)):
            torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-5, msg=f"level {level + 1}")
        assert all(map.min() >= 0 for map in expected[:-1]) and expected[-1].min() < 0  # ReLU'd but the deepest
        their_loss = authors_vgg_distance(reference, authors_data(x_hat), authors_data(x), levels)
        torch.testing.assert_close(loss(x_hat, x) * shape[0], their_loss, rtol=1e-5, atol=0)
        for activation in ("conv", "relu"):
            other = list(PerceptualLoss(shape[-1], path, sha, activation=activation, inputs="authors").feature_maps(x))
            differs = [not torch.allclose(a, b, rtol=1e-4, atol=1e-4) for a, b in zip(other, ours)]
            assert differs == ([True] * (levels - 1) + [False] if activation == "conv" else
                               [False] * (levels - 1) + [True]), activation


def test_authors_inputs_are_the_authors_values_and_imagenet_inputs_are_not(vgg_file):
    gray = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(6))
    colour = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(7))
    authors, imagenet = PerceptualLoss(28, *vgg_file, inputs="authors"), PerceptualLoss(28, *vgg_file)
    assert imagenet.inputs == "imagenet"  # the declared default: existing runs keep their loss
    assert torch.equal(authors.vgg_input(gray), authors_data(gray))
    assert authors.vgg_input(gray).min() < -0.9 and imagenet.vgg_input(gray).min() > -2.2
    torch.testing.assert_close(authors.vgg_input(colour), authors_data(colour))
    torch.testing.assert_close(imagenet.vgg_input(colour), authors_data(colour))  # colour: the same map
    x_hat = gray.flip(0)
    pixels = (x_hat - gray).abs().flatten(1).sum(1).mean()
    features = sum((a - b).abs().flatten(1).sum(1) for a, b in
                   zip(authors.feature_maps(x_hat), authors.feature_maps(gray))).mean()
    # authors: the pixel term on 3 channels of [-1, 1] values, 6x the [0, 1] single-channel sum
    torch.testing.assert_close(authors(x_hat, gray), 6 * pixels + features, rtol=1e-5, atol=0)


def test_activation_and_input_params_reach_the_loss_of_both_methods(vgg_file):
    from models import build_model
    from models.base import ModelSpec
    path, sha = vgg_file
    for method in ("glf_perceptual", "glann"):
        spec = ModelSpec(1, 28, latent_dim=4, flow_width=8, num_train=4,
                         params={"vgg_weights": str(path), "vgg_sha256": sha, "perceptual_activation": "authors",
                                 "perceptual_input": "authors"})
        loss = build_model(method, spec).perceptual
        assert (loss.activation, loss.inputs) == ("authors", "authors")
