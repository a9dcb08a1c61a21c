"""Run tests/slurm/Snakefile through workflow/profiles/slurm on a live SLURM cluster.

Needs a cluster that answers `sinfo` (for example the one-node cluster from
`.ci/slurm/start_cluster.sh`). Without one the tests are skipped; with
GLF_SLURM_TESTS=1 they fail instead, so CI cannot silently skip them.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "workflow" / "profiles" / "slurm"
TOY_SNAKEFILE = ROOT / "tests" / "slurm" / "Snakefile"
JOB_ID_LINE = re.compile(r"^SLURM_JOB_ID=(\S+)$", re.MULTILINE)


def cluster_problem():
    """Return why no usable SLURM cluster answers here, or None when one does."""
    if shutil.which("sinfo") is None:
        return "`sinfo` not found; start a cluster with .ci/slurm/start_cluster.sh"
    try:
        answer = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=15
        )
    except subprocess.TimeoutExpired:
        return "`sinfo` did not answer within 15 s"
    states = answer.stdout.split()
    if answer.returncode != 0 or not {"idle", "mix", "alloc"} & set(states):
        return (
            f"no SLURM node is up (sinfo rc={answer.returncode}: {answer.stderr.strip() or states});"
            " start one with .ci/slurm/start_cluster.sh"
        )
    return None


@pytest.fixture(scope="module")
def cluster():
    problem = cluster_problem()
    if problem is None:
        return
    if os.environ.get("GLF_SLURM_TESTS") == "1":
        pytest.fail(f"GLF_SLURM_TESTS=1 but {problem}")
    pytest.skip(problem)


def run_toy(workdir, *extra):
    """Run the toy workflow in `workdir` with the slurm profile; return the CompletedProcess."""
    shutil.copy(TOY_SNAKEFILE, workdir / "Snakefile")
    # A test started inside a SLURM allocation must not leak its job id into local rules.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    command = [
        sys.executable, "-m", "snakemake",
        "--profile", str(PROFILE),
        "--directory", str(workdir),
        "--snakefile", str(workdir / "Snakefile"),
        # Poll squeue every second instead of every 40 s; MinJobAge=300 keeps jobs visible.
        "--slurm-init-seconds-before-status-checks", "1",
        *extra,
    ]
    return subprocess.run(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )


def job_id_in(log):
    """Return the SLURM_JOB_ID value a toy rule recorded in `log` ('none' off SLURM)."""
    found = JOB_ID_LINE.findall(log.read_text())
    assert len(found) == 1, f"{log} should record SLURM_JOB_ID exactly once: {log.read_text()!r}"
    return found[0]


def slurm_job_state(job_id):
    """Return the JobState slurmctld reports for `job_id` (e.g. 'COMPLETED')."""
    shown = subprocess.run(
        ["scontrol", "show", "job", job_id], capture_output=True, text=True, check=True
    ).stdout
    return re.search(r"JobState=(\S+)", shown).group(1)


@pytest.mark.slow
def test_jobs_run_as_slurm_jobs_and_downloads_on_submit_host(cluster, tmp_path):
    result = run_toy(tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]

    assert job_id_in(tmp_path / "logs/download/download.log") == "none"
    submitted = [
        job_id_in(tmp_path / "logs/train/0.log"),
        job_id_in(tmp_path / "logs/train/1.log"),
        job_id_in(tmp_path / "logs/summarize/summarize.log"),
    ]
    assert all(job_id.isdigit() for job_id in submitted), submitted
    assert len(set(submitted)) == 3, f"each job needs its own SLURM job: {submitted}"
    assert [slurm_job_state(job_id) for job_id in submitted] == ["COMPLETED"] * 3
    assert (tmp_path / "results/summary.txt").read_text().split() == ["3", "6"]


@pytest.mark.slow
def test_failing_slurm_job_fails_the_run(cluster, tmp_path):
    result = run_toy(tmp_path, "--config", "fail=1")
    assert result.returncode != 0, "a failing SLURM job must fail the run:\n" + result.stdout[-4000:]

    failed_log = tmp_path / "logs/train/1.log"
    failed_id = job_id_in(failed_log)
    assert failed_id.isdigit()
    assert "failing on request" in failed_log.read_text()
    assert slurm_job_state(failed_id) == "FAILED"
    assert not (tmp_path / "results/train_1.txt").exists()
    assert slurm_job_state(job_id_in(tmp_path / "logs/train/0.log")) == "COMPLETED"
    assert not (tmp_path / "logs/summarize").exists(), "nothing may run after a failed job"
