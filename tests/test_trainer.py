import json

import pytest
import torch
from trainable_helpers import ScaledAtStep

from benchmark.data import load_dataset, to_float
from benchmark.trainer import Trainer, TrainSettings
from models import build_model
from models.base import ModelSpec

SETTINGS = TrainSettings(epochs=3, batch_size=32, lr=1e-3, lr_milestones=[2], seed=7)


class Interrupt(Exception):
    pass


def _glf(seed):
    torch.manual_seed(seed)
    return build_model("glf", ModelSpec(1, 28, latent_dim=8, flow_width=16))


def _images():
    return load_dataset("synthetic28", "train", data_root="unused").images[:128]


def _stop_at(epoch):
    def callback(module, done):
        if done == epoch:
            raise Interrupt
        return {}
    return callback


def test_resumed_run_is_bit_identical_to_uninterrupted(tmp_path):
    full = Trainer(_glf(0), _images(), SETTINGS, tmp_path / "full", batch_transform=to_float, progress=False)
    assert full.run().status == "completed"

    killed = Trainer(_glf(0), _images(), SETTINGS, tmp_path / "resumed", batch_transform=to_float,
                     epoch_callbacks=(_stop_at(2),), progress=False)
    with pytest.raises(Interrupt):
        killed.run()
    assert torch.load(killed.checkpoint_path, weights_only=True)["epoch"] == 1
    # A new process: a differently initialised model, the global RNG elsewhere.
    torch.manual_seed(12345)
    resumed = Trainer(_glf(99), _images(), SETTINGS, tmp_path / "resumed", batch_transform=to_float,
                      progress=False)
    assert resumed.run().epochs_done == 3

    full_state, resumed_state = full.module.state_dict(), resumed.module.state_dict()
    assert full_state.keys() == resumed_state.keys()
    for key in full_state:
        assert torch.equal(full_state[key], resumed_state[key]), key
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(full.rows) == strip(resumed.rows)
    assert resumed.reference_loss == full.reference_loss > 0  # the first step's loss, kept in the checkpoint
    assert [r["lr"] for r in full.rows] == [1e-3, 1e-3, 5e-4]


def test_checkpoint_of_other_settings_or_identity_is_not_resumed(tmp_path, capsys):
    Trainer(_glf(0), _images(), TrainSettings(1, 32, 1e-3), tmp_path, batch_transform=to_float, progress=False,
            identity={"method": "glf"}).run()
    other = Trainer(_glf(0), _images(), TrainSettings(2, 64, 1e-3), tmp_path, batch_transform=to_float,
                    progress=False, identity={"method": "vae"})
    assert other.run().epochs_done == 2 and [r["epoch"] for r in other.rows] == [1, 2]
    out = capsys.readouterr().out
    assert "starting afresh" in out and "settings.batch_size: 32 -> 64" in out and "method: 'glf' -> 'vae'" in out


def test_nan_loss_stops_cleanly_and_records_the_epoch(tmp_path):
    data = torch.zeros(40, 1)
    trainer = Trainer(ScaledAtStep(9, float("nan")), data, TrainSettings(5, 10, 0.1), tmp_path, progress=False)
    result = trainer.run()  # 4 steps per epoch: NaN in epoch 3
    assert (result.status, result.epochs_done, result.diverged_at_epoch) == ("diverged", 2, 3)
    assert json.loads(trainer.status_path.read_text()) == {"status": "diverged", "epochs_done": 2,
                                                           "diverged_at_epoch": 3, "compiled": False}
    assert trainer.log_path.read_text().count("\n") == 3  # header + 2 finite epochs
    checkpoint = torch.load(trainer.checkpoint_path, weights_only=True)
    assert checkpoint["epoch"] == 2 and torch.isfinite(checkpoint["module"]["w"]).all()


def test_loss_exploding_in_the_first_epoch_ends_diverged(tmp_path):
    """GLF at lr 1000: the first step's loss is ~170, the second ~1e21; the first epoch is judged
    against the first step, so the run is diverged at epoch 1 instead of completed."""
    trainer = Trainer(_glf(0), _images(), TrainSettings(3, 16, 1000.0), tmp_path, batch_transform=to_float,
                      progress=False)
    result = trainer.run()
    assert (result.status, result.epochs_done, result.diverged_at_epoch) == ("diverged", 0, 1)
    assert json.loads(trainer.status_path.read_text())["status"] == "diverged"
    assert 100 < trainer.reference_loss < 1000 and not trainer.checkpoint_path.exists()


def test_one_exploding_step_counts_even_when_the_epoch_mean_stays_below_the_limit(tmp_path):
    # 40 steps per epoch: a step at 2e7 x the first step's loss lifts the epoch mean by only 5e5 x.
    result = Trainer(ScaledAtStep(55, 2e7, once=True), torch.zeros(400, 1), TrainSettings(3, 10, 0.0), tmp_path,
                     progress=False).run()
    assert (result.status, result.epochs_done, result.diverged_at_epoch) == ("diverged", 1, 2)
    assert Trainer(ScaledAtStep(55, 1e5, once=True), torch.zeros(400, 1), TrainSettings(3, 10, 0.0), tmp_path / "mild",
                   progress=False).run().status == "completed"


def test_losses_fall_and_log_has_every_key(tmp_path):
    trainer = Trainer(_glf(0), _images(), TrainSettings(3, 32, 1e-3), tmp_path, batch_transform=to_float,
                      progress=False)
    trainer.run()
    header = trainer.log_path.read_text().splitlines()[0].split(",")
    assert {"epoch", "loss", "recon", "nll", "seconds", "lr"} <= set(header)
    assert trainer.rows[-1]["recon"] < trainer.rows[0]["recon"]


def test_lr_schedule_multiplies_each_milestones_own_factor(tmp_path):
    """WAE's manual schedule: x0.5 at epoch 30, then x0.2 at 50 (here at epochs 1 and 2)."""
    settings = TrainSettings(epochs=3, batch_size=64, lr=1e-3, lr_milestones=[1, 2], lr_factors=[0.5, 0.2])
    trainer = Trainer(_glf(0), _images(), settings, tmp_path, batch_transform=to_float, progress=False)
    trainer.run()
    assert [r["lr"] for r in trainer.rows] == pytest.approx([1e-3, 5e-4, 1e-4])
    assert [settings.lr_factor(e) for e in (0, 30)] == [1.0, pytest.approx(0.1)]


def test_ctrl_c_says_where_it_stopped_and_the_rerun_says_where_it_resumed(tmp_path, capsys):
    """Ctrl-C in epoch 2 (after epoch 1's checkpoint): one line for the command to print (exit 130,
    no traceback); the rerun's log states the resume."""
    from benchmark.cli import reports_errors
    from benchmark.trainer import TrainingInterrupted

    def ctrl_c_at(epoch):
        def callback(module, done):
            if done == epoch:
                raise KeyboardInterrupt
            return {}
        return callback

    def train(argv=None):
        Trainer(_glf(0), _images(), SETTINGS, tmp_path, batch_transform=to_float,
                epoch_callbacks=(ctrl_c_at(2),), progress=False).run()

    with pytest.raises(TrainingInterrupted, match=r"^train: interrupted at epoch 2; the next run resumes from "
                                                  r"the checkpoint of epoch 1$"):
        train()
    capsys.readouterr()
    assert reports_errors(train)([]) == 130
    assert capsys.readouterr().err == "train: interrupted at epoch 2; the next run resumes from the checkpoint of epoch 1\n"
    resumed = Trainer(_glf(0), _images(), SETTINGS, tmp_path, batch_transform=to_float, progress=False)
    assert resumed.run().epochs_done == 3
    assert "train: resumed from epoch 1\n" in capsys.readouterr().out


def test_each_epoch_is_a_line_in_a_log_when_progress_is_off(tmp_path, capsys):
    Trainer(_glf(0), _images(), TrainSettings(2, 32, 1e-3), tmp_path, batch_transform=to_float, progress=False).run()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (loss ")[0] for line in lines] == ["train: epoch 1/2", "train: epoch 2/2"], lines
