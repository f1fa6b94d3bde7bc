r"""Heads: turning the controller's output into the parameters of every read and write head.

NTM paper, section 3.3: each head emits a key k, a key strength beta, an interpolation gate g,
a shift distribution s over offsets -S..S and a sharpening exponent gamma; a write head also
emits an erase vector e and an add vector a. One linear layer produces all of them for all heads
at once; the activations below put each in its range:

    k     = tanh(.)          (M,)      bounded keys, as in Collier & Beel (2018)
    beta  = softplus(.)      >= 0      key strength
    g     = sigmoid(.)       [0, 1]    interpolation gate
    s     = softmax(.)       (2S+1,)   a distribution over shifts
    gamma = 1 + softplus(.)  >= 1      sharpening
    e     = sigmoid(.)       [0, 1]^M  erase
    a     = tanh(.)          (M,)      add

Heads are stacked read heads first, then write heads: head axis H = R_read + R_write.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class HeadParams(NamedTuple):
    """Parameters of all heads for one step. H = read heads + write heads, W = write heads."""

    key: Tensor  # (B, H, M)
    beta: Tensor  # (B, H)
    g: Tensor  # (B, H)
    s: Tensor  # (B, H, 2S+1)
    gamma: Tensor  # (B, H)
    erase: Tensor  # (B, W, M)
    add: Tensor  # (B, W, M)


class Heads(nn.Module):
    """One linear layer from controller features (B, C) to the HeadParams of every head."""

    def __init__(self, features: int, num_read: int, num_write: int, word_size: int, shift_radius: int):
        super().__init__()
        self.num_read, self.num_write = num_read, num_write
        self.num_heads = num_read + num_write
        self.word_size = word_size
        self.shift_size = 2 * shift_radius + 1
        # Per head: key (M), beta, g, gamma (1 each), shift (2S+1); per write head: erase, add (M each).
        self.addressing_size = word_size + 3 + self.shift_size
        out = self.num_heads * self.addressing_size + num_write * 2 * word_size
        self.linear = nn.Linear(features, out)

    def forward(self, features: Tensor) -> HeadParams:
        batch = features.shape[0]
        out = self.linear(features)  # (B, out)
        addressing_part = out[:, : self.num_heads * self.addressing_size]
        # (B, H, A)
        addressing_part = addressing_part.view(
            batch, self.num_heads, self.addressing_size
        )
        key, beta, g, gamma, s = torch.split(
            addressing_part, [self.word_size, 1, 1, 1, self.shift_size], dim=-1
        )
        write_part = out[:, self.num_heads * self.addressing_size :]
        # (B, W, 2M)
        write_part = write_part.view(batch, self.num_write, 2 * self.word_size)
        erase, add = torch.split(write_part, [self.word_size, self.word_size], dim=-1)
        return HeadParams(
            key=torch.tanh(key),
            beta=F.softplus(beta.squeeze(-1)),
            g=torch.sigmoid(g.squeeze(-1)),
            s=torch.softmax(s, dim=-1),
            gamma=1 + F.softplus(gamma.squeeze(-1)),
            erase=torch.sigmoid(erase),
            add=torch.tanh(add),
        )
