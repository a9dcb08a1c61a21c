import pytest
import torch

from models import MODELS, build_model
from models.architecture import AUTOENCODER_PARAMS, Decoder, Encoder, architecture_rows
from models.base import ModelSpec


@pytest.mark.parametrize("channels,size,latent", [(1, 28, 20), (3, 32, 64), (3, 64, 64)])
def test_shapes_and_output_range(channels, size, latent):
    enc, dec = Encoder(channels, size, latent), Decoder(channels, size, latent)
    z = enc(torch.rand(4, channels, size, size))
    assert z.shape == (4, latent)
    x = dec(z)
    assert x.shape == (4, channels, size, size)
    assert x.min() >= 0 and x.max() <= 1


def test_table3_rows_are_read_from_the_modules():
    rows = architecture_rows(1, 28, 20)
    enc = [r for r in rows if r["part"] == "encoder"]
    dec = [r for r in rows if r["part"] == "decoder"]
    assert enc[0]["layer"] == "Conv(1->64, k4, s2, p1)" and enc[0]["output_shape"] == "64x14x14"
    assert "FC(6272->1024)" in [r["layer"] for r in enc]
    assert enc[-1]["layer"] == "FC(1024->20)" and enc[-1]["output_shape"] == "20"
    assert dec[-2]["layer"] == "Deconv(64->1, k4, s2, p1)" and dec[-2]["output_shape"] == "1x28x28"
    assert dec[-1]["layer"] == "Tanh, x0.5+0.5"
    assert [r["layer"] for r in architecture_rows(3, 64, 64) if r["part"] == "encoder"][6] == "FC(32768->1024)"


def test_weights_are_initialised_from_n0_002():
    enc = Encoder(3, 64, 64)
    weight = enc.net[6].weight
    assert abs(weight.mean().item()) < 1e-3
    assert abs(weight.std().item() - 0.02) < 1e-3


def test_size_not_divisible_by_four_is_rejected():
    with pytest.raises(ValueError, match="divisible by 4"):
        Encoder(1, 30, 20)


# The authors' auto-encoder, nalzok/flow-comparison 99e8094 (the OpenReview supplementary),
# AE/convAE_infoGAN.py: ``self.deconv`` ends in ``nn.Tanh()`` and ``decode`` returns
# ``output * 0.5 + 0.5`` for the MSE loss; ``initialize_weights`` touches conv and linear layers
# only, so batch-norm scales keep PyTorch's 1 and shifts 0.  0.5 * tanh(a) + 0.5 = sigmoid(2a):
AUTHORS_OUTPUT = {-2.0: 0.01798620996209156, -0.5: 0.2689414213699951, 0.0: 0.5,
                  0.5: 0.7310585786300049, 2.0: 0.9820137900379085}


def test_decoder_output_is_the_authors_tanh_shifted_to_unit_interval():
    last = Decoder(1, 28, 20).net[-1]
    a = torch.tensor(list(AUTHORS_OUTPUT), dtype=torch.float64)
    assert last(a).tolist() == pytest.approx(list(AUTHORS_OUTPUT.values()), abs=1e-12)
    sigmoid = Decoder(1, 28, 20, output="sigmoid").net[-1]
    assert sigmoid(torch.tensor([2.0])).item() == pytest.approx(0.8807970779778823)


@pytest.mark.parametrize("module", [Encoder(1, 28, 20), Decoder(1, 28, 20)])
def test_batchnorm_scales_start_at_the_authors_one(module):
    norms = [m for m in module.modules() if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d)]
    assert norms and all(torch.equal(m.weight, torch.ones_like(m.weight)) for m in norms)
    assert all(torch.equal(m.bias, torch.zeros_like(m.bias)) for m in norms)


def test_normal_batchnorm_init_is_the_old_switch():
    norms = [m for m in Decoder(1, 28, 20, batchnorm_init="normal").modules() if isinstance(m, torch.nn.BatchNorm1d)]
    scales = torch.cat([m.weight for m in norms])
    assert abs(scales.mean().item() - 1.0) < 2e-3 and abs(scales.std().item() - 0.02) < 2e-3


def test_every_method_builds_its_autoencoder_from_the_shared_params():
    assert AUTOENCODER_PARAMS["decoder_output"].default == "tanh"
    assert AUTOENCODER_PARAMS["batchnorm_init"].default == "ones"
    for name, method in MODELS.items():
        assert set(AUTOENCODER_PARAMS) <= set(method.declared_params), name
    spec = ModelSpec(1, 28, 20, params={"decoder_output": "sigmoid"})
    model = build_model("glf", spec)
    assert isinstance(model.decoder.net[-1], torch.nn.Sigmoid)
