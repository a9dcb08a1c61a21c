"""The edges between the suite's parts: commands are leaves that take the preset, defaults come
from the schema once, the workflow plans without writing and runs without conda."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from benchmark import evaluation
from benchmark.commands import train_classifier
from benchmark.config import SCHEMA_PATH, load_config, resolve_run, validate_config
from benchmark.data import ImageSet

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted((REPO / "benchmark").rglob("*.py")) + sorted((REPO / "models").rglob("*.py"))
CODE = SOURCES + sorted((REPO / "workflow" / "rules").glob("*.smk")) + [REPO / "Snakefile"]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def defines_main(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module an AST imports, ``from a import b`` counting as ``a`` and ``a.b``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


TREES = {module_name(path): ast.parse(path.read_text()) for path in SOURCES}
COMMANDS = {name for name, tree in TREES.items() if defines_main(tree)}


def test_no_module_imports_a_command():
    assert {"benchmark.commands.evaluate", "benchmark.commands.sample", "benchmark.commands.train",
            "benchmark.commands.train_classifier"} <= COMMANDS
    assert {name for name in COMMANDS if not name.startswith("benchmark.commands.")} == set()  # seen at a glance
    offenders = {name: sorted(imported_modules(tree) & COMMANDS) for name, tree in TREES.items()}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_metrics_is_a_library_and_evaluate_is_the_one_evaluation_command():
    assert not [name for name in COMMANDS if name.startswith("benchmark.metrics")]
    assert [name for name in COMMANDS if "evaluat" in name] == ["benchmark.commands.evaluate"]


def celeba_preset(tmp_path, crop: int) -> str:
    config = {
        "preset": "crop-test", "data_root": str(tmp_path), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "datasets": {"celeba": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "crop": crop}},
        "models": {"vae": {"method": "vae"}}, "table1": {"models": ["vae"]},
        "evaluation": {"features": "classifier", "num_samples": 10, "classifier_epochs": 1,
                       "classifier_max_images": 8},
    }
    (tmp_path / "preset.yaml").write_text(yaml.safe_dump(config))
    return str(tmp_path / "preset.yaml")


def test_classifier_and_evaluation_see_the_same_crop(tmp_path, monkeypatch):
    crops = []

    def fake_celeba(name, split, data_root, cache_dir=None, crop=None, download=False):
        crops.append((split, crop))
        return ImageSet(torch.randint(0, 256, (10, 3, 64, 64), dtype=torch.uint8), None)

    monkeypatch.setattr("benchmark.runs.load_dataset", fake_celeba)
    preset = celeba_preset(tmp_path, crop=100)
    assert train_classifier.main(["--config", preset, "--dataset", "celeba"]) == 0
    evaluation.real_images(load_config(preset), "celeba")
    assert crops == [("train", 100), ("test", 100)]


def schema_defaults(schema, found=None) -> dict[str, list]:
    """Every key that has a default anywhere in the schema -> its default values."""
    found = {} if found is None else found
    if isinstance(schema, dict):
        for key, sub in schema.get("properties", {}).items():
            if isinstance(sub, dict) and "default" in sub:
                found.setdefault(key, []).append(sub["default"])
        for value in schema.values():
            schema_defaults(value, found)
    elif isinstance(schema, list):
        for value in schema:
            schema_defaults(value, found)
    return found


def test_nested_defaults_are_filled_from_the_schema():
    config = load_config(REPO / "workflow" / "config" / "smoke.yaml")
    defaults = schema_defaults(yaml.safe_load(SCHEMA_PATH.read_text()))
    assert config["datasets"]["fashion"]["crop"] == defaults["crop"][0]
    assert config["models"]["vae"]["lr"] == defaults["lr"][0] and config["models"]["vae"]["params"] == {}
    assert config["evaluation"]["fid_variant"] == "legacy" and config["evaluation"]["prd_runs"] == 2
    minimal = validate_config({k: v for k, v in config.items() if k not in ("resources", "figures")})
    assert minimal["resources"]["eval_runtime_min"] == defaults["eval_runtime_min"][0]
    assert minimal["figures"] == {"grids": []}


def test_no_schema_default_is_restated_in_code():
    defaults = schema_defaults(yaml.safe_load(SCHEMA_PATH.read_text()))
    literal = r"""(-?[\d.]+|\{\}|\[\]|None|True|False|["'])"""  # a value, not one derived from others
    restated = re.compile(r"""\.get\(\s*["'](%s)["']\s*,\s*%s""" % ("|".join(defaults), literal))
    literals = re.compile(r"\b(140|200)\b")  # crop and evaluation.batch_size
    found = [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for path in CODE
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if restated.search(line) or literals.search(line.split("#")[0])]
    assert found == []


def test_fid_tracker_prints_no_progress_bars_when_told(tmp_path, monkeypatch, capfd):
    class Model:
        device = torch.device("cpu")

        def sample(self, n, generator, protocol):
            return torch.rand(n, 3, 64, 64, generator=generator)

    monkeypatch.setattr("benchmark.runs.load_dataset", lambda *a, **k: ImageSet(
        torch.randint(0, 256, (10, 3, 64, 64), dtype=torch.uint8), None))
    preset = celeba_preset(tmp_path, crop=140)
    assert train_classifier.main(["--config", preset, "--dataset", "celeba"]) == 0
    config = {**load_config(preset), "progress": True}
    capfd.readouterr()
    config["evaluation"].update(eval_every=1, eval_samples=8, batch_size=2)
    assert "fid" in evaluation.fid_tracker(config, resolve_run(config, "vae", "celeba", 0), progress=False)(Model(), 1)
    assert capfd.readouterr().err == ""
    evaluation.fid_tracker(config, resolve_run(config, "vae", "celeba", 0), progress=True)(Model(), 1)
    assert "features" in capfd.readouterr().err


def test_rules_use_no_conda_and_pins_live_in_pyproject_only():
    assert not [p for p in CODE if re.search(r"^\s*conda:", p.read_text(), re.M)]
    assert not (REPO / "workflow" / "envs").exists()
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-e .[test]"]


def test_snakefile_declares_min_version():
    assert re.search(r'^min_version\("9', (REPO / "Snakefile").read_text(), re.M)


@pytest.fixture
def synthetic_preset(tmp_path) -> Path:
    config = {"preset": "plan-test", "data_root": str(tmp_path), "cache_dir": str(tmp_path / "cache"),
              "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"), "seeds": [0],
              "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1}},
              "models": {"vae": {"method": "vae"}}, "table1": {"models": ["vae"]},
              "evaluation": {"features": "classifier", "num_samples": 10}}
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _snakemake(*args, cwd: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(cwd), *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.slow
def test_dry_run_writes_nothing_and_a_run_writes_the_resolved_preset(synthetic_preset, tmp_path):
    result = _snakemake("-n", "--configfile", str(synthetic_preset), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "train" in result.stdout and not (tmp_path / "runs").exists()
    target = str(tmp_path / "cache" / "data" / "synthetic28.ready.json")
    result = _snakemake(target, "--cores", "1", "--configfile", str(synthetic_preset), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((tmp_path / "runs" / "preset.yaml").read_text())
    assert written == validate_config(yaml.safe_load(synthetic_preset.read_text()))
