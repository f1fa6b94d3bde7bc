r"""The memory matrix: reading, writing, and how memory starts.

NTM paper, section 3.1 (reading, eq. 2) and 3.2 (writing, eqs. 3-4; several write heads:
``write_heads``). Shapes: memory (B, N, M), weightings (B, N), vectors (B, M); extra
leading dimensions broadcast as in ``addressing``.

Initialisation schemes follow Collier & Beel (2018), who found that a small constant
memory (``constant``) trains fastest and most reliably, ahead of ``learned`` and
``random``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

MEMORY_INITS = ("constant", "learned", "random")


def read(memory: Tensor, w: Tensor) -> Tensor:
    r"""Read vector (eq. 2): r = sum_i w(i) M(i).

    memory: (B, N, M), w: (B, N). Returns (B, M).
    """
    # sum_i w(i) M(i) as einsum: a memory broadcast over R heads, (B, 1, N, M), becomes
    # one (R x N) @ (N x M) product per sequence instead of R copies of the memory.
    return torch.einsum("...n,...nm->...m", w, memory)  # (B, M)


def write(memory: Tensor, w: Tensor, erase: Tensor, add: Tensor) -> Tensor:
    r"""Erase then add (eqs. 3-4): M(i) <- M(i) * (1 - w(i) e) + w(i) a.

    memory: (B, N, M), w: (B, N), erase: (B, M) in [0, 1], add: (B, M). Returns the new
    memory (B, N, M); the input is not modified. A slot is fully erased only where
    w(i) = 1 and e = 1.
    """
    w = w.unsqueeze(-1)  # (B, N, 1)
    # M (1 - w e) + w a rearranged as M + w (a - M e): one pass over (B, N, M) fewer
    return torch.addcmul(memory, w, add.unsqueeze(-2) - memory * erase.unsqueeze(-2))


def write_heads(memory: Tensor, w: Tensor, erase: Tensor, add: Tensor) -> Tensor:
    r"""Several write heads at once, as the NTM paper combines them (section 3.2): every
    head's erasure first, multiplicatively, then every head's addition, so their order
    does not matter:

        M(i) <- M(i) * prod_j (1 - w_j(i) e_j) + sum_j w_j(i) a_j

    memory: (B, N, M), w: (B, W, N), erase: (B, W, M) in [0, 1], add: (B, W, M). Returns
    the new memory (B, N, M). With one head this is ``write`` exactly, and computed by
    it.
    """
    # the product and sum over one head change nothing, and cost much
    if w.shape[-2] == 1:
        return write(memory, w[..., 0, :], erase[..., 0, :], add[..., 0, :])
    w = w.unsqueeze(-1)  # (B, W, N, 1)
    # (B, N, M): what all the erasures leave
    keep = (1 - w * erase.unsqueeze(-2)).prod(dim=-3)
    return memory * keep + (w * add.unsqueeze(-2)).sum(dim=-3)


def write_heads_in_order(
    memory: Tensor, w: Tensor, erase: Tensor, add: Tensor
) -> Tensor:
    r"""Several write heads one after the other, each erasing and adding before the
    next: the rule of ntm_lib before ``NTMConfig.write_rule`` existed, kept so that
    models trained with it behave as they did. Head j's addition can be erased by head
    j + 1, so the order matters. Shapes as in ``write_heads``."""
    for j in range(w.shape[-2]):
        memory = write(memory, w[..., j, :], erase[..., j, :], add[..., j, :])
    return memory


WRITE_RULES = {"paper": write_heads, "sequential": write_heads_in_order}


class MemoryInit(nn.Module):
    r"""The memory at t = 0, one of three schemes (Collier & Beel 2018, section 3.1).

    - ``constant``: every cell is ``constant_value`` (1e-6, their recommendation).
    - ``learned``: a trained (N, M) matrix, shared by all sequences.
    - ``random``: a fresh draw from N(0, 0.5^2) per sequence (needs a generator for
      determinism).

    ``forward(batch_size)`` returns (B, N, M).
    """

    def __init__(
        self, scheme: str, num_slots: int, word_size: int, constant_value: float = 1e-6
    ):
        super().__init__()
        if scheme not in MEMORY_INITS:
            raise ValueError(
                f"memory_init must be one of {MEMORY_INITS}, got {scheme!r}"
            )
        self.scheme = scheme
        self.num_slots, self.word_size = num_slots, word_size
        if scheme == "learned":
            self.initial = nn.Parameter(torch.randn(num_slots, word_size) * 0.05)
        else:
            self.register_buffer(
                "initial", torch.full((num_slots, word_size), constant_value)
            )

    def forward(
        self, batch_size: int, generator: torch.Generator | None = None
    ) -> Tensor:
        if self.scheme == "random":
            noise = torch.randn(
                batch_size,
                self.num_slots,
                self.word_size,
                generator=generator,
                device=self.initial.device,
                dtype=self.initial.dtype,
            )
            return noise * 0.5
        return self.initial.expand(batch_size, -1, -1)  # (B, N, M)
