"""genlab.gan.compare_digit_generators: each row's FID, precision and recall recomputed from
the samples it returns, independently (scipy.linalg.sqrtm in float64, a brute-force k-NN in
numpy); the data row is training digits, the reference the held-out ones. Tiny budgets: the
test checks the table's wiring, not the generators' quality."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import torch

from genlab.data import digits
from genlab.gan import DigitBudget, compare_digit_generators
from genlab.train import train_digit_classifier

EPS = np.finfo(np.float64).eps


def fid_scipy(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The textbook FID with scipy's sqrtm of C1 C2 (real part, as pytorch-fid does), and the
    tolerance of test_metrics_gan.py: 48 samples of 128 features give singular covariances,
    whose zero eigenvalues, perturbed by eps ||C||, have square roots of sqrt(eps ||C||)."""
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # "Matrix is singular": it is, by construction
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(ca @ cb).real
    want = float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * root))
    norm = max(np.linalg.norm(ca, 2), np.linalg.norm(cb, 2))
    tol = len(ca) * np.sqrt(EPS * norm) * np.sqrt(norm) + 1e-10 * (np.trace(ca) + np.trace(cb))
    return want, tol


def inside_share(queries: np.ndarray, centres: np.ndarray, k: int) -> float:
    d_cc = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    radius = np.sort(d_cc, axis=1)[:, k]  # column 0 is the point itself
    d_qc = np.linalg.norm(queries[:, None] - centres[None], axis=-1)
    return float((d_qc <= radius[None]).any(1).mean())


@pytest.fixture(scope="module")
def table():
    classifier = train_digit_classifier(seed=0, device="cpu", epochs=1)
    budget = DigitBudget(vae_epochs=1, cvae_epochs=1, dcgan_steps=3)
    state = torch.get_rng_state()
    out = compare_digit_generators(classifier, budget, n=48, seed=0)
    assert torch.equal(torch.get_rng_state(), state)  # torch's global generator untouched
    return classifier, out


def test_each_row_is_the_metrics_of_its_samples(table):
    classifier, out = table
    with torch.no_grad():
        real = classifier.model.features(out.reference).double().numpy()
    assert torch.equal(out.reference, digits("test").images[:48])
    assert [s.name for s in out.scores] == list(out.samples)
    for score in out.scores:
        x = out.samples[score.name]
        assert x.shape == (48, 1, 8, 8) and 0 <= float(x.min()) and float(x.max()) <= 1
        with torch.no_grad():
            fake = classifier.model.features(x).double().numpy()
        assert score.n == 48
        want, tol = fid_scipy(real, fake)
        assert score.fid == pytest.approx(want, abs=tol)
        assert score.precision == pytest.approx(inside_share(fake, real, 3), abs=1e-12)
        assert score.recall == pytest.approx(inside_share(real, fake, 3), abs=1e-12)


def test_the_data_row_is_training_digits_and_the_budget_is_reported(table):
    _, out = table
    data = out.scores[0]
    train = digits("train").images.flatten(1)
    rows = out.samples[data.name].flatten(1)
    assert bool((torch.cdist(rows, train).min(1).values == 0).all())  # each one a training digit
    assert data.training == "" and data.seconds == 0
    assert [s.training for s in out.scores[1:]] == ["1 epochs", "1 epochs", "3 steps"]


def test_bad_arguments_are_named(table):
    classifier, _ = table
    with pytest.raises(ValueError, match="n must be at most the 360"):
        compare_digit_generators(classifier, n=400)
    with pytest.raises(ValueError, match="budget.dcgan_steps"):
        compare_digit_generators(classifier, DigitBudget(1, 1, 0), n=8)
