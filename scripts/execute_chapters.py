"""Execute chapters in place, from a fresh kernel each, the way their committed outputs are made.

    python scripts/execute_chapters.py chapters/06_repeat_copy.ipynb [more.ipynb ...]
    python scripts/execute_chapters.py --all

Uses one torch thread (as scripts/test.sh does) and stops at the first failing cell, leaving the
notebook unchanged. The committed outputs must be the same on every CPU (scripts/test.sh checks
them with two sets of CPU kernels), so print rounded numbers and tag the output of a cell whose
numbers depend on a training trajectory ``nbval-ignore-output``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:  # no execution timestamps: a re-run changes only what it printed
        cell.metadata.pop("execution", None)
    path.write_text(nbformat.writes(nb) + "\n")
    return time.time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every chapters/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "chapters").glob("*.ipynb")) if args.all else args.notebooks
    if not paths:
        parser.error("name the notebooks to execute, or --all")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    for path in paths:
        try:
            seconds = execute(path, args.timeout)
        except CellExecutionError as error:
            print(f"{path}: a cell failed; the notebook is unchanged\n{error}", file=sys.stderr)
            return 1
        print(f"{path}: executed in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
