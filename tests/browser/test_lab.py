"""The course in a real browser: every notebook runs in JupyterLab without errors, every genlab
widget renders, and the widgets react to the mouse and keyboard.

Screenshots of each notebook and widget land in tests/artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

LECTURES = sorted(p.name for p in (ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))

# The genlab widgets each lecture displays (CSS class genlab-<name>).
WIDGETS = {
    "01_latent_variable_models_and_elbo.ipynb": ["elbo-gap"],
    "03_gaussian_vae.ipynb": ["latent-explorer", "manifold-grid"],
    "04_vaes_for_vision.ipynb": [
        "manifold-grid",
        "interpolation",
        "traversal",
        "attribute-controls",
        "codebook-viewer",
    ],
    "05_implicit_models_and_the_gan_game.ipynb": ["gan-playground"],
    "06_optimal_discriminator_and_jsd.ipynb": ["gan-playground"],
    "07_f_divergences.ipynb": ["gan-playground"],
    "08_training_gans_in_practice.ipynb": ["gan-playground"],
}

RUN_ALL_TIMEOUT_MS = 240_000


def open_and_run_all(page, lab, name: str) -> None:
    """Open lectures/<name>, run every cell and wait until the kernel is idle and done."""
    open_and_run_all_at(page, lab, f"lectures/{name}")


def open_and_run_all_at(page, lab, relative: str) -> None:
    """Open the notebook at ``relative`` (to the repository), run every cell, wait until done."""
    page.goto(lab.notebook_url(relative))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    # The kernel must be connected before running (the status reads "Idle").
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session &&"
        " w.sessionContext.session.kernel &&"
        " w.sessionContext.session.kernel.connectionStatus === 'connected' &&"
        " w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=60_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const cells = w.content.widgets.filter(c => c.model.type === 'code');
            const done = cells.every(c => c.model.executionCount !== null);
            const queued = [...document.querySelectorAll('.jp-InputPrompt')]
                .some(p => p.textContent.includes('*'));
            return done && !queued && w.sessionContext.session.kernel.status === 'idle';
        }""",
        timeout=RUN_ALL_TIMEOUT_MS,
        polling=500,
    )


def error_outputs(page) -> list[str]:
    """Text of every error output (a Python traceback) in the open notebook."""
    return page.evaluate(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const errors = [];
            for (const cell of w.content.widgets) {
                if (cell.model.type !== 'code') continue;
                for (let i = 0; i < cell.model.outputs.length; i++) {
                    const out = cell.model.outputs.get(i);
                    if (out.type === 'error') {
                        const e = out.toJSON();
                        errors.push(`${e.ename}: ${e.evalue}`);
                    }
                }
            }
            return errors;
        }"""
    )


def widget(page, name: str):
    locator = page.locator(f".genlab-{name}").first
    locator.wait_for(state="visible", timeout=30_000)
    return locator


def pixels(locator) -> np.ndarray:
    locator.scroll_into_view_if_needed()
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=np.int16)


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def genlab_console_errors(page) -> list[str]:
    """Console errors; widget-manager errors are the course's, whatever their origin text."""
    return [e for e in page.console_errors if "favicon" not in e]


@pytest.mark.parametrize(
    "name", ["00_welcome.ipynb", *[n for n in LECTURES if n != "00_welcome.ipynb"]]
)
def test_notebook_runs_without_errors_and_widgets_render(page, lab, name):
    open_and_run_all(page, lab, name)
    assert error_outputs(page) == []
    for widget_name in WIDGETS.get(name, []):
        w = widget(page, widget_name)
        w.scroll_into_view_if_needed()
        w.screenshot(path=str(ARTIFACTS / f"{name[:-6]}-{widget_name}.png"))
        # a rendered widget has real content: images decoded, controls laid out
        assert w.bounding_box()["height"] > 50
    page.locator(".jp-NotebookPanel").first.screenshot(path=str(ARTIFACTS / f"{name[:-6]}.png"))
    assert genlab_console_errors(page) == []


def test_welcome_slider_updates_its_readout(page, lab):
    open_and_run_all(page, lab, "00_welcome.ipynb")
    readout = page.locator(".widget-html-content", has_text="product on").first
    readout.wait_for(timeout=30_000)
    before = readout.inner_text()
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('.widget-html-content')]"
        ".some(e => e.textContent.includes('product on') && e.textContent !== before)",
        arg=before,
        timeout=30_000,
    )
    assert genlab_console_errors(page) == []


def test_latent_explorer_slider_changes_the_decoded_image(page, lab):
    open_and_run_all(page, lab, "03_gaussian_vae.ipynb")
    explorer = widget(page, "latent-explorer")
    image = explorer.locator("img").first
    before = pixels(image)
    handle = explorer.locator(".noUi-handle").nth(1)  # the second latent coordinate
    handle.focus()
    for _ in range(15):
        handle.press("ArrowLeft")
    page.wait_for_timeout(300)
    after = pixels(image)
    explorer.screenshot(path=str(ARTIFACTS / "latent-explorer-moved.png"))
    assert before.shape == after.shape
    changed = np.abs(before - after) > 8
    assert changed.mean() > 0.01, "the decoded image did not change when the slider moved"
    assert genlab_console_errors(page) == []


def test_elbo_gap_slider_changes_the_readout_and_e_step_closes_the_gap(page, lab):
    open_and_run_all(page, lab, "01_latent_variable_models_and_elbo.ipynb")
    explorer = widget(page, "elbo-gap")
    readout = explorer.locator(".widget-html-content").first
    before = explorer.inner_text()
    handle = explorer.locator(".noUi-handle").first
    handle.focus()
    for _ in range(20):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerText !== before",
        arg=[".genlab-elbo-gap", before],
        timeout=30_000,
    )
    moved = explorer.inner_text()
    explorer.get_by_role("button", name="E-step").click()
    page.wait_for_function(
        "([sel, moved]) => document.querySelector(sel).innerText !== moved",
        arg=[".genlab-elbo-gap", moved],
        timeout=30_000,
    )
    explorer.screenshot(path=str(ARTIFACTS / "elbo-gap-after-e-step.png"))
    assert readout.is_visible()
    kl_line = next(line for line in explorer.inner_text().splitlines() if line.startswith("KL"))
    assert abs(float(kl_line.split()[-1])) < 1e-6, f"E-step must close the gap: {kl_line!r}"
    assert genlab_console_errors(page) == []


def readout_steps(playground) -> int:
    """The playground's "generator steps" count, as the browser shows it."""
    text = playground.locator(".genlab-gan-readout").inner_text()
    line = next(line for line in text.splitlines() if line.startswith("generator steps"))
    return int(line.split()[-1])


def wait_for_steps(page, n: int, timeout: int = 30_000) -> None:
    """Wait until the playground's readout shows at least ``n`` generator steps."""
    page.wait_for_function(
        "([sel, n]) => { const m = document.querySelector(sel).innerText"
        ".match(/generator steps\\s+(\\d+)/); return m !== null && Number(m[1]) >= n; }",
        arg=[".genlab-gan-playground .genlab-gan-readout", n],
        timeout=timeout,
    )


def test_gan_playground_step_and_play_change_the_plot(page, lab):
    open_and_run_all(page, lab, "05_implicit_models_and_the_gan_game.ipynb")
    playground = widget(page, "gan-playground")
    plot = playground.locator(".genlab-gan-plot").first
    plot.locator("svg").first.wait_for(state="visible", timeout=30_000)
    start = readout_steps(playground)
    before = pixels(plot)
    for _ in range(3):
        playground.get_by_role("button", name="Step", exact=True).click()
    wait_for_steps(page, start + 3)
    page.wait_for_timeout(300)
    after = pixels(plot)
    plot.screenshot(path=str(ARTIFACTS / "gan-playground-stepped.png"))
    assert before.shape == after.shape
    changed = np.abs(before - after) > 8
    assert changed.mean() > 0.002, "the playground's plot did not change after Step"
    # Play: the browser ticks the Play widget, each tick trains a frame in the kernel
    playground.locator(".widget-play button").first.click()
    wait_for_steps(page, start + 3 + 20, timeout=60_000)
    playground.locator(".widget-play button").nth(1).click()  # pause
    playground.screenshot(path=str(ARTIFACTS / "gan-playground-played.png"))
    assert readout_steps(playground) >= start + 23
    assert genlab_console_errors(page) == []
