"""The classical Turing machine simulator (ntm_lib.turing) used in chapter 1."""

import pytest

from ntm_lib.turing import (
    StepLimitExceeded,
    TuringMachine,
    binary_increment,
    draw_history,
    head_to_weighting,
    parity_bit,
    tape_to_memory,
    tape_to_string,
    unary_copy,
)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 10, 11, 31, 64, 255, 1000])
def test_binary_increment_adds_one(n):
    run = binary_increment().run(format(n, "b"))
    assert run.output == format(n + 1, "b")
    assert run.final.state == "done"


def test_binary_increment_of_all_ones_grows_the_number_to_the_left():
    run = binary_increment().run("111")
    assert run.output == "1000"
    assert run.final.head == -1  # the carry was written left of the input
    assert run.steps == 8  # 3 right + 1 turn + 3 carries + 1 final write


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_unary_copy(n):
    run = unary_copy().run("1" * n)
    expected = "1" * n + "_" + "1" * n if n else ""
    assert run.output == expected
    assert run.final.head == 0


def test_unary_copy_takes_quadratic_time():
    steps = [unary_copy().run("1" * n).steps for n in (4, 8, 16)]
    # Doubling n roughly quadruples the shuttling of the head.
    assert 3.0 < steps[1] / steps[0] < 4.5
    assert 3.0 < steps[2] / steps[1] < 4.5


@pytest.mark.parametrize("bits", ["", "0", "1", "1011", "1111", "100000001"])
def test_parity_bit_makes_the_number_of_ones_even(bits):
    run = parity_bit().run(bits)
    assert run.output.startswith(bits) and len(run.output) == len(bits) + 1
    assert run.output.count("1") % 2 == 0


def test_history_records_every_step_and_the_input_is_not_mutated():
    machine = binary_increment()
    run = machine.run("10")
    assert [s.step for s in run.history] == list(range(len(run.history)))
    assert tape_to_string(run.history[0].tape) == "10"  # the first snapshot is untouched
    assert run.history[0].state == machine.start
    assert [s.head for s in run.history[:4]] == [0, 1, 2, 1]
    with pytest.raises(TypeError):
        run.history[0].tape[0] = "0"  # snapshots are read-only


def test_step_matches_run():
    machine = unary_copy()
    snap = machine.initial("11")
    run = machine.run("11")
    for expected in run.history[1:]:
        snap = machine.step(snap)
        assert snap == expected


def test_missing_transition_is_a_clear_error():
    machine = TuringMachine(
        name="stuck",
        states=frozenset({"a", "halt"}),
        symbols=frozenset({"0", "1", "_"}),
        start="a",
        halt=frozenset({"halt"}),
        transitions={("a", "0"): ("0", "R", "a")},
    )
    with pytest.raises(ValueError, match=r"no transition for state 'a' reading '1'"):
        machine.run("001")


def test_step_after_halt_is_an_error():
    machine = parity_bit()
    run = machine.run("1")
    with pytest.raises(ValueError, match="already halted"):
        machine.step(run.final)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(transitions={("a", "_"): ("_", "X", "halt")}), "bad move 'X'"),
        (dict(transitions={("a", "_"): ("_", "R", "nowhere")}), "unknown next state"),
        (dict(transitions={("a", "?"): ("_", "R", "halt")}), "unknown symbol"),
        (dict(transitions={("a", "_"): ("?", "R", "halt")}), "writes unknown symbol"),
        (dict(transitions={("halt", "_"): ("_", "R", "a")}), "halting state"),
        (dict(transitions={("a", "_"): ("_", "R")}), "expected \\(write, move, next_state\\)"),
        (dict(start="b"), "start state"),
        (dict(blank="#"), "blank"),
        (dict(halt=frozenset({"stop"})), "are not states"),
    ],
)
def test_invalid_machines_are_rejected(change, message):
    spec = dict(
        name="bad",
        states=frozenset({"a", "halt"}),
        symbols=frozenset({"_", "1"}),
        start="a",
        halt=frozenset({"halt"}),
        transitions={("a", "_"): ("_", "R", "halt")},
    )
    spec.update(change)
    with pytest.raises(ValueError, match=message):
        TuringMachine(**spec)


def test_input_outside_the_alphabet_is_rejected():
    with pytest.raises(ValueError, match="not in the alphabet"):
        binary_increment().run("102")


def test_step_limit():
    forever = TuringMachine(
        name="forever",
        states=frozenset({"a", "halt"}),
        symbols=frozenset({"_"}),
        start="a",
        halt=frozenset({"halt"}),
        transitions={("a", "_"): ("_", "R", "a")},
    )
    with pytest.raises(StepLimitExceeded, match="no halt after 50 steps") as info:
        forever.run("", max_steps=50)
    assert len(info.value.history) == 51
    assert info.value.history[-1].head == 50


def test_machines_are_frozen():
    machine = binary_increment()
    with pytest.raises(AttributeError):
        machine.start = "carry"
    with pytest.raises(TypeError):
        machine.transitions[("right", "0")] = ("1", "R", "right")


def test_format_marks_the_head():
    text = binary_increment().run("1").format()
    lines = text.splitlines()
    assert lines[0].split()[0] == "0" and "[1]" in lines[0] and lines[0].endswith("right")
    assert lines[-1].endswith("done")
    assert binary_increment().run("1011").format(max_rows=2).endswith("more steps")


def test_draw_history_returns_a_figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = unary_copy().run("11")
    fig = draw_history(run, max_steps=5)
    try:
        ax = fig.axes[0]
        assert "5 of" in ax.get_title()
        assert len(ax.get_yticklabels()) >= 1
        # one rectangle per cell and step: 6 rows of (span + 2 margin) cells
        assert len(ax.patches) % 6 == 0 and len(ax.patches) > 0
    finally:
        plt.close(fig)


def test_format_transitions_lists_every_rule():
    machine = binary_increment()
    lines = machine.format_transitions().splitlines()
    assert len(lines) == len(machine.transitions)
    assert "reads 1 -> write 0, move L, go to carry" in lines[3]


def test_tape_as_a_one_hot_memory_and_the_head_as_a_weighting():
    torch = pytest.importorskip("torch")
    from ntm_lib.memory import read

    run = binary_increment().run("10")
    snap = run.history[1]  # head on the "0" at position 1
    symbols = ["_", "0", "1"]
    memory = tape_to_memory(snap.tape, symbols, start=-1, stop=2)  # cells -1..2
    assert memory.shape == (4, 3)
    torch.testing.assert_close(memory.sum(1), torch.ones(4))
    assert memory.argmax(1).tolist() == [0, 2, 1, 0]  # _ 1 0 _
    w = head_to_weighting(snap.head, start=-1, stop=2)
    assert w.tolist() == [0.0, 0.0, 1.0, 0.0]
    # A hard read returns the one-hot code of the symbol under the head.
    torch.testing.assert_close(read(memory[None], w[None])[0], torch.tensor([0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match="outside"):
        head_to_weighting(5, start=-1, stop=2)
    with pytest.raises(ValueError, match="not in"):
        tape_to_memory(snap.tape, ["_", "0"], start=-1, stop=2)
