"""The course palette stays distinguishable under colour-vision deficiency; the figure style.

Simulation: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation
of color vision deficiency", severity 1.0 matrices, applied to linear sRGB. Distance: CIEDE2000
(written out below from Sharma, Wu & Dalal 2005, and checked first against their 34 published
test pairs). A CIEDE2000 difference of 10 is about ten just-noticeable differences: two lines of
such colours are told apart at a glance.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from genlab import palette

MACHADO = {  # Machado et al. 2009, Table "severity 1.0", rows act on linear RGB
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}

# Sharma, Wu & Dalal (2005), Table 1: L1 a1 b1 L2 a2 b2 and their CIEDE2000 difference.
SHARMA = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (k_L = k_C = k_H = 1), Sharma et al. 2005, eqs. (1)-(22)."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)

    def hue(b, ap):
        return 0.0 if b == 0 and ap == 0 else math.degrees(math.atan2(b, ap)) % 360.0

    h1p, h2p = hue(b1, a1p), hue(b2, a2p)
    d_l, d_c = L2 - L1, c2p - c1p
    if c1p * c2p == 0:
        d_h = 0.0
    else:
        d_h = h2p - h1p
        d_h = d_h - 360.0 if d_h > 180.0 else d_h + 360.0 if d_h < -180.0 else d_h
    d_hh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(d_h / 2))
    l_bar, c_bar_p = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180.0:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360.0) / 2 if h1p + h2p < 360.0 else (h1p + h2p - 360.0) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_hh / s_h) ** 2 + r_t * (d_c / s_c) * (d_hh / s_h)
    )


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def linear_to_lab(rgb: np.ndarray) -> tuple[float, float, float]:
    """CIE L*a*b* (D65 white) of a linear sRGB colour (IEC 61966-2-1 primaries)."""
    to_xyz = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    t = to_xyz @ rgb / to_xyz.sum(axis=1)  # X/Xn, Y/Yn, Z/Zn (the white is rgb = 1)
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def hex_to_srgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float64)


def seen(color: str, deficiency: str | None) -> tuple[float, float, float]:
    rgb = srgb_to_linear(hex_to_srgb(color))
    if deficiency is not None:
        rgb = np.clip(MACHADO[deficiency] @ rgb, 0.0, 1.0)
    return linear_to_lab(rgb)


@pytest.mark.parametrize("row", SHARMA, ids=[f"pair{i + 1}" for i in range(len(SHARMA))])
def test_ciede2000_matches_sharma_et_al_test_data(row):
    *labs, expected = row
    # Table 1 prints four decimals: half a unit of the last digit
    assert ciede2000(labs[:3], labs[3:]) == pytest.approx(expected, abs=5e-5)
    assert ciede2000(labs[3:], labs[:3]) == pytest.approx(expected, abs=5e-5)


def test_machado_matrices_keep_greys_and_lab_white_is_100():
    for m in MACHADO.values():  # each row sums to 1: a dichromat sees greys as greys
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=2e-6)
    np.testing.assert_allclose(linear_to_lab(np.ones(3)), (100.0, 0.0, 0.0), atol=1e-9)


@pytest.mark.parametrize("deficiency", [None, "protanopia", "deuteranopia"])
def test_every_pair_of_series_colours_stays_apart(deficiency):
    close = []
    for c1, c2 in itertools.combinations(palette.SERIES, 2):
        d = ciede2000(seen(c1, deficiency), seen(c2, deficiency))
        if d < 10.0:
            close.append((c1, c2, round(d, 2)))
    assert close == [], f"under {deficiency or 'normal vision'} these pairs are too close"


def test_colours_that_share_a_picture_stay_apart():
    # the GAN playground's data / generator / discriminator / divergence, the ELBO bar
    roles = [palette.DATA, palette.FAKE, palette.DISCRIMINATOR, palette.DIVERGENCE]
    assert len(set(roles)) == len(roles)
    assert palette.ELBO != palette.KL and palette.POSTERIOR != palette.APPROXIMATE
    assert set(roles) <= set(palette.SERIES)
    assert len(palette.MARKERS) >= 10 and len(set(palette.MARKERS)) == len(palette.MARKERS)


def test_use_style_sets_palette_opaque_background_and_readable_sizes():
    import matplotlib
    from matplotlib.colors import to_rgba
    from matplotlib.font_manager import FontProperties

    from genlab.plots import use_style

    with matplotlib.rc_context():
        use_style()
        rc = matplotlib.rcParams
        cycle = [to_rgba(c["color"]) for c in rc["axes.prop_cycle"]]
        assert cycle == [to_rgba(c) for c in palette.SERIES]
        for key in ("figure.facecolor", "axes.facecolor", "savefig.facecolor"):
            assert to_rgba(rc[key])[3] == 1.0, f"{key} must be opaque; got {rc[key]!r}"
        for key in (
            "font.size",
            "legend.fontsize",
            "xtick.labelsize",
            "ytick.labelsize",
            "axes.labelsize",
            "axes.titlesize",
        ):
            points = FontProperties(size=rc[key]).get_size_in_points()
            assert points >= 9.0, f"{key} is {points} pt; at least 9 pt is readable"
        assert rc["legend.loc"] == "best" and rc["legend.framealpha"] == 1.0


def test_class_scatter_gives_each_class_a_colour_a_marker_and_a_label():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from genlab.plots import class_scatter

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 20)
    points = rng.normal(size=(200, 2)) + labels[:, None] * 3.0
    fig, ax = plt.subplots()
    try:
        class_scatter(ax, points, labels)
        markers = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in ax.collections}
        assert len(ax.collections) == 10 and len(markers) == 10
        assert sorted(t.get_text() for t in ax.texts) == [str(i) for i in range(10)]
        with pytest.raises(ValueError, match="points must have shape"):
            class_scatter(ax, points[:, :1], labels)
    finally:
        plt.close(fig)
