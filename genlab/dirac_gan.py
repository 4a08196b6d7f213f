r"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, Sec. 2.2): the smallest GAN whose
training does not converge.

The data are a point mass at 0, the generator a point mass at :math:`\theta`, the
discriminator linear, :math:`D_\psi(x) = \psi x`. With :math:`f(t) = -\log(1 + e^{-t})`
(the GAN) or :math:`f(t) = t` (the WGAN) the game is

.. math::
    L(\theta, \psi) = \mathbb E[f(D_\psi(\theta + \epsilon))] + \mathbb E[f(-D_\psi(\epsilon'))]

(:math:`\epsilon, \epsilon' \sim N(0, \sigma^2)`: instance noise, 0 by default), D ascends
:math:`L - \frac\gamma2 \psi^2` (the R1 penalty, :math:`\|\nabla_x D\|^2 = \psi^2` at the data)
and G descends :math:`L`. The unique equilibrium is :math:`(\theta, \psi) = (0, 0)`.
Lecture 09, Sec. 4, derives the Jacobian there by hand; this module computes the vector field,
its Jacobian (autograd), the closed-form eigenvalues, and trajectories of simultaneous and
alternating gradient steps (with weight clipping for the WGAN).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from genlab._checks import choice, positive, positive_int

__all__ = ["LOSSES", "UPDATES", "DiracGAN", "Trajectory"]

LOSSES = ("gan", "wgan")
UPDATES = ("simultaneous", "alternating")
_QUADRATURE_NODES = 41  # Gauss-Hermite nodes for the instance-noise expectations


class Trajectory(NamedTuple):
    """Iterates of a simulation, ``(steps + 1,)`` each, and the distance to (0, 0)."""

    theta: Tensor
    psi: Tensor
    distance: Tensor


class DiracGAN:
    """The Dirac-GAN game with a loss (``"gan"`` or ``"wgan"``) and its regularisers:
    ``r1`` = :math:`\\gamma`, ``noise_std`` = :math:`\\sigma` (instance noise), ``clip`` = c
    (WGAN weight clipping, :math:`|\\psi| \\le c`, applied after each critic step)."""

    def __init__(
        self, loss: str = "gan", r1: float = 0.0, noise_std: float = 0.0, clip: float | None = None
    ):
        self.loss = choice("loss", loss, LOSSES)
        self.r1 = positive("r1", r1, allow_zero=True)
        self.noise_std = positive("noise_std", noise_std, allow_zero=True)
        self.clip = None if clip is None else positive("clip", clip)
        nodes, weights = np.polynomial.hermite_e.hermegauss(_QUADRATURE_NODES)
        if self.noise_std == 0:
            nodes, weights = np.zeros(1), np.ones(1) * np.sqrt(2 * np.pi)
        self._nodes = torch.as_tensor(nodes * self.noise_std)  # E[g(eps)] = sum_i w_i g(n_i)
        self._weights = torch.as_tensor(weights / np.sqrt(2 * np.pi))

    def __repr__(self) -> str:
        return (
            f"DiracGAN(loss={self.loss!r}, r1={self.r1}, noise_std={self.noise_std}, "
            f"clip={self.clip})"
        )

    # f' and f'' of the game's f(t)
    def f_prime(self, t: Tensor) -> Tensor:
        r""":math:`f'(t)`: :math:`\sigma(-t)` for the GAN, 1 for the WGAN."""
        return torch.sigmoid(-t) if self.loss == "gan" else torch.ones_like(t)

    def vector_field(self, theta, psi) -> tuple[Tensor, Tensor]:
        r"""The gradient vector field :math:`v = (-\partial_\theta L,\ \partial_\psi L -
        \gamma\psi)`; ``theta`` and ``psi`` broadcast together (float64).

        .. math::
            v_\theta = -\mathbb E[\psi f'(\psi(\theta + \epsilon))], \qquad
            v_\psi = \mathbb E[(\theta + \epsilon) f'(\psi(\theta + \epsilon))]
                   - \mathbb E[\epsilon' f'(-\psi\epsilon')] - \gamma\psi
        """
        theta = torch.as_tensor(theta, dtype=torch.float64)
        psi = torch.as_tensor(psi, dtype=torch.float64)
        theta, psi = torch.broadcast_tensors(theta, psi)
        n, w = self._nodes, self._weights  # (Q,)
        x = theta[..., None] + n  # fake samples, (..., Q)
        t = psi[..., None]
        v_theta = -(w * t * self.f_prime(t * x)).sum(-1)
        v_psi = (w * (x * self.f_prime(t * x) - n * self.f_prime(-t * n))).sum(-1)
        return v_theta, v_psi - self.r1 * psi

    def jacobian(self, theta: float = 0.0, psi: float = 0.0) -> Tensor:
        """The Jacobian of :meth:`vector_field` at (theta, psi), ``(2, 2)`` float64 (autograd)."""

        def field(point: Tensor) -> Tensor:
            return torch.stack(self.vector_field(point[0], point[1]))

        point = torch.tensor([float(theta), float(psi)], dtype=torch.float64)
        return torch.autograd.functional.jacobian(field, point)

    def equilibrium_eigenvalues(self) -> Tensor:
        r"""The eigenvalues of the Jacobian at (0, 0), in closed form (complex128, ``(2,)``).

        With :math:`a = f'(0)` and the damping :math:`\delta = \gamma - 2 f''(0)\sigma^2`,
        :math:`J = \begin{pmatrix} 0 & -a \\ a & -\delta \end{pmatrix}` and
        :math:`\lambda = \big(-\delta \pm \sqrt{\delta^2 - 4a^2}\big)/2`:
        :math:`\pm i a` without regularisation (a = 1/2 for the GAN, 1 for the WGAN).
        """
        a = 0.5 if self.loss == "gan" else 1.0
        f2 = -0.25 if self.loss == "gan" else 0.0  # f''(0)
        delta = self.r1 - 2 * f2 * self.noise_std**2
        root = np.lib.scimath.sqrt(delta**2 - 4 * a**2)
        return torch.tensor([(-delta + root) / 2, (-delta - root) / 2], dtype=torch.complex128)

    def step_matrix(self, lr: float, update: str = "simultaneous") -> Tensor:
        r"""The linearised update at (0, 0), ``(2, 2)``: :math:`I + hJ` for simultaneous
        steps; for alternating steps (G first, then D at the new :math:`\theta`)
        :math:`\begin{pmatrix}1 & 0\\ hJ_{\psi\theta} & 1 + hJ_{\psi\psi}\end{pmatrix}
        \begin{pmatrix}1 & hJ_{\theta\psi}\\ 0 & 1\end{pmatrix}` (:math:`J_{\theta\theta} = 0`).
        Its spectral radius above 1 means the iterates spiral out."""
        lr, update = positive("lr", lr), choice("update", update, UPDATES)
        J = self.jacobian()
        eye = torch.eye(2, dtype=torch.float64)
        if update == "simultaneous":
            return eye + lr * J
        g_step = torch.tensor([[1.0, lr * J[0, 1]], [0.0, 1.0]], dtype=torch.float64)
        d_step = torch.tensor([[1.0, 0.0], [lr * J[1, 0], 1 + lr * J[1, 1]]], dtype=torch.float64)
        return d_step @ g_step

    def _clip(self, psi: Tensor) -> Tensor:
        return psi if self.clip is None else psi.clamp(-self.clip, self.clip)

    def simulate(
        self,
        theta0: float = 1.0,
        psi0: float = 1.0,
        steps: int = 500,
        lr: float = 0.1,
        update: str = "simultaneous",
    ) -> Trajectory:
        """Gradient steps of size ``lr`` from (theta0, psi0): both players at once
        (``"simultaneous"``) or G, then D on the new theta (``"alternating"``)."""
        steps, lr = positive_int("steps", steps, minimum=0), positive("lr", lr)
        update = choice("update", update, UPDATES)
        theta = torch.tensor(float(theta0), dtype=torch.float64)
        psi = self._clip(torch.tensor(float(psi0), dtype=torch.float64))
        thetas, psis = [theta], [psi]
        for _ in range(steps):
            v_theta, v_psi = self.vector_field(theta, psi)
            theta = theta + lr * v_theta
            if update == "alternating":
                v_psi = self.vector_field(theta, psi)[1]
            psi = self._clip(psi + lr * v_psi)
            thetas.append(theta)
            psis.append(psi)
        theta, psi = torch.stack(thetas), torch.stack(psis)
        return Trajectory(theta, psi, torch.hypot(theta, psi))
