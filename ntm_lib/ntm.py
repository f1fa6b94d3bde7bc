r"""The Neural Turing Machine: a controller coupled to a memory matrix through read and write heads.

NTM paper, section 3 (Figure 1). One step, ``NTM.step(x_t, state) -> (features_t, state)``:

    1. controller input  = [x_t, r_{t-1}]                     (task input and last reads)
    2. features, ctrl    = controller(input, ctrl_{t-1})
    3. head parameters   = heads(features)                    (k, beta, g, s, gamma; e, a)
    4. weightings w_t    = address(M_{t-1}, w_{t-1}, ...)     (eqs. 5-9, every head at once)
    5. reads r_t         = read(M_{t-1}, w_t^read)            (eq. 2)
    6. memory M_t        = write(M_{t-1}, w_t^write, e, a)    (eqs. 3-4; several write heads:
                                                                all erasures, then all additions)

and the output logits y_t = W [features_t, r_t] + b. ``NTM.forward`` runs the step over a whole
sequence and applies the output layer once to all steps.

State is explicit (``NTMState``): nothing is stored on the module between calls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from . import fused
from .addressing import address
from .controllers import FeedForwardController, LSTMController
from .heads import HeadParams, Heads
from .interventions import Intervention
from .memory import MEMORY_INITS, WRITE_RULES, MemoryInit, read

NO_INTERVENTION = Intervention()  # the model as it is

CONTROLLERS = ("feedforward", "lstm")
INITIAL_WEIGHTINGS = ("focused", "uniform")


@dataclass(frozen=True)
class NTMConfig:
    """Sizes and choices of an NTM. Defaults are the copy-task settings of the NTM paper."""

    input_size: int = 9  # copy: 8 bits + delimiter
    output_size: int = 8
    controller: str = "feedforward"  # "feedforward" or "lstm"; see ntm_lib.defaults for why
    controller_size: int = 100  # C, the paper's 100-unit controller
    activation: str = "tanh"  # feed-forward only; ReLU units can die and stall training (see recipes)
    num_slots: int = 128  # N, as in the paper's copy task
    word_size: int = 20  # M, as in the paper's copy task
    num_read_heads: int = 1
    num_write_heads: int = 1
    shift_radius: int = 1  # S: shifts -1, 0, +1, as in the paper
    memory_init: str = "constant"  # Collier & Beel's best scheme
    # Where the heads' learned initial weighting starts: "focused" (on slot 0; the default) or
    # "uniform" (equal on every slot). With a constant memory a uniform start never becomes
    # anything else: every slot is written and read alike (chapter 12's symmetry).
    initial_weighting: str = "focused"
    # How several write heads combine: "paper" (section 3.2: all erasures, then all additions;
    # their order does not matter) or "sequential" (head by head, erase then add: the rule of
    # models trained before this field existed). With one write head the two are the same.
    write_rule: str = "paper"

    # A config stored before a field existed meant this (``config_from_dict``): earlier NTMs
    # wrote head by head; with one write head that is the paper's rule, and is recorded as such.
    LEGACY: ClassVar[dict[str, Any]] = {
        "write_rule": lambda values: "sequential" if values.get("num_write_heads", 1) > 1 else "paper",
    }

    def __post_init__(self):
        positive = ("input_size", "output_size", "controller_size", "num_slots", "word_size", "shift_radius")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"NTMConfig.{name} must be a positive integer, got {value!r}")
        for name in ("num_read_heads", "num_write_heads"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"NTMConfig.{name} must be an integer >= 0, got {value!r}")
        if self.num_read_heads + self.num_write_heads == 0:
            raise ValueError("an NTM needs at least one head")
        if self.controller not in CONTROLLERS:
            raise ValueError(f"NTMConfig.controller must be one of {CONTROLLERS}, got {self.controller!r}")
        if self.activation not in ("relu", "tanh"):
            raise ValueError(f"NTMConfig.activation must be 'relu' or 'tanh', got {self.activation!r}")
        if self.write_rule not in WRITE_RULES:
            raise ValueError(f"NTMConfig.write_rule must be one of {tuple(WRITE_RULES)}, got {self.write_rule!r}")
        if self.initial_weighting not in INITIAL_WEIGHTINGS:
            raise ValueError(f"NTMConfig.initial_weighting must be one of {INITIAL_WEIGHTINGS}, "
                             f"got {self.initial_weighting!r}")
        if self.memory_init not in MEMORY_INITS:
            raise ValueError(f"NTMConfig.memory_init must be one of {MEMORY_INITS}, got {self.memory_init!r}")
        if 2 * self.shift_radius + 1 > self.num_slots:
            raise ValueError(
                f"shift_radius {self.shift_radius} needs 2S+1 <= num_slots ({self.num_slots})"
            )


class NTMState(NamedTuple):
    """Everything an NTM carries from one step to the next. H = read + write heads."""

    memory: Tensor  # (B, N, M)
    reads: Tensor  # (B, R, M), the read vectors of the last step
    weights: Tensor  # (B, H, N), read heads first, then write heads
    controller: tuple  # () for feed-forward, (h, c) each (B, C) for LSTM


class NTMTrace(NamedTuple):
    """What happened inside, step by step, for figures. T steps, H heads (read heads first)."""

    content: Tensor  # (B, T, H, N) weighting after eq. 6
    gated: Tensor  # (B, T, H, N) after eq. 7
    shifted: Tensor  # (B, T, H, N) after eq. 8
    weights: Tensor  # (B, T, H, N) after eq. 9: the weighting used
    erase: Tensor  # (B, T, W, M)
    add: Tensor  # (B, T, W, M)
    reads: Tensor  # (B, T, R, M)
    memory: Tensor  # (B, T, N, M), after the step's write


def check_sequence(inputs: Tensor, input_size: int, model: str) -> None:
    """Raise a ValueError naming the expected shape unless inputs is (B, T, input_size)."""
    if not isinstance(inputs, Tensor):
        raise TypeError(f"{model} expects a tensor of shape (B, T, {input_size}), got {type(inputs).__name__}")
    if inputs.dim() != 3 or inputs.shape[-1] != input_size:
        raise ValueError(
            f"{model} expects inputs of shape (batch, time, {input_size}), got {tuple(inputs.shape)}"
        )
    if not inputs.is_floating_point():
        raise TypeError(f"{model} expects floating-point inputs, got {inputs.dtype}")


class NTM(nn.Module):
    """A Neural Turing Machine. ``model(inputs) -> (logits, state)``; logits (B, T, output_size)."""

    kind = "ntm"
    trace_type = NTMTrace  # what forward(..., trace=True) returns third

    def __init__(self, config: NTMConfig):
        super().__init__()
        self.config = config
        c = config
        controller_input = c.input_size + c.num_read_heads * c.word_size
        if c.controller == "lstm":
            self.controller = LSTMController(controller_input, c.controller_size)
        else:
            self.controller = FeedForwardController(controller_input, c.controller_size, c.activation)
        self.heads = Heads(c.controller_size, c.num_read_heads, c.num_write_heads, c.word_size, c.shift_radius)
        self.memory_init = MemoryInit(c.memory_init, c.num_slots, c.word_size)
        num_heads = c.num_read_heads + c.num_write_heads
        # Learned start of the read vectors and weightings (Collier & Beel 2018): with a constant
        # memory, content addressing is uniform at first, so the learned weighting is what tells
        # the heads apart and gives them a place to start. It starts focused on slot 0
        # (initial_weighting="focused") or, to show why, uniform over the slots ("uniform").
        self.initial_reads = nn.Parameter(torch.randn(c.num_read_heads, c.word_size) * 0.01)
        initial_logits = torch.zeros(num_heads, c.num_slots)
        if c.initial_weighting == "focused":
            initial_logits[:, 0] = 10.0
        self.initial_weight_logits = nn.Parameter(initial_logits)
        self.output = nn.Linear(c.controller_size + c.num_read_heads * c.word_size, c.output_size)

    def initial_state(self, batch_size: int, generator: torch.Generator | None = None) -> NTMState:
        """The state at t = 0 for a batch of ``batch_size`` sequences."""
        memory = self.memory_init(batch_size, generator)  # (B, N, M)
        reads = self.initial_reads.expand(batch_size, -1, -1)  # (B, R, M)
        weights = torch.softmax(self.initial_weight_logits, dim=-1).expand(batch_size, -1, -1)  # (B, H, N)
        return NTMState(memory, reads, weights, self.controller.initial_state(batch_size))

    def step(self, x: Tensor, state: NTMState, trace: list | None = None, *, t: int = 0,
             intervention: Intervention = NO_INTERVENTION) -> tuple[Tensor, NTMState]:
        """One time step. x: (B, input_size). Returns features [controller, reads]
        (B, C + R*M). ``intervention`` changes what the step uses at its hook points
        (``ntm_lib.interventions``); ``t`` is the step's index, which it is told."""
        c = self.config
        controller_reads = intervention.controller_reads(t, state.reads)  # (B, R, M)
        # (B, I + R*M)
        controller_input = torch.cat([x, controller_reads.flatten(1)], dim=-1)
        # (B, C)
        features, controller_state = self.controller(controller_input, state.controller)
        p = self.heads(features)
        memory = state.memory.unsqueeze(1)  # (B, 1, N, M): broadcast over heads
        # (B, H, N)
        weights, stages = address(
            memory, state.weights, p.key, p.beta, p.g, p.s, p.gamma
        )
        read_weights = weights[:, : c.num_read_heads]  # (B, R, N)
        reads = intervention.reads(t, read(memory, read_weights))  # (B, R, M)
        # (B, W, N)
        write_weights = intervention.write_weights(t, weights[:, c.num_read_heads:])
        erase, add = intervention.erase_add(t, p.erase, p.add)  # (B, W, M) each
        new_memory = (
            WRITE_RULES[c.write_rule](state.memory, write_weights, erase, add)
            if c.num_write_heads
            else state.memory
        )
        new_memory = intervention.memory(t, state.memory, new_memory)
        if trace is not None:
            trace.append((*stages[:3], weights, erase, add, reads, new_memory))
        output_reads = intervention.output_reads(t, reads)
        # (B, C + R*M)
        output_features = torch.cat([features, output_reads.flatten(1)], dim=-1)
        return output_features, NTMState(new_memory, reads, weights, controller_state)

    def forward(
        self, inputs: Tensor, state: NTMState | None = None, *, trace: bool = False,
        generator: torch.Generator | None = None, intervention: Intervention = NO_INTERVENTION,
    ) -> tuple[Tensor, NTMState] | tuple[Tensor, NTMState, NTMTrace]:
        """Run over a sequence. inputs: (B, T, input_size).

        Returns logits (B, T, output_size) aligned with the inputs and the final state; with
        ``trace=True`` also an ``NTMTrace``. Pass ``state`` to continue from an earlier call.
        ``generator`` draws the initial memory of ``memory_init="random"`` (else torch's global
        generator); the other schemes draw nothing. ``intervention`` changes one thing inside
        every step (``ntm_lib.interventions``, e.g. ``NoWritesAfter(20)``).
        """
        return unroll(self, inputs, state, trace, self.trace_type, generator, intervention)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self.config).items())


def unroll(model: nn.Module, inputs: Tensor, state: Any, trace: bool, trace_type: type,
           generator: torch.Generator | None = None, intervention: Intervention = NO_INTERVENTION) -> tuple:
    """The sequence loop of the memory models (NTM, DNC): check the inputs, start a state (or
    continue ``state``), run ``model.step`` over time, then ``model.output`` on all steps at once.

    Returns (logits (B, T, output_size), final state), and with ``trace`` the steps' records
    stacked along time into ``trace_type``.
    """
    name = type(model).__name__
    check_sequence(inputs, model.config.input_size, name)
    batch, steps, _ = inputs.shape
    if state is None:
        state = model.initial_state(batch, generator)
    elif state.memory.shape[0] != batch:
        raise ValueError(f"state is for batch size {state.memory.shape[0]}, inputs have {batch}")
    records: list | None = [] if trace else None
    features = []
    step = fused.step_of(model)  # model.step, or the NTM's fused step where it is on (ntm_lib.fused)
    for t in range(steps):
        out, state = step(inputs[:, t], state, records, t=t, intervention=intervention)
        features.append(out)
    logits = model.output(torch.stack(features, dim=1))  # (B, T, output_size)
    if not trace:
        return logits, state
    return logits, state, trace_type(*(torch.stack(column, dim=1) for column in zip(*records)))


def head_parameters(model: nn.Module, inputs: Tensor) -> HeadParams:
    """The parameters every head emitted at every step of ``model(inputs)`` (an ``NTM``), stacked
    along time: ``key`` (B, T, H, M), ``beta`` (B, T, H), ..., ``add`` (B, T, W, M); heads as in
    ``HeadParams`` (read heads first). The trace holds the weightings these produced; this is
    what went in, e.g. to compare a read head's key with the memory rows it finds."""
    steps: list[HeadParams] = []
    hook = model.heads.register_forward_hook(lambda module, args, out: steps.append(out))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        hook.remove()
    return HeadParams(*(torch.stack(column, dim=1) for column in zip(*steps)))


def state_dict_for_slots(
    state_dict: dict[str, Tensor], num_slots: int
) -> dict[str, Tensor]:
    """The same NTM (or DNC) weights for a memory of ``num_slots`` slots (``num_slots``
    of the config).

    No weight of the controller, the heads or the output layer depends on the number of
    slots N: heads address memory by content (eq. 6) and by circular shifts (eq. 8),
    both defined for any N (NTM paper, section 3); the DNC's allocation and links are
    defined for any N too. Only the start depends on N: the NTM's learned initial
    weighting logits (H, N) and the initial memory (N, M). New slots get each head's
    lowest initial logit, so the start weighting hardly moves, and the initial memory of
    slot 0 (for a constant memory: the constant); with fewer slots the first
    ``num_slots`` are kept. Chapter 8 uses this to give the N-gram NTM more slots than
    its sequences have steps.
    """
    if not isinstance(num_slots, int) or num_slots < 1:
        raise ValueError(f"num_slots must be a positive integer, got {num_slots!r}")
    resized = dict(state_dict)
    memory = state_dict["memory_init.initial"]  # (N, M)
    extra = num_slots - memory.shape[0]
    if extra <= 0:
        resized["memory_init.initial"] = memory[:num_slots].clone()
    else:
        resized["memory_init.initial"] = torch.cat(
            [memory, memory[:1].expand(extra, -1)], dim=0
        )
    # the NTM's heads start from a learned weighting
    if "initial_weight_logits" in state_dict:
        logits = state_dict["initial_weight_logits"]  # (H, N)
        if extra <= 0:
            resized["initial_weight_logits"] = logits[:, :num_slots].clone()
        else:
            lowest = logits.min(dim=1, keepdim=True).values  # (H, 1)
            resized["initial_weight_logits"] = torch.cat(
                [logits, lowest.expand(-1, extra)], dim=1
            )
    return resized


def config_from_dict(cls: Any, values: dict) -> Any:
    """Build a config dataclass from a dict (e.g. one stored in a checkpoint), with a clear error
    for unknown keys. A field missing from the dict gets what its absence meant when the dict was
    written (``cls.LEGACY``, a function of the dict) or else its default."""
    known = set(cls.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}; expected a subset of {sorted(known)}")
    legacy = {name: meaning(values) for name, meaning in getattr(cls, "LEGACY", {}).items() if name not in values}
    return cls(**values, **legacy)
