r"""A small digit classifier: the judge that checks what a conditional VAE or a GAN generates.

Lecture 04 asks whether samples of a conditional VAE "look like" the digit they were asked for,
and lecture 08 whether DCGAN samples are recognisable digits. Both questions are answered the
same way: a small MLP trained on the digits' train split labels the generated images, and a
sample counts when it gets the requested (or any) label with confidence
:math:`\max_k p(k \mid x)`. The classifier minimises the cross-entropy
:math:`-\log p(y \mid x) = -\log \operatorname{softmax}(f(x))_y`, mean over the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from genlab._checks import positive_int
from genlab.models.registry import register

__all__ = [
    "CLASSIFIER_PRESETS",
    "Classification",
    "ClassifierConfig",
    "DigitClassifier",
]


@dataclass(frozen=True)
class ClassifierConfig:
    """Configuration of :class:`DigitClassifier`: an MLP on flattened images."""

    input_shape: tuple[int, ...] = (1, 8, 8)
    n_classes: int = 10
    hidden: tuple[int, ...] = (128,)
    dropout: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not self.input_shape or any(s < 1 for s in self.input_shape):
            raise ValueError(f"input_shape must be positive sizes; got {self.input_shape}")
        positive_int("n_classes", self.n_classes, minimum=2)
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden must be positive widths; got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1); got {self.dropout}")


CLASSIFIER_PRESETS: dict[str, ClassifierConfig] = {
    "digits": ClassifierConfig(),
    "mnist": ClassifierConfig(input_shape=(1, 28, 28), hidden=(256,)),
}


class Classification(NamedTuple):
    """What the classifier says about a batch of images."""

    labels: torch.Tensor  # (B,) int64, argmax_k p(k|x)
    confidence: torch.Tensor  # (B,) max_k p(k|x)
    probs: torch.Tensor  # (B, K) p(k|x)


@register(ClassifierConfig)
class DigitClassifier(nn.Module):
    """An MLP ``(B, *input_shape) -> (B, K)`` logits, trained with the cross-entropy."""

    def __init__(self, config: ClassifierConfig = CLASSIFIER_PRESETS["digits"]):
        super().__init__()
        self.config = config
        self.input_shape = config.input_shape
        d = math.prod(config.input_shape)
        sizes = (d, *config.hidden, config.n_classes)
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if i > 0:
                layers += [nn.ReLU(), nn.Dropout(config.dropout)]
            layers.append(nn.Linear(n_in, n_out))
        self.net = nn.Sequential(*layers)  # (B, *shape) -> (B, K)

    def _check_input(self, x) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.shape[1:] != self.input_shape:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"x must have shape (batch, {', '.join(map(str, self.input_shape))}) for this "
                f"DigitClassifier; got {got}"
            )
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits :math:`f(x)`: ``(B, *input_shape) -> (B, K)``."""
        return self.net(self._check_input(x))

    def loss(self, batch) -> dict[str, torch.Tensor]:
        """Cross-entropy, mean over the batch, and the batch accuracy; ``batch = (x, labels)``."""
        x, labels = batch[0], batch[1]
        logits = self(x)
        return {
            "loss": F.cross_entropy(logits, labels),
            "accuracy": (logits.argmax(-1) == labels).float().mean().detach(),
        }

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> Classification:
        """Labels, confidences and probabilities, in eval mode: ``(B, *input_shape) -> ...``."""
        was_training = self.training
        self.eval()
        probs = torch.softmax(self(x), dim=-1)  # (B, K)
        self.train(was_training)
        confidence, labels = probs.max(-1)
        return Classification(labels, confidence, probs)

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, in eval mode: ``(B, *input_shape) -> (B, H)``.

        The course's stand-in for FID's Inception features (lecture 09)."""
        was_training = self.training
        self.eval()
        h = self.net[:-1](self._check_input(x))  # every layer but the output
        self.train(was_training)
        return h

    @torch.no_grad()
    def accuracy(self, x: torch.Tensor, labels: torch.Tensor) -> float:
        """Fraction of ``x`` labelled ``labels``."""
        return float((self.classify(x).labels == labels.to(x.device)).float().mean())
