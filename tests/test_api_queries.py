"""The named-query API (``/api/queries``), its OpenAPI document and the question pages.

In process (``endpoint_client``: the real data, the real worker pool). Every body is
parsed back (JSON, SPARQL JSON with pyoxigraph, CSV, RDF with rdflib, HTML with the
standard library's parser) and compared with the snapshots of ``tests/queries_expected``.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from kg import named_queries as nq
from kg.namespaces import GRAPH, IPO, PROBLEMS, mint

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "queries_expected"
CATALOGUE = nq.Catalogue.load(REPO / "queries")
QUERIES = list(CATALOGUE)
SELECTS = [q for q in QUERIES if q.form == "SELECT"]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
INVALID = str(PROBLEMS["invalid-parameter"])


def expected(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXPECTED / f"{name}.json").read_text("utf-8"))
    return document


def example_params(query: nq.NamedQuery) -> dict[str, str]:
    return dict(query.example)


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert document["type"] == kind and document["status"] == status
    return document


# ----------------------------------------------------------------- the catalogue


def test_the_catalogue_lists_every_query_with_typed_parameters(
    endpoint_client: TestClient,
) -> None:
    r = endpoint_client.get("/api/queries")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    listed = {q["name"]: q for q in r.json()["queries"]}
    assert list(listed) == [q.name for q in QUERIES]
    on_date = listed["office-holder-on-date"]
    assert on_date["title"]["de"] == "Wer hatte ein Amt an einem Stichtag inne?"
    office, date = on_date["parameters"]
    assert (office["name"], office["type"], office["class"]) == ("office", "iri", str(IPO.Office))
    assert (date["name"], date["type"], date["default"], date["values"]) == (
        "date",
        "date",
        "2015-06-01",
        None,
    )
    offices = {v["value"]: v["label"] for v in office["values"]}
    assert offices[str(mint("office", "bb-integrationsbeauftragte"))] == (
        "Integrationsbeauftragte des Landes Brandenburg"
    )
    assert office["values_complete"] is True
    assert on_date["url"].endswith("/api/queries/office-holder-on-date")
    assert "?office" in on_date["sparql"]


def test_allowed_values_are_labelled_in_the_requested_language(
    endpoint_client: TestClient,
) -> None:
    listed = {q["name"]: q for q in endpoint_client.get("/api/queries?lang=en").json()["queries"]}
    (office, _) = listed["office-holder-on-date"]["parameters"]
    labels = {v["text"]: v["label"] for v in office["values"]}
    assert labels["office:bb-integrationsbeauftragte"] == (
        "Integration Commissioner of the State of Brandenburg"
    )
    (number,) = listed["conference-topics"]["parameters"]
    numbers = [int(v["text"]) for v in number["values"]]
    assert numbers == sorted(numbers) and {19, 20} <= set(numbers)


# ----------------------------------------------------------------- answers in every format


@pytest.mark.parametrize("query", SELECTS, ids=lambda q: q.name)
def test_rows_answer_the_example_as_in_the_snapshot(
    endpoint_client: TestClient, query: nq.NamedQuery
) -> None:
    r = endpoint_client.get(f"/api/queries/{query.name}", params=example_params(query))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    document = r.json()
    assert document["title"] == query.title["de"]
    assert nq.compacted(document) == expected(query.name)
    assert int(r.headers["kg-result-count"]) == document["count"]


@pytest.mark.parametrize("query", SELECTS, ids=lambda q: q.name)
def test_sparql_json_and_csv_hold_the_same_answer(
    endpoint_client: TestClient, query: nq.NamedQuery
) -> None:
    rows = expected(query.name)["rows"]
    r = endpoint_client.get(
        f"/api/queries/{query.name}",
        params=example_params(query),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.headers["content-type"] == "application/sparql-results+json"
    parsed = ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    solutions = [{n: s[n] for n in names} for s in parsed]
    values = [{n: nq.shown(t) if t is not None else None for n, t in s.items()} for s in solutions]
    assert values == [{n: c["value"] if c else None for n, c in row.items()} for row in rows]

    r = endpoint_client.get(
        f"/api/queries/{query.name}", params={**example_params(query), "format": "csv"}
    )
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == len(rows)
    for line, solution in zip(table, solutions, strict=True):
        for name, term in solution.items():
            assert line[name] == ("" if term is None else term.value)
            if isinstance(term, ox.NamedNode):
                assert f"{name}_label" in line


def test_csv_labels_follow_the_language(endpoint_client: TestClient) -> None:
    for lang, saxony_anhalt in (("de", "Sachsen-Anhalt"), ("en", "Saxony-Anhalt")):
        r = endpoint_client.get(
            "/api/queries/commissioners-as-of", params={"format": "csv", "lang": lang}
        )
        reader = csv.DictReader(io.StringIO(r.text))
        assert reader.fieldnames is not None and "land_label" in reader.fieldnames
        assert saxony_anhalt in {row["land_label"] for row in reader}
        assert r.headers["content-language"] == lang


@pytest.mark.parametrize(
    ("accept", "fmt", "rdflib_format"),
    [
        ("text/turtle", None, "turtle"),
        ("*/*", None, "turtle"),
        ("application/ld+json", None, "json-ld"),
        (None, "ntriples", "nt"),
        (None, "rdfxml", "xml"),
        (None, "trig", "trig"),
    ],
)
def test_a_construct_answers_in_rdf(
    endpoint_client: TestClient, accept: str | None, fmt: str | None, rdflib_format: str
) -> None:
    query = CATALOGUE.get("source-statements")
    params = {**example_params(query), **({"format": fmt} if fmt else {})}
    r = endpoint_client.get(
        "/api/queries/source-statements", params=params, headers={"Accept": accept or ""}
    )
    assert r.status_code == 200, r.text
    g = Graph()
    g.parse(data=r.content, format=rdflib_format)
    assert len(g) == expected("source-statements")["count"]
    assert URIRef(str(GRAPH["liga-fachtag-migrationsberatung-2020-01-22"])) in set(
        g.subjects(SKOS.prefLabel, None)
    )


def test_a_construct_as_rows_and_csv(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/api/queries/source-statements", params={"format": "rows"})
    document = r.json()
    assert document["columns"] == ["subject", "predicate", "object"]
    assert nq.compacted(document)["rows"] == expected("source-statements")["rows"]
    r = endpoint_client.get("/api/queries/source-statements", params={"format": "csv"})
    header = next(csv.reader(io.StringIO(r.text)))
    assert header == [
        "subject",
        "subject_label",
        "predicate",
        "predicate_label",
        "object",
        "object_label",
    ]


# ----------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"date": "2016-13"}, "date"),
        ({"date": "1.1.2016"}, "date"),
        ({"date": ""}, "date"),
        ({"offfice": "office:bb-integrationsbeauftragte"}, "offfice"),
        ({"office": "office:no-such-office"}, "office"),
        ({"office": "person:susi-moebbeck"}, "office"),  # not an office
        ({"office": "nope:x"}, "office"),
        ({"format": "yaml"}, "format"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(
    endpoint_client: TestClient, params: dict[str, str], parameter: str
) -> None:
    r = endpoint_client.get("/api/queries/office-holder-on-date", params=params)
    document = problem(r, 422, INVALID)
    assert document["parameter"] == parameter
    assert document["errors"][0]["parameter"] == parameter
    assert repr(parameter) in document["detail"]


def test_every_bad_parameter_is_reported_at_once(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(
        "/api/queries/office-holder-on-date?date=2016&date=2017&x=1&office=%3Curn%3Ax%3E"
    )
    document = problem(r, 422, INVALID)
    assert {e["parameter"] for e in document["errors"]} == {"date", "x", "office"}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("themes-by-keyword", {"keyword": '") || true) } UNION { ?concept ?type ?context } #'}),
        ("themes-by-keyword", {"keyword": 'x" . } ; DROP ALL ; SELECT * { ?s ?p ?o'}),
        ("themes-by-keyword", {"keyword": "'''} } LIMIT 1 #"}),
    ],
)
def test_an_injection_attempt_does_not_change_the_query(
    endpoint_client: TestClient, name: str, params: dict[str, str]
) -> None:
    r = endpoint_client.get(f"/api/queries/{name}", params=params)
    assert r.status_code == 200, r.text
    document = r.json()
    assert document["rows"] == []  # the text is searched for as text; nothing contains it
    assert document["parameters"] == params  # and it is echoed back as given


def test_an_iri_cannot_smuggle_sparql(endpoint_client: TestClient) -> None:
    attack = "person:susi-moebbeck> . ?s ?p ?o } #"
    r = endpoint_client.get("/api/queries/person-offices", params={"person": attack})
    assert problem(r, 422, INVALID)["parameter"] == "person"


def test_parameters_are_part_of_the_cache_key(endpoint_client: TestClient) -> None:
    path = "/api/queries/office-holder-on-date"
    counts = []
    for date in ("2000", "2015", "2000"):
        r = endpoint_client.get(path, params={"date": date})
        counts.append((len(r.json()["rows"]), r.headers["kg-cache"]))
    assert [c for c, _ in counts] == [0, 1, 0]
    assert counts[2][1] == "hit"


def test_etag_gives_304(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/api/queries/office-tasks")
    again = endpoint_client.get(
        "/api/queries/office-tasks", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    other = endpoint_client.get(
        "/api/queries/office-tasks",
        params={"office": "office:bb-integrationsbeauftragte"},
        headers={"If-None-Match": r.headers["etag"]},
    )
    assert other.status_code == 200


def test_unknown_queries_and_formats(endpoint_client: TestClient) -> None:
    document = problem(
        endpoint_client.get("/api/queries/no-such-question"), 404, str(PROBLEMS["not-found"])
    )
    assert "office-holders" in document["queries"]
    r = endpoint_client.get("/api/queries/office-tasks", headers={"Accept": "image/png"})
    assert problem(r, 406, str(PROBLEMS["not-acceptable"]))["offered"][0] == "application/json"


# ----------------------------------------------------------------- OpenAPI


@pytest.mark.filterwarnings("error:Duplicate Operation ID:UserWarning")
def test_every_query_is_an_operation_in_openapi(endpoint_client: TestClient) -> None:
    spec = endpoint_client.get("/openapi.json").json()
    assert "/api/queries" in spec["paths"]
    for query in QUERIES:
        operation = spec["paths"][f"/api/queries/{query.name}"]["get"]
        assert operation["summary"] == query.title["en"]
        assert operation["operationId"] == "named_query_" + query.name.replace("-", "_")
        params = {p["name"]: p for p in operation["parameters"]}
        assert set(params) == {p.name for p in query.parameters} | {"format", "lang"}
        for p in query.parameters:
            declared = params[p.name]
            assert declared["in"] == "query" and declared["x-kg-type"] == p.type
            assert declared["schema"]["type"] == ("integer" if p.type == "integer" else "string")
            assert declared["required"] is p.required
            if p.cls is not None:
                assert declared["x-kg-class"] == p.cls
        assert "application/problem+json" in operation["responses"]["422"]["content"]
    date = next(
        p
        for p in spec["paths"]["/api/queries/office-holder-on-date"]["get"]["parameters"]
        if p["name"] == "date"
    )
    assert date["schema"]["pattern"] == "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


# ----------------------------------------------------------------- the pages


class Page(HTMLParser):
    """What the tests look at in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.labels: set[str] = set()
        self.controls: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self.h1 = 0
        self.table_rows = 0
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls[str(a.get("id"))] = a
            if tag == "select":
                self._select = str(a.get("name"))
                self.options[self._select] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append((str(a.get("value")), "selected" in a))
        elif tag == "h1":
            self.h1 += 1
        elif tag == "tr":
            self.table_rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    @classmethod
    def of(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        return page


def test_the_gallery_links_every_question(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/queries", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Page.of(r.text)
    assert page.h1 == 1
    for query in QUERIES:
        assert f"http://testserver/queries/{query.name}" in page.hrefs
    home = endpoint_client.get("/", headers={"Accept": BROWSER}).text
    assert "http://testserver/queries" in Page.of(home).hrefs


def test_a_question_page_has_a_form_the_answer_and_the_sparql(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(
        "/queries/office-holder-on-date",
        params={"office": "office:st-integrationsbeauftragte", "date": "2010"},
    )
    assert r.status_code == 200, r.text
    page = Page.of(r.text)
    assert {"param-office", "param-date"} <= set(page.controls)
    assert set(page.controls) <= page.labels, "every control has a label"
    options = dict(page.options["office"])
    assert options["office:st-integrationsbeauftragte"] is True  # selected
    assert page.controls["param-date"]["value"] == "2010"
    assert {"results-table", "sparql-text", "open-in-editor"} <= page.ids
    assert page.table_rows == 2  # the header and Susi Möbbeck
    assert "http://testserver/id/person/susi-moebbeck" in page.hrefs
    downloads = {
        parse_qs(urlsplit(h).query).get("format", [""])[0]
        for h in page.hrefs
        if "/api/queries/" in h
    }
    assert {"rows", "json", "csv"} <= downloads


def test_the_editor_link_gives_the_same_answer_on_the_endpoint(endpoint_client: TestClient) -> None:
    params = {"office": "office:st-integrationsbeauftragte", "date": "2010"}
    page = Page.of(endpoint_client.get("/queries/office-holder-on-date", params=params).text)
    (editor,) = [h for h in page.hrefs if "/sparql?" in h]
    text = parse_qs(urlsplit(editor).query)["q"][0]
    via_endpoint = endpoint_client.get("/sparql", params={"query": text}).json()
    api = endpoint_client.get(
        "/api/queries/office-holder-on-date", params={**params, "format": "json"}
    ).json()
    assert via_endpoint["results"] == api["results"]


def test_a_bad_value_is_marked_in_the_form(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/queries/office-holder-on-date", params={"date": "2016-13"})
    assert r.status_code == 422
    page = Page.of(r.text)
    assert page.controls["param-date"]["aria-invalid"] == "true"
    assert "error-date" in page.ids and "results-table" not in page.ids


def test_the_query_page_offers_every_question_as_an_example(endpoint_client: TestClient) -> None:
    page = Page.of(endpoint_client.get("/sparql", headers={"Accept": BROWSER}).text)
    assert [v for v, _ in page.options["None"] if v] == [
        q.name for _, queries in CATALOGUE.grouped() for q in queries
    ]
    r = endpoint_client.get(
        "/sparql", params={"example": "office-holders"}, headers={"Accept": BROWSER}
    )
    assert "VALUES (?year)" in r.text


def test_an_unknown_question_page_is_404(endpoint_client: TestClient) -> None:
    assert endpoint_client.get("/queries/no-such-question").status_code == 404
