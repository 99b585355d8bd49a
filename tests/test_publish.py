"""``kg publish`` into a real store (Oxigraph's server on loopback), and the settings it uses.

Each test publishes into an Oxigraph server of its own, and then looks at the store directly:
a small project (``tests/cli_cases``) through the real command (``kg.cli.main``), or small
datasets made in the test through ``kg.publish.publish`` (first publication, republications
of identical and of changed data, old manifests, failures, readers during a switch).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from conftest import StoreServer, free_port
from kg.cli import main
from kg.errors import StoreError
from kg.namespaces import PUBLICATION
from kg.publish import PublishReport
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
    assert "first publication: loading 3 graphs and the merge in place" in err
    assert "loaded 4/4 graphs" in err
    assert "loaded graphs verified" in err
    assert "publication 1 is live" in err
    assert "(first publication, loaded in place)" in err
    if gsp:  # Oxigraph with its Graph Store Protocol URL: its bulk loader, one request here
        assert "Oxigraph's bulk loader (N-Quads POSTed to http://127.0.0.1:" in err
        assert "loaded: bulk request 1 (" in err
    else:
        assert "SPARQL Update INSERT DATA" in err

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


# ----------------------------------------------------------------- only what changed
#
# The core (``kg.publish.publish``) with small datasets made here (no validation), against a
# real Oxigraph server; what the store received is recorded from the client's requests.

SAYS = ox.NamedNode("urn:kg:test:says")
GRAPH = "https://w3id.org/ipkg/graph/"
PERSON = "https://w3id.org/ipkg/id/person/"


def dataset(graphs: Mapping[str, Sequence[tuple[str, str]]]) -> KnowledgeGraph:
    """Named graphs (name -> (person, value) statements) and their merge, as loaded."""
    quads = [
        ox.Quad(ox.NamedNode(PERSON + person), SAYS, ox.Literal(value), ox.NamedNode(GRAPH + g))
        for g, rows in graphs.items()
        for person, value in rows
    ]
    kg = KnowledgeGraph()
    kg.store.bulk_extend(quads)
    kg.store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    kg.report.files = len(graphs)
    return kg


class Received:
    """The requests the store received from one client: (method, path, graph, body)."""

    def __init__(self, store: RemoteStore) -> None:
        self.requests: list[tuple[str, str, str, str]] = []
        store.client.event_hooks["request"].append(self.record)

    def record(self, request: httpx.Request) -> None:
        body = request.content.decode("utf-8", "replace")
        graph = request.url.params.get("graph", "")
        self.requests.append((request.method, request.url.path, graph, body))

    def updates(self) -> list[str]:
        return [body for _, path, _, body in self.requests if path == "/update"]

    def uploads(self) -> list[tuple[str, str, str]]:
        return [(m, graph, body) for m, path, graph, body in self.requests if path == "/store"]

    def clear(self) -> None:
        self.requests.clear()


def run_publish(
    kg: KnowledgeGraph, store: RemoteStore, version: str = "v", **options: Any
) -> tuple[PublishReport, list[str]]:
    from kg import publish

    lines: list[str] = []
    options.setdefault("progress", lines.append)
    report = publish.publish(
        kg, store, version=version, modified=datetime(2024, 1, 1, tzinfo=UTC), **options
    )
    return report, lines


def data_dump(server: StoreServer) -> set[str]:
    """Every quad the store holds outside the manifest, as N-Quads lines."""
    response = httpx.get(server.gsp, headers={"Accept": "application/n-quads"}, timeout=30)
    response.raise_for_status()
    return {line for line in response.text.splitlines() if f"<{MANIFEST_GRAPH}>" not in line}


def published_quads(store: RemoteStore) -> set[ox.Quad]:
    """What the store serves as the dataset (the merge as default graph), read afresh."""
    store.open()
    return set(store)


V1 = {
    "a": [("p1", "x"), ("p2", "y")],
    "b": [("p3", "z")],
    "c": [("p4", "w"), ("p1", "x")],  # p1 x also in a: once in the merge
}
V2 = {
    "a": [("p1", "x"), ("p2", "y2")],  # changed: p2 y leaves the merge
    "b": [("p3", "z")],  # unchanged
    "d": [("p5", "n"), ("p4", "w")],  # new; p4 w moves here from c (stays in the merge)
}  # c is no longer published


def test_a_first_publication_is_bulk_loaded_in_place(server: StoreServer) -> None:
    store = store_of(server)
    received = Received(store)
    kg = dataset(V1)
    report, lines = run_publish(kg, store)
    assert report.mode == "first" and report.generation == 1
    assert report.changed_graphs == 3 and report.merge == "loaded"
    assert report.loaded_triples == 5 + 4
    assert "loaded: bulk request 1 (9 of 9 triples)" in lines
    assert not any("staging" in g for g in all_graphs(server))
    # the data went in one bulk request (N-Quads, the graphs named in it), no staging, no MOVE
    bulk = [(m, body) for m, graph, body in received.uploads() if not graph]
    assert len(bulk) == 1 and bulk[0][0] == "POST"
    assert f"<{GRAPH}a> .\n" in bulk[0][1] and f"<{MERGE_GRAPH}> .\n" in bulk[0][1]
    assert not any("MOVE <" in u and f"TO <{GRAPH}" in u for u in received.updates())
    assert [u for u in received.updates() if "MOVE" in u] == [
        f"MOVE <{publish_staging(store, received)}> TO <{MANIFEST_GRAPH}>"
    ]
    assert published_quads(store) == set(kg.store)
    publication = store.read_publication()
    assert publication is not None and publication.graphs == {GRAPH + g: 2 - (g == "b") for g in V1}
    assert set(publication.digests) == {*publication.graphs, MERGE_GRAPH}
    assert all(d.startswith("sha256:") and len(d) == 71 for d in publication.digests.values())
    store.close()


def test_during_a_first_publication_a_front_serves_nothing(server: StoreServer) -> None:
    """``kg serve`` (:meth:`RemoteStore.open`) refuses a store without a stable manifest:
    before, and while the graphs are loaded in place."""
    store = store_of(server)
    front = store_of(server)
    with pytest.raises(StoreError, match="holds no dataset published by kg publish"):
        front.open()
    refused: list[str] = []

    def look(message: str) -> None:
        if message.startswith("loaded graphs verified"):  # every graph is in the store
            assert all_graphs(server) >= {GRAPH + "a", MERGE_GRAPH}
            with pytest.raises(StoreError) as info:
                front.open()
            refused.append(str(info.value))

    run_publish(dataset(V1), store, progress=look)
    assert refused and "in the middle of a switch" in refused[0]
    assert front.open().generation == 1
    store.close()
    front.close()


def publish_staging(store: RemoteStore, received: Received) -> str:
    """The manifest's staging graph of the last run (the graph its manifest was PUT to)."""
    puts = [graph for m, graph, _ in received.uploads() if m == "PUT"]
    assert puts, received.uploads()
    return puts[-1]


def test_republishing_identical_data_touches_no_data_graph(server: StoreServer) -> None:
    store = store_of(server)
    kg = dataset(V1)
    run_publish(kg, store)
    before = data_dump(server)
    received = Received(store)
    report, lines = run_publish(dataset(V1), store)  # loaded again: the same triples
    assert report.mode == "republication" and report.generation == 2
    assert (report.changed_graphs, report.removed_graphs, report.unchanged_graphs) == (0, 0, 3)
    assert report.merge == "unchanged" and report.loaded_triples == 0
    assert "changes since publication 1: 0 graphs changed, 0 new, 0 no longer published, " in (
        "\n".join(lines)
    )
    assert any(line.startswith("switch: one update request (0 MOVE, 0 DROP;") for line in lines)
    # what the store received: the manifest (PUT to its staging graph, then MOVEd), nothing else
    uploads = received.uploads()
    assert [(m, g) for m, g, _ in uploads] == [("PUT", publish_staging(store, received))]
    data_graphs = [GRAPH + g for g in V1] + [MERGE_GRAPH]
    for update in received.updates():
        assert not any(f"<{g}>" in update for g in data_graphs), update
    assert data_dump(server) == before
    publication = store.read_publication()
    assert publication is not None and publication.generation == 2 and publication.stable
    store.close()


@pytest.mark.parametrize(
    "protocol",
    ["oxigraph", "put-compare-not-atomic", "insert-data"],
)
def test_a_republication_switches_exactly_what_changed(server: StoreServer, protocol: str) -> None:
    options: dict[str, Any] = {}
    store = store_of(server)
    if protocol == "put-compare-not-atomic":  # what a store like Virtuoso gets
        options = {"bulk": False, "compare": True, "atomic": False}
    elif protocol == "insert-data":
        store = store_of(server, gsp=None)
    first = dataset(V1)
    run_publish(first, store, **options)
    b_before = {line for line in data_dump(server) if f"<{GRAPH}b> ." in line}
    received = Received(store)
    kg = dataset(V2)
    report, lines = run_publish(kg, store, "v2", **options)
    text = "\n".join(lines)
    assert "1 graphs changed, 1 new, 1 no longer published, 1 unchanged (not touched)" in text
    assert (report.changed_graphs, report.removed_graphs, report.unchanged_graphs) == (2, 1, 1)
    updates = received.updates()
    if protocol == "put-compare-not-atomic":  # after 'switching', in requests; the manifest last
        marked = next(i for i, u in enumerate(updates) if '"switching"' in u)
        requests = updates[marked + 1 :]
        assert re.fullmatch(rf"MOVE <[^>]+> TO <{MANIFEST_GRAPH}>", requests[-1]), requests[-1]
        switch = [" ;\n".join(requests)]
    else:  # one request: one transaction
        switch = [u for u in updates if "MOVE" in u and MANIFEST_GRAPH in u]
        assert len(switch) == 1
    moved = set(re.findall(r"MOVE <[^>]+> TO <([^>]+)>", switch[0]))
    dropped = set(re.findall(r"DROP SILENT GRAPH <([^>]+)>", switch[0]))
    assert dropped == {GRAPH + "c"}
    if protocol == "put-compare-not-atomic":  # the merge is staged whole and read back
        assert report.merge == "staged"
        assert moved == {GRAPH + "a", GRAPH + "d", MERGE_GRAPH, MANIFEST_GRAPH}
    else:  # the merge: its difference, in the switch
        assert report.merge == "difference"
        assert moved == {GRAPH + "a", GRAPH + "d", MANIFEST_GRAPH}
        assert "1 of the 4 triples of 2 changed or dropped graphs out" in text
        assert f'<{PERSON}p2> <{SAYS.value}> "y"' in switch[0]  # the one triple deleted
        assert len(re.findall(rf"ADD <[^>]+> TO <{MERGE_GRAPH}>", switch[0])) == 2
    touches_b = re.compile(rf"(GRAPH|TO|MOVE|ADD|COPY) <{GRAPH}b>")  # not as the manifest names it
    assert not any(touches_b.search(u) for u in received.updates())  # b is not touched
    assert {line for line in data_dump(server) if f"<{GRAPH}b> ." in line} == b_before
    assert published_quads(store) == set(kg.store)  # the answers are the new ones
    publication = store.read_publication()
    assert publication is not None and publication.generation == 2
    assert publication.graphs == {GRAPH + "a": 2, GRAPH + "b": 1, GRAPH + "d": 2}
    assert publication.triples == 5
    assert not any("staging" in g for g in all_graphs(server))
    store.close()


def test_an_old_manifest_without_digests_counts_every_graph_as_changed(
    server: StoreServer,
) -> None:
    store = store_of(server)
    run_publish(dataset(V1), store)
    store.update(  # what a manifest written before digests were kept looks like
        f"DELETE WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?g <{PUBLICATION['digest']}> ?d }} }}"
    )
    old = store.read_publication()
    assert old is not None and old.stable and old.digests == {} and len(old.graphs) == 3
    report, lines = run_publish(dataset(V1), store)
    assert "publication 1 has no digests (an earlier kg publish): every graph counts as " in (
        "\n".join(lines)
    )
    assert report.changed_graphs == 3 and report.merge == "difference"
    assert published_quads(store) == set(dataset(V1).store)
    report, _ = run_publish(dataset(V1), store)  # now the digests are known
    assert report.changed_graphs == 0 and report.merge == "unchanged"
    store.close()


def test_a_graph_the_store_no_longer_holds_as_published_is_loaded_again(
    server: StoreServer,
) -> None:
    store = store_of(server)
    kg = dataset(V1)
    run_publish(kg, store)
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}b> {{ <{PERSON}p9> <{SAYS.value}> 'q' }} }}")
    report, lines = run_publish(dataset(V1), store)
    assert "b: the store holds 2 triples, not the 1 published: loaded again" in "\n".join(lines)
    assert report.changed_graphs == 1 and report.merge == "unchanged"
    assert published_quads(store) == set(kg.store)
    store.update(f"INSERT DATA {{ GRAPH <{MERGE_GRAPH}> {{ <{PERSON}p9> <{SAYS.value}> 'q' }} }}")
    report, lines = run_publish(dataset(V2), store)  # the merge is not the old one: whole
    assert report.merge == "staged"
    assert "the merge: staged whole (the store does not hold the old publication as " in (
        "\n".join(lines)
    )
    assert published_quads(store) == set(dataset(V2).store)
    store.close()


def test_a_failed_first_publication_leaves_nothing(server: StoreServer) -> None:
    store = store_of(server)

    def fail(message: str) -> None:
        if message.startswith("loaded graphs verified"):
            raise StoreError("the network went away")

    with pytest.raises(StoreError, match="the network went away"):
        run_publish(dataset(V1), store, progress=fail)
    assert all_graphs(server) == set()
    assert store.read_publication() is None
    store.close()


def test_a_crashed_runs_graphs_are_dropped_by_the_next(server: StoreServer) -> None:
    from kg import publish

    store = store_of(server)
    leftovers = [GRAPH + "a", publish._staging("dead", 0)]
    publish._register(store, leftovers)  # what a first publication records before loading
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}a> {{ <{PERSON}old> <{SAYS.value}> 'o' }} }}")
    kg = dataset(V1)
    report, lines = run_publish(kg, store)
    assert "dropping 2 graphs left by an earlier run that did not finish" in lines
    assert report.mode == "first"
    assert published_quads(store) == set(kg.store)
    store.close()


def test_an_empty_publication_is_followed_by_a_first_publication(server: StoreServer) -> None:
    store = store_of(server)
    report, _ = run_publish(dataset({}), store)
    assert report.graphs == 0 and report.triples == 0
    kg = dataset(V1)
    report, _ = run_publish(kg, store)
    assert report.mode == "first" and report.generation == 2
    assert published_quads(store) == set(kg.store)
    store.close()


def test_blank_nodes_count_as_changed_at_every_load(server: StoreServer) -> None:
    from kg.dataset import ParsedFile

    text = f"<{GRAPH}blank> {{ <{PERSON}p1> <{SAYS.value}> [ <{SAYS.value}> 'deep' ] . }}"

    def load() -> KnowledgeGraph:  # as kg.dataset.parse_file parses: blank nodes renamed
        quads = tuple(ox.parse(text.encode(), format=ox.RdfFormat.TRIG, rename_blank_nodes=True))
        return KnowledgeGraph.from_parsed([ParsedFile(path=Path("blank.trig"), quads=quads)])

    store = store_of(server)
    run_publish(load(), store)
    report, _ = run_publish(load(), store)
    assert report.changed_graphs == 1 and report.merge == "staged"  # never skipped wrongly
    publication = store.read_publication()
    assert publication is not None and publication.graphs == {GRAPH + "blank": 2}
    store.close()


@pytest.mark.parametrize("atomic", [None, False], ids=["transaction", "switching-state"])
def test_readers_see_all_old_or_all_new_during_republications(
    server: StoreServer, atomic: bool | None
) -> None:
    """Readers through ``kg serve`` (and, on Oxigraph, directly) during republications that
    change every graph: each answer counts one version, 12,000 times."""
    from fastapi.testclient import TestClient

    from conftest import REPO
    from kg.web.app import create_app

    def version(v: str) -> KnowledgeGraph:
        return dataset({f"switch-{g}": [(f"p-{g}-{i}", v) for i in range(4000)] for g in range(3)})

    store = RemoteStore(Endpoints(server.query, server.update, server.gsp), timeout=600)
    options = {} if atomic is None else {"atomic": atomic}
    queries = {
        "graphs": "SELECT ?v (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <urn:kg:test:says> ?v } } "
        "GROUP BY ?v",
        "merge": "SELECT ?v (COUNT(*) AS ?n) WHERE { ?s <urn:kg:test:says> ?v } GROUP BY ?v",
    }
    answers: Counter[str] = Counter()
    direct: Counter[str] = Counter()
    stop = threading.Event()
    run_publish(version("v1"), store, "v1", **options)
    settings = server.settings(root=REPO, query_timeout=30.0, workers=2, cache_bytes=0)
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]

        def read(query: str) -> None:
            while not stop.is_set():
                r = client.get("/sparql", params={"query": query, "format": "csv"})
                ok = r.status_code == 200
                answers[r.text.strip().replace("\r\n", " ") if ok else str(r.status_code)] += 1

        def read_directly(query: str) -> None:
            reader = RemoteStore(Endpoints(server.query), timeout=30)
            graphs = [("named-graph-uri", f"{GRAPH}switch-{g}") for g in range(3)]
            while not stop.is_set():
                rows = reader._select(query, [("default-graph-uri", MERGE_GRAPH), *graphs])
                direct[" ".join(f"{r['v'].value},{r['n'].value}" for r in rows)] += 1  # type: ignore[union-attr]
            reader.close()

        readers = [threading.Thread(target=read, args=(q,)) for q in queries.values()]
        if atomic is None:
            readers += [threading.Thread(target=read_directly, args=(q,)) for q in queries.values()]
        for t in readers:
            t.start()
        try:
            for v in ("v2", "v3"):
                time.sleep(0.3)
                report, _ = run_publish(version(v), store, v, **options)
                assert report.merge == "difference" and report.changed_graphs == 3
            time.sleep(0.3)
        finally:
            stop.set()
            for t in readers:
                t.join()
    store.close()
    whole = {f"v,n {v},12000" for v in ("v1", "v2", "v3")}
    assert set(answers) <= whole | {"503"}, answers
    assert sum(n for k, n in answers.items() if k in whole) > 10, answers
    assert set(direct) <= {f"{v},12000" for v in ("v1", "v2", "v3")}, direct
