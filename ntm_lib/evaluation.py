r"""Generalisation tables: the shipped NTM and LSTM on the training condition and on longer or
harder ones (``python -m ntm_lib eval --task T``).

Each condition draws its own fixed test set from a seeded generator (the same for both models)
and reports, averaged over sequences, bit errors and BCE bits per sequence plus the task's own
extra scores (e.g. N-grams: the Bayes-optimal cost; Dyck and sort: sequence accuracy).
Results go to ``data/eval/<task>.json`` and ``data/eval/<task>.md``; ``generalisation_table``
reads them back (or recomputes them where ``data/`` is not installed) and ``format_table`` prints
one as text.

Numbers for the page and checks that survive a change of CPU: the same model on the same inputs
gives results that differ between CPU kernels (AVX-512, AVX2, scalar; MKL and oneDNN paths) in
about the 7th significant digit. ``format_number`` and ``rounded`` show at most 4 significant
digits, and ``assert_metrics_close`` / ``assert_tables_close`` compare a recomputed metric with a
stored one to ``KERNEL_RTOL``: far above that noise, far below any difference a reader could see.

Measurements for the chapters: ``channel_error_rates`` (how often each output channel is wrong on
the scored steps) and ``rates_by_value`` (how often something happens, grouped by an integer key,
e.g. the error rate of a Dyck model at each stack depth).

Shapes: B batch, T time steps, O output channels.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .models import MODEL_KINDS
from .pretrained import load_pretrained, manifest, variants
from .recipes import task_entry
from .tables import Table, format_number
from .tasks.base import Batch
from .training import logits_of

_CHECKOUT_EVAL = Path(__file__).resolve().parent.parent / "data" / "eval"
_INSTALLED_EVAL = Path(__file__).resolve().parent / "shipped_eval"  # the data package (pyproject.toml)
# The committed tables and studies: the installed package data (pip install, e.g. on Colab), else
# the checkout's data/eval/ (where ``python -m ntm_lib eval`` writes).
EVAL_DIR = _INSTALLED_EVAL if (_INSTALLED_EVAL / "copy.json").is_file() else _CHECKOUT_EVAL

def length_keyword(task_name: str) -> str:
    """The ``sample`` keyword that sets the size of an example of ``task_name`` (``viz --length``)."""
    keyword = task_entry(task_name).size_keyword
    if keyword is None:
        raise ValueError(f"{task_name} has a fixed size; --length does not apply")
    return keyword


def task_score(task_name: str):
    """The task's own ``score`` (base metrics plus extras), from the registry: a training-task
    name (``--task``) such as ``repeat_copy_unary`` is scored by its task's module (repeat_copy)."""
    return task_entry(task_name).score


def make_test_set(task: Any, kwargs: dict[str, int], sequences: int, seed: int, chunk: int = 50) -> list[Batch]:
    generator = torch.Generator().manual_seed(seed)
    batches, left = [], sequences
    while left > 0:
        n = min(chunk, left)
        batches.append(task.sample(n, generator, **kwargs))
        left -= n
    return batches


@torch.no_grad()
def evaluate_on(model: nn.Module, batches: list[Batch], scorer) -> dict[str, float]:
    """Sequence-weighted means of the scorer's metrics over the batches."""
    totals: dict[str, float] = {}
    count = 0
    for batch in batches:
        n = batch.inputs.shape[0]
        for key, value in scorer(logits_of(model(batch.inputs)), batch).items():
            totals[key] = totals.get(key, 0.0) + value * n
        count += n
    return {key: value / count for key, value in totals.items()}


def evaluate_task(task_name: str, seed: int = 1234, sequences: int | None = None) -> dict[str, Any]:
    """Evaluate every shipped model of ``task_name`` (variants included) on every condition."""
    task_entry(task_name)  # an unknown name is an error before anything is loaded
    shipped = manifest()
    models = {m: load_pretrained(task_name, m) for m in MODEL_KINDS if f"{task_name}-{m}" in shipped}
    for m in MODEL_KINDS:  # other shipped runs (e.g. the copy NTM without its penalty): columns "ntm-<variant>"
        models.update({f"{m}-{v}": load_pretrained(task_name, m, variant=v) for v in variants(task_name, m)})
    if not models:
        raise FileNotFoundError(f"no shipped checkpoint for {task_name}; train one with --ship first")
    return evaluate_models(task_name, models, seed, sequences)


def evaluate_models(task_name: str, models: Mapping[str, nn.Module], seed: int = 1234,
                    sequences: int | None = None) -> dict[str, Any]:
    """Evaluate ``models`` ({name: model}) on every condition of ``task_name``, on the same seeded
    test sets as ``evaluate_task`` (condition i draws from generator seed ``seed + i``, and so
    does a model's random initial memory, from torch's generator, seeded and then restored)."""
    entry = task_entry(task_name)
    sequences = sequences or entry.eval_sequences
    rows = []
    for i, (label, kwargs) in enumerate(entry.conditions):
        batches = make_test_set(entry.task, kwargs, sequences, seed + i)
        row = {"condition": label, "sample": kwargs, "sequences": sequences}
        for name, model in models.items():
            # A random initial memory (memory_init="random") comes from torch's global generator:
            # seeded here, so that a table is the same on every call, and the caller's
            # generator is left as it was.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed + i)
                row[name] = evaluate_on(model, batches, entry.score)
        rows.append(row)
    return {"task": task_name, "seed": seed, "models": sorted(models), "rows": rows}


METRIC_TITLES = {
    "bit_errors": "Bit errors per sequence (outputs thresholded at 0.5)",
    "bce_bits": "BCE bits per sequence (binary cross-entropy in bits)",
    "bayes_bce_bits": "BCE bits per sequence of the Bayes-optimal estimator",
    "excess_bits": "BCE bits per sequence above the Bayes-optimal estimator",
}


def markdown_table(result: dict[str, Any]) -> str:
    """The table as Markdown: one table per metric, a row per test condition, a column per model
    (so that variants add columns, not whole blocks of them)."""
    models = result["models"]
    metrics = ["bit_errors", "bce_bits"]
    metrics += sorted({k for row in result["rows"] for m in models for k in row[m]} - set(metrics))
    lines = [f"# Generalisation: {result['task']}", "",
             "Averaged over the test set of each condition (seed "
             f"{result.get('seed', '?')}); the first row is the training condition.", ""]
    for metric in metrics:
        header = ["condition", "sequences"] + models
        lines += [f"## {METRIC_TITLES.get(metric, metric)}", "",
                  "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in result["rows"]:
            cells = [row["condition"], str(row["sequences"])]
            cells += [f"{row[m].get(metric, float('nan')):.3f}" for m in models]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_tables(result: dict[str, Any], directory: Path = EVAL_DIR) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{result['task']}.json"
    md_path = directory / f"{result['task']}.md"
    json_path.write_text(json.dumps(result, indent=1) + "\n")
    md_path.write_text(markdown_table(result))
    return json_path, md_path


def generalisation_table(task: str, directory: str | Path | None = None) -> dict[str, Any]:
    """The generalisation table of ``task``: ``<directory>/<task>.json`` (default
    ``data/eval``) when it is there, else the same table recomputed with ``evaluate_task`` (its
    test sets are seeded, so both give the same numbers; a pip install has no ``data/eval``)."""
    path = Path(directory or EVAL_DIR) / f"{task}.json"
    if path.is_file():
        return json.loads(path.read_text())
    return evaluate_task(task)


KERNEL_RTOL = 1e-4  # relative; kernel noise is about 1e-7
KERNEL_ATOL = 1e-6  # absolute, for metrics that are exactly 0 on one side


def rounded(metrics: Mapping[str, float], significant: int = 4) -> dict[str, float]:
    """A dict of metrics (e.g. a ``score``) with every value rounded to ``significant``
    significant digits, for printing: {'bce_bits': 0.09789, ...} instead of 0.09788841009140015."""
    def one(value: float) -> float:
        value = float(value)
        if value == 0 or not math.isfinite(value):
            return value
        return round(value, significant - 1 - math.floor(math.log10(abs(value))))
    return {key: one(value) for key, value in metrics.items()}


def metrics_differences(live: Mapping[str, float], stored: Mapping[str, float],
                        rtol: float = KERNEL_RTOL, atol: float = KERNEL_ATOL) -> list[str]:
    """The metrics on which ``live`` and ``stored`` disagree beyond ``rtol`` (relative) and
    ``atol`` (absolute), one line each; a metric present in only one of them is a difference."""
    lines = [f"{key}: only in {'the live' if key in live else 'the stored'} metrics"
             for key in sorted(set(live) ^ set(stored))]
    for key in sorted(set(live) & set(stored)):
        if not math.isclose(live[key], stored[key], rel_tol=rtol, abs_tol=atol):
            lines.append(f"{key}: {live[key]!r} recomputed, {stored[key]!r} stored")
    return lines


def assert_metrics_close(live: Mapping[str, float], stored: Mapping[str, float],
                         rtol: float = KERNEL_RTOL, atol: float = KERNEL_ATOL, what: str = "") -> None:
    """Raise an AssertionError naming every metric on which a recomputation (``live``) and a
    stored value (``stored``, e.g. a row of ``data/eval``) differ by more than CPU kernels can."""
    lines = metrics_differences(live, stored, rtol, atol)
    if lines:
        raise AssertionError(f"{what or 'metrics'} differ beyond rtol={rtol:g}, atol={atol:g}:\n  "
                             + "\n  ".join(lines))


def assert_tables_close(live: Mapping[str, Any], stored: Mapping[str, Any],
                        rtol: float = KERNEL_RTOL, atol: float = KERNEL_ATOL) -> None:
    """``assert_metrics_close`` for every condition and every model of ``live`` between two
    generalisation tables (e.g. ``evaluate_models(t, {...})`` against ``data/eval/<t>.json``); the
    conditions, sample settings and test-set seed must be the same, and ``stored`` must have every
    model of ``live`` (it may have more).

    Only models that are right, or wrong in a stable way, reproduce to ``KERNEL_RTOL`` across
    CPUs: a DNC past the lengths it handles (copy, 30 and more) differs in the 3rd digit between
    kernels, since its free list is a sort, and a tiny change of usage reorders it."""
    missing = sorted(set(live["models"]) - set(stored["models"]))
    if live.get("seed") != stored.get("seed") or missing:
        raise AssertionError(f"tables of different test sets or models: seed {live.get('seed')} vs "
                             f"{stored.get('seed')}, models {missing} not in the stored table")
    if [(r["condition"], r["sample"]) for r in live["rows"]] != [(r["condition"], r["sample"]) for r in stored["rows"]]:
        raise AssertionError("tables with different conditions")
    lines = []
    for row, old in zip(live["rows"], stored["rows"]):
        for model in live["models"]:
            lines += [f"{row['condition']}, {model}, {line}" for line in metrics_differences(row[model], old[model], rtol, atol)]
    if lines:
        raise AssertionError(f"tables differ beyond rtol={rtol:g}, atol={atol:g}:\n  " + "\n  ".join(lines))


def format_table(table: Mapping[str, Any], metrics: Sequence[str] = ("bit_errors", "bce_bits"),
                 width: int = 10, models: Sequence[str] | None = None) -> str:
    """A generalisation table as fixed-width text: one line per condition, one column per
    model and metric (e.g. "NTM bit_errors"), numbers by ``format_number``; ``models`` picks
    some of the table's models."""
    models = list(table["models"] if models is None else models)
    label_width = max(len("condition"), *(len(row["condition"]) for row in table["rows"]))
    names = [f"{m.upper()} {k}" for m in models for k in metrics]
    width = max(width, *(len(n) for n in names))
    lines = ["condition".ljust(label_width) + "".join(n.rjust(width + 2) for n in names)]
    for row in table["rows"]:
        cells = [format_number(row[m][k]).rjust(width + 2) for m in models for k in metrics]
        lines.append(row["condition"].ljust(label_width) + "".join(cells))
    return "\n".join(lines)


def table_view(table: Mapping[str, Any], metrics: Sequence[str] = ("bit_errors", "bce_bits"),
               models: Sequence[str] | None = None) -> Table:
    """A generalisation table to display: HTML in a notebook and the book, the text of
    ``format_table`` when printed. One row per condition, one column per model and metric."""
    models = list(table["models"] if models is None else models)
    header = ["condition"] + [f"{m.upper()} {k}" for m in models for k in metrics]
    rows = [[row["condition"]] + [float(row[m][k]) for m in models for k in metrics]
            for row in table["rows"]]
    return Table(header, rows)


def channel_error_rates(logits: Tensor, batch: Batch) -> Tensor:
    """The fraction of wrong bits in each output channel over the scored steps, (O,).

    logits (B, T, O). A bit is wrong when the thresholded output (logit > 0) differs from the
    target, as in ``tasks.base.bit_errors_per_sequence``; steps with mask 0 are not counted.
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
