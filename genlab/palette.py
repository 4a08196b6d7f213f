"""The course's colours: the Okabe-Ito palette, named by role, and JupyterLab's theme colours.

Okabe & Ito (2008), "Color Universal Design": eight colours that stay apart under the common
colour-vision deficiencies (``tests/test_palette.py`` checks every pair of series colours under
simulated protanopia and deuteranopia). Black is left out of the series: it vanishes on a dark
theme; text, frames and reference lines use the theme's colours instead (``THEME``), which are
CSS variables of JupyterLab with a light-theme fallback. Used by :mod:`genlab.widgets` and by
:func:`genlab.plots.use_style`. No math and no imports: anything may import it.
"""

ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

#: Series colours in the order plots use them (matplotlib's colour cycle).
SERIES = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, SKY_BLUE, REDDISH_PURPLE, YELLOW)

#: Marker shapes that go with ``SERIES`` when more classes than colours are drawn (digits 0-9):
#: class ``i`` gets colour ``SERIES[i % 7]`` and marker ``MARKERS[i]``.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", "h")

# -- roles in the GAN and VAE pictures (one meaning, one colour, everywhere) -------------------
DATA = BLUE  # real data, p_data
FAKE = ORANGE  # the generator, p_g, G(z)
DISCRIMINATOR = BLUISH_GREEN  # D(x), the discriminator's loss
DIVERGENCE = VERMILLION  # JSD and other divergences
POSTERIOR = BLUE  # p(z|x)
APPROXIMATE = ORANGE  # q(z)
ELBO = BLUE
KL = ORANGE
HIGHLIGHT = VERMILLION  # a selected point, code or region

#: JupyterLab theme colours as CSS values (variable, then a light-theme fallback): SVG and HTML
#: written with them are legible in JupyterLab Light and Dark alike.
THEME = {
    "text": "var(--jp-ui-font-color1, #212121)",
    "muted": "var(--jp-ui-font-color1, #424242)",  # tick labels: full contrast, smaller
    "reference": "var(--jp-ui-font-color1, #212121)",  # D*, chance lines
    "frame": "var(--jp-border-color1, #9e9e9e)",
    "grid": "var(--jp-border-color2, #e0e0e0)",
    "background": "var(--jp-layout-color0, #ffffff)",
    "panel": "var(--jp-layout-color1, #ffffff)",
    "empty": "var(--jp-layout-color3, #bdbdbd)",
}
