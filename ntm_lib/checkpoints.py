r"""Saving and loading checkpoints safely.

A checkpoint is a ``torch.save`` of a dict holding only tensors and plain Python values (no
classes), so it loads with ``torch.load(weights_only=True)``: opening a checkpoint never runs
code from it. Layout:

    format        "ntm_lib.checkpoint/1"
    model         {"kind": "ntm" | "lstm", "config": {...}}
    state_dict    model weights
    task          {"name": ..., "config": {...}}        (optional)
    train_config  {...}                                   (optional)
    optimizer     optimizer.state_dict()                  (optional)
    rng           {"train": ByteTensor, "torch": ByteTensor}  (optional)
    progress      {"sequences", "batches", "seconds", ...}    (optional)
    history       [ {"sequences": ..., "val_bit_errors": ...}, ... ]  (optional)

Writes go to a temporary file that is renamed into place, so an interrupted save never
leaves a half-written checkpoint behind. ``torch.save`` stores the zip's entries uncompressed;
shipped checkpoints are rewritten with deflate (``compress_checkpoint``, about 7% smaller for
trained float32 weights), which ``torch.load`` reads as it is.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .models import build_model, model_description, normalised_description

FORMAT = "ntm_lib.checkpoint/1"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, or does not fit what it is loaded into."""


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, model: nn.Module, **extra: Any) -> Path:
    """Save ``model`` (its kind, config and weights) and any ``extra`` plain entries to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "model": model_description(model), "state_dict": model.state_dict(), **extra}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def compress_checkpoint(path: str | os.PathLike) -> Path:
    """Rewrite a checkpoint's zip entries with deflate, in place (same content, smaller file).

    The entries keep their names and order and get a fixed date, so the same checkpoint always
    compresses to the same bytes, and so to the same SHA-256.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry.filename), compresslevel=9)
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | os.PathLike, expected_sha256: str | None = None) -> dict[str, Any]:
    """Load the raw checkpoint dict, safely (weights only), checking its hash if one is given."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    if expected_sha256 is not None:
        actual = sha256(path)
        if actual != expected_sha256:
            raise CheckpointError(
                f"checkpoint {path} is corrupt or was replaced: SHA-256 {actual[:16]}..., "
                f"expected {expected_sha256[:16]}..."
            )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        unsupported = re.search(r"GLOBAL (\S+)", str(exc))
        if unsupported is None:
            raise CheckpointError(
                f"{path} is not a readable ntm_lib checkpoint (corrupt or truncated, or refused by the safe loader)"
            ) from exc
        # weights_only refused a class or function reference: never load such a file.
        raise CheckpointError(
            f"{path} is not a readable ntm_lib checkpoint: it refers to {unsupported.group(1)}, and "
            f"loading Python objects could run arbitrary code, so it was refused (ntm_lib "
            f"checkpoints hold only tensors and plain values)"
        ) from exc
    except Exception as exc:  # torch raises many types on damaged files (OSError, struct.error, ...)
        raise CheckpointError(f"{path} is not a readable ntm_lib checkpoint (corrupt or truncated): {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path} is not an ntm_lib checkpoint: format {found!r}, expected {FORMAT!r}")
    return payload


def load_into(model: nn.Module, payload: dict[str, Any], source: str = "checkpoint") -> None:
    """Load weights into an existing model, with a clear error if it was built for another config."""
    expected = model_description(model)
    try:
        stored = normalised_description(payload["model"])
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{source} describes a model that cannot be built: {exc}") from exc
    if stored != expected:
        raise CheckpointError(
            f"{source} holds a {payload['model']['kind']} model with config {payload['model']['config']}, "
            f"but the model given is a {expected['kind']} with config {expected['config']}"
        )
    model.load_state_dict(payload["state_dict"])


def load_checkpoint(
    path: str | os.PathLike, device: str | torch.device = "cpu", expected_sha256: str | None = None
) -> nn.Module:
    """Rebuild the model a checkpoint holds, in eval mode, on ``device``."""
    payload = read_checkpoint(path, expected_sha256)
    try:
        model = build_model(payload["model"]["kind"], payload["model"]["config"])
        model.load_state_dict(payload["state_dict"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: cannot rebuild the model it describes: {exc}") from exc
    return model.to(device).eval()


def load_initial_weights(model: nn.Module, path: str | os.PathLike) -> dict[str, Any]:
    """Start ``model`` from a checkpoint's weights (fine-tuning: no optimiser state is taken) and
    return what a run records about where it started: the file, its SHA-256, and the sequences,
    seconds and training config of the run that wrote it.

    An NTM or DNC checkpoint that differs from ``model`` only in its number of memory slots is
    resized with ``ntm.state_dict_for_slots`` (no other weight depends on the memory size); the
    record then says ``num_slots: {"from", "to"}``. Anything else must match exactly.
    """
    from dataclasses import asdict

    from .ntm import state_dict_for_slots

    payload = read_checkpoint(path)
    record: dict[str, Any] = {"file": str(path), "sha256": sha256(path)}
    stored, wanted = payload.get("model", {}), getattr(model, "config", None)
    if (stored.get("kind") == getattr(model, "kind", None) and isinstance(stored.get("config"), dict)
            and hasattr(wanted, "num_slots")):
        stored_config = normalised_description(stored)["config"]
        if (stored_config["num_slots"] != wanted.num_slots
                and {**stored_config, "num_slots": wanted.num_slots} == asdict(wanted)):
            payload = {**payload, "model": {"kind": stored["kind"], "config": asdict(wanted)},
                       "state_dict": state_dict_for_slots(payload["state_dict"], wanted.num_slots)}
            record["num_slots"] = {"from": stored_config["num_slots"], "to": wanted.num_slots}
    load_into(model, payload, str(path))
    progress = payload.get("progress", {})
    return {**record, "sequences": progress.get("sequences"), "seconds": progress.get("seconds"),
            "train_config": payload.get("train_config")}
