r"""The Differentiable Neural Computer (Graves et al. 2016, Nature 538; section Methods).

An NTM's successor: the same controller-plus-memory design, with three new mechanisms for the
memory (``ntm_lib.dnc_addressing``): usage and an allocation weighting that find free slots and
free them again, and a temporal link matrix that remembers in which order slots were written.
One step, ``DNC.step(x_t, state) -> (features_t, state)``:

    1. controller input  = [x_t, r_{t-1}]                         (task input and last reads)
    2. features, ctrl    = controller(input, ctrl_{t-1})
    3. interface         = DNCInterface(features)                   (keys, strengths, gates, modes)
    4. usage u_t         = usage(u_{t-1}, w^w_{t-1}, retention(f_t, w^r_{t-1}))
    5. write weighting   = write_weighting(allocation(u_t), C(M_{t-1}, k^w, beta^w), g^a, g^w)
    6. memory M_t        = write(M_{t-1}, w^w_t, e_t, v_t)           (erase, then add)
    7. link, precedence  = link(L_{t-1}, p_{t-1}, w^w_t), precedence(p_{t-1}, w^w_t)
    8. read weightings   = read_weighting(backward, C(M_t, k^r, beta^r), forward, pi)
                                                                     (use_links=False: skip 7, read by C only)
    9. reads r_t         = read(M_t, w^r_t)

and the output logits y_t = W [features_t, r_t] + b (the paper's v_t + W_r r_t). Unlike the NTM,
the DNC reads the memory *after* this step's write. C is the NTM's content weighting
(``ntm_lib.addressing.content_weighting``) with key strengths beta >= 1 ("oneplus").

State is explicit (``DNCState``); ``DNC`` has the interface of ``ntm_lib.NTM``: ``model(inputs)
-> (logits, state)``, with ``trace=True`` also a ``DNCTrace``.

Csordás & Schmidhuber (2019) fixed three weaknesses, each an option of ``DNCConfig`` (off by
default; ``DNC_MDS`` turns on all three): ``masked_lookup`` (every content look-up, C in steps 5
and 8, compares only the channels a learned mask keeps), ``deallocate`` (step 6 writes into
M_{t-1} scaled slot by slot by the retention psi_t, so a freed slot is also wiped) and
``link_sharpness`` (the forward and backward weightings of step 8 are sharpened by learned
powers s >= 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import dnc_addressing as dnc
from .addressing import content_weighting
from .controllers import FeedForwardController, LSTMController
from .memory import MEMORY_INITS, MemoryInit, read, write
from .interventions import Intervention
from .ntm import CONTROLLERS, NO_INTERVENTION, unroll


@dataclass(frozen=True)
class DNCConfig:
    """Sizes and choices of a DNC (one write head, as in the paper). Defaults: the copy task's
    8 bits, an LSTM controller as in the paper, a small memory."""

    input_size: int = 9
    output_size: int = 8
    controller: str = "lstm"  # "lstm" (the paper's) or "feedforward"
    controller_size: int = 100  # C
    activation: str = "tanh"  # feed-forward only
    num_slots: int = 32  # N
    word_size: int = 20  # W in the paper, M in this library
    num_read_heads: int = 1  # R
    memory_init: str = "constant"
    # The temporal link matrix (Methods, "Temporal memory linkage"). False, an ablation: no links
    # or precedence are kept (they stay 0), and every read is by content (read modes fixed to
    # (0, 1, 0); the mode outputs of the interface stay, unused, so the parameters keep their shapes).
    use_links: bool = True
    # Csordás & Schmidhuber (2019), each off as in the 2016 DNC; all three on is their "DNC-MDS"
    # (``DNC_MDS``). Each adds outputs to the interface, so it changes the parameter shapes.
    masked_lookup: bool = False  # M: a learned mask on every content look-up's key and memory
    deallocate: bool = False  # D: freeing a slot also erases it (memory scaled by the retention)
    link_sharpness: bool = False  # S: forward and backward weightings sharpened by a learned power

    def __post_init__(self):
        for name in ("input_size", "output_size", "controller_size", "num_slots", "word_size", "num_read_heads"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"DNCConfig.{name} must be a positive integer, got {value!r}")
        if self.controller not in CONTROLLERS:
            raise ValueError(f"DNCConfig.controller must be one of {CONTROLLERS}, got {self.controller!r}")
        if self.activation not in ("relu", "tanh"):
            raise ValueError(f"DNCConfig.activation must be 'relu' or 'tanh', got {self.activation!r}")
        if self.memory_init not in MEMORY_INITS:
            raise ValueError(f"DNCConfig.memory_init must be one of {MEMORY_INITS}, got {self.memory_init!r}")
        for name in ("use_links", "masked_lookup", "deallocate", "link_sharpness"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"DNCConfig.{name} must be True or False, got {getattr(self, name)!r}")


# The three improvements together: DNCConfig(..., **DNC_MDS) is Csordás & Schmidhuber's DNC-MDS.
DNC_MDS = dict(masked_lookup=True, deallocate=True, link_sharpness=True)


class DNCState(NamedTuple):
    """Everything a DNC carries from one step to the next."""

    memory: Tensor  # (B, N, M)
    reads: Tensor  # (B, R, M): the read vectors of the last step
    read_weights: Tensor  # (B, R, N)
    write_weights: Tensor  # (B, N)
    usage: Tensor  # (B, N)
    link: Tensor  # (B, N, N): L[i, j], slot i written right after slot j
    precedence: Tensor  # (B, N)
    controller: tuple  # () for feed-forward, (h, c) each (B, C) for LSTM


class DNCTrace(NamedTuple):
    """What happened inside, step by step, for figures. T steps."""

    usage: Tensor  # (B, T, N) after this step's frees and the last step's write
    allocation: Tensor  # (B, T, N)
    write_content: Tensor  # (B, T, N): the write key's content weighting
    write_weights: Tensor  # (B, T, N)
    free_gates: Tensor  # (B, T, R)
    allocation_gate: Tensor  # (B, T)
    write_gate: Tensor  # (B, T)
    read_modes: Tensor  # (B, T, R, 3): backward, content, forward
    read_weights: Tensor  # (B, T, R, N)
    link: Tensor  # (B, T, N, N)
    erase: Tensor  # (B, T, M)
    add: Tensor  # (B, T, M): the write vector
    reads: Tensor  # (B, T, R, M)
    memory: Tensor  # (B, T, N, M), after the step's write


class Interface(NamedTuple):
    """The interface vector of one step, split and squashed into range (Methods, "Interface")."""

    read_keys: Tensor  # (B, R, M)
    read_strengths: Tensor  # (B, R) >= 1
    write_key: Tensor  # (B, M)
    write_strength: Tensor  # (B,) >= 1
    erase: Tensor  # (B, M) in [0, 1]
    write_vector: Tensor  # (B, M)
    free_gates: Tensor  # (B, R) in [0, 1]
    allocation_gate: Tensor  # (B,) in [0, 1]
    write_gate: Tensor  # (B,) in [0, 1]
    read_modes: Tensor  # (B, R, 3): a distribution over backward, content, forward
    read_masks: Tensor | None = None  # (B, R, M) in [0, 1], with masked_lookup
    write_mask: Tensor | None = None  # (B, M) in [0, 1], with masked_lookup
    forward_sharpness: Tensor | None = None  # (B, R) >= 1, with link_sharpness
    backward_sharpness: Tensor | None = None  # (B, R) >= 1, with link_sharpness


# The read modes of a DNC without links: (backward, content, forward) = (0, 1, 0).
CONTENT_ONLY = torch.tensor([0.0, 1.0, 0.0])


def oneplus(x: Tensor) -> Tensor:
    """oneplus(x) = 1 + log(1 + e^x) >= 1, the DNC's key strength activation."""
    return 1 + F.softplus(x)


class DNCInterface(nn.Module):
    """Controller features -> the interface vector (one linear layer), split into its parts.
    ``masked_lookup`` adds R + 1 masks of M entries, ``link_sharpness`` 2R sharpness values."""

    def __init__(self, features: int, num_read: int, word_size: int, masked_lookup: bool = False,
                 link_sharpness: bool = False):
        super().__init__()
        self.num_read, self.word_size = num_read, word_size
        self.masked_lookup, self.link_sharpness = masked_lookup, link_sharpness
        r, m = num_read, word_size
        self.sizes = [r * m, r, m, 1, m, m, r, 1, 1, 3 * r]
        self.sizes += [r * m + m] if masked_lookup else []
        self.sizes += [2 * r] if link_sharpness else []
        self.linear = nn.Linear(features, sum(self.sizes))

    def forward(self, features: Tensor) -> Interface:
        r, m = self.num_read, self.word_size
        parts = list(torch.split(self.linear(features), self.sizes, dim=-1))
        read_keys, read_beta, write_key, write_beta, erase, vector, free, alloc, gate, modes = parts[:10]
        extra = {}
        if self.masked_lookup:
            masks = torch.sigmoid(parts[10])
            extra.update(read_masks=masks[..., : r * m].unflatten(-1, (r, m)), write_mask=masks[..., r * m:])
        if self.link_sharpness:
            sharpness = oneplus(parts[-1])
            extra.update(forward_sharpness=sharpness[..., :r], backward_sharpness=sharpness[..., r:])
        return Interface(
            read_keys=read_keys.unflatten(-1, (r, m)),
            read_strengths=oneplus(read_beta),
            write_key=write_key,
            write_strength=oneplus(write_beta.squeeze(-1)),
            erase=torch.sigmoid(erase),
            write_vector=vector,
            free_gates=torch.sigmoid(free),
            allocation_gate=torch.sigmoid(alloc.squeeze(-1)),
            write_gate=torch.sigmoid(gate.squeeze(-1)),
            read_modes=torch.softmax(modes.unflatten(-1, (r, 3)), dim=-1),
            **extra,
        )


class DNC(nn.Module):
    """A Differentiable Neural Computer. ``model(inputs) -> (logits, state)``; logits (B, T, output_size)."""

    kind = "dnc"
    trace_type = DNCTrace  # what forward(..., trace=True) returns third

    def __init__(self, config: DNCConfig):
        super().__init__()
        self.config = c = config
        controller_input = c.input_size + c.num_read_heads * c.word_size
        if c.controller == "lstm":
            self.controller = LSTMController(controller_input, c.controller_size)
        else:
            self.controller = FeedForwardController(controller_input, c.controller_size, c.activation)
        self.interface = DNCInterface(c.controller_size, c.num_read_heads, c.word_size, c.masked_lookup,
                                      c.link_sharpness)
        self.memory_init = MemoryInit(c.memory_init, c.num_slots, c.word_size)
        self.output = nn.Linear(c.controller_size + c.num_read_heads * c.word_size, c.output_size)

    def initial_state(self, batch_size: int, generator: torch.Generator | None = None) -> DNCState:
        """The state at t = 0: no slot used or linked, no weight anywhere, zero reads."""
        c = self.config
        memory = self.memory_init(batch_size, generator)  # (B, N, M)
        zeros = memory.new_zeros
        return DNCState(
            memory=memory,
            reads=zeros(batch_size, c.num_read_heads, c.word_size),
            read_weights=zeros(batch_size, c.num_read_heads, c.num_slots),
            write_weights=zeros(batch_size, c.num_slots),
            usage=zeros(batch_size, c.num_slots),
            link=zeros(batch_size, c.num_slots, c.num_slots),
            precedence=zeros(batch_size, c.num_slots),
            controller=self.controller.initial_state(batch_size),
        )

    def step(self, x: Tensor, state: DNCState, trace: list | None = None, *, t: int = 0,
             intervention: Intervention = NO_INTERVENTION) -> tuple[Tensor, DNCState]:
        """One time step. x: (B, input_size). Returns features [controller, reads]
        (B, C + R*M). ``intervention``: hooks at the step's fixed points, as in
        ``NTM.step``."""
        c = self.config
        controller_reads = intervention.controller_reads(t, state.reads)  # (B, R, M)
        # (B, I + R*M)
        controller_input = torch.cat([x, controller_reads.flatten(1)], dim=-1)
        # (B, C)
        features, controller_state = self.controller(controller_input, state.controller)
        p = self.interface(features)
        # Dynamic allocation, then the write (Methods, "Writing").
        retention = dnc.retention(p.free_gates, state.read_weights)  # (B, N)
        usage = dnc.usage(state.usage, state.write_weights, retention)
        allocation = dnc.allocation(usage)
        # (B, N, M)
        before = (
            dnc.deallocated(state.memory, retention) if c.deallocate else state.memory
        )
        # (B, N)
        write_content = self.content(
            state.memory, p.write_key, p.write_strength, p.write_mask
        )
        write_weights = dnc.write_weighting(
            allocation, write_content, p.allocation_gate, p.write_gate
        )
        # (B, N)
        written = intervention.write_weights(t, write_weights.unsqueeze(1)).squeeze(1)
        # (B, 1, M) each
        erase, add = intervention.erase_add(
            t, p.erase.unsqueeze(1), p.write_vector.unsqueeze(1)
        )
        erase, add = erase.squeeze(1), add.squeeze(1)
        memory = intervention.memory(
            t, state.memory, write(before, written, erase, add)
        )
        # Temporal links, then the reads of the memory just written
        # (Methods, "Reading").
        # (B, R, N)
        read_content = self.content(
            memory.unsqueeze(1), p.read_keys, p.read_strengths, p.read_masks
        )
        if c.use_links:
            link = dnc.link(state.link, state.precedence, write_weights)  # (B, N, N)
            precedence = dnc.precedence(state.precedence, write_weights)
            # (B, R, N) each
            forward, backward = dnc.directional_weightings(link, state.read_weights)
            if c.link_sharpness:
                forward = dnc.sharpened(forward, p.forward_sharpness)
                backward = dnc.sharpened(backward, p.backward_sharpness)
            read_weights = dnc.read_weighting(
                backward, read_content, forward, p.read_modes
            )
        else:  # the ablation: content reads only, nothing linked
            link, precedence, read_weights = state.link, state.precedence, read_content
            p = p._replace(
                read_modes=CONTENT_ONLY.to(read_content).expand_as(p.read_modes)
            )
        # (B, R, M)
        reads = intervention.reads(t, read(memory.unsqueeze(1), read_weights))
        if trace is not None:
            trace.append(
                (
                    usage,
                    allocation,
                    write_content,
                    write_weights,
                    p.free_gates,
                    p.allocation_gate,
                    p.write_gate,
                    p.read_modes,
                    read_weights,
                    link,
                    erase,
                    add,
                    reads,
                    memory,
                )
            )
        output_reads = intervention.output_reads(t, reads)
        # (B, C + R*M)
        output_features = torch.cat([features, output_reads.flatten(1)], dim=-1)
        new_state = DNCState(
            memory,
            reads,
            read_weights,
            write_weights,
            usage,
            link,
            precedence,
            controller_state,
        )
        return output_features, new_state

    def content(self, memory: Tensor, key: Tensor, strength: Tensor, mask: Tensor | None) -> Tensor:
        """C(M, k, beta), masked when the config says so (``dnc_addressing.masked_content_weighting``)."""
        if mask is None:
            return content_weighting(memory, key, strength)
        return dnc.masked_content_weighting(memory, key, strength, mask)

    def forward(
        self, inputs: Tensor, state: DNCState | None = None, *, trace: bool = False,
        generator: torch.Generator | None = None, intervention: Intervention = NO_INTERVENTION,
    ) -> tuple[Tensor, DNCState] | tuple[Tensor, DNCState, DNCTrace]:
        """Run over a sequence. inputs: (B, T, input_size).

        Returns logits (B, T, output_size) aligned with the inputs and the final state; with
        ``trace=True`` also a ``DNCTrace``. Pass ``state`` to continue from an earlier call;
        ``generator`` draws a random initial memory (``memory_init="random"``); ``intervention``
        changes one thing inside every step (``ntm_lib.interventions``).
        """
        return unroll(self, inputs, state, trace, self.trace_type, generator, intervention)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self.config).items())
