"""Chapter 14's hand-made memories: each shows the failure without the change and its fix with it,
computed by the DNC's own functions."""
import torch

from ntm_lib import dnc_addressing as dnc
from ntm_lib import dnc_mds_examples as examples


def test_without_a_mask_the_look_up_prefers_a_half_matching_key():
    c = examples.masking_example()
    assert c.without.argmax() != c.target  # the slot with the near-empty value wins
    assert c.with_.argmax() == c.target and c.with_[c.target] > 0.95
    sim = c.detail["similarity_masked"]
    assert torch.isclose(sim[c.target], torch.tensor(1.0, dtype=sim.dtype))
    for w in (c.without, c.with_):
        assert torch.isclose(w.sum(), torch.tensor(1.0, dtype=w.dtype))


def test_a_freed_word_is_found_again_unless_freeing_erases_it():
    c = examples.deallocation_example()
    assert c.detail["usage_after_free"].tolist() == [0.0, 1.0, 0.0, 0.0]  # slot 0 is free
    assert abs(c.without[0] - c.without[c.target]) < 1e-9  # stale and live word tie
    assert c.with_[c.target] > 0.99
    right, stale = c.detail["value_right"], c.detail["value_stale"]
    blend = c.detail["value_read"]
    assert torch.allclose(blend, (right + stale) / 2, atol=1e-3)
    assert torch.allclose(c.detail["value_read_deallocated"], right, atol=0.01)


def test_links_blur_hop_after_hop_unless_sharpened():
    c = examples.sharpness_example()
    plain, sharp = examples.on_target(c.without), examples.on_target(c.with_)
    assert (plain[1:] < plain[:-1]).all() and plain[-1] < 0.2
    assert (sharp > 0.99).all()
    assert torch.allclose(c.with_.sum(-1), torch.ones(c.with_.shape[0], dtype=c.with_.dtype))
    # the first hop is the link matrix applied to a one-hot read of slot 0
    first, _ = dnc.directional_weightings(c.detail["link"][None], torch.eye(10, dtype=torch.float64)[:1][None])
    assert torch.allclose(c.without[0], first[0, 0])


def test_soft_writes_are_distributions():
    w = examples.soft_writes(5, 8, 0.9)
    assert torch.allclose(w.sum(-1), torch.ones(5, dtype=w.dtype)) and (w.diagonal() == 0.9).all()


def test_the_figures_draw():
    import matplotlib
    matplotlib.use("Agg")
    from ntm_lib import viz_dnc_mds

    c = examples.masking_example()
    fig = viz_dnc_mds.plot_lookup_comparison(c.without, c.with_, c.target)
    assert len(fig.axes) == 2
    s = examples.sharpness_example()
    assert len(viz_dnc_mds.plot_hops(s.without, s.with_).axes) == 4  # two maps, two colour bars
    history = [{"sequences": 100, "val_bit_errors": 5.0}, {"sequences": 200, "val_bit_errors": 0.0}]
    fig = viz_dnc_mds.plot_ablation_curves({"DNC seed 0": history, "DNC-MDS seed 0": history})
    assert len(fig.axes[0].lines) == 3
