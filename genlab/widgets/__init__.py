"""Interactive widgets of the course: functions that return ipywidgets containers.

Every widget calls the math in :mod:`genlab` (models, :mod:`genlab.theory`), never the other
way round. Each returns an ``ipywidgets.VBox`` with the CSS class ``genlab-<name>`` whose
controls are attributes (``.sliders``, ``.image``, ``.button``, ``.readout``...), so that
tests drive them by setting ``.value`` or calling ``.click()``; observers run synchronously.
Images are PNG bytes rendered without matplotlib (:mod:`genlab.widgets._image`).
"""

from genlab.widgets._common import measure_latency
from genlab.widgets._image import grid, to_png
from genlab.widgets.conditional import attribute_controls
from genlab.widgets.elbo_gap import elbo_gap_explorer
from genlab.widgets.gan_playground import gan_playground
from genlab.widgets.predict import predict
from genlab.widgets.vae import interpolation, latent_explorer, manifold_grid, traversal
from genlab.widgets.vqvae import codebook_viewer

__all__ = [
    "attribute_controls",
    "codebook_viewer",
    "elbo_gap_explorer",
    "gan_playground",
    "grid",
    "interpolation",
    "latent_explorer",
    "manifold_grid",
    "measure_latency",
    "predict",
    "to_png",
    "traversal",
]
