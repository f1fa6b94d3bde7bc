r"""The DNC model (ntm_lib.dnc): shapes, traced invariants, the step against the Methods' order of
operations, batch independence, state across calls, finite values and gradients, float64
gradcheck, checkpoints, a few training steps, and clear errors.

Sizes: B=3 sequences, T=6 steps, N=7 slots, M=5 word size, C=11 controller units, R=2 read heads,
I=10 inputs, O=4 outputs.
"""

from dataclasses import replace

import pytest
import torch
from torch.testing import assert_close

import ntm_lib
from ntm_lib import dnc_addressing
from ntm_lib.addressing import content_weighting
from ntm_lib.checkpoints import load_checkpoint, save_checkpoint
from ntm_lib.dnc import DNC, DNC_MDS, DNCConfig, DNCState, DNCTrace
from ntm_lib.memory import read, write
from ntm_lib.models import build_model, model_description

B, T, N, M, C, R, I, O = 3, 6, 7, 5, 11, 2, 10, 4


def config(**changes) -> DNCConfig:
    return replace(DNCConfig(input_size=I, output_size=O, controller_size=C, num_slots=N, word_size=M,
                             num_read_heads=R), **changes)


def make_dnc(seed: int = 0, **changes) -> DNC:
    torch.manual_seed(seed)
    return DNC(config(**changes))


def inputs(batch: int = B, steps: int = T, seed: int = 1, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(batch, steps, I, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("controller", ["lstm", "feedforward"])
def test_shapes_and_traced_invariants(controller):
    model = make_dnc(controller=controller)
    logits, state, trace = model(inputs(), trace=True)
    assert logits.shape == (B, T, O) and isinstance(state, DNCState) and isinstance(trace, DNCTrace)
    assert trace.usage.shape == trace.allocation.shape == trace.write_weights.shape == (B, T, N)
    assert trace.read_weights.shape == (B, T, R, N) and trace.read_modes.shape == (B, T, R, 3)
    assert trace.link.shape == (B, T, N, N) and trace.memory.shape == (B, T, N, M) and trace.reads.shape == (B, T, R, M)
    assert ((trace.usage >= 0) & (trace.usage <= 1)).all()
    for w in (trace.allocation, trace.write_weights, trace.read_weights):
        assert (w >= 0).all() and (w.sum(-1) <= 1 + 1e-5).all()
    assert_close(trace.read_modes.sum(-1), torch.ones(B, T, R))
    assert ((trace.link >= 0) & (trace.link <= 1)).all()
    assert (torch.diagonal(trace.link, dim1=-2, dim2=-1) == 0).all()
    for gates in (trace.free_gates, trace.allocation_gate, trace.write_gate, trace.erase):
        assert ((gates >= 0) & (gates <= 1)).all()
    # The last traced step is the returned state; tracing changes nothing.
    assert_close(trace.memory[:, -1], state.memory)
    assert_close(trace.read_weights[:, -1], state.read_weights)
    assert_close(model(inputs())[0], logits)


def test_each_step_follows_the_methods_order_of_operations():
    # Usage from the last write and this step's frees; allocation; the write; the links; reads of
    # the memory just written, through the read modes.
    model = make_dnc()
    state = model.initial_state(B)
    x = inputs()
    for t in range(3):
        features, controller_state = model.controller(torch.cat([x[:, t], state.reads.flatten(1)], -1), state.controller)
        p = model.interface(features)
        usage = dnc_addressing.usage(state.usage, state.write_weights,
                                     dnc_addressing.retention(p.free_gates, state.read_weights))
        w_w = dnc_addressing.write_weighting(dnc_addressing.allocation(usage),
                                             content_weighting(state.memory, p.write_key, p.write_strength),
                                             p.allocation_gate, p.write_gate)
        memory = write(state.memory, w_w, p.erase, p.write_vector)
        link = dnc_addressing.link(state.link, state.precedence, w_w)
        forward, backward = dnc_addressing.directional_weightings(link, state.read_weights)
        contents = torch.stack([content_weighting(memory, p.read_keys[:, i], p.read_strengths[:, i]) for i in range(R)], 1)
        w_r = dnc_addressing.read_weighting(backward, contents, forward, p.read_modes)
        reads = torch.stack([read(memory, w_r[:, i]) for i in range(R)], 1)
        out, state = model.step(x[:, t], state)
        for got, expected in ((state.usage, usage), (state.write_weights, w_w), (state.memory, memory),
                              (state.link, link), (state.read_weights, w_r), (state.reads, reads)):
            assert_close(got, expected)
        assert_close(out, torch.cat([features, reads.flatten(1)], -1))


def test_with_the_allocation_and_write_gates_open_each_write_takes_a_fresh_slot():
    # Gates forced to 1 and nothing freed (free gates at 0): every write follows the allocation
    # weighting, which points at an unused slot, so N steps fill N different slots.
    model = make_dnc()
    r, m = R, M
    sizes = [r * m, r, m, 1, m, m, r, 1, 1, 3 * r]
    offsets = torch.tensor(sizes).cumsum(0) - torch.tensor(sizes)
    free, alloc, gate = (int(offsets[i]) for i in (6, 7, 8))
    with torch.no_grad():
        for start, size, value in ((free, r, -30.0), (alloc, 1, 30.0), (gate, 1, 30.0)):
            model.interface.linear.weight[start : start + size] = 0
            model.interface.linear.bias[start : start + size] = value
        _, _, trace = model(inputs(B, N), trace=True)
    slots = trace.write_weights.argmax(-1)  # (B, N)
    assert (trace.write_weights.max(-1).values > 0.99).all()
    assert all(len(set(row.tolist())) == N for row in slots)  # every slot once
    assert_close(trace.usage[:, -1], torch.cat([torch.ones(B, N)]).scatter(1, slots[:, -1:], 0.0), atol=1e-3, rtol=0)


def test_sequences_in_a_batch_are_independent():
    model = make_dnc()
    x = inputs()
    together = model(x)[0]
    for b in range(B):
        assert_close(model(x[b : b + 1])[0][0], together[b], atol=1e-6, rtol=1e-5)


def test_state_carries_across_calls():
    model = make_dnc()
    x = inputs()
    whole = model(x)[0]
    first, state = model(x[:, :2])
    second, _ = model(x[:, 2:], state)
    assert_close(torch.cat([first, second], 1), whole)


def test_forward_backward_is_finite_and_every_parameter_learns():
    model = make_dnc()
    logits, _ = model(inputs())
    logits.square().mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_zero_inputs_and_saturated_interfaces_are_finite():
    model = make_dnc()
    with torch.no_grad():
        model.interface.linear.bias.fill_(30.0)  # every gate at 1, huge strengths
    logits, _ = model(torch.zeros(B, T, I))
    logits.sum().backward()
    assert torch.isfinite(logits).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_gradcheck_whole_dnc_in_float64():
    model = make_dnc(controller_size=6, num_slots=4, word_size=3).double()
    x = inputs(2, 3, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: model(v)[0], (x,))


def test_checkpoint_round_trip_and_build_from_description(tmp_path):
    model = make_dnc()
    path = save_checkpoint(tmp_path / "dnc.pt", model)
    loaded = load_checkpoint(path)
    assert isinstance(loaded, DNC) and loaded.config == model.config
    assert torch.equal(loaded(inputs())[0], model(inputs())[0])
    assert model_description(model)["kind"] == "dnc"
    assert isinstance(build_model("dnc", model_description(model)["config"]), DNC)


def test_a_few_training_steps_lower_the_cost_on_copy():
    torch.manual_seed(0)
    model = DNC(DNCConfig(num_slots=16, controller_size=32))
    task = ntm_lib.CopyTask(max_length=3)
    config = ntm_lib.TrainConfig(max_sequences=640, batch_size=16, validate_every=20, validation_size=64,
                                 stop_when_converged=False, learning_rate=3e-3)
    result = ntm_lib.train(model, task, config, progress=False)
    assert result.history[-1]["val_bce_bits"] < result.history[0]["val_bce_bits"]
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize("changes, message", [
    ({"num_slots": 0}, "num_slots must be a positive integer"),
    ({"num_read_heads": 0}, "num_read_heads must be a positive integer"),
    ({"controller": "gru"}, r"controller must be one of \('feedforward', 'lstm'\)"),
    ({"memory_init": "zeros"}, "memory_init must be one of"),
])
def test_invalid_configs_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        config(**changes)


def test_wrong_inputs_are_rejected():
    model = make_dnc()
    with pytest.raises(ValueError, match=rf"DNC expects inputs of shape \(batch, time, {I}\), got \(3, 6, 9\)"):
        model(torch.zeros(B, T, I - 1))
    _, state = model(inputs())
    with pytest.raises(ValueError, match="state is for batch size 3, inputs have 2"):
        model(inputs(2), state)


# --- the DNC-MDS options ----------------------------------------------------------------------


@pytest.mark.parametrize("options", [dict(masked_lookup=True), dict(deallocate=True), dict(link_sharpness=True), DNC_MDS])
def test_each_improvement_runs_finite_and_trains(options):
    torch.manual_seed(0)
    model = DNC(DNCConfig(input_size=5, output_size=4, num_slots=6, word_size=4, controller_size=12,
                          num_read_heads=2, **options))
    x = torch.randn(3, 7, 5, generator=torch.Generator().manual_seed(1))
    logits, state, trace = model(x, trace=True)
    assert logits.shape == (3, 7, 4) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_the_options_are_off_by_default_and_only_add_interface_outputs():
    plain, mds = DNCConfig(num_read_heads=2), DNCConfig(num_read_heads=2, **DNC_MDS)
    assert not (plain.masked_lookup or plain.deallocate or plain.link_sharpness)
    a, b = DNC(plain), DNC(mds)
    shapes = {k: v.shape for k, v in a.state_dict().items()}
    other = {k: v.shape for k, v in b.state_dict().items()}
    assert {k for k in shapes if shapes[k] != other[k]} == {"interface.linear.weight", "interface.linear.bias"}
    r, m = 2, plain.word_size
    assert other["interface.linear.bias"][0] - shapes["interface.linear.bias"][0] == (r * m + m) + 2 * r


def test_deallocation_erases_what_a_read_head_frees():
    """Free gate 1 on a slot read at the last step, nothing written: with deallocation the slot is
    wiped (its memory is scaled by the retention, 0); without it the slot keeps its word."""
    torch.manual_seed(0)
    for deallocate, expected in ((False, 1.0), (True, 0.0)):
        model = DNC(DNCConfig(input_size=2, output_size=1, num_slots=3, word_size=2, controller_size=4,
                              deallocate=deallocate))
        with torch.no_grad():
            bias = model.interface.linear.bias
            model.interface.linear.weight.zero_()
            sizes, start = model.interface.sizes, 0
            offsets = [start := start + n for n in sizes]
            bias.zero_()
            bias[offsets[5]:offsets[6]] = 20.0  # free gate of read head 0: sigmoid(20) ~ 1
            bias[offsets[7]:offsets[8]] = -20.0  # write gate ~ 0: nothing written
        state = model.initial_state(1)
        state = state._replace(memory=torch.ones(1, 3, 2), read_weights=torch.tensor([[[0.0, 1.0, 0.0]]]))
        _, new = model.step(torch.zeros(1, 2), state)
        assert abs(new.memory[0, 1, 0].item() - expected) < 1e-6
        assert abs(new.memory[0, 0, 0].item() - 1.0) < 1e-6  # a slot nobody freed stays


def test_without_links_reads_by_content_only_and_keeps_no_links():
    # The ablation (use_links=False): the same parameters, the reads are the content weightings of
    # the memory just written, the traced read modes are (0, 1, 0), link and precedence stay 0.
    linked, unlinked = make_dnc(), make_dnc(use_links=False)
    assert {k: v.shape for k, v in linked.state_dict().items()} == {k: v.shape for k, v in unlinked.state_dict().items()}
    unlinked.load_state_dict(linked.state_dict())
    x = inputs()
    logits, state, trace = unlinked(x, trace=True)
    assert_close(trace.read_modes, torch.tensor([0.0, 1.0, 0.0]).expand(B, T, R, 3))
    assert (trace.link == 0).all() and (state.precedence == 0).all()
    state = unlinked.initial_state(B)
    for t in range(T):
        features, _ = unlinked.controller(torch.cat([x[:, t], state.reads.flatten(1)], -1), state.controller)
        p = unlinked.interface(features)
        _, state = unlinked.step(x[:, t], state)
        contents = torch.stack([content_weighting(state.memory, p.read_keys[:, i], p.read_strengths[:, i])
                                for i in range(R)], 1)
        assert_close(state.read_weights, contents)
    # Everything before the reads is the linked model's: the first step's write is the same.
    _, _, linked_trace = linked(x, trace=True)
    assert_close(trace.write_weights[:, 0], linked_trace.write_weights[:, 0])
    assert not torch.allclose(logits, linked(x)[0])
    logits.square().mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in unlinked.parameters() if p.grad is not None)


def test_without_links_round_trips_through_a_checkpoint(tmp_path):
    model = make_dnc(use_links=False)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "dnc.pt", model))
    assert loaded.config.use_links is False
    assert torch.equal(loaded(inputs())[0], model(inputs())[0])
    assert build_model("dnc", {k: v for k, v in model_description(model)["config"].items() if k != "use_links"}).config.use_links


def test_use_links_must_be_a_bool():
    with pytest.raises(ValueError, match="DNCConfig.use_links must be True or False, got 'no'"):
        config(use_links="no")
