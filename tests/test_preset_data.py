"""Finding a preset's dataset files at planning time, boolean --config values, failing logs on the console."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.config import command_line_booleans, read_preset, validate_config
from benchmark.data import DataError
from benchmark.preset_data import DATA_ENV, find_data_roots

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
FASHION = SHARED / "fashion-mnist"
needs_shared = pytest.mark.skipif(not FASHION.is_dir(), reason="needs ../shared/data/fashion-mnist")


def _preset(tmp_path, **overrides):
    config = read_preset(REPO / "workflow" / "config" / "smoke.yaml")
    config.update({"data_root": str(tmp_path / "data"), "data_root_fallbacks": [str(tmp_path / "nowhere")], **overrides})
    return validate_config(config)


def _copy_fashion(root: Path) -> Path:
    shutil.copytree(FASHION, root / "fashion-mnist")
    return root


@needs_shared
def test_files_are_taken_from_the_first_folder_that_holds_them(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    shared = _copy_fashion(tmp_path / "shared")
    config = _preset(tmp_path, data_root_fallbacks=[str(tmp_path / "nowhere"), str(shared)])
    assert find_data_roots(config, ["fashion"], online=lambda url: False) == {"fashion": shared}
    monkeypatch.setenv(DATA_ENV, str(shared))
    assert find_data_roots(_preset(tmp_path), ["fashion"], online=lambda url: False) == {"fashion": shared}
    own = _copy_fashion(tmp_path / "data")
    assert find_data_roots(_preset(tmp_path), ["fashion"], online=lambda url: False) == {"fashion": own}


@needs_shared
def test_each_dataset_is_found_in_its_own_folder_and_only_missing_ones_are_listed(tmp_path, monkeypatch):
    """Fashion-MNIST under $GLF_SHARED_DATA and CIFAR-10 (its extracted batches) under data_root:
    each found where it is; without the batches and offline, the message lists CIFAR-10's file alone."""
    from benchmark.data import CIFAR_FOLDER
    shared = _copy_fashion(tmp_path / "shared")
    monkeypatch.setenv(DATA_ENV, str(shared))
    cifar = {"latent_dim": 8, "flow_width": 8, "epochs": 1}
    config = _preset(tmp_path)
    config = _preset(tmp_path, datasets={**config["datasets"], "cifar10": cifar})
    batches = tmp_path / "data" / "cifar10" / CIFAR_FOLDER
    batches.mkdir(parents=True)
    roots = find_data_roots(config, ["fashion", "cifar10"], online=lambda url: False)
    assert roots == {"fashion": shared, "cifar10": tmp_path / "data"}
    batches.rmdir()
    with pytest.raises(DataError) as offline:
        find_data_roots(config, ["fashion", "cifar10"], online=lambda url: False)
    listed = str(offline.value).split(" (searched")[0]
    assert listed == f"dataset files not found: {tmp_path / 'data' / 'cifar10' / 'cifar-10-python.tar.gz'}"
    assert find_data_roots(config, [], online=lambda url: False) == {}  # no dataset to prepare: nothing checked


def test_missing_files_are_downloaded_into_data_root_only_when_online(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    config = _preset(tmp_path)
    assert find_data_roots(config, ["fashion"], online=lambda url: True) == {"fashion": tmp_path / "data"}
    with pytest.raises(DataError) as offline:
        find_data_roots(config, ["fashion"], online=lambda url: False)
    message = str(offline.value)
    assert "fashion-mnist/train-images-idx3-ubyte.gz" in message and "no connection" in message
    assert DATA_ENV in message and "download" in message  # both fixes in one message
    with pytest.raises(DataError, match="download: false"):
        find_data_roots(_preset(tmp_path, download=False), ["fashion"], online=lambda url: True)


def test_celeba_is_never_expected_from_a_download(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    config = _preset(tmp_path, datasets={"celeba": {"latent_dim": 64, "flow_width": 64, "epochs": 1}},
                     table1={"models": ["glf"], "datasets": ["celeba"]},
                     figures={"grids": []}, models={"glf": {"method": "glf"}})
    with pytest.raises(DataError, match="celeba cannot be downloaded"):
        find_data_roots(config, ["celeba"], online=lambda url: True)


@needs_shared
def test_a_corrupt_file_is_refused_at_planning(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    own = _copy_fashion(tmp_path / "data")
    (own / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match="t10k-labels"):
        find_data_roots(_preset(tmp_path), ["fashion"], online=lambda url: True)


def test_boolean_settings_accept_true_and_false_text():
    config = command_line_booleans({"download": "true", "progress": "False", "preset": "true",
                                    "evaluation": {"features": "false"}})
    assert config["download"] is True and config["progress"] is False
    assert config["preset"] == "true" and config["evaluation"]["features"] == "false"  # string settings stay text


def _fresh_workflow(tmp_path: Path, data_env: str | None):
    """A copy of the workflow without data/ and with no ../shared/data beside it."""
    work = tmp_path / "repo"
    work.mkdir()
    for name in ("Snakefile", "workflow", "benchmark", "models"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, work / name)
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    env["PYTHONPATH"] = str(work)
    if data_env:
        env[DATA_ENV] = data_env
    return work, env


def test_a_fresh_checkout_without_data_says_both_fixes_on_the_console(tmp_path):
    work, env = _fresh_workflow(tmp_path, None)
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "all", "--configfile",
                             "workflow/config/smoke.yaml", "--config", "download=false"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "dataset files not found" in result.stderr and DATA_ENV in result.stderr
    output = result.stdout + result.stderr
    assert "prepare_data" in output and "rule prepare_data:" not in output  # planned, never started


def test_a_failing_jobs_log_reaches_the_console(tmp_path):
    (tmp_path / "Snakefile").write_text(
        'rule fail:\n    output: "x"\n    log: "fail.log"\n'
        '    shell: "echo reason-$((6 * 7)) > {log}; exit 3"\n')  # the logged text is not in the command
    result = subprocess.run([sys.executable, "-m", "snakemake", "x", "--profile", str(REPO / "workflow" / "profiles" / "local"),
                             "--cores", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "reason-42" in result.stdout + result.stderr


def test_the_inception_weights_variable_names_the_workflows_file(tmp_path, monkeypatch):
    from benchmark import paths
    config = validate_config({**_preset(tmp_path), "evaluation": {"features": "inception", "num_samples": 500}})
    monkeypatch.delenv("GLF_INCEPTION_WEIGHTS", raising=False)
    assert paths.feature_weights(config, "fashion").parent == Path(config["cache_dir"]) / "weights"
    monkeypatch.setenv("GLF_INCEPTION_WEIGHTS", str(tmp_path / "inception.pth"))
    assert paths.feature_weights(config, "fashion") == tmp_path / "inception.pth"
    own = validate_config({**config, "evaluation": {**config["evaluation"], "inception_weights": "mine.pth"}})
    assert paths.feature_weights(own, "fashion") == Path("mine.pth")  # the preset's own path first
