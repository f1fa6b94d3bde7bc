r"""Checkpoints: round trip, hashes, clear CheckpointErrors for missing, corrupt, foreign or
mismatched files, and refusal to unpickle arbitrary objects (weights_only loading)."""

import os
import random
from dataclasses import replace

import pytest
import torch

import ntm_lib
from ntm_lib import NTM, LSTMBaseline, LSTMConfig, NTMConfig
from ntm_lib.checkpoints import (
    FORMAT,
    CheckpointError,
    compress_checkpoint,
    load_checkpoint,
    load_into,
    read_checkpoint,
    save_checkpoint,
    sha256,
)

B, T, N, M, C, I, O = 3, 6, 7, 5, 11, 10, 4
SMALL = NTMConfig(input_size=I, output_size=O, controller_size=C, num_slots=N, word_size=M)


def inputs(seed: int = 1) -> torch.Tensor:
    return torch.randn(B, T, I, generator=torch.Generator().manual_seed(seed))


def make_model(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "lstm":
        return LSTMBaseline(LSTMConfig(input_size=I, output_size=O, hidden_size=C, num_layers=2))
    controller, _, init = kind.partition("/")
    return NTM(replace(SMALL, controller=controller, memory_init=init or "constant", num_read_heads=2))


@pytest.fixture
def saved(tmp_path):
    """A real (default-size) NTM checkpoint on disk, and its bytes."""
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "model.pt", NTM(NTMConfig()))
    return path, path.read_bytes()


# --- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["feedforward", "lstm/learned", "feedforward/learned", "lstm"])
def test_round_trip_gives_identical_outputs(tmp_path, kind):
    model = make_model(kind).eval()
    path = save_checkpoint(tmp_path / "sub" / "dir" / "ckpt.pt", model)
    assert path.is_file()
    assert not list(path.parent.glob("*.tmp")), "the temporary file was renamed into place"
    loaded = load_checkpoint(path)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    assert not loaded.training, "load_checkpoint returns the model in eval mode"
    with torch.no_grad():
        expected, got = model(inputs())[0], loaded(inputs())[0]
    assert torch.equal(got, expected)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name


def test_a_compressed_checkpoint_is_smaller_and_loads_the_same_model(tmp_path):
    import shutil
    import zipfile

    torch.manual_seed(0)
    model = NTM(NTMConfig()).eval()
    with torch.no_grad():  # trained-looking weights: not the few distinct values of a fresh init
        for weight in model.parameters():
            weight.normal_()
    plain = save_checkpoint(tmp_path / "plain.pt", model, history=[{"sequences": 16}])
    packed = shutil.copy(plain, tmp_path / "packed.pt")
    compress_checkpoint(packed)
    assert os.path.getsize(packed) < os.path.getsize(plain)
    assert {e.compress_type for e in zipfile.ZipFile(packed).infolist()} == {zipfile.ZIP_DEFLATED}
    assert read_checkpoint(packed)["history"] == [{"sequences": 16}]
    with torch.no_grad():
        assert torch.equal(load_checkpoint(packed)(inputs_for(model))[0], model(inputs_for(model))[0])
    again = shutil.copy(plain, tmp_path / "again.pt")
    assert sha256(compress_checkpoint(again)) == sha256(packed), "the same checkpoint compresses to the same bytes"


def inputs_for(model) -> torch.Tensor:
    return torch.randn(2, 5, model.config.input_size, generator=torch.Generator().manual_seed(3))


def test_extra_entries_are_kept(tmp_path):
    model = make_model("feedforward")
    history = [{"sequences": 16, "val_bit_errors": 3.5}]
    path = save_checkpoint(tmp_path / "c.pt", model, history=history, task={"name": "copy", "config": {"bits": 8}})
    payload = read_checkpoint(path)
    assert payload["format"] == FORMAT
    assert payload["model"] == {"kind": "ntm", "config": {**SMALL.__dict__, "num_read_heads": 2}}
    assert payload["history"] == history
    assert payload["task"] == {"name": "copy", "config": {"bits": 8}}


def test_matching_sha256_loads(saved):
    path, _ = saved
    assert isinstance(load_checkpoint(path, expected_sha256=sha256(path)), NTM)


def test_load_into_copies_weights_into_a_model_of_the_same_config(tmp_path):
    source, target = make_model("lstm/learned", seed=0), make_model("lstm/learned", seed=1)
    path = save_checkpoint(tmp_path / "c.pt", source)
    load_into(target, read_checkpoint(path))
    assert torch.equal(target(inputs())[0], source(inputs())[0])


def test_load_checkpoint_is_exported_at_the_top_level(saved):
    """Issue 2 names ``ntm_lib.load_checkpoint(path)`` as the way to turn a checkpoint into a model."""
    path, _ = saved
    assert isinstance(ntm_lib.load_checkpoint(path), NTM)
    assert ntm_lib.CheckpointError is CheckpointError


# --- clear errors --------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at .*nothing.pt"):
        load_checkpoint(tmp_path / "nothing.pt")
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path)  # a folder is not a checkpoint either


def test_wrong_sha256(saved):
    path, _ = saved
    wrong = "0" * 64
    with pytest.raises(CheckpointError, match=r"corrupt or was replaced: SHA-256 [0-9a-f]{16}\.\.\., expected 0{16}"):
        load_checkpoint(path, expected_sha256=wrong)


def test_a_changed_byte_fails_the_hash(saved, tmp_path):
    path, data = saved
    expected = sha256(path)
    changed = tmp_path / "changed.pt"
    changed.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with pytest.raises(CheckpointError, match="corrupt or was replaced"):
        load_checkpoint(changed, expected_sha256=expected)


def test_random_bytes_file(tmp_path):
    path = tmp_path / "random.pt"
    path.write_bytes(bytes(random.Random(0).randrange(256) for _ in range(4096)))
    with pytest.raises(CheckpointError, match="is not a readable ntm_lib checkpoint"):
        load_checkpoint(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="is not a readable ntm_lib checkpoint"):
        load_checkpoint(path)


def test_truncated_to_a_few_bytes(saved, tmp_path):
    _, data = saved
    path = tmp_path / "short.pt"
    path.write_bytes(data[:64])
    with pytest.raises(CheckpointError, match="is not a readable ntm_lib checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_checkpoint(saved, tmp_path, keep):
    _, data = saved
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CheckpointError, match="is not a readable ntm_lib checkpoint"):
        load_checkpoint(path)


def test_any_garbage_file_raises_checkpoint_error(tmp_path):
    rng = random.Random(1)
    samples = [b"M", b"a(", b"h\xbey.\x92g^", b"\x80\x02", b"PK\x03\x04"]
    samples += [bytes(rng.randrange(256) for _ in range(rng.choice([1, 2, 5, 20]))) for _ in range(200)]
    path = tmp_path / "garbage.pt"
    for data in samples:
        path.write_bytes(data)
        with pytest.raises(CheckpointError):
            load_checkpoint(path)


def test_a_torch_file_that_is_not_an_ntm_lib_checkpoint(tmp_path):
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(CheckpointError, match="is not an ntm_lib checkpoint: format 'Tensor'"):
        load_checkpoint(path)
    torch.save({"format": "something/else"}, path)
    with pytest.raises(CheckpointError, match=r"format 'something/else', expected 'ntm_lib.checkpoint/1'"):
        load_checkpoint(path)


def test_a_checkpoint_describing_an_impossible_model(tmp_path):
    model = make_model("feedforward")
    path = tmp_path / "c.pt"
    payload = {"format": FORMAT, "model": {"kind": "gru", "config": {}}, "state_dict": model.state_dict()}
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="cannot rebuild the model it describes: unknown model kind 'gru'"):
        load_checkpoint(path)
    payload["model"] = {"kind": "ntm", "config": {**SMALL.__dict__, "num_slots": 9}}  # weights are for N=7
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="cannot rebuild the model it describes"):
        load_checkpoint(path)


class Exploit:
    """Unpickling this would run os.mkdir(marker): a stand-in for arbitrary code."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


class Plain:
    def __init__(self):
        self.value = 1


@pytest.mark.parametrize("payload_kind", ["code", "instance", "function"])
def test_arbitrary_pickled_objects_are_refused_not_executed(tmp_path, payload_kind):
    marker = tmp_path / "was_executed"
    model = make_model("feedforward")
    evil = {"code": Exploit(str(marker)), "instance": Plain(), "function": os.system}[payload_kind]
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "model": {"kind": "ntm", "config": SMALL.__dict__},
                "state_dict": model.state_dict(), "history": [evil]}, path)
    with pytest.raises(CheckpointError, match="is not a readable ntm_lib checkpoint.*refused"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        read_checkpoint(path)
    assert not marker.exists(), "loading a checkpoint ran code from it"


@pytest.mark.parametrize("other", [
    lambda: NTM(replace(SMALL, num_read_heads=2, num_slots=9)),
    lambda: NTM(replace(SMALL, num_read_heads=2, controller="lstm")),
    lambda: LSTMBaseline(LSTMConfig(input_size=I, output_size=O, hidden_size=C, num_layers=2)),
], ids=["other-slots", "other-controller", "lstm"])
def test_load_into_a_model_with_another_config(tmp_path, other):
    path = save_checkpoint(tmp_path / "c.pt", make_model("feedforward"))
    target = other()
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"holds a ntm model with config \{.*\}, but the model given is a"):
        load_into(target, read_checkpoint(path), str(path))
    for key, value in target.state_dict().items():
        assert torch.equal(value, before[key]), "nothing was loaded"
