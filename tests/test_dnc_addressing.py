r"""DNC memory management (Graves et al. 2016, Methods) against slow loop references, float64
gradcheck, finite values at the extremes, and the invariants the equations promise.

Sizes: B=3 sequences, N=7 slots, R=2 read heads; pairwise distinct so that a swapped axis fails.
"""

import itertools

import pytest
import torch
from torch.testing import assert_close

from ntm_lib import dnc_addressing as dnc

B, N, R = 3, 7, 2
F64 = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def weighting(g, *shape):
    """Random weightings that sum to at most 1 (a write or read weighting of the DNC)."""
    w = torch.softmax(2 * torch.randn(*shape, N + 1, generator=g, dtype=F64), dim=-1)
    return w[..., :N]  # the dropped entry is the weight given to no slot


def distinct_usage(g):
    """Usages in (0, 1), well apart, so that the sort's order is the same around them."""
    ranks = torch.stack([torch.randperm(N, generator=g) for _ in range(B)]).to(F64)
    return (ranks + 0.5) / N + 0.02 * torch.rand(B, N, generator=g, dtype=F64)


# --- loop references: the equations as written, one number at a time ----------------------------


def loop_retention(f, w_r):
    out = torch.ones(B, N, dtype=F64)
    for b, n, i in itertools.product(range(B), range(N), range(R)):
        out[b, n] *= 1 - f[b, i].item() * w_r[b, i, n].item()
    return out


def loop_usage(u, w_w, psi):
    out = torch.zeros(B, N, dtype=F64)
    for b, n in itertools.product(range(B), range(N)):
        out[b, n] = (u[b, n] + w_w[b, n] - u[b, n] * w_w[b, n]) * psi[b, n]
    return out


def loop_allocation(u):
    out = torch.zeros(B, N, dtype=F64)
    for b in range(B):
        free_list = sorted(range(N), key=lambda n: u[b, n].item())  # phi: ascending usage
        for j, slot in enumerate(free_list):
            product = 1.0
            for i in range(j):
                product *= u[b, free_list[i]].item()
            out[b, slot] = (1 - u[b, slot].item()) * product
    return out


def loop_link(L, p, w):
    out = torch.zeros(B, N, N, dtype=F64)
    for b, i, j in itertools.product(range(B), range(N), range(N)):
        if i != j:
            out[b, i, j] = (1 - w[b, i] - w[b, j]) * L[b, i, j] + w[b, i] * p[b, j]
    return out


def loop_directional(L, w_r):
    forward, backward = torch.zeros(B, R, N, dtype=F64), torch.zeros(B, R, N, dtype=F64)
    for b, r, i in itertools.product(range(B), range(R), range(N)):
        forward[b, r, i] = sum(L[b, i, j] * w_r[b, r, j] for j in range(N))  # L w
        backward[b, r, i] = sum(L[b, j, i] * w_r[b, r, j] for j in range(N))  # L^T w
    return forward, backward


def a_link(seed):
    """A link matrix built by the recurrence from random writes, as a DNC would have it."""
    g = gen(seed)
    L, p = torch.zeros(B, N, N, dtype=F64), torch.zeros(B, N, dtype=F64)
    for _ in range(4):
        w = weighting(g, B)
        L, p = dnc.link(L, p, w), dnc.precedence(p, w)
    return L, p


@pytest.mark.parametrize("seed", range(3))
def test_retention_and_usage_match_loops(seed):
    g = gen(seed)
    f, w_r = torch.rand(B, R, generator=g, dtype=F64), weighting(g, B, R)
    psi = dnc.retention(f, w_r)
    assert_close(psi, loop_retention(f, w_r))
    u, w_w = torch.rand(B, N, generator=g, dtype=F64), weighting(g, B)
    assert_close(dnc.usage(u, w_w, psi), loop_usage(u, w_w, psi))


@pytest.mark.parametrize("seed", range(3))
def test_allocation_matches_loop(seed):
    u = torch.rand(B, N, generator=gen(seed), dtype=F64)
    assert_close(dnc.allocation(u), loop_allocation(u))


@pytest.mark.parametrize("seed", range(3))
def test_link_and_directional_weightings_match_loops(seed):
    g = gen(seed)
    L, p = a_link(seed)
    w = weighting(g, B)
    assert_close(dnc.link(L, p, w), loop_link(L, p, w))
    w_r = weighting(g, B, R)
    for got, expected in zip(dnc.directional_weightings(L, w_r), loop_directional(L, w_r)):
        assert_close(got, expected)


def test_write_weighting_precedence_and_read_weighting_match_their_formulas():
    g = gen(4)
    a, c = weighting(g, B), weighting(g, B)
    g_a, g_w = torch.rand(B, generator=g, dtype=F64), torch.rand(B, generator=g, dtype=F64)
    w = dnc.write_weighting(a, c, g_a, g_w)
    for b in range(B):
        assert_close(w[b], g_w[b] * (g_a[b] * a[b] + (1 - g_a[b]) * c[b]))
    p = weighting(g, B)
    new_p = dnc.precedence(p, w)
    for b in range(B):
        assert_close(new_p[b], (1 - w[b].sum()) * p[b] + w[b])
    back, content, fwd = weighting(g, B, R), weighting(g, B, R), weighting(g, B, R)
    modes = torch.softmax(torch.randn(B, R, 3, generator=g, dtype=F64), -1)
    read = dnc.read_weighting(back, content, fwd, modes)
    for b, r in itertools.product(range(B), range(R)):
        assert_close(read[b, r], modes[b, r, 0] * back[b, r] + modes[b, r, 1] * content[b, r] + modes[b, r, 2] * fwd[b, r])


# --- invariants -------------------------------------------------------------------------------


def test_usage_stays_in_the_unit_interval_over_many_steps():
    g = gen(5)
    u = torch.zeros(B, N, dtype=F64)
    for _ in range(50):
        psi = dnc.retention(torch.rand(B, R, generator=g, dtype=F64), weighting(g, B, R))
        u = dnc.usage(u, weighting(g, B), psi)
        assert ((u >= 0) & (u <= 1)).all()


def test_a_full_write_uses_a_slot_and_a_full_read_with_free_gate_one_frees_it():
    u, one_hot = torch.zeros(1, N, dtype=F64), torch.zeros(1, N, dtype=F64)
    one_hot[0, 3] = 1.0
    keep_all = dnc.retention(torch.zeros(1, R, dtype=F64), torch.zeros(1, R, N, dtype=F64))
    u = dnc.usage(u, one_hot, keep_all)
    assert u[0, 3] == 1 and u[0].sum() == 1
    read_slot_3 = one_hot.unsqueeze(1).expand(1, R, N).clone()
    read_slot_3[:, 1] = 0  # only the first read head read slot 3
    free = dnc.retention(torch.tensor([[1.0, 0.0]], dtype=F64), read_slot_3)
    assert free[0, 3] == 0 and (free[0, [0, 1, 2, 4, 5, 6]] == 1).all()
    assert dnc.usage(u, torch.zeros(1, N, dtype=F64), free)[0, 3] == 0
    kept = dnc.retention(torch.tensor([[0.0, 1.0]], dtype=F64), read_slot_3)  # the other head frees nothing
    assert (kept == 1).all()


@pytest.mark.parametrize("seed", range(3))
def test_allocation_sums_to_at_most_one_and_favours_the_least_used_slot(seed):
    u = torch.rand(B, N, generator=gen(seed), dtype=F64)
    a = dnc.allocation(u)
    assert (a >= 0).all() and (a.sum(-1) <= 1 + 1e-12).all()
    assert (a.argmax(-1) == u.argmin(-1)).all()
    # The sum falls short of 1 by exactly the product of all usages (nothing left to allocate).
    assert_close(a.sum(-1), 1 - u.prod(-1))


def test_allocation_is_one_hot_on_the_only_free_slot():
    u = torch.ones(B, N, dtype=F64)
    u[:, 5] = 0.0
    expected = torch.zeros(B, N, dtype=F64)
    expected[:, 5] = 1.0
    assert_close(dnc.allocation(u), expected)
    assert_close(dnc.allocation(torch.ones(B, N, dtype=F64)), torch.zeros(B, N, dtype=F64))  # memory full


def test_an_allocation_gate_of_one_writes_where_allocation_points():
    g = gen(6)
    a, c = dnc.allocation(torch.rand(B, N, generator=g, dtype=F64)), weighting(g, B)
    ones = torch.ones(B, dtype=F64)
    assert_close(dnc.write_weighting(a, c, ones, ones), a)
    assert_close(dnc.write_weighting(a, c, torch.zeros(B, dtype=F64), ones), c)
    assert (dnc.write_weighting(a, c, ones, torch.zeros(B, dtype=F64)) == 0).all()  # write gate closed


def test_precedence_holds_without_a_write_and_becomes_a_full_write():
    g = gen(7)
    p = weighting(g, B)
    assert_close(dnc.precedence(p, torch.zeros(B, N, dtype=F64)), p)
    full = torch.zeros(B, N, dtype=F64)
    full[:, 2] = 1.0
    assert_close(dnc.precedence(p, full), full)


@pytest.mark.parametrize("seed", range(3))
def test_link_entries_are_in_the_unit_interval_with_a_zero_diagonal_and_sums_at_most_one(seed):
    L, _ = a_link(seed)
    assert ((L >= 0) & (L <= 1)).all()
    assert (torch.diagonal(L, dim1=-2, dim2=-1) == 0).all()
    assert (L.sum(-1) <= 1 + 1e-12).all() and (L.sum(-2) <= 1 + 1e-12).all()


def test_sequential_one_hot_writes_chain_the_slots_in_write_order():
    # Write slots 4, 1, 6 in that order: L[1, 4] = L[6, 1] = 1; reading slot 1, forward goes
    # to 6 (written next) and backward to 4 (written before).
    L, p = torch.zeros(1, N, N, dtype=F64), torch.zeros(1, N, dtype=F64)
    for slot in (4, 1, 6):
        w = torch.zeros(1, N, dtype=F64)
        w[0, slot] = 1.0
        L, p = dnc.link(L, p, w), dnc.precedence(p, w)
    assert L[0, 1, 4] == 1 and L[0, 6, 1] == 1 and L[0].sum() == 2
    read_1 = torch.zeros(1, 1, N, dtype=F64)
    read_1[0, 0, 1] = 1.0
    forward, backward = dnc.directional_weightings(L, read_1)
    assert forward[0, 0].argmax() == 6 and forward[0, 0].max() == 1
    assert backward[0, 0].argmax() == 4 and backward[0, 0].max() == 1


# --- gradients and extremes ------------------------------------------------------------------------


def leaves(*tensors):
    return tuple(t.detach().clone().requires_grad_(True) for t in tensors)


def test_gradcheck_every_function_in_float64():
    g = gen(8)
    f, w_r = torch.rand(B, R, generator=g, dtype=F64), weighting(g, B, R)
    assert torch.autograd.gradcheck(dnc.retention, leaves(f, w_r))
    u, w_w, psi = torch.rand(B, N, generator=g, dtype=F64), weighting(g, B), torch.rand(B, N, generator=g, dtype=F64)
    assert torch.autograd.gradcheck(dnc.usage, leaves(u, w_w, psi))
    assert torch.autograd.gradcheck(dnc.allocation, leaves(distinct_usage(g)))  # distinct: no ties in the sort
    a, c = weighting(g, B), weighting(g, B)
    gates = torch.rand(B, generator=g, dtype=F64), torch.rand(B, generator=g, dtype=F64)
    assert torch.autograd.gradcheck(dnc.write_weighting, leaves(a, c, *gates))
    p = weighting(g, B)
    assert torch.autograd.gradcheck(dnc.precedence, leaves(p, w_w))
    L, p = a_link(9)
    assert torch.autograd.gradcheck(dnc.link, leaves(L, p, w_w))
    assert torch.autograd.gradcheck(dnc.directional_weightings, leaves(L, w_r))
    modes = torch.softmax(torch.randn(B, R, 3, generator=g, dtype=F64), -1)
    assert torch.autograd.gradcheck(dnc.read_weighting, leaves(w_r, weighting(g, B, R), weighting(g, B, R), modes))


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_extreme_usages_give_finite_values_and_gradients(value):
    u = torch.full((B, N), value, dtype=torch.float32, requires_grad=True)
    a = dnc.allocation(u)
    a.sum().backward()
    assert torch.isfinite(a).all() and torch.isfinite(u.grad).all()
    f = torch.full((B, R), value, requires_grad=True)
    w_r = torch.full((B, R, N), value / N, requires_grad=True)
    psi = dnc.retention(f, w_r)
    dnc.usage(u.detach(), torch.full((B, N), value / N), psi).sum().backward()
    assert torch.isfinite(f.grad).all() and torch.isfinite(w_r.grad).all()


# --- Csordás & Schmidhuber (2019): the DNC-MDS functions -------------------------------------


def test_masked_content_weighting_is_the_content_weighting_of_the_masked_key_and_rows_by_loop():
    g = torch.Generator().manual_seed(3)
    memory, key = torch.randn(2, 5, 4, generator=g), torch.randn(2, 4, generator=g)
    mask, strength = torch.rand(2, 4, generator=g), torch.tensor([1.5, 3.0])
    got = dnc.masked_content_weighting(memory, key, strength, mask)
    for b in range(2):
        scores = torch.stack([
            strength[b] * torch.nn.functional.cosine_similarity(memory[b, i] * mask[b], key[b] * mask[b], dim=0, eps=1e-8)
            for i in range(5)])
        torch.testing.assert_close(got[b], torch.softmax(scores, 0), atol=1e-5, rtol=1e-4)


def test_a_mask_that_hides_the_value_channels_finds_the_slot_by_its_key_alone():
    # slot 0: key (1, 0) with a loud value; slot 1: key (0.6, 0.8) with no value
    memory = torch.tensor([[[1.0, 0.0, 5.0, -5.0], [0.6, 0.8, 0.0, 0.0]]])
    key = torch.tensor([[1.0, 0.0, 0.0, 0.0]])  # looking for key (1, 0); the value is unknown
    strength = torch.tensor([10.0])
    plain = dnc.masked_content_weighting(memory, key, strength, torch.ones(1, 4))
    masked = dnc.masked_content_weighting(memory, key, strength, torch.tensor([[1.0, 1.0, 0.0, 0.0]]))
    assert plain[0, 0] < 0.5 and masked[0, 0] > 0.95  # the value pulls the plain look-up to the wrong slot


def test_deallocation_wipes_a_freed_slot_and_keeps_a_retained_one():
    memory = torch.ones(1, 3, 2)
    out = dnc.deallocated(memory, torch.tensor([[1.0, 0.0, 0.25]]))
    assert out[0, :, 0].tolist() == [1.0, 0.0, 0.25]


def test_sharpened_directional_weightings_are_distributions_and_sharper():
    w = torch.tensor([[[0.5, 0.3, 0.1, 0.0]]])  # (B=1, R=1, N=4), sums to 0.9
    s = dnc.sharpened(w, torch.tensor([[3.0]]))
    assert torch.allclose(s.sum(-1), torch.ones(1, 1)) and s[0, 0, 0] > 0.8
    torch.testing.assert_close(dnc.sharpened(w, torch.tensor([[1.0]])), w / w.sum(-1, keepdim=True), atol=1e-5, rtol=1e-4)


def test_the_mds_functions_have_correct_float64_gradients():
    g = torch.Generator().manual_seed(4)
    memory = torch.randn(2, 5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    key = torch.randn(2, 3, dtype=torch.float64, generator=g, requires_grad=True)
    mask = torch.rand(2, 3, dtype=torch.float64, generator=g).requires_grad_()
    strength = torch.tensor([1.2, 2.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(dnc.masked_content_weighting, (memory, key, strength, mask))
    retention = torch.rand(2, 5, dtype=torch.float64, generator=g).requires_grad_()
    assert torch.autograd.gradcheck(dnc.deallocated, (memory, retention))
    w = (torch.rand(2, 1, 5, dtype=torch.float64, generator=g) * 0.2 + 0.01).requires_grad_()
    sharp = torch.tensor([[1.5], [2.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(dnc.sharpened, (w, sharp))
