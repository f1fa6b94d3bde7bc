r"""``python -m ntm_lib bench``: the numbers the README reports, measured on this machine.

1. Training throughput (sequences per second) of the default copy NTM at several batch sizes,
   on copy sequences of lengths 1-20: forward, backward, clipping and the optimiser step.
2. Wall time to converge on copy (< 0.1 bit errors per sequence on the 640-sequence validation
   set) for several seeds, and the median.
3. Whether it stays converged: each converged run trains on for ``--stay`` more sequences,
   validated every 20 batches; the worst validation error seen is reported.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from .models import build_model
from .recipes import recipe
from .tasks.base import masked_bce
from .training import train


def _synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a wall-clock reading covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(batch_size: int, seconds: float = 5.0, seed: int = 0, device: str | torch.device = "cpu") -> float:
    """Training sequences per second of the default copy NTM at ``batch_size`` on ``device``
    (batches are drawn on the CPU and moved there, as in ``ntm_lib.training.train``)."""
    device = torch.device(device)
    task, model_config, train_config = recipe("copy", "ntm")
    torch.manual_seed(seed)
    model = build_model("ntm", model_config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_config.learning_rate)
    generator = torch.Generator().manual_seed(seed)

    def one_step() -> None:
        batch = task.sample(batch_size, generator).to(device)
        loss = masked_bce(model(batch.inputs)[0], batch).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.clip_norm)
        optimizer.step()

    for _ in range(2):  # warm-up
        one_step()
    _synchronize(device)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        one_step()
        steps += 1
    _synchronize(device)
    return steps * batch_size / (time.perf_counter() - start)


def converge(seed: int, out: Path, stay: int, max_seconds: float | None, device: str | torch.device = "cpu",
             max_sequences: int | None = None) -> dict:
    """Train the default copy NTM from scratch; then train on ``stay`` more sequences."""
    task, model_config, train_config = recipe("copy", "ntm")
    config = replace(train_config, seed=seed, max_seconds=max_seconds,
                     max_sequences=max_sequences or train_config.max_sequences)
    torch.manual_seed(seed)
    model = build_model("ntm", model_config)
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
    report: dict = {"threads": torch.get_num_threads(), "device": _device_name(args.device)}
    if not args.skip_throughput:
        print("== training throughput, copy lengths 1-20, default NTM", flush=True)
        report["throughput"] = {}
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            rate = throughput(batch_size, device=args.device)
            report["throughput"][batch_size] = round(rate, 1)
            print(f"batch {batch_size:4d}: {rate:8.1f} sequences/s", flush=True)
    if args.seeds > 0:
        print(f"== time to converge on copy (< 0.1 bit errors/sequence), {args.seeds} seeds", flush=True)
        rows = []
        for seed in range(args.seeds):
            row = converge(seed, out / f"copy-ntm-seed{seed}", args.stay, args.max_seconds, args.device,
                           args.max_sequences)
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
    if report.get("device", "cpu") != "cpu":
        lines.append(f"Device: {report['device']} (`--device`); batches are drawn on the CPU and moved to it.")
    lines.append("")
    if "throughput" in report:
        lines += ["## Training throughput (copy, lengths 1-20, default NTM)", "",
                  "| batch size | sequences/s |", "|---|---|"]
        lines += [f"| {b} | {r:.1f} |" for b, r in report["throughput"].items()]
        lines.append("")
    if "converge" in report:
        lines += ["## Time to converge on copy (< 0.1 bit errors per sequence on 640 validation sequences)", "",
                  "| seed | converged | sequences | seconds | worst validation bit errors in the next sequences |",
                  "|---|---|---|---|---|"]
        for r in report["converge"]:
            stay = (f"{r['stay_worst_bit_errors']:.3f} over {r['stay_sequences']}"
                    if "stay_worst_bit_errors" in r else "-")
            lines.append(f"| {r['seed']} | {r['converged']} | {r['sequences']} | {r['seconds']} | {stay} |")
        lines += ["", f"Converged: {report['converged_seeds']}; median {report['median_seconds']:.1f} s, "
                      f"{report['median_sequences']:.0f} sequences."]
    return "\n".join(lines) + "\n"
