"""Every genlab widget as a student sees it: 1366 x 768, the file browser open, JupyterLab Light
and Dark. A gallery notebook (written at test time, small models, a few seconds of training)
shows each widget once; then, in both themes:

- each widget is at most about 650 px tall, so it fits the screen below the toolbar;
- every text of genlab's SVG panels has a WCAG contrast ratio of at least 4.5:1 against the
  background it is drawn on, both read from the browser's computed styles;
- no mark of an SVG panel (polyline, path, polygon) leaves its axes' box;
- no part of a widget reaches beyond the right edge of its output area (a wide row wraps);
- "Step D ×50" (with R1 = 0) changes the drawn D(x) and brings it towards D*.

Screenshots of each widget in each theme land in tests/artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import nbformat
import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}
MAX_HEIGHT = 650
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

SETUP = """
import torch
import genlab.plots
from genlab import data
from genlab.models import build_vae
from genlab.models.conditional import CVAE, CVAEConfig
from genlab.models.vqvae import VQVAE, VQVAEConfig
from genlab.theory import LinearGaussianLVM
from genlab.train import fit
from genlab.widgets import (attribute_controls, codebook_viewer, elbo_gap_explorer, gan_playground,
                            interpolation, latent_explorer, manifold_grid, predict,
                            rate_distortion_explorer, traversal)
genlab.plots.use_style()
torch.manual_seed(0)
digits = data.digits("train")
vae = build_vae("digits")
fit(vae, digits.images[:512], epochs=25, batch_size=128, lr=3e-3, progress=False)
vq = VQVAE(VQVAEConfig(channels=(4,), code_dim=2, codebook_size=6))
cvae = CVAE(CVAEConfig(latent_dim=3, hidden=(32,)))
lvm = LinearGaussianLVM(W=torch.tensor([[2.0], [1.0]]), b=torch.tensor([0.5, -1.0]), sigma=0.4)
"""

# (CSS name, the cell that displays it)
GALLERY = [
    ("elbo-gap", "elbo_gap_explorer(lvm, torch.tensor([1.0, 0.5]))"),
    (
        "latent-explorer",
        "latent_explorer(vae, data=digits.images[:300], labels=digits.labels[:300])",
    ),
    ("manifold-grid", "manifold_grid(vae, n=15, span=2.5)"),
    ("interpolation", "interpolation(vae, digits.images[0], digits.images[1], steps=8)"),
    ("traversal", "traversal(vae, digits.images[:4], span=2.5, steps=9)"),
    ("attribute-controls", "attribute_controls(cvae)"),
    ("codebook-viewer", "codebook_viewer(vq, digits.images[:32])"),
    ("gan-playground", "gan_playground(1, r1=0.0)"),
    ("gan-playground-ring", "gan_playground(2, target='ring')"),
    # the same model under two betas: the layout, not the models, is what is looked at here
    ("rate-distortion", "rate_distortion_explorer([(1.0, vae), (2.0, vae)], digits.images[:64])"),
    (
        "predict",
        "predict('Which has the lower variance?', ['score function', 'reparameterization'], "
        "answer='reparameterization', explanation='It differentiates f along the path.')",
    ),
]

CONTRAST_JS = """
() => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const v = m[1].split(',').map(Number);
        return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1};
    };
    const lum = (c) => {
        const f = (u) => {
            u /= 255;
            return u <= 0.04045 ? u / 12.92 : ((u + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
            if (e instanceof SVGElement && e.tagName !== 'svg') continue;
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c.a > 0.5) return c;
        }
        return {r: 255, g: 255, b: 255, a: 1};
    };
    const out = [];
    for (const text of document.querySelectorAll('.genlab-widget svg.genlab-svg text')) {
        const fg = parse(getComputedStyle(text).fill);
        const bg = background(text.closest('svg'));
        if (!fg) {
            out.push({text: text.textContent, ratio: 0, fill: getComputedStyle(text).fill});
            continue;
        }
        // a backing rectangle drawn just before the text (a note) is its background
        let behind = bg;
        const prev = text.previousElementSibling;
        if (prev && prev.tagName === 'rect' && prev.getAttribute('rx')) {
            const c = parse(getComputedStyle(prev).fill);
            if (c) behind = c;
        }
        const [a, b] = [lum(fg), lum(behind)].sort((x, y) => y - x);
        out.push({text: text.textContent, ratio: (a + 0.05) / (b + 0.05),
                  fill: getComputedStyle(text).fill});
    }
    return out;
}
"""

OUTSIDE_JS = """
() => {
    const out = [];
    for (const svg of document.querySelectorAll('.genlab-widget svg.genlab-svg')) {
        const [l, t, r, b] = svg.dataset.box.split(' ').map(Number);
        const marks = '.genlab-marks polyline, .genlab-marks path, .genlab-marks polygon';
        for (const mark of svg.querySelectorAll(marks)) {
            const box = mark.getBBox();
            const tol = 1.0 + (parseFloat(getComputedStyle(mark).strokeWidth) || 0) / 2;
            if (box.x < l - tol || box.y < t - tol || box.x + box.width > r + tol ||
                box.y + box.height > b + tol) {
                out.push({svg: svg.getAttribute('class'), mark: mark.tagName,
                          box: [box.x, box.y, box.x + box.width, box.y + box.height],
                          axes: [l, t, r, b]});
            }
        }
    }
    return out;
}
"""


WIDER_JS = """
() => {
    const out = [];
    for (const widget of document.querySelectorAll('.genlab-widget')) {
        const area = widget.closest('.jp-OutputArea-output') || widget.parentElement;
        const right = area.getBoundingClientRect().right;
        let widest = 0;
        for (const el of widget.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0) widest = Math.max(widest, r.right);
        }
        // a few pixels are a border or a slider's handle; a panel cut off is tens or hundreds
        if (widest > right + 4) {
            out.push({widget: widget.className, beyond: Math.round(widest - right)});
        }
    }
    return out;
}
"""


def write_gallery() -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [
        nbformat.v4.new_code_cell(code) for _, code in GALLERY
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = ARTIFACTS / "gallery.ipynb"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def gallery(browser, lab):
    """The gallery, run once, in a 1366 x 768 page with the file browser open."""
    from tests.browser.test_lab import error_outputs, open_and_run_all_at

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(f"page error: {err}"))
    open_and_run_all_at(page, lab, write_gallery())
    page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
    page.wait_for_timeout(500)
    assert error_outputs(page) == []
    yield page
    context.close()


def set_theme(page, theme: str) -> None:
    page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})",
        THEMES[theme],
    )
    light = "true" if theme == "light" else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'")
    page.wait_for_timeout(800)


def widgets_on_page(page):
    boxes = page.locator(".genlab-widget")
    assert boxes.count() == len(GALLERY), f"expected {len(GALLERY)} widgets, got {boxes.count()}"
    return [(name, boxes.nth(i)) for i, (name, _) in enumerate(GALLERY)]


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_widget_fits_the_screen_and_is_legible(gallery, theme):
    page = gallery
    set_theme(page, theme)
    sidebar = page.locator("#jp-left-stack")
    assert sidebar.is_visible(), "the file browser should be open, as on a student's screen"
    too_tall = {}
    for name, box in widgets_on_page(page):
        box.scroll_into_view_if_needed()
        page.wait_for_timeout(150)
        box.screenshot(path=str(ARTIFACTS / f"look-{name}-{theme}.png"))
        height = box.bounding_box()["height"]
        if height > MAX_HEIGHT:
            too_tall[name] = height
    assert too_tall == {}, f"taller than {MAX_HEIGHT} px at 1366 x 768: {too_tall}"
    texts = page.evaluate(CONTRAST_JS)
    assert len(texts) > 50
    faint = [t for t in texts if t["ratio"] < 4.5]
    assert faint == [], f"SVG text below WCAG 4.5:1 in {theme}: {faint[:8]}"
    outside = page.evaluate(OUTSIDE_JS)
    assert outside == [], f"SVG marks outside their axes: {outside[:5]}"
    wider = page.evaluate(WIDER_JS)
    assert wider == [], f"widgets wider than their output area (px beyond): {wider}"
    assert [e for e in page.console_errors if "favicon" not in e] == []


def d_line(playground) -> list[float]:
    points = playground.locator("polyline.genlab-d-line").first.get_attribute("points")
    return [float(p.split(",")[1]) for p in points.split()]


def readout_value(playground, label: str) -> str:
    text = playground.locator(".genlab-gan-readout").inner_text()
    line = next(line for line in text.splitlines() if line.startswith(label))
    return line.split()[-1]


def test_step_d_many_moves_the_drawn_discriminator_towards_d_star(gallery):
    page = gallery
    set_theme(page, "light")
    playground = page.locator(".genlab-gan-playground").first
    playground.scroll_into_view_if_needed()
    before_steps = int(readout_value(playground, "discriminator steps"))
    before_error = float(readout_value(playground, "mean |D − D*| on data"))
    before = d_line(playground)
    playground.get_by_role("button", name="Step D ×50").click()
    page.wait_for_function(
        "(n) => { const t = document.querySelector('.genlab-gan-playground .genlab-gan-readout')"
        ".innerText; const m = t.match(/discriminator steps\\s+(\\d+)/); "
        "return m && Number(m[1]) >= n; }",
        arg=before_steps + 50,
        timeout=60_000,
    )
    page.wait_for_timeout(300)
    after = d_line(playground)
    after_error = float(readout_value(playground, "mean |D − D*| on data"))
    playground.screenshot(path=str(ARTIFACTS / "look-gan-playground-after-step-d-50.png"))
    assert len(before) == len(after)
    moved = sum(abs(a - b) for a, b in zip(before, after, strict=True)) / len(before)
    assert moved > 5.0, f"D(x) moved {moved:.1f} px on average: not visible"
    assert after_error < 0.5 * before_error, (before_error, after_error)


def test_a_click_on_the_latent_pad_moves_z_there(gallery):
    page = gallery
    explorer = page.locator(".genlab-latent-explorer").first
    explorer.scroll_into_view_if_needed()
    pad = explorer.locator("svg.genlab-pad").first
    left, top, right, bottom = (float(v) for v in pad.get_attribute("data-box").split())
    # data (1.5, -1.5) on axes from -3 to 3: three quarters across, three quarters down
    pad.click(position={"x": left + 0.75 * (right - left), "y": top + 0.75 * (bottom - top)})
    page.wait_for_function(
        "() => !document.querySelector('.genlab-latent-explorer code').textContent"
        ".startsWith('z = (0.00, 0.00')",
        timeout=30_000,
    )
    text = explorer.locator("code").first.inner_text()
    z0, z1 = (float(v) for v in text.split("(")[1].rstrip(")").split(","))
    # within a pixel (6 / 242 of a unit) plus the sliders' step (0.03)
    assert abs(z0 - 1.5) < 0.06 and abs(z1 + 1.5) < 0.06, text
    explorer.screenshot(path=str(ARTIFACTS / "look-latent-explorer-clicked.png"))
