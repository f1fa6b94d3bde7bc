"""Algorithmic tasks: each module defines a task dataclass with ``sample(batch_size, generator)``."""

from .base import Batch, bce_bits_per_sequence, bit_errors_per_sequence, score
from .copy import CopyTask

TASKS = {"copy": CopyTask}

__all__ = ["Batch", "CopyTask", "TASKS", "bce_bits_per_sequence", "bit_errors_per_sequence", "score"]
