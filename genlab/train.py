"""One trainer for every model of the course: in-memory data on the device, batched by index.

The loop is explicit (a step function takes model, batch and optimizer and returns a dict of
numbers), never plots (widgets attach through callbacks), is seeded and bit-for-bit reproducible
on the CPU, and stops with a clear message at the first NaN or Inf loss.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from genlab._checks import choice, positive, positive_int
from genlab.data import digits
from genlab.device import resolve_device
from genlab.models.classifier import CLASSIFIER_PRESETS, ClassifierConfig, DigitClassifier

EVENTS = ("on_step_end", "on_epoch_end", "on_train_end")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the optimizer's settings, the schedule, the device and the logging."""

    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    log_every: int = 10  # steps between history entries (the epoch's last step is always kept)
    progress: bool = True  # a tqdm bar (notebook or terminal)
    amp: bool = False  # bf16 autocast on CUDA; ignored elsewhere
    # torch.compile the model's loss (default step only): on CUDA with CUDA graphs
    # ("reduce-overhead"), on the CPU with Inductor's C++ kernels (needs a C++ compiler).
    compile: bool = False
    # Steps between NaN/Inf checks. None: every step on the CPU (a check is free there), every
    # log_every steps elsewhere (a check waits for the GPU). The step named is always exact.
    check_every: int | None = None

    def __post_init__(self):
        positive_int("epochs", self.epochs)
        positive_int("batch_size", self.batch_size)
        positive("lr", self.lr)
        positive("weight_decay", self.weight_decay, allow_zero=True)
        positive_int("log_every", self.log_every)
        if not isinstance(self.compile, bool):
            raise ValueError(f"compile must be True or False; got {self.compile!r}")
        if self.check_every is not None:
            positive_int("check_every", self.check_every)


class TrainingDiverged(FloatingPointError):
    """Raised when a loss becomes NaN or Inf; the message names the step and the value."""


class History(dict):
    """Every logged quantity as a list, keyed by name, with ``step`` and ``epoch`` alongside."""

    def last(self, name: str) -> float:
        if not self.get(name):
            raise KeyError(f"history has no entries for {name!r}; it has {sorted(self)}")
        return self[name][-1]

    def append(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.setdefault(key, []).append(value)


def default_step(model: nn.Module, batch: tuple[torch.Tensor, ...], optimizer) -> dict:
    """One gradient step on ``model.loss(batch)["loss"]``; returns the loss dict (tensors)."""
    return loss_step(model.loss)(model, batch, optimizer)


def loss_step(loss_fn: Callable) -> Callable:
    """A step function like :func:`default_step` that minimises ``loss_fn(batch)["loss"]``."""

    def step(model: nn.Module, batch: tuple[torch.Tensor, ...], optimizer) -> dict:
        out = loss_fn(batch)
        optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        optimizer.step()
        return out

    return step


def model_loss_step(model: nn.Module, batch, optimizer) -> dict:
    """A step on ``model.loss(batch)["loss"]``, the batch passed whole: for models whose batch is
    not a tuple of tensors to unpack, such as DCIGN's factor batches
    (:func:`genlab.data.factor_batch_data`)."""
    return loss_step(model.loss)(model, batch, optimizer)


def fit_dcign(
    model: nn.Module,
    factor_data,
    epochs: int = 2,
    settle_epochs: int = 1,
    lr: float = 2e-3,
    settle_lr: float = 4e-4,
    **overrides,
) -> nn.Module:
    """The DC-IGN recipe: ``epochs`` over the factor batches at ``lr``, then ``settle_epochs``
    at the lower ``settle_lr``, one factor batch per step (:func:`model_loss_step`).

    The lower-rate phase settles the units: without it the leak between the two position units
    stays at 0.1-0.35 (see :mod:`genlab.models.dcign`). ``factor_data`` is
    :func:`genlab.data.factor_batch_data`; ``overrides`` go to :class:`TrainConfig` (``seed``,
    ``device``, ``progress``). Returns ``model``, trained, in eval mode.
    """
    settle_epochs = positive_int("settle_epochs", settle_epochs)
    positive("settle_lr", settle_lr)
    config = TrainConfig(**{"seed": 0, **overrides, "epochs": epochs, "batch_size": 1, "lr": lr})
    trainer = Trainer(model, config, step_fn=model_loss_step)
    batches = tuple(factor_data)
    trainer.fit(batches)
    for group in trainer.optimizer.param_groups:
        group["lr"] = settle_lr
    trainer.fit(batches, epochs=settle_epochs)
    return model


def make_adam(
    params,
    config: TrainConfig | None = None,
    device: torch.device | str = "cpu",
    *,
    lr: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    weight_decay: float | None = None,
) -> torch.optim.Adam:
    """Adam with the fused kernel (one op for all parameters) where this PyTorch has it.

    ``params`` is a module or an iterable of parameters; ``lr`` and ``weight_decay`` default to
    ``config``'s. For the course's small models the optimizer's per-parameter overhead is a
    fifth of a step; the fused kernel removes most of it. Falls back to the default
    implementation elsewhere. Every trainer of genlab builds its optimizers here.
    """
    if isinstance(params, nn.Module):
        params = params.parameters()
    params = list(params)
    kwargs = dict(
        lr=lr if lr is not None else (config.lr if config is not None else 1e-3),
        betas=betas,
        weight_decay=(
            weight_decay
            if weight_decay is not None
            else (config.weight_decay if config is not None else 0.0)
        ),
    )
    if torch.device(device).type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.optim.Adam(params, **kwargs)


class Callbacks:
    """``add_callback(event, fn)`` and ``_fire(event)`` for a trainer; ``EVENTS`` lists the
    events a subclass fires. ``fn(trainer)`` may read the trainer and set ``stop_requested``."""

    EVENTS: tuple[str, ...] = ()

    def add_callback(self, event: str, fn: Callable) -> Callbacks:
        """Call ``fn(trainer)`` at ``event`` (one of ``EVENTS``)."""
        choice("event", event, self.EVENTS)
        if not hasattr(self, "callbacks"):
            self.callbacks: dict[str, list[Callable]] = defaultdict(list)
        self.callbacks[event].append(fn)
        return self

    def _fire(self, event: str) -> None:
        for fn in getattr(self, "callbacks", {}).get(event, ()):
            fn(self)


def _as_tensors(data, device: torch.device) -> tuple[torch.Tensor, ...]:
    if isinstance(data, torch.Tensor):
        data = (data,)
    if not isinstance(data, Sequence) or not data:
        raise ValueError(
            "data must be a tensor or a tuple of tensors with one row per sample; "
            f"got {type(data).__name__}"
        )
    tensors = []
    for i, t in enumerate(data):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"data[{i}] must be a torch.Tensor; got {type(t).__name__}")
        if len(t) != len(data[0]):
            raise ValueError(
                f"data[{i}] has {len(t)} rows but data[0] has {len(data[0])}; "
                "every tensor needs one row per sample"
            )
        tensors.append(t.to(device))
    if len(tensors[0]) == 0:
        raise ValueError("data must hold at least one sample")
    return tuple(tensors)


def _number(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _loss_of(out) -> torch.Tensor:
    """The scalar loss tensor of a step function's result, or a clear error."""
    if not isinstance(out, dict) or "loss" not in out:
        got = f"keys {sorted(out)}" if isinstance(out, dict) else type(out).__name__
        raise ValueError(f"step_fn must return a dict with a scalar tensor 'loss'; got {got}")
    loss = out["loss"]
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else repr(loss)
        raise ValueError(f"step_fn's 'loss' must be a scalar (0-d) tensor; got {got}")
    return loss


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", leave=False)


class Trainer(Callbacks):
    """Train ``model`` with Adam on in-memory data.

    ``step_fn(model, batch, optimizer) -> dict`` does one update (default: minimise
    ``model.loss(batch)["loss"]``); every entry of its dict is logged. Callbacks
    (``add_callback(event, fn)``, events ``on_step_end``, ``on_epoch_end``, ``on_train_end``)
    receive the trainer, whose ``history``, ``step``, ``epoch`` and ``last`` they may read.
    """

    EVENTS = EVENTS

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig = TrainConfig(),
        step_fn: Callable | None = None,
        optimizer: torch.optim.Optimizer | None = None,
    ):
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        self.config = config
        self.device = resolve_device(config.device)
        self.model = model.to(self.device)
        self.step_fn = step_fn or default_step
        self._cuda_graphs = False
        if config.compile:
            if step_fn is not None:
                raise ValueError(
                    "compile=True compiles the default step (model.loss); a custom step_fn "
                    "should torch.compile what it needs itself"
                )
            self._cuda_graphs = self.device.type == "cuda"
            mode = "reduce-overhead" if self._cuda_graphs else "default"
            self.step_fn = loss_step(torch.compile(model.loss, mode=mode, dynamic=False))
        self.check_every = config.check_every or (
            1 if self.device.type == "cpu" else config.log_every
        )
        self.optimizer = optimizer or make_adam(model, config, self.device)
        self.callbacks: dict[str, list[Callable]] = defaultdict(list)
        self.history = History()
        self.step = 0
        self.epoch = 0
        self.last: dict[str, float] = {}
        self.stop_requested = False

    def _autocast(self):
        if self.config.amp and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _check_finite(self, pending: list[torch.Tensor]) -> None:
        """Raise at the first non-finite loss in ``pending`` (the losses of the latest steps,
        the last one this step's); one host-device sync for all of them."""
        values = torch.stack(pending).tolist()  # in the loss's own dtype: nothing becomes inf
        bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
        if bad is None:
            return
        late = len(values) - 1 - bad
        checked = (
            f" Losses are checked every {self.check_every} steps on {self.device.type}, so it "
            f"ran {late} more step(s) before stopping."
            if late
            else ""
        )
        raise TrainingDiverged(
            f"training diverged at step {self.step - late} (epoch {self.epoch}): loss = "
            f"{values[bad]}. Try a smaller learning rate (now {self.config.lr:g}), or "
            "clamp the encoder's log-variance; training was stopped, not continued on NaN."
            + checked
        )

    def fit(self, data, epochs: int | None = None) -> History:
        """Train for ``epochs`` (default: the config's) more epochs; return the history."""
        epochs = positive_int("epochs", epochs) if epochs is not None else self.config.epochs
        tensors = _as_tensors(data, self.device)
        n = len(tensors[0])
        batch_size = min(self.config.batch_size, n)
        generator = torch.Generator(device="cpu").manual_seed(self.config.seed + self.epoch)
        bar = _progress(epochs, self.config.progress)
        pending: list[torch.Tensor] = []  # losses since the last finite check, on the device
        self.model.train()
        self.stop_requested = False
        started = time.perf_counter()
        try:
            for _ in range(epochs):
                # A fresh permutation per epoch; the last partial batch is dropped so that
                # every step sees batch_size samples (what the loss means, it means per sample).
                order = torch.randperm(n, generator=generator).to(self.device)
                steps = max(n // batch_size, 1)
                for i in range(steps):
                    idx = order[i * batch_size : (i + 1) * batch_size]
                    batch = tuple(t.index_select(0, idx) for t in tensors)
                    if self._cuda_graphs:  # a new iteration: earlier graph outputs may go
                        torch.compiler.cudagraph_mark_step_begin()
                    with self._autocast():
                        out = self.step_fn(self.model, batch, self.optimizer)
                    self.step += 1
                    log_now = self.step % self.config.log_every == 0 or i == steps - 1
                    # a copy: a CUDA graph's outputs are overwritten by its next replay
                    pending.append(_loss_of(out).detach().clone())
                    if len(pending) == self.check_every or log_now:
                        self._check_finite(pending)
                        pending = []
                    if log_now:
                        self.last = {k: _number(v) for k, v in out.items()}
                        self.history.append({"step": self.step, "epoch": self.epoch, **self.last})
                        self._fire("on_step_end")
                    if self.stop_requested:
                        break
                self.epoch += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in self.last.items()}, refresh=False)
                self._fire("on_epoch_end")
                if self.stop_requested:
                    break
        finally:
            if bar is not None:
                bar.close()
            self.model.eval()
        self.seconds = time.perf_counter() - started
        self._fire("on_train_end")
        return self.history


def fit(model: nn.Module, data, config: TrainConfig | None = None, **overrides) -> History:
    """Train ``model`` on ``data`` (a tensor or tuple of tensors); keyword overrides of the config.

    ``fit(vae, images, epochs=30, lr=2e-3)`` is ``Trainer(vae, TrainConfig(epochs=30, lr=2e-3))
    .fit(images)``. The trained model is left in eval mode on the chosen device.
    """
    config = config or TrainConfig()
    if overrides:
        from dataclasses import replace

        config = replace(config, **overrides)
    return Trainer(model, config).fit(data)


@torch.no_grad()
def evaluate_elbo(model: nn.Module, data, batch_size: int = 1024, seed: int = 0) -> float:
    """Mean per-sample ELBO (nats) of ``model`` on held-out ``data``, in batches, seeded."""
    device = next(model.parameters()).device
    tensors = _as_tensors(data, device)
    generator = torch.Generator(device=device).manual_seed(seed)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(tensors[0]), batch_size):
        x = tensors[0][start : start + batch_size]
        elbo = model.elbo(x, generator=generator).elbo
        total += float(elbo.sum())
        count += len(x)
    model.train(was_training)
    if not math.isfinite(total):
        raise TrainingDiverged(f"held-out ELBO is not finite ({total}); the model diverged")
    return total / count


# ------------------------------------------------------------------- a trained classifier


class TrainedClassifier(NamedTuple):
    model: DigitClassifier  # in eval mode
    test_accuracy: float  # on the 360 held-out digits
    train_accuracy: float
    seconds: float


def train_digit_classifier(
    seed: int = 0,
    device: str | torch.device = "auto",
    epochs: int = 40,
    config: ClassifierConfig = CLASSIFIER_PRESETS["digits"],
) -> TrainedClassifier:
    """Train :class:`DigitClassifier` on ``genlab.data.digits("train")`` (a few seconds on a
    CPU) and report its accuracy on the held-out ``"test"`` split. Seeds torch's global
    generator with ``seed`` (initialisation and dropout draw from it)."""
    torch.manual_seed(seed)
    model = DigitClassifier(config)
    train_config = TrainConfig(
        epochs=epochs,
        batch_size=64,
        lr=2e-3,
        weight_decay=1e-4,
        seed=seed,
        device=str(device),
        progress=False,
    )
    trainer = Trainer(model, train_config)
    started = time.perf_counter()
    x_train, y_train = digits("train")
    trainer.fit((x_train, y_train))
    seconds = time.perf_counter() - started
    x_test, y_test = digits("test", device=trainer.device)
    return TrainedClassifier(
        model.eval(),
        model.accuracy(x_test, y_test),
        model.accuracy(x_train.to(trainer.device), y_train.to(trainer.device)),
        seconds,
    )
