"""The stability studies of chapter 12: ten seeds of an NTM recipe per setting, each setting
changing one thing, all with the same budget (copy: 16,000 sequences; associative recall:
32,000; repeat copy: 96,000), as batched sweeps.

    python scripts/stability_study.py run [NAME ...] --runs runs/stability     # trains (minutes each)
    python scripts/stability_study.py collect [NAME ...] --runs runs/stability # -> data/eval/stability/

``run`` calls ``python -m ntm_lib sweep`` once per study (two worker processes, one torch thread
each); a study that was interrupted resumes where it stopped. ``collect`` copies each sweep's
report (every run's settings, result and validation history) to ``data/eval/stability/NAME.json``
and writes ``NAME.md``: the command, the wall time, and one row per setting and per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntm_lib.recipes import recipe  # noqa: E402
from ntm_lib.runs import setting_flag  # noqa: E402
from ntm_lib.tables import Table  # noqa: E402
from ntm_lib.viz_stability import sequences_to_converge, stability_rows, stability_table  # noqa: E402

COPY = ("copy", 16000)  # the task and the budget of a study, in sequences per run
# name: (task, budget, the settings it varies as sweep flags, the setting its table groups by,
#        what it asks)
STUDIES = {
    "copy-memory-init-rerun": (*COPY, ["--memory-init", "constant,learned,random"], "memory_init",
                               "Memory initialisation: constant, learned or random, with the heads' "
                               "focused initial weighting (Collier & Beel's question). The same runs "
                               "as `copy-memory-init` (made before the memory operations were rewritten, "
                               "in one process: `copy-memory-init.md`), with arithmetic that differs in "
                               "rounding only, and random memories drawn from the generator `train` uses "
                               "now."),
    "copy-symmetry": (*COPY, ["--memory-init", "constant,random", "--initial-weighting", "uniform"], "memory_init",
                      "The symmetry: constant or random memory with a uniform initial weighting "
                      "(compare the focused runs of copy-memory-init-rerun)."),
    "copy-clipping": (*COPY, ["--clipping", "value,none"], "clipping",
                      "Gradient clipping per value (at 10) or none, against the recipe's global norm "
                      "at 10 (the constant runs of copy-memory-init-rerun)."),
    "copy-optimizer": (*COPY, ["--optimizer", "rmsprop", "--learning-rate", "1e-4", "--clipping", "value"], "optimizer",
                       "Graves' optimiser: RMSprop with momentum 0.9 at 1e-4, gradients clipped per value "
                       "at 10, against the recipe's Adam at 3e-3."),
    "copy-controller": (*COPY, ["--controller", "lstm"], "controller",
                        "An LSTM controller of 100 units instead of the recipe's feed-forward one."),
    "associative_recall-memory-init": ("associative_recall", 32000, ["--memory-init", "constant,learned,random"],
                                       "memory_init",
                                       "Memory initialisation on associative recall (2-6 items of 3 vectors of "
                                       "6 bits): constant, learned or random, with focused initial weightings; "
                                       "the constant runs are the task's recipe."),
    "associative_recall-learning-rate": ("associative_recall", 32000, ["--learning-rate", "1e-3"], "learning_rate",
                                         "Associative recall with Adam at 1e-3 instead of the recipe's 3e-3 "
                                         "(constant memory): does a smaller step leave the plateaus?"),
    "associative_recall-controller": ("associative_recall", 32000, ["--controller", "lstm"], "controller",
                                      "Associative recall with an LSTM controller of 100 units instead of the "
                                      "recipe's feed-forward one (constant memory)."),
    "associative_recall-curriculum": ("associative_recall", 32000,
                                      ["--memory-init", "constant,random", "--curriculum", "max_items=3;max_items=4"],
                                      "memory_init",
                                      "Associative recall with a curriculum on the number of items (2-3 items, "
                                      "then 2-4, then the task's 2-6, each stage left below 1 training bit error "
                                      "per sequence), with the recipe's constant memory and with a random one."),
    "associative_recall-three-items": ("associative_recall", 32000,
                                       ["--curriculum", "min_items=3,max_items=3;min_items=3,max_items=4"],
                                       "curriculum",
                                       "Associative recall with a curriculum that never shows two items: 3 items, "
                                       "then 3-4, then the task's 2-6 (each stage left below 1 training bit error "
                                       "per sequence), so that the answer can never be found by its position alone; "
                                       "the recipe's constant memory."),
    "associative_recall-slots": ("associative_recall", 32000,
                                 ["--slots", "48", "--memory-init", "constant,random"], "memory_init",
                                 "Associative recall with 48 memory slots instead of the recipe's 128 (a list of "
                                 "6 items takes 32 steps, so 48 still hold it): with fewer unwritten slots, "
                                 "does a content look-up stand out sooner? Constant and random memory."),
    "associative_recall-slots-seeds": ("associative_recall", 32000,
                                       ["--slots", "48", "--memory-init", "random"], "memory_init",
                                       "Ten more seeds (10-19) of associative_recall-slots' random memory with 48 "
                                       "slots: is its 9 of 10 a lucky draw?"),
    "associative_recall-slots-64": ("associative_recall", 32000,
                                    ["--slots", "64", "--memory-init", "random"], "memory_init",
                                    "Associative recall with 64 slots and a random memory: room for lists of up "
                                    "to 15 items, against 11 with 48."),
    "associative_recall-long": ("associative_recall", 96000, ["--memory-init", "constant,learned,random"],
                                "memory_init",
                                "Associative recall with three times the budget: the runs of "
                                "associative_recall-memory-init, continued from 32,000 to 96,000 sequences "
                                "(the sweep resumes each run from its last checkpoint). Do the runs that "
                                "had not converged get there later?"),
    "repeat_copy-memory-init": ("repeat_copy", 96000, ["--memory-init", "constant,learned,random"], "memory_init",
                                "Memory initialisation on repeat copy: constant (the recipe), learned or random "
                                "memory, with the recipe's LSTM controller and curriculum."),
    "repeat_copy-long": ("repeat_copy", 192000, ["--memory-init", "constant,learned,random"], "memory_init",
                         "Repeat copy with twice the budget: the runs of repeat_copy-memory-init, continued "
                         "from 96,000 to 192,000 sequences (the sweep resumes each run from its last "
                         "checkpoint). Do the slow runs, near the line on the full task, get over it, and do "
                         "the runs stuck in the curriculum's second and third stages move on?"),
    "repeat_copy-controller": ("repeat_copy", 96000, ["--controller", "feedforward"], "controller",
                               "Repeat copy with a feed-forward controller of 100 units instead of the recipe's "
                               "LSTM (constant memory, the recipe's curriculum): an LSTM of 100 units can carry "
                               "a short sequence and its count by itself; a feed-forward controller must use the "
                               "memory from the first stage on."),
}


# The recipe a task's studies were made with, where the registered recipe has changed since:
# associative recall's was 128 slots and a constant memory (chapter 7's shipped model) until the
# 48-slot studies found one that converges in 18 of 20 seeds. A study's command sets these
# settings unless it varies them itself, so that it trains the same runs as it did.
BASE = {"associative_recall": {"num_slots": 128, "memory_init": "constant"}}
# The seeds of a study, where they are not 0-9.
SEEDS = {"associative_recall-slots-seeds": "10-19"}
# The folder of a study under --runs, where it is not the study's name.
FOLDERS = {"copy-memory-init-rerun": "copy-memory-init"}
# A study that continues the runs of another with a larger budget starts from a copy of its folder.
CONTINUES = {"associative_recall-long": "associative_recall-memory-init",
             "repeat_copy-long": "repeat_copy-memory-init"}


def base_flags(task: str, flags: list[str]) -> list[str]:
    """The flags that pin a task's ``BASE`` settings the study's own ``flags`` leave alone."""
    pinned = []
    for setting, value in BASE.get(task, {}).items():
        flag = setting_flag(setting)
        if flag not in flags:
            pinned += [flag, str(value)]
    return pinned


def command(name: str, runs: Path) -> list[str]:
    task, budget, flags, _, _ = STUDIES[name]
    return ["python", "-m", "ntm_lib", "sweep", "--task", task, "--model", "ntm", "--seeds", SEEDS.get(name, "0-9"),
            "--max-sequences", str(budget), "--workers", "2", "--no-progress", *flags, *base_flags(task, flags),
            "--out", str(runs / FOLDERS.get(name, name))]


def run(names: list[str], runs: Path) -> None:
    for name in names:
        folder, earlier = runs / FOLDERS.get(name, name), CONTINUES.get(name)
        if earlier and not folder.exists():
            if not (runs / earlier / "sweep.json").is_file():
                raise SystemExit(f"{name} continues the runs of {earlier}: run that study first")
            shutil.copytree(runs / earlier, folder)
        argv = command(name, runs)
        print(shlex.join(argv), flush=True)
        subprocess.run([sys.executable, *argv[1:]], check=True, cwd=ROOT,
                       env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})


def recipe_description(task: str) -> str:
    """The NTM recipe of ``task`` in words, from ``ntm_lib.recipes`` with the task's ``BASE``
    settings (what a study changes is in its command)."""
    _, model, train = recipe(task, "ntm")
    model = replace(model, **BASE.get(task, {}))
    controller = {"feedforward": "feed-forward", "lstm": "LSTM"}.get(model.controller, model.controller)
    words = [f"`ntm_lib.recipes`: {controller} controller of {model.controller_size} units",
             f"N = {model.num_slots}, M = {model.word_size}",
             f"{model.num_read_heads} read and {model.num_write_heads} write head(s)",
             f"{train.optimizer.capitalize() if train.optimizer != 'rmsprop' else 'RMSprop'} "
             f"{train.learning_rate:g}, batch {train.batch_size}",
             f"{'global-norm' if train.clipping == 'norm' else train.clipping} clip "
             f"{train.clip_norm if train.clipping == 'norm' else train.clip_value:g}",
             f"{model.memory_init} memory, {model.initial_weighting} initial weighting"]
    if train.curriculum:
        stages = " -> ".join(", ".join(f"{k} {v}" for k, v in stage.items()) for stage in train.curriculum)
        words.append(f"curriculum {stages} -> the full task, each stage left below "
                     f"{train.curriculum_bit_errors:g} training bit errors per sequence")
    return "; ".join(words)


def validation_description(task: str) -> str:
    _, _, train = recipe(task, "ntm")
    every = train.validate_every * train.batch_size
    return (f"{train.validation_size} validation sequences, every {train.validate_every} batches = "
            f"{every:,d} sequences")


def pinned_note(name: str, report: dict) -> list[str]:
    """Where the task's recipe has changed since the study ran (``BASE``): the command that
    trains the same runs under today's recipe, as Markdown lines."""
    task, _, flags, _, _ = STUDIES[name]
    pinned = base_flags(task, flags)
    if not pinned:
        return []
    recorded = report["command"]
    runs = Path(recorded[recorded.index("--out") + 1]).parent
    return [f"The task's registered recipe has changed since these runs were made; the settings "
            f"they had are pinned by `{shlex.join(pinned)}` in the command that trains them again "
            f"today (`python scripts/stability_study.py run {name}`):", "",
            "    " + shlex.join(command(name, runs)), ""]


def markdown(name: str, report: dict) -> str:
    task, budget, flags, setting, question = STUDIES[name]
    rows = stability_rows(report, setting)
    per_run = Table(
        [setting, "seed", "stopped", "sequences", "converged at", "final validation bit errors",
         "non-finite batches"],
        [[str(r["settings"][setting]), r["seed"], r["stopped"], r["sequences"],
          sequences_to_converge(r) or "-", round(r["val_bit_errors"], 3), r["nonfinite_batches"]]
         for r in report["runs"]])
    sessions = report.get("sessions", [])
    return "\n".join([
        f"# Stability study `{name}`", "", question, "",
        "Command (`OMP_NUM_THREADS=1`; the sweep's two worker processes use one thread each):", "",
        "    " + shlex.join(report["command"]), "",
        *pinned_note(name, report),
        f"The {task} NTM recipe{' of the shipped model' if task in BASE else ''} "
        f"({recipe_description(task)}) with the settings above, "
        f"seeds {SEEDS.get(name, '0-9')}, "
        "each run stopped at its first validation below 0.1 bit errors per sequence "
        f"({validation_description(task)}) or at {budget:,d} sequences.", "",
        f"**Time: {report['seconds_all_sessions']:,.0f} s** for {len(report['runs'])} runs "
        f"({sum(r['sequences'] for r in report['runs']):,d} training sequences) in "
        f"{len(sessions)} session(s), on {platform.machine()} with 2 cores, torch {torch.__version__}.", "",
        stability_table(rows, setting).to_markdown(), "",
        "Sequences to converge are counted at the validations: 6,400 means between 3,201 and 6,400. "
        "Medians are over the runs that converged.", "",
        per_run.to_markdown(), "",
    ])


def collect(names: list[str], runs: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        stored = ROOT / runs / FOLDERS.get(name, name) / "sweep.json"  # runs: relative or absolute
        if not stored.is_file():
            print(f"{name}: no {stored}, skipped")
            continue
        report = json.loads(stored.read_text())
        for entry in report["runs"]:  # checkpoints stay with the runs, not in the book's data
            entry["checkpoint"] = None
        for key in ("command",):  # paths inside the checkout, as a reader would type them
            report[key] = [str(Path(a).relative_to(ROOT)) if a.startswith(str(ROOT) + "/") else a
                           for a in report[key]]
        for session in report.get("sessions", []):
            session["command"] = [str(Path(a).relative_to(ROOT)) if a.startswith(str(ROOT) + "/") else a
                                  for a in session["command"]]
        (out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
        (out / f"{name}.md").write_text(markdown(name, report))
        print(f"{name}: {len(report['runs'])} runs -> {out / name}.json, .md")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["run", "collect"])
    parser.add_argument("names", nargs="*", help="studies to run or collect (default: all), of " + ", ".join(STUDIES))
    parser.add_argument("--runs", type=Path, default=Path("runs") / "stability",
                        help="where the sweeps' run folders are (relative to the checkout)")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "eval" / "stability")
    args = parser.parse_args()
    if args.action == "run":
        run(args.names or list(STUDIES), args.runs)
    else:
        collect(args.names or list(STUDIES), args.runs, args.out)
