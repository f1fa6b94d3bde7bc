r"""The fused NTM step (``ntm_lib.fused``, ``csrc/ntm_step.cpp``) against the tensor operations it
replaces: the same weightings, reads and new memory, the same gradients (float64 ``gradcheck`` and a
comparison with autograd of ``addressing``/``memory``), the same NTM outputs and parameter gradients,
the same sweep step; and it stays out of the way where it does not apply. Building the extension
takes about 25 s the first time on a machine (then torch's cache has it)."""

import json
import os
import shutil
from dataclasses import replace

import pytest
import torch

from ntm_lib import NTM, CopyTask, NTMConfig, addressing, fused
from ntm_lib import memory as memory_ops
from ntm_lib.__main__ import main
from ntm_lib.interventions import NoWritesAfter
from ntm_lib.sweep import Sweep, SweepRun
from ntm_lib.training import TrainConfig


def toolchain_missing() -> bool:
    """No C++ compiler or no ninja: the one reason the extension may be absent."""
    from torch.utils.cpp_extension import is_ninja_available

    return shutil.which(os.environ.get("CXX", "c++")) is None or not is_ninja_available()


@pytest.fixture(scope="module")
def extension():
    try:
        return fused.load()
    except fused.FusedStepUnavailable as exc:
        if toolchain_missing():  # no compiler here: say so rather than pass silently
            pytest.skip(str(exc))
        raise  # a compiler that fails on csrc/ntm_step.cpp is a bug


@pytest.fixture
def fused_on(extension):
    with fused.fused_step(True):
        yield


def reference_step(memory, w_prev, key, beta, g, s, gamma, erase, add):
    """What NTM.step computes without the fused step (one write head, the last of the heads)."""
    reads_count = key.shape[1] - 1
    weights, _ = addressing.address(memory.unsqueeze(1), w_prev, key, beta, g, s, gamma)
    reads = memory_ops.read(memory.unsqueeze(1), weights[:, :reads_count])
    return weights, reads, memory_ops.write(memory, weights[:, reads_count], erase, add)


def fused_step(extension, memory, w_prev, key, beta, g, s, gamma, erase, add):
    weights, reads, new_memory_t = extension.step(memory.transpose(1, 2), w_prev, key, beta, g, s, gamma,
                                                  erase, add, addressing.EPS)
    return weights, reads, new_memory_t.transpose(1, 2)


def step_inputs(batch=3, read_heads=1, slots=7, word=5, shift_size=3, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    heads = read_heads + 1
    rand = lambda *shape: torch.rand(*shape, generator=gen, dtype=dtype)  # noqa: E731
    randn = lambda *shape: torch.randn(*shape, generator=gen, dtype=dtype)  # noqa: E731
    inputs = [
        randn(batch, slots, word),  # memory
        torch.softmax(randn(batch, heads, slots), -1),  # w_prev
        torch.tanh(randn(batch, heads, word)),  # key
        rand(batch, heads) * 5,  # beta
        rand(batch, heads),  # g
        torch.softmax(randn(batch, heads, shift_size), -1),  # s
        1 + rand(batch, heads) * 3,  # gamma
        rand(batch, word),  # erase
        torch.tanh(randn(batch, word)),  # add
    ]
    return [x.requires_grad_() for x in inputs]


@pytest.mark.parametrize("read_heads", [0, 1, 2])
def test_values_and_gradients_match_the_tensor_operations(extension, read_heads):
    inputs = step_inputs(read_heads=read_heads)
    expected = reference_step(*inputs)
    got = fused_step(extension, *inputs)
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, rtol=1e-12, atol=1e-12)
    upstream = [torch.randn_like(e) for e in expected]
    grads_expected = torch.autograd.grad(expected, inputs, upstream)
    grads_got = torch.autograd.grad(got, inputs, upstream)
    for name, e, g in zip(("memory", "w_prev", "key", "beta", "g", "s", "gamma", "erase", "add"),
                          grads_expected, grads_got):
        torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-12, msg=f"gradient of {name}")


@pytest.mark.parametrize("used", [(0, 1, 2), (0,), (1,), (2,)])
def test_gradcheck_float64(extension, used):
    """Every output, and each alone (the others' gradients arrive undefined)."""
    inputs = step_inputs(batch=2, slots=6, word=4)

    def outputs(*xs):
        out = fused_step(extension, *xs)
        return tuple(out[i] for i in used)

    assert torch.autograd.gradcheck(outputs, inputs)


def test_no_double_backward(extension):
    inputs = step_inputs(batch=2)
    weights, reads, new_memory = fused_step(extension, *inputs)
    with pytest.raises(RuntimeError, match="no double backward"):
        torch.autograd.grad(reads.sum() + new_memory.sum(), inputs[0], create_graph=True)


def test_shift_wraps_around_with_wider_shifts(extension):
    """Shifts of radius 2 on 5 slots: every offset wraps."""
    inputs = step_inputs(slots=5, shift_size=5)
    for e, g in zip(reference_step(*inputs), fused_step(extension, *inputs)):
        torch.testing.assert_close(g, e, rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda *xs: fused_step(extension, *xs), step_inputs(batch=2, slots=5, shift_size=5))


def test_weightings_are_distributions_and_erase_stays_in_range(extension):
    inputs = [x.detach().float() for x in step_inputs(batch=4, slots=16, word=6)]
    weights, _, new_memory = fused_step(extension, *inputs)
    torch.testing.assert_close(weights.sum(-1), torch.ones(4, 2))
    assert (weights >= 0).all()
    # a full erase under a one-hot write weighting with zero add empties exactly that slot
    memory, w_prev, key, beta, g, s, gamma, erase, add = inputs
    gamma = torch.full_like(gamma, 50.0)
    w_prev = torch.zeros_like(w_prev)
    w_prev[:, :, 3] = 1.0
    g, s = torch.zeros_like(g), torch.zeros_like(s)
    s[:, :, 1] = 1.0  # no shift: the write weighting stays on slot 3
    weights, _, new_memory = fused_step(extension, memory, w_prev, key, beta, g, s, gamma,
                                        torch.ones_like(erase), torch.zeros_like(add))
    assert weights[:, 1].argmax(-1).eq(3).all()
    assert new_memory[:, 3].abs().max() < 1e-5
    torch.testing.assert_close(new_memory[:, :3], memory[:, :3], atol=1e-5, rtol=1e-5)


def copy_model(controller="feedforward", **changes):
    torch.manual_seed(0)
    return NTM(NTMConfig(controller=controller, controller_size=24, num_slots=12, word_size=6, **changes))


@pytest.mark.parametrize("controller", ["feedforward", "lstm"])
def test_ntm_outputs_and_gradients_match(extension, controller):
    model = copy_model(controller)
    batch = CopyTask(min_length=3, max_length=6).sample(5, torch.Generator().manual_seed(1))

    def run():
        model.zero_grad()
        logits, state = model(batch.inputs)
        (logits.sigmoid() * torch.linspace(-1, 1, logits.shape[-1])).sum().backward()
        return logits.detach(), state, {n: p.grad.clone() for n, p in model.named_parameters()}

    logits, state, grads = run()
    with fused.fused_step(True):
        logits_f, state_f, grads_f = run()
    torch.testing.assert_close(logits_f, logits, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(state_f.memory, state.memory, rtol=1e-4, atol=1e-5)
    assert state_f.memory.shape == state.memory.shape  # the same (B, N, M), word-major underneath
    for name in grads:
        torch.testing.assert_close(grads_f[name], grads[name], rtol=1e-3, atol=1e-5, msg=name)


def test_does_not_apply_where_it_cannot(fused_on):
    """Two write heads, a trace, an intervention: the tensor operations, exactly as with it off."""
    batch = CopyTask(min_length=2, max_length=4).sample(3, torch.Generator().manual_seed(2))
    two_writers = copy_model(num_write_heads=2)
    assert not fused.applies(2, torch.zeros(1, 2, 2))
    with fused.fused_step(False):
        expected = two_writers(batch.inputs)[0]
        traced = copy_model()(batch.inputs, trace=True)[0]
        intervened = copy_model()(batch.inputs, intervention=NoWritesAfter(2))[0]
    assert torch.equal(two_writers(batch.inputs)[0], expected)
    assert torch.equal(copy_model()(batch.inputs, trace=True)[0], traced)
    assert torch.equal(copy_model()(batch.inputs, intervention=NoWritesAfter(2))[0], intervened)
    assert not fused.applies(1, torch.zeros(1, 2, 2, dtype=torch.float16))


def test_step_of_picks_the_fused_step_for_an_ntm_only(fused_on):
    from ntm_lib.dnc import DNC, DNCConfig

    ntm = copy_model()
    assert fused.step_of(ntm) != ntm.step
    dnc = DNC(DNCConfig(controller_size=8, num_slots=5, word_size=4))
    assert fused.step_of(dnc) == dnc.step
    with fused.fused_step(False):
        assert fused.step_of(ntm) == ntm.step
    # NTM.step itself stays the tensor operations: the memory it returns has the usual layout
    state = ntm.initial_state(2)
    _, after = ntm.step(torch.zeros(2, 9), state)
    assert after.memory.is_contiguous()
    _, fused_after = fused.ntm_step(ntm, torch.zeros(2, 9), state)
    assert not fused_after.memory.is_contiguous()
    torch.testing.assert_close(fused_after.memory, after.memory)


def test_switch_travels_in_the_environment(extension):
    before = os.environ.get(fused.ENV_VAR)
    with fused.fused_step(True):
        assert fused.fused_step_enabled() and os.environ[fused.ENV_VAR] == "1"
        with fused.fused_step(False):
            assert not fused.fused_step_enabled() and os.environ[fused.ENV_VAR] == "0"
        assert fused.fused_step_enabled()
    assert os.environ.get(fused.ENV_VAR) == before


def test_sweep_step_matches(extension):
    config = NTMConfig(controller_size=11, num_slots=7, word_size=5)
    train = TrainConfig(batch_size=3, validation_size=6, validate_every=3, max_sequences=9)
    runs = [SweepRun(f"seed-{s}", config, replace(train, seed=s)) for s in range(2)]
    task = CopyTask(min_length=1, max_length=4)
    results = []
    for on in (False, True):
        with fused.fused_step(on):
            sweep = Sweep("ntm", task, runs, progress=False)
            for _ in range(3):
                sweep._train_step([0, 1])
            results.append({n: t.detach().clone() for n, t in sweep.tensors.items()})
    for name in results[0]:
        torch.testing.assert_close(results[1][name], results[0][name], rtol=1e-4, atol=1e-5, msg=name)


def test_a_missing_compiler_is_a_clear_error(monkeypatch, capsys, tmp_path):
    def fail(*args, **kwargs):
        raise RuntimeError("Ninja is required to load C++ extensions")

    monkeypatch.setattr(fused, "_extension", None)
    monkeypatch.setattr("torch.utils.cpp_extension.load", fail)
    monkeypatch.setattr(fused, "_enabled", False)
    monkeypatch.setenv(fused.ENV_VAR, "0")
    with pytest.raises(fused.FusedStepUnavailable, match="C\\+\\+ compiler .* and ninja"):
        fused.use_fused_step()
    assert not fused.fused_step_enabled()
    assert main(["train", "--task", "copy", "--out", str(tmp_path / "run"), "--max-sequences", "16",
                 "--no-progress", "--fused"]) == 2
    assert "error: --fused:" in capsys.readouterr().err


def test_cli_train_with_fused(extension, tmp_path, capsys):
    with fused.fused_step(False):  # main turns it on for the process; the block turns it back
        assert main(["train", "--task", "copy", "--out", str(tmp_path / "run"), "--max-sequences", "32",
                     "--no-progress", "--fused"]) == 0
        assert fused.fused_step_enabled()
    assert not fused.fused_step_enabled()
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["fused_step"] is True and summary["sequences"] == 32


def test_benchmark_runs_both_sides_with_the_fused_step(extension):
    from ntm_lib.sweep import benchmark

    report = benchmark("copy", "ntm", seeds=2, max_sequences=32, fused_step=True)
    assert report["fused_step"] is True and report["sequences"] == report["sequences_sweep"] == 64
    assert report["largest_val_bce_difference"] < 1e-2  # two batches: rounding has not grown yet
    assert not fused.fused_step_enabled()  # as it was before
