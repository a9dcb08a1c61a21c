"""The results README is written from the folder's files: the committed validation-cpu-long folder
(real runs) read back, its runs' commits counted from runs.csv, its FID-curve means those of the
curve table, no per-run sentence without runs.csv, and a pipeline-check preset marked as such."""
import shutil
from pathlib import Path

import pandas as pd

from benchmark.config import load_config
from benchmark.results_readme import results_readme, run_commit_line

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO / "results" / "validation-cpu-long"
CONFIG = load_config(REPO / "workflow" / "config" / "validation-cpu-long.yaml")
PAPER = load_config(REPO / "workflow" / "config" / "paper.yaml")


def test_the_run_commits_are_counted_from_runs_csv():
    runs = pd.DataFrame({"trained_commit": ["a" * 40 + "-dirty", "a" * 40 + "-dirty", "b" * 40],
                         "evaluated_commit": ["c" * 40] * 3})
    assert run_commit_line(runs) == (f"Its runs (runs.csv): trained at {'a' * 12} (dirty, 2 of 3 runs), {'b' * 12} "
                                     f"(1 of 3 runs); evaluated at {'c' * 12} (3 of 3 runs). A dirty commit had "
                                     "uncommitted changes.")


def test_the_committed_folder_reads_back_with_its_curve_and_its_runs(tmp_path):
    text = results_readme(CONFIG, PAPER, FOLDER)
    runs = pd.read_csv(FOLDER / "runs.csv")
    assert f"{len(runs)} of {len(runs)} runs)" in text
    curve = pd.read_csv(FOLDER / "fid_curve_table.csv")
    glf10 = curve[(curve["model"] == "glf") & (curve["epoch"] == 10)].iloc[0]
    assert f"| GLF | validation-cpu-long | 10 | 3 | {glf10['eval_mean']:.1f} ± {glf10['eval_std']:.1f} |" in text
    shutil.copytree(FOLDER, tmp_path / "folder")
    (tmp_path / "folder" / "runs.csv").unlink()
    without = results_readme(CONFIG, PAPER, tmp_path / "folder")
    assert "Its runs (runs.csv)" not in without and "Per-run values are not available" in without


def test_an_older_sensitivity_table_is_not_read_as_a_reordering_verdict():
    text = results_readme(load_config(REPO / "workflow" / "config" / "validation-cpu.yaml"), PAPER,
                          REPO / "results" / "validation-cpu")
    assert "an older table whose verdict says only whether a change exceeds the claim's gap" in text
    assert "whether it reorders a claim's two rows" in results_readme(CONFIG, PAPER, FOLDER)


def test_a_partial_table1_and_the_figures_are_named():
    figures = REPO / "results" / "validation-figures"
    text = results_readme(load_config(REPO / "workflow" / "config" / "validation-figures.yaml"), PAPER, figures)
    assert "- figure3.png (its caption: figure3.txt" in text and "- figure4.png" in text
    assert f"Table 1 here holds 2 of the paper preset's {len(PAPER['table1']['models'])} rows" in text
    assert "- figure3.png" not in results_readme(CONFIG, PAPER, FOLDER)


def test_a_pipeline_check_folder_says_its_numbers_are_meaningless():
    checked = dict(CONFIG, pipeline_check=True)
    assert "**Pipeline check, numbers meaningless**" in results_readme(checked, PAPER, FOLDER)
    assert "numbers meaningless" not in results_readme(CONFIG, PAPER, FOLDER)
