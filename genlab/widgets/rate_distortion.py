r"""A beta slider over a sweep of trained VAEs: each model's reconstructions, samples, per-
dimension KL and its point on the rate-distortion plane (lecture 04b; Alemi et al. 2018).

Everything is computed once, when the widget is built, with :mod:`genlab.metrics`; moving the
slider only swaps cached images and SVG, so it responds at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch

from genlab import metrics
from genlab.widgets._common import evaluating, image_shape, image_widget, model_device, panel, row
from genlab.widgets._image import grid, to_png
from genlab.widgets._svg import SvgPlot

__all__ = ["rate_distortion_explorer"]

# Okabe-Ito: blue for every model, vermillion for the selected one, grey for the ELBO line.
# The panels are transparent like every genlab panel: their text takes the theme's colour, so
# an opaque white panel would hide it in a dark theme.
_ALL, _SELECTED, _LINE = "#0072B2", "#D55E00", "#888888"


def _titled(title: str, svg: str) -> str:
    return f"<div><b>{title}</b><br>{svg}</div>"


def _plane(rates, distortions, selected: int) -> str:
    r_hi = max(rates) * 1.1 + 1.0
    d_lo, d_hi = min(distortions), max(distortions)
    pad = 0.1 * (d_hi - d_lo) + 1.0
    plot = SvgPlot(330, 230, (0.0, r_hi), (d_lo - pad, d_hi + pad), margin=(54, 14, 18, 30))
    # the models of the selected one's ELBO: D = -ELBO - R, a line of slope -1
    total = rates[selected] + distortions[selected]
    r = np.linspace(0.0, r_hi, 50)
    plot.line(r, total - r, _LINE, width=1.2, dash="4 3")
    plot.points(rates, distortions, _ALL, size=7, opacity=0.9)
    plot.points([rates[selected]], [distortions[selected]], _SELECTED, size=11, opacity=1.0)
    plot.axes(xlabel="rate R = KL (nats)", ylabel="distortion D = -E log p(x|z) (nats)")
    plot.legend([("all betas", _ALL), ("selected", _SELECTED), ("same ELBO", _LINE)])
    return _titled("Every beta on the rate-distortion plane", plot.svg())


def _bars(kl: np.ndarray, active: np.ndarray, top: float) -> str:
    J = len(kl)
    plot = SvgPlot(300, 230, (-0.5, J - 0.5), (0.0, top), margin=(40, 10, 18, 30))
    for j, (value, on) in enumerate(zip(kl, active, strict=True)):
        color = _SELECTED if on else "#999999"
        plot.area([j - 0.35, j + 0.35], [value, value], color, opacity=0.9)
    plot.axes(xlabel="latent dimension j", xticks=np.arange(J))
    plot.legend([("active", _SELECTED), ("inactive", "#999999")])
    return _titled("KL of each latent dimension (nats)", plot.svg())


def wrapping(box: widgets.Box) -> widgets.Box:
    box.layout.flex_flow = "row wrap"
    return box


def rate_distortion_explorer(
    models: Sequence[tuple[float, torch.nn.Module]],
    x: torch.Tensor,
    *,
    n_show: int = 8,
    seed: int = 0,
    scale: int = 6,
) -> widgets.VBox:
    r"""Pick one of ``models``, a sequence of ``(beta, vae)`` pairs, with a slider over beta.

    Shown for the selected model: ``n_show`` inputs of ``x`` (top row) over their
    reconstructions (middle) and ``n_show`` decoded samples of :math:`z \sim p(z)` (bottom, the
    same ``z`` for every model); the KL of each latent dimension on ``x`` (orange bars: the
    active units of :func:`genlab.metrics.active_units`); and every model as a point on the
    (rate, distortion) plane of :func:`genlab.metrics.rate_distortion`, the selected one in
    orange with the dashed line of equal ELBO through it.

    Parts: ``slider``, ``images``, ``plane`` and ``bars`` (HTML with SVG), ``readout``, and
    ``points`` (a list of ``(beta, RateDistortion, active units)``). CSS class
    ``genlab-rate-distortion``.
    """
    models = list(models)
    if len(models) < 2:
        raise ValueError(f"models must hold at least two (beta, vae) pairs; got {len(models)}")
    betas = [float(b) for b, _ in models]
    if len(set(betas)) != len(betas):
        raise ValueError(f"models must have distinct betas; got {betas}")
    hw = image_shape(models[0][1])
    generator = torch.Generator().manual_seed(seed)
    z_prior = torch.randn(n_show, models[0][1].latent_dim, generator=generator)
    images, points, kls, actives = [], [], [], []
    for _, vae in models:
        device, dtype = model_device(vae)
        xs = x.to(device=device, dtype=dtype)
        with evaluating(vae), torch.no_grad():
            mu, logvar = vae.encode(xs)
            recon = vae.reconstruct(xs[:n_show])
            samples = vae.mean(vae.decode(z_prior.to(device=device, dtype=dtype)))
        rd = metrics.rate_distortion(vae, xs, generator=torch.Generator(device).manual_seed(seed))
        kls.append(metrics.kl_per_dimension(mu, logvar).cpu().numpy())
        actives.append(metrics.active_units(mu).cpu().numpy())
        points.append((float(rd.rate), float(rd.distortion)))
        tiles = torch.cat([xs[:n_show], recon, samples]).reshape(-1, *hw).cpu()
        images.append(to_png(grid(tiles, nrow=n_show), scale=scale))
    rates = [p[0] for p in points]
    distortions = [p[1] for p in points]
    top = max(float(k.max()) for k in kls) * 1.1 + 1e-3

    slider = widgets.SelectionSlider(
        options=[(f"{b:g}", i) for i, b in enumerate(betas)],
        value=0,
        description="beta",
        continuous_update=True,
        layout=widgets.Layout(width="28em"),
    )
    image = image_widget()
    plane, bars, readout = widgets.HTML(), widgets.HTML(), widgets.HTML()

    def show(_change=None) -> None:
        i = slider.value
        image.value = images[i]
        plane.value = _plane(rates, distortions, i)
        bars.value = _bars(kls[i], actives[i], top)
        readout.value = (
            f"<b>beta = {betas[i]:g}</b>: rate {rates[i]:.2f} nats, distortion "
            f"{distortions[i]:.2f} nats, ELBO {-(rates[i] + distortions[i]):.2f} nats; "
            f"{int(actives[i].sum())} of {len(actives[i])} units active. "
            "Rows: inputs, reconstructions, samples."
        )

    slider.observe(show, names="value")
    show()
    return panel(
        "rate-distortion",
        # the three panels wrap onto a second line where the output area is narrower than them
        [slider, readout, wrapping(row([image, plane, bars]))],
        slider=slider,
        images=image,
        plane=plane,
        bars=bars,
        readout=readout,
        points=[
            (b, metrics.RateDistortion(r, d), int(a.sum()))
            for b, r, d, a in zip(betas, rates, distortions, actives, strict=True)
        ],
    )
