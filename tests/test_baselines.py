"""WAE-GAN, WAE-MMD, RAE+GMM, GLANN and GLF+perceptual: training, sampling, second stages."""
from __future__ import annotations

import pytest
import torch
import torchvision

from benchmark.data import DATASETS, make_synthetic, to_float
from models import MODELS, build_model
from models.base import ModelSpec
from models.glann import GLANN
from models.perceptual import sha256_file
from models.wae import WAEGAN, imq_mmd

N = 8


@pytest.fixture(scope="module")
def batch() -> torch.Tensor:
    """A fixed batch of ``N`` synthetic28 images, float ``(N, 1, 28, 28)`` in [0, 1]."""
    return to_float(make_synthetic(DATASETS["synthetic28"], "train", n=N).images)


@pytest.fixture(scope="module")
def vgg_params(tmp_path_factory) -> dict:
    """Model params pointing the perceptual loss at a random VGG16 saved here, with its hash."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-random.pth"
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), path)
    return {"vgg_weights": str(path), "vgg_sha256": sha256_file(path)}


def make(method: str, **params):
    torch.manual_seed(0)
    return build_model(method, ModelSpec(1, 28, latent_dim=8, flow_width=16, num_train=N, params=params))


def train(model, batch: torch.Tensor, steps: int, lr: float = 1e-3) -> list[dict[str, float]]:
    """Run ``steps`` train steps on ``batch`` (index = its positions); return the logged floats."""
    optimizers = model.configure_optimizers(lr)
    index = torch.arange(batch.shape[0])
    return [{k: v.item() for k, v in model.train_step(batch, optimizers, index).items()} for _ in range(steps)]


def assert_lowered(logs: list[dict[str, float]], key: str, factor: float = 0.9) -> None:
    start = sum(row[key] for row in logs[:3]) / 3
    end = sum(row[key] for row in logs[-3:]) / 3
    assert end < factor * start, f"{key} went from {start:.4g} to {end:.4g}"


def assert_images(images: torch.Tensor, n: int) -> None:
    assert images.shape == (n, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1 and torch.isfinite(images).all()


def test_registry_names():
    assert {"wae_gan": "WAEGAN", "wae_mmd": "WAEMMD", "rae_gmm": "RAEGMM", "glann": "GLANN",
            "glf_perceptual": "GLFPerceptual"}.items() <= {k: v.__name__ for k, v in MODELS.items()}.items()


@pytest.fixture(scope="module")
def trained_wae_gan(batch):
    """A WAE-GAN after 6 steps, its logs, and its adversary/encoder parameters before them."""
    model = make("wae_gan", adversary_width=64)
    before = {name: [p.detach().clone() for p in getattr(model, name).parameters()]
              for name in ("adversary", "encoder")}
    return model, train(model, batch, 6), before


def test_wae_gan_training_lowers_loss_and_samples_images(trained_wae_gan):
    model, logs, _ = trained_wae_gan
    assert set(logs[0]) == {"loss", "recon", "penalty", "adversary"}
    row = logs[-1]
    assert row["loss"] == pytest.approx(0.05 * row["recon"] + model.wae_lambda * row["penalty"], rel=1e-5)
    assert_lowered(logs, "loss")
    assert_images(model.sample(5, torch.Generator().manual_seed(0)), 5)


def test_wae_gan_steps_both_the_adversary_and_the_autoencoder(trained_wae_gan):
    model, _, before = trained_wae_gan
    assert isinstance(model, WAEGAN)
    for name, params in before.items():
        assert all(not torch.equal(a, b) for a, b in zip(params, getattr(model, name).parameters())), name


def test_wae_gan_adversary_learns_to_tell_codes_from_prior(batch):
    model = make("wae_gan", adversary_width=64, wae_lambda=0.0, adversary_lr=0.02)
    assert_lowered(train(model, batch, 6), "adversary")


def test_wae_mmd_training_lowers_loss_and_samples_images(batch):
    model = make("wae_mmd")
    logs = train(model, batch, 6)
    assert set(logs[0]) == {"loss", "recon", "mmd"}
    assert_lowered(logs, "loss")
    assert_images(model.sample(5, torch.Generator().manual_seed(0)), 5)


@pytest.mark.parametrize("method", ["wae_gan", "wae_mmd"])
def test_wae_reconstruction_term_is_0_05_times_the_summed_squared_error(batch, method):
    model = make(method, wae_lambda=0.0)
    z = model.encoder(batch)
    sse = (model.decoder(z) - batch).pow(2).flatten(1).sum(dim=1).mean()
    losses = model.autoencoder_losses(batch, z)
    assert losses["recon"].item() == pytest.approx(sse.item(), rel=1e-6)
    assert losses["loss"].item() == pytest.approx(0.05 * sse.item(), rel=1e-6)
    assert make(method, wae_lambda=0.0, recon_scale=1.0).recon_scale == 1.0


def test_wae_gan_adversary_lr_defaults_to_half_the_autoencoders_and_can_be_set():
    default = make("wae_gan").configure_optimizers(1e-3)[1]
    celeba = make("wae_gan", adversary_lr=1e-3, adversary_width=1024).configure_optimizers(3e-4)
    assert default.param_groups[0]["lr"] == pytest.approx(5e-4)
    assert (celeba[0].param_groups[0]["lr"], celeba[1].param_groups[0]["lr"]) == (3e-4, 1e-3)


def test_wae_prior_std_scales_the_prior():
    model = make("wae_mmd", prior_std=2.0)
    z = model.sample_latents(20000, torch.Generator().manual_seed(0))
    assert z.std().item() == pytest.approx(2.0, rel=0.03)


def test_imq_mmd_is_small_for_same_distribution_and_large_for_shifted():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(256, 8, generator=gen), torch.randn(256, 8, generator=gen)
    same, shifted = imq_mmd(a, b, 1.0).item(), imq_mmd(a + 1.0, b, 1.0).item()
    assert abs(same) < 0.02 and shifted > 10 * abs(same) and shifted > 0.05


@pytest.fixture(scope="module")
def trained_rae(batch):
    """An RAE+GMM (2 components, decoder weight decay) after 6 steps, its logs, and the GMM
    fit's result; the GMM is fitted on the batch's codes."""
    model = make("rae_gmm", gmm_components=2, decoder_weight_decay=1e-4)
    logs = train(model, batch, 6)
    with pytest.raises(RuntimeError, match="second stage"):
        model.sample(2)
    fit = model.fit_second_stage(model.training_latents((batch * 255).to(torch.uint8)), seed=0)
    return model, logs, fit


def test_rae_training_lowers_loss_and_penalises_codes(trained_rae):
    model, logs, _ = trained_rae
    assert_lowered(logs, "loss")
    row = logs[-1]
    assert row["loss"] == pytest.approx(row["recon"] + model.z_penalty * row["z_l2"], rel=1e-5)
    decays = [group["weight_decay"] for group in model.configure_optimizers(1e-3)[0].param_groups]
    assert decays == [0, 1e-4]


def test_rae_sampling_before_fit_raises():
    with pytest.raises(RuntimeError, match="second stage"):
        make("rae_gmm").sample(2)


def test_rae_gmm_samples_match_the_fitted_mixture(trained_rae):
    model, _, fit = trained_rae
    assert set(fit) >= {"gmm_log_likelihood", "gmm_converged"}
    w, mu, cov = model.gmm_weights.double(), model.gmm_means.double(), model.gmm_covariances.double()
    mean = w @ mu
    second = (w[:, None, None] * (cov + mu[:, :, None] * mu[:, None, :])).sum(0)
    z = model.sample_latents(40000, torch.Generator().manual_seed(1)).double()
    scale = cov.diagonal(dim1=1, dim2=2).max().sqrt().item()
    assert torch.allclose(z.mean(0), mean, atol=0.05 * scale)
    assert torch.allclose(torch.cov(z.T), second - torch.outer(mean, mean), atol=0.05 * scale ** 2)
    assert_images(model.sample(5, torch.Generator().manual_seed(0)), 5)


def test_rae_gmm_survives_a_state_dict_round_trip(trained_rae):
    model = trained_rae[0]
    copy = make("rae_gmm", gmm_components=2)
    copy.load_state_dict(model.state_dict())
    first = model.sample(4, torch.Generator().manual_seed(3))
    assert torch.equal(first, copy.sample(4, torch.Generator().manual_seed(3)))
    assert not torch.equal(first, copy.sample(4, torch.Generator().manual_seed(4)))


def test_rae_gmm_needs_enough_latents():
    with pytest.raises(ValueError, match="gmm_components"):
        make("rae_gmm").fit_second_stage(torch.randn(5, 8), seed=0)


def test_glann_moves_only_the_codes_of_the_batch_and_keeps_them_in_the_ball(batch):
    model = make("glann", perceptual=False)
    assert isinstance(model, GLANN)
    optimizers = model.configure_optimizers(1e-2)
    before = model.codes.weight.detach().clone()
    index = torch.tensor([1, 4, 6])
    for _ in range(2):  # the second step would move stale-momentum rows under a dense Adam
        model.train_step(batch[index], optimizers, index)
    after = model.codes.weight.detach()
    changed = (after != before).any(dim=1)
    assert changed[index].all() and changed.sum() == len(index)
    assert (after.norm(dim=1) <= 1 + 1e-6).all()


def test_glann_sphere_projection_keeps_unit_norms(batch):
    model = make("glann", perceptual=False, code_projection="sphere")
    train(model, batch, 2)
    assert torch.allclose(model.codes.weight.norm(dim=1), torch.ones(N), atol=1e-5)


def test_glann_glo_training_lowers_loss_then_imle_stage_and_sampling(batch):
    model = make("glann", perceptual=False, imle_width=64)
    assert_lowered(train(model, batch, 6, lr=1e-2), "loss")
    codes = model.training_latents((batch * 255).to(torch.uint8))
    assert torch.equal(codes, model.codes.weight)
    mapper = model.second_stage_module()
    assert mapper is model.imle
    torch.manual_seed(0)
    assert_lowered(train(mapper, codes, 30), "loss", factor=0.8)
    assert_images(model.sample(5, torch.Generator().manual_seed(0)), 5)


def test_glann_explains_what_it_cannot_do(batch):
    model = make("glann", perceptual=False)
    with pytest.raises(NotImplementedError, match="no encoder"):
        model.encode(batch)
    with pytest.raises(ValueError, match="index"):
        model.train_step(batch, model.configure_optimizers(1e-3))
    with pytest.raises(ValueError, match="num_train"):
        build_model("glann", ModelSpec(1, 28, latent_dim=8, flow_width=16, num_train=0))


def test_perceptual_methods_train_and_keep_the_vgg_out_of_checkpoints(batch, vgg_params):
    glf = make("glf_perceptual", **vgg_params)
    logs = train(glf, batch, 6)
    assert set(logs[0]) >= {"loss", "recon", "nll"}
    assert_lowered(logs, "recon", factor=0.95)  # summed pre-ReLU maps of a random VGG: slower in 6 steps
    assert set(glf.state_dict()) == set(make("glf").state_dict())
    assert_images(glf.sample(3, torch.Generator().manual_seed(0)), 3)
    glann = make("glann", **vgg_params)
    index = torch.arange(N)
    recon = glann.code_losses(batch, index)["recon"]
    assert recon.item() == pytest.approx(glann.perceptual(glann.decode(glann.codes(index)), batch).item(), rel=1e-5)
    assert not any(name.startswith("perceptual") for name in glann.state_dict())


def test_glann_interpolation_walks_its_imle_noise_of_its_own_dimension():
    from benchmark.sampling import _walk, interpolation

    model = make("glann", perceptual=False, imle_width=16, noise_dim=5).eval()
    assert model.noise_dim() == 5
    images = interpolation(model, pairs=2, steps=3, seed=1, protocol="eval")
    ends = torch.randn(2, 2, 5, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(images, model.decode(model.imle(_walk(ends, 3))).clamp(0, 1))
