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
