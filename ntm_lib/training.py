r"""A model-agnostic training loop: batches from a task, an optimiser, clipping, validation,
checkpoints and resumption. It knows nothing about what is inside the model: anything whose call
``model(inputs, generator=...)`` returns logits (alone or first in a tuple) trains; extra loss
terms (``LossTerm``, e.g. ``regularisers.OutputMemoryPenalty``) ask for the model's trace.

The pieces, each replaceable: ``TrainConfig`` (what to train with), ``loss_terms`` (the terms
beside the task's cross-entropy: those the config asks for, plus any passed to ``train``),
``learning_rate_at`` (the schedule), ``Curriculum`` (which stage of the task to sample),
``TrainProgress`` (everything that changes while training, in one place, saved in ``last.pt``),
callbacks (called with each validation record).

Loss: binary cross-entropy with logits, summed over bits and masked steps, averaged over the
batch (the paper's cost per sequence, in nats). Metrics are reported per sequence on a fixed
validation set (see ``ntm_lib.tasks.base``).

Nothing is lost: every validation writes ``last.pt`` in the output folder (model, optimiser,
generator states, counters, history, configs); ``train(..., resume=True)`` continues from it
and reproduces the same run as if it had never stopped.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from .checkpoints import CheckpointError, load_into, read_checkpoint, save_checkpoint
from .regularisers import LossTerm, OutputMemoryPenalty
from .tasks.base import Batch, bce_bits_per_sequence, bit_errors_per_sequence, masked_bce

OPTIMIZERS = ("adam", "rmsprop")
CLIPPINGS = ("norm", "value", "none")


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults were chosen by measurement on copy (see ``ntm_lib.defaults``)."""

    batch_size: int = 16
    optimizer: str = "adam"  # or "rmsprop": the paper's, with momentum 0.9
    learning_rate: float = 3e-3
    # Gradient clipping (``clip_gradients``): "norm" scales the whole gradient down to a global
    # norm of at most ``clip_norm``; "value" clamps every gradient value to [-clip_value,
    # clip_value], as the NTM paper's (Graves 2013) RMSprop setup did; "none" leaves it alone.
    clipping: str = "norm"
    clip_norm: float = 10.0  # global gradient norm
    clip_value: float = 10.0
    max_sequences: int = 500_000
    max_seconds: float | None = None
    validation_size: int = 640  # as in Collier & Beel's protocol
    validate_every: int = 200  # batches
    converged_bit_errors: float = 0.1  # validation bit errors per sequence that count as solved
    stop_when_converged: bool = True
    max_nonfinite: int = 10  # non-finite batches in a row before training is stopped
    seed: int = 0
    # Curriculum: easier settings of the task (keyword overrides of its dataclass, e.g.
    # {"max_length": 5}) to train on first, in order; the task itself is the last stage. A stage
    # ends at a validation when the training batches since the last one averaged fewer than
    # ``curriculum_bit_errors`` bit errors per sequence. Validation always uses the full task.
    curriculum: tuple = ()
    curriculum_bit_errors: float = 1.0
    # Step decay: the learning rate is multiplied by ``lr_decay`` at each of these counts of
    # training sequences. A pure function of the sequences seen, so resuming stays exact.
    lr_milestones: tuple = ()
    lr_decay: float = 0.3
    # Quiet output memory (``ntm_lib.regularisers``): add this weight times the change of the
    # memory on scored steps to the loss, from ``output_memory_penalty_from`` sequences on
    # (0: from the start). Needs a model whose trace holds its memory (NTM, DNC). Chapter 5 uses it.
    output_memory_penalty: float = 0.0
    output_memory_penalty_from: int = 0
    # Expected targets: train on ``task.expected_targets(batch)``, the expected value of each
    # target given the inputs read so far, instead of the drawn targets. Only tasks whose targets
    # are random draws have it (N-grams: the Bayes posterior predictive). For every prediction
    # E[BCE(logit, y) | inputs] = BCE(logit, E[y | inputs]), since the BCE is linear
    # in y: the same expected loss and minimiser, and gradients without the noise of the draw
    # (they are the conditional expectation of the drawn targets' gradients). Validation and the
    # recorded training cost always use the drawn targets.
    expected_targets: bool = False

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"TrainConfig.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("batch_size", "max_sequences", "validation_size", "validate_every", "max_nonfinite"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {value!r}")
        if not self.learning_rate > 0 or not self.clip_norm > 0 or not self.clip_value > 0:
            raise ValueError("TrainConfig.learning_rate, clip_norm and clip_value must be positive")
        if self.clipping not in CLIPPINGS:
            raise ValueError(f"TrainConfig.clipping must be one of {CLIPPINGS}, got {self.clipping!r}")
        if not all(isinstance(m, int) and m > 0 for m in self.lr_milestones) or list(self.lr_milestones) != sorted(self.lr_milestones):
            raise ValueError(f"TrainConfig.lr_milestones must be increasing positive sequence counts, got {self.lr_milestones!r}")
        if not self.output_memory_penalty >= 0 or not (isinstance(self.output_memory_penalty_from, int)
                                                        and self.output_memory_penalty_from >= 0):
            raise ValueError(
                "TrainConfig.output_memory_penalty must be >= 0 and output_memory_penalty_from a count of "
                f"sequences >= 0, got {self.output_memory_penalty!r} and {self.output_memory_penalty_from!r}"
            )
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"TrainConfig.lr_decay must be in (0, 1], got {self.lr_decay!r}")
        if isinstance(self.curriculum, list):  # as a run record's JSON gives it back
            object.__setattr__(self, "curriculum", tuple(self.curriculum))
        if not isinstance(self.curriculum, tuple) or not all(isinstance(stage, dict) for stage in self.curriculum):
            raise ValueError(f"TrainConfig.curriculum must be a tuple of dicts of task settings, got {self.curriculum!r}")


# Fields that only set how long to train or how often to look: a run may resume with new values.
BUDGET_FIELDS = ("max_sequences", "max_seconds", "stop_when_converged", "validate_every")
# A run may also resume with a new learning-rate schedule ("train on, at a lower rate"): it
# applies from the resumed point on, and a fresh run with the same schedule reproduces the whole.
# The same holds for the output-memory penalty, which is a schedule too ("from N sequences on").
SCHEDULE_FIELDS = ("lr_milestones", "lr_decay", "output_memory_penalty", "output_memory_penalty_from")


def learning_rate_at(config: TrainConfig, sequences: int) -> float:
    """The learning rate after ``sequences`` training sequences (step decay at the milestones)."""
    return config.learning_rate * config.lr_decay ** sum(sequences >= m for m in config.lr_milestones)


def clip_gradients(parameters, config: TrainConfig) -> Tensor:
    """Clip the gradients of ``parameters`` in place as ``config.clipping`` says, and return
    their global norm before clipping (non-finite if any gradient is: the caller's check)."""
    parameters = [p for p in parameters if p.grad is not None]
    if config.clipping == "norm":
        return nn.utils.clip_grad_norm_(parameters, config.clip_norm)
    norm = nn.utils.clip_grad_norm_(parameters, float("inf"))  # only measures
    if config.clipping == "value":
        nn.utils.clip_grad_value_(parameters, config.clip_value)
    return norm


def same_run(stored: dict | None, current: dict) -> bool:
    """True if a stored training config describes the same run as ``current``, budgets aside.
    Fields added to TrainConfig after the run was stored count as their defaults."""
    if stored is None:
        return False
    changeable = BUDGET_FIELDS + SCHEDULE_FIELDS
    strip = lambda c: {k: v for k, v in c.items() if k not in changeable}  # noqa: E731
    return strip({**asdict(TrainConfig()), **stored}) == strip(current)


class NonFiniteError(RuntimeError):
    """Raised when the loss or the gradients stay non-finite; the model is not updated with them."""


@dataclass
class TrainResult:
    converged: bool
    sequences: int
    batches: int
    seconds: float
    val_bit_errors: float
    val_bce_bits: float
    history: list[dict[str, float]] = field(default_factory=list)
    checkpoint: str | None = None
    nonfinite_batches: int = 0


@dataclass
class TrainProgress:
    """Everything that changes while training, saved in ``last.pt`` (``progress``) so that a
    resumed run continues exactly. The running sums cover the batches since the last validation;
    ``terms`` holds one running sum per extra loss term, by name."""

    sequences: int = 0
    batches: int = 0
    seconds: float = 0.0  # before this session; the session's own time is added when saved
    nonfinite_batches: int = 0
    stage: int = 0  # curriculum stage; len(config.curriculum) is the task itself
    running_loss: float = 0.0  # the task's BCE in nats
    running_bit_errors: float = 0.0
    running_count: int = 0
    terms: dict[str, float] = field(default_factory=dict)

    def as_dict(self, seconds: float) -> dict[str, Any]:
        return {**asdict(self), "seconds": seconds}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> "TrainProgress":
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        if "running_penalty" in stored and "terms" not in stored:  # written before loss terms had names
            known["terms"] = {OutputMemoryPenalty.name: stored["running_penalty"]}
        return cls(**known)

    def reset_running(self) -> None:
        self.running_loss = self.running_bit_errors = 0.0
        self.running_count = 0
        self.terms = {name: 0.0 for name in self.terms}


def logits_of(output: Any) -> Tensor:
    """Models return logits alone or as the first element of a tuple."""
    return output[0] if isinstance(output, tuple) else output


def loss_terms(config: TrainConfig, extra: tuple[LossTerm, ...] = ()) -> tuple[LossTerm, ...]:
    """The loss terms of a run beside the task's BCE: those ``config`` asks for, then ``extra``."""
    terms = tuple(extra)
    if config.output_memory_penalty > 0:
        terms = (OutputMemoryPenalty(config.output_memory_penalty, config.output_memory_penalty_from),) + terms
    names = [term.name for term in terms]
    if len(set(names)) != len(names):
        raise ValueError(f"loss terms need distinct names, got {names}")
    return terms


def penalty_weight_at(config: TrainConfig, sequences: int) -> float:
    """The output-memory penalty's weight after ``sequences`` training sequences."""
    return config.output_memory_penalty if sequences >= config.output_memory_penalty_from else 0.0


def training_loss(model: nn.Module, batch: Batch, terms: tuple[LossTerm, ...] = (), sequences: int = 0,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor, dict[str, Tensor]]:
    """(loss, bce, logits, term values) of one batch at ``sequences`` training sequences.

    bce: the batch mean of the masked BCE in nats; loss: bce plus each term's weight times the
    batch mean of its value. Terms whose weight is 0 now are not computed (and the model is run
    without a trace when none is needed)."""
    active = [(term, term.weight_at(sequences)) for term in terms]
    active = [(term, weight) for term, weight in active if weight > 0]
    draws = {"generator": generator} if generator is not None and _takes_generator(model) else {}
    if active:
        logits, _, trace = model(batch.inputs, trace=True, **draws)
    else:
        logits, trace = logits_of(model(batch.inputs, **draws)), None
    bce = masked_bce(logits, batch).mean()
    loss, values = bce, {}
    for term, weight in active:
        values[term.name] = term(trace, batch).mean()
        loss = loss + weight * values[term.name]
    return loss, bce, logits, values


def _takes_generator(model: nn.Module) -> bool:
    """Whether ``model``'s forward takes a ``generator`` (the library's models do; a model of
    one's own need not, and then draws from torch's global generator if it draws at all)."""
    return "generator" in inspect.signature(model.forward).parameters


def make_optimizer(config: TrainConfig, parameters) -> torch.optim.Optimizer:
    if config.optimizer == "rmsprop":
        # The NTM paper: RMSProp with momentum 0.9 (its learning rate was 1e-4).
        return torch.optim.RMSprop(parameters, lr=config.learning_rate, momentum=0.9, alpha=0.95, eps=1e-8)
    return torch.optim.Adam(parameters, lr=config.learning_rate)


@torch.no_grad()
def evaluate(model: nn.Module, batches: list[Batch], device: torch.device | str = "cpu") -> dict[str, float]:
    """Mean bit errors and BCE bits per sequence over a list of batches.

    Runs under a forked RNG: a model that draws random numbers from torch's global generator
    leaves the training stream untouched, so a resumed run matches an uninterrupted one.
    """
    was_training = model.training
    model.eval()
    errors, bce, count = 0.0, 0.0, 0
    with torch.random.fork_rng(devices=[]):
        for batch in batches:
            batch = batch.to(device)
            logits = logits_of(model(batch.inputs))
            errors += bit_errors_per_sequence(logits, batch).sum().item()
            bce += bce_bits_per_sequence(logits, batch).sum().item()
            count += batch.inputs.shape[0]
    model.train(was_training)
    return {"bit_errors": errors / count, "bce_bits": bce / count}


def validation_set(task: Any, size: int, seed: int, chunk: int = 128) -> list[Batch]:
    """A fixed validation set, independent of the training stream (its own generator)."""
    generator = torch.Generator().manual_seed(10_000_019 + seed)
    batches, left = [], size
    while left > 0:
        n = min(chunk, left)
        batches.append(task.sample(n, generator))
        left -= n
    return batches


class Curriculum:
    """Which stage of the task to sample: the config's easier stages in order, then the task.
    A stage ends at a validation when the training batches since the last one averaged fewer
    than ``config.curriculum_bit_errors`` bit errors per sequence."""

    def __init__(self, task: Any, config: TrainConfig):
        try:
            self.stages = [replace(task, **overrides) for overrides in config.curriculum] + [task]
        except TypeError as exc:
            raise ValueError(f"a curriculum stage does not fit the task {type(task).__name__}: {exc}") from exc
        self.threshold = config.curriculum_bit_errors

    def advance(self, stage: int, mean_bit_errors: float) -> int:
        """The stage after a validation at which the recent batches averaged ``mean_bit_errors``."""
        return stage + 1 if stage < len(self.stages) - 1 and mean_bit_errors < self.threshold else stage


def validation_record(progress: TrainProgress, metrics: dict[str, float], seconds: float, config: TrainConfig,
                      terms: tuple[LossTerm, ...]) -> dict[str, float]:
    """One entry of the history: counters, the training cost and each term's mean since the last
    validation, the validation metrics, and the schedule's state (learning rate, stage)."""
    count = max(progress.running_count, 1)
    record = {
        "sequences": progress.sequences, "batches": progress.batches, "seconds": round(seconds, 3),
        "train_bce_bits": progress.running_loss / count / math.log(2),
        "val_bit_errors": metrics["bit_errors"], "val_bce_bits": metrics["bce_bits"],
    }
    if config.lr_milestones:
        record["learning_rate"] = learning_rate_at(config, progress.sequences)
    for term in terms:
        record[f"train_{term.name}"] = progress.terms.get(term.name, 0.0) / count
    if config.curriculum:
        record["stage"] = progress.stage
    return record


def train(
    model: nn.Module,
    task: Any,
    config: TrainConfig = TrainConfig(),
    out_dir: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    device: str | torch.device = "cpu",
    callbacks: tuple[Callable[[dict[str, float]], None], ...] = (),
    task_description: dict[str, Any] | None = None,
    extra_loss_terms: tuple[LossTerm, ...] = (),
) -> TrainResult:
    """Train ``model`` on batches of ``task`` until converged or out of budget.

    out_dir: where ``last.pt`` is written at every validation (and ``resume=True`` reads it).
    callbacks: called with each validation record (a dict) after it is added to the history.
    task_description: stored in checkpoints (e.g. {"name": "copy", "config": {...}}).
    extra_loss_terms: ``LossTerm``s added to the loss beside those the config asks for.
    """
    terms = loss_terms(config, extra_loss_terms)
    for term in terms:
        term.check(model)
    if config.expected_targets and not hasattr(task, "expected_targets"):
        raise ValueError(
            f"TrainConfig.expected_targets needs a task with an expected_targets(batch) method (ngrams); "
            f"{type(task).__name__} has none: its targets are not random draws"
        )
    model.to(device).train()
    optimizer = make_optimizer(config, model.parameters())
    data_generator = torch.Generator().manual_seed(config.seed)  # the training batches
    model_generator = torch.Generator().manual_seed(config.seed + 1)  # what the model draws (a random memory)
    torch.manual_seed(config.seed)
    valid = validation_set(task, config.validation_size, config.seed)
    curriculum = Curriculum(task, config)
    state = TrainProgress(terms={term.name: 0.0 for term in terms})
    history: list[dict[str, float]] = []
    last_path = Path(out_dir) / "last.pt" if out_dir is not None else None
    task_description = task_description or {"name": getattr(task, "name", type(task).__name__), "config": asdict(task)}

    if resume and last_path is not None and last_path.exists():
        payload = read_checkpoint(last_path)
        if not same_run(payload.get("train_config"), asdict(config)) or payload.get("task") != task_description:
            raise CheckpointError(
                f"{last_path} was written by a run with another task or training config; "
                f"use a new output folder or the same settings (stored: {payload.get('train_config')}, "
                f"task {payload.get('task')})"
            )
        load_into(model, payload, str(last_path))
        optimizer.load_state_dict(payload["optimizer"])
        data_generator.set_state(payload["rng"]["train"])
        torch.set_rng_state(payload["rng"]["torch"])
        if "model" in payload["rng"]:  # absent in runs saved before the model had its own generator
            model_generator.set_state(payload["rng"]["model"])
        state = TrainProgress.from_dict(payload["progress"])
        state.terms = {term.name: state.terms.get(term.name, 0.0) for term in terms}
        history = list(payload["history"])

    start = time.perf_counter()
    seconds_now = lambda: state.seconds + time.perf_counter() - start  # noqa: E731

    def save(path: Path) -> None:
        save_checkpoint(
            path, model, task=task_description, train_config=asdict(config),
            optimizer=optimizer.state_dict(),
            rng={"train": data_generator.get_state(), "torch": torch.get_rng_state(),
                 "model": model_generator.get_state()},
            progress=state.as_dict(seconds_now()), history=history,
        )

    def validate(scheduled: bool = True) -> bool:
        """Validate and record; at a scheduled validation (every ``validate_every`` batches) also
        advance the curriculum, restart the running sums and call back. The last one, where the
        budget ended between two, changes nothing a resumed run would continue from."""
        metrics = evaluate(model, valid, device)
        history.append(validation_record(state, metrics, seconds_now(), config, terms))
        if scheduled:
            if config.curriculum:
                state.stage = curriculum.advance(state.stage, state.running_bit_errors / max(state.running_count, 1))
            state.reset_running()
            bar.set_postfix(bit_errors=f"{metrics['bit_errors']:.3f}", bce=f"{metrics['bce_bits']:.2f}")
            for callback in callbacks:
                callback(history[-1])
        return metrics["bit_errors"] < config.converged_bit_errors

    bar = _progress_bar(config.max_sequences, state.sequences, progress)
    nonfinite_in_row = 0
    converged = bool(history) and history[-1]["val_bit_errors"] < config.converged_bit_errors
    while not (converged and config.stop_when_converged) and state.sequences < config.max_sequences:
        if config.max_seconds is not None and seconds_now() >= config.max_seconds:
            break
        stage_task = curriculum.stages[state.stage]
        batch = stage_task.sample(config.batch_size, data_generator).to(device)
        trained_on = batch._replace(targets=stage_task.expected_targets(batch)) if config.expected_targets else batch
        loss, bce, logits, values = training_loss(model, trained_on, terms, state.sequences, model_generator)
        if config.expected_targets:
            bce = masked_bce(logits.detach(), batch).mean()  # the recorded cost: on the drawn targets
        optimizer.zero_grad(set_to_none=True)
        if torch.isfinite(loss):
            loss.backward()
            grad_norm = clip_gradients(model.parameters(), config)
        else:
            grad_norm = loss.detach()
        if not torch.isfinite(grad_norm):
            # Never train on a non-finite loss or gradient: skip the update, report, and stop if it persists.
            nonfinite_in_row += 1
            state.nonfinite_batches += 1
            if nonfinite_in_row >= config.max_nonfinite:
                raise NonFiniteError(
                    f"loss or gradients non-finite for {nonfinite_in_row} batches in a row at "
                    f"{state.sequences} sequences (loss {loss.item()}); no update was made with them"
                    + (f"; the last good state is in {last_path}" if last_path and last_path.exists() else "")
                )
            continue
        nonfinite_in_row = 0
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(config, state.sequences)
        optimizer.step()
        state.sequences += config.batch_size
        state.batches += 1
        state.running_loss += bce.item()  # the recorded training cost is the task's alone
        state.running_bit_errors += bit_errors_per_sequence(logits.detach(), batch).mean().item()
        state.running_count += 1
        for name, value in values.items():
            state.terms[name] += value.item()
        bar.update(config.batch_size)
        if state.batches % config.validate_every == 0:
            converged = validate()
            if last_path is not None:
                save(last_path)
    bar.close()

    if not history or history[-1]["sequences"] != state.sequences:  # the loop ended between two validations
        converged = validate(scheduled=False)
    final_path = None
    if out_dir is not None:
        save(last_path)
        final_path = str(Path(out_dir) / "final.pt")
        save(Path(final_path))
    return TrainResult(
        converged=converged, sequences=state.sequences, batches=state.batches, seconds=seconds_now(),
        val_bit_errors=history[-1]["val_bit_errors"], val_bce_bits=history[-1]["val_bce_bits"],
        history=history, checkpoint=final_path, nonfinite_batches=state.nonfinite_batches,
    )


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="seq", disable=not enabled, dynamic_ncols=True, mininterval=1.0)
