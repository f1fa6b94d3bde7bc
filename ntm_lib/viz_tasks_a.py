r"""Figures and small helpers for the task chapters on copy, repeat copy, associative recall and
dynamic N-grams (chapters 5-8 of the book).

Like ``ntm_lib.viz`` and ``ntm_lib.viz_training``, each figure function draws one thing with
matplotlib (imported on first use) and returns the figure; nothing here trains. The numbers come
from ``ntm_lib.pretrained_history`` (learning curves), an ``NTMTrace`` (weightings and memory),
the generalisation tables of ``ntm_lib.evaluation`` and ``ntm_lib.tasks.ngrams``.

- ``plot_histories``: the learning curves of several models on shared axes (NTM against LSTM).
- ``window_trace`` and ``plot_run_window``: a run through an NTM with the weightings and memory
  drawn for a chosen list of slots (for heads that move backwards, or wrap around slot 0).
- ``generalisation_table``: the committed table ``data/eval/<task>.json``, or the same table
  recomputed when the package is installed without ``data/`` (e.g. on Colab).
- ``plot_probabilities``: predicted probabilities of the next bit, one line per predictor, under
  the bit sequence (dynamic N-grams).

Shapes use the package notation: T time steps, H heads (read heads first), N memory slots,
M word size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .viz import as_numpy

MODEL_COLORS = {"NTM": "#4c72b0", "LSTM": "#dd8452"}
OTHER_COLORS = ("#55a868", "#8172b2", "#c44e52", "#937860")
TRAIN_ALPHA = 0.45

# NTMTrace fields indexed by memory slot (last dimension N) and the memory (B, T, N, M).
_SLOT_FIELDS = ("content", "gated", "shifted", "weights")


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _records(history) -> list[Mapping[str, float]]:
    if isinstance(history, Mapping):
        history = history["history"]
    records = list(history)
    if not records:
        raise ValueError("the history is empty: no validation was run")
    return records


def _color(label: str, others) -> str | None:
    return MODEL_COLORS.get(label.upper()) or next(others, None)


def plot_histories(histories: Mapping[str, Any], title: str | None = None, x: str = "sequences",
                   converged: float | None = 0.1, train: bool = True, log: bool | None = None):
    """Learning curves of several runs on shared axes: BCE bits per sequence on the left,
    validation bit errors per sequence on the right, against ``x`` ("sequences" or "seconds").

    histories: {label: history}, each a ``TrainResult.history`` or the dict returned by
    ``ntm_lib.pretrained_history``. Labels "NTM" and "LSTM" get the book's model colours.
    train: also draw the training-batch BCE (thin, faded) next to the validation BCE.
    converged: the bit-error threshold drawn as a dashed line (None: not drawn).
    log: a log scale for the BCE (None: only if its values span more than a factor of 10).
    """
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    others = iter(OTHER_COLORS)
    bce_values = []
    for label, history in histories.items():
        records = _records(history)
        bce_values += [r["val_bce_bits"] for r in records] + [r.get("train_bce_bits", np.nan) for r in records]
        color = _color(label, others)
        xs = np.array([r[x] for r in records], dtype=float)
        left.plot(xs, [r["val_bce_bits"] for r in records], color=color, marker=".", label=f"{label} (validation)")
        if train and all("train_bce_bits" in r for r in records):
            left.plot(xs, [r["train_bce_bits"] for r in records], color=color, alpha=TRAIN_ALPHA,
                      linewidth=0.8, label=f"{label} (training batches)")
        right.plot(xs, [r["val_bit_errors"] for r in records], color=color, marker=".", label=label)
    if log is None:
        finite = np.array([v for v in bce_values if np.isfinite(v) and v > 0])
        log = finite.size > 0 and finite.max() > 10 * finite.min()
    if log:
        left.set_yscale("log")
    left.set_ylabel("BCE, bits per sequence")
    right.set_ylabel("bit errors per sequence")
    right.set_ylim(bottom=0)
    if converged is not None:
        right.axhline(converged, color="black", linestyle="--", linewidth=0.8, label=f"converged: < {converged:g}")
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


def window_trace(trace, slots: Sequence[int]):
    """The same ``NTMTrace`` restricted to ``slots`` (a list of slot indices, in the order to
    draw them; it may wrap around, e.g. ``[*range(120, 128), *range(0, 8)]``).

    Weightings (B, T, H, N) and memory (B, T, N, M) keep only those slots; erase, add and reads
    are unchanged. Works on a trace with or without its batch dimension.
    """
    import torch

    index = torch.as_tensor(list(slots), dtype=torch.long)
    if index.dim() != 1 or index.numel() == 0:
        raise ValueError("slots must be a non-empty list of slot indices")
    fields = trace._asdict()
    size = fields["weights"].shape[-1]
    if int(index.min()) < -size or int(index.max()) >= size:
        raise ValueError(f"slots must lie in 0 .. {size - 1}, got {list(slots)}")
    for name in _SLOT_FIELDS:
        fields[name] = fields[name].index_select(-1, index % size)
    fields["memory"] = fields["memory"].index_select(-2, index % size)
    return type(trace)(**fields)


def used_slots(trace, threshold: float = 0.05, num_heads: Sequence[int] | None = None) -> list[int]:
    """The slots any head weights above ``threshold`` at some step, in increasing order.
    trace: an ``NTMTrace`` of one sequence (weights (T, H, N), or (1, T, H, N))."""
    weights = as_numpy(trace.weights, 3)  # (T, H, N)
    if num_heads is not None:
        weights = weights[:, list(num_heads)]
    return [int(i) for i in np.nonzero(weights.max(axis=(0, 1)) > threshold)[0]]


def _tick_positions(n: int, most: int = 12) -> list[int]:
    step = max(1, int(np.ceil(n / most)))
    positions = list(range(0, n, step))
    if positions[-1] != n - 1:
        positions.append(n - 1)
    return positions


def plot_run_window(inputs, targets, logits, mask=None, trace=None, num_read: int = 1,
                    slots: Sequence[int] | None = None, marks: Mapping[int, str] | None = None,
                    title: str | None = None, output_labels: Sequence[str] | None = None):
    """One sequence through a model, like ``ntm_lib.viz.plot_run``, with the NTM's read and
    write weightings and its final memory drawn only for ``slots`` (real slot numbers on the
    axes), and optional vertical lines at time steps ``marks`` ({step: label}).

    inputs (T, I), targets (T, O), logits (T, O), mask (T,); trace: an ``NTMTrace`` of one
    sequence (batch of 1), or None for a model without memory. slots: the slots to draw, in
    order (default: every slot a head weights above 0.05; see ``used_slots``).
    output_labels: names of the output channels, shown on the target panel (e.g. the end marker).
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
    heights = [max(1.0, 0.12 * image.shape[0]) if "weighting" not in name else 2.5 for name, image in panels]
    if trace is not None:
        heights.append(2.0)
    fig, axes = plt.subplots(len(heights), 1, figsize=(9, sum(heights) * 0.9 + 1.2),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    axes = axes[:, 0]
    steps = x.shape[0]
    for ax, (name, image) in zip(axes, panels):
        is_weighting = "weighting" in name
        ax.imshow(image, aspect="auto", cmap="Blues" if is_weighting else "Greys", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_yticks([])
        if is_weighting:
            ticks = _tick_positions(len(slots), most=6)
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
    axes[len(panels) - 1].set_xlabel("time step")
    if trace is not None:
        ax = axes[-1]
        limit = float(np.abs(memory).max()) or 1.0
        ax.imshow(memory.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_ylabel("memory at the end\n(word x slot)", rotation=0, ha="right", va="center")
        ticks = _tick_positions(len(slots))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(slots[i]) for i in ticks], fontsize=7)
        ax.set_xlabel("slot")
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.97) if title else None)
    return fig


def generalisation_table(task: str, directory: str | Path | None = None) -> dict[str, Any]:
    """The generalisation table of ``task``: ``data/eval/<task>.json`` from the repository when
    it is there, else the same table recomputed with ``ntm_lib.evaluation.evaluate_task`` (its
    test sets are seeded, so both give the same numbers; a pip install has no ``data/eval``)."""
    from . import evaluation

    path = Path(directory or evaluation.EVAL_DIR) / f"{task}.json"
    if path.is_file():
        return json.loads(path.read_text())
    return evaluation.evaluate_task(task)


def format_table(table: Mapping[str, Any], metrics: Sequence[str] = ("bit_errors", "bce_bits"),
                 width: int = 10) -> str:
    """A generalisation table as fixed-width text: one line per condition, one column per
    model and metric (e.g. "NTM bit_errors")."""
    models = list(table["models"])
    label_width = max(len("condition"), *(len(row["condition"]) for row in table["rows"]))
    names = [f"{m.upper()} {k}" for m in models for k in metrics]
    width = max(width, *(len(n) for n in names))
    lines = ["condition".ljust(label_width) + "".join(n.rjust(width + 2) for n in names)]
    for row in table["rows"]:
        cells = [f"{row[m][k]:.3f}".rjust(width + 2) for m in models for k in metrics]
        lines.append(row["condition"].ljust(label_width) + "".join(cells))
    return "\n".join(lines)


def plot_probabilities(bits, predictions: Mapping[str, Any], truth=None, steps: Sequence[int] | None = None,
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
                color=_color(label, others))
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
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig
