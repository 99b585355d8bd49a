"""Ontology hygiene: header, labels and definitions in both languages, alignment."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.namespaces import IPO, ONTOLOGY_IRI, PREFIXES

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "ipo.ttl"
STANDARD = tuple(
    PREFIXES[p] for p in ("org", "schema", "foaf", "prov", "skos", "vcard", "dcterms", "cv")
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


def own_terms(g: Graph) -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
    terms = {s for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(str(IPO))}
    return sorted(t for t in terms if isinstance(t, URIRef))


def test_header_has_version_licence_creators_and_dates(ontology: Graph) -> None:
    for prop in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.license,
        DCTERMS.creator,
        DCTERMS.modified,
    ):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, f"ontology header lacks {prop}"
    version = str(ontology.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionIRI)).endswith("/" + version)


def test_every_term_lives_in_the_ontology_namespace(ontology: Graph) -> None:
    assert len(own_terms(ontology)) >= 40


@pytest.mark.parametrize("prop", [RDFS.label, SKOS.definition])
def test_every_term_has_one_german_and_one_english_text(ontology: Graph, prop: URIRef) -> None:
    missing = []
    for term in own_terms(ontology):
        langs = sorted(lit.language or "" for lit in ontology.objects(term, prop))
        if langs != ["de", "en"]:
            missing.append(f"{term} {prop}: {langs}")
    assert not missing, "\n".join(missing)


def test_every_class_and_property_is_aligned_to_a_standard_vocabulary(ontology: Graph) -> None:
    """Each ipo: class/property reaches a standard term through subClassOf/subPropertyOf
    (directly or via another ipo: term), or names one with rdfs:seeAlso; a term for which
    no standard term fits says so in an English skos:editorialNote."""
    unaligned = []
    for term in own_terms(ontology):
        if (term, RDF.type, OWL.NamedIndividual) in ontology:
            continue
        supers = set(ontology.transitive_objects(term, RDFS.subClassOf))
        supers |= set(ontology.transitive_objects(term, RDFS.subPropertyOf))
        supers |= set(ontology.objects(term, RDFS.seeAlso))
        notes = [str(n) for n in ontology.objects(term, SKOS.editorialNote)]
        if any(n.startswith("No standard term says this") for n in notes):
            continue
        if not any(str(s).startswith(STANDARD) for s in supers):
            unaligned.append(str(term))
    assert not unaligned, unaligned


def test_every_domain_and_range_is_defined_or_standard(ontology: Graph) -> None:
    undefined = []
    for prop in (RDFS.domain, RDFS.range):
        for term, cls in ontology.subject_objects(prop):
            if str(cls).startswith(str(IPO)) and (cls, RDF.type, OWL.Class) not in ontology:
                undefined.append(f"{term} {prop} {cls}")
    assert not undefined, undefined
