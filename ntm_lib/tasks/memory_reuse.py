r"""Memory reuse (the DNC paper's Extended Data Fig. 1 setting): copy a series of short
sequences, each one right after it is given, through a memory too small to hold the whole series.

A copy task repeated: sequence 1 is presented, then a delimiter, then it is written back; then
sequence 2, and so on. Once a sequence has been written back it is never needed again, so its
memory slots can be freed and used for the next one. The DNC paper ran this with 10 memory slots,
fewer than the series had vectors: a model that only ever writes to fresh places runs out, one that
frees what it has read (the DNC's free gates) and allocates the freed slots again (its allocation
weighting) does not. The defaults here give 12-30 vectors per series (4-6 sequences of 3-5
vectors), always more than 10.

Encoding (a public contract: outside tools rely on it). Inputs have ``bits + 1`` channels (the
bits and a delimiter), targets ``bits`` channels. Sequence k of the series has L_k vectors and
takes 2 L_k + 1 steps, starting at s_k = sum_{j<k} (2 L_j + 1):

    step:      s_k .. s_k+L_k-1    s_k+L_k       s_k+L_k+1 .. s_k+2L_k
    inputs:    [x^k_t, 0]          [0..0, 1]     [0..0, 0]
    targets:   0                   0             x^k_{t-s_k-L_k-1}
    mask:      0                   0             1

             t=0 1 2 3 4 5 6 7 8 9 10 11      (two sequences: L = 2, then L = 3; T = 12)
    bits      a a . . . b b b . .  .  .       a: sequence 1, b: sequence 2
    delim     . . 1 . . . . . 1 .  .  .
    target    . . . a a . . . . b  b  b
    mask      . . . 1 1 . . . . 1  1  1

**Keeping one sequence** (``keep_first=True``). In the series above, memory is freed in the
order it was filled, first in, first out, and a ring buffer of slots is enough: a model that
always writes to the slot after its last write never overwrites anything still needed. With
``keep_first`` the first sequence of the series is kept until the end: it is presented and
followed by a keep marker (a second extra input channel, ``bits + 1``), then the other sequences
come and go as above, and then the recall marker (the same channel) asks for the kept sequence.
Its slots stay occupied while the rest of the memory is reused many times over, so the free slots
are no longer the oldest ones: a ring buffer overwrites the kept sequence, an allocator that
frees only what has been read does not. Inputs then have ``bits + 2`` channels; with L_0 the kept
sequence's length, it takes the first L_0 + 1 steps and the last L_0 + 1:

             t=0 1 2 3 4 5 6 7 8 9 10          (kept: L = 2, then one sequence of L = 2; T = 11)
    bits      k k . b b . . . . .  .           k: the kept sequence, b: sequence 2
    delim     . . . . . 1 . . . .  .
    keep      . . 1 . . . . . 1 .  .
    target    . . . . . . b b . k  k
    mask      . . . . . . 1 1 . 1  1

Scores are per series (``tasks.base.score``: bit errors and BCE bits summed over every scored
step of the series). Series with different numbers or lengths of sequences share a batch: each
is padded with zeros after its last step (T = the longest series' sum of 2 L_k + 1) and its mask
is 0 on the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_batch_size, check_int, check_override
from .base import Batch, check_lengths


@dataclass(frozen=True)
class MemoryReuseTask:
    bits: int = 6
    min_length: int = 3  # vectors per sequence
    max_length: int = 5
    min_sequences: int = 4  # sequences per series: 4 x 3 = 12 vectors at the least, > 10 slots
    max_sequences: int = 6
    keep_first: bool = False  # the first sequence is kept to the end of the series (see above)

    name = "memory_reuse"

    def __post_init__(self):
        check_lengths("MemoryReuseTask (lengths)", self.min_length, self.max_length)
        check_lengths("MemoryReuseTask (sequences)", self.min_sequences, self.max_sequences)
        check_int("MemoryReuseTask", "bits", self.bits)
        if not isinstance(self.keep_first, bool):
            raise ValueError(f"MemoryReuseTask.keep_first must be True or False, got {self.keep_first!r}")
        if self.keep_first and self.min_sequences < 2:
            raise ValueError("MemoryReuseTask with keep_first needs min_sequences >= 2 (the kept sequence "
                             f"and at least one that comes and goes), got {self.min_sequences}")

    @property
    def input_size(self) -> int:
        return self.bits + 1 + int(self.keep_first)  # bits, delimiter (, keep and recall marker)

    @property
    def output_size(self) -> int:
        return self.bits

    @property
    def min_vectors(self) -> int:
        """The fewest vectors a series of this task has: the memory size below which a model
        must reuse slots on every series."""
        return self.min_length * self.min_sequences

    def sample(
        self, batch_size: int, generator: torch.Generator, num_sequences: int | None = None,
        length: int | None = None,
    ) -> Batch:
        """A batch of series. The number of sequences of each series and the length of each
        sequence are drawn uniformly from their ranges, independently, unless fixed by
        ``num_sequences`` or ``length`` (any positive integer: longer series than in training are
        how generalisation is tested)."""
        check_batch_size("MemoryReuseTask", batch_size)
        check_override("MemoryReuseTask", "num_sequences", num_sequences)
        check_override("MemoryReuseTask", "length", length)
        if self.keep_first and num_sequences is not None and num_sequences < 2:
            raise ValueError("MemoryReuseTask.sample: with keep_first, num_sequences must be >= 2, "
                             f"got {num_sequences}")
        if num_sequences is None:
            counts = torch.randint(self.min_sequences, self.max_sequences + 1, (batch_size,), generator=generator)
        else:
            counts = torch.full((batch_size,), num_sequences)
        most = int(counts.max())
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size, most), generator=generator)
        else:
            lengths = torch.full((batch_size, most), length)
        lengths = lengths * (torch.arange(most).unsqueeze(0) < counts.unsqueeze(1))  # (B, n_max): 0 = no sequence
        longest = int(lengths.max())
        vectors = torch.randint(0, 2, (batch_size, most, longest, self.bits), generator=generator).float()

        spans = 2 * lengths + (lengths > 0).long()  # (B, n_max): 2 L_k + 1 steps, 0 for no sequence
        steps = int(spans.sum(1).max()) + int(self.keep_first)  # the kept one: 2 L_0 + 2 steps
        inputs = torch.zeros(batch_size, steps, self.input_size)
        targets = torch.zeros(batch_size, steps, self.output_size)
        mask = torch.zeros(batch_size, steps)
        for b in range(batch_size):
            start = 0
            kept = None
            for k, L in enumerate(lengths[b].tolist()[: int(counts[b])]):
                x = vectors[b, k, :L]  # (L, bits)
                inputs[b, start : start + L, : self.bits] = x
                if self.keep_first and k == 0:  # presented now, written back at the end
                    inputs[b, start + L, self.bits + 1] = 1.0  # keep marker
                    kept = x
                    start += L + 1
                    continue
                inputs[b, start + L, self.bits] = 1.0  # delimiter
                targets[b, start + L + 1 : start + 2 * L + 1] = x
                mask[b, start + L + 1 : start + 2 * L + 1] = 1.0
                start += 2 * L + 1
            if kept is not None:
                L = kept.shape[0]
                inputs[b, start, self.bits + 1] = 1.0  # recall marker
                targets[b, start + 1 : start + L + 1] = kept
                mask[b, start + 1 : start + L + 1] = 1.0
        return Batch(inputs, targets, mask)
