"""Every IRI of the dataset dereferences: negotiation, suffixes, caching, paging, 404, pages.

In process (``endpoint_client``: the real data) and over real HTTP (``running_server``:
``python -m kg serve`` on loopback). Every RDF body is parsed back with rdflib and checked
as RDF; HTML is parsed with the standard library's parser.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID, XSD

from kg.linked_data import INCOMING_PAGE_SIZE, path_for_iri
from kg.namespaces import IPO, ONTOLOGY_IRI, SCHEMA, graph_iri, mint

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
SUSI = mint("person", "susi-moebbeck")


def path_of(iri: str) -> str:
    path = path_for_iri(iri)
    assert path is not None, iri
    return path


def parse(body: bytes, media_type: str, context: dict[str, object] | None = None) -> Graph:
    """Parse an RDF body; a JSON-LD body's context URL is replaced by the published context."""
    g = Graph()
    if media_type == "application/ld+json":
        document = json.loads(body)
        assert isinstance(document["@context"], str), "JSON-LD should reference its context"
        assert document["@context"].endswith("/context.jsonld")
        assert context is not None
        document["@context"] = context["@context"]
        g.parse(data=json.dumps(document), format="json-ld")
    else:
        g.parse(data=body, format=RDFLIB_FORMATS[media_type])
    return g


@pytest.fixture(scope="module")
def context(endpoint_client: TestClient) -> dict[str, object]:
    r = endpoint_client.get("/context.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    document: dict[str, object] = r.json()
    return document


def dataset_iris() -> set[str]:
    """Every IRI under the base that the data and the ontology use (hash IRIs without hash)."""
    from kg.settings import Settings
    from kg.store import KnowledgeGraph

    kg = KnowledgeGraph.load(Settings.from_env())
    iris: set[str] = set()
    for quad in kg.store:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            value = getattr(term, "value", None)
            if isinstance(value, str) and path_for_iri(value) is not None:
                iris.add(value)
    return iris


# ----------------------------------------------------------------- every IRI resolves


def test_every_iri_the_dataset_mints_resolves_in_turtle(endpoint_client: TestClient) -> None:
    iris = dataset_iris()
    assert SUSI in {URIRef(i) for i in iris}
    documents = {i.partition("#")[0] for i in iris}
    assert str(ONTOLOGY_IRI) in documents
    assert str(graph_iri("reference")) in documents
    failures = []
    for iri in sorted(documents):
        r = endpoint_client.get(path_of(iri), headers={"Accept": "text/turtle"})
        if r.status_code != 200:
            failures.append((iri, r.status_code))
            continue
        g = parse(r.content, "text/turtle")
        subject = URIRef(iri)
        if iri.startswith(str(ONTOLOGY_IRI)):
            subject = ONTOLOGY_IRI
        assert (None, FOAF.primaryTopic, URIRef(iri)) in g, iri
        assert (subject, None, None) in g or (None, None, subject) in g, iri
    assert not failures, failures


# ----------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        (
            "application/rdf+xml;q=0.4, application/n-triples;q=0.6, text/html;q=0.1",
            "application/n-triples",
        ),
        ("*/*", "text/turtle"),
        ("", "text/turtle"),
        ("application/*", "application/ld+json"),
        ("text/plain", "application/n-triples"),
    ],
)
def test_resources_are_negotiated_with_q_values(
    endpoint_client: TestClient, accept: str, media_type: str, context: dict[str, object]
) -> None:
    r = endpoint_client.get(path_of(SUSI), headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    g = parse(r.content, media_type, context)
    assert (SUSI, SKOS.prefLabel, Literal("Susi Möbbeck", lang="de")) in g
    assert (SUSI, RDF.type, IPO.Person) in g


def test_a_browser_gets_html(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(path_of(SUSI), headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = Page.of(r.text)
    assert page.h1 == ["Susi Möbbeck"]
    assert page.lang == "de"


def test_nothing_acceptable_is_406(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(path_of(SUSI), headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/problem+json"
    assert "text/turtle" in r.json()["offered"]


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        (".ttl", "text/turtle"),
        (".jsonld", "application/ld+json"),
        (".nt", "application/n-triples"),
        (".rdf", "application/rdf+xml"),
        (".html", "text/html"),
    ],
)
def test_suffix_urls_name_one_representation(
    endpoint_client: TestClient, suffix: str, media_type: str, context: dict[str, object]
) -> None:
    r = endpoint_client.get(path_of(SUSI) + suffix, headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert "Accept" not in r.headers["vary"].replace("Accept-Language", "")
    if media_type == "text/html":
        assert Page.of(r.text).h1 == ["Susi Möbbeck"]
    else:
        g = parse(r.content, media_type, context)
        document = URIRef(str(SUSI) + suffix)
        assert (document, FOAF.primaryTopic, SUSI) in g


def test_200_with_content_location_vary_and_link_alternates(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(path_of(SUSI), headers={"Accept": "text/turtle"})
    assert r.status_code == 200  # no 303: see README, "Linked data"
    location = urlsplit(r.headers["content-location"])
    assert location.path == path_of(SUSI) + ".ttl"
    assert {v.strip() for v in r.headers["vary"].split(",")} >= {"Accept", "Accept-Language"}
    links = parse_links(r.headers["link"])
    alternates = {media_type: url for url, rel, media_type in links if rel == "alternate"}
    assert set(alternates) == {
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
        "text/html",
    }
    for media_type, url in alternates.items():
        alt = endpoint_client.get(urlsplit(url).path)
        assert alt.status_code == 200
        assert alt.headers["content-type"].split(";")[0] == media_type
    assert (str(SUSI), "describes", None) in links


def test_rdf_bodies_keep_canonical_iris_and_html_links_stay_local(
    endpoint_client: TestClient,
) -> None:
    turtle = endpoint_client.get(path_of(SUSI), headers={"Accept": "text/turtle"})
    assert b"testserver" not in turtle.content
    html = endpoint_client.get(path_of(SUSI), headers={"Accept": BROWSER})
    page = Page.of(html.text)
    place = str(mint("place", "bremen"))
    assert "http://testserver" + path_of(place) in page.hrefs
    assert place not in page.hrefs


# ----------------------------------------------------------------- caching


def test_etag_and_last_modified_give_304(endpoint_client: TestClient) -> None:
    path = path_of(SUSI)
    r = endpoint_client.get(path, headers={"Accept": "text/turtle"})
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    again = endpoint_client.get(path, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    since = endpoint_client.get(
        path, headers={"Accept": "text/turtle", "If-Modified-Since": modified}
    )
    assert since.status_code == 304
    other = endpoint_client.get(path, headers={"Accept": "application/ld+json"})
    assert other.headers["etag"] != etag  # a representation has its own validator
    stale = endpoint_client.get(path, headers={"Accept": "text/turtle", "If-None-Match": '"x"'})
    assert stale.status_code == 200


# ----------------------------------------------------------------- 404


def test_an_unknown_iri_under_the_base_is_404_with_a_helpful_page(
    endpoint_client: TestClient,
) -> None:
    path = path_of(mint("person", "susi-moebeck"))  # a typo
    r = endpoint_client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    page = Page.of(r.text)
    assert "http://testserver" + path_of(SUSI) in page.hrefs  # "did you mean"
    assert any(h.endswith("/search") for h in page.forms)
    machine = endpoint_client.get(path, headers={"Accept": "text/turtle"})
    assert machine.status_code == 404
    assert machine.headers["content-type"] == "application/problem+json"
    assert machine.json()["iri"] == str(mint("person", "susi-moebeck"))


@pytest.mark.parametrize("path", ["/id/nokind/x", "/id/person/Not_A_Slug", "/graph/nothing"])
def test_malformed_or_unknown_paths_under_the_base_are_404(
    endpoint_client: TestClient, path: str
) -> None:
    assert endpoint_client.get(path).status_code == 404


# ----------------------------------------------------------------- what a description holds


def test_labels_of_linked_resources_follow_accept_language(endpoint_client: TestClient) -> None:
    land = URIRef(str(mint("land", "sachsen-anhalt")))
    german = parse(endpoint_client.get(path_of(SUSI) + ".ttl").content, "text/turtle")
    assert (land, SKOS.prefLabel, Literal("Sachsen-Anhalt", lang="de")) in german
    english = parse(
        endpoint_client.get(
            path_of(SUSI) + ".ttl", headers={"Accept-Language": "en-GB,en;q=0.9"}
        ).content,
        "text/turtle",
    )
    assert (land, SKOS.prefLabel, Literal("Saxony-Anhalt", lang="en")) in english
    assert (land, SKOS.prefLabel, Literal("Sachsen-Anhalt", lang="de")) not in english
    page = endpoint_client.get(path_of(SUSI) + ".html?lang=en")
    assert Page.of(page.text).lang == "en"
    assert "Saxony-Anhalt" in page.text


def test_sources_are_named_with_title_and_date(endpoint_client: TestClient) -> None:
    person = mint("person", "petra-koepping")
    g = parse(endpoint_client.get(path_of(person) + ".ttl").content, "text/turtle")
    graph = graph_iri("sn-sms-medieninformation-2024-03-21")
    source = mint("source", "sn-sms-medieninformation-2024-03-21")
    document = URIRef(str(person) + ".ttl")
    assert (document, PROV.wasDerivedFrom, graph) in g
    assert (graph, PROV.wasDerivedFrom, source) in g
    assert g.value(source, DCTERMS.date) == Literal("2024-03-21", datatype=XSD.date)
    assert g.value(source, DCTERMS.title) is not None
    assert (document, VOID.inDataset, None) in g


def test_incoming_links_are_listed(endpoint_client: TestClient) -> None:
    g = parse(endpoint_client.get(path_of(SUSI) + ".ttl").content, "text/turtle")
    tenure = mint("tenure", "susi-moebbeck--st-integrationsbeauftragte")
    assert (tenure, URIRef("http://www.w3.org/ns/org#member"), SUSI) in g
    assert (tenure, SKOS.prefLabel, None) in g  # the linked resource's label


def write_hub(path: Path, people: int) -> None:
    """A data file where ``people`` persons live in one Land: a hub with many incoming links."""
    ds = Dataset()
    g = ds.graph(graph_iri("hub-test"))
    land = mint("land", "testland")
    g.add((land, RDF.type, IPO.Land))
    g.add((land, SKOS.prefLabel, Literal("Testland", lang="de")))
    for i in range(people):
        person = mint("person", f"person-{i:04d}")
        g.add((person, RDF.type, IPO.Person))
        g.add((person, SKOS.prefLabel, Literal(f"Person {i}", lang="de")))
        g.add((person, SCHEMA.homeLocation, land))
    ds.serialize(destination=str(path), format="trig")


@pytest.fixture(scope="module")
def hub_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from kg.settings import Settings
    from kg.web.app import create_app

    data = tmp_path_factory.mktemp("hub") / "hub.trig"
    write_hub(data, 250)
    settings = Settings.from_env(root=REPO, data=(data,), workers=1, query_timeout=3.0)
    with TestClient(create_app(settings)) as client:
        yield client


def test_incoming_links_of_a_hub_are_paged(hub_client: TestClient) -> None:
    land = mint("land", "testland")
    pages = []
    url = path_of(land) + ".ttl"
    while url:
        r = hub_client.get(url)
        assert r.status_code == 200
        g = parse(r.content, "text/turtle")
        pages.append({s for s in g.subjects(SCHEMA.homeLocation, land)})
        nxt = [u for u, rel, _ in parse_links(r.headers["link"]) if rel == "next"]
        url = urlsplit(nxt[0]).path + "?" + urlsplit(nxt[0]).query if nxt else ""
    assert [len(p) for p in pages] == [INCOMING_PAGE_SIZE, INCOMING_PAGE_SIZE, 50]
    assert len(set().union(*pages)) == 250
    second = hub_client.get(path_of(land) + ".ttl?page=2")
    assert any(rel == "prev" for _, rel, _ in parse_links(second.headers["link"]))
    html = hub_client.get(path_of(land) + ".html?page=3")
    assert "page=2" in html.text
    assert hub_client.get(path_of(land) + ".ttl?page=zero").status_code == 400


# ----------------------------------------------------------------- graphs, ontology, shapes


def test_a_graph_iri_serves_the_graph(endpoint_client: TestClient) -> None:
    graph = graph_iri("st-integrationsbeauftragte-web")
    g = parse(endpoint_client.get(path_of(graph) + ".ttl").content, "text/turtle")
    assert (graph, RDF.type, IPO.SourceGraph) in g
    assert (SUSI, SKOS.prefLabel, Literal("Susi Möbbeck", lang="de")) in g
    html = Page.of(endpoint_client.get(path_of(graph), headers={"Accept": BROWSER}).text)
    assert "http://testserver" + path_of(SUSI) in html.hrefs


def ontology_terms() -> dict[URIRef, Graph]:
    g = Graph()
    g.parse(REPO / "ontology" / "ipo.ttl", format="turtle")
    return {s: g for s in set(g.subjects()) if isinstance(s, URIRef) and s.startswith(str(IPO))}


def test_the_ontology_iri_serves_turtle_to_machines(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(path_of(str(ONTOLOGY_IRI)), headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = parse(r.content, "text/turtle")
    source = Graph()
    source.parse(REPO / "ontology" / "ipo.ttl", format="turtle")
    for triple in source:
        assert triple in g
    version = endpoint_client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 200
    assert endpoint_client.get("/ontology/9.9.9").status_code == 404


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_ontology_page_documents_every_term(endpoint_client: TestClient, lang: str) -> None:
    r = endpoint_client.get("/ontology", headers={"Accept": BROWSER, "Accept-Language": lang})
    assert r.status_code == 200
    page = Page.of(r.text)
    assert page.lang == lang
    terms = ontology_terms()
    assert len(terms) > 40
    for term, g in terms.items():
        name = term.removeprefix(str(IPO))
        assert name in page.ids, f"no section for ipo:{name}"
        label = None
        for lit in g.objects(term, RDFS.label):
            if isinstance(lit, Literal) and lit.language == lang:
                label = lit
        assert label is not None and str(label) in page.text_of[name]
    tenure = page.text_of["Tenure"]
    assert "org:Membership" in tenure  # alignment
    assert "shape:TenureShape" in tenure  # used by
    assert "Susi Möbbeck" in page.text_of["qualification"]  # an example from the data
    chair = page.text_of["chairLand"]
    assert "ipo:ConferenceEdition" in chair and "ipo:Land" in chair  # domain and range


def test_shapes_resolve(endpoint_client: TestClient) -> None:
    g = parse(endpoint_client.get("/shapes.ttl").content, "text/turtle")
    shape = Namespace("https://w3id.org/ipkg/shapes#")
    assert (shape.TenureShape, URIRef("http://www.w3.org/ns/shacl#targetClass"), IPO.Tenure) in g
    assert "TenureShape" in Page.of(endpoint_client.get("/shapes.html").text).ids


# ----------------------------------------------------------------- pages


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/browse",
        "/browse/Person",
        "/search?q=M%C3%B6bbeck",
        "/timeline/offices",
        "/timeline/intmk",
        "/sparql",
        "/ontology.html",
        "/shapes.html",
        "/graph/reference.html",
    ],
)
def test_pages_have_landmarks_language_and_labels(endpoint_client: TestClient, path: str) -> None:
    r = endpoint_client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.text
    page = Page.of(r.text)
    assert page.lang in ("de", "en")
    assert {"header", "nav", "main", "footer"} <= page.tags
    assert len(page.h1) == 1
    assert page.inputs_without_label == []
    assert not any(h.startswith(("http://cdn", "https://cdn", "//")) for h in page.assets)


def test_class_lists_are_paged_and_sorted(endpoint_client: TestClient) -> None:
    found_on = []
    for number in range(1, 20):
        r = endpoint_client.get(f"/browse/Person?page={number}", headers={"Accept": BROWSER})
        if r.status_code != 200:
            break
        page = Page.of(r.text)
        if "http://testserver" + path_of(SUSI) in page.hrefs:
            found_on.append(number)
        if f"page={number + 1}" not in r.text:
            break
    assert number > 1, "more persons than fit on one page"
    assert len(found_on) == 1, f"Susi Möbbeck on exactly one page, not {found_on}"
    assert endpoint_client.get("/browse/NoSuchClass").status_code == 404


def test_search_finds_by_label_and_by_transliterated_slug(endpoint_client: TestClient) -> None:
    for q in ("Möbbeck", "moebbeck", "MÖBBECK"):
        page = Page.of(endpoint_client.get("/search", params={"q": q}).text)
        assert "http://testserver" + path_of(SUSI) in page.hrefs, q


def test_timelines_show_holders_and_chair_laender(endpoint_client: TestClient) -> None:
    offices = endpoint_client.get("/timeline/offices").text
    assert "Doris Lemmermeier" in offices and "2013-01" in offices
    intmk = Page.of(endpoint_client.get("/timeline/intmk").text)
    assert "http://testserver" + path_of(mint("land", "niedersachsen")) in intmk.hrefs
    assert "http://testserver" + path_of(mint("edition", "intmk-20")) in intmk.hrefs


# ----------------------------------------------------------------- /sparql for browsers


def test_sparql_in_a_browser_is_the_query_page_and_machines_still_get_the_endpoint(
    endpoint_client: TestClient,
) -> None:
    page = endpoint_client.get("/sparql", headers={"Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html")
    described = endpoint_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert described.headers["content-type"].startswith("text/turtle")
    assert endpoint_client.get("/sparql").headers["content-type"].startswith("text/turtle")
    results = endpoint_client.get(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": BROWSER}
    )
    assert results.headers["content-type"].startswith("application/sparql-results+")


def test_the_query_page_runs_a_query_and_links_iris(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(
        "/sparql",
        params={"q": "SELECT ?p WHERE { ?p a ipo:Person } ORDER BY ?p"},
        headers={"Accept": BROWSER},
    )
    assert r.status_code == 200
    page = Page.of(r.text)
    assert "http://testserver" + path_of(SUSI) in page.hrefs
    downloads = [h for h in page.hrefs if "format=" in h]
    assert {urlsplit(h).query.rpartition("format=")[2] for h in downloads} == {
        "json",
        "xml",
        "csv",
        "tsv",
    }
    assert endpoint_client.get(downloads[0]).status_code == 200


def test_the_query_page_reports_errors(endpoint_client: TestClient) -> None:
    r = endpoint_client.get(
        "/sparql", params={"q": "SELECT ?x WHERE { ?x ?y }"}, headers={"Accept": BROWSER}
    )
    assert r.status_code == 400
    assert 'role="alert"' in r.text


def test_the_query_page_reports_a_timeout(endpoint_client: TestClient) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    r = endpoint_client.get("/sparql", params={"q": slow}, headers={"Accept": BROWSER})
    assert r.status_code == 503
    assert 'role="alert"' in r.text
    assert "Zeitüberschreitung" in r.text and "LIMIT" in r.text


def test_cors_lets_third_party_editors_query(endpoint_client: TestClient) -> None:
    preflight = endpoint_client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://yasgui.example")
    r = endpoint_client.post(
        "/sparql",
        data={"query": "ASK { ?s ?p ?o }"},
        headers={
            "Origin": "https://yasgui.example",
            "Accept": "application/sparql-results+json,*/*;q=0.9",
        },
    )
    assert r.json()["boolean"] is True
    assert "access-control-allow-origin" in r.headers
    doc = endpoint_client.get(path_of(SUSI), headers={"Origin": "https://x.example"})
    assert "access-control-allow-origin" in doc.headers


# ----------------------------------------------------------------- over real HTTP


def fetch(url: str, accept: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_curl_and_a_browser_both_work_against_the_running_server(running_server: str) -> None:
    url = running_server + path_of(SUSI)
    status, headers, body = fetch(url, "text/turtle")
    assert status == 200
    g = parse(body, "text/turtle")
    assert (SUSI, SKOS.prefLabel, Literal("Susi Möbbeck", lang="de")) in g
    assert headers["Content-Location"] == url + ".ttl"
    status, headers, body = fetch(url, BROWSER)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert Page.of(body.decode()).h1 == ["Susi Möbbeck"]


def test_json_ld_resolves_its_published_context_over_http(running_server: str) -> None:
    url = running_server + path_of(SUSI)
    _, _, body = fetch(url, "application/ld+json")
    assert json.loads(body)["@context"] == running_server + "/context.jsonld"
    from_json_ld = Graph()
    from_json_ld.parse(data=body, format="json-ld")  # rdflib fetches the context over HTTP
    _, _, turtle = fetch(url, "text/turtle")
    from_turtle = parse(turtle, "text/turtle")
    for g in (from_json_ld, from_turtle):  # the documents differ: .jsonld and .ttl
        for document in list(g.subjects(FOAF.primaryTopic, SUSI)):
            g.remove((document, None, None))
    assert len(from_turtle) > 20
    assert isomorphic(from_json_ld, from_turtle)


# ----------------------------------------------------------------- helpers


def parse_links(header: str) -> list[tuple[str, str, str | None]]:
    out = []
    for part in header.split(", <"):
        url, _, params = part.lstrip("<").partition(">")
        attrs = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        rel = attrs.get("rel", "").strip('"')
        media_type = attrs.get("type")
        out.append((url, rel, media_type.strip('"') if media_type else None))
    return out


class Page(HTMLParser):
    """What the tests need from an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.tags: set[str] = set()
        self.h1: list[str] = []
        self.hrefs: list[str] = []
        self.assets: list[str] = []
        self.forms: list[str] = []
        self.ids: set[str] = set()
        self.labels_for: set[str] = set()
        self.inputs: list[tuple[str | None, str | None]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []
        self._in_h1 = False
        self.text = ""

    @classmethod
    def of(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        return page

    @property
    def inputs_without_label(self) -> list[str | None]:
        return [
            i
            for i, kind in self.inputs
            if kind not in ("hidden", "submit") and (i is None or i not in self.labels_for)
        ]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
        if tag in ("link", "script", "img") and (a.get("href") or a.get("src")):
            self.assets.append(str(a.get("href") or a.get("src")))
        if tag == "form":
            self.forms.append(str(a.get("action")))
        if tag == "label" and a.get("for"):
            self.labels_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.inputs.append((a.get("id"), a.get("type")))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "section":
            ident = a.get("id") or ""
            self._open.append((tag, ident))
            if ident:
                self.text_of[ident] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
        if tag == "section" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_h1:
            self.h1[-1] += data.strip()
        for _, ident in self._open:
            if ident:
                self.text_of[ident] += data


# ----------------------------------------------------------------- where sources differ


class Sections(HTMLParser):
    """The text of the page sections "Where the sources differ" and "As stated by each source",
    and the classes of the items of the first."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.text: dict[str, str] = {}
        self.item_classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("aria-labelledby") in ("variances", "history"):
            self.section = a["aria-labelledby"]
        elif tag == "li" and self.section == "variances" and a.get("data-predicate"):
            self.item_classes.append(a.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.section:
            self.text[self.section] = self.text.get(self.section, "") + data


def sections(endpoint_client: TestClient, iri: str, lang: str = "en") -> Sections:
    r = endpoint_client.get(path_of(iri), params={"lang": lang}, headers={"Accept": BROWSER})
    assert r.status_code == 200
    parsed = Sections()
    parsed.feed(r.text)
    return parsed


def test_a_page_says_where_sources_contradict_each_other(endpoint_client: TestClient) -> None:
    """The 9th IntMK's venue: Magdeburg (Volksstimme) against Halle (Saale) (an hpage)."""
    page = sections(endpoint_client, mint("event", "intmk-09--hauptkonferenz"))
    assert page.item_classes == ["conflict"]
    assert "contradict" in page.text["variances"]
    assert "Magdeburg" in page.text["variances"] and "Halle (Saale)" in page.text["variances"]


def test_a_page_shows_refinements_and_the_history_newest_last(
    endpoint_client: TestClient,
) -> None:
    """Lemmermeier's tenure: "seit Januar 2013" (primary, 2016), the day from a 2012 page, the
    end (April 2024) from 2024 pages; nothing overwritten, the newest source last."""
    page = sections(
        endpoint_client, mint("tenure", "doris-lemmermeier--bb-integrationsbeauftragte")
    )
    assert page.item_classes == ["refinement"]
    history = page.text["history"]
    assert history.index("2012-12-21") < history.index("2016-10") < history.index("2024-12")
    assert "2024-04" in history  # the end, stated by the newer sources only


def test_primary_against_secondary_is_named_as_such() -> None:
    from kg import linked_data as ld

    def statement(value: str, graph: str) -> ld.Statement:
        return ld.Statement(ox.NamedNode(str(SCHEMA.location)), ox.NamedNode(value), graphs=[graph])

    primary = ld.Source("g:p", "s:p", None, None, None, kind=str(IPO.PrimarySource))
    secondary = ld.Source("g:s", "s:s", None, None, None, kind=str(IPO.SecondarySource))
    (variance,) = ld.variances(
        [statement("place:a", "g:p"), statement("place:b", "g:s")], [primary, secondary]
    )
    assert variance.conflict and variance.primary_and_secondary
    day = ox.Literal("2013-01-02", datatype=ox.NamedNode(str(XSD.date)))
    month = ox.Literal("2013-01", datatype=ox.NamedNode(str(XSD.gYearMonth)))
    start = ox.NamedNode("http://schema.org/startDate")
    (refined,) = ld.variances(
        [ld.Statement(start, month, graphs=["g:p"]), ld.Statement(start, day, graphs=["g:s"])],
        [primary, secondary],
    )
    assert not refined.conflict and not refined.primary_and_secondary
