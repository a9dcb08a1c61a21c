"""The summary of a dry run (benchmark/dry_run.py, make paper-dryrun)."""
import subprocess
import sys
from pathlib import Path

from benchmark.dry_run import job_counts, summary

REPO = Path(__file__).resolve().parent.parent


def test_the_summary_of_the_paper_plan_counts_jobs_and_puts_warnings_last(tmp_path):
    plan_file = tmp_path / "plan.txt"
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "results/table1.csv"], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    plan_file.write_text(result.stdout + result.stderr)
    perf = tmp_path / "perf.csv"
    perf.write_text("device,paper_preset_hours_estimate\ncpu (2 threads),1453.7\n")
    text = summary(plan_file.read_text(), plan_file, perf)
    lines = text.splitlines()
    counts = job_counts(plan_file.read_text())
    assert lines[0].startswith("glf-bench: preset paper, results in results/")
    assert lines[1] == f"{counts['total']} jobs planned (full plan: {plan_file})"
    assert counts["train"] == 9 * 4 * 3 and f"  {'train':<24} 108" in lines
    datasets = next(line for line in lines if line.startswith("datasets: "))
    assert sorted(datasets.removeprefix("datasets: ").split(", ")) == ["celeba", "cifar10", "fashion", "mnist"]
    assert "glf_perceptual" in next(line for line in lines if line.startswith("models: "))
    assert f"estimate: no estimate (no GPU timing in {perf})" in lines
    warnings = [i for i, line in enumerate(lines) if line.startswith("warning:")]
    planned = [line for line in plan_file.read_text().splitlines() if line.startswith("warning:")]
    assert [lines[i] for i in warnings] == planned  # every warning of the plan, in the summary
    if warnings:  # data or weights missing here: the warnings close the summary
        assert warnings == list(range(len(lines) - len(warnings), len(lines)))
        assert lines[warnings[0] - 1] == f"{len(warnings)} warning(s):"
    else:
        assert lines[-1] == "no warnings"
    assert len(lines) < 60  # a page, not the 10,000-line plan
