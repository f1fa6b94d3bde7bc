"""The instructor and student editions: the exercises' nbgrader format, the check that reports an
exercise as not done, the search for solution text, and nbgrader's round trip on a small assignment.

The full pipeline (nbgrader on every chapter, the student notebooks run with their stubs open, the
student book built and searched) is a stage of scripts/test.sh; these tests are the fast part.
"""

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from ntm_lib import exercises

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def load_edition():
    spec = importlib.util.spec_from_file_location("student_edition", ROOT / "scripts" / "student_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


# --- ntm_lib.exercises.check ---------------------------------------------------------------------


def test_check_reports_a_stub_as_not_done_and_goes_on():
    out = io.StringIO()
    with redirect_stdout(out):
        with exercises.check("Circular shift"):
            raise NotImplementedError()
        after = "the notebook runs on"
    assert out.getvalue() == ("Circular shift: not done yet\n"
                              "  (fill in the function above, then run this cell again)\n")
    assert after


def test_check_reports_passing_tests_and_lets_a_wrong_answer_fail():
    out = io.StringIO()
    with redirect_stdout(out):
        with exercises.check("Sharpening"):
            assert 1 + 1 == 2
    assert out.getvalue() == "Sharpening: the visible tests pass\n"
    with pytest.raises(AssertionError), redirect_stdout(io.StringIO()):
        with exercises.check("Sharpening"):
            assert 1 + 1 == 3


# --- the format of the chapters' exercises -------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_exercises_are_in_nbgrader_format(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    code_exercises = 0
    labels = re.findall(r":::\{exercise\}[^\n]*\n:label: (\S+)", "\n".join(c.source for c in cells
                                                                          if c.cell_type == "markdown"))
    assert len(labels) == sum(c.source.count(":::{exercise}") for c in cells if c.cell_type == "markdown"), \
        "every {exercise} has a :label:"
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if ":::{solution}" in cell.source:  # a written exercise: an nbgrader answer cell
            assert cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"), cell.id
            assert meta.get("points", 0) > 0 and meta.get("schema_version") == 3, cell.id
            inside = re.search(r"<!-- BEGIN SOLUTION -->\n(.*)\n<!-- END SOLUTION -->", cell.source, re.S)
            assert inside and ":::{solution}" in inside.group(1), f"{cell.id}: the solution is not in a solution region"
            assert ":::{solution}" not in cell.source.replace(inside.group(0), ""), cell.id
        if cell.cell_type == "code" and meta.get("solution"):  # a code exercise: solution, then check
            code_exercises += 1
            assert not meta.get("grade") and cell.metadata.get("tags") == ["hide-input"], cell.id
            assert re.search(r"^def \w+\(.*\n(.*\n)*    ### BEGIN SOLUTION\n(.*\n)+    ### END SOLUTION$",
                             cell.source, re.M), f"{cell.id}: a function whose body is the solution region"
            assert cells[i - 1].cell_type == "markdown" and f":label: {meta['grade_id']}" in cells[i - 1].source, \
                f"{cell.id}: the {{exercise}} cell before it has the label {meta['grade_id']}"
            check = cells[i + 1]
            check_meta = nbgrader_meta(check)
            assert check.cell_type == "code" and check_meta.get("grade") and not check_meta.get("solution"), cell.id
            assert check_meta.get("locked") and check_meta.get("points", 0) > 0, check.id
            assert check_meta["grade_id"] == f"{meta['grade_id']}-check", check.id
            assert "with exercises.check(" in check.source, check.id
            visible, _, rest = check.source.partition("### BEGIN HIDDEN TESTS\n")
            assert rest.endswith("### END HIDDEN TESTS") and rest.count("\n") >= 2, f"{check.id}: hidden tests"
            title = re.search(r'exercises\.check\("([^"]+)"\)', visible).group(1)
            assert [o.get("text") for o in check.outputs] == [f"{title}: {exercises.PASSED}\n"], \
                f"{check.id}: the committed output is the visible tests passing"
        if "remove-cell" in cell.metadata.get("tags", []):
            assert not meta, f"{cell.id}: a hidden cell is dropped from the student edition, not graded"
    assert code_exercises >= 2, f"{path.name}: at least two code exercises"


def test_grade_ids_are_unique_across_the_book():
    ids = [nbgrader_meta(c)["grade_id"] for p in CHAPTERS for c in nbformat.read(p, as_version=4).cells
           if nbgrader_meta(c)]
    assert len(ids) == len(set(ids))


def test_exercises_are_referred_to_by_label_not_by_local_number():
    # The book numbers exercises across all chapters: "Exercise 4" in a chapter is another chapter's.
    local = re.compile(r"\b[Ee]xercises? \d|\b(first|second|third|last|next) exercise\b|\ban exercise below\b")
    for path in CHAPTERS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert not local.search(cell.source), f"{path.name} {cell.id}: {local.search(cell.source).group(0)!r}"
            for label in re.findall(r"\{(?:numref|ref)\}`(?:[^`<]*<)?([\w-]+)>?`", cell.source):
                assert any(f":label: {label}\n" in c.source for p in CHAPTERS
                           for c in nbformat.read(p, as_version=4).cells), label


def test_the_page_for_instructors_lists_every_code_exercise():
    page = (ROOT / "instructors.md").read_text()
    for path in CHAPTERS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
                assert f"{{numref}}`{nbgrader_meta(cell)['grade_id']}`" in page, nbgrader_meta(cell)["grade_id"]
    toc = (ROOT / "_toc.yml").read_text()
    assert "file: instructors" in toc


def test_the_page_for_instructors_counts_each_chapters_written_exercises():
    """Its table: every row has the header's cells, and the last one is the number of written
    exercises (markdown cells with a solution) the chapter has."""
    lines = [line for line in (ROOT / "instructors.md").read_text().splitlines() if line.startswith("| ")]
    (header,) = [line for line in lines if line.startswith("| chapter |")]
    assert header.strip("| ").endswith("written exercises")
    for path in CHAPTERS:
        (row,) = [line for line in lines if f"(chapters/{path.stem})" in line]
        assert row.count("|") == header.count("|"), row[:60]
        written = sum(1 for cell in nbformat.read(path, as_version=4).cells
                      if cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution"))
        assert row.rsplit("|", 2)[-2].strip() == str(written), path.name


# --- the search for solution text ----------------------------------------------------------------


def test_every_solution_has_words_of_its_own_to_search_for():
    edition = load_edition()
    wanted, unsearchable = edition.secret_shingles()
    assert wanted and unsearchable == []


def test_the_committed_student_notebooks_hold_no_solution_text_and_the_search_finds_it_elsewhere():
    edition = load_edition()
    wanted, _ = edition.secret_shingles()
    assert edition.search([ROOT / "student"], wanted) == []
    # Control: the same search finds solutions in every instructor notebook.
    found = {Path(name).name for name, _, _ in edition.search(CHAPTERS, wanted)}
    assert found == {p.name for p in CHAPTERS}


def test_the_search_sees_through_html_notebooks_and_zips(tmp_path):
    edition = load_edition()
    secret = "    powered = w ** gamma[:, None]\n    return powered / powered.sum(-1, keepdim=True)"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"def f(w, gamma):\n    ### BEGIN SOLUTION\n{secret}\n    ### END SOLUTION")
    cell.metadata["nbgrader"] = {"solution": True, "grade": False}
    nb.cells = [cell, nbformat.v4.new_markdown_cell("Some public text about sharpening a weighting.")]
    chapter = tmp_path / "chapter.ipynb"
    nbformat.write(nb, chapter)
    wanted, unsearchable = edition.secret_shingles([chapter])
    assert wanted and not unsearchable
    build = tmp_path / "build"
    build.mkdir()
    (build / "clean.html").write_text("<p>Some public text about sharpening a weighting.</p>")
    assert edition.search([build], wanted) == []
    # Highlighted code in a page: tokens in spans, entities for operators.
    (build / "page.html").write_text('<span class="n">powered</span> <span class="o">=</span> <span class="n">w</span>'
                                     ' <span class="o">**</span> <span class="n">gamma</span>[:, <span>None</span>]\n'
                                     '    <span class="k">return</span> <span class="n">powered</span> '
                                     '<span class="o">/</span> <span class="n">powered</span>.sum(-1, keepdim=True)')
    # A notebook inside a zip, its source stored line by line.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("x/chapter.ipynb", chapter.read_text())
    (build / "download.zip").write_bytes(archive.getvalue())
    hits = {Path(name.split(":")[0]).name for name, _, _ in edition.search([build], wanted)}
    assert hits == {"page.html", "download.zip"}


# --- nbgrader's round trip on a small assignment --------------------------------------------------

TINY_SOLUTION = '''\
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''
TINY_CHECK = '''\
from ntm_lib import exercises

with exercises.check("Doubling"):
    assert double(2) == 4
### BEGIN HIDDEN TESTS
assert double(-3) == -6
### END HIDDEN TESTS'''
TINY_WRITTEN = '''\
:::{exercise} Why double?
:label: tiny-why
Say why.
:::

<!-- BEGIN SOLUTION -->
:::{solution} tiny-why
Because the secret answer is forty two.
:::
<!-- END SOLUTION -->'''


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    solution = nbformat.v4.new_code_cell(TINY_SOLUTION, metadata={"tags": ["hide-input"], "nbgrader": {
        "grade": False, "grade_id": "tiny-double", "locked": False, "schema_version": 3, "solution": True,
        "task": False}})
    check = nbformat.v4.new_code_cell(TINY_CHECK, metadata={"nbgrader": {
        "grade": True, "grade_id": "tiny-double-check", "locked": True, "points": 2, "schema_version": 3,
        "solution": False, "task": False}})
    written = nbformat.v4.new_markdown_cell(TINY_WRITTEN, metadata={"nbgrader": {
        "grade": True, "grade_id": "tiny-why", "locked": False, "points": 1, "schema_version": 3,
        "solution": True, "task": False}})
    hidden = nbformat.v4.new_code_cell("assert double(21) == 42  # a hidden check on the chapter",
                                       metadata={"tags": ["remove-cell"]})
    nb.cells = [solution, check, written, hidden]
    return nb


@pytest.mark.slow
def test_nbgrader_round_trip(tmp_path):
    """generate_assignment with the course's configuration, then autograde: a student notebook
    left as released scores nothing on the code exercise, the instructor notebook everything."""
    pytest.importorskip("nbgrader")
    edition = load_edition()
    course = tmp_path / "course"
    (course / "source" / "tiny").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "nbgrader_config.py", course / "nbgrader_config.py")
    nbformat.write(tiny_notebook(), course / "source" / "tiny" / "tiny.ipynb")
    edition.run_nbgrader(course, "generate_assignment", "tiny", "--force")

    released = course / "release" / "tiny" / "tiny.ipynb"
    edition.check_release(released)
    student = nbformat.read(released, as_version=4)
    text = json.dumps([c.source for c in student.cells])
    assert "2 * x" not in text and "double(-3)" not in text and "forty two" not in text and "21" not in text
    assert "raise NotImplementedError()" in student.cells[0].source
    assert "tags" not in student.cells[0].metadata  # the stub is not folded away
    assert "*Your answer here.*" in student.cells[2].source and ":label: tiny-why" in student.cells[2].source

    # The released notebook runs to the end: its check reports the exercise as not done.
    from nbclient import NotebookClient

    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env_path}" if env_path else str(ROOT)
    try:
        NotebookClient(student, timeout=120, kernel_name="python3").execute()
        assert exercises.NOT_DONE in student.cells[1].outputs[0]["text"]

        for who, notebook in (("alice", released), ("bob", course / "source" / "tiny" / "tiny.ipynb")):
            target = course / "submitted" / who / "tiny" / "tiny.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(notebook, target)
        edition.run_nbgrader(course, "autograde", "tiny", "--force")
    finally:
        os.environ["PYTHONPATH"] = env_path
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {who: gradebook.find_submission("tiny", who).code_score for who in ("alice", "bob")}
        assert gradebook.find_submission("tiny", "bob").max_code_score == 2
    assert scores == {"alice": 0, "bob": 2}
