r"""The repeat copy task (NTM paper, section 4.2): read a sequence, then write it back R times
and mark the end: a for loop around the copy.

Encoding (a public contract: outside tools rely on it). For L vectors x_0 .. x_{L-1} of
``bits`` bits and R repeats, inputs have ``bits + 2`` channels (bits, delimiter, repeat count)
and targets ``bits + 1`` channels (bits, end marker).

Scalar count (``unary=False``, the paper's encoding): one step after the delimiter carries
R / ``scale`` in the count channel, where ``scale`` is ``repeat_scale`` or, by default,
``max_repeats``: the training repeats 1-10 read 0.1 .. 1.0, and a test count beyond training
(``sample(..., repeats=15)`` on the training task) reads 1.5. The paper standardised the count
to mean 0 and variance 1 instead; dividing by the training maximum keeps it positive and makes
"more than ever seen" visible as a value above 1.

    step:      0 .. L-1       L              L+1               L+2 .. L+1+LR          L+2+LR
    inputs:    [x_t, 0, 0]    [0..0, 1, 0]   [0..0, 0, R/scale] 0                      0
    targets:   0              0              0                 [x_{(t-L-2) mod L}, 0]  [0..0, 1]
    mask:      0              0              0                 1                      1

             t=0 1 2 3 4 5 6 7 8 9 10        (L = 2, R = 3, T = L R + L + 3 = 11)
    bits      x x . . . . . . . . .
    delim     . . 1 . . . . . . . .
    count     . . . r . . . . . . .         r = R / scale
    target    . . . . x x x x x x .
    end       . . . . . . . . . . 1
    mask      . . . . 1 1 1 1 1 1 1

Unary count (``unary=True``, as in the Lasagne NTM library): instead of the one scalar step,
R steps follow the delimiter, each with the count channel at 1 (one step per repeat); the output
phase starts on the step after the last of them. Nothing depends on ``scale``.

             t=0 1 2 3 4 5 6 7 8 9 10 11 12  (L = 2, R = 3, T = L R + L + R + 2 = 13)
    bits      x x . . . . . . . . .  .  .
    delim     . . 1 . . . . . . . .  .  .
    count     . . . 1 1 1 . . . . .  .  .
    target    . . . . . . x x x x x  x  .
    end       . . . . . . . . . . .  .  1
    mask      . . . . . . 1 1 1 1 1  1  1

In both, the end-marker target is 0 on every output step and 1 on the single step after the
last repeat, and the mask covers the output phase and that step: the model is scored on
stopping at the right time, the part the paper's NTM gets wrong beyond 11 repeats. Sequences
with different L and R share a batch: each is padded with zeros to the longest and its mask
is 0 on the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import base
from ._checks import check_batch_size, check_int, check_override, is_int
from .base import Batch, check_lengths


@dataclass(frozen=True)
class RepeatCopyTask:
    bits: int = 8
    min_length: int = 1
    max_length: int = 10  # the paper: lengths 1-10
    min_repeats: int = 1
    max_repeats: int = 10  # the paper: repeats 1-10
    unary: bool = False  # True: the count as R marked steps instead of one scalar step
    repeat_scale: float | None = None  # the scalar count is R / scale; None: scale = max_repeats

    name = "repeat_copy"

    def __post_init__(self):
        check_lengths("RepeatCopyTask (lengths)", self.min_length, self.max_length)
        check_lengths("RepeatCopyTask (repeats)", self.min_repeats, self.max_repeats)
        check_int("RepeatCopyTask", "bits", self.bits)
        if not isinstance(self.unary, bool):
            raise ValueError(f"RepeatCopyTask.unary must be True or False, got {self.unary!r}")
        scale = self.repeat_scale
        if scale is not None and (not (is_int(scale) or isinstance(scale, float)) or not scale > 0):
            raise ValueError(f"RepeatCopyTask.repeat_scale must be None or a positive number, got {scale!r}")

    @property
    def input_size(self) -> int:
        return self.bits + 2  # bits, delimiter, repeat count

    @property
    def output_size(self) -> int:
        return self.bits + 1  # bits, end marker

    @property
    def scale(self) -> float:
        """The divisor of the scalar repeat count."""
        return float(self.max_repeats if self.repeat_scale is None else self.repeat_scale)

    def sample(
        self, batch_size: int, generator: torch.Generator, length: int | None = None, repeats: int | None = None
    ) -> Batch:
        """A batch with lengths and repeat counts drawn uniformly and independently from their
        ranges, or all of one ``length`` and/or ``repeats`` if given (any positive integer:
        beyond the training ranges is how generalisation is tested)."""
        check_batch_size("RepeatCopyTask", batch_size)
        check_override("RepeatCopyTask", "length", length)
        check_override("RepeatCopyTask", "repeats", repeats)
        if length is None:
            lengths = torch.randint(self.min_length, self.max_length + 1, (batch_size,), generator=generator)
        else:
            lengths = torch.full((batch_size,), length)
        if repeats is None:
            counts = torch.randint(self.min_repeats, self.max_repeats + 1, (batch_size,), generator=generator)
        else:
            counts = torch.full((batch_size,), repeats)
        longest = int(lengths.max())
        seq = torch.randint(0, 2, (batch_size, longest, self.bits), generator=generator).float()
        seq = seq * (torch.arange(longest) < lengths.unsqueeze(1)).unsqueeze(-1)  # zero beyond each length

        lengths, counts = lengths.unsqueeze(1), counts.unsqueeze(1)  # (B, 1)
        count_steps = counts if self.unary else torch.ones_like(counts)
        start = lengths + 1 + count_steps  # first output step, (B, 1)
        stop = start + lengths * counts  # the end-marker step, (B, 1)
        steps = int(stop.max()) + 1
        t = torch.arange(steps).unsqueeze(0)  # (1, T)

        inputs = torch.zeros(batch_size, steps, self.input_size)
        inputs[:, :longest, : self.bits] = seq
        inputs[..., self.bits] = (t == lengths).float()  # delimiter
        if self.unary:
            inputs[..., self.bits + 1] = ((t > lengths) & (t <= lengths + counts)).float()
        else:
            inputs[..., self.bits + 1] = (t == lengths + 1).float() * counts / self.scale

        k = t - start  # position within the output phase, (B, T)
        output_phase = (k >= 0) & (k < lengths * counts)
        source = k.clamp(min=0) % lengths  # which input vector step t repeats, (B, T)
        copied = seq.gather(1, source.unsqueeze(-1).expand(-1, -1, self.bits))  # (B, T, bits)
        targets = torch.zeros(batch_size, steps, self.output_size)
        targets[..., : self.bits] = copied * output_phase.unsqueeze(-1)
        targets[..., self.bits] = (t == stop).float()  # end marker
        mask = (output_phase | (t == stop)).float()
        return Batch(inputs, targets, mask)


def end_marker_errors_per_sequence(logits: Tensor, batch: Batch) -> Tensor:
    """Per-sequence count of masked steps where the end-marker channel (the last) is wrong
    after thresholding at 0.5, (B,): 0 means the model stopped exactly on time."""
    base.check_logits(logits, batch)
    wrong = ((logits[..., -1] > 0).to(batch.targets.dtype) != batch.targets[..., -1]).to(logits.dtype)
    return (wrong * batch.mask).sum(-1)


def score(logits: Tensor, batch: Batch) -> dict[str, float]:
    """``tasks.base.score`` (bit errors include the end marker) plus ``end_marker_errors`` per
    sequence and ``end_marker_accuracy``: the fraction of sequences whose marker is right on
    every scored step."""
    result = base.score(logits, batch)
    with torch.no_grad():
        errors = end_marker_errors_per_sequence(logits, batch)
        result["end_marker_errors"] = errors.mean().item()
        result["end_marker_accuracy"] = (errors == 0).float().mean().item()
    return result
