"""The client side of a remote store, piece by piece (:mod:`kg.remote_store`).

Values bound into the query text must answer exactly as pyoxigraph's substitutions do:
checked on every named query against the embedded store. The dataset each request names
follows pyoxigraph's rules. And credentials reach a store behind a reverse proxy that asks
for them (a real proxy on loopback in front of a real Oxigraph server).
"""

from __future__ import annotations

import base64
import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest

from conftest import REPO, StoreServer
from kg import named_queries as nq
from kg.cli import main
from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.remote_store import (
    EMPTY_GRAPH,
    MERGE_GRAPH,
    Collector,
    ResultCountExceeded,
    confine,
    dataset_parameters,
    prepare,
    restore_position,
    scan,
    substitute,
    with_dataset,
)
from kg.settings import Settings
from kg.store import KnowledgeGraph

CATALOGUE = nq.Catalogue.load(nq.directory(Settings.from_env(root=REPO)))


@pytest.fixture(scope="module")
def embedded() -> KnowledgeGraph:
    return KnowledgeGraph.load(Settings.from_env(root=REPO))


# ----------------------------------------------------------------- values in the text


@pytest.mark.parametrize("query", list(CATALOGUE), ids=lambda q: q.name)
def test_values_written_into_the_text_answer_as_pyoxigraph_substitutions(
    embedded: KnowledgeGraph, query: nq.NamedQuery
) -> None:
    for raw in (query.example, {}):
        binding = query.bind(raw)
        expected = nq.table(nq.run(embedded, binding))
        written = prepare(query.body, binding.values)
        for name, value in binding.values.items():
            assert f"BIND({value} AS ?{name})" in written
        got = nq.table(embedded.store.query(written))
        assert got.columns == expected.columns
        assert sorted(map(str, got.rows)) == sorted(map(str, expected.rows))
        assert got.boolean == expected.boolean


def test_substitution_inside_sub_queries_and_modifiers() -> None:
    text = (
        "SELECT ?x ?n WHERE { { SELECT ?x (COUNT(*) AS ?n) WHERE { ?x ?p ?o } "
        "GROUP BY ?x ORDER BY DESC(?x) } FILTER(?x != <urn:y>) } ORDER BY ?x"
    )
    out = substitute(text, {"x": ox.NamedNode("urn:x")})
    assert out == (
        "SELECT ?x ?n WHERE { BIND(<urn:x> AS ?x) { SELECT (<urn:x> AS ?x) (COUNT(*) AS ?n) "
        "WHERE { <urn:x> ?p ?o } GROUP BY (<urn:x>) ORDER BY DESC((<urn:x>)) } "
        "FILTER(<urn:x> != <urn:y>) } ORDER BY ?x"
    )
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("1")))
    (row,) = store.query(out)  # type: ignore[misc]
    assert (row["x"], row["n"].value) == (ox.NamedNode("urn:x"), "1")


def test_a_construct_template_keeps_the_variable() -> None:
    text = "CONSTRUCT { ?x <urn:p> ?o } WHERE { ?x <urn:p> ?o }"
    out = substitute(text, {"x": ox.NamedNode("urn:x")})
    assert out.startswith("CONSTRUCT { ?x <urn:p> ?o } WHERE { BIND(<urn:x> AS ?x) <urn:x>")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT ?y WHERE { BIND(1 AS ?x) ?s ?p ?y }", "assigns ?x itself"),
        ("SELECT ?y WHERE { VALUES ?x { 1 } ?s ?p ?y }", "assigns ?x itself"),
        ("CONSTRUCT WHERE { ?x ?p ?o }", "CONSTRUCT WHERE short form"),
        ("DESCRIBE ?x", "no WHERE pattern"),
    ],
)
def test_what_cannot_be_substituted_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        substitute(text, {"x": ox.Literal("1")})


def test_a_blank_node_cannot_be_sent_as_a_value() -> None:
    with pytest.raises(QueryError, match="blank node"):
        substitute("SELECT * WHERE { ?x ?p ?o }", {"x": ox.BlankNode("b")})


def test_only_used_and_undeclared_prefixes_are_declared() -> None:
    out = prepare("PREFIX ipo: <urn:mine#> SELECT * WHERE { ?s a ipo:Person ; skos:x ?o }")
    assert out.startswith(f"PREFIX skos: <{PREFIXES['skos']}>\nPREFIX ipo: <urn:mine#>")
    assert "PREFIX person:" not in out


def test_the_dataset_goes_with_the_request_only() -> None:
    text = "SELECT * FROM <urn:g1>\nFROM NAMED graph:x WHERE { GRAPH <urn:g9> { ?s ?p ?o } }"
    out = confine(text, {"urn:g1"})
    assert "FROM" not in out and "graph:x" not in out
    assert out.index("WHERE") == text.index("WHERE")  # positions kept
    assert "GRAPH <urn:g9> { FILTER(false) ?s ?p ?o }" in out
    assert confine("SELECT * { GRAPH <urn:g1> { ?s ?p ?o } }", {"urn:g1"}).count("FILTER") == 0


def test_store_positions_refer_to_the_text_as_given() -> None:
    assert restore_position("error at 4:7: expected", 2) == "error at 2:7: expected"
    assert restore_position("SP030: SPARQL compiler, line 5: syntax", 3) == (
        "SP030: SPARQL compiler, line 2: syntax"
    )


# ----------------------------------------------------------------- the dataset of a request

GRAPHS = ["urn:g1", "urn:g2"]


@pytest.mark.parametrize(
    ("text", "default", "named", "expected"),
    [
        ("SELECT * { ?s ?p ?o }", None, None, [("default-graph-uri", MERGE_GRAPH)]),
        (
            "SELECT * { GRAPH ?g { ?s ?p ?o } }",
            None,
            None,
            [("default-graph-uri", MERGE_GRAPH), *(("named-graph-uri", g) for g in GRAPHS)],
        ),
        (
            "SELECT * FROM <urn:g1> { GRAPH ?g { ?s ?p ?o } }",
            None,
            None,
            [("default-graph-uri", "urn:g1"), ("named-graph-uri", EMPTY_GRAPH)],
        ),
        (
            "SELECT * FROM <urn:other> { ?s ?p ?o }",
            None,
            None,
            [("default-graph-uri", EMPTY_GRAPH)],
        ),
        (
            "SELECT * FROM NAMED <urn:g2> { GRAPH ?g { ?s ?p ?o } }",
            ["urn:g1"],
            None,
            [("default-graph-uri", "urn:g1"), ("named-graph-uri", "urn:g2")],
        ),
        (
            "SELECT * { GRAPH ?g { ?s ?p ?o } }",
            None,
            ["urn:g2", "urn:x"],
            [("default-graph-uri", EMPTY_GRAPH), ("named-graph-uri", "urn:g2")],
        ),
    ],
)
def test_the_dataset_follows_the_embedded_rules(
    text: str,
    default: list[str] | None,
    named: list[str] | None,
    expected: list[tuple[str, str]],
) -> None:
    assert dataset_parameters(scan(text), GRAPHS, default, named) == expected


#: Queries of every form and shape whose dataset clauses go to a different place.
DATASET_QUERIES = [
    "SELECT ?s ?o WHERE { ?s <urn:p> ?o } ORDER BY ?s ?o",
    "SELECT * { GRAPH ?g { ?s <urn:p> ?o } } ORDER BY ?g ?s",
    "SELECT (EXISTS { ?s <urn:p> 2 } AS ?two) (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "PREFIX u: <urn:>\nSELECT ?g (COUNT(*) AS ?n)\n# a comment\nWHERE {\n  { SELECT ?g ?s "
    "WHERE { GRAPH ?g { ?s u:p ?o } } }\n} GROUP BY ?g ORDER BY ?g",
    "CONSTRUCT { ?s <urn:q> ?o } WHERE { GRAPH ?g { ?s <urn:p> ?o } }",
    "CONSTRUCT { ?s <urn:q> ?o } { ?s <urn:p> ?o }",
    "CONSTRUCT WHERE { ?s <urn:p> ?o }",
    "ASK { GRAPH <urn:g2> { ?s <urn:p> 2 } }",
    "ASK { ?s <urn:p> 3 }",
    "DESCRIBE <urn:s1>",
    "DESCRIBE ?s WHERE { ?s <urn:p> 1 } LIMIT 1",
]


@pytest.fixture(scope="module")
def three_graphs() -> ox.Store:
    """Three named graphs, one triple each (``<urn:sN> <urn:p> N`` in ``<urn:gN>``)."""
    store = ox.Store()
    for n in (1, 2, 3):
        store.add(
            ox.Quad(
                ox.NamedNode(f"urn:s{n}"),
                ox.NamedNode("urn:p"),
                ox.Literal(n),
                ox.NamedNode(f"urn:g{n}"),
            )
        )
    return store


def _answer(result: object) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QueryTriples):
        return sorted(map(str, result))
    assert isinstance(result, ox.QuerySolutions)
    return [[str(row[v]) for v in result.variables] for row in result]


@pytest.mark.parametrize("text", DATASET_QUERIES)
def test_the_dataset_written_into_the_text_is_the_dataset_of_the_request(
    three_graphs: ox.Store, text: str
) -> None:
    """``FROM``/``FROM NAMED`` written by :func:`with_dataset` (for Virtuoso) give the
    answers the same dataset gives as request parameters (pyoxigraph as the reference)."""
    params = [
        ("default-graph-uri", "urn:g1"),
        ("default-graph-uri", "urn:g3"),
        ("named-graph-uri", "urn:g2"),
        ("named-graph-uri", "urn:g3"),
    ]
    written = with_dataset(text, params)
    assert written.count("\n") == text.count("\n")  # the store's line numbers stay
    expected = three_graphs.query(
        text,
        default_graph=[ox.NamedNode("urn:g1"), ox.NamedNode("urn:g3")],
        named_graphs=[ox.NamedNode("urn:g2"), ox.NamedNode("urn:g3")],
    )
    assert _answer(three_graphs.query(written)) == _answer(expected)


def test_a_dataset_of_thousands_of_graphs_fits_in_the_text() -> None:
    graphs = [f"urn:graph:{n}" for n in range(5000)]
    written = with_dataset(
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", [("named-graph-uri", g) for g in graphs]
    )
    assert written.count("FROM NAMED") == 5000
    assert ox.Store().query(written) is not None  # parses


# ----------------------------------------------------------------- answers as they arrive


def test_solutions_are_counted_across_chunks_and_stop_at_the_limit() -> None:
    body = b"<results>" + b"<result><binding/></result>" * 5 + b"</results>"
    collector = Collector("solutions", 5)
    for i in range(0, len(body), 3):  # markers split between chunks
        collector.add(body[i : i + 3])
    assert collector.count == 5 and collector.body == body
    over = Collector("solutions", 4)
    with pytest.raises(ResultCountExceeded, match="more than 4 solutions"):
        for i in range(0, len(body), 3):
            over.add(body[i : i + 3])


def test_statements_are_counted_by_their_end() -> None:
    body = b'<urn:s> <urn:p> "a.b\\n" .\n<urn:s> <urn:p> <urn:o> .\n'
    collector = Collector("graph", None)
    collector.add(body)
    assert collector.count == 2


# ----------------------------------------------------------------- credentials


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A reverse proxy that asks for HTTP Basic credentials, in front of a store."""

    target = ""
    credentials = ""

    def _forward(self) -> None:
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="store"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
        request = urllib.request.Request(
            self.target + self.path, data=body, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, data, reply = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, data, reply = error.code, error.read(), error.headers
        self.send_response(status)
        for key in ("Content-Type", "Server"):
            if reply.get(key):
                self.send_header(key, reply[key])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxied_store(oxigraph_factory: Callable[[], StoreServer]) -> Iterator[str]:
    """An Oxigraph server behind a proxy that wants ``kg:s3cret-pw``; yields the proxy's URL."""
    server = oxigraph_factory()
    handler = type(
        "Proxy",
        (_Proxy,),
        {"target": server.query.removesuffix("/query"), "credentials": "kg:s3cret-pw"},
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_credentials_come_from_the_environment_and_are_never_shown(
    proxied_store: str,
    conforming_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["publish", "--root", str(conforming_project), "--store", proxied_store + "/query"]
    args += ["--store-update", proxied_store + "/update", "--store-gsp", proxied_store + "/store"]
    assert main(args) == 2  # no credentials
    assert "refused the query (401): check KG_STORE_USER and KG_STORE_PASSWORD" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("KG_STORE_USER", "kg")
    monkeypatch.setenv("KG_STORE_PASSWORD", "wrong-pw")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "(401)" in err and "wrong-pw" not in err
    monkeypatch.setenv("KG_STORE_PASSWORD", "s3cret-pw")
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "publication 1 is live" in err and "s3cret-pw" not in err
    assert (
        main(["stats", "--root", str(conforming_project), "--store", proxied_store + "/query"]) == 0
    )
    assert "s3cret-pw" not in capsys.readouterr().out


# ----------------------------------------------------------------- answers that are not HTTP


class _HugeHeaders(http.server.BaseHTTPRequestHandler):
    """A store whose answer carries 200 KiB of headers (as Virtuoso's did, one per graph)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        for n in range(2600):
            self.send_header(f"X-Graph-{n}", "urn:kg-test:graph/" + "x" * 60)
        self.send_header("Content-Type", "application/sparql-results+xml")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_an_answer_no_client_can_read_is_a_store_error_not_unreachable() -> None:
    from kg.errors import StoreError, StoreUnavailable
    from kg.remote_store import Endpoints, RemoteStore

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HugeHeaders)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    store = RemoteStore(Endpoints(f"http://127.0.0.1:{httpd.server_port}/sparql"), timeout=10)
    try:
        with pytest.raises(StoreError, match="cannot be read as HTTP") as caught:
            store.graph_sizes(["urn:kg-test:graph/1"])
        assert not isinstance(caught.value, StoreUnavailable)
    finally:
        store.close()
        httpd.shutdown()


class _DropsFirstRequest(http.server.BaseHTTPRequestHandler):
    """A store that closes the connection without answering the first request it gets (as
    Virtuoso did once in thousands of uploads), and answers every later one."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(self.command)
        if len(self.seen) == 1:
            self.close_connection = True
            return  # no response at all
        if self.path.startswith("/sparql"):  # a query: an empty SPARQL XML answer
            body = (
                b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                b'<head><variable name="g"/><variable name="n"/></head><results/></sparql>'
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+xml")
        else:
            body = b""
            self.send_response(204)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = _handle

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("method", "asked"),
    [("PUT", ["PUT", "PUT"]), ("query", ["POST", "POST"]), ("POST", ["POST"])],
)
def test_a_connection_closed_without_an_answer_is_asked_again_only_where_safe(
    method: str, asked: list[str]
) -> None:
    from kg.errors import StoreUnavailable
    from kg.remote_store import Endpoints, RemoteStore

    _DropsFirstRequest.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DropsFirstRequest)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    store = RemoteStore(Endpoints(base + "/sparql", base + "/update", base + "/store"), timeout=10)
    try:
        if method == "PUT":  # idempotent: a graph upload is sent again and succeeds
            store.put_graph("urn:kg-test:graph", b"<urn:a> <urn:b> <urn:c> .\n")
        elif method == "query":  # a query changes nothing: asked again
            assert store.graph_sizes(["urn:kg-test:graph"]) == {"urn:kg-test:graph": 0}
        else:  # an update is never sent twice: a clear error instead
            with pytest.raises(StoreUnavailable, match="closed the connection without answering"):
                store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
        assert _DropsFirstRequest.seen == asked
    finally:
        store.close()
        httpd.shutdown()
