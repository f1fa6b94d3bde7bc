r"""The priority sort task (NTM paper, section 4.5): read vectors with a priority each,
then write the highest-priority ones back in order of priority. The paper's NTM learns
to write each vector at a location set by its priority and then reads the locations in
order.

Encoding (a public contract: outside tools rely on it). For n = ``num_inputs`` (20)
random vectors x_i of ``bits`` (8) bits with priorities p_i ~ U[-1, 1) and m =
``num_outputs`` (16), inputs have ``bits + 2`` channels: the bits, the priority
(channel ``bits``) and the delimiter (channel ``bits + 1``); targets have ``bits``
channels. T = n + 1 + m.

    step:      0 .. n-1            n               n+1 .. n+m
    inputs:    [x_i, p_i, 0]       [0..0, 0, 1]    0
    targets:   0                   0               x_{s(t-n-1)}
    mask:      0                   0               1

where s(0), s(1), .. are the input indices in order of decreasing priority: the first
output step is the vector of highest priority, the last the m-th highest; the n - m
lowest are dropped. (Ties have probability ~1e-5 per sequence in float32; they keep
input order.)

             t=0 1 2 3 4 5 6 7         (n = 4, m = 3, T = 8)
    bits      x x x x . . . .
    priority  p p p p . . . .
    delim     . . . . 1 . . .
    target    . . . . . y y y          y: the 3 highest-priority x, highest first
    mask      . . . . . 1 1 1

All sequences of a batch have the same length; nothing is padded.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_batch_size, check_int
from .base import Batch


@dataclass(frozen=True)
class PrioritySortTask:
    bits: int = 8  # as in the paper
    num_inputs: int = 20  # n, as in the paper
    num_outputs: int = 16  # m, as in the paper: the 16 highest priorities of the 20

    name = "priority_sort"

    def __post_init__(self):
        check_int("PrioritySortTask", "bits", self.bits)
        check_int("PrioritySortTask", "num_inputs", self.num_inputs)
        check_int("PrioritySortTask", "num_outputs", self.num_outputs)
        if self.num_outputs > self.num_inputs:
            raise ValueError(
                f"PrioritySortTask.num_outputs ({self.num_outputs}) must be <= num_inputs ({self.num_inputs})"
            )

    @property
    def input_size(self) -> int:
        return self.bits + 2  # bits, priority, delimiter

    @property
    def output_size(self) -> int:
        return self.bits

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """A batch of ``num_inputs`` vectors per sequence with uniform priorities."""
        check_batch_size("PrioritySortTask", batch_size)
        n, m, bits = self.num_inputs, self.num_outputs, self.bits
        vectors = torch.randint(0, 2, (batch_size, n, bits), generator=generator).float()
        priorities = 2 * torch.rand(batch_size, n, generator=generator) - 1  # U[-1, 1)
        order = torch.sort(priorities, dim=1, descending=True, stable=True).indices[:, :m]  # (B, m)
        chosen = vectors.gather(1, order.unsqueeze(-1).expand(-1, -1, bits))  # (B, m, bits)

        steps = n + 1 + m
        inputs = torch.zeros(batch_size, steps, self.input_size)
        inputs[:, :n, :bits] = vectors
        inputs[:, :n, bits] = priorities
        inputs[:, n, bits + 1] = 1.0  # delimiter
        targets = torch.zeros(batch_size, steps, bits)
        targets[:, n + 1 :] = chosen
        mask = torch.zeros(batch_size, steps)
        mask[:, n + 1 :] = 1.0
        return Batch(inputs, targets, mask)
