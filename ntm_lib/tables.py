"""Tables that read well wherever a chapter is read.

A ``Table`` is a header and rows of cells. In a notebook or the HTML book it shows as an HTML
table (``_repr_html_``), so a reader never scrolls sideways through padded text; in a terminal,
a test log or ``print`` it is fixed-width text (``__str__``). Numbers are shown by
``format_number`` (at most 4 significant digits, at most 3 decimals), so the committed output of
a chapter does not depend on the CPU's float kernels.

    >>> Table(["length", "NTM"], [[10, 0.0], [20, 1.23456]])
    length    NTM
        10  0.000
        20  1.235
    >>> Table(["length", "NTM"], [[10, 0.0]]).to_markdown().splitlines()[1]
    '|---:|---:|'
"""
from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from typing import Any


def format_number(value: float, significant: int = 4, max_decimals: int = 3) -> str:
    """``value`` in fixed-point notation with at most ``significant`` significant digits and at
    most ``max_decimals`` decimals: 17.02268 -> "17.02", 0.0978884 -> "0.098", 2067.57 -> "2068".
    Digits beyond these are float noise that differs from one CPU to the next."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:.{max_decimals}f}" if value == 0 else str(value)
    decimals = significant - 1 - math.floor(math.log10(abs(value)))
    return f"{value:.{min(max(decimals, 0), max_decimals)}f}"


def format_cell(value: Any, significant: int = 4) -> str:
    """A cell as text: integers as they are, other numbers by ``format_number`` (with
    ``significant`` digits at most), anything else by ``str``."""
    if isinstance(value, float):
        text = format_number(value, significant)
        # A value that rounds to zero prints without its sign: -0.000 and 0.000 differ only by
        # float noise, which may flip from one CPU to the next.
        return text.lstrip("-") if text.lstrip("-").strip("0.") == "" else text
    return str(value)


class Table:
    """A table to display: ``header`` (column names) and ``rows`` (lists of cells, one per
    column). Numbers are right-aligned, text left-aligned. ``caption`` is shown above it.
    ``significant``: the most significant digits a number shows (4; 3 for a quantity whose
    fourth digit is float noise that differs between CPUs)."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "",
                 significant: int = 4):
        self.header = [str(h) for h in header]
        self.rows = [list(r) for r in rows]
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(f"row {i} has {len(row)} cells, expected {len(self.header)} "
                                 f"(one per column of {self.header})")
        self.caption = caption
        self.significant = significant

    def _numeric(self, column: int) -> bool:
        return all(isinstance(r[column], (int, float)) and not isinstance(r[column], bool)
                   for r in self.rows) and bool(self.rows)

    def __str__(self) -> str:
        cells = [self.header] + [[format_cell(c, self.significant) for c in r] for r in self.rows]
        widths = [max(len(row[j]) for row in cells) for j in range(len(self.header))]
        lines = [self.caption] if self.caption else []
        for row in cells:
            parts = [row[j].rjust(widths[j]) if self._numeric(j) else
                     row[j].ljust(widths[j]) for j in range(len(row))]
            lines.append("  ".join(parts).rstrip())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def cell(tag: str, text: str, j: int) -> str:
            align = "right" if self._numeric(j) else "left"
            return f'<{tag} style="text-align: {align}">{html.escape(text)}</{tag}>'
        head = "".join(cell("th", h, j) for j, h in enumerate(self.header))
        body = "".join("<tr>" + "".join(cell("td", format_cell(c, self.significant), j)
                                        for j, c in enumerate(r))
                       + "</tr>" for r in self.rows)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (f'<table class="ntm-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def to_markdown(self) -> str:
        """The table as Markdown (for notes and appendices)."""
        lines = ["| " + " | ".join(self.header) + " |",
                 "|" + "|".join("---:" if self._numeric(j) else "---"
                                for j in range(len(self.header))) + "|"]
        lines += ["| " + " | ".join(format_cell(c, self.significant) for c in r) + " |" for r in self.rows]
        return "\n".join(lines)


def wrap_repr(value: Any, width: int = 88, indent: int = 4) -> str:
    """``repr(value)`` (e.g. a config dataclass) broken at spaces into lines of at most ``width``
    columns, the later ones indented by ``indent``, for a chapter to print.

    >>> print(wrap_repr(dict(a=1, b=2, c=3), width=12))
    {'a': 1,
        'b': 2,
        'c': 3}
    """
    return textwrap.fill(repr(value), width, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)
