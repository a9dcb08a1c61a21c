"""``python -m benchmark.commands.check_outputs``: check the results as reviewers would use them.

Every ``.tex`` table must compile with pdflatex inside a minimal two-column article (booktabs only)
with no LaTeX error and no overfull box over 5 pt; every figure PDF must embed no Type 3 font;
every figure PNG must have its caption beside it (``.txt``); no bold Table 1 cell may be worse
than the per-pixel Gaussian row; every count column (``n_*``) of a CSV must hold integers; with
``--pipeline-check`` every caption must say "pipeline check, numbers meaningless"; the
``snakemake --report`` HTML must show every table's rows and caption, and a caption for every item.
Exits 1 and lists the problems when one check fails.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from benchmark.cli import reports_errors
from benchmark.errors import FileMismatchError
from benchmark.floors import FLOORS
from benchmark.provenance import PIPELINE_CHECK_NOTE

MAX_OVERFULL_PT = 5.0
ARTICLE = ("\\documentclass[twocolumn]{{article}}\n\\usepackage{{booktabs}}\n"
           "\\begin{{document}}\n{body}\n\\end{{document}}\n")
_OVERFULL = re.compile(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)")


def latex_problems(tex: Path) -> list[str]:
    """Compile ``tex`` in a minimal two-column article; return its LaTeX errors and its overfull
    boxes over ``MAX_OVERFULL_PT`` (an empty list when it is fine)."""
    if shutil.which("pdflatex") is None:
        raise FileNotFoundError("pdflatex is not installed: apt-get install texlive-latex-recommended")
    with tempfile.TemporaryDirectory() as work:
        document = Path(work) / "article.tex"
        document.write_text(ARTICLE.format(body=f"\\input{{{tex.resolve()}}}"))
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
                             cwd=work, capture_output=True, text=True)
        log = (Path(work) / "article.log").read_text(errors="replace")
    problems = [f"{tex}: {line}" for line in log.splitlines() if line.startswith("! ")]
    if run.returncode != 0 and not problems:
        problems.append(f"{tex}: pdflatex exited {run.returncode}")
    problems += [f"{tex}: overfull box of {pt} pt (more than {MAX_OVERFULL_PT} pt); make it fit the column "
                 f"or set it as table*" for pt in _OVERFULL.findall(log) if float(pt) > MAX_OVERFULL_PT]
    return problems


def type3_fonts(pdf: Path) -> bool:
    """Whether ``pdf`` embeds a Type 3 font (matplotlib writes its font dictionaries uncompressed)."""
    return b"/Subtype /Type3" in pdf.read_bytes()


class _TableText(HTMLParser):
    """Collects the caption and the cell texts of each row of an HTML table."""

    def __init__(self) -> None:
        super().__init__()
        self.caption, self.rows, self._cell, self._in = "", [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th", "caption"):
            self._in, self._cell = tag, ""

    def handle_endtag(self, tag):
        if tag == self._in == "caption":
            self.caption = self._cell.strip()
        elif tag == self._in:
            self.rows[-1].append(self._cell.strip())
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._cell += data


def table_text(html: str) -> tuple[str, list[list[str]]]:
    """The caption and the rows (lists of cell texts) of the first table in ``html``."""
    parser = _TableText()
    parser.feed(html)
    return parser.caption, [row for row in parser.rows if row]


def _report_items(report: Path) -> tuple[dict, str]:
    """The report's result items (path -> item) and its workflow description."""
    text = report.read_text(encoding="utf-8")
    results = re.search(r"^\s*var results = (\{.*\});\s*$", text, re.MULTILINE)
    description = re.search(r"^\s*var workflow_desc = (.*);\s*$", text, re.MULTILINE)
    if results is None or description is None:
        raise FileMismatchError(f"{report} is no snakemake report: make it with snakemake --report {report}")
    return json.loads(results.group(1)), json.loads(description.group(1))


def _decoded(item: dict) -> str:
    return base64.b64decode(item["data_uri"].split("base64,", 1)[1]).decode("utf-8", errors="replace")


def report_problems(report: Path, results_dir: Path) -> list[str]:
    """What the report lacks: a workflow description, a caption on each item, each table of
    ``results_dir`` (its HTML rendering) with its caption and every row."""
    items, description = _report_items(report)
    problems = [] if description.strip() else [f"{report}: no workflow description on the home page"]
    problems += [f"{report}: {path} has no caption" for path, item in items.items() if not item["caption"].strip()]
    shown = {Path(path).name: _decoded(item) for path, item in items.items() if path.endswith(".html")}
    for table in sorted(results_dir.glob("*.html")):
        caption, rows = table_text(table.read_text(encoding="utf-8"))
        if table.name not in shown:
            problems.append(f"{report}: table {table.name} is not in the report")
            continue
        shown_caption, shown_rows = table_text(shown[table.name])
        if shown_caption != caption:
            problems.append(f"{report}: table {table.name} is shown without its caption {caption!r}")
        problems += [f"{report}: table {table.name} lacks the row {row}" for row in rows if row not in shown_rows]
    return problems


def caption_problems(results_dir: Path) -> list[str]:
    """Every figure PNG of ``results_dir`` without its caption beside it (``<stem>.txt``)."""
    return [f"{png}: no caption beside it ({png.with_suffix('.txt').name})"
            for png in sorted(results_dir.glob("*.png")) if not png.with_suffix(".txt").is_file()]


def _first_number(cell: str) -> float | None:
    found = re.search(r"[-+]?\d+(?:\.\d+)?", cell)
    return float(found.group()) if found else None


def bold_problems(results_dir: Path) -> list[str]:
    """Every bold cell of ``table1.md`` whose FID is not below the per-pixel Gaussian row's."""
    table = results_dir / "table1.md"
    if not table.is_file():
        return []
    lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    header, body = rows[0], rows[2:]
    gaussian = next((row for row in body if row[0] == FLOORS["pixel_gaussian"]), None)
    if gaussian is None:
        return []
    problems = []
    for row in body:
        for column, cell, bar in zip(header[1:], row[1:], gaussian[1:]):
            value, limit = _first_number(cell), _first_number(bar)
            if cell.startswith("**") and value is not None and limit is not None and value >= limit:
                problems.append(f"{table}: {row[0]} on {column} is bold at {value}, not better than the "
                                f"{FLOORS['pixel_gaussian']} row ({limit})")
    return problems


def count_problems(results_dir: Path) -> list[str]:
    """Every count column (``n_*``) of a CSV in ``results_dir`` written with decimals (``2.0``)."""
    problems = []
    for csv in sorted(results_dir.glob("*.csv")):
        frame = pd.read_csv(csv, dtype=str)
        for column in (c for c in frame.columns if c.startswith("n_")):
            if frame[column].dropna().str.contains(r"\.").any():
                problems.append(f"{csv}: count column {column} holds decimals ({frame[column].dropna().iloc[0]})")
    return problems


def pipeline_check_problems(results_dir: Path) -> list[str]:
    """Every Markdown table or claims file and every figure caption (``.txt``) of ``results_dir``
    that does not say "pipeline check, numbers meaningless"."""
    captions = [(path, path.read_text(encoding="utf-8")) for pattern in ("*.md", "*.txt")
                for path in sorted(results_dir.glob(pattern))]
    return [f"{path}: its caption does not say {PIPELINE_CHECK_NOTE!r}" for path, caption in captions
            if PIPELINE_CHECK_NOTE not in caption.lower()]


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"), help="the preset's results_dir")
    parser.add_argument("--report", type=Path, help="the snakemake --report HTML to check")
    parser.add_argument("--pipeline-check", action="store_true",
                        help="the results are of a pipeline_check preset (smoke): every caption must say so")
    args = parser.parse_args(argv)
    problems = [p for tex in sorted(args.results.glob("*.tex")) for p in latex_problems(tex)]
    problems += [f"{pdf}: embeds a Type 3 font" for pdf in sorted(args.results.glob("*.pdf")) if type3_fonts(pdf)]
    problems += caption_problems(args.results) + bold_problems(args.results) + count_problems(args.results)
    if args.pipeline_check:
        problems += pipeline_check_problems(args.results)
    if args.report is not None:
        problems += report_problems(args.report, args.results)
    print(*problems, sep="\n", file=sys.stderr)
    checked = len(list(args.results.glob("*.tex"))), len(list(args.results.glob("*.pdf")))
    print(f"check_outputs: {checked[0]} tables, {checked[1]} figure PDFs"
          + (f", report {args.report}" if args.report else "") + f": {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
