"""HTTP load driver: the query mix against every engine, at several sizes and concurrencies.

``python -m benchmarks.run [--sizes 10000,100000] [--engines kg,oxigraph,...] [--duration 15]``

For each size the synthetic data is generated once (``benchmarks/data/``, reused when present)
and every engine is started on it in turn (one engine up at a time). For each engine:

1. *check*: every query once, its answer counted (rows, boolean or triples) and digested, so
   that the answers of the engines can be compared; plus the number of quads loaded;
2. *warm-up*: one more round of the mix;
3. for each concurrency level (1, 8, 32): that many clients each send the mix round-robin (each
   starting at a different query) for ``--duration`` seconds, and on until every query has been
   answered at least once (at most ``--max-duration``). Latency is measured per request from
   sending to the end of the body; a request that takes longer than ``--timeout`` counts as a
   timeout and the client goes on. Throughput is answered queries per second of wall time.

Requests are SPARQL 1.1 Protocol POSTs (``application/x-www-form-urlencoded``) with ``Accept:
application/sparql-results+json`` for SELECT and ASK and ``text/turtle`` for DESCRIBE.

Results go to ``benchmarks/results/<date>-<size>.json``; ``python -m benchmarks.report`` makes
the Markdown tables of the README from them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import signal
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import generate
from benchmarks.engines import (
    ENGINES,
    QUERY_TIMEOUT_S,
    Engine,
    EngineError,
    KgServe,
    Running,
    machine_busy_seconds,
)
from benchmarks.mix import Query, load

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
RESULTS_DIR = HERE / "results"
DEFAULT_ENGINES = ("kg", "kg-nocache", "oxigraph", "rdflib-endpoint", "virtuoso")

# -------------------------------------------------------------------------------------------
# Machine


def machine() -> dict[str, Any]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


# -------------------------------------------------------------------------------------------
# One request


@dataclass
class Answer:
    ok: bool
    seconds: float
    status: int = 0
    body: bytes = b""
    error: str = ""
    timeout: bool = False
    content_type: str = ""


async def send(
    session: aiohttp.ClientSession, url: str, query: Query, timeout: float, keep_body: bool = False
) -> Answer:
    t0 = time.perf_counter()
    try:
        async with session.post(
            url,
            data={"query": query.text},
            headers={"Accept": query.accept},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            body = await resp.read()
            seconds = time.perf_counter() - t0
            # Virtuoso's "anytime query" answers 200 with partial results and says so here
            partial = resp.headers.get("X-SQL-State")
            if resp.status != 200 or partial:
                reason = f"HTTP {resp.status}" + (f" {partial}" if partial else "")
                snippet = body[:200].decode("utf-8", "replace")
                return Answer(False, seconds, resp.status, body, f"{reason}: {snippet}")
            if not looks_complete(query, body):
                snippet = body[-120:].decode("utf-8", "replace")
                return Answer(
                    False, seconds, resp.status, body, f"truncated 200 answer: …{snippet}"
                )
            return Answer(
                True,
                seconds,
                resp.status,
                body if keep_body else b"",
                content_type=resp.content_type,
            )
    except TimeoutError:
        return Answer(False, time.perf_counter() - t0, error="timeout", timeout=True)
    except aiohttp.ClientError as exc:
        return Answer(False, time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")


def looks_complete(query: Query, body: bytes) -> bool:
    """A cheap check that a 200 answer was not cut off.

    Oxigraph's server, when its ``--timeout-s`` strikes after it has started to stream the
    results, ends the 200 response with ``The SPARQL operation has been cancelled`` in place of
    the rest of the document.
    """
    tail = body[-64:].rstrip()
    if query.form in ("SELECT", "ASK"):
        return tail.endswith(b"}") or tail.endswith(b">")  # JSON, or XML if the engine chose it
    return not tail or tail.endswith(b".") or tail.endswith(b">") or tail.endswith(b"]")


# -------------------------------------------------------------------------------------------
# Answers: counted and digested for the comparison of engines


def _norm_term(term: dict[str, str]) -> tuple[str, ...]:
    kind = term.get("type", "")
    if kind == "typed-literal":  # old form still sent by some engines
        kind = "literal"
    datatype = term.get("datatype", "")
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = ""
    return (kind, term.get("value", ""), datatype, term.get("xml:lang", "").lower())


_RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/plain": "nt",
}


def summarise(query: Query, body: bytes, content_type: str = "text/turtle") -> dict[str, Any]:
    """Rows (or boolean, or triples) of an answer, and a digest of its content."""
    if query.form in ("DESCRIBE", "CONSTRUCT"):
        import rdflib

        graph = rdflib.Graph()
        fmt = (
            "xml"
            if body.lstrip().startswith(b"<?xml")
            else _RDF_FORMATS.get(content_type, "turtle")
        )
        graph.parse(data=body, format=fmt)
        triples = sorted(
            f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph if not isinstance(s, rdflib.BNode)
        )
        digest = hashlib.sha1("\n".join(triples).encode()).hexdigest()[:12]
        return {"rows": len(graph), "digest": digest}
    data = json.loads(body)
    if query.form == "ASK":
        value = bool(data["boolean"])
        return {"rows": int(value), "boolean": value, "digest": str(value)}
    names = data["head"].get("vars", [])
    rows = sorted(
        tuple(_norm_term(b[v]) if v in b else ("",) for v in names)
        for b in data["results"]["bindings"]
    )
    digest = hashlib.sha1(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:12]
    return {"rows": len(rows), "digest": digest}


# -------------------------------------------------------------------------------------------
# Load at one concurrency level


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class LevelStats:
    concurrency: int
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)
    error_examples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu_s: float = 0.0

    def as_dict(self, mix: list[Query]) -> dict[str, Any]:
        ok = sum(len(v) for v in self.samples.values())
        per_query = {}
        for q in mix:
            values = self.samples.get(q.name, [])
            per_query[q.name] = {
                "n": len(values),
                "errors": self.errors.get(q.name, 0),
                "timeouts": self.timeouts.get(q.name, 0),
                "p50_ms": _ms(percentile(values, 0.50)),
                "p95_ms": _ms(percentile(values, 0.95)),
                "p99_ms": _ms(percentile(values, 0.99)),
                "mean_ms": _ms(statistics.fmean(values) if values else None),
                "max_ms": _ms(max(values) if values else None),
            }
        every = [v for values in self.samples.values() for v in values]
        return {
            "concurrency": self.concurrency,
            "elapsed_s": round(self.elapsed, 3),
            "ok": ok,
            "mix_p50_ms": _ms(percentile(every, 0.50)),
            "mix_p95_ms": _ms(percentile(every, 0.95)),
            "mix_p99_ms": _ms(percentile(every, 0.99)),
            "errors": sum(self.errors.values()),
            "timeouts": sum(self.timeouts.values()),
            "throughput_qps": round(ok / self.elapsed, 3) if self.elapsed else 0.0,
            "client_cpu_s": round(self.client_cpu_s, 2),
            "error_examples": self.error_examples[:5],
            "queries": per_query,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


async def run_level(
    url: str,
    mix: list[Query],
    concurrency: int,
    duration: float,
    max_duration: float,
    timeout: float,
) -> LevelStats:
    stats = LevelStats(concurrency)
    answered: set[str] = set()
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    cpu0 = time.process_time()
    start = time.perf_counter()

    async def worker(i: int) -> None:
        index = (i * len(mix)) // concurrency
        while True:
            now = time.perf_counter() - start
            if now >= max_duration or (now >= duration and len(answered) == len(mix)):
                return
            query = mix[index % len(mix)]
            index += 1
            answer = await send(session, url, query, timeout)
            answered.add(query.name)
            if answer.ok:
                stats.samples.setdefault(query.name, []).append(answer.seconds)
            elif answer.timeout:
                stats.timeouts[query.name] = stats.timeouts.get(query.name, 0) + 1
            else:
                stats.errors[query.name] = stats.errors.get(query.name, 0) + 1
                if len(stats.error_examples) < 20:
                    stats.error_examples.append(f"{query.name}: {answer.error}")

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    stats.elapsed = time.perf_counter() - start
    stats.client_cpu_s = time.process_time() - cpu0
    return stats


async def check_answers(url: str, mix: list[Query], timeout: float) -> dict[str, Any]:
    """Every query once: its answer summarised, its latency, or its error."""
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        for query in mix:
            answer = await send(session, url, query, timeout, keep_body=True)
            if answer.ok:
                try:
                    summary = summarise(query, answer.body, answer.content_type)
                except Exception as exc:  # any unreadable answer is reported, not fatal
                    out[query.name] = {"error": f"unreadable {answer.content_type}: {exc}"[:500]}
                else:
                    out[query.name] = {
                        **summary,
                        "content_type": answer.content_type,
                        "ms": round(answer.seconds * 1000, 2),
                    }
            else:
                out[query.name] = {"error": answer.error or "timeout"}
        count = Query(
            "count",
            "quads in the data's named graphs",
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            'FILTER(STRSTARTS(STR(?g), "https://w3id.org/ipkg/graph/")) }',
            "SELECT",
        )
        answer = await send(session, url, count, 600, keep_body=True)
        if answer.ok:
            data = json.loads(answer.body)
            out["_quads"] = int(data["results"]["bindings"][0]["n"]["value"])
    return out


class RssSampler:
    """Samples the engine's memory every half second; keeps the peaks.

    ``peak`` is the largest PSS sum (bytes), ``peak_rss`` the largest RSS sum (MiB).
    """

    def __init__(self, running: Running) -> None:
        self.running = running
        self.peak = running.rss_after_load
        self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        detail = self.running.memory()
        self.peak = max(self.peak, int(detail["pss"] * 2**20))
        self.peak_rss = max(self.peak_rss, detail["rss"])

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


# -------------------------------------------------------------------------------------------
# One engine, one size


def bench_engine(
    engine: Engine,
    data: Path,
    mix: list[Query],
    levels: list[int],
    duration: float,
    max_duration: float,
    timeout: float,
    log: Any,
    check_timeout: float = 120.0,
) -> dict[str, Any]:
    result: dict[str, Any] = {"description": engine.description}
    why = engine.available()
    if why:
        log(f"  {engine.name}: skipped ({why})")
        return {**result, "skipped": why}
    result["version"] = engine.version()
    with engine:
        try:
            running = engine.start(data)
        except EngineError as exc:
            log(f"  {engine.name}: failed to start: {exc}")
            return {**result, "failed": str(exc)[:2000]}
        log(
            f"  {engine.name} ({result['version']}): ready in {running.ready_s:.2f} s"
            + (f", load {running.load_s:.2f} s" if running.load_s is not None else "")
            + f", memory {running.rss_after_load / 2**20:.0f} MiB"
        )
        result.update(
            url=running.url,
            load_s=None if running.load_s is None else round(running.load_s, 3),
            ready_s=round(running.ready_s, 3),
            rss_mib_after_load=round(running.rss_after_load / 2**20, 1),
            memory_measure="pss",
            memory_after_load=running.memory(),
            **{k: v for k, v in running.extra.items() if k != "log"},
        )
        with RssSampler(running) as rss:
            answers = asyncio.run(check_answers(running.url, mix, max(timeout, check_timeout)))
            result["quads_loaded"] = answers.pop("_quads", None)
            result["answers"] = answers
            failed = [name for name, a in answers.items() if "error" in a]
            log(
                f"    answers: {sum(1 for a in answers.values() if 'rows' in a)}/{len(mix)} ok"
                + (f", failed: {', '.join(failed)}" if failed else "")
                + f"; {result['quads_loaded']} quads loaded"
            )
            asyncio.run(run_level(running.url, mix, 1, 0, max_duration, timeout))  # warm-up round
            result["levels"] = {}
            for c in levels:
                busy0, engine0 = machine_busy_seconds(), running.cpu()
                stats = asyncio.run(run_level(running.url, mix, c, duration, max_duration, timeout))
                level = stats.as_dict(mix)
                # CPU that neither the engine nor the driver used: other work on the machine
                engine_cpu = running.cpu() - engine0
                other = machine_busy_seconds() - busy0 - engine_cpu - stats.client_cpu_s
                level["engine_cpu_s"] = round(engine_cpu, 2)
                level["other_cpu_cores"] = round(max(0.0, other) / stats.elapsed, 2)
                result["levels"][str(c)] = level
                log(
                    f"    c={c:<3d} {level['throughput_qps']:9.1f} q/s  ok {level['ok']:6d}  "
                    f"errors {level['errors']}  timeouts {level['timeouts']}  "
                    f"({level['elapsed_s']:.0f} s; other work on the machine "
                    f"{level['other_cpu_cores']:.2f} cores)"
                )
        result["rss_mib_peak"] = round(rss.peak / 2**20, 1)
        result["rss_sum_mib_peak"] = rss.peak_rss
        result["memory_at_end"] = running.memory()  # its "hwm" is the peak over the whole life
    return result


def compare(engines: dict[str, Any], mix: list[Query]) -> dict[str, Any]:
    """Per query: rows per engine, and whether counts (and digests) agree."""
    out: dict[str, Any] = {}
    for q in mix:
        rows = {}
        digests = {}
        for name, res in engines.items():
            a = res.get("answers", {}).get(q.name)
            if a and "rows" in a:
                rows[name] = a["rows"]
                digests[name] = a["digest"]
        out[q.name] = {
            "rows": rows,
            "counts_agree": len(set(rows.values())) <= 1,
            "digests_agree": len(set(digests.values())) <= 1,
        }
    return out


# -------------------------------------------------------------------------------------------
# kg serve on the real data: start-up time (validate, load, listen)


def kg_startup_on_real_data(repeat: int, log: Any) -> dict[str, Any] | None:
    engine = KgServe()
    why = engine.available()
    if why:
        return {"skipped": why}
    times, reported = [], []
    for _ in range(repeat):
        with engine:
            try:
                running = engine.start(None)
            except EngineError as exc:
                return {"failed": str(exc)[:2000]}
            times.append(running.ready_s)
            if "reported_ready_s" in running.extra:
                reported.append(float(running.extra["reported_ready_s"]))  # type: ignore[arg-type]
    result = {
        "ready_s_runs": [round(t, 3) for t in times],
        "ready_s_median": round(statistics.median(times), 3),
        "reported_ready_s_median": round(statistics.median(reported), 3) if reported else None,
    }
    log(
        f"  kg serve on the project's data: ready in {result['ready_s_median']:.2f} s "
        f"(median of {repeat})"
    )
    return result


# -------------------------------------------------------------------------------------------


def data_file(size: int, seed: int, log: Any) -> tuple[Path, dict[str, Any]]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"synthetic-{size}-seed{seed}.trig"
    meta_path = path.with_suffix(".json")
    gen_digest = hashlib.sha1(Path(generate.__file__).read_bytes()).hexdigest()[:12]
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == gen_digest:
            return path, meta
    t0 = time.perf_counter()
    ds = generate.generate(size, path, "trig", seed)
    meta = {
        "requested": size,
        "quads": ds.quads,
        "triples": ds.triples(),
        "graphs": len(ds.graphs),
        "seed": seed,
        "generator": gen_digest,
        "file": str(path.relative_to(HERE.parent)),
        "bytes": path.stat().st_size,
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    log(f"  generated {path.name}: {ds.quads} quads in {time.perf_counter() - t0:.1f} s")
    return path, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "10000,100000"))
    parser.add_argument(
        "--engines", default=os.environ.get("BENCH_ENGINES", ",".join(DEFAULT_ENGINES))
    )
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 15))
    )
    parser.add_argument("--max-duration", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=float(QUERY_TIMEOUT_S))
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--startup-repeat", type=int, default=3)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="update the engines run here in today's result file of each size, keep the others",
    )
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # on SIGTERM, unwind so that the running engine is stopped and its directory removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    names = [e for e in args.engines.split(",") if e]
    unknown = [e for e in names if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; known: {sorted(ENGINES)}")
    levels = [int(c) for c in args.concurrency.split(",")]
    mix = load()
    today = dt.date.today().isoformat()
    args.out.mkdir(parents=True, exist_ok=True)
    startup = None
    if "kg" in names or "kg-nocache" in names:
        log("kg serve start-up on the project's real data")
        startup = kg_startup_on_real_data(args.startup_repeat, log)
    for size in sizes:
        log(f"size {size}")
        path, meta = data_file(size, args.seed, log)
        result: dict[str, Any] = {
            "date": today,
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "data": meta,
            "settings": {
                "concurrency": levels,
                "duration_s": args.duration,
                "max_duration_s": args.max_duration,
                "timeout_s": args.timeout,
                "queries": [q.name for q in mix],
            },
            "queries": {q.name: q.title for q in mix},
            "engines": {},
        }
        out = args.out / f"{today}-{size}.json"
        if args.merge and out.exists():
            earlier = json.loads(out.read_text())
            if earlier["data"] == meta and earlier["settings"]["queries"] == [q.name for q in mix]:
                result["engines"] = earlier["engines"]
                result["settings"] = earlier["settings"]
                if "kg_startup_real_data" in earlier:
                    result["kg_startup_real_data"] = earlier["kg_startup_real_data"]
        if startup is not None:
            result["kg_startup_real_data"] = startup
        for name in names:
            result["engines"][name] = bench_engine(
                ENGINES[name](),
                path,
                mix,
                levels,
                args.duration,
                args.max_duration,
                args.timeout,
                log,
            )
        result["agreement"] = compare(result["engines"], mix)
        for qname, agreement in result["agreement"].items():
            if not agreement["counts_agree"]:
                log(f"  DISAGREEMENT {qname}: {agreement['rows']}")
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        log(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
