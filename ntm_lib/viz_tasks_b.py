r"""Figures and small measurements for the chapters on priority sort, sort and Dyck words.

Like ``ntm_lib.viz`` and ``ntm_lib.viz_training``, every plotting function draws one thing with
matplotlib (imported on first use) and returns the figure; the measuring functions only count.

- ``plot_histories``: the stored training histories of several models on one pair of axes;
- ``window_trace`` / ``plot_run_window``: ``viz.plot_run`` restricted to a circular window of
  memory slots, for heads that work around slot 0 and wrap to slot N-1 (a plain "first k slots"
  cut would miss slot N-1, and all N slots are unreadable);
- ``plot_heads``: one heatmap per head (read heads first), the same slot window;
- ``channel_error_rates``: how often each output channel is wrong on the scored steps;
- ``rates_by_value``: how often something happens, grouped by an integer key (e.g. the error
  rate of a Dyck model at each stack depth);
- ``plot_scatter``: one variable against another, a point per item (e.g. priority against the
  slot a write head chose).

Shapes use the package notation: B batch, T time steps, H heads (read heads first), N memory
slots, M word size, O output channels.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from .ntm import NTMTrace
from .tasks.base import Batch
from .viz import as_numpy
from .viz_training import MODEL_COLORS, OTHER_COLORS, _records

READ_CMAP, WRITE_CMAP = "Blues", "Reds"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _color(label: str, index: int) -> str:
    return MODEL_COLORS.get(label) or OTHER_COLORS[index % len(OTHER_COLORS)]


def plot_histories(histories: Mapping[str, Any], x: str = "sequences", title: str | None = None,
                   reference: Mapping[str, tuple[float, float]] | None = None, log_bce: bool = False):
    """Validation curves of several runs on the same axes: BCE bits per sequence (left) and bit
    errors per sequence (right) against ``x`` ("sequences" or "seconds").

    histories: {label: history}, each a ``TrainResult.history`` or the dict of
    ``ntm_lib.pretrained_history``; labels "NTM" and "LSTM" get the book's colours.
    reference: {label: (bce_bits, bit_errors)} drawn as dotted horizontal lines (e.g. guessing).
    """
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for i, (label, history) in enumerate(histories.items()):
        records = _records(history)
        xs = [r[x] for r in records]
        color = _color(label, i)
        left.plot(xs, [r["val_bce_bits"] for r in records], marker=".", color=color, label=label)
        right.plot(xs, [r["val_bit_errors"] for r in records], marker=".", color=color, label=label)
    for label, (bce, errors) in (reference or {}).items():
        left.axhline(bce, color="black", linestyle=":", linewidth=0.8, label=label)
        right.axhline(errors, color="black", linestyle=":", linewidth=0.8, label=label)
    if log_bce:
        left.set_yscale("log")
    else:
        left.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    left.set_ylabel("validation BCE, bits per sequence")
    right.set_ylabel("validation bit errors per sequence")
    for ax in (left, right):
        ax.set_xlabel("training sequences" if x == "sequences" else x)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def window_slots(first: int, last: int, num_slots: int) -> Tensor:
    """The slot indices first, first+1, .., last taken modulo ``num_slots`` (so -2 is N-2), long."""
    if last < first or last - first + 1 > num_slots:
        raise ValueError(f"need first <= last and at most {num_slots} slots, got {first}..{last}")
    return torch.arange(first, last + 1) % num_slots


def window_trace(trace: NTMTrace, first: int, last: int) -> NTMTrace:
    """The trace restricted to the circular slot window first..last (weightings (.., N) -> (.., n),
    memory (.., N, M) -> (.., n, M)); erase, add and reads are kept as they are."""
    num_slots = trace.weights.shape[-1]
    slots = window_slots(first, last, num_slots)
    return NTMTrace(
        content=trace.content[..., slots], gated=trace.gated[..., slots], shifted=trace.shifted[..., slots],
        weights=trace.weights[..., slots], erase=trace.erase, add=trace.add, reads=trace.reads,
        memory=trace.memory[..., slots, :],
    )


def _slot_ticks(first: int, last: int, most: int = 9) -> list[int]:
    """At most ``most`` round slot numbers between first and last: the multiples of 1, 2, 5,
    10, 20, .. (the smallest step that fits), so that 0 is among them when it is in range."""
    span = last - first + 1
    step = 1
    while span / step > most:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return [t for t in range(first, last + 1) if t % step == 0]


def plot_run_window(inputs, targets, logits, mask, trace: NTMTrace, num_read: int, first: int, last: int,
                    title: str | None = None):
    """``viz.plot_run`` for one sequence, with the weightings and memory restricted to the
    circular slot window first..last and labelled with the real slot numbers (-1 is N-1).

    trace: an ``NTMTrace`` of one sequence (batch of 1). Read and write weightings are summed
    over the read heads and over the write heads, as in ``plot_run``; see ``plot_heads`` for
    one panel per head.
    """
    from .viz import plot_run

    fig = plot_run(inputs, targets, logits, mask, window_trace(trace, first, last), num_read=num_read,
                   title=title, max_slots=last - first + 1)
    ticks = _slot_ticks(first, last)
    for ax in fig.axes:
        label = ax.get_ylabel()
        if "weighting" in label:
            ax.set_yticks([t - first for t in ticks])
            ax.set_yticklabels([str(t) for t in ticks], fontsize=7)
        elif label.startswith("memory"):
            ax.set_xticks([t - first for t in ticks])
            ax.set_xticklabels([str(t) for t in ticks], fontsize=7)
    return fig


def plot_heads(weights, num_read: int, first: int, last: int, delimiter: int | None = None,
               title: str | None = None, columns: int | None = None):
    """One heatmap per head: its weighting over the slots first..last (circular, so -1 is N-1)
    against time. weights: (T, H, N) of one sequence (``NTMTrace.weights``, read heads first).

    Read heads are drawn in blue, write heads in red, each on a 0-1 scale. delimiter: a step
    marked with a dotted vertical line. columns: panels per row (default: all heads in one row
    up to 4, else 4 per row).
    """
    plt = _plt()
    w = as_numpy(weights, 3)
    steps, heads, num_slots = w.shape
    slots = window_slots(first, last, num_slots).numpy()
    columns = columns or min(heads, 4)
    rows = int(np.ceil(heads / columns))
    height = min(0.16 * len(slots) + 1.0, 4.0)
    fig, axes = plt.subplots(rows, columns, figsize=(min(2.9 * columns, 12), height * rows + 0.6),
                             squeeze=False, sharey=True)
    ticks = _slot_ticks(first, last)
    for h in range(rows * columns):
        ax = axes[h // columns, h % columns]
        if h >= heads:
            ax.axis("off")
            continue
        is_read = h < num_read
        name = f"read head {h}" if is_read else f"write head {h - num_read}"
        ax.imshow(w[:, h][:, slots].T, aspect="auto", cmap=READ_CMAP if is_read else WRITE_CMAP,
                  vmin=0, vmax=1, interpolation="nearest")
        if delimiter is not None:
            ax.axvline(delimiter, color="black", linestyle=":", linewidth=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_yticks([t - first for t in ticks])
        ax.set_yticklabels([str(t) for t in ticks], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        if h % columns == 0:
            ax.set_ylabel("slot", fontsize=8)
        if h // columns == rows - 1 or h + columns >= heads:
            ax.set_xlabel("time step", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def channel_error_rates(logits: Tensor, batch: Batch) -> Tensor:
    """The fraction of wrong bits in each output channel over the scored steps, (O,).

    A bit is wrong when the thresholded output (logit > 0) differs from the target, as in
    ``tasks.base.bit_errors_per_sequence``; steps with mask 0 are not counted.
    """
    with torch.no_grad():
        wrong = ((logits > 0).to(batch.targets.dtype) != batch.targets).float()  # (B, T, O)
        scored = batch.mask.unsqueeze(-1)  # (B, T, 1)
        return (wrong * scored).sum((0, 1)) / scored.sum((0, 1)).clamp(min=1)


def rates_by_value(keys: Tensor, events: Tensor, mask: Tensor | None = None
                   ) -> tuple[list[int], list[float], list[int]]:
    """The mean of ``events`` (e.g. "this step is wrong") over the entries with each value of
    ``keys`` (e.g. the depth at that step), counting only entries where ``mask`` is nonzero.

    keys: integer tensor; events: bool or 0/1 tensor of the same shape; mask: optional, same
    shape. Returns (values, rates, counts), one entry per value that occurs, in increasing order.
    """
    if keys.shape != events.shape or (mask is not None and mask.shape != keys.shape):
        raise ValueError(f"keys {tuple(keys.shape)}, events {tuple(events.shape)} and mask must have one shape")
    keep = torch.ones_like(keys, dtype=torch.bool) if mask is None else mask != 0
    keys, events = keys[keep].long(), events[keep].float()
    values, index, counts = torch.unique(keys, return_inverse=True, return_counts=True)
    sums = torch.zeros(len(values)).index_add_(0, index, events)
    return values.tolist(), (sums / counts).tolist(), counts.tolist()


def plot_scatter(points: Mapping[str, tuple[Sequence[float], Sequence[float]]], xlabel: str, ylabel: str,
                 title: str | None = None, ax=None):
    """One variable against another, one point per item, one colour per series.

    points: {label: (xs, ys)}; labels "NTM" and "LSTM" get the book's colours.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    fig = ax.figure
    for i, (label, (xs, ys)) in enumerate(points.items()):
        ax.scatter(as_numpy(xs, 1), as_numpy(ys, 1), s=16, color=_color(label, i), label=label, alpha=0.8,
                   edgecolors="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(points) > 1:
        ax.legend(fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
