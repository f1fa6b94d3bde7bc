r"""Figures of chapter 14, "Improving the DNC": each of Csordás & Schmidhuber's (2019) three
changes on a hand-made memory (``ntm_lib.dnc_mds_examples``), without and with it, and the
learning curves of the ablation.

- ``plot_lookup_comparison``: two weightings over the slots (a look-up without and with the
  change), side by side, the slot the look-up should find marked;
- ``plot_hops``: the read weighting at every hop along the forward links, without and with
  sharpening (slots down, hops across, as every slot-by-time figure of the book);
- ``plot_ablation_curves``: validation bit errors against sequences seen, one line per run,
  one colour per variant.

Nothing here computes: the numbers come from ``ntm_lib.dnc_mds_examples`` and sweep histories.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .viz import _plt, as_numpy
from .viz_dnc import COLORS, _bars, _colorbar

VARIANT_COLORS = {"DNC": "#4c72b0", "DNC-M": "#55a868", "DNC-MDS": "#c44e52"}


def plot_lookup_comparison(without, with_, target: int, labels: Sequence[str] = ("without", "with"),
                           title: str | None = None):
    """Two weightings over the same slots side by side; the bar of ``target`` is outlined.
    without, with_: (N,)."""
    plt = _plt()
    a, b = as_numpy(without, 1), as_numpy(with_, 1)
    fig, axes = plt.subplots(1, 2, figsize=(0.45 * len(a) * 2 + 2.0, 2.4), sharey=True)
    for ax, w, label, color in zip(axes, (a, b), labels, (COLORS["read"], COLORS["allocation"])):
        _bars(ax, w, color, True)
        ax.patches[target].set_edgecolor("black")
        ax.patches[target].set_linewidth(1.5)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("slot", fontsize=8)
    axes[0].set_ylabel("weighting", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_hops(without, with_, labels: Sequence[str] = ("without", "with")):
    """The read weighting at each hop along the forward links, (H, N) each, as two heat maps:
    slots down (slot 0 at the top), hops across. A good walk is a diagonal of full cells."""
    plt = _plt()
    a, b = as_numpy(without, 2), as_numpy(with_, 2)
    hops, slots = a.shape
    fig, axes = plt.subplots(1, 2, figsize=(2 * (0.42 * hops + 1.6), 0.3 * slots + 1.2))
    for ax, w, label in zip(axes, (a, b), labels):
        image = ax.imshow(w.T, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(range(hops))
        ax.set_xticklabels([str(h + 1) for h in range(hops)], fontsize=7)
        ax.set_yticks(range(slots))
        ax.set_yticklabels([str(s) for s in range(slots)], fontsize=7)
        ax.set_xlabel("hop", fontsize=8)
        ax.set_ylabel("slot", fontsize=8)
        ax.set_title(label, fontsize=9)
        _colorbar(fig, image, ax, "read weight")
    fig.tight_layout()
    return fig


def plot_ablation_curves(histories: Mapping[str, Sequence[Mapping[str, float]]],
                         threshold: float = 0.1, title: str | None = None):
    """Validation bit errors against sequences seen, log scale, one line per run. histories:
    {"DNC seed 0": [{"sequences": ..., "val_bit_errors": ...}, ...], ...}; the variant is the
    name's first word and picks the colour."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    shown = set()
    for name, history in histories.items():
        variant = name.split()[0]
        x = np.array([r["sequences"] for r in history])
        y = np.array([max(r["val_bit_errors"], 1e-3) for r in history])
        ax.plot(x, y, color=VARIANT_COLORS.get(variant, "grey"), linewidth=1.2, alpha=0.85,
                label=variant if variant not in shown else None)
        shown.add(variant)
    ax.axhline(threshold, color="black", linewidth=0.8, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("training sequences", fontsize=9)
    ax.set_ylabel("validation bit errors\nper sequence", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
