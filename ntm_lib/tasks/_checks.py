"""Argument checks shared by the task generators (private: the messages are the contract)."""

from __future__ import annotations


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(owner: str, name: str, value, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer >= ``minimum``."""
    if not is_int(value) or value < minimum:
        raise ValueError(f"{owner}.{name} must be an integer >= {minimum}, got {value!r}")


def check_batch_size(owner: str, batch_size) -> None:
    check_int(owner, "sample: batch_size", batch_size)


def check_override(owner: str, name: str, value, minimum: int = 1) -> None:
    """An optional ``sample`` argument: None, or an integer >= ``minimum``."""
    if value is not None:
        check_int(owner, f"sample: {name}", value, minimum)
