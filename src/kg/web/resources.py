"""Dereferenceable IRIs: every IRI the dataset mints answers on this server.

Paths map onto the dataset's IRIs (:func:`kg.linked_data.target_for_path`):
``/id/<kind>/<slug>`` (resources and sources), ``/graph/<slug>`` (named graphs),
``/ontology`` and ``/ontology/<version>`` (the ontology; its terms are hash IRIs of it),
``/shapes`` (the SHACL shapes), ``/`` and ``/.well-known/void`` (the dataset: VoID and
DCAT-AP.de). Bodies in RDF keep the canonical ``https://w3id.org/ipkg/…`` IRIs; links in
HTML and in HTTP headers point at this server (or at ``public_base``).

**200 with Content-Location, not 303.** A negotiated request for an IRI is answered
directly (``200``) with ``Content-Location`` naming the representation's own URL (the IRI
plus ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf`` or ``.html``), as the W3C TAG's
"httpRange-14" follow-up allows for slash IRIs: ``curl -H 'Accept: text/turtle' IRI``
gets the data in one round trip, and the document (``foaf:Document``, the ``Content-Location``)
and the thing it describes (its ``foaf:primaryTopic``) stay distinct IRIs.

Representations are negotiated from ``Accept`` (q-values, wildcards; no ``Accept`` or
``*/*`` gives Turtle, a browser gets HTML), labels from ``Accept-Language`` (German by
default, or ``?lang=en``). Every answer carries ``Vary``, ``Link`` (the alternates, the
described resource, the next and previous page), ``ETag`` and ``Last-Modified`` derived
from the data version; a matching ``If-None-Match`` or ``If-Modified-Since`` gets ``304``.
An unknown IRI under the base gets ``404``: a page with suggestions for a browser, a
problem document otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

from kg import linked_data as ld
from kg import ontology_docs, void
from kg.dataset import shapes_files
from kg.dumps import Dump, build_dumps, checksums
from kg.linked_data import RDF_MEDIA_TYPES, SUFFIXES, Target
from kg.web import conditional, pages, problems
from kg.web.routing import get_and_head

if TYPE_CHECKING:
    from kg.query_service import QueryService
    from kg.settings import Settings
    from kg.store import KnowledgeGraph

router = APIRouter()

HTML = "text/html"
#: Representation name → media type, for every document.
MEDIA_TYPES: dict[str, str] = {**RDF_MEDIA_TYPES, "html": HTML}
EXTENSIONS: dict[str, str] = {name: ext for ext, name in SUFFIXES.items()}
#: More media types clients send for the same representations.
ALIASES: dict[str, str] = {
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "application/json": "jsonld",
    "application/json+ld": "jsonld",
    "text/plain": "ntriples",
    "application/xhtml+xml": "html",
}
CACHE_CONTROL = "public, max-age=0, must-revalidate"


# ----------------------------------------------------------------- the site's state


class Site:
    """What the linked-data and HTML layers share: settings, graph, lazily built caches.

    Statistics, dumps, shapes and the ontology documentation are computed on first use
    (in a worker thread, once) and kept: the data cannot change while serving.
    """

    def __init__(self, settings: Settings, service: QueryService) -> None:
        self.settings = settings
        self.service = service
        self._lock = asyncio.Lock()
        self._stats: void.Statistics | None = None
        self._dumps: dict[str, Dump] | None = None
        self._shapes: ox.Store | None = None
        self._shapes_loaded = False
        self._ontology: dict[str, ontology_docs.OntologyDoc] = {}
        self._memo: dict[tuple[object, ...], Any] = {}

    @property
    def graph(self) -> KnowledgeGraph:
        return self.service.graph

    async def run(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a core function on the graph in a worker thread."""
        return await asyncio.to_thread(function, self.graph, *args, **kwargs)

    async def memo(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`run`, remembered: the data cannot change while serving."""
        key = (function, args, tuple(sorted(kwargs.items())))
        if key not in self._memo:
            self._memo[key] = await self.run(function, *args, **kwargs)
        return self._memo[key]

    async def statistics(self) -> void.Statistics:
        async with self._lock:
            if self._stats is None:
                self._stats = await self.run(void.statistics)
            return self._stats

    async def dumps(self) -> dict[str, Dump]:
        async with self._lock:
            if self._dumps is None:
                self._dumps = await self.run(build_dumps)
            return self._dumps

    async def shapes(self) -> ox.Store | None:
        async with self._lock:
            if not self._shapes_loaded:
                paths: list[Path] = shapes_files(self.settings)
                self._shapes = (
                    await asyncio.to_thread(ontology_docs.load_shapes, paths) if paths else None
                )
                self._shapes_loaded = True
            return self._shapes

    async def ontology(self, lang: str) -> ontology_docs.OntologyDoc:
        shapes = await self.shapes()
        async with self._lock:
            if lang not in self._ontology:
                self._ontology[lang] = await self.run(ontology_docs.ontology_doc, shapes, lang)
            return self._ontology[lang]

    def base_url(self, request: Request) -> str:
        """Where this server is reached: ``public_base``, else the request's own base URL."""
        base = self.settings.public_base or str(request.base_url)
        return base if base.endswith("/") else base + "/"

    def href(self, request: Request, iri: str) -> str:
        """The URL a browser follows for ``iri``: this server for the dataset's IRIs."""
        path = ld.path_for_iri(iri)
        if path is None:
            return iri
        return self.base_url(request) + path.lstrip("/")

    def context_url(self, request: Request) -> str:
        return self.base_url(request) + "context.jsonld"


def site(request: Request) -> Site:
    value: Site = request.app.state.site
    return value


# ----------------------------------------------------------------- negotiation


def language(request: Request) -> str:
    """``?lang=`` if given, else the best of ``Accept-Language``; German by default."""
    wanted = request.query_params.get("lang")
    if wanted in ld.LANGUAGES:
        return wanted
    header = request.headers.get("accept-language")
    if not header:
        return ld.DEFAULT_LANGUAGE
    accept = parse_accept_header(header, LanguageAccept)
    best = accept.best_match(list(ld.LANGUAGES), default=ld.DEFAULT_LANGUAGE)
    return best or ld.DEFAULT_LANGUAGE


def negotiate(accept: str | None, offered: Sequence[str], default: str = "turtle") -> str:
    """The representation (a key of :data:`MEDIA_TYPES`) ``Accept`` prefers among ``offered``."""
    if not accept or not accept.strip():
        return default if default in offered else offered[0]
    candidates = [MEDIA_TYPES[name] for name in offered]
    candidates += [alias for alias, name in ALIASES.items() if name in offered]
    first = MEDIA_TYPES[default] if default in offered else candidates[0]
    candidates.sort(key=lambda m: m != first)
    best = parse_accept_header(accept, MIMEAccept).best_match(candidates)
    if best is None:
        raise problems.NotAcceptable(
            f"none of the formats in Accept: {accept} is offered here",
            offered=[MEDIA_TYPES[name] for name in offered],
        )
    if best in ALIASES:
        return ALIASES[best]
    return next(name for name in offered if MEDIA_TYPES[name] == best)


def prefers_html(request: Request) -> bool:
    """Whether ``Accept`` ranks HTML strictly above every RDF format (a browser)."""
    header = request.headers.get("accept")
    if not header:
        return False
    accept = parse_accept_header(header, MIMEAccept)
    html = max(accept.quality(HTML), accept.quality("application/xhtml+xml"))
    return html > 0 and all(html > accept.quality(m) for m in RDF_MEDIA_TYPES.values())


# ----------------------------------------------------------------- caching


def validators(request: Request, *parts: object) -> tuple[str, str]:
    """A weak ETag from the data version and ``parts``, and Last-Modified."""
    return conditional.validators(site(request).service.version, *parts)


def not_modified(request: Request, etag: str) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) wins over If-Modified-Since."""
    return conditional.not_modified(request, etag, site(request).service.version)


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1 or page > 1_000_000:
        raise problems.BadRequest(f"page={raw!r} is not a page number (1, 2, …)")
    return page


# ----------------------------------------------------------------- responses


def _link_header(links: Sequence[tuple[str, str, str | None]]) -> str:
    parts = []
    for url, rel, media_type in links:
        part = f'<{url}>; rel="{rel}"'
        if media_type:
            part += f'; type="{media_type}"'
        parts.append(part)
    return ", ".join(parts)


def _with_page(url: str, page: int, lang: str | None = None) -> str:
    params = []
    if page > 1:
        params.append(f"page={page}")
    if lang:
        params.append(f"lang={lang}")
    return url + ("?" + "&".join(params) if params else "")


def document_headers(
    request: Request,
    target: Target,
    fmt: str,
    *,
    lang: str,
    etag: str,
    last_modified: str,
    page: int = 1,
    pages: int = 1,
) -> dict[str, str]:
    s = site(request)
    doc_path = target.path if target.path != "/" else "/.well-known/void"
    base = s.base_url(request) + doc_path.lstrip("/")
    links: list[tuple[str, str, str | None]] = [
        (_with_page(f"{base}.{EXTENSIONS[name]}", page), "alternate", media_type)
        for name, media_type in MEDIA_TYPES.items()
        if name != fmt
    ]
    links.append((target.iri, "describes", None))
    if page > 1:
        links.append((_with_page(request.url.path, page - 1), "prev", None))
    if page < pages:
        links.append((_with_page(request.url.path, page + 1), "next", None))
    headers = {
        "Vary": "Accept-Language" if target.suffix else "Accept, Accept-Language",
        "Link": _link_header(links),
        "ETag": etag,
        "Last-Modified": last_modified,
        "Cache-Control": CACHE_CONTROL,
        "Content-Language": lang,
    }
    if target.suffix is None and not (target.path == "/" and fmt == "html"):
        headers["Content-Location"] = _with_page(f"{base}.{EXTENSIONS[fmt]}", page)
    return headers


def _content_type(fmt: str) -> str:
    media_type = MEDIA_TYPES[fmt]
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


async def not_found(request: Request, path: str) -> Response:
    """404 for an IRI under the base that the data does not use: a page or a problem."""
    iri = ld.iri_for_path(ld.split_suffix(path)[0])
    words = " ".join(w for w in path.rsplit("/", 1)[-1].split(".")[0].split("-") if len(w) > 2)
    if prefers_html(request):
        lang = language(request)
        hits = await site(request).run(ld.suggest, iri, lang=lang)
        body = pages.render_not_found(request, iri=iri, words=words, hits=hits, lang=lang)
        return Response(body, status_code=404, media_type=_content_type("html"))
    raise problems.NotFound(
        f"{iri} is not described by this dataset; search its labels at /search?q=… or ask /sparql",
        iri=iri,
    )


async def serve(request: Request, path: str) -> Response:
    """The representation of whatever ``path`` names (see the module docstring)."""
    target = ld.target_for_path(path)
    if target is None:
        return await not_found(request, path)
    s = site(request)
    page = page_number(request)
    lang = language(request)
    if target.suffix is not None:
        fmt = SUFFIXES[target.suffix]
    else:
        default = "turtle"
        fmt = negotiate(request.headers.get("accept"), list(MEDIA_TYPES), default)
    graph = s.graph
    if target.kind == "resource":
        found = await asyncio.to_thread(ld.exists, graph, target.iri)
    elif target.kind == "graph":
        found = await asyncio.to_thread(ld.is_graph, graph, target.iri)
    elif target.kind == "ontology":
        doc = await s.ontology(lang)
        found = target.iri in (doc.iri, doc.version_iri)
    elif target.kind == "shapes":
        found = await s.shapes() is not None
    else:
        found = True
    if not found:
        return await not_found(request, path)
    base_url = s.base_url(request)
    etag, last_modified = validators(request, path, fmt, lang, page, base_url)
    if not_modified(request, etag):
        headers = document_headers(
            request, target, fmt, lang=lang, etag=etag, last_modified=last_modified, page=page
        )
        return Response(status_code=304, headers=headers)
    body: str | bytes
    if fmt == "html":
        body, pages_total = await pages.render_document(request, target, lang=lang, page=page)
    else:
        body, pages_total = await _rdf_document(request, target, fmt, lang=lang, page=page)
    headers = document_headers(
        request,
        target,
        fmt,
        lang=lang,
        etag=etag,
        last_modified=last_modified,
        page=page,
        pages=pages_total,
    )
    return Response(body, media_type=_content_type(fmt), headers=headers)


async def _rdf_document(
    request: Request, target: Target, fmt: str, *, lang: str, page: int
) -> tuple[bytes, int]:
    """The RDF document describing ``target`` in ``fmt``, and its number of pages."""
    triples, pages_total, graphs = await document_triples(request, target, lang=lang, page=page)
    extension = EXTENSIONS[fmt]
    doc_path = target.path if target.path != "/" else "/.well-known/void"
    document = ld.iri_for_path(f"{doc_path}.{extension}") + (f"?page={page}" if page > 1 else "")
    all_triples = ld.document_triples(
        triples, document=document, topic=target.iri, dataset=void.DATASET, graphs=graphs
    )
    context_url = site(request).context_url(request)
    data: bytes = await asyncio.to_thread(
        lambda: ld.serialize(all_triples, fmt, context_url=context_url)
    )
    return data, pages_total


async def document_triples(
    request: Request, target: Target, *, lang: str, page: int
) -> tuple[list[ox.Triple], int, list[str]]:
    """The triples of a document, its number of pages and the graphs it quotes."""
    s = site(request)
    if target.kind == "resource":
        desc = await s.run(ld.describe, target.iri, lang=lang, page=page)
        return desc.triples(), desc.pages, [src.graph for src in desc.sources]
    if target.kind == "graph":
        gp = await s.run(ld.graph_page, target.iri, page=page)
        return gp.triples, gp.pages, [target.iri]
    if target.kind == "ontology":
        return await s.run(ontology_docs.ontology_triples), 1, []
    if target.kind == "shapes":
        shapes = await s.shapes()
        assert shapes is not None
        return ontology_docs.shapes_triples(shapes), 1, []
    return await dataset_description(request, lang), 1, []


async def dataset_description(request: Request, lang: str) -> list[ox.Triple]:
    """VoID and DCAT-AP.de of the dataset (:mod:`kg.void`)."""
    s = site(request)
    stats = await s.statistics()
    dumps = await s.dumps()
    sources = await s.memo(ld.source_graphs, lang)
    return void.dataset_triples(
        stats,
        list(dumps.values()),
        base_url=s.base_url(request),
        modified=s.service.version.modified,
        graph_labels={src.graph: src.label for src in sources if src.label is not None},
        sources={src.graph: src.source for src in sources if src.source is not None},
    )


# ----------------------------------------------------------------- routes


@get_and_head(router, "/", include_in_schema=False)
@get_and_head(router, "/index.html", include_in_schema=False)
async def home(request: Request) -> Response:
    """The dataset: the home page in HTML, VoID and DCAT-AP.de in RDF."""
    return await serve(request, "/.html" if request.url.path == "/index.html" else "/")


@get_and_head(router, "/.well-known/void")
@get_and_head(router, "/.well-known/void.{ext}")
async def well_known_void(request: Request) -> Response:
    """VoID (and DCAT-AP.de) of the dataset, RFC 8615 well-known location (VoID §7.2)."""
    return await serve(request, request.url.path)


@get_and_head(router, "/id/{rest:path}")
@get_and_head(router, "/graph/{rest:path}")
@get_and_head(router, "/ontology")
@get_and_head(router, "/ontology.{ext}")
@get_and_head(router, "/ontology/{rest:path}")
@get_and_head(router, "/shapes")
@get_and_head(router, "/shapes.{ext}")
async def document(request: Request) -> Response:
    """A resource, named graph, source, the ontology or the shapes, negotiated."""
    return await serve(request, request.url.path)


@get_and_head(router, "/context.jsonld")
async def context(request: Request) -> Response:
    """The JSON-LD context every JSON-LD document here is compacted with."""
    etag, last_modified = validators(request, "context")
    headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": CACHE_CONTROL}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    body = json.dumps({"@context": ld.json_ld_context()}, indent=2) + "\n"
    return Response(body.encode(), media_type="application/ld+json", headers=headers)


@get_and_head(router, "/dumps/{name}")
async def dump(request: Request, name: str) -> Response:
    """A dump of the whole dataset, or ``SHA256SUMS``; the ETag is the SHA-256."""
    dumps = await site(request).dumps()
    if name == "SHA256SUMS":
        body = checksums(dumps)
        digest = hashlib.sha256(body).hexdigest()
        media_type = "text/plain; charset=utf-8"
    elif name in dumps:
        d = dumps[name]
        body, digest, media_type = d.body, d.sha256, d.content_type
    else:
        raise problems.NotFound(
            f"there is no dump {name!r}; the dumps are: {', '.join(dumps)} (and SHA256SUMS)"
        )
    etag = f'"{digest}"'
    _, last_modified = validators(request)
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        "Cache-Control": CACHE_CONTROL,
        "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:",
    }
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
