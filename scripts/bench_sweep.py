"""Benchmark of seed-batched training (ntm_lib.sweep.benchmark): 10 copy seeds one after another
with training.train, then as one sweep, side by side in one process. Prints one JSON line.

    OMP_NUM_THREADS=1 python scripts/bench_sweep.py --max-sequences 1600 [--threads 1] [--workers 2] [--fused]
"""

import argparse
import json

import torch

from ntm_lib.sweep import benchmark

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="copy")
    parser.add_argument("--model", default="ntm")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-sequences", type=int, default=1600, help="training sequences per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the one-by-one side")
    parser.add_argument("--workers", type=int, default=1, help="processes of the sweep side (one thread each)")
    parser.add_argument("--fused", action="store_true", help="both sides with the fused NTM step (ntm_lib.fused)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(benchmark(args.task, args.model, args.seeds, args.max_sequences, workers=args.workers,
                               fused_step=args.fused)))
