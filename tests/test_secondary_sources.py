"""The secondary sources against the research notes they come from (``domain-facts.md``).

``../shared/research/domain-facts.md`` holds the records F1–F93 (F33 is a gap), each with the
web pages it was read from. ``data/secondary/`` holds one source and one named graph per page
(``data/secondary/CURATION.md``). These tests hold the two together, record by record:

* every record but the gap is cited (``ipo:researchRecord``) by at least one source, and no
  source cites a record that does not exist or the gap;
* every full web address the records give is the ``schema:url`` of a secondary source;
* every secondary source is one page: one URL, and its graph holds only what it states;
* the conflicts the notes name are kept as they say: the 9th IntMK's venue with both
  statements, each with its source; the sizes of hardship commissions (conflict 2) not at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.dataset import data_files
from kg.namespaces import IPO
from kg.settings import Settings
from kg.store import KnowledgeGraph

SCHEMA_URL = ox.NamedNode("http://schema.org/url")
RECORD_ROW = re.compile(r"^\|\s*(?:\(\s*)?F(\d+)\b")
URL = re.compile(r"https?://[^\s|)]+")
#: Records that are gaps or conflicts in the notes themselves: not encoded as facts.
NOT_FACTS = {33: "gap: Bremen's commissioner was not found"}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="module")
def research_notes(settings: Settings) -> str:
    path = settings.resolved_sources_dir.parent / "research" / "domain-facts.md"
    if not path.is_file():
        pytest.skip(f"the research notes are not at {path}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def kg(settings: Settings) -> KnowledgeGraph:
    if not data_files(settings):
        pytest.skip("no data files")
    return KnowledgeGraph.load(settings)


def record_rows(notes: str) -> dict[int, str]:
    rows: dict[int, str] = {}
    for line in notes.splitlines():
        match = RECORD_ROW.match(line)
        if match:
            rows[int(match.group(1))] = line
    return rows


def cited_records(kg: KnowledgeGraph) -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for row in kg.select("SELECT ?source ?record WHERE { ?source ipo:researchRecord ?record }"):
        cited.setdefault(row["record"].value, set()).add(row["source"].value)
    return cited


def test_the_notes_hold_records_f1_to_f93(research_notes: str) -> None:
    assert sorted(record_rows(research_notes)) == list(range(1, 94))


def test_every_record_is_cited_by_a_source(research_notes: str, kg: KnowledgeGraph) -> None:
    cited = cited_records(kg)
    missing = [
        f"F{n}" for n in record_rows(research_notes) if n not in NOT_FACTS and f"F{n}" not in cited
    ]
    assert not missing, f"records no source cites (ipo:researchRecord): {missing}"
    unknown = sorted(set(cited) - {f"F{n}" for n in record_rows(research_notes)})
    assert not unknown, f"sources cite records the notes do not have: {unknown}"
    for n, why in NOT_FACTS.items():
        assert f"F{n}" not in cited, f"F{n} is not a fact ({why}) but is cited"


def normalised(url: str) -> str:
    return url.rstrip(".,;").replace("…", "%E2%80%A6")


def test_every_web_address_of_the_notes_is_a_source(
    research_notes: str, kg: KnowledgeGraph
) -> None:
    urls = {
        normalised(u)
        for n, line in record_rows(research_notes).items()
        if n not in NOT_FACTS
        for u in URL.findall(line)
    }
    known = {t.object.value for t in kg.store.quads_for_pattern(None, SCHEMA_URL, None, None)}
    missing = sorted(u for u in urls if u not in known)
    assert not missing, "web addresses of the notes no source has as schema:url:\n" + "\n".join(
        missing
    )


def test_every_secondary_source_is_one_page_in_its_own_file(
    kg: KnowledgeGraph, settings: Settings
) -> None:
    found = [
        {k: v.value for k, v in row.items()}
        for row in kg.select(
            """
            SELECT ?source (COUNT(DISTINCT ?url) AS ?urls) (COUNT(DISTINCT ?record) AS ?records)
            WHERE {
              ?source ipo:sourceKind ipo:SecondarySource .
              OPTIONAL { ?source schema:url ?url }
              OPTIONAL { ?source ipo:researchRecord ?record }
            }
            GROUP BY ?source
            HAVING (COUNT(DISTINCT ?url) != 1 || COUNT(DISTINCT ?record) = 0)
            """
        )
    ]
    assert not found, f"secondary sources without exactly one URL or without a record: {found}"
    secondary = {
        row["source"].value
        for row in kg.select("SELECT ?source WHERE { ?source ipo:sourceKind ipo:SecondarySource }")
    }
    assert len(secondary) > 100, "the secondary sources are loaded"
    folder = Path(settings.data_dir) / "secondary"
    missing = [s for s in secondary if not (folder / f"{s.rsplit('/', 1)[1]}.trig").is_file()]
    assert not missing, (
        f"secondary sources without their file data/secondary/<slug>.trig: {missing}"
    )


def test_the_ninth_intmk_venue_conflict_keeps_both_statements(kg: KnowledgeGraph) -> None:
    rows = [
        (row["place"].value, row["source"].value)
        for row in kg.select(
            """
            SELECT ?place ?source WHERE {
              GRAPH ?g { event:intmk-09--hauptkonferenz schema:location ?place }
              ?g prov:wasDerivedFrom ?source .
            }
            """
        )
    ]
    places = {place for place, _ in rows}
    assert len(places) == 2, f"both venues of the 9th IntMK, each with its source: {rows}"
    assert len({source for _, source in rows}) == 2


def test_the_hardship_commission_sizes_are_not_encoded(kg: KnowledgeGraph) -> None:
    """Conflict 2 ("5 to 20" / "8 to 28" members): neither statement is in the graph."""
    for text in ("5 to 20", "8 to 28", "5 bis 20", "8 bis 28"):
        assert not kg.ask(
            f'ASK {{ ?s ?p ?o FILTER (isLiteral(?o) && CONTAINS(STR(?o), "{text}")) }}'
        ), f"conflict 2 is not to be encoded, but {text!r} is in the data"


def test_inferred_years_are_not_encoded_as_dates(kg: KnowledgeGraph) -> None:
    """The notes mark three years as inferred: Neumeyer's end (2014), Karin Weiss' move (Jan
    2012), the 18th IntMK's year (2023). None is a date in the graph."""
    assert not kg.ask("ASK { ?t org:member person:martin-neumeyer ; schema:endDate ?end }"), (
        "Neumeyer's end year is inferred"
    )
    assert not kg.ask("ASK { ?t org:member person:karin-weiss ; schema:endDate ?end }"), (
        "Karin Weiss' end is inferred"
    )
    assert not kg.ask("ASK { ?m schema:superEvent edition:intmk-18 ; schema:startDate ?start }"), (
        "the 18th IntMK's year is inferred"
    )
    assert kg.ask(f"ASK {{ ?s <{IPO.researchRecord}> ?r }}")
