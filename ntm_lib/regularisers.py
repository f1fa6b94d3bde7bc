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
answer comes after its input; it needs a model that can report its memory (the NTM's trace).
"""

from __future__ import annotations

from torch import Tensor


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
