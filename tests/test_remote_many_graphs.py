"""A publication of thousands of named graphs, served through ``kg serve --store``.

Every query the front sends names its dataset. Virtuoso echoes each graph named as a request
parameter in a response header (about 80 bytes each), so from about 1,300 graphs on its
answers could not be read at all (measured on the synthetic data at 1M triples, 2,368
graphs); the front now writes the dataset into the query text for Virtuoso
(:func:`kg.remote_store.with_dataset`). Checked here end to end: ``kg publish``'s count of
every graph, a query over all graphs through the core, and one through the web endpoint,
against Oxigraph's server (``make test``) and Virtuoso (``make test-virtuoso``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import REPO, StoreServer

#: More graphs than Virtuoso's echoed headers allowed (about 1,300).
GRAPHS = 2500
#: Every how many graphs hold :data:`SHARED`. Not all of them: Virtuoso 7.2 crashes ("GPF:
#: colsearch.c:782 over 1000 pages in col in segment", measured twice) once one statement is
#: in about 4,600 graphs, as a republication's staging copies made it here.
SHARED_EVERY = 50
SUBJECT = "urn:kg-test:subject/"
GRAPH = "urn:kg-test:graph/"
SHARED = ox.Triple(
    ox.NamedNode("urn:kg-test:shared"),
    ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
    ox.Literal("in every graph"),
)


def write_graphs(path: Path, offset: int = 0) -> Path:
    """A TriG file of :data:`GRAPHS` graphs: a triple each (the value ``n + offset``), and
    one triple in every :data:`SHARED_EVERY`-th."""
    quads = []
    for n in range(GRAPHS):
        g = ox.NamedNode(f"{GRAPH}{n}")
        value = ox.Literal(n + offset)
        quads.append(ox.Quad(ox.NamedNode(f"{SUBJECT}{n}"), SHARED.predicate, value, g))
        if n % SHARED_EVERY == 0:
            quads.append(ox.Quad(SHARED.subject, SHARED.predicate, SHARED.object, g))
    ox.serialize(quads, path, format=ox.RdfFormat.TRIG)
    return path


@pytest.fixture(scope="module")
def many_graphs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_graphs(tmp_path_factory.mktemp("many") / "many-graphs.trig")


def _start_virtuoso(tmp: Path) -> StoreServer:
    from test_remote_virtuoso import start_virtuoso

    return start_virtuoso(tmp)


@pytest.fixture(
    scope="module",
    params=[
        "oxigraph",
        pytest.param("virtuoso", marks=pytest.mark.virtuoso),
    ],
)
def store(
    request: pytest.FixtureRequest,
    oxigraph_factory: Callable[[], StoreServer],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StoreServer]:
    if request.param == "oxigraph":
        yield oxigraph_factory()
        return
    server = _start_virtuoso(tmp_path_factory.mktemp("virtuoso-many"))
    yield server
    server.stop()


def publish_file(store: StoreServer, path: Path) -> tuple[Any, Any]:
    """``path`` published into ``store`` by ``kg publish``'s core; (report, settings)."""
    from kg import publish
    from kg.dataset import parse_file, parse_ontology
    from kg.remote_store import Endpoints, RemoteStore
    from kg.settings import EMBEDDED, Settings
    from kg.store import KnowledgeGraph

    local = Settings.from_env(root=REPO, data=(path,), store=EMBEDDED)
    graph = KnowledgeGraph.from_parsed([*parse_ontology(local), parse_file(path)])
    settings: Any = store.settings(data=(path,))
    remote = RemoteStore(Endpoints.from_settings(settings), timeout=600)
    try:
        report = publish.publish(
            graph, remote, version=path.name, modified=datetime.now(tz=UTC), accept_changes=True
        )
    finally:
        remote.close()
    return report, settings


@pytest.fixture(scope="module")
def published(store: StoreServer, many_graphs: Path) -> tuple[Any, Any]:
    return publish_file(store, many_graphs)


def test_publish_counts_every_graph(published: tuple[Any, Any]) -> None:
    report, _ = published
    assert report.graphs == GRAPHS + 1  # and the ontology's graph
    assert report.quads >= GRAPHS + GRAPHS // SHARED_EVERY


def numbers(settings: Any, query: str) -> dict[str, int]:
    """The first solution of ``query`` through the core over the store, as integers."""
    from kg.store import RemoteKnowledgeGraph

    graph = RemoteKnowledgeGraph.connect(settings)
    try:
        result = graph.store.query(query)
        assert isinstance(result, ox.QuerySolutions)
        row = next(iter(result))
        return {v.value: int(row[v].value) for v in result.variables}
    finally:
        graph.close()


def test_a_query_over_every_graph_is_answered(published: tuple[Any, Any]) -> None:
    _, settings = published
    query = (
        f"SELECT (COUNT(DISTINCT ?g) AS ?graphs) (COUNT(*) AS ?shared) "
        f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?s = {SHARED.subject}) }}"
    )
    assert numbers(settings, query) == {
        "graphs": GRAPHS // SHARED_EVERY,
        "shared": GRAPHS // SHARED_EVERY,
    }
    every = "SELECT (COUNT(DISTINCT ?g) AS ?graphs) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert numbers(settings, every) == {"graphs": GRAPHS + 1}  # and the ontology's graph


def test_the_endpoint_answers_over_every_graph(published: tuple[Any, Any]) -> None:
    from fastapi.testclient import TestClient

    from kg.web.app import create_app

    _, settings = published
    query = f"SELECT ?g WHERE {{ GRAPH ?g {{ <{SUBJECT}{GRAPHS - 1}> ?p ?o }} }}"
    with TestClient(create_app(settings)) as client:
        response = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        assert response.status_code == 200, response.text
        assert response.text.split() == ["g", f"{GRAPH}{GRAPHS - 1}"]
        merged = client.get(
            "/sparql",
            params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {SHARED} }}"},
            headers={"Accept": "text/csv"},
        )
        assert merged.text.split() == ["n", "1"]  # the merge is a set


def test_a_republication_of_every_graph_is_switched(
    store: StoreServer, published: tuple[Any, Any], tmp_path: Path
) -> None:
    """Every graph changed: thousands of ``MOVE`` (on Virtuoso in several requests, under
    the 'switching' manifest; one request on Oxigraph), and the new values are answered."""
    report, settings = publish_file(store, write_graphs(tmp_path / "again.trig", offset=10_000))
    assert (report.mode, report.changed_graphs) == ("republication", GRAPHS)
    query = (
        f"SELECT (MIN(?v) AS ?low) (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s "
        f"{SHARED.predicate} ?v FILTER(isNumeric(?v)) }} }}"
    )
    assert numbers(settings, query) == {"low": 10_000, "n": GRAPHS}
