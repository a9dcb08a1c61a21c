"""The local profile runs at most gpus x resources.gpu_slots GPU jobs at once (workflow/rules/gpu_slots.smk).

A toy Snakefile includes the workflow's gpu_slots.smk and runs four 1-second GPU jobs through
the local profile; each job writes its start and end times, and the test counts the most jobs
that ran at the same time.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmark.config import SCHEMA_PATH

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SLOTS = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]["resources"]["properties"]["gpu_slots"]["default"]
TOY = f'''
include: "{ROOT}/workflow/rules/gpu_slots.smk"
rule all:
    input: expand("out/{{i}}.txt", i=range(4))
rule job:
    output: "out/{{i}}.txt"
    resources: gpu_slots=1
    shell: "date +%s.%N > {{output}}; sleep 1; date +%s.%N >> {{output}}"
'''


def most_jobs_at_once(tmp_path: Path, slots: int | None, *args: str) -> int:
    """Run the toy workflow with the local profile, a preset with ``resources.gpu_slots: slots``
    (none: the schema's default, which the workflow's validation fills in) and ``args``; return the largest number of jobs whose
    [start, end] intervals overlap."""
    (tmp_path / "Snakefile").write_text(TOY)
    (tmp_path / "preset.yaml").write_text(f"resources: {{gpu_slots: {DEFAULT_SLOTS if slots is None else slots}}}\n")
    args = ("--configfile", "preset.yaml", *args)
    subprocess.run([sys.executable, "-m", "snakemake", "--profile", str(ROOT / "workflow/profiles/local"),
                    "--cores", "4", "--quiet", *args], cwd=tmp_path, check=True, capture_output=True)
    spans = [[float(t) for t in p.read_text().split()] for p in (tmp_path / "out").glob("*.txt")]
    return max(sum(start <= t < end for start, end in spans) for t, _ in spans)


@pytest.mark.slow
@pytest.mark.parametrize("slots, args, expected", [
    (None, (), 1),                             # default: one job per GPU
    (2, (), 2),                                # the preset's gpu_slots
    (2, ("--resources", "gpus=2"), 4),         # 2 GPUs x 2 slots
    (2, ("--resources", "gpu_slots=3"), 3),    # gpu_slots given directly
])
def test_gpu_jobs_share_a_gpu_up_to_the_presets_slots(tmp_path, slots, args, expected):
    assert most_jobs_at_once(tmp_path, slots, *args) == expected
