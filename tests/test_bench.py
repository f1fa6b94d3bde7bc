"""The benchmark's pieces (the real numbers come from running it, not from tests)."""

from ntm_lib.bench import bench_markdown, throughput


def test_throughput_is_a_positive_rate():
    assert throughput(batch_size=2, seconds=0.01) > 0


def test_report_lists_every_seed_and_the_median():
    report = {
        "threads": 1, "throughput": {1: 60.0, 32: 400.0},
        "converge": [
            {"seed": 0, "converged": True, "sequences": 9600, "seconds": 40.0,
             "stay_worst_bit_errors": 0.05, "stay_sequences": 10000},
            {"seed": 1, "converged": False, "sequences": 99999, "seconds": 600.0},
        ],
        "converged_seeds": "1/2", "median_seconds": 320.0, "median_sequences": 54799.5,
    }
    text = bench_markdown(report)
    assert "| 32 | 400.0 |" in text
    assert "| 0 | True | 9600 | 40.0 | 0.050 over 10000 |" in text
    assert "| 1 | False | 99999 | 600.0 | - |" in text
    assert "Converged: 1/2; median 320.0 s" in text


def test_report_names_the_gpu_it_ran_on():
    report = {"threads": 1, "device": "NVIDIA H200", "throughput": {2048: 9518.6}}
    text = bench_markdown(report)
    assert "Device: NVIDIA H200" in text and "| 2048 | 9518.6 |" in text
    assert "Device:" not in bench_markdown({"threads": 1, "device": "cpu", "throughput": {1: 60.0}})


def test_report_says_when_the_fused_step_ran():
    assert "fused NTM step" in bench_markdown({"threads": 1, "fused_step": True, "throughput": {1: 500.0}})
    assert "fused" not in bench_markdown({"threads": 1, "fused_step": False, "throughput": {1: 200.0}})


def test_a_missing_gpu_is_a_clear_error(capsys):
    import pytest
    import torch

    from ntm_lib.__main__ import main

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(SystemExit, match="--device cuda: torch .* sees no CUDA GPU"):
        main(["bench", "--device", "cuda", "--seeds", "0", "--batch-sizes", "1"])


def test_the_dnc_is_measured_too_with_its_cost_per_step_against_memory_size(tmp_path, capsys):
    import json

    from ntm_lib.__main__ import main
    from ntm_lib.bench import step_cost

    assert throughput(batch_size=2, seconds=0.01, model_kind="dnc") > 0
    assert step_cost(8, batch_size=2, seconds=0.01, length=3, model_kind="dnc") > 0
    report_path = tmp_path / "bench.md"
    assert main(["bench", "--model", "dnc", "--seeds", "0", "--batch-sizes", "1", "--slots", "8,16",
                 "--slots-batch", "2", "--report", str(report_path)]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["model"] == "dnc" and set(report["step_cost"]["microseconds_per_step"]) == {"8", "16"}
    text = report_path.read_text()
    assert "the copy recipe's DNC" in text and "| 16 |" in text
