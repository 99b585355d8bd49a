"""The slow query shapes of Oxigraph, variant by variant: ``python -m benchmarks.variants``.

``benchmarks/variants/*.rq`` hold the same questions written in different ways (``p*``: posts
below a ministry with ``org:subOrganizationOf*`` and their current holder; ``r*``: two queries of
the mix as written and rewritten). This times each of them in pyoxigraph in process (union
default graph) and, with ``--engines``, over HTTP on the benchmark's engines, and prints a
Markdown table: rows and median milliseconds.

``python -m benchmarks.variants --triples 100000 --engines oxigraph,virtuoso,kg-nocache``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import pyoxigraph

from benchmarks.engines import ENGINES
from benchmarks.mix import load
from benchmarks.run import data_file, send, summarise

VARIANT_DIR = Path(__file__).resolve().parent / "variants"


def time_in_process(data: Path, mix: list, repeat: int, budget_s: float) -> dict[str, tuple]:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.TRIG)
    out = {}
    for q in mix:
        times = []
        rows = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = len(list(store.query(q.text, use_default_graph_as_union=True)))
            times.append(time.perf_counter() - t0)
            if sum(times) > budget_s:
                break
        out[q.name] = (rows, statistics.median(times) * 1000)
    return out


async def _time_http(url: str, mix: list, repeat: int, timeout: float, budget_s: float) -> dict:
    out = {}
    async with aiohttp.ClientSession() as session:
        for q in mix:
            times = []
            rows: int | str = "?"
            for i in range(repeat):
                answer = await send(session, url, q, timeout, keep_body=i == 0)
                if not answer.ok:
                    rows = "timeout" if answer.timeout else "error"
                    times = []
                    break
                if i == 0:
                    try:
                        rows = summarise(q, answer.body, answer.content_type)["rows"]
                    except Exception:  # an answer that does not parse is reported, not fatal
                        rows = "unreadable"
                times.append(answer.seconds)
                if sum(times) > budget_s:
                    break
            out[q.name] = (rows, statistics.median(times) * 1000 if times else None)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="a TriG file (default: the benchmark's data)")
    parser.add_argument("--engines", default="", help="also over HTTP: e.g. oxigraph,virtuoso")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per variant at most")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    data = args.data or data_file(args.triples, 42, log)[0]
    variants = load(VARIANT_DIR)
    columns: dict[str, dict[str, tuple]] = {}
    log(f"pyoxigraph in process on {data.name}")
    columns["pyoxigraph (in process)"] = time_in_process(data, variants, args.repeat, args.budget)
    for name in [e for e in args.engines.split(",") if e]:
        engine = ENGINES[name]()
        why = engine.available()
        if why:
            log(f"{name}: skipped ({why})")
            continue
        with engine:
            running = engine.start(data)
            log(f"{name} over HTTP")
            columns[name] = asyncio.run(
                _time_http(running.url, variants, args.repeat, args.timeout, args.budget)
            )
    names = list(columns)
    print("| variant | rows | " + " | ".join(f"{n} ms" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for q in variants:
        rows = {str(columns[n][q.name][0]) for n in names}
        cells = []
        for n in names:
            r, ms = columns[n][q.name]
            cells.append(str(r) if ms is None else f"{ms:,.1f}")
        print(f"| {q.name}: {q.title} | {'/'.join(sorted(rows))} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
