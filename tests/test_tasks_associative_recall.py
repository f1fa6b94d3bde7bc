"""Associative recall: the exact encoding (by hand and against a slow loop), mixed numbers of
items, unambiguous answers, determinism, validation."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import TASKS, AssociativeRecallTask


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_registered_and_sizes():
    assert TASKS["associative_recall"] is AssociativeRecallTask
    task = AssociativeRecallTask()
    assert (task.bits, task.item_length, task.min_items, task.max_items) == (6, 3, 2, 6)
    assert (task.input_size, task.output_size) == (8, 6)


def test_encoding_by_hand():
    """Two items of 2 vectors of 2 bits: the query must be item 0 and the answer item 1."""
    task = AssociativeRecallTask(bits=2, item_length=2)
    batch = task.sample(1, gen(), num_items=2)
    x = batch.inputs[0, :, :2].tolist()
    a, b = [x[1], x[2]], [x[4], x[5]]  # the two items' data steps
    z = [0.0, 0.0]
    expected_inputs = (
        [z + [1, 0], a[0] + [0, 0], a[1] + [0, 0]]  # item 0
        + [z + [1, 0], b[0] + [0, 0], b[1] + [0, 0]]  # item 1
        + [z + [0, 1], a[0] + [0, 0], a[1] + [0, 0], z + [0, 1]]  # query item 0
        + [z + [0, 0]] * 2  # answer steps
    )
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z] * 10 + b))
    assert_close(batch.mask[0], torch.tensor([0.0] * 10 + [1, 1]))
    assert a != b  # the answer is unambiguous


def reference(items, query, steps, bits, K):
    """Slow loop: the encoding of one sequence (items: list of K-lists of bit lists)."""
    inputs = torch.zeros(steps, bits + 2)
    targets = torch.zeros(steps, bits)
    mask = torch.zeros(steps)
    t = 0
    for item in items:
        inputs[t, bits] = 1
        t += 1
        for vector in item:
            inputs[t, :bits] = torch.tensor(vector)
            t += 1
    inputs[t, bits + 1] = 1
    t += 1
    for vector in items[query]:
        inputs[t, :bits] = torch.tensor(vector)
        t += 1
    inputs[t, bits + 1] = 1
    t += 1
    for vector in items[query + 1]:
        targets[t] = torch.tensor(vector)
        mask[t] = 1
        t += 1
    return inputs, targets, mask


def test_mixed_batch_matches_slow_reference():
    bits, K = 3, 2
    task = AssociativeRecallTask(bits=bits, item_length=K, min_items=2, max_items=5)
    batch = task.sample(9, gen(4))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    steps = batch.inputs.shape[1]
    counts = batch.inputs[..., bits].sum(1).long()  # item delimiters
    assert len(set(counts.tolist())) > 1  # really mixed
    assert steps == int(counts.max()) * (K + 1) + 2 * K + 2
    for b in range(9):
        n = int(counts[b])
        x = batch.inputs[b, :, :bits].tolist()
        items = [[x[i * (K + 1) + 1 + k] for k in range(K)] for i in range(n)]
        query_vectors = [x[n * (K + 1) + 1 + k] for k in range(K)]
        query = items.index(query_vectors)
        assert query <= n - 2
        inputs, targets, mask = reference(items, query, steps, bits, K)
        assert_close(batch.inputs[b], inputs)
        assert_close(batch.targets[b], targets)
        assert_close(batch.mask[b], mask)


def test_query_is_unique_even_with_few_possible_items():
    """With 1-bit, 1-vector items only 0 and 1 exist: every other item must differ from the query."""
    task = AssociativeRecallTask(bits=1, item_length=1)
    batch = task.sample(50, gen(1), num_items=5)
    items = batch.inputs[:, 1:10:2, 0]  # (B, 5)
    query = batch.inputs[:, 11, 0]  # (B,)
    matches = (items == query.unsqueeze(1)).sum(1)
    assert bool((matches == 1).all())
    # the answer is the item after the (unique) match
    position = (items == query.unsqueeze(1)).float().argmax(1)
    assert bool((position <= 3).all())
    assert_close(batch.targets[:, 13, 0], items.gather(1, (position + 1).unsqueeze(1)).squeeze(1))


def test_default_ranges_and_forced_count():
    task = AssociativeRecallTask()
    batch = task.sample(200, gen(2))
    counts = batch.inputs[..., 6].sum(1).long()
    assert set(counts.tolist()) == {2, 3, 4, 5, 6}
    assert_close(batch.mask.sum(1), torch.full((200,), 3.0))
    assert_close(batch.inputs[..., 7].sum(1), torch.full((200,), 2.0))  # two query delimiters
    queries = []
    for b in range(200):  # the query position is spread over 0 .. n-2
        n = int(counts[b])
        items = batch.inputs[b, : 4 * n].reshape(n, 4, 8)[:, 1:, :6]
        query = batch.inputs[b, 4 * n + 1 : 4 * n + 4, :6]
        queries.append(int((items == query).flatten(1).all(1).float().argmax()))
    assert set(queries) == {0, 1, 2, 3, 4}
    long = task.sample(3, gen(), num_items=20)
    assert long.inputs.shape == (3, 20 * 4 + 8, 8)
    assert_close(long.mask[:, -3:], torch.ones(3, 3))


def test_determinism_and_private_randomness():
    task = AssociativeRecallTask()
    state = torch.get_rng_state()
    first, second = task.sample(5, gen(7)), task.sample(5, gen(7))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)


def test_validation_errors():
    with pytest.raises(ValueError, match="items"):
        AssociativeRecallTask(min_items=1)
    with pytest.raises(ValueError, match="items"):
        AssociativeRecallTask(min_items=5, max_items=4)
    with pytest.raises(ValueError, match="bits"):
        AssociativeRecallTask(bits=0)
    with pytest.raises(ValueError, match="item_length"):
        AssociativeRecallTask(item_length=0)
    task = AssociativeRecallTask()
    with pytest.raises(ValueError, match="num_items"):
        task.sample(2, gen(), num_items=1)
    with pytest.raises(ValueError, match="batch_size"):
        task.sample(-1, gen())
