r"""Command line: ``python -m ntm_lib {train,eval,viz,bench} ...`` (``--help`` on each).

    python -m ntm_lib train --task copy --model ntm --seed 0 --out runs/copy-ntm
    python -m ntm_lib eval --task copy          # generalisation table of the shipped models
    python -m ntm_lib viz --task copy --length 40
    python -m ntm_lib bench

``train`` prints progress to standard error and, as its last line of standard output, one JSON
object: task, model, seed, converged, stopped (converged, max_sequences or max_seconds),
sequences, seconds, val_bit_errors, val_bce_bits, checkpoint. Rerunning the same command on the
same ``--out`` resumes from ``last.pt``. ``--init-from CHECKPOINT`` starts a new run from another
run's weights (fine-tuning: a fresh optimiser, a larger batch on a GPU, a new schedule, or with
``--slots`` a larger NTM memory); the run records the checkpoint's hash in ``init_from.json``, and
``--ship`` copies that into the manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from .models import MODEL_KINDS
from .ntm import INITIAL_WEIGHTINGS
from .recipes import task_names
from .runs import MODEL_SETTINGS, RunRecord, parse_curriculum, setting_flag
from .training import CLIPPINGS


def _add_budget_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-sequences", type=int, help="stop after this many training sequences "
                   "(default 500,000; none when only --max-seconds is given)")
    p.add_argument("--max-seconds", type=float, help="stop after this much wall time")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: fastest for these small ops on a 2-core CPU)")


def _add_fused_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fused", action="store_true",
                   help="NTM on a CPU: the fused C++ step (ntm_lib.fused; built on first use, about 25 s; needs g++ "
                        "and ninja). Same results to float rounding, faster")


def _sequence_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sequence counts separated by commas, e.g. 500000,900000; got {text!r}")
    if any(c <= 0 for c in counts) or list(counts) != sorted(counts):
        raise argparse.ArgumentTypeError(f"expected increasing positive counts, got {text!r}")
    return counts


def _head_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected a number of heads >= 0, got {text!r}")
    return count


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _on_off(text: str) -> bool:
    if text.lower() not in ("on", "off", "true", "false"):
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return text.lower() in ("on", "true")


def _curriculum(text: str) -> tuple[dict, ...]:
    try:
        return parse_curriculum(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


CURRICULUM_HELP = ("the task's curriculum: stages separated by ';', each task settings key=value,...; "
                   "each stage is left below TrainConfig.curriculum_bit_errors training bit errors "
                   "(e.g. max_items=3;max_items=4), or none (default: the recipe's)")


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _kinds_with(name: str) -> str:
    return " or ".join(kind for kind, (config_cls, _) in sorted(MODEL_KINDS.items())
                       if name in config_cls.__dataclass_fields__)

# --max-seconds without --max-sequences: train until the clock runs out, not until the recipe's
# default cap (TrainConfig.max_sequences, 500,000) that would otherwise end the run silently.
UNLIMITED_SEQUENCES = 10**15


def _stop_reason(result, config) -> str:
    """Why a training run ended: "converged", "max_sequences" or "max_seconds"."""
    if result.converged and config.stop_when_converged:
        return "converged"
    return "max_sequences" if result.sequences >= config.max_sequences else "max_seconds"


def _stored_init_from(out: Path) -> dict | None:
    """The --init-from record of this run, written when it started (None: it started from scratch)."""
    record = out / "init_from.json"
    return json.loads(record.read_text()) if record.is_file() else None


def cmd_train(args: argparse.Namespace) -> int:
    from .checkpoints import CheckpointError, load_initial_weights
    from .models import build_model
    from .recipes import recipe
    from .training import loss_terms, train

    try:
        task, model_config, train_config = recipe(args.task, args.model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run = RunRecord.from_args(args)
    if run.train_settings.get("expected_targets") and not hasattr(task, "expected_targets"):
        print(f"error: --expected-targets needs a task whose targets are random draws (ngrams), not {args.task}",
              file=sys.stderr)
        return 2
    budget = {name: value for name, value in (("max_sequences", run.max_sequences), ("max_seconds", run.max_seconds))
              if value is not None}
    if run.max_seconds is not None and run.max_sequences is None:
        budget["max_sequences"] = UNLIMITED_SEQUENCES  # a wall-clock budget alone: no hidden sequence cap
    try:
        train_config = replace(train_config, seed=run.seed, **run.train_settings, **budget)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in run.model_settings:
        if name not in type(model_config).__dataclass_fields__:
            print(f"error: {setting_flag(name)} applies to --model {_kinds_with(name)} only", file=sys.stderr)
            return 2
    try:
        model_config = replace(model_config, **run.model_settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.variant is not None and not args.ship:
        print("error: --variant names a shipped run; it needs --ship", file=sys.stderr)
        return 2
    out = Path(args.out)
    if (out / "last.pt").exists():
        print(f"resuming from {out / 'last.pt'}", file=sys.stderr)
    torch.manual_seed(args.seed)
    model = build_model(args.model, model_config)
    if args.init_from is not None and not (out / "last.pt").exists():
        try:
            init_from = load_initial_weights(model, args.init_from)
        except (OSError, CheckpointError) as exc:
            print(f"error: --init-from {args.init_from}: {exc}", file=sys.stderr)
            return 2
        out.mkdir(parents=True, exist_ok=True)
        (out / "init_from.json").write_text(json.dumps(init_from, indent=1))
    init_from = _stored_init_from(out)  # resumed runs keep the weights they resumed, not --init-from
    try:
        for term in loss_terms(train_config):  # e.g. the output-memory penalty needs a traced memory
            term.check(model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = train(model, task, train_config, out, resume=True, progress=not args.no_progress, device=args.device)
    summary = {
        "task": args.task, "model": args.model, "seed": args.seed, "converged": result.converged,
        "stopped": _stop_reason(result, train_config),
        "sequences": result.sequences, "seconds": round(result.seconds, 2),
        "val_bit_errors": result.val_bit_errors, "val_bce_bits": result.val_bce_bits,
        "nonfinite_batches": result.nonfinite_batches, "checkpoint": result.checkpoint,
    }
    if args.fused:
        summary["fused_step"] = True
    record = {"summary": summary, "run": run.as_dict(), "train_config": asdict(train_config), "history": result.history}
    if init_from is not None:
        record["init_from"] = init_from
    (out / "history.json").write_text(json.dumps(record, indent=1))
    if args.ship:
        from .pretrained import ship

        command = ["python", "-m", "ntm_lib", *args.argv]
        summary["shipped"] = str(ship(out, run, command, variant=args.variant))
    print(json.dumps(summary))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_task, markdown_table, write_tables

    tasks = args.task.split(",")
    for task in tasks:
        result = evaluate_task(task, seed=args.seed, sequences=args.sequences)
        json_path, md_path = write_tables(result)
        print(markdown_table(result))
        print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """Draw the shipped model of a task on one example and save the figure as a PNG."""
    from .evaluation import length_keyword
    from .pretrained import load_pretrained
    from .recipes import task_entry
    from .viz import _plt
    from .viz_runs import first_sequence, plot_run

    task = task_entry(args.task).task
    try:
        sample_settings = {length_keyword(args.task): args.length} if args.length is not None else {}
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    net = load_pretrained(args.task, args.model)
    batch = task.sample(1, torch.Generator().manual_seed(args.seed), **sample_settings)
    with torch.no_grad():
        if args.model == "lstm":  # no memory, no trace: inputs, targets and outputs only
            logits, trace = net(batch.inputs)[0], None
        else:
            logits, _, trace = net(batch.inputs, trace=True)
    label = f" ({length_keyword(args.task)} {args.length})" if args.length is not None else ""
    title = f"{args.model.upper()} on {args.task}{label}"
    if args.model == "dnc":  # usage, gates and read modes as well: its own figure
        from .viz_dnc import plot_dnc_run

        fig = plot_dnc_run(batch.inputs[0], batch.targets[0], logits[0], batch.mask[0], first_sequence(trace),
                           title=title)
    else:
        fig = plot_run(batch.inputs[0], batch.targets[0], logits[0], batch.mask[0],
                       None if trace is None else first_sequence(trace), getattr(net.config, "num_read_heads", 1),
                       title=title)
    path = args.out or f"{args.task}-{args.model}.png"
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    print(path)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    run_bench(args)
    return 0


def _seed_list(text: str) -> list[int]:
    """Seeds as "0-9", "0,3,7" or a mix ("0-4,9")."""
    seeds = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds such as 0-9 or 0,3,7; got {text!r}")
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected distinct seeds >= 0, got {text!r}")
    return seeds


def _list_of(kind: type, choices: tuple = ()):
    def parse(text: str) -> list:
        try:
            values = [kind(part.strip()) for part in text.split(",") if part.strip()]
        except ValueError:
            values = []
        if not values or (choices and any(v not in choices for v in values)):
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {' / '.join(choices) if choices else kind.__name__} values, got {text!r}")
        return values
    return parse


# What a sweep's --flags can list, one run per combination: model settings that keep the
# weights' shapes (ntm_lib.sweep.VARIABLE_MODEL_FIELDS), then training settings.
SWEPT_MODEL_SETTINGS = ("memory_init", "initial_weighting")
SWEPT_TRAIN_SETTINGS = ("learning_rate", "clipping", "clip_norm", "clip_value", "optimizer")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Train every combination of the listed settings and seeds as one batched sweep
    (ntm_lib.sweep); the last line of standard output is one JSON object with one entry per run."""
    import itertools
    import time

    from .recipes import recipe
    from .sweep import SweepRun, group_summary, settings_of, summary, sweep

    try:
        task, model_config, train_config = recipe(args.task, args.model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    budget = {name: getattr(args, name) for name in ("max_sequences", "max_seconds", "batch_size", "validate_every")
              if getattr(args, name) is not None}
    if args.max_seconds is not None and args.max_sequences is None:
        budget["max_sequences"] = UNLIMITED_SEQUENCES
    if args.keep_going:
        budget["stop_when_converged"] = False
    if args.curriculum is not None:  # fixed for every run, like the budget
        budget["curriculum"] = args.curriculum
    lists = {name: getattr(args, name) for name in SWEPT_MODEL_SETTINGS + SWEPT_TRAIN_SETTINGS
             if getattr(args, name) is not None}
    for name in SWEPT_MODEL_SETTINGS:
        if name in lists and name not in type(model_config).__dataclass_fields__:
            print(f"error: {setting_flag(name)} applies to --model {_kinds_with(name)} only", file=sys.stderr)
            return 2
    fixed = {name: value for name, value in (("controller", args.controller), ("controller_size", args.controller_size),
                                             ("num_slots", args.slots))
             if value is not None}
    for name in fixed:
        if name not in type(model_config).__dataclass_fields__:
            print(f"error: {setting_flag(name)} applies to --model {_kinds_with(name)} only", file=sys.stderr)
            return 2
    try:
        model_config = replace(model_config, **fixed, **_dnc_options(args, model_config))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs = []
    for values in itertools.product(*lists.values(), args.seeds):
        chosen, seed = dict(zip(lists, values[:-1])), values[-1]
        model_changes = {k: v for k, v in chosen.items() if k in SWEPT_MODEL_SETTINGS}
        train_changes = {k: v for k, v in chosen.items() if k not in SWEPT_MODEL_SETTINGS}
        name = "_".join([f"{k.replace('_', '-')}-{v}" for k, v in chosen.items()] + [f"seed-{seed}"])
        try:
            runs.append(SweepRun(name, replace(model_config, **model_changes),
                                 replace(train_config, **budget, **train_changes, seed=seed)))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    out = Path(args.out)
    start = time.perf_counter()
    try:
        results = sweep(args.model, task, runs, out, workers=args.workers, device=args.device,
                        progress=not args.no_progress)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = round(time.perf_counter() - start, 2)
    report = {"task": args.task, "model": args.model, "seconds": seconds,
              **({"fused_step": True} if args.fused else {}),
              "command": ["python", "-m", "ntm_lib", *args.argv],
              "runs": [{**summary(result), "settings": settings_of(r)} for r, result in zip(runs, results)]}
    # OUT/sweep.json: the report, each run's history, and every session of the sweep (a rerun on
    # the same folder resumes it: its sessions' seconds add up to the sweep's wall time).
    stored = out / "sweep.json"
    sessions = json.loads(stored.read_text()).get("sessions", []) if stored.is_file() else []
    sessions.append({"command": report["command"], "seconds": seconds})
    full = {**report, "sessions": sessions, "seconds_all_sessions": round(sum(s["seconds"] for s in sessions), 2),
            "by_setting": {name: group_summary(report["runs"], name) for name, values in lists.items() if len(values) > 1},
            "runs": [{**entry, "history": result.history} for entry, result in zip(report["runs"], results)]}
    out.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(full, indent=1))
    print(json.dumps(report))
    return 0


DNC_OPTIONS = ("use_links", "masked_lookup", "deallocate", "link_sharpness")


def _add_dnc_option_arguments(p: argparse.ArgumentParser, scope: str = "") -> None:
    """The DNC's switches: --links and the three options of Csordás & Schmidhuber (2019)."""
    p.add_argument("--links", type=_on_off, dest="use_links", metavar="on|off",
                   help="DNC: keep the temporal link matrix (default on; off: the ablation, reads by "
                        "content only)" + scope)
    for name, what in (("masked_lookup", "a learned mask on every content look-up"),
                       ("deallocate", "freeing a slot also erases it"),
                       ("link_sharpness", "forward and backward weightings sharpened by learned powers")):
        p.add_argument(setting_flag(name), type=_on_off, dest=name, metavar="on|off",
                       help=f"DNC: {what} (Csordás & Schmidhuber 2019; all three on: DNC-MDS; "
                            f"default off){scope}")


def _dnc_options(args: argparse.Namespace, model_config: Any) -> dict[str, bool]:
    """The DNC switches given on the command line; an error if the model is not a DNC."""
    chosen = {name: getattr(args, name) for name in DNC_OPTIONS if getattr(args, name, None) is not None}
    missing = [name for name in chosen if name not in type(model_config).__dataclass_fields__]
    if missing:
        raise ValueError(f"{', '.join(setting_flag(n) for n in missing)} appl"
                         f"{'ies' if len(missing) == 1 else 'y'} to --model dnc only")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (``ntm_lib.runs.RunRecord.from_argv`` parses recorded commands with it)."""
    parser = argparse.ArgumentParser(prog="python -m ntm_lib", description="Neural Turing Machines: train, evaluate, draw, benchmark.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model on a task until converged or out of budget")
    p.add_argument("--task", default="copy", choices=task_names())
    p.add_argument("--model", default="ntm", choices=sorted(MODEL_KINDS),
                   help="ntm (default), lstm or dnc; a task has recipes for some of them (ntm_lib.recipes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder: checkpoints last.pt, final.pt and history.json")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--clipping", choices=list(CLIPPINGS),
                   help="gradient clipping: norm (global norm, the default), value (each value) or none")
    p.add_argument("--clip-norm", type=float, help="with --clipping norm: the largest global norm (default 10)")
    p.add_argument("--clip-value", type=float, help="with --clipping value: the largest |value| (default 10)")
    p.add_argument("--optimizer", choices=["adam", "rmsprop"])
    p.add_argument("--lr-milestones", type=_sequence_counts, metavar="N,N,...",
                   help="multiply the learning rate by --lr-decay after each of these numbers of sequences")
    p.add_argument("--lr-decay", type=float, help="learning-rate factor at each milestone (default 0.3)")
    p.add_argument("--read-heads", type=_head_count, dest="num_read_heads", help="NTM or DNC read heads (default: the recipe's)")
    p.add_argument("--write-heads", type=_head_count, dest="num_write_heads", help="NTM write heads (default: the recipe's)")
    p.add_argument("--controller", choices=["feedforward", "lstm"], help="NTM or DNC controller (default: the recipe's)")
    p.add_argument("--controller-size", type=_positive_int, metavar="UNITS", help="NTM or DNC controller units (default: the recipe's)")
    p.add_argument("--shift-radius", type=_positive_int, metavar="S",
                   help="NTM heads shift by -S..+S slots (default: the recipe's, 1)")
    p.add_argument("--memory-init", choices=["constant", "learned", "random"],
                   help="NTM or DNC initial memory (default: the recipe's)")
    p.add_argument("--initial-weighting", choices=list(INITIAL_WEIGHTINGS),
                   help="NTM: where the heads' learned initial weighting starts, focused on slot 0 "
                        "(the default) or uniform over the slots")
    p.add_argument("--write-rule", choices=["paper", "sequential"],
                   help="NTM with several write heads: 'paper' (all erasures, then all additions; the "
                        "default) or 'sequential' (head by head; the rule of the shipped sort NTMs)")
    p.add_argument("--slots", type=_positive_int, dest="num_slots", metavar="N",
                   help="NTM or DNC memory slots (default: the recipe's); with --init-from, a checkpoint "
                        "with another number of slots is resized (ntm_lib.ntm.state_dict_for_slots)")
    _add_dnc_option_arguments(p)
    p.add_argument("--output-memory-penalty", type=_non_negative_float, metavar="WEIGHT",
                   help="NTM only: add WEIGHT x the change of the memory on scored steps to the loss "
                        "(ntm_lib.regularisers; chapter 5)")
    p.add_argument("--output-memory-penalty-from", type=int, metavar="N",
                   help="apply --output-memory-penalty from N training sequences on (default 0)")
    p.add_argument("--curriculum", type=_curriculum, metavar="STAGES", help=CURRICULUM_HELP)
    p.add_argument("--keep-going", action="store_true", help="do not stop when converged")
    p.add_argument("--expected-targets", action="store_true",
                   help="train on the expected targets given the inputs (ngrams: the Bayes posterior "
                        "predictive) instead of the drawn bits: same minimiser, less noise; validation "
                        "still uses the drawn bits")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--device", default="cpu")
    _add_fused_argument(p)
    p.add_argument("--init-from", metavar="CHECKPOINT",
                   help="start from this checkpoint's weights (a shipped .pt or a run's final.pt; the "
                        "model settings must match), with a fresh optimiser and sequence count")
    p.add_argument("--ship", action="store_true",
                   help="copy the final checkpoint into data/pretrained/ and record it in the manifest")
    p.add_argument("--variant", metavar="NAME",
                   help="with --ship: record the run as another shipped run of the task and model, "
                        "loaded by load_pretrained(task, model, variant=NAME)")
    _add_budget_arguments(p)
    p.add_argument("--validate-every", type=int, metavar="BATCHES",
                   help="validate (and write last.pt) every this many batches (default 200)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="generalisation table of the shipped NTM and LSTM, to data/eval/")
    p.add_argument("--task", required=True, help="a task name, or several separated by commas")
    p.add_argument("--seed", type=int, default=1234, help="seed of the test sets")
    p.add_argument("--sequences", type=int, help="sequences per condition (default 100, N-grams 1000)")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("viz", help="PNG of a shipped model on one example: input, target, output, weightings, memory")
    p.add_argument("--task", required=True, choices=task_names())
    p.add_argument("--model", default="ntm", choices=sorted(MODEL_KINDS))
    p.add_argument("--length", type=int, help="sequence length (or number of items) of the example")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="PNG path (default <task>-<model>.png)")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_viz)

    p = sub.add_parser("bench", help="throughput and time to converge on copy")
    p.add_argument("--model", default="ntm", choices=["ntm", "dnc"], help="the copy recipe's model to measure")
    p.add_argument("--slots", metavar="N,N,...",
                   help="also measure the training cost per time step at these memory sizes (e.g. 16,32,64,128,256)")
    p.add_argument("--slots-batch", type=int, default=32, help="batch size of the --slots measurement")
    p.add_argument("--seeds", type=int, default=5, help="seeds for the convergence benchmark (0 skips it)")
    p.add_argument("--batch-sizes", default="1,32,256", help="batch sizes for the throughput benchmark")
    p.add_argument("--stay", type=int, default=10_000,
                   help="after converging, train on this many more sequences and report the worst validation error")
    p.add_argument("--out", default="runs/bench", help="where the benchmark's runs are written")
    _add_fused_argument(p)
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda: where the models train")
    p.add_argument("--report", help="also write the results as Markdown to this file (e.g. data/bench.md)")
    _add_budget_arguments(p)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("sweep", help="train many seeds (and settings) of a recipe at once, as one batched computation")
    p.add_argument("--task", default="copy", choices=task_names())
    p.add_argument("--model", default="ntm", choices=sorted(MODEL_KINDS))
    p.add_argument("--seeds", type=_seed_list, default=[0], help="e.g. 0-9 or 0,3,7 (default 0)")
    p.add_argument("--memory-init", type=_list_of(str, ("constant", "learned", "random")), metavar="S,S,...",
                   help="NTM or DNC initial memories to compare, e.g. constant,learned,random")
    p.add_argument("--learning-rate", type=_list_of(float), metavar="R,R,...")
    p.add_argument("--initial-weighting", type=_list_of(str, INITIAL_WEIGHTINGS), metavar="W,W,...",
                   help="NTM: initial weightings to compare, e.g. focused,uniform")
    p.add_argument("--clipping", type=_list_of(str, CLIPPINGS), metavar="C,C,...",
                   help="gradient clippings to compare, e.g. norm,value,none")
    p.add_argument("--clip-norm", type=_list_of(float), metavar="C,C,...")
    p.add_argument("--clip-value", type=_list_of(float), metavar="V,V,...")
    p.add_argument("--optimizer", type=_list_of(str, ("adam", "rmsprop")), metavar="O,O,...")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--validate-every", type=int, metavar="BATCHES")
    p.add_argument("--keep-going", action="store_true", help="do not stop a run when it converges")
    p.add_argument("--curriculum", type=_curriculum, metavar="STAGES",
                   help=CURRICULUM_HELP.replace("the task's", "every run's"))
    p.add_argument("--out", required=True, help="output folder: one folder per run, and sweep.json")
    p.add_argument("--controller", choices=["feedforward", "lstm"],
                   help="NTM or DNC controller of every run (default: the recipe's)")
    p.add_argument("--controller-size", type=_positive_int, metavar="UNITS",
                   help="NTM or DNC controller units of every run (default: the recipe's)")
    p.add_argument("--slots", type=_positive_int, metavar="N",
                   help="NTM or DNC memory slots of every run (default: the recipe's)")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="P",
                   help="split the runs into P sweeps, one process (and one thread) each: on a CPU, "
                        "P = the number of cores uses them all (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (with --workers, "
                   "the bar follows the first worker's runs)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    _add_fused_argument(p)
    _add_dnc_option_arguments(p, " (the same for every run of the sweep)")
    _add_budget_arguments(p)
    p.set_defaults(func=cmd_sweep)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    torch.set_num_threads(args.threads)
    if getattr(args, "fused", False):
        from .fused import FusedStepUnavailable, use_fused_step

        try:
            use_fused_step()
        except FusedStepUnavailable as exc:
            print(f"error: --fused: {exc}", file=sys.stderr)
            return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
