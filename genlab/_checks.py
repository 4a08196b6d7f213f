"""Argument checks shared by genlab: each failure names the argument and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real

import torch


def tensor_arg(name: str, value, *, floating: bool = True) -> torch.Tensor:
    """Return ``value`` if it is a tensor (of a floating dtype when ``floating``), else raise."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise ValueError(
            f"{name} must have a floating dtype (float32 or float64); got {value.dtype}"
        )
    return value


def same_shape(**tensors: torch.Tensor) -> torch.Size:
    """Raise unless all named tensors have one shape; return it."""
    items = list(tensors.items())
    first_name, first = items[0]
    for name, t in items[1:]:
        if t.shape != first.shape:
            shapes = ", ".join(f"{n}{tuple(v.shape)}" for n, v in items)
            raise ValueError(
                f"{name} must have the shape of {first_name} {tuple(first.shape)}; got {shapes}"
            )
    return first.shape


def positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Raise unless ``value`` is a finite real number > 0 (or >= 0); return it as a float."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a positive number; got {type(value).__name__} {value!r}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not ok or value != value or value == float("inf"):
        expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return value


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Raise unless ``value`` is an integer >= ``minimum``; return it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return value


def choice(name: str, value, choices: Iterable[str]) -> str:
    """Raise unless ``value`` is one of ``choices``; return it."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def event_arg(name: str, value) -> torch.Tensor:
    tensor_arg(name, value)
    if value.ndim < 1:
        raise ValueError(f"{name} must have at least one (event) dimension; got a 0-d tensor")
    return value


def gaussian_args(mu, logvar, *, event: bool = True) -> None:
    (event_arg if event else tensor_arg)("mu", mu)
    tensor_arg("logvar", logvar)
    same_shape(mu=mu, logvar=logvar)


def broadcasts_to(name: str, value: torch.Tensor, shape: torch.Size) -> None:
    try:
        ok = torch.broadcast_shapes(value.shape, shape) == shape
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(
            f"{name} must broadcast to shape {tuple(shape)}; got shape {tuple(value.shape)}"
        )
