r"""The copy task's public encoding (exactly as its docstring and issue 2 state it), its sampling,
and the two scores (bit errors and BCE bits per sequence) on hand-made logits."""

import math

import pytest
import torch
from torch.testing import assert_close

from ntm_lib import Batch, CopyTask
from ntm_lib.tasks import bce_bits_per_sequence, bit_errors_per_sequence, score
from ntm_lib.tasks.base import masked_bce

BITS = 8


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def lengths_of(batch: Batch) -> list[int]:
    """Each sequence's length L, read from its delimiter (the one step with channel 8 = 1)."""
    delimiter = batch.inputs[..., BITS]
    assert ((delimiter == 0) | (delimiter == 1)).all()
    assert (delimiter.sum(-1) == 1).all(), "every sequence has exactly one delimiter"
    return delimiter.argmax(-1).tolist()


def assert_copy_encoding(batch: Batch, lengths: list[int]) -> None:
    """The encoding of issue 2, checked one sequence and one step at a time."""
    steps = 2 * max(lengths) + 1
    assert batch.inputs.shape == (len(lengths), steps, BITS + 1)
    assert batch.targets.shape == (len(lengths), steps, BITS)
    assert batch.mask.shape == (len(lengths), steps)
    for x in batch:
        assert x.dtype == torch.float32
        assert ((x == 0) | (x == 1)).all()
    for b, L in enumerate(lengths):
        x, y, mask = batch.inputs[b], batch.targets[b], batch.mask[b]
        assert (x[:L, BITS] == 0).all(), "no delimiter while the bits are presented"
        assert (x[L, :BITS] == 0).all() and x[L, BITS] == 1, "step L is the delimiter"
        assert (x[L + 1 :] == 0).all(), "inputs are all zero after the delimiter (and on padding)"
        assert (y[: L + 1] == 0).all() and (y[2 * L + 1 :] == 0).all(), "targets only at L+1..2L"
        assert torch.equal(y[L + 1 : 2 * L + 1], x[:L, :BITS]), "targets are the presented bits, in order"
        expected_mask = torch.zeros(steps)
        expected_mask[L + 1 : 2 * L + 1] = 1
        assert torch.equal(mask, expected_mask), "mask is 1 exactly on steps L+1..2L"


@pytest.mark.parametrize("length", [1, 3, 6])
def test_fixed_length_encoding(length):
    batch = CopyTask().sample(5, generator(0), length=length)
    assert batch.inputs.shape == (5, 2 * length + 1, 9)
    assert batch.targets.shape == (5, 2 * length + 1, 8)
    assert batch.mask.shape == (5, 2 * length + 1)
    assert lengths_of(batch) == [length] * 5
    assert_copy_encoding(batch, [length] * 5)


def test_the_docstring_example_layout():
    """L = 3: bits at t = 0..2, delimiter at t = 3, targets and mask at t = 4..6."""
    batch = CopyTask().sample(1, generator(1), length=3)
    x = batch.inputs[0]
    assert x[3].tolist() == [0.0] * 8 + [1.0]
    assert (x[4:] == 0).all()
    assert batch.mask[0].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert torch.equal(batch.targets[0, 4:], x[:3, :8])


@pytest.mark.parametrize("seed", range(3))
def test_mixed_lengths_are_padded_with_mask_zero(seed):
    task = CopyTask(min_length=1, max_length=6)
    batch = task.sample(16, generator(seed))
    lengths = lengths_of(batch)
    assert len(set(lengths)) > 1, "a batch of 16 should mix lengths"
    assert all(1 <= L <= 6 for L in lengths)
    assert_copy_encoding(batch, lengths)
    assert batch.mask.sum(-1).tolist() == lengths


def test_lengths_cover_the_range_and_bits_are_fair():
    task = CopyTask(min_length=2, max_length=5)
    batch = task.sample(400, generator(2))
    assert set(lengths_of(batch)) == {2, 3, 4, 5}
    presented = batch.targets[batch.mask.bool()]  # (sum of lengths, 8)
    assert 0.45 < presented.mean().item() < 0.55


def test_other_bit_widths():
    task = CopyTask(bits=3, min_length=2, max_length=2)
    assert (task.input_size, task.output_size) == (4, 3)
    batch = task.sample(2, generator(0))
    assert batch.inputs.shape == (2, 5, 4) and batch.targets.shape == (2, 5, 3)
    assert (batch.inputs[:, 2, 3] == 1).all()
    assert CopyTask().input_size == 9 and CopyTask().output_size == 8


def test_same_seed_same_batches():
    task = CopyTask(min_length=1, max_length=7)
    a, b = generator(5), generator(5)
    for _ in range(3):
        first, second = task.sample(4, a), task.sample(4, b)
        for x, y in zip(first, second):
            assert torch.equal(x, y)
    other = task.sample(4, generator(6))
    assert not torch.equal(other.inputs, task.sample(4, generator(5)).inputs)
    g = generator(5)
    assert not torch.equal(task.sample(4, g).inputs, task.sample(4, g).inputs)


def test_sampling_does_not_touch_the_global_generator():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    CopyTask().sample(3, generator(0))
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_length": 0}, r"CopyTask needs integers 1 <= min <= max, got min=0, max=20"),
    ({"min_length": 5, "max_length": 4}, r"got min=5, max=4"),
    ({"bits": 0}, "CopyTask.bits must be a positive integer, got 0"),
])
def test_invalid_copy_tasks_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CopyTask(**kwargs)


def test_batch_to_moves_every_field():
    batch = CopyTask().sample(2, generator(0), length=2).to("cpu")
    assert isinstance(batch, Batch)
    assert all(x.device.type == "cpu" for x in batch)


# --- scoring -------------------------------------------------------------------------------------


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def hand_made_batch() -> tuple[Batch, torch.Tensor]:
    """Two sequences of 3 steps, 2 bits each, with logits whose scores are worked out by hand."""
    targets = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
                            [[1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]])
    mask = torch.tensor([[1.0, 1.0, 0.0],
                         [1.0, 1.0, 1.0]])
    inputs = torch.zeros(2, 3, 3)
    logits = torch.tensor([[[2.0, 1.0], [-3.0, 4.0], [5.0, 5.0]],  # 1 wrong bit (step 0, bit 1); step 2 masked
                           [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])  # logit 0 means "0": wrong where target 1
    return Batch(inputs, targets, mask), logits


def test_scores_on_hand_made_logits():
    batch, logits = hand_made_batch()
    assert bit_errors_per_sequence(logits, batch).tolist() == [1.0, 4.0]
    # BCE with logits, target y, logit z: y softplus(-z) + (1 - y) softplus(z), in bits.
    first = (softplus(-2.0) + softplus(1.0) + softplus(-3.0) + softplus(-4.0)) / math.log(2)
    second = 6.0  # 3 steps x 2 bits at logit 0: exactly one bit each
    assert_close(bce_bits_per_sequence(logits, batch), torch.tensor([first, second]))
    assert_close(masked_bce(logits, batch), torch.tensor([first, second]) * math.log(2))
    scores = score(logits, batch)
    assert set(scores) == {"bit_errors", "bce_bits"}
    assert scores["bit_errors"] == pytest.approx(2.5)
    assert scores["bce_bits"] == pytest.approx((first + second) / 2, rel=1e-6)


def test_scores_on_a_copy_batch_with_known_answers():
    batch = CopyTask(min_length=1, max_length=5).sample(6, generator(3))
    lengths = torch.tensor(lengths_of(batch), dtype=torch.float32)
    perfect = 10 * (2 * batch.targets - 1)
    # Wrong outputs outside the mask do not count.
    perfect = perfect + 20 * (1 - batch.mask).unsqueeze(-1)
    assert bit_errors_per_sequence(perfect, batch).tolist() == [0.0] * 6
    per_bit = softplus(-10.0) / math.log(2)
    assert_close(bce_bits_per_sequence(10 * (2 * batch.targets - 1), batch), BITS * lengths * per_bit)
    # All logits 0: one bit of cross-entropy per bit, errors where the target is 1.
    zeros = torch.zeros_like(batch.targets)
    assert_close(bce_bits_per_sequence(zeros, batch), BITS * lengths)
    ones_per_sequence = (batch.targets * batch.mask.unsqueeze(-1)).sum((1, 2))
    assert torch.equal(bit_errors_per_sequence(zeros, batch), ones_per_sequence)
    # Flip k bits of the answer in sequence 0: exactly k errors there.
    flipped = perfect.clone()
    L = int(lengths[0])
    flipped[0, L + 1, :3] *= -1
    errors = bit_errors_per_sequence(flipped, batch)
    assert errors[0].item() == 3.0 and errors[1:].sum().item() == 0.0
    # Completely wrong: every presented bit counts.
    assert_close(bit_errors_per_sequence(-perfect, batch), BITS * lengths)


def test_scoring_rejects_mismatched_logits():
    batch, logits = hand_made_batch()
    message = r"logits of shape \(2, 3, 3\) do not match targets \(2, 3, 2\)"
    wrong = torch.zeros(2, 3, 3)
    for fn in (bit_errors_per_sequence, bce_bits_per_sequence, masked_bce, score):
        with pytest.raises(ValueError, match=message):
            fn(wrong, batch)
    with pytest.raises(ValueError, match=r"logits of shape \(2, 3\) do not match"):
        score(logits[:, :, 0], batch)
