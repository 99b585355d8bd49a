"""SPARQL 1.1 Service Description (§3) of the endpoint, in the negotiated RDF format.

Describes the endpoint, the language, every result format, the union default graph
(``sd:UnionDefaultGraph``), the dataset with each named graph and its size
(``void:triples``), and the limits (``ipo:queryTimeout``, ``ipo:maxQueryBytes``,
``ipo:maxQueryDepth``, ``ipo:maxResults``) so that clients can see them.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import Request, Response
from rdflib.namespace import VOID, XSD

from kg.namespaces import IPO
from kg.query_service import QueryService
from kg.results import FORMATS, serialize_triples
from kg.web.negotiation import choose

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "nquads": "N-Quads",
    "trig": "TriG",
    "rdfxml": "RDF_XML",
    "jsonld": "JSON-LD",
}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(str(XSD.integer)))


def describe(endpoint: str, service: QueryService) -> list[ox.Triple]:
    s = _n(endpoint)
    rdf_type = _n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    settings = service.settings
    triples = [
        ox.Triple(s, rdf_type, _n(SD + "Service")),
        ox.Triple(s, _n(SD + "endpoint"), s),
        ox.Triple(s, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(s, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(
            s, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple")
        ),
        ox.Triple(
            s,
            _n(str(IPO.queryTimeout)),
            ox.Literal(str(settings.query_timeout), datatype=_n(str(XSD.decimal))),
        ),
        ox.Triple(
            s,
            _n(str(IPO.maxQueryBytes)),
            ox.Literal(str(settings.max_query_bytes), datatype=_n(str(XSD.integer))),
        ),
        ox.Triple(
            s,
            _n(str(IPO.maxQueryDepth)),
            ox.Literal(str(settings.max_query_depth), datatype=_n(str(XSD.integer))),
        ),
        ox.Triple(
            s,
            _n(str(IPO.maxResults)),
            ox.Literal(str(settings.max_results), datatype=_n(str(XSD.integer))),
        ),
    ]
    triples += [
        ox.Triple(s, _n(SD + "resultFormat"), _n(FORMATS_NS + _FORMAT_IRIS[f.name]))
        for f in FORMATS
    ]
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("default")
    triples += [
        ox.Triple(s, _n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, _n(SD + "Dataset")),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default),
        ox.Triple(default, rdf_type, _n(SD + "Graph")),
        ox.Triple(
            default,
            _n(str(VOID.triples)),
            ox.Literal(str(service.graph_sizes_total), datatype=_n(str(XSD.integer))),
        ),
    ]
    for i, (graph, size) in enumerate(sorted(service.graph_sizes.items())):
        named = ox.BlankNode(f"named{i}")
        inner = ox.BlankNode(f"graph{i}")
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named),
            ox.Triple(named, rdf_type, _n(SD + "NamedGraph")),
            ox.Triple(named, _n(SD + "name"), _n(graph)),
            ox.Triple(named, _n(SD + "graph"), inner),
            ox.Triple(inner, rdf_type, _n(SD + "Graph")),
            ox.Triple(
                inner, _n(str(VOID.triples)), ox.Literal(str(size), datatype=_n(str(XSD.integer)))
            ),
        ]
    return triples


def service_description(
    request: Request, service: QueryService, accept: str | None, format_param: str | None
) -> Response:
    fmt = choose("graph", accept, format_param)
    endpoint = str(request.url.replace(query="", fragment=""))
    body = serialize_triples(describe(endpoint, service), fmt)
    media_type = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})
