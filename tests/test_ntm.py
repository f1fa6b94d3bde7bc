r"""The NTM model and the LSTM baseline: shapes, traced invariants, batch independence, state
across calls, determinism, finite values and gradients, clear errors, and a CUDA comparison.

Sizes: B=3 sequences, T=6 steps, N=7 slots, M=5 word size, C=11 controller units, I=10 inputs,
O=4 outputs; pairwise distinct so that a swapped axis fails loudly.
"""

from dataclasses import replace

import pytest
import torch
from torch.testing import assert_close

from ntm_lib import NTM, LSTMBaseline, LSTMConfig, NTMConfig, NTMState, NTMTrace
from ntm_lib import addressing
from ntm_lib.memory import read, write
from ntm_lib.models import build_model, model_description
from ntm_lib.ntm import head_parameters, state_dict_for_slots

B, T, N, M, C, I, O = 3, 6, 7, 5, 11, 10, 4


def config(**changes) -> NTMConfig:
    base = NTMConfig(input_size=I, output_size=O, controller_size=C, num_slots=N, word_size=M)
    return replace(base, **changes)


def make_ntm(seed: int = 0, **changes) -> NTM:
    torch.manual_seed(seed)
    return NTM(config(**changes))


def make_lstm(seed: int = 0) -> LSTMBaseline:
    torch.manual_seed(seed)
    return LSTMBaseline(LSTMConfig(input_size=I, output_size=O, hidden_size=C, num_layers=2))


def inputs(batch: int = B, steps: int = T, seed: int = 1, dtype=torch.float32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, steps, I, generator=gen, dtype=dtype)


def assert_distribution(w: torch.Tensor) -> None:
    assert torch.isfinite(w).all()
    assert (w >= 0).all()
    assert_close(w.sum(-1), torch.ones(w.shape[:-1], dtype=w.dtype))


CONTROLLERS = ["feedforward", "lstm"]
INITS = ["constant", "learned", "random"]


# --- shapes and the trace ------------------------------------------------------------------------


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_logits_and_state_shapes(controller):
    model = make_ntm(controller=controller, num_read_heads=2, num_write_heads=1)
    logits, state = model(inputs())
    assert logits.shape == (B, T, O)
    assert isinstance(state, NTMState)
    assert state.memory.shape == (B, N, M)
    assert state.reads.shape == (B, 2, M)
    assert state.weights.shape == (B, 3, N)
    if controller == "lstm":
        assert [tuple(x.shape) for x in state.controller] == [(B, C), (B, C)]
    else:
        assert state.controller == ()


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("controller", CONTROLLERS)
@pytest.mark.parametrize("num_read, num_write", [(1, 3), (3, 1)])
def test_traced_run_invariants(num_read, num_write, controller, init):
    batch, steps, out = 2, 6, 8  # distinct from N=7, M=5 and the head counts
    model = make_ntm(controller=controller, memory_init=init, num_read_heads=num_read,
                     num_write_heads=num_write, input_size=I, output_size=out)
    heads = num_read + num_write
    x = inputs(batch, steps)
    torch.manual_seed(5)
    state0 = model.initial_state(batch)
    logits, state, trace = model(x, state0, trace=True)
    assert isinstance(trace, NTMTrace)
    assert logits.shape == (batch, steps, out)
    for name in ("content", "gated", "shifted", "weights"):
        weighting = getattr(trace, name)
        assert weighting.shape == (batch, steps, heads, N), name
        assert_distribution(weighting)
    assert trace.erase.shape == (batch, steps, num_write, M)
    assert trace.add.shape == (batch, steps, num_write, M)
    assert trace.reads.shape == (batch, steps, num_read, M)
    assert trace.memory.shape == (batch, steps, N, M)
    assert ((trace.erase >= 0) & (trace.erase <= 1)).all()
    assert ((trace.add >= -1) & (trace.add <= 1)).all()
    # The last traced step is the returned state; tracing changes nothing.
    assert_close(trace.memory[:, -1], state.memory)
    assert_close(trace.reads[:, -1], state.reads)
    assert_close(trace.weights[:, -1], state.weights)
    untraced, _ = model(x, state0)
    assert_close(untraced, logits)
    # Each step reads M_{t-1} with the read weightings (eq. 2), then writes (eqs. 3-4): every
    # write head's erasure, then every addition (section 3.2), one slot at a time here.
    memory = state0.memory
    for t in range(steps):
        w = trace.weights[:, t]
        assert_close(trace.reads[:, t], read(memory.unsqueeze(1), w[:, :num_read]))
        erased = memory
        for j in range(num_write):
            erased = write(erased, w[:, num_read + j], trace.erase[:, t, j], torch.zeros_like(trace.add[:, t, j]))
        for j in range(num_write):
            erased = erased + w[:, num_read + j].unsqueeze(-1) * trace.add[:, t, j].unsqueeze(-2)
        memory = erased
        assert_close(trace.memory[:, t], memory)


def test_trace_stages_are_the_addressing_pipeline():
    """Re-derive step 0's weightings with ntm_lib.addressing from the head parameters."""
    model = make_ntm(num_read_heads=2, num_write_heads=1)
    x = inputs()
    state0 = model.initial_state(B)
    _, _, trace = model(x, state0, trace=True)
    controller_input = torch.cat([x[:, 0], state0.reads.flatten(1)], dim=-1)
    features, _ = model.controller(controller_input, state0.controller)
    p = model.heads(features)
    w, stages = addressing.address(state0.memory.unsqueeze(1), state0.weights, p.key, p.beta, p.g, p.s, p.gamma)
    for stage, traced in zip(stages, (trace.content, trace.gated, trace.shifted, trace.weights)):
        assert_close(stage, traced[:, 0])
    assert_close(p.erase, trace.erase[:, 0])
    assert_close(p.add, trace.add[:, 0])


# --- batch independence and state ------------------------------------------------------------------


@pytest.mark.parametrize("init", ["constant", "learned"])
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_ntm_sequences_in_a_batch_are_independent(controller, init):
    model = make_ntm(controller=controller, memory_init=init, num_read_heads=2, num_write_heads=2)
    x = inputs()
    logits, state = model(x)
    for b in range(B):
        alone, alone_state = model(x[b : b + 1])
        assert_close(alone, logits[b : b + 1], rtol=1e-5, atol=1e-6)
        assert_close(alone_state.memory, state.memory[b : b + 1], rtol=1e-5, atol=1e-6)
    # Changing one sequence changes nothing in the others.
    x2 = x.clone()
    x2[1] = torch.randn(T, I)
    logits2, _ = model(x2)
    assert_close(logits2[[0, 2]], logits[[0, 2]], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(logits2[1], logits[1])


def test_lstm_baseline_sequences_in_a_batch_are_independent():
    model = make_lstm()
    x = inputs()
    logits, _ = model(x)
    assert logits.shape == (B, T, O)
    for b in range(B):
        assert_close(model(x[b : b + 1])[0], logits[b : b + 1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_ntm_state_carries_across_calls(controller, init):
    model = make_ntm(controller=controller, memory_init=init, num_read_heads=2, num_write_heads=2)
    x = inputs()
    state0 = model.initial_state(B, torch.Generator().manual_seed(3))
    whole, whole_state = model(x, state0)
    first, state = model(x[:, :2], state0)
    second, state = model(x[:, 2:], state)
    assert_close(torch.cat([first, second], dim=1), whole)
    for got, expected in zip(state[:3], whole_state[:3]):
        assert_close(got, expected)


def test_lstm_baseline_state_carries_across_calls():
    model = make_lstm()
    x = inputs()
    whole, _ = model(x)
    first, state = model(x[:, :4])
    second, _ = model(x[:, 4:], state)
    assert_close(torch.cat([first, second], dim=1), whole)


def test_nothing_is_kept_on_the_module_between_calls():
    model = make_ntm(controller="lstm")
    x = inputs()
    first, _ = model(x)
    model(inputs(seed=7))
    again, _ = model(x)
    assert torch.equal(first, again)


# --- determinism -----------------------------------------------------------------------------------


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_same_seed_same_model_and_outputs(controller, init):
    outputs = []
    for _ in range(2):
        model = make_ntm(seed=4, controller=controller, memory_init=init)
        torch.manual_seed(5)  # the random memory init draws from the global generator
        outputs.append((model.state_dict(), model(inputs())[0]))
    (weights_a, logits_a), (weights_b, logits_b) = outputs
    assert weights_a.keys() == weights_b.keys()
    for key in weights_a:
        assert torch.equal(weights_a[key], weights_b[key]), key
    assert torch.equal(logits_a, logits_b)
    other = make_ntm(seed=5, controller=controller, memory_init=init)
    torch.manual_seed(5)
    assert not torch.allclose(other(inputs())[0], logits_a)


# --- finite values and gradients -------------------------------------------------------------------


def assert_finite_backward(model, logits):
    (logits * torch.randn(logits.shape, generator=torch.Generator().manual_seed(9))).sum().backward()
    assert torch.isfinite(logits).all()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, f"no gradient for {name}"
            assert torch.isfinite(p.grad).all(), f"non-finite gradient for {name}"


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_forward_backward_is_finite_for_every_memory_init(controller, init):
    model = make_ntm(controller=controller, memory_init=init, num_read_heads=2, num_write_heads=2)
    logits, _ = model(inputs())
    assert_finite_backward(model, logits)
    if init == "learned":
        assert model.memory_init.initial.grad.abs().sum() > 0  # the learned memory trains


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_zero_inputs_and_zero_memory_are_finite(controller):
    model = make_ntm(controller=controller)
    state = model.initial_state(B)
    state = state._replace(memory=torch.zeros(B, N, M))
    logits, _ = model(torch.zeros(B, T, I), state)
    assert_finite_backward(model, logits)


def test_saturated_head_parameters_are_finite():
    """Scale the head layer so that beta, gamma, g, s, e saturate (beta ~ 1e3, gamma ~ 1e3)."""
    model = make_ntm(num_read_heads=2, num_write_heads=2)
    with torch.no_grad():
        model.heads.linear.weight.mul_(300.0)
        model.heads.linear.bias.mul_(300.0)
    x = 10 * inputs()
    logits, _, trace = model(x, trace=True)
    assert trace.weights.max() > 0.99  # really saturated: one-hot weightings
    for name in ("content", "gated", "shifted", "weights"):
        assert_distribution(getattr(trace, name))
    assert_finite_backward(model, logits)


def test_initial_reads_and_weightings_are_learned():
    model = make_ntm(num_read_heads=2, num_write_heads=1)
    logits, _ = model(inputs())
    logits.sum().backward()
    assert model.initial_reads.grad.abs().sum() > 0
    assert model.initial_weight_logits.grad.abs().sum() > 0
    state = model.initial_state(B)
    assert_distribution(state.weights)
    assert state.weights.shape == (B, 3, N)


def test_gradcheck_whole_ntm_in_float64():
    tiny = NTMConfig(input_size=3, output_size=2, controller_size=4, num_slots=5, word_size=2, controller="lstm")
    torch.manual_seed(0)
    model = NTM(tiny).double()
    x = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: model(x)[0], (x,))


@pytest.mark.parametrize("init", ["constant", "learned", "random"])
def test_ntm_runs_in_float64(init):
    model = make_ntm(memory_init=init).double()
    logits, state = model(inputs(dtype=torch.float64))
    assert logits.dtype == torch.float64
    assert state.memory.dtype == torch.float64


@pytest.mark.parametrize("num_read, num_write", [(0, 1), (1, 0), (0, 2)])
def test_models_without_read_or_write_heads_run(num_read, num_write):
    model = make_ntm(num_read_heads=num_read, num_write_heads=num_write)
    logits, state = model(inputs())
    assert logits.shape == (B, T, O)
    assert state.reads.shape == (B, num_read, M)
    assert_finite_backward(model, logits)


def test_tanh_activation():
    relu, tanh = make_ntm(activation="relu"), make_ntm(activation="tanh")
    assert not torch.allclose(relu(inputs())[0], tanh(inputs())[0])


# --- clear errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [make_ntm, make_lstm], ids=["ntm", "lstm"])
def test_wrong_input_shapes_are_rejected(make):
    model = make()
    name = "NTM" if isinstance(model, NTM) else "LSTMBaseline"
    with pytest.raises(ValueError, match=rf"{name} expects inputs of shape \(batch, time, {I}\), got \({T}, {I}\)"):
        model(torch.zeros(T, I))  # 2-D: no batch axis
    with pytest.raises(ValueError, match=rf"{name} expects inputs of shape \(batch, time, {I}\), got \({B}, {T}, {I + 1}\)"):
        model(torch.zeros(B, T, I + 1))  # wrong feature size
    with pytest.raises(ValueError, match=rf"got \({B}, {T}, {I}, 1\)"):
        model(torch.zeros(B, T, I, 1))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.zeros(B, T, I, dtype=torch.long))
    with pytest.raises(TypeError, match="expects a tensor"):
        model([[0.0] * I])


def test_state_for_another_batch_size_is_rejected():
    model = make_ntm()
    with pytest.raises(ValueError, match=f"state is for batch size 2, inputs have {B}"):
        model(inputs(), model.initial_state(2))


@pytest.mark.parametrize("changes, message", [
    ({"num_slots": 0}, "num_slots must be a positive integer, got 0"),
    ({"word_size": -1}, "word_size must be a positive integer"),
    ({"controller_size": 2.5}, "controller_size must be a positive integer"),
    ({"controller": "gru"}, r"controller must be one of \('feedforward', 'lstm'\), got 'gru'"),
    ({"activation": "sigmoid"}, "activation must be 'relu' or 'tanh'"),
    ({"memory_init": "zeros"}, r"memory_init must be one of \('constant', 'learned', 'random'\), got 'zeros'"),
    ({"shift_radius": 0}, "shift_radius must be a positive integer"),
    ({"shift_radius": 1.5}, "shift_radius must be a positive integer"),  # 2S+1 = 4: an even shift length
    ({"shift_radius": 4}, r"shift_radius 4 needs 2S\+1 <= num_slots \(7\)"),
    ({"num_read_heads": -1}, "num_read_heads must be an integer >= 0"),
    ({"num_read_heads": 0, "num_write_heads": 0}, "at least one head"),
    ({"write_rule": "last"}, r"write_rule must be one of \('paper', 'sequential'\), got 'last'"),
])
def test_invalid_ntm_configs_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        config(**changes)


@pytest.mark.parametrize("init", ["constant", "learned"])
def test_more_slots_change_only_where_the_heads_start(init):
    model = make_ntm(memory_init=init)
    with torch.no_grad():
        model.initial_weight_logits.normal_()
    weights = model.state_dict()
    grown = state_dict_for_slots(weights, N + 5)
    assert {k for k in weights if not torch.equal(weights[k], grown[k])} <= {"initial_weight_logits", "memory_init.initial"}
    assert grown["initial_weight_logits"].shape == (2, N + 5) and grown["memory_init.initial"].shape == (N + 5, M)
    assert torch.equal(grown["initial_weight_logits"][:, :N], weights["initial_weight_logits"])
    # New slots start no more likely than the least likely old slot, and hold slot 0's initial memory.
    start = torch.softmax(grown["initial_weight_logits"], dim=-1)
    assert (start[:, N:].max(dim=1).values <= start[:, :N].min(dim=1).values + 1e-7).all()
    assert torch.equal(grown["memory_init.initial"][N:], weights["memory_init.initial"][:1].expand(5, -1))
    bigger = NTM(config(num_slots=N + 5, memory_init=init))
    bigger.load_state_dict(grown)
    logits, state, trace = bigger(inputs(), trace=True)
    assert torch.isfinite(logits).all()
    assert_distribution(trace.weights)
    back = state_dict_for_slots(grown, N)  # and back: the original weights
    assert all(torch.equal(back[k], weights[k]) for k in weights)
    with pytest.raises(ValueError, match="num_slots must be a positive integer"):
        state_dict_for_slots(weights, 0)


def test_invalid_lstm_config_is_rejected():
    with pytest.raises(ValueError, match="LSTMConfig.hidden_size must be a positive integer, got 0"):
        LSTMConfig(hidden_size=0)


def test_build_model_from_dataclass_or_dict():
    torch.manual_seed(0)
    a = build_model("ntm", config())
    torch.manual_seed(0)
    b = build_model("ntm", model_description(a)["config"])
    assert isinstance(b, NTM) and b.config == a.config
    assert torch.equal(a(inputs())[0], b(inputs())[0])
    lstm = build_model("lstm", {"input_size": I, "output_size": O, "hidden_size": C, "num_layers": 1})
    assert isinstance(lstm, LSTMBaseline)
    assert model_description(lstm) == {"kind": "lstm", "config": {"input_size": I, "output_size": O,
                                                                    "hidden_size": C, "num_layers": 1}}


def test_build_model_errors():
    with pytest.raises(ValueError, match=r"unknown model kind 'gru'; expected one of \['dnc', 'lstm', 'ntm'\]"):
        build_model("gru", {})
    with pytest.raises(ValueError, match=r"unknown NTMConfig fields \['slots'\]"):
        build_model("ntm", {"slots": 7})
    with pytest.raises(TypeError, match="a lstm model needs a LSTMConfig, got NTMConfig"):
        build_model("lstm", config())
    with pytest.raises(ValueError, match="num_slots must be a positive integer"):
        build_model("ntm", {"num_slots": 0})


# --- several write heads: the paper's rule, and models stored before it -----------------------


def test_the_ntm_writes_with_its_configured_rule():
    from ntm_lib.memory import write_heads, write_heads_in_order
    for rule, function in (("paper", write_heads), ("sequential", write_heads_in_order)):
        model = make_ntm(num_read_heads=1, num_write_heads=2, write_rule=rule)
        state = model.initial_state(B)
        x = inputs()[:, 0]
        _, new_state = model.step(x, state)
        p = model.heads(model.controller(torch.cat([x, state.reads.flatten(1)], -1), state.controller)[0])
        expected = function(state.memory, new_state.weights[:, 1:], p.erase, p.add)
        assert_close(new_state.memory, expected)
    paper, in_order = make_ntm(num_write_heads=2), make_ntm(num_write_heads=2, write_rule="sequential")
    assert not torch.allclose(paper(inputs())[0], in_order(inputs())[0])  # same weights, other memory


def test_a_config_stored_before_write_rule_existed_keeps_its_rule():
    from ntm_lib.ntm import config_from_dict
    stored = {k: v for k, v in model_description(make_ntm(num_write_heads=2))["config"].items() if k != "write_rule"}
    assert config_from_dict(NTMConfig, stored).write_rule == "sequential"
    assert config_from_dict(NTMConfig, {**stored, "num_write_heads": 1}).write_rule == "paper"  # the same rule
    assert config_from_dict(NTMConfig, {**stored, "write_rule": "paper"}).write_rule == "paper"


def test_a_checkpoint_stored_before_write_rule_existed_loads_and_resumes(tmp_path):
    from ntm_lib.checkpoints import load_checkpoint, load_into, read_checkpoint, save_checkpoint
    model = make_ntm(num_write_heads=2, write_rule="sequential")
    path = save_checkpoint(tmp_path / "old.pt", model)
    payload = torch.load(path, weights_only=True)
    del payload["model"]["config"]["write_rule"]  # as written before the field existed
    torch.save(payload, path)
    loaded = load_checkpoint(path)
    assert loaded.config.write_rule == "sequential"
    assert torch.equal(loaded(inputs())[0], model(inputs())[0])
    load_into(make_ntm(num_write_heads=2, write_rule="sequential"), read_checkpoint(path))
    with pytest.raises(Exception, match="write_rule"):
        load_into(make_ntm(num_write_heads=2), read_checkpoint(path))  # the paper's rule: another model


def test_shipped_ntms_with_several_write_heads_keep_the_sequential_rule():
    import ntm_lib
    for task in ("sort", "priority_sort"):
        model = ntm_lib.load_pretrained(task, "ntm")
        assert model.config.num_write_heads > 1 and model.config.write_rule == "sequential"
        assert ntm_lib.recipes.recipe(task, "ntm")[1].write_rule == "sequential"  # the manifest's commands reproduce them


def test_forward_draws_a_random_initial_memory_from_the_generator_given():
    model = make_ntm(memory_init="random")
    a = model(inputs(), generator=torch.Generator().manual_seed(5))[0]
    torch.manual_seed(123)  # the global generator does not matter
    b = model(inputs(), generator=torch.Generator().manual_seed(5))[0]
    assert torch.equal(a, b)
    assert not torch.equal(a, model(inputs(), generator=torch.Generator().manual_seed(6))[0])


# --- CUDA ------------------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_cuda_matches_cpu(controller):
    model = make_ntm(controller=controller, num_read_heads=2, num_write_heads=2, memory_init="learned")
    x = inputs()
    logits_cpu, _ = model(x)
    logits_cpu.sum().backward()
    grads_cpu = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    model.cuda()
    logits_gpu, state_gpu = model(x.cuda())
    assert logits_gpu.device.type == "cuda" and state_gpu.memory.device.type == "cuda"
    logits_gpu.sum().backward()
    assert_close(logits_gpu.cpu(), logits_cpu, rtol=1e-4, atol=1e-5)
    for name, p in model.named_parameters():
        assert_close(p.grad.cpu(), grads_cpu[name], rtol=1e-3, atol=1e-4, msg=name)

    gen = torch.Generator().manual_seed(0)
    memory = torch.randn(B, N, M, generator=gen)
    key = torch.randn(B, M, generator=gen)
    w_prev = torch.softmax(torch.randn(B, N, generator=gen), -1)
    beta, g, gamma = torch.rand(B, generator=gen) * 5, torch.rand(B, generator=gen), 1 + torch.rand(B, generator=gen)
    s = torch.softmax(torch.randn(B, 3, generator=gen), -1)
    args = (memory, w_prev, key, beta, g, s, gamma)
    w_cpu, _ = addressing.address(*args)
    w_gpu, _ = addressing.address(*(a.cuda() for a in args))
    assert_close(w_gpu.cpu(), w_cpu, rtol=1e-5, atol=1e-6)
    assert_close(read(memory.cuda(), w_gpu).cpu(), read(memory, w_cpu), rtol=1e-5, atol=1e-6)


def test_head_parameters_are_what_the_trace_addressed_with():
    torch.manual_seed(0)
    model = NTM(config(num_read_heads=2))
    inputs = torch.randn(B, T, I)
    params = head_parameters(model, inputs)
    assert params.key.shape == (B, T, 3, M) and params.beta.shape == (B, T, 3)
    assert params.add.shape == (B, T, 1, M)
    with torch.no_grad():
        _, _, trace = model(inputs, trace=True)
    assert_close(params.add, trace.add)
    assert_close(params.erase, trace.erase)
    # The content weighting at step t is the key of step t against the memory before step t.
    before = torch.cat([model.initial_state(B).memory.unsqueeze(1), trace.memory[:, :-1]], 1)
    for t in range(T):
        content = addressing.content_weighting(before[:, t].unsqueeze(1), params.key[:, t],
                                               params.beta[:, t])
        assert_close(content, trace.content[:, t])
    assert not model.heads._forward_hooks  # the hook is gone


def test_initial_weighting_starts_focused_or_uniform():
    focused = NTM(NTMConfig(num_slots=6)).initial_state(2).weights  # (B, H, N)
    uniform = NTM(NTMConfig(num_slots=6, initial_weighting="uniform")).initial_state(2).weights
    assert (focused[..., 0] > 0.99).all()
    torch.testing.assert_close(uniform, torch.full_like(uniform, 1 / 6))
    with pytest.raises(ValueError, match="initial_weighting must be one of"):
        NTMConfig(initial_weighting="random")
