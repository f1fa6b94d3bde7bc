"""DNC against DNC-M (masked look-up) and DNC-MDS (masking, de-allocation, link sharpness;
Csordás & Schmidhuber 2019) on one task (associative recall, repeat copy): seeds trained as batched
sweeps, then each run's final weights scored on the task's test conditions, and the cost of a
training step of each.

The runs came from (one sweep per variant, one torch thread each):

    python -m ntm_lib sweep --task associative_recall --model dnc --seeds 0-2 \\
        --max-sequences 64000 --no-progress --out runs/mds/dnc
    ... --out runs/mds/dnc-m --masked-lookup on
    ... --out runs/mds/dnc-mds --masked-lookup on --deallocate on --link-sharpness on

and this script collects them:

    python scripts/dnc_mds_study.py --runs runs/mds [--out data/eval/dnc-mds]

It writes ``associative_recall.json`` (every run: settings, convergence, history, test scores;
per variant: a summary; the step costs; the commands) and ``associative_recall.md``. Repeat copy
(``data/eval/dnc-mds/repeat_copy.*``, the DNC and DNC-MDS only):

    python -m ntm_lib sweep --task repeat_copy --model dnc --seeds 0-2 \\
        --max-sequences 96000 --no-progress --out runs/mds-repeat/dnc
    ... --out runs/mds-repeat/dnc-mds --masked-lookup on --deallocate on --link-sharpness on
    python scripts/dnc_mds_study.py --task repeat_copy --runs runs/mds-repeat --machine "..."
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.evaluation import evaluate_models
from ntm_lib.models import build_model
from ntm_lib.recipes import recipe
from ntm_lib.tables import Table
from ntm_lib.training import logits_of

VARIANTS = {  # folder under --runs: (name in the book, DNC options)
    "dnc": ("DNC", {}),
    "dnc-m": ("DNC-M", {"masked_lookup": True}),
    "dnc-mds": ("DNC-MDS", {"masked_lookup": True, "deallocate": True, "link_sharpness": True}),
}


def first_converged(history: list[dict], threshold: float = 0.1) -> int | None:
    """Sequences seen at the first validation under ``threshold`` bit errors."""
    return next((r["sequences"] for r in history if r["val_bit_errors"] < threshold), None)


def convergence_summary(runs: list[dict]) -> dict:
    """What a group of runs (records with ``converged``, ``first_converged``, ``nonfinite_batches``)
    did: how many, how many converged, the median and every run's first convergence, and the
    non-finite batches of all."""
    firsts = [r["first_converged"] for r in runs if r["first_converged"] is not None]
    return {"runs": len(runs), "converged": sum(r["converged"] for r in runs),
            "median_first_converged": statistics.median(firsts) if firsts else None,
            "first_converged": [r["first_converged"] for r in runs],
            "nonfinite_batches": sum(r["nonfinite_batches"] for r in runs)}


def step_costs(task_name: str, variants: dict[str, dict], repeats: int = 9,
               batch_size: int = 16) -> dict[str, float]:
    """Median seconds of one training step (forward and backward at ``batch_size``, one thread)
    of each variant ({name: DNC options}), the variants measured in turn so that a busy machine
    slows them alike."""
    task, model_config, _ = recipe(task_name, "dnc")
    models = {name: build_model("dnc", replace(model_config, **options)) for name, options in variants.items()}
    batch = task.sample(batch_size, torch.Generator().manual_seed(0))
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(repeats + 1):
        for name, model in models.items():
            start = time.perf_counter()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits_of(model(batch.inputs)), batch.targets, reduction="none")
            (loss.mean(-1) * batch.mask).sum().backward()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="associative_recall")
    parser.add_argument("--runs", type=Path, default=Path("runs/mds"))
    parser.add_argument("--machine", default="AMD EPYC, 2 cores, one torch thread per sweep",
                        help="the machine the runs and the step costs were measured on")
    parser.add_argument("--out", type=Path, default=Path("data/eval/dnc-mds"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = args.task

    runs, commands, models = [], {}, {}
    for folder, (variant, options) in VARIANTS.items():
        path = args.runs / folder / "sweep.json"
        if not path.exists():
            print(f"skipping {variant}: no {path}")
            continue
        sweep = json.loads(path.read_text())
        commands[variant] = " ".join(sweep["command"])
        for run in sweep["runs"]:
            name = f"{variant} seed {run['seed']}"
            model = load_checkpoint(args.runs / folder / run["name"] / "final.pt")
            models[name] = model
            runs.append({
                "variant": variant, "seed": run["seed"], "options": options,
                "converged": run["converged"], "first_converged": first_converged(run["history"]),
                "sequences": run["sequences"], "nonfinite_batches": run["nonfinite_batches"],
                "val_bit_errors": run["val_bit_errors"],
                "history": [[r["sequences"], round(r["val_bit_errors"], 4)] for r in run["history"]],
            })
    test = evaluate_models(task, models)
    for run in runs:
        name = f"{run['variant']} seed {run['seed']}"
        run["test"] = {row["condition"]: round(row[name]["bit_errors"], 4) for row in test["rows"]}

    measured = {variant: options for folder, (variant, options) in VARIANTS.items()
                if (args.runs / folder / "sweep.json").exists() or variant == "DNC"}
    costs = step_costs(task, measured)
    variants = {}
    for folder, (variant, options) in VARIANTS.items():
        mine = [r for r in runs if r["variant"] == variant]
        if not mine:
            continue
        variants[variant] = {
            **convergence_summary(mine),
            "median_test": {c: statistics.median(r["test"][c] for r in mine) for c in mine[0]["test"]},
            "step_seconds": round(costs[variant], 4),
            "step_relative": round(costs[variant] / costs["DNC"], 3),
        }
    result = {"task": task, "variants": variants, "runs": runs, "commands": commands,
              "test_seed": test["seed"], "conditions": [row["condition"] for row in test["rows"]],
              "machine": f"{args.machine}; step cost at batch 16"}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{task}.json").write_text(json.dumps(result, indent=1) + "\n")
    conditions = result["conditions"]
    table = Table(["variant", "converged", "median sequences to < 0.1", "non-finite",
                   *[f"{c} (median)" for c in conditions], "step (ms)", "step / DNC's"],
                  [[v, f"{s['converged']}/{s['runs']}", s["median_first_converged"] or "-",
                    s["nonfinite_batches"], *[s["median_test"][c] for c in conditions],
                    round(1000 * s["step_seconds"], 1), s["step_relative"]] for v, s in variants.items()])
    names = list(variants)
    title = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    markdown = (f"# {title} on {task.replace('_', ' ')}\n\n{table.to_markdown()}\n\n"
                "Test columns: bit errors per sequence of each run's final weights (median over "
                "seeds). Commands:\n\n" + "\n".join(f"    {c}" for c in commands.values()) + "\n")
    (args.out / f"{task}.md").write_text(markdown)
    print(table)


if __name__ == "__main__":
    main()
