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

import functools
import itertools
import math
from collections import deque
from dataclasses import replace

import ipywidgets as widgets
import torch

from genlab._checks import choice, positive_int
from genlab.device import one_thread
from genlab.gan import (
    OBJECTIVES,
    PRIORS,
    GANTrainConfig,
    GANTrainer,
    classify_runs,
    default_setup,
    init_gan,
    make_target,
    modes_covered,
)
from genlab.losses import GENERATOR_KINDS
from genlab.train import TrainingDiverged
from genlab.widgets._common import float_slider, panel, row
from genlab.widgets._gan_panels import CURVE_STEPS, D_BURST, PanelsMixin

__all__ = ["gan_playground"]

WIDTHS = (4, 8, 16, 32, 64, 128)
R1_CHOICES = (0.0, 1.0, 10.0, 30.0)
TARGETS_2D = ("ring", "mixture2d")
LOG4 = math.log(4.0)
COLLAPSE_EVERY = 50  # while playing, the collapse verdict is renewed every 50 generator steps
CONTROL_STYLE = {"description_width": "6.5em"}
CONTROL_WIDTH = "260px"


def _means(modes: int, separation: float) -> list[float]:
    """``modes`` means centred on 0, ``separation`` apart."""
    return [(i - (modes - 1) / 2) * separation for i in range(modes)]


def _layout() -> widgets.Layout:
    return widgets.Layout(width=CONTROL_WIDTH)


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
        style=CONTROL_STYLE,
        layout=_layout(),
    )


def _int_slider(description, value, low, high):
    return widgets.IntSlider(
        value=value,
        min=low,
        max=high,
        description=description,
        continuous_update=False,
        style=CONTROL_STYLE,
        layout=_layout(),
    )


def _dropdown(description, options, value):
    return widgets.Dropdown(
        options=list(options),
        value=value,
        description=description,
        style=CONTROL_STYLE,
        layout=_layout(),
    )


def _one_thread(method):
    """Train and draw on one CPU thread: the playground's networks have a few hundred
    parameters, and on a machine with other work, torch's second thread spin-waits for it
    (a 1-D frame took 150-1,085 ms on two threads and 26-36 ms on one, side by side)."""

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        with one_thread():
            return method(*args, **kwargs)

    return wrapped


class _Playground(PanelsMixin):
    """State and callbacks behind :func:`gan_playground` (tests reach it as ``box.state``)."""

    def __init__(self, dim, target, config, model_config, steps_per_frame, interval_ms):
        self.dim = dim
        self.base_config = config
        self.model_config = model_config
        # loss curves: (update, value) pairs, where update counts D and G updates together
        self.curves: dict[str, deque] = {k: deque(maxlen=CURVE_STEPS) for k in ("d", "g")}
        self.jsd_curve: deque = deque(maxlen=CURVE_STEPS)
        self.error = ""
        self.uid = f"genlab-gan-{next(_instances)}"  # clip-path ids, unique in the page
        self._classified = (0, False)  # (generator step, mode collapsed?) of the last verdict
        c = config
        # -- controls -------------------------------------------------------------------
        if dim == 1:
            self.modes = _int_slider("modes", 2, 1, 3)
            self.separation = float_slider(
                "separation", 4.0, 1.0, 6.0, 0.5, continuous_update=False
            )
            self.std = float_slider("mode std", 0.5, 0.1, 1.0, 0.05, continuous_update=False)
            for slider in (self.separation, self.std):
                slider.style, slider.layout = CONTROL_STYLE, _layout()
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
        r1_options = sorted({*R1_CHOICES, float(c.r1)})
        self.r1 = _dropdown("R1 γ", [(f"{g:g}", g) for g in r1_options], float(c.r1))
        self.r1.tooltip = "R1 penalty on D's gradient at real data (0: the slides' plain game)"
        self.optimal = widgets.Checkbox(value=False, description="D = D* (optimal)", indent=False)
        self.optimal.layout.width = CONTROL_WIDTH
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
        self.play.layout.width = "108px"
        self.step_d_button = widgets.Button(description="Step D", tooltip="one discriminator step")
        self.step_d_many_button = widgets.Button(
            description=f"Step D ×{D_BURST}",
            tooltip=f"{D_BURST} discriminator steps, the generator frozen: D climbs towards D*",
        )
        self.step_g_button = widgets.Button(description="Step G", tooltip="one generator step")
        self.step_button = widgets.Button(description="Step", tooltip="k D steps, then one G step")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        for b in (self.step_button, self.reset_button, self.step_d_button, self.step_g_button):
            b.layout.width = "76px"
        self.step_d_many_button.layout.width = "108px"
        self.plot = widgets.HTML()
        self.plot.add_class("genlab-gan-plot")
        self.readout = widgets.HTML()
        self.readout.add_class("genlab-gan-readout")
        self.readout.layout.width = CONTROL_WIDTH
        self.target_controls = target_controls
        # -- the trainer ------------------------------------------------------------------
        self.trainer = GANTrainer(init_gan(model_config, c.seed), self._target(), config)
        self.last_picture = None
        # -- wiring -----------------------------------------------------------------------
        self.play.observe(self._on_play, names="value")
        self.step_d_button.on_click(lambda _: self.step_d())
        self.step_d_many_button.on_click(lambda _: self.step_d(D_BURST))
        self.step_g_button.on_click(lambda _: self.step_g())
        self.step_button.on_click(lambda _: self.frame(steps=1))
        self.reset_button.on_click(lambda _: self.reset())
        for control in (*target_controls, self.prior, self.g_width, self.d_width):
            control.observe(lambda _: self.rebuild(), names="value")
        for control in (self.objective, self.lr_g, self.lr_d, self.k, self.r1, self.optimal):
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
            r1=float(self.r1.value),
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
        """Objective, learning rates, k, R1 or D* mode: changed live, between steps."""
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
    @property
    def updates(self) -> int:
        """Discriminator plus generator updates so far: the x-axis of the loss curves."""
        return self.trainer.d_steps + self.trainer.step_count

    def _guarded(self, fn) -> bool:
        try:
            fn()
        except TrainingDiverged as err:
            self.stop()
            self.error = str(err)
            return False
        return True

    def _step_d(self) -> bool:
        if not self._guarded(self.trainer.step_d):
            return False
        self.curves["d"].append((self.updates, self.trainer.last["d_loss"]))
        return True

    def _step_g(self) -> bool:
        if not self._guarded(self.trainer.step_g):
            return False
        self.curves["g"].append((self.updates, self.trainer.last["g_loss"]))
        return True

    @_one_thread
    def step_d(self, steps: int = 1) -> None:
        """``steps`` discriminator updates (recorded); the generator does not move."""
        for _ in range(positive_int("steps", steps)):
            if not self._step_d():
                break
        self.redraw()

    @_one_thread
    def step_g(self) -> None:
        """One generator update against the current discriminator."""
        self._step_g()
        self.redraw()

    @_one_thread
    def frame(self, steps: int | None = None) -> None:
        """``steps`` (default: the slider's) full steps (k D updates, one G), then one redraw."""
        steps = self.steps_per_frame.value if steps is None else positive_int("steps", steps)
        for _ in range(steps):
            if not all(self._step_d() for _ in range(self.trainer.config.k)):
                break
            if not self._step_g():
                break
        self.redraw()

    def _on_play(self, change) -> None:
        if change["new"] != 0 and not self.error:
            self.frame()

    # -- drawing -------------------------------------------------------------------------
    def _id(self, panel: str) -> str:
        return f"{self.uid}-{panel}"

    def redraw(self) -> None:
        pic = self.trainer.picture()
        self.last_picture = pic
        updates = self.updates
        if updates and (not self.jsd_curve or self.jsd_curve[-1][0] != updates):
            self.jsd_curve.append((updates, pic.jsd))
        self.coverage = self._coverage_of(pic)
        self.plot.value = self._panels(pic)
        self.readout.value = self._readout(pic)

    def _coverage_of(self, pic) -> dict:
        """Modes covered (:func:`genlab.gan.modes_covered`) and whether G has collapsed."""
        target = self.trainer.target
        samples = pic.samples[None]
        covered = modes_covered(target, samples)[0].numpy().astype(bool)
        steps = self.trainer.step_count
        if covered.all() or steps == 0:  # it cannot have collapsed
            self._classified = (steps, False)
        elif not self.play.playing or steps - self._classified[0] >= COLLAPSE_EVERY:
            outcome = classify_runs(target, samples, torch.tensor([pic.jsd]))[0]
            self._classified = (steps, outcome == "mode_collapsed")
        return {"covered": covered, "collapsed": self._classified[1]}


_instances = itertools.count()
_LIVE = ("objective", "lr", "lr_d", "k", "r1", "optimal_d")


def gan_playground(
    dim: int = 1,
    *,
    target: str = "ring",
    objective: str | None = None,
    seed: int = 0,
    steps_per_frame: int = 10,
    interval_ms: int = 100,
    r1: float | None = None,
    device: str = "cpu",
) -> widgets.VBox:
    r"""A GAN Lab-style playground for a toy GAN, 1-D (``dim=1``) or 2-D (``dim=2``).

    1-D: a mixture of one to three Gaussians (sliders: modes, separation, std). 2-D: ``target``
    ``"ring"`` (eight Gaussians, where mode collapse shows) or ``"mixture2d"``. Next to the
    plots: Play / Pause (``box.play``), Step, Reset, Step D, Step D ×50, Step G, the R1 penalty
    γ (``r1``, default the target's preset; 0 is the slides' plain game, where repeated Step D
    brings D onto D*) and the D = D* mode. Under "settings": the target, noise prior, G and D
    widths (these rebuild the GAN), objective, learning rates and ``k`` (these act between
    steps). ``steps_per_frame`` training steps run per Play tick of ``interval_ms``. When the
    generator covers some of the modes only (:func:`genlab.gan.classify_runs`), the plot and
    the readout say "mode collapse". Toy GANs are latency-bound, so ``device`` defaults to the
    CPU, faster than a GPU here.

    Returns a ``VBox`` with the CSS class ``genlab-gan-playground``; ``box.state`` holds the
    trainer (``box.state.trainer``), the controls and ``frame()``, ``step_d(n)``, ``step_g()``,
    ``reset()``; ``box.plot`` is the SVG panel and ``box.readout`` the numbers.
    """
    if dim not in (1, 2) or isinstance(dim, bool):
        raise ValueError(f"dim must be 1 (a 1-D mixture) or 2 (ring or mixture2d); got {dim!r}")
    name = "mixture1d" if dim == 1 else choice("target", target, TARGETS_2D)
    model_config, config = default_setup(name)
    changes = {"device": device, "seed": int(seed), "eval_samples": 2048, "log_every": 10**9}
    if objective is not None:
        changes["objective"] = choice("objective", objective, OBJECTIVES)
    if r1 is not None:
        if isinstance(r1, bool) or not isinstance(r1, int | float) or not r1 >= 0:
            raise ValueError(f"r1 must be a number >= 0 (the R1 penalty weight); got {r1!r}")
        changes["r1"] = float(r1)
    config = replace(config, **changes)
    steps_per_frame = positive_int("steps_per_frame", steps_per_frame)
    interval_ms = positive_int("interval_ms", interval_ms, minimum=10)
    state = _Playground(dim, name, config, model_config, min(steps_per_frame, 50), interval_ms)
    buttons = widgets.VBox(
        [
            row([state.play, state.step_button, state.reset_button], gap="4px"),
            row([state.step_d_many_button, state.step_d_button, state.step_g_button], gap="4px"),
        ]
    )
    settings = widgets.VBox(
        [
            *state.target_controls,
            state.objective,
            state.prior,
            state.g_width,
            state.d_width,
            state.lr_g,
            state.lr_d,
            state.k,
            state.steps_per_frame,
        ]
    )
    advanced = widgets.Accordion(children=[settings], titles=("settings",), selected_index=None)
    advanced.layout.width = "272px"
    controls = widgets.VBox([buttons, state.r1, state.optimal, state.readout, advanced])
    controls.layout.width = "276px"
    controls.layout.flex = "0 0 276px"
    return panel(
        "gan-playground",
        [row([controls, state.plot], align="flex-start", gap="8px")],
        state=state,
        play=state.play,
        plot=state.plot,
        readout=state.readout,
        settings=advanced,
        buttons={
            "step_d": state.step_d_button,
            "step_d_many": state.step_d_many_button,
            "step_g": state.step_g_button,
            "step": state.step_button,
            "reset": state.reset_button,
        },
    )
