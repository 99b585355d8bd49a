"""The endpoint as users meet it: ``python -m kg serve`` on loopback, with real clients.

The server runs with a 2 s query timeout (see the ``running_server`` fixture).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from kg.namespaces import PREFIXES, mint, sparql_prefixes

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def query_url(base: str, query: str) -> str:
    return base + "/sparql?" + urllib.parse.urlencode({"query": query})


# ----------------------------------------------------------------- third-party clients


def test_sparqlwrapper_select_and_construct(running_server: str) -> None:
    client = SPARQLWrapper(running_server + "/sparql")
    client.setQuery(
        sparql_prefixes() + "SELECT ?office ?start WHERE { ?t org:member person:susi-moebbeck ; "
        "ipo:office ?office ; schema:startDate ?start } ORDER BY ?start"
    )
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert [(r["office"]["value"], r["start"]["value"]) for r in rows] == [
        (str(mint("office", "st-integrationsbeauftragte")), "2007"),  # the primary source
        (str(mint("office", "st-integrationsbeauftragte")), "2007-08-15"),  # secondary ones
        (str(mint("office", "st-staatssekretaer-ministerium-arbeit-soziales-integration")), "2016"),
    ]
    client.setQuery(
        sparql_prefixes() + "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { "
        "?s a ipo:Land ; skos:prefLabel ?l FILTER(lang(?l) = 'en') }"
    )
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) == 16


def test_sparqlwrapper_post(running_server: str) -> None:
    client = SPARQLWrapper(running_server + "/sparql")
    client.setMethod("POST")
    client.setQuery(sparql_prefixes() + "ASK { committee:bb-haertefallkommission a ipo:Committee }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True  # type: ignore[index,call-overload]


def test_rdflib_sparqlstore(running_server: str) -> None:
    store = SPARQLStore(running_server + "/sparql", returnFormat="json")
    graph = Graph(store=store)
    rows = list(
        graph.query(
            "SELECT ?role WHERE { ?m <http://www.w3.org/ns/org#member> ?p ; "
            "<http://www.w3.org/ns/org#organization> ?c ; <http://www.w3.org/ns/org#role> ?role }",
            initBindings={
                "p": URIRef(str(mint("person", "doris-lemmermeier"))),
                "c": URIRef(str(mint("committee", "bb-haertefallkommission"))),
            },
        )
    )
    assert [str(r[0]) for r in rows] == [str(mint("role", "beratendes-mitglied"))]  # type: ignore[index]


# ----------------------------------------------------------------- closed to the outside


@pytest.fixture
def loopback_listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on loopback that records every connection it sees."""
    seen: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(4096) or b"<connected>")
                except OSError:
                    seen.append(b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    finally:
        stop.set()
        server.close()
        thread.join(timeout=2)


@pytest.mark.parametrize(
    "make_query",
    [
        lambda url: f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        lambda url: f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        lambda url: (
            f"SELECT * WHERE {{ VALUES ?e {{ <{url}/sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        lambda url: f"LOAD <{url}/data.ttl>",
        lambda url: f"LOAD SILENT <{url}/data.ttl> INTO GRAPH <{url}/g>",
    ],
    ids=["service", "service-silent", "service-variable", "load", "load-silent"],
)
def test_service_and_load_make_no_outbound_connection(
    running_server: str, loopback_listener: tuple[str, list[bytes]], make_query: object
) -> None:
    url, seen = loopback_listener
    query = make_query(url)  # type: ignore[operator]
    status, headers, _ = get(query_url(running_server, query))
    assert status == 403
    assert headers["content-type"] == "application/problem+json"
    status, _, _ = get(running_server + "/sparql", timeout=10)  # let anything in flight land
    time.sleep(0.5)
    assert seen == [], f"the server connected to the listener: {seen!r}"


# ----------------------------------------------------------------- honest limits


def test_a_runaway_query_is_stopped_while_others_are_answered(running_server: str) -> None:
    def runaway() -> tuple[int, float, dict[str, object]]:
        start = time.monotonic()
        status, _, body = get(query_url(running_server, RUNAWAY), timeout=30)
        return status, time.monotonic() - start, json.loads(body)

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(runaway)
        time.sleep(0.3)
        quick_times = []
        for _ in range(5):
            start = time.monotonic()
            status, _, body = get(query_url(running_server, f"ASK {{ ?s a <{PREFIXES['ipo']}> }}"))
            quick_times.append(time.monotonic() - start)
            assert status == 200 and json.loads(body)["boolean"] is False
        status, seconds, problem = slow.result()
    assert status == 503
    assert problem["type"] == "https://w3id.org/ipkg/problems/query-timeout"
    assert 1.9 <= seconds < 6, seconds
    assert max(quick_times) < 1.0, quick_times
    # the worker was replaced: the CPU is free and the server keeps answering
    health = json.loads(get(running_server + "/health")[2])
    assert health["worker_restarts"] >= 1
    assert get(query_url(running_server, "ASK {}"))[0] == 200


def test_a_query_nested_thousands_deep_does_not_take_the_server_down(running_server: str) -> None:
    query = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(running_server + "/sparql", data=data)
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("expected a 400")
    except urllib.error.HTTPError as e:
        assert e.code == 400
        assert json.loads(e.read())["type"].endswith("/query-too-complex")
    assert get(running_server + "/health")[0] == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/sparql?query=SELECT", 400),
        ("/sparql?query=ASK%7B%7D&format=png", 400),
        ("/no-such-page", 404),
    ],
)
def test_errors_over_http_are_problem_documents(
    running_server: str, path: str, status: int
) -> None:
    code, headers, body = get(running_server + path)
    assert code == status
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
