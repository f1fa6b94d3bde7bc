r"""ntm_lib.viz_dnc: the figures of chapter 13 draw what they are given, on the right axes, with a
colour bar on every heatmap.

Sizes: T=9 steps, N=7 slots, M=5 word size, R=2 read heads, I=4 inputs, O=3 outputs (distinct).
"""

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ntm_lib import dnc_addressing, dnc_examples, viz_dnc, viz_runs  # noqa: E402
from ntm_lib.dnc import DNC, DNCConfig  # noqa: E402

T, N, M, R, I, O = 9, 7, 5, 2, 4, 3


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def heatmaps(fig):
    return [im for ax in fig.axes for im in ax.get_images()]


def test_plot_steps_draws_one_bar_per_slot_in_every_panel():
    steps, script = dnc_examples.usage_example()
    played = dnc_examples.play(script)
    rows = {"usage": played.usage, "allocation": played.allocation, "write": played.write_weights}
    fig = viz_dnc.plot_steps(rows, [dnc_examples.describe(s) for s in steps])
    assert len(fig.axes) == 3 * len(steps)
    first = fig.axes[0]
    assert len(first.patches) == 4 and first.get_ylabel() == viz_dnc.LABELS["usage"]
    heights = [p.get_height() for p in fig.axes[len(steps) + 5].patches]  # allocation at t = 5
    np.testing.assert_allclose(heights, played.allocation[5].numpy())
    with pytest.raises(ValueError, match="titles"):
        viz_dnc.plot_steps(rows, ["one title"])


def test_plot_link_steps_shows_each_link_matrix_on_one_colour_scale():
    steps, script = dnc_examples.link_example()
    played = dnc_examples.play(script)
    fig = viz_dnc.plot_link_steps(played.write_weights, played.precedence, played.link,
                                  [dnc_examples.describe(s) for s in steps])
    images = heatmaps(fig)
    assert len(images) == len(steps)
    for image, link in zip(images, played.link):
        np.testing.assert_allclose(image.get_array(), link.numpy())
        assert image.get_clim() == (0, 1)
    assert len(fig.axes) == 3 * len(steps) + 1  # and one colour bar
    labels = [t.get_text() for t in fig.axes[-2].texts]  # the last link matrix: one label per link
    assert sorted(labels) == ["0.50", "1.00", "1.00", "1.00"]


def test_plot_allocation_labels_the_free_list():
    usage = torch.tensor([0.9, 0.2, 1.0, 0.5, 0.1])
    fig = viz_dnc.plot_allocation(usage, dnc_addressing.allocation(usage[None])[0])
    top, bottom = fig.axes
    ranks = [t.get_text() for t in top.texts if t.get_text().startswith("φ")]
    assert ranks == ["φ4", "φ2", "φ5", "φ3", "φ1"]
    assert "(4, 1, 3, 0, 2)" in top.get_title()
    np.testing.assert_allclose([p.get_height() for p in bottom.patches],
                               dnc_addressing.allocation(usage[None])[0].numpy(), rtol=1e-6)


def dnc_trace():
    torch.manual_seed(0)
    model = DNC(DNCConfig(input_size=I, output_size=O, controller_size=11, num_slots=N, word_size=M,
                          num_read_heads=R))
    inputs = torch.rand(1, T, I, generator=torch.Generator().manual_seed(1)).round()
    with torch.no_grad():
        logits, _, trace = model(inputs, trace=True)
    return inputs[0], logits[0], viz_runs.first_sequence(trace)


def test_plot_dnc_run_draws_the_trace_of_every_slot_or_the_chosen_ones():
    inputs, logits, trace = dnc_trace()
    targets, mask = torch.zeros(T, O), torch.ones(T)
    fig = viz_dnc.plot_dnc_run(inputs, targets, logits, mask, trace, marks={3: "second"}, title="a run")
    images = heatmaps(fig)
    assert len(images) == 6  # input, target, output, write, read, usage (colour bars are not images)
    np.testing.assert_allclose(images[3].get_array(), trace.write_weights.numpy().T, rtol=1e-6)
    np.testing.assert_allclose(images[4].get_array(), trace.read_weights.sum(1).numpy().T, rtol=1e-6)
    np.testing.assert_allclose(images[5].get_array(), trace.usage.numpy().T, rtol=1e-6)
    gates = [ax for ax in fig.axes if ax.get_ylabel() == "gates"][0]
    assert len(gates.lines) >= 2 + R  # write, allocation and R free gates (and the mark)
    fig = viz_dnc.plot_dnc_run(inputs, targets, logits, mask, trace, slots=[6, 0, 2])
    assert heatmaps(fig)[3].get_array().shape == (3, T)
    np.testing.assert_allclose(heatmaps(fig)[3].get_array()[0], trace.write_weights[:, 6].numpy(), rtol=1e-6)


def test_plot_slot_use_puts_each_model_on_a_row():
    _, _, trace = dnc_trace()
    runs = {"DNC": (trace.write_weights, trace.read_weights.sum(1)),
            "other": (torch.zeros(T, N), torch.ones(T, N) / N)}
    fig = viz_dnc.plot_slot_use(runs, marks={4: "b"}, title="two models")
    images = heatmaps(fig)
    assert len(images) == 4
    np.testing.assert_allclose(images[0].get_array(), trace.write_weights.numpy().T, rtol=1e-6)
    assert all(im.get_clim() == (0, 1) for im in images)
