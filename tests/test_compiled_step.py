"""The compiled training step takes the same steps as eager: losses and parameters after 50 steps
on CUDA (10 on the 2-core CPU, where each eager step of even a tiny batch is slow).

On CPU the step is compiled with the ``aot_eager`` backend (the same Dynamo/AOTAutograd graphs
without code generation, seconds instead of a minute); where CUDA is present the real path
(inductor, mode ``reduce-overhead``: CUDA graphs) is compared on the GPU.
"""
from __future__ import annotations

import copy

import pytest
import torch

from benchmark.compiled_step import compiled_train_step, use_compiled_step
from benchmark.config import validate_config
from benchmark.trainer import Trainer, TrainSettings
from models import build_model
from models.base import ModelSpec

DEVICES = [pytest.param("cpu", "aot_eager", id="cpu-aot_eager"),
           pytest.param("cuda", "inductor", id="cuda-graphs",
                        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))]


def _images(n: int, device: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 28, 28, generator=generator).to(device)


@pytest.mark.slow
@pytest.mark.parametrize("device, backend", DEVICES)
@pytest.mark.parametrize("method", ["glf", "vae"])
def test_fifty_compiled_steps_match_eager_steps(method, device, backend):
    if device == "cpu" and method == "vae":
        pytest.skip("one method on CPU keeps the test short")
    torch.manual_seed(0)
    eager = build_model(method, ModelSpec(1, 28, 4, 8)).to(device)
    compiled = copy.deepcopy(eager)
    eager_opts, compiled_opts = eager.configure_optimizers(1e-4), compiled.configure_optimizers(1e-4)
    step = compiled_train_step(compiled, torch.device(device), backend)
    images = _images(8 * 4, device)
    eager_losses, compiled_losses = [], []
    for i in range(50 if device == "cuda" else 10):
        batch = images[(i % 8) * 4:(i % 8 + 1) * 4]
        torch.manual_seed(i)
        eager_losses.append(eager.train_step(batch, eager_opts)["loss"])
        torch.manual_seed(i)
        compiled_losses.append(step(batch, compiled_opts)["loss"])
    eager_losses, compiled_losses = torch.stack(eager_losses), torch.stack(compiled_losses)
    assert not torch.equal(eager_losses[0], eager_losses[-1])
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-4, atol=1e-4)
    for (name, p), q in zip(eager.named_parameters(), compiled.parameters()):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5, msg=lambda m: f"{name}: {m}")


@pytest.mark.slow
def test_trainer_with_a_compiled_step_logs_the_eager_losses(tmp_path):
    logs = []
    for name, compile_it in (("eager", False), ("compiled", True)):
        torch.manual_seed(0)
        model = build_model("glf", ModelSpec(1, 28, 4, 8))
        step = compiled_train_step(model, torch.device("cpu"), "aot_eager") if compile_it else None
        trainer = Trainer(model, _images(32, "cpu"), TrainSettings(2, 8, 1e-4), tmp_path / name,
                          progress=False, step=step)
        assert trainer.run().status == "completed"
        logs.append(trainer.rows)
    for eager_row, compiled_row in zip(*logs):
        assert eager_row["epoch"] == compiled_row["epoch"]
        for key in ("loss", "recon", "nll"):
            assert compiled_row[key] == pytest.approx(eager_row[key], rel=1e-5)


def test_compile_step_defaults_to_cuda_only():
    config = validate_config({
        "preset": "t", "data_root": ".", "seeds": [0],
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 1}},
        "models": {"glf": {"method": "glf"}},
        "table1": {"models": ["glf"], "datasets": ["fashion"]},
        "evaluation": {"features": "classifier", "num_samples": 10}})
    assert config["compile_step"] == "auto"
    assert use_compiled_step("auto", torch.device("cuda"))
    assert not use_compiled_step("auto", torch.device("cpu"))
    assert use_compiled_step(True, torch.device("cpu")) and not use_compiled_step(False, torch.device("cuda"))
    with pytest.raises(ValueError, match="auto, true or false"):
        use_compiled_step("yes", torch.device("cpu"))
