r"""Figures of ntm_lib.viz_training: each returns a figure with the expected axes and lines.

Sizes: T=9 steps, H=3 heads (2 read, 1 write), N=7 slots; pairwise distinct.
"""

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ntm_lib import CopyTask  # noqa: E402
from ntm_lib import viz_training as vt  # noqa: E402

T, H, N = 9, 3, 7


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(errors=(5.0, 2.0, 0.05, 0.0)):
    return [
        {"sequences": 100 * (i + 1), "seconds": 1.5 * (i + 1), "train_bce_bits": 30.0 / (i + 1),
         "val_bce_bits": 20.0 / (i + 1), "val_bit_errors": e}
        for i, e in enumerate(errors)
    ]


def test_plot_history_draws_both_panels_and_marks_convergence():
    fig = vt.plot_history(history(), title="run")
    left, right = fig.axes
    assert left.get_yscale() == "log"
    assert [line.get_label() for line in left.get_lines()][:2] == [
        "training batches (mean since last check)", "validation set"]
    errors = right.get_lines()[0]
    assert list(errors.get_xdata()) == [100, 200, 300, 400]
    assert list(errors.get_ydata()) == [5.0, 2.0, 0.05, 0.0]
    vertical = [line for line in right.get_lines() if list(line.get_xdata()) == [300, 300]]
    assert vertical, "the first converged record (300 sequences) is marked"
    assert fig._suptitle.get_text() == "run"


def test_plot_history_accepts_a_pretrained_history_dict_and_seconds():
    fig = vt.plot_history({"history": history((4.0, 3.0))}, x="seconds", converged=None)
    right = fig.axes[1]
    assert list(right.get_lines()[0].get_xdata()) == [1.5, 3.0]
    assert right.get_xlabel() == "seconds"
    assert vt.first_converged(history((4.0, 3.0))) is None
    assert vt.first_converged(history())["sequences"] == 300


def test_plot_history_refuses_an_empty_history():
    with pytest.raises(ValueError, match="empty"):
        vt.plot_history([])


def test_table_curves_and_errors_vs_length():
    table = {"models": ["lstm", "ntm"], "rows": [
        {"sample": {"length": n}, "lstm": {"bit_errors": 2.0 * n}, "ntm": {"bit_errors": 0.0}}
        for n in (10, 20, 40)]}
    curves = vt.table_curves(table)
    assert curves == {"LSTM": ([10, 20, 40], [20.0, 40.0, 80.0]), "NTM": ([10, 20, 40], [0.0, 0.0, 0.0])}
    assert vt.table_curves(table, models=["ntm"]) == {"NTM": ([10, 20, 40], [0.0, 0.0, 0.0])}
    fig = vt.plot_errors_vs_length(curves, trained=(1, 20), reference={"chance": ([10, 40], [40, 160])})
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["LSTM", "NTM", "chance"]
    assert list(ax.get_lines()[0].get_ydata()) == [20.0, 40.0, 80.0]
    assert ax.get_xlabel() == "sequence length L"
    assert len(ax.patches) == 1  # the shaded training lengths
    assert [t.get_text() for t in ax.texts] == ["training\nlengths"]
    fig = vt.plot_errors_vs_length(curves, trained=(1, 10), trained_label="training\nrepeats")
    assert [t.get_text() for t in fig.axes[0].texts] == ["training\nrepeats"]


def test_plot_pair_shows_input_and_target_of_one_copy_example():
    batch = CopyTask().sample(1, torch.Generator().manual_seed(0), length=4)
    fig = vt.plot_pair(batch.inputs[0], batch.targets[0], batch.mask[0], title="L = 4")
    top, bottom = fig.axes
    assert top.images[0].get_array().shape == (9, 9)  # channels x time steps
    assert bottom.images[0].get_array().shape == (8, 9)
    (scored,) = bottom.patches
    assert scored.get_x() == 4.5 and scored.get_width() == 4  # steps L+1..2L
    assert top.get_title() == "L = 4"


def test_plot_pair_can_add_a_colour_bar_per_panel():
    batch = CopyTask().sample(1, torch.Generator().manual_seed(0), length=4)
    fig = vt.plot_pair(batch.inputs[0], batch.targets[0], batch.mask[0], colorbar=True)
    assert len(fig.axes) == 4 and sum(bool(ax.get_images()) for ax in fig.axes) == 2


def test_plot_head_positions_draws_the_argmax_slot_of_each_head():
    weights = torch.full((T, H, N), 0.01)
    for t in range(T):
        weights[t, 0, t % N] = 1.0  # read head 0 moves
        weights[t, 1, 0] = 1.0  # read head 1 stays
        weights[t, 2, (2 * t) % N] = 1.0  # the write head moves by two
    weights = weights / weights.sum(-1, keepdim=True)
    positions = vt.head_positions(weights)
    assert positions.shape == (T, H)
    assert list(positions[:, 0]) == [t % N for t in range(T)]
    fig = vt.plot_head_positions(weights, num_read=2, delimiter=4)
    (ax,) = fig.axes
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == T]
    assert len(lines) == H
    assert list(lines[2].get_ydata()) == [(2 * t) % N for t in range(T)]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "read head 0", "read head 1", "write head 0"]
    assert ax.get_xlabel() == "time step"
    other = vt.plot_head_positions(weights, num_read=2, xlabel="position j in the sequence")
    assert other.axes[0].get_xlabel() == "position j in the sequence"


def test_plot_head_positions_joins_only_focused_steps():
    weights = torch.full((T, 1, N), 1.0 / N)  # blurred everywhere ...
    weights[:3, 0] = torch.nn.functional.one_hot(torch.arange(3), N).float()  # ... but the first three steps
    fig = vt.plot_head_positions(weights, num_read=1)
    (line,) = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == T]
    y = line.get_ydata()
    assert list(y[:3]) == [0, 1, 2] and all(v != v for v in y[3:])  # NaN: not joined


def test_plot_histories_draws_one_line_per_model_in_its_colour():
    fig = vt.plot_histories({"NTM": history((3.0, 0.0)), "LSTM": {"history": history((9.0, 5.0, 2.0))}},
                            title="both", log=True)
    left, right = fig.axes
    assert left.get_yscale() == "log"
    lines = {line.get_label(): line for line in right.get_lines()}
    assert list(lines["NTM"].get_ydata()) == [3.0, 0.0]
    assert list(lines["LSTM"].get_xdata()) == [100, 200, 300]
    assert lines["NTM"].get_color() == vt.MODEL_COLORS["NTM"]
    assert lines["LSTM"].get_color() == vt.MODEL_COLORS["LSTM"]
    labels = [line.get_label() for line in left.get_lines()]
    assert labels == ["NTM (validation)", "NTM (training batches)", "LSTM (validation)", "LSTM (training batches)"]
    assert fig._suptitle.get_text() == "both"


def test_plot_histories_uses_a_log_scale_only_for_a_wide_range():
    narrow = [{"sequences": 100 * (i + 1), "val_bce_bits": 180.0 - i, "train_bce_bits": 181.0 - i,
               "val_bit_errors": 70.0} for i in range(3)]
    assert vt.plot_histories({"NTM": narrow}).axes[0].get_yscale() == "linear"
    assert vt.plot_histories({"NTM": narrow}).axes[0].get_ylim()[0] == 0
    assert vt.plot_histories({"NTM": narrow}, log=True).axes[0].get_yscale() == "log"
    wide = [dict(r, val_bce_bits=200.0 / 10 ** i) for i, r in enumerate(narrow)]  # 200 down to 2
    assert vt.plot_histories({"NTM": wide}).axes[0].get_yscale() == "log"
    assert vt.plot_histories({"NTM": history((3.0, 0.0))}, log=False).axes[0].get_yscale() == "linear"


def test_plot_histories_by_seconds_without_training_curves():
    fig = vt.plot_histories({"run": history((1.0, 0.5))}, x="seconds", train=False, converged=None)
    left, right = fig.axes
    assert len(left.get_lines()) == 1 and right.get_xlabel() == "seconds"
    assert list(right.get_lines()[0].get_xdata()) == [1.5, 3.0]
    assert right.get_lines()[0].get_color() == vt.OTHER_COLORS[0]
    with pytest.raises(ValueError, match="empty"):
        vt.plot_histories({"none": []})


def test_plot_histories_draws_the_references_on_both_panels():
    fig = vt.plot_histories({"NTM": history((5.0, 2.0)), "LSTM": history((6.0, 4.0, 3.0))},
                            reference={"guessing": (20.0, 10.0)}, train=False, converged=None)
    left, right = fig.axes
    assert [line.get_label() for line in right.get_lines()] == ["NTM", "LSTM", "guessing"]
    assert list(right.get_lines()[1].get_ydata()) == [6.0, 4.0, 3.0]
    assert list(left.get_lines()[0].get_ydata()) == [20.0, 10.0]
    assert list(left.get_lines()[2].get_ydata()) == [20.0, 20.0]
    assert list(right.get_lines()[2].get_ydata()) == [10.0, 10.0]
