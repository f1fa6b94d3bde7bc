"""Repeat copy: the exact encoding (by hand and against a slow loop), ranges, determinism,
validation, scoring."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, RepeatCopyTask
from ntm_lib.tasks.repeat_copy import end_marker_errors_per_sequence, score


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def perfect_logits(batch):
    return (2 * batch.targets - 1) * 10


def test_registered():
    assert TASKS["repeat_copy"] is RepeatCopyTask
    assert RepeatCopyTask.name == "repeat_copy"


def test_scalar_encoding_by_hand():
    task = RepeatCopyTask(bits=2, max_repeats=10)
    batch = task.sample(1, gen(), length=2, repeats=3)
    a, b = batch.inputs[0, 0, :2].tolist(), batch.inputs[0, 1, :2].tolist()
    z = [0.0, 0.0]
    expected_inputs = [a + [0, 0], b + [0, 0], z + [1, 0], z + [0, 0.3]] + [z + [0, 0]] * 7
    expected_targets = [z + [0]] * 4 + [a + [0], b + [0]] * 3 + [z + [1]]
    expected_mask = [0] * 4 + [1] * 7
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor(expected_targets))
    assert_close(batch.mask[0], torch.tensor(expected_mask, dtype=torch.float32))


def test_unary_encoding_by_hand():
    task = RepeatCopyTask(bits=2, unary=True)
    batch = task.sample(1, gen(), length=2, repeats=3)
    a, b = batch.inputs[0, 0, :2].tolist(), batch.inputs[0, 1, :2].tolist()
    z = [0.0, 0.0]
    expected_inputs = [a + [0, 0], b + [0, 0], z + [1, 0]] + [z + [0, 1]] * 3 + [z + [0, 0]] * 7
    expected_targets = [z + [0]] * 6 + [a + [0], b + [0]] * 3 + [z + [1]]
    expected_mask = [0] * 6 + [1] * 7
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor(expected_targets))
    assert_close(batch.mask[0], torch.tensor(expected_mask, dtype=torch.float32))


def reference(task, seq, repeats, steps):
    """Slow loop: the encoding of one sequence (list of bit lists), padded to ``steps``."""
    L, bits = len(seq), task.bits
    inputs = torch.zeros(steps, bits + 2)
    targets = torch.zeros(steps, bits + 1)
    mask = torch.zeros(steps)
    for t in range(L):
        inputs[t, :bits] = torch.tensor(seq[t])
    inputs[L, bits] = 1
    if task.unary:
        for r in range(repeats):
            inputs[L + 1 + r, bits + 1] = 1
        start = L + 1 + repeats
    else:
        inputs[L + 1, bits + 1] = repeats / task.scale
        start = L + 2
    t = start
    for _ in range(repeats):
        for x in seq:
            targets[t, :bits] = torch.tensor(x)
            mask[t] = 1
            t += 1
    targets[t, bits] = 1
    mask[t] = 1
    return inputs, targets, mask


@pytest.mark.parametrize("unary", [False, True])
def test_mixed_batch_matches_slow_reference(unary):
    task = RepeatCopyTask(bits=3, max_length=5, max_repeats=4, unary=unary)
    batch = task.sample(7, gen(3))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    steps = batch.inputs.shape[1]
    totals = set()
    for b in range(7):
        L = int(batch.inputs[b, :, 3].argmax())  # the delimiter step
        count = batch.inputs[b, :, 4]
        repeats = int(count.sum()) if unary else round(float(count.sum()) * task.scale)
        seq = batch.inputs[b, :L, :3].tolist()
        inputs, targets, mask = reference(task, seq, repeats, steps)
        assert_close(batch.inputs[b], inputs)
        assert_close(batch.targets[b], targets)
        assert_close(batch.mask[b], mask)
        totals.add(L * repeats + L + (repeats + 2 if unary else 3))
    assert steps == max(totals)
    assert len(totals) > 1  # really mixed


def test_shapes_and_ranges():
    task = RepeatCopyTask(bits=5, min_length=2, max_length=4, min_repeats=3, max_repeats=6)
    batch = task.sample(300, gen(1))
    assert batch.inputs.shape[-1] == task.input_size == 7
    assert batch.targets.shape[-1] == task.output_size == 6
    lengths = batch.inputs[..., 5].argmax(1)
    repeats = (batch.inputs[..., 6].sum(1) * task.scale).round().long()
    assert set(lengths.tolist()) == {2, 3, 4}
    assert set(repeats.tolist()) == {3, 4, 5, 6}
    assert_close(batch.mask.sum(1), (lengths * repeats + 1).float())
    assert_close(batch.targets[..., 5].sum(1), torch.ones(300))  # exactly one end marker


def test_forced_counts_beyond_training_read_above_one():
    task = RepeatCopyTask()
    batch = task.sample(2, gen(), length=20, repeats=15)
    assert_close(batch.inputs[:, 21, 9], torch.full((2,), 1.5))
    assert batch.inputs.shape[1] == 20 * 15 + 20 + 3
    scaled = RepeatCopyTask(min_repeats=11, max_repeats=20, repeat_scale=10).sample(3, gen(), length=1)
    counts = scaled.inputs[:, 2, 9]
    assert bool(((counts >= 1.1 - 1e-6) & (counts <= 2.0 + 1e-6)).all())


def test_determinism_and_private_randomness():
    task = RepeatCopyTask(unary=True)
    state = torch.get_rng_state()
    first, second = task.sample(4, gen(5)), task.sample(4, gen(5))
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is never touched
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    other = task.sample(4, gen(6))
    assert first.inputs.shape != other.inputs.shape or not torch.equal(first.inputs, other.inputs)


def test_validation_errors():
    with pytest.raises(ValueError, match="lengths"):
        RepeatCopyTask(min_length=3, max_length=2)
    with pytest.raises(ValueError, match="repeats"):
        RepeatCopyTask(min_repeats=0)
    with pytest.raises(ValueError, match="bits"):
        RepeatCopyTask(bits=0)
    with pytest.raises(ValueError, match="unary"):
        RepeatCopyTask(unary=1)
    with pytest.raises(ValueError, match="repeat_scale"):
        RepeatCopyTask(repeat_scale=0)
    task = RepeatCopyTask()
    with pytest.raises(ValueError, match="batch_size"):
        task.sample(0, gen())
    with pytest.raises(ValueError, match="length"):
        task.sample(2, gen(), length=0)
    with pytest.raises(ValueError, match="repeats"):
        task.sample(2, gen(), repeats=2.5)


def test_score_end_marker():
    batch = RepeatCopyTask(bits=3).sample(5, gen(2))
    logits = perfect_logits(batch)
    result = score(logits, batch)
    assert result["bit_errors"] == 0 and result["end_marker_errors"] == 0
    assert result["end_marker_accuracy"] == 1.0
    late = logits.clone()
    late[0, :, -1] = -10  # sequence 0 never stops
    assert_close(end_marker_errors_per_sequence(late, batch), torch.tensor([1.0, 0, 0, 0, 0]))
    result = score(late, batch)
    assert result["end_marker_accuracy"] == pytest.approx(0.8)
    assert result["bit_errors"] == pytest.approx(0.2)
