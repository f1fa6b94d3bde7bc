"""Algorithmic tasks: each module defines a task dataclass with ``sample(batch_size, generator)``."""

from .associative_recall import AssociativeRecallTask
from .base import Batch, bce_bits_per_sequence, bit_errors_per_sequence, score
from .copy import CopyTask
from .dyck import DyckTask
from .graph_traversal import GraphTraversalTask
from .memory_reuse import MemoryReuseTask
from .ngrams import NGramsTask, bayes_optimal_bits, bayes_optimal_probabilities
from .ordered_recall import OrderedRecallTask
from .priority_sort import PrioritySortTask
from .repeat_copy import RepeatCopyTask
from .sort import SortTask

TASKS = {
    "copy": CopyTask,
    "repeat_copy": RepeatCopyTask,
    "associative_recall": AssociativeRecallTask,
    "ngrams": NGramsTask,
    "priority_sort": PrioritySortTask,
    "sort": SortTask,
    "dyck": DyckTask,
    "memory_reuse": MemoryReuseTask,
    "ordered_recall": OrderedRecallTask,
    "graph_traversal": GraphTraversalTask,
}

__all__ = [
    "AssociativeRecallTask",
    "Batch",
    "CopyTask",
    "DyckTask",
    "GraphTraversalTask",
    "MemoryReuseTask",
    "NGramsTask",
    "OrderedRecallTask",
    "PrioritySortTask",
    "RepeatCopyTask",
    "SortTask",
    "TASKS",
    "bayes_optimal_bits",
    "bayes_optimal_probabilities",
    "bce_bits_per_sequence",
    "bit_errors_per_sequence",
    "score",
]
