"""The shipped checkpoints: listed, hashed, loadable, and installed with the package."""

import importlib.util
import shlex
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch

import ntm_lib
from ntm_lib import pretrained
from ntm_lib.checkpoints import CheckpointError
from ntm_lib.recipes import recipe

SHIPPED = sorted(pretrained.manifest())


def split_key(key: str) -> tuple[str, str, str | None]:
    """'copy-ntm' -> ('copy', 'ntm', None); 'copy-ntm-unregularised' -> (..., 'unregularised')."""
    task, model, *variant = key.split("-")
    return task, model, (variant[0] if variant else None)


def test_copy_is_shipped_for_both_models():
    assert {"copy-ntm", "copy-lstm"} <= set(SHIPPED)


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_model_loads_and_runs_on_its_task(key):
    task_name, model_name, variant = split_key(key)
    model = ntm_lib.load_pretrained(task_name, model=model_name, variant=variant)
    task = recipe(task_name, model_name)[0]
    batch = task.sample(2, torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(batch.inputs)[0]
    assert logits.shape == batch.targets.shape
    assert torch.isfinite(logits).all()
    history = ntm_lib.pretrained_history(task_name, model_name, variant=variant)
    assert history["history"], "a shipped model comes with its training history"
    assert pretrained.manifest()[key]["command"].startswith("python -m ntm_lib train")


def test_shipped_checkpoints_stay_small():
    """The budget of the shipped data, decimal MB: 30 for the NTM and LSTM checkpoints of the task
    chapters, 40 with the DNCs (issue 16)."""
    total = sum(p.stat().st_size for p in pretrained.pretrained_dir().glob("*.pt"))
    assert total < 40_000_000, f"the shipped checkpoints take {total:,} bytes; the budget is 40 MB"


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_checkpoint_is_compressed(key):
    import zipfile

    path = pretrained.pretrained_dir() / pretrained.manifest()[key]["file"]
    assert {e.compress_type for e in zipfile.ZipFile(path).infolist()} == {zipfile.ZIP_DEFLATED}


def test_a_corrupted_checkpoint_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "pretrained"
    shutil.copytree(pretrained.pretrained_dir(), copy)
    path = copy / "copy-ntm.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "pretrained_dir", lambda: copy)
    with pytest.raises(CheckpointError, match="corrupt or was replaced"):
        ntm_lib.load_pretrained("copy")


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown task 'kopy'"):
        ntm_lib.load_pretrained("kopy")
    with pytest.raises(ValueError, match="unknown model 'gru'"):
        ntm_lib.load_pretrained("copy", model="gru")


def test_variants_are_other_shipped_runs_of_a_task():
    assert pretrained.variants("copy", "ntm") == ["unregularised"]
    assert pretrained.variants("copy", "lstm") == [] and pretrained.variants("repeat_copy", "ntm") == []
    plain = ntm_lib.load_pretrained("copy", variant="unregularised")
    main = ntm_lib.load_pretrained("copy")
    assert plain.config == main.config
    assert any(not torch.equal(a, b) for a, b in zip(plain.state_dict().values(), main.state_dict().values()))
    with pytest.raises(CheckpointError, match=r"no pretrained copy-ntm-quiet checkpoint is shipped \(shipped: .*copy-ntm-unregularised"):
        ntm_lib.load_pretrained("copy", variant="quiet")
    with pytest.raises(ValueError, match="a variant is a lower-case name"):
        ntm_lib.load_pretrained("copy", variant="Bad-Name")


def test_the_wheel_carries_the_checkpoints(tmp_path):
    """What `pip install git+...` (the Colab setup cell) installs includes data/pretrained."""
    root = pretrained._REPO_DATA.parent.parent
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "-q", "-w", str(tmp_path),
                    *isolation], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("ntm_lib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for key in SHIPPED:
        assert f"ntm_lib/shipped/{key}.pt" in names
    assert "ntm_lib/shipped/manifest.json" in names
    assert "ntm_lib/shipped/copy-ntm.seed-study.json" in names
    # the chapters' committed tables and studies, read through ntm_lib.evaluation.EVAL_DIR
    from ntm_lib import evaluation

    for path in evaluation._CHECKOUT_EVAL.rglob("*.json"):
        assert f"ntm_lib/shipped_eval/{path.relative_to(evaluation._CHECKOUT_EVAL).as_posix()}" in names


def test_the_copy_seed_study_names_the_shipped_run():
    """The unregularised copy NTM is the study's selection (its seed and sequence count, measured
    there), and the shipped copy NTM is that seed trained with the output-memory penalty."""
    study = pretrained.seed_study("copy")
    chosen = study["selection"]
    plain = pretrained.manifest()["copy-ntm-unregularised"]
    assert plain["sequences"] == chosen["sequences"] and f"--seed {chosen['seed']} " in plain["reproduce"]
    quiet = pretrained.manifest()["copy-ntm"]
    assert quiet["run"]["seed"] == chosen["seed"] and quiet["run"]["train_settings"]["output_memory_penalty"] == 1
    assert any(r["seed"] == chosen["seed"] and r["sequences"] == chosen["sequences"] for r in study["records"])
    assert all({"seed", "sequences", "L80", "L100", "L120"} <= set(r) for r in study["records"])
    with pytest.raises(CheckpointError, match="no seed study shipped for sort-ntm"):
        pretrained.seed_study("sort")


def test_every_shipped_model_records_its_run_as_data_and_the_command_rendered_from_it():
    from ntm_lib.runs import RunRecord

    entries = pretrained.manifest()
    for key, entry in entries.items():
        run = RunRecord.from_dict(entry["run"])
        assert run.max_sequences == entry["sequences"] and run.max_seconds is None, key
        assert entry["reproduce"] == pretrained.reproduce_command(key, entries), key
        assert RunRecord.from_argv(shlex.split(entry["reproduce"])).task == run.task, key
        parent = (run.init_from or {}).get("shipped")
        if parent is not None:  # a fine-tuned run names its parent's file as shipped now
            assert entry["init_from"]["shipped_as"] == parent and parent in entries, key
            assert f"--init-from data/pretrained/{entries[parent]['file']}" in entry["reproduce"], key


def test_every_shipped_model_is_its_recipe_with_the_settings_its_run_records():
    """A recipe may change after a model is shipped (associative recall's NTM: 128 slots and a
    constant memory, now 48 and random); the run record must then name the old settings, or its
    command would train a different model."""
    from dataclasses import asdict

    from ntm_lib.checkpoints import read_checkpoint
    from ntm_lib.runs import MODEL_SETTINGS

    entries = pretrained.manifest()
    for key, entry in entries.items():
        run = entry["run"]
        stored = read_checkpoint(pretrained.pretrained_dir() / entry["file"])["model"]["config"]
        expected = {**asdict(recipe(run["task"], run["model"])[1]), **run["model_settings"]}
        differ = {name: (expected.get(name), value) for name, value in stored.items()
                  if name in MODEL_SETTINGS and expected.get(name) != value}
        assert not differ, (key, differ)
    assert entries["associative_recall-ntm"]["run"]["model_settings"] == {"num_slots": 128, "memory_init": "constant"}


def test_the_256_slot_ngram_ntm_records_where_it_started_and_the_resize():
    entry = pretrained.manifest()["ngrams-ntm"]
    assert entry["run"]["model_settings"] == {"num_slots": 256}
    assert entry["init_from"]["num_slots"] == {"from": 128, "to": 256}
    assert "--init-from data/pretrained/ngrams-ntm-slots_128.pt --slots 256" in entry["reproduce"]


def test_retraining_trains_each_parent_once_before_the_runs_that_start_from_it():
    commands = pretrained.retraining_commands("ntm", ("ngrams",))
    outs = [shlex.split(c)[shlex.split(c).index("--out") + 1] for c in commands]
    assert outs == ["runs/ngrams-ntm-b64", "runs/ngrams-ntm-expected-hold", "runs/ngrams-ntm-256-drop77"]
    assert "--init-from runs/ngrams-ntm-expected-hold/final.pt --slots 256" in commands[2]
    assert all("--ship" in c for c in commands)


def test_every_task_is_registered_once_with_recipes_and_test_conditions():
    from ntm_lib import __main__ as cli
    from ntm_lib.recipes import REGISTRY, task_names

    parser = cli.build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions if a.dest == "task")
    assert tuple(train.choices) == task_names() == tuple(REGISTRY)
    for name, entry in REGISTRY.items():
        assert entry.conditions and entry.recipes
        for model_name in entry.recipes:
            task, config, _ = recipe(name, model_name)
            assert (config.input_size, config.output_size) == (task.input_size, task.output_size)


def test_the_unary_repeat_copy_is_the_repeat_copy_task_with_a_unary_count():
    from ntm_lib.evaluation import task_score
    from ntm_lib.tasks import repeat_copy

    task = recipe("repeat_copy_unary", "ntm")[0]
    assert isinstance(task, repeat_copy.RepeatCopyTask) and task.unary
    assert not recipe("repeat_copy", "ntm")[0].unary
    assert task_score("repeat_copy_unary") is repeat_copy.score
    assert recipe("repeat_copy_unary", "ntm")[2] == recipe("repeat_copy", "ntm")[2]  # same training settings


def test_wrap_command_is_the_same_command_in_lines_that_fit():
    import shlex

    from ntm_lib.pretrained import wrap_command

    command = ("python -m ntm_lib train --task associative_recall --model ntm --seed 0 "
               "--out runs/associative_recall-ntm --max-seconds 480 --no-progress --ship")
    wrapped = wrap_command(command, width=60)
    assert all(len(line) <= 60 for line in wrapped.splitlines())
    assert shlex.split(wrapped.replace("\\\n", " ")) == shlex.split(command)
    assert "--seed 0" in wrapped and wrap_command("python -m x", 60) == "python -m x"


@pytest.mark.parametrize("key", sorted(pretrained.manifest()))
def test_retrain_command_is_the_reproducing_run_without_shipping(key):
    command = pretrained.retrain_command(key)
    assert all(len(line) <= 88 for line in command.splitlines())
    argv = shlex.split(command.replace("\\\n", " "))
    assert "--ship" not in argv and "--max-seconds" not in argv and "--max-sequences" in argv
    assert argv[argv.index("--out") + 1] == f"runs/{key}"
    reproduce = shlex.split(pretrained.manifest()[key]["reproduce"])
    kept = [a for a in reproduce if a not in ("--ship", "--no-progress", "--variant")]
    assert argv[argv.index("--max-sequences") + 1] == kept[kept.index("--max-sequences") + 1]
    with pytest.raises(KeyError, match="no shipped run"):
        pretrained.retrain_command("copy-nothing")
