r"""Figures and tables of seed studies made with ``ntm_lib.sweep``: how many runs of each setting
converged, when, and whether any met a non-finite loss or gradient.

A study is the JSON report of ``python -m ntm_lib sweep`` (``data/eval/stability/<name>.json``):
``{"runs": [{"seed", "settings": {...}, "converged", "sequences", "nonfinite_batches",
"history": [{"sequences", "val_bit_errors", ...}, ...]}, ...]}``. Sequences to converge are
read off the history: the sequences seen at the first validation below the threshold (0.1 bit
errors per sequence, the book's definition of converged), so they are known only to within the
validation interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .evaluation import EVAL_DIR
from .tables import Table

STABILITY_DIR = EVAL_DIR / "stability"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def load_study(name: str = "copy-memory-init", directory: str | Path | None = None) -> dict[str, Any]:
    """The study ``name`` as stored in ``data/eval/stability/<name>.json``."""
    path = Path(directory or STABILITY_DIR) / f"{name}.json"
    return json.loads(path.read_text())


def sequences_to_converge(run: Mapping[str, Any], threshold: float = 0.1) -> int | None:
    """Sequences seen at the run's first validation with fewer than ``threshold`` bit errors per
    sequence, or None if it never had one."""
    for record in run["history"]:
        if record["val_bit_errors"] < threshold:
            return int(record["sequences"])
    return None


def by_setting(study: Mapping[str, Any], setting: str = "memory_init") -> dict[Any, list[Mapping[str, Any]]]:
    """The study's runs grouped by the value of one varied setting, in the order they first appear."""
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for run in study["runs"]:
        groups.setdefault(run["settings"][setting], []).append(run)
    return groups


def fell_back(run: Mapping[str, Any], learned: float = 5.0, lost: float = 20.0) -> bool:
    """True if the run lost what it had learned: a validation with more than ``lost`` bit errors
    per sequence after an earlier one with fewer than ``learned``. On copy (lengths 1-20) a model
    that outputs 0 for every bit makes about 42, so the defaults mean "had learned most of the
    task, then was about half-way back to guessing". A loss that blows up without turning
    non-finite shows here, not in the non-finite counts."""
    had_learned = False
    for record in run["history"]:
        if had_learned and record["val_bit_errors"] > lost:
            return True
        had_learned = had_learned or record["val_bit_errors"] < learned
    return False


def runs_with(study: Mapping[str, Any], **settings: Any) -> list[Mapping[str, Any]]:
    """The runs of ``study`` whose settings have these values, e.g. ``runs_with(study,
    memory_init="constant")``. A setting a run does not record counts as not matching."""
    missing = object()
    return [run for run in study["runs"]
            if all(run["settings"].get(name, missing) == value for name, value in settings.items())]


def combined(parts: Mapping[str, Sequence[Mapping[str, Any]]], setting: str = "configuration") -> dict[str, Any]:
    """One study made of groups of runs from any studies, ``{label: runs}``: each run is copied
    with ``settings[setting] = label``, so that the tables and figures here group by the labels,
    in the order given (e.g. the focused runs of one study beside the uniform runs of another)."""
    runs = []
    for label, group in parts.items():
        if not group:
            raise ValueError(f"the group {label!r} has no runs")
        runs.extend({**run, "settings": {**run["settings"], setting: label}} for run in group)
    return {"runs": runs}


def variant_runs(sources: Mapping[str, tuple[str, Mapping[str, Any]]],
                 directory: str | Path | None = None) -> dict[str, list[Mapping[str, Any]]]:
    """``{label: runs}`` for ``combined``, from ``{label: (study name, settings)}``: the runs of each
    named study (``load_study``) whose settings have these values (``runs_with``)."""
    studies: dict[str, dict[str, Any]] = {}
    parts = {}
    for label, (name, settings) in sources.items():
        if name not in studies:
            studies[name] = load_study(name, directory)
        parts[label] = runs_with(studies[name], **settings)
    return parts


def converged_fraction(runs: Sequence[Mapping[str, Any]], sequences: Sequence[int],
                       threshold: float = 0.1) -> np.ndarray:
    """For each budget in ``sequences``: the fraction of ``runs`` that had converged by then."""
    needed = [sequences_to_converge(run, threshold) for run in runs]
    return np.array([sum(n is not None and n <= s for n in needed) / len(runs) for s in sequences])


def median(values: Sequence[float]) -> float | None:
    """The median (mean of the two middle values for an even count), None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2


def stability_rows(study: Mapping[str, Any], setting: str = "memory_init",
                   threshold: float = 0.1) -> list[dict[str, Any]]:
    """One row per value of ``setting``: runs, converged, median / fewest / most sequences to
    converge (over the runs that converged), runs that fell back (``fell_back``), runs that
    stopped on a non-finite loss or gradient, non-finite batches in all."""
    rows = []
    for value, runs in by_setting(study, setting).items():
        needed = [n for n in (sequences_to_converge(r, threshold) for r in runs) if n is not None]
        rows.append({
            setting: value, "runs": len(runs), "converged": len(needed),
            "median": median(needed), "fewest": min(needed, default=None), "most": max(needed, default=None),
            "fell_back": sum(fell_back(r) for r in runs),
            "stopped_nonfinite": sum(r.get("stopped") == "nonfinite" for r in runs),
            "nonfinite_batches": sum(r["nonfinite_batches"] for r in runs),
        })
    return rows


def stability_table(rows: Sequence[Mapping[str, Any]], setting: str = "memory_init") -> Table:
    """The rows of ``stability_rows`` as a ``Table`` to display (HTML in a notebook and the
    book, fixed-width text when printed): one row per value of ``setting``, "-" for the sequences
    to converge where no run converged."""

    def count(n):
        return "-" if n is None else n

    header = [setting, "converged", "median", "fewest", "most", "fell back", "stopped non-finite",
              "non-finite batches"]
    body = [[str(row[setting]), f"{row['converged']} / {row['runs']}", count(row["median"]),
             count(row["fewest"]), count(row["most"]), row["fell_back"], row["stopped_nonfinite"],
             row["nonfinite_batches"]] for row in rows]
    return Table(header, body)


PLATEAU_GROUPS = ("converged", "not even two items", "no look-up", "last vector lost", "nearly there", "other")


def plateau_table(report: Mapping[str, Any], items: Sequence[int] = (2, 4, 6)) -> Table:
    """What the runs of ``scripts/recall_plateaus.py``'s report had learned, one row per group
    (``PLATEAU_GROUPS``, those with runs): how many runs, the median over them of the bit errors
    per sequence at each number of ``items``, of each answer vector's errors at the most items, and
    of ``delimiter_on_last_vector`` (the write weight an item's delimiter puts on the slot of the
    item before's last vector)."""
    largest = str(max(items))
    header = ["group", "runs", *[f"{n} items" for n in items], f"answer vectors ({largest} items)",
              "delimiter on last vector"]
    body = []
    for name in PLATEAU_GROUPS:
        runs = [r for r in report["runs"] if r["group"] == name]
        if not runs:
            continue
        vectors = zip(*(r["scores"][largest]["by_vector"] for r in runs))
        body.append([name, len(runs), *[round(median([r["scores"][str(n)]["bit_errors"] for r in runs]), 2)
                                         for n in items],
                     " / ".join(f"{median(v):.2f}" for v in vectors),
                     round(median([r["scores"][largest]["delimiter_on_last_vector"] for r in runs]), 2)])
    return Table(header, body)


def plateau_counts(report: Mapping[str, Any], sources: Mapping[str, tuple[str, Mapping[str, Any]]],
                   column: str = "recipe") -> Table:
    """Where the runs of each variant ended, one row per ``{label: (study name, settings)}``: how
    many of its runs in ``scripts/recall_plateaus.py``'s report fall in each of ``PLATEAU_GROUPS``."""
    body = []
    for label, (name, settings) in sources.items():
        ended = [r["group"] for r in runs_with(report, **settings) if r["study"] == name]
        body.append([label, *[ended.count(group) for group in PLATEAU_GROUPS]])
    return Table([column, *PLATEAU_GROUPS], body)


def plot_converged_fraction(study: Mapping[str, Any], setting: str = "memory_init", threshold: float = 0.1,
                            reference: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
                            title: str | None = None):
    """Fraction of runs converged against sequences seen, one step line per value of ``setting``,
    evaluated at every validation of the study (steps happen only there). ``reference``: extra
    labelled (x, y) points to draw as dashed lines."""
    plt = _plt()
    checkpoints = sorted({int(r["sequences"]) for run in study["runs"] for r in run["history"]})
    xs = [0] + checkpoints
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for value, runs in by_setting(study, setting).items():
        fractions = np.concatenate([[0.0], converged_fraction(runs, checkpoints, threshold)])
        ax.step(xs, fractions, where="post", marker="o", markersize=4, label=f"{value} ({len(runs)} runs)")
    for label, (x, y) in (reference or {}).items():
        ax.plot(x, y, linestyle="--", color="grey", label=label)
    ax.set_xlabel("training sequences seen")
    ax.set_ylabel("fraction of runs converged")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(0, xs[-1] * 1.02)
    ax.grid(alpha=0.3)
    ax.legend(title=setting, loc="upper left")
    ax.set_title(title or f"runs below {threshold} bit errors per sequence, by {setting}")
    fig.tight_layout()
    return fig


def plot_sequences_to_converge(study: Mapping[str, Any], setting: str = "memory_init", threshold: float = 0.1,
                               title: str | None = None):
    """Each run's sequences to converge, one column per value of ``setting`` (a dot per run,
    spread sideways where runs coincide; a cross at the run's last sequence count for a run
    that never converged) and each column's median over its converged runs as a bar."""
    plt = _plt()
    groups = by_setting(study, setting)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (value, runs) in enumerate(groups.items()):
        needed = [sequences_to_converge(r, threshold) for r in runs]
        ys = [n if n is not None else int(r["sequences"]) for n, r in zip(needed, runs)]
        seen: dict[int, int] = {}
        offsets = []
        for y in ys:  # spread runs with the same value sideways, centred on the column
            offsets.append(seen.get(y, 0))
            seen[y] = seen.get(y, 0) + 1
        xs = [i + 0.06 * (o - (seen[y] - 1) / 2) for o, y in zip(offsets, ys)]
        done = [n is not None for n in needed]
        ax.scatter([x for x, d in zip(xs, done) if d], [y for y, d in zip(ys, done) if d], color=f"C{i}",
                   s=28, zorder=3, label="converged" if i == 0 else None)
        ax.scatter([x for x, d in zip(xs, done) if not d], [y for y, d in zip(ys, done) if not d], color=f"C{i}",
                   marker="x", s=50, zorder=3, label="not converged (budget spent)" if i == 0 else None)
        m = median([n for n in needed if n is not None])
        if m is not None:
            ax.hlines(m, i - 0.35, i + 0.35, color="black", linewidth=2, label="median of the converged" if i == 0 else None)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([str(v) for v in groups])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_xlabel(setting)
    ax.set_ylabel("sequences to converge")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title(title or f"sequences to converge (< {threshold} bit errors), by {setting}")
    fig.tight_layout()
    return fig


def plot_validation_curves(study: Mapping[str, Any], setting: str = "memory_init", threshold: float = 0.1,
                           title: str | None = None):
    """Every run's validation bit errors against sequences seen, one panel per value of
    ``setting`` (same axes), on a log scale that shows both the plateau near guessing and the
    approach to ``threshold`` (drawn dashed). Runs that fell back (``fell_back``) are drawn in
    red, the others in grey."""
    plt = _plt()
    groups = by_setting(study, setting)
    fig, axes = plt.subplots(1, len(groups), figsize=(2.6 * len(groups) + 0.6, 3.0), sharex=True,
                             sharey=True, squeeze=False)
    for ax, (value, runs) in zip(axes[0], groups.items()):
        for run in runs:
            xs = [0] + [int(r["sequences"]) for r in run["history"]]
            ys = [np.nan] + [max(r["val_bit_errors"], 1e-2) for r in run["history"]]  # 0 drawn at 0.01
            back = fell_back(run)
            ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4 if back else 0.9,
                    color="C3" if back else "0.55", zorder=3 if back else 2)
        ax.axhline(threshold, color="black", linestyle="--", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_title(str(value), fontsize="medium")
        ax.set_xlabel("sequences seen")
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0][0].set_ylabel("validation bit errors\nper sequence (0 drawn at 0.01)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_weightings(weightings: Mapping[str, Sequence[float]], title: str | None = None):
    """Bar charts of a few weightings over the same slots, one panel each (e.g. a content
    weighting over a constant memory beside a focused initial weighting)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(weightings), figsize=(3.2 * len(weightings), 2.6), sharey=True, squeeze=False)
    for ax, (label, w) in zip(axes[0], weightings.items()):
        w = np.asarray(w, dtype=float)
        ax.bar(range(len(w)), w, color="C0")
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("slot")
        ax.set_ylim(0, 1.05)
    axes[0][0].set_ylabel("weight")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
