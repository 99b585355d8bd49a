"""Linked data: what the dataset says about one IRI, and which request paths name which IRIs.

Nothing here knows HTTP. The web layer (:mod:`kg.web.resources`, :mod:`kg.web.pages`) maps
a request path onto a canonical IRI with :func:`target_for_path`, asks this module for a
:class:`Description` and serialises or renders it.

* **Paths and IRIs.** Every IRI the dataset mints lives under :data:`kg.namespaces.BASE`;
  the server serves the same paths, so ``/id/person/susi-moebbeck`` describes
  ``https://w3id.org/ipkg/id/person/susi-moebbeck`` whichever host it runs on. A suffix
  (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.html``) names one representation; slugs
  never contain a dot, so a suffix is never part of a name.
* **A description** (:func:`describe`) is the resource's outgoing statements with the named
  graphs that state each one (blank-node objects closed, as in a Concise Bounded
  Description), one page of its incoming links (:data:`INCOMING_PAGE_SIZE` per page, in the
  store's index order, so a hub such as a Land costs no more per page than any other
  resource), the label of every linked resource in the requested language, and the
  sources: each named graph that states something about it, with the title and date of
  the source document the graph is derived from.
* **Where sources differ** (:class:`Variance`): for the properties a source states at most
  once (:data:`SOURCE_SINGLE_VALUED`, the ``shape:onePerSource`` properties of the shapes and
  the functional ones), a description lists each value with the graphs that state it, and
  says whether the values only differ in precision (``2013-01`` and ``2013-01-02``) or
  contradict each other, and whether a primary and a secondary source are the ones that
  disagree. :attr:`Description.history` lists what each source states of those properties,
  oldest source first: the newest state and how it came about.
* Every query here is bounded (``LIMIT``, or a slice of an index scan), so none can run
  long whatever the size of the data.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID, XSD

from kg.namespaces import (
    DATASET,
    ID,
    IPO,
    ONTOLOGY_IRI,
    PREFIXES,
    SHAPES,
    SLUG_PATTERN,
    iri_for_path,
    path_for_iri,
    slugify,
    split_resource_iri,
)
from kg.store import KnowledgeGraph

__all__ = [
    "DEFAULT_LANGUAGE",
    "INCOMING_PAGE_SIZE",
    "LANGUAGES",
    "SUFFIXES",
    "Description",
    "Statement",
    "Target",
    "Variance",
    "compact",
    "describe",
    "exists",
    "iri_for_path",
    "labels",
    "path_for_iri",
    "target_for_path",
]

#: Languages the pages and labels are offered in; the first is the default.
LANGUAGES: Final[tuple[str, ...]] = ("de", "en")
DEFAULT_LANGUAGE: Final = "de"

#: Representation suffix → format name (the names of :mod:`kg.results`, plus ``html``).
SUFFIXES: Final[dict[str, str]] = {
    "ttl": "turtle",
    "jsonld": "jsonld",
    "nt": "ntriples",
    "rdf": "rdfxml",
    "html": "html",
}

#: Incoming links per page of a description.
INCOMING_PAGE_SIZE: Final = 100
#: Most outgoing statements (and blank-node statements) a description holds.
MAX_OUTGOING: Final = 2000
#: Most named graphs listed as sources of one resource.
MAX_SOURCES: Final = 200
#: Triples per page of a named graph's contents.
GRAPH_PAGE_SIZE: Final = 5000

_DEFAULT = ox.DefaultGraph()
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_LABEL_PROPERTIES: Final[tuple[str, ...]] = (
    str(SKOS.prefLabel),
    str(RDFS.label),
    str(DCTERMS.title),
    str(FOAF.name),
)
_VERSION_PATTERN = re.compile(r"^\d+(?:\.\d+)*$")

_SCHEMA = "http://schema.org/"
#: Properties one source states at most once for a resource (the shapes' ``shape:onePerSource``
#: and functional properties). Several values from several sources are a refinement or a
#: disagreement, which :class:`Variance` describes.
SOURCE_SINGLE_VALUED: Final[frozenset[str]] = frozenset(
    {
        *(
            _SCHEMA + local
            for local in (
                "startDate",
                "endDate",
                "duration",
                "foundingDate",
                "birthDate",
                "location",
                "eventStatus",
            )
        ),
        *(str(DCTERMS[local]) for local in ("date", "issued", "created", "modified")),
        *(str(IPO[local]) for local in ("chairLand", "seriesOrdinal", "motto", "office")),
    }
)
_DATE_TYPES: Final = frozenset(
    str(XSD[local]) for local in ("date", "gYearMonth", "gYear", "dateTime")
)
_PRIMARY: Final = str(IPO.PrimarySource)
_SECONDARY: Final = str(IPO.SecondarySource)

TargetKind = Literal["resource", "graph", "ontology", "shapes", "dataset"]


# ----------------------------------------------------------------- paths and IRIs


@dataclass(frozen=True)
class Target:
    """What a request path names: the canonical IRI and the representation asked for."""

    kind: TargetKind
    iri: str  # the canonical IRI of the thing described
    path: str  # the request path without its suffix, e.g. "/id/person/susi-moebbeck"
    suffix: str | None  # "ttl", "html", … or None for a negotiated request


def split_suffix(path: str) -> tuple[str, str | None]:
    head, dot, tail = path.rpartition(".")
    if dot and "/" not in tail and tail in SUFFIXES:
        return head, tail
    return path, None


def target_for_path(path: str) -> Target | None:
    """The thing a request path under the base names, or ``None`` if it names none.

    ``None`` also for paths that cannot be a minted IRI (an unknown kind, a slug off the
    policy); whether a well-formed IRI is actually in the data is :func:`exists`' question.
    """
    bare, suffix = split_suffix(path)
    if bare in ("", "/", "/.well-known/void"):
        return Target("dataset", str(DATASET), bare or "/", suffix)
    iri = iri_for_path(bare)
    if bare.startswith("/id/"):
        if split_resource_iri(iri) is None:
            return None
        return Target("resource", iri, bare, suffix)
    if bare.startswith("/graph/"):
        slug = bare.removeprefix("/graph/")
        if not SLUG_PATTERN.match(slug):
            return None
        return Target("graph", iri, bare, suffix)
    if iri == str(ONTOLOGY_IRI):
        return Target("ontology", iri, bare, suffix)
    if bare.startswith("/ontology/") and _VERSION_PATTERN.match(bare.removeprefix("/ontology/")):
        return Target("ontology", iri, bare, suffix)
    if iri + "#" == str(SHAPES):
        return Target("shapes", iri, bare, suffix)
    return None


def compact(iri: str) -> str:
    """``ipo:Person`` for a IRI in a known namespace (longest namespace wins), else the IRI."""
    best = ""
    name = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            local = iri[len(ns) :]
            if local and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", local):
                best, name = ns, f"{prefix}:{local}"
    return name or iri


# ----------------------------------------------------------------- labels


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _rank(literal: ox.Literal, prop: str, lang: str) -> tuple[int, int]:
    """Smaller is better: the requested language, then German, then no language."""
    tag = (literal.language or "").lower()
    if tag == lang or tag.startswith(lang + "-"):
        by_lang = 0
    elif tag == DEFAULT_LANGUAGE:
        by_lang = 1
    elif not tag:
        by_lang = 2
    else:
        by_lang = 3
    return by_lang, _LABEL_PROPERTIES.index(prop)


def labels(kg: KnowledgeGraph, iris: Iterable[str], lang: str) -> dict[str, ox.Literal]:
    """The best label of each IRI in ``lang`` (falling back to German, then any label).

    Labels are ``skos:prefLabel``, ``rdfs:label``, ``dcterms:title`` or ``foaf:name``; an
    IRI without any is left out (callers show it compacted).
    """
    return {iri: literal for iri, (_, literal) in labels_with_property(kg, iris, lang).items()}


def labels_with_property(
    kg: KnowledgeGraph, iris: Iterable[str], lang: str
) -> dict[str, tuple[str, ox.Literal]]:
    """Like :func:`labels`, with the property each label is stated with."""
    wanted = sorted({i for i in iris if i})
    best: dict[str, tuple[tuple[int, int], str, ox.Literal]] = {}
    props = _values(_LABEL_PROPERTIES)
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        query = (
            f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {_values(chunk)} }} "
            f"VALUES ?p {{ {props} }} ?s ?p ?l FILTER(isLiteral(?l)) }} LIMIT {len(chunk) * 40}"
        )
        for row in kg.select(query):
            literal = row["l"]
            assert isinstance(literal, ox.Literal)
            prop = row["p"].value
            key = _rank(literal, prop, lang)
            iri = row["s"].value
            if iri not in best or key < best[iri][0]:
                best[iri] = (key, prop, literal)
    return {iri: (prop, literal) for iri, (_, prop, literal) in best.items()}


# ----------------------------------------------------------------- descriptions


@dataclass
class Statement:
    """One outgoing statement, the named graphs that state it, and a blank object's own."""

    predicate: ox.NamedNode
    object: ox.NamedNode | ox.BlankNode | ox.Literal
    graphs: list[str] = field(default_factory=list)
    nested: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """A named graph that states something about a resource, and its source document."""

    graph: str
    source: str | None
    title: ox.Literal | None
    date: ox.Literal | None
    label: ox.Literal | None
    #: ``ipo:PrimarySource``, ``ipo:SecondarySource`` or ``ipo:ReferenceSource`` (IRI).
    kind: str | None = None
    #: ``ipo:approximateDate``: a rough date such as "2016/17", where the source has no date.
    approximate_date: ox.Literal | None = None

    @property
    def sort_key(self) -> str:
        """Orders sources by the date they show (rough dates by their first year; undated first)."""
        if self.date is not None:
            return self.date.value
        if self.approximate_date is not None:
            year = re.search(r"\d{4}", self.approximate_date.value)
            return year.group(0) if year else ""
        return ""


@dataclass(frozen=True)
class Variance:
    """Sources that state different values of one :data:`SOURCE_SINGLE_VALUED` property."""

    predicate: str
    #: Each value with the graphs that state it.
    values: list[Statement]
    #: The values contradict each other (not only a more or less precise date).
    conflict: bool
    #: A primary source and a secondary source state contradicting values.
    primary_and_secondary: bool


@dataclass(frozen=True)
class Incoming:
    subject: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode


@dataclass
class Description:
    """What the dataset says about ``iri``: see the module docstring."""

    iri: str
    lang: str
    types: list[str]
    outgoing: list[Statement]
    outgoing_truncated: bool
    incoming: list[Incoming]
    incoming_total: int
    page: int
    page_size: int
    sources: list[Source]
    labels: dict[str, ox.Literal]
    label_properties: dict[str, str] = field(default_factory=dict)
    variances: list[Variance] = field(default_factory=list)

    @property
    def history(self) -> list[tuple[Source, list[Statement]]]:
        """Per source, oldest first, what it states of the :data:`SOURCE_SINGLE_VALUED` properties.

        Empty unless at least two sources state such properties: then the last entry is the
        newest state, and the list shows how it came about.
        """
        by_graph: dict[str, list[Statement]] = {}
        for st in self.outgoing:
            if st.predicate.value in SOURCE_SINGLE_VALUED:
                for g in st.graphs:
                    by_graph.setdefault(g, []).append(st)
        entries = [(src, by_graph[src.graph]) for src in self.sources if src.graph in by_graph]
        if len(entries) < 2:
            return []
        return sorted(entries, key=lambda entry: (entry[0].sort_key, entry[0].graph))

    @property
    def pages(self) -> int:
        return max(1, -(-self.incoming_total // self.page_size))

    def label(self, iri: str) -> str:
        literal = self.labels.get(iri)
        return literal.value if literal is not None else compact(iri)

    def triples(self) -> list[ox.Triple]:
        """The description as RDF: statements, incoming page, labels, sources."""
        subject = ox.NamedNode(self.iri)
        out: list[ox.Triple] = []

        def add(node: ox.NamedNode | ox.BlankNode, statements: list[Statement]) -> None:
            for st in statements:
                out.append(ox.Triple(node, st.predicate, st.object))
                if isinstance(st.object, ox.BlankNode):
                    add(st.object, st.nested)

        add(subject, self.outgoing)
        out += [ox.Triple(i.subject, i.predicate, subject) for i in self.incoming]
        label = ox.NamedNode(str(SKOS.prefLabel))
        linked = {str(t.subject) for t in out} | {str(t.object) for t in out}
        for iri, literal in sorted(self.labels.items()):
            if iri != self.iri and f"<{iri}>" in linked:
                prop = ox.NamedNode(self.label_properties.get(iri, str(SKOS.prefLabel)))
                out.append(ox.Triple(ox.NamedNode(iri), prop, literal))
        for src in self.sources:
            graph = ox.NamedNode(src.graph)
            if src.source is None:
                continue
            source = ox.NamedNode(src.source)
            out.append(ox.Triple(graph, ox.NamedNode(str(PROV.wasDerivedFrom)), source))
            if src.title is not None:
                out.append(ox.Triple(source, ox.NamedNode(str(DCTERMS.title)), src.title))
            if src.date is not None:
                out.append(ox.Triple(source, ox.NamedNode(str(DCTERMS.date)), src.date))
            if src.label is not None:
                out.append(ox.Triple(source, label, src.label))
        return _unique(out)


def _unique(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    seen: set[ox.Triple] = set()
    out = []
    for t in triples:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def exists(kg: KnowledgeGraph, iri: str) -> bool:
    """Whether the data uses ``iri`` as subject or object (or names a graph with it)."""
    node = ox.NamedNode(iri)
    store = kg.store
    if next(iter(store.quads_for_pattern(node, None, None, _DEFAULT)), None) is not None:
        return True
    if next(iter(store.quads_for_pattern(None, None, node, _DEFAULT)), None) is not None:
        return True
    return node in set(store.named_graphs())


def _statements(
    kg: KnowledgeGraph, node: ox.NamedNode | ox.BlankNode, budget: list[int], depth: int = 0
) -> list[Statement]:
    """The statements about ``node`` with their graphs; blank objects closed recursively."""
    by_key: dict[tuple[str, str], Statement] = {}
    for quad in kg.store.quads_for_pattern(node, None, None, None):
        obj = quad.object
        if not isinstance(obj, (ox.NamedNode, ox.BlankNode, ox.Literal)):
            continue  # RDF 1.2 triple terms are not used by the data
        key = (str(quad.predicate), str(obj))
        st = by_key.get(key)
        if st is None:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            st = by_key[key] = Statement(quad.predicate, obj)
        if isinstance(quad.graph_name, ox.NamedNode):
            st.graphs.append(quad.graph_name.value)
    statements = list(by_key.values())
    for st in statements:
        st.graphs.sort()
        if isinstance(st.object, ox.BlankNode) and depth < 8 and st.object != node:
            st.nested = _statements(kg, st.object, budget, depth + 1)
    statements.sort(key=lambda s: (s.predicate.value != str(RDF.type), str(s.predicate), _key(s)))
    return statements


def _key(st: Statement) -> str:
    obj = st.object
    return obj.value if isinstance(obj, (ox.NamedNode, ox.Literal)) else str(obj)


def _sources(kg: KnowledgeGraph, graphs: Iterable[str], lang: str) -> list[Source]:
    names = sorted(set(graphs))[:MAX_SOURCES]
    if not names:
        return []
    query = f"""
        SELECT ?g ?src ?title ?date ?kind ?approx WHERE {{
          VALUES ?g {{ {_values(names)} }}
          OPTIONAL {{ GRAPH ?g {{ ?g prov:wasDerivedFrom ?src }}
                     OPTIONAL {{ ?src dcterms:title ?title }}
                     OPTIONAL {{ ?src dcterms:date ?date }}
                     OPTIONAL {{ ?src ipo:sourceKind ?kind }}
                     OPTIONAL {{ ?src ipo:approximateDate ?approx }} }}
        }} LIMIT {len(names) * 8}"""
    found: dict[str, Source] = {}
    for row in kg.select(query):
        graph = row["g"].value
        src = row.get("src")
        title = row.get("title")
        date = row.get("date")
        kind = row.get("kind")
        approx = row.get("approx")
        if graph in found and found[graph].title is not None:
            continue
        found[graph] = Source(
            graph=graph,
            source=src.value if src is not None else None,
            title=title if isinstance(title, ox.Literal) else None,
            date=date if isinstance(date, ox.Literal) else None,
            label=None,
            kind=kind.value if isinstance(kind, ox.NamedNode) else None,
            approximate_date=approx if isinstance(approx, ox.Literal) else None,
        )
    sources = [found.get(g, Source(g, None, None, None, None)) for g in names]
    source_labels = labels(kg, [s.source for s in sources if s.source], lang)
    return [replace(s, label=source_labels.get(s.source or "")) for s in sources]


def _compatible(a: ox.NamedNode | ox.BlankNode | ox.Literal, b: object) -> bool:
    """Whether two values of one property can both be true: equal, or one date refines the other."""
    if a == b:
        return True
    if (
        isinstance(a, ox.Literal)
        and isinstance(b, ox.Literal)
        and a.datatype.value in _DATE_TYPES
        and b.datatype.value in _DATE_TYPES
    ):
        shorter, longer = sorted((a.value, b.value), key=len)
        return longer.startswith(shorter)
    return False


def variances(outgoing: Sequence[Statement], sources: Sequence[Source]) -> list[Variance]:
    """The :data:`SOURCE_SINGLE_VALUED` properties for which sources state different values."""
    kinds = {src.graph: src.kind for src in sources}
    by_predicate: dict[str, list[Statement]] = {}
    for st in outgoing:
        if st.predicate.value in SOURCE_SINGLE_VALUED and st.graphs:
            by_predicate.setdefault(st.predicate.value, []).append(st)
    found = []
    for predicate, values in by_predicate.items():
        if len(values) < 2:
            continue
        clashes = [
            (a, b)
            for a, b in itertools.permutations(values, 2)
            if not _compatible(a.object, b.object)
        ]
        primary_and_secondary = any(
            any(kinds.get(g) == _PRIMARY for g in a.graphs)
            and any(kinds.get(g) == _SECONDARY for g in b.graphs)
            for a, b in clashes
        )
        found.append(Variance(predicate, values, bool(clashes), primary_and_secondary))
    return found


def describe(
    kg: KnowledgeGraph, iri: str, *, lang: str = DEFAULT_LANGUAGE, page: int = 1
) -> Description:
    """The :class:`Description` of ``iri`` with page ``page`` of its incoming links."""
    node = ox.NamedNode(iri)
    budget = [MAX_OUTGOING]
    outgoing = _statements(kg, node, budget)
    page = max(1, page)
    offset = (page - 1) * INCOMING_PAGE_SIZE
    scan = kg.store.quads_for_pattern(None, None, node, _DEFAULT)
    incoming = [
        Incoming(q.subject, q.predicate)
        for q in itertools.islice(scan, offset, offset + INCOMING_PAGE_SIZE)
        if isinstance(q.subject, (ox.NamedNode, ox.BlankNode))
    ]
    (row,) = kg.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p <{iri}> }}")
    total = int(row["n"].value)
    types = [st.object.value for st in outgoing if st.predicate == _RDF_TYPE]
    graphs = {g for st in outgoing for g in st.graphs}
    linked: set[str] = {iri, *types}

    def collect(statements: list[Statement]) -> None:
        for st in statements:
            linked.add(st.predicate.value)
            if isinstance(st.object, ox.NamedNode):
                linked.add(st.object.value)
            collect(st.nested)

    collect(outgoing)
    for inc in incoming:
        linked.add(inc.predicate.value)
        if isinstance(inc.subject, ox.NamedNode):
            linked.add(inc.subject.value)
    found = labels_with_property(kg, linked, lang)
    sources = _sources(kg, graphs, lang)
    return Description(
        iri=iri,
        lang=lang,
        types=types,
        outgoing=outgoing,
        outgoing_truncated=budget[0] <= 0,
        incoming=incoming,
        incoming_total=total,
        page=page,
        page_size=INCOMING_PAGE_SIZE,
        sources=sources,
        labels={iri: literal for iri, (_, literal) in found.items()},
        label_properties={iri: prop for iri, (prop, _) in found.items()},
        variances=variances(outgoing, sources),
    )


def document_triples(
    description_triples: list[ox.Triple],
    *,
    document: str,
    topic: str,
    dataset: str,
    graphs: Iterable[str] = (),
) -> list[ox.Triple]:
    """``description_triples`` plus what the document says about itself.

    ``document`` is the IRI of the representation (``…/susi-moebbeck.ttl``): it is a
    ``foaf:Document`` whose ``foaf:primaryTopic`` is the resource, ``void:inDataset`` the
    dataset, and ``prov:wasDerivedFrom`` each named graph it quotes.
    """
    doc = ox.NamedNode(document)
    meta = [
        ox.Triple(doc, _RDF_TYPE, ox.NamedNode(str(FOAF.Document))),
        ox.Triple(doc, ox.NamedNode(str(FOAF.primaryTopic)), ox.NamedNode(topic)),
        ox.Triple(doc, ox.NamedNode(str(VOID.inDataset)), ox.NamedNode(dataset)),
    ]
    meta += [
        ox.Triple(doc, ox.NamedNode(str(PROV.wasDerivedFrom)), ox.NamedNode(g))
        for g in sorted(set(graphs))
    ]
    return [*meta, *description_triples]


# ----------------------------------------------------------------- graphs


@dataclass
class GraphPage:
    """One page of a named graph's triples and the subjects it is about."""

    iri: str
    triples: list[ox.Triple]
    total: int
    page: int
    page_size: int
    subjects: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def graph_page(kg: KnowledgeGraph, iri: str, *, page: int = 1) -> GraphPage:
    """Page ``page`` of the triples of named graph ``iri`` (in the store's index order)."""
    graph = ox.NamedNode(iri)
    page = max(1, page)
    offset = (page - 1) * GRAPH_PAGE_SIZE
    scan = kg.store.quads_for_pattern(None, None, None, graph)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in itertools.islice(scan, offset, offset + GRAPH_PAGE_SIZE)
    ]
    (row,) = kg.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    subjects = sorted(
        {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)} - {iri}
    )
    return GraphPage(iri, triples, int(row["n"].value), page, GRAPH_PAGE_SIZE, subjects)


def is_graph(kg: KnowledgeGraph, iri: str) -> bool:
    return ox.NamedNode(iri) in set(kg.store.named_graphs())


def source_graphs(kg: KnowledgeGraph, lang: str) -> list[Source]:
    """Every named graph with its source's title and date (for the home page)."""
    return _sources(kg, kg.graphs(), lang)


# ----------------------------------------------------------------- classes and search


@dataclass(frozen=True)
class Item:
    iri: str
    label: str
    label_lang: str | None
    types: tuple[str, ...] = ()


@dataclass
class ItemPage:
    items: list[Item]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _items(kg: KnowledgeGraph, iris: Sequence[str], lang: str) -> list[Item]:
    found = labels(kg, iris, lang)
    types: dict[str, list[str]] = {}
    if iris:
        query = f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {_values(iris)} }} ?s a ?t }} LIMIT 2000"
        for row in kg.select(query):
            types.setdefault(row["s"].value, []).append(row["t"].value)
    out = []
    for iri in iris:
        literal = found.get(iri)
        out.append(
            Item(
                iri,
                literal.value if literal is not None else compact(iri),
                literal.language if literal is not None else None,
                tuple(sorted(types.get(iri, []))),
            )
        )
    return out


def instances(
    kg: KnowledgeGraph, class_iri: str, *, lang: str, page: int = 1, page_size: int = 50
) -> ItemPage:
    """Instances of ``class_iri`` or its subclasses, sorted by label in ``lang``, one page."""
    page = max(1, page)
    pattern = f"?s a ?c . ?c rdfs:subClassOf* <{class_iri}> . FILTER(isIRI(?s))"
    order = f"""
        SELECT ?s (MIN(?k) AS ?key) WHERE {{
          {pattern}
          OPTIONAL {{ ?s skos:prefLabel ?l1 FILTER(langMatches(lang(?l1), "{lang}")) }}
          OPTIONAL {{ ?s skos:prefLabel ?l2 FILTER(lang(?l2) = "{DEFAULT_LANGUAGE}") }}
          BIND(LCASE(STR(COALESCE(?l1, ?l2, ?s))) AS ?k)
        }} GROUP BY ?s ORDER BY ?key ?s LIMIT {page_size} OFFSET {(page - 1) * page_size}"""
    iris = [row["s"].value for row in kg.select(order)]
    (row,) = kg.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")
    return ItemPage(_items(kg, iris, lang), int(row["n"].value), page, page_size)


def search(
    kg: KnowledgeGraph, text: str, *, lang: str, page: int = 1, page_size: int = 50
) -> ItemPage:
    """Resources whose label (any language, case-insensitive) or slug contains ``text``."""
    text = " ".join(text.split())
    if len(text) < 2:
        return ItemPage([], 0, 1, page_size)
    page = max(1, page)
    needle = str(ox.Literal(text.lower()))
    slug = slugify(text)
    slug_match = (
        f'UNION {{ ?s a ?t FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") '
        f'&& CONTAINS(STR(?s), "{slug}")) }}'
        if slug
        else ""
    )
    pattern = f"""
        {{ ?s skos:prefLabel|skos:altLabel|rdfs:label ?l
           FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?l)), {needle})) }}
        {slug_match}"""
    query = f"""
        SELECT ?s (MIN(?k) AS ?key) WHERE {{
          {pattern}
          OPTIONAL {{ ?s skos:prefLabel ?pl FILTER(langMatches(lang(?pl), "{lang}")) }}
          BIND(LCASE(STR(COALESCE(?pl, ?l, ?s))) AS ?k)
        }} GROUP BY ?s ORDER BY ?key ?s LIMIT {page_size} OFFSET {(page - 1) * page_size}"""
    iris = [row["s"].value for row in kg.select(query)]
    (row,) = kg.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")
    return ItemPage(_items(kg, iris, lang), min(int(row["n"].value), 10_000), page, page_size)


#: Classes with a list page, in the order the home page shows them.
BROWSABLE: Final[tuple[str, ...]] = (
    str(IPO.Person),
    str(IPO.Office),
    str(IPO.Tenure),
    str(IPO.PublicBody),
    str(IPO.Committee),
    str(IPO.Membership),
    str(IPO.ConferenceSeries),
    str(IPO.ConferenceEdition),
    str(IPO.Meeting),
    str(IPO.PolicyDocument),
    str(IPO.SourceDocument),
    str(IPO.Jurisdiction),
)


def class_counts(kg: KnowledgeGraph, classes: Sequence[str]) -> dict[str, int]:
    """Instances (with subclasses) of each class, one bounded aggregate."""
    query = f"""
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          VALUES ?c {{ {_values(classes)} }} ?s a ?t . ?t rdfs:subClassOf* ?c
        }} GROUP BY ?c LIMIT {len(classes)}"""
    counts = {c: 0 for c in classes}
    for row in kg.select(query):
        counts[row["c"].value] = int(row["n"].value)
    return counts


# ----------------------------------------------------------------- timelines


@dataclass(frozen=True)
class Span:
    """A dated fact on a timeline, with dates as given (their precision kept)."""

    iri: str  # the tenure or edition
    label: str
    who: str | None  # the person (tenures) or chair Land (editions)
    who_label: str | None
    start: ox.Literal | None
    end: ox.Literal | None
    as_of: ox.Literal | None  # the source's date, for open-ended facts
    start_year: float | None
    end_year: float | None
    open_ended: bool
    ordinal: int | None = None
    motto: ox.Literal | None = None


@dataclass
class TimelineRow:
    iri: str
    label: str
    spans: list[Span]


def year_of(literal: ox.Literal | None, *, end: bool = False) -> float | None:
    """A fractional year for a date of any precision (the start, or end, of the period)."""
    if literal is None:
        return None
    m = re.match(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", literal.value)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if month is None:
        return year + (1.0 if end else 0.0)
    if day is None:
        return year + (month - (0 if end else 1)) / 12
    return year + (month - 1) / 12 + (day - (0 if end else 1)) / 365


def _lit(row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal], name: str) -> ox.Literal | None:
    value = row.get(name)
    return value if isinstance(value, ox.Literal) else None


def _most_precise(row: dict[str, Any], key: str, name: str) -> dict[str, ox.Literal]:
    """The most precise of the dates sources give (``2013-01-02`` over ``2013-01``), typed."""
    values = row.get(key)
    dates = values.value.split() if isinstance(values, ox.Literal) else []
    if not dates:
        return {}
    best = max(dates, key=lambda d: (len(d), d))
    local = {4: "gYear", 7: "gYearMonth"}.get(len(best), "date")
    return {name: ox.Literal(best, datatype=ox.NamedNode(str(XSD[local])))}


def office_timeline(kg: KnowledgeGraph, *, lang: str, limit: int = 500) -> list[TimelineRow]:
    """Each office with its tenures (holder, start, end, the source's date when open)."""
    query = f"""
        SELECT ?office ?tenure ?person
               (GROUP_CONCAT(DISTINCT STR(?s); separator=" ") AS ?starts)
               (GROUP_CONCAT(DISTINCT STR(?e); separator=" ") AS ?ends) (MAX(STR(?d)) AS ?asof)
        WHERE {{
          ?tenure a ipo:Tenure ; ipo:office ?office ; org:member ?person .
          OPTIONAL {{ ?tenure schema:startDate ?s }}
          OPTIONAL {{ ?tenure schema:endDate ?e }}
          OPTIONAL {{ ?tenure prov:wasDerivedFrom ?src . ?src dcterms:date ?d }}
        }} GROUP BY ?office ?tenure ?person ORDER BY ?office ?tenure LIMIT {limit}"""
    rows = [
        {**r, **_most_precise(r, "starts", "start"), **_most_precise(r, "ends", "end")}
        for r in kg.select(query)
    ]
    names = labels(
        kg,
        [r[k].value for r in rows for k in ("office", "tenure", "person") if k in r],
        lang,
    )
    out: dict[str, TimelineRow] = {}
    for r in rows:
        office = r["office"].value
        person = r["person"].value
        start, end, as_of = _lit(r, "start"), _lit(r, "end"), _lit(r, "asof")
        row = out.setdefault(office, TimelineRow(office, _name(names, office), []))
        row.spans.append(
            Span(
                iri=r["tenure"].value,
                label=_name(names, r["tenure"].value),
                who=person,
                who_label=_name(names, person),
                start=start,
                end=end,
                as_of=as_of,
                start_year=year_of(start),
                end_year=year_of(end, end=True) if end else year_of(as_of, end=True),
                open_ended=end is None,
            )
        )
    return sorted(out.values(), key=lambda r: r.label.lower())


def conference_timeline(kg: KnowledgeGraph, *, lang: str, limit: int = 500) -> list[Span]:
    """The editions of every conference series, by ordinal, with chair Land and period."""
    query = f"""
        SELECT ?edition (SAMPLE(?o) AS ?ordinal) (SAMPLE(?chair) AS ?land)
               (SAMPLE(?s) AS ?start) (SAMPLE(?e) AS ?end) (SAMPLE(?dur) AS ?duration)
               (SAMPLE(?m) AS ?motto) (MIN(?ms) AS ?meeting)
        WHERE {{
          ?edition a ipo:ConferenceEdition .
          OPTIONAL {{ ?edition ipo:seriesOrdinal ?o }}
          OPTIONAL {{ ?edition ipo:chairLand ?chair }}
          OPTIONAL {{ ?edition schema:startDate ?s }}
          OPTIONAL {{ ?edition schema:endDate ?e }}
          OPTIONAL {{ ?edition schema:duration ?dur }}
          OPTIONAL {{ ?edition ipo:motto ?m }}
          OPTIONAL {{ ?meet schema:superEvent ?edition ; schema:startDate ?ms }}
        }} GROUP BY ?edition ORDER BY ?ordinal ?edition LIMIT {limit}"""
    rows = list(kg.select(query))
    names = labels(kg, [r[k].value for r in rows for k in ("edition", "land") if k in r], lang)
    spans = []
    for r in rows:
        start, end = _lit(r, "start"), _lit(r, "end")
        duration, meeting = _lit(r, "duration"), _lit(r, "meeting")
        start_year = year_of(start) if start else year_of(meeting)
        end_year = year_of(end, end=True) if end else None
        if end_year is None and start_year is not None and duration is not None:
            years = re.fullmatch(r"P(\d+)Y", duration.value)
            end_year = start_year + int(years.group(1)) if years else None
        land = r.get("land")
        motto = _lit(r, "motto")
        ordinal = _lit(r, "ordinal")
        spans.append(
            Span(
                iri=r["edition"].value,
                label=_name(names, r["edition"].value),
                who=land.value if land is not None else None,
                who_label=_name(names, land.value) if land is not None else None,
                start=start,
                end=end,
                as_of=meeting,
                start_year=start_year,
                end_year=end_year,
                open_ended=end is None and duration is None,
                ordinal=int(ordinal.value) if ordinal is not None else None,
                motto=motto,
            )
        )
    return spans


def _name(names: dict[str, ox.Literal], iri: str) -> str:
    literal = names.get(iri)
    return literal.value if literal is not None else compact(iri)


# ----------------------------------------------------------------- vocabulary display


def is_class_term(kg: KnowledgeGraph, iri: str) -> bool:
    return kg.ask(f"ASK {{ <{iri}> a owl:Class }}")


# ----------------------------------------------------------------- serialisation

#: RDF formats a document is offered in (format name → media type).
RDF_MEDIA_TYPES: Final[dict[str, str]] = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}

#: Prefixes of the vocabularies of the dataset description, beside :data:`PREFIXES`.
EXTRA_PREFIXES: Final[dict[str, str]] = {
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "spdx": "http://spdx.org/rdf/terms#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "shape": str(SHAPES),
}


def json_ld_context() -> dict[str, str]:
    """The JSON-LD context documents are compacted with: the project's prefixes."""
    return {**PREFIXES, **EXTRA_PREFIXES}


def serialize(triples: Sequence[ox.Triple], fmt: str, *, context_url: str | None = None) -> bytes:
    """``triples`` in ``fmt`` (a key of :data:`RDF_MEDIA_TYPES`).

    Turtle, N-Triples and RDF/XML are written by pyoxigraph; JSON-LD by rdflib, compacted
    with :func:`json_ld_context`, whose ``@context`` is then replaced by ``context_url``
    (the published copy of the same context) when given.
    """
    prefixes = json_ld_context()
    if fmt == "jsonld":
        import json

        from rdflib import Graph

        from kg.dataset import to_rdflib_term

        graph = Graph()
        for t in triples:
            graph.add(
                (to_rdflib_term(t.subject), to_rdflib_term(t.predicate), to_rdflib_term(t.object))
            )
        text = graph.serialize(format="json-ld", context=prefixes, indent=2)
        document = json.loads(text)
        if context_url is not None and isinstance(document, dict):
            document["@context"] = context_url
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    from kg.export import tidy_prefixes

    formats = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
    }
    if fmt not in formats:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(RDF_MEDIA_TYPES)}")
    rdf_format = formats[fmt]
    if rdf_format == ox.RdfFormat.TURTLE:
        data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
        assert data is not None
        return tidy_prefixes(data)
    if rdf_format == ox.RdfFormat.RDF_XML:
        data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    else:
        data = ox.serialize(triples, format=rdf_format)
    assert data is not None
    return data


# ----------------------------------------------------------------- suggestions

# The example queries of the home page and the query page are the named queries of the
# catalogue (kg.named_queries, queries/*.rq).


def suggest(kg: KnowledgeGraph, iri: str, *, lang: str, limit: int = 8) -> list[Item]:
    """Resources the user may have meant by an unknown ``iri``: close slugs, shared words."""
    import difflib

    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    namespace = iri[: len(iri) - len(tail)]
    candidates = [
        row["s"].value
        for row in kg.select(
            f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && "
            f"STRSTARTS(STR(?s), {ox.Literal(namespace)})) }} LIMIT 20000"
        )
    ]
    by_slug = {c[len(namespace) :]: c for c in candidates}
    close = difflib.get_close_matches(tail.lower(), list(by_slug), n=limit, cutoff=0.6)
    found = [by_slug[c] for c in close]
    for word in (w for w in re.split(r"[^a-z0-9]+", tail.lower()) if len(w) > 3):
        if len(found) >= limit:
            break
        for item in search(kg, word, lang=lang, page_size=limit).items:
            if item.iri not in found:
                found.append(item.iri)
    return _items(kg, found[:limit], lang)
