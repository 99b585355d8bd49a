"""``/health``: liveness and what is being served (with a remote store: which, and which
publication of it)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    service = request.app.state.query_service
    body: dict[str, Any] = {
        "status": "ok",
        "data_version": service.version.digest,
        "triples": service.graph_sizes_total,
        "graphs": len(service.graph_sizes),
        "workers": service.pool.size,
        "worker_restarts": service.pool.restarts,
        "uptime_seconds": round(time.time() - service.started, 1),
        "store": "embedded",
    }
    remote = service.remote
    if remote is not None:
        body["store"] = remote.store.info.name()
        body["publication"] = remote.store.publication.generation
    return body
