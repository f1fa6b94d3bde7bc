r"""Dyck words (balanced parentheses; the task of the Lasagne NTM library, not of the NTM
paper): read a string of '(' and ')' and say, after every symbol, whether the prefix
read so far is a balanced word. A counter task with a twist: the depth (opens minus
closes) must be 0 now and must never have gone below 0, so one early ')' too many spoils
every later prefix.

Encoding (a public contract: outside tools rely on it). For a string s_0 .. s_{L-1}:

    step:      0 .. L-1
    inputs:    [1, 0] for '(' and [0, 1] for ')'                           (B, T, 2)
    targets:   [1] if s_0 .. s_t is balanced, else [0]                     (B, T, 1)
    mask:      1                                                           (B, T)

    s_0 .. s_t is balanced  <=>  depth_t = 0  and  depth_u >= 0 for all u <= t,
    depth_t = #'(' - #')' in s_0 .. s_t.

             t=0 1 2 3 4 5         the string "(())()"
    open      1 1 . . 1 .
    close     . . 1 1 . 1
    target    . . . 1 . 1
    mask      1 1 1 1 1 1

Distribution (``sample``), for each sequence independently:

1. its length L is uniform on [min_length, max_length] (or ``length``);
2. it starts as a Dyck word of length 2 floor(L/2) drawn uniformly among all Dyck words
   of that length (the cycle lemma: arrange L/2 '(' and L/2 + 1 ')' in a uniformly
   random order, rotate to start just after the first lowest point of the walk, drop the
   final ')'); if L is odd, one symbol, '(' or ')' with probability 1/2 each, is
   appended;
3. with probability ``perturb_probability`` (1/2) the symbol at one position, uniform on
   [0, L), is flipped.

So about half the strings of even length are balanced words and the rest are one flip
away from one: the depth walks near zero, the answer changes along the way, and both
conditions (depth 0; never negative) matter. Sequences of different lengths share a
batch: each is padded with zero inputs and targets to the longest and its mask is 0 on
the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import base
from ._checks import check_batch_size, check_override
from .base import Batch, check_lengths

OPEN, CLOSE = 1, -1  # symbols as depth steps


def balanced_prefixes(symbols: Tensor) -> Tensor:
    """Whether each prefix is a balanced word, (B, T) bool. symbols: (B, T) of +1 ('('),
    -1 (')') and 0 (padding: read as no symbol, and the answer there is False)."""
    depth = symbols.cumsum(1)  # (B, T)
    lowest = depth.cummin(1).values  # the lowest depth so far
    return (depth == 0) & (lowest >= 0) & (symbols != 0)


def uniform_dyck_words(halves: Tensor, generator: torch.Generator) -> Tensor:
    """Uniformly random Dyck words of lengths 2 halves[b], as (B, 2 max(halves)) depth steps
    (+1 '(', -1 ')', 0 after the end). halves: (B,) long >= 0.

    Cycle lemma: of the 2n+1 rotations of any arrangement of n (+1) and n+1 (-1) exactly one
    has every proper prefix sum >= 0, the one starting just after the first minimum of the
    prefix sums; it ends with a -1, and dropping that leaves a Dyck word. Each word arises from
    exactly 2n+1 equally likely arrangements, so the words are uniform.
    """
    batch_size = halves.shape[0]
    most = int(halves.max()) if batch_size else 0
    width = 2 * most + 1
    size = 2 * halves + 1  # (B,) arrangement lengths
    slot = torch.arange(width).unsqueeze(0)  # (1, W)
    real = slot < size.unsqueeze(1)  # (B, W)
    steps = torch.where(slot < halves.unsqueeze(1), OPEN, CLOSE) * real  # n opens then n+1 closes
    keys = torch.rand(batch_size, width, generator=generator).masked_fill(~real, 2.0)  # padding last
    steps = steps.gather(1, keys.argsort(dim=1))  # a uniformly random arrangement, padding after
    walk = steps.cumsum(1).masked_fill(~real, width + 1)  # prefix sums, padding never the lowest
    lowest = walk.min(1, keepdim=True).values
    first = torch.where(walk == lowest, slot, width).min(1).values  # first index of the minimum
    source = (first.unsqueeze(1) + 1 + slot[:, : 2 * most]) % size.unsqueeze(1)  # (B, 2 max)
    words = steps.gather(1, source)
    return words * (slot[:, : 2 * most] < 2 * halves.unsqueeze(1))


@dataclass(frozen=True)
class DyckTask:
    min_length: int = 1
    max_length: int = 20  # a TrainConfig.curriculum can grow it from smaller values
    perturb_probability: float = 0.5  # the fraction of strings with one symbol flipped

    name = "dyck"

    def __post_init__(self):
        check_lengths("DyckTask", self.min_length, self.max_length)
        p = self.perturb_probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"DyckTask.perturb_probability must be a number in [0, 1], got {p!r}")

    @property
    def input_size(self) -> int:
        return 2  # '(', ')'

    @property
    def output_size(self) -> int:
        return 1  # is the prefix balanced?

    def sample(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> Batch:
        """A batch drawn as in the module docstring; ``length`` (any positive integer) fixes L."""
        check_batch_size("DyckTask", batch_size)
        check_override("DyckTask", "length", length)
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size,), generator=generator)
        else:
            lengths = torch.full((batch_size,), length)
        longest = int(lengths.max())
        position = torch.arange(longest).unsqueeze(0)  # (1, T)
        symbols = torch.zeros(batch_size, longest, dtype=torch.long)
        words = uniform_dyck_words(lengths // 2, generator)
        symbols[:, : words.shape[1]] = words
        extra = torch.where(torch.rand(batch_size, generator=generator) < 0.5, OPEN, CLOSE)  # (B,)
        odd_end = (lengths % 2 == 1).unsqueeze(1) & (position == (lengths - 1).unsqueeze(1))
        symbols = torch.where(odd_end, extra.unsqueeze(1), symbols)
        perturbed = torch.rand(batch_size, generator=generator) < self.perturb_probability  # (B,)
        where = (torch.rand(batch_size, generator=generator) * lengths).long().clamp(max=lengths - 1)
        flip = perturbed.unsqueeze(1) & (position == where.unsqueeze(1))  # (B, T)
        symbols = torch.where(flip, -symbols, symbols)

        inputs = torch.stack([(symbols == OPEN).float(), (symbols == CLOSE).float()], dim=-1)  # (B, T, 2)
        targets = balanced_prefixes(symbols).float().unsqueeze(-1)  # (B, T, 1)
        mask = (position < lengths.unsqueeze(1)).float()
        return Batch(inputs, targets, mask)


def symbols_from_inputs(inputs: Tensor) -> Tensor:
    """The (B, T) depth steps (+1, -1, 0 for padding) of a batch's inputs."""
    return (inputs[..., 0] - inputs[..., 1]).round().long()


def score(logits: Tensor, batch: Batch) -> dict[str, float]:
    """``tasks.base.score`` plus ``step_accuracy`` (the fraction of real steps answered right)
    and ``sequence_accuracy`` (the fraction of strings answered right at every step)."""
    result = base.score(logits, batch)
    with torch.no_grad():
        wrong = ((logits[..., 0] > 0).to(batch.targets.dtype) != batch.targets[..., 0]).float() * batch.mask
        result["step_accuracy"] = (1 - wrong.sum() / batch.mask.sum()).item()
        result["sequence_accuracy"] = (wrong.sum(-1) == 0).float().mean().item()
    return result
