"""Random inputs for the questions: float64 unless a case asks for float32."""

from __future__ import annotations

import torch


def randn(g: torch.Generator, *shape: int, scale: float = 1.0, dtype=torch.float64) -> torch.Tensor:
    return scale * torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)


def uniform(g: torch.Generator, *shape: int, low: float, high: float, dtype=torch.float64):
    return (low + (high - low) * torch.rand(shape, generator=g, dtype=torch.float64)).to(dtype)


def number(g: torch.Generator, low: float, high: float) -> float:
    return float(low + (high - low) * torch.rand((), generator=g, dtype=torch.float64))


def dtype_for(case: int, suite: str) -> torch.dtype:
    """Hidden suites end with a float32 case; everything else is float64."""
    return torch.float32 if suite == "hidden" and case == 5 else torch.float64
