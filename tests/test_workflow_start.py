"""What a workflow run says and checks before its first job (benchmark/workflow_start.py, Snakefile)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmark.config import load_config
from benchmark.workflow_start import banner, foreign_target_message, measured_gpu_hours, no_gpu_message, requires_gpu

REPO = Path(__file__).resolve().parent.parent
PAPER = load_config(REPO / "workflow" / "config" / "paper.yaml")
SMOKE = load_config(REPO / "workflow" / "config" / "smoke.yaml")


def _copy_of_the_workflow(tmp_path: Path) -> Path:
    """The workflow in a folder of its own (no data, no results, no runs)."""
    for name in ("Snakefile", "workflow", "benchmark", "models"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, tmp_path / name)
    return tmp_path


def test_the_paper_preset_needs_a_gpu_and_the_smoke_preset_does_not():
    assert requires_gpu(PAPER) and not requires_gpu(SMOKE)
    assert not requires_gpu({**PAPER, "device": "cpu"})  # --config device=cpu


def test_the_first_line_names_preset_results_folder_and_device():
    assert banner(PAPER, 0) == "glf-bench: preset paper, results in results/, device cpu (auto: no GPU found)"
    assert banner(SMOKE, 2) == "glf-bench: preset smoke, results in results/smoke/, device cuda (2 GPUs)"


def test_gpu_hours_are_given_only_from_a_gpu_timing(tmp_path):
    perf = tmp_path / "perf.csv"
    perf.write_text("device,task,paper_preset_hours_estimate\ncpu (2 threads),train,1453.7\n")
    assert measured_gpu_hours(perf) is None
    assert "GPU-hours not measured" in no_gpu_message(PAPER, perf)
    perf.write_text(perf.read_text() + "NVIDIA H100 80GB HBM3,train,41.25\n")
    assert measured_gpu_hours(perf) == f"about 41.2 GPU-hours (NVIDIA H100 80GB HBM3, {perf})"
    assert "about 41.2 GPU-hours" in no_gpu_message(PAPER, perf)


def test_a_target_outside_the_presets_results_folder_names_that_folder():
    made = ["results/smoke/table1.csv", "results/smoke/table2.csv"]
    message = foreign_target_message(SMOKE, ["results/table1.csv", "results/smoke/table1.csv", "all"], made)
    assert message.startswith("results/table1.csv: not made by preset smoke, whose results go to results/smoke/")
    assert "results/smoke/table1.csv, results/smoke/table2.csv" in message
    assert foreign_target_message(SMOKE, made + ["all"], made) is None
    assert foreign_target_message(PAPER, ["results/table1.csv"], made) is None


def test_a_run_without_a_gpu_stops_before_any_job_with_one_message(tmp_path):
    """The bare command on a machine without a GPU (CUDA hidden): the paper preset plans Table 1's
    jobs, then stops before the first with the message; nothing was written."""
    work = _copy_of_the_workflow(tmp_path)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(work)}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "8", "results/table1.csv",
                             "--config", "download=false"], cwd=work, env=env, capture_output=True, text=True,
                            timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.lstrip().startswith("glf-bench: preset paper, results in results/, device cpu (auto: no GPU found)")
    assert "preset paper is sized for GPUs" in output and "`make smoke`" in output
    assert "`--config device=cpu`" in output and "GPU-hours not measured" in output
    assert "rule " not in output.split("Job stats")[-1]  # no job started
    assert not (work / "runs").exists() and not (work / "data").exists()


def test_a_target_of_another_preset_fails_with_the_presets_folder():
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "results/table1.csv", "--configfile",
                             "workflow/config/smoke.yaml"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "results/table1.csv: not made by preset smoke, whose results go to results/smoke/" in output
    assert "MissingRuleException" not in output


def test_a_presets_own_runs_and_cache_files_are_no_foreign_targets(tmp_path):
    """A preset whose folders lie side by side under one parent (a temporary folder): its cache and
    runs files are its own targets; a table beside its results folder is not."""
    preset = {**SMOKE, "results_dir": str(tmp_path / "results"), "runs_dir": str(tmp_path / "runs"),
              "cache_dir": str(tmp_path / "cache")}
    own = [str(tmp_path / "cache" / "data" / "fashion.ready.json"), str(tmp_path / "runs" / "fashion" / "glf")]
    assert foreign_target_message(preset, own, []) is None
    assert foreign_target_message(preset, [str(tmp_path / "table1.csv")], []).startswith(str(tmp_path / "table1.csv"))
