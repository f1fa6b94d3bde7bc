r"""Block diagrams of the models, drawn with matplotlib (boxes and arrows, no data).

- ``plot_ntm_diagram``: one step of the Neural Turing Machine (NTM paper, Figure 1 and
  section 3): the input $x_t$ and the previous read vector $r_{t-1}$ enter the controller; its
  features $h_t$ give every head its parameters ($k, \beta, g, s, \gamma$, and $e, a$ for a
  write head); the heads' weightings read and write the memory ($N$ slots of $M$ numbers); the
  read vector $r_t$ goes to the output $y_t$ and back to the controller at the next step.

Every box and arrow carries a ``gid`` (``"box:controller"``, ``"arrow:controller->read_head"``,
...), so a test can find it, and the symbols are those of ``notation.md``.
"""

from __future__ import annotations

from .viz import PREVIOUS_COLOR, _plt

READ_COLOR, WRITE_COLOR = "#4c72b0", "#c44e52"  # the read (blue) and write (red) of every figure
CONTROLLER_COLOR, IO_COLOR = "#55a868", "#9aa5b1"

# Box centres and sizes (x, y, width, height), in the diagram's own units (0..13 by 0..8).
NTM_BOXES = {
    "input": (0.9, 4.0, 1.3, 0.9),
    "controller": (3.6, 4.0, 2.2, 1.6),
    "output": (3.6, 7.0, 2.0, 0.8),
    "read_head": (7.2, 5.6, 2.6, 1.5),
    "write_head": (7.2, 2.4, 2.6, 1.5),
    "memory": (11.3, 4.0, 2.2, 3.6),
    "read_vector": (11.3, 0.7, 2.0, 0.8),
}


def _box(ax, name: str, text: str, color: str, fontsize: float = 9):
    from matplotlib.patches import FancyBboxPatch

    x, y, w, h = NTM_BOXES[name]
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05,rounding_size=0.15",
                           facecolor=color, edgecolor="black", linewidth=1.0, alpha=0.25)
    patch.set_gid(f"box:{name}")
    ax.add_patch(patch)
    label = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    label.set_gid(f"label:{name}")
    return patch


def _arrow(ax, start, end, source: str, target: str, label: str = "", color: str = "black",
           dashed: bool = False, via=(), label_at=None, label_ha: str = "center"):
    """An arrow from ``start`` to ``end``, straight or through the corners ``via``."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    style = {"arrowstyle": "-|>", "mutation_scale": 14, "color": color, "linewidth": 1.4,
             "linestyle": "--" if dashed else "-"}
    if via:
        points = [start, *via, end]
        arrow = FancyArrowPatch(path=Path(points, [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)),
                                **style)
    else:
        arrow = FancyArrowPatch(start, end, **style)
    arrow.set_gid(f"arrow:{source}->{target}")
    ax.add_patch(arrow)
    if label:
        x, y = label_at if label_at is not None else ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        text = ax.text(x, y, label, ha=label_ha, va="center", fontsize=9, color=color,
                       bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        text.set_gid(f"arrow_label:{source}->{target}")
    return arrow


def _edge(name: str, side: str, offset: float = 0.0):
    """A point on the edge of box ``name``: side is "left", "right", "top" or "bottom";
    offset moves it along that edge."""
    x, y, w, h = NTM_BOXES[name]
    return {"left": (x - w / 2, y + offset), "right": (x + w / 2, y + offset),
            "top": (x + offset, y + h / 2), "bottom": (x + offset, y - h / 2)}[side]


def plot_ntm_diagram(num_read: int = 1, num_write: int = 1, title: str | None = None):
    r"""One step $t$ of an NTM as a block diagram: input $x_t$ -> controller -> head parameters
    -> read and write weightings over the memory $\mathbf{M}_t$ ($N \times M$) -> read vector
    $r_t$, which reaches the output $y_t$ now and the controller at step $t + 1$.

    num_read, num_write: the number of read heads $R$ and write heads $W$ (shown on the head
    boxes; the copy NTM has one of each). Returns the figure; every box and arrow has a gid
    (``box:<name>`` for the names of ``NTM_BOXES``, ``arrow:<from>-><to>``).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 6.2))
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.6, 8)
    ax.set_aspect("equal")
    ax.axis("off")

    # One time step, framed.
    from matplotlib.patches import Rectangle

    frame = Rectangle((2.2, 0.05), 10.8, 7.6, fill=False, linestyle=":", edgecolor=PREVIOUS_COLOR)
    frame.set_gid("frame:step")
    ax.add_patch(frame)
    ax.text(12.9, 7.5, "one step $t$", ha="right", va="center", fontsize=8, color="#6b7785")

    reads = "read head" if num_read == 1 else f"$R = {num_read}$ read heads"
    writes = "write head" if num_write == 1 else f"$W = {num_write}$ write heads"
    _box(ax, "input", "input\n$x_t$", IO_COLOR)
    _box(ax, "controller", "controller\n$h_t$ ($C$ units)\nsees $[x_t;\\, r_{t-1}]$",
         CONTROLLER_COLOR)
    _box(ax, "output", "output $y_t$\nfrom $[h_t;\\, r_t]$", IO_COLOR)
    _box(ax, "read_head", f"{reads}\n$k, \\beta, g, s, \\gamma$\ncontent, gate, shift, sharpen",
         READ_COLOR, fontsize=8)
    _box(ax, "write_head", f"{writes}\n$k, \\beta, g, s, \\gamma$;  $e, a$\n"
         "content, gate, shift, sharpen", WRITE_COLOR, fontsize=8)
    _box(ax, "read_vector", "read vector $r_t$\n($M$ numbers)", READ_COLOR, fontsize=8)

    # The memory: a box with N rows (slots) of M numbers, a few rows drawn.
    _box(ax, "memory", "", "#f2f2f2")
    x, y, w, h = NTM_BOXES["memory"]
    top, rows = y + h / 2, 9
    for i in range(1, rows):
        ax.plot([x - w / 2, x + w / 2], [top - i * h / rows] * 2, color="#b0b0b0", linewidth=0.6)
    ax.text(x, top + 0.25, "memory $\\mathbf{M}_t$", ha="center", va="bottom", fontsize=9)
    ax.text(x, y, "$N$ slots (rows)\n$\\times$\n$M$ numbers each", ha="center", va="center",
            fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5}).set_gid(
        "label:memory")

    _arrow(ax, _edge("input", "right"), _edge("controller", "left"), "input", "controller")
    _arrow(ax, _edge("controller", "top"), _edge("output", "bottom"), "controller", "output",
           "$h_t$", label_at=(3.95, 5.8), label_ha="left")
    _arrow(ax, _edge("controller", "right", 0.4), _edge("read_head", "left"), "controller",
           "read_head", "$h_t$", color=READ_COLOR)
    _arrow(ax, _edge("controller", "right", -0.4), _edge("write_head", "left"), "controller",
           "write_head", "$h_t$", color=WRITE_COLOR)
    _arrow(ax, _edge("read_head", "right"), _edge("memory", "left", 1.0), "read_head", "memory",
           "$w^r_t$: read", color=READ_COLOR, label_at=(9.65, 5.4))
    _arrow(ax, _edge("write_head", "right"), _edge("memory", "left", -1.0), "write_head", "memory",
           "$w^w_t$: erase $e$,\nthen add $a$", color=WRITE_COLOR, label_at=(9.6, 2.35))
    _arrow(ax, _edge("memory", "bottom"), _edge("read_vector", "top"), "memory", "read_vector",
           "$\\sum_i w^r_t(i)\\, \\mathbf{M}_{t-1}(i)$", color=READ_COLOR, label_at=(11.3, 1.65))
    # r_t to the output now, and to the controller at the next step.
    start, end = _edge("read_vector", "right"), _edge("output", "right")
    _arrow(ax, start, end, "read_vector", "output", "$r_t$", color=READ_COLOR,
           via=[(12.75, start[1]), (12.75, end[1])], label_at=(8.0, end[1]))
    start, end = _edge("read_vector", "left"), _edge("controller", "bottom")
    _arrow(ax, start, end, "read_vector", "controller", "$r_t$ enters the controller at step $t+1$",
           color=READ_COLOR, dashed=True, via=[(end[0], start[1])], label_at=(7.0, start[1]))

    ax.text(0.0, -0.3, "$N$ slots, word size $M$; a shift $s$ is a distribution over the "
            "offsets $-S, \\dots, S$; reads see $\\mathbf{M}_{t-1}$, the write makes "
            "$\\mathbf{M}_t$", fontsize=9, ha="left", va="center", color="#444444")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
