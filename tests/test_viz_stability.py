r"""ntm_lib.viz_stability: convergence read off a sweep's histories, the table, and the figures.

A made-up study: settings "a" (3 runs) and "b" (2 runs), validations every 100 sequences.
"""

import json

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ntm_lib import viz_stability as vs  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def run(setting, errors, seed=0, stopped=None, nonfinite=0):
    history = [{"sequences": 100 * (i + 1), "val_bit_errors": e} for i, e in enumerate(errors)]
    converged = any(e < 0.1 for e in errors)
    return {"seed": seed, "settings": {"memory_init": setting}, "converged": converged,
            "stopped": stopped or ("converged" if converged else "max_sequences"),
            "sequences": history[-1]["sequences"], "nonfinite_batches": nonfinite, "history": history}


STUDY = {"runs": [
    run("a", [5.0, 0.05], seed=0),
    run("a", [5.0, 2.0, 0.0], seed=1),
    run("a", [5.0, 2.0, 1.0], seed=2, nonfinite=3),
    run("b", [0.09], seed=0),
    run("b", [4.0, 3.0, 0.2], seed=1, stopped="nonfinite", nonfinite=10),
]}


def test_sequences_to_converge_is_the_first_validation_below_the_threshold():
    assert vs.sequences_to_converge(STUDY["runs"][0]) == 200
    assert vs.sequences_to_converge(STUDY["runs"][2]) is None
    assert vs.sequences_to_converge(STUDY["runs"][2], threshold=1.5) == 300
    assert vs.sequences_to_converge(run("c", [0.1])) is None  # strictly below


def test_converged_fraction_counts_runs_converged_by_each_budget():
    runs = vs.by_setting(STUDY)["a"]
    np.testing.assert_allclose(vs.converged_fraction(runs, [0, 100, 200, 250, 300, 10_000]),
                               [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3])


def test_median_of_odd_even_and_no_values():
    assert vs.median([3, 1, 2]) == 2 and vs.median([4, 1, 3, 2]) == 2.5 and vs.median([]) is None


def test_stability_rows_and_table():
    rows = vs.stability_rows(STUDY)
    assert [r["memory_init"] for r in rows] == ["a", "b"]
    a, b = rows
    assert (a["runs"], a["converged"], a["median"], a["fewest"], a["most"]) == (3, 2, 250, 200, 300)
    assert (a["stopped_nonfinite"], a["nonfinite_batches"]) == (0, 3)
    assert (b["converged"], b["median"], b["stopped_nonfinite"], b["nonfinite_batches"]) == (1, 100, 1, 10)
    none = vs.stability_rows({"runs": [run("c", [3.0])]})[0]
    assert none["median"] is None and none["fewest"] is None
    assert a["fell_back"] == 0 and b["fell_back"] == 0


def test_fell_back_is_losing_what_was_learned():
    assert vs.fell_back(run("a", [30.0, 4.0, 25.0]))  # learned, then lost
    assert not vs.fell_back(run("a", [30.0, 25.0, 4.0]))  # only learning
    assert not vs.fell_back(run("a", [4.0, 19.0, 2.0]))  # a setback, not half-way to guessing
    assert vs.fell_back(run("a", [4.0, 19.0]), lost=10.0)
    rows = vs.stability_rows({"runs": [run("a", [30.0, 4.0, 25.0]), run("a", [4.0, 0.0])]})
    assert rows[0]["fell_back"] == 1
    assert vs.stability_table(rows).header[5] == "fell back" and vs.stability_table(rows).rows[0][5] == 1


def test_stability_table_has_one_row_per_setting_and_a_dash_where_none_converged():
    rows = vs.stability_rows(STUDY)
    none = vs.stability_rows({"runs": [run("c", [3.0])]})[0]
    table = vs.stability_table(rows + [none])
    assert table.header[:3] == ["memory_init", "converged", "median"] and len(table.rows) == 3
    assert table.rows[0][:4] == ["a", "2 / 3", 250, 200]
    assert table.rows[2][2:5] == ["-", "-", "-"]
    assert "<table" in table._repr_html_() and "2 / 3" in str(table)


def test_load_study_reads_the_shipped_copy_study():
    study = vs.load_study("copy-memory-init")
    rows = {r["memory_init"]: r for r in vs.stability_rows(study)}
    assert {k: (r["converged"], r["median"]) for k, r in rows.items()} == {
        "constant": (8, 9_600), "learned": (10, 8_000), "random": (9, 16_000)}
    assert all(r["nonfinite_batches"] == 0 for r in rows.values())


def test_plot_converged_fraction_draws_one_step_line_per_setting():
    fig = vs.plot_converged_fraction(STUDY, reference={"claim": ([0, 300], [0, 1])})
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a (3 runs)", "b (2 runs)", "claim"]
    assert list(lines[0].get_xdata()) == [0, 100, 200, 300]
    np.testing.assert_allclose(lines[0].get_ydata(), [0, 0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(lines[1].get_ydata(), [0, 0.5, 0.5, 0.5])


def test_plot_sequences_to_converge_marks_runs_that_did_not_converge():
    fig = vs.plot_sequences_to_converge(STUDY)
    ax = fig.axes[0]
    dots, crosses = ax.collections[0], ax.collections[1]  # setting "a": converged, not converged
    assert sorted(dots.get_offsets()[:, 1].tolist()) == [200, 300]
    assert crosses.get_offsets()[:, 1].tolist() == [300]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]


def test_plot_weightings_one_panel_each():
    fig = vs.plot_weightings({"uniform": [0.25] * 4, "focused": [1.0, 0.0, 0.0, 0.0]}, title="t")
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "focused"
    assert [p.get_height() for p in fig.axes[1].patches] == [1.0, 0.0, 0.0, 0.0]


def test_runs_with_and_combined_regroup_runs_of_several_studies():
    a_runs = vs.runs_with(STUDY, memory_init="a")
    assert len(a_runs) == 3 and vs.runs_with(STUDY, memory_init="z") == []
    assert vs.runs_with(STUDY, clipping="norm") == []  # a setting no run records
    study = vs.combined({"first": a_runs, "second": vs.runs_with(STUDY, memory_init="b")})
    rows = vs.stability_rows(study, "configuration")
    assert [(r["configuration"], r["runs"]) for r in rows] == [("first", 3), ("second", 2)]
    assert STUDY["runs"][0]["settings"] == {"memory_init": "a"}  # the originals are not changed
    with pytest.raises(ValueError, match="no runs"):
        vs.combined({"empty": []})


def test_plot_validation_curves_draws_every_run_and_marks_those_that_fell_back():
    study = {"runs": [run("a", [30.0, 4.0, 25.0]), run("a", [30.0, 0.0]), run("b", [3.0])]}
    fig = vs.plot_validation_curves(study)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    curves = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 2 and curves[0].get_color() == "C3" and curves[1].get_color() == "0.55"
    assert list(curves[1].get_ydata())[1:] == [30.0, 0.01]


def test_plateau_table_has_one_row_per_group_with_medians():
    def run(group, two, six, vectors, overlap):
        scores = {"2": {"bit_errors": two}, "4": {"bit_errors": (two + six) / 2},
                  "6": {"bit_errors": six, "by_vector": vectors, "delimiter_on_last_vector": overlap}}
        return {"group": group, "converged": group == "converged", "scores": scores}

    report = {"runs": [run("no look-up", 0.0, 6.0, [2.0, 2.0, 2.0], 0.0),
                       run("no look-up", 0.2, 5.0, [1.0, 2.0, 2.0], 0.2),
                       run("converged", 0.0, 0.0, [0.0, 0.0, 0.0], 0.7)]}
    table = vs.plateau_table(report)
    assert [row[0] for row in table.rows] == ["converged", "no look-up"]  # in PLATEAU_GROUPS order
    assert table.rows[1] == ["no look-up", 2, 0.1, 2.8, 5.5, "1.50 / 2.00 / 2.00", 0.1]


def test_variant_runs_and_plateau_counts_take_labelled_study_names(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(STUDY))
    sources = {"recipe a": ("one", {"memory_init": "a"}), "all of one": ("one", {})}
    parts = vs.variant_runs(sources, tmp_path)
    assert [len(runs) for runs in parts.values()] == [3, 5]
    with pytest.raises(FileNotFoundError):
        vs.variant_runs({"x": ("missing", {})}, tmp_path)
    report = {"runs": [{"study": "one", "group": "no look-up", "settings": {"memory_init": "a"}},
                       {"study": "one", "group": "converged", "settings": {"memory_init": "b"}},
                       {"study": "other", "group": "converged", "settings": {"memory_init": "a"}}]}
    table = vs.plateau_counts(report, sources)
    assert table.header == ["recipe", *vs.PLATEAU_GROUPS]
    counts = {row[0]: dict(zip(vs.PLATEAU_GROUPS, row[1:])) for row in table.rows}
    assert counts["recipe a"]["no look-up"] == 1 and sum(counts["recipe a"].values()) == 1
    assert counts["all of one"]["converged"] == 1 and sum(counts["all of one"].values()) == 2
