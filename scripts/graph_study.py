"""Graph traversal (``ntm_lib.tasks.graph_traversal``): the DNC, the NTM and the LSTM baseline,
seeds trained as batched sweeps, each run's final weights scored on the task's test conditions,
and for the DNCs where their reads go at each hop.

The runs came from (one sweep per model, one torch thread each):

    python -m ntm_lib sweep --task graph_traversal --model dnc --seeds 0-4 \\
        --max-sequences 200000 --no-progress --out runs/graph/dnc
    python -m ntm_lib sweep --task graph_traversal --model ntm --seeds 0-2 \\
        --max-sequences 200000 --no-progress --out runs/graph/ntm
    python -m ntm_lib sweep --task graph_traversal --model lstm --seeds 0-1 \\
        --max-sequences 200000 --no-progress --out runs/graph/lstm

and this script collects them (a model without a sweep folder is skipped):

    python scripts/graph_study.py --runs runs/graph --machine "..." [--out data/eval]

It writes ``graph-traversal.json`` (every run: settings, convergence, history, test scores; per
model: a summary; the commands; for the shipped DNC, where its reads go at the hops of every test
condition, and what it read at the hops it got wrong) and ``graph-traversal.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch

from dnc_mds_study import convergence_summary, first_converged  # this folder's sibling script
from ntm_lib import load_pretrained
from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.dnc import DNC
from ntm_lib.evaluation import evaluate_models, make_test_set
from ntm_lib.recipes import task_entry
from ntm_lib.tables import Table

TASK = "graph_traversal"
MODELS = {"dnc": "DNC", "ntm": "NTM", "lstm": "LSTM"}  # folder under --runs: name in the tables


def hop_reads(model: DNC, condition: dict | None = None, sequences: int = 500, seed: int = 1234) -> dict:
    """Where a DNC's read head is at the hops of ``sequences`` walks of one test condition (the
    training condition by default; the seeded test set of ``evaluation.make_test_set``):

    - ``read_on_followed_edge``: the share of hops at which the read head's largest weight is on
      the slot written with the edge the hop follows (``GraphTraversalTask.followed_edges``);
    - ``read_modes``: the mean read modes (backward, content, forward) at the hops;
    - ``wrong_hops``: the hops answered wrongly, by the edge last written into the slot read:
      the right edge, one from the same source node with another label, one with the same label
      from another node, another edge, or no edge at all."""
    task = task_entry(TASK).task
    on_edge, modes, hops = 0, torch.zeros(3), 0
    wrong = dict.fromkeys(("right edge", "same source", "same label", "other edge", "no edge"), 0)
    V, L = task.node_ids, task.labels
    for batch in make_test_set(task, condition or {}, sequences, seed):
        with torch.no_grad():
            logits, _, trace = model(batch.inputs, trace=True)
        followed = task.followed_edges(batch)
        is_hop = batch.mask == 1
        written = trace.write_weights.argmax(-1)  # (B, T): the slot each step wrote most
        edge_slot = written.gather(1, followed.clamp(min=0))
        read_slot = trace.read_weights[:, :, 0].argmax(-1)  # the first read head
        on_edge += int((read_slot == edge_slot)[is_hop].sum())
        modes += trace.read_modes[:, :, 0][is_hop].sum(0)
        hops += int(is_hop.sum())
        is_edge = (batch.inputs[..., -1] == 0) & (batch.inputs.sum(-1) > 0)  # (B, T)
        missed = ((logits > 0).to(batch.targets.dtype) != batch.targets).any(-1) & is_hop
        for b, t in missed.nonzero().tolist():
            e = int(followed[b, t])
            writers = [s for s in range(t) if is_edge[b, s] and written[b, s] == read_slot[b, t]]
            if not writers:
                wrong["no edge"] += 1
                continue
            s = writers[-1]
            source = lambda step: int(batch.inputs[b, step, :V].argmax())  # noqa: E731
            label = lambda step: int(batch.inputs[b, step, V:V + L].argmax())  # noqa: E731
            kind = ("right edge" if s == e else "same source" if source(s) == source(e)
                    else "same label" if label(s) == label(e) else "other edge")
            wrong[kind] += 1
    mean = (modes / hops).tolist()
    return {"hops": hops, "read_on_followed_edge": round(on_edge / hops, 4),
            "read_modes": {"backward": round(mean[0], 4), "content": round(mean[1], 4),
                           "forward": round(mean[2], 4)},
            "wrong_hops": wrong}


def answers(model, sequences: int = 500, seed: int = 1234) -> dict[str, float]:
    """On the training condition's test set: the share of first hops answered right, and the
    share of all hops answered with no node at all (every logit at or below 0)."""
    task = task_entry(TASK).task
    first_right, walks, empty, hops = 0, 0, 0, 0
    generator = torch.Generator().manual_seed(seed)  # a random initial memory, the same every time
    for batch in make_test_set(task, {}, sequences, seed):
        with torch.no_grad():
            logits = model(batch.inputs, generator=generator)[0]
        right = ((logits > 0).to(batch.targets.dtype) == batch.targets).all(-1)  # (B, T)
        first = batch.mask.argmax(-1)  # (B,): the first hop's step
        first_right += int(right.gather(1, first[:, None]).sum())
        walks += batch.inputs.shape[0]
        is_hop = batch.mask == 1
        empty += int((logits <= 0).all(-1)[is_hop].sum())
        hops += int(is_hop.sum())
    return {"first_hop_accuracy": round(first_right / walks, 4), "empty_answers": round(empty / hops, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/graph"))
    parser.add_argument("--machine", required=True, help="the machine the runs were trained on")
    parser.add_argument("--out", type=Path, default=Path("data/eval"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    runs, commands, models = [], {}, {}
    for folder, name in MODELS.items():
        path = args.runs / folder / "sweep.json"
        if not path.exists():
            print(f"skipping {name}: no {path}")
            continue
        sweep = json.loads(path.read_text())
        commands[name] = " ".join(sweep["command"])
        for run in sweep["runs"]:
            model = load_checkpoint(args.runs / folder / run["name"] / "final.pt")
            models[f"{name} seed {run['seed']}"] = model
            record = {
                "model": name, "seed": run["seed"], "converged": run["converged"],
                "first_converged": first_converged(run["history"]), "sequences": run["sequences"],
                "seconds": round(run["seconds"], 1), "nonfinite_batches": run["nonfinite_batches"],
                "val_bit_errors": round(run["val_bit_errors"], 4),
                "history": [[r["sequences"], round(r["val_bit_errors"], 4)] for r in run["history"]],
            }
            record["answers"] = answers(model)
            if isinstance(model, DNC):
                record["hops"] = hop_reads(model)
            runs.append(record)
    test = evaluate_models(TASK, models)
    metrics = ("bit_errors", "hop_accuracy", "path_accuracy")
    for run in runs:
        key = f"{run['model']} seed {run['seed']}"
        run["test"] = {row["condition"]: {m: round(row[key][m], 4) for m in metrics} for row in test["rows"]}

    conditions = [row["condition"] for row in test["rows"]]
    entry = task_entry(TASK)
    shipped = load_pretrained(TASK, model="dnc")
    shipped_hops = {label: hop_reads(shipped, kwargs, seed=test["seed"] + i)
                    for i, (label, kwargs) in enumerate(entry.conditions)}
    summary = {}
    for name in MODELS.values():
        mine = [r for r in runs if r["model"] == name]
        if not mine:
            continue
        summary[name] = {
            **convergence_summary(mine),
            "median_test": {c: {m: statistics.median(r["test"][c][m] for r in mine) for m in metrics}
                            for c in conditions},
        }
    result = {"task": TASK, "models": summary, "runs": runs, "commands": commands,
              "test_seed": test["seed"], "test_sequences": test["rows"][0]["sequences"],
              "conditions": conditions, "machine": args.machine,
              "shipped_dnc_hops": shipped_hops}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "graph-traversal.json").write_text(json.dumps(result, indent=1) + "\n")

    by_model = Table(["model", "converged", "median sequences to < 0.1", "non-finite",
                      *[f"{c}: walks right" for c in conditions]],
                     [[name, f"{s['converged']}/{s['runs']}", s["median_first_converged"] or "-",
                       s["nonfinite_batches"], *[f"{s['median_test'][c]['path_accuracy']:.1%}" for c in conditions]]
                      for name, s in summary.items()])
    by_run = Table(["run", "converged at", "sequences", *[f"{c}: bit errors" for c in conditions],
                    "DNC: hops read from the edge's slot"],
                   [[f"{r['model']} seed {r['seed']}", r["first_converged"] or "-", r["sequences"],
                     *[r["test"][c]["bit_errors"] for c in conditions],
                     f"{r['hops']['read_on_followed_edge']:.1%}" if "hops" in r else "-"] for r in runs])
    kinds = list(next(iter(shipped_hops.values()))["wrong_hops"])
    reads = Table(["condition", "hops", "read from the edge's slot", "content mode",
                   *[f"wrong, read: {k}" for k in kinds]],
                  [[c, h["hops"], f"{h['read_on_followed_edge']:.1%}", h["read_modes"]["content"],
                    *[h["wrong_hops"][k] for k in kinds]] for c, h in shipped_hops.items()])
    markdown = (
        "# Graph traversal: DNC, NTM and LSTM\n\n"
        f"Machine: {args.machine}. Test sets: {result['test_sequences']} walks per condition, seed "
        f"{result['test_seed']} (condition i draws from seed {result['test_seed']} + i); the first "
        "condition is the training one. Medians over each model's runs.\n\n"
        f"{by_model.to_markdown()}\n\n## Every run\n\n{by_run.to_markdown()}\n\n"
        "## The shipped DNC at the hops\n\n"
        "`data/pretrained/graph_traversal-dnc.pt` on the same test sets: the share of hops at which "
        "its read head's largest weight is on the slot written with the edge the hop follows, its "
        "mean content read mode there, and the hops it answered wrongly by what the slot it read "
        "last held.\n\n"
        f"{reads.to_markdown()}\n\n"
        "Commands:\n\n" + "\n".join(f"    {c}" for c in commands.values()) + "\n"
        "    python scripts/graph_study.py --runs runs/graph --machine \"...\"\n")
    (args.out / "graph-traversal.md").write_text(markdown)
    print(by_model)
    print(by_run)


if __name__ == "__main__":
    main()
