"""Running the application with uvicorn: what ``kg serve`` does after validation."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import uvicorn

from kg.settings import Settings
from kg.web.app import create_app, load_graph, startup_lines


def run(
    settings: Settings, *, progress: Callable[[str], None] | None = None, started: float
) -> int:
    """Load the data, start the workers and listen until interrupted; returns the exit code."""
    graph, version = load_graph(settings)
    if progress:
        for line in startup_lines(graph, settings):
            progress(line)
    app = create_app(settings, graph, version)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("kg.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)

    if progress:
        say = progress
        original_startup = server.startup

        async def startup(sockets: object = None) -> None:
            await original_startup(sockets)  # type: ignore[arg-type]
            say(
                f"serving http://{settings.host}:{settings.port}/sparql "
                f"(ready in {time.perf_counter() - started:.2f} s; Ctrl-C to stop)"
            )

        server.startup = startup  # type: ignore[method-assign]
    server.run()
    return 0
