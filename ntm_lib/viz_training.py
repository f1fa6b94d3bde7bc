r"""Figures about training and evaluating models: learning curves (of one run, ``plot_history``, or
of several on shared axes, ``plot_histories``), errors against sequence length, one input/target
pair of a task, and where the heads of an NTM point over time.

Like ``ntm_lib.viz``, every function draws one thing with matplotlib (imported on first use) and
returns the figure; nothing here trains or evaluates. The numbers come from
``ntm_lib.train`` (its ``history``), ``ntm_lib.pretrained_history``, the generalisation tables of
``ntm_lib.evaluation`` (``data/eval/<task>.json``) and an ``NTMTrace``.

Shapes use the package notation: T time steps, H heads (read heads first), N memory slots.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .viz import MODEL_COLORS, OTHER_COLORS, as_numpy, open_axes, series_color

TRAIN_COLOR = "#9aa5b1"
TRAIN_ALPHA = 0.45  # the training-batch curves of ``plot_histories``, faded next to validation
READ_COLOR, WRITE_COLOR = "#4c72b0", "#c44e52"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _records(history: Sequence[Mapping[str, float]] | Mapping[str, Any]) -> list[Mapping[str, float]]:
    """The list of validation records of a ``TrainResult.history`` or of ``pretrained_history``."""
    if isinstance(history, Mapping):
        history = history["history"]
    records = list(history)
    if not records:
        raise ValueError("the history is empty: no validation was run")
    return records


def first_converged(history, threshold: float = 0.1) -> Mapping[str, float] | None:
    """The first validation record with fewer than ``threshold`` bit errors per sequence, or None."""
    return next((r for r in _records(history) if r["val_bit_errors"] < threshold), None)


def plot_history(history, title: str | None = None, converged: float | None = 0.1, x: str = "sequences"):
    """Learning curves of one training run: BCE (bits per sequence, log scale) on the left,
    validation bit errors per sequence on the right, against ``x`` ("sequences" or "seconds").

    history: ``TrainResult.history`` (a list of validation records) or the dict returned by
    ``ntm_lib.pretrained_history``. converged: the bit-error threshold drawn as a dashed line; the
    first record under it is marked in both panels (None: neither is drawn).
    """
    plt = _plt()
    records = _records(history)
    xs = np.array([r[x] for r in records], dtype=float)
    val_bce = np.array([r["val_bce_bits"] for r in records])
    errors = np.array([r["val_bit_errors"] for r in records])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    if all("train_bce_bits" in r for r in records):
        train_bce = np.array([r["train_bce_bits"] for r in records])
        left.plot(xs, train_bce, color=TRAIN_COLOR, marker=".", label="training batches (mean since last check)")
    left.plot(xs, val_bce, color=MODEL_COLORS["NTM"], marker=".", label="validation set")
    left.set_yscale("log")
    left.set_ylabel("BCE, bits per sequence")
    left.legend(fontsize=8, frameon=False)
    right.plot(xs, errors, color=MODEL_COLORS["NTM"], marker=".", label="validation set")
    right.set_ylabel("bit errors per sequence")
    right.set_ylim(bottom=0)
    if converged is not None:
        right.axhline(converged, color="black", linestyle="--", linewidth=0.8,
                      label=f"converged: < {converged:g}")
        first = first_converged(records, converged)
        if first is not None:
            for ax in (left, right):
                ax.axvline(first[x], color="black", linestyle=":", linewidth=0.8)
            unit = "s" if x == "seconds" else " sequences"
            right.annotate(f"first under {converged:g}:\n{first[x]:,.0f}{unit}", xy=(first[x], converged),
                           xytext=(8, 40), textcoords="offset points", fontsize=8,
                           arrowprops={"arrowstyle": "->", "linewidth": 0.6})
    right.legend(fontsize=8, frameon=False)
    for ax in (left, right):
        _sequence_axis(ax, x, xs.max())
        ax.grid(alpha=0.3)
        open_axes(ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _sequence_axis(ax, x: str, largest: float) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_xlabel("training sequences" if x == "sequences" else x)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    if x == "sequences" and largest >= 10_000:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k" if value else "0"))


def plot_histories(histories: Mapping[str, Any], title: str | None = None, x: str = "sequences",
                   converged: float | None = 0.1, train: bool = True, log: bool | None = None,
                   reference: Mapping[str, tuple[float, float]] | None = None):
    """Learning curves of several runs on shared axes (e.g. NTM against LSTM): BCE bits per
    sequence on the left, validation bit errors per sequence on the right, against ``x``
    ("sequences" or "seconds").

    histories: {label: history}, each a ``TrainResult.history`` or the dict returned by
    ``ntm_lib.pretrained_history``. Labels "NTM" and "LSTM" get the book's model colours.
    train: also draw the training-batch BCE (thin, faded) next to the validation BCE.
    converged: the bit-error threshold drawn as a dashed line (None: not drawn).
    log: a log scale for the BCE (None: only if its values span more than a factor of 10).
    reference: {label: (bce_bits, bit_errors)} drawn as dotted horizontal lines (e.g. guessing).
    """
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    others = iter(OTHER_COLORS)
    bce_values, largest = [], 0.0
    for label, history in histories.items():
        records = _records(history)
        color = series_color(label, others)
        xs = np.array([r[x] for r in records], dtype=float)
        largest = max(largest, float(xs.max()))
        val_bce = [r["val_bce_bits"] for r in records]
        bce_values += val_bce
        left.plot(xs, val_bce, color=color, marker=".", label=f"{label} (validation)")
        if train and all("train_bce_bits" in r for r in records):
            train_bce = [r["train_bce_bits"] for r in records]
            bce_values += train_bce
            left.plot(xs, train_bce, color=color, alpha=TRAIN_ALPHA, linewidth=0.8,
                      label=f"{label} (training batches)")
        right.plot(xs, [r["val_bit_errors"] for r in records], color=color, marker=".", label=label)
    for label, (bce, errors) in (reference or {}).items():
        left.axhline(bce, color="black", linestyle=":", linewidth=0.8, label=label)
        right.axhline(errors, color="black", linestyle=":", linewidth=0.8, label=label)
    if log is None:
        finite = np.array([v for v in bce_values if np.isfinite(v) and v > 0])
        log = finite.size > 0 and finite.max() > 10 * finite.min()
    if log:
        left.set_yscale("log")
    else:
        left.set_ylim(bottom=0)
    left.set_ylabel("BCE, bits per sequence")
    right.set_ylabel("bit errors per sequence")
    right.set_ylim(bottom=0)
    if converged is not None:
        right.axhline(converged, color="black", linestyle="--", linewidth=0.8, label=f"converged: < {converged:g}")
    for ax in (left, right):
        _sequence_axis(ax, x, largest)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        open_axes(ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def table_curves(table: Mapping[str, Any], metric: str = "bit_errors", keyword: str = "length",
                 models: Sequence[str] | None = None) -> dict[str, tuple[list[int], list[float]]]:
    """{model label: (sizes, values)} from a generalisation table (``data/eval/<task>.json``).

    Each row's size is its ``sample[keyword]``; labels are the model names in capitals.
    ``models`` picks some of the table's models (default: all).
    """
    curves = {}
    for model in table["models"] if models is None else models:
        sizes = [row["sample"][keyword] for row in table["rows"]]
        values = [row[model][metric] for row in table["rows"]]
        curves[model.upper()] = (sizes, values)
    return curves


def plot_errors_vs_length(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                          trained: tuple[int, int] | None = None, ylabel: str = "bit errors per sequence",
                          title: str | None = None, reference: Mapping[str, Any] | None = None,
                          xlabel: str = "sequence length L", ax=None, trained_label: str = "training\nlengths"):
    """Errors against sequence length, one line per model.

    curves: {label: (lengths, values)}, e.g. from ``table_curves``. trained: the (shortest,
    longest) training length, shaded and labelled ``trained_label`` (e.g. "training\nrepeats"
    when the x axis counts repeats). reference: optionally {label: (lengths, values)} drawn as
    thin dotted lines (e.g. "all bits wrong" or "chance" levels). xlabel: for other x axes, e.g.
    the position in the output.
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    fig = ax.figure
    if trained is not None:
        ax.axvspan(trained[0], trained[1], color="#e5e5e5", zorder=0)
        ax.text((trained[0] + trained[1]) / 2, 0.97, trained_label, transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=8, color="#555555")
    others = iter(OTHER_COLORS)
    for label, (lengths, values) in curves.items():
        color = series_color(label, others)
        ax.plot(lengths, values, marker="o", markersize=4, label=label, color=color)
    for label, (lengths, values) in (reference or {}).items():
        ax.plot(lengths, values, linestyle=":", color="black", linewidth=0.8, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="best")
    open_axes(ax)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_pair(inputs, targets, mask=None, title: str | None = None, colorbar: bool = False):
    """One example of a task: its input and target sequences, time running left to right.

    inputs (T, I), targets (T, O), mask (T,) for one sequence (a batch of 1 is dropped). The
    masked steps (where the output is scored) are outlined in the target panel. colorbar: a 0-1
    colour bar beside each panel.
    """
    plt = _plt()
    x, y = as_numpy(inputs, 2), as_numpy(targets, 2)
    steps = x.shape[0]
    fig, axes = plt.subplots(2, 1, figsize=(min(2.0 + 0.28 * steps, 11), 0.32 * (x.shape[1] + y.shape[1]) + 1.6),
                             sharex=True, gridspec_kw={"height_ratios": [x.shape[1], y.shape[1]]})
    for ax, image, name in ((axes[0], x, "input"), (axes[1], y, "target")):
        shown = ax.imshow(image.T, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        if colorbar:
            from mpl_toolkits.axes_grid1 import make_axes_locatable

            cax = make_axes_locatable(ax).append_axes("right", size=0.1, pad=0.06)
            fig.colorbar(shown, cax=cax).ax.tick_params(labelsize=6)
        ax.set_yticks(range(image.shape[1]))
        ax.set_yticklabels([str(i) for i in range(image.shape[1])], fontsize=7)
        ax.set_ylabel(f"{name}\nchannel", fontsize=9)
        ax.set_xticks(np.arange(-0.5, steps, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, image.shape[1], 1), minor=True)
        ax.grid(which="minor", color="#dddddd", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    if mask is not None:
        scored = np.nonzero(as_numpy(mask, 1) > 0)[0]
        if scored.size:
            axes[1].add_patch(plt.Rectangle((scored[0] - 0.5, -0.5), scored[-1] - scored[0] + 1, y.shape[1],
                                            fill=False, edgecolor=WRITE_COLOR, linewidth=1.5))
    axes[1].set_xticks(range(steps))
    axes[1].set_xticklabels([str(t) for t in range(steps)], fontsize=7)
    axes[1].set_xlabel("time step")
    if title:
        axes[0].set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def head_positions(weights) -> np.ndarray:
    """The slot each head attends to most, per step: argmax over N. weights (T, H, N) -> (T, H)."""
    return as_numpy(weights, 3).argmax(-1)


def plot_head_positions(weights, num_read: int = 1, delimiter: int | None = None,
                        title: str | None = None, focused: float = 0.3, ax=None, xlabel: str = "time step"):
    """Where each head points over time: the most-weighted slot per step, one line per head.

    weights: (T, H, N) of one sequence (``NTMTrace.weights``; read heads first). The marker's
    opacity is that slot's weight, so a blurred head shows faint; the line joins only steps where
    the head puts at least ``focused`` on one slot. delimiter: the step of the delimiter, drawn
    as a vertical line. xlabel: for another first axis than time (e.g. the position in a
    sequence, with each head's weighting at the step it handled that position).
    """
    plt = _plt()
    w = as_numpy(weights, 3)
    steps, heads, _ = w.shape
    position, peak = w.argmax(-1), w.max(-1)  # (T, H)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.4))
    fig = ax.figure
    t = np.arange(steps)
    for h in range(heads):
        is_read = h < num_read
        color = READ_COLOR if is_read else WRITE_COLOR
        name = f"read head {h}" if is_read else f"write head {h - num_read}"
        if heads == 2:
            name = name.rsplit(" ", 1)[0]
        joined = np.where(peak[:, h] >= focused, position[:, h], np.nan)
        ax.plot(t, joined, color=color, linewidth=0.8, alpha=0.5)
        colors = np.zeros((steps, 4))
        colors[:, :3] = plt.matplotlib.colors.to_rgb(color)
        colors[:, 3] = np.clip(peak[:, h], 0.2, 1.0)
        ax.scatter(t, position[:, h], c=colors, s=14, marker="o" if is_read else "s", label=name,
                   edgecolors="none")
    if delimiter is not None:
        ax.axvline(delimiter, color="black", linestyle=":", linewidth=0.8)
        ax.text(delimiter, 1.0, " delimiter", transform=ax.get_xaxis_transform(), fontsize=8, va="top")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("most-weighted slot")
    ax.grid(alpha=0.3)
    legend = ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    open_axes(ax)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
