#!/usr/bin/env bash
# The README's main command: install everything into .venv, build the book, serve it.
#   bash scripts/book.sh               build, then serve _build/html on http://localhost:8000
#   bash scripts/book.sh --no-serve    only build (open _build/html/index.html)
#   bash scripts/book.sh --student     the student edition, exercise solutions hidden, built
#                                      into _build/student/_build/html (and served unless --no-serve)
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
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=scripts/setup_env.sh
. "$(dirname "$0")/setup_env.sh"
setup_venv

if [ "$STUDENT" = 1 ]; then
  # The same _config.yml with sphinx-exercise's hide_solutions switched on, written under _build/
  # (paths that _config.yml gives relative to itself are rewritten to stay correct).
  mkdir -p _build
  python - <<'PY'
import os
import yaml

with open("_config.yml") as f:
    config = yaml.safe_load(f)
config["title"] = f"{config['title']} (student edition)"
sphinx = config.setdefault("sphinx", {})
sphinx.setdefault("config", {})["hide_solutions"] = True
for name, path in (sphinx.get("local_extensions") or {}).items():
    sphinx["local_extensions"][name] = os.path.relpath(path, "_build") + "/"
with open("_build/_config_student.yml", "w") as f:
    yaml.safe_dump(config, f, sort_keys=False)
PY
  jupyter-book build . --config _build/_config_student.yml --path-output _build/student \
    -W -n --keep-going --all
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
