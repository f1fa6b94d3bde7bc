"""Ordered recall: the exact encoding (by hand and against a slow loop), forward and reverse,
one-hot symbols that repeat, mixed lengths, determinism, validation, scoring."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import score
from ntm_lib.tasks.ordered_recall import OrderedRecallTask


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_sizes_and_defaults():
    task = OrderedRecallTask()
    assert task.name == "ordered_recall"
    assert (task.symbols, task.min_length, task.max_length, task.reverse) == (4, 1, 20, False)
    assert (task.input_size, task.output_size) == (5, 4)


@pytest.mark.parametrize("reverse", [False, True])
def test_encoding_by_hand(reverse):
    task = OrderedRecallTask(symbols=3, reverse=reverse)
    batch = task.sample(1, gen(2), length=3)
    symbols = batch.inputs[0, :3, :3].argmax(-1).tolist()
    e = torch.eye(3).tolist()
    z = [0.0, 0.0, 0.0]
    expected_inputs = [e[s] + [0] for s in symbols] + [z + [1]] + [z + [0]] * 3
    answer = symbols[::-1] if reverse else symbols
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z] * 4 + [e[s] for s in answer]))
    assert_close(batch.mask[0], torch.tensor([0.0] * 4 + [1.0] * 3))


def reference(symbols: list[int], steps: int, alphabet: int, reverse: bool):
    """Slow loop: the encoding of one sequence of symbol indices."""
    inputs, targets, mask = torch.zeros(steps, alphabet + 1), torch.zeros(steps, alphabet), torch.zeros(steps)
    L = len(symbols)
    for t, s in enumerate(symbols):
        inputs[t, s] = 1
    inputs[L, alphabet] = 1
    for k, s in enumerate(symbols[::-1] if reverse else symbols):
        targets[L + 1 + k, s] = 1
        mask[L + 1 + k] = 1
    return inputs, targets, mask


@pytest.mark.parametrize("reverse", [False, True])
def test_mixed_batch_matches_slow_reference(reverse):
    task = OrderedRecallTask(symbols=3, min_length=1, max_length=7, reverse=reverse)
    batch = task.sample(16, gen(5))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    steps = batch.inputs.shape[1]
    lengths = batch.inputs[..., 3].argmax(-1).tolist()
    assert len(set(lengths)) > 1 and steps == 2 * max(lengths) + 1
    for b, L in enumerate(lengths):
        symbols = batch.inputs[b, :L, :3].argmax(-1).tolist()
        assert (batch.inputs[b, :L, :3].sum(-1) == 1).all(), "one symbol a step"
        inputs, targets, mask = reference(symbols, steps, 3, reverse)
        assert_close(batch.inputs[b], inputs)
        assert_close(batch.targets[b], targets)
        assert_close(batch.mask[b], mask)


def test_symbols_repeat_and_cover_the_alphabet():
    task = OrderedRecallTask()
    batch = task.sample(200, gen(3), length=20)
    presented = batch.inputs[:, :20, :4]  # (B, 20, 4)
    counts = presented.sum(1)  # (B, 4): occurrences of each symbol
    assert (counts.max(-1).values >= 2).all(), "20 symbols from 4 must repeat"
    assert_close(counts.sum(-1), torch.full((200,), 20.0))
    assert 0.22 < counts.mean().item() / 20 < 0.28  # each symbol a quarter of the time
    lengths = OrderedRecallTask(min_length=2, max_length=5).sample(300, gen(4)).mask.sum(1)
    assert set(lengths.tolist()) == {2.0, 3.0, 4.0, 5.0}


def test_determinism_and_private_randomness():
    task = OrderedRecallTask()
    state = torch.get_rng_state()
    first, second = task.sample(5, gen(7)), task.sample(5, gen(7))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    g = gen(7)
    assert not torch.equal(task.sample(5, g).inputs, task.sample(5, g).inputs)


def test_a_wrong_symbol_costs_two_bit_errors():
    batch = OrderedRecallTask().sample(4, gen(1), length=5)
    perfect = 10 * (2 * batch.targets - 1)
    assert score(perfect, batch)["bit_errors"] == 0.0
    wrong = perfect.clone()
    wrong[0, 6] = wrong[0, 6].roll(1)  # the first answer step of sequence 0: another symbol
    assert score(wrong, batch)["bit_errors"] == pytest.approx(2 / 4)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_length": 0}, r"OrderedRecallTask needs integers 1 <= min <= max, got min=0, max=20"),
    ({"symbols": 1}, r"OrderedRecallTask.symbols must be an integer >= 2, got 1"),
    ({"reverse": 1}, r"OrderedRecallTask.reverse must be True or False, got 1"),
])
def test_invalid_tasks_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OrderedRecallTask(**kwargs)


def test_invalid_samples_are_rejected():
    with pytest.raises(ValueError, match=r"OrderedRecallTask.sample: length must be an integer >= 1, got 0"):
        OrderedRecallTask().sample(2, gen(), length=0)
    with pytest.raises(ValueError, match="batch_size"):
        OrderedRecallTask().sample(0, gen())
