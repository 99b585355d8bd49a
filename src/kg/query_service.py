"""The query service: what the SPARQL endpoint does, without HTTP.

It checks a query (size, :mod:`kg.query_guard`), answers it from the result cache
or the worker pool (:mod:`kg.query_pool`; with a remote store :mod:`kg.remote_pool`),
and knows the data version that HTTP validators (ETag, Last-Modified; RFC 9110 §8.8)
are derived from. The embedded store is read-only while serving, so a cached answer
is always current. A remote store can be switched to new data by ``kg publish``:
:meth:`QueryService.refresh` notices (the server calls it every ``store_refresh``
seconds, and at once when a query overlapped a switch), adopts the new publication and
version, and empties the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.query_guard import GuardedQuery, GuardError, check_query
from kg.query_pool import QueryAnswer, QueryJob, QueryPool
from kg.remote_pool import RemotePool
from kg.remote_store import Publication
from kg.results import ResultFormat
from kg.settings import Settings
from kg.store import KnowledgeGraph, RemoteKnowledgeGraph


class QueryTooLong(Exception):
    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"the query is {size} bytes long; at most {limit} bytes are accepted")


@dataclass(frozen=True)
class DataVersion:
    """Identifies the data being served: a digest of the files and their newest change."""

    digest: str
    modified: datetime

    @classmethod
    def of_files(cls, paths: list[Path]) -> DataVersion:
        h = hashlib.sha256()
        newest = 0.0
        for p in sorted(paths):
            h.update(str(p.name).encode())
            h.update(p.read_bytes())
            newest = max(newest, p.stat().st_mtime)
        return cls(h.hexdigest()[:20], datetime.fromtimestamp(int(newest), tz=UTC))

    @classmethod
    def of_publication(cls, publication: Publication) -> DataVersion:
        """The version ``kg publish`` recorded (:meth:`of_files` of the files it published)."""
        return cls(publication.version, publication.modified)


@dataclass(frozen=True)
class Answer:
    body: bytes
    count: int
    kind: str
    seconds: float
    cached: bool


class ResultCache:
    """Least-recently-used answers, bounded by the total size of their bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[tuple[object, ...], QueryAnswer] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> QueryAnswer | None:
        answer = self._items.get(key)
        if answer is not None:
            self._items.move_to_end(key)
        return answer

    def put(self, key: tuple[object, ...], answer: QueryAnswer) -> None:
        if len(answer.body) > self.max_bytes // 4 or key in self._items:
            return
        self._items[key] = answer
        self.size += len(answer.body)
        while self.size > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.size -= len(old.body)


class QueryService:
    """Guard, cache and pool around one loaded :class:`KnowledgeGraph`."""

    def __init__(self, graph: KnowledgeGraph, settings: Settings, version: DataVersion) -> None:
        self.graph = graph
        self.settings = settings
        self.version = version
        self.pool: QueryPool | RemotePool
        if isinstance(graph, RemoteKnowledgeGraph):
            self.pool = RemotePool(
                graph.store,
                workers=settings.workers,
                timeout=settings.query_timeout,
                on_change=self.refresh,
            )
        else:
            assert isinstance(graph.store, ox.Store)
            self.pool = QueryPool(
                graph.store, workers=settings.workers, timeout=settings.query_timeout
            )
        self.cache = ResultCache(settings.cache_bytes) if settings.cache_bytes > 0 else None
        self.started = time.time()
        self.graph_sizes = graph.graph_sizes()
        self.graph_sizes_total = graph.triple_count()
        #: Called after a new publication was adopted (the web layer drops what it derived).
        self.on_change: list[Callable[[], None]] = []
        self._refresh_lock = asyncio.Lock()

    @property
    def remote(self) -> RemoteKnowledgeGraph | None:
        """The remote graph, if the data is served from a remote store."""
        return self.graph if isinstance(self.graph, RemoteKnowledgeGraph) else None

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()
        if self.remote is not None:
            self.remote.close()

    async def refresh(self) -> bool:
        """Adopt the remote store's publication if ``kg publish`` replaced it.

        True if a new stable publication was adopted (answers and caches of the old one
        are dropped); false if nothing changed, the store is in the middle of a switch,
        or the data is embedded. Raises :class:`~kg.errors.StoreError` if the store
        cannot be asked.
        """
        remote = self.remote
        if remote is None:
            return False
        async with self._refresh_lock:
            publication = await asyncio.to_thread(remote.store.read_publication)
            current = remote.store.publication
            if publication is None or not publication.stable:
                return False
            if publication.generation == current.generation:
                return False
            remote.adopt(publication)
            self.version = DataVersion.of_publication(publication)
            self.graph_sizes = remote.graph_sizes()
            self.graph_sizes_total = remote.triple_count()
            if self.cache is not None:
                self.cache = ResultCache(self.settings.cache_bytes)
            for callback in self.on_change:
                callback()
            return True

    def check(self, text: str) -> GuardedQuery:
        """Raise :class:`QueryTooLong` or :class:`~kg.query_guard.GuardError`, else classify."""
        size = len(text.encode("utf-8"))
        if size > self.settings.max_query_bytes:
            raise QueryTooLong(size, self.settings.max_query_bytes)
        return check_query(text, max_depth=self.settings.max_query_depth)

    async def run(
        self,
        query: GuardedQuery,
        fmt: ResultFormat,
        *,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
        substitutions: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal] | None = None,
    ) -> Answer:
        """Answer ``query`` in ``fmt``; raises :class:`kg.query_pool.QueryFailed`.

        ``substitutions`` binds variables to values without touching the query text
        (pyoxigraph's ``substitutions``, SEP-0007); they are part of the cache key.
        """
        job = QueryJob(
            text=query.text,
            format=fmt.name,
            max_results=self.settings.max_results,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            substitutions=tuple((name, str(term)) for name, term in (substitutions or {}).items()),
        )
        key = (job.text, job.format, job.default_graphs, job.named_graphs, job.substitutions)
        cache = self.cache  # a refresh replaces it: an answer of the old data stays out
        if cache is not None and (hit := cache.get(key)) is not None:
            return Answer(hit.body, hit.count, hit.kind, 0.0, cached=True)
        answer = await self.pool.run(job)
        if cache is not None and cache is self.cache:
            cache.put(key, answer)
        return Answer(answer.body, answer.count, answer.kind, answer.seconds, cached=False)


__all__ = ["Answer", "DataVersion", "GuardError", "QueryService", "QueryTooLong"]
