r"""The quiet-output-memory penalty: the vectorised sum against a slow loop, what it charges and
what it does not, and its errors."""

import pytest
import torch

from ntm_lib import NTM, CopyTask, NTMConfig
from ntm_lib.regularisers import output_memory_change


def slow_output_memory_change(memory, mask):
    """sum over t >= 1 with mask_t = 1 of ||M_t - M_{t-1}||_F^2, one sequence and step at a time."""
    batch, steps = mask.shape
    totals = []
    for b in range(batch):
        total = 0.0
        for t in range(1, steps):
            if mask[b, t] == 1:
                total += sum(float(x) ** 2 for x in (memory[b, t] - memory[b, t - 1]).flatten())
        totals.append(total)
    return torch.tensor(totals, dtype=torch.float64)


def test_matches_a_slow_loop():
    g = torch.Generator().manual_seed(3)
    memory = torch.rand(3, 6, 4, 5, generator=g, dtype=torch.float64)
    mask = (torch.rand(3, 6, generator=g) > 0.5).double()
    assert torch.allclose(output_memory_change(memory, mask), slow_output_memory_change(memory, mask))


def test_writes_on_unscored_steps_are_free_and_a_still_memory_costs_nothing():
    memory = torch.zeros(2, 5, 3, 4)
    memory[:, 1] = 1.0  # a change at step 1 (and back at step 2)
    mask = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 1, 0, 0]], dtype=torch.float32)
    penalty = output_memory_change(memory, mask)
    assert penalty[0] == 0  # the changes happen on unscored steps
    assert penalty[1] == 2 * 3 * 4  # both changes are scored: 12 entries change by 1, twice


def test_an_ntm_trace_gives_a_differentiable_penalty():
    torch.manual_seed(0)
    model = NTM(NTMConfig(controller_size=16, num_slots=10, word_size=6))
    batch = CopyTask(max_length=4).sample(2, torch.Generator().manual_seed(0))
    _, _, trace = model(batch.inputs, trace=True)
    penalty = output_memory_change(trace.memory, batch.mask)
    assert penalty.shape == (2,) and (penalty > 0).all()  # an untrained NTM writes while it answers
    penalty.sum().backward()
    assert model.heads.linear.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("memory_shape, mask_shape", [((2, 5, 3), (2, 5)), ((2, 5, 3, 4), (2, 6)), ((2, 5, 3, 4), (5,))])
def test_wrong_shapes_say_what_was_expected(memory_shape, mask_shape):
    with pytest.raises(ValueError, match=r"expected memory \(B, T, N, M\) and mask \(B, T\)"):
        output_memory_change(torch.zeros(memory_shape), torch.zeros(mask_shape))
