r"""ntm_lib.dnc_examples: a script played through the DNC's memory management gives what DNC.step
gives, and the chapter's scripts do what chapter 13 says they do.

Sizes: B=3 sequences of T=8 steps, N=7 slots, M=5 word size, R=2 read heads (pairwise distinct).
"""

import pytest
import torch

from ntm_lib import dnc_examples as de
from ntm_lib.dnc import DNC, DNCConfig

B, T, N, M, R = 3, 8, 7, 5, 2


@torch.no_grad()
def test_playing_a_dnc_trace_gives_the_trace_back():
    torch.manual_seed(0)
    model = DNC(DNCConfig(input_size=4, output_size=3, controller_size=11, num_slots=N, word_size=M,
                          num_read_heads=R))
    inputs = torch.randn(B, T, 4, generator=torch.Generator().manual_seed(1))
    _, _, trace = model(inputs, trace=True)
    for b in range(B):
        script = de.MemoryScript(write_gate=trace.write_gate[b], allocation_gate=trace.allocation_gate[b],
                                 write_content=trace.write_content[b], free_gates=trace.free_gates[b],
                                 read_weights=trace.read_weights[b])
        played = de.play(script)
        torch.testing.assert_close(played.usage, trace.usage[b])
        torch.testing.assert_close(played.allocation, trace.allocation[b])
        torch.testing.assert_close(played.write_weights, trace.write_weights[b])
        torch.testing.assert_close(played.link, trace.link[b])
        assert played.precedence.shape == (T, N) and played.retention.shape == (T, N)


def test_script_turns_steps_into_gates_and_weightings():
    steps = [de.Step(write=de.ALLOCATE), de.Step(write=4, read=2), de.Step(free=0.5, write_weight=0.3),
             de.Step(write=1, write_weight=0.25)]
    s = de.script(6, steps)
    assert s.write_gate.tolist() == [1.0, 1.0, 0.0, 0.25]
    assert s.allocation_gate.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert s.write_content[1].tolist() == [0, 0, 0, 0, 1, 0] and s.write_content[0].sum() == 0
    assert s.read_weights.shape == (4, 1, 6) and s.read_weights[1, 0].tolist() == [0, 0, 1, 0, 0, 0]
    assert s.free_gates[:, 0].tolist() == [0.0, 0.0, 0.5, 0.0]
    assert [de.describe(x) for x in steps] == ["allocate", "write slot 4, read slot 2", "free f=0.5",
                                               "write slot 1, write gate 0.25"]
    for bad in (de.Step(write=6), de.Step(write="free"), de.Step(read=-1), de.Step(free=1.5)):
        with pytest.raises(ValueError):
            de.script(6, [bad])


def test_the_usage_example_fills_the_memory_then_reuses_the_freed_slot():
    steps, script = de.usage_example()
    m = de.play(script)
    one_hot = torch.eye(4)
    for t in range(4):  # slots 0, 1, 2, 3 in turn, each by allocation
        torch.testing.assert_close(m.write_weights[t], one_hot[t])
    torch.testing.assert_close(m.usage[4], torch.ones(4))  # full
    torch.testing.assert_close(m.allocation[4], torch.zeros(4))  # nowhere to allocate: no write
    torch.testing.assert_close(m.write_weights[4], torch.zeros(4))
    torch.testing.assert_close(m.retention[5], torch.tensor([1.0, 0.0, 1.0, 1.0]))  # slot 1 read, then freed
    torch.testing.assert_close(m.write_weights[5], one_hot[1])


def test_the_link_example_links_each_write_to_the_one_before():
    steps, script = de.link_example()
    m = de.play(script)
    order = list(de.LINK_ORDER)
    assert [x.write_weight for x in steps] == [1.0] * (len(order) - 1) + [de.LINK_LAST_WEIGHT] == [1, 1, 1, 1, 0.5]
    expected = torch.zeros(5, 5)
    for before, after in zip(order, order[1:]):
        expected[after, before] = 1.0
    expected[order[-1], order[-2]] = 0.5  # the half write: half a link
    torch.testing.assert_close(m.link[-1], expected)
    torch.testing.assert_close(m.precedence[-2], torch.eye(5)[order[-2]])
    torch.testing.assert_close(m.precedence[-1], 0.5 * torch.eye(5)[order[-2]] + 0.5 * torch.eye(5)[order[-1]])
