#!/usr/bin/env bash
# Retrain shipped checkpoints from scratch with the exact commands their manifest entries record
# ("reproduce": the training command with its budget as a sequence count, so the result does not
# depend on the machine's speed), and ship the results (data/pretrained/ and its manifest).
# Usage: bash scripts/train_pretrained.sh [ntm|lstm|all] [task ...]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"; shift || true
python - "$which" "$@" <<'PY' | while IFS= read -r line; do
import json, sys
which, tasks = sys.argv[1], sys.argv[2:]
manifest = json.load(open("data/pretrained/manifest.json"))
for key, entry in manifest.items():
    task, model = key.split("-")[:2]  # keys are <task>-<model> or <task>-<model>-<variant>
    if (which in ("all", model)) and (not tasks or task in tasks):
        print(entry["reproduce"])
PY
  out=$(python -c 'import shlex, sys; a = shlex.split(sys.argv[1]); print(a[a.index("--out") + 1])' "$line")
  echo "+ $line" >&2
  rm -rf "$out"
  eval "$line" < /dev/null | tail -n 1
done
