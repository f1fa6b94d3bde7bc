"""How the copy NTM's generalisation depends on the seed and on when training stops.

Trains copy NTMs with the shipped recipe (lengths 1-20, ``--keep-going``) for several seeds and,
at every validation (each 3,200 sequences), measures the mean bit errors per sequence at lengths
80, 100 and 120 on a *selection* set: 40 sequences per length drawn with seeds 99 + length, so
disjoint from the test sets of ``python -m ntm_lib eval`` (seeds 1234 + condition index). One JSON
line per validation goes to standard output. The unregularised copy NTM was chosen with this study
(``data/pretrained/copy-ntm.seed-study.json``, read by ``ntm_lib.pretrained.seed_study("copy")``):
seed 1 at 19,200 sequences, shipped as ``load_pretrained("copy", variant="unregularised")``. The
default copy NTM is the same seed trained with the output-memory penalty (chapter 5).

    python scripts/copy_seed_study.py --seeds 1,5,6,7 --max-sequences 48000 > copy_seeds.jsonl

Because a run's weights after N sequences do not depend on where it stops, the chosen checkpoint
is reproduced by ``python -m ntm_lib train --task copy --model ntm --seed S --keep-going
--max-sequences N``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import torch

from ntm_lib.evaluation import evaluate_on, make_test_set, task_score
from ntm_lib.models import build_model
from ntm_lib.recipes import recipe
from ntm_lib.training import train

LENGTHS = (80, 100, 120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,5,6,7", help="seeds separated by commas")
    parser.add_argument("--max-sequences", type=int, default=48_000)
    parser.add_argument("--sequences", type=int, default=40, help="selection sequences per length")
    args = parser.parse_args()
    torch.set_num_threads(1)

    task, model_config, train_config = recipe("copy", "ntm")
    scorer = task_score("copy")
    selection = {n: make_test_set(task, {"length": n}, args.sequences, 99 + n) for n in LENGTHS}
    for seed in (int(s) for s in args.seeds.split(",")):
        config = replace(train_config, seed=seed, stop_when_converged=False, max_sequences=args.max_sequences)
        torch.manual_seed(seed)  # as `python -m ntm_lib train` does before building the model
        model = build_model("ntm", model_config)

        def measure(record, model=model, seed=seed):
            with torch.random.fork_rng(devices=[]):  # leave the training stream untouched
                model.eval()
                errors = {f"L{n}": round(evaluate_on(model, batches, scorer)["bit_errors"], 3)
                          for n, batches in selection.items()}
                model.train()
            print(json.dumps({"seed": seed, "sequences": record["sequences"],
                              "val": round(record["val_bit_errors"], 3), **errors}), flush=True)

        train(model, task, config, progress=False, callbacks=(measure,))


if __name__ == "__main__":
    main()
