"""The Snakemake workflow: the paper preset plans every job; bad presets and wrong weights fail
before any job."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from benchmark import paths
from benchmark.config import load_config, read_preset
from benchmark.weights import sha256_file

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _snakemake(*args, cwd=REPO):
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _job_counts(output: str) -> dict[str, int]:
    counts, in_stats = {}, False
    for line in output.splitlines():
        if line.startswith("job "):
            in_stats = True
            continue
        if in_stats:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
            elif counts and not line.strip().startswith("-"):
                break
    return counts


def test_the_bare_command_plans_every_job_of_the_papers_table1():
    """``snakemake -n --cores 8 results/table1.csv``, no --configfile: the paper preset's Table 1."""
    result = _snakemake("-n", "--cores", "8", "results/table1.csv")
    assert result.returncode == 0, result.stderr + result.stdout
    counts = _job_counts(result.stdout + result.stderr)
    config = load_config(REPO / "workflow" / "config" / "paper.yaml")
    runs = len(config["table1"]["models"]) * len(config["table1"]["datasets"]) * len(config["seeds"])
    two_stage = sum(paths.has_second_stage(config, m) for m in config["table1"]["models"])
    assert counts["train"] == runs
    assert counts["sample"] == counts["evaluate"] == runs
    assert counts["second_stage"] == two_stage * len(config["table1"]["datasets"]) * len(config["seeds"])
    assert counts["prepare_data"] == counts["reference_stats"] == 4
    assert counts["inception_weights"] == 1 and counts["table1"] == 1


def test_paper_preset_plans_figures_and_all_tables():
    result = _snakemake("-n", "--configfile", "workflow/config/paper.yaml")
    assert result.returncode == 0, result.stderr + result.stdout
    counts = _job_counts(result.stdout + result.stderr)
    for name in ("table1", "table2", "table3", "table4", "table5", "table6", "paper_vs_ours",
                 "figure3", "figure4", "samples_cifar10", "samples_celeba"):
        assert counts.get(name) == 1, name


@pytest.mark.parametrize("change,message", [
    (lambda c: c["models"].update(glow={"method": "glow"}), "unknown method 'glow' at 'models.glow.method'"),
    (lambda c: c["datasets"]["fashion"].update(epochs=-2), "at 'datasets.fashion.epochs'"),
    (lambda c: c["table1"].update(models=["nonexistent"]), "'table1.models' names 'nonexistent'"),
    (lambda c: c.update(base="missing.yaml"), "missing.yaml, which does not exist; write the base preset's file name"),
])
def test_bad_preset_fails_before_any_job(tmp_path, change, message):
    config = read_preset(REPO / "workflow" / "config" / "smoke.yaml")
    change(config)
    preset = tmp_path / "bad.yaml"
    preset.write_text(yaml.safe_dump(config))
    result = _snakemake("-n", "--configfile", str(preset))
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert "Job stats" not in result.stdout + result.stderr


def test_workflow_lints_clean():
    """Clean but for the one lint the suite chooses to have: rules run the interpreter that runs
    Snakemake (the project installed there), so they declare no conda environment."""
    result = _snakemake("--lint")
    titles = set(re.findall(r"^\s+\* (.+?):?$", result.stdout + result.stderr, re.M))
    assert titles == {"Specify a conda environment or container for each rule."}, result.stdout + result.stderr


TINY_PRESET = """
preset: tiny
data_root: data dir
cache_dir: cache dir
runs_dir: runs dir
results_dir: results dir
device: cpu
progress: false
seeds: [0]
datasets:
  synthetic28: {latent_dim: 4, flow_width: 8, epochs: 1, max_train_images: 64}
models:
  glf: {method: glf, batch_size: 32}
table1: {models: [glf]}
evaluation: {features: classifier, num_samples: 100, classifier_epochs: 1, classifier_max_images: 200,
             prd_runs: 1, batch_size: 100}
"""


@pytest.mark.slow
def test_paths_with_spaces_run_and_the_redo_recipe_redoes_a_deleted_run(tmp_path):
    """The whole workflow in folders whose names hold spaces (every shell word quoted); a deleted
    run is redone, with Table 1, by the recipe of docs/runs.md (plain snakemake ignores deleted
    intermediates by design)."""
    work = tmp_path / "a b"
    work.mkdir()
    (work / "preset.yaml").write_text(TINY_PRESET)
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the jobs import this checkout

    def snakemake(*extra):
        result = subprocess.run([*SNAKEMAKE, "results dir/table1.csv", "-s", str(REPO / "Snakefile"),
                                 "--directory", str(work), "--cores", "2", *extra, "--configfile", "preset.yaml"],
                                cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    cell = lambda: pd.read_csv(work / "results dir" / "table1.csv").set_index("model").loc["glf", "fid_mean"]
    run_dir = work / "runs dir" / "synthetic28" / "glf" / "seed0"
    snakemake()
    fresh = cell()
    (work / "preset.yaml").write_text(TINY_PRESET.replace("prd_runs: 1", "prd_runs: 2"))
    assert "evaluate" in _job_counts(snakemake("-n"))  # every setting the evaluation reads is a param
    (work / "preset.yaml").write_text(TINY_PRESET.replace("prd_runs: 1", "prd_runs: 1, sampling: authors"))
    redo = _job_counts(snakemake("-n"))  # the other sampler redraws and re-evaluates, trains nothing
    assert "sample" in redo and "evaluate" in redo and "train" not in redo
    (work / "preset.yaml").write_text(TINY_PRESET)
    metrics = json.loads((run_dir / "metrics-classifier.json").read_text())
    (run_dir / "metrics-classifier.json").write_text(json.dumps({**metrics, "fid": 999.0}))
    snakemake()  # the table depends on what it reads
    assert cell() == 999.0
    shutil.rmtree(run_dir)
    assert "Nothing to be done" in snakemake("-n")
    snakemake("--forcerun", "runs dir/synthetic28/glf/seed0/model.pt")  # docs/runs.md: "Redoing a run"
    assert cell() == fresh != 999.0 and (run_dir / "train_log.csv").exists()


@pytest.mark.slow
def test_presets_sharing_a_cache_keep_their_logs_apart_and_redo_nothing_of_each_other(tmp_path):
    """Two presets with their own runs folders and one cache_dir: each job logs under its preset's
    runs_dir, and the second preset reuses the shared data, classifier and statistics without
    changing anything the first preset's jobs depend on."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the jobs import this checkout
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(TINY_PRESET.replace("preset: tiny", f"preset: {name}")
                                               .replace("runs_dir: runs dir", f"runs_dir: runs {name}")
                                               .replace("results_dir: results dir", f"results_dir: results {name}"))

    def snakemake(name, *extra):
        targets = [f"runs {name}/synthetic28/glf/seed0/model.pt", "cache dir/stats/synthetic28-test-classifier.npz"]
        result = subprocess.run([*SNAKEMAKE, *targets, "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
                                 "--cores", "2", *extra, "--configfile", f"{name}.yaml"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    def logs(name):
        folder = tmp_path / f"runs {name}" / "logs"
        return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.log"))

    snakemake("a")
    assert "prepare_data" not in _job_counts(snakemake("b"))  # the shared data cache is kept
    assert "Nothing to be done" in snakemake("a", "-n")
    classifier, *rest = logs("a")
    assert re.fullmatch(r"features/classifier-synthetic28-[0-9a-f]{12}\.log", classifier)  # keyed by its settings
    assert rest == ["prepare_data/synthetic28.log", "reference_stats/synthetic28.log", "train/synthetic28-glf-seed0.log"]
    assert logs("b") == ["train/synthetic28-glf-seed0.log"] and not (tmp_path / "logs").exists()


def _plan(work: Path, config: dict):
    """``snakemake -n`` of the whole workflow for ``config`` in the folder ``work``."""
    (work / "preset.yaml").write_text(yaml.safe_dump(config))
    return subprocess.run([*SNAKEMAKE, "-n", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                           "--configfile", "preset.yaml"], cwd=work, capture_output=True, text=True, timeout=300)


def _with_perceptual_model(config: dict, name: str, method: str, **params) -> dict:
    config["models"][name] = {"method": method, "batch_size": 32, "params": params}
    config["table1"]["models"].append(name)
    return config


@pytest.mark.parametrize("change, needed_by", [
    (lambda c, bad, sha: c["evaluation"].update(features="inception", inception_weights=str(bad)),
     "checksum mismatch for {bad} (needed by the Inception features"),
    (lambda c, bad, sha: _with_perceptual_model(c, "glf_perceptual", "glf_perceptual", vgg_weights=str(bad),
                                                vgg_sha256=sha),
     "checksum mismatch for {bad} (needed by the perceptual loss of glf_perceptual)"),
    (lambda c, bad, sha: c["evaluation"].update(features="inception", inception_weights=str(bad) + ".missing"),
     "weights not found at {bad}.missing (needed by the Inception features"),
], ids=["inception-checksum", "vgg-checksum", "inception-missing"])
def test_wrong_or_missing_weights_stop_the_workflow_before_any_job(tmp_path, change, needed_by):
    """Checked when the workflow is planned: no prepare_data or train job is scheduled, even by -n."""
    bad = tmp_path / "bad weights.pth"
    bad.write_bytes(b"not the pinned weights")
    good = tmp_path / "made-up weights.pth"
    good.write_bytes(b"made-up weights whose checksum the preset pins")
    config = yaml.safe_load(TINY_PRESET)
    change(config, bad, sha256_file(good))
    result = _plan(tmp_path, config)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and needed_by.format(bad=bad) in output, output
    assert "Job stats" not in output and "train" not in _job_counts(output)


def test_weights_that_match_plan_the_training_jobs_and_missing_vgg_only_warns(tmp_path):
    good = tmp_path / "made-up weights.pth"
    good.write_bytes(b"made-up weights whose checksum the preset pins")
    config = _with_perceptual_model(yaml.safe_load(TINY_PRESET), "glf_perceptual", "glf_perceptual",
                                    vgg_weights=str(good), vgg_sha256=sha256_file(good))
    _with_perceptual_model(config, "glann", "glann", vgg_weights=str(tmp_path / "absent.pth"))
    result = _plan(tmp_path, config)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _job_counts(output)["train"] == 3
    assert f"warning: weights not found at {tmp_path / 'absent.pth'} (needed by the perceptual loss of glann)" in output
