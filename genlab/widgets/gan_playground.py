r"""The GAN playground (lectures 05-08): train a toy GAN step by step and watch the game.

1-D (slides "1D intuition", "Optimal discriminator", "Adversarial loss for the optimality"):
the data density, a KDE of the generator's samples, the discriminator :math:`D(x)` next to the
analytic :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))`, the generator's map
:math:`z \mapsto x`, the loss curves, and a readout of :math:`\mathrm{JSD}(p_{data} \| p_g)`
with :math:`V(D, G)` next to :math:`2\,\mathrm{JSD} - \log 4` (they agree when D is optimal).
2-D: the ring of Gaussians with the discriminator as a heatmap and the two sample clouds, where
mode collapse is visible, and the number of modes the generator covers.

Every number comes from :class:`genlab.gan.GANTrainer` (``step_d``, ``step_g``, ``picture``);
the widget only draws. Frames are SVG strings (:mod:`genlab.widgets._svg`), not matplotlib
redraws, so training plus redraw stays well above 10 frames per second on a laptop CPU.
The Play button is an ``ipywidgets.Play``: the browser ticks it, and each tick runs one frame
(``steps per frame`` training steps, then a redraw) in the kernel.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace

import ipywidgets as widgets
import numpy as np

from genlab._checks import choice, positive_int
from genlab.gan import (
    OBJECTIVES,
    PRIORS,
    GANTrainConfig,
    GANTrainer,
    default_setup,
    init_gan,
    make_target,
    modes_covered,
)
from genlab.losses import GENERATOR_KINDS
from genlab.train import TrainingDiverged
from genlab.widgets._common import DESCRIPTION_STYLE, SLIDER_LAYOUT, float_slider, panel, row
from genlab.widgets._image import to_png
from genlab.widgets._svg import SvgPlot

__all__ = ["gan_playground"]

DATA, FAKE, DISC, OPTIMAL = "#2a9d55", "#8e44ad", "#1f6fb4", "#222222"
D_LOSS, G_LOSS = "#1f6fb4", "#8e44ad"
WIDTHS = (4, 8, 16, 32, 64, 128)
TARGETS_2D = ("ring", "mixture2d")
LOG4 = math.log(4.0)
CURVE_STEPS = 400  # steps of loss curve shown


def _means(modes: int, separation: float) -> list[float]:
    """``modes`` means centred on 0, ``separation`` apart."""
    return [(i - (modes - 1) / 2) * separation for i in range(modes)]


def _log_slider(description, value, low_exp, high_exp):
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=low_exp,
        max=high_exp,
        step=0.1,
        description=description,
        readout_format=".1e",
        continuous_update=False,
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(**SLIDER_LAYOUT),
    )


def _int_slider(description, value, low, high):
    return widgets.IntSlider(
        value=value,
        min=low,
        max=high,
        description=description,
        continuous_update=False,
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(**SLIDER_LAYOUT),
    )


def _dropdown(description, options, value):
    return widgets.Dropdown(
        options=list(options),
        value=value,
        description=description,
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(width="22em"),
    )


class _Playground:
    """State and callbacks behind :func:`gan_playground` (tests reach it as ``box.state``)."""

    def __init__(self, dim, target, config, model_config, steps_per_frame, interval_ms):
        self.dim = dim
        self.base_config = config
        self.model_config = model_config
        self.curves: dict[str, deque] = {k: deque(maxlen=CURVE_STEPS) for k in ("d", "g")}
        self.jsd_curve: deque = deque(maxlen=CURVE_STEPS)
        self.error = ""
        c = config
        # -- controls -------------------------------------------------------------------
        if dim == 1:
            self.modes = _int_slider("modes", 2, 1, 3)
            self.separation = float_slider(
                "separation", 4.0, 1.0, 6.0, 0.5, continuous_update=False
            )
            self.std = float_slider("mode std", 0.5, 0.1, 1.0, 0.05, continuous_update=False)
            target_controls = [self.modes, self.separation, self.std]
        else:
            self.target_name = _dropdown("target", TARGETS_2D, target)
            target_controls = [self.target_name]
        self.prior = _dropdown("noise p(z)", PRIORS, c.prior)
        self.g_width = _dropdown("G width", WIDTHS, model_config.g_hidden[0])
        self.d_width = _dropdown("D width", WIDTHS, model_config.d_hidden[0])
        self.objective = _dropdown("objective", OBJECTIVES, c.objective)
        self.lr_g = _log_slider("lr G", c.lr, -4, -1.5)
        self.lr_d = _log_slider("lr D", c.lr_d or c.lr, -4, -1.5)
        self.k = _int_slider("k (D steps)", c.k, 1, 10)
        self.optimal = widgets.Checkbox(value=False, description="D = D* (optimal)", indent=False)
        self.steps_per_frame = _int_slider("steps/frame", steps_per_frame, 1, 50)
        self.play = widgets.Play(
            value=0,
            min=0,
            max=10**9,
            step=1,
            interval=interval_ms,
            description="Play",
            show_repeat=False,
        )
        self.step_d_button = widgets.Button(description="Step D", tooltip="one discriminator step")
        self.step_g_button = widgets.Button(description="Step G", tooltip="one generator step")
        self.step_button = widgets.Button(description="Step", tooltip="k D steps, then one G step")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        for b in (self.step_d_button, self.step_g_button, self.step_button, self.reset_button):
            b.layout.width = "7em"
        self.plot = widgets.HTML()
        self.plot.add_class("genlab-gan-plot")
        self.readout = widgets.HTML()
        self.readout.add_class("genlab-gan-readout")
        self.target_controls = target_controls
        # -- the trainer ------------------------------------------------------------------
        self.trainer = GANTrainer(init_gan(model_config, c.seed), self._target(), config)
        self.last_picture = None
        # -- wiring -----------------------------------------------------------------------
        self.play.observe(self._on_play, names="value")
        self.step_d_button.on_click(lambda _: self.step_d())
        self.step_g_button.on_click(lambda _: self.step_g())
        self.step_button.on_click(lambda _: self.frame(steps=1))
        self.reset_button.on_click(lambda _: self.reset())
        for control in (*target_controls, self.prior, self.g_width, self.d_width):
            control.observe(lambda _: self.rebuild(), names="value")
        for control in (self.objective, self.lr_g, self.lr_d, self.k, self.optimal):
            control.observe(lambda _: self.reconfigure(), names="value")
        self._sync_optimal()
        self.redraw()

    # -- building ------------------------------------------------------------------------
    def _target(self):
        if self.dim == 1:
            means = _means(self.modes.value, self.separation.value)
            return make_target("mixture1d", means=means, stds=self.std.value)
        return make_target(self.target_name.value)

    def _config(self) -> GANTrainConfig:
        objective = self.objective.value
        return replace(
            self.base_config,
            objective=objective,
            lr=self.lr_g.value,
            lr_d=self.lr_d.value,
            k=self.k.value,
            prior=self.prior.value,
            optimal_d=self.optimal.value and objective in GENERATOR_KINDS,
        )

    def _sync_optimal(self) -> None:
        """D* is the optimal discriminator of the GAN game: only for minimax/non-saturating."""
        self.optimal.disabled = self.objective.value not in GENERATOR_KINDS
        if self.optimal.disabled and self.optimal.value:
            self.optimal.value = False  # fires reconfigure once more

    def _clear(self) -> None:
        for curve in (*self.curves.values(), self.jsd_curve):
            curve.clear()
        self.error = ""

    def rebuild(self) -> None:
        """A new target, prior or architecture: a fresh GAN from the same seed."""
        self.stop()
        self.model_config = replace(
            self.model_config,
            g_hidden=(self.g_width.value,) * len(self.model_config.g_hidden),
            d_hidden=(self.d_width.value,) * len(self.model_config.d_hidden),
        )
        config = self._config()
        model = init_gan(self.model_config, config.seed)
        self.trainer = GANTrainer(model, self._target(), config)
        self._clear()
        self.redraw()

    def reconfigure(self) -> None:
        """Objective, learning rates, k or D* mode: changed live, between steps."""
        self._sync_optimal()
        self.trainer.configure(**{k: getattr(self._config(), k) for k in _LIVE})
        self.redraw()

    def reset(self) -> None:
        """Back to the initial weights with the current settings."""
        self.stop()
        self.trainer.configure(prior=self.prior.value)
        self.trainer.reset()
        self._clear()
        self.redraw()

    def stop(self) -> None:
        self.play.playing = False

    # -- stepping ------------------------------------------------------------------------
    def _guarded(self, fn) -> bool:
        try:
            fn()
        except TrainingDiverged as err:
            self.stop()
            self.error = str(err)
            return False
        return True

    def _record(self) -> None:
        last = self.trainer.last
        if "d_loss" in last:
            self.curves["d"].append(last["d_loss"])
        if "g_loss" in last:
            self.curves["g"].append(last["g_loss"])

    def step_d(self) -> None:
        """One discriminator update; the generator does not move."""
        self._guarded(self.trainer.step_d)
        self.redraw()

    def step_g(self) -> None:
        """One generator update against the current discriminator."""
        if self._guarded(self.trainer.step_g):
            self._record()
        self.redraw()

    def frame(self, steps: int | None = None) -> None:
        """``steps`` (default: the slider's) full steps, then one redraw."""
        steps = self.steps_per_frame.value if steps is None else positive_int("steps", steps)
        for _ in range(steps):
            if not self._guarded(self.trainer.step):
                break
            self._record()
        self.redraw()

    def _on_play(self, change) -> None:
        if change["new"] != 0 and not self.error:
            self.frame()

    # -- drawing -------------------------------------------------------------------------
    def redraw(self) -> None:
        pic = self.trainer.picture()
        self.last_picture = pic
        if self.trainer.step_count and (not self.jsd_curve or self._new_step()):
            self.jsd_curve.append((self.trainer.step_count, pic.jsd))
        self.plot.value = self._panels(pic)
        self.readout.value = self._readout(pic)

    def _new_step(self) -> bool:
        return self.jsd_curve[-1][0] != self.trainer.step_count

    def _panels(self, pic) -> str:
        main = self._main_1d(pic) if self.dim == 1 else self._main_2d(pic)
        side = self._generator_map() if self.dim == 1 else self._coverage(pic)
        return (
            f'<div style="display:flex;flex-wrap:wrap;gap:6px">{main}{side}{self._losses()}</div>'
        )

    def _main_1d(self, pic) -> str:
        x = pic.axis.numpy()
        p_data, p_g = pic.p_data.numpy(), pic.p_g.numpy()
        top = 1.15 * max(float(p_data.max()), 1e-6)
        plot = SvgPlot(470, 250, (x[0], x[-1]), (0.0, 1.05), margin=(34, 10, 22, 22))
        # densities share the [0, 1.05] axis with D: scaled by the data density's peak
        plot.area(x, p_data / top, DATA, 0.35).area(x, np.minimum(p_g / top, 1.04), FAKE, 0.3)
        # D* = p_data / (p_data + p_g) is drawn where either density has mass
        mass = p_data + p_g
        d_star = np.where(mass > 1e-3 * mass.max(), pic.d_star.numpy(), np.nan)
        plot.line(x, d_star, OPTIMAL, 1.4, dash="5,3")
        plot.line(pic.d_axis.numpy(), pic.d.numpy(), DISC, 2.0)
        plot.line([x[0], x[-1]], [0.5, 0.5], "#aaa", 0.8, dash="2,3")
        plot.legend([("p_data", DATA), ("p_g (KDE)", FAKE), ("D(x)", DISC), ("D*(x)", OPTIMAL)])
        plot.axes(xlabel="x", ylabel="D / scaled density", yticks=[0, 0.5, 1])
        return plot.svg()

    def _generator_map(self) -> str:
        gmap = self.trainer.generator_map(n=121, span=3.0 if self.prior.value == "normal" else 1.8)
        z, x = gmap.z.cpu().numpy(), gmap.x[:, 0].detach().cpu().numpy()
        lo, hi = float(self.trainer.target.grid_axis[0]), float(self.trainer.target.grid_axis[-1])
        plot = SvgPlot(220, 250, (z[0], z[-1]), (lo, hi), margin=(34, 8, 22, 22))
        for mean in self.trainer.target.modes[:, 0].numpy():
            plot.line([z[0], z[-1]], [mean, mean], DATA, 0.8, dash="3,3")
        plot.line(z, x, FAKE, 2.0)
        plot.legend([("x = G(z)", FAKE)])
        plot.axes(xlabel="z", ylabel="x")
        return plot.svg()

    def _main_2d(self, pic) -> str:
        a = pic.d_axis.numpy()
        plot = SvgPlot(330, 330, (a[0], a[-1]), (a[0], a[-1]), margin=(34, 8, 22, 22))
        heat = to_png(pic.d.flip(0).float(), scale=1, cmap="RdBu")  # row 0 = top = largest y
        plot.image(heat, opacity=0.75)
        real = self.trainer.x_eval[:512].cpu().numpy()
        fake = pic.samples[:512].numpy()
        plot.points(real[:, 0], real[:, 1], DATA, 2.2, 0.7)
        plot.points(fake[:, 0], fake[:, 1], FAKE, 2.4, 0.85)
        plot.legend([("data", DATA), ("G(z)", FAKE), ("D(x): red 0 .. blue 1", DISC)])
        plot.axes()
        return plot.svg()

    def _coverage(self, pic) -> str:
        target = self.trainer.target
        covered = modes_covered(target, pic.samples[None])[0]
        modes = target.modes.numpy()
        lo, hi = float(target.grid_axis[0]), float(target.grid_axis[-1])
        plot = SvgPlot(200, 200, (lo, hi), (lo, hi), margin=(10, 8, 22, 10))
        hit = covered.numpy().astype(bool)
        plot.points(modes[hit, 0], modes[hit, 1], DATA, 9, 0.9)
        plot.points(modes[~hit, 0], modes[~hit, 1], "#bbbbbb", 9, 0.9)
        plot.legend([(f"modes covered {int(hit.sum())}/{len(hit)}", DATA)])
        plot.axes(xticks=[], yticks=[])
        return plot.svg()

    def _losses(self) -> str:
        d, g = np.array(self.curves["d"]), np.array(self.curves["g"])
        n = max(len(d), len(g), 2)
        values = np.concatenate([d, g]) if len(d) + len(g) else np.zeros(1)
        values = values[np.isfinite(values)]
        lo = float(min(values.min(), 0.0)) if len(values) else 0.0
        hi = float(values.max()) if len(values) else 1.0
        hi = hi if hi > lo else lo + 1.0
        first = self.trainer.step_count - n + 1
        plot = SvgPlot(360, 150, (first, first + n - 1), (lo, hi + 0.05 * (hi - lo)))
        if len(d):
            plot.line(np.arange(len(d)) + self.trainer.step_count - len(d) + 1, d, D_LOSS, 1.2)
        if len(g):
            plot.line(np.arange(len(g)) + self.trainer.step_count - len(g) + 1, g, G_LOSS, 1.2)
        plot.legend([("D loss", D_LOSS), ("G loss", G_LOSS)])
        plot.axes(xlabel="generator step")
        jsd = np.array(self.jsd_curve) if self.jsd_curve else np.zeros((0, 2))
        side = SvgPlot(330 if self.dim == 1 else 200, 150, (first, first + n - 1), (0.0, LOG4 / 2))
        if len(jsd):
            side.line(jsd[:, 0], jsd[:, 1], "#c0392b", 1.6)
        side.legend([("JSD(p_data ‖ p_g)", "#c0392b")])
        side.axes(xlabel="generator step", yticks=[0, 0.2, 0.4, 0.6])
        return plot.svg() + side.svg()

    def _readout(self, pic) -> str:
        t = self.trainer
        last = t.last
        d_real, d_fake = last.get("d_real", math.nan), last.get("d_fake", math.nan)
        mode = "D = D* (analytic)" if t.config.optimal_d else "D trained"
        cells = [
            ("generator steps", f"{t.step_count}"),
            ("discriminator steps", f"{t.d_steps}"),
            ("JSD(p_data ‖ p_g)", f"{pic.jsd:.4f} nats"),
            ("V(D, G)", f"{pic.value:.4f}"),
            ("2 JSD − log 4", f"{2 * pic.jsd - LOG4:.4f}"),
            ("mean D(x) real / fake", f"{d_real:.3f} / {d_fake:.3f}"),
            ("mode", f"{mode}, {t.config.objective}"),
        ]
        body = "".join(
            f"<tr><td style='padding-right:1em'>{k}</td>"
            f"<td style='font-family:monospace;text-align:right'>{v}</td></tr>"
            for k, v in cells
        )
        note = (
            "<div style='color:#666;max-width:36em'>For every D, V(D, G) ≤ 2 JSD − log 4, with "
            "equality at D = D*: tick <i>D = D* (optimal)</i> and the two agree, up to the "
            "error of the KDE behind p_g.</div>"
        )
        error = f"<div class='genlab-gan-error' style='color:#b00'>{self.error}</div>"
        return f"<table>{body}</table>{note}{error if self.error else ''}"


_LIVE = ("objective", "lr", "lr_d", "k", "optimal_d")


def gan_playground(
    dim: int = 1,
    *,
    target: str = "ring",
    objective: str | None = None,
    seed: int = 0,
    steps_per_frame: int = 10,
    interval_ms: int = 100,
    device: str = "cpu",
) -> widgets.VBox:
    r"""A GAN Lab-style playground for a toy GAN, 1-D (``dim=1``) or 2-D (``dim=2``).

    1-D: a mixture of one to three Gaussians (sliders: modes, separation, std). 2-D: ``target``
    ``"ring"`` (eight Gaussians, where mode collapse shows) or ``"mixture2d"``. Controls: noise
    prior, G and D widths (these rebuild the GAN), objective, learning rates, ``k`` and the
    D = D* mode (these act between steps); Play / Pause (``box.play``), Step D, Step G, Step,
    Reset. ``steps_per_frame`` training steps run per Play tick of ``interval_ms``.
    Toy GANs are latency-bound, so ``device`` defaults to the CPU, faster than a GPU here.

    Returns a ``VBox`` with the CSS class ``genlab-gan-playground``; ``box.state`` holds the
    trainer (``box.state.trainer``), the controls and ``frame()``, ``step_d()``, ``step_g()``,
    ``reset()``; ``box.plot`` is the SVG panel and ``box.readout`` the numbers.
    """
    if dim not in (1, 2) or isinstance(dim, bool):
        raise ValueError(f"dim must be 1 (a 1-D mixture) or 2 (ring or mixture2d); got {dim!r}")
    name = "mixture1d" if dim == 1 else choice("target", target, TARGETS_2D)
    model_config, config = default_setup(name)
    changes = {"device": device, "seed": int(seed), "eval_samples": 2048, "log_every": 10**9}
    if objective is not None:
        changes["objective"] = choice("objective", objective, OBJECTIVES)
    config = replace(config, **changes)
    steps_per_frame = positive_int("steps_per_frame", steps_per_frame)
    interval_ms = positive_int("interval_ms", interval_ms, minimum=10)
    state = _Playground(dim, name, config, model_config, min(steps_per_frame, 50), interval_ms)
    buttons = row(
        [
            state.play,
            state.step_d_button,
            state.step_g_button,
            state.step_button,
            state.reset_button,
        ],
        gap="4px",
    )
    settings = widgets.VBox(
        [
            *state.target_controls,
            state.prior,
            state.g_width,
            state.d_width,
            state.objective,
            state.lr_g,
            state.lr_d,
            state.k,
            state.optimal,
            state.steps_per_frame,
        ]
    )
    top = row([settings, state.readout], align="flex-start")
    return panel(
        "gan-playground",
        [buttons, top, state.plot],
        state=state,
        play=state.play,
        plot=state.plot,
        readout=state.readout,
        buttons={
            "step_d": state.step_d_button,
            "step_g": state.step_g_button,
            "step": state.step_button,
            "reset": state.reset_button,
        },
    )
