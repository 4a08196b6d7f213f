"""The course website in a real browser, offline.

The site is built once (``genlab.site.build``; executions cached under build/site-cache/),
served from 127.0.0.1, and every page is opened in headless Chromium at 1366x768 in the light
and the dark theme with every request to another host blocked. Each page must have: no console
error and no failed or blocked request; math rendered (no ``$$``, ``\\(`` or ``\\[`` left in
the text); alt text on every image, never a file name or ``<Figure size ...>``; internal links
that resolve, anchors included; headings in order; a copy button on every code cell; and no
serious or critical axe-core violation. Lecture pages show executed outputs with widgets as
captioned stills; exercise pages show questions and no solutions.

Screenshots and the audit's counts per page land in tests/artifacts/site/ (git-ignored).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import urllib.parse
from collections import defaultdict
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM_FLAGS, ROOT, chromium_path

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts" / "site"
THEMES = ("light", "dark")


def _expected_pages() -> list[str]:
    from genlab.site.build import page_sources

    pages = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in page_sources(ROOT)]
    return ["index.html", *pages, "search.html", "genindex.html"]


PAGES = _expected_pages()


def _require(module: str):
    if os.environ.get("GENLAB_REQUIRE_BROWSER") == "1":
        return __import__(module)
    return pytest.importorskip(module, reason='the site extra is needed: pip install -e ".[site]"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site (execution cached in build/site-cache/ across runs).

    ``GENLAB_SITE_BUILT=DIR`` tests a site already built there instead.
    """
    if os.environ.get("GENLAB_SITE_BUILT"):
        return Path(os.environ["GENLAB_SITE_BUILT"]).resolve()
    for module in ("sphinx", "myst_nb", "sphinx_book_theme", "jupyter_cache"):
        _require(module)
    from genlab.site import build

    out = tmp_path_factory.mktemp("site")
    result = build(out, root=ROOT, quiet=True, repository_url="")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return result.out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium(playwright):
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is required for the site tests but was not found")
    # Every host but 127.0.0.1 fails to resolve: the network is off for the site. (Playwright's
    # request interception is not used: with it, Chromium resolves CSS @imports wrongly.)
    offline = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    browser = playwright.chromium.launch(
        executable_path=path, headless=True, args=[*CHROMIUM_FLAGS, offline]
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def axe_source():
    axe = _require("axe_playwright_python")
    return (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def audit():
    """Counts of axe violations per page, theme and impact, written to audit.json."""
    counts: dict = defaultdict(dict)
    yield counts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "audit.json").write_text(json.dumps(counts, indent=1, sort_keys=True))


def test_every_page_is_built(site):
    built = {
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
    }
    assert built == set(PAGES), "pages built and pages tested differ"


_COLLECT = """() => {
  const text = (root) => {
    const copy = root.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, mjx-container, .MathJax')
        .forEach(e => e.remove());
    return copy.textContent;
  };
  const main = document.querySelector('main') || document.body;
  return {
    theme: document.documentElement.dataset.theme || '',
    text: text(main),
    images: [...document.querySelectorAll('img')].map(i => ({
      alt: i.getAttribute('alt'), src: (i.getAttribute('src') || '').slice(0, 80),
      ok: i.complete && i.naturalWidth > 0, hidden: i.getAttribute('aria-hidden') === 'true'})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    headings: [...main.querySelectorAll('h1, h2, h3, h4, h5, h6')]
        .filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1])),
    code: document.querySelectorAll('div.highlight pre').length,
    copy: document.querySelectorAll('div.highlight button.copybtn[aria-label]').length,
    outputs: document.querySelectorAll('.cell_output').length,
    stills: document.querySelectorAll('figure.genlab-still').length,
    stillCaptions: [...document.querySelectorAll('figure.genlab-still figcaption')]
        .map(f => f.textContent),
    widgetErrors: (document.body.textContent.match(/Error displaying widget|Loading widget/g)
        || []).length,
  };
}"""


def _ids(path: Path) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))


_AXE_START = """() => {
  window.__axe = undefined;
  axe.run(document, {resultTypes: ['violations']})
    .then(r => { window.__axe = r.violations.map(v => ({id: v.id, impact: v.impact,
                   nodes: v.nodes.length, target: v.nodes[0].target.join(' ')})); })
    .catch(e => { window.__axe = {error: String(e)}; });
}"""


def _open(chromium, server: str, page_path: str, theme: str, axe_source: str) -> dict:
    """Open ``page_path`` in ``theme``, take its screenshot and facts, and start axe on it.

    axe runs in the page's own renderer process, so the two themes' audits (most of a page's
    test time) run at once on two cores; :func:`_finish` collects the result.
    """
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    # pydata-sphinx-theme reads the reader's choice from localStorage.
    context.add_init_script(
        f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');"
    )
    run = {"context": context, "theme": theme, "blocked": [], "failed": [], "errors": []}
    page = run["page"] = context.new_page()
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((server + "/", "data:")) else run["blocked"].append(r.url)
        ),
    )
    page.on("console", lambda m: run["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: run["errors"].append(f"page error: {e}"))
    page.on(
        "response", lambda r: run["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else 0
    )
    page.goto(f"{server}/{page_path}", wait_until="load")
    page.evaluate(
        """async () => {
            if (window.MathJax) await MathJax.startup.promise;
            await document.fonts.ready;
        }"""
    )
    name = page_path.removesuffix(".html").replace("/", "-")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{theme}.png"))
    run["info"] = page.evaluate(_COLLECT)
    # axe re-fetches style sheets itself (resolving their @imports against the page, not the
    # sheet): the page's own requests are those made before it runs.
    run["page_failed"], run["page_errors"] = list(run["failed"]), list(run["errors"])
    page.add_script_tag(content=axe_source)
    page.evaluate(_AXE_START)
    return run


def _finish(run: dict) -> list[dict]:
    page = run["page"]
    page.wait_for_function("() => window.__axe !== undefined", polling=200, timeout=300_000)
    violations = page.evaluate("() => window.__axe")
    assert not isinstance(violations, dict), f"axe failed: {violations}"
    return violations


@functools.cache
def _ids_of(path: Path) -> frozenset[str]:
    return frozenset(_ids(path))


@pytest.mark.parametrize("page_path", PAGES)
def test_page(page_path, site, server, chromium, axe_source, audit):
    """Both themes of one page, opened side by side (their axe audits run at once)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for theme in THEMES:
            runs.append(_open(chromium, server, page_path, theme, axe_source))
        for run in runs:
            run["violations"] = _finish(run)
    finally:
        for run in runs:
            run["context"].close()
    for run in runs:
        _check_page(page_path, site, server, audit, run)


def _check_page(page_path: str, site: Path, server: str, audit: dict, run: dict) -> None:
    theme, info, violations = run["theme"], run["info"], run["violations"]
    counts: dict[str, int] = defaultdict(int)
    for v in violations:
        counts[v["impact"] or "none"] += v["nodes"]
    audit[page_path][theme] = {"counts": dict(counts), "rules": violations}

    where = f"{page_path} ({theme})"
    assert not run["blocked"], f"requests to other hosts on {where}: {run['blocked']}"
    assert not run["page_failed"], f"failed requests on {where}: {run['page_failed']}"
    assert not run["page_errors"], f"console errors on {where}: {run['page_errors']}"
    assert info["theme"] == theme, f"the page did not switch to the {theme} theme"
    # Math is rendered: no TeX delimiters left in the prose (code is not prose).
    raw = re.findall(r"\$\$|\\\(|\\\)|\\\[|\\\]|\$[^$\s][^$]*\\[a-zA-Z]+[^$]*\$", info["text"])
    assert not raw, f"unrendered math on {where}: {raw[:5]}"
    for image in info["images"]:
        alt = (image["alt"] or "").strip()
        assert image["ok"], f"image did not load: {image['src']}"
        if image["hidden"]:
            continue
        assert alt, f"image without alt text: {image['src']}"
        assert not re.match(r"<Figure size|.*\.(png|svg|jpe?g)$", alt), f"alt text is {alt!r}"
    # Internal links resolve, anchors included.
    for link in info["links"]:
        if not link.startswith(server + "/"):
            continue
        parts = urllib.parse.urlsplit(link)
        target = site / urllib.parse.unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        assert target.is_file(), f"broken link {link} on {page_path}"
        if parts.fragment and target.suffix == ".html":
            assert parts.fragment in _ids_of(target), f"broken anchor {link} on {page_path}"
    # One title, and no heading deeper than one level below the one before it.
    levels = info["headings"]
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"headings {levels}"
    jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not jumps, f"headings skip levels: {jumps} in {levels}"
    assert info["copy"] == info["code"], "a code cell without a copy button"
    if page_path.startswith("lectures/"):
        assert info["outputs"] > 0, "a lecture page without executed outputs"
    if page_path.startswith("exercises/"):
        assert info["outputs"] == 0, "exercise pages are not executed"
        html = (site / page_path).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in html and "BEGIN HIDDEN TESTS" not in html
    assert info["widgetErrors"] == 0, "a widget shown as an error or a loading box"
    for caption in info["stillCaptions"]:
        assert "Interactive in JupyterLab" in caption
        assert page_path.replace(".html", ".ipynb") in caption, caption
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe on {where}: {serious}"


def test_lecture_widgets_are_stills(site):
    """Every widget a lecture displays is on its page as a still with a caption."""
    for source in sorted((ROOT / "lectures").glob("*.py")):
        html = (site / "lectures" / f"{source.stem}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget" not in html, source.name
        text = source.read_text(encoding="utf-8")
        uses_widgets = re.search(r"genlab\.widgets|widgets\.(VBox|HBox|IntSlider)", text)
        if uses_widgets:
            assert 'class="genlab-still"' in html, f"{source.name}: no widget still"


def test_no_launch_buttons_without_a_repository(site):
    for page in ("index.html", "lectures/01_latent_variable_models_and_elbo.html"):
        html = (site / page).read_text(encoding="utf-8")
        assert "mybinder.org" not in html and "colab.research.google.com" not in html


def test_site_is_self_contained(site):
    """No page, script or stylesheet of the site loads anything from another host."""
    pattern = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<(script|link|img|iframe)\b[^>]*>", text):
            assert not pattern.search(match.group(0)), f"{path.name}: {match.group(0)[:200]}"
