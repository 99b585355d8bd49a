"""Query evaluation in worker processes, with a timeout that really stops the work.

pyoxigraph cannot interrupt a running query, and a pathological query can crash
the process that evaluates it. So queries never run in the server process: a pool
of worker processes, forked after the store is loaded (they share its memory
copy-on-write), each evaluates one query at a time and sends back the serialised
result (:mod:`kg.results`). When a query exceeds the timeout, its worker is killed
(SIGKILL frees the CPU at once) and a new one is forked; a worker that dies is
replaced the same way. Other queries go on in the other workers meanwhile.

The parent talks to a worker over a pipe; waiting happens in a thread so that the
event loop stays free (:func:`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Final

import pyoxigraph as ox

from kg.results import BY_NAME, ResultTooLarge, serialize
from kg.store import evaluate

_FORK: Final = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class QueryJob:
    """What a worker needs: the text, the result format, the dataset, the limit."""

    text: str
    format: str
    max_results: int
    default_graphs: tuple[str, ...] | None = None  # SPARQL Protocol default-graph-uri
    named_graphs: tuple[str, ...] | None = None  # SPARQL Protocol named-graph-uri
    #: Values bound to variables by substitution (SEP-0007), never pasted into the text:
    #: (variable name, term in N-Triples syntax) pairs, parsed back in the worker.
    substitutions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    count: int
    kind: str
    seconds: float


class QueryFailed(Exception):
    """Base of the ways a query can fail in the pool."""


class QueryTimeout(QueryFailed):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the query ran longer than {seconds:g} s and was stopped")


class QuerySyntaxError(QueryFailed):
    """The engine's parser refused the query; ``message`` carries its position."""


class QueryEvaluationError(QueryFailed):
    """The engine could not evaluate the query."""


class ResultLimitExceeded(QueryFailed):
    def __init__(self, limit: int, unit: str) -> None:
        self.limit = limit
        self.unit = unit
        super().__init__(f"the result has more than {limit} {unit}")


class WorkerLost(QueryFailed):
    """The worker process died while evaluating the query."""


class PoolBusy(QueryFailed):
    """No worker became free in time."""


def parse_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The one RDF term ``text`` holds in N-Triples syntax; ValueError if it holds anything else."""
    line = f"<urn:kg:s> <urn:kg:p> {text} .\n".encode()
    try:
        (triple,) = list(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"not one RDF term in N-Triples syntax: {text!r}") from exc
    term = triple.object
    if not isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        raise ValueError(f"not one RDF term in N-Triples syntax: {text!r}")
    return term


def _worker_main(store: ox.Store, conn: Connection) -> None:  # pragma: no cover (child)
    """Evaluate jobs until the pipe closes. Runs in the forked child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    while True:
        try:
            job: QueryJob = conn.recv()
        except (EOFError, OSError):
            return
        start = time.perf_counter()
        reply: tuple[Any, ...]
        try:
            kwargs: dict[str, Any] = {}
            if job.default_graphs is not None or job.named_graphs is not None:
                kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
                if job.named_graphs is not None:
                    kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
            if job.substitutions:
                kwargs["substitutions"] = {
                    ox.Variable(name): parse_term(term) for name, term in job.substitutions
                }
            result = evaluate(store, job.text, **kwargs)
            out = serialize(result, BY_NAME[job.format], max_results=job.max_results)
            reply = ("ok", out.body, out.count, out.kind, time.perf_counter() - start)
        except SyntaxError as exc:
            reply = ("syntax", str(exc))
        except ResultTooLarge as exc:
            reply = ("too-large", exc.limit, exc.unit)
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, store: ox.Store) -> None:
        parent, child = _FORK.Pipe(duplex=True)
        self.conn = parent
        self.process = _FORK.Process(target=_worker_main, args=(store, child), daemon=True)
        self.process.start()
        child.close()

    def terminate(self) -> None:
        """SIGKILL: the query stops at once and its CPU is freed."""
        with contextlib.suppress(ProcessLookupError, OSError):
            if self.process.pid is not None:
                os.kill(self.process.pid, signal.SIGKILL)

    def kill(self) -> None:
        self.terminate()
        self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """A fixed number of worker processes evaluating queries over one store."""

    def __init__(self, store: ox.Store, *, workers: int, timeout: float) -> None:
        if workers < 1:
            raise ValueError("the pool needs at least one worker")
        self.store = store
        self.size = workers
        self.timeout = timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self.restarts = 0

    async def start(self) -> None:
        for _ in range(self.size):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self.store)
        self._all.add(worker)
        self._idle.put_nowait(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        self.restarts += 1
        self._add()

    async def run(self, job: QueryJob) -> QueryAnswer:
        """Evaluate ``job`` in a free worker; raises a :class:`QueryFailed`."""
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except TimeoutError as exc:
            raise PoolBusy(
                f"all {self.size} query workers stayed busy for {self.timeout:g} s"
            ) from exc
        loop = asyncio.get_running_loop()
        try:
            worker.conn.send(job)
            receiving = loop.run_in_executor(None, worker.conn.recv)
            reply = await asyncio.wait_for(asyncio.shield(receiving), self.timeout)
        except TimeoutError as exc:
            # Kill first: the reader thread then sees EOF and returns; only then is
            # the pipe closed, so no thread ever reads from a closed descriptor.
            worker.terminate()
            with contextlib.suppress(Exception):
                await receiving
            self._replace(worker)
            raise QueryTimeout(self.timeout) from exc
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise WorkerLost("the query worker died while evaluating this query") from exc
        except BaseException:  # cancelled while waiting: the worker's state is unknown
            worker.terminate()
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        status = reply[0]
        if status == "ok":
            return QueryAnswer(body=reply[1], count=reply[2], kind=reply[3], seconds=reply[4])
        if status == "syntax":
            raise QuerySyntaxError(reply[1])
        if status == "too-large":
            raise ResultLimitExceeded(reply[1], reply[2])
        raise QueryEvaluationError(reply[1])

    async def close(self) -> None:
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
