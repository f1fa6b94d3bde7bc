"""Priority sort: the exact encoding (by hand and against a slow loop), priorities, determinism,
validation."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, PrioritySortTask


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_registered_and_sizes():
    assert TASKS["priority_sort"] is PrioritySortTask
    task = PrioritySortTask()
    assert (task.bits, task.num_inputs, task.num_outputs) == (8, 20, 16)
    assert (task.input_size, task.output_size) == (10, 8)
    batch = task.sample(3, gen())
    assert batch.inputs.shape == (3, 37, 10) and batch.targets.shape == (3, 37, 8)
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32


def test_encoding_by_hand():
    task = PrioritySortTask(bits=2, num_inputs=4, num_outputs=3)
    batch = task.sample(1, gen(1))
    x = batch.inputs[0, :4, :2].tolist()
    p = batch.inputs[0, :4, 2].tolist()
    assert len(set(p)) == 4
    ranked = sorted(range(4), key=lambda i: -p[i])[:3]  # highest priority first
    z = [0.0, 0.0]
    expected_inputs = [x[i] + [p[i], 0] for i in range(4)] + [z + [0, 1]] + [z + [0, 0]] * 3
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z] * 5 + [x[i] for i in ranked]))
    assert_close(batch.mask[0], torch.tensor([0.0] * 5 + [1] * 3))


def test_matches_slow_reference():
    task = PrioritySortTask()
    batch = task.sample(6, gen(2))
    for b in range(6):
        rows = batch.inputs[b, :20].tolist()
        ranked = sorted(rows, key=lambda row: -row[8])[:16]
        assert_close(batch.targets[b, 21:], torch.tensor([row[:8] for row in ranked]))
        assert_close(batch.targets[b, :21], torch.zeros(21, 8))
    assert_close(batch.inputs[:, 20], torch.tensor([[0.0] * 9 + [1]] * 6))
    assert_close(batch.inputs[:, 21:], torch.zeros(6, 16, 10))
    assert_close(batch.inputs[:, :20, 9], torch.zeros(6, 20))
    assert_close(batch.mask, torch.tensor([[0.0] * 21 + [1] * 16] * 6))


def test_priorities_are_uniform_on_minus_one_one():
    priorities = PrioritySortTask().sample(200, gen(3)).inputs[:, :20, 8]  # 4000 draws
    assert bool(((priorities >= -1) & (priorities < 1)).all())
    assert priorities.mean().item() == pytest.approx(0.0, abs=0.05)
    assert priorities.var().item() == pytest.approx(1 / 3, abs=0.03)
    assert (priorities < -0.5).float().mean().item() == pytest.approx(0.25, abs=0.03)


def test_all_outputs_when_counts_are_equal():
    batch = PrioritySortTask(bits=3, num_inputs=5, num_outputs=5).sample(4, gen(4))
    vectors, priorities = batch.inputs[:, :5, :3], batch.inputs[:, :5, 3]
    order = priorities.argsort(dim=1, descending=True)
    assert_close(batch.targets[:, 6:], vectors.gather(1, order.unsqueeze(-1).expand(-1, -1, 3)))


def test_determinism_and_private_randomness():
    task = PrioritySortTask()
    state = torch.get_rng_state()
    first, second = task.sample(4, gen(5)), task.sample(4, gen(5))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    assert not torch.equal(first.inputs, task.sample(4, gen(6)).inputs)


def test_validation_errors():
    with pytest.raises(ValueError, match="num_outputs"):
        PrioritySortTask(num_inputs=4, num_outputs=5)
    with pytest.raises(ValueError, match="num_inputs"):
        PrioritySortTask(num_inputs=0)
    with pytest.raises(ValueError, match="bits"):
        PrioritySortTask(bits=-1)
    with pytest.raises(ValueError, match="batch_size"):
        PrioritySortTask().sample(0, gen())
