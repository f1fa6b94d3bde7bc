# Shared set-up for scripts/test.sh and scripts/book.sh (sourced, not run).
# Creates or reuses the virtual environment .venv, installs torch==2.13.0 first (an exact pin of
# the CPU build: an open range would pull a CUDA build of several GB), then the package with its
# test and book extras, and activates the environment. Both installs use constraints.txt: exact
# versions of everything else, so that a fresh install builds the same book (only here: the
# package's own requirements in pyproject.toml stay loose, for Colab).
# Environment: PYTHON (interpreter for a new venv, default python3), NTM_SKIP_INSTALL=1 to reuse
# .venv as it is.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

setup_venv() {
  local python=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($python --version 2>&1)"
    if ! "$python" -m venv .venv 2>/dev/null; then
      # Debian's python3 ships without venv/ensurepip.
      rm -rf .venv
      apt_install python3-venv
      "$python" -m venv .venv
    fi
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
  if [ "${NTM_SKIP_INSTALL:-0}" = 1 ]; then
    echo "== NTM_SKIP_INSTALL=1: using .venv as it is"
    return
  fi
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
  echo "== pip install torch==2.13.0 (first, exact pin: the CPU build)"
  python -m pip install --quiet -c constraints.txt "torch==2.13.0"
  echo "== pip install -c constraints.txt -e .[test,book]"
  python -m pip install --quiet -c constraints.txt -e ".[test,book]"
  # The notebooks name the kernel "python3": make sure it is this environment's interpreter.
  python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
}

ensure_chromium() {
  if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then return; fi
  if [ ! -x /usr/bin/chromium ]; then
    echo "== apt-get install chromium (for the browser test)"
    apt_install chromium
  fi
  export CHROMIUM=/usr/bin/chromium
}
