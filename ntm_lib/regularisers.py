r"""Penalties added to the training loss, beside the task's cross-entropy.

**Quiet output memory.** Once a copy NTM has read its input, the memory already holds
everything the answer needs, yet the write head keeps writing at every output step (chapter 5).
With lengths up to 20 in a memory of 128 slots those writes land on slots that were never
used and cost nothing; on a test sequence that fills the memory they spill onto the stored
input and wear it away. Training never shows the harm, so the loss cannot teach it. This
penalty does, by charging every change of the memory made on a scored step:

    penalty = sum over t >= 1 with mask_t = 1 of ||M_t - M_{t-1}||_F^2        (per sequence)

where M_t is the memory after step t's write (eqs. 3-4). Writes on unscored steps (the input)
are free. The penalty uses the mask the loss already uses, so it applies to any task whose
answer comes after its input; it needs a model whose trace holds its memory (NTM, DNC).

**Loss terms.** ``ntm_lib.training.train`` adds any number of terms to the task's loss; a term
is an object with a ``name`` (its history key is ``train_<name>``), ``weight_at(sequences)``
(0: not computed), ``check(model)`` (raise if the model cannot give what it needs) and a call
``term(trace, batch) -> (B,)``. ``OutputMemoryPenalty`` is the one the library ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from torch import Tensor, nn


class LossTerm(Protocol):
    """A term added to the training loss, computed per sequence from the model's trace."""

    name: str

    def weight_at(self, sequences: int) -> float: ...

    def check(self, model: nn.Module) -> None: ...

    def __call__(self, trace: Any, batch: Any) -> Tensor: ...


def output_memory_change(memory: Tensor, mask: Tensor) -> Tensor:
    """Per sequence (B,): the summed squared change of the memory over the scored steps.

    memory: (B, T, N, M), the memory after each step's write (``NTMTrace.memory``);
    mask: (B, T), 1 on the scored steps. Step 0 has no previous memory in the trace and is
    never charged (no task scores its first step).
    """
    if memory.dim() != 4 or mask.shape != memory.shape[:2]:
        raise ValueError(
            f"expected memory (B, T, N, M) and mask (B, T) with the same B and T, "
            f"got {tuple(memory.shape)} and {tuple(mask.shape)}"
        )
    change = (memory[:, 1:] - memory[:, :-1]).pow(2).sum((-1, -2))  # (B, T-1)
    return (change * mask[:, 1:]).sum(-1)


def traces_memory(model: nn.Module) -> bool:
    """True if the model's trace (``model(inputs, trace=True)[2]``) holds the memory after each step."""
    trace_type = getattr(model, "trace_type", None)
    return trace_type is not None and "memory" in getattr(trace_type, "_fields", ())


@dataclass(frozen=True)
class OutputMemoryPenalty:
    """``weight`` x ``output_memory_change`` per sequence, from ``from_sequences`` training
    sequences on (``TrainConfig.output_memory_penalty`` and ``output_memory_penalty_from``)."""

    weight: float
    from_sequences: int = 0
    name: ClassVar[str] = "output_memory_change"

    def weight_at(self, sequences: int) -> float:
        return self.weight if sequences >= self.from_sequences else 0.0

    def check(self, model: nn.Module) -> None:
        if not traces_memory(model):
            raise ValueError(
                "TrainConfig.output_memory_penalty needs a model whose trace holds its memory (an NTM or "
                f"a DNC); got {type(model).__name__}"
            )

    def __call__(self, trace: Any, batch: Any) -> Tensor:
        return output_memory_change(trace.memory, batch.mask)
