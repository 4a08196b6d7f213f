"""How good is a model: evaluation metrics as pure functions (no widgets, no plotting).

``likelihood``: importance-sampled log-likelihood, bits per dimension, active units, the rate
and distortion of a VAE; ``gaps``: the approximation and amortization gaps of its inference.
"""

from genlab.metrics.gaps import *  # noqa: F403  (its __all__)
from genlab.metrics.likelihood import *  # noqa: F403  (its __all__)
