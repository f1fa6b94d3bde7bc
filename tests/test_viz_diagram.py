r"""The NTM block diagram of ntm_lib.viz_diagram: it draws every box and arrow of one step,
labelled with the symbols of notation.md."""

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ntm_lib import viz_diagram  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def gids(fig, prefix):
    ax = fig.axes[0]
    return {a.get_gid() for a in [*ax.patches, *ax.texts] if (a.get_gid() or "").startswith(prefix)}


def all_text(fig):
    return " ".join(t.get_text() for t in fig.axes[0].texts)


def test_every_part_of_a_step_is_a_box():
    fig = viz_diagram.plot_ntm_diagram()
    assert gids(fig, "box:") == {f"box:{name}" for name in viz_diagram.NTM_BOXES}
    assert gids(fig, "label:") == {f"label:{name}" for name in viz_diagram.NTM_BOXES}


def test_the_arrows_follow_one_step():
    fig = viz_diagram.plot_ntm_diagram()
    expected = {
        ("input", "controller"), ("controller", "output"), ("controller", "read_head"),
        ("controller", "write_head"), ("read_head", "memory"), ("write_head", "memory"),
        ("memory", "read_vector"), ("read_vector", "output"), ("read_vector", "controller"),
    }
    assert gids(fig, "arrow:") == {f"arrow:{a}->{b}" for a, b in expected}
    back = next(p for p in fig.axes[0].patches if p.get_gid() == "arrow:read_vector->controller")
    assert back.get_linestyle() == "--"  # the read vector reaches the controller one step later


def test_labels_use_the_books_symbols():
    text = all_text(viz_diagram.plot_ntm_diagram(title="one NTM step"))
    for symbol in ("$x_t$", "$y_t$", "r_t", "r_{t-1}", "$h_t$", "\\mathbf{M}_t", "$N$", "$M$",
                   "-S, \\dots, S", "k, \\beta, g, s, \\gamma", "e, a", "w^r_t", "w^w_t", "erase", "add"):
        assert symbol in text, symbol


def test_head_counts_are_shown():
    text = all_text(viz_diagram.plot_ntm_diagram(num_read=2, num_write=3))
    assert "$R = 2$ read heads" in text and "$W = 3$ write heads" in text
    assert "read head\n" in all_text(viz_diagram.plot_ntm_diagram())
