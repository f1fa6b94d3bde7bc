r"""Figure functions for the book: weightings, addressing stages and memory matrices.

Every function takes tensors (or arrays) for one example, draws with matplotlib and returns the
figure, so a chapter can write ``fig = viz.plot_stages(...)``. Nothing here computes: the numbers
come from ``ntm_lib.addressing`` and ``ntm_lib.memory``. matplotlib is imported on first use, so
``import ntm_lib`` never needs it.

Shapes: a weighting is (N,), a memory (N, M); a leading batch dimension of size 1 is dropped.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

STAGE_TITLES = ("content $w^c$", "gated $w^g$", "shifted $\\tilde w$", "sharpened $w$")
STAGE_COLORS = ("#4c72b0", "#8172b2", "#dd8452", "#55a868")
PREVIOUS_COLOR = "#9aa5b1"


def _plt():
    import matplotlib.pyplot as plt

    return plt


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
                   previous=None, ylim: tuple[float, float] = (0.0, 1.0), annotate: bool = False):
    """Bar plot of a weighting over memory slots.

    previous: optionally a second weighting drawn as grey outlines (e.g. w_{t-1}).
    annotate: write each bar's value above it (for short weightings).
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
    ax.set_xticklabels([str(i) for i in slots], fontsize=7)
    ax.set_xlabel("slot", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
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
               color: str = STAGE_COLORS[0], previous=None):
    """Small multiples: the same weighting plot for several parameter values, side by side."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(weightings), figsize=(2.3 * len(weightings), 2.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, w, label in zip(axes, weightings, labels):
        plot_weighting(w, ax=ax, title=label, color=color, previous=previous)
    axes[0].set_ylabel("weight", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
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


def plot_run(inputs, targets, logits, mask=None, trace=None, num_read: int = 1, title: str | None = None,
             max_slots: int | None = None):
    """One sequence through a model: input, target, output and, for an NTM (``trace`` given),
    the read and write weightings over time and the memory after the last step.

    inputs (T, I), targets (T, O), logits (T, O), mask (T,); trace: an ``NTMTrace`` of one
    sequence (batch of 1). Time runs left to right. Only the slots a head visited are drawn
    (or the first ``max_slots``), so a 128-slot memory stays readable.
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
        weights = as_numpy(trace.weights, 3)  # (T, H, N)
        used = np.nonzero(weights.max(axis=(0, 1)) > 0.05)[0]
        top = int(used.max()) + 1 if used.size else weights.shape[-1]
        top = min(max_slots or top, weights.shape[-1])
        reads = weights[:, :num_read].sum(1)[:, :top]  # (T, n)
        writes = weights[:, num_read:].sum(1)[:, :top]
        memory = as_numpy(trace.memory, 3)[-1, :top]  # (n, M)
        panels += [("read weighting", reads.T), ("write weighting", writes.T)]
    rows = len(panels) + (1 if trace is not None else 0)
    heights = [2.5 if "weighting" in name else 1.0 for name, _ in panels] + ([2.0] if trace is not None else [])
    fig, axes = plt.subplots(rows, 1, figsize=(9, sum(heights) * 0.9 + 1.2),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (name, image) in zip(axes[:, 0], panels):
        cmap = "Blues" if "weighting" in name else "Greys"
        ax.imshow(image, aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        if "weighting" in name:
            ax.set_yticks([0, image.shape[0] - 1])
            ax.set_ylabel(f"{name}\n(slot)", rotation=0, ha="right", va="center")
    for ax in axes[:len(panels) - 1, 0]:
        ax.set_xticks([])
    axes[len(panels) - 1, 0].set_xlabel("time step")
    if trace is not None:
        ax = axes[-1, 0]
        limit = float(np.abs(memory).max()) or 1.0
        ax.imshow(memory.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_ylabel("memory at the end\n(word x slot)", rotation=0, ha="right", va="center")
        ax.set_xlabel("slot")
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.97) if title else None)
    return fig


def save_run_figure(task: str, model: str = "ntm", length: int | None = None, seed: int = 0,
                    out: str | None = None) -> str:
    """Draw the shipped ``model`` for ``task`` on one example and save it as a PNG (the CLI's ``viz``)."""
    import torch

    from .evaluation import length_keyword
    from .pretrained import load_pretrained
    from .recipes import recipe

    task_obj = recipe(task, model)[0]
    net = load_pretrained(task, model)
    kwargs = {length_keyword(task): length} if length is not None else {}
    batch = task_obj.sample(1, torch.Generator().manual_seed(seed), **kwargs)
    with torch.no_grad():
        if model == "ntm":
            logits, _, trace = net(batch.inputs, trace=True)
        else:
            logits, trace = net(batch.inputs)[0], None
    num_read = net.config.num_read_heads if model == "ntm" else 1
    label = f" ({length_keyword(task)} {length})" if length is not None else ""
    fig = plot_run(batch.inputs[0], batch.targets[0], logits[0], batch.mask[0],
                   None if trace is None else _first(trace), num_read, title=f"{model.upper()} on {task}{label}")
    path = out or f"{task}-{model}.png"
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def _first(trace):
    """The first sequence of a traced batch, keeping a batch dimension of 1 out of the way."""
    return type(trace)(*(x[0] for x in trace))
