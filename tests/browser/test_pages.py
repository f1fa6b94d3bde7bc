"""Open every page of the built book in headless Chromium and check it renders as a reader sees it.

For each page listed in _toc.yml: HTTP 200; no page error and no console error; no request to
another host (CI has no internet: everything the book needs is served with it) and no failed or
4xx/5xx request; every <img> decoded (naturalWidth > 0); MathJax typeset without errors; every
internal link points at a file that exists (anchors checked loosely, by id); exactly one search
field shows; and on pages whose notebook stores ipywidgets state, every widget view rendered with
its controls visible. A screenshot of each page goes to _build/screenshots/. The trace player
(``ntm_lib.trace_player``) is checked on a page of its own, which needs no built book.

Needs the built book (``jupyter-book build .``) and Chromium (Debian's ``chromium``; set CHROMIUM
to use another binary). Skips with a message when either is missing, or when no page has the
static addressing explorer; with NTM_REQUIRE_BROWSER=1 (scripts/test.sh) those fail. Run:
    pytest tests/browser
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("NTM_BOOK_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 30_000

# scripts/test.sh sets NTM_REQUIRE_BROWSER=1: there a missing book or browser is a failure.
REQUIRED = os.environ.get("NTM_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_book():
    if not (HTML / "index.html").exists():
        _unavailable(f"the book is not built ({HTML}/index.html is missing): run "
                     "`jupyter-book build .` (or `bash scripts/book.sh --no-serve`) first")


if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
    _unavailable(f"Chromium not found at {CHROMIUM}: `apt-get install chromium`, or set CHROMIUM")
try:
    from playwright import sync_api
except ImportError:
    _unavailable("playwright is not installed: pip install playwright (it needs no browser download)")
import yaml  # noqa: E402 - after the checks above, on purpose


def toc_pages() -> list[str]:
    """The pages of _toc.yml, as paths of their HTML files relative to the site root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(md|ipynb)$", "", f) + ".html" for f in files]


PAGES = toc_pages()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


@pytest.fixture(scope="module")
def site():
    """Serve the built HTML on a free local port for the duration of the module."""
    require_book()
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageLog:
    """Everything that went wrong while a page loaded."""

    def __init__(self, origin: str):
        self.origin = origin
        self.errors: list[str] = []
        self.external: list[str] = []

    def attach(self, context, page):
        def route(route):
            url = route.request.url
            if url.startswith(self.origin) or url.startswith("data:") or url.startswith("blob:"):
                route.continue_()
            else:  # the book must not depend on the internet
                self.external.append(url)
                route.abort()

        context.route("**/*", route)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(
            f"console error: {msg.text} ({msg.location.get('url', '')})"))
        page.on("requestfailed", lambda req: req.url.startswith(self.origin) and self.errors.append(
            f"request failed: {req.url} ({req.failure})"))
        page.on("response", lambda resp: resp.status >= 400 and self.errors.append(
            f"HTTP {resp.status}: {resp.url}"))


def local_file(url: str, origin: str) -> Path | None:
    """The file under HTML that a same-origin URL points at (None for other hosts)."""
    if not url.startswith(origin):
        return None
    path = unquote(urlsplit(url).path).lstrip("/")
    target = HTML / path
    return target / "index.html" if (not path or target.is_dir()) else target


def open_page(browser, site, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log = PageLog(site)
    log.attach(context, page)
    response = page.goto(f"{site}/{path}", wait_until="load")
    return context, page, log, response


def wait_for_mathjax(page):
    page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)")
    page.evaluate("() => window.MathJax ? window.MathJax.startup.promise.then(() => true) : true")


@pytest.mark.parametrize("path", PAGES)
def test_page_renders(browser, site, path):
    context, page, log, response = open_page(browser, site, path)
    try:
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        wait_for_mathjax(page)

        html_source = (HTML / path).read_text(encoding="utf-8")
        # A page shows widgets where it has a widget view; a notebook can store widget state with
        # none shown (chapter 13 hides its live explorer, which needs a kernel, from the page).
        expects_widgets = ("application/vnd.jupyter.widget-state+json" in html_source
                           and "application/vnd.jupyter.widget-view+json" in html_source)
        if expects_widgets:
            # The embed manager replaces each widget-view script by the rendered widget.
            page.wait_for_selector(".jupyter-widgets .widget-slider", state="visible")
            page.wait_for_function("""() => {
                const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
                return views.length > 0 && [...views].every(
                    s => s.parentElement && s.parentElement.querySelector('.jupyter-widgets'));
            }""")
        page.wait_for_load_state("networkidle")

        # Figures: every image decoded.
        broken = page.evaluate("""() => [...document.images]
            .filter(img => !img.complete || img.naturalWidth === 0)
            .map(img => img.getAttribute('src'))""")
        assert not broken, f"{path}: images that did not load: {broken}"
        n_images = page.evaluate("() => document.images.length")

        # Maths: typeset, and no MathJax error boxes.
        math = page.evaluate("""() => ({
            source: document.querySelectorAll('.math').length,
            typeset: document.querySelectorAll('mjx-container').length,
            errors: [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent),
        })""")
        assert not math["errors"], f"{path}: MathJax errors: {math['errors']}"
        if math["source"]:
            assert math["typeset"] >= math["source"], f"{path}: maths not typeset: {math}"

        # Internal links: the target file exists; its anchor, if any, exists (by id).
        links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        missing = []
        for href in sorted(set(links)):
            target = local_file(href, site)
            if target is None:
                continue
            if not target.is_file():
                missing.append(href)
                continue
            fragment = urlsplit(href).fragment
            if fragment and target.suffix == ".html":
                ids = set(re.findall(r'\bid="([^"]+)"', target.read_text(encoding="utf-8")))
                if unquote(fragment) not in ids:
                    missing.append(href)
        assert not missing, f"{path}: broken internal links: {missing}"

        if expects_widgets:
            hidden = page.evaluate("""() => [...document.querySelectorAll('.widget-slider')]
                .filter(el => !(el.offsetWidth > 0 && el.offsetHeight > 0)).length""")
            assert hidden == 0, f"{path}: {hidden} widget sliders rendered but not visible"

        # One search field: pydata-sphinx-theme 0.17.1 adds a second one in a header bar
        # (constraints.txt pins 0.16.1).
        search_fields = page.evaluate("""() => [...document.querySelectorAll('.search-button-field')]
            .filter(el => el.offsetWidth > 0 && el.offsetHeight > 0).length""")
        assert search_fields == 1, f"{path}: {search_fields} visible search fields, expected 1"

        # Code and its text outputs fit the page at 1280 pixels: no sideways scrolling (88
        # columns, scripts/chapter_style.py, in the code font of _static/book.css).
        scrolling = page.evaluate("""() => [...document.querySelectorAll('div.cell_input pre, div.cell_output pre')]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map(e => e.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b).slice(0, 100))""")
        assert not scrolling, f"{path}: code boxes that scroll sideways at 1280 px, longest lines: {scrolling}"

        assert not log.external, f"{path}: requests to other hosts: {log.external}"
        assert not log.errors, f"{path}: " + "\n".join(log.errors)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = path.replace("/", "__").removesuffix(".html")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if expects_widgets:
            page.locator(".cell:has(.jupyter-widgets)").first.screenshot(
                path=str(SCREENSHOTS / f"{name}--widgets.png"))
        print(f"{path}: {n_images} images, {math['typeset']} formulas, {len(links)} links OK")
    finally:
        context.close()


def test_every_chapter_notebook_is_in_the_toc():
    chapters = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    listed = {Path(p).stem for p in PAGES if p.startswith("chapters/")}
    assert chapters <= listed, f"chapters missing from _toc.yml: {sorted(chapters - listed)}"


def explorer_pages() -> list[str]:
    return [p for p in PAGES
            if (HTML / p).is_file() and "ntm-explorer" in (HTML / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", explorer_pages() or [pytest.param(None, id="no-explorer")])
def test_static_explorer_redraws_without_a_kernel(browser, site, path):
    """The precomputed addressing explorer responds to its sliders in the static page."""
    if path is None:  # a failure under NTM_REQUIRE_BROWSER=1 (scripts/test.sh), a skip otherwise
        _unavailable(f"no page of the built book ({HTML}) has the static addressing explorer "
                     "(an element of class ntm-explorer, chapter 3): was the chapter executed and "
                     "the book rebuilt?")
    context, page, log, _ = open_page(browser, site, path)
    try:
        explorer = page.locator(".ntm-explorer").first
        explorer.scroll_into_view_if_needed()
        bars = explorer.locator("svg").nth(3).locator("rect")
        assert bars.count() > 0

        def heights():
            return explorer.locator("svg").nth(3).evaluate(
                "svg => [...svg.querySelectorAll('rect')].map(r => r.getAttribute('height'))")

        before = heights()
        beta = explorer.locator("input[type=range]").first
        beta.evaluate("(el) => { el.value = 0; el.dispatchEvent(new Event('input')); }")
        after = heights()
        assert after != before, "moving the key-strength slider did not redraw the weighting"
        # beta = 0: the content weighting is uniform.
        uniform = explorer.locator("svg").first.evaluate(
            "svg => new Set([...svg.querySelectorAll('rect')].map(r => r.getAttribute('height'))).size")
        assert uniform == 1
        assert not log.errors, "\n".join(log.errors)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(path=str(SCREENSHOTS / (path.replace("/", "__").removesuffix(".html") + "--explorer.png")))
    finally:
        context.close()


def allocation_explorer_pages() -> list[str]:
    return [p for p in PAGES
            if (HTML / p).is_file() and "dnc-explorer" in (HTML / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", allocation_explorer_pages() or [pytest.param(None, id="no-allocation-explorer")])
def test_static_allocation_explorer_redraws_without_a_kernel(browser, site, path):
    """The precomputed allocation explorer (chapter 13) responds to its sliders in the static page."""
    if path is None:
        _unavailable(f"no page of the built book ({HTML}) has the static allocation explorer "
                     "(an element of class dnc-explorer, chapter 13): was the chapter executed and "
                     "the book rebuilt?")
    context, page, log, _ = open_page(browser, site, path)
    try:
        explorer = page.locator(".dnc-explorer").first
        explorer.scroll_into_view_if_needed()

        def allocation():
            return explorer.locator("svg").nth(1).evaluate(
                "svg => [...svg.querySelectorAll('rect')].map(r => +r.getAttribute('height'))")

        summary = explorer.locator(".dnc-x-summary")
        assert "free list" in summary.text_content()
        before = allocation()
        assert len(before) == 5 and max(before) > 0
        sliders = explorer.locator("input[type=range]")
        # every slot fully used: nothing to allocate
        for i in range(5):
            sliders.nth(i).evaluate("(el) => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
        assert max(allocation()) == 0 and "= 0.00" in summary.text_content()
        # slot 2 free: it takes all the weight and heads the free list
        sliders.nth(2).evaluate("(el) => { el.value = 0; el.dispatchEvent(new Event('input')); }")
        heights = allocation()
        assert heights[2] > 0 and all(h == 0 for i, h in enumerate(heights) if i != 2)
        assert "(2, " in summary.text_content()
        assert not log.errors, "\n".join(log.errors)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        explorer.screenshot(path=str(SCREENSHOTS / (path.replace("/", "__").removesuffix(".html") + "--allocation.png")))
    finally:
        context.close()


@pytest.fixture(scope="module")
def player_page(tmp_path_factory):
    """A page holding only the trace player of the shipped copy NTM on a sequence of 20 vectors,
    in a column as wide as the book's text."""
    import torch

    import ntm_lib
    from ntm_lib.trace_player import trace_player

    model = ntm_lib.load_pretrained("copy", "ntm")
    batch = ntm_lib.tasks.CopyTask().sample(1, torch.Generator().manual_seed(1), length=20)
    player = trace_player(model, batch, title="The copy NTM on 20 vectors")
    path = tmp_path_factory.mktemp("player") / "player.html"
    path.write_text('<!doctype html><html><head><meta charset="utf-8"></head>'
                    '<body style="max-width: 820px; margin: 1em auto; font-family: sans-serif">'
                    f"{player.html}</body></html>", encoding="utf-8")
    return path, player.data


def test_trace_player_steps_through_the_run_without_a_kernel(browser, player_page):
    """The slider and the play button of the trace player move the step, the weighting bars and
    the memory, in a page with nothing but the player."""
    path, data = player_page
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"console error: {msg.text}"))
    try:
        page.goto(path.as_uri(), wait_until="load")
        player = page.locator(".ntm-player").first
        step = player.locator(".ntm-p-step")
        assert step.text_content() == "step 0 / 40"

        def bars(head):
            return player.evaluate(f"""p => [...p.querySelectorAll('rect.ntm-p-bar[data-head="{head}"]')]
                .map(r => +r.getAttribute('width'))""")

        def memory():
            return player.evaluate("p => [...p.querySelectorAll('rect.ntm-p-mem')].map(r => r.getAttribute('fill'))")

        def largest(widths):
            return widths.index(max(widths))

        slider = player.locator("input[type=range]")
        write_before, memory_before = bars(1), memory()
        assert len(write_before) == len(data["slots"]) == 22
        slider.evaluate("(el) => { el.value = 25; el.dispatchEvent(new Event('input')); }")
        assert step.text_content() == "step 25 / 40"
        assert bars(1) != write_before and memory() != memory_before
        # the longest bar of each head is the slot it weights most at that step
        for head in (0, 1):
            weights = data["weights"][25][head]  # (H, n): this head over the shown slots
            assert largest(bars(head)) == weights.index(max(weights))
        # the read head reads the slots in the order they were written
        assert largest(bars(0)) != largest(write_before)
        # hovering over a memory cell reads out its value
        player.locator("rect.ntm-p-mem").nth(3).hover()
        assert player.locator(".ntm-p-readout").text_content().startswith("memory after step 25, slot -21, word 3:")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        player.screenshot(path=str(SCREENSHOTS / "trace-player.png"))
        # play runs on from step 25 and stops at the last step
        slider.evaluate("(el) => { el.value = 36; el.dispatchEvent(new Event('input')); }")
        player.locator(".ntm-p-play").click()
        page.wait_for_function("p => p.querySelector('.ntm-p-step').textContent === 'step 40 / 40'",
                               arg=player.element_handle(), timeout=5_000)
        assert "play" in player.locator(".ntm-p-play").text_content()
        assert not errors, "\n".join(errors)
    finally:
        context.close()
