r"""ntm_lib.viz_tasks_b: slot windows, per-channel error rates and the figures built on them.

Sizes: T=9 steps, H=3 heads (2 read, 1 write), N=7 slots, M=5 word size, O=4 channels;
pairwise distinct so that a swapped axis fails loudly.
"""

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ntm_lib import NTM, NTMConfig, NTMTrace  # noqa: E402
from ntm_lib import viz_tasks_b as vb  # noqa: E402
from ntm_lib.tasks.base import Batch  # noqa: E402

T, H, N, M, O = 9, 3, 7, 5, 4


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def fake_trace(batch=1):
    g = torch.Generator().manual_seed(0)
    w = torch.softmax(torch.randn(batch, T, H, N, generator=g), -1)
    memory = torch.arange(N, dtype=torch.float).view(1, 1, N, 1).expand(batch, T, N, M).clone()  # row i holds i
    return NTMTrace(content=w, gated=w, shifted=w, weights=w, erase=torch.rand(batch, T, 1, M, generator=g),
                    add=torch.rand(batch, T, 1, M, generator=g), reads=torch.rand(batch, T, 2, M, generator=g),
                    memory=memory)


def history(errors):
    return [{"sequences": 100 * (i + 1), "seconds": 2.0 * (i + 1), "val_bce_bits": 3.0 * e + 1,
             "val_bit_errors": e, "train_bce_bits": 3.0 * e} for i, e in enumerate(errors)]


def test_window_slots_wrap_around():
    assert vb.window_slots(-2, 2, N).tolist() == [5, 6, 0, 1, 2]
    assert vb.window_slots(0, N - 1, N).tolist() == list(range(N))
    with pytest.raises(ValueError):
        vb.window_slots(3, 2, N)
    with pytest.raises(ValueError):
        vb.window_slots(0, N, N)


def test_window_trace_keeps_the_slots_in_order_and_everything_else():
    trace = fake_trace(batch=2)
    window = vb.window_trace(trace, -1, 2)  # slots 6, 0, 1, 2
    assert window.weights.shape == (2, T, H, 4) and window.memory.shape == (2, T, 4, M)
    torch.testing.assert_close(window.weights[..., 0], trace.weights[..., N - 1])
    torch.testing.assert_close(window.weights[..., 1:], trace.weights[..., :3])
    assert window.memory[0, 0, :, 0].tolist() == [6.0, 0.0, 1.0, 2.0]
    assert window.reads is trace.reads and window.erase is trace.erase


def test_slot_ticks_are_round_and_include_zero():
    assert vb._slot_ticks(-3, 13) == [-2, 0, 2, 4, 6, 8, 10, 12]
    assert vb._slot_ticks(0, 127) == [0, 20, 40, 60, 80, 100, 120]
    assert vb._slot_ticks(2, 4) == [2, 3, 4]


def test_channel_error_rates_count_only_scored_steps():
    targets = torch.zeros(2, 3, O)
    targets[0, 1] = torch.tensor([1.0, 0.0, 1.0, 0.0])
    mask = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    logits = torch.full((2, 3, O), -1.0)  # predicts 0 everywhere
    logits[1, 2] = 1.0  # wrong everywhere, but on a step with mask 0
    rates = vb.channel_error_rates(logits, Batch(torch.zeros(2, 3, 1), targets, mask))
    assert rates.shape == (O,)
    torch.testing.assert_close(rates, torch.tensor([1 / 3, 0.0, 1 / 3, 0.0]))


def test_rates_by_value_groups_and_masks():
    keys = torch.tensor([[0, 2, 2, 5], [2, 0, 5, 7]])
    events = torch.tensor([[1, 0, 1, 1], [1, 0, 0, 1]], dtype=torch.bool)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    values, rates, counts = vb.rates_by_value(keys, events, mask)
    assert values == [0, 2, 5] and counts == [2, 3, 2]
    assert rates == pytest.approx([0.5, 2 / 3, 0.5])
    assert vb.rates_by_value(keys, events)[0] == [0, 2, 5, 7]
    with pytest.raises(ValueError):
        vb.rates_by_value(keys, events[:, :3])


def test_plot_histories_draws_one_line_per_model_and_the_references():
    fig = vb.plot_histories({"NTM": history([5.0, 2.0]), "LSTM": {"history": history([6.0, 4.0, 3.0])}},
                            reference={"guessing": (20.0, 10.0)}, title="t")
    left, right = fig.axes
    labels = [line.get_label() for line in right.get_lines()]
    assert labels == ["NTM", "LSTM", "guessing"]
    assert list(right.get_lines()[1].get_ydata()) == [6.0, 4.0, 3.0]
    assert list(left.get_lines()[0].get_ydata()) == [16.0, 7.0]
    assert list(left.get_lines()[2].get_ydata()) == [20.0, 20.0]
    fig = vb.plot_histories({"run": history([1.0])}, x="seconds", log_bce=True)
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_xlabel() == "seconds"


def test_plot_run_window_labels_real_slot_numbers():
    trace = fake_trace()
    one = NTMTrace(*(x[0] for x in trace))
    x = torch.zeros(T, 3)
    y = torch.zeros(T, 2)
    fig = vb.plot_run_window(x, y, torch.zeros(T, 2), torch.ones(T), one, num_read=2, first=-2, last=3)
    weighting_axes = [ax for ax in fig.axes if "weighting" in ax.get_ylabel()]
    assert len(weighting_axes) == 2
    for ax in weighting_axes:
        assert ax.images[0].get_array().shape == (6, T)  # 6 slots of the window, T steps
        assert [t.get_text() for t in ax.get_yticklabels()] == ["-2", "-1", "0", "1", "2", "3"]
    memory_ax = [ax for ax in fig.axes if ax.get_ylabel().startswith("memory")][0]
    assert memory_ax.images[0].get_array().shape == (M, 6)


def test_plot_heads_draws_one_panel_per_head_on_the_window():
    trace = fake_trace()
    fig = vb.plot_heads(trace.weights[0], num_read=2, first=-1, last=4, delimiter=4, title="heads")
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["read head 0", "read head 1", "write head 0"]
    image = panels[2].images[0].get_array()
    assert image.shape == (6, T)
    torch.testing.assert_close(torch.as_tensor(image[0]), trace.weights[0, :, 2, N - 1].double())
    assert panels[0].images[0].get_cmap().name == "Blues" and panels[2].images[0].get_cmap().name == "Reds"


def test_plot_heads_wraps_many_heads_into_rows():
    w = torch.softmax(torch.randn(T, 6, N), -1)
    fig = vb.plot_heads(w, num_read=3, first=0, last=N - 1, columns=4)
    assert len([ax for ax in fig.axes if ax.images]) == 6
    assert len([ax for ax in fig.axes if not ax.axison]) == 2  # the unused panels of the 2 x 4 grid


def test_plot_scatter_one_series_per_label():
    fig = vb.plot_scatter({"NTM": ([0.1, 0.5], [3, 1]), "LSTM": (torch.tensor([0.2]), torch.tensor([2.0]))},
                          xlabel="priority", ylabel="slot", title="s")
    ax = fig.axes[0]
    assert len(ax.collections) == 2 and ax.get_xlabel() == "priority"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["NTM", "LSTM"]


def test_works_on_a_real_trace():
    model = NTM(NTMConfig(input_size=3, output_size=2, num_slots=N, word_size=M, num_read_heads=2))
    with torch.no_grad():
        logits, _, trace = model(torch.rand(1, T, 3), trace=True)
    one = NTMTrace(*(x[0] for x in trace))
    fig = vb.plot_run_window(torch.rand(T, 3), torch.rand(T, 2), logits[0], None, one, num_read=2, first=-1, last=3)
    assert fig.axes
