"""The docs site analysts browse: complete metadata, and the static site rendering in Chromium.

The browser tests open target/static_index.html of a built copy of the project in Debian's
headless Chromium and read what a person would see: the landing page, every public mart
with its columns and their descriptions, and the lineage graph of fct_country_monthly,
whose screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import duckdb
import pytest
from playwright.sync_api import BrowserContext, Page

from conftest import ARTIFACTS, ProjectCopy, command
from lending import screenshots

PROJECT = "lending_research"
MARTS_FOLDER = "models/marts/"
LINEAGE_MART = "fct_country_monthly"
SCREENSHOT = ARTIFACTS / "docs-lineage-fct_country_monthly.png"


def normalise(text: str) -> str:
    return " ".join(text.split())


def meta_texts(value: object) -> Iterator[str]:
    """The words a meta value shows on the site: a mapping's values, a list's items."""
    if isinstance(value, dict):
        for item in value.values():
            yield from meta_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from meta_texts(item)
    else:
        yield str(value)


def public_models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    }


@pytest.fixture(scope="module")
def manifest(analyst_build: ProjectCopy) -> dict:
    return analyst_build.manifest()


@pytest.fixture(scope="module")
def site(analyst_build: ProjectCopy, browser: BrowserContext) -> Iterator[Page]:
    static_site = analyst_build.target / "static_index.html"
    assert static_site.exists(), "dbt docs generate --static wrote no static_index.html"
    page = browser.new_page()
    page.goto(static_site.as_uri() + "#!/overview")
    yield page
    page.close()


def open_model(page: Page, name: str, column_count: int) -> None:
    screenshots.open_model(page, PROJECT, name, column_count)


# --- metadata: what the site is generated from ---------------------------------------------


def test_every_node_and_column_is_described(manifest: dict) -> None:
    undocumented = []
    nodes = [
        *(n for n in manifest["nodes"].values() if n["resource_type"] in {"model", "seed"}),
        *manifest["sources"].values(),
    ]
    for node in nodes:
        if not node["description"].strip():
            undocumented.append(node["unique_id"])
        if not node["columns"]:
            undocumented.append(f"{node['unique_id']} (no columns declared)")
        undocumented += [
            f"{node['unique_id']}.{name}"
            for name, column in node["columns"].items()
            if not column["description"].strip()
        ]
    for kind in ("semantic_models", "metrics", "exposures"):
        undocumented += [
            uid for uid, node in manifest[kind].items() if not node["description"].strip()
        ]
    assert not undocumented, f"described nowhere: {undocumented}"


def test_documented_columns_match_the_warehouse(analyst_build: ProjectCopy, manifest: dict) -> None:
    catalog = json.loads((analyst_build.target / "catalog.json").read_text())
    # Tests that store their failures have tables too; they are not documented models.
    entries = {
        uid: entry
        for uid, entry in catalog["nodes"].items()
        if uid.split(".")[0] in {"model", "seed"}
    }
    mismatched = {}
    for uid, entry in entries.items():
        node = manifest["nodes"][uid]
        built = {name.lower() for name in entry["columns"]}
        documented = {name.lower() for name in node["columns"]}
        if built != documented:
            mismatched[uid] = {"undocumented": built - documented, "not built": documented - built}
    built_nodes = {
        uid for uid, n in manifest["nodes"].items() if n["resource_type"] in {"model", "seed"}
    }
    assert set(entries) == built_nodes, "every model and seed should be in the catalog"
    assert not mismatched


def test_no_two_nodes_share_a_relation(manifest: dict) -> None:
    """A seed and a source once both resolved to main.economic_indicators, and the docs
    site showed the seed's columns on the source's page."""
    relations: dict[str, list[str]] = {}
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node["resource_type"] in {"model", "seed", "snapshot", "source"}:
            name = ".".join(
                part.lower() for part in (node["schema"], node.get("alias") or node["name"])
            )
            if node["resource_type"] == "source":
                name = f"{node['schema']}.{node['identifier']}".lower()
            relations.setdefault(name, []).append(node["unique_id"])
    shared = {relation: ids for relation, ids in relations.items() if len(ids) > 1}
    assert not shared, f"relations with more than one node: {shared}"


def test_every_catalog_column_is_described(analyst_build: ProjectCopy, manifest: dict) -> None:
    """What the docs site shows for each relation is the catalog's columns with the
    manifest's descriptions: a column the catalog has and the YAML does not describe
    would show blank (sources included)."""
    catalog = json.loads((analyst_build.target / "catalog.json").read_text())
    blank = []
    for kind in ("nodes", "sources"):
        for uid, entry in catalog[kind].items():
            if uid.startswith("test."):
                continue
            described = manifest[kind][uid]["columns"]
            blank += [
                f"{uid}.{column}"
                for column in entry["columns"]
                if not described.get(column, described.get(column.lower(), {})).get("description")
            ]
    assert not blank, f"catalog columns without a description: {blank}"


def test_sources_declare_every_column_type(manifest: dict) -> None:
    # Parquet sources are not in DuckDB's catalog: YAML is the only place their types live.
    untyped = [
        f"{uid}.{name}"
        for uid, source in manifest["sources"].items()
        for name, column in source["columns"].items()
        if not column.get("data_type")
    ]
    assert not untyped


def test_marts_are_public_with_grain_owner_and_refresh(manifest: dict) -> None:
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(MARTS_FOLDER)
    }
    assert {"fct_transactions", LINEAGE_MART, "dim_countries"} <= set(marts)
    assert set(public_models(manifest)) == set(marts), "public access is for the marts only"
    for name, node in marts.items():
        meta = node["config"]["meta"]
        assert {"grain", "owner", "refresh"} <= set(meta), (
            f"{name} states no grain, owner or refresh in meta ({meta}): give it "
            f'`{name}: {{+meta: {{grain: "One row per ..."}}}}` under marts in dbt_project.yml'
        )
        assert meta["grain"].lower().startswith("one row per"), name
        assert node["group"] == "lending_analytics", name
    group = manifest["groups"][f"group.{PROJECT}.lending_analytics"]
    assert group["owner"]["email"]


def test_exposures_show_who_uses_the_marts(manifest: dict) -> None:
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"quarterly_lending_report", "country_risk_dashboard"} <= set(exposures)
    marts = {f"model.{PROJECT}.{name}" for name in public_models(manifest)}
    for name, exposure in exposures.items():
        parents = set(exposure["depends_on"]["nodes"])
        assert parents and parents <= marts, f"{name} should depend on marts only: {parents}"
        assert exposure["owner"]["email"], name
        assert exposure["url"].startswith("https://"), name


def test_contacts_and_links_are_set_in_one_place(analyst_build: ProjectCopy, tmp_path) -> None:
    """The owners' emails and the exposures' links come from two vars of dbt_project.yml:
    a deployment sets them there (or with --vars) and the whole docs site follows."""
    deployment = (
        "{contact_emails: {lending_analytics: data@bank.test, research_lending: "
        "lending@bank.test, research_country_risk: risk@bank.test}, exposure_urls: "
        "{quarterly_lending_report: https://bank.test/q, country_risk_dashboard: "
        "https://bank.test/risk, lending_charts_report: https://bank.test/charts}}"
    )
    parsed = analyst_build.dbt("parse", "--vars", deployment, "--target-path", str(tmp_path))
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {name: e["url"] for name, e in exposures.items()} == {
        "quarterly_lending_report": "https://bank.test/q",
        "country_risk_dashboard": "https://bank.test/risk",
        "lending_charts_report": "https://bank.test/charts",
    }
    emails = {e["owner"]["email"] for e in exposures.values()}
    emails |= {group["owner"]["email"] for group in manifest["groups"].values()}
    assert emails == {"data@bank.test", "lending@bank.test", "risk@bank.test"}
    assert "example.org" not in json.dumps([manifest["exposures"], manifest["groups"]]), (
        "an owner or link is still written somewhere else"
    )


def test_overview_and_shared_definitions_are_docs_blocks(manifest: dict) -> None:
    docs = {
        doc["name"]: doc["block_contents"]
        for doc in manifest["docs"].values()
        if doc["package_name"] == PROJECT  # dbt ships a default __overview__ of its own
    }
    overview = docs["__overview__"]
    for term in ("Success rate", "Settled", "USD conversion", "Rejected rows", "Where to start"):
        assert term in overview
    for block in ("success_rate", "settled_count", "usd_conversion", "lending_per_capita"):
        assert block in docs
    columns = manifest["nodes"][f"model.{PROJECT}.{LINEAGE_MART}"]["columns"]
    assert columns["success_rate"]["doc_blocks"] == [f"doc.{PROJECT}.success_rate"]
    assert columns["lending_per_capita_usd"]["doc_blocks"] == [f"doc.{PROJECT}.lending_per_capita"]


# --- the static site in a browser ------------------------------------------------------------


@pytest.mark.slow
def test_landing_page_renders_with_links_to_every_mart(site: Page, manifest: dict) -> None:
    site.goto(site.url.split("#")[0] + "#!/overview")
    site.wait_for_selector("h2:has-text('Where to start')")
    assert site.locator("h1:has-text('Lending research platform')").is_visible()
    links = site.locator("a[href^='#!/model/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    for name in public_models(manifest):
        assert f"#!/model/model.{PROJECT}.{name}" in links, name


@pytest.mark.slow
def test_landing_page_says_what_the_data_is_as_of(site: Page, analyst_build: ProjectCopy) -> None:
    with duckdb.connect(str(analyst_build.database), read_only=True) as con:
        latest, published = con.execute(
            "select (select month_start_date from dim_months where is_latest_month), "
            "(select published_at from main_audit.publication_log where mart = 'dim_months')"
        ).fetchone()
    site.goto(site.url.split("#")[0] + "#!/overview")
    site.wait_for_selector("h2:has-text('Where to start')")
    stamp = normalise(site.locator("p:has-text('As of')").first.inner_text())
    assert f"Data to the end of {latest:%B %Y}, the latest month delivered" in stamp
    assert f"marts published {published:%-d %B %Y at %H:%M} UTC" in stamp
    assert "not stamped" not in stamp


def test_the_stamp_needs_a_fresh_docs_site(analyst_build: ProjectCopy, tmp_path) -> None:
    """Stamping a site twice (or a site without the placeholder) fails and says why."""
    shutil.copy(analyst_build.target / "manifest.json", tmp_path / "manifest.json")
    again = analyst_build.run(
        command("lending-stamp-docs"), "--database", str(analyst_build.database),
        "--target", str(tmp_path),
    )  # fmt: skip
    assert again.returncode == 1
    assert "no as-of placeholder" in again.stderr and "dbt docs generate" in again.stderr


@pytest.mark.slow
def test_every_mart_renders_its_columns_and_their_descriptions(site: Page, manifest: dict) -> None:
    for name, node in public_models(manifest).items():
        open_model(site, name, len(node["columns"]))
        rendered = site.locator("tr.column-row").evaluate_all(
            "rows => rows.map(row => [row.cells[0].innerText, row.cells[2].innerText])"
        )
        expected = [
            (column, normalise(spec["description"])) for column, spec in node["columns"].items()
        ]
        assert [(normalise(c), normalise(d)) for c, d in rendered] == expected, name
        details = normalise(site.locator("#details").locator("xpath=..").inner_text())
        for value in meta_texts(node["config"]["meta"]):
            assert normalise(value).upper() in details.upper(), f"{name}: {value}"
        assert "ACCESS PUBLIC" in details.upper(), name


@pytest.mark.slow
def test_lineage_graph_of_fct_country_monthly_renders(site: Page, manifest: dict) -> None:
    node = manifest["nodes"][f"model.{PROJECT}.{LINEAGE_MART}"]
    open_model(site, LINEAGE_MART, len(node["columns"]))
    graph = screenshots.show_lineage(site, LINEAGE_MART)
    parents = {manifest["nodes"][uid]["name"] for uid in node["depends_on"]["nodes"]}
    exposures = {
        e["label"]
        for e in manifest["exposures"].values()
        if node["unique_id"] in e["depends_on"]["nodes"]
    }
    assert graph["selector"] == f"+{LINEAGE_MART}+"
    assert {"int_country_months_spined", "int_demographics_validated"} <= parents
    assert {"Quarterly lending report", "Country-risk dashboard"} <= exposures
    missing = (parents | exposures) - set(graph["labels"])
    assert not missing, f"not drawn in the lineage graph: {missing}"
    assert "bank.transactions" in graph["labels"], "lineage should reach back to the sources"
    assert graph["edges"] >= len(parents) + len(exposures)

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    site.screenshot(path=SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 50_000, "the screenshot is (nearly) blank"
