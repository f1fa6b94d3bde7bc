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
