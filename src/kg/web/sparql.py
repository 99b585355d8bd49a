"""The SPARQL 1.1 Protocol query operation (SPARQL 1.1 Protocol §2.1) at ``/sparql``.

* ``GET /sparql?query=…``, ``POST`` with ``application/x-www-form-urlencoded``
  (``query=…``) and ``POST`` with ``application/sparql-query`` (the body is the
  query); ``default-graph-uri`` and ``named-graph-uri`` (§2.1.4) in the URL or the form.
* ``GET /sparql`` without a query answers the SPARQL 1.1 Service Description.
* Update operations (§2.2) are refused: the endpoint is read-only.
* Results are negotiated (:mod:`kg.web.negotiation`); ``format=`` overrides Accept.
* ETag and Last-Modified derive from the data version and the request; a matching
  ``If-None-Match`` or ``If-Modified-Since`` gets 304 without evaluating the query.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response

from kg import query_pool
from kg.query_guard import GuardError
from kg.query_service import QueryService, QueryTooLong
from kg.results import ResultFormat
from kg.web import conditional, problems
from kg.web.negotiation import choose
from kg.web.routing import get_and_head
from kg.web.service_description import service_description

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


def _service(request: Request) -> QueryService:
    service: QueryService = request.app.state.query_service
    return service


def _one(values: list[str] | None, name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise problems.BadRequest(
            f"the parameter {name!r} was given {len(values)} times; give it once"
        )
    return values[0]


async def _answer(
    request: Request,
    query: str | None,
    default_graphs: list[str],
    named_graphs: list[str],
    format_param: str | None,
) -> Response:
    service = _service(request)
    accept = request.headers.get("accept")
    if query is None:
        return service_description(request, service, accept, format_param)
    try:
        guarded = service.check(query)
    except QueryTooLong as exc:
        raise problems.QueryTooLarge(str(exc), limit=exc.limit, size=exc.size) from exc
    except GuardError as exc:
        cls = {
            "service": problems.ServiceNotAllowed,
            "update": problems.ReadOnly,
            "too-deep": problems.QueryTooComplex,
        }.get(exc.kind, problems.QuerySyntax)
        raise cls(str(exc), line=exc.line, column=exc.column) from exc
    kind = guarded.result_kind
    fmt: ResultFormat = choose(kind, accept, format_param)
    graphs = (tuple(default_graphs) or None, tuple(named_graphs) or None)
    etag, last_modified = conditional.validators(service.version, query, fmt.name, graphs)
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        "Vary": "Accept",
        "Cache-Control": "public, max-age=0, must-revalidate",
    }
    if conditional.not_modified(request, etag, service.version):
        return Response(status_code=304, headers=headers)
    try:
        answer = await service.run(guarded, fmt, default_graphs=graphs[0], named_graphs=graphs[1])
    except query_pool.QuerySyntaxError as exc:
        line, column = _position(str(exc))
        raise problems.QuerySyntax(str(exc), line=line, column=column) from exc
    except query_pool.QueryTimeout as exc:
        raise problems.QueryTimeout(
            f"{exc}; narrow the query (more specific patterns, a LIMIT) or run it on a copy of "
            "the data (make the dump with kg export)",
            timeout_seconds=exc.seconds,
            headers={"Retry-After": "1"},
        ) from exc
    except query_pool.ResultLimitExceeded as exc:
        raise problems.ResultTooLarge(
            f"{exc}; add LIMIT and OFFSET to page through it", limit=exc.limit, unit=exc.unit
        ) from exc
    except query_pool.PoolBusy as exc:
        raise problems.Busy(str(exc), headers={"Retry-After": "1"}) from exc
    except query_pool.QueryEvaluationError as exc:
        raise problems.QueryEvaluation(str(exc)) from exc
    except query_pool.WorkerLost as exc:
        raise problems.Problem(str(exc)) from exc
    request.state.result_count = answer.count
    headers["KG-Result-Count"] = str(answer.count)
    headers["KG-Cache"] = "hit" if answer.cached else "miss"
    media_type = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Response(answer.body, media_type=media_type, headers=headers)


def _position(message: str) -> tuple[int | None, int | None]:
    """Line and column from pyoxigraph's ``error at L:C: …`` message."""
    m = re.search(r"at (\d+):(\d+)", message)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


@get_and_head(router, "/sparql", response_model=None)
async def sparql_get(
    request: Request,
    query: Annotated[list[str] | None, Query()] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
    format: Annotated[list[str] | None, Query()] = None,
    update: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """SPARQL query via GET; without ``query``, the Service Description."""
    if update:
        raise problems.ReadOnly("SPARQL Update is not available: this endpoint is read-only")
    return await _answer(
        request,
        _one(query, "query"),
        default_graph_uri or [],
        named_graph_uri or [],
        _one(format, "format"),
    )


@router.post("/sparql", response_model=None)
async def sparql_post(request: Request) -> Response:
    """SPARQL query via POST: form-encoded or ``application/sparql-query``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url_params = parse_qs(request.url.query, keep_blank_values=True)
    body = await request.body()
    if content_type == FORM:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise problems.BadRequest("the form body is not UTF-8") from exc
        form = parse_qs(text, keep_blank_values=True)
        if "update" in form:
            raise problems.ReadOnly("SPARQL Update is not available: this endpoint is read-only")
        query = _one(form.get("query"), "query")
        if query is None:
            raise problems.BadRequest("the form has no 'query' field")
        defaults = form.get("default-graph-uri", []) + url_params.get("default-graph-uri", [])
        named = form.get("named-graph-uri", []) + url_params.get("named-graph-uri", [])
        fmt = _one(form.get("format") or url_params.get("format"), "format")
    elif content_type == SPARQL_QUERY:
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise problems.BadRequest("the query is not UTF-8 text") from exc
        defaults = url_params.get("default-graph-uri", [])
        named = url_params.get("named-graph-uri", [])
        fmt = _one(url_params.get("format"), "format")
    elif content_type == SPARQL_UPDATE:
        raise problems.ReadOnly("SPARQL Update is not available: this endpoint is read-only")
    else:
        raise problems.UnsupportedMediaType(
            f"POST /sparql takes {FORM} or {SPARQL_QUERY}, not {content_type or 'no Content-Type'}",
            accepted=[FORM, SPARQL_QUERY],
        )
    return await _answer(request, query, defaults, named, fmt)


@router.options("/sparql", response_model=None)
async def sparql_options() -> Response:
    """Without CORS preflight headers: which methods /sparql allows (RFC 9110 §9.3.7)."""
    return Response(status_code=204, headers={"Allow": "GET, HEAD, POST, OPTIONS"})
