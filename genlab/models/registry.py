"""Model classes by name, so that a checkpoint can rebuild the model it stores."""

from __future__ import annotations

from torch import nn

REGISTRY: dict[str, tuple[type[nn.Module], type]] = {}


def register(config_class: type):
    """Class decorator: record ``cls`` (built as ``cls(config)``) under its name."""

    def decorate(cls: type[nn.Module]) -> type[nn.Module]:
        REGISTRY[cls.__name__] = (cls, config_class)
        return cls

    return decorate
