r"""Check that a chapter reads on the page without sideways scrolling.

At 1280 px the book's text column holds about 88 columns of code. A reader sees the source of
every code cell not tagged ``remove-cell`` or ``remove-input`` (``hide-input`` cells fold, and a
reader who opens them sees them too), and the text outputs of every cell not tagged
``remove-cell`` or ``remove-output``. So:

- every line of a visible source is at most ``WIDTH`` columns;
- no visible source carries a tool comment (``# NBVAL_...``, ``# noqa``): cell tags do that;
- every line of a visible text output, and of a code block in a Markdown output (library
  source shown by ``ntm_lib.viz.show_source``), is at most ``WIDTH`` columns (tables go out as
  HTML by ``ntm_lib.tables.Table``);
- no output is a stray repr such as ``Text(0.5, 1.0, ...)`` or ``[<matplotlib.lines...>]``;
- no markdown uses a TeX macro that MathJax loads from an extension on demand (``\boldsymbol``,
  ``\color``, ``\cancel``, ...): the book ships MathJax without its extensions, so the page
  would fail to typeset offline.

    python scripts/chapter_style.py chapters/05_copy.ipynb ...   # no arguments: every chapter

prints one line per problem (chapter, cell index, what) and exits 1 if there is any.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

WIDTH = 88
ROOT = Path(__file__).resolve().parents[1]
TOOL_COMMENT = re.compile(r"#\s*(NBVAL_\w+|noqa)")
AUTOLOADED_TEX = re.compile(r"\\(boldsymbol|color|textcolor|colorbox|cancel|bcancel|xcancel|bbox|"
                            r"enclose|unicode|cssId|mathtip|braket|ce|pu)\b")
STRAY_REPR = re.compile(r"^(\[?<matplotlib\.|Text\(|<Figure size|\(<Figure size)")


def _text_outputs(cell) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append(output.get("text", ""))
        elif "text/markdown" in output.get("data", {}):  # e.g. viz.show_source: code blocks
            markdown = output["data"]["text/markdown"]
            markdown = "".join(markdown) if isinstance(markdown, list) else markdown
            texts.extend(re.findall(r"```\w*\n(.*?)```", markdown, flags=re.S))
        elif "text/plain" in output.get("data", {}) and "text/html" not in output["data"] \
                and "image/png" not in output["data"]:
            texts.append(output["data"]["text/plain"])
    return ["".join(t) if isinstance(t, list) else t for t in texts]


def problems(path: Path) -> list[str]:
    """Every line that breaks the rules above, as 'chapter cell N: what'."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for macro in sorted(set(AUTOLOADED_TEX.findall(cell.source))):
                found.append(f"{path.name} cell {index}: \\{macro} needs a MathJax extension the book "
                             "does not ship")
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        where = f"{path.name} cell {index}"
        if not tags & {"remove-cell", "remove-input"}:
            for number, line in enumerate(cell.source.splitlines(), 1):
                if len(line) > WIDTH:
                    found.append(f"{where}: source line {number} has {len(line)} columns")
                if TOOL_COMMENT.search(line):
                    found.append(f"{where}: source line {number} has a tool comment: {line.strip()}")
        if not tags & {"remove-cell", "remove-output"}:
            for text in _text_outputs(cell):
                for line in text.splitlines():
                    if len(line) > WIDTH and "\r" not in line:
                        found.append(f"{where}: output line has {len(line)} columns: {line[:40]}...")
                        break
                if STRAY_REPR.match(text.strip()):
                    found.append(f"{where}: stray output {text.strip()[:40]!r}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    found = [p for path in paths for p in problems(path)]
    print("\n".join(found) if found else f"{len(paths)} chapter(s): no problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
