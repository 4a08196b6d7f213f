"""Train one GAN on a target, one step at a time (for widgets) or in a loop.

:class:`GANTrainer` owns a model, two Adams (:func:`genlab.train.make_adam`), the random
streams of its seed (:func:`genlab.gan.streams.run_streams`) and a history; its updates are
the shared steps of :mod:`genlab.gan.steps`. Accessors return what a live plot shows.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import replace
from functools import partial
from typing import NamedTuple

import torch
from torch.distributions import Distribution

from genlab import losses
from genlab._checks import positive_int
from genlab.device import resolve_device
from genlab.gan.config import (
    DEFAULTS,
    OPTIMAL_D_SAMPLES,
    TARGETS,
    GANTrainConfig,
    init_gan,
)
from genlab.gan.densities import kde, optimal_logit
from genlab.gan.metrics import GridDensities, _jsd_on_grid, grid_jsd, grid_kde
from genlab.gan.steps import discriminator_step, generator_step
from genlab.gan.streams import run_streams
from genlab.gan.targets import Target, as_target
from genlab.models.gan import GAN, start_critic_at_zero
from genlab.theory import optimal_logit_from_log_probs
from genlab.train import Callbacks, History, TrainingDiverged, make_adam

EVENTS = ("on_step_end", "on_train_end")


class GeneratorMap(NamedTuple):
    """The generator's mapping along the first latent axis: ``z`` (n,) and ``x = G(z)``."""

    z: torch.Tensor
    x: torch.Tensor


class Picture(NamedTuple):
    r"""One frame of a toy GAN, everything on the target's grid (1-D: ``(G,)``; 2-D: ``(G, G)``
    indexed ``[y, x]``, float64, CPU).

    ``p_data`` exact; ``p_g`` the grid KDE of the evaluation samples (as in :func:`grid_jsd`);
    ``d`` the discriminator's :math:`D(x)` on ``d_axis`` (the grid, or every ``stride``-th node
    of it); ``d_star`` :math:`D^* = p_{data} / (p_{data} + p_g)` from the same two densities
    (1/2 where both vanish); ``samples`` the generator's evaluation samples ``(M, D)``; ``jsd``
    :math:`\mathrm{JSD}(p_{data} \| p_g)` and ``value`` :math:`V(D, G)` in nats.
    """

    axis: torch.Tensor
    p_data: torch.Tensor
    p_g: torch.Tensor
    d_axis: torch.Tensor
    d: torch.Tensor
    d_star: torch.Tensor
    samples: torch.Tensor
    jsd: float
    value: float


class GANTrainer(Callbacks):
    """Train a :class:`GAN` on a target, one step at a time or in a loop.

    ``step_d()`` does one discriminator update (in ``optimal_d`` mode: refits D* to the current
    generator), ``step_g()`` one generator update, ``step()`` does ``k`` of the first and one of
    the second; each returns a dict of floats. ``train(steps)`` loops, logging every
    ``log_every`` generator steps into ``history`` (losses, ``d_real``/``d_fake`` = mean
    :math:`D(x)` on real and fake data, ``jsd`` and ``value`` for toy targets) and calling the
    ``on_step_end`` callbacks there. ``reset()`` restarts from the initial weights;
    ``configure(**changes)`` changes ``k``, the objective, learning rates, ... between steps.
    ``step_count`` counts generator steps and ``d_steps`` discriminator steps.

    Accessors for plots (no gradients; the generator's samples use one fixed ``z``, so a picture
    does not flicker between steps): :meth:`samples`, :meth:`discriminator_on`,
    :meth:`optimal_discriminator_on`, :meth:`generator_map`, :meth:`densities`, :meth:`jsd`.
    A NaN or Inf loss raises :class:`genlab.train.TrainingDiverged` naming the step and value.
    """

    EVENTS = EVENTS

    def __init__(
        self,
        model: GAN | None = None,
        target: Target | str = "mixture1d",
        config: GANTrainConfig | None = None,
    ):
        name = target.name if isinstance(target, Target) else target
        if isinstance(name, str) and name in TARGETS and config is None:
            config = DEFAULTS[name][1]
        self.config = config = config or GANTrainConfig()
        if not isinstance(config, GANTrainConfig):
            raise ValueError(f"config must be a GANTrainConfig; got {type(config).__name__}")
        self.device = resolve_device(config.device)
        self.target = as_target(target, self.device)
        if model is None:
            model = init_gan(DEFAULTS.get(self.target.name, ("toy1d",))[0], config.seed)
        if not isinstance(model, GAN):
            raise ValueError(f"model must be a genlab GAN; got {type(model).__name__}")
        if tuple(model.config.data_shape) != self.target.data_shape:
            raise ValueError(
                f"model.config.data_shape must match the data {self.target.name!r}, "
                f"{self.target.data_shape}; got a generator of output shape "
                f"{model.config.data_shape}"
            )
        if config.optimal_d and not self.target.is_toy:
            raise ValueError(
                f"optimal_d=True needs a target with a known density (mixture1d, mixture2d, "
                f"ring); got {self.target.name!r}"
            )
        self.model = model.to(self.device)
        self._initial_state = copy.deepcopy(model.state_dict())
        self.reset()

    # -- state -----------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> GANTrainer:
        """Back to the initial weights (or, with ``seed``, a fresh initialisation from it), new
        optimizers and random streams, an empty history."""
        if seed is not None:
            self.config = replace(self.config, seed=seed)
            self._initial_state = init_gan(self.model.config, seed).state_dict()
        self.model.load_state_dict(self._initial_state)
        self.model.train()
        c = self.config
        if c.objective == "wgan_gp":
            start_critic_at_zero(self.model.discriminator)
        d_params, g_params = self.model.discriminator, self.model.generator
        self.d_optimizer = make_adam(d_params, device=self.device, lr=c.lr_d or c.lr, betas=c.betas)
        self.g_optimizer = make_adam(g_params, device=self.device, lr=c.lr, betas=c.betas)
        dtype = next(self.model.parameters()).dtype  # float32, or float64 for exact checks
        latent = self.model.config.latent_dim
        streams = run_streams(self.target, [c.seed], latent, c, self.device, dtype)
        self._data, self._noise, self._mixing = streams.data, streams.noise, streams.mixing
        self.z_eval = streams.z_eval[0]  # (M, Z)
        self.x_eval = None if streams.x_eval is None else streams.x_eval[0]  # (M, D)
        self._p_g: Distribution | None = None
        self.history = History()
        self.step_count = 0  # generator steps
        self.d_steps = 0
        self.last: dict[str, float] = {}
        self._last_d: dict[str, float] = {}
        self.seconds = 0.0
        self.stop_requested = False
        return self

    def configure(self, **changes) -> GANTrainer:
        """Change settings between steps, e.g. ``configure(k=5, objective="minimax")``: a new
        (checked) config; ``lr``/``lr_d`` go to the live optimizers at once. ``seed`` and
        ``eval_samples`` take effect at the next :meth:`reset`."""
        self.config = config = replace(self.config, **changes)
        if config.optimal_d and not self.target.is_toy:
            raise ValueError(f"optimal_d=True needs a toy target; got {self.target.name!r}")
        for optimizer, lr in ((self.g_optimizer, config.lr), (self.d_optimizer, config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr or config.lr
        if "optimal_d" in changes:
            self._p_g = None
        return self

    def _check_finite(self, out: dict[str, float], key: str) -> None:
        value = out[key]
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"GAN training diverged at generator step {self.step_count} (discriminator step "
                f"{self.d_steps}): {key} = {value}. Try a smaller learning rate (now lr="
                f"{self.config.lr:g}, lr_d={self.config.lr_d or self.config.lr:g}) or another "
                "objective; training was stopped, not continued on NaN."
            )

    # -- the two updates -------------------------------------------------------------------
    def step_d(self) -> dict[str, float]:
        """One discriminator update (``optimal_d``: set D to D* of the current generator)."""
        c = self.config
        if c.optimal_d:
            # (1) D := D* = p_data / (p_data + p_g), p_g a KDE of fresh generator samples
            with torch.no_grad():
                fakes = self.model.generator(self._noise.take(OPTIMAL_D_SAMPLES)[0])
            if not bool(torch.isfinite(fakes).all()):
                out = {"d_loss": math.nan}
            else:
                self._p_g = kde(fakes, self.target.bandwidth(OPTIMAL_D_SAMPLES))
                with torch.no_grad():
                    real_logits = self._logits(self._data.take(c.batch_size)[0])
                    fake_logits = self._logits(
                        self.model.generator(self._noise.take(c.batch_size)[0])
                    )
                out = {
                    "d_loss": float(losses.discriminator_loss(real_logits, fake_logits)),
                    "d_real": float(torch.sigmoid(real_logits).mean()),
                    "d_fake": float(torch.sigmoid(fake_logits).mean()),
                }
        else:
            x_real = self._data.take(c.batch_size)[0]
            z = self._noise.take(c.batch_size)[0]
            r1 = c.r1 * c.r1_every if self.d_steps % c.r1_every == 0 else 0.0
            mixing = self._mixing.take(c.batch_size)[0] if c.objective == "wgan_gp" else None
            out = discriminator_step(
                self.model, x_real, z, self.d_optimizer, c.objective, r1, c.gp, mixing
            )
            if c.r1 > 0 and "r1" not in out:  # a lazy step: report the last penalty measured
                out["r1"] = self._last_d.get("r1", math.nan)
        self.d_steps += 1
        self._check_finite(out, "d_loss")
        self._last_d = out
        self.last = {**self.last, **out}
        return out

    def step_g(self) -> dict[str, float]:
        """One generator update through the current (or optimal) discriminator."""
        c = self.config
        logit_fn = None
        if c.optimal_d:
            if self._p_g is None:
                self.step_d()
            p_g = self._p_g
            logit_fn = partial(optimal_logit, self.target, p_g)
        z = self._noise.take(c.batch_size)[0]
        out = generator_step(self.model, z, self.g_optimizer, c.objective, logit_fn)
        self.step_count += 1
        self._check_finite(out, "g_loss")
        self.last = {**self._last_d, **out}
        if self.step_count % c.log_every == 0:
            self._log()
        return out

    def step(self) -> dict[str, float]:
        """``k`` discriminator updates, then one generator update; the merged dict."""
        for _ in range(self.config.k):
            self.step_d()
        self.step_g()
        return self.last

    def train(self, steps: int | None = None) -> History:
        """Run ``steps`` (default: the config's) generator steps; return the history (every
        ``log_every``-th step and the last one)."""
        steps = self.config.steps if steps is None else positive_int("steps", steps)
        self.stop_requested = False
        started = time.perf_counter()
        try:
            for _ in range(steps):
                self.step()
                if self.stop_requested:  # a callback may ask to stop
                    break
            if self.step_count % self.config.log_every:
                self._log()  # the last step is always in the history
        finally:
            self.seconds += time.perf_counter() - started
        self._fire("on_train_end")
        return self.history

    def _log(self) -> None:
        entry = {"step": self.step_count, "d_steps": self.d_steps, **self.last}
        if self.target.is_toy:
            with torch.no_grad():
                fakes = self._eval_samples()
            entry["jsd"] = float(grid_jsd(self.target, fakes[None])[0])
            entry["value"] = self._value(fakes)
        self.history.append(entry)
        self._fire("on_step_end")

    def _value(self, fakes: torch.Tensor) -> float:
        """:math:`V(D, G)` on the fixed real and generated evaluation samples (toy targets;
        the first ``OPTIMAL_D_SAMPLES`` of each in ``optimal_d`` mode, where D* is costlier)."""
        n = OPTIMAL_D_SAMPLES if self.config.optimal_d else len(fakes)
        with torch.no_grad():
            real_logits = self._logits(self.x_eval[:n])
            fake_logits = self._logits(fakes[:n])
            return float(losses.gan_value(real_logits.cpu().double(), fake_logits.cpu().double()))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's logits (D*'s in ``optimal_d`` mode, refitted if none yet)."""
        if self.config.optimal_d:
            if self._p_g is None:
                self.step_d()
            return optimal_logit(self.target, self._p_g, x)
        return self.model.discriminator(x)

    # -- accessors for plots ---------------------------------------------------------------
    @torch.no_grad()
    def _eval_samples(self, n: int | None = None) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        x = self.model.generator(self.z_eval[:n])
        self.model.train(was_training)
        return x

    def samples(self, n: int | None = None) -> torch.Tensor:
        """Generator samples :math:`G(z)` for the first ``n`` of the fixed evaluation ``z``."""
        return self._eval_samples(n).detach()

    @torch.no_grad()
    def discriminator_on(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`D(x) = \\sigma(\\ell(x))` of the current discriminator (D* in ``optimal_d``
        mode): ``(B, *shape) -> (B,)``."""
        return torch.sigmoid(self._logits(x.to(self.device, self.z_eval.dtype)))

    @torch.no_grad()
    def optimal_discriminator_on(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`D^*(x)` for the current generator, :math:`p_g` a KDE of the evaluation
        samples (toy targets): ``(B, D) -> (B,)``."""
        m = self.config.eval_samples
        fakes = self._eval_samples()
        p_g = kde(fakes, self.target.bandwidth(m))
        return torch.sigmoid(optimal_logit(self.target, p_g, x.to(self.device, fakes.dtype)))

    @torch.no_grad()
    def generator_map(self, n: int = 201, span: float = 3.0) -> GeneratorMap:
        """:math:`x = G(z)` for ``n`` values of the first latent coordinate in
        ``[-span, span]`` (the others 0): the slide's 1-D picture of the mapping."""
        n = positive_int("n", n, minimum=2)
        z = torch.zeros(n, self.model.config.latent_dim, device=self.device)
        z[:, 0] = torch.linspace(-span, span, n, device=self.device)
        was_training = self.model.training
        self.model.eval()
        x = self.model.generator(z)
        self.model.train(was_training)
        return GeneratorMap(z[:, 0], x)

    def densities(self) -> GridDensities:
        """:math:`p_{data}` (exact) and :math:`\\hat p_g` (KDE of the evaluation samples) on
        the target's grid; ``(G,)`` for 1-D, ``(G, G)`` indexed ``[y, x]`` for 2-D."""
        density, _ = grid_kde(self.target, self._eval_samples()[None])
        shape = (self.target.grid_size,) * self.target.dim
        p_data = self.target.grid_log_p.exp().reshape(shape)
        return GridDensities(self.target.grid_axis, p_data, density[0].reshape(shape))

    def jsd(self) -> float:
        """:func:`grid_jsd` of the current generator's evaluation samples (nats)."""
        return float(grid_jsd(self.target, self._eval_samples()[None])[0])

    def value(self) -> float:
        r""":math:`V(D, G) = E_{p_{data}} \log D(x) + E_{p_z} \log(1 - D(G(z)))` in nats on the
        fixed evaluation samples (toy targets; D* in ``optimal_d`` mode)."""
        if not self.target.is_toy:
            raise ValueError(f"value() needs a toy target; got {self.target.name!r}")
        return self._value(self._eval_samples())

    @torch.no_grad()
    def picture(self, stride: int | None = None) -> Picture:
        """Everything a live plot of a toy GAN shows, in one pass (see :class:`Picture`).

        ``stride``: evaluate D on every ``stride``-th grid node (default 1 in 1-D, 4 in 2-D,
        a 64 x 64 heatmap); the densities, D*, the JSD and V(D, G) use the full grid.
        """
        if not self.target.is_toy:
            raise ValueError(f"picture() needs a toy target; got {self.target.name!r}")
        t = self.target
        stride = positive_int("stride", stride if stride is not None else (1 if t.dim == 1 else 4))
        fakes = self._eval_samples()
        density, inside = grid_kde(t, fakes[None])
        jsd = float(_jsd_on_grid(t, density, inside)[0])
        shape = (t.grid_size,) * t.dim
        log_p, log_q = t.grid_log_p, torch.log(density[0])
        logit = optimal_logit_from_log_probs(log_p, log_q)
        d_axis = t.grid_axis[::stride]
        if t.dim == 1:
            points = d_axis[:, None]
        else:
            gy, gx = torch.meshgrid(d_axis, d_axis, indexing="ij")
            points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        d = self.discriminator_on(points.to(self.z_eval.dtype)).double().cpu()
        return Picture(
            axis=t.grid_axis,
            p_data=log_p.exp().reshape(shape),
            p_g=density[0].reshape(shape),
            d_axis=d_axis,
            d=d.reshape((len(d_axis),) * t.dim),
            d_star=torch.sigmoid(logit).reshape(shape),
            samples=fakes.detach().cpu(),
            jsd=jsd,
            value=self._value(fakes),
        )
