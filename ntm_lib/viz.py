r"""Figure functions for the book's memory and addressing: weightings, addressing stages,
memory matrices, reads and writes (one example at a time). Figures of a whole sequence through a
model live in ``ntm_lib.viz_runs``; learning curves in ``ntm_lib.viz_training``.

Every function takes tensors (or arrays) for one example, draws with matplotlib and returns the
figure, so a chapter can write ``fig = viz.plot_stages(...)``. Nothing here computes: the numbers
come from ``ntm_lib.addressing`` and ``ntm_lib.memory``. matplotlib is imported on first use, so
``import ntm_lib`` never needs it.

- ``plot_weighting``, ``plot_stages``, ``plot_sweep``: weightings and the addressing stages;
- ``plot_memory``, ``plot_read``, ``plot_write``: a memory matrix, a read, an erase/add write;
- ``show_source``: the source of library functions, as a chapter shows it;
- ``as_numpy``, ``series_color`` and the colours: shared by every figure module.

Shapes: a weighting is (N,), a memory (N, M); a leading batch dimension of size 1 is dropped.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

STAGE_TITLES = ("content $w^c$", "gated $w^g$", "shifted $\\tilde w$", "sharpened $w$")
STAGE_COLORS = ("#4c72b0", "#8172b2", "#dd8452", "#55a868")
PREVIOUS_COLOR = "#9aa5b1"
MODEL_COLORS = {"NTM": "#4c72b0", "LSTM": "#dd8452"}  # the book's colours of its two models
OTHER_COLORS = ("#55a868", "#8172b2", "#c44e52", "#937860")  # any other series, in turn


def _plt():
    import matplotlib.pyplot as plt

    return plt


def open_axes(ax) -> None:
    """The book's plain axes: no frame on the top and right."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def series_color(label: str, others) -> str | None:
    """The book's colour of model ``label`` ("NTM", "LSTM", any case), else the next of ``others``
    (an iterator over ``OTHER_COLORS``)."""
    return MODEL_COLORS.get(label.upper()) or next(others, None)


def as_numpy(x, ndim: int) -> np.ndarray:
    """A tensor or array as a float numpy array with ``ndim`` dimensions (size-1 batch dropped)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=float)
    while x.ndim > ndim and x.shape[0] == 1:
        x = x[0]
    if x.ndim != ndim:
        raise ValueError(f"expected {ndim} dimensions (after dropping a batch of 1), got shape {x.shape}")
    return x


def plot_weighting(w, ax=None, title: str | None = None, color: str = STAGE_COLORS[0],
                   previous=None, ylim: tuple[float, float] = (0.0, 1.0), annotate: bool = False,
                   fontsize: float = 7):
    """Bar plot of a weighting over memory slots.

    previous: optionally a second weighting drawn as grey outlines (e.g. w_{t-1}).
    annotate: write each bar's value above it (for short weightings).
    fontsize: of the tick labels (points); the axis label is 1 larger, the title 2.
    """
    plt = _plt()
    w = as_numpy(w, 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.35 * len(w) + 1.2, 2.2))
    slots = np.arange(len(w))
    ax.bar(slots, w, color=color, width=0.8)
    if previous is not None:
        ax.bar(slots, as_numpy(previous, 1), width=0.8, fill=False, edgecolor=PREVIOUS_COLOR,
               linewidth=1.0, linestyle="--", label="previous")
    if annotate:
        for i, value in enumerate(w):
            ax.text(i, value + 0.02 * (ylim[1] - ylim[0]), f"{value:.2f}", ha="center",
                    va="bottom", fontsize=7)
    ax.set_ylim(*ylim)
    ax.set_xticks(slots)
    ax.set_xticklabels([str(i) for i in slots], fontsize=fontsize)
    ax.set_xlabel("slot", fontsize=fontsize + 1)
    ax.tick_params(axis="y", labelsize=fontsize)
    if title:
        ax.set_title(title, fontsize=fontsize + 2)
    open_axes(ax)
    return ax.figure


def plot_stages(stages: Sequence | Mapping, w_prev=None, titles: Sequence[str] | None = None,
                suptitle: str | None = None):
    """One bar plot per addressing stage, left to right (content, gated, shifted, sharpened).

    stages: the four weightings returned by ``ntm_lib.addressing.address`` (or a dict
    ``{title: weighting}``). w_prev, if given, is outlined in the gated panel, where it enters.
    """
    plt = _plt()
    if isinstance(stages, Mapping):
        titles, stages = list(stages.keys()), list(stages.values())
    titles = list(titles or STAGE_TITLES)
    fig, axes = plt.subplots(1, len(stages), figsize=(3.0 * len(stages), 2.4), sharey=True)
    axes = np.atleast_1d(axes)
    for k, (ax, w) in enumerate(zip(axes, stages)):
        plot_weighting(w, ax=ax, title=titles[k], color=STAGE_COLORS[k % len(STAGE_COLORS)],
                       previous=w_prev if (w_prev is not None and k == 1) else None)
    axes[0].set_ylabel("weight", fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_memory(memory, ax=None, title: str | None = None, weighting=None,
                row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                cmap: str = "RdBu_r", annotate: bool = False, vmax: float | None = None,
                read_vector=None):
    """Heatmap of a memory matrix (slots down, word positions across).

    weighting: optionally a weighting drawn as a bar column to the left of the matrix, so the
    reader sees which rows a head is looking at.
    read_vector: optionally a row under the matrix, on the same colour scale, with its values.
    """
    plt = _plt()
    memory = as_numpy(memory, 2)
    n, m = memory.shape
    if ax is None:
        width = 0.45 * m + (1.6 if weighting is not None else 1.0) + 0.6
        _, ax = plt.subplots(figsize=(width, 0.32 * n + 1.0))
    fig = ax.figure
    if vmax is None:
        vmax = float(np.abs(memory).max()) or 1.0
    image = ax.imshow(memory, cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
    if annotate:
        for i in range(n):
            for j in range(m):
                ax.text(j, i, f"{memory[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if abs(memory[i, j]) > 0.6 * vmax else "black")
    ax.set_yticks(range(n))
    ax.set_yticklabels(row_labels if row_labels is not None else [str(i) for i in range(n)], fontsize=7)
    ax.set_xticks(range(m))
    ax.set_xticklabels(col_labels if col_labels is not None else [str(j) for j in range(m)], fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    divider = make_axes_locatable(ax)
    fig.colorbar(image, cax=divider.append_axes("right", size=0.12, pad=0.08))
    if weighting is None:
        ax.set_ylabel("slot", fontsize=8)
    else:
        w = as_numpy(weighting, 1)
        wax = divider.append_axes("left", size=0.7, pad=0.3, sharey=ax)
        wax.barh(range(n), w, color=STAGE_COLORS[3], height=0.8)
        wax.set_xlim(1.0, 0.0)  # bars grow leftwards, away from the matrix
        wax.set_xticks([1.0, 0.0])
        wax.set_xticklabels(["1", "0"], fontsize=6)
        wax.tick_params(left=False, labelleft=False)
        wax.set_title("w", fontsize=8)
        wax.set_ylabel("slot", fontsize=8)
        for side in ("top", "left"):
            wax.spines[side].set_visible(False)
    if read_vector is not None:
        r = as_numpy(read_vector, 1)
        rax = divider.append_axes("bottom", size=0.32, pad=0.45, sharex=ax)
        rax.imshow(r[None, :], cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
        for j, value in enumerate(r):
            rax.text(j, 0, f"{value:.2f}", ha="center", va="center", fontsize=7,
                     color="white" if abs(value) > 0.6 * vmax else "black")
        rax.set_yticks([0])
        rax.set_yticklabels(["read r"], fontsize=8)
        rax.tick_params(axis="x", labelsize=7)
    return fig


def plot_read(memory, w, read_vector, col_labels: Sequence[str] | None = None,
              title: str | None = None):
    """Memory, the weighting that reads it, and the read vector r = sum_i w(i) M(i) (eq. 2)."""
    memory = as_numpy(memory, 2)
    n, m = memory.shape
    plt = _plt()
    _, ax = plt.subplots(figsize=(0.5 * m + 2.8, 0.32 * n + 1.6))
    return plot_memory(memory, ax=ax, weighting=w, read_vector=read_vector,
                       col_labels=col_labels, title=title)


def plot_write(before, after, w, erase, add, col_labels: Sequence[str] | None = None):
    """Memory before and after an erase/add write (eqs. 3-4), with the weighting and vectors."""
    plt = _plt()
    before, after = as_numpy(before, 2), as_numpy(after, 2)
    vmax = float(max(np.abs(before).max(), np.abs(after).max())) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(11, 0.32 * before.shape[0] + 1.6),
                             gridspec_kw={"width_ratios": [1, 1, 1]})
    plot_memory(before, ax=axes[0], weighting=w, title="before", col_labels=col_labels, vmax=vmax)
    plot_memory(after, ax=axes[1], title="after", col_labels=col_labels, vmax=vmax)
    plot_memory(after - before, ax=axes[2], title="change", col_labels=col_labels)
    fig.text(0.01, 0.01, "erase e = [" + ", ".join(f"{v:.1f}" for v in as_numpy(erase, 1))
             + "]    add a = [" + ", ".join(f"{v:.1f}" for v in as_numpy(add, 1)) + "]",
             fontsize=8, family="monospace")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_sweep(weightings: Sequence, labels: Sequence[str], title: str | None = None,
               color: str = STAGE_COLORS[0], previous=None, ncols: int | None = None,
               fontsize: float = 10):
    """Small multiples: the same weighting plot for several parameter values.

    At most ``ncols`` panels a row (default: up to three in one row, four in two rows of two,
    five or six in two rows of three), so that each panel stays wide enough for labels of
    ``fontsize`` points to read at the width of the book's text column (about 7 inches).
    """
    import math

    plt = _plt()
    count = len(weightings)
    ncols = ncols or (count if count <= 3 else math.ceil(count / 2))
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.4 * ncols + 0.4, 2.4 * nrows + 0.3),
                             sharey=True, squeeze=False)
    for ax, w, label in zip(axes.flat, weightings, labels):
        plot_weighting(w, ax=ax, title=label, color=color, previous=previous, fontsize=fontsize)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("weight", fontsize=fontsize + 1)
    if title:
        fig.suptitle(title, fontsize=fontsize + 2)
    fig.tight_layout()
    return fig


def show_source(*objects):
    """The source code of library functions, as a Markdown code block for a notebook cell.

    The book shows the code that ships (``inspect.getsource``) instead of a copy that could
    drift. Returns an ``IPython.display.Markdown`` object: make it the last expression of a cell.
    """
    import inspect

    from IPython.display import Markdown

    blocks = "\n\n".join(inspect.getsource(obj).rstrip() for obj in objects)
    return Markdown(f"```python\n{blocks}\n```")
