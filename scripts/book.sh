#!/usr/bin/env bash
# The README's main command: install everything into .venv, build the book, serve it.
#   bash scripts/book.sh               build, then serve _build/html on http://localhost:8000
#   bash scripts/book.sh --no-serve    only build (open _build/html/index.html)
#   bash scripts/book.sh --student     the student edition: nbgrader makes the student notebooks,
#                                      they run with every exercise left open (a few minutes), and
#                                      the book is built from them into _build/student/_build/html
#                                      (and served unless --no-serve); see instructors.md
#   bash scripts/book.sh --port 8080   serve on another port
# The chapters are committed executed, so the build runs no notebook; `bash scripts/test.sh`
# proves they still run.
set -euo pipefail

SERVE=1
STUDENT=0
PORT=${PORT:-8000}
while [ $# -gt 0 ]; do
  case "$1" in
    --no-serve) SERVE=0 ;;
    --student) STUDENT=1 ;;
    --port) PORT=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=scripts/setup_env.sh
. "$(dirname "$0")/setup_env.sh"
setup_venv

# The student notebooks (student/chapters/, refreshed if a chapter changed) and the two notebook
# downloads that the page for instructors links to; both builds need them.
python scripts/student_edition.py generate

if [ "$STUDENT" = 1 ]; then
  # The student edition: the student notebooks executed with their stubs unfilled, built with the
  # book's other pages under _build/student/ (scripts/student_edition.py).
  python scripts/student_edition.py execute --jobs 2
  python scripts/student_edition.py book
  HTML=_build/student/_build/html
else
  jupyter-book build . -W -n --keep-going
  HTML=_build/html
fi

echo
echo "The book is in $HTML/ (open $HTML/index.html)."
if [ "$SERVE" = 1 ]; then
  echo "Serving it on http://localhost:$PORT/ (Ctrl-C to stop)"
  exec python -m http.server "$PORT" --bind 127.0.0.1 --directory "$HTML"
fi
