"""The dataset's self-description: VoID statistics and a DCAT-AP.de record, as RDF.

* **VoID** (W3C Interest Group Note "Describing Linked Datasets with the VoID Vocabulary"):
  the dataset ``https://w3id.org/ipkg/`` (:data:`DATASET`) with ``void:triples`` (distinct
  triples of the union of all graphs, the default graph of ``/sparql``),
  ``void:entities`` (IRIs under ``…/id/`` used as subject: ``void:uriSpace``),
  ``void:classes``, ``void:properties``, ``void:distinctSubjects``,
  ``void:distinctObjects``, a ``void:classPartition`` per class and a
  ``void:propertyPartition`` per property, and one ``void:subset`` per named graph (the
  graph's IRI, with its triples and entities: the same numbers the SPARQL Service
  Description gives). Plus ``void:sparqlEndpoint``, ``void:dataDump`` (each dump of
  :mod:`kg.dumps`), ``void:uriSpace``, ``void:vocabulary``, ``void:exampleResource``,
  ``void:feature`` (the formats resources are served in) and ``dcterms:license``.
* **DCAT-AP.de** (the German application profile of DCAT-AP, used by GovData and the
  open-data portals of the Länder): a ``dcat:Catalog`` holding the dataset (also a
  ``dcat:Dataset``) with title and description in German and English, publisher, contact
  point, keywords, themes (EU data-theme vocabulary), languages, spatial and temporal
  coverage, ``dcatde:politicalGeocodingLevelURI``, issued, modified, landing page, access
  rights; one ``dcat:Distribution`` per dump (download and access URL, IANA media type,
  EU file type, compression format, byte size, SHA-256 as ``spdx:checksum``, the licence
  from the DCAT-AP.de licence vocabulary with ``dcatde:licenseAttributionByText``); and
  the SPARQL endpoint as a ``dcat:DataService`` (endpoint URL and description).

Statistics are computed from the store (:func:`statistics`); URLs where the service can
be reached (endpoint, dumps, landing page) come from the caller, because they depend on
where the server runs. The IRIs of the dataset and its parts do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import pyoxigraph as ox
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, VOID, XSD

from kg.dumps import Dump
from kg.namespaces import DATASET as DATASET_IRI
from kg.namespaces import ID, ONTOLOGY_IRI, PREFIXES, VCARD, dataset_part
from kg.store import KnowledgeGraph

__all__ = [
    "DATASET",
    "DATA_LICENSE",
    "Statistics",
    "dataset_triples",
    "statistics",
]

#: The dataset: its IRI is the base of all its IRIs (the home page in HTML).
DATASET: Final = str(DATASET_IRI)
CATALOG: Final = dataset_part("catalog")
PUBLISHER: Final = dataset_part("publisher")
CONTACT: Final = dataset_part("contact")
SPARQL_SERVICE: Final = dataset_part("sparql")
SPARQL_DISTRIBUTION: Final = dataset_part("sparql-endpoint")

#: The licence of the data (Creative Commons Attribution 4.0).
DATA_LICENSE: Final = "https://creativecommons.org/licenses/by/4.0/"
#: The same licence in the DCAT-AP.de licence vocabulary.
DCATAP_DE_LICENSE: Final = "http://dcat-ap.de/def/licenses/cc-by/4.0"
ATTRIBUTION: Final = "Wissensgraph Integrationspolitik (Integration Policy Knowledge Graph)"

DCATDE: Final = "http://dcat-ap.de/def/dcatde/"
SPDX: Final = "http://spdx.org/rdf/terms#"
SD: Final = "http://www.w3.org/ns/sparql-service-description#"
EU: Final = "http://publications.europa.eu/resource/authority/"
IANA: Final = "http://www.iana.org/assignments/media-types/"
FORMATS_NS: Final = "http://www.w3.org/ns/formats/"

_FILE_TYPES: Final = {"trig": "RDF_TRIG", "nquads": "RDF_N_QUADS", "turtle": "RDF_TURTLE"}
_FEATURES: Final = ("Turtle", "JSON-LD", "N-Triples", "RDF_XML")

TITLE: Final = {
    "de": "Wissensgraph Integrationspolitik",
    "en": "Integration Policy Knowledge Graph",
}
DESCRIPTION: Final = {
    "de": "Offener Wissensgraph der Steuerung der Integrationspolitik in Deutschland: die "
    "Integrationsbeauftragten von Bund und Ländern, die für Integration zuständigen "
    "Ministerien, Härtefallkommissionen, interministerielle Arbeitsgruppen, Beiräte und die "
    "Integrationsministerkonferenz (IntMK) mit ihrem wechselnden Vorsitzland. Jede Aussage "
    "steht im benannten Graphen des Quelldokuments, das sie trifft.",
    "en": "An open knowledge graph of Germany's integration-policy governance: the "
    "integration commissioners of the Federation and the Länder, the ministries that carry "
    "integration, hardship commissions, inter-ministerial working groups, advisory councils "
    "and the conference of integration ministers (IntMK) with its rotating chair Land. Every "
    "statement sits in the named graph of the source document that states it.",
}
KEYWORDS: Final = {
    "de": (
        "Integrationspolitik",
        "Integrationsbeauftragte",
        "Integrationsministerkonferenz",
        "Härtefallkommission",
        "Linked Data",
    ),
    "en": ("integration policy", "integration commissioner", "linked data"),
}
PUBLISHER_NAME: Final = "Integration Policy Knowledge Graph maintainers"


@dataclass(frozen=True)
class GraphStatistics:
    triples: int
    entities: int


@dataclass(frozen=True)
class Statistics:
    """Counts over the union of all graphs (see the module docstring)."""

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int
    class_partitions: dict[str, int] = field(default_factory=dict)
    property_partitions: dict[str, int] = field(default_factory=dict)
    graphs: dict[str, GraphStatistics] = field(default_factory=dict)
    earliest: ox.Literal | None = None
    latest: ox.Literal | None = None
    example: str | None = None
    issued: ox.Literal | None = None
    version: str | None = None


def _int(kg: KnowledgeGraph, query: str) -> int:
    (row,) = kg.select(query)
    return int(row["n"].value)


_DATES = "schema:startDate|schema:endDate|dcterms:date|dcterms:issued"


def _date(kg: KnowledgeGraph, order: str) -> ox.Literal | None:
    query = (
        f"SELECT ?d WHERE {{ ?s {_DATES} ?d FILTER(REGEX(STR(?d), '^[0-9]{{4}}')) }} "
        f"ORDER BY {order}(STR(?d)) LIMIT 1"
    )
    for row in kg.select(query):
        value = row["d"]
        if isinstance(value, ox.Literal):
            return value
    return None


def statistics(kg: KnowledgeGraph) -> Statistics:
    """The VoID statistics of ``kg``: aggregates over the whole store (run once, cache it)."""
    space = f'STRSTARTS(STR(?s), "{ID}")'
    classes = {
        row["c"].value: int(row["n"].value)
        for row in kg.select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"
        )
    }
    properties = {
        row["p"].value: int(row["n"].value)
        for row in kg.select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
    }
    graph_triples = {
        row["g"].value: int(row["n"].value)
        for row in kg.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
    }
    # Counted here from the distinct (graph, entity) pairs, and with STRSTARTS alone (a subject
    # under …/id/ is an IRI): the same numbers as COUNT(DISTINCT ?s) … GROUP BY ?g with isIRI,
    # which Virtuoso 7.2 takes 16 s for over 150 named graphs (0.25 s like this).
    graph_entities: dict[str, int] = {}
    for row in kg.select(
        f"SELECT DISTINCT ?g ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER({space}) }} }}"
    ):
        graph_entities[row["g"].value] = graph_entities.get(row["g"].value, 0) + 1
    example = next(
        (
            row["s"].value
            for row in kg.select(
                "SELECT ?s WHERE { ?s a ipo:Person ; skos:prefLabel ?l } ORDER BY ?s LIMIT 1"
            )
        ),
        None,
    )
    issued = next(
        (
            row["d"]
            for row in kg.select(
                f"SELECT ?d WHERE {{ <{ONTOLOGY_IRI}> dcterms:created ?d }} LIMIT 1"
            )
        ),
        None,
    )
    version = next(
        (
            row["v"].value
            for row in kg.select(
                f"SELECT ?v WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?v }} LIMIT 1"
            )
        ),
        None,
    )
    return Statistics(
        triples=_int(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        entities=_int(
            kg,
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && {space}) }}",
        ),
        classes=len(classes),
        properties=len(properties),
        distinct_subjects=_int(kg, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_objects=_int(kg, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        class_partitions=dict(sorted(classes.items())),
        property_partitions=dict(sorted(properties.items())),
        graphs={
            g: GraphStatistics(n, graph_entities.get(g, 0))
            for g, n in sorted(graph_triples.items())
        },
        earliest=_date(kg, "ASC"),
        latest=_date(kg, "DESC"),
        example=example,
        issued=issued if isinstance(issued, ox.Literal) else None,
        version=version,
    )


# ----------------------------------------------------------------- RDF


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _integer(value: int, datatype: str = str(XSD.integer)) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(datatype))


class _Triples:
    def __init__(self) -> None:
        self.items: list[ox.Triple] = []
        self._blank = 0

    def add(self, s: str | ox.BlankNode, p: str, o: str | ox.Literal | ox.BlankNode) -> None:
        subject = _n(s) if isinstance(s, str) else s
        obj = _n(o) if isinstance(o, str) else o
        self.items.append(ox.Triple(subject, _n(p), obj))

    def blank(self, hint: str) -> ox.BlankNode:
        self._blank += 1
        return ox.BlankNode(f"{hint}{self._blank}")


def _text(value: str, lang: str) -> ox.Literal:
    return ox.Literal(value, language=lang)


def _vocabularies(properties: Iterable[str]) -> list[str]:
    used = set()
    for prop in properties:
        for ns in PREFIXES.values():
            if prop.startswith(ns) and "/id/" not in ns and "/graph/" not in ns:
                used.add(ns)
    return sorted(used)


def dataset_triples(
    stats: Statistics,
    dumps: Sequence[Dump],
    *,
    base_url: str,
    modified: datetime,
    graph_labels: dict[str, ox.Literal] | None = None,
    sources: dict[str, str] | None = None,
) -> list[ox.Triple]:
    """VoID and DCAT-AP.de of the dataset as triples.

    ``base_url`` is where the service is reached (``http://127.0.0.1:8000/`` locally, the
    public base in production): the endpoint, dump and landing-page URLs are made from it.
    ``sources`` maps each named graph to the source document it is derived from.
    """
    t = _Triples()
    rdf_type = str(RDF.type)
    ds = DATASET
    endpoint = base_url + "sparql"
    t.add(ds, rdf_type, str(VOID.Dataset))
    t.add(ds, rdf_type, str(DCAT.Dataset))
    for lang in ("de", "en"):
        t.add(ds, str(DCTERMS.title), _text(TITLE[lang], lang))
        t.add(ds, str(DCTERMS.description), _text(DESCRIPTION[lang], lang))
        for word in KEYWORDS[lang]:
            t.add(ds, str(DCAT.keyword), _text(word, lang))
    t.add(ds, str(DCTERMS.identifier), ox.Literal(DATASET))
    t.add(ds, str(DCTERMS.license), DATA_LICENSE)
    t.add(ds, str(DCTERMS.publisher), PUBLISHER)
    t.add(ds, str(DCTERMS.creator), PUBLISHER)
    t.add(ds, str(DCAT.contactPoint), CONTACT)
    t.add(ds, str(FOAF.homepage), base_url)
    t.add(ds, str(DCAT.landingPage), base_url)
    t.add(ds, str(DCTERMS.conformsTo), str(ONTOLOGY_IRI))
    t.add(
        ds, str(DCTERMS.modified), ox.Literal(modified.isoformat(), datatype=_n(str(XSD.dateTime)))
    )
    if stats.issued is not None:
        t.add(ds, str(DCTERMS.issued), stats.issued)
    if stats.version:
        t.add(ds, str(OWL.versionInfo), ox.Literal(stats.version))
    t.add(ds, str(DCTERMS.language), EU + "language/DEU")
    t.add(ds, str(DCTERMS.language), EU + "language/ENG")
    t.add(ds, str(DCTERMS.spatial), EU + "country/DEU")
    t.add(ds, str(DCTERMS.accessRights), EU + "access-right/PUBLIC")
    t.add(ds, str(DCAT.theme), EU + "data-theme/GOVE")
    t.add(ds, str(DCAT.theme), EU + "data-theme/SOCI")
    t.add(
        ds,
        DCATDE + "politicalGeocodingLevelURI",
        "http://dcat-ap.de/def/politicalGeocoding/Level/federal",
    )
    t.add(
        ds,
        DCATDE + "politicalGeocodingLevelURI",
        "http://dcat-ap.de/def/politicalGeocoding/Level/state",
    )
    if stats.earliest is not None or stats.latest is not None:
        period = t.blank("period")
        t.add(ds, str(DCTERMS.temporal), period)
        t.add(period, rdf_type, str(DCTERMS.PeriodOfTime))
        if stats.earliest is not None:
            t.add(period, str(DCAT.startDate), stats.earliest)
        if stats.latest is not None:
            t.add(period, str(DCAT.endDate), stats.latest)

    # VoID: access, statistics, partitions
    t.add(ds, str(VOID.sparqlEndpoint), endpoint)
    t.add(ds, str(VOID.uriSpace), ox.Literal(str(ID)))
    t.add(ds, str(VOID.rootResource), str(ONTOLOGY_IRI))
    if stats.example:
        t.add(ds, str(VOID.exampleResource), stats.example)
    for feature in _FEATURES:
        t.add(ds, str(VOID.feature), FORMATS_NS + feature)
    for vocabulary in _vocabularies(stats.property_partitions):
        t.add(ds, str(VOID.vocabulary), vocabulary)
    t.add(ds, str(VOID.triples), _integer(stats.triples))
    t.add(ds, str(VOID.entities), _integer(stats.entities))
    t.add(ds, str(VOID.classes), _integer(stats.classes))
    t.add(ds, str(VOID.properties), _integer(stats.properties))
    t.add(ds, str(VOID.distinctSubjects), _integer(stats.distinct_subjects))
    t.add(ds, str(VOID.distinctObjects), _integer(stats.distinct_objects))
    for cls, n in stats.class_partitions.items():
        part = t.blank("class")
        t.add(ds, str(VOID.classPartition), part)
        t.add(part, str(VOID["class"]), cls)
        t.add(part, str(VOID.entities), _integer(n))
    for prop, n in stats.property_partitions.items():
        part = t.blank("property")
        t.add(ds, str(VOID.propertyPartition), part)
        t.add(part, str(VOID.property), prop)
        t.add(part, str(VOID.triples), _integer(n))
    for graph, gs in stats.graphs.items():
        t.add(ds, str(VOID.subset), graph)
        t.add(graph, rdf_type, str(VOID.Dataset))
        t.add(graph, str(VOID.triples), _integer(gs.triples))
        t.add(graph, str(VOID.entities), _integer(gs.entities))
        if graph_labels and graph in graph_labels:
            t.add(graph, str(SKOS.prefLabel), graph_labels[graph])
        if sources and graph in sources:
            t.add(graph, str(DCTERMS.source), sources[graph])

    # DCAT: distributions with checksums
    for dump in dumps:
        url = base_url + "dumps/" + dump.name
        dist = dataset_part("dump-" + dump.name.replace(".", "-"))
        t.add(ds, str(VOID.dataDump), url)
        t.add(ds, str(DCAT.distribution), dist)
        t.add(dist, rdf_type, str(DCAT.Distribution))
        t.add(dist, str(DCTERMS.title), _text(dump.file.title_de, "de"))
        t.add(dist, str(DCTERMS.title), _text(dump.file.title_en, "en"))
        t.add(dist, str(DCAT.accessURL), url)
        t.add(dist, str(DCAT.downloadURL), url)
        t.add(dist, str(DCAT.mediaType), IANA + dump.file.media_type)
        t.add(dist, str(DCTERMS.format), EU + "file-type/" + _FILE_TYPES[dump.file.format])
        if dump.file.gzip:
            t.add(dist, str(DCAT.compressFormat), IANA + "application/gzip")
        t.add(dist, str(DCAT.byteSize), _integer(dump.size, str(XSD.nonNegativeInteger)))
        t.add(dist, str(DCTERMS.license), DCATAP_DE_LICENSE)
        t.add(dist, DCATDE + "licenseAttributionByText", _text(ATTRIBUTION, "de"))
        t.add(
            dist,
            str(DCTERMS.modified),
            ox.Literal(modified.isoformat(), datatype=_n(str(XSD.dateTime))),
        )
        checksum = t.blank("checksum")
        t.add(dist, SPDX + "checksum", checksum)
        t.add(checksum, rdf_type, SPDX + "Checksum")
        t.add(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
        t.add(
            checksum,
            SPDX + "checksumValue",
            ox.Literal(dump.sha256, datatype=_n(str(XSD.hexBinary))),
        )

    # DCAT: the SPARQL endpoint as a data service, and a distribution through it
    service = SPARQL_SERVICE
    t.add(service, rdf_type, str(DCAT.DataService))
    t.add(service, str(DCTERMS.title), _text("SPARQL-Endpunkt", "de"))
    t.add(service, str(DCTERMS.title), _text("SPARQL endpoint", "en"))
    t.add(service, str(DCAT.endpointURL), endpoint)
    t.add(service, str(DCAT.endpointDescription), endpoint)
    t.add(service, str(DCAT.servesDataset), ds)
    t.add(service, str(DCTERMS.conformsTo), "https://www.w3.org/TR/sparql11-protocol/")
    t.add(service, str(DCTERMS.license), DCATAP_DE_LICENSE)
    t.add(service, rdf_type, SD + "Service")
    t.add(service, SD + "endpoint", endpoint)
    t.add(ds, str(DCAT.distribution), SPARQL_DISTRIBUTION)
    t.add(SPARQL_DISTRIBUTION, rdf_type, str(DCAT.Distribution))
    t.add(SPARQL_DISTRIBUTION, str(DCTERMS.title), _text("Abfrage mit SPARQL", "de"))
    t.add(SPARQL_DISTRIBUTION, str(DCTERMS.title), _text("Query with SPARQL", "en"))
    t.add(SPARQL_DISTRIBUTION, str(DCAT.accessURL), endpoint)
    t.add(SPARQL_DISTRIBUTION, str(DCAT.accessService), service)
    t.add(SPARQL_DISTRIBUTION, str(DCTERMS.license), DCATAP_DE_LICENSE)
    t.add(SPARQL_DISTRIBUTION, DCATDE + "licenseAttributionByText", _text(ATTRIBUTION, "de"))

    # DCAT: catalogue, publisher, contact point
    t.add(CATALOG, rdf_type, str(DCAT.Catalog))
    for lang in ("de", "en"):
        t.add(CATALOG, str(DCTERMS.title), _text(TITLE[lang], lang))
        t.add(CATALOG, str(DCTERMS.description), _text(DESCRIPTION[lang], lang))
    t.add(CATALOG, str(DCTERMS.publisher), PUBLISHER)
    t.add(CATALOG, str(FOAF.homepage), base_url)
    t.add(CATALOG, str(DCTERMS.language), EU + "language/DEU")
    t.add(CATALOG, str(DCTERMS.license), DCATAP_DE_LICENSE)
    t.add(
        CATALOG,
        str(DCTERMS.modified),
        ox.Literal(modified.isoformat(), datatype=_n(str(XSD.dateTime))),
    )
    t.add(CATALOG, str(DCAT.dataset), ds)
    t.add(CATALOG, str(DCAT.service), service)
    t.add(PUBLISHER, rdf_type, str(FOAF.Organization))
    t.add(PUBLISHER, str(FOAF.name), ox.Literal(PUBLISHER_NAME))
    t.add(PUBLISHER, str(FOAF.homepage), base_url)
    t.add(CONTACT, rdf_type, str(VCARD.Organization))
    t.add(CONTACT, str(VCARD.fn), ox.Literal(PUBLISHER_NAME))
    t.add(CONTACT, str(VCARD.hasURL), base_url)
    t.add(ds, str(RDFS.seeAlso), base_url + ".well-known/void")
    return t.items
