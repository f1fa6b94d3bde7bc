r"""Addressing (NTM paper, eqs. 5-9): properties, slow loop references, gradchecks, extremes.

Sizes are small and pairwise distinct (B=3, N=7, M=5, H=2) so that a swapped axis fails loudly.
The loop references are written straight from the paper's equations, one scalar at a time.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from ntm_lib.addressing import (
    EPS,
    address,
    content_weighting,
    cosine_similarity,
    interpolate,
    sharpen,
    shift,
    shift_offsets,
)

B, N, M, H = 3, 7, 5, 2

# Property tests: few examples each (the suite must stay fast), derandomized so CI is stable.
PROPERTY = settings(max_examples=30, derandomize=True)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_weighting(gen, *shape, sharpness: float = 2.0, dtype=torch.float64) -> torch.Tensor:
    """A random distribution over the last axis, strictly positive."""
    return torch.softmax(sharpness * torch.randn(*shape, generator=gen, dtype=dtype), dim=-1)


def random_memory(gen, *shape, zero_rows: bool = False, dtype=torch.float64) -> torch.Tensor:
    memory = torch.randn(*shape, generator=gen, dtype=dtype)
    if zero_rows:  # some rows exactly zero, as in a freshly erased or zero-initialised memory
        keep = torch.rand(*shape[:-1], 1, generator=gen, dtype=dtype) > 0.4
        memory = memory * keep
    return memory


def assert_distribution(w: torch.Tensor) -> None:
    assert torch.isfinite(w).all(), "weighting has non-finite entries"
    assert (w >= 0).all(), f"weighting has negative entries: min {w.min().item()}"
    assert_close(w.sum(-1), torch.ones(w.shape[:-1], dtype=w.dtype))


# A leading shape: (B,) or (B, H) to exercise the extra (head) dimension.
leading_shapes = st.sampled_from([(1,), (B,), (4,), (B, H), (2, 3)])


# --- every stage returns a distribution ------------------------------------------------------


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), lead=leading_shapes, slots=st.integers(3, 9),
       width=st.integers(1, 6), beta_max=st.sampled_from([0.0, 1.0, 50.0, 1e4]), zero_rows=st.booleans())
def test_content_weighting_is_a_distribution(seed, lead, slots, width, beta_max, zero_rows):
    gen = generator(seed)
    memory = random_memory(gen, *lead, slots, width, zero_rows=zero_rows)
    key = torch.randn(*lead, width, generator=gen, dtype=torch.float64)
    beta = beta_max * torch.rand(*lead, generator=gen, dtype=torch.float64)
    w = content_weighting(memory, key, beta)
    assert w.shape == (*lead, slots)
    assert_distribution(w)


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), lead=leading_shapes, slots=st.integers(3, 9))
def test_interpolate_is_a_distribution(seed, lead, slots):
    gen = generator(seed)
    w_content, w_prev = random_weighting(gen, *lead, slots), random_weighting(gen, *lead, slots)
    g = torch.rand(*lead, generator=gen, dtype=torch.float64)
    w = interpolate(w_content, w_prev, g)
    assert w.shape == (*lead, slots)
    assert_distribution(w)


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), lead=leading_shapes, slots=st.integers(5, 9), radius=st.integers(1, 2))
def test_shift_is_a_distribution(seed, lead, slots, radius):
    gen = generator(seed)
    w = random_weighting(gen, *lead, slots)
    s = random_weighting(gen, *lead, 2 * radius + 1)
    out = shift(w, s)
    assert out.shape == (*lead, slots)
    assert_distribution(out)


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), lead=leading_shapes, slots=st.integers(3, 9),
       gamma_max=st.sampled_from([1.0, 3.0, 50.0, 1e3]), sharpness=st.sampled_from([0.1, 2.0, 30.0]))
def test_sharpen_is_a_distribution(seed, lead, slots, gamma_max, sharpness):
    gen = generator(seed)
    w = random_weighting(gen, *lead, slots, sharpness=sharpness)
    gamma = 1 + (gamma_max - 1) * torch.rand(*lead, generator=gen, dtype=torch.float64)
    out = sharpen(w, gamma)
    assert out.shape == (*lead, slots)
    assert_distribution(out)


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), lead=leading_shapes, slots=st.integers(5, 9),
       width=st.integers(1, 6), radius=st.integers(1, 2), zero_rows=st.booleans())
def test_address_returns_a_distribution_at_every_stage(seed, lead, slots, width, radius, zero_rows):
    gen = generator(seed)
    memory = random_memory(gen, *lead, slots, width, zero_rows=zero_rows)
    w_prev = random_weighting(gen, *lead, slots)
    key = torch.randn(*lead, width, generator=gen, dtype=torch.float64)
    beta = 20 * torch.rand(*lead, generator=gen, dtype=torch.float64)
    g = torch.rand(*lead, generator=gen, dtype=torch.float64)
    s = random_weighting(gen, *lead, 2 * radius + 1)
    gamma = 1 + 10 * torch.rand(*lead, generator=gen, dtype=torch.float64)
    w, stages = address(memory, w_prev, key, beta, g, s, gamma)
    assert len(stages) == 4
    for stage in stages:
        assert stage.shape == (*lead, slots)
        assert_distribution(stage)
    assert_close(w, stages[-1], rtol=0, atol=0)
    # The stages are the four pure functions composed in the paper's order.
    w_content = content_weighting(memory, key, beta)
    w_gated = interpolate(w_content, w_prev, g)
    w_shifted = shift(w_gated, s)
    for stage, expected in zip(stages, (w_content, w_gated, w_shifted, sharpen(w_shifted, gamma))):
        assert_close(stage, expected)


# --- the shift convention ----------------------------------------------------------------------


def one_hot_shift(offset: int, radius: int, lead=(B,), dtype=torch.float64) -> torch.Tensor:
    s = torch.zeros(*lead, 2 * radius + 1, dtype=dtype)
    s[..., offset + radius] = 1.0  # s holds the offsets -S..S in that order
    return s


def test_shift_offsets_are_minus_r_to_r_in_order():
    assert list(shift_offsets(1)) == [0]
    assert list(shift_offsets(3)) == [-1, 0, 1]
    assert list(shift_offsets(5)) == [-2, -1, 0, 1, 2]
    for size in (0, 2, 4):
        with pytest.raises(ValueError, match="odd length"):
            shift_offsets(size)


@pytest.mark.parametrize("radius", [1, 2])
def test_one_hot_shift_equals_roll(radius):
    w = random_weighting(generator(0), B, N)
    for offset in range(-radius, radius + 1):
        expected = torch.roll(w, offset, dims=-1)
        assert_close(shift(w, one_hot_shift(offset, radius)), expected, rtol=0, atol=1e-15)


def test_shift_by_plus_one_moves_the_focus_to_the_next_slot():
    w = torch.zeros(B, N, dtype=torch.float64)
    w[:, 2] = 1.0
    out = shift(w, one_hot_shift(+1, 1))
    assert out.argmax(-1).tolist() == [3] * B
    out = shift(w, one_hot_shift(-1, 1))
    assert out.argmax(-1).tolist() == [1] * B
    assert_close(shift(w, one_hot_shift(0, 1)), w, rtol=0, atol=0)


@pytest.mark.parametrize("radius", [1, 2])
def test_shift_wraps_around(radius):
    last, first = torch.zeros(B, N, dtype=torch.float64), torch.zeros(B, N, dtype=torch.float64)
    last[:, N - 1] = 1.0
    first[:, 0] = 1.0
    for offset in range(1, radius + 1):
        assert shift(last, one_hot_shift(offset, radius)).argmax(-1).tolist() == [offset - 1] * B
        assert shift(first, one_hot_shift(-offset, radius)).argmax(-1).tolist() == [N - offset] * B


def test_shift_uses_each_rows_own_shift_vector():
    """Per-row offsets: row b moves by its own offset (a broadcast or transposed s would not)."""
    w = random_weighting(generator(1), B, N)
    offsets = [-1, 0, 1]
    s = torch.stack([one_hot_shift(o, 1, lead=())[...] for o in offsets])  # (B, 3)
    out = shift(w, s)
    for b, offset in enumerate(offsets):
        assert_close(out[b], torch.roll(w[b], offset, dims=-1))


def test_shift_with_as_many_offsets_as_slots():
    """2S+1 = N: every offset is distinct mod N, still a roll."""
    w = random_weighting(generator(2), B, 5)
    for offset in range(-2, 3):
        assert_close(shift(w, one_hot_shift(offset, 2)), torch.roll(w, offset, dims=-1))


@pytest.mark.parametrize("length", [2, 4])
def test_shift_rejects_an_even_shift_vector(length):
    w = random_weighting(generator(0), B, N)
    s = torch.full((B, length), 1.0 / length, dtype=torch.float64)
    with pytest.raises(ValueError, match="odd length"):
        shift(w, s)


def test_shift_rejects_a_shift_vector_longer_than_memory():
    w = random_weighting(generator(0), B, 3)
    with pytest.raises(ValueError, match="longer than the 3 slots"):
        shift(w, random_weighting(generator(1), B, 5))


# --- special values of the parameters -----------------------------------------------------------


def test_gamma_one_leaves_a_weighting_unchanged():
    for sharpness in (0.5, 3.0, 30.0):
        w = random_weighting(generator(3), B, N, sharpness=sharpness)
        gamma = torch.ones(B, dtype=torch.float64)
        # Only the eps inside the logarithm separates the two: (w + eps) / (1 + N eps).
        assert_close(sharpen(w, gamma), w, rtol=0, atol=10 * N * EPS)


def test_larger_gamma_sharpens():
    w = random_weighting(generator(4), B, N)
    low, high = sharpen(w, torch.full((B,), 2.0, dtype=w.dtype)), sharpen(w, torch.full((B,), 8.0, dtype=w.dtype))
    assert (high.max(-1).values > low.max(-1).values).all()
    assert (low.max(-1).values > w.max(-1).values).all()
    assert torch.equal(high.argmax(-1), w.argmax(-1))


def test_sharpen_does_not_underflow_to_nan():
    """Uniform w with gamma = 1000: every w^gamma underflows (7^-1000), the result is still uniform."""
    for dtype in (torch.float32, torch.float64):
        w = torch.full((B, N), 1.0 / N, dtype=dtype)
        out = sharpen(w, torch.full((B,), 1e3, dtype=dtype))
        assert_close(out, w)


def test_interpolation_gate_extremes():
    gen = generator(5)
    w_content, w_prev = random_weighting(gen, B, N), random_weighting(gen, B, N)
    ones, zeros = torch.ones(B, dtype=torch.float64), torch.zeros(B, dtype=torch.float64)
    assert_close(interpolate(w_content, w_prev, ones), w_content, rtol=0, atol=0)
    assert_close(interpolate(w_content, w_prev, zeros), w_prev, rtol=0, atol=0)
    half = interpolate(w_content, w_prev, torch.full((B,), 0.5, dtype=torch.float64))
    assert_close(half, (w_content + w_prev) / 2)


def test_per_row_gate():
    gen = generator(6)
    w_content, w_prev = random_weighting(gen, B, N), random_weighting(gen, B, N)
    g = torch.tensor([0.0, 1.0, 0.25], dtype=torch.float64)
    out = interpolate(w_content, w_prev, g)
    assert_close(out[0], w_prev[0])
    assert_close(out[1], w_content[1])
    assert_close(out[2], 0.25 * w_content[2] + 0.75 * w_prev[2])


def test_beta_zero_gives_the_uniform_weighting():
    gen = generator(7)
    memory, key = random_memory(gen, B, N, M), torch.randn(B, M, generator=gen, dtype=torch.float64)
    w = content_weighting(memory, key, torch.zeros(B, dtype=torch.float64))
    assert_close(w, torch.full((B, N), 1.0 / N, dtype=torch.float64))


def test_large_beta_focuses_on_the_most_similar_row():
    gen = generator(8)
    memory = random_memory(gen, B, N, M)
    rows = [4, 0, 6]
    key = torch.stack([3.0 * memory[b, r] for b, r in enumerate(rows)])  # same direction as row r
    w = content_weighting(memory, key, torch.full((B,), 1e3, dtype=torch.float64))
    assert w.argmax(-1).tolist() == rows
    assert (w.max(-1).values > 0.99).all()


def test_cosine_similarity_is_scale_invariant_and_bounded():
    gen = generator(9)
    memory, key = random_memory(gen, B, N, M), torch.randn(B, M, generator=gen, dtype=torch.float64)
    k = cosine_similarity(memory, key)
    assert k.shape == (B, N)
    assert (k.abs() <= 1).all()
    assert_close(cosine_similarity(2.5 * memory, 0.1 * key), k, rtol=1e-6, atol=1e-6)
    assert_close(cosine_similarity(memory, memory[:, 3]).select(-1, 3), torch.ones(B, dtype=torch.float64))


# --- a head dimension broadcasts as a loop over heads --------------------------------------------


def test_head_dimension_broadcasts_like_a_loop_over_heads():
    gen = generator(10)
    memory = random_memory(gen, B, 1, N, M)  # (B, 1, N, M): shared by the heads, as in the NTM
    w_prev = random_weighting(gen, B, H, N)
    key = torch.randn(B, H, M, generator=gen, dtype=torch.float64)
    beta = 5 * torch.rand(B, H, generator=gen, dtype=torch.float64)
    g = torch.rand(B, H, generator=gen, dtype=torch.float64)
    s = random_weighting(gen, B, H, 3)
    gamma = 1 + 3 * torch.rand(B, H, generator=gen, dtype=torch.float64)

    w, stages = address(memory, w_prev, key, beta, g, s, gamma)
    assert w.shape == (B, H, N)
    for h in range(H):
        w_h, stages_h = address(memory[:, 0], w_prev[:, h], key[:, h], beta[:, h], g[:, h], s[:, h], gamma[:, h])
        assert_close(w[:, h], w_h)
        for stage, stage_h in zip(stages, stages_h):
            assert_close(stage[:, h], stage_h)

    # Each function on its own, with a per-head memory as well as a shared one.
    memory_per_head = random_memory(gen, B, H, N, M)
    wc = content_weighting(memory_per_head, key, beta)
    for h in range(H):
        assert_close(wc[:, h], content_weighting(memory_per_head[:, h], key[:, h], beta[:, h]))
        assert_close(interpolate(wc, w_prev, g)[:, h], interpolate(wc[:, h], w_prev[:, h], g[:, h]))
        assert_close(shift(w_prev, s)[:, h], shift(w_prev[:, h], s[:, h]))
        assert_close(sharpen(w_prev, gamma)[:, h], sharpen(w_prev[:, h], gamma[:, h]))


# --- slow loop references, straight from the paper -----------------------------------------------


def loop_cosine(memory, key):
    """Eq. 6: K[u, v] = u.v / (||u|| ||v||), one batch item and one slot at a time."""
    batch, slots, width = memory.shape
    out = torch.zeros(batch, slots, dtype=memory.dtype)
    for b in range(batch):
        key_norm = math.sqrt(sum(key[b, m].item() ** 2 for m in range(width)))
        for i in range(slots):
            dot = sum(memory[b, i, m].item() * key[b, m].item() for m in range(width))
            row_norm = math.sqrt(sum(memory[b, i, m].item() ** 2 for m in range(width)))
            out[b, i] = dot / (row_norm * key_norm)
    return out


def loop_content_weighting(memory, key, beta):
    """Eq. 5: w(i) = exp(beta K[k, M(i)]) / sum_j exp(beta K[k, M(j)])."""
    similarity = loop_cosine(memory, key)
    batch, slots = similarity.shape
    out = torch.zeros(batch, slots, dtype=memory.dtype)
    for b in range(batch):
        exps = [math.exp(beta[b].item() * similarity[b, j].item()) for j in range(slots)]
        total = sum(exps)
        for i in range(slots):
            out[b, i] = exps[i] / total
    return out


def loop_interpolate(w_content, w_prev, g):
    """Eq. 7: w_g = g w_c + (1 - g) w_{t-1}."""
    batch, slots = w_content.shape
    out = torch.zeros(batch, slots, dtype=w_content.dtype)
    for b in range(batch):
        for i in range(slots):
            out[b, i] = g[b].item() * w_content[b, i].item() + (1 - g[b].item()) * w_prev[b, i].item()
    return out


def loop_shift(w, s):
    """Eq. 8: w~(i) = sum_j w(j) s(i - j), indices mod N; s[k] is the weight of offset k - R."""
    batch, slots = w.shape
    radius = s.shape[-1] // 2
    out = torch.zeros(batch, slots, dtype=w.dtype)
    for b in range(batch):
        s_mod = [0.0] * slots  # the shift weighting as a function of (offset mod N)
        for k in range(s.shape[-1]):
            s_mod[(k - radius) % slots] += s[b, k].item()
        for i in range(slots):
            out[b, i] = sum(w[b, j].item() * s_mod[(i - j) % slots] for j in range(slots))
    return out


def loop_sharpen(w, gamma):
    """Eq. 9: w(i) = w~(i)^gamma / sum_j w~(j)^gamma."""
    batch, slots = w.shape
    out = torch.zeros(batch, slots, dtype=w.dtype)
    for b in range(batch):
        powers = [w[b, j].item() ** gamma[b].item() for j in range(slots)]
        total = sum(powers)
        for i in range(slots):
            out[b, i] = powers[i] / total
    return out


@pytest.mark.parametrize("seed", range(3))
def test_cosine_similarity_matches_loop_reference(seed):
    gen = generator(seed)
    memory, key = random_memory(gen, B, N, M), torch.randn(B, M, generator=gen, dtype=torch.float64)
    assert_close(cosine_similarity(memory, key), loop_cosine(memory, key), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_content_weighting_matches_loop_reference(seed):
    gen = generator(seed)
    memory, key = random_memory(gen, B, N, M), torch.randn(B, M, generator=gen, dtype=torch.float64)
    beta = torch.tensor([0.0, 1.5, 20.0], dtype=torch.float64)
    assert_close(content_weighting(memory, key, beta), loop_content_weighting(memory, key, beta),
                 rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_interpolate_matches_loop_reference(seed):
    gen = generator(seed)
    w_content, w_prev = random_weighting(gen, B, N), random_weighting(gen, B, N)
    g = torch.rand(B, generator=gen, dtype=torch.float64)
    assert_close(interpolate(w_content, w_prev, g), loop_interpolate(w_content, w_prev, g))


@pytest.mark.parametrize("radius", [1, 2, 3])
@pytest.mark.parametrize("seed", range(2))
def test_shift_matches_loop_reference(seed, radius):
    gen = generator(seed)
    w, s = random_weighting(gen, B, N), random_weighting(gen, B, 2 * radius + 1)
    assert_close(shift(w, s), loop_shift(w, s))


@pytest.mark.parametrize("seed", range(3))
def test_sharpen_matches_loop_reference(seed):
    gen = generator(seed)
    w = random_weighting(gen, B, N, sharpness=1.0)
    gamma = torch.tensor([1.0, 2.5, 7.0], dtype=torch.float64)
    # The library computes softmax(gamma log(w + eps)): equal up to a relative gamma * eps / w.
    assert_close(sharpen(w, gamma), loop_sharpen(w, gamma), rtol=1e-5, atol=1e-8)


# --- gradcheck in float64 ------------------------------------------------------------------------

GB, GN, GM = 2, 5, 3  # gradcheck sizes: small, distinct


def _leaf(x):
    return x.detach().clone().requires_grad_(True)


def test_gradcheck_content_weighting():
    gen = generator(11)
    memory = _leaf(random_memory(gen, GB, GN, GM))
    key = _leaf(torch.randn(GB, GM, generator=gen, dtype=torch.float64))
    beta = _leaf(1 + 3 * torch.rand(GB, generator=gen, dtype=torch.float64))
    assert torch.autograd.gradcheck(content_weighting, (memory, key, beta))


def test_gradcheck_interpolate():
    gen = generator(12)
    w_content, w_prev = _leaf(random_weighting(gen, GB, GN)), _leaf(random_weighting(gen, GB, GN))
    g = _leaf(torch.rand(GB, generator=gen, dtype=torch.float64))
    assert torch.autograd.gradcheck(interpolate, (w_content, w_prev, g))


@pytest.mark.parametrize("radius", [1, 2])
def test_gradcheck_shift(radius):
    gen = generator(13)
    w, s = _leaf(random_weighting(gen, GB, GN)), _leaf(random_weighting(gen, GB, 2 * radius + 1))
    assert torch.autograd.gradcheck(shift, (w, s))


def test_gradcheck_sharpen():
    gen = generator(14)
    w = _leaf(random_weighting(gen, GB, GN, sharpness=1.0))  # positive weights
    gamma = _leaf(1 + 3 * torch.rand(GB, generator=gen, dtype=torch.float64))
    assert torch.autograd.gradcheck(sharpen, (w, gamma))


def test_gradcheck_address():
    gen = generator(15)
    memory = _leaf(random_memory(gen, GB, GN, GM))
    w_prev = _leaf(random_weighting(gen, GB, GN))
    key = _leaf(torch.randn(GB, GM, generator=gen, dtype=torch.float64))
    beta = _leaf(1 + torch.rand(GB, generator=gen, dtype=torch.float64))
    g = _leaf(torch.rand(GB, generator=gen, dtype=torch.float64))
    s = _leaf(random_weighting(gen, GB, 3))
    gamma = _leaf(1 + torch.rand(GB, generator=gen, dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda *args: address(*args)[0], (memory, w_prev, key, beta, g, s, gamma))


# --- finite values and gradients at the edges (float32, as the model runs) ---------------------


def assert_finite_gradients(*tensors):
    for t in tensors:
        assert t.grad is not None, "no gradient reached an input"
        assert torch.isfinite(t.grad).all(), f"non-finite gradient: {t.grad}"


def backward_through(out: torch.Tensor) -> None:
    """Backward with a random upstream gradient, so a gradient that cancels in sum() still shows."""
    upstream = torch.randn(out.shape, generator=generator(99), dtype=out.dtype)
    (out * upstream).sum().backward()


@pytest.mark.parametrize("beta_value", [0.0, 1.0, 1e4])
def test_content_weighting_on_zero_memory_and_zero_key_is_finite(beta_value):
    for memory_fill, key_fill in [(0.0, 0.0), (0.0, None), (None, 0.0)]:
        gen = generator(16)
        memory = torch.randn(B, N, M, generator=gen) if memory_fill is None else torch.full((B, N, M), memory_fill)
        key = torch.randn(B, M, generator=gen) if key_fill is None else torch.full((B, M), key_fill)
        memory, key = memory.requires_grad_(), key.requires_grad_()
        beta = torch.full((B,), beta_value, requires_grad=True)
        w = content_weighting(memory, key, beta)
        assert_distribution(w)
        # Nothing to tell the rows apart: every slot is equally similar.
        assert_close(w, torch.full((B, N), 1.0 / N))
        backward_through(w)
        assert_finite_gradients(memory, key, beta)


def test_extreme_head_parameters_give_finite_values_and_gradients():
    gen = generator(17)
    memory = torch.randn(B, N, M, generator=gen)
    memory[:, 2] = 0.0  # one all-zero row
    memory.requires_grad_()
    key = torch.randn(B, M, generator=gen).requires_grad_()
    w_prev = torch.zeros(B, N)
    w_prev[:, 0] = 1.0  # a one-hot previous weighting: exact zeros elsewhere
    w_prev.requires_grad_()
    beta = torch.full((B,), 1e4, requires_grad=True)
    g = torch.tensor([0.0, 1.0, 0.5], requires_grad=True)
    s = torch.zeros(B, 3)
    s[:, 2] = 1.0  # one-hot shift
    s.requires_grad_()
    gamma = torch.full((B,), 1e3, requires_grad=True)
    w, stages = address(memory, w_prev, key, beta, g, s, gamma)
    for stage in stages:
        assert_distribution(stage)
    backward_through(w)
    assert_finite_gradients(memory, key, w_prev, beta, g, s, gamma)


@pytest.mark.parametrize("gamma_value", [1.0, 1e3])
def test_sharpen_of_weightings_with_exact_zeros_is_finite(gamma_value):
    w = torch.zeros(B, N)
    w[0, 3] = 1.0  # one-hot
    w[1, :2] = 0.5  # two equal peaks, zeros elsewhere
    w[2] = 1.0 / N  # uniform
    w.requires_grad_()
    gamma = torch.full((B,), gamma_value, requires_grad=True)
    out = sharpen(w, gamma)
    assert_distribution(out)
    assert out[0].argmax().item() == 3
    assert_close(out[1, :2], torch.full((2,), 0.5), rtol=0, atol=1e-5)
    backward_through(out)
    assert_finite_gradients(w, gamma)
