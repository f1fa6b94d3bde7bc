"""Dynamic N-grams: the Beta(1/2, 1/2) tables, generation from a table with zero-padded contexts,
the encoding, the Bayes-optimal estimator against a slow loop, its cost, validation."""

import math

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, NGramsTask
from ntm_lib.tasks.ngrams import (
    batch_from_bits,
    bayes_optimal_bits,
    bayes_optimal_probabilities,
    context_index,
    score,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_registered_and_sizes():
    assert TASKS["ngrams"] is NGramsTask
    task = NGramsTask()
    assert (task.order, task.length, task.num_contexts) == (6, 200, 32)
    assert (task.input_size, task.output_size) == (1, 1)


def test_tables_follow_beta_half_half():
    tables = NGramsTask().draw_tables(500, gen(1))  # 16000 draws
    assert tables.shape == (500, 32)
    assert bool(((tables >= 0) & (tables <= 1)).all())
    assert tables.mean().item() == pytest.approx(0.5, abs=0.01)
    assert tables.var().item() == pytest.approx(1 / 8, abs=0.005)  # Beta(a, b): ab / ((a+b)^2 (a+b+1))
    for x in (0.05, 0.3, 0.5):  # the arcsine CDF (2/pi) arcsin(sqrt(x))
        expected = 2 / math.pi * math.asin(math.sqrt(x))
        assert (tables < x).float().mean().item() == pytest.approx(expected, abs=0.015)


def test_generation_reads_contexts_oldest_bit_first_with_zero_padding():
    """p_c = 1 iff the oldest context bit is 0: bit t = not bit t-5, bits before 0 read as 0."""
    task = NGramsTask()
    contexts = torch.arange(32)
    tables = (contexts < 16).float().unsqueeze(0)  # oldest bit is the most significant
    bits = task.draw_bits(tables, gen(), length=23)
    assert bits.tolist() == [[1.0] * 5 + [0.0] * 5 + [1.0] * 5 + [0.0] * 5 + [1.0] * 3]
    alternating = (contexts % 2 == 0).float().unsqueeze(0)  # next = not the newest bit
    assert task.draw_bits(alternating, gen(), length=6).tolist() == [[1.0, 0, 1, 0, 1, 0]]


def test_encoding_is_the_next_bit():
    task = NGramsTask(length=7)
    batch = task.sample(3, gen(2))
    assert batch.inputs.shape == batch.targets.shape == (3, 7, 1)
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    assert_close(batch.targets[:, :-1], batch.inputs[:, 1:])
    assert_close(batch.targets[:, -1], torch.zeros(3, 1))
    assert_close(batch.mask, torch.tensor([[1.0] * 6 + [0.0]] * 3))
    hand = batch_from_bits(torch.tensor([[0.0, 1, 1]]))
    assert hand.inputs[0, :, 0].tolist() == [0, 1, 1]
    assert hand.targets[0, :, 0].tolist() == [1, 1, 0]
    assert hand.mask[0].tolist() == [1, 1, 0]
    assert NGramsTask().sample(2, gen()).inputs.shape == (2, 200, 1)
    assert task.sample(2, gen(), length=11).inputs.shape == (2, 11, 1)


def test_context_index_by_hand():
    bits = torch.tensor([[1, 0, 1, 1, 0, 0, 1]])
    # 2-bit contexts (order 3), zero before the start: 00 01 10 01 11 10 00
    assert context_index(bits, order=3).tolist() == [[0, 1, 2, 1, 3, 2, 0]]


def test_bayes_by_hand_without_context():
    """order 1: one context; P(next = 1) = (ones so far + 1/2) / (bits so far + 1)."""
    bits = torch.tensor([[1.0, 1, 0, 1]])
    expected = torch.tensor([[1.5 / 2, 2.5 / 3, 2.5 / 4, 3.5 / 5]])
    assert_close(bayes_optimal_probabilities(bits, order=1), expected)


def slow_bayes(bits, order):
    """Loop reference: counts per context tuple, one bit at a time."""
    out = []
    for row in bits.tolist():
        counts = {}
        padded = [0] * (order - 1) + [int(v) for v in row]
        probabilities = []
        for t in range(len(row)):
            seen = tuple(padded[t : t + order - 1])  # the context of bit t
            n0, n1 = counts.get(seen, (0, 0))
            counts[seen] = (n0 + (padded[t + order - 1] == 0), n1 + (padded[t + order - 1] == 1))
            upcoming = tuple(padded[t + 1 : t + order])  # the context of bit t+1
            n0, n1 = counts.get(upcoming, (0, 0))
            probabilities.append((n1 + 0.5) / (n1 + n0 + 1))
        out.append(probabilities)
    return torch.tensor(out)


@pytest.mark.parametrize("order", [1, 3, 6])
def test_bayes_matches_slow_loop(order):
    batch = NGramsTask(order=order, length=60).sample(3, gen(order))
    assert_close(bayes_optimal_probabilities(batch.inputs, order), slow_bayes(batch.inputs[..., 0], order))
    assert_close(bayes_optimal_probabilities(batch.inputs[..., 0], order), slow_bayes(batch.inputs[..., 0], order))


def test_bayes_cost_and_score():
    batch = NGramsTask().sample(64, gen(3))
    cost = bayes_optimal_bits(batch)
    p = slow_bayes(batch.inputs[..., 0], 6).double()
    y = batch.targets[..., 0].double()
    slow = -((y * p.log2() + (1 - y) * (1 - p).log2()) * batch.mask).sum(-1)
    assert_close(cost, slow.float())
    # well below the 199 bits of always answering 1/2: the tables are learnable
    assert 100 < cost.mean().item() < 160
    q = bayes_optimal_probabilities(batch.inputs)
    logits = (q.log() - (1 - q).log()).unsqueeze(-1)
    result = score(logits, batch)
    assert result["bce_bits"] == pytest.approx(result["bayes_bce_bits"], rel=1e-4)
    assert result["excess_bits"] == pytest.approx(0.0, abs=0.05)
    coin = score(torch.zeros_like(batch.targets), batch)
    assert coin["bce_bits"] == pytest.approx(199.0)
    assert coin["excess_bits"] == pytest.approx(199.0 - cost.mean().item(), rel=1e-4)


def test_determinism_and_private_randomness():
    task = NGramsTask(length=30)
    state = torch.get_rng_state()
    first, second = task.sample(4, gen(9)), task.sample(4, gen(9))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    assert not torch.equal(first.inputs, task.sample(4, gen(10)).inputs)


def test_validation_errors():
    with pytest.raises(ValueError, match="order"):
        NGramsTask(order=0)
    with pytest.raises(ValueError, match="order"):
        NGramsTask(order=17)
    with pytest.raises(ValueError, match="length"):
        NGramsTask(length=1)
    task = NGramsTask()
    with pytest.raises(ValueError, match="batch_size"):
        task.sample(0, gen())
    with pytest.raises(ValueError, match="length"):
        task.sample(2, gen(), length=1)
    with pytest.raises(ValueError, match="tables"):
        task.draw_bits(torch.zeros(2, 16), gen())
    with pytest.raises(ValueError, match="bits must have shape"):
        bayes_optimal_probabilities(torch.zeros(2, 3, 2))


def test_expected_targets_are_the_mean_of_the_drawn_next_bit_given_the_bits_so_far():
    """Draw many short sequences of a 2-gram task; among those that start with the same 3 bits,
    the 4th bit is 1 as often as the expected target after 3 bits says (it is the same for all)."""
    task = NGramsTask(order=2, length=4)
    batch = task.sample(200_000, gen(11))
    expected = task.expected_targets(batch)
    assert expected.shape == batch.targets.shape and expected.dtype == batch.targets.dtype
    assert_close(expected[..., 0], bayes_optimal_probabilities(batch.inputs, order=2))
    prefix = (batch.inputs[:, :3, 0] @ torch.tensor([4.0, 2.0, 1.0])).long()  # (B,): bits 0-2 as a number
    for value in range(8):
        group = prefix == value
        said = expected[group, 2, 0]
        assert torch.all(said == said[0])  # a function of the bits read so far
        drawn = batch.targets[group, 2, 0].mean()
        assert abs(drawn - said[0]) < 0.015, (value, drawn, said[0])


def test_expected_targets_need_a_batch_of_bits():
    with pytest.raises(ValueError, match=r"inputs of shape \(B, T, 1\)"):
        NGramsTask().expected_targets(batch_from_bits(torch.zeros(2, 5))._replace(inputs=torch.zeros(2, 5, 2)))
