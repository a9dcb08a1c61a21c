import subprocess
import sys

import pandas as pd
import pytest

from benchmark.commands.check_outputs import report_problems, table_text
from benchmark.table_format import Table, to_html

SNAKEFILE = '''
report: "workflow.rst"

rule table:
    input:
        "t1.html"
    output:
        report("results/t1.html", caption="t1.rst", category="Tables")
    shell:
        "cp {input} {output}"
'''


@pytest.mark.slow
def test_report_shows_every_table_with_its_rows_and_caption(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    (tmp_path / "workflow.rst").write_text("A workflow that writes one table.\n")
    (tmp_path / "t1.rst").write_text("Table 1 of the paper: FID.\n")
    frame = pd.DataFrame({"model": ["GLF (ours)", "VAE"], "fashion": ["21.0 ± 1.4", "diverged"]})
    (tmp_path / "t1.html").write_text(to_html(Table(frame, "FID & more, F_8", "t1")))
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "-d", str(tmp_path), "-s", str(tmp_path / "Snakefile")]
    subprocess.run(snakemake, check=True, capture_output=True)
    subprocess.run([*snakemake, "--report", str(tmp_path / "report.html")], check=True, capture_output=True)
    results = tmp_path / "results"
    assert report_problems(tmp_path / "report.html", results) == []
    caption, rows = table_text((results / "t1.html").read_text())
    assert caption == "FID & more, F_8" and ["GLF (ours)", "21.0 ± 1.4"] in rows

    frame = pd.DataFrame({"model": ["GLF (ours)", "RAE"], "fashion": ["21.0 ± 1.4", "30.0 ± 1.0"]})
    (results / "t1.html").write_text(to_html(Table(frame, "FID & more, F_8", "t1")))  # a row the report lacks
    (results / "t2.html").write_text(to_html(Table(frame, "not registered", "t2")))
    problems = report_problems(tmp_path / "report.html", results)
    assert any("t1.html lacks the row ['RAE', '30.0 ± 1.0']" in p for p in problems)
    assert any("t2.html is not in the report" in p for p in problems)
