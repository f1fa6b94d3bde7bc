#!/usr/bin/env bash
# The project's one test command (README; .ci/run runs exactly this):
#   1. set-up: .venv with torch==2.13.0 and `pip install -e ".[test,book]"`; Debian's chromium
#   2. unit tests                     pytest tests (all but the browser test)
#   3. every chapter executes, twice  pytest --nbval chapters/ (outputs compared with the committed ones),
#                                     with this CPU's native kernels and with the scalar ones forced
#   4. the student edition            nbgrader's student notebooks are up to date (student/), run to the
#                                     end with every exercise left open (each check says "not done yet"),
#                                     build into a book that renders in a browser, and no solution's
#                                     text is anywhere in that build
#   5. the book builds                jupyter-book build . -W -n --keep-going (warnings are errors)
#   6. the pages render in a browser  pytest tests/browser (headless Chromium on _build/html)
# Prints the time each stage took. Runs as root on a fresh Debian machine (uses sudo otherwise).
# Extra arguments are passed to the unit-test pytest run (e.g. -k addressing, -x).
set -euo pipefail

# Two cores: one BLAS/OpenMP thread per process. Measured on the 2-core CI machine: with 2 threads
# the chapters and unit tests are no faster (their tensors are tiny), and nbval runs a kernel next
# to pytest, so 2 threads each would oversubscribe the cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
export PYTHONDONTWRITEBYTECODE=1

# shellcheck source=scripts/setup_env.sh
. "$(dirname "$0")/setup_env.sh"

STAGES=()
record() { STAGES+=("$(printf '%-34s %5d s' "$1" "$2")"); echo "===== $1: $2 s"; }
stage() {  # stage NAME COMMAND...: run it, time it
  local name=$1 start=$SECONDS
  shift
  echo
  echo "===== $name"
  "$@"
  record "$name" $((SECONDS - start))
}

echo "===== set-up (venv, pip, chromium)"
start=$SECONDS
setup_venv
ensure_chromium
record "set-up (venv, pip, chromium)" $((SECONDS - start))

stage "unit tests" python -m pytest tests --ignore=tests/browser -q -p no:cacheprovider "$@"

# The chapters must reproduce their committed outputs on any x86-64 CPU, whose kernels (AVX-512,
# AVX2, scalar; MKL's code paths) give floats that differ in the 7th digit. Two passes prove it:
# the machine's native kernels, and the scalar ones with MKL's compatible path forced. They run
# side by side, one core each (one thread per kernel, see above); the second pass's log is printed
# when both are done.
nbval_pass() {  # nbval_pass [ENV=VALUE...]: every chapter, outputs compared with the committed ones
  env "$@" python -m pytest --nbval chapters/ \
    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env \
    --nbval-cell-timeout=300 -q -p no:cacheprovider
}
chapters_on_two_kernel_sets() {
  local log status_native status_scalar
  log=$(mktemp)
  nbval_pass ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE >"$log" 2>&1 &
  local scalar=$!
  echo "== native kernels ($(python -c 'import torch; print(torch.backends.cpu.get_cpu_capability())'))"
  status_native=0; nbval_pass || status_native=$?
  status_scalar=0; wait "$scalar" || status_scalar=$?
  echo; echo "== scalar kernels (ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE)"
  cat "$log"; rm -f "$log"
  echo "nbval exit status: native $status_native, scalar $status_scalar"
  [ "$status_native" -eq 0 ] && [ "$status_scalar" -eq 0 ]
}
stage "chapters (nbval, native + scalar kernels)" chapters_on_two_kernel_sets

# The student edition (scripts/student_edition.py, nbgrader): the committed student notebooks are what
# nbgrader makes of the chapters now; they run from top to bottom with every stub unfilled, two at a
# time; the book built from them, its downloads and the student notebooks hold no solution text; its
# pages pass the browser test too.
student_edition() {
  python scripts/student_edition.py generate --check
  python scripts/student_edition.py execute --jobs 2
  python scripts/student_edition.py book
  python scripts/student_edition.py leaks
  env NTM_REQUIRE_BROWSER=1 NTM_BOOK_HTML=_build/student/_build/html \
    python -m pytest tests/browser -q -p no:cacheprovider
}
stage "student edition (nbgrader, run, build, search)" student_edition

rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/screenshots
stage "book build (-W -n --keep-going)" jupyter-book build . -W -n --keep-going --all -q

stage "browser test (chromium)" env NTM_REQUIRE_BROWSER=1 python -m pytest tests/browser -q -p no:cacheprovider

echo
echo "===== time per stage"
printf '%s\n' "${STAGES[@]}"
echo "screenshots of every page: _build/screenshots/"
