"""One table, four renderings: numeric CSV, LaTeX (booktabs), Markdown and HTML.

A :class:`Table` is a display frame of strings (first column: the row names), a caption, a label,
an optional boolean mask of the cells to set in bold and the row positions preceded by a rule.
The CSV holds the numbers behind the table (``data``) so that pandas reads them as numbers.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.atomic import atomic_write_text
from benchmark.paths import TABLE_FORMATS
from benchmark.provenance import PIPELINE_CHECK_NOTE

_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                   "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_SYMBOLS = {"±": r"$\pm$", "->": r"$\rightarrow$", "β": r"$\beta$", "×": r"$\times$", "³": r"\textsuperscript{3}"}
PLACEHOLDERS = ("", "--", "not run", "diverged", "not comparable", "not transcribed")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")  # what opens a tag, comment or entity
_NUMBER = re.compile(r"^\(?[-+]?\d[\d.]*\)?(\s*[±+]\s*.*)?$")
COLUMN_PT, TEXT_PT = 229.0, 469.0  # \columnwidth and \textwidth of a two-column 10 pt article
_PT_PER_CHAR, _PT_PER_COLUMN = 4.8, 12.0  # Computer Modern at 10 pt, measured on these tables
# Font sizes tried in turn (the width of their text against 10 pt's, column padding, commands), then
# \scriptsize with half the padding (\tabcolsep 3 pt): the last resort of a table too wide for the
# page at \scriptsize.  The text widths were measured on table1_long: Computer Modern's smaller
# optical sizes are wider than their nominal 9/8/7 pt (\scriptsize sets text 0.8 as wide, not 0.7).
_SIZES = ((1.0, _PT_PER_COLUMN, ""), (0.93, _PT_PER_COLUMN, "\\small"),
          (0.86, _PT_PER_COLUMN, "\\footnotesize"), (0.8, _PT_PER_COLUMN, "\\scriptsize"),
          (0.8, _PT_PER_COLUMN / 2, "\\scriptsize\n\\setlength{\\tabcolsep}{3pt}"))
WRAP_CHARS, _EM_PER_CHAR = 20, 0.48  # a text column with longer cells wraps at this many characters


@dataclass
class Table:
    """A table to write: ``display`` (strings), ``caption`` (plain text, no "Table N:" prefix),
    ``label`` (LaTeX label without ``tab:``), ``data`` (numbers for the CSV; ``display`` if None),
    ``bold`` (same shape as ``display``; True where the cell is set in bold), ``rules_before``
    (row positions that start a new group), ``wide`` (True: ``table*`` spanning both columns of
    a two-column page; None: decided from the estimated width)."""

    display: pd.DataFrame
    caption: str
    label: str
    data: pd.DataFrame | None = None
    bold: pd.DataFrame | None = None
    rules_before: tuple[int, ...] = ()
    wide: bool | None = None


def decimals(values, minimum: int = 1, significant: int = 2, maximum: int = 6) -> int:
    """How many decimals show every finite nonzero value of ``values`` with at least
    ``significant`` significant digits (between ``minimum`` and ``maximum``): 1 for FIDs around
    20, 3 for FIDs around 0.04 (``0.040``, not ``0.0``)."""
    magnitudes = [abs(float(v)) for v in values if math.isfinite(float(v)) and float(v) != 0]
    if not magnitudes:
        return minimum
    return min(maximum, max(minimum, significant - 1 - math.floor(math.log10(min(magnitudes)))))


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped and ±, ->, β, × as math symbols."""
    escaped = "".join(_LATEX_SPECIALS.get(char, char) for char in str(text))
    for symbol, latex in _LATEX_SYMBOLS.items():
        escaped = escaped.replace(symbol, latex)
    return escaped


def _numeric_columns(display: pd.DataFrame) -> list[bool]:
    """Whether each column holds numbers (every cell a number or a placeholder like "not run")."""
    return [len(col) > 0 and all(_NUMBER.match(str(v)) or v in PLACEHOLDERS for v in col)
            for _, col in display.items()]


def _bold_mask(table: Table) -> pd.DataFrame:
    if table.bold is None:
        return pd.DataFrame(False, index=table.display.index, columns=table.display.columns)
    return table.bold.reindex_like(table.display).fillna(False).astype(bool)


def _longest_cells(display: pd.DataFrame) -> list[int]:
    """The longest cell (or header) of each column, in characters."""
    return [max([len(str(column))] + [len(str(v)) for v in values]) for column, values in display.items()]


def _long_text_columns(display: pd.DataFrame) -> list[bool]:
    """Whether each column is text with a cell over ``WRAP_CHARS`` characters: the columns that
    wrap (``p{}``) when the table fits the page no other way (a one-line warning of 150
    characters is wider than any page)."""
    return [not numeric and longest > WRAP_CHARS
            for numeric, longest in zip(_numeric_columns(display), _longest_cells(display))]


def estimated_width_pt(display: pd.DataFrame, wrapped: list[bool] | None = None, scale: float = 1.0,
                       column_pt: float = _PT_PER_COLUMN) -> float:
    """A generous estimate of the table's width in pt with its text at ``scale`` times 10 pt and
    ``column_pt`` of padding per column, which the font size does not scale (longest cell of each
    column; a column ``wrapped`` (one bool per column, none when None) at ``WRAP_CHARS``)."""
    wrapped = wrapped or [False] * display.shape[1]
    widths = [WRAP_CHARS if wrap else longest for wrap, longest in zip(wrapped, _longest_cells(display))]
    return sum(widths) * _PT_PER_CHAR * scale + len(widths) * column_pt


def _layout(display: pd.DataFrame, room_pt: float) -> tuple[list[bool], str]:
    """The columns to wrap (one bool per column) and the size commands of the first layout that
    fits ``room_pt``: each size of ``_SIZES`` on one line, then each with the long text columns
    wrapped; the smallest and wrapped when none does."""
    wrapped = _long_text_columns(display)
    for wrap in ([False] * display.shape[1], wrapped):
        for scale, padding, commands in _SIZES:
            if estimated_width_pt(display, wrap, scale, padding) <= room_pt:
                return wrap, commands
    return wrapped, _SIZES[-1][-1]


def to_latex(table: Table) -> str:
    """The table as a booktabs ``table`` (``table*`` when it is wider than a column) with
    \\centering, an escaped caption, ``\\label{tab:...}``, right-aligned number columns, the bold
    cells in bold, and a smaller font (at last with less padding and long text columns wrapped)
    when even the text width is too narrow for it (:func:`_layout`)."""
    display = table.display.reset_index(drop=True)
    bold = _bold_mask(table).reset_index(drop=True)
    wide = estimated_width_pt(display) > COLUMN_PT if table.wide is None else table.wide
    wrapped, size = _layout(display, TEXT_PT if wide else COLUMN_PT)
    wrap = f"p{{{WRAP_CHARS * _EM_PER_CHAR:g}em}}"
    align = "".join(wrap if wrapping else "r" if numeric else "l"
                    for numeric, wrapping in zip(_numeric_columns(display), wrapped))
    styler = display.style.set_uuid(table.label).hide(axis="index").format(latex_escape).format_index(latex_escape, axis=1)
    styler = styler.apply(lambda _: bold.replace({True: "bfseries: ;", False: ""}), axis=None)
    latex = styler.to_latex(column_format=align, hrules=True, position_float="centering",
                            caption=latex_escape(table.caption), label=f"tab:{table.label}",
                            environment="table*" if wide else "table")
    if size:
        latex = latex.replace("\\centering\n", f"\\centering\n{size}\n", 1)
    return _insert_group_rules(latex, table.rules_before)


def _insert_group_rules(latex: str, rules_before: tuple[int, ...]) -> str:
    """Insert ``\\midrule`` before the given data rows (0-based) of a booktabs tabular."""
    lines = latex.splitlines()
    first_row = lines.index(r"\midrule") + 1
    for row in sorted(rules_before, reverse=True):
        if row > 0:
            lines.insert(first_row + row, r"\midrule")
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    """A standalone HTML page with the table, its caption and the bold cells in bold."""
    display = table.display.reset_index(drop=True)
    bold = _bold_mask(table).reset_index(drop=True)
    numeric = dict(zip(display.columns, _numeric_columns(display)))
    styler = display.style.set_uuid(table.label).hide(axis="index").format(escape="html")
    styler = styler.set_caption(html.escape(table.caption))
    styler = styler.apply(lambda _: bold.replace({True: "font-weight: bold", False: ""}), axis=None)
    for column, is_number in numeric.items():
        styler = styler.set_properties(subset=[column], **{"text-align": "right" if is_number else "left"})
    for row in table.rules_before:
        styler = styler.set_properties(subset=pd.IndexSlice[row, :], **{"border-top": "1px solid black"})
    styler = styler.set_table_styles([
        {"selector": "", "props": "border-collapse: collapse; border-top: 2px solid black; "
                                  "border-bottom: 2px solid black; font-family: sans-serif;"},
        {"selector": "caption", "props": "caption-side: top; text-align: left; padding-bottom: 6px;"},
        {"selector": "th", "props": "border-bottom: 1px solid black; padding: 3px 10px;"},
        {"selector": "td", "props": "padding: 2px 10px;"},
    ])
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{table.label}</title></head>\n"
            f"<body>\n{styler.to_html()}\n</body></html>\n")


def markdown_text(text: str) -> str:
    """``text`` safe in Markdown: a ``<`` that would open an HTML tag or comment and a ``&`` that
    would start an entity are escaped, so no HTML passes (``<script>`` shows as text, never runs);
    a plain ``<`` (``KL 0.07 < 0.1``) stays as it is."""
    return _HTML_START.sub(lambda m: "&amp;" if m.group() == "&" else "&lt;", str(text))


def markdown_cell(text: str) -> str:
    """``text`` safe in one Markdown table cell: HTML escaped, ``|`` escaped (it would end the
    cell) and each line break a ``<br>`` (it would end the row)."""
    return re.sub(r"\r\n|\r|\n", "<br>", markdown_text(text).replace("|", "\\|"))


def markdown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as strings with every cell and column name made safe by :func:`markdown_cell`."""
    safe = frame.astype(str).map(markdown_cell)
    return safe.set_axis([markdown_cell(c) for c in frame.columns], axis=1)


def to_markdown(table: Table) -> str:
    """The caption, then the table as Markdown with the bold cells in ``**bold**``; cells and
    caption escaped (:func:`markdown_cell`, :func:`markdown_text`)."""
    safe = markdown_frame(table.display)
    display = safe.where(~_bold_mask(table).set_axis(safe.columns, axis=1), "**" + safe + "**")
    return f"{markdown_text(table.caption)}\n\n{display.to_markdown(index=False)}\n"


def integer_counts(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with its count columns (``n_*``) as integers (empty where unknown), not floats
    like ``2.0`` (a column with a NaN is float in pandas)."""
    counts = [c for c in data.columns if str(c).startswith("n_") and pd.api.types.is_float_dtype(data[c])
              and (data[c].dropna() % 1 == 0).all()]
    return data.astype({c: "Int64" for c in counts})


PIPELINE_CHECK_COLUMN = "pipeline_check"


def with_pipeline_check_mark(data: pd.DataFrame, marked: bool) -> pd.DataFrame:
    """``data`` with a last column ``pipeline_check`` reading "pipeline check, numbers meaningless"
    in every row when ``marked`` (a ``pipeline_check`` preset's CSV), else ``data`` itself."""
    return data.assign(**{PIPELINE_CHECK_COLUMN: PIPELINE_CHECK_NOTE}) if marked else data


def write_table(table: Table, stem: Path) -> list[Path]:
    """Write ``stem.csv`` (numbers, counts as integers; a ``pipeline_check`` column when the
    caption says it is a pipeline check), ``.tex``, ``.md`` and ``.html``; return the four paths."""
    outputs = [stem.with_suffix(f".{fmt}") for fmt in TABLE_FORMATS]
    data = with_pipeline_check_mark(integer_counts(table.display if table.data is None else table.data),
                                    PIPELINE_CHECK_NOTE in table.caption.lower())
    texts = (data.to_csv(index=False), to_latex(table), to_markdown(table), to_html(table))
    for path, text in zip(outputs, texts):
        atomic_write_text(path, text)
    return outputs
