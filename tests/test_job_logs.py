"""A job's log is its own: its first line names the job and when it started; old logs are set
aside before a workflow's jobs start; a second start of a run that another process trains stops
before Snakemake deletes any of that run's files or its log (benchmark/joblog.py, run_lock.py, Snakefile)."""
import os
import re
import subprocess
import sys

from benchmark import paths
from benchmark.joblog import announce, set_aside
from benchmark.run_lock import busy_runs, lock_holder, run_lock
from test_workflow_start import SMOKE, _copy_of_the_workflow


def test_the_first_log_line_names_the_job_its_start_and_where_it_runs(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["train.py", "--model", "vae", "--seed", "1"])
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    announce("benchmark.commands.train")
    line = capsys.readouterr().out
    assert re.fullmatch(r"benchmark\.commands\.train --model vae --seed 1: started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
                        rf"SLURM_JOB_ID=4242 host=\S+ pid={os.getpid()}\n", line), line


def test_old_logs_are_set_aside_not_shown_as_a_new_jobs(tmp_path):
    log, never = tmp_path / "train" / "fashion-vae-seed0.log", tmp_path / "train" / "none.log"
    log.parent.mkdir()
    log.write_text("an earlier run's log\n")
    (tmp_path / "train" / "fashion-vae-seed0.log.previous").write_text("older still\n")
    assert set_aside([log, never]) == [log.with_name("fashion-vae-seed0.log.previous")]
    assert not log.exists() and not never.exists()
    assert log.with_name("fashion-vae-seed0.log.previous").read_text() == "an earlier run's log\n"


def test_a_held_run_lock_names_its_holder_and_a_free_one_none(tmp_path):
    run = tmp_path / "run"
    assert lock_holder(run) is None and not (run / ".lock").exists()  # no lock file made
    with run_lock(run):
        assert lock_holder(run) == str(os.getpid())
        assert busy_runs([run / "model.pt", run / "train_log.csv", tmp_path / "other" / "x"]) == \
            [f"{run} (pid {os.getpid()})"]
    assert lock_holder(run) is None and busy_runs([run / "model.pt"]) == []


def test_a_second_start_of_a_live_run_stops_before_touching_its_files_or_its_log(tmp_path):
    """A planted live run (this test holds its lock): a forced snakemake of it stops at start,
    naming the run and the pid; the run's train_log.csv and its job log are as they were."""
    work = _copy_of_the_workflow(tmp_path)
    run = work / paths.run_dir(SMOKE, "fashion", "vae", 0)
    run.mkdir(parents=True)
    (run / "train_log.csv").write_text("epoch,loss\n1,0.5\n")
    log = work / paths.job_log(SMOKE, "train/fashion-vae-seed0")
    log.parent.mkdir(parents=True)
    log.write_text("benchmark.commands.train: the live run's log\n")
    target = str(paths.run_dir(SMOKE, "fashion", "vae", 0) / "model.pt")
    with run_lock(run):
        result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--nolock",
                                 "--configfile=workflow/config/smoke.yaml", "--forcerun", target, target],
                                cwd=work, env={**os.environ, "PYTHONPATH": str(work)},
                                capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{paths.run_dir(SMOKE, 'fashion', 'vae', 0)} (pid {os.getpid()}): in use by another process" in output
    assert "rule train:" not in output.split("Job stats")[-1]  # no job started
    assert (run / "train_log.csv").read_text() == "epoch,loss\n1,0.5\n"
    assert log.read_text() == "benchmark.commands.train: the live run's log\n"
    assert not log.with_name(log.name + ".previous").exists()
