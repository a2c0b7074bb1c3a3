"""The README's screenshots, taken from the current project: the docs site's lineage graph
of fct_country_monthly and the top of the charts report, in Debian's headless Chromium
driven by Playwright (nothing is downloaded). `make screenshots` builds the docs site and
the report first; the browser tests drive the same pages with the same code.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

from lending import cli
from lending.settings import PROJECT_ROOT, target_path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no GPU, nothing fetched in the background: this machine's network is closed.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMAGES = PROJECT_ROOT / "docs" / "images"
LINEAGE_MART = "fct_country_monthly"
# Cytoscape keeps its instance on the container: what it drew, once the canvas has ink.
DRAWN_GRAPH = """(name) => {
    const container = document.getElementById('cy');
    const cy = container && container._cyreg && container._cyreg.cy;
    if (!cy || container.offsetWidth < 1000) return null;
    const labels = cy.nodes(':visible').map(n => n.data('label'));
    if (!labels.includes(name)) return null;
    const inked = Array.from(container.querySelectorAll('canvas')).some(canvas => {
        const pixels = canvas.getContext('2d')
            .getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
        return false;
    });
    if (!inked) return null;
    return {
        labels: labels,
        edges: cy.edges(':visible').length,
        selector: document.querySelector('input.field-input').value,
    };
}"""


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """Debian's Chromium with a fresh profile, for screenshots and the browser tests."""
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: run `make install-browser`")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 900},
            device_scale_factor=1.5,
        )
        # A ceiling for a busy machine, not a performance bound: waits end when ready.
        context.set_default_timeout(180_000)
        try:
            yield context
        finally:
            context.close()


def open_model(page: Page, project: str, name: str, column_count: int) -> None:
    """Navigate the docs site to a model and wait until its columns are drawn."""
    page.goto(page.url.split("#")[0] + f"#!/model/model.{project}.{name}")
    page.wait_for_function(
        """([name, count]) => {
            const title = document.querySelector('h1');
            return title && title.innerText.split(/\\s+/)[0] === name
                && document.querySelectorAll('tr.column-row').length === count;
        }""",
        arg=[name, column_count],
    )


def show_lineage(page: Page, name: str) -> dict:
    """Open the full-screen lineage graph of the model on screen; what it drew."""
    page.locator("[ng-click='onLauncherClick()']").first.click()
    page.locator("[ng-click='showExpanded()']").first.click()
    graph = page.wait_for_function(DRAWN_GRAPH, arg=name).json_value()
    # Out of the way of the button's tooltip, and past the fit-to-screen animation.
    page.mouse.move(800, 120)
    page.evaluate("() => new Promise(done => setTimeout(done, 1000))")
    return graph


def lineage_screenshot(context: BrowserContext, site: Path, column_count: int, out: Path) -> dict:
    page = context.new_page()
    try:
        page.goto(site.resolve().as_uri() + "#!/overview")
        open_model(page, "lending_research", LINEAGE_MART, column_count)
        graph = show_lineage(page, LINEAGE_MART)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out)
        return graph
    finally:
        page.close()


def report_screenshot(context: BrowserContext, report: Path, out: Path) -> None:
    """The top of the report (full_page: the whole of it)."""
    page = context.new_page()
    try:
        page.goto(report.resolve().as_uri())
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out)
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("lending-screenshots", __doc__)
    parser.add_argument("--site", type=Path, default=target_path() / "static_index.html")
    parser.add_argument("--report", type=Path, default=Path("reports/lending_report.html"))
    parser.add_argument("--manifest", type=Path, default=target_path() / "manifest.json")
    parser.add_argument("--output", type=Path, default=IMAGES, help="default: docs/images")
    args = parser.parse_args(argv)
    for path, command in ((args.site, "make docs"), (args.report, "make report")):
        if not path.exists():
            print(f"lending-screenshots: {path} not found: run `{command}` first", file=sys.stderr)
            return 1
    nodes = json.loads(args.manifest.read_text())["nodes"]
    columns = len(nodes[f"model.lending_research.{LINEAGE_MART}"]["columns"])
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as context:
        lineage = args.output / f"docs-lineage-{LINEAGE_MART}.png"
        lineage_screenshot(context, args.site, columns, lineage)
        report_screenshot(context, args.report, args.output / "lending-report.png")
    print(f"Screenshots written to {args.output}")
    return 0
