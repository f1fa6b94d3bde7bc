"""Write the table of shipped models for the appendix "Reproducing every number" (reproducing.md).

For every entry of data/pretrained/manifest.json: the chapter that uses it, its seed, the
sequences and wall time it trained for, its validation scores, the model it was fine-tuned from
(if any), and the command that trains it again. The output, data/reproducing-table.md, is
included by reproducing.md; a test (tests/test_reproducing_table.py) checks it against the
manifest, so the appendix cannot drift from what ships.

    python scripts/reproducing_table.py           # rewrite data/reproducing-table.md
    python scripts/reproducing_table.py --check   # exit 1 if it differs from the manifest

Everything read from a manifest entry's record of its run goes through ``run_record``: that is
the one place to change if the manifest records runs differently.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "data" / "pretrained" / "manifest.json"
OUTPUT = ROOT / "data" / "reproducing-table.md"

# The chapter that studies each task's models (the copy LSTM also appears in chapter 2).
CHAPTERS = {
    "copy": "2, 4, 5",
    "repeat_copy": "6",
    "repeat_copy_unary": "6",
    "associative_recall": "7",
    "ngrams": "8",
    "priority_sort": "9",
    "sort": "10",
    "dyck": "11",
    "memory_reuse": "13",
    "ordered_recall": "",
    "graph_traversal": "13",
}
CHAPTER_OF_ENTRY = {
    "copy-lstm": "2, 5",
    "copy-ntm-unregularised": "4, 5",
    "copy-ntm": "2, 5",
    "copy-dnc": "13",
    "associative_recall-dnc": "13",
    "repeat_copy-dnc": "13",
}


def _option(args: list[str], name: str, default: str | None = None) -> str | None:
    return args[args.index(name) + 1] if name in args else default


def run_record(key: str, entries: dict[str, Any]) -> dict[str, Any]:
    """What the table needs to know about how the shipped model ``key`` was trained.

    Returns task, model, variant, seed, the reproducing command (one run, budgeted in sequences,
    that ends at the shipped weights), the device, and the shipped entry it was fine-tuned from
    (or None). Reads a structured ``run`` record when the entry has one, the command otherwise.
    """
    entry = entries[key]
    task, model, *rest = key.split("-", 2)
    try:  # a library that renders run records to commands
        from ntm_lib.pretrained import reproduce_command
        command = reproduce_command(key, entries)
    except (ImportError, TypeError):
        command = entry["reproduce"]
    args = shlex.split(command)
    run = entry.get("run") or {}
    typed = shlex.split(entry.get("command", command))  # the command the run was started with
    max_seconds = run.get("max_seconds") if "run" in entry else _option(typed, "--max-seconds")
    max_sequences = run.get("max_sequences") if "run" in entry else _option(typed, "--max-sequences")
    parent = run.get("init_from") if "run" in entry else entry.get("init_from")
    return {
        "task": run.get("task", task),
        "model": run.get("model", model),
        "variant": rest[0] if rest else None,
        "seed": int(run.get("seed", _option(args, "--seed", "0"))),
        "command": command,
        "device": run.get("device") or _option(args, "--device", "cpu"),
        "init_from": (parent or {}).get("shipped_as") if isinstance(parent, dict) else parent,
        "budget": _budget(max_seconds, max_sequences),
    }


def _budget(max_seconds: Any, max_sequences: Any) -> str:
    """The budget a run was given: wall-clock seconds, sequences, or both (whichever ran out first)."""
    parts = []
    if max_seconds is not None:
        parts.append(_minutes(float(max_seconds)))
    if max_sequences is not None:
        parts.append(f"{_count(float(max_sequences))} seq.")
    return " or ".join(parts) if parts else "500,000 seq."


def _count(n: float) -> str:
    return f"{int(n):,}"


def _minutes(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds < 600 else f"{seconds / 60:,.0f} min"  # 447 s, 17 min


def render(entries: dict[str, Any]) -> str:
    keys = sorted(entries, key=lambda k: (list(CHAPTERS).index(k.split("-")[0]), k))
    lines = [
        "<!-- Written by scripts/reproducing_table.py from data/pretrained/manifest.json: do not edit. -->",
        "",
        "| shipped model | seed | budget given | sequences | wall time | bit errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    records = {key: run_record(key, entries) for key in keys}
    for key in keys:
        entry, record = entries[key], records[key]
        lines.append(
            f"| {key} | {record['seed']} | {record['budget']} | {_count(entry['sequences'])} | "
            f"{_minutes(entry['seconds'])} | {entry['val_bit_errors']:.3g} |"
        )
    lines += ["", "The reproducing command of each, as the manifest records it:", ""]
    for key in keys:
        record = records[key]
        chapter = CHAPTER_OF_ENTRY.get(key, CHAPTERS[record["task"]])
        about = [f"chapter{'s' if ',' in chapter else ''} {chapter}"] if chapter else ["not yet in a chapter"]
        about.append(f"validation BCE {entries[key]['val_bce_bits']:.3g} bits per sequence")
        if record["init_from"]:
            about.append(f"fine-tuned from `{record['init_from']}`")
        if record["device"] != "cpu":
            about.append(f"device {record['device']}")
        lines += [f"`{key}` ({'; '.join(about)}):", "",
                  "```bash", _wrap(record["command"]), "```", ""]
        if entries[key].get("note"):
            lines += [f"How it was made: {entries[key]['note']}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _wrap(command: str, width: int = 88) -> str:
    """The command on lines of at most ``width`` characters, continued with backslashes."""
    words, groups = [shlex.quote(w) for w in shlex.split(command)], []
    for word in words:  # an option stays on one line with its value
        if groups and groups[-1].startswith("--") and " " not in groups[-1] and not word.startswith("--"):
            groups[-1] += " " + word
        else:
            groups.append(word)
    lines, line = [], ""
    for word in groups:
        if line and len(line) + 1 + len(word) > width - 2:
            lines.append(line + " \\")
            line = "    " + word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the table is up to date")
    args = parser.parse_args(argv)
    table = render(json.loads(MANIFEST.read_text()))
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != table:
            print(f"{OUTPUT} is out of date: run python scripts/reproducing_table.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(table)
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
