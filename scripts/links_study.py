"""Ordered recall (``ntm_lib.tasks.ordered_recall``): a DNC and the same DNC without its temporal
link matrix (``DNCConfig(use_links=False)``: reads by content only), trained the same way, then
scored on sequences like the training ones and longer ones; for both, the read modes they use.

Trains one run after another on one torch thread and prints one JSON object (the summary) at the
end; progress goes to standard error. The table in ``data/eval/links.md`` came from

    python scripts/links_study.py --runs dnc:0,no-links:0 --out /tmp/reuse-runs > links.json

Each run's checkpoints go to ``OUT/links-<model>-seed<seed>/``. ``--evaluate-only`` rescores
their ``final.pt`` without training. Shares its scoring with ``memory_reuse_study.py``.

``--sweeps DIR ...`` scores the runs of ``python -m ntm_lib sweep --task ordered_recall`` folders
instead (each run's ``final.pt``, its model as the sweep trained it); ``data/eval/links-feedforward.json``
came from

    python -m ntm_lib sweep --task ordered_recall --model dnc --controller feedforward --links on --seeds 0-4 --max-sequences 48000 --out runs/links-ff/links-on
    python -m ntm_lib sweep --task ordered_recall --model dnc --controller feedforward --links off --seeds 0-4 --max-sequences 48000 --out runs/links-ff/links-off
    python scripts/links_study.py --sweeps runs/links-ff/links-on runs/links-ff/links-off > links-feedforward.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from memory_reuse_study import scores, test_set  # this folder's sibling script
from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.dnc import DNC, DNCConfig
from ntm_lib.tasks.base import Batch
from ntm_lib.tasks.ordered_recall import OrderedRecallTask
from ntm_lib.training import TrainConfig, train

TASK = OrderedRecallTask()  # 4 one-hot symbols, lengths 1-20
# The copy recipe's DNC (LSTM 100, 32 slots of 20, one read head) and training settings.
LINKED = DNCConfig(input_size=TASK.input_size, output_size=TASK.output_size, controller="lstm",
                   controller_size=100, num_slots=32, word_size=20)
MODELS = {"dnc": LINKED, "no-links": replace(LINKED, use_links=False)}
TRAIN = TrainConfig(max_sequences=32_000, validate_every=100, validation_size=640)

# (name, sample overrides, number of sequences); test-set seeds 3024 + index.
CONDITIONS = (
    ("training (lengths 1-20)", {}, 640),
    ("length 20", {"length": 20}, 256),
    ("length 30", {"length": 30}, 256),
)


@torch.no_grad()
def read_modes(model: DNC, batches: list[Batch]) -> dict[str, float]:
    """Mean read modes (backward, content, forward; averaged over heads) on the answer steps."""
    model.eval()
    modes = []
    for batch in batches:
        _, _, trace = model(batch.inputs, trace=True)
        modes.append(trace.read_modes.mean(2)[batch.mask.bool()])  # (scored steps, 3)
    mean = torch.cat(modes).mean(0).tolist()
    return {"backward": round(mean[0], 3), "content": round(mean[1], 3), "forward": round(mean[2], 3)}


def run(kind: str, seed: int, out: Path, train_config: TrainConfig, evaluate_only: bool) -> dict:
    folder = out / f"links-{kind}-seed{seed}"
    if evaluate_only:
        model = load_checkpoint(folder / "final.pt")
        result = {"model": kind, "seed": seed}
    else:
        torch.manual_seed(seed)
        model = DNC(MODELS[kind])

        def report(record):
            print(json.dumps({"model": kind, "seed": seed, **{k: round(v, 3) for k, v in record.items()}}),
                  file=sys.stderr, flush=True)

        trained = train(model, TASK, replace(train_config, seed=seed), folder, progress=False, callbacks=(report,))
        result = {"model": kind, "seed": seed, "converged": trained.converged, "sequences": trained.sequences,
                  "seconds": round(trained.seconds, 1), "val_bit_errors": round(trained.val_bit_errors, 3),
                  "nonfinite_batches": trained.nonfinite_batches, "checkpoint": trained.checkpoint}
    result["test"] = score(model)
    return result


def score(model: DNC) -> dict:
    """Every test condition's scores, and the read modes on the training-like sequences."""
    test = {}
    for index, (name, overrides, size) in enumerate(CONDITIONS):
        batches = test_set(TASK, overrides, size, 3024 + index)
        test[name] = scores(model, batches)
        if index == 0:
            test[name]["read_modes"] = read_modes(model, batches)
    return test


def score_sweeps(folders: list[Path]) -> dict:
    """The runs of sweep folders (``sweep.json`` and ``<run>/final.pt``), scored like ``run``."""
    results = []
    for folder in folders:
        report = json.loads((folder / "sweep.json").read_text())
        for entry in report["runs"]:
            model = load_checkpoint(folder / entry["name"] / "final.pt")
            result = {"model": "dnc" if model.config.use_links else "no-links", "sweep": str(folder),
                      "command": report["command"], "model_config": asdict(model.config),
                      **{k: entry[k] for k in ("seed", "converged", "sequences", "seconds", "val_bit_errors",
                                               "nonfinite_batches")}}
            result["test"] = score(model)
            results.append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
    return {"task": {"name": TASK.name, **asdict(TASK)},
            "conditions": [{"name": n, "overrides": o, "sequences": s, "seed": 3024 + i}
                           for i, (n, o, s) in enumerate(CONDITIONS)],
            "runs": results, "torch": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="dnc:0,no-links:0", help="model:seed pairs separated by commas")
    parser.add_argument("--out", type=Path, default=Path("/tmp/reuse-runs"), help="checkpoint folder")
    parser.add_argument("--max-sequences", type=int, default=TRAIN.max_sequences)
    parser.add_argument("--evaluate-only", action="store_true", help="score OUT/links-<model>-seed<seed>/final.pt")
    parser.add_argument("--sweeps", type=Path, nargs="+", help="score the runs of these sweep folders instead")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.sweeps:
        print(json.dumps(score_sweeps(args.sweeps), indent=1))
        return
    train_config = replace(TRAIN, max_sequences=args.max_sequences)
    results, started = [], time.perf_counter()
    for item in args.runs.split(","):
        kind, seed = item.split(":")
        if kind not in MODELS:
            raise SystemExit(f"unknown model {kind!r}; expected one of {sorted(MODELS)}")
        results.append(run(kind, int(seed), args.out, train_config, args.evaluate_only))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    summary = {
        "task": {"name": TASK.name, **asdict(TASK)},
        "models": {kind: asdict(config) for kind, config in MODELS.items()},
        "train_config": asdict(train_config),
        "conditions": [{"name": n, "overrides": o, "sequences": s, "seed": 3024 + i}
                       for i, (n, o, s) in enumerate(CONDITIONS)],
        "runs": results,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
