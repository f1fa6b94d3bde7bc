#!/usr/bin/env python3
"""Keep the Colab badge and the Colab setup cell identical in every chapter.

Both are derived from ``repository.url`` / ``repository.branch`` in ``_config.yml``, the one place
the repository is named:

* the badge, a markdown cell right after the chapter's title cell, links to
  ``https://colab.research.google.com/github/<owner>/<repo>/blob/<branch>/chapters/<file>``;
* the setup cell, the chapter's first code cell (tagged ``remove-input``: hidden in the HTML),
  pip-installs ``ntm_lib`` from ``git+<url>@<branch>`` when it runs on Colab and does nothing
  anywhere else. It never upgrades: Colab's torch satisfies ``torch>=2.1`` and is kept.

Usage:
    python scripts/sync_chapters.py          # rewrite every chapters/*.ipynb that drifted
    python scripts/sync_chapters.py --check  # list drifted chapters, exit 1 if any (CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BADGE_ID = "colab-badge"
SETUP_ID = "colab-setup"
SETUP_TAGS = ["remove-input"]
BADGE_IMAGE = "../images/colab-badge.svg"  # vendored: the book must not fetch images offline

SETUP_TEMPLATE = '''\
# Colab setup (hidden in the book): on Google Colab, install ntm_lib and its pretrained
# checkpoints from the book's repository, keeping Colab's own torch. Elsewhere: nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "ntm_lib @ git+{url}@{branch}"],
        check=True,
    )'''


def repository(config_path: Path) -> tuple[str, str, str]:
    """(url, branch, path_to_book) from the book's _config.yml."""
    config = yaml.safe_load(config_path.read_text())
    repo = config.get("repository") or {}
    url = str(repo.get("url", "")).rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")]
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.netloc != "github.com" or len(parsed.path.strip("/").split("/")) != 2:
        raise SystemExit(f"{config_path}: repository.url must be https://github.com/<owner>/<repo>, got {url!r}")
    return url, str(repo.get("branch", "main")), str(repo.get("path_to_book", "") or "").strip("/")


def badge_source(url: str, branch: str, book_path: str, notebook: Path, folder: str = "chapters") -> str:
    """The badge of ``notebook``, which lives in ``folder`` of the book: every chapter in chapters/,
    its student edition (scripts/student_edition.py) in student/chapters/."""
    owner_repo = urlparse(url).path.strip("/")
    relative = f"{folder}/{notebook.name}"
    in_repo = f"{book_path}/{relative}" if book_path else relative
    link = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{in_repo}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({link})"


def setup_source(url: str, branch: str) -> str:
    return SETUP_TEMPLATE.format(url=url, branch=branch)


def _is_badge(cell) -> bool:
    return cell.cell_type == "markdown" and (
        cell.get("id") == BADGE_ID or "colab.research.google.com/github/" in cell.source
    )


def sync_notebook(nb, badge: str, setup: str) -> list[str]:
    """Bring ``nb`` in line (in place); return what had to change (empty: already in sync)."""
    changes = []
    cells = nb.cells

    # The badge: one markdown cell, right after the first (title) markdown cell.
    badges = [i for i, c in enumerate(cells) if _is_badge(c)]
    title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown" and not _is_badge(c)), -1)
    want_at = title + 1
    if badges != [want_at] or cells[want_at].source != badge or cells[want_at].get("id") != BADGE_ID:
        changes.append("badge")
        for i in reversed(badges):
            del cells[i]
        title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
        cell = nbformat.v4.new_markdown_cell(badge)
        cell["id"] = BADGE_ID
        cells.insert(title + 1, cell)

    # The setup cell: the first code cell.
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    setups = [i for i, c in enumerate(cells) if c.cell_type == "code" and c.get("id") == SETUP_ID]
    current = cells[first_code] if first_code is not None else None
    ok = (
        current is not None
        and setups == [first_code]
        and current.source == setup
        and current.metadata.get("tags", []) == SETUP_TAGS
        and not current.get("outputs")
    )
    if not ok:
        changes.append("setup cell")
        execution_count = None
        for i in reversed(setups):
            execution_count = cells[i].get("execution_count")
            del cells[i]
        cell = nbformat.v4.new_code_cell(setup, metadata={"tags": list(SETUP_TAGS)})
        cell["id"] = SETUP_ID
        cell["execution_count"] = execution_count
        first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
        # Never before the badge/title: the setup cell follows them.
        badge_at = next(i for i, c in enumerate(cells) if c.get("id") == BADGE_ID)
        cells.insert(max(first_code, badge_at + 1), cell)
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift and exit 1, change nothing")
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every chapters/*.ipynb")
    args = parser.parse_args(argv)

    url, branch, book_path = repository(args.config)
    setup = setup_source(url, branch)
    notebooks = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    if not notebooks:
        print("no chapters found", file=sys.stderr)
        return 1

    drifted = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        changes = sync_notebook(nb, badge_source(url, branch, book_path, path), setup)
        if not changes:
            continue
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        drifted.append(f"{shown}: {', '.join(changes)}")
        if not args.check:
            nbformat.validate(nb)
            nbformat.write(nb, path)

    if args.check:
        if drifted:
            print("Colab badge / setup cell out of sync with _config.yml "
                  "(fix: python scripts/sync_chapters.py):", file=sys.stderr)
            print("\n".join(f"  {d}" for d in drifted), file=sys.stderr)
            return 1
        print(f"{len(notebooks)} chapters in sync with {url}@{branch}")
        return 0
    for d in drifted:
        print(f"rewrote {d}")
    print(f"{len(notebooks)} chapters checked, {len(drifted)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
