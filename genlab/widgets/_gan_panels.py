"""What the GAN playground draws (:mod:`genlab.widgets.gan_playground`): the main panel (1-D
densities with D and D*, or the 2-D ring with D as a heatmap), the generator's map or the mode
coverage, the loss and JSD curves, and the readout. Every panel is an SVG string
(:mod:`genlab.widgets._svg`); the numbers come from :meth:`genlab.gan.GANTrainer.picture`."""

from __future__ import annotations

import math

import numpy as np
import torch

from genlab import palette
from genlab.widgets._image import to_png, to_uint8
from genlab.widgets._svg import SvgPlot

DATA, FAKE, DISC = palette.DATA, palette.FAKE, palette.DISCRIMINATOR
OPTIMAL, JSD_COLOR = palette.THEME["reference"], palette.DIVERGENCE
LOG4 = math.log(4.0)
D_BURST = 50  # discriminator steps of the "Step D ×50" button
D_LOSS, G_LOSS = palette.DISCRIMINATOR, palette.FAKE
CURVE_STEPS = 400  # updates of each loss curve shown
EMPTY = "—"  # a value that does not exist yet (no step taken)
#: The heatmap's colour scale for D(x): grey from D = 0 (dark) to D = 1 (white). Grey carries
#: no hue, so the blue data and orange samples stay apart from it under any colour vision.
HEAT_LUT = np.round(np.linspace(0.42, 1.0, 256)[:, None] * 255 * np.ones(3)).astype(np.uint8)


def _number(value: float, fmt: str) -> str:
    """``value`` formatted, or an em dash where it does not exist (NaN, None)."""
    if value is None or not math.isfinite(value):
        return EMPTY
    return format(value, fmt)


class PanelsMixin:
    """The drawing half of the playground: reads its state, returns SVG/HTML strings."""

    def _collapse_note(self) -> str:
        hit = self.coverage["covered"]
        return f"mode collapse: G covers {int(hit.sum())} of {len(hit)} modes"

    def _panels(self, pic) -> str:
        main = self._main_1d(pic) if self.dim == 1 else self._main_2d(pic)
        side = self._generator_map() if self.dim == 1 else self._coverage_panel()
        losses, jsd = self._losses()
        box = "display:flex;gap:6px;align-items:flex-start"
        return (
            f'<div style="display:flex;flex-direction:column;gap:4px">'
            f'<div style="{box}">{main}{side}</div><div style="{box}">{losses}{jsd}</div></div>'
        )

    def _main_1d(self, pic) -> str:
        x = pic.axis.numpy()
        p_data, p_g = pic.p_data.numpy(), pic.p_g.numpy()
        top = 1.15 * max(float(p_data.max()), 1e-6)
        plot = SvgPlot(
            430, 236, (x[0], x[-1]), (0.0, 1.05), margin=(46, 10, 20, 32), clip_id=self._id("main")
        )
        # densities share the [0, 1.05] axis with D: scaled by the data density's peak
        plot.area(x, p_data / top, DATA, 0.35).area(x, np.minimum(p_g / top, 1.04), FAKE, 0.35)
        # D* = p_data / (p_data + p_g) is drawn where either density has mass
        mass = p_data + p_g
        d_star = np.where(mass > 1e-3 * mass.max(), pic.d_star.numpy(), np.nan)
        plot.hline(0.5, palette.THEME["frame"], 0.8, dash="2,3")
        plot.line(x, d_star, OPTIMAL, 1.4, dash="5,3", css_class="genlab-d-star")
        plot.line(pic.d_axis.numpy(), pic.d.numpy(), DISC, 2.2, css_class="genlab-d-line")
        if self.coverage["collapsed"]:
            plot.note(self._collapse_note(), palette.HIGHLIGHT, corner="top-right")
        plot.legend([("p_data", DATA), ("p_g (KDE)", FAKE), ("D(x)", DISC), ("D*(x)", OPTIMAL)])
        plot.axes(xlabel="x", ylabel="D(x), density (scaled)", yticks=[0, 0.5, 1])
        return plot.svg("genlab-svg genlab-gan-main")

    def _generator_map(self) -> str:
        gmap = self.trainer.generator_map(n=121, span=3.0 if self.prior.value == "normal" else 1.8)
        z, x = gmap.z.cpu().numpy(), gmap.x[:, 0].detach().cpu().numpy()
        lo, hi = float(self.trainer.target.grid_axis[0]), float(self.trainer.target.grid_axis[-1])
        plot = SvgPlot(
            196, 236, (z[0], z[-1]), (lo, hi), margin=(46, 8, 20, 32), clip_id=self._id("map")
        )
        for mean in self.trainer.target.modes[:, 0].numpy():
            plot.hline(float(mean), DATA, 1.0, dash="3,3")
        plot.line(z, x, FAKE, 2.0)
        plot.legend([("x = G(z)", FAKE), ("modes", DATA)])
        plot.axes(xlabel="noise z", ylabel="x")
        return plot.svg("genlab-svg genlab-gan-map")

    def _main_2d(self, pic) -> str:
        a = pic.d_axis.numpy()
        plot = SvgPlot(
            350,
            300,
            (a[0], a[-1]),
            (a[0], a[-1]),
            margin=(40, 62, 20, 32),
            clip_id=self._id("main"),
        )
        plot.image(_heat(pic.d.flip(0).float()))  # row 0 = top = largest y
        real = self.trainer.x_eval[:512].cpu().numpy()
        fake = pic.samples[:512].numpy()
        plot.points(real[:, 0], real[:, 1], DATA, 2.4, 0.8)
        plot.points(fake[:, 0], fake[:, 1], FAKE, 2.6, 0.9)
        if self.coverage["collapsed"]:
            plot.note(self._collapse_note(), palette.HIGHLIGHT, corner="bottom-left")
        plot.legend([("data", DATA), ("G(z)", FAKE)])
        plot.colorbar(HEAT_LUT, 0.0, 1.0, "D(x)")
        plot.axes(xlabel="x₁", ylabel="x₂")
        return plot.svg("genlab-svg genlab-gan-main")

    def _coverage_panel(self) -> str:
        target = self.trainer.target
        modes = target.modes.numpy()
        lo, hi = float(target.grid_axis[0]), float(target.grid_axis[-1])
        plot = SvgPlot(
            180, 180, (lo, hi), (lo, hi), margin=(12, 8, 20, 30), clip_id=self._id("cov")
        )
        hit = self.coverage["covered"]
        plot.points(modes[hit, 0], modes[hit, 1], DATA, 10, 1.0)
        for x, y in modes[~hit]:
            plot.marker(float(x), float(y), palette.HIGHLIGHT, 5.0)
        label = f"modes covered: {int(hit.sum())} of {len(hit)}"
        plot.legend([("covered", DATA), ("missed", palette.HIGHLIGHT)])
        plot.axes(xlabel=label, xticks=[], yticks=[])
        return plot.svg("genlab-svg genlab-gan-coverage")

    def _losses(self) -> tuple[str, str]:
        d = np.array(self.curves["d"], dtype=np.float64).reshape(-1, 2)
        g = np.array(self.curves["g"], dtype=np.float64).reshape(-1, 2)
        both = np.concatenate([d, g])
        now = self.updates
        first = float(both[:, 0].min()) if len(both) else 0.0
        xlim = (first, max(float(now), first + 10.0))
        values = both[:, 1][np.isfinite(both[:, 1])]
        lo = min(float(values.min()), 0.0) if len(values) else 0.0
        hi = float(values.max()) if len(values) else 1.0
        hi = max(hi, lo + 0.1)
        width = 318 if self.dim == 1 else 266
        plot = SvgPlot(
            width,
            150,
            xlim,
            (lo, hi + 0.05 * (hi - lo)),
            margin=(46, 12, 20, 32),
            clip_id=self._id("loss"),
        )
        if len(d):
            plot.line(d[:, 0], d[:, 1], D_LOSS, 1.2)
        if len(g):
            plot.line(g[:, 0], g[:, 1], G_LOSS, 1.2)
        plot.legend([("D loss", D_LOSS), ("G loss", G_LOSS)])
        plot.axes(xlabel="updates (D and G)", ylabel="loss")
        jsd = np.array(self.jsd_curve, dtype=np.float64).reshape(-1, 2)
        side = SvgPlot(
            width, 150, xlim, (0.0, 0.75), margin=(46, 12, 20, 32), clip_id=self._id("jsd")
        )
        side.hline(LOG4 / 2, palette.THEME["frame"], 0.8, dash="2,3")
        if len(jsd):
            side.line(jsd[:, 0], jsd[:, 1], JSD_COLOR, 1.6)
            side.marker(float(jsd[-1, 0]), float(jsd[-1, 1]), JSD_COLOR, 3.0)  # the latest
        side.legend([("JSD(p_data ‖ p_g)", JSD_COLOR), ("log 2", palette.THEME["frame"])])
        side.axes(xlabel="updates (D and G)", ylabel="nats", yticks=[0, 0.2, 0.4, 0.6])
        return plot.svg("genlab-svg genlab-gan-losses"), side.svg("genlab-svg genlab-gan-jsd")

    def _readout(self, pic) -> str:
        t = self.trainer
        last = t.last
        d_real, d_fake = last.get("d_real", math.nan), last.get("d_fake", math.nan)
        mode = "D = D*" if t.config.optimal_d else "D trained"
        hit = self.coverage["covered"]
        cells = [
            ("generator steps", f"{t.step_count}"),
            ("discriminator steps", f"{t.d_steps}"),
            ("JSD(p_data ‖ p_g)", f"{_number(pic.jsd, '.4f')}"),
            ("V(D, G)", _number(pic.value, ".4f")),
            ("2 JSD − log 4", _number(2 * pic.jsd - LOG4, ".4f")),
            ("mean D real / fake", f"{_number(d_real, '.2f')} / {_number(d_fake, '.2f')}"),
        ]
        if self.dim == 1:
            cells.append(("mean |D − D*| on data", _number(self._d_error(pic), ".3f")))
        cells.append(("modes covered", f"{int(hit.sum())} of {len(hit)}"))
        body = "".join(
            f"<tr><td style='padding:0 0.5em 0 0;white-space:nowrap'>{k}</td>"
            f"<td style='font-family:monospace;text-align:right;padding:0;white-space:nowrap'>"
            f"{v}</td></tr>"
            for k, v in cells
        )
        body += (
            f"<tr><td colspan='2' style='padding:0'>{mode} · {t.config.objective} · "
            "JSD, V in nats</td></tr>"
        )
        collapse = (
            "<div class='genlab-gan-collapse' style='font-weight:bold;padding-left:4px;"
            f"border-left:4px solid {palette.HIGHLIGHT}'>⚠ {self._collapse_note()}</div>"
            if self.coverage["collapsed"]
            else ""
        )
        note = (
            "<div style='opacity:0.85'>V(D, G) ≤ 2 JSD − log 4, with equality at D = D*. "
            "R1 γ > 0 keeps D smooth (stable training) and short of the sharp D*: with γ = 0, "
            f"Step D ×{D_BURST} brings D onto D*.</div>"
        )
        error = (
            f"<div class='genlab-gan-error' style='color:{palette.HIGHLIGHT}'>{self.error}</div>"
        )
        return (
            f"<div style='font-size:12px;line-height:1.35'><table style='border-spacing:0'>"
            f"{body}</table>{collapse}{error if self.error else ''}{note}</div>"
        )

    def _d_error(self, pic) -> float:
        """Mean |D(x) − D*(x)| where the data density is above 1% of its peak."""
        p = pic.p_data.numpy()
        on = p >= 1e-2 * p.max()
        return float(np.abs(pic.d.numpy() - pic.d_star.numpy())[on].mean())


def _heat(d: torch.Tensor) -> bytes:
    """PNG of ``d`` (values in [0, 1]) through :data:`HEAT_LUT`, row 0 at the top."""
    return to_png(HEAT_LUT[to_uint8(d)].astype(np.float32) / 255.0, scale=1)
