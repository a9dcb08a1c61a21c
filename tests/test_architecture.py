import pytest
import torch

from models.architecture import Decoder, Encoder, architecture_rows


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
    assert dec[-1]["layer"] == "Sigmoid"
    assert [r["layer"] for r in architecture_rows(3, 64, 64) if r["part"] == "encoder"][6] == "FC(32768->1024)"


def test_weights_are_initialised_from_n0_002():
    enc = Encoder(3, 64, 64)
    weight = enc.net[6].weight
    assert abs(weight.mean().item()) < 1e-3
    assert abs(weight.std().item() - 0.02) < 1e-3


def test_size_not_divisible_by_four_is_rejected():
    with pytest.raises(ValueError, match="divisible by 4"):
        Encoder(1, 30, 20)
