"""Problem Details for HTTP APIs (RFC 9457): the one error shape of the whole API.

Every error response is ``application/problem+json`` with ``type`` (a stable IRI
naming the kind of problem), ``title``, ``status`` and ``detail``, plus members
that help the client fix the request (``line`` and ``column`` in the query,
``limit``). :func:`install` registers one handler for :class:`Problem` and maps
FastAPI's own errors (404, 405, request validation) into the same shape, so no
error reaches a client as HTML or a bare 500 traceback. Failures of a remote store
(:class:`kg.errors.StoreError`) are problems too: ``502 store-unavailable`` or
``502 store-error`` (what the store answered, never credentials), ``503 query-timeout``
and ``503 busy`` (a ``kg publish`` switch in progress, with ``Retry-After``).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import (
    PublicationChanged,
    QueryError,
    StoreError,
    StoreTimeout,
    StoreUnavailable,
)
from kg.namespaces import PROBLEMS

MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = str(PROBLEMS)

log = logging.getLogger("kg.web")


class Problem(Exception):
    """An error answered as a problem document; subclasses fix ``kind``, ``status``, ``title``."""

    kind: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def document(self, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": PROBLEM_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        doc.update(self.extra)
        return doc


class BadRequest(Problem):
    kind, status, title = "bad-request", 400, "Bad request"


class QuerySyntax(Problem):
    kind, status, title = "query-syntax", 400, "The query does not parse"


class QueryTooComplex(Problem):
    kind, status, title = "query-too-complex", 400, "The query nests too deeply"


class ReadOnly(Problem):
    kind, status, title = "read-only", 403, "This endpoint is read-only"


class ServiceNotAllowed(Problem):
    kind, status, title = "service-not-allowed", 403, "Federated queries (SERVICE) are not allowed"


class NotFound(Problem):
    kind, status, title = "not-found", 404, "Not found"


class MethodNotAllowed(Problem):
    kind, status, title = "method-not-allowed", 405, "Method not allowed"


class NotAcceptable(Problem):
    kind, status, title = "not-acceptable", 406, "No acceptable format"


class QueryTooLarge(Problem):
    kind, status, title = "query-too-large", 413, "The query is too long"


class UnsupportedMediaType(Problem):
    kind, status, title = "unsupported-media-type", 415, "Unsupported request body"


class InvalidParameter(Problem):
    """A parameter of a named query that is unknown, missing, malformed or not allowed.

    ``parameter`` names the (first) parameter; ``errors`` lists every problem as
    ``{"parameter": name, "message": text}``.
    """

    kind, status, title = "invalid-parameter", 422, "A parameter is invalid"


class ResultTooLarge(Problem):
    kind, status, title = "result-too-large", 422, "The result is larger than the limit"


class QueryEvaluation(Problem):
    kind, status, title = "query-evaluation", 422, "The query could not be evaluated"


class QueryTimeout(Problem):
    kind, status, title = "query-timeout", 503, "The query took too long and was stopped"


class Busy(Problem):
    kind, status, title = "busy", 503, "All query workers are busy"


class StoreDown(Problem):
    kind, status, title = "store-unavailable", 502, "The triple store cannot be reached"


class StoreFailed(Problem):
    kind, status, title = "store-error", 502, "The triple store refused a request"


def store_problem(exc: StoreError | QueryError) -> Problem:
    """The problem document for a failure of the remote store."""
    if isinstance(exc, StoreTimeout):
        return QueryTimeout(
            f"{exc}; narrow the query (more specific patterns, a LIMIT)",
            timeout_seconds=exc.seconds,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, PublicationChanged):
        return Busy(str(exc), headers={"Retry-After": "1"})
    if isinstance(exc, StoreUnavailable):
        return StoreDown(str(exc), headers={"Retry-After": "5"})
    return StoreFailed(str(exc))


def respond(problem: Problem, request: Request) -> JSONResponse:
    """``problem`` as the response to ``request`` (for middleware, outside the handlers)."""
    return _response(problem, request)


def _response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.document(str(request.url.path)),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def install(app: FastAPI) -> None:
    """Register the problem handlers on ``app``."""

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return _response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem: Problem
        if exc.status_code == 404:
            problem = NotFound(f"nothing is served at {request.url.path}")
        elif exc.status_code == 405:
            problem = MethodNotAllowed(
                f"{request.method} is not allowed on {request.url.path}",
                headers=dict(exc.headers or {}),
            )
        else:
            problem = BadRequest(str(exc.detail))
            problem.status = exc.status_code  # type: ignore[misc]
        return _response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg")}
            for e in exc.errors()
        ]
        problem = BadRequest("some request parameters are invalid", errors=errors)
        problem.status = 422  # type: ignore[misc]
        return _response(problem, request)

    @app.exception_handler(StoreError)
    async def on_store(request: Request, exc: StoreError) -> JSONResponse:
        log.warning("store failure on %s %s: %s", request.method, request.url.path, exc)
        return _response(store_problem(exc), request)

    @app.exception_handler(QueryError)
    async def on_query_error(request: Request, exc: QueryError) -> JSONResponse:
        # a query of the server's own (linked data, statistics) that the store refused
        log.warning("store refused a query on %s %s: %s", request.method, request.url.path, exc)
        return _response(store_problem(exc), request)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _response(Problem("an unexpected error occurred; it has been logged"), request)
