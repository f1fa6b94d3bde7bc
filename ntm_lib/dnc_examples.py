r"""The DNC's memory management played by hand (chapter 13): a script of what a controller would
decide at each step, run through the same functions as ``DNC.step``, without a controller.

A ``MemoryScript`` holds, for every step, the gates the controller would emit (write gate g^w,
allocation gate g^a, free gates f^i), where content addressing would point the write head (c^w)
and where the read heads read (w^{r,i}). ``play(script)`` runs steps 4-7 of ``DNC.step`` on it,
in the step's order (``ntm_lib.dnc_addressing``):

    retention psi_t = retention(f_t, w^r_{t-1})
    usage u_t       = usage(u_{t-1}, w^w_{t-1}, psi_t)
    allocation a_t  = allocation(u_t)
    write w^w_t     = write_weighting(a_t, c^w_t, g^a_t, g^w_t)
    link L_t        = link(L_{t-1}, p_{t-1}, w^w_t),  precedence p_t = precedence(p_{t-1}, w^w_t)

and returns all of them at every step. Memory contents play no part in these equations (only in
c^w, which the script gives), so none is kept. ``Step`` and ``script`` write a script the way the
chapter describes one ("allocate", "write to slot 3", "read slot 1", "free it"), and
``usage_example`` and ``link_example`` are the chapter's two scripts. tests/test_dnc_examples.py
plays the gates of a real DNC's trace and gets its usage, allocation, write weights and links back.

Shapes: T steps, N slots, R read heads; a script is one sequence (no batch dimension).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from . import dnc_addressing as dnc

ALLOCATE = "allocate"


class MemoryScript(NamedTuple):
    """What a controller decides at each of T steps."""

    write_gate: Tensor  # (T,) g^w: write at all?
    allocation_gate: Tensor  # (T,) g^a: to a free slot (1) or to the content match (0)
    write_content: Tensor  # (T, N) c^w: the write head's content weighting
    free_gates: Tensor  # (T, R) f^i: free what read head i read at the step before
    read_weights: Tensor  # (T, R, N) w^{r,i}: where read head i reads at this step


class MemoryManagement(NamedTuple):
    """Every quantity of the memory management at every step of a script."""

    retention: Tensor  # (T, N) psi_t
    usage: Tensor  # (T, N) u_t
    allocation: Tensor  # (T, N) a_t
    write_weights: Tensor  # (T, N) w^w_t
    precedence: Tensor  # (T, N) p_t
    link: Tensor  # (T, N, N) L_t


def play(script: MemoryScript) -> MemoryManagement:
    """Run the memory management of ``DNC.step`` over a script, from the DNC's initial state
    (nothing used, written, read or linked). Returns a ``MemoryManagement`` of T steps."""
    steps, slots = script.write_content.shape
    heads = script.free_gates.shape[-1]
    zeros = script.write_content.new_zeros
    usage, write_prev, read_prev = zeros(1, slots), zeros(1, slots), zeros(1, heads, slots)
    precedence, link = zeros(1, slots), zeros(1, slots, slots)
    record = []
    for t in range(steps):
        retention = dnc.retention(script.free_gates[t : t + 1], read_prev)  # (1, N)
        usage = dnc.usage(usage, write_prev, retention)
        allocation = dnc.allocation(usage)
        write = dnc.write_weighting(allocation, script.write_content[t : t + 1],
                                    script.allocation_gate[t : t + 1], script.write_gate[t : t + 1])
        link = dnc.link(link, precedence, write)  # uses p_{t-1}: before precedence is updated
        precedence = dnc.precedence(precedence, write)
        record.append((retention, usage, allocation, write, precedence, link))
        write_prev, read_prev = write, script.read_weights[t : t + 1]
    return MemoryManagement(*(torch.cat(field) for field in zip(*record)))


class Step(NamedTuple):
    """One step of a script, as the chapter says it.

    write: ``ALLOCATE`` (write gate 1, allocation gate 1: to the free slot), a slot number
    (write gate 1, allocation gate 0, a content weighting all on that slot) or None (write gate
    0: no write). read: the slot read head 0 reads at this step (all its weight), or None (no
    weight anywhere). free: its free gate, the fraction of what it read at the step before to free.
    write_weight: the write gate's value when the step writes (below 1: a partial write).
    """

    write: str | int | None = None
    read: int | None = None
    free: float = 0.0
    write_weight: float = 1.0


def script(num_slots: int, steps: Sequence[Step]) -> MemoryScript:
    """A ``MemoryScript`` of one read head from a list of ``Step``."""
    count = len(steps)
    write_gate, allocation_gate = torch.zeros(count), torch.zeros(count)
    content, free = torch.zeros(count, num_slots), torch.zeros(count, 1)
    reads = torch.zeros(count, 1, num_slots)
    for t, step in enumerate(steps):
        if step.write is not None:
            write_gate[t] = step.write_weight
            if step.write == ALLOCATE:
                allocation_gate[t] = 1.0
            elif isinstance(step.write, int) and 0 <= step.write < num_slots:
                content[t, step.write] = 1.0
            else:
                raise ValueError(f"Step.write is {ALLOCATE!r}, a slot in 0..{num_slots - 1} or None, got {step.write!r}")
        if step.read is not None:
            if not (isinstance(step.read, int) and 0 <= step.read < num_slots):
                raise ValueError(f"Step.read is a slot in 0..{num_slots - 1} or None, got {step.read!r}")
            reads[t, 0, step.read] = 1.0
        if not 0.0 <= step.free <= 1.0:
            raise ValueError(f"Step.free is a gate in [0, 1], got {step.free!r}")
        free[t, 0] = step.free
    return MemoryScript(write_gate, allocation_gate, content, free, reads)


def describe(step: Step) -> str:
    """A step in words, for a figure's column title: "allocate", "write slot 3", "read slot 1",
    "free f=1" (and "write gate 0.5" for a partial write)."""
    parts = []
    if step.write == ALLOCATE:
        parts.append("allocate")
    elif step.write is not None:
        parts.append(f"write slot {step.write}")
    if step.write is not None and step.write_weight != 1:
        parts.append(f"write gate {step.write_weight:g}")
    if step.free:
        parts.append(f"free f={step.free:g}")
    if step.read is not None:
        parts.append(f"read slot {step.read}")
    return ", ".join(parts) or "nothing"


# The chapter's scripts. Four slots: fill them all by allocation, try once more with the memory
# full, read slot 1, then free it and allocate again.
USAGE_STEPS = (
    Step(write=ALLOCATE),
    Step(write=ALLOCATE),
    Step(write=ALLOCATE),
    Step(write=ALLOCATE),
    Step(write=ALLOCATE, read=1),
    Step(write=ALLOCATE, free=1.0),
)

# Five slots written by content in an order that is not their order in memory (as allocation
# would scatter them), the last write with half the weight.
LINK_ORDER = (3, 0, 4, 1, 2)
LINK_LAST_WEIGHT = 0.5


def usage_example() -> tuple[list[Step], MemoryScript]:
    """The usage script of chapter 13: 4 slots, 6 steps (``USAGE_STEPS``)."""
    steps = list(USAGE_STEPS)
    return steps, script(4, steps)


def link_example(order: Sequence[int] = LINK_ORDER, num_slots: int = 5,
                 last_weight: float = LINK_LAST_WEIGHT) -> tuple[list[Step], MemoryScript]:
    """The link script of chapter 13: one write per step, to the slots ``order`` in turn, each
    with the full weight but the last (write gate ``last_weight``)."""
    steps = [Step(write=slot) for slot in order]
    steps[-1] = steps[-1]._replace(write_weight=last_weight)
    return steps, script(num_slots, steps)
