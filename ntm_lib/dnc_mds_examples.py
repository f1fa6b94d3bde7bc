r"""What goes wrong in the DNC of 2016 and what each of Csordás & Schmidhuber's (2019) three
changes does about it, each on a small memory set up by hand (chapter 14).

Every example is computed by the same functions as ``DNC.step`` (``ntm_lib.dnc_addressing``,
``ntm_lib.memory``), once with the change off and once with it on, in float64 so that the printed
numbers do not depend on the CPU's float kernels.

* ``masking_example``: a word holds a key part and a value part. A look-up knows only the key,
  so its value part is a guess (here zeros); the cosine similarity still divides by the whole
  row's norm, so a slot whose key half-matches but whose value is small can beat the slot whose
  key matches exactly. A mask over the key channels compares keys only
  (``masked_content_weighting``).
* ``deallocation_example``: freeing a slot sets its usage to 0 but leaves its word in place. A
  later look-up for a key that comes back (the same key with a new value, written elsewhere)
  finds the stale word as well as the new one and reads a blend of the two. Erasing freed slots
  (``deallocated``: memory times the retention) leaves only the live word to find.
* ``sharpness_example``: writes that are not quite one-hot make every link a little blurred.
  Following the links hop after hop multiplies the blur, and the read weighting drifts off the
  sequence. Raising each forward weighting to a power s > 1 (``sharpened``) keeps it on track.

Shapes as elsewhere: N slots, M word size; an example is one memory (batch of 1 inside).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from . import dnc_addressing as dnc
from .addressing import content_weighting
from .memory import read, write

DTYPE = torch.float64


class Comparison(NamedTuple):
    """One situation, with the change off (``without``) and on (``with_``)."""

    without: Tensor  # (N,) or (H, N): a weighting, or one per hop
    with_: Tensor  # the same with the change
    target: int  # the slot the look-up (or the first hop) should land on
    detail: dict  # what else the chapter prints (similarities, read values, ...)


def _pm(bits: str) -> Tensor:
    """A +-1 vector from a string of 0s and 1s."""
    return torch.tensor([1.0 if b == "1" else -1.0 for b in bits], dtype=DTYPE)


MASK_KEYS = ("11001010", "11001001", "00110101", "10100110", "01011100", "11000110")
# Slot 1's key differs from slot 0's in 2 of 8 channels (similarity 0.5); slot 0's value is
# large (norm 2x its key's), slot 1's is nearly empty.
MASK_VALUE_SCALES = (2.0, 0.1, 1.0, 1.0, 1.0, 1.0)


def masking_example(strength: float = 10.0) -> Comparison:
    """Look up slot 0's key in a memory of [key | value] words, without and with a mask on the
    key channels. ``detail`` has the cosine similarities of both look-ups."""
    keys = torch.stack([_pm(k) for k in MASK_KEYS])  # (N, 8)
    values = torch.stack([_pm(k[::-1]) * s for k, s in zip(MASK_KEYS, MASK_VALUE_SCALES)])
    memory = torch.cat([keys, values], dim=1).unsqueeze(0)  # (1, N, 16)
    query = torch.cat([keys[0], torch.zeros(8, dtype=DTYPE)]).unsqueeze(0)  # value unknown: 0
    mask = torch.cat([torch.ones(8, dtype=DTYPE), torch.zeros(8, dtype=DTYPE)]).unsqueeze(0)
    beta = torch.tensor([strength], dtype=DTYPE)
    plain = content_weighting(memory, query, beta)[0]
    masked = dnc.masked_content_weighting(memory, query, beta, mask)[0]
    cosine = torch.nn.functional.cosine_similarity(memory[0], query, dim=-1)
    cosine_masked = torch.nn.functional.cosine_similarity(memory[0] * mask, query * mask, dim=-1)
    return Comparison(plain, masked, 0, {"similarity": cosine, "similarity_masked": cosine_masked,
                                         "memory": memory[0], "query": query[0], "mask": mask[0]})


def deallocation_example(strength: float = 10.0) -> Comparison:
    """An episode in a memory of 4 slots of [key | value] words:

    t = 0: write (key A, value 1) to slot 0;  t = 1: write (key B, value 2) to slot 1;
    t = 2: read slot 0 (the answer for A);     t = 3: free what was read (free gate 1);
    t = 4: write (key A, value 3) to slot 2: key A is back with a new value;
    t = 5: look up key A (value part unknown: 0) and read.

    Returns the read weighting of the look-up at t = 5 without and with de-allocation, and in
    ``detail`` the usage after t = 3 and the value part of both reads (value 3 is right)."""
    key_a, key_b = _pm("1100101001"), _pm("0110010110")
    value = {1: _pm("1010011010"), 2: _pm("0101100110"), 3: _pm("0011010101")}
    slots, width = 4, 20

    def word(key: Tensor, v: int) -> Tensor:
        return torch.cat([key, value[v]]).unsqueeze(0)

    def one_hot(slot: int) -> Tensor:
        return torch.nn.functional.one_hot(torch.tensor([slot]), slots).to(DTYPE)

    results = {}
    for erase_freed in (False, True):
        memory = torch.zeros(1, slots, width, dtype=DTYPE)
        usage = torch.zeros(1, slots, dtype=DTYPE)
        full_erase = torch.ones(1, width, dtype=DTYPE)
        for slot, (key, v) in ((0, (key_a, 1)), (1, (key_b, 2))):  # t = 0, 1
            usage = dnc.usage(usage, one_hot(slot), torch.ones(1, slots, dtype=DTYPE))
            memory = write(memory, one_hot(slot), full_erase, word(key, v))
        read_weights = one_hot(0).unsqueeze(1)  # t = 2: read slot 0, (1, R=1, N)
        psi = dnc.retention(torch.ones(1, 1, dtype=DTYPE), read_weights)  # t = 3: free it
        usage = usage * psi
        if erase_freed:
            memory = dnc.deallocated(memory, psi)
        usage_after_free = usage[0].clone()
        memory = write(memory, one_hot(2), full_erase, word(key_a, 3))  # t = 4
        query = torch.cat([key_a, torch.zeros(10, dtype=DTYPE)]).unsqueeze(0)
        weights = content_weighting(memory, query, torch.tensor([strength], dtype=DTYPE))  # t = 5
        results[erase_freed] = (weights[0], read(memory, weights)[0, 10:], usage_after_free)
    (w_plain, read_plain, usage), (w_dealloc, read_dealloc, _) = results[False], results[True]
    return Comparison(w_plain, w_dealloc, 2, {
        "usage_after_free": usage, "value_read": read_plain, "value_read_deallocated": read_dealloc,
        "value_right": value[3], "value_stale": value[1]})


def soft_writes(length: int, num_slots: int, focus: float) -> Tensor:
    """Write weightings for ``length`` writes to slots 0, 1, 2, ... in order, each with weight
    ``focus`` on its slot and the rest spread evenly over the other slots. (length, N)."""
    rest = (1.0 - focus) / (num_slots - 1)
    weights = torch.full((length, num_slots), rest, dtype=DTYPE)
    weights[torch.arange(length), torch.arange(length)] = focus
    return weights


def sharpness_example(length: int = 8, num_slots: int = 10, focus: float = 0.9,
                      sharpness: float = 2.0) -> Comparison:
    """Write ``length`` items to slots 0..length-1 with soft write weightings (``soft_writes``),
    then start a read head on slot 0 and follow the forward links ``length - 1`` hops, reading
    with the forward weighting at every hop. Returns the read weighting at each hop, (H, N),
    without and with sharpening by the power ``sharpness``; hop h should land on slot h."""
    writes = soft_writes(length, num_slots, focus)
    link = torch.zeros(1, num_slots, num_slots, dtype=DTYPE)
    precedence = torch.zeros(1, num_slots, dtype=DTYPE)
    for w in writes:
        link = dnc.link(link, precedence, w.unsqueeze(0))
        precedence = dnc.precedence(precedence, w.unsqueeze(0))
    hops = {}
    for sharpen_on in (False, True):
        weights = torch.nn.functional.one_hot(torch.tensor([0]), num_slots).to(DTYPE).unsqueeze(1)
        path = []
        for _ in range(length - 1):
            forward, _ = dnc.directional_weightings(link, weights)  # (1, 1, N)
            if sharpen_on:
                forward = dnc.sharpened(forward, torch.tensor([[sharpness]], dtype=DTYPE))
            weights = forward
            path.append(forward[0, 0])
        hops[sharpen_on] = torch.stack(path)
    return Comparison(hops[False], hops[True], 1, {"writes": writes, "link": link[0]})


def on_target(hops: Tensor) -> Tensor:
    """The weight each hop of ``sharpness_example`` puts on the slot it should land on
    (hop h on slot h + 1). hops: (H, N). Returns (H,)."""
    index = torch.arange(1, hops.shape[0] + 1)
    return hops[torch.arange(hops.shape[0]), index]
