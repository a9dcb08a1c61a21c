"""Reliability, fourth pass (issue 38): each test plants one failure a hostile user found."""
import json
import re

import pandas as pd
import pytest
import torch

from benchmark import model_io, paths, results, runs, stages
from benchmark.config import ConfigError, evaluation_sha256, resolve_run, validate_config
from benchmark.model_io import ModelMismatchError, load_model, save_model
from benchmark.table_format import Table, decimals, markdown_cell, to_markdown
from benchmark.tables import table1
from models import build_model
from models.base import ModelSpec


def _preset(tmp_path, **changes):
    base = {
        "preset": "reliability4", "data_root": str(tmp_path / "data"), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"), "device": "cpu",
        "progress": False, "seeds": [0, 1],
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}},
        "models": {"glf": {"method": "glf", "batch_size": 32}, "vae": {"method": "vae", "batch_size": 32}},
        "table1": {"models": ["glf", "vae"]},
        "evaluation": {"features": "classifier", "num_samples": 100},
    }
    return validate_config({**base, **changes})


def _train(config, seed=0):
    run = resolve_run(config, "glf", "synthetic28", seed)
    run_dir = paths.run_dir(config, "synthetic28", "glf", seed)
    return stages.train_run(config, run, run_dir, progress=False), run, run_dir


def _full_disk(monkeypatch, config):
    def full(path, *args):
        raise OSError(28, "No space left on device", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(stages, "save_model", full)
        with pytest.raises(OSError):
            _train(config)


# 1. a redone or code-changed run trains from scratch

def test_a_finished_run_leaves_no_checkpoint_so_a_forced_redo_trains_again(tmp_path):
    config = _preset(tmp_path)
    _, _, run_dir = _train(config)
    assert (run_dir / "model.pt").exists() and not (run_dir / "train_checkpoint.pt").exists()
    (run_dir / "train_log.csv").unlink()  # what --forcerun does to the outputs
    result, _, _ = _train(config)
    assert result.epochs_done == 1 and len((run_dir / "train_log.csv").read_text().splitlines()) == 2


def test_a_checkpoint_of_other_training_code_is_moved_aside_not_resumed(tmp_path, monkeypatch, capsys):
    config = _preset(tmp_path)
    _full_disk(monkeypatch, config)  # a finished checkpoint, no model file
    run_dir = paths.run_dir(config, "synthetic28", "glf", 0)
    assert (run_dir / "train_checkpoint.pt").exists()
    monkeypatch.setattr(runs, "training_code_sha256", lambda: "0" * 64)
    monkeypatch.setattr(model_io, "training_code_sha256", lambda: "0" * 64)
    _train(config)
    out = capsys.readouterr().out
    assert "starting afresh" in out and "the training code changed" in out and "code_sha256" in out
    assert (run_dir / "train_checkpoint.pt.previous").exists()
    assert load_model(run_dir / "model.pt")[1]["code_sha256"] == "0" * 64


def test_a_model_file_of_other_training_code_is_refused(tmp_path, monkeypatch):
    config = _preset(tmp_path)
    _, run, run_dir = _train(config)
    monkeypatch.setattr(model_io, "training_code_sha256", lambda: "f" * 64)
    with pytest.raises(ValueError, match="trained by other code.*code_sha256 differs.*--forcerun"):
        load_model(run_dir / "model.pt", run=run)


def test_a_full_disk_leaves_no_completed_status_without_a_model_file(tmp_path, monkeypatch):
    config = _preset(tmp_path)
    _, _, run_dir = _train(config)
    (run_dir / "model.pt").unlink()
    _full_disk(monkeypatch, config)
    assert not (run_dir / "train_status.json").exists() and not (run_dir / "model.pt").exists()


# 2. weights that do not fit, or are not the record's

def test_weights_of_another_architecture_are_moved_aside_naming_run_file_and_mismatch(tmp_path):
    config = _preset(tmp_path)
    _, run, run_dir = _train(config)
    payload = torch.load(run_dir / "model.pt", weights_only=True)
    other = build_model("glf", ModelSpec(1, 28, latent_dim=6, flow_width=8)).state_dict()
    model_file = run_dir / "model.pt"
    torch.save({**payload, "state_dict": other,
                "meta": {**payload["meta"], "weights_sha256": model_io.state_sha256(other)}}, model_file)
    with pytest.raises(ModelMismatchError) as caught:
        load_model(model_file, run=run)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"run glf/synthetic28/seed0: model file {model_file}")
    assert re.search(r"\(6,?.*\) in the file, \(4,?.*\) in the model", message)
    assert not model_file.exists() and (run_dir / "model.pt.mismatch").exists()


def test_a_record_over_other_weights_of_the_same_shape_is_refused(tmp_path):
    config = _preset(tmp_path)
    _, run, run_dir = _train(config)
    payload = torch.load(run_dir / "model.pt", weights_only=True)
    swapped = {k: torch.zeros_like(v) for k, v in payload["state_dict"].items()}
    torch.save({**payload, "state_dict": swapped}, run_dir / "model.pt")
    with pytest.raises(ModelMismatchError, match="not those its record names"):
        load_model(run_dir / "model.pt", run=run)
    assert (run_dir / "model.pt.mismatch").exists()


def test_a_checkpoint_that_does_not_fit_the_model_is_moved_aside(tmp_path, monkeypatch, capsys):
    config = _preset(tmp_path)
    _full_disk(monkeypatch, config)
    run_dir = paths.run_dir(config, "synthetic28", "glf", 0)
    checkpoint = torch.load(run_dir / "train_checkpoint.pt", weights_only=True)
    name = next(iter(checkpoint["module"]))
    checkpoint["module"][name] = torch.zeros(3, 3)
    torch.save(checkpoint, run_dir / "train_checkpoint.pt")
    result, _, _ = _train(config)
    out = capsys.readouterr().out
    assert result.epochs_done == 1 and f"{name}: (3, 3) in the file" in out
    assert (run_dir / "train_checkpoint.pt.mismatch").exists()


# 3. metrics files checked against the preset

def _metrics(config, model, seed, **values):
    path = paths.metrics(config, "synthetic28", model, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": "completed", "dataset": "synthetic28", "features": "classifier",
                                "evaluation_sha256": evaluation_sha256(config, model),
                                "fid": 20.0, "kid": 0.01, "prd_f8": 0.5, "prd_f1_8": 0.5, **values}))
    return path


@pytest.mark.parametrize("values,problem", [
    ({"fid": -5.0}, "'fid' is -5.0, below 0"),
    ({"kid": -0.1}, "'kid' is -0.1, below 0"),
    ({"prd_f8": 2.5}, "'prd_f8' is 2.5, outside [0, 1]"),
    ({"dataset": "mnist"}, "'dataset' is 'mnist', the preset's is 'synthetic28'"),
    ({"features": "inception"}, "'features' is 'inception', the preset's is 'classifier'"),
    ({"sampling": "authors"}, "'sampling' is 'authors'"),
])
def test_a_metrics_file_that_does_not_fit_the_preset_is_named(tmp_path, values, problem):
    config = _preset(tmp_path)
    path = _metrics(config, "glf", 0, **values)
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{path} does not fit the preset ({problem}")):
        results.load(config)


def test_metrics_made_with_other_feature_weights_are_refused(tmp_path):
    config = _preset(tmp_path)
    weights = paths.feature_weights(config, "synthetic28")
    weights.parent.mkdir(parents=True, exist_ok=True)
    weights.write_bytes(b"the preset's classifier")
    path = _metrics(config, "glf", 0, provenance={"feature_weights_sha256": {"synthetic28": "a" * 64}})
    with pytest.raises(results.ResultsFileError, match=f"{re.escape(str(path))} does not fit.*sha256 a{{64}}"):
        results.load(config)


def test_a_seed_lacking_a_metric_the_other_holds_is_an_error_not_a_dropped_seed(tmp_path):
    config = _preset(tmp_path)
    _metrics(config, "glf", 0)
    path = _metrics(config, "glf", 1)
    body = json.loads(path.read_text())
    del body["fid"]
    path.write_text(json.dumps(body))
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{path} lacks 'fid'")):
        table1(results.load(config), tmp_path / "results")


# 4. degenerate presets refused at planning

def test_zero_epochs_and_too_few_samples_are_refused_at_planning(tmp_path):
    with pytest.raises(ConfigError, match="datasets.synthetic28.epochs"):
        _preset(tmp_path, datasets={"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 0}})
    with pytest.raises(ConfigError, match="'evaluation.num_samples' is 5, too few for PRD.*at least 10"):
        _preset(tmp_path, evaluation={"features": "classifier", "num_samples": 5})
    assert _preset(tmp_path, evaluation={"features": "classifier", "num_samples": 10})


# 5. Markdown cells; 6. decimals

def test_markdown_cells_escape_pipes_newlines_and_html():
    assert markdown_cell("a|b\nc <script>x</script> KL 0.07 < 0.1") == \
        "a\\|b<br>c &lt;script>x&lt;/script> KL 0.07 < 0.1"
    text = to_markdown(Table(pd.DataFrame({"model": ["GLF |\nnew"], "fid": ["1.0"]}), "<b>caption</b>", "t"))
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 3 and all(len(re.split(r"(?<!\\)\|", row)) == 4 for row in rows)
    assert "<b>" not in text and "&lt;b>caption" in text


def test_decimals_follow_the_scale_of_the_values():
    assert decimals([0.041, 0.043, 0.039]) == 3
    assert decimals([25.3, 88.0]) == 1 and decimals([float("nan")]) == 1
    assert decimals([0.5, 120.0]) == 1 + 1
