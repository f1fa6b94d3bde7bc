r"""The fused NTM step: a step's addressing, reads and write as one C++ autograd node, on CPUs.

An NTM step (``ntm_lib.ntm``) spends most of its time on tensors the size of the memory: the
similarity of every key to every slot (eq. 6), the reads (eq. 2) and the write (eqs. 3-4), and
their gradients. Written as tensor operations, autograd makes about ten passes over the memory
per step, and another to sum the memory's gradient from its three users; on a CPU each pass is
a trip to the cache or to main memory. ``csrc/ntm_step.cpp`` computes the same addressing
(eqs. 5-9), reads and write, and their gradients written by hand, in two passes forward and two
back, over a memory laid out word-major; the backward goes one sequence of the batch at a time, so
the second pass finds that sequence's memory in the cache. Its results agree with the tensor
operations to float rounding (``tests/test_fused.py`` checks values and gradients, float64
``gradcheck`` included).

It is off unless turned on, for this process and the processes it starts (a sweep's workers)::

    from ntm_lib.fused import use_fused_step
    use_fused_step()          # builds the extension the first time (about 25 s), then loads it

or ``python -m ntm_lib train ... --fused`` and ``python -m ntm_lib sweep ... --fused``. The
first use compiles ``csrc/ntm_step.cpp`` with the machine's C++ compiler and ninja (torch's
``cpp_extension``; the build is cached under ``~/.cache/torch_extensions``); where either is
missing, ``use_fused_step`` raises ``FusedStepUnavailable`` and nothing changes.

When on, an NTM run over a sequence (``model(inputs)``, and so ``train``, the sweeps and the
evaluations) takes ``ntm_step`` instead of ``NTM.step`` wherever it can: one write head, CPU
tensors of float32 or float64, no trace, no intervention, not under ``vmap``. Anything else takes
``NTM.step``, as does every other model; ``NTM.step`` itself stays the reference, the tensor
operations. The state is the same as ``NTM.step``'s, except that the memory (B, N, M) is a view
of word-major storage (B, M, N): its values are the same, ``.contiguous()`` gives the usual
layout. The node has no double backward (``create_graph=True``): it raises.

Why it is off by default: the chapters' committed outputs come from the tensor operations, and
a learner's first run should not wait for a compiler. ``data/bench-sweep.md`` has what it gains.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import Tensor, nn

from .addressing import EPS
from .interventions import Intervention

ENV_VAR = "NTM_LIB_FUSED_STEP"  # "1": on in this process and the ones it starts
SOURCE = Path(__file__).with_name("csrc") / "ntm_step.cpp"
EXTENSION_NAME = "ntm_lib_fused_step"
CFLAGS = ["-O3", "-fopenmp-simd"]

_extension: Any = None
_enabled = os.environ.get(ENV_VAR) == "1"


class FusedStepUnavailable(RuntimeError):
    """The fused step's extension could not be built or loaded on this machine."""


def load() -> Any:
    """The compiled extension: built on first use (about 25 s on 2 cores), cached by torch."""
    global _extension
    if _extension is None:
        try:
            from torch.utils.cpp_extension import load as load_extension

            _extension = load_extension(name=EXTENSION_NAME, sources=[str(SOURCE)], extra_cflags=CFLAGS,
                                        verbose=False)
        except Exception as exc:  # a missing compiler or ninja, a failed build: all say the same to the user
            raise FusedStepUnavailable(
                f"the fused NTM step could not be built from {SOURCE.name}: it needs a C++ compiler (g++ or "
                f"clang++) and ninja (pip install ninja). Without it, leave the fused step off. ({exc})"
            ) from exc
    return _extension


def use_fused_step(on: bool = True) -> None:
    """Turn the fused step on (building it if needed) or off, for this process and the processes
    it starts from now on (the setting travels in the environment variable ``NTM_LIB_FUSED_STEP``)."""
    global _enabled
    if on:
        load()
    _enabled = bool(on)
    os.environ[ENV_VAR] = "1" if on else "0"


def fused_step_enabled() -> bool:
    """Whether NTMs run over sequences with the fused step where it applies."""
    return _enabled


@contextmanager
def fused_step(on: bool = True) -> Iterator[None]:
    """``with fused_step(): ...``: the fused step on (or off) inside the block, as it was after."""
    before = _enabled, os.environ.get(ENV_VAR)
    use_fused_step(on)
    try:
        yield
    finally:
        use_fused_step(before[0])
        if before[1] is None:
            del os.environ[ENV_VAR]
        else:
            os.environ[ENV_VAR] = before[1]


def applies(num_write_heads: int, memory: Tensor) -> bool:
    """Whether the fused step can take a step of an NTM with ``num_write_heads`` write heads on
    this memory (the caller checks trace and intervention)."""
    return (
        _enabled
        and num_write_heads == 1
        and memory.device.type == "cpu"
        and memory.dtype in (torch.float32, torch.float64)
        and not torch._C._functorch.is_functorch_wrapped_tensor(memory)
    )


def step_of(model: nn.Module) -> Any:
    """The step function a run of ``model`` over a sequence calls: ``ntm_step`` bound to an NTM
    while the fused step is on, else ``model.step``. Same arguments as ``NTM.step``."""
    if _enabled and getattr(model, "kind", None) == "ntm":
        return lambda *args, **kwargs: ntm_step(model, *args, **kwargs)
    return model.step


def ntm_step(model: nn.Module, x: Tensor, state: Any, trace: list | None = None, *, t: int = 0,
             intervention: Intervention | None = None) -> tuple[Tensor, Any]:
    """``model.step`` (an ``NTM``) with its addressing, reads and write in the fused node, where
    the fused step applies; elsewhere ``model.step`` itself. The controller and the heads are the
    model's own modules, as in ``NTM.step``."""
    intervention = intervention if intervention is not None else Intervention()
    if trace is not None or type(intervention) is not Intervention or not applies(
            model.config.num_write_heads, state.memory):
        return model.step(x, state, trace, t=t, intervention=intervention)
    controller_input = torch.cat([x, state.reads.flatten(1)], dim=-1)  # (B, I + R*M)
    features, controller_state = model.controller(controller_input, state.controller)  # (B, C)
    p = model.heads(features)
    weights, reads, new_memory = memory_step(state.memory, state.weights, p, EPS)
    output_features = torch.cat([features, reads.flatten(1)], dim=-1)  # (B, C + R*M)
    return output_features, type(state)(new_memory, reads, weights, controller_state)


def memory_step(memory: Tensor, w_prev: Tensor, params: Any, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """The addressing of every head (eqs. 5-9), the reads (eq. 2) and the write (eqs. 3-4) of one
    NTM step, as ``NTM.step`` computes them.

    memory (B, N, M); w_prev (B, H, N), read heads first, then the one write head; params: the
    step's ``HeadParams``. Returns the weightings (B, H, N), the reads (B, R, M) and the new memory
    (B, N, M), a view of word-major storage.
    """
    memory_t = memory.transpose(1, 2)  # (B, M, N): contiguous after the first step
    if not memory_t.is_contiguous():
        memory_t = memory_t.contiguous()
    weights, reads, new_memory_t = load().step(
        memory_t, w_prev, params.key, params.beta, params.g, params.s, params.gamma,
        params.erase[:, 0], params.add[:, 0], eps,
    )
    return weights, reads, new_memory_t.transpose(1, 2)
