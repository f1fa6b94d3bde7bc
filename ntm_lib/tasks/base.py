r"""What every task shares: the ``Batch`` it yields and the two scores of the NTM literature.

A task is a frozen dataclass with ``input_size``, ``output_size`` and
``sample(batch_size, generator) -> Batch``. Scores are averaged over sequences:

- bit errors per sequence: outputs thresholded at 0.5 (logit > 0) and compared with the
  targets on the masked steps, summed over bits and steps;
- BCE bits per sequence: binary cross-entropy in bits (log base 2), summed the same way: the
  paper's cost, in the units of its figures.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor


class Batch(NamedTuple):
    inputs: Tensor  # (B, T, input_size)
    targets: Tensor  # (B, T, output_size)
    mask: Tensor  # (B, T): 1 where the target counts, 0 elsewhere (including padding)

    def to(self, device) -> "Batch":
        return Batch(*(x.to(device) for x in self))


def check_logits(logits: Tensor, batch: Batch) -> None:
    if logits.shape != batch.targets.shape:
        raise ValueError(f"logits of shape {tuple(logits.shape)} do not match targets {tuple(batch.targets.shape)}")


def masked_bce(logits: Tensor, batch: Batch) -> Tensor:
    """BCE in nats summed over bits and masked steps, per sequence: (B,)."""
    check_logits(logits, batch)
    per_bit = F.binary_cross_entropy_with_logits(logits, batch.targets, reduction="none")
    return (per_bit.sum(-1) * batch.mask).sum(-1)


def bce_bits_per_sequence(logits: Tensor, batch: Batch) -> Tensor:
    """Per-sequence BCE in bits, (B,)."""
    return masked_bce(logits, batch) / math.log(2)


def bit_errors_per_sequence(logits: Tensor, batch: Batch) -> Tensor:
    """Per-sequence count of wrong bits after thresholding at 0.5, (B,)."""
    check_logits(logits, batch)
    wrong = ((logits > 0).to(batch.targets.dtype) != batch.targets).to(logits.dtype)
    return (wrong.sum(-1) * batch.mask).sum(-1)


def score(logits: Tensor, batch: Batch) -> dict[str, float]:
    """Both metrics, averaged over the batch."""
    with torch.no_grad():
        return {
            "bit_errors": bit_errors_per_sequence(logits, batch).mean().item(),
            "bce_bits": bce_bits_per_sequence(logits, batch).mean().item(),
        }


def check_lengths(name: str, low: int, high: int, minimum: int = 1) -> None:
    if not (isinstance(low, int) and isinstance(high, int)) or not (minimum <= low <= high):
        raise ValueError(f"{name} needs integers {minimum} <= min <= max, got min={low!r}, max={high!r}")
