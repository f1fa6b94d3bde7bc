r"""Ordered recall: read a sequence of symbols from a small alphabet, then write it back in order
(or in reverse). A task for the DNC's temporal link matrix.

With a few symbols and sequences longer than the alphabet, most symbols occur more than once, so
the content of a slot says little about where it is in the sequence: a content lookup for "the
symbol after this one" finds every occurrence of it. What says which slot was written after
which is the DNC's link matrix (Methods, "Temporal memory linkage"): from the first slot, the
forward weighting steps through the writes in their order, the backward weighting in reverse,
whatever slots allocation chose. A DNC without links (``DNCConfig(use_links=False)``) has only
content to read by; it must write a position code of its own into each word (a counter in its
controller) and look that up.

Encoding (a public contract: outside tools rely on it). Symbols are one-hot vectors of
``symbols`` channels (so two different symbols have no content in common); inputs have one more
channel, the delimiter. For L symbols s_0 .. s_{L-1}:

    step:       0 .. L-1          L            L+1 .. 2L
    inputs:     [e(s_t), 0]       [0..0, 1]    [0..0, 0]            (B, 2L+1, symbols+1)
    targets:    0                 0            e(s_{t-L-1})         (B, 2L+1, symbols)
                                               reverse: e(s_{2L-t})
    mask:       0                 0            1                    (B, 2L+1)

          t=0 1 2 3 4 5 6            (L = 3, symbols a b a)
    a      1 . 1 . 1 . 1             forward: targets a b a
    b      . 1 . . . 1 .
    delim  . . . 1 . . .
    mask   . . . . 1 1 1

Scores are ``tasks.base.score``'s: a wrong symbol costs 2 bit errors (a wrong 1 and a missing 1).
Sequences of different lengths share a batch: each is padded with zeros to the longest
(T = 2 L_max + 1) and its mask is 0 on the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._checks import check_batch_size, check_int, check_override
from .base import Batch, check_lengths


@dataclass(frozen=True)
class OrderedRecallTask:
    symbols: int = 4  # the alphabet: lengths up to 20 repeat a symbol 5 times on average
    min_length: int = 1
    max_length: int = 20  # as copy's
    reverse: bool = False  # True: write the sequence back last symbol first (the backward links)

    name = "ordered_recall"

    def __post_init__(self):
        check_lengths("OrderedRecallTask", self.min_length, self.max_length)
        check_int("OrderedRecallTask", "symbols", self.symbols, minimum=2)
        if not isinstance(self.reverse, bool):
            raise ValueError(f"OrderedRecallTask.reverse must be True or False, got {self.reverse!r}")

    @property
    def input_size(self) -> int:
        return self.symbols + 1  # symbols, delimiter

    @property
    def output_size(self) -> int:
        return self.symbols

    def sample(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> Batch:
        """A batch of sequences with lengths drawn uniformly from [min_length, max_length], or all
        of one ``length`` if given (any positive integer), symbols uniform and independent."""
        check_batch_size("OrderedRecallTask", batch_size)
        check_override("OrderedRecallTask", "length", length)
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size,), generator=generator)
        else:
            lengths = torch.full((batch_size,), length)
        longest = int(lengths.max())
        drawn = torch.randint(0, self.symbols, (batch_size, longest), generator=generator)
        t = torch.arange(longest).unsqueeze(0)  # (1, L_max)
        real = (t < lengths.unsqueeze(1)).unsqueeze(-1)  # (B, L_max, 1)
        sequence = F.one_hot(drawn, self.symbols).float() * real  # (B, L_max, symbols), 0 beyond each length
        if self.reverse:  # position k of the answer is symbol L-1-k
            source = (lengths.unsqueeze(1) - 1 - t).clamp(min=0)  # (B, L_max)
            answer = sequence.gather(1, source.unsqueeze(-1).expand(-1, -1, self.symbols)) * real
        else:
            answer = sequence

        steps = 2 * longest + 1
        inputs = torch.zeros(batch_size, steps, self.input_size)
        targets = torch.zeros(batch_size, steps, self.output_size)
        mask = torch.zeros(batch_size, steps)
        inputs[:, :longest, : self.symbols] = sequence
        for b, L in enumerate(lengths.tolist()):
            inputs[b, L, self.symbols] = 1.0  # delimiter
            targets[b, L + 1 : 2 * L + 1] = answer[b, :L]
            mask[b, L + 1 : 2 * L + 1] = 1.0
        return Batch(inputs, targets, mask)
