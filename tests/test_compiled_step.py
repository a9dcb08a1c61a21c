"""The compiled training step takes the same steps as eager: losses and parameters after 50 steps
on CUDA (10 on the 2-core CPU, where each eager step of even a tiny batch is slow); and it cannot
take a run down: a compiler that raises, or a step whose first-batch losses are wrong, falls back
to eager with one logged line, and the run's weights are those of an eager run.

On CPU the step is compiled with the ``aot_eager`` backend (the same Dynamo/AOTAutograd graphs
without code generation, seconds instead of a minute); where CUDA is present the real path
(inductor with CUDA graphs) is compared on the GPU.
"""
from __future__ import annotations

import copy
import json
import re

import pytest
import torch

from benchmark.compiled_step import CheckedStep, compiled_train_step, use_compiled_step
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


def _train(tmp_path, name, step_of=lambda model: None):
    """A 1-epoch tiny GLF run (4 steps) with the step ``step_of(model)``; returns the trainer."""
    torch.manual_seed(0)
    model = build_model("glf", ModelSpec(1, 28, 4, 8))
    trainer = Trainer(model, _images(16, "cpu"), TrainSettings(1, 4, 1e-3), tmp_path / name, progress=False,
                      step=step_of(model))
    assert trainer.run().status == "completed"
    return trainer


def _same_weights(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.module.state_dict().values(), b.module.state_dict().values()))


def _compiled_flag(trainer: Trainer) -> bool:
    return json.loads(trainer.status_path.read_text())["compiled"]


def _wrong_losses(model):
    """A "compiled" step that takes the eager step but logs a loss 1% too large."""
    def step(batch, optimizers, index=None):
        logged = model.train_step(batch, optimizers, index)
        return {**logged, "loss": logged["loss"] * 1.01}
    return step


@pytest.mark.parametrize("make_step, expected", [
    (lambda model: CheckedStep(model, model.train_step), r"training step: compiled \(its first-batch losses match"),
    (lambda model: CheckedStep(model, _wrong_losses(model)),
     r"training step: eager \(on the first batch the compiled step's loss is [\d.]+, eager's [\d.]+: beyond rtol"),
])
def test_first_batch_check_keeps_a_matching_step_and_drops_a_wrong_one(tmp_path, capsys, make_step, expected):
    """Either way the run takes one update per batch: its weights are the eager run's, bit for bit."""
    eager = _train(tmp_path, "eager")
    checked = _train(tmp_path, "checked", make_step)
    out = capsys.readouterr().out
    assert len(re.findall(expected, out)) == 1, out
    assert _same_weights(eager, checked) and checked.rows[0]["loss"] == eager.rows[0]["loss"]
    assert _compiled_flag(checked) is expected.startswith("training step: compiled") and not _compiled_flag(eager)


def _raising_backend(graph, example_inputs):
    raise RuntimeError("this backend cannot compile\nsecond line")


@pytest.mark.parametrize("backend, expected", [
    (_raising_backend, "training step: eager (the first compiled step raised BackendCompilerFailed:"),
    ("no_such_backend", "training step: eager (compiling the training step raised InvalidBackend: "
                        "Invalid backend: 'no_such_backend'"),
])
def test_a_compiler_that_raises_falls_back_to_eager(tmp_path, capsys, backend, expected):
    eager = _train(tmp_path, "eager")
    fallen = _train(tmp_path, "fallen", lambda model: compiled_train_step(model, torch.device("cpu"), backend))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("training step:")]
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert _same_weights(eager, fallen) and not _compiled_flag(fallen)
