#!/usr/bin/env bash
# Retrain shipped checkpoints from scratch with the runs their manifest entries record (each
# budgeted by a sequence count, so the result does not depend on the machine's speed), and ship
# the results (data/pretrained/ and its manifest). A fine-tuned entry (trained with --init-from
# another shipped run) is retrained in two runs: the run it started from, then itself from that
# run's final.pt (ntm_lib.pretrained.retraining_commands).
# Usage: bash scripts/train_pretrained.sh [ntm|lstm|dnc|all] [task ...]
set -euo pipefail
cd "$(dirname "$0")/.."
python -c 'import sys; from ntm_lib.pretrained import retraining_commands
print("\n".join(retraining_commands(sys.argv[1], tuple(sys.argv[2:]))))' "${1:-all}" "${@:2}" |
while IFS= read -r line; do
  out=$(python -c 'import shlex, sys; a = shlex.split(sys.argv[1]); print(a[a.index("--out") + 1])' "$line")
  echo "+ $line" >&2
  rm -rf "$out"
  eval "$line" < /dev/null | tail -n 1
done
