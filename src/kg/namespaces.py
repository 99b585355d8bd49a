"""Namespaces and IRI minting: the one place where the graph's IRIs are made.

IRI policy (documented in README, "IRI policy"):

* ``BASE`` = ``https://w3id.org/ipkg/`` is the persistent base of the dataset.
* The ontology is a hash namespace, ``BASE + "ontology#"`` (prefix ``ipo:``); its
  document IRI is ``BASE + "ontology"`` and each release has a version IRI
  ``BASE + "ontology/<version>"``.
* Every resource the data describes is ``BASE + "id/<kind>/<slug>"`` where
  ``<kind>`` is one of :data:`KINDS` and ``<slug>`` follows :data:`SLUG_PATTERN`:
  lower-case ASCII letters and digits, words joined by ``-``, parts of a compound
  slug (a tenure: person and office) joined by ``--``. German letters are
  transliterated (ä→ae, ö→oe, ü→ue, ß→ss; see :func:`slugify`).
* Named graphs are ``BASE + "graph/<source-slug>"``; the source document a graph
  is extracted from is ``BASE + "id/source/<source-slug>"``.

Other modules, tests and ``.rq`` files never concatenate the base: they use
:func:`mint`, the :data:`KINDS` namespaces or the prefixes in :data:`PREFIXES`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

BASE: Final = "https://w3id.org/ipkg/"

IPO: Final = Namespace(BASE + "ontology#")
ONTOLOGY_IRI: Final = URIRef(BASE + "ontology")
GRAPH: Final = Namespace(BASE + "graph/")
ID: Final = Namespace(BASE + "id/")
SHAPES: Final = Namespace(BASE + "shapes#")
#: The dataset itself (VoID, DCAT): its IRI is the base; its home page in HTML.
DATASET: Final = URIRef(BASE)
#: Types of the API's problem documents (RFC 9457), e.g. ``PROBLEMS["query-timeout"]``.
PROBLEMS: Final = Namespace(BASE + "problems/")
#: What ``kg publish`` keeps in a remote store beside the named graphs (:mod:`kg.publish`):
#: the merge of all graphs (``PUBLICATION["default"]``), the manifest graph, staging graphs,
#: and the terms of the manifest (``PUBLICATION["generation"]`` …). Never part of the data.
PUBLICATION: Final = Namespace(BASE + "publication/")

ORG: Final = Namespace("http://www.w3.org/ns/org#")
SCHEMA: Final = Namespace("http://schema.org/")
VCARD: Final = Namespace("http://www.w3.org/2006/vcard/ns#")
CV: Final = Namespace("http://data.europa.eu/m8g/")
VANN: Final = Namespace("http://purl.org/vocab/vann/")

#: The kinds of resource the dataset mints, each with its own namespace.
KINDS: Final[tuple[str, ...]] = (
    "land",  # the 16 Länder and the Bund
    "person",
    "office",  # a post, independent of its holder
    "tenure",  # a person holding an office
    "membership",  # a person or body in a body, with a role
    "body",  # ministries, governments, agencies, associations
    "unit",  # organisational units: Stabsstelle, Referat, Koordinierungsstelle ...
    "committee",  # Härtefallkommission, IMAG, Beirat, alliances, minister conferences
    "series",  # event series: the IntMK series, a yearly Fachtag
    "edition",  # a numbered edition of a conference series (chair year)
    "event",  # a meeting: main conference, Fachtag, press conference
    "document",  # policy documents and their parts
    "source",  # source documents the facts come from
    "task",
    "topic",
    "field",  # fields of action (Handlungsfelder) of policy documents
    "contact",  # contact points
    "address",
    "role",
    "kind",  # kinds of committee, unit and event (SKOS concepts)
    "scheme",  # SKOS concept schemes
    "change",  # organisational change events
    "place",
)

#: One namespace per kind: ``NS["person"]["susi-moebbeck"]``.
NS: Final[dict[str, Namespace]] = {kind: Namespace(f"{ID}{kind}/") for kind in KINDS}

SLUG_PATTERN: Final = re.compile(r"^[a-z0-9]+(?:--?[a-z0-9]+)*$")

#: Prefixes bound in every serialisation, query and report, in this order.
PREFIXES: Final[dict[str, str]] = {
    "ipo": str(IPO),
    "graph": str(GRAPH),
    **{kind: str(ns) for kind, ns in NS.items()},
    "org": str(ORG),
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "cv": str(CV),
    "vann": str(VANN),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
    "shape": str(SHAPES),
}

_TRANSLITERATION: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class InvalidSlugError(ValueError):
    """A slug or kind that the IRI policy does not allow."""


def slugify(text: str) -> str:
    """A slug for a German name: ``"Härtefallkommission BB"`` → ``haertefallkommission-bb``."""
    lowered = text.lower().translate(_TRANSLITERATION)
    ascii_only = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def mint(kind: str, slug: str) -> URIRef:
    """The IRI of the resource of ``kind`` called ``slug``; refuses anything off-policy."""
    if kind not in NS:
        raise InvalidSlugError(f"unknown kind {kind!r}; the kinds are: {', '.join(KINDS)}")
    if not SLUG_PATTERN.match(slug):
        raise InvalidSlugError(
            f"slug {slug!r} is not lower-case ASCII words joined by '-' (parts by '--'); "
            f"try {slugify(slug)!r}"
        )
    return NS[kind][slug]


def graph_iri(source_slug: str) -> URIRef:
    """The named graph holding the facts extracted from source ``source_slug``."""
    if not SLUG_PATTERN.match(source_slug):
        raise InvalidSlugError(f"graph slug {source_slug!r} is not a valid slug")
    return GRAPH[source_slug]


def split_resource_iri(iri: str) -> tuple[str, str] | None:
    """``(kind, slug)`` for an IRI minted by :func:`mint`, otherwise ``None``."""
    if not iri.startswith(str(ID)):
        return None
    kind, _, slug = iri[len(str(ID)) :].partition("/")
    if kind not in NS or not SLUG_PATTERN.match(slug):
        return None
    return kind, slug


def dataset_part(name: str) -> str:
    """A hash IRI of a part of the dataset's description: ``#catalog``, ``#sparql`` …"""
    if not SLUG_PATTERN.match(name):
        raise InvalidSlugError(f"dataset part {name!r} is not a valid slug")
    return f"{BASE}#{name}"


def iri_for_path(path: str) -> str:
    """The canonical IRI a server path stands for: ``/id/person/x`` → ``…/id/person/x``."""
    return BASE + path.lstrip("/")


def path_for_iri(iri: str) -> str | None:
    """The server path (with fragment) of an IRI under the base; ``None`` for other IRIs."""
    if not iri.startswith(BASE):
        return None
    return "/" + iri[len(BASE) :]


def sparql_prefixes() -> str:
    """The PREFIX header for SPARQL text, generated from :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
