r"""``python -m ntm_lib bench``: the numbers the README reports, measured on this machine.

For the copy recipe of ``--model`` (ntm, the default, or dnc):

1. Training throughput (sequences per second) at several batch sizes, on copy sequences of
   lengths 1-20: forward, backward, clipping and the optimiser step.
2. Wall time to converge on copy (< 0.1 bit errors per sequence on the 640-sequence validation
   set) for several seeds, and the median.
3. Whether it stays converged: each converged run trains on for ``--stay`` more sequences,
   validated every 20 batches; the worst validation error seen is reported.
4. With ``--slots 16,32,...``: the training cost per time step as the memory grows (the DNC's
   link matrix has N x N entries).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from .fused import fused_step_enabled
from .models import build_model
from .recipes import recipe
from .tasks.base import masked_bce
from .training import train


def _synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a wall-clock reading covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seconds_per_call(fn, seconds: float, device: torch.device, warm_up: int, minimum: int) -> float:
    """Mean wall time of ``fn()`` over calls repeated for ``seconds`` (at least ``minimum``), after
    ``warm_up`` calls that are not timed."""
    for _ in range(warm_up):
        fn()
    _synchronize(device)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or calls < minimum:
        fn()
        calls += 1
    _synchronize(device)
    return (time.perf_counter() - start) / calls


def throughput(batch_size: int, seconds: float = 5.0, seed: int = 0, device: str | torch.device = "cpu",
               model_kind: str = "ntm") -> float:
    """Training sequences per second of the copy recipe's ``model_kind`` at ``batch_size`` on
    ``device`` (batches are drawn on the CPU and moved there, as in ``ntm_lib.training.train``)."""
    device = torch.device(device)
    task, model_config, train_config = recipe("copy", model_kind)
    torch.manual_seed(seed)
    model = build_model(model_kind, model_config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_config.learning_rate)
    generator = torch.Generator().manual_seed(seed)

    def one_step() -> None:
        batch = task.sample(batch_size, generator).to(device)
        loss = masked_bce(model(batch.inputs)[0], batch).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.clip_norm)
        optimizer.step()

    return batch_size / _seconds_per_call(one_step, seconds, device, warm_up=2, minimum=3)


def step_cost(num_slots: int, batch_size: int, seconds: float = 3.0, length: int = 20, seed: int = 0,
              device: str | torch.device = "cpu", model_kind: str = "ntm") -> float:
    """Seconds per time step (forward and backward, one batch) of the copy recipe's ``model_kind``
    with ``num_slots`` memory slots, on copy sequences of one length (2L + 1 steps each)."""
    device = torch.device(device)
    task, model_config, _ = recipe("copy", model_kind)
    torch.manual_seed(seed)
    model = build_model(model_kind, replace(model_config, num_slots=num_slots)).to(device)
    batch = task.sample(batch_size, torch.Generator().manual_seed(seed), length=length).to(device)

    def one_pass() -> None:
        model.zero_grad()
        masked_bce(model(batch.inputs)[0], batch).mean().backward()

    return _seconds_per_call(one_pass, seconds, device, warm_up=1, minimum=2) / (2 * length + 1)


def converge(seed: int, out: Path, stay: int, max_seconds: float | None, device: str | torch.device = "cpu",
             max_sequences: int | None = None, model_kind: str = "ntm") -> dict:
    """Train the copy recipe's ``model_kind`` from scratch; then train on ``stay`` more sequences."""
    task, model_config, train_config = recipe("copy", model_kind)
    config = replace(train_config, seed=seed, max_seconds=max_seconds,
                     max_sequences=max_sequences or train_config.max_sequences)
    torch.manual_seed(seed)
    model = build_model(model_kind, model_config)
    result = train(model, task, config, out, progress=False, device=device)
    row = {"seed": seed, "converged": result.converged, "sequences": result.sequences,
           "seconds": round(result.seconds, 1), "val_bit_errors": result.val_bit_errors,
           "nonfinite_batches": result.nonfinite_batches}
    if result.converged and stay > 0:
        more = replace(config, stop_when_converged=False, validate_every=20,
                       max_sequences=result.sequences + stay, max_seconds=None)
        after = train(model, task, more, out, resume=True, progress=False, device=device)
        later = [h["val_bit_errors"] for h in after.history if h["sequences"] > result.sequences]
        row.update(stay_sequences=after.sequences - result.sequences, stay_worst_bit_errors=max(later),
                   stay_final_bit_errors=later[-1], nonfinite_batches=after.nonfinite_batches)
    return row


def run_bench(args) -> None:
    out = Path(args.out)
    kind = args.model
    report: dict = {"threads": torch.get_num_threads(), "device": _device_name(args.device), "model": kind,
                    "fused_step": fused_step_enabled()}
    if not args.skip_throughput:
        print(f"== training throughput, copy lengths 1-20, the copy recipe's {kind.upper()}", flush=True)
        report["throughput"] = {}
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            rate = throughput(batch_size, device=args.device, model_kind=kind)
            report["throughput"][batch_size] = round(rate, 1)
            print(f"batch {batch_size:4d}: {rate:8.1f} sequences/s", flush=True)
    if args.slots:
        print(f"== training cost per time step against memory size, batch {args.slots_batch}, length 20", flush=True)
        report["step_cost"] = {"batch_size": args.slots_batch, "microseconds_per_step": {}}
        for slots in [int(n) for n in args.slots.split(",")]:
            per_step = 1e6 * step_cost(slots, args.slots_batch, device=args.device, model_kind=kind)
            report["step_cost"]["microseconds_per_step"][slots] = round(per_step, 1)
            print(f"N = {slots:4d}: {per_step:9.1f} microseconds per time step (batch of {args.slots_batch})", flush=True)
    if args.seeds > 0:
        print(f"== time to converge on copy (< 0.1 bit errors/sequence), {args.seeds} seeds", flush=True)
        rows = []
        for seed in range(args.seeds):
            row = converge(seed, out / f"copy-{kind}-seed{seed}", args.stay, args.max_seconds, args.device,
                           args.max_sequences, model_kind=kind)
            rows.append(row)
            print(json.dumps(row), flush=True)
        times = [r["seconds"] for r in rows if r["converged"]]
        report["converge"] = rows
        report["converged_seeds"] = f"{len(times)}/{len(rows)}"
        report["median_seconds"] = statistics.median([r["seconds"] for r in rows])
        report["median_sequences"] = statistics.median([r["sequences"] for r in rows])
        stayed = [r["stay_worst_bit_errors"] for r in rows if "stay_worst_bit_errors" in r]
        if stayed:
            report["stay_worst_bit_errors"] = max(stayed)
        print(f"converged {report['converged_seeds']}, median {report['median_seconds']:.1f} s, "
              f"{report['median_sequences']:.0f} sequences", flush=True)
    if args.report:
        Path(args.report).write_text(bench_markdown(report))
        print(f"wrote {args.report}", flush=True)
    print(json.dumps(report))


def _device_name(device: str) -> str:
    """"cpu", or the GPU's name (``--device cuda``); a clear error if that GPU is not there."""
    device = torch.device(device)
    if device.type == "cpu":
        return "cpu"
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"error: --device {device}: torch {torch.__version__} sees no CUDA GPU")
    return torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)


def bench_markdown(report: dict) -> str:
    """The benchmark report as a Markdown page (``bench --report data/bench.md``)."""
    import os
    import platform

    lines = ["# Benchmark: `python -m ntm_lib bench`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
             f"{report['threads']} torch thread(s), {time.strftime('%Y-%m-%d')}."]
    if report.get("fused_step"):
        lines.append("With the fused NTM step (`--fused`, `ntm_lib.fused`).")
    if report.get("device", "cpu") != "cpu":
        lines.append(f"Device: {report['device']} (`--device`); batches are drawn on the CPU and moved to it.")
    lines.append("")
    kind = report.get("model", "ntm").upper()
    if "throughput" in report:
        lines += [f"## Training throughput (copy, lengths 1-20, the copy recipe's {kind})", "",
                  "| batch size | sequences/s |", "|---|---|"]
        lines += [f"| {b} | {r:.1f} |" for b, r in report["throughput"].items()]
        lines.append("")
    if "step_cost" in report:
        lines += [f"## Training cost per time step against memory size ({kind}, batch "
                  f"{report['step_cost']['batch_size']}, length 20: forward and backward)", "",
                  "| slots N | microseconds per step |", "|---|---|"]
        lines += [f"| {n} | {c:.1f} |" for n, c in report["step_cost"]["microseconds_per_step"].items()]
        lines.append("")
    if "converge" in report:
        lines += [f"## Time to converge on copy ({kind}; < 0.1 bit errors per sequence on 640 validation sequences)", "",
                  "| seed | converged | sequences | seconds | worst validation bit errors in the next sequences |",
                  "|---|---|---|---|---|"]
        for r in report["converge"]:
            stay = (f"{r['stay_worst_bit_errors']:.3f} over {r['stay_sequences']}"
                    if "stay_worst_bit_errors" in r else "-")
            lines.append(f"| {r['seed']} | {r['converged']} | {r['sequences']} | {r['seconds']} | {stay} |")
        lines += ["", f"Converged: {report['converged_seeds']}; median {report['median_seconds']:.1f} s, "
                      f"{report['median_sequences']:.0f} sequences."]
    return "\n".join(lines) + "\n"
