"""The compiled training step takes eager's steps up to rounding, and it cannot take a run down.

Up to rounding: float32 runs of the same seeds differ from each other on a GPU (kernels sum in
another order, some nondeterministically, and Adam amplifies the differences), so the check is
against a float64 eager run of the same steps (same initial weights, batches and random draws):
after the steps, the compiled float32 run must be no farther from it than an eager float32 run is,
times :data:`MARGIN`.  Distance: per parameter tensor, the norm of the difference to the float64
run over the norm of the float64 run's own update (its change from the initial weights); the
largest over tensors.  A planted departure in the compiled step (a term's sign flipped, a term
skipped: :func:`planted`) fails the check.  50 steps on CUDA (the suite's path: inductor with CUDA
graphs, channels-last); 10 on the 2-core CPU with the ``aot_eager`` backend (the same
Dynamo/AOTAutograd graphs without code generation, seconds instead of a minute).

Cannot take a run down: a compiler that raises, or a step whose first-batch losses are wrong,
falls back to eager with one logged line; the weights, optimiser states and random state are
those from before the failed step, and the run's weights are those of an eager run.
"""
from __future__ import annotations

import copy
import json
import re
from contextlib import contextmanager

import pytest
import torch

from benchmark.compiled_step import CheckedStep, compiled_train_step, ran_compiled, use_compiled_step
from benchmark.config import validate_config
from benchmark.trainer import Trainer, TrainSettings
from models import build_model
from models.base import ModelSpec

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
MARGIN = 3.0  # the compiled run may be this many times farther from float64 than eager float32 is
FLOW_TERM = {"glf": "nll", "vae": "kl"}  # the term a planted departure changes: GLF's flow NLL, VAE's KL


def _images(n: int, device: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 28, 28, generator=generator).to(device)


def planted(model, departure: str, term: str):
    """``model`` with its losses changed on the instance (what its compiled step traces): the
    logged ``term`` enters the loss with the wrong sign (``sign``) or not at all (``skip``)."""
    losses = model.losses
    weight = {"sign": 2.0, "skip": 1.0}[departure]

    def departed(x):
        logged = losses(x)
        return {**logged, "loss": logged["loss"] - weight * logged[term]}

    model.losses = departed
    return model


@contextmanager
def float32_draws():
    """``torch.randn_like`` draws float32 numbers (cast to the input's dtype): a float64 run then
    takes the same random draws as a float32 run of the same seed."""
    randn_like = torch.randn_like
    torch.randn_like = lambda t, **kw: randn_like(t, dtype=torch.float32, **kw).to(t.dtype)
    try:
        yield
    finally:
        torch.randn_like = randn_like


def distance(run: torch.nn.Module, reference: torch.nn.Module, initial: dict) -> float:
    """Largest over the model's parts (its top-level modules: encoder, decoder, flow) of
    ||run - reference|| / ||reference - initial|| over the part's parameters: a part's error relative
    to its whole float64 update.  (Per tensor, a parameter the loss cannot move, such as a linear
    bias before batch norm, has an update of rounding size whose ratio would swamp every real
    difference; over the whole model, the auto-encoder's update would hide the flow's.)"""
    errors: dict[str, list] = {}
    updates: dict[str, list] = {}
    for (name, ref), p in zip(reference.named_parameters(), run.parameters()):
        part = name.split(".")[0]
        errors.setdefault(part, []).append((p.detach().double() - ref.detach()).flatten())
        updates.setdefault(part, []).append((ref.detach() - initial[name].double()).flatten())
    return max((torch.cat(errors[part]).norm() / torch.cat(updates[part]).norm()).item() for part in errors)


def distances_after_steps(method: str, device: str, backend: str, variant: str, steps: int,
                          departure: str | None = None) -> tuple[float, float, bool]:
    """(compiled float32, eager float32) :func:`distance` from a float64 eager run after ``steps``
    steps of the same batches and seeds, and whether the compiled step ran compiled (it falls
    back to eager when it cannot); the compiled model carries ``departure`` when given."""
    torch.manual_seed(0)
    eager = build_model(method, ModelSpec(1, 28, 4, 8)).to(device)
    layout = torch.channels_last if device == "cuda" else torch.contiguous_format
    eager = eager.to(memory_format=layout)
    initial = {name: p.detach().clone() for name, p in eager.named_parameters()}
    compiled, reference = copy.deepcopy(eager), copy.deepcopy(eager).double()
    if departure is not None:
        planted(compiled, departure, FLOW_TERM[method])
    optimizers = {name: m.configure_optimizers(1e-4) for name, m in
                  (("eager", eager), ("compiled", compiled), ("reference", reference))}
    step = compiled_train_step(compiled, torch.device(device), backend, variant)
    images = _images(8 * 16, device).contiguous(memory_format=layout)
    for i in range(steps):
        batch = images[(i % 8) * 16:(i % 8 + 1) * 16]
        torch.manual_seed(i)
        eager.train_step(batch, optimizers["eager"])
        torch.manual_seed(i)
        step(batch, optimizers["compiled"])
        torch.manual_seed(i)
        with float32_draws():
            reference.train_step(batch.double(), optimizers["reference"])
    return distance(compiled, reference, initial), distance(eager, reference, initial), ran_compiled(step)


def within_rounding(compiled: float, eager: float) -> bool:
    """The criterion: the compiled run is at most :data:`MARGIN` times as far from float64 as eager."""
    return compiled <= MARGIN * eager


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["losses", "whole"])
def test_cpu_compiled_steps_stay_within_rounding_and_planted_departures_do_not(variant):
    compiled, eager, ran = distances_after_steps("glf", "cpu", "aot_eager", variant, 10)
    assert ran and 0 < eager and within_rounding(compiled, eager), (compiled, eager)
    for departure in ("sign", "skip"):
        departed, eager, ran = distances_after_steps("glf", "cpu", "aot_eager", variant, 10, departure)
        assert ran
        assert not within_rounding(departed, eager), (departure, departed, eager)


@pytest.mark.slow
@CUDA
@pytest.mark.parametrize("variant", ["losses", "whole"])
@pytest.mark.parametrize("method", ["glf", "vae"])
def test_cuda_compiled_steps_stay_within_rounding_of_float64(method, variant, capsys):
    compiled, eager, ran = distances_after_steps(method, "cuda", "inductor", variant, 50)
    with capsys.disabled():
        print(f"\n{method} {variant}: compiled {compiled:.3g}, eager float32 {eager:.3g} from float64 after 50 "
              f"steps (ran compiled: {ran})")
    if not ran and method == "vae":  # the inductor stride error: the job log names it
        pytest.xfail(f"VAE's {variant} step fell back to eager on torch {torch.__version__}")
    assert ran and within_rounding(compiled, eager), (compiled, eager)


@pytest.mark.slow
@CUDA
@pytest.mark.parametrize("departure", ["sign", "skip"])
@pytest.mark.parametrize("method", ["glf"])
def test_cuda_planted_departures_fail_the_check(method, departure, capsys):
    departed, eager, _ = distances_after_steps(method, "cuda", "inductor", "losses", 50, departure)
    with capsys.disabled():
        print(f"\n{method} planted {departure}: compiled {departed:.3g}, eager float32 {eager:.3g}")
    assert not within_rounding(departed, eager), (departed, eager)


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


def test_a_step_that_raises_after_the_optimiser_stepped_leaves_no_trace(capsys):
    """The fallback restores the weights, optimiser states and random state from before the
    failed compiled step: its one update and random draw are the eager step's, bit for bit."""
    def stepped_then_raised(model):
        def step(batch, optimizers, index=None):
            model.train_step(batch, optimizers, index)
            torch.rand(3)
            raise RuntimeError("failed after the update")
        return step

    results = []
    for make_step in (lambda model: model.train_step, lambda model: CheckedStep(model, stepped_then_raised(model))):
        torch.manual_seed(0)
        model = build_model("vae", ModelSpec(1, 28, 4, 8))
        optimizers = model.configure_optimizers(1e-3)
        make_step(model)(_images(4, "cpu"), optimizers)
        results.append((model.state_dict(), optimizers[0].state_dict()["state"], torch.get_rng_state()))
    (weights, states, rng), (fallen_weights, fallen_states, fallen_rng) = results
    assert all(torch.equal(weights[k], fallen_weights[k]) for k in weights)
    assert states.keys() == fallen_states.keys() and all(
        torch.equal(states[i][k], fallen_states[i][k]) for i in states for k in states[i])
    assert torch.equal(rng, fallen_rng)
    assert "training step: eager (the first compiled step raised RuntimeError: failed after the update)" in \
        capsys.readouterr().out
