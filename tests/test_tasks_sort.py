"""Lexicographic sort: the exact encoding (by hand and against Python's sorted), the radix sort
with padding, determinism, validation, scoring."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, SortTask
from ntm_lib.tasks.sort import lexicographic_order, score


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_registered_and_sizes():
    assert TASKS["sort"] is SortTask
    task = SortTask()
    assert (task.bits, task.min_length, task.max_length) == (8, 1, 10)
    assert (task.input_size, task.output_size) == (9, 8)


def test_order_by_hand():
    """The example of the docstring, plus a padding vector that must stay last."""
    vectors = torch.tensor([[[1, 0, 0], [0, 1, 1], [1, 0, 1], [0, 0, 0]]]).float()
    order = lexicographic_order(vectors, torch.tensor([3]))
    assert order.tolist() == [[1, 0, 2, 3]]
    assert lexicographic_order(vectors, torch.tensor([4])).tolist() == [[3, 1, 0, 2]]


def test_encoding_by_hand():
    task = SortTask(bits=3)
    batch = task.sample(1, gen(1), length=3)
    x = batch.inputs[0, :3, :3].tolist()
    y = sorted(x)  # Python compares lists lexicographically, first element first
    z = [0.0, 0.0, 0.0]
    expected_inputs = [v + [0] for v in x] + [z + [1]] + [z + [0]] * 3
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z] * 4 + y))
    assert_close(batch.mask[0], torch.tensor([0.0] * 4 + [1] * 3))


def test_mixed_batch_matches_sorted_and_copy_layout():
    task = SortTask(bits=4, max_length=9)
    batch = task.sample(11, gen(2))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    lengths = batch.inputs[..., 4].argmax(1)
    assert len(set(lengths.tolist())) > 1
    assert batch.inputs.shape[1] == 2 * int(lengths.max()) + 1
    for b in range(11):
        L = int(lengths[b])
        x = batch.inputs[b, :L, :4].tolist()
        assert_close(batch.targets[b, L + 1 : 2 * L + 1], torch.tensor(sorted(x)))
        assert_close(batch.targets[b, : L + 1], torch.zeros(L + 1, 4))
        assert_close(batch.targets[b, 2 * L + 1 :], torch.zeros(batch.inputs.shape[1] - 2 * L - 1, 4))
        expected_mask = torch.zeros(batch.inputs.shape[1])
        expected_mask[L + 1 : 2 * L + 1] = 1
        assert_close(batch.mask[b], expected_mask)
        # the inputs are laid out exactly as in copy: bits, one delimiter step, zeros
        assert_close(batch.inputs[b, :L, 4], torch.zeros(L))
        assert_close(batch.inputs[b, L], torch.tensor([0.0] * 4 + [1]))
        assert_close(batch.inputs[b, L + 1 :], torch.zeros(batch.inputs.shape[1] - L - 1, 5))


def test_duplicates_and_long_lengths():
    batch = SortTask(bits=1).sample(3, gen(3), length=20)
    ones = batch.inputs[:, :20, 0].sum(1)
    for b in range(3):  # 1-bit vectors: all zeros, then all ones
        n1 = int(ones[b])
        assert batch.targets[b, 21:, 0].tolist() == [0.0] * (20 - n1) + [1.0] * n1


def test_determinism_and_private_randomness():
    task = SortTask()
    state = torch.get_rng_state()
    first, second = task.sample(4, gen(5)), task.sample(4, gen(5))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)


def test_validation_errors():
    with pytest.raises(ValueError, match="SortTask"):
        SortTask(min_length=0)
    with pytest.raises(ValueError, match="bits"):
        SortTask(bits=0)
    with pytest.raises(ValueError, match="length"):
        SortTask().sample(2, gen(), length=0)
    with pytest.raises(ValueError, match="batch_size"):
        SortTask().sample(True, gen())


def test_score_accuracies():
    batch = SortTask(bits=3).sample(4, gen(6), length=5)
    logits = (2 * batch.targets - 1) * 10
    result = score(logits, batch)
    assert result["vector_accuracy"] == 1.0 and result["sequence_accuracy"] == 1.0
    logits[0, 6] = -logits[0, 6]  # every bit of one output vector of sequence 0 wrong
    result = score(logits, batch)
    assert result["vector_accuracy"] == pytest.approx(19 / 20)
    assert result["sequence_accuracy"] == pytest.approx(3 / 4)
    assert result["bit_errors"] == pytest.approx(3 / 4)
