r"""Many seeds at once: K runs of one recipe trained as one batched computation in one process.

Each run is what ``training.train`` would do with its ``TrainConfig`` (same data stream, same
validation set, same optimiser, same history records); the K runs share every tensor operation:

    parameters   every weight stacked along a leading run axis K        (K, ...)
    forward      one ``model.step`` on a batch of K * B sequences, run-major, whose linear
                 layers and LSTM cells apply run k's weights to run k's rows (one batched
                 matrix product for all runs: ``_runwise``); the initial state, and a model
                 whose step reads other weights, go through ``torch.func.vmap`` of
                 ``functional_call`` over the runs
    loss         the sum of the runs' losses; backward gives each run its own gradient
                 (the runs share no weight, so d loss / d theta_k = d loss_k / d theta_k)
    update       per run: clipping (global norm, per value or none), Adam or RMSprop written
                 elementwise with a step count and a learning rate per run, applied only to
                 the runs that go on

What differs per run: the seed (model initialisation, data, validation set, random initial
memory), the memory initialisation (``constant``, ``learned``, ``random``: the same tensor
``memory_init.initial`` in every scheme, trained only where it is a parameter), where the NTM's
initial weighting starts (``focused``, ``uniform``: only its initial value differs), the optimiser,
learning rate and schedule, clipping, convergence threshold, curriculum and budgets. Everything
else of the model must be the same (the weights must stack) and so must the batch size and how
often runs are validated.

Seed s of a sweep is ``train`` with seed s: the model is built after ``torch.manual_seed(s)``
(as ``python -m ntm_lib train`` builds it), batches come from ``torch.Generator().manual_seed(s)``,
a random initial memory in training from a generator seeded s + 1 (``train``'s
``model_generator``) and in validation from one seeded s that never moves on (``train``
validates with torch's global generator, seeded s, under a forked RNG). The results agree to
float rounding.

**Sequences of different lengths.** Every task draws one length per batch, so the K runs'
batches differ in length. Padding all runs to the longest would be simple (the models are
causal: zero inputs after a run's end change none of its scored outputs), but on a CPU a step
costs in proportion to the sequences it carries, so the padding would be paid for. Instead the
runs are sorted by length, longest first, and step t runs only the first n_t runs, those whose
batch is longer than t: no step of a run is computed after its end, and a sweep costs the steps
its runs alone would. (The saving depends on the task: a copy batch of 16 is already about as
long as its longest sequence, 39.5 steps on average against 41.0 for the longest of ten
batches; smaller batches, or runs at different curriculum stages, should gain more: not
measured.) The batches are still padded with zeros (mask 0) into one tensor, so that the loss
and scores of all runs are computed at once. Only models with a ``step`` (NTM, DNC) can skip
steps; the LSTM baseline runs the whole padded length through ``forward``.

**What stops a run, and only that run.** It converged (when ``stop_when_converged``), reached
``max_sequences`` or ``max_seconds`` (its own share of the sweep's wall time: every second the
sweep spends while the run is still going), or its loss or gradient was non-finite for
``max_nonfinite`` batches in a row (no update is ever made with them; ``train`` raises
``NonFiniteError`` there, a sweep stops that run and goes on with the others). A stopped run
leaves the batched computation: the others no longer carry it.

**Files.** Each run has its own folder ``out_dir/<name>/`` with ``last.pt`` (written at every
validation, in the format ``train`` writes: it loads with ``checkpoints.load_checkpoint`` as an
ordinary model and ``train(..., resume=True)`` continues it alone), ``final.pt`` and
``history.json`` when the run stops. A sweep started again on the same folder continues every
run from its ``last.pt``, replaying what came after exactly as ``train`` does.

Controllers with LSTM cells (``nn.LSTMCell``, ``nn.LSTM``) have no vmap rule in torch: the
sweep's private copy of the model computes them with the same equations in plain operations
(``_LoopLSTMCell``, ``_LoopLSTM``), with the same parameter names, so the weights stack as
they are.

**Why the step is not vmapped.** Everything a step does besides its linear layers and cells
(addressing, reading, writing) uses no weight, so K runs of B sequences are, for it, one batch
of K * B sequences. Stepped that way the runs share the same kernels ``train`` uses, on tensors
laid out as it lays them out; under ``vmap`` every operation went through a batching rule
first. On the copy benchmark of ``data/bench-sweep.md`` this made the sweep 11% faster.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap
from torch.utils._pytree import tree_map

from . import fused
from .checkpoints import CheckpointError, load_into, read_checkpoint, save_checkpoint
from .models import build_model
from .runs import curriculum_text
from .tasks.base import Batch, bce_bits_per_sequence, bit_errors_per_sequence, masked_bce
from .training import TrainConfig, learning_rate_at, make_optimizer, same_run, train, validation_set

# TrainConfig fields every run of a sweep must share: the runs step and validate together.
SHARED_FIELDS = ("batch_size", "validation_size", "validate_every")
# Weights that only a model's ``initial_state`` reads, never its ``step`` (see ``_runwise``).
STATE_ONLY_WEIGHTS = ("memory_init.initial", "initial_reads", "initial_weight_logits")
# Model config fields that may differ between runs (the weights keep their shapes).
VARIABLE_MODEL_FIELDS = ("memory_init", "initial_weighting")


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: a seed, a model config and a training config
    (whose seed is ``seed``)."""

    name: str  # its folder under the sweep's output folder
    model_config: Any
    train_config: TrainConfig

    @property
    def seed(self) -> int:
        return self.train_config.seed


@dataclass
class RunResult:
    """How one run of a sweep ended; ``stopped`` is converged, max_sequences, max_seconds or nonfinite."""

    name: str
    seed: int
    converged: bool
    stopped: str
    sequences: int
    batches: int
    seconds: float
    val_bit_errors: float
    val_bce_bits: float
    worst_bit_errors_after_convergence: float | None
    nonfinite_batches: int
    history: list[dict[str, float]] = field(default_factory=list)
    checkpoint: str | None = None


def check_runs(kind: str, runs: list[SweepRun]) -> None:
    """Raise a ValueError saying what is expected unless ``runs`` can train as one sweep."""
    if not runs:
        raise ValueError("a sweep needs at least one run (K >= 1), got none")
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"the runs of a sweep need distinct names (their folders), got {names}")
    first = runs[0]
    base = {k: v for k, v in asdict(first.model_config).items() if k not in VARIABLE_MODEL_FIELDS}
    for run in runs:
        if type(run.model_config) is not type(first.model_config):
            raise ValueError(f"run {run.name}: every run needs a {type(first.model_config).__name__}, "
                             f"got {type(run.model_config).__name__}")
        other = {k: v for k, v in asdict(run.model_config).items() if k not in VARIABLE_MODEL_FIELDS}
        if other != base:
            changed = sorted(k for k in base if base[k] != other[k])
            raise ValueError(
                f"run {run.name} changes the model's {changed}: the runs of a sweep must have weights of the "
                f"same shapes; only {VARIABLE_MODEL_FIELDS} (and any training setting but {SHARED_FIELDS}) may differ"
            )
        for name in SHARED_FIELDS:
            if getattr(run.train_config, name) != getattr(first.train_config, name):
                raise ValueError(f"run {run.name}: every run of a sweep needs the same {name} "
                                 f"({getattr(first.train_config, name)!r}), got {getattr(run.train_config, name)!r}")
        if run.train_config.output_memory_penalty > 0 or run.train_config.expected_targets:
            raise ValueError(f"run {run.name}: the sweep does not train with output_memory_penalty or "
                             "expected_targets; use training.train for those")
    build_model(kind, first.model_config)  # a clear error for a kind that does not fit the config


# --- a model copy that vmaps --------------------------------------------------------------------


def _lstm_cell(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor):
    r"""One LSTM step as ``nn.LSTMCell`` computes it (gates in its order i, f, g, o):
    [i, f, g, o] = W_ih x + b_ih + W_hh h + b_hh; c' = sigma(f) c + sigma(i) tanh(g);
    h' = sigma(o) tanh(c'). x: (B, I), h, c: (B, C). Returns (h', c')."""
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (B, 4C)
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class _LoopLSTMCell(nn.Module):
    """``nn.LSTMCell`` in plain operations (it has no vmap rule), with the same parameters."""

    def __init__(self, cell: nn.LSTMCell):
        super().__init__()
        self.weight_ih, self.weight_hh = cell.weight_ih, cell.weight_hh
        self.bias_ih, self.bias_hh = cell.bias_ih, cell.bias_hh

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        return _lstm_cell(x, *state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class _LoopLSTM(nn.Module):
    """``nn.LSTM`` (batch first, one way, no dropout) as a loop of ``_lstm_cell``, same parameter
    names (weight_ih_l0, ...). inputs: (B, T, I). Returns (B, T, hidden) and (h, c) (layers, B, hidden)."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        self.num_layers, self.hidden_size = lstm.num_layers, lstm.hidden_size
        for name, parameter in lstm.named_parameters():
            setattr(self, name, parameter)

    def forward(self, inputs: Tensor, state=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if state is not None:
            raise ValueError("the sweep's LSTM starts every sequence from zeros")
        layer_input, hs, cs = inputs, [], []
        for layer in range(self.num_layers):
            weights = [getattr(self, f"{part}_l{layer}") for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h = c = layer_input.new_zeros(inputs.shape[0], self.hidden_size)  # (B, hidden)
            outputs = []
            for t in range(inputs.shape[1]):
                h, c = _lstm_cell(layer_input[:, t], h, c, *weights)
                outputs.append(h)
            layer_input = torch.stack(outputs, dim=1)  # (B, T, hidden)
            hs.append(h)
            cs.append(c)
        return layer_input, (torch.stack(hs), torch.stack(cs))


def _vmappable(model: nn.Module) -> nn.Module:
    """A private copy of ``model`` that vmaps: LSTM modules replaced by their plain-operation
    twins, and an initial memory that is ``memory_init.initial`` (random ones come from outside)."""
    model = copy.deepcopy(model)
    if getattr(getattr(model, "memory_init", None), "scheme", None) == "random":
        model.memory_init.scheme = "constant"  # the copy never draws: the sweep passes random memories in
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.LSTMCell):
                setattr(parent, child_name, _LoopLSTMCell(child))
            elif isinstance(child, nn.LSTM):
                if child.dropout or child.bidirectional or not child.batch_first or child.proj_size:
                    raise ValueError("the sweep runs batch-first, one-way LSTMs without dropout or projections only")
                setattr(parent, child_name, _LoopLSTM(child))
    return model


class _RunLinear(nn.Module):
    """``nn.Linear`` for K runs at once, with the same parameter names: weight (K, out, in) and
    bias (K, out) stacked along the run axis; the input's leading dimension is run-major
    (K * B, ..., in), run k's rows first. One ``baddbmm`` computes every run's layer."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.weight, self.bias = linear.weight, linear.bias

    def forward(self, x: Tensor) -> Tensor:
        runs, out = self.weight.shape[0], self.weight.shape[-2]
        rows = x.reshape(runs, -1, x.shape[-1])  # (K, B*..., in)
        if self.bias is None:
            y = torch.bmm(rows, self.weight.transpose(1, 2))
        else:
            y = torch.baddbmm(self.bias.unsqueeze(1), rows, self.weight.transpose(1, 2))  # (K, B*..., out)
        return y.reshape(*x.shape[:-1], out)


class _RunLSTMCell(nn.Module):
    """``nn.LSTMCell`` for K runs at once (weights stacked along the run axis, inputs and state
    run-major as in ``_RunLinear``), the equations of ``_lstm_cell``."""

    def __init__(self, cell: nn.LSTMCell):
        super().__init__()
        self.weight_ih, self.weight_hh = cell.weight_ih, cell.weight_hh
        self.bias_ih, self.bias_hh = cell.bias_ih, cell.bias_hh

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state  # (K*B, C) each
        runs = self.weight_ih.shape[0]
        per_run = lambda t: t.reshape(runs, -1, t.shape[-1])  # noqa: E731  (K, B, .)
        gates = torch.baddbmm((self.bias_ih + self.bias_hh).unsqueeze(1), per_run(x), self.weight_ih.transpose(1, 2))
        gates = gates.baddbmm(per_run(h), self.weight_hh.transpose(1, 2)).reshape(h.shape[0], -1)  # (K*B, 4C)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


def _runwise(model: nn.Module) -> nn.Module | None:
    """A private copy of ``model`` whose ``step`` and ``output`` take every run at once without
    ``vmap``: its linear layers and LSTM cells are the run-stacked twins above, so that a step
    on K runs of B sequences is one step on a batch of K * B sequences (run-major), with stacked
    weights (K, ...) passed in by ``functional_call``. Everything else a step does (addressing,
    reading, writing) is the same for every run and acts on the K * B sequences as on any batch.
    Only the linear layers and the cells may hold weights (or buffers) a step uses; the others
    must be among ``STATE_ONLY_WEIGHTS``, which only ``initial_state`` reads. For any other model
    this returns None, and the sweep vmaps the step instead."""
    if not hasattr(model, "step"):
        return None
    model = _vmappable(model)
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, child_name, _RunLinear(child))
            elif isinstance(child, _LoopLSTMCell):
                setattr(parent, child_name, _RunLSTMCell(child))
    runwise = {f"{name}.{p}" if name else p for name, m in model.named_modules()
               if isinstance(m, (_RunLinear, _RunLSTMCell)) for p, _ in m.named_parameters(recurse=False)}
    others = [n for n in model.state_dict() if n not in runwise and n not in STATE_ONLY_WEIGHTS]
    return None if others else model


class _Calls(nn.Module):
    """What the sweep calls on the shared model, by name, so ``functional_call`` can swap weights."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, what: str, *args):
        if what == "initial_state":
            return self.model.initial_state(*args)
        if what == "step":
            return fused.step_of(self.model)(*args)  # NTM.step, or its fused twin (ntm_lib.fused)
        if what == "steps":  # consecutive steps with the same weights: inputs (rows, T, I), a state
            inputs, state = args
            step, outs = fused.step_of(self.model), []
            for t in range(inputs.shape[1]):
                out, state = step(inputs[:, t], state)
                outs.append(out)
            return outs, state
        if what == "output":
            return self.model.output(*args)
        return self.model(*args)[0]  # "forward": logits of a whole sequence


def _stack_batches(batches: list[Batch], device) -> Batch:
    """K batches of B sequences, padded with zeros (mask 0) to the longest: (K, B, T_max, ...)."""
    steps = max(b.inputs.shape[1] for b in batches)
    pad = lambda x: torch.nn.functional.pad(x, (0, 0) * (x.dim() - 2) + (0, steps - x.shape[1]))  # noqa: E731
    return Batch(*(torch.stack([pad(getattr(b, part)) for b in batches]).to(device) for part in Batch._fields))


@dataclass
class _RunState:
    """Everything of one run that is not a stacked tensor."""

    data: torch.Generator  # the training batches (``train``'s ``data_generator``, seeded s)
    noise: torch.Generator  # random initial memories in training (``train``'s ``model_generator``, s + 1)
    validation_noise: torch.Generator  # and in validation (torch's global generator in ``train``, s)
    sequences: int = 0
    batches: int = 0
    seconds: float = 0.0
    nonfinite_total: int = 0
    nonfinite_in_row: int = 0
    running_loss: float = 0.0
    running_bit_errors: float = 0.0
    running_count: int = 0
    stage: int = 0
    history: list = field(default_factory=list)
    stopped: str | None = None


class Sweep:
    """K runs of one model kind on one task, trained together. ``Sweep(...).run()`` trains them."""

    def __init__(self, kind: str, task: Any, runs: list[SweepRun], out_dir: str | Path | None = None, *,
                 device: str | torch.device = "cpu", progress: bool = True,
                 task_description: dict[str, Any] | None = None):
        check_runs(kind, runs)
        self.kind, self.task, self.runs, self.device = kind, task, list(runs), torch.device(device)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.progress = progress
        self.task_description = task_description or {"name": getattr(task, "name", type(task).__name__),
                                                     "config": asdict(task)}
        self.models = []
        for run in runs:  # each run's model as ``train``'s caller builds it
            torch.manual_seed(run.seed)
            self.models.append(build_model(kind, run.model_config).to(self.device))
        self.template = _Calls(_vmappable(self.models[0]))
        runwise = _runwise(self.models[0])
        self.runwise = _Calls(runwise) if runwise is not None else None
        self.has_step = hasattr(self.models[0], "step")
        names = list(self.models[0].state_dict())
        self.names = names
        K = len(runs)
        # trainable[name][k]: the tensor is a parameter of run k (memory_init.initial: only if learned).
        self.trainable = {n: torch.tensor([n in dict(m.named_parameters()) for m in self.models], device=self.device)
                          for n in names}
        self.tensors = {n: torch.stack([m.state_dict()[n] for m in self.models]).detach().clone() for n in names}
        for n in names:
            self.tensors[n].requires_grad_(bool(self.trainable[n].any()))
        self.random_memory = [getattr(run.model_config, "memory_init", None) == "random" for run in runs]
        self.optimizer_state = {n: {} for n in names if self.tensors[n].requires_grad}
        self.steps = torch.zeros(K, dtype=torch.float64)  # optimiser steps per run
        self.state = [_RunState(torch.Generator().manual_seed(run.seed), torch.Generator().manual_seed(run.seed + 1),
                                torch.Generator().manual_seed(run.seed)) for run in runs]
        self.valid = [validation_set(task, run.train_config.validation_size, run.seed) for run in runs]
        self.stages = []
        for run in runs:
            try:
                self.stages.append([replace(task, **o) for o in run.train_config.curriculum] + [task])
            except TypeError as exc:
                raise ValueError(f"run {run.name}: a curriculum stage does not fit the task "
                                 f"{type(task).__name__}: {exc}") from exc

    # --- the batched model ----------------------------------------------------------------------

    def _logits(self, ks: list[int], stacked: Batch, lengths: list[int], memories: list | None) -> Tensor:
        """Logits (n, B, T_max, O) of runs ``ks`` on their padded batches ``stacked`` (n, B, T_max, I).

        lengths: each run's own batch length; memories: per run a random initial memory
        (B, N, M) or None for the run's own (constant or learned) one; None if no run has one.
        """
        index = torch.tensor(ks, device=self.device)
        params = {f"model.{n}": t.index_select(0, index) for n, t in self.tensors.items()}  # (n, ...)
        if not self.has_step:  # the LSTM baseline: the whole padded length
            return vmap(lambda p, x: functional_call(self.template, p, ("forward", x)))(params, stacked.inputs)
        batch = stacked.inputs.shape[1]
        state = vmap(lambda p: functional_call(self.template, p, ("initial_state", batch)))(params)
        if memories is not None:
            state = state._replace(memory=torch.stack([
                state.memory[i] if m is None else m.to(self.device) for i, m in enumerate(memories)]))
        # Longest first: step t runs the first n_t runs, those whose batch is longer than t.
        order = sorted(range(len(ks)), key=lambda i: -lengths[i])
        perm = torch.tensor(order, device=self.device)
        params = {n: v.index_select(0, perm) for n, v in params.items()}
        state = tree_map(lambda s: s.index_select(0, perm), state)
        inputs = stacked.inputs.index_select(0, perm)  # (n, B, T_max, I)
        stretches = []  # [start, end, n]: steps start..end-1 run the first n runs, those still going
        for t in range(inputs.shape[2]):
            n_t = sum(lengths[i] > t for i in order)
            if stretches and stretches[-1][2] == n_t:
                stretches[-1][1] = t + 1
            else:
                stretches.append([t, t + 1, n_t])
        if self.runwise is not None:  # every run in one batch of n * B sequences, run-major
            state = tree_map(lambda s: s.flatten(0, 1), state)  # (n * B, ...)
        features = []
        for start, end, n_t in stretches:
            sliced = {n: v[:n_t] for n, v in params.items()}
            if self.runwise is not None:
                # One functional_call for the whole stretch: each call swaps the weights in (~60 us).
                state = tree_map(lambda s: s[:n_t * batch], state)
                x = inputs[:n_t, :, start:end].flatten(0, 1)  # (n_t * B, steps, I)
                outs, state = functional_call(self.runwise, sliced, ("steps", x, state))  # (n_t * B, F) each
            else:
                state = tree_map(lambda s: s[:n_t], state)
                step = vmap(lambda p, x, s: functional_call(self.template, p, ("step", x, s)))
                outs = []
                for t in range(start, end):
                    out, state = step(sliced, inputs[:n_t, :, t], state)  # (n_t, B, F)
                    outs.append(out)
            for out in outs:
                out = out.reshape(n_t, batch, -1)
                if n_t < len(ks):
                    out = torch.cat([out, out.new_zeros(len(ks) - n_t, *out.shape[1:])])  # zeros past the end
                features.append(out)
        features = torch.stack(features, dim=2)  # (n, B, T_max, F)
        if self.runwise is not None:
            logits = functional_call(self.runwise, params, ("output", features))
        else:
            logits = vmap(lambda p, f: functional_call(self.template, p, ("output", f)))(params, features)
        return logits.index_select(0, torch.argsort(perm))  # (n, B, T_max, O), in the order of ks

    def _memories(self, ks: list[int], batch: int, validation: bool = False) -> list | None:
        """A random initial memory (B, N, M) for each run of ``ks`` that has one, drawn from its
        noise generator as ``MemoryInit`` draws it; None for the others (None if there are none)."""
        if not any(self.random_memory[k] for k in ks):
            return None
        c = self.runs[ks[0]].model_config
        generators = [self.state[k].validation_noise if validation else self.state[k].noise for k in ks]
        return [torch.randn(batch, c.num_slots, c.word_size, generator=g) * 0.5
                if self.random_memory[k] else None for k, g in zip(ks, generators)]

    # --- one batch of every run that goes on ----------------------------------------------------

    def _train_step(self, ks: list[int]) -> list[int]:
        """Train runs ``ks`` on one batch each; return those that were updated."""
        size = self.runs[ks[0]].train_config.batch_size
        batches = [self.stages[k][self.state[k].stage].sample(size, self.state[k].data) for k in ks]
        lengths = [b.inputs.shape[1] for b in batches]
        memories = self._memories(ks, size)
        stacked = _stack_batches(batches, self.device)
        for t in self.tensors.values():
            t.grad = None
        logits = self._logits(ks, stacked, lengths, memories)
        bce = masked_bce(logits, stacked).mean(-1)  # (n,): each run's loss
        finite = torch.isfinite(bce)
        torch.where(finite, bce, torch.zeros_like(bce)).sum().backward()
        index = torch.tensor(ks, device=self.device)
        grads = {}
        for n, t in self.tensors.items():
            if t.requires_grad:
                g = t.grad.index_select(0, index) if t.grad is not None else torch.zeros_like(t).index_select(0, index)
                mask = self.trainable[n].index_select(0, index).to(g.dtype)
                grads[n] = g * mask.view(-1, *[1] * (g.dim() - 1))  # (n, ...): 0 where not a parameter
        # Clipping per run, as training.clip_gradients: global norm (torch.nn.utils.clip_grad_norm_,
        # one norm per run), per value (clip_grad_value_), or none; every run's norm is measured.
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], dim=1).norm(dim=1)  # (n,)
        configs = [self.runs[k].train_config for k in ks]
        clip = torch.tensor([c.clip_norm if c.clipping == "norm" else float("inf") for c in configs],
                            device=self.device, dtype=norms.dtype)
        coef = torch.clamp(clip / (norms + 1e-6), max=1.0)
        if any(c.clipping == "value" for c in configs):
            bound = torch.tensor([c.clip_value if c.clipping == "value" else float("inf") for c in configs],
                                 device=self.device, dtype=norms.dtype)
            grads = {n: g.clamp(-bound.view(-1, *[1] * (g.dim() - 1)), bound.view(-1, *[1] * (g.dim() - 1)))
                     for n, g in grads.items()}
        ok = (finite & torch.isfinite(norms)).tolist()
        bce_list = bce.detach().tolist()
        errors = bit_errors_per_sequence(logits.detach(), stacked).mean(-1).tolist()  # (n,)
        updated = []
        for i, k in enumerate(ks):
            st = self.state[k]
            if not ok[i]:
                st.nonfinite_in_row += 1
                st.nonfinite_total += 1
                continue
            st.nonfinite_in_row = 0
            updated.append(i)
        if updated:
            rows = torch.tensor(updated, device=self.device)
            self._update([ks[i] for i in updated],
                         {n: g.index_select(0, rows) * coef.index_select(0, rows).view(-1, *[1] * (g.dim() - 1))
                          for n, g in grads.items()})
        for i in updated:
            st, k = self.state[ks[i]], ks[i]
            st.sequences += size
            st.batches += 1
            st.running_loss += bce_list[i]
            st.running_bit_errors += errors[i]
            st.running_count += 1
        return [ks[i] for i in updated]

    @torch.no_grad()
    def _update(self, ks: list[int], grads: dict[str, Tensor]) -> None:
        r"""One optimiser step for runs ``ks`` with their clipped gradients (n, ...), elementwise as
        torch's single-tensor Adam (Kingma & Ba 2015, algorithm 1) and RMSprop (momentum 0.9,
        alpha 0.95, eps 1e-8: ``training.make_optimizer``), a step count and a rate per run."""
        for kind in ("adam", "rmsprop"):
            rows = [i for i, k in enumerate(ks) if self.runs[k].train_config.optimizer == kind]
            if not rows:
                continue
            runs = [ks[i] for i in rows]
            index = torch.tensor(runs, device=self.device)
            pick = torch.tensor(rows, device=self.device)
            self.steps[runs] += 1
            lr = [learning_rate_at(self.runs[k].train_config, self.state[k].sequences) for k in runs]
            for n, g in grads.items():
                g = g.index_select(0, pick)
                shape = (-1,) + (1,) * (g.dim() - 1)
                p = self.tensors[n].index_select(0, index)
                state = self.optimizer_state[n]
                if kind == "adam":
                    beta1, beta2, eps = 0.9, 0.999, 1e-8
                    m = state.setdefault("exp_avg", torch.zeros_like(self.tensors[n])).index_select(0, index)
                    v = state.setdefault("exp_avg_sq", torch.zeros_like(self.tensors[n])).index_select(0, index)
                    m = m.lerp(g, 1 - beta1)
                    v = v * beta2 + (1 - beta2) * g * g
                    steps = self.steps[runs]
                    step_size = torch.tensor([lr_k / (1 - beta1 ** s) for lr_k, s in zip(lr, steps.tolist())],
                                             dtype=g.dtype, device=self.device).view(shape)
                    bc2_sqrt = torch.tensor([(1 - beta2 ** s) ** 0.5 for s in steps.tolist()],
                                            dtype=g.dtype, device=self.device).view(shape)
                    new = p - step_size * m / (v.sqrt() / bc2_sqrt + eps)
                    updates = {"exp_avg": m, "exp_avg_sq": v}
                else:
                    alpha, momentum, eps = 0.95, 0.9, 1e-8
                    sq = state.setdefault("square_avg", torch.zeros_like(self.tensors[n])).index_select(0, index)
                    buf = state.setdefault("momentum_buffer", torch.zeros_like(self.tensors[n])).index_select(0, index)
                    sq = sq * alpha + (1 - alpha) * g * g
                    buf = buf * momentum + g / (sq.sqrt() + eps)
                    new = p - torch.tensor(lr, dtype=g.dtype, device=self.device).view(shape) * buf
                    updates = {"square_avg": sq, "momentum_buffer": buf}
                keep = self.trainable[n].index_select(0, index).view(shape)
                self.tensors[n].index_copy_(0, index, torch.where(keep, new, p))
                for key, value in updates.items():
                    state[key].index_copy_(0, index, value)

    # --- validation -----------------------------------------------------------------------------

    @torch.no_grad()
    def _evaluate(self, ks: list[int]) -> list[dict[str, float]]:
        """``training.evaluate`` of runs ``ks`` on their validation sets. A random initial memory is
        drawn from each run's noise generator, which is then put back (``evaluate`` forks the RNG)."""
        saved = [self.state[k].validation_noise.get_state() for k in ks]
        errors, bce, count = [0.0] * len(ks), [0.0] * len(ks), 0
        for j in range(len(self.valid[ks[0]])):
            batches = [self.valid[k][j] for k in ks]
            stacked = _stack_batches(batches, self.device)
            lengths = [b.inputs.shape[1] for b in batches]
            logits = self._logits(ks, stacked, lengths, self._memories(ks, stacked.inputs.shape[1], validation=True))
            e = bit_errors_per_sequence(logits, stacked).sum(-1).tolist()
            b = bce_bits_per_sequence(logits, stacked).sum(-1).tolist()
            errors = [x + y for x, y in zip(errors, e)]
            bce = [x + y for x, y in zip(bce, b)]
            count += stacked.inputs.shape[1]
        for k, s in zip(ks, saved):
            self.state[k].validation_noise.set_state(s)
        return [{"bit_errors": e / count, "bce_bits": b / count} for e, b in zip(errors, bce)]

    def _record(self, k: int, metrics: dict[str, float], advance_stage: bool) -> dict[str, float]:
        """The history record ``train`` writes at a validation (and the curriculum's next stage)."""
        st, config = self.state[k], self.runs[k].train_config
        record = {
            "sequences": st.sequences, "batches": st.batches, "seconds": round(st.seconds, 3),
            "train_bce_bits": st.running_loss / max(st.running_count, 1) / math.log(2),
            "val_bit_errors": metrics["bit_errors"], "val_bce_bits": metrics["bce_bits"],
        }
        if config.lr_milestones:
            record["learning_rate"] = learning_rate_at(config, st.sequences)
        if config.curriculum:
            record["stage"] = st.stage
            if advance_stage and st.stage < len(config.curriculum) and \
                    st.running_bit_errors / st.running_count < config.curriculum_bit_errors:
                st.stage += 1
        st.history.append(record)
        st.running_loss = st.running_bit_errors = 0.0
        st.running_count = 0
        return record

    # --- files ----------------------------------------------------------------------------------

    def _model_of(self, k: int) -> nn.Module:
        """Run k's own model, holding its current weights."""
        model = self.models[k]
        model.load_state_dict({n: t[k].detach() for n, t in self.tensors.items()})
        return model

    def _optimizer_state_dict(self, k: int, model: nn.Module) -> dict:
        """Run k's optimiser state in the format of ``torch.optim`` (what ``train`` stores)."""
        optimizer = make_optimizer(self.runs[k].train_config, model.parameters())
        if self.steps[k] > 0:
            keys = ("exp_avg", "exp_avg_sq") if self.runs[k].train_config.optimizer == "adam" \
                else ("square_avg", "momentum_buffer")
            for n, p in model.named_parameters():
                optimizer.state[p] = {"step": torch.tensor(float(self.steps[k])),
                                      **{key: self.optimizer_state[n][key][k].detach().clone() for key in keys}}
        return optimizer.state_dict()

    def _save(self, k: int, name: str = "last.pt") -> Path | None:
        if self.out_dir is None:
            return None
        st, run = self.state[k], self.runs[k]
        model = self._model_of(k)
        progress = {"sequences": st.sequences, "batches": st.batches, "seconds": st.seconds,
                    "nonfinite_batches": st.nonfinite_total, "running_loss": st.running_loss,
                    "running_count": st.running_count, "running_bit_errors": st.running_bit_errors,
                    "running_penalty": 0.0, "stage": st.stage}
        if st.stopped == "nonfinite":
            progress["stopped"] = "nonfinite"  # a rerun of the sweep does not retry it
        return save_checkpoint(
            self.out_dir / run.name / name, model, task=self.task_description,
            train_config=asdict(run.train_config), optimizer=self._optimizer_state_dict(k, model),
            rng={"train": st.data.get_state(), "torch": st.validation_noise.get_state(), "model": st.noise.get_state()},
            progress=progress,
            history=st.history,
        )

    def _resume(self, k: int) -> None:
        """Continue run k from its ``last.pt``, if there is one."""
        if self.out_dir is None:
            return
        path = self.out_dir / self.runs[k].name / "last.pt"
        if not path.exists():
            return
        run, st = self.runs[k], self.state[k]
        payload = read_checkpoint(path)
        if not same_run(payload.get("train_config"), asdict(run.train_config)) or \
                payload.get("task") != self.task_description:
            raise CheckpointError(f"{path} was written by a run with another task or training config; use a new "
                                  f"output folder or the same settings (stored: {payload.get('train_config')})")
        model = self.models[k]
        load_into(model, payload, str(path))
        with torch.no_grad():
            for n, t in model.state_dict().items():
                self.tensors[n][k] = t
        state = payload["optimizer"]["state"]
        for i, (n, _) in enumerate(model.named_parameters()):
            if i in state:
                self.steps[k] = float(state[i]["step"])
                for key, value in state[i].items():
                    if key != "step":
                        self.optimizer_state[n].setdefault(key, torch.zeros_like(self.tensors[n]))[k] = value
        st.data.set_state(payload["rng"]["train"])
        st.validation_noise.set_state(payload["rng"]["torch"])
        if "model" in payload["rng"]:
            st.noise.set_state(payload["rng"]["model"])
        p = payload["progress"]
        st.sequences, st.batches, st.seconds = p["sequences"], p["batches"], p["seconds"]
        st.nonfinite_total, st.running_loss, st.running_count = p["nonfinite_batches"], p["running_loss"], p["running_count"]
        st.running_bit_errors, st.stage = p["running_bit_errors"], p["stage"]
        st.history = list(payload["history"])
        st.stopped = p.get("stopped")

    # --- the loop -------------------------------------------------------------------------------

    def _converged(self, k: int) -> bool:
        history = self.state[k].history
        return bool(history) and history[-1]["val_bit_errors"] < self.runs[k].train_config.converged_bit_errors

    def _why_stop(self, k: int) -> str | None:
        """As ``train``'s loop condition: why run k does not go on (None: it goes on)."""
        st, config = self.state[k], self.runs[k].train_config
        if st.stopped is not None:
            return st.stopped
        if self._converged(k) and config.stop_when_converged:
            return "converged"
        if st.sequences >= config.max_sequences:
            return "max_sequences"
        if config.max_seconds is not None and st.seconds >= config.max_seconds:
            return "max_seconds"
        return None

    def _finish(self, ks: list[int]) -> None:
        """Runs ``ks`` have stopped: a last validation where the last batch had none (as ``train``),
        then ``last.pt``, ``final.pt`` and ``history.json``."""
        missing = [k for k in ks if not self.state[k].history or self.state[k].history[-1]["sequences"] != self.state[k].sequences]
        if missing:
            for k, metrics in zip(missing, self._evaluate(missing)):
                self._record(k, metrics, advance_stage=False)
        for k in ks:
            self._save(k, "last.pt")
            self._save(k, "final.pt")
            if self.out_dir is not None:
                result = self.result(k)
                record = {"summary": {**summary(result), "settings": settings_of(self.runs[k])},
                          "train_config": asdict(self.runs[k].train_config), "history": self.state[k].history}
                (self.out_dir / self.runs[k].name / "history.json").write_text(json.dumps(record, indent=1))

    def result(self, k: int) -> RunResult:
        st, run = self.state[k], self.runs[k]
        converged = self._converged(k)
        threshold = run.train_config.converged_bit_errors
        first = next((i for i, r in enumerate(st.history) if r["val_bit_errors"] < threshold), None)
        worst = None if first is None else max(r["val_bit_errors"] for r in st.history[first:])
        last = st.history[-1] if st.history else {"val_bit_errors": math.nan, "val_bce_bits": math.nan}
        return RunResult(
            name=run.name, seed=run.seed, converged=converged, stopped=st.stopped or "running",
            sequences=st.sequences, batches=st.batches, seconds=st.seconds,
            val_bit_errors=last["val_bit_errors"], val_bce_bits=last["val_bce_bits"],
            worst_bit_errors_after_convergence=worst, nonfinite_batches=st.nonfinite_total,
            history=list(st.history),
            checkpoint=str(self.out_dir / run.name / "final.pt") if self.out_dir is not None else None,
        )

    def run(self, callbacks: tuple[Callable[[int, dict[str, float]], None], ...] = ()) -> list[RunResult]:
        """Train every run until it stops; return one ``RunResult`` per run, in order.
        callbacks: called with (run index, record) after each validation record."""
        from tqdm.auto import tqdm

        for k in range(len(self.runs)):
            self._resume(k)
        done = [self.state[k].stopped is not None for k in range(len(self.runs))]
        finite_budget = all(r.train_config.max_sequences < 10**12 for r in self.runs)
        bar = tqdm(total=sum(r.train_config.max_sequences for r in self.runs) if finite_budget else None,
                   initial=sum(st.sequences for st in self.state), unit="seq", disable=not self.progress,
                   dynamic_ncols=True, mininterval=1.0)
        validate_every = self.runs[0].train_config.validate_every
        while True:
            stopping = []
            for k in range(len(self.runs)):
                if not done[k]:
                    reason = self._why_stop(k)
                    if reason is not None:
                        self.state[k].stopped, done[k] = reason, True
                        stopping.append(k)
            if stopping:
                self._finish(stopping)
            ks = [k for k in range(len(self.runs)) if not done[k]]
            if not ks:
                break
            start = time.perf_counter()
            updated = self._train_step(ks)
            due = [k for k in updated if self.state[k].batches % validate_every == 0]
            for k in ks:
                if self.state[k].nonfinite_in_row >= self.runs[k].train_config.max_nonfinite:
                    self.state[k].stopped = "nonfinite"
            elapsed = time.perf_counter() - start
            for k in ks:
                self.state[k].seconds += elapsed
            if due:
                start = time.perf_counter()
                metrics = self._evaluate(due)
                elapsed = time.perf_counter() - start
                for k in ks:
                    self.state[k].seconds += elapsed
                for k, m in zip(due, metrics):
                    record = self._record(k, m, advance_stage=True)
                    for callback in callbacks:
                        callback(k, record)
                    self._save(k)
            bar.update(len(updated) * self.runs[0].train_config.batch_size)
            bar.set_postfix(running=len(ks), converged=sum(self._converged(k) for k in range(len(self.runs))))
        bar.close()
        return [self.result(k) for k in range(len(self.runs))]


def sweep(kind: str, task: Any, runs: list[SweepRun], out_dir: str | Path | None = None, *, workers: int = 1,
          **options) -> list[RunResult]:
    """Train ``runs`` (one model kind, one task) as one batched computation; see the module docstring.
    options: device, progress, task_description (as ``training.train``).

    workers > 1 splits the runs into that many sweeps (run i goes to sweep i mod workers), each
    in its own process with one torch thread: on a CPU of several cores this is what uses them,
    since one process's batched operations gain little from a second thread (data/bench-sweep.md).
    The results are the same as with one sweep, in the order of ``runs``.
    """
    check_runs(kind, runs)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    workers = min(workers, len(runs))
    if workers == 1:
        return Sweep(kind, task, runs, out_dir, **options).run()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if fused.fused_step_enabled():
        fused.load()  # built once here, not by every worker at the same time (they inherit the setting)
    groups = [list(range(w, len(runs), workers)) for w in range(workers)]
    context = multiprocessing.get_context("spawn")  # no fork of a process that holds torch threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_sweep_group, kind, task, [runs[i] for i in group], out_dir,
                               {**options, "progress": options.get("progress", True) and w == 0})
                   for w, group in enumerate(groups)]
        results: list[RunResult | None] = [None] * len(runs)
        for group, future in zip(groups, futures):
            for i, result in zip(group, future.result()):
                results[i] = result
    return results


def _sweep_group(kind: str, task: Any, runs: list[SweepRun], out_dir: str | Path | None,
                 options: dict[str, Any]) -> list[RunResult]:
    """One worker process of ``sweep(..., workers=n)``: its runs as one sweep, on one thread."""
    torch.set_num_threads(1)
    return Sweep(kind, task, runs, out_dir, **options).run()


def settings_of(run: SweepRun) -> dict[str, Any]:
    """The settings a sweep varies (or a DNC sweep fixes), as they are in this run."""
    c = run.train_config
    out = {"learning_rate": c.learning_rate, "clipping": c.clipping, "clip_norm": c.clip_norm,
           "clip_value": c.clip_value, "optimizer": c.optimizer, "curriculum": curriculum_text(c.curriculum)}
    for name in ("memory_init", "initial_weighting", "controller", "controller_size", "num_slots", "use_links",
                 "masked_lookup", "deallocate", "link_sharpness"):
        if hasattr(run.model_config, name):
            out[name] = getattr(run.model_config, name)
    return out


def summary(result: RunResult) -> dict[str, Any]:
    """A run's result as one JSON-ready dict (no history)."""
    return {"name": result.name, "seed": result.seed, "converged": result.converged, "stopped": result.stopped,
            "sequences": result.sequences, "seconds": round(result.seconds, 2),
            "val_bit_errors": result.val_bit_errors, "val_bce_bits": result.val_bce_bits,
            "worst_bit_errors_after_convergence": result.worst_bit_errors_after_convergence,
            "nonfinite_batches": result.nonfinite_batches, "checkpoint": result.checkpoint}


def benchmark(task_name: str = "copy", kind: str = "ntm", seeds: int = 10, max_sequences: int = 1600,
              progress: bool = False, workers: int = 1, fused_step: bool = False) -> dict[str, Any]:
    """Side by side in one process: ``seeds`` runs of a recipe trained one after another with
    ``training.train`` (on this process's torch threads), then the same runs as one sweep (with
    ``workers`` processes, as ``sweep``). Each run trains ``max_sequences`` sequences (or fewer
    if it converges, the same on both sides), then validates once. ``fused_step``: both sides
    with the fused NTM step (``ntm_lib.fused``), else both without.
    Returns both times, the total training sequences per second of each and their ratio."""
    with fused.fused_step(fused_step):
        return {**_benchmark(task_name, kind, seeds, max_sequences, progress, workers), "fused_step": fused_step}


def _benchmark(task_name: str, kind: str, seeds: int, max_sequences: int, progress: bool,
               workers: int) -> dict[str, Any]:
    from .recipes import recipe

    task, model_config, train_config = recipe(task_name, kind)
    config = replace(train_config, max_sequences=max_sequences, validate_every=10**9)
    runs = [SweepRun(f"seed-{s}", model_config, replace(config, seed=s)) for s in range(seeds)]
    start = time.perf_counter()
    alone = []
    for r in runs:
        torch.manual_seed(r.seed)
        alone.append(train(build_model(kind, r.model_config), task, r.train_config, progress=progress))
    one_by_one = time.perf_counter() - start
    start = time.perf_counter()
    batched = sweep(kind, task, runs, workers=workers, progress=progress)
    together = time.perf_counter() - start
    sequences = sum(r.sequences for r in alone)
    return {"task": task_name, "model": kind, "seeds": seeds, "max_sequences": max_sequences,
            "threads": torch.get_num_threads(), "workers": workers, "sequences": sequences,
            "sequences_sweep": sum(r.sequences for r in batched),
            "seconds_one_by_one": round(one_by_one, 2), "seconds_sweep": round(together, 2),
            "sequences_per_second_one_by_one": round(sequences / one_by_one, 2),
            "sequences_per_second_sweep": round(sum(r.sequences for r in batched) / together, 2),
            "speedup": round(one_by_one / together * sum(r.sequences for r in batched) / sequences, 3),
            "largest_val_bce_difference": max(abs(a.val_bce_bits - b.val_bce_bits) for a, b in zip(alone, batched))}


def group_summary(entries: list[dict[str, Any]], setting: str) -> dict[Any, dict[str, Any]]:
    """Per value of one varied ``setting`` (e.g. "memory_init"), what its runs did: how many
    converged, the sequences the converged ones needed (median, fewest, most), the non-finite
    batches of all, and the worst validation bit errors after convergence. ``entries``: the
    "runs" of a sweep's report (``summary`` plus "settings"), in any order."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry["settings"][setting], []).append(entry)
    out = {}
    for value, runs in groups.items():
        needed = sorted(r["sequences"] for r in runs if r["converged"])
        worst = [r["worst_bit_errors_after_convergence"] for r in runs
                 if r["worst_bit_errors_after_convergence"] is not None]
        out[value] = {
            "runs": len(runs), "converged": len(needed),
            "median_sequences_to_converge": (needed[(len(needed) - 1) // 2] + needed[len(needed) // 2]) / 2 if needed else None,
            "fewest_sequences_to_converge": needed[0] if needed else None,
            "most_sequences_to_converge": needed[-1] if needed else None,
            "nonfinite_batches": sum(r["nonfinite_batches"] for r in runs),
            "runs_with_nonfinite": sum(r["nonfinite_batches"] > 0 for r in runs),
            "worst_bit_errors_after_convergence": max(worst) if worst else None,
        }
    return out
