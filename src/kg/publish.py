"""``kg publish``: the validated dataset into a remote SPARQL store, switched atomically.

The CLI validates first (SHACL; data that does not conform is never sent), then
:func:`publish` does the rest, with a progress line on stderr for each step:

1. **Stage.** Each named graph, and the merge of all of them (the default graph of every
   query, :data:`kg.remote_store.MERGE_GRAPH`), is loaded into a *new* staging graph
   (:data:`kg.namespaces.PUBLICATION` ``staging-<run>-<n>``) with the Graph Store
   Protocol (``PUT``, SPARQL 1.1 Graph Store HTTP Protocol §5.4) where the store has it,
   else with SPARQL 1.1 Update ``INSERT DATA`` (§3.1.1) in slices. Readers see none of
   it: queries through ``kg serve`` name their graphs. The staging graphs are recorded in
   the manifest first, so a crashed run's leftovers are dropped by the next one.
2. **Verify the staging graphs.** Their sizes must be the sizes sent (else nothing is
   switched), and their contents are read back: a statement the store changed while
   storing it (Virtuoso turns ``"P1Y"^^xsd:duration`` into ``"12"^^xsd:duration``,
   openlink/virtuoso-opensource#936) is listed as a warning and counted in the manifest.
3. **Switch.** One SPARQL Update request (§3.2.5 ``MOVE`` each staging graph onto its
   graph, §3.2.2 ``DROP`` graphs no longer published, ``MOVE`` the new manifest last).
   Oxigraph applies one request as one transaction: readers see all old or all new
   (measured with concurrent readers). Virtuoso does not: its ``MOVE`` commits as it goes
   and readers saw half-moved graphs for seconds, and a failing operation does not undo
   the ones before it. So for every store but Oxigraph the manifest is first set to
   ``switching`` (one small update), and ``kg serve`` refuses answers that overlapped a
   switch (:mod:`kg.remote_pool`): readers through the server never see a half-switched
   dataset. If the switch fails on Oxigraph, the old data is untouched; on other stores
   the manifest stays ``switching`` (the server answers 503) until a publish succeeds.
4. **Verify.** The published graphs, the merge and the manifest are counted again;
   a difference is an error (exit 2).

A failure before the switch drops the staging graphs and leaves the old data as it was.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from kg.errors import KgError, StoreError
from kg.namespaces import PUBLICATION
from kg.remote_store import (
    CURRENT,
    MANIFEST_GRAPH,
    MERGE_GRAPH,
    STABLE,
    SWITCHING,
    Publication,
    RemoteStore,
    shown,
)
from kg.store import KnowledgeGraph
from kg.validation import compact

__all__ = ["Change", "PublishReport", "publish"]

Progress = Callable[[str], None]

#: Seconds one upload, update or read-back may take.
REQUEST_TIMEOUT = 600.0
#: Triples per ``INSERT DATA`` request when the store has no Graph Store Protocol.
INSERT_SLICE = 5000


@dataclass(frozen=True)
class Change:
    """A statement the store holds differently from what was sent."""

    graph: str
    sent: ox.Triple | None  # None: the store holds a statement that was not sent
    stored: ox.Triple | None  # None: a statement sent is not in the store

    def describe(self) -> str:
        def term(t: ox.Triple | None) -> str:
            return "nothing" if t is None else str(t.object)

        t = self.sent or self.stored
        assert t is not None
        graph = "the merge" if self.graph == MERGE_GRAPH else compact(self.graph)
        where = f"{graph}: {compact(str(t.subject).strip('<>'))} "
        where += compact(t.predicate.value)
        if self.sent is not None and self.stored is not None:
            return f"{where} {term(self.sent)} is stored as {term(self.stored)}"
        if self.sent is not None:
            return f"{where} {term(self.sent)} is missing (merged with an equal value?)"
        return f"{where} {term(self.stored)} was added"


@dataclass
class PublishReport:
    store: str
    method: str
    generation: int
    graphs: int
    triples: int
    quads: int
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0
    switch_seconds: float = 0.0


def _staging(run: str, index: int) -> str:
    return str(PUBLICATION[f"staging-{run}-{index}"])


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data


def _merge_and_graphs(kg: KnowledgeGraph) -> tuple[list[ox.Triple], dict[str, list[ox.Triple]]]:
    """The merge (the embedded store's default graph) and each named graph's triples."""
    merge: list[ox.Triple] = []
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in kg.store:
        triple = ox.Triple(quad.subject, quad.predicate, quad.object)
        if isinstance(quad.graph_name, ox.DefaultGraph):
            merge.append(triple)
        elif isinstance(quad.graph_name, ox.NamedNode):
            graphs.setdefault(quad.graph_name.value, []).append(triple)
    return merge, dict(sorted(graphs.items()))


def publish(
    kg: KnowledgeGraph,
    store: RemoteStore,
    *,
    version: str,
    modified: datetime,
    progress: Progress | None = None,
    accept_changes: bool = False,
    atomic: bool | None = None,
) -> PublishReport:
    """Publish the (validated) embedded graph ``kg`` into ``store``; see the module docstring.

    A store that changes statements while storing them (a literal rewritten, two merged
    into one) gets nothing switched unless ``accept_changes``; then the counts the store
    holds are published, and the changes are counted in the manifest. ``atomic``
    overrides what is known of the store (tests use it to run the protocol for
    non-transactional stores on Oxigraph). Raises :class:`~kg.errors.StoreError`.
    """
    say = progress or (lambda _: None)
    start = time.perf_counter()
    info = store.ping()
    atomic = info.atomic_updates if atomic is None else atomic
    method = (
        f"the Graph Store Protocol ({shown(store.endpoints.gsp)})"
        if store.endpoints.gsp
        else "SPARQL Update INSERT DATA"
    )
    if store.endpoints.update is None:
        store.update("")  # raises the error that names the missing setting
    say(f"store: {shown(store.endpoints.query)} ({info.name()}); loading with {method}")

    merge, graphs = _merge_and_graphs(kg)
    old = store.read_publication()
    if old is not None and old.staging:
        say(f"dropping {len(old.staging)} staging graphs left by an earlier run")
        _drop(store, old.staging, registered=True)

    run = secrets.token_hex(4)
    targets = [*graphs, MERGE_GRAPH]
    staging = {target: _staging(run, i) for i, target in enumerate(targets)}
    manifest_staging = _staging(run, len(targets))
    all_staging = [*staging.values(), manifest_staging]
    _register(store, all_staging)
    contents = {**graphs, MERGE_GRAPH: merge}
    total = sum(len(t) for t in contents.values())
    try:
        sent = 0
        step = max(1, len(targets) // 10)
        for i, target in enumerate(targets, 1):
            _load(store, staging[target], contents[target])
            sent += len(contents[target])
            if i % step == 0 or i == len(targets):
                say(f"staged {i}/{len(targets)} graphs ({sent} of {total} triples)")
        sizes = store.graph_sizes(list(staging.values()))
        changes = _compare(store, staging, contents)
        for change in changes:
            say(f"{'warning' if accept_changes else 'error'}: {change.describe()}")
        wrong = [
            f"{'the merge' if t == MERGE_GRAPH else compact(t)}: {sizes[staging[t]]} stored "
            f"of {len(contents[t])} sent"
            for t in targets
            if sizes[staging[t]] != len(contents[t])
        ]
        if changes and not accept_changes:
            raise StoreError(
                f"the store changed {len(changes)} statements while storing them (listed "
                "above), so nothing was switched"
                + (f" ({'; '.join(wrong)})" if wrong else "")
                + ": publish anyway with --accept-store-changes, or use a store that keeps "
                "literals as given"
            )
        if wrong and not changes:
            raise StoreError(
                "the store did not keep the staged graphs as sent, so nothing was switched: "
                + "; ".join(wrong)
            )
        say(
            f"staging verified: {len(targets)} graphs hold the triples sent"
            + (f", {len(changes)} of them changed by the store" if changes else "")
        )
        stored = {t: sizes[staging[t]] for t in targets}  # what readers will count
        publication = Publication(
            version=version,
            modified=modified,
            generation=(old.generation if old is not None else 0) + 1,
            state=STABLE,
            graphs={g: stored[g] for g in graphs},
            triples=stored[MERGE_GRAPH],
            quads=sum(stored[g] for g in graphs),
            files=kg.report.files,
            published=datetime.now(tz=UTC),
            changed=len(changes),
        )
        _load(store, manifest_staging, publication.triples_of_manifest())
    except BaseException:
        say("publishing failed: dropping the staging graphs; the store keeps its data")
        _drop_quietly(store, all_staging)
        raise

    removed = [g for g in (old.graphs if old is not None else {}) if g not in graphs]
    operations = [f"DROP SILENT GRAPH <{g}>" for g in removed]
    operations += [f"MOVE <{staging[t]}> TO <{t}>" for t in targets]
    operations.append(f"MOVE <{manifest_staging}> TO <{MANIFEST_GRAPH}>")
    switch_start = time.perf_counter()
    try:
        if not atomic:
            _mark_switching(store)
        say(
            f"switch: one update request ({len(targets) + 1} MOVE, {len(removed)} DROP), "
            f"publication {publication.generation - 1} -> {publication.generation}"
            + ("" if atomic else "; the store is marked 'switching' meanwhile")
        )
        store.update(" ;\n".join(operations), timeout=REQUEST_TIMEOUT)
    except KgError as exc:
        _drop_quietly(store, all_staging)
        if atomic:
            raise StoreError(
                f"the switch failed, so the store keeps its previous data: {exc}"
            ) from exc
        raise StoreError(
            f"the switch failed partway ({exc}); the store does not apply an update request as "
            "one transaction, so its graphs may be mixed: kg serve answers 503 until "
            "kg publish succeeds; run kg publish again"
        ) from exc
    switch_seconds = time.perf_counter() - switch_start

    _verify(store, publication)
    say(
        f"verified: {len(graphs)} graphs hold {publication.quads} triples, the merge "
        f"{publication.triples}; publication {publication.generation} is live"
    )
    return PublishReport(
        store=shown(store.endpoints.query),
        method=method,
        generation=publication.generation,
        graphs=len(graphs),
        triples=publication.triples,
        quads=publication.quads,
        changes=changes,
        seconds=time.perf_counter() - start,
        switch_seconds=switch_seconds,
    )


def _load(store: RemoteStore, graph: str, triples: Sequence[ox.Triple]) -> None:
    """Replace ``graph`` with ``triples``: GSP ``PUT`` or ``INSERT DATA`` slices."""
    if store.endpoints.gsp is not None:
        store.put_graph(graph, _ntriples(triples), timeout=REQUEST_TIMEOUT)
        return
    store.update(f"DROP SILENT GRAPH <{graph}>", timeout=REQUEST_TIMEOUT)
    has_blank = any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    )
    step = (len(triples) or 1) if has_blank else INSERT_SLICE  # blank nodes: one request
    for begin in range(0, len(triples), step):
        body = _ntriples(triples[begin : begin + step]).decode("utf-8")
        store.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}", timeout=REQUEST_TIMEOUT)


def _register(store: RemoteStore, staging: Sequence[str]) -> None:
    objects = ", ".join(f"<{g}>" for g in staging)
    store.update(
        f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> "
        f"<{PUBLICATION['staging']}> {objects} }} }}"
    )


def _drop(store: RemoteStore, staging: Sequence[str], *, registered: bool) -> None:
    operations = [f"DROP SILENT GRAPH <{g}>" for g in staging]
    if registered:
        objects = ", ".join(f"<{g}>" for g in staging)
        operations.append(
            f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> "
            f"<{PUBLICATION['staging']}> {objects} }} }}"
        )
    store.update(" ;\n".join(operations), timeout=REQUEST_TIMEOUT)


def _drop_quietly(store: RemoteStore, staging: Sequence[str]) -> None:
    with contextlib.suppress(KgError):  # the store is gone: the next publish drops them
        _drop(store, staging, registered=True)


def _mark_switching(store: RemoteStore) -> None:
    state = f"<{PUBLICATION['state']}>"
    store.update(
        f"DELETE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} ?state }} }} "
        f'INSERT {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} "{SWITCHING}" }} }} '
        f"WHERE {{ OPTIONAL {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} ?state }} }} }}"
    )


def _compare(
    store: RemoteStore, staging: dict[str, str], contents: dict[str, list[ox.Triple]]
) -> list[Change]:
    """What the store holds differently from what was sent (each change once)."""
    changes: list[Change] = []
    seen: set[tuple[str, str]] = set()
    for target, graph in staging.items():  # blank nodes get other labels: counted, not compared
        stored = {t for t in store.read_graph(graph) if not _blank(t)}
        sent = {t for t in contents[target] if not _blank(t)}
        missing = sorted(sent - stored, key=str)
        added = sorted(stored - sent, key=str)
        found: list[Change] = []
        for t in missing:
            match = next(
                (a for a in added if a.subject == t.subject and a.predicate == t.predicate), None
            )
            if match is not None:
                added.remove(match)
            found.append(Change(target, t, match))
        found += [Change(target, None, a) for a in added]
        for change in found:
            key = (str(change.sent), str(change.stored))
            if key not in seen:
                seen.add(key)
                changes.append(change)
    return changes


def _blank(t: ox.Triple) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _verify(store: RemoteStore, publication: Publication) -> None:
    """The published graphs, the merge and the manifest, as just published."""
    expected = {**publication.graphs, MERGE_GRAPH: publication.triples}
    sizes = store.graph_sizes(list(expected))
    wrong = [
        f"{compact(g)}: {sizes[g]} instead of {n}" for g, n in expected.items() if sizes[g] != n
    ]
    live = store.read_publication()
    if live is None or live.generation != publication.generation or not live.stable:
        wrong.append("the manifest does not name the new publication as the stable one")
    if wrong:
        raise StoreError(
            "after the switch the store does not hold what was published: " + "; ".join(wrong)
        )
