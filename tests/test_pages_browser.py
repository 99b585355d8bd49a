"""The HTML pages and the query page in real headless Chromium, driven with Playwright.

Chromium is Debian's package (``/usr/bin/chromium``, installed by ``make chromium``, which
``make test`` runs first); Playwright only drives it (``executable_path``), it downloads no
browser. The server is the real ``python -m kg serve`` (``running_server``). Screenshots at
desktop width and at 375 px go to ``test-artifacts/`` (kept by CI as test artifacts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kg.linked_data import path_for_iri
from kg.namespaces import mint

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
#: Flags for Chromium as root in a container: no sandbox, GPU, QUIC or background traffic.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
SUSI = str(mint("person", "susi-moebbeck"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Chromium with a new, empty profile directory."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package); "
            "`make test` does this before pytest"
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport=DESKTOP,
            locale="de-DE",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shoot(page: Page, name: str) -> None:
    """Screenshots at desktop and phone width; at 375 px nothing may scroll sideways."""
    for label, size in (("desktop", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        if label == "375":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is {width} px wide at 375 px"
    page.set_viewport_size(DESKTOP)


def test_home_page_then_follow_links_to_a_person(page: Page, running_server: str) -> None:
    page.goto(running_server + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Wissensgraph Integrationspolitik"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    shoot(page, "home")
    page.locator(".cards a", has_text="Person").first.click()
    page.wait_for_url("**/browse/Person")
    shoot(page, "list-persons")
    susi = page.get_by_role("link", name="Susi Möbbeck", exact=True)
    while not susi.count():  # the list is paged: follow "next" until she is listed
        page.locator("nav.pager a[rel=next]").click()
        page.wait_for_load_state()
    susi.click()
    path = path_for_iri(SUSI)
    assert path is not None
    page.wait_for_url("**" + path)
    assert page.locator("h1").inner_text() == "Susi Möbbeck"
    assert page.get_by_role("heading", name="Quellen").is_visible()
    shoot(page, "person")
    page.get_by_role("link", name="Sachsen-Anhalt").first.click()
    assert page.locator("h1").inner_text() == "Sachsen-Anhalt"


def test_run_an_example_query_and_see_the_results_table(page: Page, running_server: str) -> None:
    page.goto(running_server + "/sparql")
    assert page.locator("h1").inner_text() == "SPARQL-Abfrage"
    page.get_by_label("Beispiel wählen").select_option("office-holders")
    assert "ipo:Tenure" in page.get_by_label("Abfrage").input_value()
    page.get_by_role("button", name="Ausführen").click()
    table = page.locator("#results-table")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == int(page.locator("#result-count").inner_text()) > 0
    assert table.get_by_role("link", name="Susi Möbbeck").count() >= 1
    assert "q=" in page.locator("#share-url").input_value()
    downloads = page.locator(".downloads a")
    assert {downloads.nth(i).inner_text() for i in range(downloads.count())} == {
        "json",
        "xml",
        "csv",
        "tsv",
    }
    shoot(page, "query-results")
    page.goto(page.locator("#share-url").input_value())  # the shareable URL runs it again
    page.locator("#results-table").wait_for()
    table.get_by_role("link", name="Susi Möbbeck").first.click()
    assert page.locator("h1").inner_text() == "Susi Möbbeck"


def test_a_broken_query_gets_a_clear_message(page: Page, running_server: str) -> None:
    page.goto(running_server + "/sparql")
    editor = page.get_by_label("Abfrage")
    editor.fill("SELECT ?x WHERE { ?x ?y }")
    editor.press("Control+Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Fehler" in alert.inner_text()
    assert page.locator("#results-table").count() == 0
    assert page.get_by_label("Abfrage").input_value() == "SELECT ?x WHERE { ?x ?y }"
    shoot(page, "query-error")


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/timeline/offices", "timeline-offices", "Amtsinhaber im Zeitverlauf"),
        ("/timeline/intmk", "timeline-intmk", "Integrationsministerkonferenzen und Vorsitzländer"),
        ("/ontology?lang=en", "ontology-en", "Integration Policy Ontology"),
        ("/graph/st-integrationsbeauftragte-web", "graph", None),
        ("/id/person/nobody-at-all", "not-found", "Nicht gefunden"),
    ],
)
def test_pages_render_at_desktop_and_phone_width(
    page: Page, running_server: str, path: str, name: str, heading: str | None
) -> None:
    page.goto(running_server + path)
    if heading is not None:
        assert page.locator("h1").inner_text() == heading
    assert page.locator("main").count() == 1
    shoot(page, name)


def test_answer_a_question_from_the_gallery(page: Page, running_server: str) -> None:
    page.goto(running_server + "/queries")
    assert page.locator("h1").inner_text() == "Fragen an den Graphen"
    shoot(page, "queries")
    page.get_by_role("link", name="Wer hatte ein Amt an einem Stichtag inne?").click()
    page.wait_for_url("**/queries/office-holder-on-date")
    page.get_by_label("Amt", exact=True).select_option("office:st-integrationsbeauftragte")
    page.get_by_label("Stichtag", exact=True).fill("2010")
    page.get_by_role("button", name="Antwort zeigen").click()
    page.wait_for_url("**date=2010**")
    table = page.locator("#results-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 1
    assert table.get_by_role("link", name="Susi Möbbeck", exact=True).count() == 1
    assert "?office" in page.locator("#sparql-text").inner_text()
    shoot(page, "query-form")
    page.locator("#open-in-editor").click()  # the same question in the query page
    results = page.locator("#results-table")
    results.wait_for()
    assert "VALUES (?office ?date)" in page.get_by_label("Abfrage", exact=True).input_value()
    assert results.get_by_role("link", name="Susi Möbbeck", exact=True).count() == 1


def test_a_page_shows_where_sources_contradict_each_other(page: Page, running_server: str) -> None:
    path = path_for_iri(mint("event", "intmk-09--hauptkonferenz"))
    assert path is not None
    page.goto(running_server + path)
    assert page.get_by_role("heading", name="Die Quellen unterscheiden sich").is_visible()
    conflict = page.locator("section.variances li.conflict")
    assert conflict.count() == 1
    assert "Magdeburg" in conflict.inner_text() and "Halle (Saale)" in conflict.inner_text()
    assert page.get_by_role("heading", name="Stand nach Quellen").is_visible()
    shoot(page, "sources-differ")
