"""The application factory: one :func:`create_app` mounts every router.

Nothing happens at import time. ``create_app(settings)`` loads the data (or takes
an already loaded graph; with ``--store URL`` it connects to the remote store and
reads its publication instead, :mod:`kg.remote_store`), and the lifespan starts and
stops the query workers. Over a remote store the lifespan also looks at the store's
publication every ``store_refresh`` seconds: after ``kg publish`` the new data is
adopted and everything derived from the old (cached answers, statistics, dumps,
pages) is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from kg import __version__
from kg.dataset import data_files, expand
from kg.errors import PublicationChanged, StoreError
from kg.named_queries import Catalogue, directory
from kg.query_service import DataVersion, QueryService
from kg.remote_store import CHECK_LATER, CheckLater, shown
from kg.settings import Settings
from kg.store import KnowledgeGraph, RemoteKnowledgeGraph
from kg.store import served_files as _served_files
from kg.web import api_queries, health, pages, problems, resources, sparql
from kg.web.access_log import AccessLog

log = logging.getLogger("kg.web")

CHANGED = "the dataset was replaced by kg publish while this was made; ask again"


def served_files(settings: Settings) -> list[Path]:
    """The files ``kg serve`` loads: the ontology and the data (or ``settings.data``)."""
    return _served_files(settings)


def load_graph(settings: Settings) -> tuple[KnowledgeGraph, DataVersion]:
    """The graph to serve and its version: the files loaded, or the remote store's publication.

    A remote store must return at least ``max_results + 1`` solutions of a query, or the
    result limit could not be told from the store's own cap: :class:`StoreError` otherwise.
    """
    if settings.remote:
        remote = RemoteKnowledgeGraph.connect(settings, max_results=settings.max_results)
        return remote, DataVersion.of_publication(remote.store.publication)
    from kg.dataset import parse_file, parse_ontology

    data = expand(list(settings.data)) if settings.data else data_files(settings)
    graph = KnowledgeGraph.from_parsed([*parse_ontology(settings), *(parse_file(p) for p in data)])
    return graph, DataVersion.of_files(served_files(settings))


def startup_lines(graph: KnowledgeGraph, settings: Settings) -> list[str]:
    """What ``kg serve`` says about the data it serves before it listens."""
    if not isinstance(graph, RemoteKnowledgeGraph):
        return [
            f"loaded {len(graph)} triples ({graph.quad_count()} in named graphs) "
            f"from {graph.report.files} files"
        ]
    store = graph.store
    pub = store.publication
    published = f", published {pub.published:%Y-%m-%d %H:%M} UTC" if pub.published else ""
    lines = [
        f"store: {shown(settings.store)} ({store.info.name()})",
        f"serving publication {pub.generation} of the store: {pub.triples} triples "
        f"({pub.quads} in {len(pub.graphs)} named graphs) from {pub.files} files, "
        f"version {pub.version}{published}",
    ]
    if pub.changed:
        lines.append(
            f"warning: the store changed {pub.changed} statements when they were published "
            "(kg publish listed them); answers involving them differ from the files"
        )
    lines += [f"note: {note}" for note in store.info.notes(settings.query_timeout)]
    return lines


async def _watch_publication(service: QueryService, every: float) -> None:
    """Adopt a new publication of the remote store within ``every`` seconds of its switch."""
    while True:
        await asyncio.sleep(every)
        try:
            await service.refresh()
        except StoreError as exc:  # the store is down for a moment: the next look may succeed
            log.warning("cannot read the store's publication: %s", exc)


def create_app(
    settings: Settings,
    graph: KnowledgeGraph | None = None,
    version: DataVersion | None = None,
) -> FastAPI:
    """The web application over ``graph`` (loaded from ``settings`` if not given)."""
    if graph is None or version is None:
        graph, version = load_graph(settings)
    catalogue = Catalogue.load(directory(settings))  # the named queries (BrokenInputError if bad)
    service = QueryService(graph, settings, version)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        watcher = None
        if service.remote is not None:
            watcher = asyncio.create_task(_watch_publication(service, settings.store_refresh))
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await service.close()

    app = FastAPI(
        title="Integration Policy Knowledge Graph",
        version=__version__,
        description="SPARQL endpoint and linked data for Germany's integration-policy governance.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.query_service = service
    app.state.site = resources.Site(settings, service)
    app.state.catalogue = catalogue

    def new_site() -> None:  # a new publication: drop statistics, dumps and pages of the old
        app.state.site = resources.Site(settings, service)

    service.on_change.append(new_site)
    problems.install(app)
    # The query page for browsers first: it matches GET /sparql only when the request has no
    # query and prefers HTML (pages.QueryPageRoute); everything else reaches the endpoint.
    app.include_router(pages.query_router)
    app.include_router(sparql.router)
    app.include_router(health.router)
    app.include_router(api_queries.router_for(catalogue))
    app.include_router(resources.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=[
            "ETag",
            "Last-Modified",
            "KG-Result-Count",
            "KG-Cache",
            "Retry-After",
            "Link",
            "Content-Location",
        ],
        max_age=86400,
    )
    if service.remote is not None:
        _check_publication_per_request(app, service)
    app.add_middleware(AccessLog)
    return app


def _check_publication_per_request(app: FastAPI, service: QueryService) -> None:
    """Over a remote store: after a request's queries (linked data, pages, statistics), check
    once that the publication did not change meanwhile; if it did, 503 (and adopt the new
    one), never a page made of two publications. The query pool checks its own answers."""
    remote = service.remote
    assert remote is not None

    @app.middleware("http")
    async def check_publication(request: Request, call_next: Any) -> Response:
        later = CheckLater()
        token = CHECK_LATER.set(later)
        try:
            response: Response = await call_next(request)
        finally:
            CHECK_LATER.reset(token)
        if not later.needed or response.status_code >= 500:
            return response
        try:
            current = await asyncio.to_thread(remote.store.publication_is_current)
        except StoreError as exc:
            return problems.respond(problems.store_problem(exc), request)
        if current:
            return response
        with contextlib.suppress(StoreError):
            await service.refresh()
        return problems.respond(problems.store_problem(PublicationChanged(CHANGED)), request)
