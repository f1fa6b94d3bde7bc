r"""Figures of the Differentiable Neural Computer (chapter 13): its memory management step by step,
the allocation weighting of one usage vector, and one sequence through a trained DNC (in the
manner of the DNC paper's Extended Data Fig. 1), beside an NTM on the same sequence.

- ``plot_steps``: weightings over the slots (usage, allocation, write weighting, ...) at each step
  of a script (``ntm_lib.dnc_examples``), one column per step;
- ``plot_link_steps``: the write weighting, the precedence and the link matrix at each step;
- ``plot_allocation``: a usage vector, its free list and the allocation weighting it gives;
- ``plot_dnc_run``: input, target, output, write and read weightings, usage, gates and read
  modes of one sequence (a ``DNCTrace`` of one sequence);
- ``plot_slot_use``: the write and read weightings of several models on the same sequence.

Like ``ntm_lib.viz`` nothing here computes: the numbers come from ``ntm_lib.dnc_addressing``,
``ntm_lib.dnc_examples`` and a model's trace. Slots run down the vertical axis from slot 0 at the
top, time left to right, as in ``ntm_lib.viz_runs``; every heatmap has a colour bar.

Shapes: T steps, N slots, R read heads, M word size; a leading batch of size 1 is dropped.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .viz import STAGE_COLORS, _plt, as_numpy, open_axes
from .viz_runs import _colorbar, _integer_axis, _slot_ticks

# Colours of the DNC's quantities, the same in every figure of the chapter.
COLORS = {
    "usage": "#8c8c8c",
    "retention": "#937860",
    "allocation": STAGE_COLORS[2],
    "write": "#c44e52",
    "read": "#4c72b0",
    "precedence": "#8172b2",
    "forward": STAGE_COLORS[3],
    "backward": "#937860",
    "content": STAGE_COLORS[0],
}
LABELS = {
    "usage": "usage $u_t$",
    "retention": "retention $\\psi_t$",
    "allocation": "allocation $a_t$",
    "write": "write $w^w_t$",
    "read": "read $w^r_t$",
    "precedence": "precedence $p_t$",
}
MODE_NAMES = ("backward", "content", "forward")
CMAPS = {"write": "Reds", "read": "Blues", "usage": "Greys", "link": "Purples"}


BAR_YLIM = (0.0, 1.22)  # room above a full bar for its label


def _bars(ax, w, color, annotate: bool, ylim=BAR_YLIM):
    slots = np.arange(len(w))
    ax.bar(slots, w, color=color, width=0.8)
    if annotate:
        for i, value in enumerate(w):
            if abs(value) >= 0.005:
                ax.text(i, value + 0.03 * (ylim[1] - ylim[0]), f"{value:.2f}", ha="center", va="bottom", fontsize=6)
    ax.set_ylim(*ylim)
    ax.set_yticks([0, 0.5, 1])
    ax.set_xticks(slots)
    ax.set_xticklabels([str(i) for i in slots], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    open_axes(ax)


def plot_steps(rows: Mapping[str, object], titles: Sequence[str], annotate: bool = True,
               suptitle: str | None = None):
    """Bar plots of weightings over the slots at each step: one row per quantity, one column per
    step. rows: {name: (T, N)}, names from ``LABELS`` ("usage", "allocation", "write", ...) get
    the chapter's colours and labels, any other name is used as it is. titles: one per step (e.g.
    ``dnc_examples.describe`` of the script's steps)."""
    plt = _plt()
    data = {name: as_numpy(values, 2) for name, values in rows.items()}
    steps, slots = next(iter(data.values())).shape
    if len(titles) != steps:
        raise ValueError(f"{steps} steps but {len(titles)} titles")
    fig, axes = plt.subplots(len(data), steps, figsize=(max(0.36 * slots, 1.5) * steps + 1.4, 1.5 * len(data) + 0.9),
                             sharey=True, squeeze=False)
    for r, (name, values) in enumerate(data.items()):
        for t in range(steps):
            ax = axes[r, t]
            _bars(ax, values[t], COLORS.get(name, STAGE_COLORS[0]), annotate)
            if r == 0:
                ax.set_title(f"t = {t}\n" + titles[t].replace(", ", "\n"), fontsize=8)
            if r == len(data) - 1:
                ax.set_xlabel("slot", fontsize=7)
        axes[r, 0].set_ylabel(LABELS.get(name, name), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_link_steps(write_weights, precedence, link, titles: Sequence[str], suptitle: str | None = None):
    """The temporal links being built: at each step (columns) the write weighting w^w_t, the
    precedence p_t, and the link matrix L_t (rows i, the slot written later; columns j, the slot
    written earlier), each entry labelled when it is not 0. write_weights, precedence: (T, N);
    link: (T, N, N)."""
    plt = _plt()
    w, p, L = as_numpy(write_weights, 2), as_numpy(precedence, 2), as_numpy(link, 3)
    steps, slots = w.shape
    if len(titles) != steps:
        raise ValueError(f"{steps} steps but {len(titles)} titles")
    size = 0.34 * slots + 0.6
    fig = plt.figure(figsize=(size * steps + 1.8, 2 * 1.5 + size + 1.0))
    grid = fig.add_gridspec(3, steps + 1, width_ratios=[1.0] * steps + [0.05],
                            height_ratios=[1.0, 1.0, size / 1.5])
    image = None
    for t in range(steps):
        top, middle, ax = (fig.add_subplot(grid[r, t]) for r in range(3))
        _bars(top, w[t], COLORS["write"], True, ylim=BAR_YLIM)
        _bars(middle, p[t], COLORS["precedence"], True, ylim=BAR_YLIM)
        top.set_title(f"t = {t}\n" + titles[t].replace(", ", "\n"), fontsize=8)
        image = ax.imshow(L[t], cmap=CMAPS["link"], vmin=0, vmax=1, interpolation="nearest")
        for i in range(slots):
            for j in range(slots):
                if L[t, i, j] >= 0.005:
                    ax.text(j, i, f"{L[t, i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if L[t, i, j] > 0.6 else "black")
        ax.set_xticks(range(slots))
        ax.set_yticks(range(slots))
        ax.tick_params(labelsize=7)
        ax.set_xlabel("j (written before)", fontsize=7)
        if t == 0:
            top.set_ylabel(LABELS["write"], fontsize=8)
            middle.set_ylabel(LABELS["precedence"], fontsize=8)
            ax.set_ylabel("$L_t$: i (written after)", fontsize=7)
        else:
            top.tick_params(labelleft=False)
            middle.tick_params(labelleft=False)
    bar = fig.colorbar(image, cax=fig.add_subplot(grid[2, steps]))
    bar.ax.tick_params(labelsize=6)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_allocation(usage, allocation, title: str | None = None):
    """A usage vector and the allocation weighting it gives: above, the usage of each slot with
    its place in the free list (phi: 1st = least used) written in the bar; below, the allocation
    weighting. usage, allocation: (N,)."""
    import torch

    plt = _plt()
    u, a = as_numpy(usage, 1), as_numpy(allocation, 1)
    order = torch.sort(torch.as_tensor(u)).indices.tolist()  # the free list, as dnc_addressing sorts it
    rank = {slot: k for k, slot in enumerate(order)}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(0.5 * len(u) + 2.2, 3.6), sharex=True)
    _bars(top, u, COLORS["usage"], True, ylim=(0.0, 1.15))
    for slot in range(len(u)):
        top.text(slot, 0.02, f"φ{rank[slot] + 1}", ha="center", va="bottom", fontsize=7,
                 color="black" if u[slot] < 0.2 else "white")
    top.set_ylabel(LABELS["usage"], fontsize=8)
    _bars(bottom, a, COLORS["allocation"], True, ylim=(0.0, 1.15))
    bottom.set_ylabel(LABELS["allocation"], fontsize=8)
    bottom.set_xlabel("slot", fontsize=8)
    top.set_title(title or ("free list φ = (" + ", ".join(str(s) for s in order) + f"),  Σ a = {a.sum():.2f}"),
                  fontsize=9)
    fig.tight_layout()
    return fig


def _heatmap(fig, ax, image, cmap, label, slots: Sequence[int], vmax: float = 1.0):
    shown = ax.imshow(image, aspect="auto", cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    ticks = _slot_ticks(slots)
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(slots[i]) for i in ticks], fontsize=7)
    ax.set_ylabel(f"{label}\n(slot)", rotation=0, ha="right", va="center", fontsize=9)
    _colorbar(fig, shown, ax)
    return shown


def _marks(ax, marks: Mapping[int, str] | None, top: bool):
    for step, label in (marks or {}).items():
        ax.axvline(step - 0.5, color="#c44e52", linewidth=0.8, linestyle=":")
        if top and label:
            ax.text(step - 0.5, 1.02, label, transform=ax.get_xaxis_transform(), fontsize=7,
                    color="#c44e52", ha="center", va="bottom")


def plot_dnc_run(inputs, targets, logits, mask=None, trace=None, marks: Mapping[int, str] | None = None,
                 title: str | None = None, slots: Sequence[int] | None = None):
    """One sequence through a DNC, time left to right: input, target and output; the write
    weighting, the read weightings (summed over the read heads) and the usage of every slot
    (``slots``: which to draw, default all); the gates (write, allocation, and each read head's
    free gate); and read head 0's read modes. ``marks``: {step: label} drawn as dotted lines
    (e.g. where each sequence of a series begins).

    inputs (T, I), targets (T, O), logits (T, O), mask (T,), trace: a ``DNCTrace`` of one
    sequence (``viz_runs.first_sequence``).
    """
    import torch

    plt = _plt()
    x, y = as_numpy(inputs, 2), as_numpy(targets, 2)
    out = as_numpy(torch.sigmoid(torch.as_tensor(as_numpy(logits, 2))), 2)
    if mask is not None:
        m = as_numpy(mask, 1)[:, None]
        y, out = y * m, out * m
    steps = x.shape[0]
    num_slots = trace.usage.shape[-1]
    slots = list(range(num_slots)) if slots is None else list(slots)
    write = as_numpy(trace.write_weights, 2)[:, slots].T  # (n, T)
    read = as_numpy(trace.read_weights, 3).sum(1)[:, slots].T
    usage = as_numpy(trace.usage, 2)[:, slots].T
    free = as_numpy(trace.free_gates, 2)  # (T, R)
    modes = as_numpy(trace.read_modes, 3)[:, 0]  # (T, 3)
    slot_height = max(1.4, 0.11 * len(slots))
    heights = [max(0.8, 0.1 * x.shape[1]), max(0.8, 0.1 * y.shape[1]), max(0.8, 0.1 * y.shape[1]),
               slot_height, slot_height, slot_height, 1.3, 1.1]
    fig, axes = plt.subplots(len(heights), 1, figsize=(9.5, sum(heights) * 0.85 + 1.2),
                             gridspec_kw={"height_ratios": heights})
    for ax, image, name in ((axes[0], x, "input"), (axes[1], y, "target"), (axes[2], out, "output $\\sigma(y)$")):
        shown = ax.imshow(image.T, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        _colorbar(fig, shown, ax)
    _heatmap(fig, axes[3], write, CMAPS["write"], "write $w^w_t$", slots)
    _heatmap(fig, axes[4], read, CMAPS["read"], "read $w^r_t$", slots)
    _heatmap(fig, axes[5], usage, CMAPS["usage"], "usage $u_t$", slots)
    gates = axes[6]
    t = np.arange(steps)
    gates.plot(t, as_numpy(trace.write_gate, 1), color=COLORS["write"], linewidth=1.2, label="write gate $g^w$")
    gates.plot(t, as_numpy(trace.allocation_gate, 1), color=COLORS["allocation"], linewidth=1.2,
               label="allocation gate $g^a$")
    for h in range(free.shape[1]):
        gates.plot(t, free[:, h], color=COLORS["read"], linewidth=1.2, linestyle="--" if h else "-",
                   label="free gate $f$" if free.shape[1] == 1 else f"free gate $f^{h}$")
    gates.set_ylabel("gates", rotation=0, ha="right", va="center", fontsize=9)
    ax_modes = axes[7]
    ax_modes.stackplot(t, modes.T, colors=[COLORS[name] for name in MODE_NAMES], labels=MODE_NAMES, alpha=0.85,
                       step=None)
    ax_modes.set_ylabel("read modes\n(head 0)", rotation=0, ha="right", va="center", fontsize=9)
    for ax in (gates, ax_modes):
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([0, 1])
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.05))
        open_axes(ax)
        ax.set_xlim(-0.5, steps - 0.5)
    for k, ax in enumerate(axes):
        _marks(ax, marks, top=k == 0)
        ax.set_xlim(-0.5, steps - 0.5)
        if k < len(axes) - 1:
            ax.set_xticks([])
    _integer_axis(axes[-1].xaxis)
    axes[-1].tick_params(axis="x", labelsize=7)
    axes[-1].set_xlabel("time step")
    # the line plots have a legend where the heatmaps have a colour bar: align their right edges
    fig.tight_layout(rect=(0, 0, 1, 0.97) if title else None)
    right = axes[3].get_position().x1
    for ax in (gates, ax_modes):
        box = ax.get_position()
        ax.set_position([box.x0, box.y0, right - box.x0, box.height])
    if title:
        fig.suptitle(title)
    return fig


def plot_slot_use(runs: Mapping[str, tuple[object, object]], marks: Mapping[int, str] | None = None,
                  title: str | None = None):
    """The write and read weightings of several models on the same sequence, one row per model:
    runs: {model label: (write weights (T, N), read weights (T, N))} (sum a model's heads of each
    kind first). Slots down, time across, each panel on a 0-1 colour scale."""
    plt = _plt()
    fig, axes = plt.subplots(len(runs), 2, figsize=(11, 1.9 * len(runs) + 0.8), squeeze=False)
    for r, (label, (write, read)) in enumerate(runs.items()):
        for c, (values, kind) in enumerate(((write, "write"), (read, "read"))):
            w = as_numpy(values, 2)  # (T, N)
            ax = axes[r, c]
            _heatmap(fig, ax, w.T, CMAPS[kind], f"{label}\n{kind}", list(range(w.shape[1])))
            _marks(ax, marks, top=r == 0)
            _integer_axis(ax.xaxis)
            ax.tick_params(axis="x", labelsize=7)
            if r == len(runs) - 1:
                ax.set_xlabel("time step", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
