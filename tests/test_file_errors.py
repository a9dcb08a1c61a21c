"""Permission and disk errors name the real path on one line: never the temporary file of an
atomic write, never "a file"; a results folder that cannot be written stops a workflow at start
with one line, not Snakemake's PermissionError traceback (benchmark/atomic.py, cli.py,
workflow_start.py, Snakefile).  Running as root makes chmod ineffective, so the refusals are
planted by replacing the operating-system call (in the Snakemake process too, by sitecustomize)."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from benchmark import atomic, cli, paths
from benchmark.workflow_start import unwritable_message
from test_workflow_start import SMOKE, _copy_of_the_workflow


def _error_of(write, capsys) -> str:
    """What the command line prints for the error ``write()`` raises (its exit code must be 2)."""
    def main(argv):
        write()

    assert cli.reports_errors(main)([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_folder_that_refuses_the_temporary_file_is_named_not_the_temporary_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "results" / "table1.md"

    def refused(prefix, suffix, dir):
        raise PermissionError(13, "Permission denied", os.path.join(dir, f"{prefix}gp5suczp{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    err = _error_of(lambda: atomic.atomic_write_text(target, "x"), capsys)
    assert err.startswith(f"error: cannot use {target}: Permission denied; make its folder writable")
    assert ".tmp" not in err and not target.exists()


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch, capsys):
    target = tmp_path / "results" / "table1.csv"

    def full(self, data, *args, **kwargs):
        raise OSError(28, "No space left on device")  # a failed write() names no file

    monkeypatch.setattr(Path, "write_text", full)
    err = _error_of(lambda: atomic.atomic_write_text(target, "x"), capsys)
    assert err == f"error: cannot use {target}: No space left on device; free space on its disk, or set the " \
                  "preset's results_dir, runs_dir or cache_dir to another disk\n"
    assert list(target.parent.iterdir()) == []  # no temporary file left behind


def test_a_refused_rename_names_the_target_not_the_temporary_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "table1.md"
    target.write_text("old")

    def refused(src, dst):
        raise PermissionError(13, "Permission denied", str(src), str(dst))

    monkeypatch.setattr(os, "replace", refused)
    err = _error_of(lambda: atomic.atomic_write_text(target, "new"), capsys)
    assert err.startswith(f"error: cannot use {target}: Permission denied") and ".tmp" not in err
    assert target.read_text() == "old"


def test_an_error_without_a_file_says_so_instead_of_a_file(capsys):
    def failing(argv):
        raise OSError(5, "Input/output error")

    assert cli.reports_errors(failing)([]) == 2
    assert "cannot use a file the operating system did not name: Input/output error" in capsys.readouterr().err


def test_unwritable_folders_are_named_nearest_existing_first(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    files = [results / "table1.csv", results / "new" / "figure3.png", tmp_path / "runs" / "x" / "model.pt"]
    assert unwritable_message(files) is None
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != results)
    message = unwritable_message(files)
    assert message.startswith(f"cannot write in {results}: permission denied") and "results_dir" in message
    assert "\n" not in message and str(tmp_path / "runs") not in message


SITECUSTOMIZE = '''
import os, pathlib
_access = os.access
READ_ONLY = pathlib.Path(os.environ["GLF_TEST_READ_ONLY"]).resolve()
def access(path, mode, **kwargs):
    """The planted read-only folder refuses writing (as chmod a-w would for a user who is not root)."""
    if mode & os.W_OK and pathlib.Path(path).resolve() == READ_ONLY:
        return False
    return _access(path, mode, **kwargs)
os.access = access
'''


def test_a_read_only_results_folder_stops_the_workflow_at_start_with_one_line(tmp_path):
    """A results folder with writable files in a folder that refuses writing: Snakemake would fail
    deleting them with a PermissionError traceback; the workflow stops before any job instead."""
    (tmp_path / "work").mkdir()
    work = _copy_of_the_workflow(tmp_path / "work")
    results = work / SMOKE["results_dir"]
    results.mkdir(parents=True)
    (results / "table1.csv").write_text("model,fashion\n")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": f"{hooks}{os.pathsep}{work}", "GLF_TEST_READ_ONLY": str(results)}
    target = str(Path(SMOKE["results_dir"]) / "table1.csv")
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--configfile=workflow/config/smoke.yaml",
                             "--forcerun", target, target], cwd=work, env=env, capture_output=True, text=True,
                            timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"cannot write in {SMOKE['results_dir']}: permission denied" in output
    assert "Traceback" not in output and "PermissionError" not in output
    assert (results / "table1.csv").read_text() == "model,fashion\n"
    assert not (work / paths.job_log(SMOKE, "table1")).exists()
