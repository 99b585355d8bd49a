"""``kg serve --store`` in front of Oxigraph's server: the same end-to-end tests as embedded.

Oxigraph's server (the pinned ``oxigraph`` wheel, the same engine as pyoxigraph) runs on
loopback, in memory, started once per session; the project's data is published into it
by ``kg publish``'s core (``published_oxigraph``). Then:

* every end-to-end test of the embedded store runs again over it (:mod:`remote_suite`);
* every named query, a set of protocol queries and the VoID statistics are compared with
  the embedded store's answers (the data is being extended, so not with fixed numbers);
* what only a remote store can do wrong: a query still running at the timeout, a store
  that goes away, a new publication while serving, a switch in progress.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from conftest import REPO, StoreServer, free_port, make_project, wait_for_http
from kg import named_queries as nq
from kg.namespaces import PROBLEMS, PUBLICATION
from kg.settings import Settings
from kg.store import KnowledgeGraph, RemoteKnowledgeGraph
from remote_suite import collect_into

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def endpoint_client(published_oxigraph: StoreServer) -> Iterator[TestClient]:
    """The web application in front of Oxigraph's server (as ``endpoint_client`` embedded)."""
    from fastapi.testclient import TestClient

    from kg.web.app import create_app

    settings = published_oxigraph.settings(query_timeout=3.0, max_results=500, workers=2)
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture(scope="module")
def graph(published_oxigraph: StoreServer) -> Iterator[RemoteKnowledgeGraph]:
    """The remote graph (as the embedded ``graph`` of tests/test_named_queries.py)."""
    remote = RemoteKnowledgeGraph.connect(published_oxigraph.settings())  # type: ignore[arg-type]
    yield remote
    remote.close()


RERUN = collect_into(globals())


def test_the_end_to_end_tests_are_collected_again() -> None:
    assert len(RERUN) > 80
    assert any(name.endswith("__sparql_protocol") for name in RERUN)
    assert any(name.endswith("__linked_data") for name in RERUN)


# ----------------------------------------------------------------- the same answers


def rows(table: nq.Table) -> Counter[tuple[str, ...]]:
    """A table's rows as a multiset (order only where the query asks for it: compared apart)."""
    return Counter(tuple(str(v) for v in row) for row in table.rows)


CATALOGUE = nq.Catalogue.load(nq.directory(Settings.from_env(root=REPO)))


@pytest.mark.parametrize("query", list(CATALOGUE), ids=lambda q: q.name)
def test_every_named_query_answers_as_embedded(
    embedded: KnowledgeGraph, graph: RemoteKnowledgeGraph, query: nq.NamedQuery
) -> None:
    for raw in (query.example, {}):
        binding = query.bind(raw)
        here = nq.table(nq.run(embedded, binding))
        there = nq.table(nq.run(graph, binding))
        assert there.columns == here.columns
        assert there.boolean == here.boolean
        assert rows(there) == rows(here), query.name
        if "ORDER BY" in query.body.upper():
            assert there.rows == here.rows, f"{query.name}: ORDER BY gives another order"


@pytest.mark.parametrize("query", list(CATALOGUE), ids=lambda q: q.name)
def test_the_api_answers_as_embedded(
    endpoint_client: TestClient, embedded_client: TestClient, query: nq.NamedQuery
) -> None:
    params = {k: v if isinstance(v, str) else list(v) for k, v in query.example.items()}
    there = endpoint_client.get(f"/api/queries/{query.name}", params=params)
    here = embedded_client.get(f"/api/queries/{query.name}", params=params)
    assert there.status_code == here.status_code == 200, there.text
    assert there.headers["content-type"] == here.headers["content-type"]
    if "json" in here.headers["content-type"]:
        assert there.json() == here.json()
    else:  # a graph: the same statements (a graph has no order, nor Turtle's grouping)
        from rdflib import Graph
        from rdflib.compare import isomorphic

        media = here.headers["content-type"].split(";")[0]
        mine, theirs = Graph(), Graph()
        mine.parse(data=here.content, format=media)
        theirs.parse(data=there.content, format=media)
        assert len(mine) > 0
        assert isomorphic(theirs, mine)


PROTOCOL_QUERIES = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "distinct": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "per-graph": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "graphs": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a ipo:Person } }",
    "from": "SELECT (COUNT(*) AS ?n) FROM graph:reference WHERE { ?s ?p ?o }",
    "from-unknown": "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/ipkg/publication/default> "
    "WHERE { ?s ?p ?o }",
    "from-named": "SELECT ?g (COUNT(*) AS ?n) FROM NAMED graph:reference "
    "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "from-and-graph": "SELECT ?g (COUNT(*) AS ?n) FROM graph:reference "
    "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "from-named-and-default": "SELECT (COUNT(*) AS ?n) FROM NAMED graph:reference "
    "WHERE { ?s ?p ?o }",
    "no-merge-graph": "ASK { GRAPH <https://w3id.org/ipkg/publication/default> { ?s ?p ?o } }",
    "no-manifest": "ASK { GRAPH ?g { ?s <https://w3id.org/ipkg/publication/generation> ?o } }",
    "ask": "ASK { ?s a ipo:Person }",
    "labels": "SELECT ?s ?l WHERE { ?s a ipo:Land ; skos:prefLabel ?l } ORDER BY ?s ?l",
    "construct": "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { ?s a ipo:Land ; skos:prefLabel ?l }",
    "describe": "DESCRIBE person:susi-moebbeck",
    "optional": "SELECT ?t ?s ?e WHERE { ?t a ipo:Tenure OPTIONAL { ?t schema:startDate ?s } "
    "OPTIONAL { ?t schema:endDate ?e } }",
}


@pytest.mark.parametrize("name", list(PROTOCOL_QUERIES))
@pytest.mark.parametrize(
    "dataset",
    [
        {},
        {"default-graph-uri": "https://w3id.org/ipkg/graph/reference"},
        {"named-graph-uri": "https://w3id.org/ipkg/graph/ontology"},
        {"default-graph-uri": "urn:not-published", "named-graph-uri": "urn:not-published"},
    ],
    ids=["dataset-of-the-query", "default-graph-uri", "named-graph-uri", "unknown-graphs"],
)
def test_the_protocol_answers_as_embedded(
    endpoint_client: TestClient,
    embedded_client: TestClient,
    name: str,
    dataset: dict[str, str],
) -> None:
    params = {"query": PROTOCOL_QUERIES[name], "format": "json", **dataset}
    if name in ("construct", "describe"):
        params["format"] = "ntriples"
    there = endpoint_client.get("/sparql", params=params)
    here = embedded_client.get("/sparql", params=params)
    assert there.status_code == here.status_code == 200, there.text
    assert there.headers["kg-result-count"] == here.headers["kg-result-count"]
    if params["format"] == "ntriples":
        assert sorted(there.text.splitlines()) == sorted(here.text.splitlines())
        return
    a, b = there.json(), here.json()
    if "boolean" in b:
        assert a["boolean"] == b["boolean"]
        return
    assert a["head"] == b["head"]
    bindings = [json.dumps(x, sort_keys=True) for x in a["results"]["bindings"]]
    expected = [json.dumps(x, sort_keys=True) for x in b["results"]["bindings"]]
    if "ORDER BY" in params["query"]:
        assert bindings == expected
    assert Counter(bindings) == Counter(expected)


def test_void_statistics_are_the_embedded_ones(
    embedded: KnowledgeGraph, graph: RemoteKnowledgeGraph
) -> None:
    from kg import void

    assert void.statistics(graph) == void.statistics(embedded)


def test_the_dumps_are_the_embedded_ones(
    endpoint_client: TestClient, embedded_client: TestClient
) -> None:
    for name in ("ipkg.trig", "ipkg.nq.gz", "ipkg.ttl", "SHA256SUMS"):
        there = endpoint_client.get(f"/dumps/{name}")
        here = embedded_client.get(f"/dumps/{name}")
        assert there.content == here.content, name


def test_the_version_is_the_embedded_one(
    endpoint_client: TestClient, embedded_client: TestClient
) -> None:
    there = endpoint_client.get("/health").json()
    here = embedded_client.get("/health").json()
    assert there["data_version"] == here["data_version"]
    assert (there["triples"], there["graphs"]) == (here["triples"], here["graphs"])
    assert there["store"].startswith("Oxigraph/") and here["store"] == "embedded"


# ----------------------------------------------------------------- limits in front of the store


def test_a_runaway_query_is_stopped_while_others_are_answered(
    endpoint_client: TestClient,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def runaway() -> tuple[int, float, dict[str, Any]]:
        start = time.monotonic()
        r = endpoint_client.get("/sparql", params={"query": RUNAWAY})
        return r.status_code, time.monotonic() - start, r.json()

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(runaway)
        time.sleep(0.3)
        quick = []
        for _ in range(3):
            start = time.monotonic()
            r = endpoint_client.get("/sparql", params={"query": "ASK { ?s a ipo:Person }"})
            quick.append(time.monotonic() - start)
            assert r.status_code == 200 and r.json()["boolean"] is True
        status, seconds, problem = slow.result()
    assert status == 503
    assert problem["type"] == str(PROBLEMS["query-timeout"])
    assert 2.9 <= seconds < 6, seconds
    assert max(quick) < 1.0, quick


def test_a_malformed_query_gets_the_embedded_message_and_position(
    endpoint_client: TestClient, embedded_client: TestClient
) -> None:
    query = "SELECT *\nWHERE { ?s ?p }"
    there = endpoint_client.get("/sparql", params={"query": query})
    here = embedded_client.get("/sparql", params={"query": query})
    assert there.status_code == here.status_code == 400
    assert there.json() == here.json()


# ----------------------------------------------------------------- what a remote store adds


@pytest.fixture
def small_store(
    oxigraph_factory: Callable[[], StoreServer], tmp_path: Any
) -> tuple[StoreServer, Callable[[list[str]], None]]:
    """An Oxigraph server of its own and ``publish(files)``: a small project published."""
    from kg import publish
    from kg.query_service import DataVersion
    from kg.remote_store import Endpoints, RemoteStore
    from kg.store import served_files

    server = oxigraph_factory()
    counter = iter(range(100))

    def publish_files(files: list[str]) -> None:
        root = make_project(tmp_path / f"p{next(counter)}", files)
        settings = Settings.from_env(root=root)
        kg = KnowledgeGraph.load(settings)
        version = DataVersion.of_files(served_files(settings))
        store = RemoteStore(Endpoints(server.query, server.update, server.gsp), timeout=60)
        try:
            publish.publish(kg, store, version=version.digest, modified=version.modified)
        finally:
            store.close()

    return server, publish_files


def small_client(server: StoreServer, **overrides: Any) -> TestClient:
    from fastapi.testclient import TestClient

    from kg.web.app import create_app

    values: dict[str, Any] = {"query_timeout": 3.0, "workers": 2, "store_refresh": 0.2}
    values.update(overrides)
    return TestClient(create_app(server.settings(**values)))  # type: ignore[arg-type]


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(client: TestClient) -> int:
    r = client.get("/sparql", params={"query": COUNT})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_a_new_publication_is_served_without_a_restart(
    small_store: tuple[StoreServer, Callable[[list[str]], None]],
) -> None:
    server, publish_files = small_store
    publish_files(["valid.trig"])
    with small_client(server, store_refresh=30) as client:
        before = count(client)
        etag = client.get("/sparql", params={"query": COUNT}).headers["etag"]
        assert client.get("/health").json()["publication"] == 1
        publish_files(["valid.trig", "same_person_elsewhere.trig"])
        # a query the cache does not hold notices the switch at once (its check fails)
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 200
        assert client.get("/health").json()["publication"] == 2
        after = count(client)  # the cached answer of publication 1 was dropped
        assert after > before
        assert client.get("/sparql", params={"query": COUNT}).headers["etag"] != etag
        graphs = client.get(
            "/sparql",
            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        ).json()["results"]["bindings"]
        assert len(graphs) == 3  # ontology and the two data graphs; never the store's own


def test_cached_answers_follow_a_new_publication_within_store_refresh(
    small_store: tuple[StoreServer, Callable[[list[str]], None]],
) -> None:
    server, publish_files = small_store
    publish_files(["valid.trig"])
    with small_client(server, store_refresh=0.2) as client:
        before = count(client)
        assert client.get("/sparql", params={"query": COUNT}).headers["kg-cache"] == "hit"
        publish_files(["valid.trig", "same_person_elsewhere.trig"])
        deadline = time.monotonic() + 5
        while count(client) == before:
            assert time.monotonic() < deadline, "the new publication was not adopted"
            time.sleep(0.1)


def test_a_switch_in_progress_is_a_503_not_mixed_data(
    small_store: tuple[StoreServer, Callable[[list[str]], None]],
) -> None:
    from kg import publish
    from kg.remote_store import Endpoints, RemoteStore

    server, publish_files = small_store
    publish_files(["valid.trig"])
    with small_client(server, store_refresh=30) as client:
        assert count(client) > 0
        store = RemoteStore(Endpoints(server.query, server.update, server.gsp), timeout=10)
        publish._mark_switching(store)  # what kg publish does first on a store like Virtuoso
        for path in ("/sparql?query=ASK%20%7B%7D", "/id/person/anna-beispiel.ttl"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            assert r.json()["type"] == str(PROBLEMS["busy"])
            assert r.headers["retry-after"] == "1"
        publish_files(["valid.trig", "same_person_elsewhere.trig"])  # the switch completes
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        store.close()


def test_a_store_that_goes_away_is_a_502_problem(
    small_store: tuple[StoreServer, Callable[[list[str]], None]],
) -> None:
    server, publish_files = small_store
    publish_files(["valid.trig"])
    with small_client(server, store_refresh=30) as client:
        assert count(client) > 0
        server.stop()
        for path in ("/sparql?query=ASK%20%7B%7D", "/api/queries/bodies-per-kind"):
            r = client.get(path)
            assert r.status_code == 502, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["type"] == str(PROBLEMS["store-unavailable"])
            assert "cannot reach the store at http://127.0.0.1:" in problem["detail"]
            assert "Traceback" not in r.text
        assert client.get("/health").status_code == 200


def test_kg_serve_with_store_over_http(published_oxigraph: StoreServer) -> None:
    port = free_port()
    env = {**os.environ, "KG_STORE": published_oxigraph.query, "KG_WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/health", process)
        with urllib.request.urlopen(base + "/health") as r:
            health = json.loads(r.read())
        assert health["store"].startswith("Oxigraph/")
        query = urllib.parse.urlencode({"query": "ASK { ?s a ipo:Person }"})
        with urllib.request.urlopen(f"{base}/sparql?{query}") as r:
            assert json.loads(r.read())["boolean"] is True
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=10)[0].decode()
    assert f"store: {published_oxigraph.query} (Oxigraph/0.5.13)" in output
    assert "serving publication" in output
    assert "note: timeouts:" in output
    assert "validated" not in output  # the store's publication was validated by kg publish


def test_kg_serve_refuses_a_store_without_publication(
    oxigraph_factory: Callable[[], StoreServer],
) -> None:
    from kg.cli import main

    server = oxigraph_factory()
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--store", server.query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "holds no dataset published by kg publish" in result.stderr
    assert "Traceback" not in result.stderr
    assert main(["stats", "--store", "http://127.0.0.1:1/query"]) == 2


def test_the_merge_graph_is_in_the_store_but_not_in_the_dataset(
    graph: RemoteKnowledgeGraph,
) -> None:
    assert str(PUBLICATION["default"]) not in graph.graphs()
    assert all(g.startswith("https://w3id.org/ipkg/graph/") for g in graph.graphs())


def test_kg_query_over_the_store_prints_what_it_prints_embedded(
    published_oxigraph: StoreServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from kg.cli import main

    query = (
        "SELECT ?l WHERE { ?s a ipo:Land ; skos:prefLabel ?l FILTER(lang(?l) = 'de') } ORDER BY ?l"
    )
    assert main(["query", query, "--format", "csv", "--quiet"]) == 0
    here = capsys.readouterr().out
    assert main(["query", query, "--format", "csv", "--store", published_oxigraph.query]) == 0
    assert capsys.readouterr().out == here
    assert main(["query", "SELECT *\nWHERE { ?s ?p }", "--store", published_oxigraph.query]) == 2
    err = capsys.readouterr().err
    assert "error: SPARQL syntax error: the store could not parse the query: error at 2:" in err
    assert "hint: check the query at the position shown" in err
