"""The rate-distortion explorer: its points are genlab.metrics' numbers, the slider swaps the
images and the plots, and bad input is refused."""

import pytest
import torch

from genlab.metrics import active_units, rate_distortion
from genlab.models.vae import VAEConfig, build_vae
from genlab.widgets import rate_distortion_explorer


def _models():
    out = []
    for seed, beta in ((0, 0.5), (1, 2.0)):
        torch.manual_seed(seed)
        out.append((beta, build_vae(VAEConfig(latent_dim=3, hidden=(16,)))))
    return out


def test_points_are_the_metrics_and_the_slider_changes_the_view():
    models = _models()
    x = (torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    box = rate_distortion_explorer(models, x, n_show=4, seed=0)
    for (beta, model), (b, rd, units) in zip(models, box.points, strict=True):
        expected = rate_distortion(model, x, generator=torch.Generator().manual_seed(0))
        assert b == beta and rd.rate == pytest.approx(expected.rate)
        assert rd.distortion == pytest.approx(expected.distortion)
        with torch.no_grad():
            assert units == int(active_units(model.encode(x).mu).sum())
    before = (box.images.value, box.plane.value, box.bars.value, box.readout.value)
    box.slider.value = 1
    after = (box.images.value, box.plane.value, box.bars.value, box.readout.value)
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert "beta = 2" in box.readout.value and "<svg" in box.plane.value


def test_bad_input_is_refused():
    x = torch.rand(5, 1, 8, 8)
    with pytest.raises(ValueError, match="models"):
        rate_distortion_explorer(_models()[:1], x)
    same = [(1.0, m) for _, m in _models()]
    with pytest.raises(ValueError, match="distinct"):
        rate_distortion_explorer(same, x)
