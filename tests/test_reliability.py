"""Corrupt, tampered and nonsensical inputs (third pass): each ends in a named error that says
which file or key and the fix, or the bad thing is rebuilt; never a traceback or a wrong number."""
import json
import re
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from benchmark import cli, paths, results
from benchmark.config import evaluation_sha256, resolve_run, validate_config
from benchmark.stages import train_run
from benchmark.tables import table1, table5
from benchmark.commands import tables
from benchmark.data import DataError, cache_path, content_md5, load_dataset
from benchmark.errors import ConfigError, FileMismatchError
from benchmark.run_lock import RunBusyError
from benchmark.torch_files import UnreadableFileError
from benchmark.weights import WeightsError


def _preset(tmp_path, **evaluation):
    return validate_config({
        "preset": "reliability", "data_root": str(tmp_path / "data"), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"), "device": "cpu",
        "progress": False, "seeds": [0],
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}},
        "models": {"glf": {"method": "glf", "batch_size": 32}, "vae": {"method": "vae", "batch_size": 32}},
        "table1": {"models": ["glf", "vae"]},
        "evaluation": {"features": "classifier", "num_samples": 100, **evaluation},
    })


def _train(config, model="glf", seed=0):
    run = resolve_run(config, model, "synthetic28", seed)
    run_dir = paths.run_dir(config, "synthetic28", model, seed)
    train_run(config, run, run_dir, progress=False)
    return run_dir


def test_refused_file_writes_are_named_with_the_fix(capsys):
    def denied(argv):
        raise PermissionError(13, "Permission denied", "/ro/results/table1.csv")

    assert cli.reports_errors(denied)([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use /ro/results/table1.csv: Permission denied; make its folder writable")
    assert "results_dir" in err and "Traceback" not in err


@pytest.mark.parametrize("error", [ConfigError("bad preset key"), DataError("bad data file"),
                                   WeightsError("bad weights"), UnreadableFileError("bad file"),
                                   FileMismatchError("another run's file"), RunBusyError("busy run"),
                                   FileNotFoundError("no such preset")])
def test_the_suites_own_errors_end_as_one_line_with_exit_code_2(error, capsys):
    def failing(argv):
        raise error

    assert cli.reports_errors(failing)([]) == 2
    assert capsys.readouterr().err == f"error: {error}\n"


@pytest.mark.parametrize("bug", [ValueError("shapes (3,) and (4,) differ"), KeyError("fid"), TypeError("None")])
def test_an_internal_bug_keeps_its_traceback(bug):
    def failing(argv):
        raise bug

    with pytest.raises(type(bug)):
        cli.reports_errors(failing)([])


def test_results_dir_that_cannot_be_created_ends_in_one_named_line(tmp_path, capsys):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    preset = tmp_path / "preset.yaml"
    preset.write_text(yaml.safe_dump({
        "preset": "t", "data_root": str(tmp_path), "seeds": [0], "runs_dir": str(tmp_path / "runs"),
        "results_dir": str(blocker / "results"),
        "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
        "models": {"glf": {"method": "glf"}}, "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 10}}))
    assert tables.main(["--config", str(preset), "table5"]) == 2
    assert f"error: cannot use {blocker}" in capsys.readouterr().err


def test_bit_flipped_gz_is_a_named_data_error(shared_data, tmp_path):
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(shared_data / "fashion-mnist", folder)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[20] ^= 0xFF  # one flipped byte early in the deflate stream: zlib itself fails
    target.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=f"corrupt data file {target}: not a valid gzip file"):
        load_dataset("fashion", "test", tmp_path)


@pytest.mark.parametrize("tamper,problem", [
    (lambda images: images.float().masked_fill(torch.ones_like(images, dtype=torch.bool), float("nan")),
     r"its images are torch.float32 \(\d+, 1, 28, 28\), not uint8 \(N, 1, 28, 28\)"),
    (lambda images: images[:, :, :14], r"its images are torch.uint8 \(\d+, 1, 14, 28\)"),
])
def test_data_cache_of_wrong_dtype_or_shape_with_a_matching_checksum_is_rebuilt(tmp_path, capsys, tamper, problem):
    original = load_dataset("synthetic28", "test", tmp_path, tmp_path)
    cached = cache_path(tmp_path, "synthetic28", "test", 140)
    payload = torch.load(cached, weights_only=True)
    images = tamper(payload["images"])
    torch.save({**payload, "images": images, "content_md5": content_md5(images, payload["labels"])}, cached)
    again = load_dataset("synthetic28", "test", tmp_path, tmp_path)
    assert again.images.dtype == torch.uint8 and torch.equal(again.images, original.images)
    out = capsys.readouterr().out
    assert f"data cache {cached}" in out and "Moved aside" in out
    assert re.search(problem, out)


def test_equal_objects_saved_twice_have_equal_bytes(tmp_path):
    from benchmark.atomic import atomic_torch_save
    from benchmark.weights import sha256_file
    torch.manual_seed(0)
    state = {"weight": torch.randn(8, 8), "meta": {"epochs": 3}}
    atomic_torch_save(state, tmp_path / "a.pt")
    first = sha256_file(tmp_path / "a.pt")
    atomic_torch_save(state, tmp_path / "a.pt")
    atomic_torch_save(state, tmp_path / "b.pt")
    assert sha256_file(tmp_path / "a.pt") == first == sha256_file(tmp_path / "b.pt")
    assert torch.equal(torch.load(tmp_path / "b.pt", weights_only=True)["weight"], state["weight"])


def test_a_finished_run_trained_again_leaves_its_model_file_byte_identical(tmp_path):
    from benchmark.data import md5_file
    config = _preset(tmp_path)
    run_dir = _train(config)
    first = md5_file(run_dir / "model.pt")  # what the second stage's identity records
    _train(config)  # trains again from scratch (the checkpoint went with the first model file): the same weights
    assert md5_file(run_dir / "model.pt") == first


def _write_metrics(config, model, metrics):
    from benchmark.atomic import atomic_write_text
    path = paths.metrics(config, "synthetic28", model, 0)
    atomic_write_text(path, json.dumps(metrics))
    return path


@pytest.mark.parametrize("value,shown", [
    (None, "null"), ([1.0], "[1.0]"), ({"a": 1}, '{"a": 1}'), ("abc", '"abc"'), (True, "true"),
    (float("nan"), "NaN"), (float("-inf"), "-Infinity"), (float("inf"), "Infinity"),
])
def test_malformed_metric_values_are_named_never_shown_or_ranked(tmp_path, value, shown):
    config = _preset(tmp_path)
    _write_metrics(config, "vae", {"status": "completed", "fid": 50.0, "kid": 0.1, "prd_f8": 0.5, "prd_f1_8": 0.5})
    path = _write_metrics(config, "glf", {"status": "completed", "fid": value, "kid": 0.1, "prd_f8": 0.5,
                                          "prd_f1_8": 0.5})
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{path} is unreadable ('fid' is {shown}, not a "
                                                                 f"finite number)")):
        table1(results.load(config), tmp_path / "results")
    assert not (tmp_path / "results" / "table1.csv").exists()


def test_unknown_metrics_status_is_named(tmp_path):
    config = _preset(tmp_path)
    path = _write_metrics(config, "glf", {"status": "done", "fid": 1.0})
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{path} is unreadable ('status' is 'done'")):
        results.load(config)


def test_train_log_with_a_non_number_is_named(tmp_path):
    config = _preset(tmp_path)
    log = paths.train_log(config, "synthetic28", "glf", 0)
    log.parent.mkdir(parents=True)
    log.write_text("epoch,loss,seconds\n1,0.5,2.0\n2,0.4,abc\n")
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{log} is unreadable (column 'seconds' holds "
                                                                 f"'abc', not a number)")):
        table5(results.load(config), tmp_path / "results")
    log.write_text("epoch,loss,seconds,fid\n1,0.5,2.0,\n2,0.4,3.0,12.5\n")  # an FID every other epoch: blanks
    table5(results.load(config), tmp_path / "results")
    assert "2.50" in (tmp_path / "results" / "table5.md").read_text()


@pytest.mark.parametrize("change", [
    {"num_samples": 50}, {"prd_runs": 3}, {"sampling": "authors"}, {"fid_variant": "clean", "features": "inception"},
])
def test_tables_refuse_by_name_a_metrics_file_made_under_other_evaluation_settings(tmp_path, change):
    made_under = _preset(tmp_path)
    for model in ("glf", "vae"):
        _write_metrics(made_under, model, {"status": "completed", "fid": 10.0, "kid": 0.1,
                                           "evaluation_sha256": evaluation_sha256(made_under, model)})
    table1(results.load(made_under), tmp_path / "results")  # the settings it was made under: fine
    now = _preset(tmp_path, **change)
    stale = paths.metrics(now, "synthetic28", "glf", 0)
    if "fid_variant" in change:  # another feature space has files of its own: make this one stale
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_text(paths.metrics(made_under, "synthetic28", "glf", 0).read_text())
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{stale} was made under other evaluation settings")):
        table1(results.load(now), tmp_path / "results")


def test_a_metrics_file_older_than_the_settings_hash_is_judged_by_the_settings_it_names(tmp_path):
    config = _preset(tmp_path)
    _write_metrics(config, "glf", {"status": "completed", "fid": 10.0, "num_samples": 100, "sampling": "eval"})
    assert results.load(config).of("glf", "synthetic28")[0].finished
    path = _write_metrics(config, "glf", {"status": "completed", "fid": 10.0, "num_samples": 50})
    with pytest.raises(results.ResultsFileError, match=re.escape(f"{path} was made under other evaluation settings")):
        results.load(config)


@pytest.mark.parametrize("foreign,problem", [
    ("vae", "method 'vae', this run's 'glf'"),  # a VAE's model file in the GLF run folder
    ("other_preset", "made under other settings or another preset: run_sha256 differs"),
    ("no_identity", "it records no run_sha256"),
])
def test_a_model_file_of_another_run_is_refused_not_sampled(tmp_path, capsys, foreign, problem):
    from benchmark.commands import sample
    from benchmark.config import write_resolved_preset
    from benchmark.model_io import load_model, save_model
    config = _preset(tmp_path)
    glf_dir = _train(config, "glf")
    if foreign == "vae":
        shutil.copy(_train(config, "vae") / "model.pt", glf_dir / "model.pt")
    else:
        model, meta = load_model(glf_dir / "model.pt")
        meta = ({**meta, "run_sha256": "0" * 64} if foreign == "other_preset"
                else {k: v for k, v in meta.items() if k != "run_sha256"})
        save_model(glf_dir / "model.pt", model, "glf", meta)
    preset = tmp_path / "preset.yaml"
    write_resolved_preset(config, preset)
    assert sample.main(["--config", str(preset), "--model", "glf", "--dataset", "synthetic28", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"model file {glf_dir / 'model.pt'} belongs to another run ({problem}" in err and "--forcerun" in err
    assert not (glf_dir / "samples.pt").exists()


def test_the_model_file_of_its_own_run_is_sampled(tmp_path):
    from benchmark.commands import sample
    from benchmark.config import write_resolved_preset
    config = _preset(tmp_path)
    run_dir = _train(config, "glf")
    preset = tmp_path / "preset.yaml"
    write_resolved_preset(config, preset)
    assert sample.main(["--config", str(preset), "--model", "glf", "--dataset", "synthetic28", "--no-progress"]) == 0
    assert (run_dir / "samples.pt").exists()


def test_presets_with_other_classifier_settings_keep_their_own_classifier_file(tmp_path):
    one = _preset(tmp_path, classifier_epochs=1)
    files = {paths.feature_weights(_preset(tmp_path, **change), "synthetic28") for change in (
        {"classifier_epochs": 1}, {"classifier_epochs": 2}, {"classifier_epochs": 1, "classifier_max_images": 100})}
    assert len(files) == 3 and paths.feature_weights(one, "synthetic28") in files
    assert all(f.parent == tmp_path / "cache" / "classifier" and f.name.startswith("synthetic28-") for f in files)
    other_crop = _preset(tmp_path, classifier_epochs=1)
    other_crop["datasets"]["synthetic28"]["crop"] = 100
    assert paths.feature_weights(other_crop, "synthetic28") not in files


def test_every_shipped_preset_writes_its_own_results_folder_and_smoke_never_the_papers():
    from benchmark.config import load_config
    repo = Path(__file__).resolve().parent.parent
    presets = {p.stem: load_config(p) for p in sorted((repo / "workflow" / "config").glob("*.yaml"))}
    folders = {name: config["results_dir"] for name, config in presets.items()}
    assert folders["paper"] == "results" and folders["smoke"] == "results/smoke"
    assert len(set(folders.values())) == len(folders), folders
    runs = {name: config["runs_dir"] for name, config in presets.items()}
    assert len(set(runs.values())) == len(runs), runs
    recipe = (repo / "Makefile").read_text().split("clean-results:")[1].strip().splitlines()[0].split()
    assert recipe[:2] == ["rm", "-rf"] and all(p.startswith(("results/smoke", "runs/smoke")) for p in recipe[2:])
