"""A person's summary of a ``snakemake -n`` plan: jobs per rule, datasets and models, the time
estimate, warnings last (the full plan stays in its file)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from benchmark.workflow_start import PERF_CSV, measured_gpu_hours

_STATS_ROW = re.compile(r"^(\S+)\s+(\d+)$")


def job_counts(plan: str) -> dict[str, int]:
    """The ``Job stats`` table of a dry run's text: rule -> planned jobs (``total`` included); the
    last table wins (Snakemake prints it before and after the job list)."""
    counts: dict[str, int] = {}
    for block in plan.split("Job stats:")[1:]:
        counts = {}
        for line in block.splitlines()[3:]:
            match = _STATS_ROW.match(line.strip())
            if not match:
                break
            counts[match[1]] = int(match[2])
    return counts


def wildcard_values(plan: str, name: str) -> list[str]:
    """The values of wildcard ``name`` over the planned jobs, most frequent first."""
    values = Counter(m[1] for m in re.finditer(rf"\b{name}=([^,\s]+)", plan))
    return [value for value, _ in values.most_common()]


def summary(plan: str, plan_file: Path, perf_csv: Path = PERF_CSV) -> str:
    """The summary text: the planning lines (preset), jobs per rule, datasets, models, the estimate
    (GPU-hours from a committed GPU timing, else "no estimate"), then the plan's warnings."""
    counts = job_counts(plan)
    total = counts.pop("total", sum(counts.values()))
    lines = [line for line in plan.splitlines() if line.startswith("glf-bench:")]
    lines += [f"{total} jobs planned (full plan: {plan_file})"]
    lines += [f"  {rule:<24} {n}" for rule, n in sorted(counts.items(), key=lambda item: -item[1])]
    lines.append(f"datasets: {', '.join(wildcard_values(plan, 'dataset')) or 'none'}")
    lines.append(f"models: {', '.join(wildcard_values(plan, 'model')) or 'none'}")
    hours = measured_gpu_hours(perf_csv)
    lines.append(f"estimate: {hours}" if hours else f"estimate: no estimate (no GPU timing in {perf_csv})")
    warnings = [line for line in plan.splitlines() if line.startswith("warning:")]
    lines += [f"{len(warnings)} warning(s):", *warnings] if warnings else ["no warnings"]
    return "\n".join(lines)
