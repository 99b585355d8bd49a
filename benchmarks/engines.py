"""Start and stop each SPARQL engine on loopback with a given data file.

Every engine is started in a fresh working directory (so a start is idempotent: nothing is
left over from an earlier run), listens on ``127.0.0.1`` on a free port, and is ready when a
SPARQL ``ASK {}`` over HTTP answers 200. What is measured at start: ``load_s`` (the time to
ingest the data, where the engine reports it apart from start-up), ``ready_s`` (from launching
to the first answered query, load included) and the resident memory of its processes.

Engines: ``kg`` (``kg serve``, this project's server, with its default settings), ``kg-nocache``
(the same with its result cache off), ``oxigraph`` (``oxigraph serve-read-only`` of the PyPI
package ``oxigraph``, after ``oxigraph load``, with ``--union-default-graph``),
``rdflib-endpoint`` (its ``SparqlEndpoint`` over an ``rdflib.Dataset(default_union=True)`` run
by uvicorn, exactly as its ``serve`` command does) and ``virtuoso`` (Debian's
``virtuoso-opensource`` 7, a minimal ``virtuoso.ini`` written here, bulk load with
``ld_dir``/``rdf_loader_run``).

``python -m benchmarks.engines ENGINE FILE`` starts one engine and keeps it running until
Ctrl-C (for trying queries by hand).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

#: Server-side limit on one query where the engine has one (the client gives up at the same time).
QUERY_TIMEOUT_S = 30


class EngineError(RuntimeError):
    """An engine that could not be started or loaded."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Memory of a process and all its descendants: the sum of their PSS.

    PSS (proportional set size) counts a page shared by n processes as 1/n in each, so that
    worker processes forked after loading (``kg serve``) are not counted n times, as summing
    their RSS would. Where PSS cannot be read, RSS is used.
    """
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            try:
                total += p.memory_full_info().pss
            except (psutil.AccessDenied, AttributeError):
                total += p.memory_info().rss
    return total


def _ask(url: str, timeout: float = 5.0) -> bool:
    body = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    req = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineError(f"exited with {proc.returncode}; log {log}:\n{_tail(log)}")
        if _ask(url):
            return
        time.sleep(0.05)
    raise EngineError(f"not ready after {limit_s:.0f} s; log {log}:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes] | None, grace_s: float = 10.0) -> None:
    """Stop a process we started (and the process group it leads)."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _launch(
    cmd: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # own process group, so that stop ends its children too
        )


@dataclass
class Running:
    """An engine that is up and answering."""

    name: str
    url: str  # the SPARQL endpoint, queries are POSTed as a form
    pid: int
    load_s: float | None
    ready_s: float
    rss_after_load: int
    extra: dict[str, object] = field(default_factory=dict)

    def rss(self) -> int:
        return rss_bytes(self.pid)


class Engine:
    """Base class: ``start`` returns a :class:`Running`, ``stop`` ends it and cleans up."""

    name = ""
    description = ""

    def __init__(self, workdir: Path | None = None) -> None:
        self.base = workdir
        self.dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    # -- to implement
    def available(self) -> str | None:
        """``None`` if the engine can run here, else why not."""
        return None

    def version(self) -> str:
        raise NotImplementedError

    def start(self, data: Path) -> Running:
        raise NotImplementedError

    # -- shared
    def _fresh_dir(self) -> Path:
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-", dir=self.base))
        return self.dir

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class KgServe(Engine):
    name = "kg"
    description = "kg serve (this project), default settings"
    extra_args: tuple[str, ...] = ()

    def available(self) -> str | None:
        exe = BIN / "kg"
        if not exe.exists():
            return f"{exe} not found"
        out = subprocess.run([str(exe), "serve", "--help"], capture_output=True, text=True)
        if out.returncode != 0:
            return "kg serve is not available: " + (out.stderr.strip().splitlines() or ["?"])[-1]
        return None

    def version(self) -> str:
        import pyoxigraph

        return f"kg {metadata.version('kg')} (pyoxigraph {pyoxigraph.__version__})"

    def command(self, port: int, data: Path | None) -> list[str]:
        cmd = [str(BIN / "kg"), "serve", "--host", HOST, "--port", str(port)]
        cmd += ["--query-timeout", str(QUERY_TIMEOUT_S)]
        if data is not None:
            cmd += ["--data", str(data), "--skip-validation"]
        return [*cmd, *self.extra_args]

    def start(self, data: Path | None) -> Running:
        """Serve ``data``, or the project's own data (validated) when ``data`` is None."""
        work = self._fresh_dir()
        port = free_port()
        log = work / "kg.log"
        url = f"http://{HOST}:{port}/sparql"
        t0 = time.perf_counter()
        self.proc = _launch(self.command(port, data), log, cwd=ROOT)
        _wait_ready(url, self.proc, log, limit_s=600)
        ready = time.perf_counter() - t0
        extra: dict[str, object] = {"log": _tail(log, 15)}
        match = re.search(r"ready in ([0-9.]+) s", _tail(log, 200))
        if match:
            extra["reported_ready_s"] = float(match.group(1))
        return Running(self.name, url, self.proc.pid, None, ready, rss_bytes(self.proc.pid), extra)


class KgServeNoCache(KgServe):
    name = "kg-nocache"
    description = "kg serve with its result cache off (--cache-bytes 0)"
    extra_args = ("--cache-bytes", "0")


class OxigraphServer(Engine):
    name = "oxigraph"
    description = "Oxigraph server (oxigraph serve-read-only, RocksDB store, --union-default-graph)"

    def exe(self) -> Path:
        return BIN / "oxigraph"

    def available(self) -> str | None:
        return None if self.exe().exists() else f"{self.exe()} not found (make bench-deps)"

    def version(self) -> str:
        out = subprocess.run([str(self.exe()), "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def start(self, data: Path) -> Running:
        work = self._fresh_dir()
        db = work / "db"
        log = work / "oxigraph.log"
        t0 = time.perf_counter()
        with log.open("ab") as fh:
            done = subprocess.run(
                [str(self.exe()), "load", "--location", str(db), "--file", str(data)],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            raise EngineError(f"oxigraph load failed; log {log}:\n{_tail(log)}")
        load = time.perf_counter() - t0
        port = free_port()
        url = f"http://{HOST}:{port}/query"
        cmd = [
            str(self.exe()),
            "serve-read-only",
            "--location",
            str(db),
            "--bind",
            f"{HOST}:{port}",
            "--union-default-graph",
            "--timeout-s",
            str(QUERY_TIMEOUT_S),
        ]
        self.proc = _launch(cmd, log, cwd=work)
        _wait_ready(url, self.proc, log, limit_s=120)
        ready = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in db.rglob("*") if f.is_file())
        return Running(
            self.name,
            url,
            self.proc.pid,
            load,
            ready,
            rss_bytes(self.proc.pid),
            {"disk_bytes": size},
        )


_RDFLIB_SERVER = r"""
import json, sys, time
t0 = time.perf_counter()
import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = Dataset(store="default", default_union=True)  # as `rdflib-endpoint serve` does
g.parse(path)
print(json.dumps({"load_s": time.perf_counter() - t0, "quads": len(g)}), flush=True)
uvicorn.run(SparqlEndpoint(graph=g), host=host, port=port, log_level="warning")
"""


class RdflibEndpoint(Engine):
    name = "rdflib-endpoint"
    description = "rdflib-endpoint (rdflib Dataset in memory, default_union=True, uvicorn)"

    def available(self) -> str | None:
        try:
            metadata.version("rdflib-endpoint")
        except metadata.PackageNotFoundError:
            return "rdflib-endpoint is not installed (make bench-deps)"
        return None

    def version(self) -> str:
        endpoint, rdflib = metadata.version("rdflib-endpoint"), metadata.version("rdflib")
        return f"rdflib-endpoint {endpoint} (rdflib {rdflib})"

    def start(self, data: Path) -> Running:
        work = self._fresh_dir()
        port = free_port()
        log = work / "rdflib.log"
        url = f"http://{HOST}:{port}/"
        t0 = time.perf_counter()
        self.proc = _launch(
            [sys.executable, "-c", _RDFLIB_SERVER, str(data), HOST, str(port)], log, cwd=work
        )
        _wait_ready(url, self.proc, log, limit_s=1800)
        ready = time.perf_counter() - t0
        load = None
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and "load_s" in line:
                load = float(json.loads(line)["load_s"])
        return Running(self.name, url, self.proc.pid, load, ready, rss_bytes(self.proc.pid))


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {host}:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 40
ServerThreads = 40
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {dir}, {data_dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 200000000
MaxQueryMem = 2G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000

[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = {dir}
MaxClientConnections = 40
ServerThreads = 40
MaxKeepAlives = 40
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
MaxSortedTopRows = 10000000
DefaultQuery = SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10
DeferInferenceRulesInit = 0
"""


class Virtuoso(Engine):
    """Debian's Virtuoso 7 with a database of its own in a temporary directory."""

    name = "virtuoso"
    description = (
        "Virtuoso Open Source 7 (Debian virtuoso-opensource), bulk loader, "
        "default graph = union of all graphs"
    )

    def __init__(self, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.sql_port = 0

    def available(self) -> str | None:
        for exe in ("virtuoso-t", "isql-vt"):
            if shutil.which(exe) is None:
                return f"{exe} not found (make bench-deps installs virtuoso-opensource)"
        return None

    def version(self) -> str:
        out = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True)
        match = re.search(r"Version (\S+)", out.stdout + out.stderr)
        return f"Virtuoso Open Source {match.group(1) if match else '?'}"

    def isql(self, sql: str, timeout: float = 3600) -> str:
        out = subprocess.run(
            [
                "isql-vt",
                f"{HOST}:{self.sql_port}",
                "dba",
                "dba",
                "VERBOSE=OFF",
                "BANNER=OFF",
                f"EXEC={sql}",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
            raise EngineError(f"isql failed: {sql}\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self, data: Path) -> Running:
        work = self._fresh_dir()
        data_dir = work / "load"
        data_dir.mkdir()
        # the bulk loader reads from a directory it is allowed to; a link keeps the file in place
        target = data_dir / data.name
        try:
            target.symlink_to(data.resolve())
        except OSError:
            shutil.copy(data, target)
        self.sql_port, http_port = free_port(), free_port()
        ini = work / "virtuoso.ini"
        ini.write_text(
            _VIRTUOSO_INI.format(
                dir=work, data_dir=data_dir, host=HOST, sql_port=self.sql_port, http_port=http_port
            )
        )
        log = work / "stdout.log"
        t0 = time.perf_counter()
        self.proc = _launch(["virtuoso-t", "+foreground", "+configfile", str(ini)], log, cwd=work)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise EngineError(f"virtuoso-t exited; {_tail(work / 'virtuoso.log')}")
            try:
                self.isql("status();", timeout=10)
                break
            except (EngineError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        t_load = time.perf_counter()
        fallback_graph = "urn:bench:default"
        self.isql(f"ld_dir('{data_dir}', '{data.name}', '{fallback_graph}');")
        self.isql("rdf_loader_run();")
        self.isql("checkpoint;")
        load = time.perf_counter() - t_load
        errors = self.isql(
            "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"
        )
        if data.name in errors:
            raise EngineError(f"Virtuoso bulk load reported an error:\n{errors}")
        url = f"http://{HOST}:{http_port}/sparql"
        _wait_ready(url, self.proc, log, limit_s=60)
        ready = time.perf_counter() - t0
        return Running(self.name, url, self.proc.pid, load, ready, rss_bytes(self.proc.pid))


ENGINES: dict[str, type[Engine]] = {
    e.name: e for e in (KgServe, KgServeNoCache, OxigraphServer, RdflibEndpoint, Virtuoso)
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start one engine with a data file and keep it running."
    )
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("data", type=Path)
    args = parser.parse_args(argv)
    engine = ENGINES[args.engine]()
    why = engine.available()
    if why:
        print(why, file=sys.stderr)
        return 2
    with engine:
        run = engine.start(args.data)
        print(
            f"{engine.version()}: {run.url} (pid {run.pid}), load {run.load_s} s, "
            f"ready {run.ready_s:.2f} s, memory (PSS) {run.rss_after_load / 2**20:.0f} MiB; "
            "Ctrl-C stops it",
            file=sys.stderr,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while engine.proc is not None and engine.proc.poll() is None:
                time.sleep(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
