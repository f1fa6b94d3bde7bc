r"""Controllers: the network that reads the input and the last read vectors and drives the heads.

Two kinds, with the same interface ``controller(x, state) -> (features, state)``:

- ``FeedForwardController``: one hidden layer (ReLU or tanh). Its only memory across time is
  the NTM's memory, which makes the learned algorithm readable from the weightings (NTM paper,
  section 4: the feed-forward controller is easier to interpret).
- ``LSTMController``: one LSTM layer; state (h, c), each (B, C), starting at zero.

x: (B, I) where I = task inputs + read heads x M. features: (B, C).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


class FeedForwardController(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.linear = nn.Linear(input_size, hidden_size)
        self.activation = ACTIVATIONS[activation]
        self.output_size = hidden_size

    def initial_state(self, batch_size: int) -> tuple[()]:
        return ()

    def forward(self, x: Tensor, state: tuple[()]) -> tuple[Tensor, tuple[()]]:
        return self.activation(self.linear(x)), state


class LSTMController(nn.Module):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.cell = nn.LSTMCell(input_size, hidden_size)
        self.output_size = hidden_size

    def initial_state(self, batch_size: int) -> tuple[Tensor, Tensor]:
        weight = self.cell.weight_hh
        zeros = weight.new_zeros(batch_size, self.output_size)
        return zeros, zeros

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, c = self.cell(x, state)
        return h, (h, c)
