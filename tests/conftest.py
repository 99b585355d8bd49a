"""Shared fixtures: small, self-contained project folders for the CLI and validation tests.

Each project is a root with ``ontology/`` (a copy of the real ``ontology/ipo.ttl``),
``shapes/`` (``tests/cli_cases/shapes.ttl``: one ``sh:minCount`` shape and one of
severity ``sh:Warning``) and ``data/`` (chosen files from ``tests/cli_cases/``), so
the tests do not depend on the real data and shapes. Fixture names say what state
the project is in.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from kg.store import KnowledgeGraph

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cli_cases"


def make_project(root: Path, data: Sequence[str]) -> Path:
    """A project at ``root`` with the real ontology, the test shapes and ``data`` (case names)."""
    for folder in ("ontology", "shapes", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "ontology" / "ipo.ttl", root / "ontology" / "ipo.ttl")
    shutil.copy(CASES / "shapes.ttl", root / "shapes" / "shapes.ttl")
    for name in data:
        shutil.copy(CASES / name, root / "data" / name)
    return root


@pytest.fixture
def conforming_project(tmp_path: Path) -> Path:
    """One data file (``data/valid.trig``) with one person that satisfies every shape."""
    return make_project(tmp_path / "conforming_project", ["valid.trig"])


@pytest.fixture
def project_with_one_violation(tmp_path: Path) -> Path:
    """``data/valid.trig`` and ``data/one_violation.trig`` (a person without family name)."""
    return make_project(
        tmp_path / "project_with_one_violation", ["valid.trig", "one_violation.trig"]
    )


@pytest.fixture
def project_with_only_a_warning(tmp_path: Path) -> Path:
    """``data/valid.trig`` and ``data/only_warning.trig`` (a person without label: a warning)."""
    return make_project(
        tmp_path / "project_with_only_a_warning", ["valid.trig", "only_warning.trig"]
    )


@pytest.fixture
def project_with_a_blank_node_violation(tmp_path: Path) -> Path:
    """``data/valid.trig`` and a file whose person without family name is a blank node."""
    return make_project(
        tmp_path / "project_with_a_blank_node_violation",
        ["valid.trig", "blank_node_violation.trig"],
    )


@pytest.fixture
def project_with_a_syntax_error(tmp_path: Path) -> Path:
    """``data/valid.trig`` and ``data/syntax_error.trig`` (a missing ';' before line 9)."""
    return make_project(
        tmp_path / "project_with_a_syntax_error", ["valid.trig", "syntax_error.trig"]
    )


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[[Sequence[str]], Path]:
    """Make a project with the given ``tests/cli_cases`` data files: ``new_project(["a.trig"])``."""
    counter = iter(range(1_000_000))

    def make(data: Sequence[str]) -> Path:
        return make_project(tmp_path / f"project-{next(counter)}", data)

    return make


# ----------------------------------------------------------------- the SPARQL endpoint


@pytest.fixture(scope="module")
def endpoint_client() -> Iterator[TestClient]:
    """The web application over the real data, in process, workers started."""
    from fastapi.testclient import TestClient

    from kg.settings import Settings
    from kg.web.app import create_app

    settings = Settings.from_env(query_timeout=3.0, max_results=500, workers=2)
    with TestClient(create_app(settings)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def running_server() -> Iterator[str]:
    """``python -m kg serve`` on a free loopback port (2 s query timeout); yields its base URL."""
    port = free_port()
    env = {**os.environ, "KG_QUERY_TIMEOUT": "2", "KG_WORKERS": "2", "KG_MAX_RESULTS": "500"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"kg serve exited with {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("kg serve did not become ready in 30 s")
    try:
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# ----------------------------------------------------------------- remote stores
#
# Real stores on loopback, started once per session: Oxigraph's server from the pinned
# ``oxigraph`` wheel (``make install``), in memory; Virtuoso in tests/test_remote_virtuoso.py.


class StoreServer:
    """A store's URLs (query, update, Graph Store Protocol) and the process serving them."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        query: str,
        update: str,
        gsp: str,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.process = process
        self.query = query
        self.update = update
        self.gsp = gsp
        self.user = user
        self.password = password

    def settings(self, **overrides: object) -> object:
        """Settings for the project's data served from this store."""
        from kg.settings import Settings

        values: dict[str, object] = {
            "root": REPO,
            "store": self.query,
            "store_update": self.update,
            "store_gsp": self.gsp,
            "store_user": self.user,
            "store_password": self.password,
        }
        values.update(overrides)
        return Settings.from_env(**values)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wait_for_http(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def start_oxigraph() -> StoreServer:
    """Oxigraph's server on a free loopback port, in memory; it stops a query after 30 s."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        pytest.fail("the oxigraph server is missing: run make install (the dev extra pins it)")
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "serve", "--bind", f"127.0.0.1:{port}", "--timeout-s", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/query?query=ASK%7B%7D", process)
    return StoreServer(process, base + "/query", base + "/update", base + "/store")


@pytest.fixture(scope="session")
def oxigraph_factory() -> Iterator[Callable[[], StoreServer]]:
    """Start empty Oxigraph servers on demand (each stopped at the end of the session)."""
    started: list[StoreServer] = []

    def start() -> StoreServer:
        server = start_oxigraph()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def publish_project_data(server: StoreServer) -> object:
    """Publish the project's data (as ``kg serve`` loads it) into ``server``; the report."""
    from kg import publish
    from kg.query_service import DataVersion
    from kg.remote_store import Endpoints, RemoteStore
    from kg.settings import Settings
    from kg.store import KnowledgeGraph, served_files

    settings = Settings.from_env(root=REPO)
    kg = KnowledgeGraph.load(settings)
    version = DataVersion.of_files(served_files(settings))
    endpoints = Endpoints(server.query, server.update, server.gsp, server.user, server.password)
    store = RemoteStore(endpoints, timeout=600)
    try:
        return publish.publish(
            kg, store, version=version.digest, modified=version.modified, accept_changes=True
        )
    finally:
        store.close()


@pytest.fixture(scope="session")
def published_oxigraph(oxigraph_factory: Callable[[], StoreServer]) -> StoreServer:
    """An Oxigraph server holding the project's data, published by ``kg publish``'s core."""
    server = oxigraph_factory()
    publish_project_data(server)
    return server


# ------------------------------------------------------------ the embedded store, for comparison


@pytest.fixture(scope="module")
def embedded() -> KnowledgeGraph:
    """The embedded store over the project's data: the answers a remote store must give."""
    from kg.settings import Settings
    from kg.store import KnowledgeGraph

    return KnowledgeGraph.load(Settings.from_env(root=REPO))


@pytest.fixture(scope="module")
def embedded_client() -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from kg.settings import Settings
    from kg.web.app import create_app

    settings = Settings.from_env(root=REPO, query_timeout=3.0, max_results=500, workers=2)
    with TestClient(create_app(settings)) as client:
        yield client
