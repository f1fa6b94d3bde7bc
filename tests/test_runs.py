"""Run records: a training run as data, rendered to the command line and parsed back."""

import pytest

from ntm_lib.runs import RunRecord, curriculum_text, parse_curriculum


def test_a_record_renders_to_a_command_that_parses_back_to_the_same_record():
    run = RunRecord(task="ngrams", model="ntm", seed=3, out="runs/x",
                    model_settings={"num_slots": 256, "num_read_heads": 2},
                    train_settings={"learning_rate": 0.001, "lr_milestones": [76800, 90000],
                                    "stop_when_converged": False, "expected_targets": True},
                    max_sequences=1000, init_from={"path": "a/final.pt"})
    argv = run.argv()
    assert argv[:7] == ["train", "--task", "ngrams", "--model", "ntm", "--seed", "3"]
    assert "--slots" in argv and "--keep-going" in argv and "--expected-targets" in argv
    assert "76800,90000" in argv
    assert RunRecord.from_argv(argv) == RunRecord.from_dict(run.as_dict())


def test_a_run_started_from_a_shipped_run_names_that_run_s_file_when_rendered():
    run = RunRecord(task="copy", model="ntm", init_from={"shipped": "copy-ntm-older"})
    assert "--init-from data/pretrained/copy-ntm-older.pt" in run.command({"copy-ntm-older": "copy-ntm-older.pt"})
    with pytest.raises(ValueError, match="the manifest does not have"):
        run.argv({})


def test_budgeted_replaces_a_wall_clock_budget_by_the_sequence_count():
    run = RunRecord(task="copy", model="ntm", max_seconds=300.0).budgeted(4096)
    assert (run.max_sequences, run.max_seconds) == (4096, None)
    assert run.argv()[-2:] == ["--max-sequences", "4096"]


def test_bad_records_say_what_was_expected():
    with pytest.raises(ValueError, match="cannot hold the settings"):
        RunRecord(task="copy", model="ntm", train_settings={"warp_speed": 9})
    with pytest.raises(ValueError, match="init_from is"):
        RunRecord(task="copy", model="ntm", init_from={"url": "x"})
    with pytest.raises(ValueError, match="unknown fields"):
        RunRecord.from_dict({"task": "copy", "model": "ntm", "colour": "red"})


@pytest.mark.parametrize("stages", [({"max_items": 3}, {"max_items": 4}),
                                    ({"max_length": 3, "max_repeats": 3}, {"max_length": 5, "max_repeats": 5}), ()])
def test_a_curriculum_renders_to_a_flag_and_parses_back(stages):
    assert parse_curriculum(curriculum_text(stages)) == stages
    run = RunRecord(task="associative_recall", model="ntm", out="runs/x", train_settings={"curriculum": stages})
    argv = run.argv()
    assert argv[argv.index("--curriculum") + 1] == (curriculum_text(stages) if stages else "none")
    assert RunRecord.from_argv(argv) == RunRecord.from_dict(run.as_dict())


def test_a_bad_curriculum_says_what_was_expected():
    for text in ("max_items:3", "max_items=", "=3", "max_items=three"):
        with pytest.raises(ValueError, match="curriculum"):
            parse_curriculum(text)
