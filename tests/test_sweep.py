r"""Seed-batched training: each run of a sweep is the run ``train`` makes with its seed (to float
rounding), a non-finite run stops alone, an interrupted sweep resumes to the same result, every
run's checkpoint loads as an ordinary model, and bad sweeps are refused. Tiny models throughout."""

import json
import math
from dataclasses import replace

import pytest
import torch

from ntm_lib import NTM, CopyTask, NTMConfig
from ntm_lib import sweep as sweep_module
from ntm_lib.__main__ import main
from ntm_lib.baselines import LSTMConfig
from ntm_lib.checkpoints import load_checkpoint, read_checkpoint
from ntm_lib.dnc import DNCConfig
from ntm_lib.models import build_model
from ntm_lib.sweep import Sweep, SweepRun, sweep
from ntm_lib.training import TrainConfig, train

TASK = CopyTask(min_length=1, max_length=4)
TINY = NTMConfig(input_size=9, output_size=8, controller_size=11, num_slots=7, word_size=5)
QUICK = TrainConfig(batch_size=3, validation_size=6, validate_every=3, max_sequences=3 * 12)


def run(seed, model_config=TINY, **changes):
    return SweepRun(f"seed-{seed}", model_config, replace(QUICK, seed=seed, **changes))


def alone(kind, r):
    """The same run with ``train``, the model built as ``python -m ntm_lib train`` builds it."""
    torch.manual_seed(r.seed)
    model = build_model(kind, r.model_config)
    return model, train(model, TASK, r.train_config, progress=False)


def without_seconds(history):
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


def assert_same_history(a, b, rel=1e-4):
    a, b = without_seconds(a), without_seconds(b)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for key in x:
            assert x[key] == pytest.approx(y[key], rel=rel, abs=1e-5), key


def test_each_run_is_the_run_train_makes():
    # Three memory schemes, a curriculum and a learning-rate schedule, in one sweep.
    runs = [run(0, replace(TINY, memory_init="constant")),
            run(1, replace(TINY, memory_init="learned"), lr_milestones=(18,)),
            run(2, replace(TINY, memory_init="random"), curriculum=({"max_length": 2},), curriculum_bit_errors=50.0)]
    sw = Sweep("ntm", TASK, runs, progress=False)
    results = sw.run()
    for k, (r, result) in enumerate(zip(runs, results)):
        model, expected = alone("ntm", r)
        assert result.sequences == expected.sequences == 36 and result.stopped == "max_sequences"
        assert_same_history(result.history, expected.history)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(sw.tensors[name][k].detach(), value, rtol=1e-4, atol=1e-5)
    assert [h.get("stage") for h in results[2].history][:2] == [0, 1]  # the curriculum moved on


@pytest.mark.parametrize("kind, config, optimizer", [
    ("lstm", LSTMConfig(hidden_size=6, num_layers=2), "rmsprop"),
    ("ntm", replace(TINY, controller="lstm"), "rmsprop"),
    ("dnc", DNCConfig(controller_size=11, num_slots=7, word_size=5, num_read_heads=2), "adam"),
    ("dnc", DNCConfig(controller="feedforward", controller_size=11, num_slots=7, word_size=5,
                      masked_lookup=True, deallocate=True, link_sharpness=True), "adam"),
])
def test_lstm_models_dncs_and_rmsprop_match_train(kind, config, optimizer):
    runs = [run(s, config, optimizer=optimizer, max_sequences=18) for s in (3, 4)]
    sw = Sweep(kind, TASK, runs, progress=False)
    # The memory models step every run as one batch (no vmap); the LSTM baseline is vmapped.
    assert (sw.runwise is None) == (kind == "lstm")
    for r, result in zip(runs, sw.run()):
        assert_same_history(result.history, alone(kind, r)[1].history)


def test_clippings_and_initial_weightings_match_train():
    # A clip value small enough to bite, no clipping, and a uniform initial weighting, in one sweep.
    # The first two are one seed: clamping every value to 1e-3 must change its training.
    runs = [SweepRun("value", TINY, replace(QUICK, clipping="value", clip_value=1e-3)),
            SweepRun("none", TINY, replace(QUICK, clipping="none", clip_norm=1e-3)),
            run(2, replace(TINY, initial_weighting="uniform"), clip_norm=1e-2)]
    results = sweep("ntm", TASK, runs, progress=False)
    for r, result in zip(runs, results):
        assert_same_history(result.history, alone("ntm", r)[1].history)
    assert abs(results[0].history[-1]["val_bce_bits"] - results[1].history[-1]["val_bce_bits"]) > 1e-3


def test_worker_processes_give_the_results_of_one_sweep(tmp_path):
    runs = [run(s, max_sequences=9) for s in range(3)]
    together = sweep("ntm", TASK, runs, progress=False)
    split = sweep("ntm", TASK, runs, tmp_path, workers=2, progress=False)
    assert [r.name for r in split] == [r.name for r in runs]
    for a, b in zip(together, split):
        assert_same_history(a.history, b.history, rel=1e-6)
        assert (tmp_path / b.name / "final.pt").is_file()
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        sweep("ntm", TASK, runs, workers=0)


def test_runs_stop_on_their_own():
    # One run converges at once (any error counts as converged), the others go on to the budget.
    runs = [run(0), run(1, converged_bit_errors=1e9), run(2, max_sequences=9)]
    results = sweep("ntm", TASK, runs, progress=False)
    assert [r.stopped for r in results] == ["max_sequences", "converged", "max_sequences"]
    assert [r.sequences for r in results] == [36, 9, 9]
    assert results[1].converged and results[1].worst_bit_errors_after_convergence is not None


def test_a_non_finite_run_stops_alone(monkeypatch):
    real_build = sweep_module.build_model

    def poisoned(kind, config):  # the model of seed 1 (built after torch.manual_seed(1)) has a NaN weight
        seed = torch.initial_seed()
        model = real_build(kind, config)
        if seed == 1:
            with torch.no_grad():
                model.output.bias[0] = math.nan
        return model

    runs = [run(0), run(1, max_nonfinite=4), run(2)]
    monkeypatch.setattr(sweep_module, "build_model", poisoned)
    sw = Sweep("ntm", TASK, runs, progress=False)
    start = {n: t[1].detach().clone() for n, t in sw.tensors.items()}
    results = sw.run()
    monkeypatch.setattr(sweep_module, "build_model", real_build)
    assert results[1].stopped == "nonfinite" and results[1].nonfinite_batches == 4 and results[1].sequences == 0
    for n, t in sw.tensors.items():  # no update was made with it
        torch.testing.assert_close(t[1].detach(), start[n], equal_nan=True, rtol=0, atol=0)
    clean = sweep("ntm", TASK, [runs[0], runs[2]], progress=False)
    for poisoned_sweep, alone_sweep in zip([results[0], results[2]], clean):
        assert poisoned_sweep.nonfinite_batches == 0 and poisoned_sweep.stopped == "max_sequences"
        assert_same_history(poisoned_sweep.history, alone_sweep.history)


class Interrupt(Exception):
    pass


def test_an_interrupted_sweep_resumes_to_the_same_result(tmp_path):
    runs = [run(0, replace(TINY, memory_init="random")), run(1), run(2, optimizer="rmsprop")]
    whole = sweep("ntm", TASK, runs, tmp_path / "whole", progress=False)

    def stop_midway(k, record):  # after run 0 and 1 saved their second validation, before run 2 did
        if k == 2 and record["batches"] == 6:
            raise Interrupt

    with pytest.raises(Interrupt):
        Sweep("ntm", TASK, runs, tmp_path / "cut", progress=False).run(callbacks=(stop_midway,))
    assert read_checkpoint(tmp_path / "cut" / "seed-0" / "last.pt")["progress"]["batches"] == 6
    assert read_checkpoint(tmp_path / "cut" / "seed-2" / "last.pt")["progress"]["batches"] == 3
    resumed = sweep("ntm", TASK, runs, tmp_path / "cut", progress=False)
    for a, b in zip(whole, resumed):
        assert_same_history(a.history, b.history)
        sa, sb = load_checkpoint(a.checkpoint).state_dict(), load_checkpoint(b.checkpoint).state_dict()
        for name in sa:
            torch.testing.assert_close(sa[name], sb[name], rtol=1e-4, atol=1e-5)
    # A finished sweep run again trains nothing more.
    again = sweep("ntm", TASK, runs, tmp_path / "cut", progress=False)
    assert [r.sequences for r in again] == [r.sequences for r in whole]


def test_checkpoints_load_as_ordinary_models_and_resume_with_train(tmp_path):
    runs = [run(0, max_sequences=18), run(1, replace(TINY, memory_init="learned"), max_sequences=18)]
    sw = Sweep("ntm", TASK, runs, tmp_path, progress=False)
    results = sw.run()
    for k, (r, result) in enumerate(zip(runs, results)):
        model = load_checkpoint(result.checkpoint)
        assert model.config == r.model_config
        for name, value in model.state_dict().items():
            assert torch.equal(value, sw.tensors[name][k].detach())
        record = json.loads((tmp_path / r.name / "history.json").read_text())
        assert record["summary"]["sequences"] == 18 and record["history"] == result.history
        # train continues a sweep's run as its own: the same as the whole run with train.
        torch.manual_seed(r.seed)
        resumed = train(build_model("ntm", r.model_config), TASK, replace(r.train_config, max_sequences=36),
                        tmp_path / r.name, resume=True, progress=False)
        assert_same_history(resumed.history, alone("ntm", replace(r, train_config=replace(
            r.train_config, max_sequences=36)))[1].history)


@pytest.mark.parametrize("runs, message", [
    ([], "at least one run"),
    ([run(0), run(1, replace(TINY, num_slots=8))], "same shapes"),
    ([run(0), run(1, batch_size=4)], "same batch_size"),
    ([run(0), SweepRun("seed-0", TINY, QUICK)], "distinct names"),
    ([run(0, output_memory_penalty=0.1)], "output_memory_penalty"),
])
def test_bad_sweeps_are_refused(runs, message):
    with pytest.raises(ValueError, match=message):
        Sweep("ntm", TASK, runs, progress=False)


def test_the_sweep_command(tmp_path, capsys):
    args = ["sweep", "--task", "copy", "--model", "ntm", "--seeds", "0-1", "--memory-init", "constant,random",
            "--max-sequences", "32", "--batch-size", "8", "--validate-every", "4", "--out", str(tmp_path),
            "--no-progress"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["seed"], r["settings"]["memory_init"]) for r in report["runs"]] == \
        [(0, "constant"), (1, "constant"), (0, "random"), (1, "random")]
    for r in report["runs"]:
        assert r["sequences"] == 32 and r["stopped"] == "max_sequences" and r["nonfinite_batches"] == 0
        assert load_checkpoint(r["checkpoint"]).config.memory_init == r["settings"]["memory_init"]
    stored = json.loads((tmp_path / "sweep.json").read_text())
    assert len(stored["sessions"]) == 1 and all(len(r["history"]) == 1 for r in stored["runs"])
    assert stored["by_setting"]["memory_init"]["random"]["runs"] == 2
    with pytest.raises(SystemExit):
        main(["sweep", "--seeds", "x", "--out", str(tmp_path)])


def test_the_sweep_command_lists_initial_weightings_and_clippings(tmp_path, capsys):
    args = ["sweep", "--task", "copy", "--seeds", "0", "--initial-weighting", "focused,uniform",
            "--clipping", "value,none", "--max-sequences", "8", "--batch-size", "8", "--validate-every", "1",
            "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["settings"]["initial_weighting"], r["settings"]["clipping"]) for r in report["runs"]] == \
        [("focused", "value"), ("focused", "none"), ("uniform", "value"), ("uniform", "none")]
    uniform = load_checkpoint(report["runs"][2]["checkpoint"])
    assert uniform.config.initial_weighting == "uniform"
    assert main(["sweep", "--seeds", "0", "--controller", "lstm", "--max-sequences", "8", "--batch-size", "8",
                 "--out", str(tmp_path / "lstm"), "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["runs"][0]["settings"]["controller"] == "lstm"
    assert load_checkpoint(report["runs"][0]["checkpoint"]).config.controller == "lstm"
    assert main(["sweep", "--model", "lstm", "--initial-weighting", "uniform", "--out", str(tmp_path)]) == 2
    assert "--initial-weighting applies to --model ntm only" in capsys.readouterr().err


def test_the_sweep_command_fixes_the_memory_and_controller_sizes_of_every_run(tmp_path, capsys):
    assert main(["sweep", "--seeds", "0-1", "--slots", "16", "--controller-size", "12", "--max-sequences", "8",
                 "--batch-size", "8", "--out", str(tmp_path), "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["settings"]["num_slots"], r["settings"]["controller_size"]) for r in report["runs"]] == [(16, 12)] * 2
    for r in report["runs"]:
        config = load_checkpoint(r["checkpoint"]).config
        assert (config.num_slots, config.controller_size) == (16, 12)
    assert main(["sweep", "--model", "lstm", "--slots", "16", "--out", str(tmp_path / "lstm")]) == 2
    assert "--slots applies to --model dnc or ntm only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep", "--slots", "0", "--out", str(tmp_path / "zero")])


def test_dnc_options_apply_to_every_run_of_a_sweep(tmp_path, capsys):
    args = ["sweep", "--task", "copy", "--model", "dnc", "--seeds", "0-1", "--masked-lookup", "on",
            "--deallocate", "on", "--link-sharpness", "on", "--max-sequences", "16", "--batch-size", "8",
            "--validate-every", "2", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for r in report["runs"]:
        assert {k: r["settings"][k] for k in ("masked_lookup", "deallocate", "link_sharpness")} == \
            {"masked_lookup": True, "deallocate": True, "link_sharpness": True}
        config = load_checkpoint(r["checkpoint"]).config
        assert config.masked_lookup and config.deallocate and config.link_sharpness


def test_a_curriculum_applies_to_every_run_of_a_sweep(tmp_path, capsys):
    args = ["sweep", "--task", "associative_recall", "--seeds", "0-1", "--curriculum", "max_items=3;max_items=4",
            "--max-sequences", "16", "--batch-size", "8", "--validate-every", "2", "--out", str(tmp_path),
            "--no-progress"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["settings"]["curriculum"] for r in report["runs"]] == ["max_items=3;max_items=4"] * 2
    stored = read_checkpoint(report["runs"][0]["checkpoint"])
    assert tuple(stored["train_config"]["curriculum"]) == ({"max_items": 3}, {"max_items": 4})
    assert main(["sweep", "--task", "associative_recall", "--curriculum", "none", "--max-sequences", "8",
                 "--batch-size", "8", "--out", str(tmp_path / "none"), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"][0]["settings"]["curriculum"] == "none"
    with pytest.raises(SystemExit):
        main(["sweep", "--curriculum", "max_items:3", "--out", str(tmp_path)])
    assert "a curriculum is stages separated by ';'" in capsys.readouterr().err


def test_dnc_options_are_refused_for_other_models(tmp_path, capsys):
    assert main(["sweep", "--task", "copy", "--model", "ntm", "--masked-lookup", "on",
                 "--out", str(tmp_path)]) == 2
    assert "--masked-lookup applies to --model dnc only" in capsys.readouterr().err


def test_group_summary_counts_by_setting():
    def entry(scheme, converged, sequences, nonfinite=0, worst=None):
        return {"settings": {"memory_init": scheme}, "converged": converged, "sequences": sequences,
                "nonfinite_batches": nonfinite, "worst_bit_errors_after_convergence": worst}

    table = sweep_module.group_summary([
        entry("constant", True, 300, worst=0.05), entry("random", False, 900, nonfinite=2),
        entry("constant", True, 100, worst=0.0), entry("constant", False, 900)], "memory_init")
    assert table["constant"] == {
        "runs": 3, "converged": 2, "median_sequences_to_converge": 200.0, "fewest_sequences_to_converge": 100,
        "most_sequences_to_converge": 300, "nonfinite_batches": 0, "runs_with_nonfinite": 0,
        "worst_bit_errors_after_convergence": 0.05}
    assert table["random"]["converged"] == 0 and table["random"]["median_sequences_to_converge"] is None
    assert table["random"]["runs_with_nonfinite"] == 1


def test_a_model_whose_step_reads_another_weight_is_vmapped():
    # The run-major batch is for models whose step reads weights through linear layers and cells
    # only; a weight the step reads directly (here a learned scale of the inputs) keeps vmap.
    class ScaledNTM(NTM):
        def __init__(self, config):
            super().__init__(config)
            self.input_scale = torch.nn.Parameter(torch.ones(config.input_size))

        def step(self, x, state, *args, **kwargs):
            return super().step(x * self.input_scale, state, *args, **kwargs)

    assert sweep_module._runwise(NTM(TINY)) is not None
    assert sweep_module._runwise(ScaledNTM(TINY)) is None


def test_vmapped_steps_train_as_the_run_major_batch():
    # Runs whose batches differ in length, so the steps come in stretches of 3, 2 and 1 runs; the
    # vmapped step (used where _runwise gives None) must give the weights the run-major batch gives.
    runs = [SweepRun(f"seed-{s}", TINY, TrainConfig(seed=s, batch_size=4)) for s in range(3)]
    batched, vmapped = Sweep("ntm", TASK, runs, progress=False), Sweep("ntm", TASK, runs, progress=False)
    vmapped.runwise = None
    for _ in range(4):
        for sweep in (batched, vmapped):
            sweep._train_step([0, 1, 2])
    # the batches the runs drew (each run's data stream is its seed's): some differed in length
    streams = [torch.Generator().manual_seed(s) for s in range(3)]
    lengths = [[TASK.sample(4, g).inputs.shape[1] for g in streams] for _ in range(4)]
    assert any(len(set(step)) > 1 for step in lengths), lengths
    for name, tensor in batched.tensors.items():
        torch.testing.assert_close(vmapped.tensors[name], tensor, rtol=1e-5, atol=1e-6, msg=name)


def test_benchmark_reports_both_sides():
    report = sweep_module.benchmark("copy", "ntm", seeds=2, max_sequences=32)
    assert report["fused_step"] is False
    assert report["sequences"] == report["sequences_sweep"] == 64
    assert report["speedup"] > 0 and report["largest_val_bce_difference"] < 1e-2
