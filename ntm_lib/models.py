"""The model kinds a checkpoint or the command line can name, and how to build each from its config."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from torch import nn

from .baselines import LSTMBaseline, LSTMConfig
from .dnc import DNC, DNCConfig
from .ntm import NTM, NTMConfig, config_from_dict

MODEL_KINDS: dict[str, tuple[type, type]] = {
    "ntm": (NTMConfig, NTM),
    "lstm": (LSTMConfig, LSTMBaseline),
    "dnc": (DNCConfig, DNC),
}


def build_model(kind: str, config: dict[str, Any] | Any) -> nn.Module:
    """Build a model of ``kind`` ("ntm" or "lstm") from its config dataclass or a dict of it."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(MODEL_KINDS)}")
    config_cls, model_cls = MODEL_KINDS[kind]
    if isinstance(config, dict):
        config = config_from_dict(config_cls, config)
    elif not isinstance(config, config_cls):
        raise TypeError(f"a {kind} model needs a {config_cls.__name__}, got {type(config).__name__}")
    return model_cls(config)


def model_description(model: nn.Module) -> dict[str, Any]:
    """The kind and config of a model, as stored in checkpoints."""
    kind = getattr(model, "kind", None)
    if kind not in MODEL_KINDS:
        raise TypeError(f"{type(model).__name__} is not one of the model kinds {sorted(MODEL_KINDS)}")
    return {"kind": kind, "config": asdict(model.config)}


def normalised_description(description: dict[str, Any]) -> dict[str, Any]:
    """A stored kind and config (e.g. from an older checkpoint) with every field the config class
    has now: a missing field gets what its absence meant (``config_from_dict``)."""
    config_cls, _ = MODEL_KINDS[description["kind"]]
    return {"kind": description["kind"], "config": asdict(config_from_dict(config_cls, description["config"]))}

