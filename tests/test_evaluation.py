r"""ntm_lib.evaluation: reading and printing generalisation tables, and the chapters' measurements.

Sizes: B=2 sequences, T=3 steps, O=4 output channels.
"""

import json

import pytest
import torch

import ntm_lib
from ntm_lib import evaluation
from ntm_lib.tasks.base import Batch

O = 4

TABLE = {"task": "copy", "seed": 1, "models": ["lstm", "ntm"], "rows": [
    {"condition": "length 10", "sample": {"length": 10}, "sequences": 100,
     "lstm": {"bit_errors": 1.5, "bce_bits": 3.25}, "ntm": {"bit_errors": 0.0, "bce_bits": 0.125}}]}


def test_generalisation_table_reads_the_committed_file(tmp_path):
    (tmp_path / "copy.json").write_text(json.dumps(TABLE))
    assert evaluation.generalisation_table("copy", directory=tmp_path) == TABLE


def test_format_table_one_line_per_condition_one_column_per_model_and_metric():
    text = evaluation.format_table(TABLE).splitlines()
    assert text[0].split() == ["condition", "LSTM", "bit_errors", "LSTM", "bce_bits", "NTM", "bit_errors",
                               "NTM", "bce_bits"]
    assert text[1].split() == ["length", "10", "1.500", "3.250", "0.000", "0.125"]
    only = evaluation.format_table(TABLE, metrics=("bit_errors",)).splitlines()[1].split()
    assert only == ["length", "10", "1.500", "0.000"]
    ntm_only = evaluation.format_table(TABLE, models=["ntm"]).splitlines()
    assert ntm_only[0].split() == ["condition", "NTM", "bit_errors", "NTM", "bce_bits"]
    assert ntm_only[1].split() == ["length", "10", "0.000", "0.125"]


def test_generalisation_table_matches_the_shipped_models_when_recomputed(tmp_path):
    # Without a committed file the table is recomputed: the same numbers as evaluate_task.
    shipped = ntm_lib.pretrained.manifest()
    if "associative_recall-ntm" not in shipped:
        pytest.skip("no shipped associative recall model")
    table = evaluation.generalisation_table("associative_recall", directory=tmp_path)
    assert table["task"] == "associative_recall" and len(table["rows"]) >= 1
    assert table["rows"][0]["ntm"]["bit_errors"] < 1


def test_channel_error_rates_count_only_scored_steps():
    targets = torch.zeros(2, 3, O)
    targets[0, 1] = torch.tensor([1.0, 0.0, 1.0, 0.0])
    mask = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    logits = torch.full((2, 3, O), -1.0)  # predicts 0 everywhere
    logits[1, 2] = 1.0  # wrong everywhere, but on a step with mask 0
    rates = evaluation.channel_error_rates(logits, Batch(torch.zeros(2, 3, 1), targets, mask))
    assert rates.shape == (O,)
    torch.testing.assert_close(rates, torch.tensor([1 / 3, 0.0, 1 / 3, 0.0]))


def test_rates_by_value_groups_and_masks():
    keys = torch.tensor([[0, 2, 2, 5], [2, 0, 5, 7]])
    events = torch.tensor([[1, 0, 1, 1], [1, 0, 0, 1]], dtype=torch.bool)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    values, rates, counts = evaluation.rates_by_value(keys, events, mask)
    assert values == [0, 2, 5] and counts == [2, 3, 2]
    assert rates == pytest.approx([0.5, 2 / 3, 0.5])
    assert evaluation.rates_by_value(keys, events)[0] == [0, 2, 5, 7]
    with pytest.raises(ValueError):
        evaluation.rates_by_value(keys, events[:, :3])


@pytest.mark.parametrize("value, text", [
    (17.022681713, "17.02"), (0.09788841009, "0.098"), (2067.571044, "2068"), (355.73, "355.7"),
    (0.0, "0.000"), (1.5, "1.500"), (-0.6068301, "-0.607"), (126.58, "126.6"), (0.01, "0.010")])
def test_format_number_keeps_four_significant_digits_and_three_decimals(value, text):
    assert evaluation.format_number(value) == text


def test_a_kernel_sized_change_leaves_printed_numbers_alone():
    # The numbers the chapters print, perturbed as another CPU's kernels perturb them (~1e-7).
    for value in (0.09788841009140015, 0.6068301200866699, 1.5060720443725586, 2067.571044921875):
        assert evaluation.format_number(value) == evaluation.format_number(value * (1 + 2e-7))
        assert evaluation.rounded({"x": value}) == evaluation.rounded({"x": value * (1 - 2e-7)})


def test_rounded_keeps_four_significant_digits():
    assert evaluation.rounded({"bit_errors": 0.0, "bce_bits": 0.09788841009140015, "big": 2067.571}) == {
        "bit_errors": 0.0, "bce_bits": 0.09789, "big": 2068.0}


def test_assert_metrics_close_accepts_kernel_noise_and_names_real_differences():
    stored = {"bit_errors": 0.0, "bce_bits": 0.24988060}
    evaluation.assert_metrics_close({"bit_errors": 0.0, "bce_bits": 0.24988162}, stored)  # rel 4e-6
    with pytest.raises(AssertionError, match="bce_bits: 0.2502"):
        evaluation.assert_metrics_close({"bit_errors": 0.0, "bce_bits": 0.2502}, stored)
    with pytest.raises(AssertionError, match="bit_errors"):
        evaluation.assert_metrics_close({"bit_errors": 0.01, "bce_bits": 0.24988060}, stored)
    with pytest.raises(AssertionError, match="only in the stored"):
        evaluation.assert_metrics_close({"bit_errors": 0.0}, stored)


def test_assert_tables_close_compares_every_row_and_model():
    live = json.loads(json.dumps(TABLE))
    live["rows"][0]["ntm"]["bce_bits"] *= 1 + 1e-6
    evaluation.assert_tables_close(live, TABLE)
    live["rows"][0]["lstm"]["bce_bits"] = 3.3
    with pytest.raises(AssertionError, match="length 10, lstm, bce_bits"):
        evaluation.assert_tables_close(live, TABLE)
    other_seed = dict(TABLE, seed=2)
    with pytest.raises(AssertionError, match="different test sets"):
        evaluation.assert_tables_close(other_seed, TABLE)


def test_assert_tables_close_compares_the_live_models_and_needs_them_stored():
    live = json.loads(json.dumps(TABLE))
    live["models"] = ["ntm"]
    for row in live["rows"]:
        row.pop("lstm")
    evaluation.assert_tables_close(live, TABLE)  # a subset of the stored models
    with pytest.raises(AssertionError, match=r"models \['lstm'\] not in the stored table"):
        evaluation.assert_tables_close(TABLE, live)


def test_evaluate_models_draws_a_random_initial_memory_the_same_way_every_time():
    """A model with memory_init="random" draws its memory from torch's generator: the table seeds
    it, so two calls agree exactly, and the caller's generator is left where it was."""
    from ntm_lib.ntm import NTM
    from ntm_lib.recipes import recipe

    task, config, _ = recipe("associative_recall", "ntm")
    assert config.memory_init == "random"
    torch.manual_seed(0)
    model = NTM(config)
    before = torch.get_rng_state()
    first = evaluation.evaluate_models("associative_recall", {"ntm": model}, sequences=8)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(123)  # another global state: the same table
    second = evaluation.evaluate_models("associative_recall", {"ntm": model}, sequences=8)
    assert first == second
