"""Dyck words: the balanced-prefix targets (by hand and against a slow stack loop), the uniform
Dyck word sampler, the documented distribution, determinism, validation, scoring."""

from collections import Counter

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, DyckTask
from ntm_lib.tasks.dyck import balanced_prefixes, score, symbols_from_inputs, uniform_dyck_words


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def steps_of(text):
    return [1 if c == "(" else -1 for c in text]


def slow_balanced(text):
    """A stack, one symbol at a time: balanced iff the stack is empty and never underflowed."""
    stack, broken, out = [], False, []
    for c in text:
        if c == "(":
            stack.append(c)
        elif stack:
            stack.pop()
        else:
            broken = True
        out.append(not broken and not stack)
    return out


def text_of(symbols):
    return "".join({1: "(", -1: ")"}[s] for s in symbols if s != 0)


def test_registered_and_sizes():
    assert TASKS["dyck"] is DyckTask
    task = DyckTask()
    assert (task.min_length, task.max_length, task.perturb_probability) == (1, 20, 0.5)
    assert (task.input_size, task.output_size) == (2, 1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(())()", "000101"),
        ("())(()", "010000"),  # back at depth 0 at the end, but it went negative on the way
        (")(", "00"),
        ("((", "00"),
    ],
)
def test_balanced_prefixes_by_hand(text, expected):
    result = balanced_prefixes(torch.tensor([steps_of(text)]))
    assert "".join(str(int(v)) for v in result[0]) == expected
    assert [c == "1" for c in expected] == slow_balanced(text)


def test_padding_is_never_balanced():
    assert balanced_prefixes(torch.tensor([[1, -1, 0, 0]])).tolist() == [[False, True, False, False]]


def test_encoding_by_hand():
    batch = DyckTask().sample(1, gen(3), length=6)
    symbols = symbols_from_inputs(batch.inputs)[0].tolist()
    text = text_of(symbols)
    assert len(text) == 6
    expected_inputs = [[1.0, 0.0] if c == "(" else [0.0, 1.0] for c in text]
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0, :, 0], torch.tensor(slow_balanced(text)).float())
    assert_close(batch.mask[0], torch.ones(6))


def test_mixed_batch_matches_slow_stack():
    batch = DyckTask(min_length=3, max_length=12).sample(40, gen(4))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    lengths = batch.mask.sum(1).long()
    assert len(set(lengths.tolist())) > 3
    assert batch.inputs.shape == (40, int(lengths.max()), 2)
    for b in range(40):
        L = int(lengths[b])
        assert_close(batch.mask[b, :L], torch.ones(L))
        assert_close(batch.mask[b, L:], torch.zeros(batch.mask.shape[1] - L))
        assert_close(batch.inputs[b, :L].sum(-1), torch.ones(L))  # one symbol per real step
        assert_close(batch.inputs[b, L:], torch.zeros(batch.mask.shape[1] - L, 2))
        text = text_of(symbols_from_inputs(batch.inputs[b : b + 1])[0].tolist())
        assert len(text) == L
        expected = torch.tensor(slow_balanced(text) + [False] * (batch.mask.shape[1] - L)).float()
        assert_close(batch.targets[b, :, 0], expected)


def test_uniform_dyck_words_are_dyck_words_and_uniform():
    words = uniform_dyck_words(torch.tensor([0, 1, 2, 5]), gen())
    assert words.shape == (4, 10)
    for b, n in enumerate([0, 1, 2, 5]):
        text = text_of(words[b].tolist())
        assert len(text) == 2 * n and (n == 0 or slow_balanced(text)[-1])
        assert words[b, 2 * n :].abs().sum() == 0
    counts = Counter(text_of(w) for w in uniform_dyck_words(torch.full((3000,), 3), gen(1)).tolist())
    assert sorted(counts) == sorted(["((()))", "(()())", "(())()", "()(())", "()()()"])  # Catalan(3) = 5
    assert all(abs(c - 600) < 90 for c in counts.values())  # 600 expected each, sd ~22


def test_distribution_as_documented():
    even = DyckTask(perturb_probability=0.0).sample(200, gen(5), length=8)
    assert bool(even.targets[:, -1, 0].all())  # clean even strings are Dyck words
    odd = DyckTask(perturb_probability=0.0).sample(200, gen(6), length=9)
    assert bool(odd.targets[:, -2, 0].all()) and not bool(odd.targets[:, -1, 0].any())
    appended = symbols_from_inputs(odd.inputs)[:, -1]
    assert 60 < int((appended == 1).sum()) < 140  # '(' or ')' with probability 1/2
    flipped = DyckTask(perturb_probability=1.0).sample(200, gen(7), length=8)
    final_depth = symbols_from_inputs(flipped.inputs).sum(1)
    assert set(final_depth.abs().tolist()) == {2}  # exactly one symbol flipped
    mixed = DyckTask().sample(400, gen(8), length=10)
    assert 150 < int(mixed.targets[:, -1, 0].sum()) < 250  # about half balanced
    lengths = DyckTask(min_length=2, max_length=5).sample(300, gen(9)).mask.sum(1)
    assert set(lengths.long().tolist()) == {2, 3, 4, 5}


def test_determinism_and_private_randomness():
    task = DyckTask()
    state = torch.get_rng_state()
    first, second = task.sample(6, gen(10)), task.sample(6, gen(10))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)


def test_validation_errors():
    with pytest.raises(ValueError, match="DyckTask"):
        DyckTask(min_length=0)
    with pytest.raises(ValueError, match="DyckTask"):
        DyckTask(min_length=5, max_length=4)
    with pytest.raises(ValueError, match="perturb_probability"):
        DyckTask(perturb_probability=1.5)
    with pytest.raises(ValueError, match="length"):
        DyckTask().sample(2, gen(), length=0)
    with pytest.raises(ValueError, match="batch_size"):
        DyckTask().sample(0, gen())


def test_score_accuracies():
    batch = DyckTask().sample(4, gen(11), length=6)
    logits = (2 * batch.targets - 1) * 10
    result = score(logits, batch)
    assert result["step_accuracy"] == 1.0 and result["sequence_accuracy"] == 1.0
    logits[1, 2] = -logits[1, 2]
    result = score(logits, batch)
    assert result["step_accuracy"] == pytest.approx(23 / 24)
    assert result["sequence_accuracy"] == pytest.approx(3 / 4)
