"""Associative-recall NTMs trained with a small memory, tested with a large one: every converged
run of the given stability sweeps, scored on the task's test conditions (6 to 20 items, the same
seeded test sets as ``data/eval/associative_recall.json``, but 500 lists per condition instead of
its 100) twice, with the memory it was trained with and resized to ``--slots`` slots
(``ntm.state_dict_for_slots``: no weight of the controller or the heads depends on the number of
slots). The shipped NTM (128 slots, constant memory) is scored on the same lists.

    python scripts/recall_slots_transfer.py runs/stability/associative_recall-slots \\
        runs/stability/associative_recall-slots-seeds runs/stability/associative_recall-slots-64 \\
        > data/eval/stability/associative_recall-slots-transfer.json

Run folders (and checkpoints) are not shipped; ``scripts/stability_study.py run NAME`` makes them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntm_lib.checkpoints import load_checkpoint, load_initial_weights  # noqa: E402
from ntm_lib.evaluation import evaluate_models  # noqa: E402
from ntm_lib.ntm import NTM  # noqa: E402

TASK = "associative_recall"
SEQUENCES = 500  # per condition


def resized(path: Path, num_slots: int) -> NTM:
    """The NTM of checkpoint ``path`` with a memory of ``num_slots`` slots."""
    trained = load_checkpoint(path)
    model = NTM(replace(trained.config, num_slots=num_slots))
    load_initial_weights(model, path)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="+", type=Path, help="sweep folders (with sweep.json)")
    parser.add_argument("--slots", type=int, default=128, help="the memory to test with (default: 128, the recipe's)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from ntm_lib.pretrained import load_pretrained

    shipped = evaluate_models(TASK, {"shipped": load_pretrained(TASK, "ntm")}, sequences=SEQUENCES)
    runs = []
    for folder in args.sweeps:
        report = json.loads((folder / "sweep.json").read_text())
        for entry in report["runs"]:
            if not entry["converged"]:
                continue
            path = folder / entry["name"] / "final.pt"
            trained = load_checkpoint(path)
            models = {"trained": trained, "resized": resized(path, args.slots)}
            table = evaluate_models(TASK, models, sequences=SEQUENCES)
            runs.append({
                "sweep": folder.name, "name": entry["name"], "seed": entry["seed"], "settings": entry["settings"],
                "sequences": entry["sequences"], "trained_slots": trained.config.num_slots,
                "tested_slots": args.slots,
                "rows": [{"condition": row["condition"], "sample": row["sample"], "sequences": row["sequences"],
                          "trained": row["trained"], "resized": row["resized"]} for row in table["rows"]],
            })
            print(folder.name, entry["name"], [(r["condition"], round(r["trained"]["bit_errors"], 2),
                                                round(r["resized"]["bit_errors"], 2)) for r in runs[-1]["rows"]],
                  file=sys.stderr, flush=True)
    print(json.dumps({"task": TASK, "tested_slots": args.slots, "seed": 1234, "sequences": SEQUENCES,
                      "torch": torch.__version__,
                      "shipped": [{"condition": row["condition"], **row["shipped"]} for row in shipped["rows"]],
                      "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
