"""Every chapter carries the same Colab badge and setup cell, derived from _config.yml."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "sync_chapters.py"


def load_sync():
    spec = importlib.util.spec_from_file_location("sync_chapters", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_chapters_are_in_sync():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_setup_cell_installs_from_the_configured_repository_and_keeps_torch():
    sync = load_sync()
    url, branch, _ = sync.repository(ROOT / "_config.yml")
    source = sync.setup_source(url, branch)
    assert url.startswith("https://github.com/")
    assert f"git+{url}@{branch}" in source
    assert '"google.colab" in sys.modules' in source
    for forbidden in ("--upgrade", "-U", "--force-reinstall", "--no-deps", "--ignore-installed"):
        assert f'"{forbidden}"' not in source
    install_line = next(line for line in source.splitlines() if '"install"' in line)
    assert "torch" not in install_line  # torch comes only through ntm_lib's loose torch>=2.1
    compile(source, "<setup cell>", "exec")  # plain Python: no shell magics


def test_setup_cell_does_nothing_off_colab(tmp_path, monkeypatch):
    sync = load_sync()
    source = sync.setup_source("https://github.com/a/b", "main")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<setup cell>", "exec"), {})
    assert calls == []


def test_drift_is_detected_and_repaired(tmp_path):
    sync = load_sync()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 9. A chapter"),
        nbformat.v4.new_markdown_cell("[![Open In Colab](x.svg)](https://colab.research.google.com/github/old/repo/blob/main/chapters/x.ipynb)"),
        nbformat.v4.new_code_cell("print('hello')"),
    ]
    path = tmp_path / "09_chapter.ipynb"
    nbformat.write(nb, path)

    check = [sys.executable, str(SCRIPT), "--check", str(path)]
    result = subprocess.run(check, capture_output=True, text=True)
    assert result.returncode == 1
    assert "09_chapter.ipynb: badge, setup cell" in result.stderr

    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    assert subprocess.run(check, capture_output=True).returncode == 0

    fixed = nbformat.read(path, as_version=4)
    assert [c.get("id") for c in fixed.cells[1:3]] == [sync.BADGE_ID, sync.SETUP_ID]
    assert "ntm-course/neural-turing-machines/blob/main/chapters/09_chapter.ipynb" in fixed.cells[1].source
    assert fixed.cells[2].metadata["tags"] == ["remove-input"]
    assert fixed.cells[3].source == "print('hello')"  # the chapter's own code is untouched
    assert len(fixed.cells) == 4

    # Running again changes nothing (idempotent).
    before = path.read_text()
    subprocess.run([sys.executable, str(SCRIPT), str(path)], check=True, capture_output=True)
    assert path.read_text() == before
