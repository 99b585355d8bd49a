"""Rules about the whole dataset that SHACL shapes cannot see, checked on the real data.

SHACL validates the union of the graphs, so it cannot say in which named graph a
statement is. These rules are SPARQL over the project's data as loaded by
:meth:`kg.store.KnowledgeGraph.load` (pyoxigraph; the default graph of a query is
the merge of the named graphs, ``GRAPH`` asks for one graph), and they follow the
provenance and IRI conventions of ``ontology/README.md``:

(a) every triple is in a named graph; (b) every named graph but ``graph:ontology``
describes itself as an ``ipo:SourceGraph`` derived from a source document described
in it; (c) every fact node stated in a graph cites that graph's source there;
(d) every IRI under ``https://w3id.org/ipkg/id/`` follows the slug scheme;
(e) every resource that is linked to is described somewhere (no dangling links);
(f) the checksum recorded for a source matches its file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.dataset import ONTOLOGY_GRAPH, data_files, parse_all, parse_file, parse_ontology
from kg.namespaces import BASE, GRAPH, ID, IPO, SLUG_PATTERN, split_resource_iri
from kg.settings import Settings
from kg.store import KnowledgeGraph

#: The classes whose instances are facts read from a source (README, "Provenance").
FACT_CLASSES = (
    "ipo:Tenure",
    "ipo:Membership",
    "ipo:ConferenceEdition",
    "ipo:Meeting",
    "org:ChangeEvent",
    "ipo:PolicyDocument",
)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="module")
def kg(settings: Settings) -> KnowledgeGraph:
    if not data_files(settings):
        pytest.skip(f"no data files yet in {settings.data_dir} (data/**/*.trig)")
    return KnowledgeGraph.load(settings)


def rows(kg: KnowledgeGraph, sparql: str) -> list[dict[str, str]]:
    """SELECT over the merge of the named graphs; terms as IRI strings or literal values."""
    return [{k: v.value for k, v in row.items()} for row in kg.select(sparql)]


def listing(found: list[dict[str, str]]) -> str:
    return "\n".join("  " + "  ".join(f"{k}={v}" for k, v in sorted(r.items())) for r in found)


def data_graphs(kg: KnowledgeGraph) -> list[str]:
    return [g for g in kg.graphs() if g != str(ONTOLOGY_GRAPH)]


def iris_in_data(kg: KnowledgeGraph) -> Iterator[tuple[str, str, str]]:
    """(graph, position, IRI) for every IRI in subject, predicate or object of a data graph."""
    for quad in kg.store:
        graph = quad.graph_name
        if not isinstance(graph, ox.NamedNode) or graph.value == str(ONTOLOGY_GRAPH):
            continue
        for position, term in (
            ("subject", quad.subject),
            ("predicate", quad.predicate),
            ("object", quad.object),
        ):
            if isinstance(term, ox.NamedNode):
                yield graph.value, position, term.value


# ----------------------------------------------------------------- (a)


def test_no_triple_outside_a_named_graph(kg: KnowledgeGraph, settings: Settings) -> None:
    # Asked of the files as parsed, in a store of their own: the project's store
    # materialises the merge of the graphs as its default graph.
    store = ox.Store()
    for parsed in parse_all(data_files(settings)):
        store.extend(parsed.quads)
    result = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10")
    assert isinstance(result, ox.QuerySolutions)
    outside = [f"  {s['s']} {s['p']} {s['o']}" for s in result]
    assert not outside, "triples outside any named graph (put them in the source's graph):\n" + (
        "\n".join(outside)
    )


# ----------------------------------------------------------------- (b)


def test_every_graph_describes_itself_and_its_source(kg: KnowledgeGraph) -> None:
    assert data_graphs(kg), "the data has named graphs"
    found = rows(
        kg,
        """
        SELECT DISTINCT ?graph WHERE {
            GRAPH ?graph { ?s ?p ?o }
            FILTER (?graph != graph:ontology)
            FILTER NOT EXISTS {
                GRAPH ?graph {
                    ?graph a ipo:SourceGraph ;
                        prov:wasDerivedFrom ?source .
                    ?source a ipo:SourceDocument ;
                        skos:prefLabel ?label ;
                        ipo:sourceKind ?kind .
                }
            }
        }
        """,
    )
    assert not found, (
        "named graphs that do not state, inside themselves, '<graph> a ipo:SourceGraph ; "
        "prov:wasDerivedFrom <source>' with '<source> a ipo:SourceDocument' and its "
        "skos:prefLabel and ipo:sourceKind:\n" + listing(found)
    )


def test_every_graph_has_exactly_one_source(kg: KnowledgeGraph) -> None:
    found = rows(
        kg,
        """
        SELECT ?graph (COUNT(DISTINCT ?source) AS ?sources) WHERE {
            GRAPH ?graph {
                ?graph a ipo:SourceGraph .
                OPTIONAL { ?graph prov:wasDerivedFrom ?source }
            }
        }
        GROUP BY ?graph
        HAVING (COUNT(DISTINCT ?source) != 1)
        """,
    )
    assert not found, "graphs must be derived from exactly one source:\n" + listing(found)


def test_graph_and_source_share_their_slug(kg: KnowledgeGraph) -> None:
    """README, IRI policy: ``graph:<source-slug>`` holds what ``source:<source-slug>`` says."""
    found = []
    for row in rows(
        kg,
        "SELECT ?graph ?source WHERE { GRAPH ?graph { ?graph prov:wasDerivedFrom ?source } }",
    ):
        graph_slug = row["graph"].removeprefix(str(GRAPH))
        source = split_resource_iri(row["source"])
        if not SLUG_PATTERN.match(graph_slug) or source != ("source", graph_slug):
            found.append(row)
    assert not found, "graph and source IRIs must be graph:<slug> and source:<slug>:\n" + listing(
        found
    )


# ----------------------------------------------------------------- (c)


def test_every_fact_cites_the_source_of_its_graph(kg: KnowledgeGraph) -> None:
    found = rows(
        kg,
        f"""
        SELECT DISTINCT ?graph ?fact ?class WHERE {{
            VALUES ?class {{ {" ".join(FACT_CLASSES)} }}
            ?fact a ?class .
            GRAPH ?graph {{ ?fact ?p ?o }}
            FILTER (?graph != graph:ontology)
            FILTER NOT EXISTS {{
                GRAPH ?graph {{
                    ?graph prov:wasDerivedFrom ?source .
                    ?fact prov:wasDerivedFrom ?source .
                }}
            }}
        }}
        ORDER BY ?graph ?fact
        """,
    )
    assert not found, (
        "facts stated in a graph without 'prov:wasDerivedFrom <the graph's source>' in that "
        "graph:\n" + listing(found)
    )


# ----------------------------------------------------------------- (d)


def test_resource_iris_follow_the_slug_scheme(kg: KnowledgeGraph) -> None:
    found = sorted(
        {
            (graph, iri)
            for graph, _, iri in iris_in_data(kg)
            if iri.startswith(str(ID)) and split_resource_iri(iri) is None
        }
    )
    assert not found, (
        "IRIs under id/ that are not id/<kind>/<slug> (kinds in kg.namespaces.KINDS; slugs "
        "lower-case ASCII words joined by '-', parts by '--'):\n"
        + "\n".join(f"  {iri}  (in {graph})" for graph, iri in found)
    )


def test_graph_iris_and_ontology_terms_are_known(kg: KnowledgeGraph) -> None:
    """Other IRIs under the base: graph names are slugs, ipo: terms exist in the ontology."""
    defined = {
        row["term"]
        for row in rows(kg, "SELECT DISTINCT ?term WHERE { GRAPH graph:ontology { ?term ?p ?o } }")
    }
    found = set()
    for graph, position, iri in iris_in_data(kg):
        if iri.startswith(str(GRAPH)):
            ok = bool(SLUG_PATTERN.match(iri.removeprefix(str(GRAPH))))
        elif iri.startswith(str(IPO)):
            ok = iri in defined
        elif iri.startswith(BASE):
            ok = iri.startswith(str(ID))
        else:
            continue
        if not ok:
            found.add((graph, position, iri))
    assert not found, "unknown IRIs under the base (typo, or a term missing in ipo.ttl):\n" + (
        "\n".join(f"  {iri} as {position} (in {graph})" for graph, position, iri in sorted(found))
    )


# ----------------------------------------------------------------- (e)


def test_no_dangling_links(kg: KnowledgeGraph) -> None:
    found = rows(
        kg,
        f"""
        SELECT DISTINCT ?graph ?subject ?predicate ?object WHERE {{
            GRAPH ?graph {{ ?subject ?predicate ?object }}
            FILTER (?graph != graph:ontology && isIRI(?object)
                && STRSTARTS(STR(?object), "{BASE}"))
            FILTER NOT EXISTS {{ ?object a ?type }}
        }}
        ORDER BY ?object ?graph
        """,
    )
    assert not found, (
        "links to resources that no graph describes (no rdf:type): describe them, or fix the "
        "IRI:\n" + listing(found)
    )


# ----------------------------------------------------------------- (f)


def test_source_checksums_match_their_files(kg: KnowledgeGraph, settings: Settings) -> None:
    sources_dir = settings.resolved_sources_dir
    if not sources_dir.is_dir():
        pytest.skip(
            f"source documents not available: {sources_dir} is not a directory "
            "(set KG_SOURCES_DIR to check the recorded checksums)"
        )
    found = rows(
        kg,
        """
        SELECT DISTINCT ?source ?kind ?file ?sha256 WHERE {
            ?source a ipo:SourceDocument ;
                ipo:sourceKind ?kind .
            OPTIONAL { ?source dcterms:identifier ?file }
            OPTIONAL { ?source ipo:sha256 ?sha256 }
        }
        ORDER BY ?source
        """,
    )
    primary = str(IPO.PrimarySource)
    checked = 0
    problems = []
    for row in found:
        is_primary = row["kind"] == primary
        if not is_primary and not ("file" in row and "sha256" in row):
            continue  # only a recorded file and checksum can be checked
        if "file" not in row or "sha256" not in row:
            problems.append(f"  {row['source']}: primary source without dcterms:identifier/sha256")
            continue
        path = sources_dir / row["file"]
        if path.parent != sources_dir or not path.is_file():
            problems.append(f"  {row['source']}: no file {row['file']!r} in {sources_dir}")
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        checked += 1
        if actual != row["sha256"].lower():
            problems.append(
                f"  {row['source']}: ipo:sha256 {row['sha256']} but {row['file']} has {actual}"
            )
    assert not problems, "source checksums:\n" + "\n".join(problems)
    if not checked:
        pytest.skip("no source in the data records a file and its checksum")


# ----------------------------------------------------------------- fidelity of the store


def test_every_statement_of_the_files_comes_out_of_the_store_unchanged() -> None:
    """pyoxigraph rewrites some literals when storing them ("20"^^xsd:positiveInteger
    becomes "20"^^xsd:integer, "007" becomes "7"); the curated data must not use such
    forms, or exports, pages and query answers would differ from what the files say."""
    settings = Settings.from_env()
    files = [*parse_ontology(settings), *(parse_file(p) for p in data_files(settings))]
    written = {str(q) for f in files for q in f.quads}
    store = KnowledgeGraph.from_parsed(files).store
    stored = {str(q) for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}
    changed = sorted(written - stored)
    assert not changed, "the store changes these statements:\n" + "\n".join(changed[:20])
