"""The appendix "Reproducing every number" (reproducing.md) shows the table that
scripts/reproducing_table.py writes from data/pretrained/manifest.json: it must match the manifest."""

import importlib.util
import json
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("reproducing_table", ROOT / "scripts" / "reproducing_table.py")
reproducing_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reproducing_table)


def test_book_reproducing_table_matches_the_manifest():
    entries = json.loads(reproducing_table.MANIFEST.read_text())
    assert reproducing_table.OUTPUT.read_text() == reproducing_table.render(entries), (
        "data/reproducing-table.md is out of date: run python scripts/reproducing_table.py")
    assert reproducing_table.main(["--check"]) == 0


def test_book_reproducing_table_lists_every_shipped_model_with_its_command():
    entries = json.loads(reproducing_table.MANIFEST.read_text())
    table = reproducing_table.OUTPUT.read_text()
    for key in entries:
        record = reproducing_table.run_record(key, entries)
        assert f"| {key} | {record['seed']} | {record['budget']} |" in table
        assert f"| {record['budget']} | {int(entries[key]['sequences']):,} |" in table
        unwrapped = table.replace(" \\\n    ", " ")
        assert shlex.join(shlex.split(record["command"])) in unwrapped, key


def test_book_reproducing_table_check_fails_on_drift(tmp_path, monkeypatch):
    stale = tmp_path / "table.md"
    stale.write_text("| an old table |\n")
    monkeypatch.setattr(reproducing_table, "OUTPUT", stale)
    assert reproducing_table.main(["--check"]) == 1


def test_book_reproducing_page_includes_the_table():
    page = (ROOT / "reproducing.md").read_text()
    assert "data/reproducing-table.md" in page
