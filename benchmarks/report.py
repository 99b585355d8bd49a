"""Markdown tables from the results: ``python -m benchmarks.report [FILE.json ...]``.

Without arguments it reads the newest result file of each size in ``benchmarks/results``.
It prints the machine, the date, the engine versions, and per size: throughput per engine and
concurrency, load time and memory, p50 latency per query (concurrency 1 and 8), answers per
query (with disagreements marked), and how ``kg`` stands against the targets of the issue.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: Short column names for the engines, in the order of the tables.
ORDER = ("kg", "kg-nocache", "oxigraph", "virtuoso", "rdflib-endpoint")


def newest_per_size(directory: Path) -> list[Path]:
    best: dict[int, Path] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            size = int(json.loads(path.read_text())["data"]["requested"])
        except (ValueError, KeyError, OSError):
            continue
        best[size] = path  # sorted by name = by date, so the last one wins
    return [best[s] for s in sorted(best)]


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _engines(result: dict[str, Any]) -> list[str]:
    names = list(result["engines"])
    return sorted(names, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))


def _level(eng: dict[str, Any], c: int) -> dict[str, Any] | None:
    return eng.get("levels", {}).get(str(c))


def throughput_table(result: dict[str, Any]) -> list[str]:
    levels = result["settings"]["concurrency"]
    lines = [
        "| engine | "
        + " | ".join(f"q/s at c={c}" for c in levels)
        + " | errors + timeouts | load s | ready s | memory MiB (peak) |",
        "|---|" + "---:|" * (len(levels) + 4),
    ]
    for name in _engines(result):
        eng = result["engines"][name]
        if "levels" not in eng:
            why = eng.get("skipped") or eng.get("failed", "?")
            lines.append(
                f"| {name} | " + " | ".join("–" for _ in levels) + f" | {why[:80]} | | | |"
            )
            continue
        cells = []
        bad = 0
        for c in levels:
            lvl = _level(eng, c)
            cells.append(_fmt(lvl["throughput_qps"]) if lvl else "–")
            if lvl:
                bad += lvl["errors"] + lvl["timeouts"]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {bad} | {_fmt(eng.get('load_s'), 2)} | {_fmt(eng.get('ready_s'), 2)}"
            + f" | {_fmt(eng.get('rss_mib_after_load'), 0)} ({_fmt(eng.get('rss_mib_peak'), 0)}) |"
        )
    return lines


def latency_table(result: dict[str, Any], c: int) -> list[str]:
    names = [n for n in _engines(result) if _level(result["engines"][n], c)]
    lines = [
        f"| query (p50 ms at c={c}) | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for q in result["settings"]["queries"]:
        cells = []
        for n in names:
            stats = _level(result["engines"][n], c)["queries"][q]  # type: ignore[index]
            cell = _fmt(stats["p50_ms"], 2)
            if stats["timeouts"] or stats["errors"]:
                cell += f" ({stats['timeouts'] + stats['errors']} failed)"
            cells.append(cell)
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines


def tail_table(result: dict[str, Any], c: int) -> list[str]:
    names = [n for n in _engines(result) if _level(result["engines"][n], c)]
    lines = [
        f"| query (p95 / p99 ms at c={c}) | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for q in result["settings"]["queries"]:
        cells = []
        for n in names:
            stats = _level(result["engines"][n], c)["queries"][q]  # type: ignore[index]
            cells.append(f"{_fmt(stats['p95_ms'], 1)} / {_fmt(stats['p99_ms'], 1)}")
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    return lines


def answers_table(result: dict[str, Any]) -> list[str]:
    names = _engines(result)
    lines = ["| query | " + " | ".join(names) + " | agree |", "|---|" + "---:|" * (len(names) + 1)]
    for q, agreement in result["agreement"].items():
        rows = agreement["rows"]
        cells = [str(rows.get(n, "error")) for n in names if "answers" in result["engines"][n]]
        mark = "yes" if agreement["counts_agree"] else "**no**"
        if agreement["counts_agree"] and not agreement["digests_agree"]:
            mark = "counts (values differ)"
        lines.append(f"| {q} | " + " | ".join(cells) + f" | {mark} |")
    return lines


def targets(result: dict[str, Any]) -> list[str]:
    """kg against the targets of the issue (meant for the 100k result)."""
    eng = result["engines"]
    out = []
    for kg in ("kg", "kg-nocache"):
        if kg not in eng or "levels" not in eng[kg]:
            continue
        k8 = _level(eng[kg], 8)
        if not k8:
            continue
        tput = k8["throughput_qps"]
        checks = []
        for other, factor in (("virtuoso", 1), ("oxigraph", 2), ("rdflib-endpoint", 20)):
            o8 = _level(eng.get(other, {}), 8)
            if o8:
                ratio = tput / o8["throughput_qps"] if o8["throughput_qps"] else float("inf")
                ok = ratio >= factor
                checks.append(
                    f"{ratio:.1f} x {other} (target ≥ {factor} x: {'met' if ok else 'missed'})"
                )
        ox = _level(eng.get("oxigraph", {}), 1)
        k1 = _level(eng[kg], 1)
        slower = []
        if ox and k1:
            for q, s in k1["queries"].items():
                o = ox["queries"][q]["p50_ms"]
                if s["p50_ms"] is not None and o is not None and s["p50_ms"] > o:
                    slower.append(f"{q} ({s['p50_ms']:.2f} vs {o:.2f} ms)")
        label = k1["queries"].get("q01-lookup-label", {}).get("p50_ms") if k1 else None
        out.append(
            f"- **{kg}** at c=8: {tput:,.0f} q/s = "
            + "; ".join(checks)
            + ". "
            + (
                "Queries slower at p50 (c=1) than Oxigraph's server: " + ", ".join(slower) + ". "
                if slower
                else "No query slower at p50 (c=1) than Oxigraph's server. "
            )
            + (
                f"Label lookup p50 {label:.2f} ms "
                f"(target < 2 ms: {'met' if label < 2 else 'missed'})."
                if label is not None
                else ""
            )
        )
    start = result.get("kg_startup_real_data")
    if start and "ready_s_median" in start:
        s = start["ready_s_median"]
        out.append(
            f"- **kg serve start-up on the real data** (validate, load, listen; from launching the "
            f"process to the first answered query, median of {len(start['ready_s_runs'])}): "
            f"{s:.2f} s "
            f"(target < 3 s: {'met' if s < 3 else 'missed'})."
        )
    return out


def render(paths: list[Path]) -> str:
    results = [json.loads(p.read_text()) for p in paths]
    if not results:
        return "No results yet: run `make bench`.\n"
    first = results[0]
    m = first["machine"]
    lines = [
        f"Measured on {', '.join(sorted({r['date'] for r in results}))}: "
        f"{m['cpu']}, {m['cores']} cores, "
        f"{m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}. Each engine ran alone on the "
        "machine with the load driver (Python, aiohttp) on the same two cores.",
        "",
        "Engines:",
        "",
    ]
    seen = {}
    for r in results:
        for name, eng in r["engines"].items():
            if "version" in eng:
                seen[name] = (eng["version"], eng["description"])
    for name in sorted(seen, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
        lines.append(f"- `{name}`: {seen[name][0]} — {seen[name][1]}")
    s = first["settings"]
    lines += [
        "",
        f"Mix of {len(s['queries'])} queries, each client sends them round-robin; "
        f"{s['duration_s']:.0f} s per concurrency level "
        "(longer until every query has been answered once, "
        f"at most {s['max_duration_s']:.0f} s); request timeout {s['timeout_s']:.0f} s.",
    ]
    for r in results:
        d = r["data"]
        lines += [
            "",
            f"### {d['requested']:,} triples ({d['quads']:,} quads, "
            f"{d['triples']:,} distinct triples, "
            f"{d['graphs']} named graphs; {r['date']}; "
            f"{r['settings']['duration_s']:.0f}–{r['settings']['max_duration_s']:.0f} s per level)",
            "",
            *throughput_table(r),
            "",
            *latency_table(r, 1),
            "",
            *latency_table(r, 8),
            "",
            *tail_table(r, 8),
            "",
            "Answers (rows; triples for DESCRIBE; 1/0 for ASK):",
            "",
            *answers_table(r),
        ]
        t = targets(r)
        if t:
            lines += ["", "Targets:", "", *t]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.files or newest_per_size(RESULTS_DIR)
    sys.stdout.write(render(paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
