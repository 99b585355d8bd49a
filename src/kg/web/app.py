"""The application factory: one :func:`create_app` mounts every router.

Nothing happens at import time. ``create_app(settings)`` loads the data (or takes
an already loaded graph), and the lifespan starts and stops the query workers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from kg import __version__
from kg.dataset import data_files, expand, ontology_files
from kg.named_queries import Catalogue, directory
from kg.query_service import DataVersion, QueryService
from kg.settings import Settings
from kg.store import KnowledgeGraph
from kg.web import api_queries, health, pages, problems, resources, sparql
from kg.web.access_log import AccessLog


def served_files(settings: Settings) -> list:  # type: ignore[type-arg]
    """The files ``kg serve`` loads: the ontology and the data (or ``settings.data``)."""
    data = expand(list(settings.data)) if settings.data else data_files(settings)
    return [*ontology_files(settings), *data]


def load_graph(settings: Settings) -> tuple[KnowledgeGraph, DataVersion]:
    from kg.dataset import parse_file, parse_ontology

    data = expand(list(settings.data)) if settings.data else data_files(settings)
    graph = KnowledgeGraph.from_parsed([*parse_ontology(settings), *(parse_file(p) for p in data)])
    return graph, DataVersion.of_files(served_files(settings))


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
        try:
            yield
        finally:
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
    app.add_middleware(AccessLog)
    return app
