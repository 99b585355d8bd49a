"""The catalogue of named queries (``queries/*.rq``), its parameters, and ``kg query --name``.

* Every query parses, has its header, runs on the real data and returns the answer kept
  beside it: ``tests/queries_expected/<name>.json`` holds the rows for the example's
  parameters. A data change that changes an answer fails here until the snapshot is
  rewritten on purpose: ``KG_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_named_queries.py``.
* Parameters are typed and checked; values are bound by substitution, so an injection
  attempt never changes the query.
* The ``VALUES`` text offered to the query page means the same as the substitution.
* The CLI's outputs are parsed back (JSON, CSV).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import named_queries as nq
from kg.cli import main
from kg.errors import BrokenInputError
from kg.namespaces import PREFIXES, graph_iri, mint
from kg.settings import Settings
from kg.store import KnowledgeGraph

REPO = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "queries_expected"
UPDATE = os.environ.get("KG_UPDATE_SNAPSHOTS") == "1"
CATALOGUE = nq.Catalogue.load(REPO / "queries")
QUERIES = list(CATALOGUE)
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return KnowledgeGraph.load(Settings.from_env())


def answer(graph: KnowledgeGraph, name: str, **params: str) -> nq.Table:
    binding = CATALOGUE.get(name).bind(params)
    nq.check_allowed(graph, binding)
    return nq.table(nq.run(graph, binding))


def column(table: nq.Table, name: str) -> list[str | None]:
    i = table.columns.index(name)
    return [row[i].value if row[i] is not None else None for row in table.rows]  # type: ignore[union-attr]


# ----------------------------------------------------------------- the catalogue


def test_the_catalogue_covers_the_questions_of_the_issue() -> None:
    assert len(QUERIES) >= 15
    assert {q.group for q in QUERIES} == set(nq.GROUPS)
    types = {p.type for q in QUERIES for p in q.parameters}
    assert types == set(nq.PARAMETER_TYPES), "every parameter type is used by some question"
    assert {q.form for q in QUERIES} >= {"SELECT", "CONSTRUCT"}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_query_has_its_header(query: nq.NamedQuery) -> None:
    for lang in ("de", "en"):
        assert query.title[lang] and query.description[lang]
    assert not query.body.lstrip().startswith("#+"), "the header is not part of the body"
    for p in query.parameters:
        assert p.type in nq.PARAMETER_TYPES
        assert p.default is not None, "every question answers something without input"
        assert {"de", "en"} <= set(p.label), f"{p.name} needs label.de and label.en"
        assert f"?{p.name}" in query.body
    assert set(query.example) <= {p.name for p in query.parameters}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_query_answers_its_example_as_kept_in_its_snapshot(
    graph: KnowledgeGraph, query: nq.NamedQuery
) -> None:
    actual = nq.snapshot(graph, query)
    path = EXPECTED / f"{query.name}.json"
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert path.is_file(), (
        f"no snapshot {path.name}; write it on purpose: "
        "KG_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_named_queries.py"
    )
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"the answer of {query.name} changed; if the data changed on purpose, rewrite the "
        "snapshot: KG_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_named_queries.py"
    )
    assert actual["rows"], "the example should show an answer"


def test_every_snapshot_belongs_to_a_query() -> None:
    assert {p.stem for p in EXPECTED.glob("*.json")} == {q.name for q in QUERIES}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_defaults_run_and_the_query_page_text_means_the_same(
    graph: KnowledgeGraph, query: nq.NamedQuery
) -> None:
    for binding in (query.example_binding(), query.default_binding()):
        assert binding is not None
        nq.check_allowed(graph, binding)
        substituted = nq.table(nq.run(graph, binding))
        text = nq.query_page_text(binding)
        with_values = nq.table(graph.store.query(text, prefixes=PREFIXES))
        assert substituted == with_values, text


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_listed_parameters_offer_their_default(graph: KnowledgeGraph, query: nq.NamedQuery) -> None:
    for p in query.parameters:
        choices = nq.choices(graph, p, "de")
        if choices is None:
            continue
        assert choices.complete and choices.items
        default = p.parse(p.default or "")
        assert any(nq._same(default, c.term) for c in choices.items), p.name
        assert all(c.label for c in choices.items)


def test_the_readme_lists_every_question() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for q in QUERIES:
        assert f"`{q.name}`" in readme, f"README does not list {q.name}"
        assert q.title["en"] in readme or q.title["de"] in readme


# ----------------------------------------------------------------- what the answers say


def test_holder_on_a_date_at_every_precision(graph: KnowledgeGraph) -> None:
    """Brandenburg: Lemmermeier from 2013-01-02 (a secondary source; the primary one says
    "seit Januar 2013") to 2024-04, Gonzalez Olivo from 2024-05-01, no end."""
    lemmermeier, gonzalez = (
        str(mint("person", s)) for s in ("doris-lemmermeier", "diana-gonzalez-olivo")
    )
    office = "office:bb-integrationsbeauftragte"
    for date, (holds, held_by_successor) in {
        "2012-12-31": (False, False),
        "2013": (True, False),  # some day in 2013 is after the start
        "2013-01": (True, False),
        "2013-01-01": (False, False),  # the most precise start any source gives counts
        "2013-01-02": (True, False),
        "2024-04": (True, False),  # the end is a month: any day of April 2024
        "2024": (True, True),
        "2024-05-01": (False, True),
        "2030-05-17": (False, True),  # no end: open-ended
    }.items():
        people = column(answer(graph, "office-holder-on-date", office=office, date=date), "person")
        assert (lemmermeier in people, gonzalez in people) == (holds, held_by_successor), date


def test_the_date_keeps_its_precision_in_the_answer(graph: KnowledgeGraph) -> None:
    for date, datatype in (("2016", "gYear"), ("2016-10", "gYearMonth"), ("2016-10-01", "date")):
        table = answer(graph, "commissioners-as-of", date=date)
        (value,) = {row[table.columns.index("date")] for row in table.rows}
        assert isinstance(value, ox.Literal)
        assert (value.value, value.datatype.value) == (date, XSD + datatype)  # type: ignore[union-attr]


def by_land(table: nq.Table) -> dict[str, set[str]]:
    lands: dict[str, set[str]] = {}
    land, person = table.columns.index("land"), table.columns.index("person")
    for row in table.rows:
        holders = lands.setdefault(row[land].value, set())  # type: ignore[union-attr]
        if row[person] is not None:
            holders.add(row[person].value)  # type: ignore[union-attr]
    return lands


def test_commissioners_as_of_a_date_list_every_land(graph: KnowledgeGraph) -> None:
    land = lambda slug: str(mint("land", slug))  # noqa: E731
    person = lambda slug: str(mint("person", slug))  # noqa: E731
    in_2016 = by_land(answer(graph, "commissioners-as-of", date="2016-10"))
    assert len(in_2016) == 17, "the 16 Länder and the Bund, each a row"
    assert in_2016[land("sachsen-anhalt")] == {person("susi-moebbeck")}
    assert in_2016[land("brandenburg")] == {person("doris-lemmermeier")}
    assert in_2016[land("bremen")] == set(), "no source names Bremen's commissioner (gap F33)"
    in_2024 = by_land(answer(graph, "commissioners-as-of", date="2024-06"))
    assert in_2024[land("brandenburg")] == {person("diana-gonzalez-olivo")}, "newest state"
    assert in_2024[land("bayern")] == {person("karl-straub")}
    assert in_2024[land("niedersachsen")] == {person("deniz-kurku")}
    before = by_land(answer(graph, "commissioners-as-of", date="2006-12-31"))
    assert person("susi-moebbeck") not in before[land("sachsen-anhalt")]


def test_commissioners_as_of_answers_for_every_land_the_sources_cover(
    graph: KnowledgeGraph,
) -> None:
    """Each Land with a dated commissioner tenure has it in the answer for its start date."""
    tenures = graph.select(
        """
        SELECT ?land ?person (MAX(STR(?start)) AS ?date) WHERE {
          ?office org:role/skos:broader* role:integrationsbeauftragte ; dcterms:spatial ?land .
          ?tenure ipo:office ?office ; org:member ?person ; schema:startDate ?start .
        } GROUP BY ?land ?person
        """
    )
    covered: set[str] = set()
    for row in tenures:
        found = by_land(answer(graph, "commissioners-as-of", date=row["date"].value))
        assert row["person"].value in found[row["land"].value], (row["land"], row["date"])
        covered.add(row["land"].value)
    assert len(covered) >= 13, f"Länder with a dated commissioner: {sorted(covered)}"


def test_a_tenure_without_start_counts_from_its_oldest_sources_date(
    graph: KnowledgeGraph,
) -> None:
    koepping = str(mint("person", "petra-koepping"))  # no start; oldest source of 11.2014
    assert koepping not in column(answer(graph, "office-holders", year="2013"), "person")
    assert koepping in column(answer(graph, "office-holders", year="2014"), "person")
    assert koepping in column(answer(graph, "office-holders", year="2024"), "person")


def test_one_row_per_tenure_with_its_newest_source(graph: KnowledgeGraph) -> None:
    table = answer(graph, "person-offices", person="person:doris-lemmermeier")
    (row,) = [
        r
        for r in table.rows
        if r[table.columns.index("office")].value.endswith(  # type: ignore[union-attr]
            "/bb-integrationsbeauftragte"
        )
    ]
    value = dict(zip(table.columns, row, strict=True))
    assert value["start"] == ox.Literal("2013-01-02", datatype=ox.NamedNode(XSD + "date"))
    assert value["end"] == ox.Literal("2024-04", datatype=ox.NamedNode(XSD + "gYearMonth"))
    assert int(value["sources"].value) >= 5  # type: ignore[union-attr]
    assert value["sourceDate"].value == "2024-12"  # type: ignore[union-attr]


def test_topics_of_the_20th_conference_by_number(graph: KnowledgeGraph) -> None:
    table = answer(graph, "conference-topics", number="20")
    assert set(column(table, "edition")) == {str(mint("edition", "intmk-20"))}
    assert len(set(column(table, "topic"))) == 8
    assert answer(graph, "conference-topics", number="+20") == table  # the same number


def test_what_a_source_states_is_its_named_graph(graph: KnowledgeGraph) -> None:
    table = answer(graph, "source-statements", source="source:st-integrationsbeauftragte-web")
    assert table.columns == ("subject", "predicate", "object")
    named = ox.NamedNode(graph_iri("st-integrationsbeauftragte-web"))
    assert len(table.rows) == len(list(graph.store.quads_for_pattern(None, None, None, named)))


# ----------------------------------------------------------------- parameters


def query_with(tmp_path: Path, header: str, body: str = "SELECT ?x WHERE { ?x a ?c }") -> Path:
    path = tmp_path / "a-query.rq"
    path.write_text(
        "#+ title.de: T\n#+ title.en: T\n#+ description.de: D\n#+ description.en: D\n"
        "#+ group: persons\n" + header + body + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("kind", "raw", "value", "datatype"),
    [
        ("date", "2016", "2016", "gYear"),
        ("date", "2016-10", "2016-10", "gYearMonth"),
        ("date", " 2016-10-01 ", "2016-10-01", "date"),
        ("date", "2016-02-29", "2016-02-29", "date"),
        ("year", "2016", "2016", "gYear"),
        ("integer", "+020", "20", "integer"),
        ("string", "Möbbeck", "Möbbeck", "string"),
    ],
)
def test_literal_parameters_are_typed(kind: str, raw: str, value: str, datatype: str) -> None:
    term = nq.Parameter("x", kind).parse(raw)  # type: ignore[arg-type]
    assert isinstance(term, ox.Literal)
    assert (term.value, term.datatype.value) == (value, XSD + datatype)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("date", "2016-13"),
        ("date", "2015-02-29"),
        ("date", "16"),
        ("date", "2016-1"),
        ("date", "0000"),
        ("date", "2016-10-01T00:00"),
        ("year", "2016-10"),
        ("year", "twenty"),
        ("integer", "1.5"),
        ("integer", "20 OR 1=1"),
        ("string", "x" * 501),
        ("string", "  "),
        ("iri", "not an iri"),
        ("iri", "nope:x"),
        ("iri", "person:x> } UNION { ?s ?p ?o } #"),
    ],
)
def test_malformed_values_name_their_parameter(kind: str, raw: str) -> None:
    with pytest.raises(nq.ParameterError) as caught:
        nq.Parameter("which", kind).parse(raw)  # type: ignore[arg-type]
    assert caught.value.parameter == "which"
    assert "'which'" in str(caught.value)


def test_iris_are_curies_full_iris_or_bracketed() -> None:
    susi = str(mint("person", "susi-moebbeck"))
    p = nq.Parameter("person", "iri")
    for raw in ("person:susi-moebbeck", susi, f"<{susi}>"):
        assert p.parse(raw) == ox.NamedNode(susi)


def test_bind_reports_unknown_repeated_and_missing_parameters(tmp_path: Path) -> None:
    path = query_with(tmp_path, "#+ param: c iri\n#+ example: c=ipo:Person\n")
    query = nq.parse_file(path)
    assert query.parameters[0].required
    with pytest.raises(nq.InvalidParameters) as caught:
        query.bind({"cc": "ipo:Person", "lang": "en", "format": "csv"})
    assert [(e.parameter, "required" in e.message) for e in caught.value.errors] == [
        ("cc", False),
        ("c", True),
    ]
    with pytest.raises(nq.InvalidParameters) as caught:
        query.bind({"c": ["ipo:Person", "ipo:Office"]})
    assert caught.value.errors[0].parameter == "c"
    assert query.bind({"c": ["ipo:Person"]}).shown() == {"c": "ipo:Person"}


def test_values_not_in_the_graph_are_refused(graph: KnowledgeGraph) -> None:
    query = CATALOGUE.get("person-offices")
    with pytest.raises(nq.InvalidParameters) as caught:
        nq.check_allowed(graph, query.bind({"person": "person:felix-thiel"}))  # holds no office
    assert caught.value.errors[0].parameter == "person"
    with pytest.raises(nq.InvalidParameters):
        nq.check_allowed(graph, CATALOGUE.get("conference-topics").bind({"number": "7"}))


def test_an_injection_attempt_does_not_change_the_query(graph: KnowledgeGraph) -> None:
    query = CATALOGUE.get("themes-by-keyword")
    before = query.body
    attack = '") || true) } UNION { ?concept ?type ?context } #'
    binding = query.bind({"keyword": attack})
    assert binding.values["keyword"] == ox.Literal(attack)
    table = nq.table(nq.run(graph, binding))
    assert table.rows == ()  # the text is looked for as text, and nothing contains it
    assert query.body == before
    # the query page's text quotes it as one literal too
    assert nq.table(graph.store.query(nq.query_page_text(binding), prefixes=PREFIXES)).rows == ()
    with pytest.raises(nq.InvalidParameters):
        CATALOGUE.get("person-offices").bind({"person": "person:x> } UNION { ?s ?p ?o } #"})


def test_values_cross_the_process_pipe_as_n_triples() -> None:
    from kg.query_pool import parse_term

    for term in (
        ox.NamedNode(str(mint("person", "susi-moebbeck"))),
        ox.Literal('a "quote", a \\ and\na line } . <urn:x> <urn:y> <urn:z>'),
        ox.Literal("2016-10", datatype=ox.NamedNode(XSD + "gYearMonth")),
        ox.Literal("Möbbeck", language="de"),
    ):
        assert parse_term(str(term)) == term
    for text in ('"a" . <urn:a> <urn:b> "c"', "?x", "<not an iri>", ""):
        with pytest.raises(ValueError):
            parse_term(text)


# ----------------------------------------------------------------- the header format


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        ("#+ colour: red\n", None, "unknown header key"),
        ("#+ param: x colour\n", None, "unknown type"),
        ("#+ param: x iri default=ipo:Person\n", None, "needs '#+ example"),
        ("#+ param: format string\n", None, "cannot name a parameter"),
        ("#+ param: y iri default=ipo:Person\n#+ example: y=ipo:Person\n", None, "does not use ?y"),
        ("#+ param: x date default=yesterday\n", None, "the default"),
        ("#+ param: x string class=ipo:Person\n", None, "only iri parameters"),
        ("#+ param: x iri colour=red\n", None, "unknown option"),
        ("#+ param: x iri\n#+ values: x ASK { ?value a ?c }\n", None, "SELECT binding ?value"),
        ("#+ values: z SELECT ?value WHERE { ?value a ?c }\n", None, "names no parameter"),
        ("#+ param: x year default=2016\n#+ example: x=20x6\n", None, "the example"),
        (
            "#+ param: x iri default=ipo:Person\n#+ example: x=ipo:Person\n",
            "SELECT ?x { ?x a ?c }",
            "needs 'WHERE {'",
        ),
        ("", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "the query"),
    ],
)
def test_a_broken_header_names_file_and_line(
    tmp_path: Path, header: str, body: str | None, message: str
) -> None:
    path = query_with(tmp_path, header, *([body] if body is not None else []))
    with pytest.raises(BrokenInputError) as caught:
        nq.parse_file(path)
    assert message in str(caught.value)
    assert caught.value.path == path and caught.value.line is not None


def test_a_continuation_needs_a_key_before_it(tmp_path: Path) -> None:
    path = tmp_path / "early.rq"
    path.write_text("#+   continued\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(BrokenInputError, match="continuation line") as caught:
        nq.parse_file(path)
    assert caught.value.line == 1


def test_a_header_without_titles_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bare.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(BrokenInputError, match=r"title\.de"):
        nq.parse_file(path)


def test_continuation_lines_and_quoted_labels(tmp_path: Path) -> None:
    path = query_with(
        tmp_path,
        '#+ param: x iri default=ipo:Person label.de="Eine Klasse" label.en=Class\n'
        "#+ values: x SELECT ?value WHERE {\n#+   ?value a owl:Class }\n#+ example: x=ipo:Office\n",
        "SELECT ?x ?c WHERE { ?c a ?x }",
    )
    (p,) = nq.parse_file(path).parameters
    assert p.label_in("de") == "Eine Klasse" and p.label_in("en") == "Class"
    assert p.values_query == "SELECT ?value WHERE {\n?value a owl:Class }"


# ----------------------------------------------------------------- the command line


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_kg_queries_lists_every_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "queries")
    assert code == 0
    for q in QUERIES:
        assert f"{q.name}: {q.title['de']}" in out
    code, out, _ = run(capsys, "queries", "--format", "json", "--lang", "en")
    listed = json.loads(out)["queries"]
    assert [q["name"] for q in listed] == [q.name for q in QUERIES]
    office = next(q for q in listed if q["name"] == "office-holder-on-date")
    assert [(p["name"], p["type"]) for p in office["parameters"]] == [
        ("office", "iri"),
        ("date", "date"),
    ]


def test_kg_query_by_name_with_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "query",
        "--name",
        "office-holder-on-date",
        "--param",
        "date=2016-10",
        "--param",
        "office=office:bb-integrationsbeauftragte",
        "--format",
        "rows",
    )
    assert code == 0
    document = json.loads(out)
    assert document["query"] == "office-holder-on-date"
    assert document["parameters"] == {
        "office": "office:bb-integrationsbeauftragte",
        "date": "2016-10",
    }
    (row,) = document["rows"]
    assert row["person"] == {
        "type": "iri",
        "value": str(mint("person", "doris-lemmermeier")),
        "label": "Doris Lemmermeier",
    }
    # the most precise start a source gives (the primary one says "seit Januar 2013")
    assert row["start"] == {"type": "literal", "value": "2013-01-02", "datatype": XSD + "date"}
    assert row["end"] == {"type": "literal", "value": "2024-04", "datatype": XSD + "gYearMonth"}


def test_kg_query_by_name_as_csv_with_labels(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "query", "--name", "commissioners-as-of", "--format", "csv", "--lang", "en"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len({r["land_label"] for r in rows}) == 17  # every Land and the Federation
    assert {"Brandenburg", "Saxony-Anhalt", "Bremen", "Federation"} <= {
        r["land_label"] for r in rows
    }
    by_land = {r["land_label"]: r["person"] for r in rows if r["person"]}
    assert by_land["Brandenburg"] == str(mint("person", "doris-lemmermeier"))
    assert by_land["Saxony-Anhalt"] == str(mint("person", "susi-moebbeck"))
    assert "date_label" not in rows[0]  # literal columns get no label column


def test_kg_query_by_name_as_sparql_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "--name", "office-tasks", "--format", "json")
    assert code == 0
    parsed = ox.parse_query_results(out.encode(), format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    assert len(list(parsed)) == 11
    code, out, _ = run(capsys, "query", "--name", "source-statements")
    assert code == 0 and "@prefix" in out  # a graph prints Turtle


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--name", "office-holders", "--param", "year=MMXVI"], "parameter 'year'"),
        (["--name", "office-holders", "--param", "yaer=2016"], "parameter 'yaer'"),
        (["--name", "office-holders", "--param", "year"], "not NAME=VALUE"),
        (["--name", "nope"], "no named query 'nope'"),
        (["--name", "person-offices", "--param", "person=person:felix-thiel"], "allowed"),
        (["--param", "year=2016", "SELECT * WHERE { ?s ?p ?o }"], "add --name"),
        (["--name", "office-holders", "SELECT * WHERE { ?s ?p ?o }"], "not both"),
    ],
)
def test_kg_query_by_name_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "query", *argv)
    assert code == 2
    assert out == ""
    assert message in err and "Traceback" not in err


def test_conference_editions_answer_for_every_edition_the_sources_cover(
    graph: KnowledgeGraph,
) -> None:
    table = answer(graph, "conference-editions")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    editions = {r["edition"].value for r in rows}  # type: ignore[union-attr]
    known = {r["e"].value for r in graph.select("SELECT ?e WHERE { ?e a ipo:ConferenceEdition }")}
    assert editions == known
    ordinals = {int(r["ordinal"].value) for r in rows if r["ordinal"] is not None}  # type: ignore[union-attr]
    assert set(range(8, 22)) <= ordinals, "the IntMK editions 8 to 21 the sources name"
    chairs = {
        int(r["ordinal"].value): r["chairLand"].value  # type: ignore[union-attr]
        for r in rows
        if r["ordinal"] is not None and r["chairLand"] is not None
    }
    assert chairs[9] == str(mint("land", "sachsen-anhalt"))
    assert chairs[21] == str(mint("land", "nordrhein-westfalen"))
    ninth = {
        (r["place"].value, r["placeSource"].value)  # type: ignore[union-attr]
        for r in rows
        if r["ordinal"] is not None and int(r["ordinal"].value) == 9 and r["place"] is not None  # type: ignore[union-attr]
    }
    assert {place for place, _ in ninth} == {
        str(mint("place", "magdeburg")),
        str(mint("place", "halle-saale")),
    }, "the venue conflict: both places, each with its source"
