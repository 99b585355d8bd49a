"""Query evaluation by a remote store: the counterpart of :mod:`kg.query_pool` for ``--store URL``.

It takes the same :class:`~kg.query_pool.QueryJob`, returns the same
:class:`~kg.query_pool.QueryAnswer` and fails with the same
:class:`~kg.query_pool.QueryFailed` exceptions, so the query service, the SPARQL
endpoint (SPARQL 1.1 Protocol §2.1) and the named-query API treat both alike:

* **Concurrency.** At most ``workers`` queries are at the store at once; the next waits
  for a free slot up to the timeout, then gets :class:`~kg.query_pool.PoolBusy`.
* **Syntax.** The text is parsed by pyoxigraph first, in a pool of worker processes over
  an *empty* store (pyoxigraph has no parse-only call and evaluates some queries when
  asked, so this runs where it can be killed, as every embedded query does): a malformed
  query gets exactly the embedded store's message and position, and never reaches the
  store. A query still evaluating on no data after a short time has parsed; its worker
  is killed and replaced.
* **Timeout.** The request is cancelled at the query timeout (the connection is closed;
  Virtuoso is also told the timeout, see :mod:`kg.remote_store`):
  :class:`~kg.query_pool.QueryTimeout`.
* **Result limit.** Solutions and triples are counted while they arrive; one more than
  ``max_results`` stops the download: :class:`~kg.query_pool.ResultLimitExceeded`.
* **Answers** are parsed and written in the requested format by the serialisers of the
  embedded path (:mod:`kg.results`), so the same query gets the same bytes.
* **Switches.** After the answer, the store must still hold the publication being served
  (:func:`kg.remote_store.check_query`); otherwise ``on_change`` adopts the new one and
  the query is asked once more, or :class:`~kg.errors.PublicationChanged` is raised.

Failures of the store itself (unreachable, refusing) are :class:`~kg.errors.StoreError`,
which the web layer answers as problem documents (:mod:`kg.web.problems`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

import httpx
import pyoxigraph as ox

from kg.errors import PublicationChanged, QueryError, StoreTimeout
from kg.query_pool import (
    PoolBusy,
    QueryAnswer,
    QueryEvaluationError,
    QueryJob,
    QueryPool,
    QueryTimeout,
    ResultLimitExceeded,
    parse_term,
)
from kg.remote_store import (
    CONNECT_TIMEOUT,
    GRAPH_ACCEPT,
    MANIFEST_GRAPH,
    SELECT_ACCEPT,
    Collector,
    Publication,
    RemoteStore,
    ResultCountExceeded,
    check_query,
    check_response,
    dataset_parameters,
    named_in,
    parse_answer,
    prepare,
    request_fields,
    scan,
    unavailable,
)
from kg.results import BY_NAME, ResultTooLarge, Serialized, serialize, serialize_triples

#: Seconds a query may evaluate on the empty store before it counts as parsed.
PARSE_CHECK_SECONDS: Final = 0.5
#: Texts known to parse, remembered (most recently used first out).
_KNOWN_VALID: Final = 4096


class RemotePool:
    """Queries answered by a remote store, with the limits of :class:`~kg.query_pool.QueryPool`."""

    def __init__(
        self,
        store: RemoteStore,
        *,
        workers: int,
        timeout: float,
        on_change: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.store = store
        self.size = workers
        self.timeout = timeout
        self.restarts = 0
        self.on_change = on_change
        self._slots = asyncio.Semaphore(workers)
        self._parser = QueryPool(
            ox.Store(), workers=workers, timeout=min(timeout, PARSE_CHECK_SECONDS)
        )
        self._valid: OrderedDict[str, None] = OrderedDict()
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        await self._parser.start()
        self._client = httpx.AsyncClient(
            auth=self.store.endpoints.auth(),
            timeout=httpx.Timeout(self.timeout, connect=CONNECT_TIMEOUT),
            follow_redirects=True,
            limits=httpx.Limits(max_connections=self.size * 2 + 2),
        )

    async def close(self) -> None:
        await self._parser.close()
        if self._client is not None:
            await self._client.aclose()

    async def run(self, job: QueryJob) -> QueryAnswer:
        """Answer ``job`` from the store; raises a :class:`~kg.query_pool.QueryFailed`."""
        start = time.perf_counter()
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.timeout)
        except TimeoutError as exc:
            raise PoolBusy(
                f"all {self.size} query slots at the store stayed busy for {self.timeout:g} s"
            ) from exc
        try:
            await self._check_syntax(job)
            try:
                return await self._answer(job, start)
            except PublicationChanged:
                if self.on_change is None or not await self.on_change():
                    raise
                return await self._answer(job, start)
        finally:
            self._slots.release()

    async def _check_syntax(self, job: QueryJob) -> None:
        """The embedded store's parser on the text (QuerySyntaxError with its message)."""
        if job.text in self._valid:
            self._valid.move_to_end(job.text)
            return
        probe = QueryJob(text=job.text, format=job.format, max_results=1)
        try:
            await self._parser.run(probe)
        except QueryTimeout:
            pass  # still evaluating on no data: it parsed
        except (QueryEvaluationError, ResultLimitExceeded):
            pass  # not a syntax error; the store decides
        self._valid[job.text] = None
        if len(self._valid) > _KNOWN_VALID:
            self._valid.popitem(last=False)

    async def _answer(self, job: QueryJob, start: float) -> QueryAnswer:
        client = self._client
        assert client is not None, "RemotePool.start() was not awaited"
        publication = self.store.publication
        shape = scan(job.text)
        params = dataset_parameters(
            shape, list(publication.graphs), job.default_graphs, job.named_graphs
        )
        try:
            values = {name: parse_term(term) for name, term in job.substitutions}
            text = prepare(job.text, values, named_in(params))
        except (QueryError, ValueError) as exc:
            raise QueryEvaluationError(str(exc)) from exc
        kind = shape.kind
        collector = Collector(kind, job.max_results)
        url = self.store.endpoints.query
        try:
            async with asyncio.timeout(self.timeout):
                async with client.stream(
                    "POST",
                    url,
                    data=_form(request_fields(self.store.info, text, params, self.timeout)),
                    headers={"Accept": GRAPH_ACCEPT if kind == "graph" else SELECT_ACCEPT},
                ) as response:
                    if response.status_code >= 300:
                        await response.aread()
                        check_response(
                            response.status_code,
                            response.headers,
                            response.content,
                            url=url,
                            what="query",
                        )
                    async for chunk in response.aiter_bytes():
                        collector.add(chunk)
                    headers = response.headers
                current = await self._still_current(client, publication)
        except TimeoutError as exc:
            raise QueryTimeout(self.timeout) from exc
        except ResultCountExceeded as exc:
            raise ResultLimitExceeded(exc.limit, exc.unit) from exc
        except QueryError as exc:
            raise QueryEvaluationError(str(exc)) from exc
        except httpx.TransportError as exc:
            raise unavailable(url, exc) from exc
        if not current:
            raise PublicationChanged(
                "the dataset is being replaced by kg publish; ask again in a moment"
            )
        try:
            out = await asyncio.to_thread(
                _serialize, kind, headers, collector.body, job, self.timeout
            )
        except StoreTimeout as exc:
            raise QueryTimeout(self.timeout) from exc
        except (ResultCountExceeded, ResultTooLarge) as exc:
            raise ResultLimitExceeded(job.max_results, exc.unit) from exc
        return QueryAnswer(out.body, out.count, out.kind, time.perf_counter() - start)

    async def _still_current(self, client: httpx.AsyncClient, publication: Publication) -> bool:
        url = self.store.endpoints.query
        response = await client.post(
            url,
            data={"query": check_query(publication), "named-graph-uri": MANIFEST_GRAPH},
            headers={"Accept": SELECT_ACCEPT},
        )
        check_response(
            response.status_code, response.headers, response.content, url=url, what="query"
        )
        return bool(parse_answer("boolean", response.headers, response.content, timeout=0))


def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _serialize(
    kind: str, headers: httpx.Headers, body: bytes, job: QueryJob, timeout: float
) -> Serialized:
    """The store's answer in the job's format, by the embedded path's serialisers."""
    result = parse_answer(kind, headers, body, timeout=timeout)
    fmt = BY_NAME[job.format]
    if isinstance(result, list):
        if len(result) > job.max_results:
            raise ResultCountExceeded(job.max_results, "triples")
        return Serialized(serialize_triples(result, fmt), len(result), "graph")
    return serialize(result, fmt, max_results=job.max_results)
