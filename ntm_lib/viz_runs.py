r"""Figures of one sequence through a model, over time: input, target, output, and for an NTM
its head weightings and memory (from an ``NTMTrace``).

- ``plot_run``: the whole picture, on slots 0 up to the last one a head visited;
- ``plot_run_window``: the same on a chosen list of slots (``window_slots`` builds a circular
  window such as -3..23 that wraps around slot 0; ``window_trace`` cuts a trace to it);
- ``plot_heads``: each head's weighting over the same slots; ``plot_scatter``: one variable
  against another; ``plot_probabilities``: predicted next-bit probabilities (dynamic N-grams);

Shapes: T time steps, H heads (read heads first), N memory slots, M word size; a leading batch
dimension of size 1 is dropped (``first_sequence`` takes one sequence out of a traced batch).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .viz import OTHER_COLORS, _plt, as_numpy, open_axes, series_color


def plot_run(inputs, targets, logits, mask=None, trace=None, num_read: int = 1, title: str | None = None,
             max_slots: int | None = None, colorbar: bool = False):
    """One sequence through a model: input, target, output and, for an NTM (``trace`` given),
    the read and write weightings over time and the memory after the last step.

    inputs (T, I), targets (T, O), logits (T, O), mask (T,); trace: an ``NTMTrace`` of one
    sequence (batch of 1). Time runs left to right. Only slots 0 up to the last one a head
    visited are drawn (or the first ``max_slots``), so a 128-slot memory stays readable; see
    ``plot_run_window`` for any other list of slots. colorbar: as in ``plot_run_window``.
    """
    slots = None
    if trace is not None:
        num_slots = trace.weights.shape[-1]
        used = used_slots(trace)
        top = used[-1] + 1 if used else num_slots
        slots = list(range(min(max_slots or top, num_slots)))
    return plot_run_window(inputs, targets, logits, mask, trace, num_read=num_read, slots=slots, title=title,
                           colorbar=colorbar)


# NTMTrace fields indexed by memory slot (last dimension N); the memory (.., N, M) is handled apart.
_SLOT_FIELDS = ("content", "gated", "shifted", "weights")


def first_sequence(trace):
    """The first sequence of a traced batch: every field of the ``NTMTrace`` without its batch
    dimension (weights (B, T, H, N) -> (T, H, N), memory (B, T, N, M) -> (T, N, M))."""
    return type(trace)(*(x[0] for x in trace))


def window_slots(first: int, last: int, num_slots: int) -> list[int]:
    """The contiguous circular window of slots first, first+1, .., last, for ``plot_run_window``.

    Negative numbers count back from slot N-1 (-1 is N-1), so a window can wrap around slot 0:
    ``window_slots(-2, 2, 128)`` is [-2, -1, 0, 1, 2] and draws slots 126, 127, 0, 1, 2 with
    those labels. At most ``num_slots`` slots.
    """
    if last < first or last - first + 1 > num_slots or first < -num_slots or last >= num_slots:
        raise ValueError(f"need first <= last, at most {num_slots} slots within -{num_slots} .. {num_slots - 1}, "
                         f"got {first}..{last}")
    return list(range(first, last + 1))


def window_trace(trace, slots: Sequence[int]):
    """The same ``NTMTrace`` restricted to ``slots`` (slot indices in the order to draw them; -1
    is N-1, so a window may wrap around, e.g. ``[-8, .., -1, 0, .., 7]`` or ``[0, 127, 126]``).

    Weightings (.., N) -> (.., n) and memory (.., N, M) -> (.., n, M) keep only those slots;
    erase, add and reads are unchanged. Works on a trace with or without its batch dimension.
    """
    import torch

    index = torch.as_tensor(list(slots), dtype=torch.long)
    if index.dim() != 1 or index.numel() == 0:
        raise ValueError("slots must be a non-empty list of slot indices")
    fields = trace._asdict()
    size = fields["weights"].shape[-1]
    if int(index.min()) < -size or int(index.max()) >= size:
        raise ValueError(f"slots must lie in -{size} .. {size - 1}, got {list(slots)}")
    for name in _SLOT_FIELDS:
        fields[name] = fields[name].index_select(-1, index % size)
    fields["memory"] = fields["memory"].index_select(-2, index % size)
    return type(trace)(**fields)


def used_slots(trace, threshold: float = 0.05, heads: Sequence[int] | None = None) -> list[int]:
    """The slots any head (or any of ``heads``) weights above ``threshold`` at some step, in
    increasing order. trace: an ``NTMTrace`` of one sequence (weights (T, H, N), or (1, T, H, N))."""
    weights = as_numpy(trace.weights, 3)  # (T, H, N)
    if heads is not None:
        weights = weights[:, list(heads)]
    return [int(i) for i in np.nonzero(weights.max(axis=(0, 1)) > threshold)[0]]


def _slot_ticks(slots: Sequence[int], most: int = 9) -> list[int]:
    """Positions in ``slots`` to label: those whose slot number is a multiple of the smallest of
    1, 2, 5, 10, 20, 50, .. that leaves at most ``most`` labels (so slot 0 is labelled when drawn)."""
    step = 1
    while sum(s % step == 0 for s in slots) > most:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    positions = [i for i, s in enumerate(slots) if s % step == 0]
    return positions or [0]


def _colorbar(fig, image, ax, label: str | None = None):
    """A thin colour bar to the right of ``ax`` for ``image``, taking its room from ``ax`` alone
    (so stacked panels that all get one keep their time axes aligned)."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    cax = make_axes_locatable(ax).append_axes("right", size=0.12, pad=0.06)
    bar = fig.colorbar(image, cax=cax)
    bar.ax.tick_params(labelsize=6)
    if label:
        bar.set_label(label, fontsize=7)
    return bar


def _integer_axis(axis) -> None:
    """Whole-number ticks (time steps, slots) at round steps: 1, 2, 5, 10, 20, .."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def plot_run_window(inputs, targets, logits, mask=None, trace=None, num_read: int = 1,
                    slots: Sequence[int] | None = None, marks: Mapping[int, str] | None = None,
                    title: str | None = None, output_labels: Sequence[str] | None = None,
                    colorbar: bool = False):
    """One sequence through a model: input, target, output and, for an NTM (``trace`` given),
    the read and write weightings and the final memory drawn only for ``slots``, labelled with
    the slot numbers as given (-1 is N-1), and optional vertical lines at time steps ``marks``
    ({step: label}).

    inputs (T, I), targets (T, O), logits (T, O), mask (T,); trace: an ``NTMTrace`` of one
    sequence (batch of 1), or None for a model without memory. slots: the slots to draw, in
    order (``window_slots(first, last, N)`` for a circular window; default: every slot a head
    weights above 0.05, see ``used_slots``). Read and write weightings are summed over the read
    heads and over the write heads; see ``plot_heads`` for one panel per head.
    output_labels: names of the output channels, shown on the target panel (e.g. the end marker).
    colorbar: draw a colour bar beside each heat map of the trace (the weightings, 0 to 1, and the
    memory's values) in a narrow column on the right, so the time axes stay aligned.
    """
    import torch

    plt = _plt()
    x = as_numpy(inputs, 2)
    y = as_numpy(targets, 2)
    out = as_numpy(torch.sigmoid(torch.as_tensor(as_numpy(logits, 2))), 2)
    if mask is not None:
        m = as_numpy(mask, 1)[:, None]
        y, out = y * m, out * m
    panels = [("input", x.T), ("target", y.T), ("output $\\sigma(y)$", out.T)]
    if trace is not None:
        slots = list(slots) if slots is not None else used_slots(trace)
        window = window_trace(trace, slots)
        weights = as_numpy(window.weights, 3)  # (T, H, n)
        panels += [("read weighting", weights[:, :num_read].sum(1).T),
                   ("write weighting", weights[:, num_read:].sum(1).T)]
        memory = as_numpy(window.memory, 3)[-1]  # (n, M)
        ticks = _slot_ticks(slots)
    heights = [max(1.0, 0.12 * image.shape[0]) if "weighting" not in name else 2.5 for name, image in panels]
    if trace is not None:
        heights.append(2.0)
    figsize = (9, sum(heights) * 0.9 + 1.2)
    if colorbar and trace is not None:
        fig = plt.figure(figsize=(9.4, figsize[1]))
        grid = fig.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=(60, 1),
                                wspace=0.02)
        axes = np.array([fig.add_subplot(grid[i, 0]) for i in range(len(heights))])
        bar_axes = {i: fig.add_subplot(grid[i, 1]) for i in range(len(panels) - 2, len(heights))}
    else:
        fig, axes = plt.subplots(len(heights), 1, figsize=figsize,
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        axes = axes[:, 0]
        bar_axes = {}
    steps = x.shape[0]
    for ax, (name, image) in zip(axes, panels):
        is_weighting = "weighting" in name
        shown = ax.imshow(image, aspect="auto", cmap="Blues" if is_weighting else "Greys", vmin=0,
                          vmax=1, interpolation="nearest")
        if is_weighting and bar_axes:
            bar = fig.colorbar(shown, cax=bar_axes[list(axes).index(ax)])
            bar.set_label("weight", fontsize=7)
            bar.ax.tick_params(labelsize=7)
        ax.set_yticks([])
        if is_weighting:
            ax.set_yticks(ticks)
            ax.set_yticklabels([str(slots[i]) for i in ticks], fontsize=7)
            name = f"{name}\n(slot)"
        elif name == "target" and output_labels:
            ax.set_yticks(range(len(output_labels)))
            ax.set_yticklabels(output_labels, fontsize=6)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        for step, label in (marks or {}).items():
            ax.axvline(step - 0.5, color="#c44e52", linewidth=0.8, linestyle=":")
            if ax is axes[0]:
                ax.text(step - 0.5, 1.02, label, transform=ax.get_xaxis_transform(), fontsize=7,
                        color="#c44e52", ha="center", va="bottom")
        ax.set_xlim(-0.5, steps - 0.5)
    for ax in axes[: len(panels) - 1]:
        ax.set_xticks([])
    _integer_axis(axes[len(panels) - 1].xaxis)
    axes[len(panels) - 1].set_xlabel("time step")
    if trace is not None:
        ax = axes[-1]
        limit = float(np.abs(memory).max()) or 1.0
        shown = ax.imshow(memory.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")
        if bar_axes:
            bar = fig.colorbar(shown, cax=bar_axes[len(axes) - 1])
            bar.set_label("value", fontsize=7)
            bar.ax.tick_params(labelsize=7)
        ax.set_ylabel("memory at the end\n(word x slot)", rotation=0, ha="right", va="center")
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(slots[i]) for i in ticks], fontsize=7)
        ax.set_xlabel("slot")
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    if bar_axes:  # tight_layout cannot place colour-bar axes: fixed margins instead
        fig.subplots_adjust(left=0.17, right=0.93, bottom=0.5 / figsize[1],
                            top=1 - (0.6 if title else 0.25) / figsize[1], hspace=0.45)
    else:
        fig.tight_layout(rect=(0, 0, 1, 0.97) if title else None)
    return fig


READ_CMAP, WRITE_CMAP = "Blues", "Reds"


def plot_heads(weights, num_read: int, slots: Sequence[int], delimiter: int | None = None,
               title: str | None = None, columns: int | None = None, colorbar: bool = False):
    """One heatmap per head: its weighting over ``slots`` (e.g. ``window_slots(-3, 23, N)``; -1
    is N-1) against time. weights: (T, H, N) of one sequence (``NTMTrace.weights``, read heads
    first).

    Read heads are drawn in blue, write heads in red, each on a 0-1 scale. delimiter: a step
    marked with a dotted vertical line. columns: panels per row (default: all heads in one row
    up to 4, else 4 per row). colorbar: a 0-1 colour bar beside each panel.
    """
    plt = _plt()
    w = as_numpy(weights, 3)
    _, heads, num_slots = w.shape  # (T, H, N)
    slots = list(slots)
    index = np.array(slots) % num_slots
    columns = columns or min(heads, 4)
    rows = int(np.ceil(heads / columns))
    height = min(0.16 * len(slots) + 1.0, 4.0)
    fig, axes = plt.subplots(rows, columns, figsize=(min(2.9 * columns, 12), height * rows + 0.6),
                             squeeze=False, sharey=True)
    ticks = _slot_ticks(slots)
    for h in range(rows * columns):
        ax = axes[h // columns, h % columns]
        if h >= heads:
            ax.axis("off")
            continue
        is_read = h < num_read
        name = f"read head {h}" if is_read else f"write head {h - num_read}"
        shown = ax.imshow(w[:, h][:, index].T, aspect="auto", cmap=READ_CMAP if is_read else WRITE_CMAP,
                          vmin=0, vmax=1, interpolation="nearest")
        if colorbar:
            _colorbar(fig, shown, ax)
        if delimiter is not None:
            ax.axvline(delimiter, color="black", linestyle=":", linewidth=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_yticks(ticks)
        ax.set_yticklabels([str(slots[i]) for i in ticks], fontsize=7)
        _integer_axis(ax.xaxis)
        ax.tick_params(axis="x", labelsize=7)
        if h % columns == 0:
            ax.set_ylabel("slot", fontsize=8)
        if h // columns == rows - 1 or h + columns >= heads:
            ax.set_xlabel("time step", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_probabilities(bits, predictions: Mapping[str, object], truth=None, steps: Sequence[int] | None = None,
                       title: str | None = None, highlight: Sequence[int] | None = None):
    """Predicted probabilities that the next bit is 1, one line per predictor, under the bits.

    bits: (T,) the sequence the predictors read (0/1). predictions: {label: (T,)} where entry t
    is P(bit t+1 = 1) given bits 0..t (the last entry, beyond the sequence, is not drawn).
    truth: optionally (T,) the true probability of bit t+1 under the generating table, drawn as
    grey steps. steps: the range of t to draw (default: all but the last). highlight: steps t
    to mark with a vertical band (e.g. every step where one context occurs).
    """
    plt = _plt()
    bits = as_numpy(bits, 1)
    total = bits.shape[0]
    steps = list(steps) if steps is not None else list(range(total - 1))
    t = np.array(steps)
    fig, (top, ax) = plt.subplots(2, 1, figsize=(10, 3.8), sharex=True,
                                  gridspec_kw={"height_ratios": [0.5, 3]})
    top.imshow(bits[t + 1][None, :], aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
               extent=(t[0] - 0.5, t[-1] + 0.5, 0, 1))
    top.set_yticks([])
    top.set_ylabel("next bit", rotation=0, ha="right", va="center")
    if truth is not None:
        ax.step(t, as_numpy(truth, 1)[t], where="mid", color="#9aa5b1", linewidth=2.5, alpha=0.6,
                label="true probability (the table)")
    others = iter(OTHER_COLORS)
    for label, p in predictions.items():
        ax.plot(t, as_numpy(p, 1)[t], marker=".", markersize=3, linewidth=1, label=label,
                color=series_color(label, others))
    for step in highlight or ():
        if t[0] <= step <= t[-1]:
            for a in (top, ax):
                a.axvspan(step - 0.5, step + 0.5, color="#f2d7a7", alpha=0.5, zorder=0, linewidth=0)
    ax.set_ylim(0, 1)
    ax.set_xlim(t[0] - 0.5, t[-1] + 0.5)
    ax.set_ylabel("P(next bit = 1)")
    ax.set_xlabel("step t (after reading bit t)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    open_axes(ax)
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig


def plot_scatter(points: Mapping[str, tuple[Sequence[float], Sequence[float]]], xlabel: str, ylabel: str,
                 title: str | None = None, ax=None):
    """One variable against another, one point per item, one colour per series (e.g. priority
    against the slot a write head chose).

    points: {label: (xs, ys)}; labels "NTM" and "LSTM" get the book's colours.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    fig = ax.figure
    others = iter(OTHER_COLORS)
    for label, (xs, ys) in points.items():
        ax.scatter(as_numpy(xs, 1), as_numpy(ys, 1), s=16, color=series_color(label, others), label=label,
                   alpha=0.8, edgecolors="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(points) > 1:
        ax.legend(fontsize=8, frameon=False)
    open_axes(ax)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
