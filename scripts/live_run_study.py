"""What varies and what holds across runs of the chapters' live training recipes.

Chapters 4 and 5 each train a small NTM live, seeded, in a cell that runs in seconds. On another
CPU the same seed gives another run (kernels differ in the 7th digit and training amplifies it),
so the chapters say what every run of the recipe does, and what differs from run to run. This
script measures that over many seeds and writes ``data/eval/live-runs.json`` and ``.md``, which
the chapters' hidden checks read.

    python scripts/live_run_study.py --seeds 0-11                 # native kernels
    ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE python scripts/live_run_study.py --seeds 0-3

Runs are added to the file (keyed by recipe, seed and CPU capability); one torch thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

import ntm_lib
from ntm_lib import evaluation
from ntm_lib.tasks import base

OUT = Path(__file__).resolve().parent.parent / "data" / "eval" / "live-runs"


def ch4_recipe():
    """Chapter 4, "Watch an NTM learn": the copy NTM (N = 128) on lengths 1-10, 10,000 sequences."""
    model = ntm_lib.NTM(ntm_lib.NTMConfig())
    task = ntm_lib.CopyTask(max_length=10)
    config = ntm_lib.TrainConfig(max_sequences=10_000, validate_every=25, validation_size=128,
                                 stop_when_converged=False)
    return model, task, config


def ch5_recipe():
    """Chapter 5, "Train one yourself": an NTM with N = 32 on lengths 1-5, 8,000 sequences."""
    model = ntm_lib.NTM(ntm_lib.NTMConfig(num_slots=32))
    task = ntm_lib.CopyTask(max_length=5)
    config = ntm_lib.TrainConfig(max_sequences=8_000, validate_every=50, validation_size=128,
                                 stop_when_converged=False)
    return model, task, config


def errors_at(model, task, lengths, sequences):
    """Bit errors per sequence at each length, on the test sets the chapters draw (seed = length)."""
    return [evaluation.evaluate_on(model, evaluation.make_test_set(task, {"length": n}, sequences, seed=n),
                                   base.score)["bit_errors"] for n in lengths]


def follows_write_path(model, task, length=30) -> float:
    """The fraction of output steps at which the read head is on the slot the write head used for
    that vector (chapter 4's picture of the copy algorithm), on one sequence."""
    example = task.sample(1, torch.Generator().manual_seed(0), length=length)
    with torch.no_grad():
        _, _, trace = model(example.inputs, trace=True)
    read = trace.weights[0, length: 2 * length, 0].argmax(-1)
    write = trace.weights[0, :length, 1].argmax(-1)
    return (read == write).float().mean().item()


RECIPES = {
    "ch4": (ch4_recipe, [10, 20, 40, 60], 50),
    "ch5": (ch5_recipe, [1, 3, 5, 8, 10, 15, 20, 25], 100),
}


def measure(name: str, seed: int) -> dict:
    build, lengths, sequences = RECIPES[name]
    torch.manual_seed(seed)  # as the chapter's cell does, with its seed 0 replaced
    model, task, config = build()
    start = time.time()
    result = ntm_lib.train(model, task, config, progress=False)
    history = result.history
    return {
        "recipe": name, "seed": seed, "cpu": torch.backends.cpu.get_cpu_capability(),
        "seconds": round(time.time() - start, 1),
        "model_config": dataclasses.asdict(model.config), "train_config": dataclasses.asdict(config),
        "task_max_length": task.max_length,
        "first_val_bce_bits": history[0]["val_bce_bits"], "last_val_bce_bits": history[-1]["val_bce_bits"],
        "last_val_bit_errors": history[-1]["val_bit_errors"],
        "best_val_bit_errors": min(r["val_bit_errors"] for r in history),
        "first_converged": next((r["sequences"] for r in history if r["val_bit_errors"] < 0.1), None),
        "lengths": lengths, "bit_errors": errors_at(model, task, lengths, sequences),
        "follows_write_path": follows_write_path(model, task),
    }


def markdown(runs: list[dict]) -> str:
    lines = ["# The chapters' live runs over many seeds", "",
             "Written by `scripts/live_run_study.py`. One row per run: the recipe of the chapter's live",
             "cell with its `torch.manual_seed(0)` replaced by the seed, on the CPU capability given.", ""]
    for name in RECIPES:
        rows = [r for r in runs if r["recipe"] == name]
        if not rows:
            continue
        lengths = rows[0]["lengths"]
        lines += [f"## {name}: {RECIPES[name][0].__doc__}", "",
                  "| seed | cpu | last val BCE | best val errors | converged at | "
                  + " | ".join(f"L={n}" for n in lengths) + " | read follows write |",
                  "|" + "---|" * (6 + len(lengths))]
        for r in sorted(rows, key=lambda r: (r["cpu"], r["seed"])):
            lines.append(f"| {r['seed']} | {r['cpu']} | {r['last_val_bce_bits']:.2f} | {r['best_val_bit_errors']:.2f} | "
                         f"{r['first_converged'] or '-'} | " + " | ".join(f"{e:.1f}" for e in r["bit_errors"])
                         + f" | {r['follows_write_path']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-11", help="e.g. 0-11 or 0,3,5")
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = [s for part in args.seeds.split(",") for s in
             range(int(part.split("-")[0]), int(part.split("-")[-1]) + 1)]
    json_path = OUT.with_suffix(".json")
    runs = json.loads(json_path.read_text())["runs"] if json_path.is_file() else []
    for name in args.recipes:
        for seed in seeds:
            run = measure(name, seed)
            runs = [r for r in runs if (r["recipe"], r["seed"], r["cpu"]) != (name, seed, run["cpu"])] + [run]
            print(json.dumps({k: run[k] for k in ("recipe", "seed", "cpu", "seconds", "bit_errors")}), flush=True)
            json_path.write_text(json.dumps({"runs": runs}, indent=1) + "\n")  # after every run: resumable
            OUT.with_suffix(".md").write_text(markdown(runs))


if __name__ == "__main__":
    main()
