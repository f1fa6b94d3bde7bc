#!/usr/bin/env bash
# Retrain every shipped checkpoint in data/pretrained/ (and its manifest entry) from scratch.
# Usage: bash scripts/train_pretrained.sh [ntm|lstm|all] [task ...]
# Each run's exact command is also recorded in data/pretrained/manifest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"; shift || true
tasks=("$@")
[ ${#tasks[@]} -gt 0 ] || tasks=(copy repeat_copy associative_recall ngrams priority_sort sort dyck)

ntm_budget() {  # wall-clock budget (seconds) of the NTM run per task
  case "$1" in
    copy) echo "--keep-going --max-sequences 40000" ;;
    repeat_copy|associative_recall) echo "--max-seconds 480" ;;
    *) echo "--max-seconds 300" ;;
  esac
}
lstm_budget() {
  case "$1" in
    copy) echo "--max-seconds 300" ;;
    *) echo "--max-seconds 240" ;;
  esac
}

for task in "${tasks[@]}"; do
  for model in ntm lstm; do
    [ "$which" = all ] || [ "$which" = "$model" ] || continue
    budget=$([ "$model" = ntm ] && ntm_budget "$task" || lstm_budget "$task")
    rm -rf "runs/$task-$model"
    # shellcheck disable=SC2086
    python -m ntm_lib train --task "$task" --model "$model" --seed 0 --out "runs/$task-$model" \
      $budget --no-progress --ship | tail -n 1
  done
done
