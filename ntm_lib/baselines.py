r"""The LSTM baseline of the NTM paper: a stack of LSTM layers and a linear read-out.

Same interface as ``NTM``: ``model(inputs, state=None) -> (logits, state)``, with inputs
(B, T, input_size) and logits (B, T, output_size). The state is the (h, c) pair of ``nn.LSTM``,
each (layers, B, hidden).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .ntm import check_sequence


@dataclass(frozen=True)
class LSTMConfig:
    input_size: int = 9
    output_size: int = 8
    hidden_size: int = 256  # the NTM paper's LSTM baseline: 3 layers of 256 units
    num_layers: int = 3

    def __post_init__(self):
        for name in ("input_size", "output_size", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"LSTMConfig.{name} must be a positive integer, got {value!r}")


class LSTMBaseline(nn.Module):
    kind = "lstm"

    def __init__(self, config: LSTMConfig):
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(config.input_size, config.hidden_size, config.num_layers, batch_first=True)
        self.output = nn.Linear(config.hidden_size, config.output_size)

    def forward(self, inputs: Tensor, state: tuple[Tensor, Tensor] | None = None, *,
                generator: torch.Generator | None = None) -> tuple[Tensor, tuple]:
        """inputs (B, T, input_size) -> (logits (B, T, output_size), (h, c)). ``generator`` is
        accepted like the memory models' and unused: the LSTM draws nothing."""
        check_sequence(inputs, self.config.input_size, "LSTMBaseline")
        hidden, state = self.lstm(inputs, state)  # (B, T, hidden)
        return self.output(hidden), state
