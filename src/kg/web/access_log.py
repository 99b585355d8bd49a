"""A structured access log: one JSON line per request on the ``kg.access`` logger.

Fields: ``method``, ``path``, ``status``, ``duration_ms``, ``query_hash`` (first 12
hex digits of the SHA-256 of the query text, so a slow query can be found again
without logging its text) and ``results`` (solutions or triples returned). Written
as pure ASGI middleware to stay off the hot path's allocations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("kg.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        body_parts: list[bytes] = []
        results: dict[str, Any] = {}

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body_parts.append(message.get("body", b""))
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"kg-result-count":
                        results["n"] = int(value)
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_note)
        finally:
            if log.isEnabledFor(logging.INFO):
                query = _query_text(scope, b"".join(body_parts))
                record = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "query_hash": hashlib.sha256(query.encode()).hexdigest()[:12]
                    if query
                    else None,
                    "results": results.get("n"),
                }
                log.info(json.dumps(record))


def _query_text(scope: Scope, body: bytes) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    params = parse_qs(raw.decode("latin-1"))
    if "query" in params:
        return params["query"][0]
    headers = dict(scope.get("headers", []))
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
    if content_type == b"application/sparql-query":
        return body.decode("utf-8", "replace")
    if content_type == b"application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        values = form.get("query")
        return values[0] if values else None
    return None


def _digest(query: str | None) -> str | None:
    return hashlib.sha256(query.encode()).hexdigest()[:12] if query else None
