"""Dataset self-description and dumps over HTTP: VoID, DCAT-AP.de, checksums, agreement.

Statistics in VoID are checked against counts rdflib makes itself from the TriG dump;
the checksums in DCAT against the downloaded bytes; VoID against the SPARQL Service
Description of the same server.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID

from kg.linked_data import path_for_iri
from kg.namespaces import ID, mint

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
DCATDE = "http://dcat-ap.de/def/dcatde/"
FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/n-triples": "nt"}


def void_graph(client: TestClient, accept: str = "text/turtle") -> Graph:
    r = client.get("/.well-known/void", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == accept
    g = Graph()
    g.parse(data=r.content, format=FORMATS[accept])
    return g


def the_dataset(g: Graph) -> URIRef:
    (dataset,) = set(g.subjects(RDF.type, VOID.Dataset)) & set(g.subjects(RDF.type, DCAT.Dataset))
    assert isinstance(dataset, URIRef)
    return dataset


def integer(g: Graph, s: object, p: URIRef) -> int:
    value = g.value(s, p)  # type: ignore[arg-type]
    assert isinstance(value, Literal), (s, p)
    return int(value)


@pytest.fixture(scope="module")
def void(endpoint_client: TestClient) -> Graph:
    return void_graph(endpoint_client)


@pytest.fixture(scope="module")
def trig_dump(endpoint_client: TestClient) -> Dataset:
    r = endpoint_client.get("/dumps/ipkg.trig")
    assert r.status_code == 200
    ds = Dataset()
    ds.parse(data=r.content, format="trig")
    return ds


# ----------------------------------------------------------------- VoID


@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/n-triples"])
def test_void_is_served_at_the_well_known_location(
    endpoint_client: TestClient, accept: str
) -> None:
    g = void_graph(endpoint_client, accept)
    dataset = the_dataset(g)
    assert path_for_iri(str(dataset)) == "/"
    assert integer(g, dataset, VOID.triples) > 1000


def test_the_base_iri_is_the_dataset_html_for_people_void_for_machines(
    endpoint_client: TestClient,
) -> None:
    rdf = endpoint_client.get("/", headers={"Accept": "text/turtle"})
    g = Graph()
    g.parse(data=rdf.content, format="turtle")
    the_dataset(g)
    assert rdf.headers["content-location"].endswith("/.well-known/void.ttl")
    page = endpoint_client.get("/", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "/.well-known/void.ttl" in page.text and "/dumps/ipkg.trig" in page.text


def test_void_statistics_are_computed_from_the_graph(void: Graph, trig_dump: Dataset) -> None:
    dataset = the_dataset(void)
    union: set[tuple[object, object, object]] = set()
    per_graph: dict[str, int] = defaultdict(int)
    for s, p, o, g in trig_dump.quads((None, None, None, None)):
        union.add((s, p, o))
        per_graph[str(g)] += 1
    assert integer(void, dataset, VOID.triples) == len(union)
    classes = {o for s, p, o in union if p == RDF.type}
    properties = {p for _, p, _ in union}
    entities = {s for s, _, _ in union if isinstance(s, URIRef) and s.startswith(str(ID))}
    assert integer(void, dataset, VOID.classes) == len(classes)
    assert integer(void, dataset, VOID.properties) == len(properties)
    assert integer(void, dataset, VOID.entities) == len(entities)
    assert integer(void, dataset, VOID.distinctSubjects) == len({s for s, _, _ in union})
    assert integer(void, dataset, VOID.distinctObjects) == len({o for _, _, o in union})
    partitions = {
        void.value(part, VOID["class"]): integer(void, part, VOID.entities)
        for part in void.objects(dataset, VOID.classPartition)
    }
    persons = {
        s
        for s, p, o in union
        if p == RDF.type and o == URIRef("https://w3id.org/ipkg/ontology#Person")
    }
    assert partitions[URIRef("https://w3id.org/ipkg/ontology#Person")] == len(persons)
    assert set(partitions) == classes
    by_property = {
        void.value(part, VOID.property): integer(void, part, VOID.triples)
        for part in void.objects(dataset, VOID.propertyPartition)
    }
    assert sum(by_property.values()) == len(union)
    subsets = {str(g): integer(void, g, VOID.triples) for g in void.objects(dataset, VOID.subset)}
    assert subsets == dict(per_graph)


def test_void_and_the_service_description_agree(endpoint_client: TestClient, void: Graph) -> None:
    r = endpoint_client.get("/sparql", headers={"Accept": "text/turtle"})
    sd = Graph()
    sd.parse(data=r.content, format="turtle")
    (service,) = sd.subjects(RDF.type, URIRef(SD + "Service"))
    dataset = the_dataset(void)
    assert void.value(dataset, VOID.sparqlEndpoint) == sd.value(service, URIRef(SD + "endpoint"))
    default = sd.value(
        sd.value(service, URIRef(SD + "defaultDataset")), URIRef(SD + "defaultGraph")
    )
    assert integer(sd, default, VOID.triples) == integer(void, dataset, VOID.triples)
    named = {
        str(sd.value(n, URIRef(SD + "name"))): integer(
            sd, sd.value(n, URIRef(SD + "graph")), VOID.triples
        )
        for n in sd.objects(None, URIRef(SD + "namedGraph"))
    }
    subsets = {str(g): integer(void, g, VOID.triples) for g in void.objects(dataset, VOID.subset)}
    assert named == subsets


def test_void_names_licence_dumps_and_endpoint(void: Graph) -> None:
    dataset = the_dataset(void)
    assert void.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    dumps = {str(u).rpartition("/")[2] for u in void.objects(dataset, VOID.dataDump)}
    assert dumps == {"ipkg.trig", "ipkg.nq.gz", "ipkg.ttl"}
    assert str(void.value(dataset, VOID.sparqlEndpoint)) == "http://testserver/sparql"
    assert void.value(dataset, VOID.uriSpace) == Literal(str(ID))
    assert (dataset, VOID.exampleResource, None) in void


def test_every_resource_document_is_in_the_dataset(
    endpoint_client: TestClient, void: Graph
) -> None:
    dataset = the_dataset(void)
    for iri in (mint("person", "susi-moebbeck"), mint("land", "bund")):
        path = path_for_iri(str(iri))
        assert path is not None
        g = Graph()
        g.parse(data=endpoint_client.get(path + ".ttl").content, format="turtle")
        (document,) = g.subjects(FOAF.primaryTopic, iri)
        assert (document, VOID.inDataset, dataset) in g


# ----------------------------------------------------------------- DCAT-AP.de


def test_dcat_ap_de_record(void: Graph) -> None:
    dataset = the_dataset(void)
    for p in (DCTERMS.title, DCTERMS.description):
        assert {o.language for o in void.objects(dataset, p)} == {"de", "en"}  # type: ignore[union-attr]
    publisher = void.value(dataset, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Organization) in void
    assert void.value(dataset, DCAT.contactPoint) is not None
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE") in set(
        void.objects(dataset, DCAT.theme)
    )
    assert (
        dataset,
        URIRef(DCATDE + "politicalGeocodingLevelURI"),
        URIRef("http://dcat-ap.de/def/politicalGeocoding/Level/federal"),
    ) in void
    assert void.value(dataset, DCTERMS.modified) is not None
    assert void.value(dataset, DCTERMS.temporal) is not None
    (catalog,) = void.subjects(RDF.type, DCAT.Catalog)
    assert (catalog, DCAT.dataset, dataset) in void
    (service,) = void.subjects(RDF.type, DCAT.DataService)
    assert void.value(service, DCAT.endpointURL) == void.value(dataset, VOID.sparqlEndpoint)
    assert (service, DCAT.servesDataset, dataset) in void


def test_distributions_carry_checksums_that_match_the_downloads(
    endpoint_client: TestClient, void: Graph
) -> None:
    dataset = the_dataset(void)
    downloads = 0
    for dist in void.objects(dataset, DCAT.distribution):
        assert (dist, RDF.type, DCAT.Distribution) in void
        assert void.value(dist, DCTERMS.license) == URIRef(
            "http://dcat-ap.de/def/licenses/cc-by/4.0"
        )
        assert void.value(dist, URIRef(DCATDE + "licenseAttributionByText")) is not None
        assert void.value(dist, DCAT.accessURL) is not None
        url = void.value(dist, DCAT.downloadURL)
        if url is None:
            continue  # the SPARQL endpoint
        downloads += 1
        body = endpoint_client.get(str(url).removeprefix("http://testserver")).content
        checksum = void.value(dist, URIRef(SPDX + "checksum"))
        assert isinstance(checksum, BNode)
        assert void.value(checksum, URIRef(SPDX + "algorithm")) == URIRef(
            SPDX + "checksumAlgorithm_sha256"
        )
        assert (
            str(void.value(checksum, URIRef(SPDX + "checksumValue")))
            == hashlib.sha256(body).hexdigest()
        )
        assert integer(void, dist, DCAT.byteSize) == len(body)
        assert str(void.value(dist, DCAT.mediaType)).startswith(
            "http://www.iana.org/assignments/media-types/"
        )
        assert str(void.value(dist, DCTERMS.format)).startswith(
            "http://publications.europa.eu/resource/authority/file-type/RDF_"
        )
    assert downloads == 3


# ----------------------------------------------------------------- dumps


def test_trig_dump_keeps_every_named_graph(endpoint_client: TestClient, trig_dump: Dataset) -> None:
    graphs = {str(g.identifier) for g in trig_dump.graphs() if len(g)}
    health = endpoint_client.get("/health").json()
    assert len(graphs) == health["graphs"]
    assert "https://w3id.org/ipkg/graph/reference" in graphs


def test_nquads_gzip_dump_has_the_same_quads(
    endpoint_client: TestClient, trig_dump: Dataset
) -> None:
    r = endpoint_client.get("/dumps/ipkg.nq.gz")
    assert r.headers["content-type"] == "application/gzip"
    ds = Dataset()
    ds.parse(data=gzip.decompress(r.content), format="nquads")
    assert len(list(ds.quads((None, None, None, None)))) == len(
        list(trig_dump.quads((None, None, None, None)))
    )


def test_turtle_dump_is_the_union(endpoint_client: TestClient, void: Graph) -> None:
    g = Graph()
    g.parse(data=endpoint_client.get("/dumps/ipkg.ttl").content, format="turtle")
    assert len(g) == integer(void, the_dataset(void), VOID.triples)


def test_checksums_file_and_conditional_requests(endpoint_client: TestClient) -> None:
    sums = endpoint_client.get("/dumps/SHA256SUMS").text.splitlines()
    assert len(sums) == 3
    for line in sums:
        digest, name = line.split("  ")
        r = endpoint_client.get(f"/dumps/{name}")
        assert hashlib.sha256(r.content).hexdigest() == digest
        assert r.headers["etag"] == f'"{digest}"'
        again = endpoint_client.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
    assert endpoint_client.get("/dumps/nothing.zip").status_code == 404


def test_public_base_is_used_for_service_urls(tmp_path_factory: pytest.TempPathFactory) -> None:
    from fastapi.testclient import TestClient

    from kg.settings import Settings
    from kg.web.app import create_app

    settings = Settings.from_env(public_base="https://kg.example.org/ipkg", workers=1)
    with TestClient(create_app(settings)) as client:
        g = void_graph(client)
        dataset = the_dataset(g)
        assert str(g.value(dataset, VOID.sparqlEndpoint)) == "https://kg.example.org/ipkg/sparql"
        r = client.get("/id/person/susi-moebbeck", headers={"Accept": "text/turtle"})
        assert r.headers["content-location"] == (
            "https://kg.example.org/ipkg/id/person/susi-moebbeck.ttl"
        )
