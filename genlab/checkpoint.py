"""Checkpoints: a model's config, weights and training history in one file.

``save(model, path)`` writes them with ``torch.save``; ``load(path, device=...)`` rebuilds the
model from its registered class and config on any device (a GPU-trained checkpoint loads on a
CPU laptop). Loading uses ``weights_only=True`` (no pickled code runs) and verifies a SHA-256
of the weights, so a corrupt, truncated or mismatched file is a clear ``ValueError``, never a
half-loaded model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from genlab._io import atomic_path
from genlab.device import resolve_device
from genlab.models.registry import REGISTRY

FORMAT = "genlab-checkpoint"
FORMAT_VERSION = 1


class Checkpoint(NamedTuple):
    model: nn.Module
    history: dict
    meta: dict


def _digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _plain(value):
    """History and config values as plain Python (what weights_only loading accepts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return float(value)


def save(model: nn.Module, path: str | os.PathLike, history: dict | None = None) -> Path:
    """Write ``model`` (config, weights) and ``history`` to ``path`` atomically; return the path."""
    name = type(model).__name__
    if name not in REGISTRY:
        raise ValueError(
            f"model must be a registered genlab model ({', '.join(sorted(REGISTRY))}); got {name}"
        )
    config = getattr(model, "config", None)
    if not dataclasses.is_dataclass(config):
        raise ValueError(f"model.config must be a config dataclass; got {type(config).__name__}")
    from genlab import __version__

    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "genlab_version": __version__,
        "model_class": name,
        "config": _plain(dataclasses.asdict(config)),
        "state_dict": state,
        "sha256": _digest(state),
        "history": _plain(dict(history or {})),
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def _config_from(config_class: type, values: dict):
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"config fields {unknown} are unknown to {config_class.__name__}")
    # JSON-like storage turns tuples into lists; the config classes normalise them back.
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return config_class(**kwargs)


def load(path: str | os.PathLike, device: str | torch.device = "auto") -> Checkpoint:
    """Rebuild the model stored at ``path`` on ``device``; return ``(model, history, meta)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path.resolve()}")
    target = resolve_device(device)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # zip, pickle or I/O errors all mean the file is unusable
        raise ValueError(
            f"{path} is not a readable genlab checkpoint (corrupt or truncated?): {err}"
        ) from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a genlab checkpoint (no '{FORMAT}' header)")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has checkpoint format {payload.get('format_version')}; this genlab reads "
            f"format {FORMAT_VERSION}"
        )
    name = payload.get("model_class")
    if name not in REGISTRY:
        raise ValueError(f"{path} stores a {name!r}, which this genlab does not know")
    state = payload["state_dict"]
    if _digest(state) != payload.get("sha256"):
        raise ValueError(f"{path} is corrupt: its weights do not match their checksum")
    model_class, config_class = REGISTRY[name]
    try:
        model = model_class(_config_from(config_class, payload["config"]))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, ValueError) as err:
        raise ValueError(f"{path} does not match its model {name}: {err}") from err
    meta = {k: payload[k] for k in ("genlab_version", "model_class", "config")}
    return Checkpoint(model.to(target).eval(), payload.get("history", {}), meta)
