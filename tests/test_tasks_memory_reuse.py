"""Memory reuse: the exact encoding (by hand and against a slow loop), mixed series in a batch,
targets that are the inputs they copy, ranges, determinism, validation, scoring."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks import score
from ntm_lib.tasks.memory_reuse import MemoryReuseTask

BITS = 3


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_sizes_and_defaults():
    task = MemoryReuseTask()
    assert task.name == "memory_reuse"
    assert (task.bits, task.min_length, task.max_length, task.min_sequences, task.max_sequences) == (6, 3, 5, 4, 6)
    assert (task.input_size, task.output_size) == (7, 6)
    assert task.min_vectors == 12 > 10, "every default series overflows the paper's 10 slots"
    assert MemoryReuseTask(bits=2).input_size == 3


def test_encoding_by_hand():
    """Two sequences of 2 bits: lengths 2 then 1, so T = 5 + 3 = 8 (the docstring's layout)."""
    task = MemoryReuseTask(bits=2, min_length=1, max_length=2, min_sequences=2, max_sequences=2)
    g = gen(3)
    while True:  # find a draw with lengths (2, 1)
        batch = task.sample(1, g)
        if batch.inputs.shape[1] == 8 and batch.inputs[0, 2, 2] == 1:
            break
    x = batch.inputs[0, :, :2].tolist()
    a0, a1, b0 = x[0], x[1], x[5]
    z = [0.0, 0.0]
    expected_inputs = [a0 + [0], a1 + [0], z + [1], z + [0], z + [0], b0 + [0], z + [1], z + [0]]
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z, z, z, a0, a1, z, z, b0]))
    assert_close(batch.mask[0], torch.tensor([0.0, 0, 0, 1, 1, 0, 0, 1]))


def reference(sequences: list[list[list[float]]], steps: int, bits: int):
    """Slow loop: the encoding of one series (a list of sequences, each a list of bit vectors)."""
    inputs, targets, mask = torch.zeros(steps, bits + 1), torch.zeros(steps, bits), torch.zeros(steps)
    t = 0
    for sequence in sequences:
        for vector in sequence:
            inputs[t, :bits] = torch.tensor(vector)
            t += 1
        inputs[t, bits] = 1
        t += 1
        for vector in sequence:
            targets[t] = torch.tensor(vector)
            mask[t] = 1
            t += 1
    return inputs, targets, mask


def split_series(inputs: torch.Tensor, bits: int) -> list[list[list[float]]]:
    """The sequences of one encoded series, read back from its delimiters."""
    delimiters = (inputs[:, bits] == 1).nonzero().flatten().tolist()
    sequences, start = [], 0
    for d in delimiters:
        L = d - start
        sequences.append(inputs[start:d, :bits].tolist())
        start = d + 1 + L
    return sequences


@pytest.mark.parametrize("seed", range(3))
def test_mixed_batch_matches_slow_reference(seed):
    task = MemoryReuseTask(bits=BITS, min_length=1, max_length=4, min_sequences=1, max_sequences=5)
    batch = task.sample(12, gen(seed))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    B, steps, channels = batch.inputs.shape
    assert (B, channels) == (12, BITS + 1) and batch.targets.shape == (12, steps, BITS) and batch.mask.shape == (12, steps)
    lengths_seen, counts_seen, longest = set(), set(), 0
    for b in range(12):
        sequences = split_series(batch.inputs[b], BITS)
        counts_seen.add(len(sequences))
        lengths_seen.update(len(s) for s in sequences)
        longest = max(longest, sum(2 * len(s) + 1 for s in sequences))
        inputs, targets, mask = reference(sequences, steps, BITS)
        assert_close(batch.inputs[b], inputs)
        assert_close(batch.targets[b], targets)
        assert_close(batch.mask[b], mask)
    assert steps == longest, "padded to the longest series, no further"
    assert len(counts_seen) > 1 and len(lengths_seen) > 1, "a batch mixes series and lengths"


def test_targets_are_the_inputs_they_copy_and_the_mask_scores_only_copies():
    task = MemoryReuseTask()
    batch = task.sample(32, gen(1))
    scored = batch.mask.bool()
    delimiters = batch.inputs[..., 6]
    assert ((batch.inputs[..., 6] == 0) | (batch.inputs[..., 6] == 1)).all()
    assert (batch.inputs[scored] == 0).all(), "inputs are blank while a copy is written"
    assert (batch.targets[~scored] == 0).all(), "targets are zero wherever the mask is"
    for b in range(32):
        sequences = split_series(batch.inputs[b], 6)
        assert batch.mask[b].sum().item() == sum(len(s) for s in sequences)
        assert delimiters[b].sum().item() == len(sequences)
        copied = batch.targets[b][scored[b]].tolist()
        assert copied == [vector for s in sequences for vector in s], "the copies, in order"


def test_ranges_are_covered_and_every_series_overflows_ten_slots():
    task = MemoryReuseTask()
    batch = task.sample(300, gen(2))
    counts = batch.inputs[..., 6].sum(1).long()
    assert set(counts.tolist()) == {4, 5, 6}
    vectors = batch.mask.sum(1)
    assert vectors.min().item() >= 12 and vectors.max().item() <= 30
    lengths = {len(s) for b in range(300) for s in split_series(batch.inputs[b], 6)}
    assert lengths == {3, 4, 5}
    presented = batch.targets[batch.mask.bool()]
    assert 0.45 < presented.mean().item() < 0.55


def test_fixed_overrides_for_longer_series():
    task = MemoryReuseTask()
    batch = task.sample(4, gen(0), num_sequences=20, length=5)
    assert batch.inputs.shape == (4, 20 * 11, 7)
    assert_close(batch.inputs[..., 6].sum(1), torch.full((4,), 20.0))
    assert_close(batch.mask.sum(1), torch.full((4,), 100.0))
    only_count = task.sample(5, gen(0), num_sequences=2)
    assert_close(only_count.inputs[..., 6].sum(1), torch.full((5,), 2.0))
    only_length = task.sample(5, gen(0), length=1)
    assert only_length.mask.sum(1).tolist() == only_length.inputs[..., 6].sum(1).tolist()


def test_determinism_and_private_randomness():
    task = MemoryReuseTask()
    state = torch.get_rng_state()
    first, second = task.sample(5, gen(7)), task.sample(5, gen(7))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    g = gen(7)
    assert not torch.equal(task.sample(5, g).inputs, task.sample(5, g).inputs)


def test_perfect_logits_score_zero_and_blank_ones_score_the_ones():
    batch = MemoryReuseTask().sample(6, gen(4))
    perfect = 10 * (2 * batch.targets - 1)
    assert score(perfect, batch)["bit_errors"] == 0.0
    blank = torch.full_like(batch.targets, -10.0)
    ones = (batch.targets * batch.mask.unsqueeze(-1)).sum((1, 2)).mean().item()
    assert score(blank, batch)["bit_errors"] == pytest.approx(ones)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_length": 0}, r"MemoryReuseTask \(lengths\) needs integers 1 <= min <= max, got min=0, max=5"),
    ({"min_length": 6}, r"got min=6, max=5"),
    ({"min_sequences": 7}, r"MemoryReuseTask \(sequences\) needs integers 1 <= min <= max, got min=7, max=6"),
    ({"max_sequences": 2.5}, r"\(sequences\) needs integers"),
    ({"bits": 0}, r"MemoryReuseTask.bits must be an integer >= 1, got 0"),
])
def test_invalid_tasks_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemoryReuseTask(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_sequences": 0}, r"MemoryReuseTask.sample: num_sequences must be an integer >= 1, got 0"),
    ({"length": -1}, r"MemoryReuseTask.sample: length must be an integer >= 1, got -1"),
    ({"length": 2.0}, r"length must be an integer"),
])
def test_invalid_samples_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemoryReuseTask().sample(2, gen(), **kwargs)
    with pytest.raises(ValueError, match="batch_size"):
        MemoryReuseTask().sample(0, gen())


# --- keep_first: the first sequence is kept to the end --------------------------------------------


def keep_reference(sequences: list[list[list[float]]], steps: int, bits: int):
    """Slow loop: the keep_first encoding of one series (its first sequence is the kept one):
    the kept sequence, a keep marker, the others as ``reference`` encodes them, a recall marker,
    and the kept sequence as targets."""
    inputs, targets, mask = torch.zeros(steps, bits + 2), torch.zeros(steps, bits), torch.zeros(steps)
    kept, others = sequences[0], sequences[1:]
    L = len(kept)
    inputs[:L, :bits] = torch.tensor(kept)
    inputs[L, bits + 1] = 1  # keep marker
    start, middle = L + 1, sum(2 * len(s) + 1 for s in others)
    end = start + middle
    inputs[start:end, : bits + 1], targets[start:end], mask[start:end] = reference(others, middle, bits)
    inputs[end, bits + 1] = 1  # recall marker
    targets[end + 1 : end + 1 + L] = torch.tensor(kept)
    mask[end + 1 : end + 1 + L] = 1
    return inputs, targets, mask


def split_kept_series(inputs: torch.Tensor, bits: int) -> list[list[list[float]]]:
    """The sequences of one keep_first series, the kept one first, read back from the markers."""
    keep = (inputs[:, bits + 1] == 1).nonzero().flatten().tolist()[0]
    return [inputs[:keep, :bits].tolist()] + split_series(inputs[keep + 1:, : bits + 1], bits)


def test_keep_first_encoding_by_hand():
    """The docstring's picture: kept k (2 vectors), then b (2 vectors); T = 11."""
    task = MemoryReuseTask(bits=2, min_length=2, max_length=2, min_sequences=2, max_sequences=2, keep_first=True)
    assert task.input_size == 4 and task.output_size == 2
    batch = task.sample(1, gen(5))
    x = batch.inputs[0, :, :2].tolist()
    k0, k1, b0, b1 = x[0], x[1], x[3], x[4]
    z = [0.0, 0.0]
    expected_inputs = [k0 + [0, 0], k1 + [0, 0], z + [0, 1], b0 + [0, 0], b1 + [0, 0], z + [1, 0],
                       z + [0, 0], z + [0, 0], z + [0, 1], z + [0, 0], z + [0, 0]]
    assert_close(batch.inputs[0], torch.tensor(expected_inputs))
    assert_close(batch.targets[0], torch.tensor([z, z, z, z, z, z, b0, b1, z, k0, k1]))
    assert_close(batch.mask[0], torch.tensor([0.0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1]))


@pytest.mark.parametrize("seed", range(3))
def test_keep_first_mixed_batch_matches_slow_reference(seed):
    task = MemoryReuseTask(bits=BITS, min_length=1, max_length=4, min_sequences=2, max_sequences=5, keep_first=True)
    batch = task.sample(12, gen(seed))
    B, steps, channels = batch.inputs.shape
    assert (B, channels) == (12, BITS + 2)
    longest = 0
    for b in range(12):
        sequences = split_kept_series(batch.inputs[b], BITS)
        longest = max(longest, sum(2 * len(s) + 1 for s in sequences) + 1)
        inputs, targets, mask = keep_reference(sequences, steps, BITS)
        assert_close(batch.inputs[b], inputs)
        assert_close(batch.targets[b], targets)
        assert_close(batch.mask[b], mask)
        assert batch.inputs[b, :, BITS + 1].sum().item() == 2, "one keep and one recall marker"
    assert steps == longest, "padded to the longest series, no further"


def test_keep_first_default_series_overflow_ten_slots_but_never_need_more():
    """The kept sequence and the one being copied fit in 10 slots (at most 5 + 5 vectors), the
    whole series never does (at least 12 vectors)."""
    task = MemoryReuseTask(keep_first=True)
    batch = task.sample(300, gen(2))
    assert batch.mask.sum(1).min().item() >= 12
    for b in range(300):
        sequences = split_kept_series(batch.inputs[b], 6)
        assert 4 <= len(sequences) <= 6
        assert len(sequences[0]) + max(len(s) for s in sequences[1:]) <= 10


def test_keep_first_rejects_series_without_a_sequence_to_reuse():
    with pytest.raises(ValueError, match="keep_first needs min_sequences >= 2"):
        MemoryReuseTask(min_sequences=1, keep_first=True)
    with pytest.raises(ValueError, match="keep_first must be True or False"):
        MemoryReuseTask(keep_first=1)
    with pytest.raises(ValueError, match="with keep_first, num_sequences must be >= 2"):
        MemoryReuseTask(keep_first=True).sample(2, gen(), num_sequences=1)
