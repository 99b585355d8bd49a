"""The named-query API: the catalogue of research questions over HTTP.

* ``GET /api/queries`` lists the catalogue (:mod:`kg.named_queries`): name, titles and
  descriptions in German and English, group, parameters with type, class, default and,
  where they come from the graph, the allowed values with their labels (``?lang=en``
  for English labels), the example and the SPARQL text.
* ``GET /api/queries/{name}?param=value…`` answers one question. Parameters are typed and
  checked first (unknown, repeated, malformed or not allowed: ``422 invalid-parameter``
  naming the parameter), then bound by substitution: the query text never changes.
  The query runs in the worker pool of :class:`~kg.query_service.QueryService`, so its
  timeout, result limit and cache apply.

Every query has its own operation in ``/openapi.json`` (one route per query, its
parameters declared with ``openapi_extra``), with each parameter's name, type, default
and class.

Formats (``format=`` or ``Accept``; the first is the default):

* SELECT: ``rows`` (``application/json``: the simple rows shape, with labels), ``json``
  (SPARQL 1.1 Results JSON), ``csv`` (with a ``<column>_label`` column for IRI columns),
  ``tsv``, ``xml``;
* CONSTRUCT and DESCRIBE: ``turtle``, ``jsonld``, ``ntriples``, ``nquads``, ``trig``,
  ``rdfxml``, and ``rows`` and ``csv`` as a table of subject, predicate, object;
* ASK: ``rows``, ``json``, ``xml``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg import named_queries as nq
from kg import query_pool
from kg.query_guard import GuardError
from kg.query_service import QueryTooLong
from kg.results import BY_NAME
from kg.web import problems
from kg.web import resources as res

TAG: Final = "named queries"


@dataclass(frozen=True)
class ApiFormat:
    """A format of the named-query API and how it is made from the pool's answer."""

    name: str
    media_type: str
    kinds: tuple[str, ...]
    pool: str  # the format the worker pool is asked for (kg.results)
    shaped: bool = False  # made here from the pool's answer (rows, csv) rather than passed on


API_FORMATS: Final[tuple[ApiFormat, ...]] = (
    ApiFormat("rows", "application/json", ("solutions", "boolean"), "json", shaped=True),
    ApiFormat("json", "application/sparql-results+json", ("solutions", "boolean"), "json"),
    ApiFormat("csv", "text/csv", ("solutions",), "json", shaped=True),
    ApiFormat("tsv", "text/tab-separated-values", ("solutions",), "tsv"),
    ApiFormat("xml", "application/sparql-results+xml", ("solutions", "boolean"), "xml"),
    ApiFormat("turtle", "text/turtle", ("graph",), "turtle"),
    ApiFormat("jsonld", "application/ld+json", ("graph",), "jsonld"),
    ApiFormat("ntriples", "application/n-triples", ("graph",), "ntriples"),
    ApiFormat("nquads", "application/n-quads", ("graph",), "nquads"),
    ApiFormat("trig", "application/trig", ("graph",), "trig"),
    ApiFormat("rdfxml", "application/rdf+xml", ("graph",), "rdfxml"),
    ApiFormat("graph-rows", "application/json", ("graph",), "ntriples", shaped=True),
    ApiFormat("graph-csv", "text/csv", ("graph",), "ntriples", shaped=True),
)
#: The default format per result kind (what ``*/*`` and no ``Accept`` get).
DEFAULT: Final = {"solutions": "rows", "boolean": "rows", "graph": "turtle"}


def offered(kind: str) -> list[ApiFormat]:
    """The formats for ``kind``, the default first; ``rows`` and ``csv`` are named so for graphs."""
    formats = [f for f in API_FORMATS if kind in f.kinds]
    formats.sort(key=lambda f: f.name != DEFAULT[kind])
    return formats


def public_name(fmt: ApiFormat) -> str:
    return fmt.name.removeprefix("graph-")


def choose(kind: str, accept: str | None, format_param: str | None) -> ApiFormat:
    """The format ``format=`` names (by name or media type), else the best for ``Accept``."""
    formats = offered(kind)
    if format_param is not None:
        for f in formats:
            if format_param in (public_name(f), f.media_type):
                return f
        names = ", ".join(public_name(f) for f in formats)
        raise problems.InvalidParameter(
            f"parameter 'format': {format_param!r} is not offered for this query; choose one of: "
            + names,
            parameter="format",
            errors=[{"parameter": "format", "message": f"choose one of: {names}"}],
            offered=[f.media_type for f in formats],
        )
    if not accept or not accept.strip():
        return formats[0]
    best = parse_accept_header(accept, MIMEAccept).best_match([f.media_type for f in formats])
    if best is None:
        raise problems.NotAcceptable(
            f"none of the formats in Accept: {accept} is offered for this query",
            offered=[f.media_type for f in formats],
        )
    return next(f for f in formats if f.media_type == best)


def _invalid(exc: nq.InvalidParameters) -> problems.InvalidParameter:
    first = exc.errors[0]
    return problems.InvalidParameter(
        str(exc),
        parameter=first.parameter,
        errors=[{"parameter": e.parameter, "message": e.message} for e in exc.errors],
    )


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise problems.InvalidParameter(
            f"parameter {name!r}: was given {len(values)} times; give it once",
            parameter=name,
            errors=[{"parameter": name, "message": "was given more than once"}],
        )
    return values[0] if values else None


async def allowed_values(request: Request, query: nq.NamedQuery, lang: str) -> dict[str, Any]:
    """:func:`kg.named_queries.choices` of each parameter, kept: the data cannot change."""
    site = res.site(request)
    return {p.name: await site.memo(nq.choices, p, lang) for p in query.parameters}


async def bind(request: Request, query: nq.NamedQuery) -> nq.Binding:
    """The request's parameters, typed and checked; :class:`problems.InvalidParameter` if not."""
    params = request.query_params
    raw = {name: params.getlist(name) for name in params}
    listed = await allowed_values(request, query, "de")
    try:
        binding: nq.Binding = await res.site(request).run(nq.bind_checked, query, raw, listed)
    except nq.InvalidParameters as exc:
        raise _invalid(exc) from exc
    return binding


async def evaluate(request: Request, binding: nq.Binding, pool_format: str) -> Any:
    """Run ``binding`` in the worker pool; pool failures become problem documents."""
    service = res.site(request).service
    try:
        guarded = service.check(binding.query.body)
    except (QueryTooLong, GuardError) as exc:  # the catalogue's own text: a bug, not the client's
        raise problems.Problem(f"the named query {binding.query.name} is refused: {exc}") from exc
    try:
        return await service.run(guarded, BY_NAME[pool_format], substitutions=binding.values)
    except query_pool.QueryTimeout as exc:
        raise problems.QueryTimeout(
            f"{exc}; try again later or run it on a copy of the data (kg query --name)",
            timeout_seconds=exc.seconds,
            headers={"Retry-After": "1"},
        ) from exc
    except query_pool.ResultLimitExceeded as exc:
        raise problems.ResultTooLarge(str(exc), limit=exc.limit, unit=exc.unit) from exc
    except query_pool.PoolBusy as exc:
        raise problems.Busy(str(exc), headers={"Retry-After": "1"}) from exc
    except (query_pool.QuerySyntaxError, query_pool.QueryEvaluationError) as exc:
        raise problems.QueryEvaluation(str(exc)) from exc
    except query_pool.WorkerLost as exc:
        raise problems.Problem(str(exc)) from exc


def _endpoint(query: nq.NamedQuery) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        lang = res.language(request)
        binding = await bind(request, query)
        fmt = choose(query.result_kind, request.headers.get("accept"), _one(request, "format"))
        site = res.site(request)
        key = ("api-query", query.name, binding.wire(), fmt.name, lang, site.base_url(request))
        etag, last_modified = res.validators(request, *key)
        page = site.base_url(request) + "queries/" + query.name
        headers = {
            "ETag": etag,
            "Last-Modified": last_modified,
            "Cache-Control": res.CACHE_CONTROL,
            "Vary": "Accept, Accept-Language",
            "Content-Language": lang,
            "Link": f'<{page}>; rel="alternate"; type="text/html"',
        }
        if res.not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        result = await evaluate(request, binding, fmt.pool)
        request.state.result_count = result.count
        headers["KG-Result-Count"] = str(result.count)
        headers["KG-Cache"] = "hit" if result.cached else "miss"
        body: bytes = result.body
        if fmt.shaped:
            table = nq.table_from_body(result.body, fmt.pool)
            labels = await site.run(nq.labels_for, table, lang)
            if public_name(fmt) == "csv":
                body = nq.csv_text(table, labels).encode("utf-8")
            else:
                document = nq.rows_document(
                    table,
                    labels,
                    name=query.name,
                    parameters=binding.shown(),
                    title=query.title_in(lang),
                )
                body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        media_type = fmt.media_type + (
            "; charset=utf-8" if fmt.media_type.startswith("text/") else ""
        )
        return Response(body, media_type=media_type, headers=headers)

    answer.__name__ = "named_query_" + query.name.replace("-", "_")
    return answer


def _responses(query: nq.NamedQuery) -> dict[int | str, dict[str, Any]]:
    problem: dict[str, Any] = {problems.MEDIA_TYPE: {}}
    return {
        200: {
            "description": "The answer, in the format chosen by format= or Accept.",
            "content": {f.media_type: {} for f in offered(query.result_kind)},
        },
        304: {"description": "Not modified (If-None-Match, If-Modified-Since)."},
        406: {"description": "No acceptable format.", "content": problem},
        422: {
            "description": "A parameter is unknown, repeated, malformed or not allowed "
            "(invalid-parameter, naming it), or the result is too large.",
            "content": problem,
        },
        503: {"description": "The query timed out or all workers are busy.", "content": problem},
    }


def _openapi_parameters(query: nq.NamedQuery) -> list[dict[str, Any]]:
    formats = [public_name(f) for f in offered(query.result_kind)]
    return [
        *(p.openapi(query.example.get(p.name)) for p in query.parameters),
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "The answer's format (overrides Accept).",
            "schema": {"type": "string", "enum": formats, "default": formats[0]},
        },
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "description": "Language of the labels in rows and csv (else Accept-Language).",
            "schema": {"type": "string", "enum": ["de", "en"], "default": "de"},
        },
    ]


def _description(query: nq.NamedQuery) -> str:
    return (
        f"{query.description_in('en')}\n\n*{query.title_in('de')}* — {query.description_in('de')}"
        f"\n\nSPARQL ({query.form}; parameters are bound by substitution):\n\n"
        f"```sparql\n{query.body}```"
    )


def router_for(catalogue: nq.Catalogue) -> APIRouter:
    """The routes of the named-query API for ``catalogue``: one operation per query."""
    router = APIRouter(tags=[TAG])

    @router.get(
        "/api/queries",
        summary="List the named queries",
        response_class=Response,
        responses={200: {"description": "The catalogue.", "content": {"application/json": {}}}},
    )
    async def list_queries(request: Request) -> Response:
        """The catalogue: every question with its parameters and their allowed values."""
        lang = res.language(request)
        site = res.site(request)
        base = site.base_url(request)
        key = ("api-queries", lang, base)
        etag, last_modified = res.validators(request, *key)
        headers = {
            "ETag": etag,
            "Last-Modified": last_modified,
            "Cache-Control": res.CACHE_CONTROL,
            "Vary": "Accept-Language",
            "Content-Language": lang,
        }
        if res.not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        entries = []
        for query in catalogue:
            entry = nq.describe(query, lang)
            listed = await allowed_values(request, query, lang)
            for p in entry["parameters"]:
                values = listed[p["name"]]
                p["values"] = None if values is None else [nq.choice_json(c) for c in values.items]
                p["values_complete"] = None if values is None else values.complete
            entry["url"] = base + "api/queries/" + query.name
            entry["page"] = base + "queries/" + query.name
            entry["formats"] = [public_name(f) for f in offered(query.result_kind)]
            entries.append(entry)
        document = {"queries": entries, "groups": nq.GROUPS}
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        return Response(body, media_type="application/json", headers=headers)

    for query in catalogue:
        router.add_api_route(
            "/api/queries/" + query.name,
            _endpoint(query),
            methods=["GET"],
            summary=query.title_in("en"),
            description=_description(query),
            operation_id="named_query_" + query.name.replace("-", "_"),
            response_class=Response,
            responses=_responses(query),
            openapi_extra={"parameters": _openapi_parameters(query), "x-kg-query": query.name},
        )

    @router.get("/api/queries/{name}", include_in_schema=False)
    async def unknown(name: str) -> Response:
        raise problems.NotFound(
            f"there is no named query {name!r}; GET /api/queries lists them",
            queries=catalogue.names(),
        )

    return router
