r"""A classical Turing machine: a finite control, an unbounded tape, one head.

The machine the NTM is named after (Turing 1936). At every step it reads the symbol under its
head, looks up ``(state, symbol)`` in its transition table, writes a symbol, moves the head one
cell left (``"L"``), right (``"R"``) or not at all (``"N"``), and enters the next state, until it
reaches a halting state. Chapter 1 of the book runs the machines below and draws their tape; the
NTM then replaces the tape by a memory matrix and the single head by soft weightings.

    >>> run = binary_increment().run("1011")
    >>> run.output
    '1100'

The tape is a sparse dict ``{position: symbol}`` of the non-blank cells, so it is unbounded in
both directions. Positions are integers; the input is written at 0, 1, 2, ... and the head
starts at 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, NamedTuple

MOVES = {"L": -1, "R": +1, "N": 0}


class Snapshot(NamedTuple):
    """The whole configuration of a machine after ``step`` steps."""

    step: int
    state: str
    head: int
    tape: Mapping[int, str]  # non-blank cells only

    def read(self, blank: str = "_") -> str:
        """The symbol under the head."""
        return self.tape.get(self.head, blank)


class StepLimitExceeded(RuntimeError):
    """Raised by ``TuringMachine.run`` when the machine has not halted after ``max_steps``."""

    def __init__(self, message: str, history: list[Snapshot]):
        super().__init__(message)
        self.history = history


def tape_span(tape: Mapping[int, str]) -> tuple[int, int]:
    """First and last position of the non-blank cells, ``(0, -1)`` for an empty tape."""
    if not tape:
        return 0, -1
    return min(tape), max(tape)


def tape_to_string(tape: Mapping[int, str], blank: str = "_", start: int | None = None,
                   stop: int | None = None) -> str:
    """The tape cells ``start..stop`` (inclusive) as a string; by default its non-blank span."""
    lo, hi = tape_span(tape)
    start = lo if start is None else start
    stop = hi if stop is None else stop
    return "".join(tape.get(i, blank) for i in range(start, stop + 1))


@dataclass(frozen=True)
class Run:
    """The result of ``TuringMachine.run``: every configuration from the start to the halt."""

    machine: "TuringMachine"
    history: tuple[Snapshot, ...]

    @property
    def final(self) -> Snapshot:
        return self.history[-1]

    @property
    def steps(self) -> int:
        """Number of transitions taken (``len(history) - 1``)."""
        return self.final.step

    @property
    def output(self) -> str:
        """The final tape, from its first to its last non-blank cell."""
        return tape_to_string(self.final.tape, self.machine.blank)

    def format(self, max_rows: int | None = None) -> str:
        """One line per step: the tape with the head's cell in brackets, and the state."""
        lo = min(min(tape_span(s.tape)[0], s.head) for s in self.history)
        hi = max(max(tape_span(s.tape)[1], s.head) for s in self.history)
        rows = self.history if max_rows is None else self.history[:max_rows]
        lines = []
        for snap in rows:
            cells = [
                f"[{snap.tape.get(i, self.machine.blank)}]" if i == snap.head
                else f" {snap.tape.get(i, self.machine.blank)} "
                for i in range(lo, hi + 1)
            ]
            lines.append(f"{snap.step:>4}  {''.join(cells)}  {snap.state}")
        if max_rows is not None and len(self.history) > max_rows:
            lines.append(f"  ... {len(self.history) - max_rows} more steps")
        return "\n".join(lines)


@dataclass(frozen=True)
class TuringMachine:
    r"""A deterministic one-tape Turing machine.

    transitions: ``{(state, symbol): (write, move, next_state)}`` with move in ``L``, ``R``,
    ``N``. A missing entry for a reachable ``(state, symbol)`` pair is an error at run time (the
    machine would be stuck); halting states must have no entries.
    """

    name: str
    states: frozenset[str]
    symbols: frozenset[str]
    start: str
    halt: frozenset[str]
    transitions: Mapping[tuple[str, str], tuple[str, str, str]]
    blank: str = "_"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Freeze the containers so that a machine cannot change after it is built.
        object.__setattr__(self, "states", frozenset(self.states))
        object.__setattr__(self, "symbols", frozenset(self.symbols))
        object.__setattr__(self, "halt", frozenset(self.halt))
        object.__setattr__(self, "transitions", MappingProxyType(dict(self.transitions)))
        if self.blank not in self.symbols:
            raise ValueError(f"the blank {self.blank!r} must be one of the symbols {sorted(self.symbols)}")
        if self.start not in self.states:
            raise ValueError(f"start state {self.start!r} is not one of the states")
        if not self.halt <= self.states:
            raise ValueError(f"halting states {sorted(self.halt - self.states)} are not states")
        for (state, symbol), rule in self.transitions.items():
            where = f"transition ({state!r}, {symbol!r})"
            if state not in self.states:
                raise ValueError(f"{where}: unknown state {state!r}")
            if state in self.halt:
                raise ValueError(f"{where}: halting state {state!r} cannot have transitions")
            if symbol not in self.symbols:
                raise ValueError(f"{where}: unknown symbol {symbol!r}")
            if len(rule) != 3:
                raise ValueError(f"{where}: expected (write, move, next_state), got {rule!r}")
            write, move, next_state = rule
            if write not in self.symbols:
                raise ValueError(f"{where}: writes unknown symbol {write!r}")
            if move not in MOVES:
                raise ValueError(f"{where}: bad move {move!r}, expected one of {sorted(MOVES)}")
            if next_state not in self.states:
                raise ValueError(f"{where}: unknown next state {next_state!r}")

    def format_transitions(self) -> str:
        """The transition table, one rule a line: ``state  reads a -> write b, move R, next``."""
        width = max(len(state) for state, _ in self.transitions)
        return "\n".join(
            f"{state:<{width}}  reads {symbol} -> write {write}, move {move}, go to {next_state}"
            for (state, symbol), (write, move, next_state) in self.transitions.items()
        )

    def initial(self, tape: str = "", head: int = 0) -> Snapshot:
        """The configuration at step 0: ``tape`` written from position 0, in the start state."""
        unknown = sorted(set(tape) - self.symbols)
        if unknown:
            raise ValueError(f"input contains symbols {unknown} not in the alphabet {sorted(self.symbols)}")
        cells = {i: c for i, c in enumerate(tape) if c != self.blank}
        return Snapshot(0, self.start, head, MappingProxyType(cells))

    def step(self, snap: Snapshot) -> Snapshot:
        """Apply one transition. Raises ``ValueError`` if halted or if no transition applies."""
        if snap.state in self.halt:
            raise ValueError(f"{self.name}: already halted in state {snap.state!r}")
        symbol = snap.read(self.blank)
        try:
            write, move, next_state = self.transitions[(snap.state, symbol)]
        except KeyError:
            raise ValueError(
                f"{self.name}: no transition for state {snap.state!r} reading {symbol!r} "
                f"at position {snap.head} (step {snap.step})"
            ) from None
        cells = dict(snap.tape)
        if write == self.blank:
            cells.pop(snap.head, None)
        else:
            cells[snap.head] = write
        return Snapshot(snap.step + 1, next_state, snap.head + MOVES[move], MappingProxyType(cells))

    def run(self, tape: str = "", head: int = 0, max_steps: int = 10_000) -> Run:
        """Run from the start state until a halting state; every configuration is kept.

        Raises ``StepLimitExceeded`` (with the history so far) after ``max_steps`` transitions,
        since a Turing machine need not halt.
        """
        snap = self.initial(tape, head)
        history = [snap]
        while snap.state not in self.halt:
            if snap.step >= max_steps:
                raise StepLimitExceeded(
                    f"{self.name}: no halt after {max_steps} steps", history
                )
            snap = self.step(snap)
            history.append(snap)
        return Run(self, tuple(history))


# ---------------------------------------------------------------------------------------------
# From a tape to a memory matrix (the bridge to the NTM, chapter 1)


def tape_to_memory(tape: Mapping[int, str], symbols: list[str] | tuple[str, ...], start: int,
                   stop: int, blank: str = "_"):
    """The cells ``start..stop`` of a tape as a one-hot matrix (N, M), N = stop - start + 1 cells,
    M = len(symbols): row i holds the symbol at position start + i. Returns a float tensor."""
    import torch

    index = {symbol: j for j, symbol in enumerate(symbols)}
    cells = [tape.get(pos, blank) for pos in range(start, stop + 1)]
    missing = sorted(set(cells) - set(index))
    if missing:
        raise ValueError(f"tape symbols {missing} are not in {list(symbols)}")
    rows = torch.tensor([index[c] for c in cells])  # (N,)
    return torch.nn.functional.one_hot(rows, len(symbols)).float()  # (N, M)


def head_to_weighting(head: int, start: int, stop: int):
    """A hard head as a weighting over the cells ``start..stop``: one-hot, shape (N,)."""
    import torch

    if not start <= head <= stop:
        raise ValueError(f"head position {head} is outside the cells {start}..{stop}")
    w = torch.zeros(stop - start + 1)
    w[head - start] = 1.0
    return w


# ---------------------------------------------------------------------------------------------
# Ready-made machines


def binary_increment() -> TuringMachine:
    """Add one to a binary number written most significant bit first (``1011`` -> ``1100``).

    Walk right to the end of the number, then walk back left turning trailing 1s into 0s until
    a 0 (or the blank before the number) absorbs the carry.
    """
    t = {
        ("right", "0"): ("0", "R", "right"),
        ("right", "1"): ("1", "R", "right"),
        ("right", "_"): ("_", "L", "carry"),
        ("carry", "1"): ("0", "L", "carry"),
        ("carry", "0"): ("1", "N", "done"),
        ("carry", "_"): ("1", "N", "done"),
    }
    return TuringMachine(
        name="binary increment",
        states=frozenset({"right", "carry", "done"}),
        symbols=frozenset({"0", "1", "_"}),
        start="right",
        halt=frozenset({"done"}),
        transitions=t,
        description=binary_increment.__doc__.split("\n")[0],
    )


def unary_copy() -> TuringMachine:
    """Copy a block of 1s to the right of itself, past one blank (``111`` -> ``111_111``).

    Mark the next 1 of the original with ``x``, walk right past the blank and the copy made so
    far, append a 1, walk back to the mark, repeat; when no unmarked 1 is left, turn the marks
    back into 1s. The copy of n ones takes O(n^2) steps: the head shuttles back and forth.
    """
    t = {
        ("mark", "1"): ("x", "R", "skip_source"),
        ("mark", "_"): ("_", "L", "restore"),
        ("skip_source", "1"): ("1", "R", "skip_source"),
        ("skip_source", "_"): ("_", "R", "skip_copy"),
        ("skip_copy", "1"): ("1", "R", "skip_copy"),
        ("skip_copy", "_"): ("1", "L", "back"),
        ("back", "1"): ("1", "L", "back"),
        ("back", "_"): ("_", "L", "back"),
        ("back", "x"): ("x", "R", "mark"),
        ("restore", "x"): ("1", "L", "restore"),
        ("restore", "_"): ("_", "R", "done"),
    }
    return TuringMachine(
        name="unary copy",
        states=frozenset({"mark", "skip_source", "skip_copy", "back", "restore", "done"}),
        symbols=frozenset({"1", "x", "_"}),
        start="mark",
        halt=frozenset({"done"}),
        transitions=t,
        description=unary_copy.__doc__.split("\n")[0],
    )


def parity_bit() -> TuringMachine:
    """Append an even-parity bit to a binary string (``1011`` -> ``10111``).

    Two states remember whether an even or odd number of 1s has been read so far: the finite
    control is the machine's only memory apart from the tape.
    """
    t = {
        ("even", "0"): ("0", "R", "even"),
        ("even", "1"): ("1", "R", "odd"),
        ("odd", "0"): ("0", "R", "odd"),
        ("odd", "1"): ("1", "R", "even"),
        ("even", "_"): ("0", "N", "done"),
        ("odd", "_"): ("1", "N", "done"),
    }
    return TuringMachine(
        name="parity bit",
        states=frozenset({"even", "odd", "done"}),
        symbols=frozenset({"0", "1", "_"}),
        start="even",
        halt=frozenset({"done"}),
        transitions=t,
        description=parity_bit.__doc__.split("\n")[0],
    )


# ---------------------------------------------------------------------------------------------
# Drawing


def draw_history(run: Run, max_steps: int | None = None, ax=None, cell_size: float = 0.32):
    """Draw the tape over time: one row per step, the head's cell highlighted, the state at right.

    ``max_steps`` shows only the first rows. Returns the matplotlib figure. Imports matplotlib
    lazily so that the simulator itself needs nothing beyond the standard library.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    history = run.history if max_steps is None else run.history[: max_steps + 1]
    blank = run.machine.blank
    lo = min(min(tape_span(s.tape)[0], s.head) for s in history)
    hi = max(max(tape_span(s.tape)[1], s.head) for s in history)
    lo, hi = lo - 1, hi + 1  # one blank cell of margin on each side
    width, height = hi - lo + 1, len(history)
    if ax is None:
        fig, ax = plt.subplots(figsize=(cell_size * width + 1.8, cell_size * height + 0.6))
    else:
        fig = ax.figure
    for row, snap in enumerate(history):
        y = height - 1 - row  # step 0 at the top
        for pos in range(lo, hi + 1):
            symbol = snap.tape.get(pos, blank)
            is_head = pos == snap.head
            ax.add_patch(Rectangle(
                (pos - lo, y), 1, 1,
                facecolor="#f4a259" if is_head else ("#eef2f7" if symbol != blank else "white"),
                edgecolor="#9aa5b1", linewidth=0.6,
            ))
            if symbol != blank:
                ax.text(pos - lo + 0.5, y + 0.5, symbol, ha="center", va="center",
                        fontsize=9, family="monospace", fontweight="bold" if is_head else None)
        ax.text(width + 0.3, y + 0.5, snap.state, ha="left", va="center", fontsize=8, color="#444")
    ax.set_xlim(0, width + 4.5)
    ax.set_ylim(0, height)
    ax.set_yticks([height - 1 - r + 0.5 for r in range(0, height, max(1, height // 10))])
    ax.set_yticklabels([str(history[r].step) for r in range(0, height, max(1, height // 10))],
                       fontsize=8)
    ax.set_xticks([pos - lo + 0.5 for pos in range(lo, hi + 1)])
    ax.set_xticklabels([str(pos) for pos in range(lo, hi + 1)], fontsize=7)
    ax.set_ylabel("step")
    ax.set_xlabel("tape position (orange: head)")
    ax.set_title(f"{run.machine.name}: {len(history) - 1} of {run.steps} steps", fontsize=10)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    fig.tight_layout()
    return fig
