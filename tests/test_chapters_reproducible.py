"""The committed chapters hold nothing that differs from one CPU to another (scripts/test.sh
executes them with two sets of kernels; these checks catch the usual causes before that):

- a cell that trains a model (calls ``train(``) has its output ignored by nbval: training turns a
  7th-digit kernel difference into another model;
- no compared output prints a raw float (7 or more digits after the point);
- no hidden check compares a float more tightly than CPU kernels agree (``rel_tol=1e-6``).
"""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
RAW_FLOAT = re.compile(r"\d\.\d{7,}")
TIGHT = re.compile(r"rel_tol\s*=\s*1e-(?:[5-9]|1\d)")


def code_cells(path):
    return [(i, c) for i, c in enumerate(nbformat.read(path, as_version=4).cells) if c.cell_type == "code"]


def ignored(cell) -> bool:
    return "nbval-ignore-output" in cell.metadata.get("tags", []) or "nbval-skip" in cell.metadata.get("tags", [])


def printed(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_cells_that_train_have_their_output_ignored(path):
    hidden = {"remove-cell"}
    offenders = [i for i, c in code_cells(path)
                 if re.search(r"\btrain\(", c.source) and not ignored(c) and not hidden & set(c.metadata.get("tags", []))]
    assert not offenders, f"{path.name}: cells {offenders} train but are not tagged nbval-ignore-output"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_compared_outputs_print_no_raw_floats(path):
    offenders = {i: RAW_FLOAT.findall(printed(c))[:3] for i, c in code_cells(path) if not ignored(c)}
    offenders = {i: found for i, found in offenders.items() if found}
    assert not offenders, f"{path.name}: raw floats in outputs (round them, e.g. evaluation.rounded): {offenders}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_hidden_checks_allow_for_cpu_kernels(path):
    offenders = [i for i, c in code_cells(path) if TIGHT.search(c.source)]
    assert not offenders, f"{path.name}: cells {offenders} compare with rel_tol below evaluation.KERNEL_RTOL"
