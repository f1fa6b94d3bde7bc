r"""The training loop: the loss falls, runs are deterministic, resuming reproduces an uninterrupted
run, non-finite losses and gradients are never trained on, both optimisers work, and the
checkpoints it writes load back. Everything is tiny: the whole file runs in a few seconds."""

import math
from dataclasses import dataclass, replace

import pytest
import torch
from torch import nn

from ntm_lib import NTM, CopyTask, NTMConfig
from ntm_lib.checkpoints import CheckpointError, load_checkpoint, read_checkpoint
from ntm_lib.tasks import score
from ntm_lib.regularisers import OutputMemoryPenalty
from ntm_lib.training import (NonFiniteError, TrainConfig, clip_gradients, evaluate, learning_rate_at, penalty_weight_at, train,
                              training_loss, validation_set)

TASK = CopyTask(min_length=1, max_length=4)
TINY = NTMConfig(input_size=9, output_size=8, controller_size=11, num_slots=7, word_size=5)
# Small and quick: validation on 6 sequences every 3 batches of 3.
QUICK = TrainConfig(batch_size=3, validation_size=6, validate_every=3, seed=1, max_sequences=3 * 12)


def make_ntm(seed: int = 0, **changes) -> NTM:
    torch.manual_seed(seed)
    return NTM(replace(TINY, **changes))


def without_seconds(history):
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), f"{key} differs"


def snapshot(model: nn.Module) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


# --- it learns ----------------------------------------------------------------------------------


def test_training_loss_falls():
    task = CopyTask(min_length=1, max_length=5)
    torch.manual_seed(0)
    model = NTM(NTMConfig(input_size=9, output_size=8, controller_size=32, num_slots=12, word_size=8))
    records = []
    config = TrainConfig(batch_size=8, learning_rate=1e-2, max_sequences=60 * 8, validation_size=64,
                         validate_every=10, seed=0)
    result = train(model, task, config, progress=False, callbacks=(records.append,))
    assert result.batches == 60 and result.sequences == 480
    assert records == result.history and len(records) == 6
    # Mean training loss (BCE bits per sequence) of the first 10 batches vs the last 10.
    first, last = records[0]["train_bce_bits"], records[-1]["train_bce_bits"]
    assert last < 0.95 * first, f"loss did not fall: {first:.2f} -> {last:.2f} bits"
    # And it has learned something real: on held-out sequences it beats a coin flip
    # (which costs exactly 1 bit per target bit).
    chance = 8 * sum(b.mask.sum().item() for b in validation_set(task, 64, 0)) / 64
    assert result.val_bce_bits < 0.97 * chance, f"{result.val_bce_bits:.2f} bits vs chance {chance:.2f}"
    for record in records:
        assert all(math.isfinite(v) for v in record.values())


class CopyOracle(nn.Module):
    """Answers the copy task perfectly from its inputs (to test convergence and evaluation)."""

    kind = "oracle"

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, inputs):
        lengths = inputs[..., 8].argmax(-1)  # the delimiter step, L
        out = torch.zeros(*inputs.shape[:2], 8)
        for b, length in enumerate(lengths.tolist()):
            out[b, length + 1 : 2 * length + 1] = inputs[b, :length, :8]
        return self.scale * (2 * out - 1), None


def test_training_stops_when_converged():
    config = replace(QUICK, validate_every=2, max_sequences=3 * 50)
    result = train(CopyOracle(), TASK, config, progress=False)
    assert result.converged
    assert result.batches == 2, "stops at the first validation below the threshold"
    assert result.val_bit_errors == 0.0
    keep_going = train(CopyOracle(), TASK, replace(config, stop_when_converged=False, max_sequences=3 * 6),
                       progress=False)
    assert keep_going.converged and keep_going.batches == 6


def test_evaluate_and_validation_set():
    batches = validation_set(TASK, 300, seed=3, chunk=128)
    assert [b.inputs.shape[0] for b in batches] == [128, 128, 44]
    again = validation_set(TASK, 300, seed=3, chunk=128)
    assert all(torch.equal(a.inputs, b.inputs) for a, b in zip(batches, again))
    assert not torch.equal(validation_set(TASK, 300, seed=4, chunk=128)[0].inputs, batches[0].inputs)
    assert evaluate(CopyOracle(), batches) == {"bit_errors": 0.0, "bce_bits": pytest.approx(0.0, abs=1e-3)}
    model = make_ntm()
    model.train()
    metrics = evaluate(model, batches[:1])
    assert model.training, "evaluate restores training mode"
    with torch.no_grad():
        expected = score(model(batches[0].inputs)[0], batches[0])
    assert metrics == pytest.approx(expected)


# --- determinism and resumption ----------------------------------------------------------------


def test_same_seed_same_training_result():
    runs = []
    for _ in range(2):
        model = make_ntm(seed=2, memory_init="random")
        runs.append((model, train(model, TASK, QUICK, progress=False)))
    (a, ra), (b, rb) = runs
    assert_same_weights(a, b)
    assert without_seconds(ra.history) == without_seconds(rb.history)
    other = make_ntm(seed=2, memory_init="random")
    rc = train(other, TASK, replace(QUICK, seed=2), progress=False)
    assert without_seconds(rc.history) != without_seconds(ra.history)


@pytest.mark.parametrize("init, controller", [("constant", "feedforward"), ("random", "lstm"), ("learned", "feedforward")])
def test_resume_reproduces_an_uninterrupted_run(tmp_path, init, controller):
    """Train 12 batches in one go, or 6, stop, and resume to 12: the same weights and history."""
    whole_model = make_ntm(memory_init=init, controller=controller)
    whole = train(whole_model, TASK, QUICK, tmp_path / "whole", progress=False)

    half_model = make_ntm(memory_init=init, controller=controller)
    half = train(half_model, TASK, replace(QUICK, max_sequences=3 * 6), tmp_path / "split", progress=False)
    assert half.sequences == 18 and half.batches == 6
    resumed_model = make_ntm(seed=123, memory_init=init, controller=controller)  # other weights: all loaded
    resumed = train(resumed_model, TASK, QUICK, tmp_path / "split", resume=True, progress=False)

    assert (resumed.sequences, resumed.batches) == (whole.sequences, whole.batches) == (36, 12)
    assert_same_weights(resumed_model, whole_model)
    assert without_seconds(resumed.history) == without_seconds(whole.history)
    assert resumed.val_bit_errors == whole.val_bit_errors
    assert resumed.seconds >= half.seconds, "time spent before the stop is counted"




@pytest.mark.parametrize("init", ["constant", "random"])
def test_resume_after_a_stop_between_validations(tmp_path, init):
    """Stop after 7 batches (validations every 3): the resumed run still ends where the
    uninterrupted one does; its history may hold one extra record, for the stop itself."""
    whole_model = make_ntm(memory_init=init)
    whole = train(whole_model, TASK, QUICK, tmp_path / "whole", progress=False)
    split_model = make_ntm(memory_init=init)
    train(split_model, TASK, replace(QUICK, max_sequences=3 * 7), tmp_path / "split", progress=False)
    resumed = train(split_model, TASK, QUICK, tmp_path / "split", resume=True, progress=False)
    assert_same_weights(split_model, whole_model)
    extra = [r for r in without_seconds(resumed.history) if r["batches"] == 7]
    assert len(extra) == 1
    assert [r for r in without_seconds(resumed.history) if r["batches"] != 7] == without_seconds(whole.history)


def test_resume_refuses_another_training_config_or_task(tmp_path):
    train(make_ntm(), TASK, replace(QUICK, max_sequences=9), tmp_path, progress=False)
    with pytest.raises(CheckpointError, match="was written by a run with another task or training config"):
        train(make_ntm(), TASK, replace(QUICK, learning_rate=1e-2), tmp_path, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="another task or training config"):
        train(make_ntm(), CopyTask(min_length=1, max_length=5), QUICK, tmp_path, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="holds a ntm model with config"):
        train(make_ntm(num_slots=9), TASK, QUICK, tmp_path, resume=True, progress=False)


def test_learning_rate_steps_down_at_the_milestones():
    config = TrainConfig(learning_rate=1e-2, lr_milestones=(100, 300), lr_decay=0.5)
    assert [learning_rate_at(config, s) for s in (0, 99, 100, 299, 300, 10_000)] == [1e-2, 1e-2, 5e-3, 5e-3, 2.5e-3, 2.5e-3]
    assert learning_rate_at(TrainConfig(learning_rate=1e-3), 10**9) == 1e-3


def test_the_schedule_is_applied_and_recorded(tmp_path):
    """Milestones at 9 and 18 sequences (batches of 3): the optimiser's rate and the history follow."""
    config = replace(QUICK, learning_rate=1e-2, lr_milestones=(9, 18), lr_decay=0.1)
    model = make_ntm()
    result = train(model, TASK, config, tmp_path, progress=False)
    rates = {r["sequences"]: r["learning_rate"] for r in result.history}
    assert rates == pytest.approx({9: 1e-3, 18: 1e-4, 27: 1e-4, 36: 1e-4})
    saved = read_checkpoint(tmp_path / "last.pt")["optimizer"]
    assert saved["param_groups"][0]["lr"] == pytest.approx(1e-4)
    # Without a schedule the records carry no rate and the weights differ from the decayed run.
    plain = make_ntm()
    plain_result = train(plain, TASK, replace(QUICK, learning_rate=1e-2), progress=False)
    assert "learning_rate" not in plain_result.history[0]
    assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(), plain.state_dict().values()))


def test_resume_with_a_new_schedule_continues_at_the_lower_rate(tmp_path):
    """Train 6 batches at one rate, then resume with a milestone already passed: the same as one
    run whose schedule had that milestone from the start (the milestone at the resume point)."""
    whole_model = make_ntm()
    whole = train(whole_model, TASK, replace(QUICK, lr_milestones=(18,)), progress=False)
    split_model = make_ntm()
    train(split_model, TASK, replace(QUICK, max_sequences=18), tmp_path, progress=False)
    resumed = train(split_model, TASK, replace(QUICK, lr_milestones=(18,)), tmp_path, resume=True, progress=False)
    assert_same_weights(split_model, whole_model)
    assert resumed.history[-1]["learning_rate"] == pytest.approx(QUICK.learning_rate * 0.3)


# --- the output-memory penalty (ntm_lib.regularisers) --------------------------------------------


def test_the_output_memory_penalty_starts_at_its_count_and_is_recorded():
    config = replace(QUICK, output_memory_penalty=2.0, output_memory_penalty_from=18)
    assert [penalty_weight_at(config, s) for s in (0, 17, 18, 36)] == [0.0, 0.0, 2.0, 2.0]
    result = train(make_ntm(), TASK, config, progress=False)
    changes = [r["train_output_memory_change"] for r in result.history]
    assert changes[:2] == [0.0, 0.0] and all(c > 0 for c in changes[2:])  # from 18 sequences on
    assert "train_output_memory_change" not in train(make_ntm(), TASK, QUICK, progress=False).history[0]


def test_the_penalty_is_added_to_the_task_loss():
    model = make_ntm()
    batch = TASK.sample(4, torch.Generator().manual_seed(0))
    penalty = OutputMemoryPenalty(3.0, from_sequences=10)
    plain, plain_bce, _, none = training_loss(model, batch, (penalty,), sequences=9)  # not on yet
    loss, bce, _, values = training_loss(model, batch, (penalty,), sequences=10)
    assert none == {} and plain == plain_bce and torch.allclose(bce, plain_bce)
    value = values["output_memory_change"]
    assert value > 0 and torch.allclose(loss, bce + 3.0 * value)


def test_any_loss_term_trains_and_is_recorded_under_its_name():
    """A loss term of one's own: the mean read weight on slot 0, charged from the start."""

    class SlotZeroReads:
        name = "slot_zero"

        def weight_at(self, sequences):
            return 0.5

        def check(self, model):
            pass

        def __call__(self, trace, batch):
            return trace.weights[:, :, 0, 0].mean(1)  # (B,): the read head's weight on slot 0

    result = train(make_ntm(), TASK, QUICK, progress=False, extra_loss_terms=(SlotZeroReads(),))
    assert all("train_slot_zero" in record for record in result.history)
    assert result.history[0]["train_slot_zero"] > 0


def test_the_penalty_changes_training_and_a_resumed_run_can_switch_it_on(tmp_path):
    """Switched on at 18 sequences in one run, or by resuming at 18 with it: the same weights."""
    config = replace(QUICK, output_memory_penalty=5.0, output_memory_penalty_from=18)
    whole_model = make_ntm()
    train(whole_model, TASK, config, progress=False)
    plain_model = make_ntm()
    train(plain_model, TASK, QUICK, progress=False)
    assert any(not torch.equal(a, b) for a, b in zip(whole_model.state_dict().values(), plain_model.state_dict().values()))
    split_model = make_ntm()
    train(split_model, TASK, replace(QUICK, max_sequences=18), tmp_path, progress=False)
    train(split_model, TASK, config, tmp_path, resume=True, progress=False)
    assert_same_weights(split_model, whole_model)


def test_the_penalty_needs_a_model_whose_trace_holds_its_memory():
    from ntm_lib import LSTMBaseline, LSTMConfig
    from ntm_lib.dnc import DNC, DNCConfig

    lstm = LSTMBaseline(LSTMConfig(input_size=9, output_size=8, hidden_size=8, num_layers=1))
    with pytest.raises(ValueError, match="output_memory_penalty needs a model whose trace holds its memory"):
        train(lstm, TASK, replace(QUICK, output_memory_penalty=1.0), progress=False)
    dnc = DNC(DNCConfig(input_size=9, output_size=8, num_slots=8, controller_size=16))
    result = train(dnc, TASK, replace(QUICK, output_memory_penalty=1.0, max_sequences=4), progress=False)
    assert "train_output_memory_change" in result.history[-1]


def test_resume_without_a_checkpoint_starts_fresh(tmp_path):
    a, b = make_ntm(), make_ntm()
    ra = train(a, TASK, replace(QUICK, max_sequences=9), tmp_path / "new", resume=True, progress=False)
    rb = train(b, TASK, replace(QUICK, max_sequences=9), progress=False)
    assert_same_weights(a, b)
    assert without_seconds(ra.history) == without_seconds(rb.history)


def test_checkpoints_written_by_training(tmp_path):
    model = make_ntm()
    result = train(model, TASK, replace(QUICK, max_sequences=3 * 4), tmp_path, progress=False)
    assert result.checkpoint == str(tmp_path / "final.pt")
    assert (tmp_path / "last.pt").is_file()
    payload = read_checkpoint(result.checkpoint)
    assert payload["progress"]["sequences"] == 12 and payload["progress"]["batches"] == 4
    assert payload["task"] == {"name": "copy", "config": {"bits": 8, "min_length": 1, "max_length": 4}}
    assert payload["train_config"]["batch_size"] == 3
    assert without_seconds(payload["history"]) == without_seconds(result.history)
    loaded = load_checkpoint(result.checkpoint)
    x = TASK.sample(3, torch.Generator().manual_seed(0)).inputs
    model.eval()
    assert torch.equal(loaded(x)[0], model(x)[0])


def test_a_time_budget_of_zero_trains_nothing():
    model = make_ntm()
    before = snapshot(model)
    result = train(model, TASK, replace(QUICK, max_seconds=0.0), progress=False)
    assert result.sequences == 0 and len(result.history) == 1
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])


# --- non-finite values are never trained on ----------------------------------------------------


class NaNLogits(nn.Module):
    """Wraps a model; its logits are NaN in training mode on the calls listed (all by default)."""

    def __init__(self, inner: nn.Module, every: int = 1):
        super().__init__()
        self.inner, self.every, self.calls = inner, every, 0

    def forward(self, x):
        logits, state = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls % self.every == 0:
                logits = logits * float("nan")
        return logits, state


class NaNGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


class NaNGradients(nn.Module):
    """Finite logits, NaN gradients."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        logits, state = self.inner(x)
        return NaNGradient.apply(logits), state


@pytest.mark.parametrize("wrapper", [NaNLogits, NaNGradients])
def test_non_finite_batches_stop_training_without_updating_weights(tmp_path, wrapper):
    model = wrapper(make_ntm())
    before = snapshot(model)
    config = replace(QUICK, max_nonfinite=3)
    with pytest.raises(NonFiniteError, match="non-finite for 3 batches in a row at 0 sequences"):
        train(model, TASK, config, tmp_path, progress=False)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), f"{key} was updated from a non-finite batch"
    assert not (tmp_path / "last.pt").exists(), "no checkpoint of a non-finite state"


def test_occasional_non_finite_batches_are_skipped_and_counted():
    model = NaNLogits(make_ntm(), every=3)
    result = train(model, TASK, replace(QUICK, max_sequences=3 * 6, max_nonfinite=2), progress=False)
    assert result.batches == 6 and result.sequences == 18, "only good batches count"
    assert result.nonfinite_batches == 2  # calls 3 and 6 of 8
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert math.isfinite(result.val_bce_bits)


# --- optimisers and configuration --------------------------------------------------------------


@pytest.mark.parametrize("optimizer, state_keys", [("rmsprop", {"square_avg", "momentum_buffer"}),
                                                   ("adam", {"exp_avg", "exp_avg_sq"})])
def test_optimizers(tmp_path, optimizer, state_keys):
    model = make_ntm()
    before = snapshot(model)
    config = replace(QUICK, optimizer=optimizer, learning_rate=1e-3, max_sequences=3 * 3)
    result = train(model, TASK, config, tmp_path, progress=False)
    assert result.batches == 3 and math.isfinite(result.val_bce_bits)
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, "the optimiser changed no weight"
    assert all(torch.isfinite(p).all() for p in model.parameters())
    saved = read_checkpoint(tmp_path / "last.pt")["optimizer"]
    assert state_keys <= set(saved["state"][0])
    if optimizer == "rmsprop":
        assert saved["param_groups"][0]["momentum"] == 0.9  # the NTM paper's RMSprop


@pytest.mark.parametrize("changes, message", [
    ({"optimizer": "sgd"}, r"TrainConfig.optimizer must be one of \('adam', 'rmsprop'\), got 'sgd'"),
    ({"batch_size": 0}, "TrainConfig.batch_size must be a positive integer, got 0"),
    ({"validate_every": 1.5}, "TrainConfig.validate_every must be a positive integer"),
    ({"learning_rate": 0.0}, "learning_rate, clip_norm and clip_value must be positive"),
    ({"clip_norm": -1.0}, "learning_rate, clip_norm and clip_value must be positive"),
    ({"clip_value": 0.0}, "learning_rate, clip_norm and clip_value must be positive"),
    ({"clipping": "max"}, "clipping must be one of"),
    ({"lr_milestones": (9, 3)}, "lr_milestones must be increasing positive sequence counts"),
    ({"lr_milestones": (0,)}, "lr_milestones must be increasing positive sequence counts"),
    ({"lr_decay": 0.0}, r"lr_decay must be in \(0, 1\]"),
    ({"output_memory_penalty": -1.0}, "output_memory_penalty must be >= 0"),
    ({"output_memory_penalty_from": -5}, "output_memory_penalty_from a count of sequences >= 0"),
])
def test_invalid_train_configs(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


SAMPLED_MAX_LENGTHS: list[int] = []


@dataclass(frozen=True)
class RecordingCopy(CopyTask):
    """Copy that notes the max_length of every training batch it is asked for."""

    def sample(self, batch_size, generator, length=None):
        if batch_size == 4:  # training batches (validation uses chunks of other sizes)
            SAMPLED_MAX_LENGTHS.append(self.max_length)
        return super().sample(batch_size, generator, length)


def test_curriculum_trains_on_easier_stages_first_and_advances(tmp_path):
    SAMPLED_MAX_LENGTHS.clear()
    task = RecordingCopy(max_length=5)
    config = TrainConfig(batch_size=4, max_sequences=4 * 9, validate_every=3, validation_size=8,
                         stop_when_converged=False, curriculum=({"max_length": 1}, {"max_length": 3}),
                         curriculum_bit_errors=1e9)  # always good enough to advance
    result = train(make_ntm(), task, config, tmp_path, progress=False)
    assert SAMPLED_MAX_LENGTHS == [1] * 3 + [3] * 3 + [5] * 3
    assert [r["stage"] for r in result.history] == [0, 1, 2]


def test_curriculum_waits_while_the_stage_is_not_learned(tmp_path):
    config = TrainConfig(batch_size=4, max_sequences=4 * 6, validate_every=3, validation_size=8,
                         stop_when_converged=False, curriculum=({"max_length": 1},), curriculum_bit_errors=0.0)
    result = train(make_ntm(), CopyTask(max_length=5), config, tmp_path, progress=False)
    assert [r["stage"] for r in result.history] == [0, 0]


def test_a_curriculum_stage_that_does_not_fit_the_task_is_a_clear_error():
    config = TrainConfig(batch_size=4, max_sequences=4, curriculum=({"max_repeats": 2},))
    with pytest.raises(ValueError, match="curriculum stage does not fit the task CopyTask"):
        train(make_ntm(), CopyTask(), config, progress=False)


# --- expected targets (N-grams) -------------------------------------------------------------------


def test_expected_targets_train_on_the_expectation_and_record_the_drawn_cost():
    """One batch with expected_targets: the same update as one Adam step on the BCE against
    task.expected_targets(batch) of the same batch, by hand; the recorded training cost is the
    BCE against the drawn bits. Training on the drawn bits gives other weights."""
    import copy

    from ntm_lib import LSTMBaseline, LSTMConfig
    from ntm_lib.tasks import NGramsTask
    from ntm_lib.tasks.base import masked_bce

    task = NGramsTask(length=12)
    config = TrainConfig(batch_size=5, max_sequences=5, validate_every=1, validation_size=4,
                         stop_when_converged=False, expected_targets=True, learning_rate=1e-2)
    torch.manual_seed(0)
    model = LSTMBaseline(LSTMConfig(input_size=1, output_size=1, hidden_size=6, num_layers=1))
    by_hand, on_bits = copy.deepcopy(model), copy.deepcopy(model)
    result = train(model, task, config, progress=False)

    batch = task.sample(5, torch.Generator().manual_seed(config.seed))  # the run's first batch
    logits = by_hand(batch.inputs)[0]
    drawn_cost = masked_bce(logits.detach(), batch).mean().item() / math.log(2)
    loss = masked_bce(logits, batch._replace(targets=task.expected_targets(batch))).mean()
    optimizer = torch.optim.Adam(by_hand.parameters(), lr=config.learning_rate)
    loss.backward()
    nn.utils.clip_grad_norm_(by_hand.parameters(), config.clip_norm)
    optimizer.step()
    for a, b in zip(model.state_dict().values(), by_hand.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert result.history[0]["train_bce_bits"] == pytest.approx(drawn_cost, rel=1e-5)

    train(on_bits, task, replace(config, expected_targets=False), progress=False)
    assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(), on_bits.state_dict().values()))


def test_expected_targets_need_a_task_that_has_them():
    with pytest.raises(ValueError, match="expected_targets needs a task with an expected_targets"):
        train(make_ntm(), TASK, replace(QUICK, expected_targets=True), progress=False)


def test_a_run_stored_before_a_field_existed_resumes_with_its_default():
    from dataclasses import asdict

    from ntm_lib.training import same_run

    stored = asdict(QUICK)
    del stored["expected_targets"]  # as written before the field was added
    assert same_run(stored, asdict(QUICK))
    assert not same_run(stored, asdict(replace(QUICK, expected_targets=True)))


@pytest.mark.parametrize("clipping, expected", [
    ("norm", [0.6, -0.8, 0.0]),  # the gradient (3, -4, 0) scaled to norm 1
    ("value", [1.0, -1.0, 0.0]),  # each value clamped to [-1, 1]
    ("none", [3.0, -4.0, 0.0]),
])
def test_clip_gradients(clipping, expected):
    weight = nn.Parameter(torch.zeros(3))
    weight.grad = torch.tensor([3.0, -4.0, 0.0])
    unused = nn.Parameter(torch.zeros(2))  # no gradient: ignored
    config = TrainConfig(clipping=clipping, clip_norm=1.0, clip_value=1.0)
    norm = clip_gradients([weight, unused], config)
    assert norm.item() == pytest.approx(5.0)  # the norm before clipping, in every mode
    torch.testing.assert_close(weight.grad, torch.tensor(expected))
    assert unused.grad is None
