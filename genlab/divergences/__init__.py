r"""f-divergences, their convex conjugates and the f-GAN objective (lecture 07).

.. math::
    D_f(P \| Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx, \qquad
    f^*(t) = \sup_{u > 0}\, \{t u - f(u)\}, \qquad
    D_f(P \| Q) \ge \sup_T\; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))]

Sources: slide "The GAN Zoo: use various divergence" (its two tables); Nowozin, Cseke & Tomioka
2016, "f-GAN", Tables 1-2 and eq. (6). The slide's tables were checked row by row against
their own definitions; where a printed cell is wrong or garbled the code is right and the
entry's ``slide_note`` says what the slide shows (every formula here is tested numerically in
``tests/test_divergences.py``).

Three modules: :mod:`~genlab.divergences.table` (the table: f, f*, g_f of every entry),
:mod:`~genlab.divergences.quadrature` (divergences between 1-D distributions by quadrature)
and :mod:`~genlab.divergences.fgan` (the f-GAN objective); all re-exported here.
"""

from genlab.divergences.fgan import fgan_discriminator_loss, fgan_generator_loss
from genlab.divergences.quadrature import (
    QuadratureGrid,
    discrete_f_divergence,
    f_divergence,
    js_divergence_quadrature,
    kl_divergence_quadrature,
    normal_components,
    quadrature_grid,
    variational_bound,
)
from genlab.divergences.quadrature import (
    js_divergence as js_divergence,  # the old names, before the quadrature versions said so
)
from genlab.divergences.quadrature import (
    kl_divergence as kl_divergence,
)
from genlab.divergences.table import (
    F_DIVERGENCES,
    FDivergence,
    Interval,
    get_divergence,
    jensen_shannon_weighted,
)

__all__ = [
    "F_DIVERGENCES",
    "FDivergence",
    "Interval",
    "QuadratureGrid",
    "discrete_f_divergence",
    "f_divergence",
    "fgan_discriminator_loss",
    "fgan_generator_loss",
    "get_divergence",
    "jensen_shannon_weighted",
    "js_divergence_quadrature",
    "kl_divergence_quadrature",
    "normal_components",
    "quadrature_grid",
    "variational_bound",
]
