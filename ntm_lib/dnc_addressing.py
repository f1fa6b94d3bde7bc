r"""Memory management of the Differentiable Neural Computer, as pure functions.

Graves et al. 2016, "Hybrid computing using a neural network with dynamic external
memory" (Nature 538), section Methods: dynamic memory allocation (usage, free list,
allocation weighting) and the temporal memory linkage (precedence, link matrix, forward
and backward weightings). Each function is one equation or a few, named after it,
batched over a leading dimension B, with no state of its own: the DNC model
(``ntm_lib.dnc``) threads the state from step to step.

Content addressing is the NTM's (``ntm_lib.addressing.content_weighting``, the DNC
paper's C), and reads and erase/add writes are ``ntm_lib.memory.read`` and ``write``.

The improvements of Csordás & Schmidhuber (2019) are at the end: masked content look-up,
de-allocation that erases, sharpened directional weightings.

Shapes: B batch, N memory slots, M word size, R read heads (the DNC has one write head).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .addressing import content_weighting, sharpen


def retention(free_gates: Tensor, read_weights_prev: Tensor) -> Tensor:
    r"""Memory retention vector: psi_t = prod_i (1 - f_t^i w^{r,i}_{t-1}).

    How much of each slot is kept, given that read head i may free what it read at the
    last step (free gate f^i in [0, 1]). free_gates: (B, R), read_weights_prev:
    (B, R, N). Returns (B, N).
    """
    return (1 - free_gates.unsqueeze(-1) * read_weights_prev).prod(dim=-2)


def usage(usage_prev: Tensor, write_weights_prev: Tensor, retention: Tensor) -> Tensor:
    r"""Usage vector: u_t = (u_{t-1} + w^w_{t-1} - u_{t-1} * w^w_{t-1}) * psi_t.

    A write raises a slot's usage towards 1 (the first factor is 1 - (1 - u)(1 - w)); a
    free lowers it by the retention. usage_prev, write_weights_prev, retention: (B, N).
    Returns (B, N).
    """
    return (
        usage_prev + write_weights_prev - usage_prev * write_weights_prev
    ) * retention


def allocation(usage: Tensor) -> Tensor:
    r"""Allocation weighting: with the free list phi_t = the slots sorted by ascending
    usage,

        a_t[phi_t[j]] = (1 - u_t[phi_t[j]]) prod_{i < j} u_t[phi_t[i]].

    The least-used slot gets most of the weight; a slot gets weight only in so far as
    every less-used slot is in use. usage: (B, N) in [0, 1]. Returns (B, N), summing to
    at most 1. The sort's order is not differentiated (as in the paper); the usages it
    orders are.
    """
    sorted_usage, free_list = torch.sort(usage, dim=-1)  # ascending: phi_t
    ones = torch.ones_like(sorted_usage[..., :1])
    # prod_{i<j}
    used_before = torch.cumprod(
        torch.cat([ones, sorted_usage[..., :-1]], dim=-1), dim=-1
    )
    sorted_allocation = (1 - sorted_usage) * used_before
    return torch.zeros_like(usage).scatter(-1, free_list, sorted_allocation)


def write_weighting(
    allocation: Tensor, content: Tensor, allocation_gate: Tensor, write_gate: Tensor
) -> Tensor:
    r"""Write weighting: w^w_t = g^w_t [g^a_t a_t + (1 - g^a_t) c^w_t].

    The allocation gate g^a in [0, 1] chooses between a fresh slot (allocation) and a
    slot found by content; the write gate g^w in [0, 1] decides whether to write at all.
    allocation, content: (B, N); allocation_gate, write_gate: (B,). Returns (B, N).
    """
    g_a, g_w = allocation_gate.unsqueeze(-1), write_gate.unsqueeze(-1)  # (B, 1)
    return g_w * (g_a * allocation + (1 - g_a) * content)


def precedence(precedence_prev: Tensor, write_weights: Tensor) -> Tensor:
    r"""Precedence weighting: p_t = (1 - sum_i w^w_t[i]) p_{t-1} + w^w_t, with p_0 = 0.

    The degree to which each slot was the last one written. precedence_prev,
    write_weights: (B, N). Returns (B, N).
    """
    return (
        1 - write_weights.sum(dim=-1, keepdim=True)
    ) * precedence_prev + write_weights


def link(link_prev: Tensor, precedence_prev: Tensor, write_weights: Tensor) -> Tensor:
    r"""Temporal link matrix:

        L_t[i, j] = (1 - w^w_t[i] - w^w_t[j]) L_{t-1}[i, j] + w^w_t[i] p_{t-1}[j],

    with L_t[i, i] = 0 and L_0 = 0.

    L[i, j] is the degree to which slot i was written right after slot j. link_prev:
    (B, N, N), precedence_prev, write_weights: (B, N). Returns (B, N, N).
    """
    w_i = write_weights.unsqueeze(-1)  # (B, N, 1): the row's slot
    w_j = write_weights.unsqueeze(-2)  # (B, 1, N): the column's slot
    new = (1 - w_i - w_j) * link_prev + w_i * precedence_prev.unsqueeze(-2)
    eye = torch.eye(new.shape[-1], dtype=torch.bool, device=new.device)
    return new.masked_fill(eye, 0.0)


def directional_weightings(
    link: Tensor, read_weights_prev: Tensor
) -> tuple[Tensor, Tensor]:
    r"""Forward and backward weightings:
    f^i_t = L_t w^{r,i}_{t-1}, b^i_t = L_t^T w^{r,i}_{t-1}.

    Forward moves each read head to the slots written after the ones it read, backward
    to those written before. link: (B, N, N), read_weights_prev: (B, R, N). Returns
    (forward, backward), each (B, R, N).
    """
    # (B, R, N): sum_j L[i, j] w[j]
    forward = read_weights_prev @ link.transpose(-1, -2)
    # (B, R, N): sum_j L[j, i] w[j]
    backward = read_weights_prev @ link
    return forward, backward


def read_weighting(
    backward: Tensor, content: Tensor, forward: Tensor, read_modes: Tensor
) -> Tensor:
    r"""Read weighting:
    w^{r,i}_t = pi^i_t[1] b^i_t + pi^i_t[2] c^{r,i}_t + pi^i_t[3] f^i_t.

    The read mode pi^i (a distribution over three modes, in the order backward, content,
    forward) mixes the three ways a read head can find its slots. backward, content,
    forward: (B, R, N); read_modes: (B, R, 3). Returns (B, R, N).
    """
    modes = read_modes.unsqueeze(-1)  # (B, R, 3, 1)
    return (
        modes[..., 0, :] * backward
        + modes[..., 1, :] * content
        + modes[..., 2, :] * forward
    )


# --- Csordás & Schmidhuber (2019), "Improving Differentiable Neural Computers Through
# Memory Masking, De-allocation, and Link Distribution Sharpness Control" (ICLR). Three
# changes, each off in the DNC of the paper, on together in their "DNC-MDS".


def masked_content_weighting(
    memory: Tensor, key: Tensor, strength: Tensor, mask: Tensor
) -> Tensor:
    r"""Masked content look-up: C(M ⊙ 1 m^T, k ⊙ m, beta), the content weighting of the
    key and every memory row with both multiplied elementwise by a mask m in [0, 1]^M.

    A word can hold a key part and a value part; without the mask the value part,
    unknown when the key is looked up, takes part in the cosine similarity and flattens
    the weighting. The mask lets the controller compare only the channels it chooses.
    memory: (B, N, M) (or (B, R, N, M) after broadcasting), key: (B, M), strength: (B,),
    mask: like key. Returns (B, N).
    """
    return content_weighting(memory * mask.unsqueeze(-2), key * mask, strength)


def deallocated(memory: Tensor, retention: Tensor) -> Tensor:
    r"""De-allocation that erases: M ⊙ psi_t 1^T, each slot scaled by its retention.

    In the DNC of 2016 a freed slot keeps its contents until it is overwritten, so a
    content look-up can still find stale words; here freeing a slot also wipes it.
    Applied to the memory before the step's write:
    M_t = (M_{t-1} ⊙ psi_t 1^T) ⊙ (1 - w^w e^T) + w^w v^T.
    memory: (B, N, M), retention: (B, N). Returns (B, N, M).
    """
    return memory * retention.unsqueeze(-1)


def sharpened(weighting: Tensor, sharpness: Tensor) -> Tensor:
    r"""Link distribution sharpness: S(d, s)_i = d_i^s / sum_j d_j^s with s >= 1, the
    NTM's sharpening (eq. 9) applied to a forward or backward weighting.

    Following links over several steps multiplies the noise of every write's weighting;
    raising the distribution to a learned power keeps it peaked. The result sums to 1
    (the plain directional weighting sums to at most 1). weighting: (B, R, N),
    sharpness: (B, R). Returns (B, R, N).
    """
    return sharpen(weighting, sharpness)
