"""VAE family: the Gaussian helpers against torch.distributions, each method learning on a fixed
batch of toy images, and Two-Stage VAE's second stage changing and persisting its samples."""
from __future__ import annotations

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from benchmark.data import dataset_info, make_synthetic, to_float
from models import MODELS, build_model
from models.base import ModelSpec, reconstruction_loss
from models.gaussian import (
    GaussianLikelihood,
    gaussian_entropy,
    gaussian_log_prob,
    kl_to_standard_normal,
    split_mean_logvar,
)
from models.two_stage_vae import TwoStageVAE
from models.vae_flow_posterior import VAEFlowPosterior
from models.vae_flow_prior import VAEFlowPrior

LATENT = 8
METHODS = {"vae": {"recon", "kl"}, "vae_flow_prior": {"recon", "entropy", "entropy_loss", "nll"},
           "vae_flow_posterior": {"recon", "kl"}, "two_stage_vae": {"recon", "kl", "gamma_x"}}


def spec(**params) -> ModelSpec:
    return ModelSpec(1, 28, latent_dim=LATENT, flow_width=16, params=params)


def two_stage_spec(**params) -> ModelSpec:
    return spec(second_stage_width=64, **params)


def spec_for(method: str, **params) -> ModelSpec:
    return two_stage_spec(**params) if method == "two_stage_vae" else spec(**params)


@pytest.fixture(scope="module")
def toy_uint8() -> torch.Tensor:
    return make_synthetic(dataset_info("synthetic28"), "train", n=16).images


@pytest.fixture(scope="module")
def toy(toy_uint8) -> torch.Tensor:
    return to_float(toy_uint8)


def train(module, batch: torch.Tensor, steps: int, lr: float = 1e-3) -> list[dict[str, float]]:
    """Run ``steps`` train steps on one fixed batch; return the logged values per step."""
    module.train()
    optimizers = module.configure_optimizers(lr)
    return [{k: v.item() for k, v in module.train_step(batch, optimizers).items()} for _ in range(steps)]


def mean_loss(log: list[dict[str, float]]) -> float:
    return sum(row["loss"] for row in log) / len(log)


def random_gaussian(rows: int = 5, dim: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return torch.randn(rows, dim, generator=gen) * 2, torch.randn(rows, dim, generator=gen)


def test_registry_names():
    assert set(METHODS) <= set(MODELS)


def test_split_mean_logvar_rejects_odd_width():
    with pytest.raises(ValueError, match="out_dim = 2 \\* latent_dim"):
        split_mean_logvar(torch.zeros(2, 5))


def test_kl_matches_torch_distributions():
    mean, logvar = random_gaussian()
    expected = kl_divergence(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(kl_to_standard_normal(mean, logvar), expected)


def test_entropy_and_log_prob_match_torch_distributions():
    mean, logvar = random_gaussian()
    q = Normal(mean, (0.5 * logvar).exp())
    torch.testing.assert_close(gaussian_entropy(logvar), q.entropy().sum(-1))
    x = mean + torch.linspace(-2, 2, mean.numel()).view_as(mean)
    torch.testing.assert_close(gaussian_log_prob(x, mean, logvar), q.log_prob(x).sum(-1))


def test_fixed_variance_term_is_beta_times_glf_recon(toy):
    x_hat = toy.flip(0)
    term, logged = GaussianLikelihood(beta=400.0)(x_hat, toy)
    torch.testing.assert_close(logged["recon"], reconstruction_loss(x_hat, toy))
    torch.testing.assert_close(term, 400.0 * reconstruction_loss(x_hat, toy))
    assert "gamma" not in logged


def test_learned_variance_term_is_gaussian_nll(toy):
    likelihood = GaussianLikelihood(learn_variance=True)
    with torch.no_grad():
        likelihood.log_gamma.fill_(-1.3)
    x_hat = toy.flip(0)
    term, logged = likelihood(x_hat, toy)
    expected = -Normal(x_hat, torch.tensor(-1.3).exp()).log_prob(toy).flatten(1).sum(1).mean()
    torch.testing.assert_close(term, expected)
    torch.testing.assert_close(logged["gamma"], torch.tensor(-1.3).exp())


def test_bad_beta_names_the_parameter():
    with pytest.raises(ValueError, match="params.beta"):
        build_model("vae", spec(beta=0))


def test_flow_posterior_log_q_matches_jacobian_determinant():
    torch.manual_seed(0)
    model = VAEFlowPosterior(spec()).eval()
    mean, logvar = random_gaussian(rows=4, dim=LATENT)
    z0 = mean + (0.5 * logvar).exp() * torch.randn_like(mean)
    with torch.no_grad():
        z, log_q = model.flow_posterior(z0, mean, logvar)
    for i in range(z0.shape[0]):
        jacobian = torch.autograd.functional.jacobian(lambda v: model.flow(v[None])[0][0], z0[i], vectorize=True)
        direct = (Normal(mean[i], (0.5 * logvar[i]).exp()).log_prob(z0[i]).sum()
                  - torch.linalg.slogdet(jacobian).logabsdet)
        torch.testing.assert_close(log_q[i], direct, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(z, model.flow(z0)[0])


@pytest.mark.parametrize("method", sorted(METHODS))
def test_training_lowers_loss_and_samples_are_images(method, toy):
    torch.manual_seed(0)
    model = build_model(method, spec_for(method))
    log = train(model, toy, steps=12)
    assert METHODS[method] | {"loss"} <= set(log[0])
    assert all(torch.isfinite(torch.tensor(list(row.values()))).all() for row in log)
    assert mean_loss(log[-3:]) < 0.95 * mean_loss(log[:3])
    if "gamma_x" in log[0]:  # learned decoder scale starts at 1 and shrinks as the fit improves
        assert log[0]["gamma_x"] == 1.0 and log[-1]["gamma_x"] < 0.995
    samples = model.sample(6, torch.Generator().manual_seed(0))
    assert samples.shape == (6, 1, 28, 28)
    assert torch.isfinite(samples).all() and samples.min() >= 0 and samples.max() <= 1
    assert model.training  # sample restores the mode


@pytest.mark.parametrize("method", ["vae", "vae_flow_prior"])
def test_learn_variance_param_adds_a_trained_gamma(method, toy):
    model = build_model(method, spec_for(method, learn_variance=True))
    assert "gamma" in model.losses(toy)
    (optimizer,) = model.configure_optimizers(1e-3)
    assert any(p is model.likelihood.log_gamma for g in optimizer.param_groups for p in g["params"])


def test_flow_prior_loss_is_beta_recon_plus_nll_minus_entropy(toy):
    torch.manual_seed(0)
    model = VAEFlowPrior(spec())
    out = model.losses(toy)
    torch.testing.assert_close(out["loss"], 400.0 * out["recon"] + out["nll"] - out["entropy"])
    logvar = model.posterior(toy)[1]
    torch.testing.assert_close(out["entropy"], gaussian_entropy(logvar).mean())
    log_sigma = Normal(torch.zeros_like(logvar), torch.exp(0.5 * logvar)).scale.log()
    torch.testing.assert_close(out["entropy_loss"], -log_sigma.sum(dim=1).mean())  # Figure 3b: opposite sign


def test_flow_prior_nll_trains_the_encoder(toy):
    """No stop-gradient (unlike GLF): the prior's NLL reaches the encoder weights."""
    model = VAEFlowPrior(spec())
    model.losses(toy)["nll"].backward()
    assert model.encoder.net[-1].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("method", ["vae_flow_prior", "vae_flow_posterior"])
def test_flow_parameters_use_the_paper_flow_optimiser(method):
    model = build_model(method, spec_for(method))
    (optimizer,) = model.configure_optimizers(1e-3)
    flow_group = next(g for g in optimizer.param_groups if g["betas"] == (0.8, 0.9))
    assert {id(p) for p in flow_group["params"]} == {id(p) for p in model.flow.parameters()}
    optimised = [id(p) for g in optimizer.param_groups for p in g["params"]]
    assert sorted(optimised) == sorted(id(p) for p in model.parameters())


def test_two_stage_vae_second_stage_changes_and_persists_samples(toy, toy_uint8):
    torch.manual_seed(0)
    model = TwoStageVAE(two_stage_spec())
    assert {id(p) for g in model.configure_optimizers(1e-3)[0].param_groups for p in g["params"]}.isdisjoint(
        id(p) for p in model.second_stage_module().parameters())
    train(model, toy, steps=3)
    model.eval()

    def draw(m: TwoStageVAE) -> torch.Tensor:
        return m.sample(8, torch.Generator().manual_seed(7))

    before = draw(model)
    eps = torch.randn(8, LATENT, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        torch.testing.assert_close(before, model.decode(eps).clamp(0, 1))  # untrained: stage-1 VAE samples

    latents = model.training_latents(toy_uint8)
    assert latents.shape == (16, 2 * LATENT)  # posterior (mean, logvar): stage 2 samples z itself
    torch.testing.assert_close(latents[:, :LATENT], model.encode(toy))
    log = train(model.second_stage_module(), latents, steps=30)
    assert {"loss", "recon", "kl", "gamma_z"} <= set(log[0])
    assert mean_loss(log[-5:]) < mean_loss(log[:5])

    after = draw(model)
    assert (after - before).abs().max() > 1e-3
    gen = torch.Generator().manual_seed(7)
    eps, noise = torch.randn(8, LATENT, generator=gen), torch.randn(8, LATENT, generator=gen)
    with torch.no_grad():
        z = model.latent_vae.decoder(eps) + model.latent_vae.gamma() * noise  # gamma_z noise added
        torch.testing.assert_close(after, model.decode(z).clamp(0, 1))

    fresh = TwoStageVAE(two_stage_spec())
    fresh.load_state_dict(model.state_dict())
    torch.testing.assert_close(draw(fresh.eval()), after, rtol=0, atol=0)


@pytest.mark.parametrize("latents, differ", [("sampled", True), ("mean", False)])
def test_two_stage_stage2_sees_different_z_in_two_epochs(toy_uint8, latents, differ):
    torch.manual_seed(0)
    model = TwoStageVAE(two_stage_spec(stage2_latents=latents))
    rows = model.training_latents(toy_uint8)
    stage2 = model.second_stage_module()
    seen = []
    original = stage2.targets
    stage2.targets = lambda r: seen.append(original(r).detach()) or seen[-1]
    optimizers = stage2.configure_optimizers(1e-4)
    for _ in range(2):  # two epochs of one full batch each
        stage2.train_step(rows, optimizers)
    first, second = seen
    assert (first - second).abs().max().item() > 1e-3 if differ else torch.equal(first, second)
    if differ:
        mean, logvar = rows.chunk(2, dim=1)
        standardised = torch.cat([(z - mean) * torch.exp(-0.5 * logvar) for z in seen])
        assert abs(standardised.mean().item()) < 0.2 and abs(standardised.std().item() - 1) < 0.2


def test_two_stage_sampling_without_gamma_noise_is_the_decoder_mean(toy_uint8):
    torch.manual_seed(0)
    model = TwoStageVAE(two_stage_spec(stage2_sample_noise=False)).eval()
    train(model.second_stage_module(), model.training_latents(toy_uint8), steps=2)
    eps = torch.randn(4, LATENT, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(model.sample_latents(4, torch.Generator().manual_seed(3)),
                                   model.latent_vae.decoder(eps))


def test_two_stage_vae_defaults():
    model = TwoStageVAE(ModelSpec(1, 28, latent_dim=LATENT, flow_width=16))
    assert model.likelihood.log_gamma is not None
    assert model.latent_vae.decoder.out.in_features == LATENT + 1024


@pytest.mark.parametrize("scale", ["softplus", "exp"])
def test_two_stage_posterior_scale_is_dai_wipf_softplus_or_log_variance(toy, scale):
    model = TwoStageVAE(two_stage_spec(posterior_scale=scale)).eval()
    with torch.no_grad():
        raw = model.encoder(toy)[:, LATENT:]
        logvar = model.posterior(toy)[1]
        latents = model.training_latents((toy * 255).round().to(torch.uint8))
    sd = 1e-6 + torch.nn.functional.softplus(raw) if scale == "softplus" else torch.exp(0.5 * raw)
    torch.testing.assert_close(torch.exp(0.5 * logvar), sd)
    assert latents.shape == (16, 2 * LATENT)  # stage 2 draws z from the same posterior
    torch.testing.assert_close(latents[:, LATENT:], logvar, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("network, log_sd", [("dai_wipf", True), ("torch_default", False)])
def test_two_stage_stage2_network_outputs_log_sd_or_log_variance(network, log_sd):
    stage2 = TwoStageVAE(two_stage_spec(stage2_network=network)).latent_vae
    z = torch.randn(5, LATENT, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw = stage2.encoder(z)[:, LATENT:]
        torch.testing.assert_close(stage2.posterior(z)[1], 2 * raw if log_sd else raw)
    biases = torch.cat([m.bias for m in stage2.modules() if isinstance(m, torch.nn.Linear)])
    assert (biases.abs().max().item() == 0) is log_sd  # tf.layers.dense: zero biases


def test_two_stage_gamma_x_is_trained_with_the_networks_at_their_learning_rate(toy):
    model = TwoStageVAE(two_stage_spec())
    (optimizer,) = model.configure_optimizers(3e-4)
    (group,) = [g for g in optimizer.param_groups if any(p is model.likelihood.log_gamma for p in g["params"])]
    assert group["lr"] == 3e-4 and any(p is model.decoder.net[0].weight for p in group["params"])
    assert model.losses(toy)["gamma_x"].item() == 1.0  # log gamma_x starts at 0


def test_two_stage_interpolation_walks_the_stage2_noise_as_its_sampler_draws_it(toy_uint8):
    """A collapsed stage 2 (decoder mean independent of u) still varies along the walk, because the
    walk moves the gamma_z noise e too; samples and interpolations share noise_to_latent."""
    from benchmark.sampling import interpolation

    torch.manual_seed(0)
    model = TwoStageVAE(two_stage_spec()).eval()
    train(model.second_stage_module(), model.training_latents(toy_uint8), steps=2)
    model.eval()
    assert model.noise_dim() == 2 * LATENT
    with torch.no_grad():
        for layer in model.latent_vae.decoder.modules():
            if isinstance(layer, torch.nn.Linear):
                layer.weight.zero_()
        model.latent_vae.likelihood.log_gamma.fill_(0.0)
    images = interpolation(model, pairs=2, steps=5, seed=3, protocol="eval").view(2, 5, -1)
    assert (images[:, 0] - images[:, -1]).abs().max() > 1e-3  # an untrained stage 1 is near-grey
    gen = torch.Generator().manual_seed(5)
    u, e = torch.randn(4, LATENT, generator=gen), torch.randn(4, LATENT, generator=gen)
    with torch.no_grad():
        bias = model.latent_vae.decoder.out.bias
        torch.testing.assert_close(model.sample_latents(4, torch.Generator().manual_seed(5)), bias + e)
    no_noise = TwoStageVAE(two_stage_spec(stage2_sample_noise=False))
    no_noise.load_state_dict(model.state_dict())
    assert no_noise.noise_dim() == LATENT
    flat = interpolation(no_noise.eval(), pairs=2, steps=5, seed=3, protocol="eval").view(2, 5, -1)
    assert torch.equal(flat[:, 0], flat[:, -1])
