r"""The ELBO gap, live (lecture 01, slides "VAE objective", "Review: VAEs", "VAE learning"):

.. math::
    \log p(x) = \mathcal L(x; q) + \mathrm{KL}\big(q(z) \,\|\, p(z|x)\big)

on :class:`genlab.theory.LinearGaussianLVM`, where all three terms are exact. Sliders move a
Gaussian :math:`q`; a plot shows :math:`q` against the posterior :math:`p(z|x)` it is measured
against, a bar splits :math:`\log p(x)` into the ELBO and the KL; the "E-step" button sets
:math:`q \leftarrow p(z|x)` and the KL drops to 0. Every number is computed by the
model (``log_marginal``, ``elbo``, ``kl_to_posterior``, ``e_step``); none is re-derived here.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import torch
from torch.distributions import MultivariateNormal, Normal

from genlab import palette
from genlab._checks import tensor_arg
from genlab.widgets._common import float_slider, latent_dims, panel, row
from genlab.widgets._svg import SvgPlot

__all__ = ["elbo_gap_explorer"]

_LVM_METHODS = ("log_marginal", "elbo", "kl_to_posterior", "e_step")
_ELBO_COLOR, _KL_COLOR, _LOGP_COLOR = palette.ELBO, palette.KL, palette.BLUISH_GREEN
_MUTED = f"color:{palette.THEME['muted']}"
STEPS_ACROSS = 100  # slider positions across the mean's range (arrow presses to cross it)


def _one_observation(lvm, x) -> torch.Tensor:
    x = tensor_arg("x", x)
    if tuple(x.shape) == (lvm.d,):
        x = x[None]
    if tuple(x.shape) != (1, lvm.d):
        raise ValueError(
            f"x must be one observation of shape ({lvm.d},) or (1, {lvm.d}); got {tuple(x.shape)}"
        )
    return x.to(dtype=lvm.W.dtype, device=lvm.W.device)


def _bar(log_px: float, elbo: float, kl: float, floor: float) -> str:
    """Two stacked bars as HTML: log p(x) on top; ELBO then KL below, on one scale."""
    total = log_px - floor
    elbo_w = min(max((elbo - floor) / total, 0.0), 1.0) * 100
    kl_w = min(max(kl / total, 0.0), 1.0) * 100
    kl_w = min(kl_w, 100 - elbo_w)
    off_scale = elbo < floor
    seg = "height:1.7em;line-height:1.7em;overflow:hidden;white-space:nowrap;"
    track = palette.THEME["grid"]
    return (
        '<div style="width:34em;font-size:90%">'
        f'<div class="genlab-logp-bar" style="{seg}color:#000;width:100%;background:{_LOGP_COLOR};'
        f'padding-left:4px;box-sizing:border-box">log p(x) = {log_px:.4f}</div>'
        f'<div style="display:flex;margin-top:3px;background:{track}">'
        f'<div class="genlab-elbo-bar" style="{seg}color:#fff;width:{elbo_w:.3f}%;'
        f'background:{_ELBO_COLOR}">&nbsp;ELBO</div>'
        f'<div class="genlab-kl-bar" style="{seg}color:#000;width:{kl_w:.3f}%;'
        f'background:{_KL_COLOR}">&nbsp;KL{" (off scale)" if off_scale else ""}</div></div>'
        f'<div style="display:flex;justify-content:space-between;{_MUTED}">'
        f"<span>{floor:.2f}</span><span>log p(x)</span></div>"
        f'<div class="genlab-bar-note" style="{_MUTED}">Both bars share one scale: the left end '
        f"is log p(x) − {log_px - floor:.2f} nats (twice the KL of the starting q, mean 0 and "
        "log-variance 0), so the ELBO bar shrinks as the KL grows.</div></div>"
    )


def _picture(axis: np.ndarray, posterior_pdf: np.ndarray, q, dim: int, kl: float) -> str:
    """q(z[dim]) against p(z[dim] | x): the two densities whose KL the bar shows."""
    m = float(q.loc[0, dim])
    s = math.sqrt(float(q.covariance_matrix[0, dim, dim]))
    q_pdf = Normal(m, s).log_prob(torch.from_numpy(axis)).exp().numpy()
    top = 1.1 * max(float(posterior_pdf.max()), float(q_pdf.max()))
    plot = SvgPlot(330, 190, (axis[0], axis[-1]), (0.0, top), margin=(46, 10, 20, 34))
    plot.area(axis, posterior_pdf, palette.POSTERIOR, 0.35)
    plot.line(axis, posterior_pdf, palette.POSTERIOR, 1.6)
    plot.line(axis, q_pdf, palette.APPROXIMATE, 2.2, dash="6,3")
    plot.note(f"KL = {kl:.3f} nats", corner="top-right")
    plot.legend([("p(z|x)", palette.POSTERIOR), ("q(z)", palette.APPROXIMATE)])
    plot.axes(xlabel=f"z[{dim}]", ylabel="density")
    return plot.svg("genlab-svg genlab-elbo-densities")


def _table(numbers: dict[str, float], q: tuple[float, float], post: tuple[float, float], d: int):
    rows = [
        ("log p(x)", numbers["log_px"]),
        ("ELBO 𝓛(x; q)", numbers["elbo"]),
        ("KL(q ‖ p(z|x))", numbers["kl"]),
        ("ELBO + KL − log p(x)", numbers["elbo"] + numbers["kl"] - numbers["log_px"]),
    ]
    body = "".join(
        f"<tr><td>{name}</td><td style='text-align:right;font-family:monospace'>"
        f"{value:.6f}</td></tr>"
        for name, value in rows
    )
    return (
        f"<table class='genlab-elbo-numbers'>{body}</table>"
        f"<div style='{_MUTED}'>q: mean {q[0]:.3f}, log-variance {q[1]:.3f} &nbsp;·&nbsp; "
        f"p(z[{d}]|x): mean {post[0]:.3f}, log-variance {post[1]:.3f}</div>"
    )


def elbo_gap_explorer(lvm, x: torch.Tensor, *, dim: int = 0) -> widgets.VBox:
    r"""Move :math:`q` and watch :math:`\log p(x) = \mathcal L(x;q) + \mathrm{KL}(q\|p(z|x))`.

    ``lvm`` is a :class:`genlab.theory.LinearGaussianLVM`; ``x`` one observation, ``(d,)`` or
    ``(1, d)``. The two sliders set the mean and the log-variance of latent coordinate ``dim``
    under :math:`q`. With a 1-D latent, :math:`q = \mathcal N(m, e^{\text{logvar}})`; with
    :math:`k > 1` the other coordinates of :math:`q` keep the exact posterior's mean and
    correlations (:math:`q` is the posterior shifted and stretched along ``z[dim]``), so the
    sliders alone can close the gap. The bar spans :math:`[\log p(x) - \mathrm{KL}_{max},
    \log p(x)]` with :math:`\mathrm{KL}_{max}` = twice the KL at the start (:math:`q` with mean
    0 and log-variance 0), at least 1 nat; a larger KL is marked "off scale".

    Parts: ``sliders`` (mean, log-variance), ``button`` (E-step: :math:`q \leftarrow p(z|x)`),
    ``readout`` (the numbers), ``bar``, ``picture`` (an SVG of :math:`q(z_{dim})` and
    :math:`p(z_{dim}|x)`, the marginals along the slider's coordinate), ``numbers`` (a dict
    ``log_px``, ``elbo``, ``kl`` refreshed on every change), ``q()`` (the current :math:`q`,
    batch (1,), event (k,)).
    CSS class ``genlab-elbo-gap``.
    """
    missing = [m for m in _LVM_METHODS if not callable(getattr(lvm, m, None))]
    if missing:
        raise ValueError(
            f"lvm must be a LinearGaussianLVM (with {', '.join(_LVM_METHODS)}); "
            f"got {type(lvm).__name__} without {', '.join(missing)}"
        )
    x = _one_observation(lvm, x)
    (dim,) = latent_dims("dim", dim, lvm.k)
    post = lvm.e_step(x)  # p(z|x): batch (1,), event (k,)
    mu_post, cov_post = post.loc[0], post.covariance_matrix[0]
    m_post = float(mu_post[dim])
    logvar_post = math.log(float(cov_post[dim, dim]))
    log_px = float(lvm.log_marginal(x)[0])

    def q_from(m: float, logvar: float) -> MultivariateNormal:
        # the posterior, moved to mean m and stretched to variance exp(logvar) along z[dim]
        loc = mu_post.clone()
        loc[dim] = m
        stretch = torch.ones_like(loc)
        stretch[dim] = math.exp(0.5 * (logvar - logvar_post))
        cov = cov_post * stretch[:, None] * stretch[None, :]
        return MultivariateNormal(loc[None], covariance_matrix=cov[None])

    reach = max(3.0, math.ceil(abs(m_post) + 3 * math.exp(0.5 * logvar_post)))
    step = 2 * reach / STEPS_ACROSS  # 0.06 for the range -3..3: 100 arrow presses across
    mean_slider = float_slider(f"q mean z[{dim}]", 0.0, -reach, reach, step, readout_format=".3f")
    low, high = min(-4.0, math.floor(logvar_post) - 1.0), max(2.0, math.ceil(logvar_post) + 1.0)
    logvar_slider = float_slider("q log-var", 0.0, low, high, 0.05, readout_format=".3f")
    button = widgets.Button(
        description="E-step", icon="bullseye", tooltip="Set q to the exact posterior p(z|x)"
    )
    bar = widgets.HTML()
    readout = widgets.HTML()
    picture = widgets.HTML()
    picture.add_class("genlab-elbo-picture")
    axis = np.linspace(-reach - 1.0, reach + 1.0, 241)
    posterior_pdf = Normal(m_post, math.exp(0.5 * logvar_post)).log_prob(torch.from_numpy(axis))
    posterior_pdf = posterior_pdf.exp().numpy()
    numbers: dict[str, float] = {}
    state = {"q": q_from(0.0, 0.0), "hold": False, "e_step": False}
    kl_max = max(2.0 * float(lvm.kl_to_posterior(x, state["q"])[0]), 1.0)

    def show() -> None:
        q = state["q"]
        numbers.update(
            log_px=log_px,
            elbo=float(lvm.elbo(x, q)[0]),
            kl=float(lvm.kl_to_posterior(x, q)[0]),
        )
        bar.value = _bar(log_px, numbers["elbo"], numbers["kl"], floor=log_px - kl_max)
        q_params = (mean_slider.value, logvar_slider.value)
        picture.value = _picture(axis, posterior_pdf, q, dim, numbers["kl"])
        readout.value = _table(numbers, q_params, (m_post, logvar_post), dim)

    def on_slider(_change=None) -> None:
        if state["hold"]:
            return
        m, logvar = mean_slider.value, logvar_slider.value
        # Right after the E-step the browser rounds the values it set to the slider step and
        # sends them back: within half a step of the posterior, q stays the exact posterior.
        # Any other move (or a student's own move to that point) rebuilds q from the sliders.
        at_posterior = (
            state["e_step"]
            and abs(m - m_post) <= mean_slider.step / 2
            and abs(logvar - logvar_post) <= logvar_slider.step / 2
        )
        state["e_step"] = at_posterior
        state["q"] = lvm.e_step(x) if at_posterior else q_from(m, logvar)
        show()

    def e_step(_button=None) -> None:
        state["hold"] = True
        try:
            mean_slider.value, logvar_slider.value = m_post, logvar_post
        finally:
            state["hold"] = False
        state["q"] = lvm.e_step(x)  # exact, not rebuilt from slider values
        state["e_step"] = True
        show()

    mean_slider.observe(on_slider, names="value")
    logvar_slider.observe(on_slider, names="value")
    button.on_click(e_step)
    show()
    title = widgets.HTML("<b>log p(x) = ELBO + KL(q ‖ p(z|x))</b>")
    return panel(
        "elbo-gap",
        [
            title,
            row([widgets.VBox([mean_slider, logvar_slider, button]), readout], align="flex-start"),
            row([picture, bar], align="flex-start"),
        ],
        sliders=(mean_slider, logvar_slider),
        button=button,
        readout=readout,
        bar=bar,
        picture=picture,
        numbers=numbers,
        q=lambda: state["q"],
    )
