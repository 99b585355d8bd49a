"""The SPARQL 1.1 Protocol at /sparql, in process (FastAPI TestClient, real worker pool).

Every response body is parsed back (JSON, XML, CSV, TSV with pyoxigraph; RDF with
rdflib) and checked against the data, never compared as a string.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.namespaces import SKOS, graph_iri, mint

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

LABEL = "SELECT ?l WHERE { person:susi-moebbeck skos:prefLabel ?l }"
ASK = "ASK { ?p a ipo:Person }"
DESCRIBE = "DESCRIBE person:doris-lemmermeier"
SD = "http://www.w3.org/ns/sparql-service-description#"


def solutions(response_body: bytes, fmt: ox.QueryResultsFormat) -> list[dict[str, str]]:
    parsed = ox.parse_query_results(response_body, format=fmt)
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in parsed]


# ----------------------------------------------------------------- the three ways to ask


def test_get_answers_sparql_json_by_default(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/sparql", params={"query": LABEL})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == [{"l": "Susi Möbbeck"}]


def test_post_form_encoded(endpoint_client: TestClient) -> None:
    r = endpoint_client.post("/sparql", data={"query": LABEL})
    assert r.status_code == 200
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == [{"l": "Susi Möbbeck"}]


def test_post_sparql_query_body(endpoint_client: TestClient) -> None:
    r = endpoint_client.post(
        "/sparql", content=LABEL.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 200
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == [{"l": "Susi Möbbeck"}]


# ----------------------------------------------------------------- content negotiation


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
        ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
        ("text/csv;q=0.9, application/sparql-results+xml;q=0.5", "text/csv", "csv"),
        ("application/*;q=0.8, text/csv;q=0.2", "application/sparql-results+json", "json"),
        ("*/*", "application/sparql-results+json", "json"),
        ("text/html, */*;q=0.1", "application/sparql-results+json", "json"),
    ],
)
def test_select_results_are_negotiated_with_q_values_and_wildcards(
    endpoint_client: TestClient, accept: str, media_type: str, fmt: str
) -> None:
    r = endpoint_client.get("/sparql", params={"query": LABEL}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in r.headers["vary"]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows == [{"l": "Susi Möbbeck"}]
    else:
        formats = {
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
            "tsv": ox.QueryResultsFormat.TSV,
        }
        assert solutions(r.content, formats[fmt]) == [{"l": "Susi Möbbeck"}]


def test_missing_accept_gets_the_default(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/sparql", params={"query": ASK}, headers={"Accept": ""})
    assert r.status_code == 200
    assert json.loads(r.content) == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_describe_in_every_rdf_format(
    endpoint_client: TestClient, accept: str, rdflib_format: str
) -> None:
    r = endpoint_client.get("/sparql", params={"query": DESCRIBE}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == accept
    g = Graph()
    g.parse(data=r.content, format=rdflib_format)
    person = URIRef(str(mint("person", "doris-lemmermeier")))
    assert (person, SKOS.prefLabel, None) in g
    assert int(r.headers["kg-result-count"]) == len(g)


def test_format_parameter_overrides_accept(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(
        "/sparql", params={"query": LABEL, "format": "csv"}, headers={"Accept": "text/turtle"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")


def test_nothing_acceptable_is_406_listing_the_offers(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/sparql", params={"query": LABEL}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    problem = r.json()
    assert "application/sparql-results+json" in problem["offered"]


def test_a_format_that_does_not_fit_the_query_is_a_bad_request(
    endpoint_client: TestClient,
) -> None:
    r = endpoint_client.get("/sparql", params={"query": LABEL, "format": "turtle"})
    assert r.status_code == 400
    assert "json" in r.json()["detail"]


# ----------------------------------------------------------------- dataset parameters


def test_union_default_graph_is_a_set_not_a_bag(endpoint_client: TestClient) -> None:
    """committee:intmk's German label is stated by two sources; the default graph has it once."""
    q = 'SELECT (COUNT(*) AS ?n) WHERE { committee:intmk skos:prefLabel ?l FILTER(lang(?l)="de") }'
    r = endpoint_client.get("/sparql", params={"query": q})
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == [{"n": "1"}]
    q2 = "SELECT ?g WHERE { GRAPH ?g { committee:intmk a ipo:Committee } }"
    r2 = endpoint_client.get("/sparql", params={"query": q2})
    assert len(solutions(r2.content, ox.QueryResultsFormat.JSON)) > 2  # many sources say so


def test_default_graph_uri_restricts_the_default_graph(endpoint_client: TestClient) -> None:
    q = "SELECT DISTINCT ?p WHERE { ?p a ipo:Person }"
    graph = str(graph_iri("sn-sms-medieninformation-2024-03-21"))
    r = endpoint_client.get("/sparql", params={"query": q, "default-graph-uri": graph})
    people = {row["p"] for row in solutions(r.content, ox.QueryResultsFormat.JSON)}
    assert people == {
        str(mint("person", "juliane-morgenroth")),
        str(mint("person", "petra-koepping")),
    }


def test_named_graph_uri_limits_graph_patterns(endpoint_client: TestClient) -> None:
    graph = str(graph_iri("reference"))
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = endpoint_client.post("/sparql", data={"query": q, "named-graph-uri": graph})
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == [{"g": graph}]


# ----------------------------------------------------------------- service description


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/rdf+xml"])
def test_service_description_without_a_query(endpoint_client: TestClient, accept: str) -> None:
    r = endpoint_client.get("/sparql", headers={"Accept": accept})
    assert r.status_code == 200
    g = Graph()
    g.parse(
        data=r.content,
        format={"text/turtle": "turtle", "application/ld+json": "json-ld"}.get(accept, "xml"),
    )
    services = list(g.subjects(RDF.type, URIRef(SD + "Service")))
    assert len(services) == 1
    service = services[0]
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in g
    assert (service, URIRef(SD + "feature"), URIRef(SD + "UnionDefaultGraph")) in g
    formats = set(g.objects(service, URIRef(SD + "resultFormat")))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    timeout = g.value(service, URIRef("https://w3id.org/ipkg/ontology#queryTimeout"))
    assert timeout is not None and float(timeout) == 3.0
    names = {str(n) for n in g.objects(None, URIRef(SD + "name"))}
    assert any(n.endswith("/graph/reference") for n in names)


# ----------------------------------------------------------------- read-only and closed


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {"update": "INSERT DATA { <a:a> <a:b> <a:c> }"}},
        {
            "content": b"DELETE WHERE { ?s ?p ?o }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"data": {"query": "LOAD <http://127.0.0.1:9/data.ttl>"}},
        {"data": {"query": "CLEAR ALL"}},
    ],
)
def test_updates_are_refused(endpoint_client: TestClient, request_kwargs: dict) -> None:  # type: ignore[type-arg]
    r = endpoint_client.post("/sparql", **request_kwargs)
    assert r.status_code == 403
    assert r.json()["type"].endswith("/read-only")
    count = endpoint_client.get("/sparql", params={"query": "ASK { <a:a> <a:b> <a:c> }"})
    assert json.loads(count.content)["boolean"] is False


def test_service_is_refused_with_its_position(endpoint_client: TestClient) -> None:
    q = "SELECT * WHERE {\n  SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }\n}"
    r = endpoint_client.get("/sparql", params={"query": q})
    assert r.status_code == 403
    problem = r.json()
    assert (problem["line"], problem["column"]) == (2, 3)


def test_from_a_file_iri_reads_no_file(endpoint_client: TestClient) -> None:
    q = "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"
    r = endpoint_client.get("/sparql", params={"query": q})
    assert r.status_code == 200
    assert solutions(r.content, ox.QueryResultsFormat.JSON) == []


def test_a_deeply_nested_query_is_refused_before_the_engine(endpoint_client: TestClient) -> None:
    q = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
    r = endpoint_client.post("/sparql", data={"query": q})
    assert r.status_code == 400
    assert r.json()["type"].endswith("/query-too-complex")
    assert endpoint_client.get("/health").json()["worker_restarts"] == 0


# ----------------------------------------------------------------- limits


def test_a_query_over_the_size_limit_is_413(endpoint_client: TestClient) -> None:
    q = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000
    r = endpoint_client.post("/sparql", data={"query": q})
    assert r.status_code == 413
    assert r.json()["limit"] == 100_000


def test_a_result_over_the_limit_is_refused_not_truncated(endpoint_client: TestClient) -> None:
    r = endpoint_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 422
    problem = r.json()
    assert problem["limit"] == 500 and problem["unit"] == "solutions"
    assert "LIMIT" in problem["detail"]
    ok = endpoint_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500"})
    assert ok.status_code == 200
    assert int(ok.headers["kg-result-count"]) == 500


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("query", "line", "column"),
    [
        # pyoxigraph's PEG parser reports the furthest point it reached, 1-based:
        # here just after the last character it could read.
        ("SELECT ?x WHERE { ?x a }", 1, 25),
        ("SELECT ?x\nWHERE {\n  ?x ipo:office ?o .\n  FILTER(\n}", 5, 2),
    ],
)
def test_malformed_queries_get_the_parser_message_and_position(
    endpoint_client: TestClient, query: str, line: int, column: int
) -> None:
    r = endpoint_client.get("/sparql", params={"query": query})
    assert r.status_code == 400
    problem = r.json()
    assert problem["type"].endswith("/query-syntax")
    assert (problem["line"], problem["column"]) == (line, column)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"query=x", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": b"\xff\xfe", "headers": {"Content-Type": "application/sparql-query"}}, 400),
        ({"data": {"nothing": "here"}}, 400),
        ({"data": {"query": ["ASK {}", "ASK {}"]}}, 400),
    ],
)
def test_malformed_bodies_get_4xx_problems(
    endpoint_client: TestClient,
    kwargs: dict,
    status: int,  # type: ignore[type-arg]
) -> None:
    r = endpoint_client.post("/sparql", **kwargs)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"


# ----------------------------------------------------------------- HTTP manners


def test_etag_and_last_modified_give_304(endpoint_client: TestClient) -> None:
    first = endpoint_client.get("/sparql", params={"query": LABEL})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = endpoint_client.get("/sparql", params={"query": LABEL}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = endpoint_client.get(
        "/sparql", params={"query": LABEL}, headers={"If-Modified-Since": modified}
    )
    assert since.status_code == 304
    other = endpoint_client.get("/sparql", params={"query": ASK}, headers={"If-None-Match": etag})
    assert other.status_code == 200, "another query has another ETag"


def test_head_has_the_headers_and_no_body(endpoint_client: TestClient) -> None:
    r = endpoint_client.head("/sparql", params={"query": LABEL})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert r.content == b""


def test_cors_preflight_and_simple_requests(endpoint_client: TestClient) -> None:
    pre = endpoint_client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = endpoint_client.get(
        "/sparql", params={"query": ASK}, headers={"Origin": "https://yasgui.example"}
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert "ETag" in r.headers["access-control-expose-headers"]


def test_plain_options_lists_the_allowed_methods(endpoint_client: TestClient) -> None:
    r = endpoint_client.options("/sparql")
    assert r.status_code == 204
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_health(endpoint_client: TestClient) -> None:
    body = endpoint_client.get("/health").json()
    assert body["status"] == "ok" and body["workers"] == 2 and body["triples"] > 1000


def test_access_log_has_one_structured_line_per_request(
    endpoint_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="kg.access"):
        endpoint_client.get("/sparql", params={"query": LABEL + " # log me"})
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kg.access"]
    assert len(records) == 1
    line = records[0]
    assert line["method"] == "GET" and line["status"] == 200 and line["results"] == 1
    assert len(line["query_hash"]) == 12 and line["duration_ms"] >= 0
