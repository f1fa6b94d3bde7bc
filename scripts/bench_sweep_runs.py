"""Steady-state training throughput of one sweep process by the number of runs it trains: the
copy NTM recipe (batch 16), K runs of seeds 0..K-1, 3 warm-up batches, then training batches for
``--seconds`` seconds each; one torch thread. Prints one line per K: runs and sequences/s.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python scripts/bench_sweep_runs.py --runs 1,2,5,10,20 [--fused]

A straight line through the times of a batch, T(K) = a + b K, gives the ceiling of the sweep
benchmark (``scripts/bench_sweep.py``): ``data/bench-sweep.md``.
"""

import argparse
import time
from dataclasses import replace

import torch

from ntm_lib.fused import use_fused_step
from ntm_lib.recipes import recipe
from ntm_lib.sweep import Sweep, SweepRun

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="copy")
    parser.add_argument("--model", default="ntm")
    parser.add_argument("--runs", default="1,2,5,10,20", help="numbers of runs, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per number of runs")
    parser.add_argument("--fused", action="store_true", help="with the fused NTM step (ntm_lib.fused)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    use_fused_step(args.fused)
    task, model_config, train_config = recipe(args.task, args.model)
    for K in (int(k) for k in args.runs.split(",")):
        runs = [SweepRun(f"seed-{s}", model_config, replace(train_config, seed=s)) for s in range(K)]
        sweep = Sweep(args.model, task, runs, progress=False)
        every = list(range(K))
        for _ in range(3):
            sweep._train_step(every)
        batches, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            sweep._train_step(every)
            batches += 1
        seconds = time.perf_counter() - start
        print(f"{K} runs: {batches * K * train_config.batch_size / seconds:.1f} sequences/s "
              f"({1000 * seconds / batches:.1f} ms a batch)", flush=True)
