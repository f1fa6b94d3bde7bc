r"""Addressing: how a head turns its parameters into a weighting over memory slots.

NTM paper (Graves, Wayne & Danihelka 2014), section 3.3, equations 5-9. Each stage is a
pure, batched function; ``address`` composes the four in the paper's order (Figure 2):

    content weighting (eqs. 5-6) -> interpolation (eq. 7) -> circular shift (eq. 8)
    -> sharpening (eq. 9)

Shapes use the package notation (see ``ntm_lib.__init__``): B batch, N memory slots, M
word size. Every function also accepts extra leading dimensions (for example
``(B, H, N)`` for H heads addressed at once), as long as the per-row parameters
(``beta``, ``g``, ``gamma``) carry the same leading dimensions.

The DNC (``ntm_lib.dnc``) reuses ``content_weighting`` unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Added under the square roots and logarithms below so that zero memory rows, zero keys
# and weightings with exact zeros give finite values *and* finite gradients.
EPS = 1e-8


def cosine_similarity(memory: Tensor, key: Tensor) -> Tensor:
    r"""Cosine similarity K[u, v] = u.v / (|u| |v|) between a key and every memory row
    (eq. 6).

    memory: (..., N, M), key: (..., M). Returns (..., N) in [-1, 1].
    Norms are computed as sqrt(sum x^2 + eps), so all-zero rows give similarity 0 with a
    finite gradient (``torch.norm`` has an undefined gradient at 0).
    """
    # One matrix product per sequence for all heads at once: einsum folds a memory
    # broadcast over heads, (B, 1, N, M), into (N x M) @ (M x H), not H copies.
    dot = torch.einsum("...nm,...m->...n", memory, key)  # (..., N)
    memory_norm = torch.sqrt((memory * memory).sum(-1) + EPS)  # (..., N)
    key_norm = torch.sqrt((key * key).sum(-1, keepdim=True) + EPS)  # (..., 1)
    return dot / (memory_norm * key_norm)


def content_weighting(memory: Tensor, key: Tensor, beta: Tensor) -> Tensor:
    r"""Content-based weighting (eqs. 5-6): w_c(i) = softmax_i(beta * K[k, M(i)]).

    memory: (B, N, M), key: (B, M), beta: (B,) >= 0 key strength. Returns (B, N), a
    distribution over slots. beta = 0 gives the uniform weighting; a large beta focuses
    on the most similar row.
    """
    similarity = cosine_similarity(memory, key)  # (B, N)
    return torch.softmax(beta.unsqueeze(-1) * similarity, dim=-1)


def interpolate(w_content: Tensor, w_prev: Tensor, g: Tensor) -> Tensor:
    r"""Interpolation gate (eq. 7): w_g = g * w_c + (1 - g) * w_{t-1}.

    w_content, w_prev: (B, N), g: (B,) in [0, 1]. Returns (B, N). g = 1 keeps the
    content weighting, g = 0 ignores content and keeps the previous weighting
    (location-only addressing).
    """
    g = g.unsqueeze(-1)  # (B, 1)
    return g * w_content + (1 - g) * w_prev


def shift_offsets(shift_size: int) -> range:
    """The offsets -S..S held, in this order, by a shift vector of length 2S+1."""
    if shift_size < 1 or shift_size % 2 == 0:
        raise ValueError(f"a shift vector must have odd length 2S+1, got {shift_size}")
    radius = shift_size // 2
    return range(-radius, radius + 1)


def shift(w: Tensor, s: Tensor) -> Tensor:
    r"""Circular convolution with a shift distribution (eq. 8):
    w~(i) = sum_j w(j) s(i - j).

    w: (B, N) weighting, s: (B, 2S+1) weights of the offsets -S..S in that order.
    Returns (B, N). Writing o = i - j, w~(i) = sum_o s(o) w(i - o): a one-hot s at
    offset +1 moves the focus from slot i to slot i+1, exactly
    ``torch.roll(w, 1, dims=-1)``. Indices wrap around (mod N).

    No loop over the batch or the offsets: w is padded circularly by S on each side; its
    windows of 2S+1 slots (a view) are

        windows[..., i, k] = w(i + k - S) = w(i - o_{2S-k}),

    so they are weighted by s read backwards.
    """
    num_slots, shift_size = w.shape[-1], s.shape[-1]
    shift_offsets(shift_size)  # checks the length is odd
    if shift_size > num_slots:
        raise ValueError(
            f"shift vector of length {shift_size} is longer than the {num_slots} slots"
        )
    radius = shift_size // 2
    # (B, N + 2S)
    padded = torch.cat([w[..., num_slots - radius:], w, w[..., :radius]], dim=-1)
    # (B, N, 2S+1): windows[..., i, k] = padded[i + k]
    windows = padded.unfold(-1, shift_size, 1)
    return (windows * s.flip(-1).unsqueeze(-2)).sum(-1)  # (B, N)


def sharpen(w: Tensor, gamma: Tensor) -> Tensor:
    r"""Sharpening (eq. 9): w(i) = w~(i)^gamma / sum_j w~(j)^gamma.

    w: (B, N) weighting, gamma: (B,) >= 1. Returns (B, N).
    Computed as softmax(gamma * log(w + eps)): the same value, but it cannot underflow
    to 0/0 when every w~(i)^gamma is below the smallest float.
    """
    return torch.softmax(gamma.unsqueeze(-1) * torch.log(w + EPS), dim=-1)


def address(
    memory: Tensor,
    w_prev: Tensor,
    key: Tensor,
    beta: Tensor,
    g: Tensor,
    s: Tensor,
    gamma: Tensor,
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor, Tensor]]:
    r"""The full NTM addressing pipeline (section 3.3, Figure 2), eqs. 5-9 in order.

    memory: (B, N, M), w_prev: (B, N), key: (B, M), beta, g, gamma: (B,), s: (B, 2S+1).
    Returns the final weighting (B, N) and the four stages (content, gated, shifted,
    sharpened), for figures and tests.
    """
    w_content = content_weighting(memory, key, beta)
    w_gated = interpolate(w_content, w_prev, g)
    w_shifted = shift(w_gated, s)
    w_sharp = sharpen(w_shifted, gamma)
    return w_sharp, (w_content, w_gated, w_shifted, w_sharp)
