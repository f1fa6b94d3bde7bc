"""Interventions (ntm_lib.interventions) against slow step-by-step references written here:
each hook changes exactly what it says, and no intervention changes nothing."""

import pytest
import torch

from ntm_lib import NTM, NTMConfig, NTMState
from ntm_lib import addressing, memory
from ntm_lib.dnc import DNC, DNCConfig
from ntm_lib.interventions import (Combined, Intervention, MoveWrites, NoWritesAfter, SilenceReadHead,
                                   SilenceWriteHead, ZeroReads)


def make_ntm(read_heads=2, write_heads=2):
    torch.manual_seed(0)
    return NTM(NTMConfig(input_size=5, output_size=4, num_slots=12, word_size=6, controller_size=16,
                         num_read_heads=read_heads, num_write_heads=write_heads, write_rule="sequential"))


INPUTS = torch.randn(3, 9, 5, generator=torch.Generator().manual_seed(1))


@torch.no_grad()
def reference(model, inputs, *, freeze_after=None, silent_read=None, silent_write=None, zero_route=None, from_step=0,
              move_by=None):
    """The NTM step written out with each change made by hand (as chapters once did)."""
    c = model.config
    state, features = model.initial_state(inputs.shape[0]), []
    for t in range(inputs.shape[1]):
        fed = state.reads
        if zero_route == "controller" and t >= from_step:
            fed = torch.zeros_like(fed)
        hidden, controller_state = model.controller(torch.cat([inputs[:, t], fed.flatten(1)], -1), state.controller)
        p = model.heads(hidden)
        weights, _ = addressing.address(state.memory.unsqueeze(1), state.weights, p.key, p.beta, p.g, p.s, p.gamma)
        reads = memory.read(state.memory.unsqueeze(1), weights[:, : c.num_read_heads])
        if silent_read is not None and t >= from_step:
            reads[:, silent_read] = 0
        new_memory = state.memory
        for j in range(c.num_write_heads):
            written = weights[:, c.num_read_heads + j]
            if move_by is not None and t >= from_step:  # the write lands move_by slots on, circularly
                written = torch.stack([written[:, (i - move_by) % written.shape[-1]]
                                       for i in range(written.shape[-1])], dim=-1)
            if not (j == silent_write and t >= from_step):
                new_memory = memory.write(new_memory, written, p.erase[:, j], p.add[:, j])
        if freeze_after is not None and t > freeze_after:
            new_memory = state.memory
        out_reads = torch.zeros_like(reads) if zero_route == "output" and t >= from_step else reads
        features.append(torch.cat([hidden, out_reads.flatten(1)], -1))
        state = NTMState(new_memory, reads, weights, controller_state)
    return model.output(torch.stack(features, dim=1))


@pytest.mark.parametrize("intervention, by_hand", [
    (NoWritesAfter(3), dict(freeze_after=3)),
    (NoWritesAfter(-1), dict(freeze_after=-1)),
    (SilenceReadHead(1), dict(silent_read=1)),
    (SilenceReadHead(0, from_step=4), dict(silent_read=0, from_step=4)),
    (SilenceWriteHead(1), dict(silent_write=1)),
    (ZeroReads("output", from_step=5), dict(zero_route="output", from_step=5)),
    (ZeroReads("controller", from_step=5), dict(zero_route="controller", from_step=5)),
    (MoveWrites(3, -2), dict(move_by=-2, from_step=3)),
    (MoveWrites(0, 5), dict(move_by=5)),
])
def test_each_intervention_matches_the_step_changed_by_hand(intervention, by_hand):
    model = make_ntm()
    with torch.no_grad():
        logits, _ = model(INPUTS, intervention=intervention)
    torch.testing.assert_close(logits, reference(model, INPUTS, **by_hand), atol=1e-6, rtol=1e-5)
    intact, _ = model(INPUTS)
    assert not torch.allclose(logits, intact)  # it did change something


def test_no_intervention_is_the_model_itself_and_combined_applies_all():
    model = make_ntm()
    with torch.no_grad():
        torch.testing.assert_close(model(INPUTS, intervention=Intervention())[0], model(INPUTS)[0], atol=0, rtol=0)
        both = model(INPUTS, intervention=Combined(SilenceReadHead(1), NoWritesAfter(3)))[0]
    torch.testing.assert_close(both, reference(model, INPUTS, silent_read=1, freeze_after=3), atol=1e-6, rtol=1e-5)


def test_erase_add_changes_the_vectors_the_write_uses_and_the_trace_records():
    class AddOnly(Intervention):
        def erase_add(self, t, erase, add):
            return torch.zeros_like(erase), add

    model = make_ntm(read_heads=1, write_heads=1)
    with torch.no_grad():
        logits, _, trace = model(INPUTS, trace=True, intervention=AddOnly())
        intact, _, intact_trace = model(INPUTS, trace=True)
    assert trace.erase.abs().max() == 0 and torch.equal(trace.add[:, 0], intact_trace.add[:, 0])  # later reads differ
    # the memory only grows by the adds: M_t = M_{t-1} + w a (eq. 4 without eq. 3)
    added = torch.einsum("btn,btm->btnm", trace.weights[:, :, 1], trace.add[:, :, 0])
    torch.testing.assert_close(trace.memory[:, 1:] - trace.memory[:, :-1], added[:, 1:], atol=1e-6, rtol=1e-5)


def test_the_trace_shows_the_memory_the_intervention_left():
    model = make_ntm()
    with torch.no_grad():
        _, _, trace = model(INPUTS, trace=True, intervention=NoWritesAfter(2))
    assert torch.equal(trace.memory[:, 3:], trace.memory[:, 2:3].expand_as(trace.memory[:, 3:]))


def test_the_dnc_takes_the_same_interventions():
    torch.manual_seed(0)
    dnc = DNC(DNCConfig(input_size=5, output_size=4, num_slots=8, word_size=6, controller_size=16, num_read_heads=2))
    with torch.no_grad():
        intact, _, trace = dnc(INPUTS, trace=True)
        frozen, _, frozen_trace = dnc(INPUTS, trace=True, intervention=NoWritesAfter(-1))
        silent, _, silent_trace = dnc(INPUTS, trace=True, intervention=SilenceReadHead(0))
        torch.testing.assert_close(dnc(INPUTS, intervention=Intervention())[0], intact, atol=0, rtol=0)
    assert torch.equal(frozen_trace.memory, dnc.initial_state(3).memory.unsqueeze(1).expand_as(frozen_trace.memory))
    assert silent_trace.reads[:, :, 0].abs().max() == 0 and not torch.allclose(silent, intact)


def test_moved_writes_keep_their_spacing_and_the_heads_their_own_weightings():
    model = make_ntm(read_heads=1, write_heads=1)
    with torch.no_grad():
        _, _, intact = model(INPUTS, trace=True)
        _, _, moved = model(INPUTS, trace=True, intervention=MoveWrites(4, -1))
    # before step 4 nothing differs; the memory then holds at slot i - 1 what it would at slot i
    torch.testing.assert_close(moved.memory[:, :4], intact.memory[:, :4], atol=0, rtol=0)
    assert not torch.allclose(moved.memory[:, 4:], intact.memory[:, 4:])
    with pytest.raises(ValueError, match="offset is a number of slots"):
        MoveWrites(2, 0.5)


def test_bad_interventions_say_what_was_expected():
    with pytest.raises(ValueError, match="route is 'output' or 'controller'"):
        ZeroReads("memory")
    with pytest.raises(ValueError, match="a time step"):
        NoWritesAfter(2.5)
    with pytest.raises(ValueError, match=r"SilenceReadHead.head must be in 0..1"):
        make_ntm()(INPUTS, intervention=SilenceReadHead(5))
