"""Widgets over VAEs and the ELBO gap, driven headlessly: set a control's value or click a
button, then check the shown PNG against the model's own decode and the readout against the
LVM's own numbers."""

from __future__ import annotations

import io
import math
import re

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from PIL import Image as PILImage
from torch.distributions import MultivariateNormal

from genlab.models import VAEConfig, build_vae
from genlab.models.conditional import (
    CVAE,
    SPRITE_ATTRIBUTES,
    CVAEConfig,
    digit_attributes,
    sprite_attributes,
)
from genlab.models.vqvae import VQVAE, VQVAEConfig
from genlab.theory import LinearGaussianLVM
from genlab.widgets import (
    attribute_controls,
    codebook_viewer,
    elbo_gap_explorer,
    grid,
    interpolation,
    latent_explorer,
    manifold_grid,
    measure_latency,
    to_png,
    traversal,
)

# ---------------------------------------------------------------------------- helpers


def pixels(png: bytes) -> np.ndarray:
    """Decoded PNG as an array (H, W) or (H, W, 3) of uint8."""
    return np.asarray(PILImage.open(io.BytesIO(png)))


def expected_u8(images: torch.Tensor) -> np.ndarray:
    """What the renderer should show for images in [0, 1], computed the naive way."""
    return np.floor(images.detach().double().clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)


def cells(png: bytes, n_rows: int, n_cols: int, h: int, w: int, scale: int, pad: int = 1):
    """Cut a grid PNG back into its cells at the original resolution: (rows, cols, h, w)."""
    a = pixels(png)[::scale, ::scale]
    assert a.shape == (n_rows * h + (n_rows - 1) * pad, n_cols * w + (n_cols - 1) * pad)
    out = np.empty((n_rows, n_cols, h, w), dtype=np.uint8)
    for r in range(n_rows):
        for c in range(n_cols):
            out[r, c] = a[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w]
    return out


def decoded(model, z: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.mean(model.decode(z))


def all_widgets(root: widgets.Widget):
    yield root
    for child in getattr(root, "children", ()):
        yield from all_widgets(child)


def assert_tidy(box: widgets.VBox, name: str) -> None:
    """The CSS class is there and every control says what it controls."""
    assert f"genlab-{name}" in box._dom_classes
    for w in all_widgets(box):
        if isinstance(w, widgets.Button | widgets.FloatSlider | widgets.IntSlider):
            assert w.description.strip(), f"{type(w).__name__} without a description"
        if isinstance(w, widgets.Dropdown):
            assert w.description.strip()


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return build_vae("digits")


@pytest.fixture(scope="module")
def conv_vae():
    torch.manual_seed(1)
    config = VAEConfig(
        input_shape=(1, 8, 8), latent_dim=3, arch="conv", channels=(4,), hidden=(16,)
    )
    return build_vae(config)


@pytest.fixture(scope="module")
def x():
    return torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))


# ---------------------------------------------------------------------------- rendering


def test_to_png_scales_and_rounds():
    image = torch.tensor([[[0.0, 0.5], [1.0, 2.0]]])  # (1, 2, 2); 2.0 clips to 255
    a = pixels(to_png(image, scale=3))
    assert a.shape == (6, 6)
    assert a[::3, ::3].tolist() == [[0, 128], [255, 255]]
    assert (a[:3, :3] == 0).all()
    rgb = pixels(to_png(image, scale=1, cmap="gray_r"))
    assert rgb.shape == (2, 2, 3) and rgb[0, 0].tolist() == [255, 255, 255]
    with pytest.raises(ValueError, match="scale"):
        to_png(image, scale=0)
    with pytest.raises(ValueError, match="image"):
        to_png(torch.zeros(2, 2, 2, 2))


def test_grid_tiles_row_major():
    images = torch.arange(5.0)[:, None, None, None].expand(5, 1, 2, 3) / 10  # 5 images 2x3
    g = grid(images, nrow=3, pad=1, pad_value=-1.0)
    assert g.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert g[0, 0] == 0.0 and g[0, 4] == pytest.approx(0.1) and g[3, 4] == pytest.approx(0.4)
    assert g[2, 0] == -1.0 and g[3, 8] == -1.0  # the gap and the empty last cell
    with pytest.raises(ValueError, match="nrow"):
        grid(images, nrow=0)


# ---------------------------------------------------------------------------- latent explorer


def test_latent_explorer_shows_the_decoded_mean(vae):
    box = latent_explorer(vae, value_range=2.0, scale=4)
    assert_tidy(box, "latent-explorer")
    assert len(box.sliders) == vae.latent_dim and box.sliders[0].max == 2.0
    before = box.image.value
    box.sliders[0].value = 1.25
    box.sliders[1].value = -0.5
    z = torch.tensor([[1.25, -0.5]])
    assert box.image.value != before
    assert torch.equal(box.z(), z)
    assert box.image.value == to_png(decoded(vae, z)[0], scale=4)
    assert np.array_equal(pixels(box.image.value)[::4, ::4], expected_u8(decoded(vae, z)[0, 0]))
    assert "1.25" in box.readout.value and "-0.50" in box.readout.value
    box.button.click()  # reset
    assert all(s.value == 0.0 for s in box.sliders)
    assert box.image.value == before


def test_latent_explorer_dims_subset_and_errors(conv_vae):
    conv_vae.train()
    box = latent_explorer(conv_vae, dims=[2], scale=2)
    assert conv_vae.training  # the widget evaluates in eval mode and restores the flag
    assert len(box.sliders) == 1 and box.sliders[0].description == "z[2]"
    box.sliders[0].value = 1.0
    z = torch.tensor([[0.0, 0.0, 1.0]])
    conv_vae.eval()
    assert box.image.value == to_png(decoded(conv_vae, z)[0], scale=2)
    conv_vae.train()
    with pytest.raises(ValueError, match="dims"):
        latent_explorer(conv_vae, dims=[3])
    with pytest.raises(ValueError, match="dims"):
        latent_explorer(conv_vae, dims=[0, 0])
    with pytest.raises(ValueError, match="value_range"):
        latent_explorer(conv_vae, value_range=-1)
    with pytest.raises(ValueError, match="model"):
        latent_explorer(build_vae("toy2d"))  # not an image model
    conv_vae.eval()


def test_latent_explorer_is_fast(vae):
    box = latent_explorer(vae)
    timing = measure_latency(box.sliders[0], np.linspace(-3, 3, 30).tolist())
    assert timing["n"] == 30 and timing["median"] < 0.030  # the course's budget per redraw


# ---------------------------------------------------------------------------- manifold grid


def test_manifold_grid_cells_are_decoded_grid_points(vae):
    box = manifold_grid(vae, n=3, span=2.0, scale=1)
    assert_tidy(box, "manifold-grid")
    got = cells(box.image.value, 3, 3, 8, 8, scale=1)
    ticks = [-2.0, 0.0, 2.0]
    for r in range(3):
        for c in range(3):
            z = torch.tensor([[ticks[c], ticks[2 - r]]])  # columns z[0] up, rows z[1] down
            assert np.array_equal(got[r, c], expected_u8(decoded(vae, z)[0, 0]))
    box.n.value = 4
    assert cells(box.image.value, 4, 4, 8, 8, scale=1).shape == (4, 4, 8, 8)
    before = box.image.value
    box.dim_x.value, box.dim_y.value = 1, 0  # swap the axes: the grid transposes
    assert box.image.value != before
    shown = box.image.value
    box.dim_y.value = 1  # same as dim_x: a message, no new image
    assert "different" in box.readout.value and box.image.value == shown


def test_manifold_grid_errors(vae, conv_vae):
    with pytest.raises(ValueError, match="dims"):
        manifold_grid(vae, dims=(0, 2))
    with pytest.raises(ValueError, match="dims"):
        manifold_grid(conv_vae, dims=(0, 1, 2))
    with pytest.raises(ValueError, match="n"):
        manifold_grid(vae, n=1)
    with pytest.raises(ValueError, match="span"):
        manifold_grid(vae, span=0)


# ---------------------------------------------------------------------------- interpolation


def test_interpolation_decodes_the_line_between_posterior_means(vae, x):
    box = interpolation(vae, x[0], x[1:2], steps=5, scale=3)
    assert_tidy(box, "interpolation")
    with torch.no_grad():
        mu_a, mu_b = vae.encode(x[0:1]).mu, vae.encode(x[1:2]).mu
    assert box.image.value == to_png(vae.reconstruct(x[0:1])[0], scale=3)  # alpha = 0
    box.slider.value = 0.3
    z = 0.7 * mu_a + 0.3 * mu_b
    assert np.array_equal(pixels(box.image.value)[::3, ::3], expected_u8(decoded(vae, z)[0, 0]))
    strip_scale = pixels(box.strip.value).shape[0] // 8
    strip = cells(box.strip.value, 1, 5, 8, 8, scale=strip_scale)
    for i, alpha in enumerate(torch.linspace(0, 1, 5).tolist()):
        z = (1 - alpha) * mu_a + alpha * mu_b
        assert np.abs(strip[0, i].astype(int) - expected_u8(decoded(vae, z)[0, 0])).max() <= 1


def test_interpolation_rejects_bad_inputs(vae, x):
    with pytest.raises(ValueError, match="x_b"):
        interpolation(vae, x[0], x[:2])  # a batch of two is not one input
    with pytest.raises(ValueError, match="x_a"):
        interpolation(vae, torch.rand(1, 9, 9), x[1])
    with pytest.raises(ValueError, match="steps"):
        interpolation(vae, x[0], x[1], steps=1)


# ---------------------------------------------------------------------------- traversal


def test_traversal_rows_vary_one_latent_from_the_posterior_mean(conv_vae, x):
    box = traversal(conv_vae, x, dims=[0, 2], span=1.5, steps=4, scale=1)
    assert_tidy(box, "traversal")
    assert box.index.options[-1] == ("input 3", 3)
    box.index.value = 3
    with torch.no_grad():
        mu = conv_vae.encode(x[3:4]).mu
    got = cells(box.image.value, 2, 4, 8, 8, scale=1)
    for r, d in enumerate([0, 2]):
        for c, v in enumerate(torch.linspace(-1.5, 1.5, 4).tolist()):
            z = mu.clone()
            z[0, d] = v
            want = expected_u8(decoded(conv_vae, z)[0, 0])
            assert np.abs(got[r, c].astype(int) - want).max() <= 1
    src = cells(box.source.value, 2, 1, 8, 8, scale=1)
    assert np.array_equal(src[0, 0], expected_u8(x[3, 0]))
    before = box.image.value
    box.span.value = 3.0
    assert box.image.value != before


def test_traversal_names_dcign_factors():
    from genlab.models.dcign import DCIGN, DCIGNConfig

    torch.manual_seed(5)
    model = DCIGN(DCIGNConfig(latent_dim=5, channels=(4, 4, 4, 4), hidden=(16,)))
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(6))
    box = traversal(model, x, dims=[0, 4], steps=3, scale=1)
    assert "z[0] (x)" in box.readout.value and "z[4]," not in box.readout.value
    assert cells(box.image.value, 2, 3, 32, 32, scale=1).shape == (2, 3, 32, 32)


def test_traversal_single_input_and_errors(conv_vae, x):
    box = traversal(conv_vae, x[0])
    assert box.index is None and box.dims == (0, 1, 2)
    with pytest.raises(ValueError, match="x"):
        traversal(conv_vae, torch.rand(2, 8, 8))
    with pytest.raises(ValueError, match="dims"):
        traversal(conv_vae, x, dims=[5])
    with pytest.raises(ValueError, match="steps"):
        traversal(conv_vae, x, steps=1)


# ---------------------------------------------------------------------------- conditional VAE


@pytest.fixture(scope="module")
def digits_cvae():
    torch.manual_seed(3)
    return CVAE(CVAEConfig(latent_dim=3, hidden=(32,)))


def test_attribute_controls_digits(digits_cvae):
    box = attribute_controls(digits_cvae, n=4, seed=0, scale=2)
    assert_tidy(box, "attribute-controls")
    assert box.kind == "digits" and box.z().shape == (4, 3)
    box.controls["class"].value = 7
    y = digit_attributes(torch.tensor([7]))
    assert torch.equal(box.y(), y)
    with torch.no_grad():
        images = digits_cvae.mean(digits_cvae.decode(box.z(), y.expand(4, -1)))
    assert box.image.value == to_png(grid(images, nrow=4), scale=2)
    z_before, shown = box.z().clone(), box.image.value
    box.button.click()  # new noise, same class
    assert not torch.equal(box.z(), z_before) and box.image.value != shown
    assert box.controls["class"].value == 7


def test_attribute_controls_sprites():
    torch.manual_seed(4)
    config = CVAEConfig(
        input_shape=(1, 32, 32),
        attribute_dim=len(SPRITE_ATTRIBUTES),
        latent_dim=2,
        hidden=(16,),
        arch="conv",
        channels=(4, 4),
    )
    cvae = CVAE(config)
    box = attribute_controls(cvae, n=3, scale=1)
    assert box.kind == "sprites"
    assert set(box.controls) == {"shape", "scale", "x", "y", "rotation"}
    shown = box.image.value
    box.controls["shape"].value = 2
    box.controls["x"].value = 0.3
    assert box.image.value != shown
    c = box.controls
    factors = torch.tensor([[2.0, c["scale"].value, c["rotation"].value, 0.3, c["y"].value]])
    assert torch.allclose(box.y(), sprite_attributes(factors))
    with pytest.raises(ValueError, match="attributes"):
        attribute_controls(cvae, attributes="faces")


def test_attribute_controls_rejects_a_plain_vae(vae, digits_cvae):
    with pytest.raises(ValueError, match="cvae"):
        attribute_controls(vae)
    with pytest.raises(ValueError, match="attributes"):
        attribute_controls(digits_cvae, attributes="sprites")  # attribute_dim 10


# ---------------------------------------------------------------------------- VQ-VAE


@pytest.fixture(scope="module")
def vqvae():
    torch.manual_seed(10)
    model = VQVAE(VQVAEConfig(channels=(4,), code_dim=2, codebook_size=6))
    with torch.no_grad():  # codes spread over the encoder's outputs, so several are used
        z_e = model.encode(torch.rand(6, 1, 8, 8)).movedim(1, -1).reshape(-1, 2)
        model.codebook.copy_(z_e[torch.randperm(len(z_e))[:6]])
    return model


def test_codebook_viewer_swaps_one_code(vqvae, x):
    box = codebook_viewer(vqvae, x, scale=2)
    assert_tidy(box, "codebook-viewer")
    codes = vqvae.codes(x)  # (4, 4, 4)
    assert torch.equal(box.counts, torch.bincount(codes.flatten(), minlength=6))
    assert len(codes.unique()) > 2
    box.index.value = 2
    box.position.value = (1, 3)
    assert box.code.value == int(codes[2, 1, 3])  # starts at the encoder's choice
    assert box.image.value == box.reconstruction.value
    assert box.reconstruction.value == to_png(vqvae.reconstruct(x[2:3])[0], scale=2)
    assert box.source.value == to_png(x[2], scale=2)
    shown = [int(k) for k in re.findall(r">(\d+)</td>", box.indices.value)]
    assert shown == codes[2].flatten().tolist()
    usage_before = box.usage.value
    new = (int(codes[2, 1, 3]) + 1) % 6
    box.code.value = new
    edited = codes[2:3].clone()
    edited[0, 1, 3] = new
    assert torch.equal(box.grid(), edited)
    assert box.image.value == to_png(vqvae.decode_indices(edited)[0], scale=2)
    assert box.usage.value != usage_before  # the selected bar is highlighted
    assert f"code {new} chosen {int(box.counts[new])} times" in box.readout.value
    box.button.click()
    assert box.code.value == int(codes[2, 1, 3])
    assert box.image.value == box.reconstruction.value


def test_codebook_viewer_errors(vqvae, vae, x):
    with pytest.raises(ValueError, match="x"):
        codebook_viewer(vqvae, torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match="vqvae"):
        codebook_viewer(vae, x)
    assert codebook_viewer(vqvae, x[0]).index is None


# ---------------------------------------------------------------------------- ELBO gap


def make_lvm(d: int, k: int, seed: int) -> LinearGaussianLVM:
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    b = torch.randn(d, generator=g, dtype=torch.float64)
    return LinearGaussianLVM(W, b, 0.7)


def readout_numbers(html: str) -> list[float]:
    return [float(v) for v in re.findall(r"(-?\d+\.\d{6})</td>", html)]


def test_elbo_gap_explorer_numbers_come_from_the_lvm():
    lvm = make_lvm(3, 1, seed=5)
    x = lvm.sample(1, generator=torch.Generator().manual_seed(6)).x  # (1, 3)
    box = elbo_gap_explorer(lvm, x[0])
    assert_tidy(box, "elbo-gap")
    mean, logvar = box.sliders
    mean.value, logvar.value = 0.4, -1.0
    q = MultivariateNormal(
        torch.tensor([[0.4]], dtype=torch.float64),
        torch.tensor([[[math.exp(-1.0)]]], dtype=torch.float64),
    )
    log_px, elbo, kl = (
        float(lvm.log_marginal(x)[0]),
        float(lvm.elbo(x, q)[0]),
        float(lvm.kl_to_posterior(x, q)[0]),
    )
    assert box.numbers["log_px"] == log_px
    assert box.numbers["elbo"] == pytest.approx(elbo, abs=1e-12)
    assert box.numbers["kl"] == pytest.approx(kl, abs=1e-12)
    assert kl > 0.01 and elbo + kl == pytest.approx(log_px, abs=1e-9)
    shown = readout_numbers(box.readout.value)
    assert shown[:3] == pytest.approx([log_px, elbo, kl], abs=1e-6)
    assert abs(shown[3]) < 1e-6  # ELBO + KL - log p(x)
    assert "genlab-kl-bar" in box.bar.value and "genlab-elbo-bar" in box.bar.value
    bar_before = box.bar.value

    box.button.click()  # E-step: q <- p(z|x)
    post = lvm.posterior(x)
    assert box.numbers["kl"] < 1e-9
    assert box.numbers["elbo"] == pytest.approx(log_px, abs=1e-9)
    assert mean.value == pytest.approx(float(post.loc[0, 0]))
    assert logvar.value == pytest.approx(math.log(float(post.covariance_matrix[0, 0, 0])))
    assert box.bar.value != bar_before
    assert re.search(r'genlab-kl-bar" style="[^"]*width:0\.000%', box.bar.value)


def test_elbo_gap_explorer_multivariate_latent_closes_the_gap():
    lvm = make_lvm(5, 3, seed=7)
    x = lvm.sample(1, generator=torch.Generator().manual_seed(8)).x
    box = elbo_gap_explorer(lvm, x, dim=1)
    assert box.numbers["kl"] > 0.01
    box.button.click()
    assert box.numbers["kl"] < 1e-9
    mean, logvar = box.sliders
    mean.value = 0.0  # move away and back by the sliders alone: q is the posterior again
    assert box.numbers["kl"] > 1e-3
    post = lvm.posterior(x)
    mean.value = float(post.loc[0, 1])
    assert box.numbers["kl"] < 1e-9
    assert box.numbers["elbo"] + box.numbers["kl"] == pytest.approx(box.numbers["log_px"])
    assert torch.allclose(box.q().covariance_matrix, post.covariance_matrix)


def test_elbo_gap_explorer_errors():
    lvm = make_lvm(3, 1, seed=9)
    with pytest.raises(ValueError, match="x"):
        elbo_gap_explorer(lvm, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="x"):
        elbo_gap_explorer(lvm, torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="dim"):
        elbo_gap_explorer(lvm, torch.zeros(3, dtype=torch.float64), dim=1)
    with pytest.raises(ValueError, match="lvm"):
        elbo_gap_explorer(object(), torch.zeros(3, dtype=torch.float64))


def test_latent_explorer_pad_shows_and_sets_z(vae):
    from genlab import data

    digits = data.digits("test")
    box = latent_explorer(vae, data=digits.images[:60], labels=digits.labels[:60])
    assert box.pad is not None and "genlab-pad-z" in box.pad.value
    box.pad_input.value = "1.25,-0.5"  # what a click on the pad writes
    torch.testing.assert_close(box.z(), torch.tensor([[1.25, -0.5]]))
    assert [s.value for s in box.sliders] == [1.25, -0.5]
    # the ring sits where z is: centre of the circle in data coordinates
    cx, cy = (
        float(v) for v in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', box.pad.value)[0]
    )
    left, top, right, bottom = (
        float(v) for v in re.search(r'data-box="([^"]+)"', box.pad.value).group(1).split()
    )
    assert -3 + (cx - left) / (right - left) * 6 == pytest.approx(1.25, abs=0.02)
    assert 3 - (cy - top) / (bottom - top) * 6 == pytest.approx(-0.5, abs=0.02)
    box.pad_input.value = "not a point"  # ignored
    torch.testing.assert_close(box.z(), torch.tensor([[1.25, -0.5]]))
    with pytest.raises(ValueError, match="labels must have shape"):
        latent_explorer(vae, data=digits.images[:5], labels=digits.labels[:4])


def test_images_are_shown_at_a_constant_unstretched_size(vae):
    from genlab.widgets._common import png_size

    box = manifold_grid(vae, n=5)
    sizes = set()
    for n in (5, 10, 15):
        box.n.value = n
        assert max(int(box.image.width), int(box.image.height)) == 480
        assert 480 / n >= 32  # every digit at least 32 px on screen
        w, h = png_size(box.image.value)
        assert int(box.image.width) / w == pytest.approx(int(box.image.height) / h)  # no stretch
        sizes.add((box.image.width, box.image.height))
    assert len(sizes) == 1
    assert box.n.max == 15


def test_vq_region_frames_the_code_cell_and_marks_what_changed():
    from genlab.widgets.vqvae import region_image

    recon = torch.zeros(1, 8, 8)
    edited = recon.clone()
    edited[0, 4:6, 0:2] = 1.0  # the change, inside cell (1, 0) of a 2 x 2 code grid
    out = region_image(recon, edited, (1, 0), (2, 2), scale=4)  # (32, 32, 3)
    assert out.shape == (32, 32, 3)
    sky = np.array([0x56, 0xB4, 0xE9]) / 255
    framed = np.all(np.isclose(out, sky, atol=1e-6), axis=-1)
    rows, cols = np.nonzero(framed)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (16, 31, 0, 15)
    vermillion = np.array([0xD5, 0x5E, 0x00]) / 255
    changed = np.all(np.isclose(out, vermillion, atol=1e-6), axis=-1)
    assert changed[18:24, 2:8].all() and not changed[:16].any()
