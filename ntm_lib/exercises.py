r"""The check a reader runs after a code exercise of the book.

Every code exercise is two cells in the format of nbgrader (https://nbgrader.readthedocs.io), the
grading tool the course uses:

* a *solution cell*: a function whose body sits between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``. The student edition (``scripts/student_edition.py``, which runs nbgrader)
  replaces that region by ``raise NotImplementedError()``;
* a *check cell*: visible tests inside ``with exercises.check("title"):``, then hidden tests
  between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, which the student edition
  removes and nbgrader puts back when it grades.

A stub that is not filled in yet must not stop the notebook: ``check`` reports it as not done and
lets the notebook run on. A wrong answer still fails its assertion, and nbgrader's hidden tests
run outside ``check``, so a stub that raises ``NotImplementedError`` scores nothing when graded.

    >>> with check("Content weighting"):
    ...     raise NotImplementedError()
    Content weighting: not done yet
      (fill in the function above, then run this cell again)
    >>> with check("Content weighting"):
    ...     assert 1 + 1 == 2
    Content weighting: the visible tests pass
"""

from __future__ import annotations

import contextlib
from typing import Iterator

NOT_DONE = "not done yet"
PASSED = "the visible tests pass"


@contextlib.contextmanager
def check(title: str) -> Iterator[None]:
    """Run the visible tests of the exercise ``title``; a stub that raises NotImplementedError
    is reported as not done instead of stopping the notebook. Any other error propagates."""
    try:
        yield
    except NotImplementedError:
        # Two lines: a long exercise title must not push the output past the page's 88 columns.
        print(f"{title}: {NOT_DONE}\n  (fill in the function above, then run this cell again)")
    else:
        print(f"{title}: {PASSED}")
