r"""Pretrained checkpoints shipped with the package, verified by SHA-256 on every load.

Files live in ``data/pretrained/`` of the repository, which is also installed as the package
``ntm_lib.pretrained`` (see ``pyproject.toml``), so the same call works in a checkout and after
``pip install`` of the repository (the Colab setup cell), with no download:

    model = ntm_lib.load_pretrained("copy")              # the NTM
    lstm = ntm_lib.load_pretrained("copy", model="lstm")  # the LSTM baseline
    plain = ntm_lib.load_pretrained("copy", variant="unregularised")  # another shipped run

``manifest.json`` maps ``<task>-<model>`` (or ``<task>-<model>-<variant>``, for the runs a
chapter compares with the main one) to the file, its SHA-256, the command that trained it
(``command``: as it was typed, possibly with a wall-clock budget), the command that reproduces
it (``reproduce``: the same run budgeted by sequences, which, unlike seconds, stop it at the same
point on any machine; training is deterministic given the sequence count, up to floating-point
differences between CPU types) and a summary of the run; ``<task>-<model>.history.json``
holds the validation history. When a better run replaces the main one, ``move_to_variant`` keeps
the old one as a variant first.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoints import CheckpointError, compress_checkpoint, load_checkpoint, read_checkpoint, sha256

TASK_NAMES = ("copy", "repeat_copy", "repeat_copy_unary", "associative_recall", "ngrams", "priority_sort", "sort", "dyck")
MODEL_NAMES = ("ntm", "lstm")
_REPO_DATA = Path(__file__).resolve().parent.parent / "data" / "pretrained"


_INSTALLED_DATA = Path(__file__).resolve().parent / "pretrained"


def pretrained_dir() -> Path:
    """Where the shipped checkpoints are: the installed package data, else the checkout's data/."""
    if (_INSTALLED_DATA / "manifest.json").is_file():
        return _INSTALLED_DATA
    return _REPO_DATA


def manifest(directory: Path | None = None) -> dict[str, Any]:
    path = (directory or pretrained_dir()) / "manifest.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def _write_manifest(directory: Path, entries: dict[str, Any]) -> None:
    (directory / "manifest.json").write_text(json.dumps(dict(sorted(entries.items())), indent=1) + "\n")


def _key(task: str, model: str, variant: str | None = None) -> str:
    if task not in TASK_NAMES:
        raise ValueError(f"unknown task {task!r}; expected one of {TASK_NAMES}")
    if model not in MODEL_NAMES:
        raise ValueError(f"unknown model {model!r}; expected one of {MODEL_NAMES}")
    if variant is None:
        return f"{task}-{model}"
    if not isinstance(variant, str) or not variant.replace("_", "").isalnum() or not variant.islower():
        raise ValueError(f"a variant is a lower-case name such as 'unregularised', got {variant!r}")
    return f"{task}-{model}-{variant}"


def variants(task: str, model: str = "ntm") -> list[str]:
    """The names of the other shipped runs of ``task`` and ``model``, beside the main one."""
    prefix = _key(task, model) + "-"
    return sorted(key[len(prefix):] for key in manifest() if key.startswith(prefix))


def load_pretrained(task: str, model: str = "ntm", device: str | torch.device = "cpu",
                    variant: str | None = None) -> nn.Module:
    """The shipped model for ``task`` (one of TASK_NAMES), ``model`` "ntm" or "lstm", in eval mode;
    ``variant`` picks another shipped run of the same task and model (see ``variants``).

    Its call on inputs (B, T, input_size) returns (logits, state).
    """
    key = _key(task, model, variant)
    directory = pretrained_dir()
    entry = manifest(directory).get(key)
    if entry is None:
        shipped = sorted(manifest(directory))
        raise CheckpointError(f"no pretrained {key} checkpoint is shipped (shipped: {shipped or 'none'})")
    return load_checkpoint(directory / entry["file"], device=device, expected_sha256=entry["sha256"])


def pretrained_history(task: str, model: str = "ntm", variant: str | None = None) -> dict[str, Any]:
    """The training history of a shipped model: {"summary", "train_config", "history": [...]}."""
    key = _key(task, model, variant)
    path = pretrained_dir() / f"{key}.history.json"
    if not path.is_file():
        raise CheckpointError(f"no training history shipped for {key}")
    return json.loads(path.read_text())


def seed_study(task: str, model: str = "ntm") -> dict[str, Any]:
    """The seed study behind a shipped model, where one was run (copy: the study of the plain
    recipe that chose seed 1 for both copy NTMs): {"about", "selection",
    "records": [{"seed", "sequences", "val", "L80", "L100", "L120"}, ...]}."""
    key = _key(task, model)
    path = pretrained_dir() / f"{key}.seed-study.json"
    if not path.is_file():
        raise CheckpointError(f"no seed study shipped for {key}")
    return json.loads(path.read_text())


def reproducing_command(command: list[str], sequences: int) -> list[str]:
    """The training command with its budget replaced by ``--max-sequences <sequences>``.

    A wall-clock budget (``--max-seconds``) stops at a machine-dependent point; the sequence
    count does not, and a run resumed any number of times reaches the same weights as one run.
    """
    kept, skip = [], False
    for arg in command:
        if skip:
            skip = False
        elif arg in ("--max-seconds", "--max-sequences"):
            skip = True
        elif arg.startswith(("--max-seconds=", "--max-sequences=")):
            continue
        else:
            kept.append(arg)
    return kept + ["--max-sequences", str(sequences)]


def _with_option(command: list[str], option: str, value: str) -> list[str]:
    """``command`` with the value of ``option`` (``--opt X`` or ``--opt=X``) replaced by ``value``."""
    out, skip = [], False
    for arg in command:
        if skip:
            out.append(value)
            skip = False
        elif arg == option:
            out.append(arg)
            skip = True
        elif arg.startswith(option + "="):
            out.append(f"{option}={value}")
        else:
            out.append(arg)
    return out


def _init_from_entry(init_from: dict, entries: dict) -> dict:
    """The manifest's record of the checkpoint a fine-tuned run started from: its hash and
    sequences, and, when it was a shipped model, that entry's key and reproducing command."""
    record = {k: init_from.get(k) for k in ("file", "sha256", "sequences", "seconds")}
    for name, entry in entries.items():
        if entry.get("sha256") == init_from.get("sha256"):
            record.update(shipped_as=name, reproduce=entry.get("reproduce"))
    return record


def ship(run_dir: str | Path, task: str, model: str, command: list[str], directory: Path = _REPO_DATA,
         variant: str | None = None) -> Path:
    """Copy a finished run's final checkpoint into ``directory`` (weights, configs and history
    only: no optimiser state; compressed), and record it in the manifest with its hash and command."""
    key = _key(task, model, variant)
    run_dir = Path(run_dir)
    payload = read_checkpoint(run_dir / "final.pt")
    slim = {k: payload[k] for k in ("format", "model", "state_dict", "task", "train_config", "progress", "history")}
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{key}.pt"
    torch.save(slim, target)
    compress_checkpoint(target)
    load_checkpoint(target)  # refuse to ship something that does not load
    history_file = run_dir / "history.json"
    if history_file.is_file():
        (directory / f"{key}.history.json").write_text(history_file.read_text())
    entries = manifest(directory)
    init_record = run_dir / "init_from.json"
    # Read before the entry is replaced: a run fine-tuned from the shipped model it replaces.
    init_from = _init_from_entry(json.loads(init_record.read_text()), entries) if init_record.is_file() else None
    history = payload["history"]
    entries[key] = {
        "file": target.name,
        "sha256": sha256(target),
        "command": shlex.join(command),
        "reproduce": shlex.join(reproducing_command(command, payload["progress"]["sequences"])),
        "sequences": payload["progress"]["sequences"],
        "seconds": round(payload["progress"]["seconds"], 1),
        "val_bit_errors": history[-1]["val_bit_errors"],
        "val_bce_bits": history[-1]["val_bce_bits"],
        "shipped": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    if init_from is not None:  # a fine-tuned run: the command alone does not reproduce it
        entries[key]["init_from"] = init_from
        parent = init_from.get("shipped_as")
        if parent not in (None, key):  # it started from another shipped run: name that run's file
            reproduce = shlex.split(entries[key]["reproduce"])
            entries[key]["reproduce"] = shlex.join(
                _with_option(reproduce, "--init-from", f"data/pretrained/{entries[parent]['file']}"))
    _write_manifest(directory, entries)
    return target


def move_to_variant(task: str, model: str, variant: str, directory: Path = _REPO_DATA) -> str:
    """Keep the main shipped run of ``task`` and ``model`` as the variant ``variant``, to make room
    for a better main run: its checkpoint and history are renamed, and its ``reproduce`` command
    gains ``--variant`` so that rerunning it ships to the new key. Returns the new key."""
    old, new = _key(task, model), _key(task, model, variant)
    entries = manifest(directory)
    if old not in entries:
        raise CheckpointError(f"no main {old} run is shipped in {directory}")
    if new in entries:
        raise CheckpointError(f"{new} is shipped already; pick another variant name")
    entry = dict(entries.pop(old))
    for suffix in (".pt", ".history.json"):
        source = directory / f"{old}{suffix}"
        if source.is_file():
            source.rename(directory / f"{new}{suffix}")
    entry["file"] = f"{new}.pt"
    command = shlex.split(entry["reproduce"])
    after_ship = command.index("--ship") + 1
    command[after_ship:after_ship] = ["--variant", variant]
    entry["reproduce"] = shlex.join(command)
    entries[new] = entry
    _write_manifest(directory, entries)
    return new
