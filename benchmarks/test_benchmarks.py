"""Tests of the benchmark's parts: ``.venv/bin/pytest benchmarks`` (not in ``make test``).

The generator makes the requested size and valid TriG in the project's IRI policy; every query
of the mix parses, answers on the 10k data, and gives the same number of rows in pyoxigraph and in
rdflib (so that the engines can be compared on the same answers).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from rdflib.plugins.sparql import prepareQuery

from benchmarks import generate, mix, report, run, variants
from kg.namespaces import ID, split_resource_iri

QUERIES = mix.load()
VARIANTS = mix.load(variants.VARIANT_DIR)


@pytest.fixture(scope="module")
def data_10k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "synthetic-10000.trig"
    generate.generate(10_000, path)
    return path


@pytest.fixture(scope="module")
def store_10k(data_10k: Path) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(data_10k), format=pyoxigraph.RdfFormat.TRIG)
    return store


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_generator_makes_the_requested_size(size: int, tmp_path: Path) -> None:
    path = tmp_path / "data.trig"
    ds = generate.generate(size, path)
    assert abs(ds.quads - size) <= 0.05 * size
    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TRIG)
    assert len(store) == ds.quads


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.trig", tmp_path / "b.trig"
    generate.write(generate.build(12), a, "trig")
    generate.write(generate.build(12), b, "trig")
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.trig"
    generate.write(generate.build(12, seed=7), c, "trig")
    assert c.read_bytes() != a.read_bytes()


def test_nquads_and_trig_hold_the_same_quads(tmp_path: Path) -> None:
    ds = generate.build(6)
    trig, nq = tmp_path / "d.trig", tmp_path / "d.nq"
    generate.write(ds, trig, "trig")
    generate.write(ds, nq, "nq")
    stores = []
    for path, fmt in ((trig, pyoxigraph.RdfFormat.TRIG), (nq, pyoxigraph.RdfFormat.N_QUADS)):
        store = pyoxigraph.Store()
        store.bulk_load(path=str(path), format=fmt)
        stores.append(set(store))
    assert stores[0] == stores[1]
    assert len(stores[0]) == ds.quads


def test_data_follows_the_iri_policy(store_10k: pyoxigraph.Store) -> None:
    bad = set()
    for quad in store_10k:
        for term in (quad.subject, quad.object, quad.graph_name):
            if (
                isinstance(term, pyoxigraph.NamedNode)
                and term.value.startswith(str(ID))
                and split_resource_iri(term.value) is None
            ):
                bad.add(term.value)
    assert not bad, sorted(bad)[:10]


def test_every_graph_describes_itself(store_10k: pyoxigraph.Store) -> None:
    missing = list(
        store_10k.query(
            """
            PREFIX ipo: <https://w3id.org/ipkg/ontology#>
            PREFIX prov: <http://www.w3.org/ns/prov#>
            SELECT ?g WHERE {
              GRAPH ?g { ?s ?p ?o }
              FILTER NOT EXISTS {
                GRAPH ?g { ?g a ipo:SourceGraph ; prov:wasDerivedFrom ?doc .
                           ?doc a ipo:SourceDocument }
              }
            } GROUP BY ?g
            """
        )
    )
    assert missing == []


def test_rdflib_reads_the_data(data_10k: Path) -> None:
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data_10k, format="trig")
    assert len(list(ds.quads())) > 9_000


@pytest.mark.parametrize("query", QUERIES + VARIANTS, ids=lambda q: q.name)
def test_query_parses_in_rdflib(query: mix.Query) -> None:
    prepareQuery(query.text)
    assert query.title
    assert "PREFIX" in query.text or "prefix" not in query.text.lower()


def test_the_mix_covers_the_issue() -> None:
    text = "\n".join(q.text for q in QUERIES)
    forms = {q.form for q in QUERIES}
    assert {"SELECT", "ASK", "DESCRIBE"} <= forms
    for construct in ("GROUP BY", "CONTAINS(", "REGEX(", "subOrganizationOf*", "NOT EXISTS"):
        assert construct in text, construct
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_answers_on_10k(query: mix.Query, store_10k: pyoxigraph.Store) -> None:
    result = store_10k.query(query.text, use_default_graph_as_union=True)
    if query.form == "ASK":
        assert bool(result) is True
    else:
        assert len(list(result)) >= 1


@pytest.fixture(scope="module")
def rdflib_10k(data_10k: Path) -> rdflib.Dataset:
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data_10k, format="trig")
    return ds


@pytest.mark.parametrize("query", [q for q in QUERIES if q.form == "SELECT"], ids=lambda q: q.name)
def test_pyoxigraph_and_rdflib_agree(
    query: mix.Query, store_10k: pyoxigraph.Store, rdflib_10k: rdflib.Dataset
) -> None:
    """pyoxigraph's union default graph is a bag, rdflib's a set: DISTINCT makes them agree."""
    ox_rows = len(list(store_10k.query(query.text, use_default_graph_as_union=True)))
    rdf_rows = len(list(rdflib_10k.query(query.text)))
    assert ox_rows == rdf_rows


def test_summarise_normalises_answers() -> None:
    q = mix.Query("q", "t", "SELECT ?x WHERE {}", "SELECT")
    a = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"typed-literal","value":"1",'
    a += b'"datatype":"http://www.w3.org/2001/XMLSchema#string"}}]}}'
    b = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}'
    assert run.summarise(q, a) == run.summarise(q, b)
    ask = mix.Query("a", "t", "ASK {}", "ASK")
    assert run.summarise(ask, b'{"head":{},"boolean":true}')["rows"] == 1


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert run.percentile(values, 0.5) == 50
    assert run.percentile(values, 0.99) == 99
    assert run.percentile([], 0.5) is None


def test_report_renders_a_result(tmp_path: Path) -> None:
    level = {
        "throughput_qps": 10.0,
        "errors": 0,
        "timeouts": 0,
        "queries": {
            q.name: {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "errors": 0, "timeouts": 0}
            for q in QUERIES
        },
    }
    result = {
        "date": "2026-01-01",
        "machine": {"cpu": "cpu", "cores": 2, "ram_gib": 1, "os": "os", "python": "3"},
        "data": {"requested": 10, "quads": 10, "triples": 10, "graphs": 1},
        "settings": {
            "concurrency": [1, 8],
            "duration_s": 1,
            "max_duration_s": 2,
            "timeout_s": 3,
            "queries": [q.name for q in QUERIES],
        },
        "engines": {
            "kg": {"version": "v", "description": "d", "levels": {"1": level, "8": level}},
            "oxigraph": {"version": "v", "description": "d", "levels": {"1": level, "8": level}},
        },
        "agreement": {
            q.name: {"rows": {}, "counts_agree": True, "digests_agree": True} for q in QUERIES
        },
    }
    path = tmp_path / "r.json"
    path.write_text(__import__("json").dumps(result))
    text = report.render([path])
    assert "| kg | 10.0 | 10.0 |" in text
    assert "q01-lookup-label" in text


def test_truncated_answers_are_caught() -> None:
    select = mix.Query("q", "t", "SELECT ?x WHERE {}", "SELECT")
    whole = b'{"head":{"vars":["x"]},"results":{"bindings":[]}}\n'
    cut = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{}}'
    cut += b"The SPARQL operation has been cancelled"
    assert run.looks_complete(select, whole)
    assert not run.looks_complete(select, cut)
    describe = mix.Query("d", "t", "DESCRIBE <x:y>", "DESCRIBE")
    assert run.looks_complete(describe, b"<x:y> <x:p> <x:o> .\n")
    assert not run.looks_complete(
        describe, b"<x:y> <x:p> <x:o> .\n<x:y> <x:p> The SPARQL operation"
    )


def test_scale_report_renders_a_result(tmp_path: Path) -> None:
    from benchmarks import scale

    level = {
        "throughput_qps": 12.5,
        "errors": 0,
        "timeouts": 1,
        "mix_p50_ms": 1.0,
        "mix_p95_ms": 20.0,
        "mix_p99_ms": 300.0,
        "other_cpu_cores": 0.1,
        "queries": {
            q.name: {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "errors": 0, "timeouts": 0}
            for q in QUERIES
        },
    }
    result = {
        "kind": "scale",
        "date": "2026-01-01",
        "machine": {"cpu": "cpu", "cores": 2, "ram_gib": 1, "os": "os", "python": "3"},
        "data": {"requested": 1_000_000, "quads": 10, "triples": 10, "graphs": 1, "bytes": 2**20},
        "settings": {
            "concurrency": [1, 8],
            "duration_s": 1,
            "max_duration_s": 2,
            "timeout_s": 3,
            "queries": [q.name for q in QUERIES],
        },
        "engines": {
            "virtuoso": {
                "load_s": 6.1,
                "ready_s": 8.0,
                "disk_bytes": 3 * 2**20,
                "rss_mib_after_load": 100.0,
                "rss_mib_peak": 150.0,
                "memory_at_end": {"hwm": 160.0},
                "levels": {"1": level, "8": level},
            },
            "kg": {
                "ready_s": 16.0,
                "rss_mib_after_load": 1000.0,
                "rss_mib_peak": 2000.0,
                "memory_at_end": {"hwm": 1500.0},
                "levels": {"1": level, "8": level},
            },
            "kg-virtuoso": {
                "failed": "publishing failed; log x:\n  File y\n"
                "kg.errors.StoreUnavailable: cannot reach the store (Receive buffer too long)"
            },
        },
        "agreement": {
            q.name: {"rows": {"kg": 1, "virtuoso": 1}, "counts_agree": True, "digests_agree": True}
            for q in QUERIES
        },
    }
    path = tmp_path / "r.json"
    path.write_text(__import__("json").dumps(result))
    text = scale.render([path])
    assert "| kg | 1M | 16.0* | in memory | 1,000 | 2,000 | 1,500 | 12.5 | 12.5 |" in text
    assert "| virtuoso | 1M | 6.1 | 3 | 100 | 150 | 160 |" in text
    assert (
        "not measured: publishing failed: kg.errors.StoreUnavailable: cannot reach the store "
        "(Receive buffer too long)" in text
    )
    assert scale.interference(result["engines"]["kg"]) == 0.1  # type: ignore[arg-type]
