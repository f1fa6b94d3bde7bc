"""What the associative-recall runs of the stability studies had learned, above all those that did
not converge: each run's final weights scored by answer vector, and by whether the answer item is
the last item of the list.

    python scripts/recall_plateaus.py --runs runs/stability > data/eval/stability/associative_recall-plateaus.json

It reads the final checkpoints of the associative-recall studies of ``scripts/stability_study.py``
(their run folders under --runs; checkpoints are not shipped) and scores every run on fixed test
sets of 2 to 6 items (``sample(400, torch.Generator().manual_seed(4100 + n),
num_items=n)``). Per run and number of items: bit errors per sequence, the mean bit errors of each
of the K answer vectors, the fraction of sequences without an error, and the bit errors of the
sequences whose answer is the list's last item against the others, and where the write head puts
each item's delimiter (``delimiter_on_last_vector``: 1 = on the slot of the item before's last
vector).

A run that did not converge is then put in one of these groups, the first that fits:

- ``not even two items``: more than 1 bit error per sequence with two items, where the answer is
  always the second item;
- ``no look-up``: two items solved (at most 1 bit error), six items not (more than 3): the answer
  by its position works for two items only, and finding the query among more needs content;
- ``last vector lost``: at six items the first K - 1 answer vectors nearly right (< 0.2 bit
  errors each) and the last one wrong (> 1), except where the answer item is the list's last
  (< 0.5 bit errors per sequence there);
- ``nearly there``: under 1 bit error per sequence at six items;
- ``other``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntm_lib.checkpoints import load_checkpoint  # noqa: E402
from ntm_lib.recipes import recipe  # noqa: E402

STUDIES = ("associative_recall-memory-init", "associative_recall-learning-rate", "associative_recall-controller",
           "associative_recall-curriculum")
ITEMS = (2, 3, 4, 5, 6)
SEQUENCES = 400


def answer_is_last(batch, task, num_items: int) -> torch.Tensor:
    """(B,) bool: the answer item is the last item of the list (the query is item n - 2)."""
    K, bits = task.item_length, task.bits
    start = (num_items - 1) * (K + 1) + 1  # the last item's first data step
    last_item = batch.inputs[:, start : start + K, :bits]  # (B, K, bits)
    answer = batch.targets[batch.mask > 0].view(batch.inputs.shape[0], K, bits)
    return (answer == last_item).flatten(1).all(1)


def delimiter_on_last_vector(weights: torch.Tensor, num_items: int, item_length: int) -> float:
    """How much of the write weighting at each item's delimiter falls where the previous item's
    last vector was written: sum_i w_t(i) w_t'(i) for t' the last vector's step and t the next
    delimiter's, averaged over the items and sequences. weights: (B, T, N) of the write head."""
    K = item_length
    overlaps = [(weights[:, k * (K + 1) + K] * weights[:, (k + 1) * (K + 1)]).sum(-1)
                for k in range(num_items - 1)]
    return torch.stack(overlaps).mean().item()


@torch.no_grad()
def score(model, task) -> dict[int, dict]:
    out = {}
    for n in ITEMS:
        batch = task.sample(SEQUENCES, torch.Generator().manual_seed(4100 + n), num_items=n)
        logits, _, trace = model(batch.inputs, trace=True, generator=torch.Generator().manual_seed(n))
        write_weights = trace.weights[:, :, model.config.num_read_heads]  # (B, T, N): the write head
        wrong = ((logits > 0).float() != batch.targets).float().sum(-1)  # (B, T)
        answer = wrong[batch.mask > 0].view(SEQUENCES, task.item_length)  # (B, K)
        per_sequence = answer.sum(1)
        last = answer_is_last(batch, task, n)
        out[n] = {
            "bit_errors": round(per_sequence.mean().item(), 3),
            "by_vector": [round(v, 3) for v in answer.mean(0).tolist()],
            "perfect": round((per_sequence == 0).float().mean().item(), 3),
            "answer_last": round(per_sequence[last].mean().item(), 3),
            "answer_not_last": round(per_sequence[~last].mean().item(), 3) if (~last).any() else None,
            "delimiter_on_last_vector": round(delimiter_on_last_vector(write_weights, n, task.item_length), 3),
        }
    return out


def group(scores: dict[int, dict]) -> str:
    two, six = scores[2], scores[6]
    if two["bit_errors"] > 1:
        return "not even two items"
    if six["bit_errors"] > 3:
        return "no look-up"
    if all(v < 0.2 for v in six["by_vector"][:-1]) and six["by_vector"][-1] > 1 and six["answer_last"] < 0.5:
        return "last vector lost"
    if six["bit_errors"] < 1:
        return "nearly there"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs") / "stability")
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = recipe("associative_recall", "ntm")[0]
    report = {"command": ["python", "scripts/recall_plateaus.py", "--runs", str(args.runs)],
              "items": list(ITEMS), "sequences": SEQUENCES, "runs": []}
    for study in STUDIES:
        stored = ROOT / args.runs / study / "sweep.json"
        if not stored.is_file():
            print(f"{study}: no {stored}, skipped", file=sys.stderr)
            continue
        for run in json.loads(stored.read_text())["runs"]:
            model = load_checkpoint(ROOT / args.runs / study / run["name"] / "final.pt")
            scores = score(model, task)
            report["runs"].append({"study": study, "name": run["name"], "seed": run["seed"],
                                   "settings": run["settings"], "converged": run["converged"],
                                   "group": "converged" if run["converged"] else group(scores),
                                   "scores": {str(n): s for n, s in scores.items()}})
            print(f"{study} {run['name']}: {report['runs'][-1]['group']}", file=sys.stderr)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
