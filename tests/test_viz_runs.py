r"""ntm_lib.viz_runs: one sequence through a model on a chosen list of slots, each head on its own, and
the smaller figures of the task chapters (scatter, next-bit probabilities).

Sizes: B=2, T=9 steps, H=3 heads (2 read, 1 write), N=7 slots, M=5 word size; pairwise distinct
so that a swapped axis fails loudly.
"""

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ntm_lib import NTM, NTMConfig, NTMTrace, viz_runs, viz_training  # noqa: E402
from ntm_lib.viz import MODEL_COLORS  # noqa: E402

B, T, H, N, M = 2, 9, 3, 7, 5


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def trace(batch=B):
    """A trace whose memory row i holds i + 10 * step (so a cut or a reorder is visible)."""
    g = torch.Generator().manual_seed(0)
    w = torch.softmax(torch.randn(batch, T, H, N, generator=g), -1)
    rows = torch.arange(N, dtype=torch.float).view(1, 1, N, 1) + 10 * torch.arange(T).view(1, T, 1, 1)
    return NTMTrace(content=w, gated=w, shifted=w, weights=w, erase=torch.rand(batch, T, 1, M, generator=g),
                    add=torch.randn(batch, T, 1, M, generator=g), reads=torch.randn(batch, T, 2, M, generator=g),
                    memory=rows.expand(batch, T, N, M).clone())


def test_first_sequence_drops_the_batch_dimension():
    full = trace()
    one = viz_runs.first_sequence(full)
    assert one.weights.shape == (T, H, N) and one.memory.shape == (T, N, M)
    torch.testing.assert_close(one.reads, full.reads[0])


def test_window_slots_count_back_from_slot_zero():
    assert viz_runs.window_slots(-2, 2, N) == [-2, -1, 0, 1, 2]
    assert viz_runs.window_slots(0, N - 1, N) == list(range(N))
    for first, last in ((3, 2), (0, N), (-N - 1, 0), (-4, 3)):
        with pytest.raises(ValueError):
            viz_runs.window_slots(first, last, N)


def test_window_trace_keeps_the_chosen_slots_in_order_and_wraps():
    full = trace()
    window = viz_runs.window_trace(full, [5, 6, 0, 1])
    assert window.weights.shape == (B, T, H, 4) and window.memory.shape == (B, T, 4, M)
    torch.testing.assert_close(window.weights[..., 2], full.weights[..., 0])
    torch.testing.assert_close(window.content[..., 0], full.content[..., 5])
    torch.testing.assert_close(window.memory[:, :, 1], full.memory[:, :, 6])
    torch.testing.assert_close(window.reads, full.reads)
    torch.testing.assert_close(window.erase, full.erase)
    wrapped = viz_runs.window_trace(full, viz_runs.window_slots(-1, 2, N))  # slots 6, 0, 1, 2
    torch.testing.assert_close(wrapped.weights[..., 0], full.weights[..., N - 1])
    torch.testing.assert_close(wrapped.weights[..., 1:], full.weights[..., :3])
    assert wrapped.memory[0, 0, :, 0].tolist() == [6.0, 0.0, 1.0, 2.0]
    one = viz_runs.window_trace(viz_runs.first_sequence(full), [3])
    assert one.weights.shape == (T, H, 1) and one.memory.shape == (T, 1, M)
    for bad in ([N], [-N - 1], []):
        with pytest.raises(ValueError):
            viz_runs.window_trace(full, bad)


def test_used_slots_finds_the_slots_a_head_visits():
    weights = torch.zeros(T, H, N)
    weights[:, 0, 2] = 1.0
    weights[4, 2, 6] = 0.5
    weights[5, 1, 3] = 0.01  # below the threshold
    visited = NTMTrace(*(weights,) * 4, None, None, None, None)
    assert viz_runs.used_slots(visited) == [2, 6]
    assert viz_runs.used_slots(visited, heads=[2]) == [6]
    assert viz_runs.used_slots(visited, threshold=0.005) == [2, 3, 6]


def test_slot_ticks_are_round_and_include_zero():
    def ticks(slots):
        return [slots[i] for i in viz_runs._slot_ticks(slots)]

    assert ticks(list(range(-3, 14))) == [-2, 0, 2, 4, 6, 8, 10, 12]
    assert ticks(list(range(128))) == [0, 20, 40, 60, 80, 100, 120]
    assert ticks([2, 3, 4]) == [2, 3, 4]
    assert ticks([6, 0, 1]) == [6, 0, 1]


def test_plot_run_window_labels_the_real_slots_and_marks_steps():
    one = viz_runs.first_sequence(trace())
    inputs, targets = torch.rand(T, 4), torch.rand(T, 3)
    logits, mask = torch.randn(T, 3), torch.ones(T)
    slots = [6, 0, 1]
    fig = viz_runs.plot_run_window(inputs, targets, logits, mask, one, num_read=2, slots=slots, marks={4: "query"},
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
    without_trace = viz_runs.plot_run_window(inputs, targets, logits)
    assert len(without_trace.axes) == 3


def test_plot_run_window_on_a_wrapped_window_labels_negative_slots():
    one = viz_runs.first_sequence(trace(batch=1))
    fig = viz_runs.plot_run_window(torch.zeros(T, 3), torch.zeros(T, 2), torch.zeros(T, 2), torch.ones(T), one,
                              num_read=2, slots=viz_runs.window_slots(-2, 3, N))
    weighting_axes = [ax for ax in fig.axes if "weighting" in ax.get_ylabel()]
    assert len(weighting_axes) == 2
    for ax in weighting_axes:
        assert ax.images[0].get_array().shape == (6, T)  # 6 slots of the window, T steps
        assert [t.get_text() for t in ax.get_yticklabels()] == ["-2", "-1", "0", "1", "2", "3"]
    memory_ax = next(ax for ax in fig.axes if ax.get_ylabel().startswith("memory"))
    assert memory_ax.images[0].get_array().shape == (M, 6)
    assert memory_ax.images[0].get_array()[0].tolist() == [85.0, 86.0, 80.0, 81.0, 82.0, 83.0]  # last step


def test_plot_run_window_colour_bars_beside_the_heat_maps_of_the_trace():
    one = viz_runs.first_sequence(trace(batch=1))
    args = (torch.zeros(T, 3), torch.zeros(T, 2), torch.zeros(T, 2), torch.ones(T), one)
    fig = viz_runs.plot_run_window(*args, num_read=2, slots=[0, 6, 5], colorbar=True, title="bars")
    assert len(fig.axes) == 9  # six panels, and a colour bar for each weighting and the memory
    panels, bars = fig.axes[:6], fig.axes[6:]
    assert [ax.get_ylabel() for ax in bars] == ["weight", "weight", "value"]
    assert all(bar.get_position().x0 > panel.get_position().x1 for bar, panel in zip(bars, panels[3:]))
    xs = {round(ax.get_position().x0, 6) for ax in panels}  # the time axes stay aligned
    assert len(xs) == 1
    assert len(viz_runs.plot_run(*args, num_read=2, colorbar=True).axes) == 9
    assert len(viz_runs.plot_run_window(*args[:3], colorbar=True).axes) == 3  # no trace, no bars


def test_plot_run_draws_slots_from_zero_with_integer_ticks():
    one = viz_runs.first_sequence(trace(batch=1))
    fig = viz_runs.plot_run(torch.zeros(T, 3), torch.zeros(T, 2), torch.zeros(T, 2), torch.ones(T), one, num_read=2,
                       max_slots=4, title="run")
    read_ax, memory_ax = fig.axes[3], fig.axes[5]
    assert read_ax.images[0].get_array().shape == (4, T)
    assert [t.get_text() for t in read_ax.get_yticklabels()] == ["0", "1", "2", "3"]
    time_ax = fig.axes[4]
    assert all(float(tick).is_integer() for tick in time_ax.get_xticks())
    assert memory_ax.images[0].get_array().shape == (M, 4)
    assert len(viz_runs.plot_run(torch.zeros(T, 3), torch.zeros(T, 2), torch.zeros(T, 2)).axes) == 3


def test_plot_heads_draws_one_panel_per_head_on_the_window():
    weights = trace().weights[0]
    fig = viz_runs.plot_heads(weights, num_read=2, slots=viz_runs.window_slots(-1, 4, N), delimiter=4, title="heads")
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["read head 0", "read head 1", "write head 0"]
    image = panels[2].images[0].get_array()
    assert image.shape == (6, T)
    torch.testing.assert_close(torch.as_tensor(image[0]), weights[:, 2, N - 1].double())
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["-1", "0", "1", "2", "3", "4"]
    assert panels[0].images[0].get_cmap().name == "Blues" and panels[2].images[0].get_cmap().name == "Reds"


def test_plot_heads_wraps_many_heads_into_rows():
    w = torch.softmax(torch.randn(T, 6, N), -1)
    fig = viz_runs.plot_heads(w, num_read=3, slots=range(N), columns=4)
    assert len([ax for ax in fig.axes if ax.images]) == 6
    assert len([ax for ax in fig.axes if not ax.axison]) == 2  # the unused panels of the 2 x 4 grid


def test_plot_scatter_one_series_per_label():
    fig = viz_runs.plot_scatter({"NTM": ([0.1, 0.5], [3, 1]), "LSTM": (torch.tensor([0.2]), torch.tensor([2.0]))},
                           xlabel="priority", ylabel="slot", title="s")
    ax = fig.axes[0]
    assert len(ax.collections) == 2 and ax.get_xlabel() == "priority"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["NTM", "LSTM"]


def test_plot_probabilities_draws_each_predictor_and_the_truth():
    bits = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1.0])
    p = torch.linspace(0.1, 0.9, 9)
    fig = viz_runs.plot_probabilities(bits, {"NTM": p, "Bayes-optimal": 1 - p}, truth=torch.full((9,), 0.5),
                                 steps=range(2, 8), highlight=[3, 5], title="one sequence")
    top, ax = fig.axes[:2]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["NTM"].get_xdata()) == list(range(2, 8))
    assert list(lines["NTM"].get_ydata()) == pytest.approx(p[2:8].tolist())
    assert lines["NTM"].get_color() == MODEL_COLORS["NTM"]
    assert "true probability (the table)" in lines
    strip = top.get_images()[0].get_array()
    assert strip.tolist() == [bits[3:9].tolist()]  # the bit each step predicts
    assert ax.get_ylim() == (0, 1)
    default = viz_runs.plot_probabilities(bits, {"x": p})
    assert len(default.axes[1].get_lines()[0].get_xdata()) == 8  # the last prediction is beyond the sequence


def test_works_on_a_real_trace():
    model = NTM(NTMConfig(input_size=3, output_size=2, num_slots=N, word_size=M, num_read_heads=2))
    with torch.no_grad():
        logits, _, full = model(torch.rand(1, T, 3), trace=True)
    one = viz_runs.first_sequence(full)
    fig = viz_runs.plot_run_window(torch.rand(T, 3), torch.rand(T, 2), logits[0], None, one, num_read=2,
                              slots=viz_runs.window_slots(-1, 3, N))
    assert fig.axes


def test_colorbar_is_an_option_beside_head_and_pair_heatmaps():
    one = viz_runs.first_sequence(trace(batch=1))
    heads = viz_runs.plot_heads(one.weights, num_read=2, slots=range(N), colorbar=True)
    assert len(heads.axes) == 2 * H
    pair = viz_training.plot_pair(torch.zeros(T, 3), torch.zeros(T, 2), colorbar=True)
    assert len(pair.axes) == 4
