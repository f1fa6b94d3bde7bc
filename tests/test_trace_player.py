r"""ntm_lib.trace_player: the page holds the model's trace, on the right slots, and is the same HTML
on every CPU (nbval compares it with the committed output of a chapter)."""

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ntm_lib
from ntm_lib import DNC, NTM, DNCConfig, LSTMBaseline, LSTMConfig, NTMConfig
from ntm_lib.tasks import Batch, CopyTask
from ntm_lib.trace_player import default_slots, trace_player

ROOT = Path(__file__).resolve().parents[1]
PLAYER_ID = re.compile(r'id="(ntm-player-[0-9a-f]{10})"')


def payload(page: str) -> dict:
    text = re.search(r'<script type="application/json" class="ntm-p-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def memory_frames(data: dict) -> torch.Tensor:
    """The memory after every step, (T, n, M), rebuilt from the rows that change (as the page does)."""
    frames, frame = [], {}
    for changes in data["memory"]:
        frame = {**frame, **{row: values for row, values in changes}}
        frames.append([frame[i] for i in range(len(data["slots"]))])
    return torch.tensor(frames, dtype=torch.float64) / 100


def small_ntm() -> NTM:
    torch.manual_seed(3)
    config = NTMConfig(input_size=4, output_size=3, controller_size=12, num_slots=11, word_size=5,
                       num_read_heads=2, num_write_heads=1)
    return NTM(config).eval()


def small_batch(steps: int = 7) -> Batch:
    gen = torch.Generator().manual_seed(5)
    inputs = torch.randint(0, 2, (2, steps, 4), generator=gen).float()
    targets = torch.randint(0, 2, (2, steps, 3), generator=gen).float()
    mask = torch.tensor([[0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 0]], dtype=torch.float32)
    return Batch(inputs, targets, mask)


def test_the_page_holds_the_ntm_trace_on_the_chosen_slots():
    model, batch = small_ntm(), small_batch()
    slots = [-2, -1, 0, 1, 2]
    player = trace_player(model, batch, slots=slots, sequence=1)
    data = payload(player.html)
    assert data == player.data
    with torch.no_grad():
        logits, _, trace = model(batch.inputs[1:2], trace=True)
    index = torch.tensor(slots) % 11
    assert data["slots"] == slots and data["num_slots"] == 11 and data["steps"] == 7
    assert data["heads"] == [["read 1", "read"], ["read 2", "read"], ["write 1", "write"]]
    weights = torch.tensor(data["weights"], dtype=torch.float64) / 1000  # (T, H, n)
    expected = trace.weights[0][..., index].double()
    for t in (0, 3, 6):
        torch.testing.assert_close(weights[t], expected[t], atol=5.1e-4, rtol=0)
    memory = memory_frames(data)  # (T, n, M)
    torch.testing.assert_close(memory, trace.memory[0][:, index].double(), atol=5.1e-3, rtol=0)
    reads = torch.tensor(data["reads"], dtype=torch.float64) / 100
    torch.testing.assert_close(reads, trace.reads[0].double(), atol=5.1e-3, rtol=0)
    names = [row[0] for row in data["rows"]]
    assert names == ["input", "target", "output σ(y)"]
    rows = {row[0]: torch.tensor(row[2], dtype=torch.float64) / 100 for row in data["rows"]}
    torch.testing.assert_close(rows["input"], batch.inputs[1].double(), atol=0, rtol=0)
    mask = batch.mask[1].double()[:, None]
    torch.testing.assert_close(rows["target"], batch.targets[1].double() * mask, atol=0, rtol=0)
    torch.testing.assert_close(rows["output σ(y)"], torch.sigmoid(logits[0]).double() * mask, atol=5.1e-3, rtol=0)
    assert data["vmax"] == round(float(trace.memory[0][:, index].abs().max()) * 100)


def test_the_model_is_left_as_it_was_and_plain_inputs_work():
    model = small_ntm()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    player = trace_player(model, small_batch().inputs[0])  # (T, I): no target, outputs everywhere
    assert all(v.dtype == torch.float32 and torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert [row[0] for row in player.data["rows"]] == ["input", "output σ(y)"]
    assert player.data["slots"] == default_slots(model(small_batch().inputs[:1], trace=True)[2].weights[0])
    assert len(repr(player)) <= 88 and "\n" not in repr(player)


def test_the_page_holds_the_dnc_trace():
    torch.manual_seed(4)
    model = DNC(DNCConfig(input_size=4, output_size=3, controller_size=12, num_slots=9, word_size=5,
                          num_read_heads=2)).eval()
    batch = small_batch()
    data = trace_player(model, batch, slots=range(9)).data
    # compared with the run in float64, as the player runs it: the untrained DNC's allocation sorts
    # nearly equal usages, which float32 can order differently
    with torch.no_grad():
        _, _, trace = copy.deepcopy(model).double()(batch.inputs[:1].double(), trace=True)
    assert data["heads"] == [["read 1", "read"], ["read 2", "read"], ["write", "write"]]
    weights = torch.tensor(data["weights"], dtype=torch.float64) / 1000
    torch.testing.assert_close(weights[:, :2], trace.read_weights[0].double(), atol=5.1e-4, rtol=0)
    torch.testing.assert_close(weights[:, 2], trace.write_weights[0].double(), atol=5.1e-4, rtol=0)
    torch.testing.assert_close(memory_frames(data), trace.memory[0].double(), atol=5.1e-3, rtol=0)


def test_default_slots_is_the_smallest_window_around_the_slots_in_use():
    def weights(used, num_slots=128):
        w = torch.zeros(3, 2, num_slots)
        w[0, 0, used] = 0.5
        return w

    # the copy NTM's pattern: slot 0, then backwards from slot 127; the window wraps around 0
    assert default_slots(weights([0] + list(range(107, 128)))) == list(range(-21, 1))
    assert default_slots(weights([3, 5, 9])) == [3, 4, 5, 6, 7, 8, 9]
    assert default_slots(weights([2, 120]), circular=False) == list(range(2, 121))
    assert default_slots(weights([2, 120])) == list(range(-8, 3))
    assert default_slots(weights([7])) == [7]
    assert default_slots(torch.full((3, 2, 6), 1 / 6)) == list(range(6))  # nothing above 0.05: all
    below = weights([4])
    below[1, 1, 9] = 0.05  # not above the threshold
    assert default_slots(below) == [4]


def copy_player(kind: str = "ntm"):
    """The shipped copy model (``kind``: "ntm" or "dnc") on one sequence of 20 vectors."""
    model = ntm_lib.load_pretrained("copy", kind)
    batch = CopyTask().sample(1, torch.Generator().manual_seed(1), length=20)
    return trace_player(model, batch, title="copy")


def test_the_shipped_copy_ntm_shows_its_slots_in_use_in_a_small_page():
    player = copy_player()
    data = player.data
    assert data["slots"] == list(range(-21, 1)) and data["num_slots"] == 128 and data["steps"] == 41
    assert player.size < 150_000
    weights = torch.tensor(data["weights"])  # (T, H, n), thousandths
    # the write head moves one slot back per step while the sequence comes in: -1, -2, .., -20
    assert [data["slots"][i] for i in weights[:20, 1].argmax(-1).tolist()] == list(range(-1, -21, -1))


def test_the_element_id_depends_on_the_data_only():
    first, again = copy_player(), copy_player()
    assert PLAYER_ID.findall(first.html) == PLAYER_ID.findall(again.html) == [first.uid]
    assert first.html == again.html
    model = ntm_lib.load_pretrained("copy", "ntm")
    batch = CopyTask().sample(1, torch.Generator().manual_seed(1), length=20)
    assert trace_player(model, batch, title="other").uid != first.uid
    assert trace_player(model, batch, title="copy", slots=range(-3, 5)).uid != first.uid


@pytest.mark.parametrize("kind", ["ntm", "dnc"])
def test_the_page_is_the_same_with_other_cpu_kernels(kind):
    # The same call in a fresh process forced onto the scalar kernels (and MKL's compatible path).
    code = (f"from tests.test_trace_player import copy_player; "
            f"print(copy_player({kind!r}).html, end='')")
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", MKL_CBWR="COMPATIBLE")
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                           cwd=ROOT).stdout
    assert other == copy_player(kind).html


def test_wrong_models_and_inputs_fail_with_a_clear_message():
    batch = small_batch()
    lstm = LSTMBaseline(LSTMConfig(input_size=4, output_size=3, hidden_size=8, num_layers=1))
    with pytest.raises(TypeError, match="LSTMBaseline has no memory trace"):
        trace_player(lstm, batch)
    model = small_ntm()
    with pytest.raises(ValueError, match=r"inputs of shape \(time, 4\).*got \(7, 9\)"):
        trace_player(model, torch.zeros(7, 9))
    with pytest.raises(TypeError, match="a Batch or an input tensor"):
        trace_player(model, [[0.0] * 4])
    with pytest.raises(ValueError, match="sequence 2 is not in the batch of 2"):
        trace_player(model, batch, sequence=2)
    for slots in ([], [11], [-12, 0]):
        with pytest.raises(ValueError, match=r"slots must be a non-empty list of slots in -11 \.\. 10"):
            trace_player(model, batch, slots=slots)
