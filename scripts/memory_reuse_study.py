"""Memory reuse (``ntm_lib.tasks.memory_reuse``): a DNC and an NTM with the same memory (10 slots
of 20), trained the same way, then scored on series like the training ones and on longer ones; for
the DNC also how it uses its memory (slots reused, free and allocation gates, from its trace).

Trains one run after another on one torch thread and prints one JSON object (the summary) at the
end; progress goes to standard error. The table in ``data/eval/memory-reuse.md`` came from

    python scripts/memory_reuse_study.py --runs dnc:0,dnc:1,ntm:0 --out /tmp/reuse-runs > memory-reuse.json

Each run's checkpoints go to ``OUT/<model>-seed<seed>/`` (``last.pt``, ``final.pt``). A run's
weights after N sequences do not depend on where it stops, so the budget only decides how far it
gets. ``--evaluate-only`` rescores the ``final.pt`` of earlier runs without training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch import Tensor

from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.dnc import DNC, DNCConfig
from ntm_lib.ntm import NTM, NTMConfig
from ntm_lib.tasks.base import Batch, bce_bits_per_sequence, bit_errors_per_sequence
from ntm_lib.tasks.memory_reuse import MemoryReuseTask
from ntm_lib.training import TrainConfig, train

TASK = MemoryReuseTask()  # 4-6 sequences of 3-5 vectors of 6 bits: 12-30 vectors a series
SLOTS, WORD = 10, 20  # the paper's 10 slots; the library's word size

# The recipes: both models with the library's LSTM controller of 100 units and the same memory;
# the copy recipe's training settings (Adam 3e-3, batch 16, clip 10) and budget in sequences.
TRAIN = TrainConfig(max_sequences=32_000, validate_every=100, validation_size=640)
MODELS = {
    "dnc": (DNC, DNCConfig(input_size=TASK.input_size, output_size=TASK.output_size, controller="lstm",
                           controller_size=100, num_slots=SLOTS, word_size=WORD)),
    "ntm": (NTM, NTMConfig(input_size=TASK.input_size, output_size=TASK.output_size, controller="lstm",
                           controller_size=100, num_slots=SLOTS, word_size=WORD)),
}

# Test conditions: (name, sample overrides, number of series). Test sets have their own seeds
# (2024 + index), apart from training (the run's seed) and validation (10,000,019 + seed).
CONDITIONS = (
    ("training (4-6 x 3-5)", {}, 640),
    ("10 sequences of 5", {"num_sequences": 10, "length": 5}, 256),
    ("20 sequences of 5", {"num_sequences": 20, "length": 5}, 128),
    ("50 sequences of 5", {"num_sequences": 50, "length": 5}, 64),
)


def test_set(task, overrides: dict, size: int, seed: int, chunk: int = 128) -> list[Batch]:
    generator = torch.Generator().manual_seed(seed)
    return [task.sample(min(chunk, size - start), generator, **overrides) for start in range(0, size, chunk)]


@torch.no_grad()
def scores(model, batches: list[Batch]) -> dict[str, float]:
    """Mean bit errors and BCE bits per series, and the fraction of series without an error."""
    model.eval()
    errors, bce = [], []
    for batch in batches:
        logits = model(batch.inputs)[0]
        errors.append(bit_errors_per_sequence(logits, batch))
        bce.append(bce_bits_per_sequence(logits, batch))
    errors, bce = torch.cat(errors), torch.cat(bce)
    return {"bit_errors": round(errors.mean().item(), 3), "bce_bits": round(bce.mean().item(), 3),
            "perfect": round((errors == 0).float().mean().item(), 3)}


@torch.no_grad()
def memory_use(model: DNC, batches: list[Batch], bits: int) -> dict[str, float]:
    """How a trained DNC uses its memory, from its trace, averaged over series.

    Write steps are the steps that present a vector, copy steps the scored ones. ``vectors``: vectors
    written a series; ``slots_written``: distinct slots that take the largest write weight on the
    write steps; ``rewrites``: write steps whose slot had already been written in the series;
    ``write_focus``: the mean largest write weight on write steps; ``usage_of_slot_written``: the
    usage of that slot just before the write (after this step's frees: 0 = a free slot). Gates: mean free gate on copy
    steps and on write steps, mean allocation and write gates on write steps and elsewhere.
    """
    model.eval()
    totals: dict[str, list[Tensor]] = {}

    def add(name, values):
        totals.setdefault(name, []).append(values.flatten())

    for batch in batches:
        _, _, trace = model(batch.inputs, trace=True)
        writes = presenting(batch, bits)  # (B, T)
        copies = batch.mask.bool()
        slots = trace.write_weights.argmax(-1)  # (B, T)
        for b in range(batch.inputs.shape[0]):
            written = slots[b][writes[b]].tolist()
            add("vectors", torch.tensor(float(len(written))))
            add("slots_written", torch.tensor(float(len(set(written)))))
            add("rewrites", torch.tensor(float(len(written) - len(set(written)))))
        add("write_focus", trace.write_weights.max(-1).values[writes])
        add("usage_of_slot_written", trace.usage.gather(-1, slots.unsqueeze(-1)).squeeze(-1)[writes])
        add("free_gate_copy", trace.free_gates.mean(-1)[copies])
        add("free_gate_write", trace.free_gates.mean(-1)[writes])
        add("allocation_gate_write", trace.allocation_gate[writes])
        add("write_gate_write", trace.write_gate[writes])
        add("write_gate_other", trace.write_gate[~writes & (batch.inputs.abs().sum(-1) + batch.mask > 0)])
    return {name: round(torch.cat(values).float().mean().item(), 3) for name, values in totals.items()}


@torch.no_grad()
def ntm_writes(model: NTM, batches: list[Batch], bits: int) -> dict[str, float]:
    """Where a trained NTM writes, from its trace, averaged over series: ``vectors``,
    ``slots_written`` and ``rewrites`` as for the DNC (``memory_use``), ``write_focus``, and
    ``next_slot``: the fraction of write steps after the first of a series whose slot is the one
    after the last write step's, modulo N (a ring buffer: 1)."""
    model.eval()
    totals: dict[str, list[Tensor]] = {}
    n = model.config.num_slots
    for batch in batches:
        _, _, trace = model(batch.inputs, trace=True)
        writes = presenting(batch, bits)
        weights = trace.weights[:, :, model.config.num_read_heads]  # (B, T, N): the first write head
        slots = weights.argmax(-1)
        for b in range(batch.inputs.shape[0]):
            written = slots[b][writes[b]]
            values = {"vectors": float(len(written)), "slots_written": float(len(set(written.tolist()))),
                      "rewrites": float(len(written) - len(set(written.tolist()))),
                      "next_slot": ((written[1:] - written[:-1]) % n == 1).float().mean().item()}
            for name, value in values.items():
                totals.setdefault(name, []).append(torch.tensor([value]))
        totals.setdefault("write_focus", []).append(weights.max(-1).values[writes])
    return {name: round(torch.cat(values).mean().item(), 3) for name, values in totals.items()}


def presenting(batch: Batch, bits: int) -> torch.Tensor:
    """(B, T) True on the steps that present a vector, from the layout (an all-zero vector too):
    the L steps before each delimiter, where L is the number of scored steps after it."""
    presenting = torch.zeros_like(batch.mask, dtype=torch.bool)
    for b in range(batch.inputs.shape[0]):
        delimiters = (batch.inputs[b, :, bits] == 1).nonzero().flatten().tolist()
        start = 0
        for d in delimiters:
            presenting[b, start:d] = True
            start = d + 1 + (d - start)
    return presenting


def build(kind: str, seed: int):
    model_cls, config = MODELS[kind]
    torch.manual_seed(seed)  # as `python -m ntm_lib train` does before building the model
    return model_cls(config)


def run(kind: str, seed: int, out: Path | None, train_config: TrainConfig, evaluate_only: bool) -> dict:
    folder = out / f"{kind}-seed{seed}" if out is not None else None
    if evaluate_only:
        model = load_checkpoint(folder / "final.pt")
        result = {"model": kind, "seed": seed}
    else:
        model = build(kind, seed)
        config = TrainConfig(**{**train_config.__dict__, "seed": seed})

        def report(record):
            print(json.dumps({"model": kind, "seed": seed, **{k: round(v, 3) for k, v in record.items()}}),
                  file=sys.stderr, flush=True)

        trained = train(model, TASK, config, folder, progress=False, callbacks=(report,))
        result = {"model": kind, "seed": seed, "converged": trained.converged, "sequences": trained.sequences,
                  "seconds": round(trained.seconds, 1), "val_bit_errors": round(trained.val_bit_errors, 3),
                  "nonfinite_batches": trained.nonfinite_batches, "checkpoint": trained.checkpoint}
    result["test"] = {}
    for index, (name, overrides, size) in enumerate(CONDITIONS):
        batches = test_set(TASK, overrides, size, 2024 + index)
        result["test"][name] = scores(model, batches)
        if index <= 1:
            measure = memory_use if kind == "dnc" else ntm_writes
            result["test"][name]["memory"] = measure(model, batches, TASK.bits)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="dnc:0,dnc:1,ntm:0", help="model:seed pairs separated by commas")
    parser.add_argument("--out", type=Path, default=Path("/tmp/reuse-runs"), help="checkpoint folder")
    parser.add_argument("--max-sequences", type=int, default=TRAIN.max_sequences)
    parser.add_argument("--evaluate-only", action="store_true", help="score OUT/<model>-seed<seed>/final.pt")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train_config = TrainConfig(**{**TRAIN.__dict__, "max_sequences": args.max_sequences})
    results = []
    started = time.perf_counter()
    for item in args.runs.split(","):
        kind, seed = item.split(":")
        if kind not in MODELS:
            raise SystemExit(f"unknown model {kind!r}; expected one of {sorted(MODELS)}")
        results.append(run(kind, int(seed), args.out, train_config, args.evaluate_only))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    summary = {
        "task": {"name": TASK.name, **TASK.__dict__},
        "models": {kind: {"kind": kind, **config.__dict__} for kind, (_, config) in MODELS.items()},
        "train_config": {k: v for k, v in train_config.__dict__.items()},
        "conditions": [{"name": n, "overrides": o, "series": s, "seed": 2024 + i}
                       for i, (n, o, s) in enumerate(CONDITIONS)],
        "runs": results,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
