# nbgrader configuration of the course (nbgrader 0.9: https://nbgrader.readthedocs.io).
#
# scripts/student_edition.py copies this file into every nbgrader course directory it makes
# (_build/nbgrader/ and the instructor download), so that `nbgrader generate_assignment` gives the
# same student notebooks in CI and on an instructor's machine. Each chapter is one assignment named
# like its notebook (source/05_copy/05_copy.ipynb), graded by `nbgrader autograde 05_copy`.
#
# On top of nbgrader's own steps (solutions replaced by stubs, hidden tests removed, outputs
# cleared, check cells locked), generating an assignment
# - drops the cells tagged `remove-cell`: the book's hidden checks on a chapter's numbers, which
#   also recompute the answers of the written exercises (nbconvert's TagRemovePreprocessor);
# - unfolds the stubs: a solution cell is tagged `hide-input` in the instructor edition, so that
#   the answer is folded away in the book; a stub is for the student to see (UnfoldStubs below).
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                    ClearSolutions, ComputeChecksums, IncludeHeaderFooter, InstantiateTests,
                                    LockCells, SaveCells)

c = get_config()  # noqa: F821 - defined by traitlets when it loads this file

c.CourseDirectory.course_id = "ntm-course"

# A written answer (a markdown solution cell) becomes this line; a code answer becomes nbgrader's
# "# YOUR CODE HERE / raise NotImplementedError()", which ntm_lib.exercises.check reports as not done.
c.ClearSolutions.text_stub = "*Your answer here.*"


class UnfoldStubs(Preprocessor):
    """Remove the `hide-input` tag of nbgrader solution cells: in the student edition they are stubs."""

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
        return cell, resources


c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = ["remove-cell"]
# nbgrader 0.9.6's own list (nbgrader.converters.GenerateAssignment.preprocessors), after our two.
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor, UnfoldStubs,
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
    ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata,
]
