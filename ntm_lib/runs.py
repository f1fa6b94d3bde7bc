r"""A training run as data: what ``python -m ntm_lib train`` was asked to do, and the command that
does it again.

A ``RunRecord`` holds the task, the model kind, the seed, the settings that differ from the
task's recipe (model settings such as ``num_slots`` and training settings such as
``learning_rate``), the budget, the output folder and the checkpoint the run started from. The
manifest of shipped checkpoints stores it as a dict (``run``), and every command line is
rendered from it (``argv``), so nothing rewrites argument strings: renaming a shipped run
(``pretrained.move_to_variant``) changes the manifest key, and the command follows.

A run that started from another shipped run records that run's key (``init_from =
{"shipped": "ngrams-ntm-slots_128"}``); its command names that run's file as the manifest has
it at the time it is rendered. A run that started from any other file records the path.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

# Model config fields the train command sets (--read-heads, --slots, ...): each applies to the
# model kinds whose config has that field (ntm_lib.models.MODEL_KINDS).
MODEL_SETTINGS = ("num_read_heads", "num_write_heads", "controller", "controller_size", "shift_radius",
                  "memory_init", "initial_weighting", "num_slots", "write_rule", "use_links", "masked_lookup", "deallocate",
                  "link_sharpness")
# TrainConfig fields the train command sets, other than the seed and the budget.
TRAIN_SETTINGS = ("batch_size", "learning_rate", "clipping", "clip_norm", "clip_value", "optimizer", "validate_every", "lr_milestones",
                  "lr_decay", "output_memory_penalty", "output_memory_penalty_from", "stop_when_converged",
                  "expected_targets", "curriculum")
# Settings whose flag is a switch: the value the switch sets.
SWITCHES = {"stop_when_converged": ("--keep-going", False), "expected_targets": ("--expected-targets", True)}


def setting_flag(name: str) -> str:
    """The command-line flag of a model or training setting: num_slots -> --slots."""
    if name in SWITCHES:
        return SWITCHES[name][0]
    if name == "use_links":
        return "--links"
    if name in MODEL_SETTINGS:
        return "--" + name.replace("num_", "").replace("_", "-")
    return "--" + name.replace("_", "-")


def curriculum_text(stages: Any) -> str:
    """A curriculum as the ``--curriculum`` flag writes it: stages separated by ';', each stage's
    task settings as key=value separated by ','; ``none`` for no curriculum."""
    if not stages:
        return "none"
    return ";".join(",".join(f"{k}={v}" for k, v in stage.items()) for stage in stages)


def parse_curriculum(text: str) -> tuple[dict[str, Any], ...]:
    """The inverse of ``curriculum_text``: "max_items=3;max_items=4" -> ({"max_items": 3},
    {"max_items": 4}); "none" -> (). Values are integers or numbers."""
    if text.strip().lower() == "none":
        return ()
    stages = []
    for part in text.split(";"):
        stage = {}
        for item in part.split(","):
            key, sep, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key.isidentifier() or not value:
                raise ValueError(f"a curriculum is stages separated by ';', each key=value,... "
                                 f"(e.g. max_items=3;max_items=4) or none; got {text!r}")
            try:
                stage[key] = int(value)
            except ValueError:
                try:
                    stage[key] = float(value)
                except ValueError:
                    raise ValueError(f"curriculum values are numbers, got {key}={value!r} in {text!r}") from None
        stages.append(stage)
    return tuple(stages)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class RunRecord:
    """One training run. ``model_settings`` and ``train_settings`` hold only what differs from
    the recipe (``ntm_lib.recipes.recipe(task, model)``); ``max_sequences`` is the budget that
    reproduces the run on any machine (a wall-clock budget stops at a machine-dependent point)."""

    task: str
    model: str
    seed: int = 0
    out: str | None = None
    model_settings: Mapping[str, Any] = field(default_factory=dict)
    train_settings: Mapping[str, Any] = field(default_factory=dict)
    max_sequences: int | None = None
    max_seconds: float | None = None
    init_from: Mapping[str, str] | None = None  # {"shipped": key} or {"path": file}

    def __post_init__(self):
        # Plain dicts and lists, as JSON gives them back: a record compares equal to its round trip.
        object.__setattr__(self, "model_settings", dict(self.model_settings))
        object.__setattr__(self, "train_settings", {k: list(v) if isinstance(v, tuple) else v
                                                    for k, v in self.train_settings.items()})
        if self.init_from is not None:
            object.__setattr__(self, "init_from", dict(self.init_from))
        unknown = sorted(set(self.model_settings) - set(MODEL_SETTINGS)) + sorted(
            set(self.train_settings) - set(TRAIN_SETTINGS))
        if unknown:
            raise ValueError(f"a run record cannot hold the settings {unknown}; model settings are "
                             f"{MODEL_SETTINGS}, training settings {TRAIN_SETTINGS}")
        if self.init_from is not None and set(self.init_from) not in ({"shipped"}, {"path"}):
            raise ValueError(f"init_from is {{'shipped': key}} or {{'path': file}}, got {self.init_from!r}")

    def argv(self, shipped_files: Mapping[str, str] | None = None, directory: str = "data/pretrained") -> list[str]:
        """The ``train`` command's arguments (after ``python -m ntm_lib``). ``shipped_files``
        maps manifest keys to file names, to name the file of a shipped run this one started from."""
        args = ["train", "--task", self.task, "--model", self.model, "--seed", str(self.seed)]
        if self.out is not None:
            args += ["--out", self.out]
        if self.init_from is not None:
            if "path" in self.init_from:
                args += ["--init-from", self.init_from["path"]]
            else:
                key = self.init_from["shipped"]
                if not shipped_files or key not in shipped_files:
                    raise ValueError(f"this run started from the shipped run {key!r}, which the manifest does not have")
                args += ["--init-from", f"{directory}/{shipped_files[key]}"]
        for name in MODEL_SETTINGS:
            if name in self.model_settings:
                args += [setting_flag(name), _value_text(self.model_settings[name])]
        for name in TRAIN_SETTINGS:
            if name not in self.train_settings:
                continue
            if name in SWITCHES:
                if self.train_settings[name] == SWITCHES[name][1]:
                    args.append(setting_flag(name))
            else:
                value = self.train_settings[name]
                args += [setting_flag(name), curriculum_text(value) if name == "curriculum" else _value_text(value)]
        if self.max_sequences is not None:
            args += ["--max-sequences", str(self.max_sequences)]
        if self.max_seconds is not None:
            args += ["--max-seconds", _value_text(self.max_seconds)]
        return args

    def command(self, shipped_files: Mapping[str, str] | None = None, extra: tuple[str, ...] = ()) -> str:
        """The whole command line, as one string for a shell."""
        return shlex.join(["python", "-m", "ntm_lib", *self.argv(shipped_files), *extra])

    def budgeted(self, sequences: int) -> "RunRecord":
        """The same run with its budget as a sequence count: stops at the same point on any machine,
        and a run resumed any number of times reaches the same weights as one that never stopped."""
        return RunRecord(**{**self.as_dict(), "max_sequences": sequences, "max_seconds": None})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "RunRecord":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown fields {unknown} in a run record; expected some of {sorted(names)}")
        return cls(**values)

    @classmethod
    def from_argv(cls, argv: list[str]) -> "RunRecord":
        """The record of a ``train`` command (``argv`` after ``python -m ntm_lib``, or with it)."""
        from .__main__ import build_parser

        while argv and argv[0] != "train":
            argv = argv[1:]
        return cls.from_args(build_parser().parse_args(argv))

    @classmethod
    def from_args(cls, args: Any) -> "RunRecord":
        """The record of parsed ``train`` arguments (an ``argparse.Namespace``)."""
        model_settings = {n: getattr(args, n) for n in MODEL_SETTINGS if getattr(args, n, None) is not None}
        train_settings = {n: getattr(args, n) for n in TRAIN_SETTINGS
                          if n not in SWITCHES and getattr(args, n, None) is not None}
        if getattr(args, "keep_going", False):
            train_settings["stop_when_converged"] = False
        if getattr(args, "expected_targets", False):
            train_settings["expected_targets"] = True
        init_from = None if args.init_from is None else {"path": args.init_from}
        return cls(task=args.task, model=args.model, seed=args.seed, out=args.out,
                   model_settings=model_settings, train_settings=train_settings,
                   max_sequences=args.max_sequences, max_seconds=args.max_seconds, init_from=init_from)
