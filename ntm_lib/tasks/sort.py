r"""Lexicographic sort (not in the NTM paper; from replication work that added it): read a
sequence of random bit vectors as in copy, then write them back sorted.

Encoding (a public contract: outside tools rely on it). Inputs exactly as in the copy
task (``ntm_lib.tasks.copy``); the targets are the same L vectors in ascending
lexicographic order: compare the first bits (channel 0 is the most significant), ties
broken by the second, and so on; equal vectors appear as often as they were given.

    step:       0 .. L-1          L            L+1 .. 2L
    inputs:     [x_t, 0]          [0..0, 1]    [0..0, 0]        (B, 2L+1, bits+1)
    targets:    0                 0            y_{t-L-1}        (B, 2L+1, bits)
    mask:       0                 0            1                (B, 2L+1)

    y_0 <= y_1 <= .. <= y_{L-1}: the x sorted,
    e.g. [1,0,0], [0,1,1], [1,0,1] -> [0,1,1], [1,0,0], [1,0,1]

          t=0 1 2 3 4 5 6            (L = 3)
    bits   x x x . . . .
    delim  . . . 1 . . .
    target . . . . y y y
    mask   . . . . 1 1 1

Lengths 1-10 by default, half of copy's 1-20: sorting L vectors needs all of them
compared, so it is learnt on shorter sequences, and twice the training length (20) still
fits a 128-slot memory many times over. Sequences of different lengths share a batch:
each is padded with zeros to the longest (T = 2 L_max + 1) and its mask is 0 on the
padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import base
from ._checks import check_batch_size, check_int, check_override
from .base import Batch, check_lengths


def lexicographic_order(vectors: Tensor, lengths: Tensor) -> Tensor:
    """Indices that sort each sequence's first ``lengths[b]`` vectors ascending, the padding
    after them, (B, L_max) long. vectors: (B, L_max, bits) of 0/1; lengths: (B,).

    A least-significant-digit radix sort: stable sorts by the last bit, then the one before, ..,
    then the first bit, then by "is padding"; each pass keeps the order of the passes before
    for equal keys, so the first bit decides, then the second, and so on.
    """
    batch_size, longest, bits = vectors.shape
    order = torch.arange(longest).expand(batch_size, longest)  # (B, L_max)
    padding = (torch.arange(longest).unsqueeze(0) >= lengths.unsqueeze(1)).long()  # (B, L_max)
    keys = torch.cat([vectors.round().long(), padding.unsqueeze(-1)], dim=-1)  # (B, L_max, bits+1)
    for channel in list(range(bits - 1, -1, -1)) + [bits]:
        key = keys[..., channel].gather(1, order)
        order = order.gather(1, torch.sort(key, dim=1, stable=True).indices)
    return order


@dataclass(frozen=True)
class SortTask:
    bits: int = 8
    min_length: int = 1
    max_length: int = 10  # see the module docstring: half of copy's

    name = "sort"

    def __post_init__(self):
        check_lengths("SortTask", self.min_length, self.max_length)
        check_int("SortTask", "bits", self.bits)

    @property
    def input_size(self) -> int:
        return self.bits + 1

    @property
    def output_size(self) -> int:
        return self.bits

    def sample(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> Batch:
        """A batch with lengths drawn uniformly from [min_length, max_length], or all of one
        ``length`` (any positive integer) if given."""
        check_batch_size("SortTask", batch_size)
        check_override("SortTask", "length", length)
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size,), generator=generator)
        else:
            lengths = torch.full((batch_size,), length)
        longest = int(lengths.max())
        steps = 2 * longest + 1
        seq = torch.randint(0, 2, (batch_size, longest, self.bits), generator=generator).float()
        seq = seq * (torch.arange(longest) < lengths.unsqueeze(1)).unsqueeze(-1)  # zero beyond each length
        order = lexicographic_order(seq, lengths)
        ordered = seq.gather(1, order.unsqueeze(-1).expand(-1, -1, self.bits))  # (B, L_max, bits)

        t = torch.arange(steps).unsqueeze(0)  # (1, T)
        lengths = lengths.unsqueeze(1)  # (B, 1)
        k = t - lengths - 1  # position within the output phase, (B, T)
        output_phase = (k >= 0) & (k < lengths)
        inputs = torch.zeros(batch_size, steps, self.bits + 1)
        inputs[:, :longest, : self.bits] = seq
        inputs[..., self.bits] = (t == lengths).float()  # delimiter
        index = k.clamp(0, longest - 1).unsqueeze(-1).expand(-1, -1, self.bits)
        targets = ordered.gather(1, index) * output_phase.unsqueeze(-1)
        mask = output_phase.float()
        return Batch(inputs, targets, mask)


def score(logits: Tensor, batch: Batch) -> dict[str, float]:
    """``tasks.base.score`` plus ``vector_accuracy`` (the fraction of output vectors with every
    bit right) and ``sequence_accuracy`` (the fraction of sequences with every bit right)."""
    result = base.score(logits, batch)
    with torch.no_grad():
        wrong = ((logits > 0).to(batch.targets.dtype) != batch.targets).any(-1).float()  # (B, T)
        result["vector_accuracy"] = (((1 - wrong) * batch.mask).sum() / batch.mask.sum()).item()
        result["sequence_accuracy"] = ((wrong * batch.mask).sum(-1) == 0).float().mean().item()
    return result
