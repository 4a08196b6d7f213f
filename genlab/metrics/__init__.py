"""Evaluation metrics: pure functions over samples or features (see each module)."""

from genlab.metrics.sample_quality import (  # noqa: F401
    PrecisionRecall,
    fid,
    frechet_distance,
    precision_recall,
    wasserstein_1d,
)
