"""Documentation of the ontology, generated from the ontology itself.

:func:`ontology_doc` reads the ontology graph (``graph:ontology`` in the store) and gives
every class, property and named individual of the ``ipo:`` namespace with its labels and
definitions in German and English, its alignments (``rdfs:subClassOf``,
``rdfs:subPropertyOf``, ``owl:equivalentClass``, ``rdfs:seeAlso``, ``owl:disjointWith``),
domain and range, editorial note, the SHACL shapes that use it (node shapes targeting a
class or requiring it as ``sh:class``; node shapes with a property shape on a property)
and an example from the data. Shapes are read from ``shapes/`` (they are not part of the
served dataset); :func:`load_shapes` parses them into their own store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from kg.dataset import ONTOLOGY_GRAPH, parse_file
from kg.linked_data import compact, labels
from kg.namespaces import IPO, ONTOLOGY_IRI, PREFIXES, VANN
from kg.store import KnowledgeGraph

__all__ = ["Example", "OntologyDoc", "ShapeRef", "Term", "load_shapes", "ontology_doc"]

KINDS: Final[dict[str, str]] = {
    str(OWL.Class): "class",
    str(OWL.ObjectProperty): "object-property",
    str(OWL.DatatypeProperty): "datatype-property",
    str(OWL.NamedIndividual): "individual",
}
#: Section order of the documentation page.
SECTIONS: Final[tuple[str, ...]] = (
    "class",
    "object-property",
    "datatype-property",
    "individual",
)

_ALIGNMENTS: Final[tuple[str, ...]] = (
    str(RDFS.subClassOf),
    str(RDFS.subPropertyOf),
    str(OWL.equivalentClass),
    str(OWL.equivalentProperty),
    str(SKOS.exactMatch),
    str(SKOS.closeMatch),
    str(RDFS.seeAlso),
    str(OWL.disjointWith),
)


@dataclass(frozen=True)
class ShapeRef:
    iri: str
    label: str


@dataclass(frozen=True)
class Example:
    """One statement of the data that uses the term."""

    subject: str
    subject_label: str
    predicate: str | None = None
    object: ox.NamedNode | ox.BlankNode | ox.Literal | None = None
    object_label: str | None = None


@dataclass
class Term:
    iri: str
    name: str  # the local name, also the anchor on the documentation page
    kind: str  # class, object-property, datatype-property, individual
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    alignments: list[tuple[str, str]] = field(default_factory=list)  # (property, term)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)  # owl:FunctionalProperty …
    used_by: list[ShapeRef] = field(default_factory=list)
    example: Example | None = None
    instances: int = 0

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("de") or self.name

    def definition(self, lang: str) -> str | None:
        return self.definitions.get(lang) or self.definitions.get("de")


@dataclass
class OntologyDoc:
    iri: str
    version_iri: str | None
    version: str | None
    titles: dict[str, str]
    definitions: dict[str, str]
    license: str | None
    created: str | None
    modified: str | None
    prefix: str
    namespace: str
    terms: list[Term]
    term_labels: dict[str, str]  # labels of every term mentioned (ipo: and the data's)

    def section(self, kind: str) -> list[Term]:
        return [t for t in self.terms if t.kind == kind]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("de") or compact(self.iri)

    def show(self, iri: str) -> str:
        """A term as shown in the documentation: ``ipo:Tenure``, ``org:Post`` …"""
        return compact(iri)


def load_shapes(paths: Iterable[Path]) -> ox.Store:
    """The SHACL shapes of ``paths`` in a store of their own (raises BrokenInputError)."""
    store = ox.Store()
    for path in paths:
        store.bulk_extend(parse_file(path).quads)
    return store


def _literal_by_lang(values: Iterable[ox.Literal]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        out.setdefault(v.language or "", v.value)
    return out


def _shape_users(shapes: ox.Store | None, lang: str) -> tuple[dict[str, list[ShapeRef]], int]:
    """term IRI → node shapes that use it; and the number of node shapes."""
    if shapes is None:
        return {}, 0
    query = """
        SELECT DISTINCT ?term ?shape WHERE {
          ?shape a sh:NodeShape .
          { ?shape sh:targetClass ?term }
          UNION { ?shape sh:property ?ps . ?ps sh:path ?term FILTER(isIRI(?term)) }
          UNION { ?shape sh:property ?ps . ?ps sh:class ?term }
          UNION { ?shape sh:property ?ps . ?ps sh:or/rdf:rest*/rdf:first/sh:class ?term }
        } LIMIT 10000"""
    found: dict[str, set[str]] = {}
    result = shapes.query(query, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        term, shape = row["term"], row["shape"]
        if isinstance(term, ox.NamedNode) and isinstance(shape, ox.NamedNode):
            found.setdefault(term.value, set()).add(shape.value)
    shape_labels: dict[str, str] = {}
    label_query = f"""
        SELECT ?s ?l WHERE {{ ?s rdfs:label ?l FILTER(langMatches(lang(?l), "{lang}")) }}
        LIMIT 10000"""
    labelled = shapes.query(label_query, prefixes=PREFIXES)
    assert isinstance(labelled, ox.QuerySolutions)
    for row in labelled:
        s, lit = row["s"], row["l"]
        if isinstance(s, ox.NamedNode) and isinstance(lit, ox.Literal):
            shape_labels[s.value] = lit.value
    count = sum(
        1
        for _ in shapes.quads_for_pattern(
            None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(SH.NodeShape)), None
        )
    )
    users = {
        term: [ShapeRef(s, shape_labels.get(s, compact(s))) for s in sorted(shapes_)]
        for term, shapes_ in found.items()
    }
    return users, count


def _example(kg: KnowledgeGraph, term: Term, lang: str) -> Example | None:
    if term.kind == "class":
        rows = list(kg.select(f"SELECT ?s WHERE {{ ?s a <{term.iri}> FILTER(isIRI(?s)) }} LIMIT 1"))
        if not rows:
            return None
        s = rows[0]["s"].value
        return Example(s, labels(kg, [s], lang).get(s, ox.Literal(compact(s))).value)
    if term.kind in ("object-property", "datatype-property"):
        rows = list(
            kg.select(
                f"SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{term.iri}> ?o }} "
                f"FILTER(isIRI(?s) && ?g != <{ONTOLOGY_GRAPH}>) }} LIMIT 1"
            )
        )
        if not rows:
            return None
        s, o = rows[0]["s"].value, rows[0]["o"]
        names = labels(kg, [s, o.value if isinstance(o, ox.NamedNode) else ""], lang)
        return Example(
            s,
            names[s].value if s in names else compact(s),
            term.iri,
            o,
            names[o.value].value if isinstance(o, ox.NamedNode) and o.value in names else None,
        )
    return None


def ontology_doc(kg: KnowledgeGraph, shapes: ox.Store | None, lang: str) -> OntologyDoc:
    """The documentation of the ontology in ``kg`` (labels of other terms in ``lang``)."""
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    store = kg.store
    by_subject: dict[str, list[ox.Quad]] = {}
    for quad in store.quads_for_pattern(None, None, None, graph):
        if isinstance(quad.subject, ox.NamedNode):
            by_subject.setdefault(quad.subject.value, []).append(quad)
    namespace = str(IPO)
    users, _ = _shape_users(shapes, lang)
    terms: list[Term] = []
    mentioned: set[str] = set()
    for iri, quads in sorted(by_subject.items()):
        if not iri.startswith(namespace):
            continue
        types = [
            q.object.value
            for q in quads
            if q.predicate.value == str(RDF.type) and isinstance(q.object, ox.NamedNode)
        ]
        kind = next((KINDS[t] for t in types if t in KINDS and t != str(OWL.NamedIndividual)), None)
        if kind is None and str(OWL.NamedIndividual) in types:
            kind = "individual"
        if kind is None:
            continue
        term = Term(iri=iri, name=iri[len(namespace) :], kind=kind)

        def values(prop: str, quads: Sequence[ox.Quad] = quads) -> list[ox.Literal]:
            return [
                q.object
                for q in quads
                if q.predicate.value == prop and isinstance(q.object, ox.Literal)
            ]

        def iris(prop: str, quads: Sequence[ox.Quad] = quads) -> list[str]:
            return sorted(
                q.object.value
                for q in quads
                if q.predicate.value == prop and isinstance(q.object, ox.NamedNode)
            )

        term.labels = _literal_by_lang(values(str(RDFS.label)))
        term.definitions = _literal_by_lang(values(str(SKOS.definition)))
        term.notes = [v.value for v in values(str(SKOS.editorialNote))]
        term.alignments = [(p, o) for p in _ALIGNMENTS for o in iris(p)]
        term.domain = iris(str(RDFS.domain))
        term.range = iris(str(RDFS.range))
        term.types = [t for t in sorted(types) if t not in KINDS]
        term.characteristics = [
            t for t in types if t in (str(OWL.FunctionalProperty), str(OWL.TransitiveProperty))
        ]
        term.used_by = users.get(iri, [])
        term.example = _example(kg, term, lang)
        if kind == "class":
            (row,) = kg.select(
                f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a/rdfs:subClassOf* <{iri}> }}"
            )
            term.instances = int(row["n"].value)
        mentioned.update(o for _, o in term.alignments)
        mentioned.update(term.domain + term.range + term.types)
        terms.append(term)
    order = {k: i for i, k in enumerate(SECTIONS)}
    terms.sort(key=lambda t: (order[t.kind], t.name.lower()))
    onto = by_subject.get(str(ONTOLOGY_IRI), [])

    def first(prop: str) -> object:
        return next((q.object for q in onto if q.predicate.value == prop), None)

    version_iri = first(str(OWL.versionIRI))
    version = first(str(OWL.versionInfo))
    license_ = first(str(DCTERMS.license))
    created, modified = first(str(DCTERMS.created)), first(str(DCTERMS.modified))
    prefix = first(str(VANN.preferredNamespacePrefix))
    term_labels = {t.iri: t.label(lang) for t in terms}
    term_labels.update(
        {i: lit.value for i, lit in labels(kg, mentioned - set(term_labels), lang).items()}
    )
    return OntologyDoc(
        iri=str(ONTOLOGY_IRI),
        version_iri=version_iri.value if isinstance(version_iri, ox.NamedNode) else None,
        version=version.value if isinstance(version, ox.Literal) else None,
        titles=_literal_by_lang(
            q.object
            for q in onto
            if q.predicate.value == str(RDFS.label) and isinstance(q.object, ox.Literal)
        ),
        definitions=_literal_by_lang(
            q.object
            for q in onto
            if q.predicate.value == str(SKOS.definition) and isinstance(q.object, ox.Literal)
        ),
        license=license_.value if isinstance(license_, ox.NamedNode) else None,
        created=created.value if isinstance(created, ox.Literal) else None,
        modified=modified.value if isinstance(modified, ox.Literal) else None,
        prefix=prefix.value if isinstance(prefix, ox.Literal) else "ipo",
        namespace=namespace,
        terms=terms,
        term_labels=term_labels,
    )


def ontology_triples(kg: KnowledgeGraph) -> list[ox.Triple]:
    """The ontology graph's triples (what the ontology IRI serves to machines)."""
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in kg.store.quads_for_pattern(None, None, None, graph)
    ]


def shapes_triples(shapes: ox.Store) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in shapes]


@dataclass(frozen=True)
class NodeShape:
    iri: str
    name: str
    label: str
    comment: str | None
    targets: list[str]
    paths: list[str]


def node_shapes(shapes: ox.Store, lang: str) -> list[NodeShape]:
    """The node shapes with their targets and property paths (for the shapes page)."""
    query = f"""
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?comment)
               (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?targets)
               (GROUP_CONCAT(DISTINCT STR(?path); separator=" ") AS ?paths)
        WHERE {{
          ?s a sh:NodeShape FILTER(isIRI(?s))
          OPTIONAL {{ ?s rdfs:label ?l FILTER(langMatches(lang(?l), "{lang}")) }}
          OPTIONAL {{ ?s rdfs:comment ?c }}
          OPTIONAL {{ ?s sh:targetClass ?t }}
          OPTIONAL {{ ?s sh:property/sh:path ?path FILTER(isIRI(?path)) }}
        }} GROUP BY ?s ORDER BY ?s LIMIT 10000"""
    result = shapes.query(query, prefixes=PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    out = []
    for row in result:
        s = row["s"]
        assert isinstance(s, ox.NamedNode)
        label, comment = row["label"], row["comment"]
        targets, paths = row["targets"], row["paths"]
        out.append(
            NodeShape(
                iri=s.value,
                name=s.value.rpartition("#")[2],
                label=label.value if isinstance(label, ox.Literal) else compact(s.value),
                comment=comment.value if isinstance(comment, ox.Literal) else None,
                targets=targets.value.split() if isinstance(targets, ox.Literal) else [],
                paths=sorted(paths.value.split()) if isinstance(paths, ox.Literal) else [],
            )
        )
    return out
