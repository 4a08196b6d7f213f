"""Evaluation metrics: pure functions (no widgets, no plotting; see each module).

``likelihood``: importance-sampled log-likelihood, bits per dimension, active units, the rate
and distortion of a VAE; ``gaps``: the approximation and amortization gaps of its inference;
``sample_quality``: W1, FID, precision and recall of samples; ``proportions``: the Wilson
interval of a share of runs.
"""

from genlab.metrics.gaps import *  # noqa: F403  (its __all__)
from genlab.metrics.likelihood import *  # noqa: F403  (its __all__)
from genlab.metrics.proportions import Proportion, wilson_interval  # noqa: F401
from genlab.metrics.sample_quality import (  # noqa: F401
    PrecisionRecall,
    fid,
    frechet_distance,
    precision_recall,
    wasserstein_1d,
)
