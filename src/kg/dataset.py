"""Reading the project's RDF files: discovery, parsing, and the RDF 1.1 dataset they form.

Files are parsed once, with pyoxigraph's Turtle/TriG parsers (RDF 1.1 Turtle §6,
TriG §5), whose errors carry line and column; a syntax error becomes a
:class:`~kg.errors.BrokenInputError` naming file and line. The quads can then be
loaded into the embedded store (:mod:`kg.store`) or turned into an
``rdflib.Dataset`` for pySHACL (:func:`to_rdflib`).

Layout (RDF 1.1 Concepts §4, datasets): each ``data/**/*.trig`` file holds one
named graph per source document; the ontology (``ontology/*.ttl``) is put into
its own named graph :data:`ONTOLOGY_GRAPH`; shapes are read only for validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.graph import Graph
from rdflib.term import Node

from kg.errors import BrokenInputError
from kg.namespaces import GRAPH, PREFIXES
from kg.settings import Settings

ONTOLOGY_GRAPH = GRAPH["ontology"]
REFERENCE_GRAPH = GRAPH["reference"]

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS}
_LINE = re.compile(r"line (\d+)")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class ParsedFile:
    """One file's quads; Turtle files' triples are put into ``graph`` (if given)."""

    path: Path
    quads: tuple[ox.Quad, ...]


def rdf_files(directory: Path, suffixes: Iterable[str] = (".ttl", ".trig")) -> list[Path]:
    """The RDF files under ``directory``, recursively, in a stable order."""
    if not directory.is_dir():
        return []
    wanted = set(suffixes)
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in wanted)


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, and the RDF files inside directories named."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(rdf_files(p))
        elif p.is_file():
            out.append(p)
        else:
            raise BrokenInputError(
                "no such file or directory; give a .ttl/.trig file or a folder of them", path=p
            )
    return out


def parse_file(path: Path, graph: ox.NamedNode | None = None) -> ParsedFile:
    """Parse ``path`` (Turtle, TriG or N-Quads by suffix) into quads.

    Turtle triples land in ``graph`` if given, else in the default graph.
    """
    fmt = _FORMATS.get(path.suffix)
    if fmt is None:
        raise BrokenInputError(
            f"unsupported file type {path.suffix!r}; use .ttl (Turtle) or .trig (TriG)", path=path
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BrokenInputError(f"cannot read file: {exc.strerror}", path=path) from exc
    try:
        # No base IRI: a relative IRI in curated data is an error, not a file: IRI.
        # Blank nodes are renamed so that _:b0 in two files are two nodes.
        quads = tuple(ox.parse(data, format=fmt, rename_blank_nodes=True))
    except SyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
        match = _LINE.search(msg)
        line = int(match.group(1)) if match else getattr(exc, "lineno", None)
        raise BrokenInputError(f"syntax error: {msg}", path=path, line=line) from exc
    except ValueError as exc:  # e.g. invalid IRI or language tag
        raise BrokenInputError(f"invalid RDF: {exc}", path=path) from exc
    if graph is not None and fmt == ox.RdfFormat.TURTLE:
        quads = tuple(ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads)
    return ParsedFile(path=path, quads=quads)


def ontology_files(settings: Settings) -> list[Path]:
    return rdf_files(settings.ontology_dir, (".ttl",))


def data_files(settings: Settings) -> list[Path]:
    return rdf_files(settings.data_dir, (".trig",))


def shapes_files(settings: Settings) -> list[Path]:
    return rdf_files(settings.shapes_dir, (".ttl",))


def parse_ontology(settings: Settings) -> list[ParsedFile]:
    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    return [parse_file(p, onto) for p in ontology_files(settings)]


def parse_all(paths: Sequence[Path]) -> list[ParsedFile]:
    return [parse_file(p) for p in paths]


# ----------------------------------------------------------------- rdflib view


def to_rdflib_term(term: object) -> Node:
    """The rdflib term for a pyoxigraph term (RDF 1.1 Concepts §3)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
    raise TypeError(f"unsupported term {term!r} (RDF 1.2 triple terms are not supported)")


def to_rdflib(files: Iterable[ParsedFile]) -> Dataset:
    """An ``rdflib.Dataset`` holding the quads of ``files`` in their graphs."""
    ds = Dataset()
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    for parsed in files:
        for q in parsed.quads:
            if isinstance(q.graph_name, ox.DefaultGraph):
                g: Graph = ds.default_graph
            else:
                g = ds.graph(URIRef(q.graph_name.value))
            triple = (
                to_rdflib_term(q.subject),
                to_rdflib_term(q.predicate),
                to_rdflib_term(q.object),
            )
            g.add(triple)
    return ds
