"""``kg publish`` into a real store (Oxigraph's server on loopback), and the settings it uses.

Each test publishes a small project (``tests/cli_cases``) into an Oxigraph server of its
own, through the real command (``kg.cli.main``), and then looks at the store directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import StoreServer, free_port
from kg.cli import main
from kg.errors import StoreError
from kg.namespaces import PUBLICATION
from kg.remote_store import MANIFEST_GRAPH, MERGE_GRAPH, Endpoints, RemoteStore
from kg.settings import Settings
from kg.store import KnowledgeGraph

VALID_GRAPH = "https://w3id.org/ipkg/graph/fixture-valid"


@pytest.fixture
def server(oxigraph_factory: Callable[[], StoreServer]) -> StoreServer:
    return oxigraph_factory()


def store_of(server: StoreServer, **overrides: str | None) -> RemoteStore:
    values = {"query": server.query, "update": server.update, "gsp": server.gsp, **overrides}
    return RemoteStore(Endpoints(**values), timeout=30)  # type: ignore[arg-type]


def all_graphs(server: StoreServer) -> set[str]:
    """Every graph the store holds, whatever it is (the store's own view)."""
    store = store_of(server)
    rows = store._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", [])
    store.close()
    return {row["g"].value for row in rows}  # type: ignore[union-attr]


def publish_args(server: StoreServer, root: Path, *extra: str, gsp: bool = True) -> list[str]:
    args = ["publish", "--root", str(root), "--store", server.query]
    args += ["--store-update", server.update]
    if gsp:
        args += ["--store-gsp", server.gsp]
    return [*args, *extra]


@pytest.mark.parametrize("gsp", [True, False], ids=["graph-store-protocol", "sparql-update"])
def test_publish_round_trips_the_dataset_with_the_same_counts(
    server: StoreServer,
    new_project: Callable[[Sequence[str]], Path],
    capsys: pytest.CaptureFixture[str],
    gsp: bool,
) -> None:
    root = new_project(["valid.trig", "same_person_elsewhere.trig"])
    assert main(publish_args(server, root, gsp=gsp)) == 0
    err = capsys.readouterr().err
    assert "staged 4/4 graphs" in err
    assert "staging verified" in err
    assert "publication 1 is live" in err
    method = "Graph Store Protocol" if gsp else "SPARQL Update INSERT DATA"
    assert method in err

    assert main(["stats", "--root", str(root), "--format", "json"]) == 0
    embedded = capsys.readouterr().out
    assert main(["stats", "--root", str(root), "--store", server.query, "--format", "json"]) == 0
    remote = capsys.readouterr().out
    assert remote == embedded  # triples, quads, per graph, per class

    assert main(["export", "--root", str(root), "--format", "nquads"]) == 0
    local_dump = capsys.readouterr().out
    assert main(["export", "--root", str(root), "--store", server.query, "--format", "nquads"]) == 0
    assert capsys.readouterr().out == local_dump

    store = store_of(server)
    publication = store.read_publication()
    assert publication is not None and publication.stable and publication.generation == 1
    kg = KnowledgeGraph.load(Settings.from_env(root=root))
    assert publication.graphs == kg.graph_sizes()
    assert publication.triples == kg.triple_count()
    assert not any("staging" in g for g in all_graphs(server))
    assert {MERGE_GRAPH, MANIFEST_GRAPH} <= all_graphs(server)
    store.close()


def test_invalid_data_is_never_published(
    server: StoreServer,
    project_with_one_violation: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(publish_args(server, project_with_one_violation)) == 1
    err = capsys.readouterr().err
    assert "nothing was published" in err
    assert all_graphs(server) == set()  # not even a staging graph


def test_an_unreachable_store_is_exit_2_with_a_clear_message(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}"
    args = ["publish", "--root", str(conforming_project), "--store", url + "/query"]
    assert main([*args, "--store-update", url + "/update"]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot reach the store at {url}/query" in err
    assert "hint:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "embedded"], "kg publish needs the remote store"),
        (["--store", "ftp://example.org/q"], "is not an absolute http:// or https:// URL"),
        (["--store", "http://user:secret@127.0.0.1:1/q"], "KG_STORE_USER and KG_STORE_PASSWORD"),
    ],
)
def test_bad_store_settings_are_exit_2(
    conforming_project: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert main(["publish", "--root", str(conforming_project), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "secret" not in err


def test_publishing_needs_the_update_url(
    server: StoreServer, conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["publish", "--root", str(conforming_project), "--store", server.query]
    assert main(args) == 2
    assert "--store-update URL" in capsys.readouterr().err
    assert all_graphs(server) == set()


def test_a_second_publish_switches_and_drops_graphs_no_longer_published(
    server: StoreServer,
    new_project: Callable[[Sequence[str]], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    two = new_project(["valid.trig", "same_person_elsewhere.trig"])
    one = new_project(["valid.trig"])
    assert main(publish_args(server, two)) == 0
    before = all_graphs(server)
    assert main(publish_args(server, one, gsp=False)) == 0
    assert "1 DROP" in capsys.readouterr().err
    after = all_graphs(server)
    assert len(after) == len(before) - 1
    store = store_of(server)
    publication = store.read_publication()
    assert publication is not None and publication.generation == 2
    assert set(publication.graphs) | {MERGE_GRAPH, MANIFEST_GRAPH} == after
    store.close()


def test_a_failed_staging_leaves_the_old_data_and_no_staging_graphs(
    server: StoreServer,
    new_project: Callable[[Sequence[str]], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = new_project(["valid.trig"])
    assert main(publish_args(server, root)) == 0
    before = all_graphs(server)
    other = new_project(["valid.trig", "same_person_elsewhere.trig"])
    args = publish_args(server, other, gsp=False)
    args += ["--store-gsp", server.query.replace("/query", "/no-such-service")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "has no SPARQL graph upload service (404)" in err
    assert "the store keeps its data" in err
    assert all_graphs(server) == before
    store = store_of(server)
    publication = store.read_publication()
    assert publication is not None and publication.generation == 1 and publication.staging == ()
    store.close()


def test_a_failed_switch_on_an_atomic_store_leaves_the_old_data(
    server: StoreServer, new_project: Callable[[Sequence[str]], Path]
) -> None:
    from kg import publish
    from kg.query_service import DataVersion
    from kg.store import served_files

    first = new_project(["valid.trig"])
    assert main(publish_args(server, first, "--quiet")) == 0
    before = all_graphs(server)
    store = store_of(server)
    sizes = store.graph_sizes(sorted(before))
    root = new_project(["valid.trig", "same_person_elsewhere.trig"])
    settings = Settings.from_env(root=root)
    kg = KnowledgeGraph.load(settings)
    version = DataVersion.of_files(served_files(settings))

    def sabotage(message: str) -> None:  # a staging graph disappears just before the switch
        if message.startswith("switch:"):
            staging = store.read_publication().staging  # type: ignore[union-attr]
            store.update(f"DROP GRAPH <{staging[0]}>")

    with pytest.raises(StoreError, match="the switch failed, so the store keeps its previous"):
        publish.publish(
            kg, store, version=version.digest, modified=version.modified, progress=sabotage
        )
    assert all_graphs(server) == before
    assert store.graph_sizes(sorted(before)) == sizes
    assert store.read_publication().staging == ()  # type: ignore[union-attr]
    store.close()


def test_the_protocol_for_stores_without_transactions(
    server: StoreServer, new_project: Callable[[Sequence[str]], Path]
) -> None:
    """On a store that is not known to apply an update as a transaction (every store but
    Oxigraph), the manifest says ``switching`` while the graphs move; here on Oxigraph."""
    from kg import publish
    from kg.query_service import DataVersion
    from kg.store import served_files

    assert main(publish_args(server, new_project(["valid.trig"]), "--quiet")) == 0
    root = new_project(["valid.trig", "same_person_elsewhere.trig"])
    settings = Settings.from_env(root=root)
    kg = KnowledgeGraph.load(settings)
    version = DataVersion.of_files(served_files(settings))
    store = store_of(server)
    seen: list[tuple[str, str]] = []

    def look(message: str) -> None:
        publication = store.read_publication()
        assert publication is not None
        seen.append((message.split(" ", 1)[0], publication.state))

    report = publish.publish(
        kg, store, version=version.digest, modified=version.modified, atomic=False, progress=look
    )
    assert report.generation == 2
    states = dict(seen)
    assert states["staging"] == "stable"  # readers are served the old data meanwhile
    assert states["switch:"] == "switching"
    assert states["verified:"] == "stable"
    store.close()


def test_settings_never_show_the_password() -> None:
    settings = Settings.from_env(store="http://127.0.0.1:1/q", store_password="secret-pw")
    assert "secret-pw" not in repr(settings)
    endpoints = Endpoints.from_settings(
        Settings.from_env(store="http://h/q", store_user="u", store_password="secret-pw")
    )
    assert "secret-pw" not in repr(endpoints)
    assert "secret-pw" not in repr(endpoints.auth())


def test_staging_graphs_are_named_in_the_publication_namespace() -> None:
    from kg.publish import _staging

    assert _staging("abcd", 3) == str(PUBLICATION["staging-abcd-3"])
