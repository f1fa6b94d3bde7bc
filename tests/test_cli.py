r"""The command line, run as a user runs it: ``python -m ntm_lib train ...`` in a subprocess.

One short training run (64 sequences) is shared by the tests of this file; the resume test works
on a copy of its output folder, so the tests do not depend on their order.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ntm_lib
from ntm_lib import NTM
from ntm_lib.__main__ import main
from ntm_lib.checkpoints import load_checkpoint
from ntm_lib.recipes import recipe

REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"task", "model", "seed", "converged", "sequences", "seconds", "val_bit_errors", "checkpoint"}


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ntm_lib", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def train_args(out: Path, max_sequences: int) -> list[str]:
    return ["train", "--task", "copy", "--model", "ntm", "--seed", "0", "--out", str(out),
            "--max-sequences", str(max_sequences), "--no-progress"]


def last_json_line(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert lines, "nothing on standard output"
    summary = json.loads(lines[-1])
    assert isinstance(summary, dict)
    return summary


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "copy-ntm"
    proc = run_cli(*train_args(out, 64))
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_train_prints_a_json_summary_last(first_run):
    out, proc = first_run
    summary = last_json_line(proc.stdout)
    assert SUMMARY_KEYS <= set(summary)
    assert (summary["task"], summary["model"], summary["seed"]) == ("copy", "ntm", 0)
    assert summary["sequences"] == 64
    assert summary["converged"] is False  # 64 sequences are far too few
    assert isinstance(summary["seconds"], (int, float)) and summary["seconds"] >= 0
    assert isinstance(summary["val_bit_errors"], float) and summary["val_bit_errors"] > 0.1
    assert Path(summary["checkpoint"]) == out / "final.pt"
    assert (out / "last.pt").is_file()
    history = json.loads((out / "history.json").read_text())
    assert history["summary"] == summary
    assert [r["sequences"] for r in history["history"]] == [64]


def test_the_checkpoint_it_names_loads_back(first_run):
    _, proc = first_run
    model = load_checkpoint(last_json_line(proc.stdout)["checkpoint"])
    assert isinstance(model, NTM)
    _, expected_config, _ = recipe("copy", "ntm")
    assert model.config == expected_config  # the copy recipe


def test_rerunning_with_a_larger_budget_resumes(first_run, tmp_path):
    out, proc = first_run
    copy = tmp_path / "copy-ntm"
    shutil.copytree(out, copy)
    before = json.loads((copy / "history.json").read_text())["history"]
    again = run_cli(*train_args(copy, 96))
    assert again.returncode == 0, again.stderr
    assert f"resuming from {copy / 'last.pt'}" in again.stderr
    summary = last_json_line(again.stdout)
    assert summary["sequences"] == 96
    assert Path(summary["checkpoint"]) == copy / "final.pt"
    history = json.loads((copy / "history.json").read_text())["history"]
    assert [r["sequences"] for r in history] == [64, 96]
    assert history[0] == before[0], "the history continues: the first run's record is kept as it was"
    assert summary["seconds"] >= last_json_line(proc.stdout)["seconds"]


def test_resuming_with_a_learning_rate_schedule(first_run, tmp_path):
    out, _ = first_run
    copy = tmp_path / "copy-ntm"
    shutil.copytree(out, copy)
    again = run_cli(*train_args(copy, 96), "--lr-milestones", "64", "--lr-decay", "0.5")
    assert again.returncode == 0, again.stderr
    history = json.loads((copy / "history.json").read_text())
    assert history["train_config"]["lr_milestones"] == [64] and history["train_config"]["lr_decay"] == 0.5
    assert history["history"][-1]["learning_rate"] == pytest.approx(1.5e-3)


@pytest.mark.parametrize("milestones", ["9,3", "x", "0"])
def test_bad_milestones_are_a_usage_error(tmp_path, capsys, milestones):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--out", str(tmp_path / "x"), "--lr-milestones", milestones])
    assert exit_info.value.code == 2
    assert "--lr-milestones" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def unknown_task_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-bad") / "x"
    return out, run_cli("train", "--task", "nope", "--out", str(out), "--no-progress")


def test_an_unknown_task_fails_clearly(unknown_task_run):
    out, proc = unknown_task_run
    assert proc.returncode != 0
    assert "invalid choice: 'nope'" in proc.stderr and "copy" in proc.stderr
    assert not out.exists(), "nothing written for a failed start"


def test_an_unknown_task_gives_a_usage_error_not_a_traceback(unknown_task_run):
    _, proc = unknown_task_run
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unknown task 'nope'" in proc.stderr or "invalid choice: 'nope'" in proc.stderr


def test_an_unknown_model_is_a_usage_error(tmp_path, capsys):
    # In-process (argparse fails before anything runs), to spare a subprocess start.
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "gru", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "invalid choice: 'gru'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("task, model, length", [("copy", "ntm", 12), ("copy", "lstm", None), ("priority_sort", "ntm", None),
                                                ("copy", "dnc", 8), ("graph_traversal", "dnc", 5)])
def test_viz_saves_a_png_of_a_shipped_model(tmp_path, task, model, length):
    out = tmp_path / "run.png"
    argv = ["viz", "--task", task, "--model", model, "--out", str(out)]
    if length is not None:
        argv += ["--length", str(length)]
    assert main(argv) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_viz_refuses_a_length_for_a_fixed_size_task(tmp_path, capsys):
    assert main(["viz", "--task", "ngrams", "--length", "5", "--out", str(tmp_path / "x.png")]) == 2
    assert "ngrams has a fixed size; --length does not apply" in capsys.readouterr().err


def test_evaluation_table_has_every_condition_for_every_shipped_model():
    from ntm_lib.evaluation import evaluate_task, markdown_table
    from ntm_lib.recipes import task_entry

    result = evaluate_task("copy", sequences=4)
    assert [row["condition"] for row in result["rows"]] == [label for label, _ in task_entry("copy").conditions]
    assert result["models"] == ["dnc", "lstm", "ntm", "ntm-unregularised"]  # the variant has its own column
    for row in result["rows"]:
        assert row["sequences"] == 4
        for model in result["models"]:
            assert row[model]["bit_errors"] >= 0 and row[model]["bce_bits"] >= 0
    text = markdown_table(result)
    assert "| condition | sequences | dnc | lstm | ntm | ntm-unregularised |" in text
    assert text.count("| length 120 | 4 |") == 2 and "## Bit errors per sequence" in text and "## BCE bits per sequence" in text


def test_evaluate_models_scores_any_models_on_the_eval_test_sets():
    from ntm_lib.evaluation import evaluate_models, evaluate_task
    from ntm_lib.recipes import task_entry

    shipped = ntm_lib.load_pretrained("dyck")
    table = evaluate_models("dyck", {"mine": shipped}, sequences=3)
    assert table["models"] == ["mine"] and len(table["rows"]) == len(task_entry("dyck").conditions)
    reference = evaluate_task("dyck", sequences=3)  # the same seeded test sets
    for row, ref in zip(table["rows"], reference["rows"]):
        assert row["mine"] == ref["ntm"]
    with pytest.raises(ValueError, match="unknown task"):
        evaluate_models("kopy", {"mine": shipped})


def test_head_counts_can_be_set_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "heads"
    argv = ["train", "--task", "copy", "--model", "ntm", "--out", str(out), "--max-sequences", "16",
            "--no-progress", "--read-heads", "2", "--write-heads", "3"]
    assert main(argv) == 0
    model = load_checkpoint(out / "final.pt")
    assert (model.config.num_read_heads, model.config.num_write_heads) == (2, 3)
    capsys.readouterr()
    assert main(["train", "--model", "lstm", "--out", str(tmp_path / "l"), "--read-heads", "2"]) == 2
    assert "--read-heads applies to --model dnc or ntm only" in capsys.readouterr().err
    for flag, bad in (("--read-heads", "-1"), ("--write-heads", "two"), ("--output-memory-penalty", "-0.5")):
        with pytest.raises(SystemExit):  # an argparse usage error, not a traceback
            main(["train", "--out", str(tmp_path / "z"), flag, bad, "--max-sequences", "16", "--no-progress"])
        assert flag in capsys.readouterr().err


def test_the_output_memory_penalty_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "quiet"
    argv = ["train", "--task", "copy", "--model", "ntm", "--out", str(out), "--max-sequences", "32",
            "--no-progress", "--output-memory-penalty", "1.5", "--output-memory-penalty-from", "16"]
    assert main(argv) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["train_config"]["output_memory_penalty"] == 1.5
    assert history["train_config"]["output_memory_penalty_from"] == 16
    capsys.readouterr()
    assert main(["train", "--model", "lstm", "--out", str(tmp_path / "l"), "--output-memory-penalty", "1"]) == 2
    assert "needs a model whose trace holds its memory (an NTM or a DNC)" in capsys.readouterr().err


def test_a_variant_is_shipped_beside_the_main_run(tmp_path, monkeypatch, capsys):
    from ntm_lib import pretrained

    shipped = tmp_path / "pretrained"
    real_ship = pretrained.ship
    monkeypatch.setattr(pretrained, "ship", lambda *a, **k: real_ship(*a, **{**k, "directory": shipped}))
    argv = ["train", "--task", "copy", "--out", str(tmp_path / "v"), "--max-sequences", "16", "--no-progress",
            "--ship", "--variant", "short"]
    assert main(argv) == 0
    entries = pretrained.manifest(shipped)
    assert list(entries) == ["copy-ntm-short"] and entries["copy-ntm-short"]["reproduce"].endswith(
        "--max-sequences 16 --no-progress --ship --variant short")
    import zipfile  # shipped files are compressed (ntm_lib.checkpoints.compress_checkpoint)

    assert {e.compress_type for e in zipfile.ZipFile(shipped / "copy-ntm-short.pt").infolist()} == {zipfile.ZIP_DEFLATED}
    capsys.readouterr()
    assert main(["train", "--out", str(tmp_path / "w"), "--variant", "short"]) == 2
    assert "needs --ship" in capsys.readouterr().err


def test_a_main_run_can_make_room_as_a_variant(tmp_path, monkeypatch):
    import ntm_lib
    from ntm_lib import pretrained
    from ntm_lib.checkpoints import CheckpointError

    shipped = tmp_path / "pretrained"
    real_ship = pretrained.ship
    monkeypatch.setattr(pretrained, "ship", lambda *a, **k: real_ship(*a, **{**k, "directory": shipped}))
    assert main(["train", "--task", "copy", "--out", str(tmp_path / "a"), "--max-sequences", "16",
                 "--no-progress", "--ship"]) == 0
    before = pretrained.manifest(shipped)["copy-ntm"]
    assert pretrained.move_to_variant("copy", "ntm", "older", directory=shipped) == "copy-ntm-older"
    entries = pretrained.manifest(shipped)
    assert list(entries) == ["copy-ntm-older"] and not (shipped / "copy-ntm.pt").exists()
    moved = entries["copy-ntm-older"]
    assert moved["sha256"] == before["sha256"] and moved["file"] == "copy-ntm-older.pt"
    assert moved["reproduce"].endswith("--max-sequences 16 --no-progress --ship --variant older")
    monkeypatch.setattr(pretrained, "pretrained_dir", lambda: shipped)
    ntm_lib.load_pretrained("copy", variant="older")  # hash verified under its new name
    assert ntm_lib.pretrained_history("copy", variant="older")["history"]
    with pytest.raises(CheckpointError, match="no main copy-ntm run"):
        pretrained.move_to_variant("copy", "ntm", "again", directory=shipped)


def test_init_from_starts_a_new_run_from_another_runs_weights(first_run, tmp_path):
    import torch

    from ntm_lib.checkpoints import sha256

    start = first_run[0] / "final.pt"
    out = tmp_path / "tuned"
    argv = [*train_args(out, 32), "--init-from", str(start), "--learning-rate", "1e-12", "--validate-every", "1"]
    assert main(argv) == 0
    record = json.loads((out / "init_from.json").read_text())
    assert record["sha256"] == sha256(start) and record["sequences"] == 64
    history = json.loads((out / "history.json").read_text())
    assert history["init_from"]["sha256"] == record["sha256"]
    assert [r["sequences"] for r in history["history"]] == [16, 32]  # its own count, validated every batch
    tuned, original = load_checkpoint(out / "final.pt"), load_checkpoint(start)
    for (name, a), b in zip(tuned.state_dict().items(), original.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=name)  # a learning rate of 1e-12 moves nothing


def test_init_from_a_checkpoint_that_does_not_fit_is_a_clear_error(first_run, tmp_path, capsys):
    start = str(first_run[0] / "final.pt")
    assert main(["train", "--model", "lstm", "--out", str(tmp_path / "l"), "--init-from", start]) == 2
    assert "holds a ntm model" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "m"), "--init-from", str(tmp_path / "nowhere.pt")]) == 2
    assert "--init-from" in capsys.readouterr().err


def test_init_from_a_checkpoint_with_another_memory_size_resizes_it(first_run, tmp_path, capsys):
    import torch

    start = first_run[0] / "final.pt"
    out = tmp_path / "wider"
    argv = [*train_args(out, 16), "--init-from", str(start), "--slots", "160", "--learning-rate", "1e-12"]
    assert main(argv) == 0
    assert json.loads((out / "init_from.json").read_text())["num_slots"] == {"from": 128, "to": 160}
    wider, original = load_checkpoint(out / "final.pt"), load_checkpoint(start)
    assert wider.config.num_slots == 160
    for name, weight in original.state_dict().items():
        if name not in ("initial_weight_logits", "memory_init.initial"):
            torch.testing.assert_close(wider.state_dict()[name], weight, atol=1e-6, rtol=0, msg=name)
    capsys.readouterr()
    # Another difference than the memory size is still refused.
    argv = [*train_args(tmp_path / "other", 16), "--init-from", str(start), "--slots", "160", "--controller", "lstm"]
    assert main(argv) == 2
    assert "holds a ntm model" in capsys.readouterr().err


def test_a_shipped_fine_tuned_run_records_where_it_started(first_run, tmp_path, monkeypatch):
    from ntm_lib import pretrained
    from ntm_lib.checkpoints import sha256

    shipped = tmp_path / "pretrained"
    real_ship = pretrained.ship
    monkeypatch.setattr(pretrained, "ship", lambda *a, **k: real_ship(*a, **{**k, "directory": shipped}))
    start = first_run[0] / "final.pt"
    assert main([*train_args(tmp_path / "t", 16), "--init-from", str(start), "--ship"]) == 0
    entry = pretrained.manifest(shipped)["copy-ntm"]
    assert entry["init_from"]["sha256"] == sha256(start) and entry["init_from"]["sequences"] == 64
    # Fine-tuned again from the shipped file it then replaces: the manifest keeps the parent's command.
    assert main([*train_args(tmp_path / "u", 16), "--init-from", str(shipped / "copy-ntm.pt"), "--ship"]) == 0
    entries = pretrained.manifest(shipped)
    entry = entries["copy-ntm"]
    assert entry["init_from"]["parent_run"]["out"] == str(tmp_path / "t")
    assert entry["init_from"]["parent_run"]["init_from"] == {"path": str(start)}
    first, then = pretrained.retraining_commands(directory=shipped)  # the replaced parent first, unshipped
    assert f"--out {tmp_path / 't'}" in first and "--ship" not in first
    assert f"--init-from {tmp_path / 't'}/final.pt" in then and then.endswith("--ship")


def test_a_wall_clock_budget_alone_has_no_hidden_sequence_cap(tmp_path, capsys):
    from ntm_lib.__main__ import UNLIMITED_SEQUENCES

    out = tmp_path / "clock"
    assert main(["train", "--out", str(out), "--max-seconds", "0.5", "--no-progress"]) == 0
    summary = last_json_line(capsys.readouterr().out)
    assert summary["stopped"] == "max_seconds"
    assert json.loads((out / "history.json").read_text())["train_config"]["max_sequences"] == UNLIMITED_SEQUENCES
    assert main(["train", "--out", str(tmp_path / "n"), "--max-sequences", "16", "--no-progress"]) == 0
    assert last_json_line(capsys.readouterr().out)["stopped"] == "max_sequences"


def test_ntm_settings_can_be_set_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "settings"
    argv = ["train", "--task", "copy", "--out", str(out), "--max-sequences", "16", "--no-progress",
            "--controller", "lstm", "--controller-size", "24", "--shift-radius", "2", "--memory-init", "learned",
            "--slots", "40", "--write-heads", "2", "--write-rule", "sequential"]
    assert main(argv) == 0
    config = load_checkpoint(out / "final.pt").config
    assert (config.controller, config.controller_size, config.shift_radius, config.memory_init) == ("lstm", 24, 2, "learned")
    assert (config.num_slots, config.num_write_heads, config.write_rule) == (40, 2, "sequential")
    capsys.readouterr()
    assert main(["train", "--out", str(tmp_path / "s"), "--shift-radius", "64", "--no-progress"]) == 2
    assert "shift_radius 64 needs 2S+1 <= num_slots (128)" in capsys.readouterr().err
    assert main(["train", "--model", "lstm", "--out", str(tmp_path / "l"), "--controller", "lstm"]) == 2
    assert "--controller applies to --model dnc or ntm only" in capsys.readouterr().err
    assert main(["train", "--model", "dnc", "--out", str(tmp_path / "d"), "--shift-radius", "2"]) == 2
    assert "--shift-radius applies to --model ntm only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path / "z"), "--controller-size", "0"])
    assert "--controller-size" in capsys.readouterr().err


def test_expected_targets_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "expected"
    argv = ["train", "--task", "ngrams", "--model", "lstm", "--out", str(out), "--max-sequences", "16",
            "--batch-size", "16", "--no-progress", "--expected-targets"]
    assert main(argv) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["train_config"]["expected_targets"] is True
    capsys.readouterr()
    assert main(["train", "--task", "copy", "--out", str(tmp_path / "c"), "--expected-targets"]) == 2
    assert "--expected-targets needs a task whose targets are random draws (ngrams), not copy" in capsys.readouterr().err


def test_a_run_fine_tuned_from_a_main_run_that_became_a_variant_names_the_variant_file(first_run, tmp_path, monkeypatch):
    """Start from the shipped copy-ntm, move that to a variant, then ship the new run as copy-ntm:
    its reproduce command starts from the variant's file, which holds the weights it started from."""
    from ntm_lib import pretrained

    shipped = tmp_path / "pretrained"
    real_ship = pretrained.ship
    monkeypatch.setattr(pretrained, "ship", lambda *a, **k: real_ship(*a, **{**k, "directory": shipped}))
    assert main([*train_args(tmp_path / "a", 16), "--ship"]) == 0
    tuned = [*train_args(tmp_path / "b", 16), "--init-from", str(shipped / "copy-ntm.pt")]
    assert main(tuned) == 0
    pretrained.move_to_variant("copy", "ntm", "older", directory=shipped)
    assert main([*tuned, "--ship"]) == 0  # resumes the finished run and ships it
    entries = pretrained.manifest(shipped)
    entry = entries["copy-ntm"]
    assert entry["init_from"]["shipped_as"] == "copy-ntm-older"
    assert entry["init_from"]["sha256"] == entries["copy-ntm-older"]["sha256"]
    assert "--init-from data/pretrained/copy-ntm-older.pt" in entry["reproduce"]
    assert str(shipped / "copy-ntm.pt") in entry["command"]  # as it was typed


def test_the_dnc_trains_from_the_command_line_where_a_task_has_its_recipe(tmp_path, capsys):
    out = tmp_path / "dnc"
    argv = ["train", "--task", "copy", "--model", "dnc", "--out", str(out), "--max-sequences", "16",
            "--no-progress", "--slots", "12", "--read-heads", "2"]
    assert main(argv) == 0
    model = load_checkpoint(out / "final.pt")
    assert model.kind == "dnc" and (model.config.num_slots, model.config.num_read_heads) == (12, 2)
    assert last_json_line(capsys.readouterr().out)["model"] == "dnc"
    assert main(["train", "--task", "sort", "--model", "dnc", "--out", str(tmp_path / "s")]) == 2
    assert "no recipe for model 'dnc' on sort" in capsys.readouterr().err



def test_the_dnc_mds_options_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "mds"
    argv = ["train", "--task", "copy", "--model", "dnc", "--out", str(out), "--max-sequences", "16", "--no-progress",
            "--slots", "8", "--masked-lookup", "on", "--deallocate", "on", "--link-sharpness", "on"]
    assert main(argv) == 0
    model = load_checkpoint(out / "final.pt")
    assert (model.config.masked_lookup, model.config.deallocate, model.config.link_sharpness) == (True, True, True)
    run = json.loads((out / "history.json").read_text())["run"]
    assert run["model_settings"]["deallocate"] is True
    assert main(["train", "--task", "copy", "--model", "ntm", "--out", str(tmp_path / "n"), "--deallocate", "on"]) == 2
    assert "--deallocate applies to --model dnc only" in capsys.readouterr().err
