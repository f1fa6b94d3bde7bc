#!/usr/bin/env bash
# Retrain shipped checkpoints from scratch with the exact commands their manifest entries record
# ("reproduce": the training command with its budget as a sequence count, so the result does not
# depend on the machine's speed), and ship the results (data/pretrained/ and its manifest).
# A fine-tuned entry (trained with --init-from) is retrained in two runs: the shipped run it
# started from, then itself from that run's final.pt.
# Usage: bash scripts/train_pretrained.sh [ntm|lstm|all] [task ...]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"; shift || true
python - "$which" "$@" <<'PY' | while IFS= read -r line; do
import json, shlex, sys


def option(args, name):
    return args[args.index(name) + 1]


which, tasks = sys.argv[1], sys.argv[2:]
manifest = json.load(open("data/pretrained/manifest.json"))
for key, entry in manifest.items():
    task, model = key.split("-")[:2]  # keys are <task>-<model> or <task>-<model>-<variant>
    if not ((which in ("all", model)) and (not tasks or task in tasks)):
        continue
    parent = entry.get("init_from")
    if parent is None:
        print(entry["reproduce"])
    elif parent.get("reproduce"):
        # Fine-tuned (train --init-from): first the run it started from, not shipped, then this
        # run started from that run's final checkpoint.
        first = [a for a in shlex.split(parent["reproduce"]) if a != "--ship"]
        if "--variant" in first:
            i = first.index("--variant")
            del first[i:i + 2]
        then = shlex.split(entry["reproduce"])
        then[then.index("--init-from") + 1] = option(first, "--out") + "/final.pt"
        print(shlex.join(first))
        print(shlex.join(then))
    else:
        print(f"skipping {key}: it was fine-tuned from {parent['file']}, which was never shipped", file=sys.stderr)
PY
  out=$(python -c 'import shlex, sys; a = shlex.split(sys.argv[1]); print(a[a.index("--out") + 1])' "$line")
  echo "+ $line" >&2
  rm -rf "$out"
  eval "$line" < /dev/null | tail -n 1
done
