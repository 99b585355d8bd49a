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
``ld_dir``/``rdf_loader_run``). For the scale runs (:mod:`benchmarks.scale`) also
``kg-oxigraph`` and ``kg-virtuoso`` (each with a ``-nocache`` twin): ``kg serve --store URL`` in
front of an Oxigraph server or a Virtuoso of its own, which ``kg publish``'s code has loaded.

With ``BENCH_KG_REV`` set (the scale runs set it to ``HEAD``), ``kg`` runs from that git
revision, extracted with ``git archive``, not from the working tree.

``python -m benchmarks.engines ENGINE FILE`` starts one engine and keeps it running until
Ctrl-C (for trying queries by hand).
"""

from __future__ import annotations

import argparse
import atexit
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


def _status_kib(pid: int, field_name: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``), 0 if unreadable."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def memory_detail(pids: tuple[int, ...]) -> dict[str, float]:
    """Memory of the process trees rooted at ``pids``, in MiB.

    ``pss``: PSS summed over every process (what :func:`rss_bytes` gives); ``rss``: RSS summed
    (counts pages shared by forked workers once per process); ``hwm``: ``VmHWM``, the kernel's
    peak RSS over the life of each *root* process, summed over the roots (for ``kg serve`` that
    is the process that parsed and loaded the data, before its workers were forked; for
    Virtuoso the one process that loaded and serves).
    """
    pss = rss = hwm = 0
    processes = 0
    for pid in pids:
        pss += rss_bytes(pid)
        hwm += _status_kib(pid, "VmHWM") * 1024
        try:
            proc = psutil.Process(pid)
            tree = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                rss += p.memory_info().rss
                processes += 1
    return {
        "pss": round(pss / 2**20, 1),
        "rss": round(rss / 2**20, 1),
        "hwm": round(hwm / 2**20, 1),
        "processes": processes,
    }


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """CPU time (user + system) of the process trees rooted at ``pids`` (live processes)."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            tree = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
    return total


def machine_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores, not idle, not waiting for I/O)."""
    with contextlib.suppress(OSError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(f) for f in fields[:8]]
        busy = sum(ticks) - ticks[3] - ticks[4] - ticks[7]  # minus idle, iowait, steal
        return busy / os.sysconf("SC_CLK_TCK")
    return 0.0


def dir_bytes(path: Path) -> int:
    """Bytes in the regular files under ``path`` (symbolic links not followed)."""
    total = 0
    for f in path.rglob("*"):
        with contextlib.suppress(OSError):
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_blocks * 512  # allocated, as du counts (sparse files)
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
    #: further process trees that belong to the engine (the store behind a front)
    more_pids: tuple[int, ...] = ()

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.pid, *self.more_pids)

    def rss(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids)

    def memory(self) -> dict[str, float]:
        return memory_detail(self.pids)

    def cpu(self) -> float:
        return cpu_seconds(self.pids)


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


_CHECKOUTS: dict[str, tuple[Path, str]] = {}


def kg_checkout(rev: str) -> tuple[Path, str]:
    """The project's files at git revision ``rev``, extracted once into a temporary directory.

    With ``BENCH_KG_REV`` set, ``kg serve`` runs from such a copy (``PYTHONPATH`` puts its
    ``src`` before the editable install), so that a benchmark measures a commit, not a working
    tree that others may be editing. Returns the directory and the full commit hash.
    """
    if rev not in _CHECKOUTS:
        commit = subprocess.run(
            ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        target = Path(tempfile.mkdtemp(prefix=f"bench-kg-{commit[:7]}-"))
        archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise EngineError(f"git archive {commit} failed")
        atexit.register(shutil.rmtree, target, ignore_errors=True)
        _CHECKOUTS[rev] = (target, commit)
    return _CHECKOUTS[rev]


class KgServe(Engine):
    name = "kg"
    description = "kg serve (this project), default settings"
    extra_args: tuple[str, ...] = ()

    def source(self) -> tuple[Path, dict[str, str], str]:
        """Where ``kg`` runs from: directory, environment, and a label for the version."""
        rev = os.environ.get("BENCH_KG_REV")
        if not rev:
            return ROOT, {}, "working tree"
        where, commit = kg_checkout(rev)
        pythonpath = os.pathsep.join(
            p for p in (str(where / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        return where, {"PYTHONPATH": pythonpath}, f"commit {commit[:10]}"

    def available(self) -> str | None:
        exe = BIN / "kg"
        if not exe.exists():
            return f"{exe} not found"
        cwd, env, _ = self.source()
        out = subprocess.run(
            [str(exe), "serve", "--help"],
            capture_output=True,
            text=True,
            cwd=cwd,
            env={**os.environ, **env},
        )
        if out.returncode != 0:
            return "kg serve is not available: " + (out.stderr.strip().splitlines() or ["?"])[-1]
        return None

    def version(self) -> str:
        import pyoxigraph

        where = self.source()[2]
        return f"kg {metadata.version('kg')}, {where} (pyoxigraph {pyoxigraph.__version__})"

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
        cwd, env, _ = self.source()
        t0 = time.perf_counter()
        self.proc = _launch(self.command(port, data), log, cwd=cwd, env=env)
        _wait_ready(url, self.proc, log, limit_s=1800)
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
            loader = subprocess.Popen(
                [str(self.exe()), "load", "--location", str(db), "--file", str(data)],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(loader.pid, 0)
            loader.returncode = os.waitstatus_to_exitcode(status)
        if loader.returncode != 0:
            raise EngineError(f"oxigraph load failed; log {log}:\n{_tail(log)}")
        load = time.perf_counter() - t0
        load_peak = usage.ru_maxrss * 1024  # kB on Linux
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
        return Running(
            self.name,
            url,
            self.proc.pid,
            load,
            ready,
            rss_bytes(self.proc.pid),
            {"disk_bytes": dir_bytes(db), "load_peak_rss_mib": round(load_peak / 2**20, 1)},
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
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}

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

    #: 8 KiB pages of Virtuoso's buffer pool: 170,000 (1.3 GiB) unless ``BENCH_VIRTUOSO_BUFFERS``
    #: says otherwise (the scale runs give it enough to hold the whole database)
    DEFAULT_BUFFERS = 170_000

    def __init__(self, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.sql_port = 0
        self.base_url = ""
        self.buffers = int(os.environ.get("BENCH_VIRTUOSO_BUFFERS", self.DEFAULT_BUFFERS))

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

    def start(self, data: Path | None) -> Running:
        """Virtuoso with ``data`` bulk-loaded, or with an empty database if ``data`` is None."""
        work = self._fresh_dir()
        data_dir = work / "load"
        data_dir.mkdir()
        if data is not None:
            # the bulk loader reads from a directory it is allowed to; a link keeps the file
            target = data_dir / data.name
            try:
                target.symlink_to(data.resolve())
            except OSError:
                shutil.copy(data, target)
        self.sql_port, http_port = free_port(), free_port()
        ini = work / "virtuoso.ini"
        ini.write_text(
            _VIRTUOSO_INI.format(
                dir=work,
                data_dir=data_dir,
                host=HOST,
                sql_port=self.sql_port,
                http_port=http_port,
                buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 4,
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
        load = None
        if data is not None:
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
        self.base_url = f"http://{HOST}:{http_port}"
        _wait_ready(url, self.proc, log, limit_s=60)
        ready = time.perf_counter() - t0
        return Running(
            self.name,
            url,
            self.proc.pid,
            load,
            ready,
            rss_bytes(self.proc.pid),
            {"disk_bytes": self.disk_bytes(), "buffers": self.buffers},
        )

    def disk_bytes(self) -> int:
        if self.dir is None:
            return 0
        return sum(
            dir_bytes(f) if f.is_dir() else f.stat().st_blocks * 512
            for f in self.dir.iterdir()
            if f.name.startswith("virtuoso") and not f.is_symlink()
        )


# -------------------------------------------------------------------------------------------
# kg serve in front of a remote store (kg serve --store URL), the store loaded by kg publish

_PUBLISH = r"""
import json, sys, time
from pathlib import Path
from kg import publish
from kg.dataset import parse_file, parse_ontology
from kg.query_service import DataVersion
from kg.remote_store import Endpoints, RemoteStore
from kg.settings import EMBEDDED, Settings
from kg.store import KnowledgeGraph, served_files

data, query, update, gsp = sys.argv[1:5]
t0 = time.perf_counter()
settings = Settings.from_env(data=(Path(data),), store=query, store_update=update, store_gsp=gsp)
local = Settings.from_env(data=(Path(data),), store=EMBEDDED)
# what kg publish does after validating (kg publish has no --skip-validation)
graph = KnowledgeGraph.from_parsed([*parse_ontology(local), parse_file(Path(data))])
parsed = time.perf_counter() - t0
version = DataVersion.of_files(served_files(local))
store = RemoteStore(Endpoints.from_settings(settings), timeout=publish.REQUEST_TIMEOUT)
say = lambda msg: print(msg, file=sys.stderr, flush=True)
report = publish.publish(
    graph, store, version=version.digest, modified=version.modified, progress=say,
    accept_changes=True,
)
store.close()
print(json.dumps({
    "parse_s": parsed, "publish_s": report.seconds, "switch_s": report.switch_seconds,
    "method": report.method, "mode": report.mode, "summary": report.summary(),
    "loaded_triples": report.loaded_triples, "graphs": report.graphs, "triples": report.triples,
    "quads": report.quads, "changes": len(report.changes),
}), flush=True)
"""


class KgFront(KgServe):
    """``kg serve --store URL`` in front of a store of its own, loaded with ``kg publish``.

    Load time is the publication into the empty store (parse the file, digest every graph and
    the merge, load them in place, count them -- and, on stores other than Oxigraph, read them
    back --, write the manifest); memory and disk are those of the store and the front together.
    """

    #: The store's engine (started empty), its endpoints (paths on its base URL) and the
    #: credentials kg publish uses.
    store_class: type[_OxigraphStore | Virtuoso]
    paths: tuple[tuple[str, str], ...] = ()
    credentials: tuple[tuple[str, str], ...] = ()

    def __init__(self, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.backend: _OxigraphStore | Virtuoso | None = None

    def available(self) -> str | None:
        why = self.store_class().available() or super().available()
        if why:
            return why
        cwd, env, _ = self.source()
        out = subprocess.run(
            [str(BIN / "kg"), "serve", "--help"],
            capture_output=True,
            text=True,
            cwd=cwd,
            env={**os.environ, **env},
        )
        if "--store" not in out.stdout:
            return "kg serve has no --store option (a remote store) in this version"
        return None

    def version(self) -> str:
        return f"{super().version()} in front of {self.backend_version()}"

    def backend_version(self) -> str:
        return self.store_class().version()

    def start_backend(self) -> tuple[Running, dict[str, str], dict[str, str]]:
        """The empty store: its :class:`Running`, the publish endpoints and the credentials."""
        backend = self.store_class(self.base)
        self.backend = backend
        running = backend.start(None)
        endpoints = {role: backend.base_url + path for role, path in self.paths}
        return running, endpoints, dict(self.credentials)

    def backend_disk(self) -> int:
        return self.backend.disk_bytes() if self.backend is not None else 0

    def start(self, data: Path | None) -> Running:
        if data is None:
            raise EngineError("a front needs data to publish")
        store, endpoints, credentials = self.start_backend()
        work = self._fresh_dir()
        cwd, env, _ = self.source()
        env = {**env, **credentials}
        log = work / "publish.log"
        t0 = time.perf_counter()
        with log.open("ab") as fh:
            publisher = subprocess.Popen(
                [
                    str(BIN / "python"),
                    "-c",
                    _PUBLISH,
                    str(data.resolve()),
                    endpoints["query"],
                    endpoints["update"],
                    endpoints["gsp"],
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**os.environ, **env},
            )
            _, status, usage = os.wait4(publisher.pid, 0)
            publisher.returncode = os.waitstatus_to_exitcode(status)
        load = time.perf_counter() - t0
        if publisher.returncode != 0:
            raise EngineError(f"publishing failed; log {log}:\n{_tail(log)}")
        report: dict[str, object] = {}
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and "publish_s" in line:
                report = json.loads(line)
        port = free_port()
        url = f"http://{HOST}:{port}/sparql"
        cmd = [str(BIN / "kg"), "serve", "--host", HOST, "--port", str(port)]
        cmd += ["--query-timeout", str(QUERY_TIMEOUT_S), "--store", endpoints["query"]]
        cmd += list(self.extra_args)
        t1 = time.perf_counter()
        self.proc = _launch(cmd, work / "kg.log", cwd=cwd, env=env)
        _wait_ready(url, self.proc, work / "kg.log", limit_s=600)
        front_ready = time.perf_counter() - t1
        return Running(
            self.name,
            url,
            self.proc.pid,
            load,
            store.ready_s + load + front_ready,
            rss_bytes(self.proc.pid) + rss_bytes(store.pid),
            {
                "disk_bytes": self.backend_disk(),
                "load_peak_rss_mib": round(usage.ru_maxrss / 2**10, 1),
                "publish": report,
                "front_ready_s": round(front_ready, 3),
                "store_ready_s": round(store.ready_s, 3),
            },
            more_pids=(store.pid,),
        )

    def stop(self) -> None:
        super().stop()
        if self.backend is not None:
            self.backend.stop()
            self.backend = None


class _OxigraphStore(OxigraphServer):
    """Oxigraph's server, read-write and empty (for kg publish); no union default graph."""

    def start(self, data: Path | None) -> Running:
        work = self._fresh_dir()
        db = work / "db"
        port = free_port()
        url = f"http://{HOST}:{port}/query"
        cmd = [str(self.exe()), "serve", "--location", str(db), "--bind", f"{HOST}:{port}"]
        cmd += ["--timeout-s", str(QUERY_TIMEOUT_S)]
        t0 = time.perf_counter()
        self.proc = _launch(cmd, work / "oxigraph.log", cwd=work)
        _wait_ready(url, self.proc, work / "oxigraph.log", limit_s=120)
        self.base_url = f"http://{HOST}:{port}"
        self.db = db
        ready = time.perf_counter() - t0
        return Running(self.name, url, self.proc.pid, None, ready, rss_bytes(self.proc.pid))

    def disk_bytes(self) -> int:
        return dir_bytes(self.db)


class KgFrontOxigraph(KgFront):
    name = "kg-oxigraph"
    description = (
        "kg serve --store in front of Oxigraph's server (oxigraph serve, RocksDB), "
        "loaded by kg publish (Oxigraph's bulk loader, POST /store?no_transaction), default "
        "settings"
    )
    store_class = _OxigraphStore
    paths = (("query", "/query"), ("update", "/update"), ("gsp", "/store"))


class KgFrontOxigraphNoCache(KgFrontOxigraph):
    name = "kg-oxigraph-nocache"
    description = "the same with the front's result cache off (--cache-bytes 0)"
    extra_args = ("--cache-bytes", "0")


class KgFrontVirtuoso(KgFront):
    name = "kg-virtuoso"
    description = (
        "kg serve --store in front of Virtuoso (the benchmark's virtuoso.ini), loaded by "
        "kg publish (Graph Store Protocol, user dba), default settings"
    )
    store_class = Virtuoso
    paths = (("query", "/sparql"), ("update", "/sparql-auth"), ("gsp", "/sparql-graph-crud-auth"))
    credentials = (("KG_STORE_USER", "dba"), ("KG_STORE_PASSWORD", "dba"))


class KgFrontVirtuosoNoCache(KgFrontVirtuoso):
    name = "kg-virtuoso-nocache"
    description = "the same with the front's result cache off (--cache-bytes 0)"
    extra_args = ("--cache-bytes", "0")


ENGINES: dict[str, type[Engine]] = {
    e.name: e
    for e in (
        KgServe,
        KgServeNoCache,
        OxigraphServer,
        RdflibEndpoint,
        Virtuoso,
        KgFrontOxigraph,
        KgFrontOxigraphNoCache,
        KgFrontVirtuoso,
        KgFrontVirtuosoNoCache,
    )
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
