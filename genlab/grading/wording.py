"""How the checks' messages name what a student submitted and what it was called with."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from genlab.grading.protocol import NamedFunction, Opaque


def describe(value) -> str:
    """A submitted value as a message names it: its type, and its shape or a short repr."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if value is None:
        return "None"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values"
    if isinstance(value, Opaque):
        return value.text if value.type_name == "Tensor" else f"a {value.type_name} ({value.text})"
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, int | float | bool | str | list | dict):
        return f"a Python {type(value).__name__} ({text})"
    return f"a {type(value).__name__} ({text})"


def describe_inputs(inputs: Mapping[str, object]) -> str:
    """A case's inputs as a message lists them: tensors by shape and dtype, functions by name."""
    parts = []
    for name, value in inputs.items():
        if isinstance(value, torch.Tensor):
            shape = "x".join(map(str, value.shape)) or "0-d"
            parts.append(f"{name} ({shape}, {str(value.dtype).removeprefix('torch.')})")
        elif isinstance(value, NamedFunction):
            parts.append(f"{name}(z) = {value.name}")
        else:
            parts.append(f"{name} = {value!r}")
    return ", ".join(parts)
