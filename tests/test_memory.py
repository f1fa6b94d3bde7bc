r"""Memory (NTM paper, eqs. 2-4): read and erase/add write against loop references, gradcheck,
special cases, and the three memory initialisation schemes."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.memory import MEMORY_INITS, MemoryInit, read, write, write_heads, write_heads_in_order

B, N, M, R = 3, 7, 5, 2


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_weighting(gen, *shape, dtype=torch.float64):
    return torch.softmax(2 * torch.randn(*shape, generator=gen, dtype=dtype), dim=-1)


def random_inputs(seed: int, dtype=torch.float64):
    gen = generator(seed)
    memory = torch.randn(B, N, M, generator=gen, dtype=dtype)
    w = random_weighting(gen, B, N, dtype=dtype)
    erase = torch.rand(B, M, generator=gen, dtype=dtype)
    add = torch.randn(B, M, generator=gen, dtype=dtype)
    return memory, w, erase, add


def loop_read(memory, w):
    """Eq. 2: r_t = sum_i w_t(i) M_t(i), one scalar at a time."""
    batch, slots, width = memory.shape
    out = torch.zeros(batch, width, dtype=memory.dtype)
    for b in range(batch):
        for m in range(width):
            out[b, m] = sum(w[b, i].item() * memory[b, i, m].item() for i in range(slots))
    return out


def loop_write(memory, w, erase, add):
    """Eqs. 3-4: M~(i) = M(i) [1 - w(i) e], then M(i) = M~(i) + w(i) a."""
    batch, slots, width = memory.shape
    out = torch.zeros_like(memory)
    for b in range(batch):
        for i in range(slots):
            for m in range(width):
                erased = memory[b, i, m].item() * (1 - w[b, i].item() * erase[b, m].item())
                out[b, i, m] = erased + w[b, i].item() * add[b, m].item()
    return out


@pytest.mark.parametrize("seed", range(3))
def test_read_matches_loop_reference(seed):
    memory, w, _, _ = random_inputs(seed)
    r = read(memory, w)
    assert r.shape == (B, M)
    assert_close(r, loop_read(memory, w))


@pytest.mark.parametrize("seed", range(3))
def test_write_matches_loop_reference(seed):
    memory, w, erase, add = random_inputs(seed)
    new = write(memory, w, erase, add)
    assert new.shape == (B, N, M)
    assert_close(new, loop_write(memory, w, erase, add))


def test_write_does_not_modify_its_input():
    memory, w, erase, add = random_inputs(0)
    before = memory.clone()
    write(memory, w, erase, add)
    assert torch.equal(memory, before)


def test_read_with_a_one_hot_weighting_returns_that_row():
    memory, _, _, _ = random_inputs(1)
    rows = [0, 6, 3]
    w = torch.zeros(B, N, dtype=torch.float64)
    for b, row in enumerate(rows):
        w[b, row] = 1.0
    assert_close(read(memory, w), torch.stack([memory[b, row] for b, row in enumerate(rows)]))


def test_full_erase_and_add_replaces_exactly_one_row():
    memory, _, _, add = random_inputs(2)
    w = torch.zeros(B, N, dtype=torch.float64)
    w[:, 4] = 1.0
    new = write(memory, w, torch.ones(B, M, dtype=torch.float64), add)
    assert_close(new[:, 4], add)
    others = [i for i in range(N) if i != 4]
    assert_close(new[:, others], memory[:, others], rtol=0, atol=0)


def test_zero_weighting_or_zero_erase_and_add_leave_memory_unchanged():
    memory, w, erase, add = random_inputs(3)
    assert_close(write(memory, torch.zeros(B, N, dtype=torch.float64), erase, add), memory, rtol=0, atol=0)
    zeros = torch.zeros(B, M, dtype=torch.float64)
    assert_close(write(memory, w, zeros, zeros), memory, rtol=0, atol=0)


def test_heads_broadcast_like_a_loop_over_heads():
    """memory (B, 1, N, M) shared by R read heads with weightings (B, R, N), as in the NTM step."""
    memory, _, erase, add = random_inputs(4)
    w = random_weighting(generator(5), B, R, N)
    reads = read(memory.unsqueeze(1), w)
    assert reads.shape == (B, R, M)
    for h in range(R):
        assert_close(reads[:, h], read(memory, w[:, h]))
    memories = torch.stack([memory, 2 * memory], dim=1)  # (B, 2, N, M)
    erases, adds = torch.stack([erase, 1 - erase], dim=1), torch.stack([add, -add], dim=1)
    written = write(memories, w, erases, adds)
    for h in range(R):
        assert_close(written[:, h], write(memories[:, h], w[:, h], erases[:, h], adds[:, h]))


def _leaves(*tensors):
    return tuple(t.detach().clone().requires_grad_(True) for t in tensors)


def test_gradcheck_read():
    memory, w, _, _ = random_inputs(6)
    assert torch.autograd.gradcheck(read, _leaves(memory, w))


def test_gradcheck_write():
    memory, w, erase, add = random_inputs(7)
    assert torch.autograd.gradcheck(write, _leaves(memory, w, erase, add))


def test_zero_memory_gives_finite_values_and_gradients():
    memory = torch.zeros(B, N, M, requires_grad=True)
    w = torch.zeros(B, N)
    w[:, 0] = 1.0
    w.requires_grad_()
    erase, add = torch.ones(B, M, requires_grad=True), torch.zeros(B, M, requires_grad=True)
    out = read(write(memory, w, erase, add), w)
    (out * torch.randn(out.shape, generator=generator(8))).sum().backward()
    for t in (memory, w, erase, add):
        assert torch.isfinite(t.grad).all()


# --- initialisation schemes ---------------------------------------------------------------------


def test_constant_memory_init():
    init = MemoryInit("constant", N, M)
    memory = init(B)
    assert memory.shape == (B, N, M)
    assert_close(memory, torch.full((B, N, M), 1e-6))
    assert list(init.parameters()) == []  # a constant: nothing to train
    assert_close(MemoryInit("constant", N, M, constant_value=0.25)(B), torch.full((B, N, M), 0.25))


def test_learned_memory_init_is_a_trained_parameter_shared_by_the_batch():
    init = MemoryInit("learned", N, M)
    params = list(init.parameters())
    assert len(params) == 1 and params[0].shape == (N, M)
    memory = init(B)
    assert memory.shape == (B, N, M)
    for b in range(1, B):
        assert torch.equal(memory[b], memory[0])
    memory.sum().backward()
    assert_close(params[0].grad, torch.full((N, M), float(B)))


def test_random_memory_init_draws_per_sequence_and_follows_its_generator():
    init = MemoryInit("random", N, M)
    first = init(B, generator(0))
    assert first.shape == (B, N, M)
    assert not torch.equal(first[0], first[1])  # a fresh draw per sequence
    assert torch.equal(first, init(B, generator(0)))
    assert not torch.equal(first, init(B, generator(1)))
    assert 0.3 < init(64, generator(2)).std().item() < 0.7  # N(0, 0.5^2)


def test_unknown_memory_init_is_rejected():
    assert set(MEMORY_INITS) == {"constant", "learned", "random"}
    with pytest.raises(ValueError, match="memory_init must be one of"):
        MemoryInit("zeros", N, M)


@pytest.mark.parametrize("scheme", ["constant", "learned", "random"])
def test_memory_init_follows_the_module_dtype(scheme):
    init = MemoryInit(scheme, N, M).double()
    assert init(B, generator(0)).dtype == torch.float64


# --- several write heads (section 3.2) -----------------------------------------------------------
W = 3


def several_heads(seed: int, dtype=torch.float64):
    gen = generator(seed)
    memory = torch.randn(B, N, M, generator=gen, dtype=dtype)
    w = random_weighting(gen, B, W, N, dtype=dtype)
    erase = torch.rand(B, W, M, generator=gen, dtype=dtype)
    add = torch.randn(B, W, M, generator=gen, dtype=dtype)
    return memory, w, erase, add


def loop_write_heads(memory, w, erase, add):
    """Section 3.2, one scalar at a time: M(i) prod_j (1 - w_j(i) e_j), then + sum_j w_j(i) a_j."""
    batch, slots, width = memory.shape
    out = torch.zeros_like(memory)
    for b in range(batch):
        for i in range(slots):
            for m in range(width):
                keep, added = 1.0, 0.0
                for j in range(w.shape[1]):
                    keep *= 1 - w[b, j, i].item() * erase[b, j, m].item()
                    added += w[b, j, i].item() * add[b, j, m].item()
                out[b, i, m] = memory[b, i, m].item() * keep + added
    return out


@pytest.mark.parametrize("seed", range(3))
def test_write_heads_matches_loop_reference(seed):
    memory, w, erase, add = several_heads(seed)
    assert_close(write_heads(memory, w, erase, add), loop_write_heads(memory, w, erase, add))


def test_write_heads_order_does_not_matter_but_in_order_it_does():
    memory, w, erase, add = several_heads(3)
    order = torch.tensor([2, 0, 1])
    assert_close(write_heads(memory, w, erase, add), write_heads(memory, w[:, order], erase[:, order], add[:, order]))
    in_order = write_heads_in_order(memory, w, erase, add)
    assert not torch.allclose(in_order, write_heads_in_order(memory, w[:, order], erase[:, order], add[:, order]))


def test_one_write_head_is_write_exactly_under_both_rules():
    memory, w, erase, add = random_inputs(4, dtype=torch.float32)
    expected = write(memory, w, erase, add)
    for rule in (write_heads, write_heads_in_order):
        assert torch.equal(rule(memory, w.unsqueeze(1), erase.unsqueeze(1), add.unsqueeze(1)), expected)


def test_write_heads_in_order_is_write_after_write():
    memory, w, erase, add = several_heads(5)
    expected = memory
    for j in range(W):
        expected = write(expected, w[:, j], erase[:, j], add[:, j])
    assert_close(write_heads_in_order(memory, w, erase, add), expected)


def test_a_full_erase_by_any_head_clears_the_row_before_every_addition():
    # Head 0 adds to row 2; head 1 erases row 2 fully. The paper's rule keeps head 0's addition
    # (erasures come first); writing head by head loses it.
    memory = torch.randn(1, N, M, dtype=torch.float64)
    w = torch.zeros(1, 2, N, dtype=torch.float64)
    w[0, :, 2] = 1.0
    erase = torch.stack([torch.zeros(M), torch.ones(M)]).unsqueeze(0).double()
    add = torch.stack([torch.full((M,), 3.0), torch.zeros(M)]).unsqueeze(0).double()
    assert_close(write_heads(memory, w, erase, add)[0, 2], torch.full((M,), 3.0, dtype=torch.float64))
    assert_close(write_heads_in_order(memory, w, erase, add)[0, 2], torch.zeros(M, dtype=torch.float64))
    untouched = [i for i in range(N) if i != 2]
    assert torch.equal(write_heads(memory, w, erase, add)[0, untouched], memory[0, untouched])


def test_gradcheck_write_heads():
    assert torch.autograd.gradcheck(write_heads, _leaves(*several_heads(8)))

