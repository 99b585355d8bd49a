"""The benchmark at scale: the query mix at 1M (and 10M) triples for each store.

``python -m benchmarks.scale --size 1000000 [--engines kg,oxigraph,...] [--merge]`` runs it;
``python -m benchmarks.scale --report`` prints the Markdown tables of the README from the newest
result of each size. ``make bench-scale SIZE=1000000`` does both.

Stores: the embedded store of ``kg serve`` (with and without its result cache), Oxigraph's server
and Virtuoso, and -- where ``kg serve`` can front a remote SPARQL store (``kg serve --store``)
-- ``kg serve`` in front of each of them (with and without the cache). One store runs at a time,
on the data of :mod:`benchmarks.generate` at the requested size; the procedure is that of
:mod:`benchmarks.run` (every query once, a warm-up round, then concurrency 1 and 8, each for
``--duration`` seconds and on until every query has been answered, at most ``--max-duration``),
and on top of it the scale run records, per store:

* load time (wall): ``oxigraph load`` and Virtuoso's bulk loader + checkpoint; ``kg serve`` loads
  while it starts, so for it the load time is the start-up (parse, load, fork workers, listen);
* memory: PSS summed over the store's processes after loading and its peak during the mix, RSS
  summed, and ``VmHWM`` (the kernel's peak RSS over the life of the server process, so with the
  load; for Oxigraph the loader's own peak as well);
* bytes on disk (Oxigraph's RocksDB directory, Virtuoso's database, transaction and temporary
  files; ``kg serve``'s embedded store is in memory);
* throughput and latency percentiles (p50/p95/p99 over all answered requests) at c=1 and c=8,
  and p50 per query.

Results: ``benchmarks/results/scale/<date>-<size>.json`` (``--merge`` re-runs some stores into
today's file of that size and keeps the others, so that each store can be run on its own).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks import generate
from benchmarks.engines import ENGINES, QUERY_TIMEOUT_S, machine_busy_seconds
from benchmarks.mix import load
from benchmarks.report import _fmt, newest_per_size
from benchmarks.run import RESULTS_DIR, bench_engine, compare, data_file, machine

SCALE_DIR = RESULTS_DIR / "scale"

#: The stores of the scale run, in the order of the tables, with their labels.
STORES: dict[str, str] = {
    "kg": "kg serve, embedded store",
    "kg-nocache": "kg serve, embedded store, no result cache",
    "oxigraph": "Oxigraph 0.5.13 server",
    "virtuoso": "Virtuoso 7.2.5",
    "kg-oxigraph": "kg serve in front of Oxigraph server",
    "kg-oxigraph-nocache": "kg serve in front of Oxigraph server, no result cache",
    "kg-virtuoso": "kg serve in front of Virtuoso",
    "kg-virtuoso-nocache": "kg serve in front of Virtuoso, no result cache",
}
DEFAULT_STORES = tuple(name for name in STORES if name in ENGINES)


def run(
    size: int,
    stores: list[str],
    *,
    duration: float,
    max_duration: float,
    timeout: float,
    levels: list[int],
    seed: int,
    out_dir: Path,
    merge: bool,
    log: Any,
    wait_idle: float = 0.0,
    min_available_mib: float = 0.0,
    retries: int = 0,
    busy_limit: float = 0.3,
) -> Path:
    mix = load()
    today = dt.date.today().isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    log(f"size {size}")
    path, meta = data_file(size, seed, log)
    result: dict[str, Any] = {
        "kind": "scale",
        "date": today,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "data": meta,
        "settings": {
            "concurrency": levels,
            "duration_s": duration,
            "max_duration_s": max_duration,
            "timeout_s": timeout,
            "queries": [q.name for q in mix],
            "nice": os.getpriority(os.PRIO_PROCESS, 0),
        },
        "queries": {q.name: q.title for q in mix},
        "engines": {},
    }
    out = out_dir / f"{today}-{size}.json"
    if merge and out.exists():
        earlier = json.loads(out.read_text())
        same_mix = earlier["settings"]["queries"] == result["settings"]["queries"]
        if earlier["data"] == meta and same_mix:
            result["engines"] = earlier["engines"]
            result["settings"] = earlier["settings"]
            result["started"] = earlier["started"]
    os.environ["BENCH_VIRTUOSO_BUFFERS"] = str(virtuoso_buffers(size))
    for name in stores:
        attempts: list[dict[str, Any]] = []
        for attempt in range(1 + retries):
            load_before = wait_until_idle(wait_idle, log)
            engine = ENGINES[name]()
            with MemoryGuard(min_available_mib) as guard:
                eng = bench_engine(
                    engine,
                    path,
                    mix,
                    levels,
                    duration,
                    max_duration,
                    timeout,
                    log,
                    check_timeout=timeout,
                )
            eng["other_cpu_cores_before"] = load_before
            eng["attempt"] = attempt + 1
            if guard.tripped:
                eng["memory_guard"] = guard.tripped
                log(f"    STOPPED by the memory guard: {guard.tripped}")
                attempts.append(eng)
                break
            attempts.append(eng)
            busy = interference(eng)
            if busy <= busy_limit:
                break
            log(f"    other work on the machine used {busy:.2f} cores during the run")
        # the attempt least disturbed by other work on the machine
        eng = min(attempts, key=interference)
        eng["attempts_other_cpu_cores"] = [interference(a) for a in attempts]
        result["engines"][name] = eng
        if "memory_at_end" in eng:
            log(
                f"    memory (PSS) after load {eng['rss_mib_after_load']:.0f} MiB, peak "
                f"{eng['rss_mib_peak']:.0f} MiB; VmHWM {eng['memory_at_end']['hwm']:.0f} MiB"
            )
        result["agreement"] = compare(result["engines"], mix)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")  # after each store
    for qname, agreement in result["agreement"].items():
        if not agreement["counts_agree"]:
            log(f"  DISAGREEMENT {qname}: {agreement['rows']}")
    log(f"  wrote {out}")
    return out


def interference(eng: dict[str, Any]) -> float:
    """The most CPU (in cores) that other work on the machine used during one of the levels."""
    levels = eng.get("levels", {}).values()
    return max((lvl.get("other_cpu_cores", 0.0) for lvl in levels), default=0.0)


def mem_available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


class MemoryGuard:
    """Stops the store if the machine runs short of memory, rather than waking the OOM killer.

    The machine has no swap and other sessions' processes on it: when ``MemAvailable`` falls
    below ``floor_mib``, every process this benchmark started (engines, loaders) is killed with
    SIGKILL; the run then records the failure and the memory that was in use.
    """

    def __init__(self, floor_mib: float) -> None:
        self.floor_mib = floor_mib
        self.tripped: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            available = mem_available_mib()
            if available >= self.floor_mib:
                continue
            mine = psutil.Process().children(recursive=True)
            usage = []
            for proc in mine:
                with contextlib.suppress(psutil.Error):
                    usage.append((proc.name(), round(proc.memory_info().rss / 2**20)))
            for proc in mine:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            self.tripped = {
                "mem_available_mib": round(available),
                "floor_mib": self.floor_mib,
                "rss_mib_by_process": usage,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            return

    def __enter__(self) -> MemoryGuard:
        if self.floor_mib > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def virtuoso_buffers(size: int) -> int:
    """Virtuoso's buffer pool for a size: its ``virtuoso.ini`` guidance is 170,000 pages for
    2 GB of RAM and 680,000 for 8 GB; 170,000 (1.3 GiB) holds the 1M database, 680,000 (5.2 GiB)
    the 10M one."""
    return int(os.environ.get("BENCH_VIRTUOSO_BUFFERS", 170_000 if size <= 2_000_000 else 680_000))


def wait_until_idle(limit_s: float, log: Any, threshold: float = 0.25) -> float:
    """Wait (at most ``limit_s``) until the machine is quiet: in a 5-second window, other work
    used less than ``threshold`` cores. Returns the last window's figure.

    Other work on a 2-core machine halves an engine's throughput; the benchmark cannot stop it,
    but it can start a store when the machine is quiet (and records how busy it was during
    each level, ``other_cpu_cores``).
    """
    deadline = time.monotonic() + limit_s
    told = False
    while True:
        busy0 = machine_busy_seconds()
        time.sleep(5)
        busy = (machine_busy_seconds() - busy0) / 5
        if busy < threshold or time.monotonic() >= deadline:
            return round(busy, 2)
        if not told:
            log(f"  waiting for the machine to be quiet (other work: {busy:.2f} cores)")
            told = True


# -------------------------------------------------------------------------------------------
# Tables


def _stores(result: dict[str, Any]) -> list[str]:
    order = list(STORES)
    return sorted(result["engines"], key=lambda n: order.index(n) if n in order else len(order))


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _disk(eng: dict[str, Any], name: str) -> str:
    if "disk_bytes" in eng:
        return _mib(eng["disk_bytes"] / 2**20)
    return "in memory" if name.startswith("kg") else "–"


def _hwm(eng: dict[str, Any]) -> str:
    hwm = eng.get("memory_at_end", {}).get("hwm")
    loader = eng.get("load_peak_rss_mib")
    if loader is not None and hwm is not None:
        return f"{_mib(loader)} / {_mib(hwm)}"
    return _mib(hwm)


def _reason(text: str) -> str:
    """The line of a failure that says what went wrong (an exception's last line), shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Unavailable)\b", line)]
    first = lines[0].split(";")[0] if lines else "?"
    reason = f"{first}: {errors[-1].split('; ')[0]}" if errors else " ".join(lines)
    return reason[:300]


def _pcts(level: dict[str, Any] | None) -> str:
    if not level or level.get("mix_p50_ms") is None:
        return "–"
    return " / ".join(_fmt(level[f"mix_p{p}_ms"], 1) for p in (50, 95, 99))


def scale_table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| store | triples | load s | on disk MiB | memory after load MiB | peak in mix MiB "
        "| peak RSS MiB | q/s c=1 | q/s c=8 | ms p50 / p95 / p99 c=1 | ms p50 / p95 / p99 c=8 "
        "| failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        size = f"{r['data']['requested'] / 1e6:g}M"
        for name in _stores(r):
            eng = r["engines"][name]
            if "levels" not in eng or "memory_guard" in eng:
                why = eng.get("skipped") or eng.get("failed", "?")
                if "memory_guard" in eng:
                    g = eng["memory_guard"]
                    why = (
                        f"stopped when MemAvailable fell to {g['mem_available_mib']:,} MiB; "
                        + ", ".join(f"{n} {m:,} MiB" for n, m in g["rss_mib_by_process"])
                    )
                why = _reason(why)
                lines.append(f"| {name} | {size} | not measured: {why} |" + " |" * 9)
                continue
            lv = eng["levels"]
            l1, l8 = lv.get("1"), lv.get("8")
            load = eng.get("load_s")
            load_cell = _fmt(load, 1) if load is not None else f"{_fmt(eng['ready_s'], 1)}*"
            failed = sum(lvl["errors"] + lvl["timeouts"] for lvl in lv.values())
            failed += sum(1 for a in eng.get("answers", {}).values() if "error" in a)
            lines.append(
                f"| {name} | {size} | {load_cell} | {_disk(eng, name)} "
                f"| {_mib(eng.get('rss_mib_after_load'))} | {_mib(eng.get('rss_mib_peak'))} "
                f"| {_hwm(eng)} "
                f"| {_fmt(l1['throughput_qps']) if l1 else '–'} "
                f"| {_fmt(l8['throughput_qps']) if l8 else '–'} "
                f"| {_pcts(l1)} | {_pcts(l8)} | {failed} |"
            )
    return lines


def per_query_table(results: list[dict[str, Any]], c: int) -> list[str]:
    columns = []
    for r in results:
        size = f"{r['data']['requested'] / 1e6:g}M"
        for name in _stores(r):
            if str(c) in r["engines"][name].get("levels", {}):
                columns.append((f"{name} {size}", r["engines"][name]["levels"][str(c)]))
    lines = [
        f"| query (p50 ms at c={c}) | " + " | ".join(n for n, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for q in results[0]["settings"]["queries"]:
        cells = []
        for _, level in columns:
            stats = level["queries"].get(q)
            if stats is None:
                cells.append("")
                continue
            cell = _fmt(stats["p50_ms"], 2)
            bad = stats["timeouts"] + stats["errors"]
            if bad:
                cell += f" ({bad} failed)"
            cells.append(cell)
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines


def first_run_table(results: list[dict[str, Any]]) -> list[str]:
    """Each query's first execution, alone (the check round; for kg with cache: a miss)."""
    columns = []
    for r in results:
        size = f"{r['data']['requested'] / 1e6:g}M"
        for name in _stores(r):
            if "answers" in r["engines"][name]:
                columns.append((f"{name} {size}", r["engines"][name]["answers"]))
    lines = [
        "| query (first run alone, ms) | " + " | ".join(n for n, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for q in results[0]["settings"]["queries"]:
        cells = []
        for _, answers in columns:
            a = answers.get(q, {})
            if "ms" in a:
                cells.append(_fmt(a["ms"], 2))
            else:
                error = a.get("error", "")
                cells.append("timeout" if "timeout" in error or "cancelled" in error else "error")
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines


def render(paths: list[Path]) -> str:
    results = [json.loads(p.read_text()) for p in paths]
    if not results:
        return "No scale results yet: run `make bench-scale SIZE=1000000`.\n"
    m = results[0]["machine"]
    lines = [
        f"Measured on {', '.join(sorted({r['date'] for r in results}))}: {m['cpu']}, "
        f"{m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}; one store at a time, "
        "the load driver on the same cores.",
        "",
    ]
    for r in results:
        d = r["data"]
        s = r["settings"]
        lines.append(
            f"- {d['requested']:,} triples: {d['quads']:,} quads, {d['triples']:,} distinct "
            f"triples, {d['graphs']:,} named graphs, TriG file {d['bytes'] / 2**20:,.0f} MiB; "
            f"{s['duration_s']:.0f}–{s['max_duration_s']:.0f} s per level, timeout "
            f"{s['timeout_s']:.0f} s"
        )
    lines += ["", *scale_table(results), "", *first_run_table(results), ""]
    lines += [*per_query_table(results, 1), ""]
    lines += [*per_query_table(results, 8), ""]
    for r in results:
        names = [n for n in _stores(r) if "answers" in r["engines"][n]]
        bad = []
        for q, a in r["agreement"].items():
            if not a["counts_agree"] or len(a["rows"]) < len(names):
                rows = ", ".join(f"{n} {a['rows'].get(n, 'error')}" for n in names)
                bad.append(f"{q} ({rows})")
        verdict = "differ: " + "; ".join(bad) if bad else "all stores give the same number of rows."
        lines.append(f"Answers at {r['data']['requested']:,}: {verdict}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=int(os.environ.get("SIZE", 1_000_000)))
    parser.add_argument(
        "--engines", default=os.environ.get("BENCH_ENGINES", ",".join(DEFAULT_STORES))
    )
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--max-duration", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=float(QUERY_TIMEOUT_S))
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=SCALE_DIR)
    parser.add_argument("--merge", action="store_true", help="keep the other stores' results")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=300.0,
        help="before each store, wait up to this many seconds for the machine to be quiet",
    )
    parser.add_argument("--report", action="store_true", help="print the tables and stop")
    parser.add_argument("files", nargs="*", type=Path, help="result files for --report")
    parser.add_argument(
        "--min-available",
        type=float,
        default=2048.0,
        help="MiB of MemAvailable below which the store is killed (0: no guard)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        help="run a store again (keeping the least disturbed run) when other work on the "
        "machine used more than --busy-limit cores during one of its levels",
    )
    parser.add_argument("--busy-limit", type=float, default=0.3)
    parser.add_argument(
        "--kg-rev",
        default=os.environ.get("BENCH_KG_REV", "HEAD"),
        help="git revision of kg to run (default HEAD: the last commit, not the working tree; "
        "'' for the working tree)",
    )
    args = parser.parse_args(argv)
    if args.report:
        sys.stdout.write(render(args.files or newest_per_size(args.out)))
        return 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.kg_rev:
        os.environ["BENCH_KG_REV"] = args.kg_rev
    else:
        os.environ.pop("BENCH_KG_REV", None)
    names = [e for e in args.engines.split(",") if e]
    unknown = [e for e in names if e not in ENGINES]
    if unknown:
        parser.error(f"unknown store(s) {unknown}; known: {sorted(ENGINES)}")
    run(
        args.size,
        names,
        duration=args.duration,
        max_duration=args.max_duration,
        timeout=args.timeout,
        levels=[int(c) for c in args.concurrency.split(",")],
        seed=args.seed,
        out_dir=args.out,
        merge=args.merge,
        log=log,
        wait_idle=args.wait_idle,
        min_available_mib=args.min_available,
        retries=args.retries,
        busy_limit=args.busy_limit,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
