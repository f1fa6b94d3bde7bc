r"""The copy task (NTM paper, section 4.1): read a sequence of random bit vectors, then
write it back.

Encoding (a public contract: outside tools rely on it). For L vectors of ``bits`` bits:

    step:       0 .. L-1          L            L+1 .. 2L
    inputs:     [x_t, 0]          [0..0, 1]    [0..0, 0]        (B, 2L+1, bits+1)
    targets:    0                 0            x_{t-L-1}        (B, 2L+1, bits)
    mask:       0                 0            1                (B, 2L+1)

          t=0 1 2 3 4 5 6            (L = 3)
    bits   x x x . . . .
    delim  . . . 1 . . .
    target . . . . x x x
    mask   . . . . 1 1 1

Sequences of different lengths share a batch: each is padded with zeros to the longest
(T = 2 L_max + 1) and its mask is 0 on the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import Batch, check_lengths


@dataclass(frozen=True)
class CopyTask:
    bits: int = 8
    min_length: int = 1
    max_length: int = 20  # the paper trains on lengths 1-20

    name = "copy"

    def __post_init__(self):
        check_lengths("CopyTask", self.min_length, self.max_length)
        if not isinstance(self.bits, int) or self.bits < 1:
            raise ValueError(f"CopyTask.bits must be a positive integer, got {self.bits!r}")

    @property
    def input_size(self) -> int:
        return self.bits + 1

    @property
    def output_size(self) -> int:
        return self.bits

    def sample(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> Batch:
        """A batch of sequences with lengths drawn uniformly from [min_length, max_length],
        or all of one ``length`` if given."""
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size,), generator=generator)
        else:
            lengths = torch.full((batch_size,), length)
        longest = int(lengths.max())
        steps = 2 * longest + 1
        seq = torch.randint(0, 2, (batch_size, longest, self.bits), generator=generator).float()
        position = torch.arange(longest)
        seq = seq * (position < lengths.unsqueeze(1)).unsqueeze(-1)  # zero beyond each length
        inputs = torch.zeros(batch_size, steps, self.bits + 1)
        targets = torch.zeros(batch_size, steps, self.bits)
        mask = torch.zeros(batch_size, steps)
        inputs[:, :longest, : self.bits] = seq
        for b, length_b in enumerate(lengths.tolist()):
            inputs[b, length_b, self.bits] = 1.0  # delimiter
            targets[b, length_b + 1 : 2 * length_b + 1] = seq[b, :length_b]
            mask[b, length_b + 1 : 2 * length_b + 1] = 1.0
        return Batch(inputs, targets, mask)
