"""Query result formats and their serialisation, with result limits.

Formats (media types as registered):

* SELECT and ASK: SPARQL 1.1 Query Results JSON (``application/sparql-results+json``),
  XML (``application/sparql-results+xml``), CSV (``text/csv``) and TSV
  (``text/tab-separated-values``), written by pyoxigraph's serialisers.
* CONSTRUCT and DESCRIBE: Turtle, N-Triples, N-Quads, TriG, RDF/XML (pyoxigraph) and
  JSON-LD (rdflib's serialiser, compacted with the project's prefixes as context).

Limits are counted, never applied silently: solutions are first written as SPARQL
TSV (one line per solution, line breaks in literals escaped: SPARQL 1.1 Results
CSV/TSV §3), through a writer that counts lines and stops at the limit; the TSV is
then converted to the requested format with pyoxigraph's parser and serialisers.
A result over the limit raises :class:`ResultTooLarge`; nothing is truncated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Final, cast

import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.query_guard import ResultKind as Kind


@dataclass(frozen=True)
class ResultFormat:
    name: str  # the value of the ``format`` parameter
    media_type: str
    kinds: tuple[Kind, ...]
    extension: str


FORMATS: Final[tuple[ResultFormat, ...]] = (
    ResultFormat("json", "application/sparql-results+json", ("solutions", "boolean"), "srj"),
    ResultFormat("xml", "application/sparql-results+xml", ("solutions", "boolean"), "srx"),
    ResultFormat("csv", "text/csv", ("solutions", "boolean"), "csv"),
    ResultFormat("tsv", "text/tab-separated-values", ("solutions", "boolean"), "tsv"),
    ResultFormat("turtle", "text/turtle", ("graph",), "ttl"),
    ResultFormat("ntriples", "application/n-triples", ("graph",), "nt"),
    ResultFormat("nquads", "application/n-quads", ("graph",), "nq"),
    ResultFormat("trig", "application/trig", ("graph",), "trig"),
    ResultFormat("rdfxml", "application/rdf+xml", ("graph",), "rdf"),
    ResultFormat("jsonld", "application/ld+json", ("graph",), "jsonld"),
)
BY_NAME: Final = {f.name: f for f in FORMATS}
BY_MEDIA_TYPE: Final = {f.media_type: f for f in FORMATS}

#: The format served when the client accepts anything (``*/*`` or no Accept).
DEFAULT_FORMAT: Final[dict[Kind, ResultFormat]] = {
    "solutions": BY_NAME["json"],
    "boolean": BY_NAME["json"],
    "graph": BY_NAME["turtle"],
}

_RESULTS_FORMATS: Final = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS: Final = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def formats_for(kind: Kind) -> list[ResultFormat]:
    return [f for f in FORMATS if kind in f.kinds]


class ResultTooLarge(Exception):
    """The result has more solutions or triples than the limit allows."""

    def __init__(self, limit: int, unit: str) -> None:
        self.limit = limit
        self.unit = unit
        super().__init__(f"the result has more than {limit} {unit}")


@dataclass(frozen=True)
class Serialized:
    body: bytes
    count: int  # solutions, triples, or 1 for a boolean
    kind: Kind


class _CountingWriter(io.RawIOBase):
    """A binary sink that counts lines and refuses to grow past ``max_lines``."""

    def __init__(self, max_lines: int) -> None:
        self.buffer = bytearray()
        self.lines = 0
        self.max_lines = max_lines

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.lines += data.count(b"\n")
        if self.lines > self.max_lines:
            raise ResultTooLarge(self.max_lines - 1, "solutions")
        self.buffer += data
        return len(data)


def serialize(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    fmt: ResultFormat,
    *,
    max_results: int,
) -> Serialized:
    """Serialise a pyoxigraph query result in ``fmt``; :class:`ResultTooLarge` past the limit."""
    if isinstance(result, ox.QueryBoolean):
        answer = result.serialize(format=_RESULTS_FORMATS[fmt.name])
        assert answer is not None  # serialize() without output returns the bytes
        return Serialized(answer, 1, "boolean")
    if isinstance(result, ox.QuerySolutions):
        sink = _CountingWriter(max_results + 1)  # + the header line
        try:
            result.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)
        except OSError as exc:  # pyoxigraph wraps exceptions raised by the writer
            if isinstance(exc.__cause__ or exc.__context__, ResultTooLarge):
                raise ResultTooLarge(max_results, "solutions") from None
            raise
        tsv = bytes(sink.buffer)
        count = max(0, tsv.count(b"\n") - 1)
        if fmt.name == "tsv":
            return Serialized(tsv, count, "solutions")
        solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        body = solutions.serialize(format=_RESULTS_FORMATS[fmt.name])
        assert body is not None  # serialize() without output returns the bytes
        return Serialized(body, count, "solutions")
    triples: list[ox.Triple] = []
    for triple in result:
        triples.append(triple)
        if len(triples) > max_results:
            raise ResultTooLarge(max_results, "triples")
    return Serialized(serialize_triples(triples, fmt), len(triples), "graph")


def serialize_triples(triples: list[ox.Triple], fmt: ResultFormat) -> bytes:
    """Triples in an RDF format; JSON-LD through rdflib (compacted with our prefixes)."""
    if fmt.name == "jsonld":
        from rdflib import Graph

        from kg.dataset import to_rdflib_term

        graph = Graph()
        for t in triples:
            graph.add(
                (to_rdflib_term(t.subject), to_rdflib_term(t.predicate), to_rdflib_term(t.object))
            )
        data: bytes = graph.serialize(format="json-ld", context=dict(PREFIXES), encoding="utf-8")
        return data
    rdf_format = _RDF_FORMATS[fmt.name]
    quads_or_triples = (
        [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
        else triples
    )
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    out = ox.serialize(quads_or_triples, format=rdf_format, prefixes=prefixes)
    assert out is not None
    return out
