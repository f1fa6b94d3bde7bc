r"""Interventions: change one thing inside a memory model's step and run the rest as it is.

An experiment such as "what if the NTM stopped writing after step t?" or "what if read head 2
returned zeros?" must run the model exactly as ``model(inputs)`` does, except for that one
thing. Re-implementing the step in a notebook to do it would drift from the model it claims to
show; instead ``NTM`` and ``DNC`` call the hooks of an ``Intervention`` at fixed points of
their step, and ``model(inputs, intervention=...)`` runs the whole sequence with it:

    logits, _ = ntm(inputs, intervention=NoWritesAfter(20))    # memory frozen after step 20
    logits, _ = ntm(inputs, intervention=SilenceReadHead(2))   # read head 2 reads zeros
    logits, _ = ntm(inputs, intervention=MoveWrites(12, -1))   # every write from step 12 one slot on

The hook points of a step t (``t`` counts from 0), in the order the step meets them:

    controller_reads(t, reads)  (B, R, M) the previous step's reads, as the controller gets them
    write_weights(t, weights)   (B, W, N) the write heads' weightings, as the write uses them
                                (the state keeps the unchanged ones: addressing at t + 1 starts
                                from what the heads chose, eq. 7)
    erase_add(t, erase, add)    (B, W, M) each the write heads' erase and add vectors (eqs. 3-4),
                                as the write uses them (and the trace records them)
    memory(t, before, after)    (B, N, M) the memory after the step's write
    reads(t, reads)             (B, R, M) the step's reads: what the output layer gets and what
                                the next step's controller gets
    output_reads(t, reads)      (B, R, M) the step's reads, as the output layer alone gets them

Each returns what the step uses instead; the base class changes nothing. ``Combined`` applies
several in order. The DNC has one write head (W = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


class Intervention:
    """No change at any hook point; subclass and override the hooks an experiment needs."""

    def controller_reads(self, t: int, reads: Tensor) -> Tensor:
        return reads

    def write_weights(self, t: int, weights: Tensor) -> Tensor:
        return weights

    def erase_add(self, t: int, erase: Tensor, add: Tensor) -> tuple[Tensor, Tensor]:
        return erase, add

    def memory(self, t: int, before: Tensor, after: Tensor) -> Tensor:
        return after

    def reads(self, t: int, reads: Tensor) -> Tensor:
        return reads

    def output_reads(self, t: int, reads: Tensor) -> Tensor:
        return reads


class Combined(Intervention):
    """Several interventions, applied in the order given at every hook point."""

    def __init__(self, *interventions: Intervention):
        self.interventions = interventions

    def controller_reads(self, t, reads):
        for item in self.interventions:
            reads = item.controller_reads(t, reads)
        return reads

    def write_weights(self, t, weights):
        for item in self.interventions:
            weights = item.write_weights(t, weights)
        return weights

    def erase_add(self, t, erase, add):
        for item in self.interventions:
            erase, add = item.erase_add(t, erase, add)
        return erase, add

    def memory(self, t, before, after):
        for item in self.interventions:
            after = item.memory(t, before, after)
        return after

    def reads(self, t, reads):
        for item in self.interventions:
            reads = item.reads(t, reads)
        return reads

    def output_reads(self, t, reads):
        for item in self.interventions:
            reads = item.output_reads(t, reads)
        return reads


def _check_step(value: int, name: str) -> None:
    if not isinstance(value, int):
        raise ValueError(f"{name} is a time step (an integer), got {value!r}")


@dataclass(frozen=True)
class NoWritesAfter(Intervention):
    """Discard every write made at steps t > ``step`` (``step = -1``: no write at all): the memory
    stays as it was after step ``step``, and the heads read that."""

    step: int

    def __post_init__(self):
        _check_step(self.step, "NoWritesAfter.step")

    def memory(self, t, before, after):
        return before if t > self.step else after


@dataclass(frozen=True)
class SilenceReadHead(Intervention):
    """Read head ``head`` returns zeros at every step from ``from_step`` on, wherever its read goes
    (the output layer and the next step's controller)."""

    head: int
    from_step: int = 0

    def __post_init__(self):
        _check_step(self.from_step, "SilenceReadHead.from_step")

    def reads(self, t, reads):
        if t < self.from_step:
            return reads
        if not 0 <= self.head < reads.shape[1]:
            raise ValueError(f"SilenceReadHead.head must be in 0..{reads.shape[1] - 1}, got {self.head}")
        reads = reads.clone()
        reads[:, self.head] = 0
        return reads


@dataclass(frozen=True)
class SilenceWriteHead(Intervention):
    """Write head ``head`` writes nothing (its weighting is zero for the write) from ``from_step`` on."""

    head: int
    from_step: int = 0

    def __post_init__(self):
        _check_step(self.from_step, "SilenceWriteHead.from_step")

    def write_weights(self, t, weights):
        if t < self.from_step:
            return weights
        if not 0 <= self.head < weights.shape[1]:
            raise ValueError(f"SilenceWriteHead.head must be in 0..{weights.shape[1] - 1}, got {self.head}")
        weights = weights.clone()
        weights[:, self.head] = 0
        return weights


@dataclass(frozen=True)
class ZeroReads(Intervention):
    """From ``from_step`` on, cut one route from the memory to the output: ``route="output"``
    zeroes the step's reads as the output layer gets them (the controller still gets them at the
    next step); ``route="controller"`` zeroes the previous step's reads as the controller gets
    them (the output layer still gets them)."""

    route: str
    from_step: int = 0

    def __post_init__(self):
        if self.route not in ("output", "controller"):
            raise ValueError(f"ZeroReads.route is 'output' or 'controller', got {self.route!r}")
        _check_step(self.from_step, "ZeroReads.from_step")

    def controller_reads(self, t, reads):
        return torch.zeros_like(reads) if self.route == "controller" and t >= self.from_step else reads

    def output_reads(self, t, reads):
        return torch.zeros_like(reads) if self.route == "output" and t >= self.from_step else reads


@dataclass(frozen=True)
class MoveWrites(Intervention):
    """Every write from step ``from_step`` on lands ``offset`` slots away (circularly) from where
    the write heads put it: the write weightings as the write uses them are rolled by ``offset``
    (``offset = -1``: from slot i to slot i - 1). The heads themselves go on as before (addressing
    starts from their own weightings), so the writes keep their spacing and only the place
    changes, as if the write heads had jumped once, at ``from_step``, and moved on from there."""

    from_step: int
    offset: int

    def __post_init__(self):
        _check_step(self.from_step, "MoveWrites.from_step")
        if not isinstance(self.offset, int):
            raise ValueError(f"MoveWrites.offset is a number of slots (an integer), got {self.offset!r}")

    def write_weights(self, t, weights):
        return torch.roll(weights, self.offset, dims=-1) if t >= self.from_step else weights
