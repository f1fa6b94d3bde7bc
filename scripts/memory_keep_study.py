"""Memory reuse with one sequence kept (``MemoryReuseTask(keep_first=True)``, the registered task
``memory_reuse_keep``): a DNC and an NTM with the same 10 slots, trained by the sweep with their
registered recipes, then scored on series like the training ones and on longer ones; for both,
where the kept sequence is stored and whether it is still there when it is recalled.

Training (one command per model; each run's checkpoints go to ``OUT/seed-S/``):

    python -m ntm_lib sweep --task memory_reuse_keep --model dnc --seeds 0-2 --max-sequences 32000 --out runs/keep/dnc
    python -m ntm_lib sweep --task memory_reuse_keep --model ntm --seeds 0-2 --max-sequences 32000 --out runs/keep/ntm

Scoring (prints one JSON object; ``data/eval/memory-keep.json`` came from it):

    python scripts/memory_keep_study.py runs/keep/dnc runs/keep/ntm > memory-keep.json

The same with controllers of 32 units (``--controller-size 32`` on both sweep commands, into
``runs/keep-c32/``) gave ``data/eval/memory-keep-small-controller.json``.

Each sweep folder's ``sweep.json`` gives the training records, each run's ``final.pt`` the model.
Shares its scoring with ``memory_reuse_study.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch
from torch import Tensor

from memory_reuse_study import scores, test_set  # this folder's sibling script
from ntm_lib.checkpoints import load_checkpoint, read_checkpoint
from ntm_lib.dnc import DNC
from ntm_lib.tasks import TASKS
from ntm_lib.tasks.base import Batch, bit_errors_per_sequence

# (name, sample overrides, number of series); test-set seeds 4024 + index. A series of n
# sequences keeps one and copies n - 1 through the memory meanwhile; the longer test series
# have sequences of the task's longest length.
def conditions(task) -> list[tuple[str, dict, int]]:
    L = task.max_length
    return [(f"training ({task.min_sequences}-{task.max_sequences} x {task.min_length}-{L})", {}, 640),
            (f"10 sequences of {L}", {"num_sequences": 10, "length": L}, 256),
            (f"20 sequences of {L}", {"num_sequences": 20, "length": L}, 128)]


def task_of(checkpoint: Path):
    """The task a checkpoint was trained on (its settings are stored with it)."""
    stored = read_checkpoint(checkpoint)["task"]
    return TASKS[stored["name"]](**stored["config"])


def kept_steps(batch: Batch, bits: int) -> tuple[Tensor, Tensor, Tensor]:
    """(B, T) masks from the layout: the steps that present the kept sequence, the steps between
    its keep and recall markers, and the scored steps that write it back."""
    markers = batch.inputs[..., bits + 1] == 1  # (B, T): keep, then recall
    order = markers.long().cumsum(1)
    presenting = order == 0
    between = (order == 1) & ~markers
    recalled = (order == 2) & batch.mask.bool()
    return presenting, between, recalled


@torch.no_grad()
def where_kept(model, batches: list[Batch], bits: int) -> dict[str, float]:
    """Where the kept sequence is stored and what becomes of it, averaged over series.

    ``kept_slots``: the slots that take the largest write weight while the kept vectors are
    presented; ``kept_slots_changed``: how much those slots' rows change between the keep and the
    recall marker, ||M_recall - M_keep|| / ||M_keep|| over them (0: untouched, about 1 or more:
    overwritten); ``write_on_kept``: the write weight that falls on them in between, per write
    step (an NTM always writes; a DNC's is times its write gate); ``read_on_kept``: the read weight
    on them while the kept sequence is written back (1: it is read from memory);
    ``copies_read_from_memory``: for the other sequences, the read weight on the slot that took the
    largest write weight when the vector being written back was presented (1: each copy is read
    from where it was written; near 0: the controller carries it, or reads it earlier);
    ``copies_read_a_step_early``: the same one step before (the read then reaches the output through
    the controller at the next step, as a read at step t enters the controller at t + 1; added
    with the third study); ``copies_written``: how much the
    memory changes on the steps that present the other sequences, relative to the steps that present
    the kept one (mean ||M_t - M_t-1||; near 0: they are not written); ``copy_slots``: how many
    slots the sequences that come and go are written to (largest write weight per vector);
    ``copies_to_reused_slots``: the share of their vectors written to a slot that an earlier one of
    them had taken (slots freed and used again); ``free_gate_on_copies`` (a DNC only): its free
    gate while each of them is written back; ``kept_errors`` and ``other_errors``: bit errors per
    series on the kept sequence and on the rest. The last four were added with the third study.
    """
    model.eval()
    totals: dict[str, list[float]] = {}
    is_dnc = isinstance(model, DNC)
    for batch in batches:
        logits, _, trace = model(batch.inputs, trace=True)
        presenting, between, recalled = kept_steps(batch, bits)
        if is_dnc:
            writes = trace.write_weights * trace.write_gate.unsqueeze(-1)  # (B, T, N)
            reads = trace.read_weights.mean(2)
        else:
            heads = model.config.num_read_heads
            writes = trace.weights[:, :, heads:].sum(2)  # all write heads
            reads = trace.weights[:, :, :heads].mean(2)
        recall_part = Batch(batch.inputs, batch.targets, batch.mask * recalled)
        other_part = Batch(batch.inputs, batch.targets, batch.mask * ~recalled)
        kept_errors = bit_errors_per_sequence(logits, recall_part)
        other_errors = bit_errors_per_sequence(logits, other_part)
        for b in range(batch.inputs.shape[0]):
            slots = sorted(set(writes[b][presenting[b]].argmax(-1).tolist()))
            keep_step = int(presenting[b].sum())  # the keep marker's step
            recall_step = int((presenting[b] | between[b]).sum())  # the recall marker's step
            before = trace.memory[b, keep_step, slots]
            after = trace.memory[b, recall_step, slots]
            in_between = between[b].nonzero().flatten()
            # (T,) ||M_t - M_t-1||; the memory before step 0 is not traced, so step 0 is left out
            change = torch.cat([torch.tensor([float("nan")]), trace.memory[b].diff(dim=0).flatten(1).norm(dim=-1)])
            matched, matched_before, copy_steps = [], [], []
            copy_slots, reused, free_gates = set(), [], []
            for d in (batch.inputs[b, :, bits] == 1).nonzero().flatten().tolist():  # each delimiter
                L = int(batch.mask[b, d + 1:].cumprod(0).sum())  # its scored steps
                written = writes[b, d - L:d].argmax(-1)  # (L,) the slot of each presented vector
                copy_steps.extend(range(d - L, d))
                matched.append(reads[b, d + 1:d + 1 + L].gather(-1, written.unsqueeze(-1)).mean().item())
                matched_before.append(reads[b, d:d + L].gather(-1, written.unsqueeze(-1)).mean().item())
                if between[b, d]:  # one of the sequences that come and go
                    reused.extend(slot in copy_slots for slot in written.tolist())
                    copy_slots.update(written.tolist())
                    if is_dnc:
                        free_gates.append(trace.free_gates[b, d:d + L].mean().item())
            values = {
                "kept_slots": float(len(slots)),
                "kept_slots_changed": ((after - before).norm() / before.norm().clamp_min(1e-9)).item(),
                "write_on_kept": writes[b][in_between][:, slots].sum(-1).mean().item(),
                "read_on_kept": reads[b][recalled[b]][:, slots].sum(-1).mean().item(),
                "copies_read_from_memory": sum(matched) / len(matched),
                "copies_read_a_step_early": sum(matched_before) / len(matched_before),
                "copies_written": (change[copy_steps].nanmean() / change[presenting[b]].nanmean()).item(),
                "copy_slots": float(len(copy_slots)),
                "copies_to_reused_slots": sum(reused) / max(len(reused), 1),
                "kept_errors": kept_errors[b].item(),
                "other_errors": other_errors[b].item(),
            }
            if free_gates:
                values["free_gate_on_copies"] = sum(free_gates) / len(free_gates)
            for name, value in values.items():
                totals.setdefault(name, []).append(value)
    return {name: round(sum(v) / len(v), 3) for name, v in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweeps", nargs="+", type=Path, help="sweep output folders (with sweep.json)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sweeps = []
    for folder in args.sweeps:
        report = json.loads((folder / "sweep.json").read_text())
        task = task_of(folder / f"seed-{report['runs'][0]['seed']}" / "final.pt")
        runs = []
        for entry in report["runs"]:
            checkpoint = folder / f"seed-{entry['seed']}" / "final.pt"
            if task_of(checkpoint) != task:
                raise SystemExit(f"{checkpoint}: trained on another task than the sweep's first run")
            model = load_checkpoint(checkpoint)
            result = {"model": report["model"], **{k: entry[k] for k in (
                "seed", "converged", "sequences", "seconds", "val_bit_errors", "nonfinite_batches")}}
            result["test"] = {}
            for index, (name, overrides, size) in enumerate(conditions(task)):
                batches = test_set(task, overrides, size, 4024 + index)
                result["test"][name] = {**scores(model, batches), "memory": where_kept(model, batches, task.bits)}
            runs.append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
        first = load_checkpoint(folder / f"seed-{report['runs'][0]['seed']}" / "final.pt")
        sweeps.append({
            "task": {"name": report["task"], **task.__dict__}, "command": report["command"],
            "model_config": dataclasses.asdict(first.config),
            "conditions": [{"name": n, "overrides": o, "series": s, "seed": 4024 + i}
                           for i, (n, o, s) in enumerate(conditions(task))],
            "runs": runs,
        })
    summary = {"sweeps": sweeps, "torch": torch.__version__}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
