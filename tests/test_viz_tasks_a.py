r"""Figures and helpers of ntm_lib.viz_tasks_a (the task chapters 5-8).

Sizes: T=9 steps, H=3 heads (2 read, 1 write), N=7 slots, M=5; pairwise distinct.
"""

import json

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import ntm_lib  # noqa: E402
from ntm_lib import NTMTrace  # noqa: E402
from ntm_lib import viz_tasks_a as vta  # noqa: E402

B, T, H, N, M = 2, 9, 3, 7, 5


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(errors):
    return [{"sequences": 100 * (i + 1), "seconds": 2.0 * (i + 1), "train_bce_bits": 30.0 / (i + 1),
             "val_bce_bits": 20.0 / (i + 1), "val_bit_errors": e} for i, e in enumerate(errors)]


def trace(batch=True):
    g = torch.Generator().manual_seed(0)
    weights = torch.softmax(torch.randn(B, T, H, N, generator=g), -1)
    fields = dict(content=weights, gated=weights, shifted=weights, weights=weights,
                  erase=torch.rand(B, T, 1, M, generator=g), add=torch.randn(B, T, 1, M, generator=g),
                  reads=torch.randn(B, T, 2, M, generator=g),
                  memory=torch.arange(B * T * N * M, dtype=torch.float).reshape(B, T, N, M))
    result = NTMTrace(**fields)
    return result if batch else NTMTrace(*(x[0] for x in result))


def test_plot_histories_draws_one_line_per_model_in_its_colour():
    fig = vta.plot_histories({"NTM": history((3.0, 0.0)), "LSTM": {"history": history((9.0, 5.0, 2.0))}},
                             title="both", log=True)
    left, right = fig.axes
    assert left.get_yscale() == "log"
    lines = {line.get_label(): line for line in right.get_lines()}
    assert list(lines["NTM"].get_ydata()) == [3.0, 0.0]
    assert list(lines["LSTM"].get_xdata()) == [100, 200, 300]
    assert lines["NTM"].get_color() == vta.MODEL_COLORS["NTM"]
    assert lines["LSTM"].get_color() == vta.MODEL_COLORS["LSTM"]
    labels = [line.get_label() for line in left.get_lines()]
    assert labels == ["NTM (validation)", "NTM (training batches)", "LSTM (validation)", "LSTM (training batches)"]
    assert fig._suptitle.get_text() == "both"


def test_plot_histories_uses_a_log_scale_only_for_a_wide_range():
    narrow = [{"sequences": 100 * (i + 1), "val_bce_bits": 180.0 - i, "train_bce_bits": 181.0 - i,
               "val_bit_errors": 70.0} for i in range(3)]
    assert vta.plot_histories({"NTM": narrow}).axes[0].get_yscale() == "linear"
    assert vta.plot_histories({"NTM": narrow}, log=True).axes[0].get_yscale() == "log"
    assert vta.plot_histories({"NTM": history((3.0, 0.0))}, log=False).axes[0].get_yscale() == "linear"


def test_plot_histories_by_seconds_without_training_curves():
    fig = vta.plot_histories({"run": history((1.0, 0.5))}, x="seconds", train=False, converged=None)
    left, right = fig.axes
    assert len(left.get_lines()) == 1 and right.get_xlabel() == "seconds"
    assert list(right.get_lines()[0].get_xdata()) == [2.0, 4.0]
    with pytest.raises(ValueError, match="empty"):
        vta.plot_histories({"none": []})


def test_window_trace_keeps_the_chosen_slots_in_order_and_wraps():
    full = trace()
    slots = [5, 6, 0, 1]
    window = vta.window_trace(full, slots)
    assert window.weights.shape == (B, T, H, 4) and window.memory.shape == (B, T, 4, M)
    torch.testing.assert_close(window.weights[..., 2], full.weights[..., 0])
    torch.testing.assert_close(window.content[..., 0], full.content[..., 5])
    torch.testing.assert_close(window.memory[:, :, 1], full.memory[:, :, 6])
    torch.testing.assert_close(window.reads, full.reads)
    torch.testing.assert_close(window.erase, full.erase)
    one = vta.window_trace(trace(batch=False), [3])
    assert one.weights.shape == (T, H, 1) and one.memory.shape == (T, 1, M)
    with pytest.raises(ValueError):
        vta.window_trace(full, [N])
    with pytest.raises(ValueError):
        vta.window_trace(full, [])


def test_used_slots_finds_the_slots_a_head_visits():
    weights = torch.zeros(T, H, N)
    weights[:, 0, 2] = 1.0
    weights[4, 2, 6] = 0.5
    weights[5, 1, 3] = 0.01  # below the threshold
    assert vta.used_slots(NTMTrace(*(weights,) * 4, None, None, None, None)) == [2, 6]


def test_plot_run_window_labels_the_real_slots_and_marks_steps():
    one = trace(batch=False)
    inputs, targets = torch.rand(T, 4), torch.rand(T, 3)
    logits, mask = torch.randn(T, 3), torch.ones(T)
    slots = [6, 0, 1]
    fig = vta.plot_run_window(inputs, targets, logits, mask, one, num_read=2, slots=slots, marks={4: "query"},
                              title="window", output_labels=["a", "b", "end"])
    axes = fig.axes
    assert len(axes) == 6  # input, target, output, read and write weightings, memory
    read_image = axes[3].get_images()[0].get_array()
    assert read_image.shape == (3, T)
    expected = one.weights[:, :2][..., slots].sum(1).T.numpy()
    assert abs(read_image - expected).max() < 1e-6
    assert [t.get_text() for t in axes[3].get_yticklabels()] == ["6", "0", "1"]
    assert [t.get_text() for t in axes[5].get_xticklabels()] == ["6", "0", "1"]
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["a", "b", "end"]
    assert any(text.get_text() == "query" for text in axes[0].texts)
    assert fig._suptitle.get_text() == "window"
    without_trace = vta.plot_run_window(inputs, targets, logits)
    assert len(without_trace.axes) == 3


def test_generalisation_table_reads_the_committed_file(tmp_path):
    table = {"task": "copy", "seed": 1, "models": ["lstm", "ntm"], "rows": [
        {"condition": "length 10", "sample": {"length": 10}, "sequences": 100,
         "lstm": {"bit_errors": 1.5, "bce_bits": 3.25}, "ntm": {"bit_errors": 0.0, "bce_bits": 0.125}}]}
    (tmp_path / "copy.json").write_text(json.dumps(table))
    assert vta.generalisation_table("copy", directory=tmp_path) == table
    text = vta.format_table(table).splitlines()
    assert text[0].split() == ["condition", "LSTM", "bit_errors", "LSTM", "bce_bits", "NTM", "bit_errors",
                               "NTM", "bce_bits"]
    assert text[1].split() == ["length", "10", "1.500", "3.250", "0.000", "0.125"]
    assert vta.format_table(table, metrics=("bit_errors",)).splitlines()[1].split() == ["length", "10", "1.500", "0.000"]


def test_plot_probabilities_draws_each_predictor_and_the_truth():
    bits = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1.0])
    p = torch.linspace(0.1, 0.9, 9)
    fig = vta.plot_probabilities(bits, {"NTM": p, "Bayes-optimal": 1 - p}, truth=torch.full((9,), 0.5),
                                 steps=range(2, 8), highlight=[3, 5], title="one sequence")
    top, ax = fig.axes[:2]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["NTM"].get_xdata()) == list(range(2, 8))
    assert list(lines["NTM"].get_ydata()) == pytest.approx(p[2:8].tolist())
    assert lines["NTM"].get_color() == vta.MODEL_COLORS["NTM"]
    assert "true probability (the table)" in lines
    strip = top.get_images()[0].get_array()
    assert strip.tolist() == [bits[3:9].tolist()]  # the bit each step predicts
    assert ax.get_ylim() == (0, 1)
    default = vta.plot_probabilities(bits, {"x": p})
    assert len(default.axes[1].get_lines()[0].get_xdata()) == 8  # the last prediction is beyond the sequence


def test_generalisation_table_matches_the_shipped_models_when_recomputed(tmp_path):
    # Without a committed file the table is recomputed: the same numbers as evaluate_task.
    shipped = ntm_lib.pretrained.manifest()
    if "associative_recall-ntm" not in shipped:
        pytest.skip("no shipped associative recall model")
    table = vta.generalisation_table("associative_recall", directory=tmp_path)
    assert table["task"] == "associative_recall" and len(table["rows"]) >= 1
    assert table["rows"][0]["ntm"]["bit_errors"] < 1
