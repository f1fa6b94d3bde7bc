r"""Pretrained checkpoints shipped with the package, verified by SHA-256 on every load.

Files live in ``data/pretrained/`` of the repository, which is also installed as the data package
``ntm_lib.shipped`` (see ``pyproject.toml``), so the same call works in a checkout and after
``pip install`` of the repository (the Colab setup cell), with no download:

    model = ntm_lib.load_pretrained("copy")              # the NTM
    lstm = ntm_lib.load_pretrained("copy", model="lstm")  # the LSTM baseline
    plain = ntm_lib.load_pretrained("copy", variant="unregularised")  # another shipped run

``manifest.json`` maps ``<task>-<model>`` (or ``<task>-<model>-<variant>``, for the runs a
chapter compares with the main one) to the file, its SHA-256, the run as data (``run``: an
``ntm_lib.runs.RunRecord`` budgeted by sequences, which, unlike seconds, stop it at the same point
on any machine; training is deterministic given the sequence count, up to floating-point
differences between CPU types), the command rendered from it (``reproduce``), the command as it
was typed (``command``, possibly with a wall-clock budget), where a fine-tuned run started
(``init_from``: the hash and shipped key of its parent) and a summary of the run;
``<task>-<model>.history.json``
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
from .runs import RunRecord

_REPO_DATA = Path(__file__).resolve().parent.parent / "data" / "pretrained"


_INSTALLED_DATA = Path(__file__).resolve().parent / "shipped"  # the data package (pyproject.toml)


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
    """Write the manifest, each entry's ``reproduce`` rendered afresh from its run record."""
    for key, entry in entries.items():
        entry["reproduce"] = reproduce_command(key, entries)
    (directory / "manifest.json").write_text(json.dumps(dict(sorted(entries.items())), indent=1) + "\n")


def _key(task: str, model: str, variant: str | None = None) -> str:
    from .models import MODEL_KINDS
    from .recipes import task_entry

    task_entry(task)  # raises for an unknown task, naming the registered ones
    if model not in MODEL_KINDS:
        raise ValueError(f"unknown model {model!r}; expected one of {sorted(MODEL_KINDS)}")
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
    """The shipped model for ``task`` (a registered task, ``ntm_lib.recipes.task_names()``) and
    ``model`` ("ntm", "lstm" or "dnc", where one is shipped), in eval mode;
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


def _variant_of(key: str) -> str | None:
    parts = key.split("-", 2)
    return parts[2] if len(parts) == 3 else None


def retrain_command(key: str, directory: Path | None = None, width: int = 88) -> str:
    """The command a reader types to train the shipped run ``key`` again from scratch, wrapped
    to ``width`` columns (``wrap_command``): its budget in sequences, so that it stops at the
    same point on any machine, and no ``--ship``, which would replace the shipped model with the
    new one (``reproduce`` in the manifest is the command that does ship); it writes to
    ``runs/<key>``."""
    entries = manifest(directory)
    if key not in entries:
        raise KeyError(f"no shipped run {key!r}; shipped: {', '.join(sorted(entries))}")
    run = RunRecord.from_dict({**entries[key]["run"], "out": f"runs/{key}"})
    return wrap_command(run.command({name: entry["file"] for name, entry in entries.items()}), width)


def reproduce_command(key: str, entries: dict[str, Any]) -> str:
    """The command that trains the shipped run ``key`` again and ships it under the same key,
    rendered from its run record (``entries[key]["run"]``, budgeted by sequences)."""
    run = RunRecord.from_dict(entries[key]["run"])
    variant = _variant_of(key)
    extra = ("--no-progress", "--ship") + (("--variant", variant) if variant else ())
    return run.command({name: entry["file"] for name, entry in entries.items()}, extra)


def wrap_command(command: str, width: int = 88) -> str:
    """A shell command broken into lines of at most ``width`` columns (where its words allow),
    each ending in `` \\`` and the later ones indented by four spaces: a line break the shell
    ignores. An option stays on one line with its value.

    >>> print(wrap_command("python -m ntm_lib train --task copy --seed 0", width=30))
    python -m ntm_lib train \\
        --task copy --seed 0
    """
    words = shlex.split(command)
    groups: list[str] = []
    for word in words:  # "--task copy" is one group; so is a word that follows no option
        quoted = shlex.quote(word)
        if groups and groups[-1].startswith("--") and " " not in groups[-1] \
                and not word.startswith("--"):
            groups[-1] += " " + quoted
        else:
            groups.append(quoted)
    lines = [groups[0]]
    for group in groups[1:]:
        indent = "" if len(lines) == 1 else "    "
        if len(indent + lines[-1] + " " + group) + 2 <= width:
            lines[-1] += " " + group
        else:
            lines.append(group)
    return " \\\n    ".join(lines)


def retraining_commands(which: str = "all", tasks: tuple[str, ...] = (), directory: Path | None = None) -> list[str]:
    """The commands that retrain shipped runs from scratch and ship them again
    (``scripts/train_pretrained.sh``): ``which`` is a model kind or "all", ``tasks`` limits the
    tasks (none: all). A run fine-tuned from another shipped run needs that run first: it is
    retrained (and shipped) before it, once, and the fine-tuned run starts from its ``final.pt``."""
    entries = manifest(directory)
    files = {name: entry["file"] for name, entry in entries.items()}
    ordered: list[str] = []

    def visit(key: str) -> None:  # parents first, each key once
        if key in ordered:
            return
        parent = (entries[key]["run"].get("init_from") or {}).get("shipped")
        if parent is not None:
            visit(parent)
        ordered.append(key)

    for key, entry in entries.items():
        run = entry["run"]
        if which in ("all", run["model"]) and (not tasks or run["task"] in tasks):
            visit(key)
    commands = []
    for key in ordered:
        run = RunRecord.from_dict(entries[key]["run"])
        parent = (run.init_from or {}).get("shipped")
        replaced_parent = entries[key].get("init_from", {}).get("parent_run")
        if replaced_parent is not None:  # the run it started from is no longer shipped: train it first
            first = RunRecord.from_dict(replaced_parent)
            commands.append(first.command(files, ("--no-progress",)))
            run = RunRecord.from_dict({**run.as_dict(), "init_from": {"path": f"{first.out}/final.pt"}})
        elif parent is not None:
            parent_out = entries[parent]["run"]["out"]
            run = RunRecord.from_dict({**run.as_dict(), "init_from": {"path": f"{parent_out}/final.pt"}})
        variant = _variant_of(key)
        commands.append(run.command(files, ("--no-progress", "--ship") + (("--variant", variant) if variant else ())))
    return commands


def ship(run_dir: str | Path, run: RunRecord, command: list[str], directory: Path = _REPO_DATA,
         variant: str | None = None) -> Path:
    """Copy a finished run's final checkpoint into ``directory`` (weights, configs and history
    only: no optimiser state; compressed) and record it in the manifest: its hash, the command as
    it was typed, its run record budgeted by the sequences it trained (``run``) and the command
    rendered from that (``reproduce``)."""
    key = _key(run.task, run.model, variant)
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
    run = run.budgeted(payload["progress"]["sequences"])
    init_record = run_dir / "init_from.json"
    init_from = None
    if init_record.is_file():  # a fine-tuned run: the command alone does not reproduce it
        stored = json.loads(init_record.read_text())
        init_from = {k: stored[k] for k in ("sha256", "sequences", "seconds", "num_slots") if k in stored}
        # Read before the entry is replaced: a run fine-tuned from the shipped run it replaces.
        parent = next((name for name, entry in entries.items() if entry.get("sha256") == stored.get("sha256")), None)
        if parent is not None and parent != key:
            init_from["shipped_as"] = parent
            run = RunRecord.from_dict({**run.as_dict(), "init_from": {"shipped": parent}})
        elif parent == key:  # fine-tuned from the very run it replaces: keep that run's record here
            init_from["parent_run"] = entries[key]["run"]
        else:
            init_from["file"] = stored.get("file")
    history = payload["history"]
    entries[key] = {
        "file": target.name,
        "sha256": sha256(target),
        "run": run.as_dict(),
        "command": shlex.join(command),
        "sequences": payload["progress"]["sequences"],
        "seconds": round(payload["progress"]["seconds"], 1),
        "val_bit_errors": history[-1]["val_bit_errors"],
        "val_bce_bits": history[-1]["val_bce_bits"],
        "shipped": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    if init_from is not None:
        entries[key]["init_from"] = init_from
    _write_manifest(directory, entries)
    return target


def move_to_variant(task: str, model: str, variant: str, directory: Path = _REPO_DATA) -> str:
    """Keep the main shipped run of ``task`` and ``model`` as the variant ``variant``, to make room
    for a better main run: its checkpoint and history are renamed, and runs recorded as started
    from it follow the new key. Returns the new key."""
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
    entries[new] = entry
    for other in entries.values():
        if (other["run"].get("init_from") or {}).get("shipped") == old:
            other["run"] = {**other["run"], "init_from": {"shipped": new}}
            other["init_from"] = {**other["init_from"], "shipped_as": new}
    _write_manifest(directory, entries)
    return new
