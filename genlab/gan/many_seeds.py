"""``N`` toy GANs of one config trained at once, and what became of each run.

:class:`ManySeedGANs` stacks ``N`` GANs (:class:`~genlab.models.gan.GroupedGAN`), draws every
run's numbers from the streams a :class:`~genlab.gan.GANTrainer` of that seed would use
(:func:`~genlab.gan.streams.run_streams`) and updates through the same steps
(:mod:`genlab.gan.steps`); :func:`~genlab.gan.metrics.classify_runs` sorts the runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import NamedTuple

import numpy as np
import torch

from genlab._checks import choice, positive_int
from genlab.device import resolve_device
from genlab.gan.config import (
    DEFAULTS,
    OUTCOMES,
    TARGETS,
    GANTrainConfig,
    default_setup,
    init_gan,
)
from genlab.gan.metrics import classify_runs, grid_jsd, mode_coverage, toy_radius
from genlab.gan.steps import (
    apply_gradients,
    clip_discriminator,
    discriminator_terms,
    generator_terms,
)
from genlab.gan.streams import run_streams
from genlab.gan.targets import Target, as_target
from genlab.losses import check_objective
from genlab.losses import discriminator_objective as d_objective
from genlab.losses import generator_objective as g_objective
from genlab.models.gan import GAN, GAN_PRESETS, GANConfig, GroupedGAN, start_critic_at_zero
from genlab.train import History, make_adam


class ManySeedResult(NamedTuple):
    """Outcomes of ``N`` runs (:func:`classify_runs`) with what decided them."""

    seeds: list[int]
    outcomes: list[str]
    jsd: np.ndarray  # (N,) final JSD, nats
    coverage: np.ndarray  # (N,) fraction of modes covered
    diverged_at: list[int | None]  # generator step at which a run was flagged
    reasons: list[str]  # why it was flagged ("" if not)
    counts: dict[str, int]  # outcome -> number of runs
    steps: int
    seconds: float


class ManySeedGANs:
    """``N`` independent toy GANs of one config trained at once (grouped parameters).

    Run ``i`` starts from ``init_gan(model_config, seeds[i])`` and draws its data and noise
    from its own generators, exactly as ``GANTrainer(init_gan(model_config, seeds[i]), target,
    replace(config, seed=seeds[i]))`` would: the grouped runs equal the separate ones up to
    floating-point rounding. Every update sums the ``N`` per-run losses (each a mean over its
    batch), so run ``i``'s gradients depend on run ``i`` only; one Adam over the stacked
    parameters is ``N`` independent Adams (Adam is elementwise).

    ``dtype=torch.float64`` makes the grouped and separate runs agree to rounding (in float32,
    Adam's first steps turn rounding-level gradients into steps of size ``lr``, and the game
    amplifies them).

    A run whose loss turns NaN/Inf, or whose samples explode (beyond 100 times the target's
    radius), is flagged (``diverged_at``, ``reasons``), its parameters at that moment kept in
    ``frozen[i]``, and its slice of the grouped parameters zeroed and frozen (no gradient, no
    Adam state), so the others train on.
    """

    def __init__(
        self,
        n_runs: int,
        model_config: GANConfig | str | None = None,
        target: Target | str = "mixture1d",
        config: GANTrainConfig | None = None,
        seeds: Sequence[int] | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        n_runs = positive_int("n_runs", n_runs)
        name = target.name if isinstance(target, Target) else target
        preset, default_config = DEFAULTS.get(name, ("toy1d", GANTrainConfig()))
        self.config = config = config or default_config
        if config.optimal_d:
            raise ValueError("optimal_d=True is not supported for many-seed runs")
        self.device = resolve_device(config.device)
        self.target = as_target(target, self.device)
        if not self.target.is_toy:
            raise ValueError(f"many-seed runs need a toy target {TARGETS[:3]}; got {name!r}")
        model_config = model_config or preset
        if isinstance(model_config, str):
            model_config = GAN_PRESETS[choice("model_config", model_config, GAN_PRESETS)]
        if tuple(model_config.data_shape) != self.target.data_shape:
            raise ValueError(
                f"model_config.data_shape must match the data {self.target.name!r}, "
                f"{self.target.data_shape}; got {model_config.data_shape}"
            )
        self.seeds = (
            list(range(config.seed, config.seed + n_runs)) if seeds is None else list(seeds)
        )
        if len(self.seeds) != n_runs:
            raise ValueError(f"seeds must hold n_runs = {n_runs} seeds; got {len(self.seeds)}")
        self.model_config = model_config
        self.n = n_runs
        gans = [init_gan(model_config, s) for s in self.seeds]
        if config.objective == "wgan_gp":
            for g in gans:
                start_critic_at_zero(g.discriminator)
        self.model = GroupedGAN(gans).to(device=self.device, dtype=dtype)
        self.d_params = self.model.discriminator_parameters()
        self.g_params = self.model.generator_parameters()
        c = config
        self.d_optimizer = make_adam(
            self.d_params, device=self.device, lr=c.lr_d or c.lr, betas=c.betas
        )
        self.g_optimizer = make_adam(self.g_params, device=self.device, lr=c.lr, betas=c.betas)
        # the same streams as GANTrainer's, one per seed (its prior included)
        latent = model_config.latent_dim
        streams = run_streams(self.target, self.seeds, latent, c, self.device, dtype)
        self._data, self._noise, self._mixing = streams.data, streams.noise, streams.mixing
        self.z_eval = streams.z_eval  # (N, M, Z)
        self.alive = torch.ones(n_runs, dtype=torch.bool, device=self.device)
        self.diverged_at: list[int | None] = [None] * n_runs
        self.reasons = [""] * n_runs
        self.frozen: dict[int, GAN] = {}
        self._to_freeze = False
        self.explode_limit = 100 * toy_radius(self.target)
        self.history = History()
        self.step_count = 0
        self.d_steps = 0
        self.seconds = 0.0
        self._last: dict[str, torch.Tensor] = {}

    # -- divergence bookkeeping ------------------------------------------------------------
    def _flag(self, runs: torch.Tensor, reason: str, values: torch.Tensor) -> None:
        """Record ``runs`` (bool (N,)) as diverged and keep their parameters; they are zeroed
        and frozen after this step's update (the graph still needs them until then)."""
        for i in torch.nonzero(runs & self.alive).flatten().tolist():
            self.frozen[i] = self.model.unstack(i)
            self.diverged_at[i] = self.step_count
            self.reasons[i] = (
                f"{reason} = {float(values[i]):.4g} at generator step {self.step_count}"
            )
        self.alive &= ~runs
        self._to_freeze = True

    @torch.no_grad()
    def _freeze(self) -> None:
        """Zero the flagged runs' parameters and Adam state: finite, and never updated again."""
        dead = ~self.alive
        for opt in (self.d_optimizer, self.g_optimizer):
            for p in (q for group in opt.param_groups for q in group["params"]):
                p.masked_fill_(self._mask(p, dead), 0.0)
                for value in opt.state.get(p, {}).values():
                    if isinstance(value, torch.Tensor) and value.shape == p.shape:
                        value.masked_fill_(self._mask(value, dead), 0.0)
        self._to_freeze = False

    @staticmethod
    def _mask(p: torch.Tensor, runs: torch.Tensor) -> torch.Tensor:
        return runs.view(-1, *([1] * (p.ndim - 1)))

    def _guarded_total(self, per_run_fn: Callable[[], torch.Tensor], total: torch.Tensor, key: str):
        """The loss to differentiate: ``total`` if finite, else the per-run losses with the
        non-finite runs flagged and left out."""
        if bool(torch.isfinite(total)):
            return total
        per_run = per_run_fn()  # (N,)
        bad = ~torch.isfinite(per_run.detach())
        self._flag(bad, key, per_run.detach())
        return torch.where(self.alive, per_run, torch.zeros_like(per_run)).sum()

    def _update(self, loss: torch.Tensor, optimizer) -> None:
        apply_gradients(loss, optimizer, None if bool(self.alive.all()) else self.alive)
        if self._to_freeze:
            self._freeze()

    # -- the two updates -------------------------------------------------------------------
    def step_d(self) -> None:
        c = self.config
        x_real = self._data.take(c.batch_size)  # (N, B, D)
        z = self._noise.take(c.batch_size)  # (N, B, Z)
        # (1) update D: descend each run's J_D with its generator held fixed
        with torch.no_grad():
            x_fake = self.model.generator(z)  # (N, B, Z) -> (N, B, D)
            size = torch.nan_to_num(x_fake.abs(), nan=math.inf).flatten(1).amax(1)  # (N,)
            exploded = (size > self.explode_limit) & self.alive
            if bool(exploded.any()):
                self._flag(exploded, "max |G(z)|", size)
        r1 = c.r1 * c.r1_every if self.d_steps % c.r1_every == 0 else 0.0
        mixing = self._mixing.take(c.batch_size) if c.objective == "wgan_gp" else None  # (N, B)
        # the sum of the per-run means (N, B) -> (), and each run's penalties (N,)
        total, real, fake, penalty, gradient_penalty = discriminator_terms(
            self.model, x_real, x_fake, c.objective, r1, c.gp, mixing
        )
        per_run = partial(torch.func.vmap(partial(d_objective, c.objective)), real, fake)
        if penalty is not None:
            per_run = partial(lambda f, p: f() + r1 * p, per_run, penalty)
        if gradient_penalty is not None:
            per_run = partial(lambda f, p: f() + c.gp * p, per_run, gradient_penalty)
        loss = self._guarded_total(per_run, total, "d_loss")
        self._update(loss, self.d_optimizer)
        clip_discriminator(self.model)
        self.d_steps += 1
        self._last.update(real=real.detach(), fake=fake.detach())

    def step_g(self) -> None:
        c = self.config
        z = self._noise.take(c.batch_size)
        # (2) update G: descend each run's J_G(D(G(z))) with its discriminator held fixed
        total, fake = generator_terms(self.model, z, c.objective)  # fake (N, B)
        per_run = partial(torch.func.vmap(partial(g_objective, c.objective)), fake)
        loss = self._guarded_total(per_run, total, "g_loss")
        self._update(loss, self.g_optimizer)
        self.step_count += 1
        self._last["fake_g"] = fake.detach()
        if self.step_count % c.log_every == 0:
            self._log()

    def step(self) -> None:
        for _ in range(self.config.k):
            self.step_d()
        self.step_g()

    def train(self, steps: int | None = None) -> ManySeedGANs:
        """``steps`` (default: the config's) generator steps of every run."""
        steps = self.config.steps if steps is None else positive_int("steps", steps)
        started = time.perf_counter()
        for _ in range(steps):
            self.step()
        self.seconds += time.perf_counter() - started
        return self

    # -- results ---------------------------------------------------------------------------
    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """Every run's samples at its fixed evaluation ``z``: ``(N, M, D)`` (NaN for flagged
        runs, whose live parameters are zeroed; see ``frozen``)."""
        x = self.model.generator(self.z_eval)
        return torch.where(self._mask(x, self.alive), x, torch.full_like(x, math.nan))

    @torch.no_grad()
    def _log(self) -> None:
        c, last = self.config, self._last
        d_loss = torch.func.vmap(partial(d_objective, c.objective))(last["real"], last["fake"])
        g_loss = torch.func.vmap(partial(g_objective, c.objective))(last["fake_g"])
        dead = ~self.alive
        nan = torch.full_like(d_loss, math.nan)
        entry = {
            "step": self.step_count,
            "d_loss": torch.where(dead, nan, d_loss).tolist(),
            "g_loss": torch.where(dead, nan, g_loss).tolist(),
            "d_real": torch.where(dead, nan, torch.sigmoid(last["real"]).mean(1)).tolist(),
            "d_fake": torch.where(dead, nan, torch.sigmoid(last["fake"]).mean(1)).tolist(),
            "jsd": grid_jsd(self.target, self.samples()).tolist(),
        }
        self.history.append(entry)

    def result(self, jsd_threshold: float | None = None) -> ManySeedResult:
        """Classify every run (:func:`classify_runs`) from its current samples."""
        x = self.samples()
        jsd = grid_jsd(self.target, x)
        outcomes = classify_runs(self.target, x, jsd, ~self.alive.cpu(), jsd_threshold)
        return ManySeedResult(
            seeds=self.seeds,
            outcomes=outcomes,
            jsd=jsd.numpy(),
            coverage=mode_coverage(self.target, x).numpy(),
            diverged_at=list(self.diverged_at),
            reasons=list(self.reasons),
            counts={o: outcomes.count(o) for o in OUTCOMES},
            steps=self.step_count,
            seconds=self.seconds,
        )


def compare_objectives(
    objectives: Sequence[str] = ("minimax", "non_saturating", "kl"),
    n_runs: int = 32,
    dataset: str = "mixture1d",
    progress: bool = False,
    **overrides,
) -> dict[str, ManySeedResult]:
    """:class:`ManySeedGANs` of the default GAN for ``dataset`` under each objective (same
    seeds, same initialisations); keyword overrides of the training config (``steps=``,
    ``r1=``, ...). ``progress=True`` shows a bar over the objectives (tqdm.auto). Returns
    objective -> :class:`ManySeedResult`."""
    model_config, config = default_setup(dataset)
    out = {}
    if progress:
        from tqdm.auto import tqdm

        objectives = tqdm(list(objectives), desc="objectives", leave=False)
    for objective in objectives:
        run_config = replace(config, objective=check_objective(objective), **overrides)
        out[objective] = ManySeedGANs(n_runs, model_config, dataset, run_config).train().result()
    return out
