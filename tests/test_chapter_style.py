"""Every chapter reads at 1280 px without sideways scrolling (scripts/chapter_style.py): visible
code and text outputs within 88 columns, no tool comments, no stray reprs."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("chapter_style", ROOT / "scripts" / "chapter_style.py")
chapter_style = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chapter_style)

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_fits_the_page(path):
    assert chapter_style.problems(path) == []


def test_the_checker_finds_what_it_should(tmp_path):
    import nbformat

    cell = nbformat.v4.new_code_cell("x = 1  # noqa\n" + "y = " + "1 + " * 30 + "1")
    cell.outputs = [nbformat.v4.new_output("stream", text="z" * 100 + "\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "Text(0.5, 1.0, 't')"}),
                    nbformat.v4.new_output("display_data", data={  # shown library source, too wide
                        "text/markdown": "```python\ndef f():\n    return " + "1 + " * 25 + "1\n```",
                        "text/plain": "<IPython.core.display.Markdown object>"})]
    hidden = nbformat.v4.new_code_cell("w = " + "2 * " * 40 + "2", metadata={"tags": ["remove-cell"]})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell, hidden]), path)
    found = chapter_style.problems(path)
    assert len(found) == 5 and all("cell 0" in f for f in found)
    assert any("tool comment" in f for f in found) and any("stray output" in f for f in found)
