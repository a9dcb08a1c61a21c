"""Hostile-user checks (issue 11): stale checkpoints, repeatability, crafted names and files,
corrupt files, concurrent runs, early divergence, file modes."""
import copy
import json
import os
import pickle
import shutil

import pytest
import torch
from trainable_helpers import ScaledAtStep

from benchmark import paths
from benchmark.atomic import atomic_write_text
from benchmark.commands import train_classifier
from benchmark.config import ConfigError, resolve_run, validate_config, write_resolved_preset
from benchmark.data import cache_path, load_dataset
from benchmark.errors import UserError
from benchmark.evaluation import extractor_for
from benchmark.metrics.classifier import read_recipe
from benchmark.run_metrics import read_samples
from benchmark import results
from benchmark.figures import training_curves
from benchmark.model_io import load_model
from benchmark.run_lock import RunBusyError, run_lock
from benchmark.tables import table1, table5
from benchmark.torch_files import UnreadableFileError
from benchmark import stages
from benchmark.stages import second_stage_run, train_run
from benchmark.trainer import Trainer, TrainSettings


def _preset(tmp_path, beta=1, max_images=64):
    return validate_config({
        "preset": "robustness", "data_root": str(tmp_path / "data"), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"), "device": "cpu",
        "progress": False, "seeds": [0],
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": max_images}},
        "models": {"glf": {"method": "glf", "batch_size": 32, "params": {"beta": beta}}},
        "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 100},
        "figures": {"figure3": {"dataset": "synthetic28", "models": ["glf"]}},
    })


def _train(config, seed=0, run_dir=None):
    run = resolve_run(config, "glf", "synthetic28", seed)
    run_dir = run_dir or paths.run_dir(config, "synthetic28", "glf", seed)
    return train_run(config, run, run_dir, progress=False), run_dir


def _weights(run_dir):
    return load_model(run_dir / "model.pt")[0].state_dict()


def _equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# 1. a changed spec or data never resumes a finished checkpoint of another run

def _stopped_before_model_file(monkeypatch, config):
    """Train with a disk that is full when model.pt is saved: the finished checkpoint stays, and
    neither a model file nor a status file is left."""
    def full(path, *args):
        raise OSError(28, "No space left on device", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(stages, "save_model", full)
        with pytest.raises(OSError, match="No space left"):
            _train(config)

@pytest.mark.parametrize("change,difference", [
    (dict(beta=5), "spec.params.beta: 1 -> 5"),
    (dict(max_images=96), "max_train_images: 64 -> 96"),
])
def test_spec_or_data_change_restarts_training(tmp_path, capsys, monkeypatch, change, difference):
    _, run_dir = _train(_preset(tmp_path))
    old = _weights(run_dir)
    _stopped_before_model_file(monkeypatch, _preset(tmp_path))  # leaves the finished checkpoint
    _train(_preset(tmp_path))  # same identity: resumes the finished run, trains nothing
    assert _equal(old, _weights(run_dir)) and "starting afresh" not in capsys.readouterr().out
    _stopped_before_model_file(monkeypatch, _preset(tmp_path))
    result, _ = _train(_preset(tmp_path, **change))
    out = capsys.readouterr().out
    assert "starting afresh" in out and difference in out
    assert result.epochs_done == 1 and not _equal(old, _weights(run_dir))
    assert (run_dir / "train_checkpoint.pt.previous").exists()


# 2. "seed" means the whole run

def test_two_fresh_runs_with_one_seed_are_equal(tmp_path):
    config = _preset(tmp_path)
    _, first = _train(config, run_dir=tmp_path / "a")
    torch.rand(100)  # the global RNG is elsewhere now, as in another process
    _, second = _train(config, run_dir=tmp_path / "b")
    assert _equal(_weights(first), _weights(second))
    assert (first / "train_log.csv").read_text().split("\n")[1].split(",")[:2] == \
        (second / "train_log.csv").read_text().split("\n")[1].split(",")[:2]


def test_second_stage_repeats_too(tmp_path):
    config = _preset(tmp_path)
    tsv = {"method": "two_stage_vae", "batch_size": 32, "second_stage": {"epochs": 1}}
    config = validate_config({**config, "models": {**config["models"], "tsv": tsv}})
    run = resolve_run(config, "tsv", "synthetic28", 0)
    train_run(config, run, tmp_path / "a", progress=False)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    second_stage_run(config, run, tmp_path / "a", progress=False)
    torch.rand(100)
    second_stage_run(config, run, tmp_path / "b", progress=False)
    assert _equal(load_model(tmp_path / "a" / "model_stage2.pt")[0].state_dict(),
                  load_model(tmp_path / "b" / "model_stage2.pt")[0].state_dict())


# 4. names cannot run shell commands or leave the runs folder

@pytest.mark.parametrize("name", ["v$(touch X)", "..", "a/../../b", "x;rm", "a..b", "with space"])
def test_crafted_model_and_dataset_names_are_rejected(tmp_path, name):
    config = _preset(tmp_path)
    models = copy.deepcopy(config)
    models["models"][name] = {"method": "vae"}
    with pytest.raises(ConfigError, match="at 'models'.*letters, digits"):
        validate_config(models)
    datasets = copy.deepcopy(config)
    datasets["datasets"][name] = datasets["datasets"]["synthetic28"]
    with pytest.raises(ConfigError, match="at 'datasets'"):
        validate_config(datasets)


# 5. model and samples files cannot run code

class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickled_payload_in_model_or_samples_file_is_refused_unrun(tmp_path):
    marker = tmp_path / "pwned"
    model_file, samples_file = tmp_path / "model.pt", tmp_path / "samples.pt"
    torch.save({"method": "glf", "spec": Payload(marker), "state_dict": {}, "meta": {}}, model_file)
    torch.save({"images": Payload(marker), "status": "completed", "meta": {}}, samples_file)
    with pytest.raises(UnreadableFileError, match=f"model file {model_file}.*could run code"):
        load_model(model_file)
    with pytest.raises(UnreadableFileError, match=f"samples file {samples_file}.*could run code"):
        read_samples("synthetic28", samples_file)
    assert not marker.exists()
    with open(tmp_path / "plain.pkl", "wb") as handle:  # the payload does run when unpickled
        pickle.dump(Payload(marker), handle)
    with open(tmp_path / "plain.pkl", "rb") as handle:
        pickle.load(handle)
    assert marker.exists()


# 6. truncated files name themselves; a rerun recovers

def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_truncated_checkpoint_and_model_file_are_named_and_a_rerun_recovers(tmp_path, capsys, monkeypatch):
    config = _preset(tmp_path)
    _, run_dir = _train(config)
    good = _weights(run_dir)
    _truncate(run_dir / "model.pt")
    with pytest.raises(UnreadableFileError, match=f"model file {run_dir / 'model.pt'} is truncated.*--forcerun"):
        load_model(run_dir / "model.pt")
    _train(config)  # the rerun the message names: trained again from scratch, the same weights
    assert _equal(good, _weights(run_dir))
    _stopped_before_model_file(monkeypatch, config)
    _truncate(run_dir / "train_checkpoint.pt")
    result, _ = _train(config)
    out = capsys.readouterr().out
    assert f"checkpoint {run_dir / 'train_checkpoint.pt'} is truncated" in out and "Moved aside" in out
    assert (run_dir / "train_checkpoint.pt.corrupt").exists() and result.epochs_done == 1
    assert _equal(good, _weights(run_dir))  # retrained from scratch, with the same seed


def test_corrupt_or_tampered_data_cache_is_rebuilt(tmp_path, capsys):
    original = load_dataset("synthetic28", "test", tmp_path, tmp_path)
    cached = cache_path(tmp_path, "synthetic28", "test", 140)
    _truncate(cached)
    assert torch.equal(load_dataset("synthetic28", "test", tmp_path, tmp_path).images, original.images)
    assert f"data cache {cached} is truncated or not a torch file. Moved aside" in capsys.readouterr().out
    payload = torch.load(cached, weights_only=True)
    torch.save({**payload, "images": torch.zeros_like(payload["images"])}, cached)  # blank images
    assert torch.equal(load_dataset("synthetic28", "test", tmp_path, tmp_path).images, original.images)
    assert "do not match the checksum" in capsys.readouterr().out
    payload = torch.load(cached, weights_only=True)
    torch.save({**payload, "source_md5": "0" * 32}, cached)  # made from other original files
    assert torch.equal(load_dataset("synthetic28", "test", tmp_path, tmp_path).images, original.images)
    assert "other original files" in capsys.readouterr().out
    load_dataset("synthetic28", "test", tmp_path, tmp_path)
    assert capsys.readouterr().out == ""  # a good cache is used as it is


def test_truncated_classifier_is_named_moved_aside_and_trained_again(tmp_path, capsys):
    config = _preset(tmp_path)
    config["evaluation"].update(classifier_epochs=1, classifier_max_images=200)
    preset = tmp_path / "preset.yaml"
    write_resolved_preset(config, preset)
    train = lambda: train_classifier.main(["--config", str(preset), "--dataset", "synthetic28"])
    assert train() == 0
    weights = paths.feature_weights(config, "synthetic28")
    recipe = read_recipe(weights)
    _truncate(weights)
    expected = (f"classifier {weights} is truncated or not a torch file. Moved aside to {weights}.corrupt; "
                f"the evaluation that needs it trains it again at once")
    extractor = extractor_for(config, "synthetic28")  # what the reference and evaluate jobs load
    assert expected in capsys.readouterr().out
    assert read_recipe(weights) == recipe and extractor.recipe == recipe  # rebuilt, never left missing
    _truncate(weights)
    capsys.readouterr()
    assert train() == 0 and read_recipe(weights) == recipe  # the command itself trains it again
    assert (f"classifier {weights} is truncated or not a torch file. Moved aside to {weights}.corrupt; "
            f"training it again.") in capsys.readouterr().out


# 7. smaller holes

def test_second_concurrent_train_on_one_run_dir_is_refused(tmp_path):
    config = _preset(tmp_path)
    run_dir = paths.run_dir(config, "synthetic28", "glf", 0)
    with run_lock(run_dir):
        with pytest.raises(RunBusyError, match=f"in use by another process \\(pid {os.getpid()}"):
            _train(config)
    _train(config)  # the lock is released with its holder


def test_epoch1_divergence_still_renders_every_table_and_figure(tmp_path):
    config = _preset(tmp_path)
    run_dir = paths.run_dir(config, "synthetic28", "glf", 0)
    result = Trainer(ScaledAtStep(1, float("nan")), torch.zeros(40, 1), TrainSettings(3, 10, 0.1), run_dir,
                     progress=False).run()
    assert result.diverged_at_epoch == 1
    atomic_write_text(paths.metrics(config, "synthetic28", "glf", 0), json.dumps({"status": "diverged"}))
    out = tmp_path / "results"
    table5(results.load(config), out)
    table1(results.load(config), out)
    training_curves(results.load(config), "figure3", out)
    assert "diverged" in (out / "table5.md").read_text() and "not run" not in (out / "table5.md").read_text()
    assert "diverged" in (out / "table1.csv").read_text()
    assert (out / "figure3.png").stat().st_size > 0


def test_finite_but_exploding_loss_counts_as_diverged(tmp_path):
    result = Trainer(ScaledAtStep(5, 1e8), torch.zeros(40, 1), TrainSettings(3, 10, 0.0), tmp_path,
                     progress=False).run()  # 4 steps per epoch: epoch 2 is 1e8 x epoch 1
    assert (result.status, result.epochs_done, result.diverged_at_epoch) == ("diverged", 1, 2)


@pytest.mark.parametrize("payload,message", [
    ({"images": torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "status": "banana", "meta": {}}, "status 'banana'"),
    ({"images": torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "status": "completed", "meta": {"dataset": "mnist"}},
     "trained on 'mnist', not 'synthetic28'"),
    ({"images": torch.zeros(2, 1, 28, 28, dtype=torch.int64), "status": "completed", "meta": {}}, "found torch.int64"),
    ({"images": None, "status": "completed", "meta": {}}, "found NoneType"),
    ({"images": torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "status": "completed", "meta": {}},
     "lacks the images of the sampling protocols"),
    ({"images": torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "status": "completed", "meta": {},
      "images_by_sampling": {"authors": torch.zeros(2, 1, 28, 28, dtype=torch.uint8), "eval": None}},
     r"images_by_sampling\['eval'\] must be uint8 \(N, 1, 28, 28\), found NoneType"),
])
def test_bad_samples_files_are_named(tmp_path, payload, message):
    path = tmp_path / "samples.pt"
    torch.save(payload, path)
    with pytest.raises(UserError, match=message) as err:  # the command line prints it as one line
        read_samples("synthetic28", path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("change,message", [
    (lambda c: c["datasets"]["synthetic28"].update(epochs=1.0), "'datasets.synthetic28.epochs': 1.0 is not of type 'integer'"),
    (lambda c: c["evaluation"].update(num_samples=600), "test split has only 500 images; set it to at most 500"),
])
def test_preset_values_that_crashed_later_fail_at_validation(tmp_path, change, message):
    config = _preset(tmp_path)
    change(config)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate_config(config)


def test_atomic_writes_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "result.csv", "a\n")
    finally:
        os.umask(old)
    assert (tmp_path / "result.csv").stat().st_mode & 0o777 == 0o644
