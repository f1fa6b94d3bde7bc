r"""Dynamic N-grams (NTM paper, section 4.4): predict the next bit of a sequence drawn from an
N-gram model that is new for every sequence, so the model must learn the table as it reads.

Generation. Each sequence gets its own 6-gram table (``order`` N = 6): for each of the
2^(N-1) = 32 contexts c of the N-1 = 5 previous bits, p_c = P(next bit = 1 | c) is drawn
from Beta(1/2, 1/2). Beta(1/2, 1/2) is the arcsine law, CDF (2/pi) arcsin(sqrt(p)), so it is
sampled from a uniform u of the explicit generator by its inverse, p = sin^2(pi u / 2). Then
``length`` = 200 bits are drawn one at a time, bit t ~ Bernoulli(p_{c_t}). The context c_t is
the N-1 bits before bit t, with the sequence taken to be preceded by N-1 zeros: bits 0 .. N-2
are drawn from the table too, with zero-padded contexts (bit 0 from context 00000).

Context index (``context_index``): the N-1 bits b_{t-5} .. b_{t-1} read as a binary number, the
oldest bit most significant ("00010" is 2). ``tables[:, c]`` is p_c.

Encoding (a public contract: outside tools rely on it):

    step:     0      1      ..   T-2        T-1
    inputs:   b_0    b_1    ..   b_{T-2}    b_{T-1}     (B, T, 1)
    targets:  b_1    b_2    ..   b_{T-1}    0           (B, T, 1)
    mask:     1      1      ..   1          0           (B, T)

             t=0 1 2 3 ... 198 199        (T = length = 200)
    input     b0 b1 b2 b3    b198 b199
    target    b1 b2 b3 b4    b199 .
    mask      1  1  1  1     1    .

All T - 1 = 199 predictions count, the first N-1 too: with the zero-padded context they are
draws from the table like every other bit.

The Bayes-optimal predictor (NTM paper, section 4.4), with N_1, N_0 the numbers of times the
current context has so far been followed by a 1 and by a 0 in this sequence:

    P(b_{t+1} = 1 | b_0 .. b_t) = (N_1 + 1/2) / (N_1 + N_0 + 1)

is ``bayes_optimal_probabilities``; its BCE in bits per sequence (``bayes_optimal_bits``) is the
reference cost a trained model is compared with (``score``'s ``excess_bits``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from . import base
from ._checks import check_batch_size, check_int, check_override
from .base import Batch

MAX_ORDER = 16  # 2^15 contexts per sequence: larger tables are never seen often enough to learn


@dataclass(frozen=True)
class NGramsTask:
    order: int = 6  # N: the next bit depends on the N-1 = 5 previous bits, as in the paper
    length: int = 200  # bits per sequence, as in the paper

    name = "ngrams"

    def __post_init__(self):
        check_int("NGramsTask", "order", self.order)
        if self.order > MAX_ORDER:
            raise ValueError(f"NGramsTask.order must be <= {MAX_ORDER}, got {self.order!r}")
        check_int("NGramsTask", "length", self.length, minimum=2)

    @property
    def input_size(self) -> int:
        return 1

    @property
    def output_size(self) -> int:
        return 1

    @property
    def num_contexts(self) -> int:
        return 2 ** (self.order - 1)

    def draw_tables(self, batch_size: int, generator: torch.Generator) -> Tensor:
        """One table per sequence, (B, 2^(N-1)): p_c ~ Beta(1/2, 1/2), as sin^2(pi u / 2)."""
        check_batch_size("NGramsTask", batch_size)
        u = torch.rand(batch_size, self.num_contexts, generator=generator)
        return torch.sin(math.pi * u / 2) ** 2

    def draw_bits(self, tables: Tensor, generator: torch.Generator, length: int | None = None) -> Tensor:
        """Bits drawn from ``tables`` (B, 2^(N-1)): (B, T) of 0./1. (float32)."""
        if tables.dim() != 2 or tables.shape[1] != self.num_contexts:
            raise ValueError(
                f"NGramsTask.draw_bits needs tables of shape (B, {self.num_contexts}), got {tuple(tables.shape)}"
            )
        check_override("NGramsTask", "length", length, minimum=2)
        steps = self.length if length is None else length
        u = torch.rand(tables.shape[0], steps, generator=generator)
        bits = torch.zeros(tables.shape[0], steps)
        context = torch.zeros(tables.shape[0], dtype=torch.long)  # the zero-padded start
        for t in range(steps):
            bit = (u[:, t] < tables.gather(1, context.unsqueeze(1)).squeeze(1)).long()  # (B,)
            bits[:, t] = bit.float()
            context = (2 * context + bit) % self.num_contexts  # drop the oldest bit, append the newest
        return bits

    def sample(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> Batch:
        """A batch of sequences, each from its own freshly drawn table; ``length`` overrides the
        number of bits."""
        check_override("NGramsTask", "length", length, minimum=2)
        tables = self.draw_tables(batch_size, generator)
        return batch_from_bits(self.draw_bits(tables, generator, length))

    def expected_targets(self, batch: Batch) -> Tensor:
        """E[target | inputs so far] for every step, shaped like ``batch.targets`` (B, T, 1): the
        Bayes posterior predictive of the next bit, ``bayes_optimal_probabilities``. Training on
        it (``TrainConfig.expected_targets``, ``--expected-targets``) has the same expected cost
        and minimiser as training on the drawn bits, without their noise."""
        if batch.inputs.dim() != 3 or batch.inputs.shape[-1] != 1:
            raise ValueError(f"NGramsTask.expected_targets needs inputs of shape (B, T, 1), got {tuple(batch.inputs.shape)}")
        p = bayes_optimal_probabilities(batch.inputs.detach().cpu(), self.order)  # (B, T), counted on the CPU
        return p.unsqueeze(-1).to(device=batch.targets.device, dtype=batch.targets.dtype)


def batch_from_bits(bits: Tensor) -> Batch:
    """The ``Batch`` of a (B, T) bit sequence: inputs the bits, targets the next bits."""
    inputs = bits.unsqueeze(-1).float()  # (B, T, 1)
    targets = torch.zeros_like(inputs)
    targets[:, :-1] = inputs[:, 1:]
    mask = torch.ones(bits.shape, dtype=inputs.dtype)
    mask[:, -1] = 0.0
    return Batch(inputs, targets, mask)


def _as_bits(bits: Tensor) -> Tensor:
    if bits.dim() == 3 and bits.shape[-1] == 1:
        bits = bits.squeeze(-1)
    if bits.dim() != 2:
        raise ValueError(f"bits must have shape (B, T) or (B, T, 1), got {tuple(bits.shape)}")
    return bits.round().long()


def context_index(bits: Tensor, order: int = 6) -> Tensor:
    """The index of the context of every bit, (B, T) long: c_t reads b_{t-N+1} .. b_{t-1}
    (zero before the start) as a binary number, oldest bit most significant."""
    bits = _as_bits(bits)
    contexts = 2 ** (order - 1)
    index = torch.zeros_like(bits)
    context = torch.zeros_like(bits[:, 0])
    for t in range(bits.shape[1]):
        index[:, t] = context
        context = (2 * context + bits[:, t]) % contexts
    return index


def bayes_optimal_probabilities(bits: Tensor, order: int = 6) -> Tensor:
    r"""The Bayes-optimal P(next bit = 1) after each step (NTM paper, section 4.4),
    (B, T).

    bits: (B, T) or (B, T, 1) of 0/1. Entry t predicts bit t+1 from bits 0 .. t:
    (N_1 + 1/2) / (N_1 + N_0 + 1), N_1 and N_0 counting the bits 0 .. t whose context
    was the context of bit t+1 and that were 1 and 0 (contexts zero-padded as in
    generation). This is the posterior mean of p_c under the Beta(1/2, 1/2) prior. The
    last entry predicts a bit beyond the sequence; it is masked out of every cost.
    """
    bits = _as_bits(bits)
    batch_size, steps = bits.shape
    contexts = 2 ** (order - 1)
    rows = torch.arange(batch_size)
    # [b, c, v]: how often c was followed by v
    counts = torch.zeros(batch_size, contexts, 2)
    probabilities = torch.zeros(batch_size, steps)
    context = torch.zeros(batch_size, dtype=torch.long)  # context of bit t
    for t in range(steps):
        counts[rows, context, bits[:, t]] += 1.0
        context = (2 * context + bits[:, t]) % contexts  # now the context of bit t+1
        seen = counts[rows, context]  # (B, 2): N_0, N_1
        probabilities[:, t] = (seen[:, 1] + 0.5) / (seen.sum(-1) + 1.0)
    return probabilities


def bayes_optimal_bits(batch: Batch, order: int = 6) -> Tensor:
    """The Bayes-optimal predictor's BCE in bits per sequence on ``batch``, (B,): the reference
    cost (the predictor reads the same inputs as the model)."""
    p = bayes_optimal_probabilities(batch.inputs, order).double()  # (B, T)
    y = batch.targets[..., 0].double()
    per_step = -(y * torch.log2(p) + (1 - y) * torch.log2(1 - p))
    return (per_step * batch.mask.double()).sum(-1).to(batch.inputs.dtype)


def score(logits: Tensor, batch: Batch, order: int = 6) -> dict[str, float]:
    """``tasks.base.score`` plus ``bayes_bce_bits`` (the reference cost, per sequence) and
    ``excess_bits``: how many bits per sequence the model costs beyond the Bayes-optimal
    predictor (the paper's comparison; the goal here is < 1). Bit errors mean little on this
    task: the targets are random."""
    result = base.score(logits, batch)
    with torch.no_grad():
        reference = bayes_optimal_bits(batch, order).mean().item()
    result["bayes_bce_bits"] = reference
    result["excess_bits"] = result["bce_bits"] - reference
    return result
