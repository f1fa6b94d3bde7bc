"""The copy LSTM trained on to convergence: is chapter 2's five-minute baseline failing because it
stopped early? Scores a run's final weights on the copy table's test sets and writes the result
beside the tables (``data/eval/baselines/copy-lstm-converged.json``), read by chapter 2.

The run continued the shipped LSTM (136,352 sequences, 2.4 bit errors on validation) with a
fresh optimiser until it converged (< 0.1 bit errors per sequence on lengths 1-20):

    python -m ntm_lib train --task copy --model lstm --seed 0 --out runs/copy-lstm-long \\
        --init-from data/pretrained/copy-lstm.pt --max-seconds 2400 --max-sequences 2000000
    python scripts/converged_baseline.py --run runs/copy-lstm-long
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.evaluation import EVAL_DIR, evaluate_models
from ntm_lib.pretrained import manifest

COMMAND = ("python -m ntm_lib train --task copy --model lstm --seed 0 --out runs/copy-lstm-long "
           "--init-from data/pretrained/copy-lstm.pt --max-seconds 2400 --max-sequences 2000000")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("runs/copy-lstm-long"))
    parser.add_argument("--out", type=Path, default=EVAL_DIR / "baselines" / "copy-lstm-converged.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_checkpoint(args.run / "final.pt")
    history = json.loads((args.run / "history.json").read_text())
    records = history["history"] if isinstance(history, dict) else history
    parent = manifest()["copy-lstm"]
    table = evaluate_models("copy", {"lstm-converged": model})
    result = {
        "task": "copy", "model": "lstm", "parent": "copy-lstm",
        "parent_sequences": parent["sequences"], "parent_val_bit_errors": parent["val_bit_errors"],
        "sequences": records[-1]["sequences"], "val_bit_errors": records[-1]["val_bit_errors"],
        "sequences_in_all": parent["sequences"] + records[-1]["sequences"],
        "command": COMMAND, "test_seed": table["seed"],
        "rows": [{"condition": row["condition"], **{k: round(v, 4) for k, v in row["lstm-converged"].items()}}
                 for row in table["rows"]],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for row in result["rows"]:
        print(f"{row['condition']:>10}: {row['bit_errors']:8.2f} bit errors")


if __name__ == "__main__":
    main()
