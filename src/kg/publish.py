"""``kg publish``: the validated dataset into a remote SPARQL store, only what changed,
switched atomically.

The CLI validates first (SHACL; data that does not conform is never sent), then
:func:`publish` does the rest, with a progress line on stderr for each step:

1. **Digests.** Each named graph, and the merge of all of them (the default graph of every
   query, :data:`kg.remote_store.MERGE_GRAPH`), gets a content digest (:func:`digest`:
   SHA-256 of its sorted N-Triples lines). The manifest (:data:`~kg.remote_store.MANIFEST_GRAPH`)
   records them, so the next run knows what the store holds: a graph whose digest differs
   from the stable publication's, or that is new, is loaded; a graph no longer published is
   dropped; the others are not touched. A manifest without digests (an earlier ``kg
   publish``) or one that is not stable (a switch that failed halfway) counts every graph as
   changed, and so does a graph whose count in the store is not the one published.
2. **A first publication is loaded in place.** While the store holds no publication with
   graphs, ``kg serve`` serves nothing from it (:meth:`~kg.remote_store.RemoteStore.open`
   refuses a store without a stable manifest, a running front answers 503), so the graphs and
   the merge are loaded straight into their graphs, without staging and ``MOVE``, and the
   manifest is written last (one small ``MOVE``). A reader that queries the store directly,
   not through ``kg serve``, sees the graphs fill up meanwhile (on Oxigraph even within a
   request: its bulk loader commits as it goes) and no manifest until the end.
3. **A republication stages what changed.** Each changed or new graph is loaded into a new
   staging graph (:data:`kg.namespaces.PUBLICATION` ``staging-<run>-<n>``), which readers
   through ``kg serve`` never see (its queries name their graphs). The merge: where the store
   keeps statements as given (Oxigraph), its difference is applied in the switch (the old
   versions of the changed graphs are read back; those of their triples that are not in the
   new merge are deleted, the staged graphs added), so an unchanged merge of a million
   triples is not rewritten; elsewhere, or when the changed graphs are large, it is staged
   whole. Everything a run loads (staging graphs, or a first publication's graphs) is
   recorded in the manifest first, so a crashed run's leftovers are dropped by the next.
4. **Loading.** On Oxigraph, with its Graph Store Protocol URL, the data goes as N-Quads in
   requests of at most :data:`BULK_BYTES` to ``POST /store?no_transaction`` (its bulk loader:
   not a transaction, memory independent of the size). Measured at 1M (2M quads with the
   merge): 53 s in seven requests with the server at 361 MiB at most; the same in one request
   59 s and 1.4 GiB; staged and moved in one transaction, as before, 377 s and 4.8–6.9 GiB.
   Elsewhere one SPARQL 1.1 Graph Store HTTP Protocol ``PUT`` (§5.4) per graph, or SPARQL 1.1
   Update ``INSERT DATA`` (§3.1.1) in slices.
5. **Verify what was loaded.** Sizes must be the sizes sent (else nothing is switched).
   On stores other than Oxigraph the contents are read back: a statement the store changed
   while storing it (Virtuoso turns ``"P1Y"^^xsd:duration`` into ``"12"^^xsd:duration``,
   openlink/virtuoso-opensource#936) is listed as a warning and counted in the manifest.
   Oxigraph is not read back: it is the embedded store's engine, and the statements come out
   of the embedded store already in the form it stores them (typed literals in canonical
   form: ``"01"^^xsd:integer`` is ``"1"`` in both), so the comparison could not differ.
6. **Switch.** One SPARQL Update request: the merge's difference (§3.1.2 ``DELETE DATA``,
   §3.2.5 ``ADD``), §3.2.2 ``DROP`` of graphs no longer published, §3.2.4 ``MOVE`` of each
   staging graph onto its graph, and the new manifest last (always rewritten: generation + 1;
   for identical data the request moves only the manifest). Oxigraph applies one request as
   one transaction: readers see all old or all new (measured with concurrent readers).
   Virtuoso does not: its ``MOVE`` commits as it goes and readers saw half-moved graphs for
   seconds, and a failing operation does not undo the ones before it. So for every store but
   Oxigraph the manifest is first set to ``switching`` (one small update), and ``kg serve``
   refuses answers that overlapped a switch (:mod:`kg.remote_pool`): readers through the
   server never see a half-switched dataset. If the switch fails on Oxigraph, the old data is
   untouched; on other stores the manifest stays ``switching`` (the server answers 503) until
   a publish succeeds.
7. **Verify.** The published graphs, the merge and the manifest are counted again;
   a difference is an error (exit 2).

A failure before the switch drops what the run loaded and leaves the old data as it was.

Blank nodes: the digest hashes them with the labels the embedded store gave them, which are
new at every load (:func:`kg.dataset.parse_file` renames them), so a graph with blank nodes,
and then the merge, counts as changed at every publication: loaded again, never skipped
wrongly (equal digests mean equal N-Triples, so the same graph). The project's data has none.
"""

from __future__ import annotations

import contextlib
import hashlib
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

__all__ = ["Change", "PublishReport", "digest", "publish"]

Progress = Callable[[str], None]

#: Seconds one upload, update or read-back may take.
REQUEST_TIMEOUT = 600.0
#: Triples per ``INSERT DATA`` request when the store has no Graph Store Protocol.
INSERT_SLICE = 5000
#: Bytes of N-Quads per bulk request to Oxigraph (about 500,000 quads of the benchmark's data):
#: bounds the memory of both sides.
BULK_BYTES = 64 * 2**20
#: The merge is updated by its difference only if the old versions of the graphs that changed
#: hold at most this many triples (read back, and deleted with one ``DELETE DATA``: about
#: 40 MB, under the 128 MB Oxigraph's server accepts in one update request).
MERGE_DIFFERENCE_MAX = 250_000
#: Operations per update request of a switch on a store that does not apply a request as one
#: transaction (the manifest says 'switching' meanwhile): Virtuoso 7.2 refuses a request of
#: 2,500 ``MOVE`` ("SQ200: Query too large, variables in state over the limit", measured).
SWITCH_BATCH = 200
#: Graphs per ``DROP`` request when graphs are cleared or dropped outside the switch.
DROP_BATCH = 200


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
    #: "first" (no publication with graphs before: loaded in place) or "republication"
    mode: str = "first"
    changed_graphs: int = 0  # named graphs loaded (changed or new)
    removed_graphs: int = 0  # named graphs no longer published (dropped)
    unchanged_graphs: int = 0  # named graphs not touched
    #: the merge: "loaded" (first), "staged" (whole), "difference" (in the switch), "unchanged"
    merge: str = "loaded"
    loaded_triples: int = 0  # triples sent to the store (graphs and merge)

    def summary(self) -> str:
        """What this run changed, in a few words."""
        if self.mode == "first":
            return "first publication, loaded in place"
        return (
            f"{self.changed_graphs} graphs loaded, {self.removed_graphs} dropped, "
            f"{self.unchanged_graphs} unchanged; the merge {_MERGE_WORDS[self.merge]}"
        )


_MERGE_WORDS = {
    "loaded": "loaded",
    "staged": "staged whole",
    "difference": "updated by its difference",
    "unchanged": "unchanged",
}


@dataclass(frozen=True)
class Content:
    """One graph to publish: where it is in the embedded store, its size and digest."""

    target: str  # the graph in the store: a published graph or MERGE_GRAPH
    source: ox.NamedNode | ox.DefaultGraph  # the graph in the embedded store
    triples: int
    digest: str


def digest(ntriples: bytes) -> str:
    """``sha256:`` and the hex SHA-256 of the N-Triples lines of a graph, sorted bytewise
    (each with its line end): the same for the same triples, whatever their order.

    The lines are those pyoxigraph writes (one statement a line, literals escaped), from the
    embedded store, whose typed literals are canonical; a new pyoxigraph that wrote them
    differently would count every graph as changed once (loaded again, never skipped).
    """
    lines = ntriples.splitlines(keepends=True)
    lines.sort()
    h = hashlib.sha256()
    for line in lines:
        h.update(line)
    return "sha256:" + h.hexdigest()


def _dump(kg: KnowledgeGraph, source: ox.NamedNode | ox.DefaultGraph) -> bytes:
    """One graph of the embedded store as N-Triples."""
    assert isinstance(kg.store, ox.Store), "kg publish publishes the embedded store"
    data = kg.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=source)
    assert data is not None
    return data


def _triples(kg: KnowledgeGraph, source: ox.NamedNode | ox.DefaultGraph) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in kg.store.quads_for_pattern(None, None, None, source)
    ]


def _contents(kg: KnowledgeGraph) -> dict[str, Content]:
    """Every named graph with triples (sorted) and the merge, last."""
    out: dict[str, Content] = {}
    names = sorted(g.value for g in kg.store.named_graphs() if isinstance(g, ox.NamedNode))
    sources: list[ox.NamedNode | ox.DefaultGraph] = [ox.NamedNode(g) for g in names]
    for source in [*sources, ox.DefaultGraph()]:
        data = _dump(kg, source)
        target = source.value if isinstance(source, ox.NamedNode) else MERGE_GRAPH
        if data or target == MERGE_GRAPH:
            out[target] = Content(target, source, data.count(b"\n"), digest(data))
    return out


def _staging(run: str, index: int) -> str:
    return str(PUBLICATION[f"staging-{run}-{index}"])


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data


def _as_nquads(ntriples: bytes, graph: str) -> bytes:
    """N-Triples as pyoxigraph writes them, as N-Quads in ``graph``.

    Every line ends with `` .`` and its line end, and no line end occurs elsewhere (N-Triples
    escapes them in literals), so the graph goes in front of each line's final dot.
    """
    assert ntriples.count(b"\n") == ntriples.count(b" .\n")
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode())


def _name(target: str) -> str:
    return "the merge" if target == MERGE_GRAPH else compact(target)


def publish(
    kg: KnowledgeGraph,
    store: RemoteStore,
    *,
    version: str,
    modified: datetime,
    progress: Progress | None = None,
    accept_changes: bool = False,
    atomic: bool | None = None,
    bulk: bool | None = None,
    compare: bool | None = None,
) -> PublishReport:
    """Publish the (validated) embedded graph ``kg`` into ``store``; see the module docstring.

    A store that changes statements while storing them (a literal rewritten, two merged
    into one) gets nothing switched unless ``accept_changes``; then the counts the store
    holds are published, and the changes are counted in the manifest. ``atomic``, ``bulk``
    (Oxigraph's bulk loader) and ``compare`` (read back what was loaded) override what is
    known of the store: tests use them to run the protocol of other stores on Oxigraph.
    Raises :class:`~kg.errors.StoreError`.
    """
    say = progress or (lambda _: None)
    start = time.perf_counter()
    info = store.ping()
    gsp = store.endpoints.gsp
    atomic = info.atomic_updates if atomic is None else atomic
    bulk = gsp is not None and (info.is_oxigraph if bulk is None else bulk)
    compare = (not info.is_oxigraph) if compare is None else compare
    if bulk:
        method = f"Oxigraph's bulk loader (N-Quads POSTed to {shown(gsp or '')}?no_transaction)"
    elif gsp is not None:
        method = f"the Graph Store Protocol ({shown(gsp)})"
    else:
        method = "SPARQL Update INSERT DATA"
    if store.endpoints.update is None:
        store.update("")  # raises the error that names the missing setting
    say(f"store: {shown(store.endpoints.query)} ({info.name()}); loading with {method}")

    old = store.read_publication()
    if old is not None and old.staging:
        say(f"dropping {len(old.staging)} graphs left by an earlier run that did not finish")
        _drop(store, old.staging, registered=True)

    begin = time.perf_counter()
    contents = _contents(kg)
    quads = sum(c.triples for t, c in contents.items() if t != MERGE_GRAPH)
    say(
        f"digests: {len(contents) - 1} graphs ({quads} triples) and the merge "
        f"({contents[MERGE_GRAPH].triples}) in {time.perf_counter() - begin:.1f} s"
    )
    run = _Run(
        kg=kg,
        store=store,
        say=say,
        contents=contents,
        old=old,
        run=secrets.token_hex(4),
        version=version,
        modified=modified,
        method=method,
        bulk=bulk,
        compare=compare,
        atomic=atomic,
    )
    if old is None or not old.graphs:
        report = run.first(accept_changes)
    else:
        report = run.republish(accept_changes)
    report.seconds = time.perf_counter() - start
    return report


@dataclass
class _Run:
    """One ``kg publish``: what is known before anything is loaded."""

    kg: KnowledgeGraph
    store: RemoteStore
    say: Progress
    contents: dict[str, Content]
    old: Publication | None
    run: str
    version: str
    modified: datetime
    method: str
    bulk: bool
    compare: bool
    atomic: bool

    @property
    def graphs(self) -> list[str]:
        return [t for t in self.contents if t != MERGE_GRAPH]

    # -- the two ways

    def first(self, accept_changes: bool) -> PublishReport:
        """No publication with graphs yet: load every graph in place, the manifest last."""
        store, say, old = self.store, self.say, self.old
        targets = list(self.contents)
        manifest_staging = _staging(self.run, 0)
        registered = [*targets, manifest_staging]
        was_stable = old is not None and old.stable  # an empty publication
        say(
            f"first publication: loading {len(targets) - 1} graphs and the merge in place "
            "(the store has no publication with graphs: kg serve serves nothing from it)"
        )
        _register(store, registered)
        try:
            if was_stable:
                _mark_switching(store)  # its (empty) merge is about to be filled
            if self.bulk:  # a POST adds to what a graph holds: clear them first
                _drop(store, targets, registered=False)
            pairs = [(self.contents[t], t) for t in targets]
            self._load(pairs, "loaded")
            stored, changes = self._check(pairs, accept_changes, "loaded graphs verified")
            publication = self._publication(stored, changes, merge_compared=self.compare)
            _load_triples(store, manifest_staging, publication.triples_of_manifest())
        except BaseException:
            say("publishing failed: dropping the graphs loaded; nothing was published")
            _drop_quietly(store, registered)
            if was_stable:
                with contextlib.suppress(KgError):
                    _set_state(store, STABLE)
            raise
        say(f"switch: the manifest, publication {publication.generation}")
        switch_start = time.perf_counter()
        try:
            store.update(f"MOVE <{manifest_staging}> TO <{MANIFEST_GRAPH}>")
        except KgError as exc:
            _drop_quietly(store, registered)
            raise StoreError(
                f"writing the manifest failed, so nothing was published: {exc}"
            ) from exc
        switch_seconds = time.perf_counter() - switch_start
        self._verify(publication)
        return self._report(
            publication,
            changes,
            switch_seconds,
            mode="first",
            changed=len(targets) - 1,
            merge="loaded",
            loaded=sum(c.triples for c in self.contents.values()),
        )

    def republish(self, accept_changes: bool) -> PublishReport:
        """Stage what changed and switch it in with one update request."""
        store, say, old, contents = self.store, self.say, self.old, self.contents
        assert old is not None
        merge = contents[MERGE_GRAPH]
        held = store.graph_sizes([*old.graphs, MERGE_GRAPH])
        known = old.digests if old.stable else {}
        if not known:
            why = "has no digests (an earlier kg publish)" if old.stable else "is not stable"
            say(f"publication {old.generation} {why}: every graph counts as changed")
        drifted = [g for g in old.graphs if g in contents and held[g] != old.graphs[g]]
        for g in drifted:
            say(
                f"{compact(g)}: the store holds {held[g]} triples, not the {old.graphs[g]} "
                "published: loaded again"
            )
        changed = [g for g in self.graphs if known.get(g) != contents[g].digest or g in drifted]
        removed = [g for g in old.graphs if g not in contents]
        new = [g for g in changed if g not in old.graphs]
        merge_changed = known.get(MERGE_GRAPH) != merge.digest or held[MERGE_GRAPH] != old.triples
        say(
            f"changes since publication {old.generation}: {len(changed) - len(new)} graphs "
            f"changed, {len(new)} new, {len(removed)} no longer published, "
            f"{len(self.graphs) - len(changed)} unchanged (not touched); the merge "
            + ("changed" if merge_changed else "unchanged")
        )
        trusted = old.stable and not drifted and held[MERGE_GRAPH] == old.triples
        difference = self._merge_difference(changed, removed, trusted) if merge_changed else None
        staged = [*changed, MERGE_GRAPH] if merge_changed and difference is None else changed
        staging = {t: _staging(self.run, i) for i, t in enumerate(staged)}
        manifest_staging = _staging(self.run, len(staged))
        all_staging = [*staging.values(), manifest_staging]
        _register(store, all_staging)
        try:
            pairs = [(contents[t], staging[t]) for t in staged]
            if pairs:
                self._load(pairs, "staged")
            loaded, changes = self._check(pairs, accept_changes, "staging verified")
            stored = {g: old.graphs[g] for g in self.graphs if g not in changed}
            stored[MERGE_GRAPH] = old.triples if not merge_changed else merge.triples
            stored.update(loaded)
            merge_compared = self.compare and MERGE_GRAPH in staged
            publication = self._publication(stored, changes, merge_compared=merge_compared)
            _load_triples(store, manifest_staging, publication.triples_of_manifest())
        except BaseException:
            say("publishing failed: dropping the staging graphs; the store keeps its data")
            _drop_quietly(store, all_staging)
            raise

        operations: list[str] = []
        if difference is not None:
            if difference:
                body = _ntriples(difference).decode("utf-8")
                operations.append(f"DELETE DATA {{ GRAPH <{MERGE_GRAPH}> {{\n{body}}} }}")
            operations += [f"ADD <{staging[g]}> TO <{MERGE_GRAPH}>" for g in changed]
        operations += [f"DROP SILENT GRAPH <{g}>" for g in removed]
        operations += [f"MOVE <{staging[t]}> TO <{t}>" for t in staged]
        operations.append(f"MOVE <{manifest_staging}> TO <{MANIFEST_GRAPH}>")
        switch_start = time.perf_counter()
        try:
            if not self.atomic:
                _mark_switching(store)
            what = f"{len(staged)} MOVE, {len(removed)} DROP"
            if difference is not None:
                what += f", the merge's difference: {len(difference)} triples out, "
                what += f"{len(changed)} ADD"
            what += "; the manifest last"
            batches = 1 + -(-(len(operations) - 1) // SWITCH_BATCH)
            requests = "one update request" if self.atomic else f"{batches} update requests"
            say(
                f"switch: {requests} ({what}), publication {old.generation} -> "
                f"{publication.generation}"
                + ("" if self.atomic else "; the store is marked 'switching' meanwhile")
            )
            if self.atomic:
                store.update(" ;\n".join(operations), timeout=REQUEST_TIMEOUT)
            else:  # not one transaction anyway: requests Virtuoso can compile, manifest last
                for begin in range(0, len(operations) - 1, SWITCH_BATCH):
                    chunk = operations[begin : min(begin + SWITCH_BATCH, len(operations) - 1)]
                    store.update(" ;\n".join(chunk), timeout=REQUEST_TIMEOUT)
                store.update(operations[-1], timeout=REQUEST_TIMEOUT)
        except KgError as exc:
            _drop_quietly(store, all_staging)
            if self.atomic:
                raise StoreError(
                    f"the switch failed, so the store keeps its previous data: {exc}"
                ) from exc
            raise StoreError(
                f"the switch failed partway ({exc}); the store does not apply an update request "
                "as one transaction, so its graphs may be mixed: kg serve answers 503 until "
                "kg publish succeeds; run kg publish again"
            ) from exc
        switch_seconds = time.perf_counter() - switch_start
        self._verify(publication)
        if not merge_changed:
            merge_state = "unchanged"
        else:
            merge_state = "staged" if difference is None else "difference"
        return self._report(
            publication,
            changes,
            switch_seconds,
            mode="republication",
            changed=len(changed),
            removed=len(removed),
            merge=merge_state,
            loaded=sum(contents[t].triples for t in staged),
        )

    # -- the steps

    def _merge_difference(
        self, changed: list[str], removed: list[str], trusted: bool
    ) -> list[ox.Triple] | None:
        """The merge's triples to delete in the switch (the staged graphs are added), or
        ``None`` if the merge is to be staged whole. ``trusted``: the store holds the old
        publication as published (stable, and every count as in the manifest), so its merge
        is the merge of the old versions."""
        old, say = self.old, self.say
        assert old is not None
        if self.compare:
            say("the merge: staged whole (the store may change statements: read back)")
            return None
        if not trusted:
            say(
                "the merge: staged whole (the store does not hold the old publication as published)"
            )
            return None
        before = [g for g in changed if g in old.graphs] + removed
        size = sum(old.graphs[g] for g in before)
        if not changed and not removed:
            say("the merge: staged whole (its digest differs, but no graph changed)")
            return None
        if size > MERGE_DIFFERENCE_MAX:
            say(
                f"the merge: staged whole (the graphs that changed held {size} triples, more "
                f"than {MERGE_DIFFERENCE_MAX} to read back)"
            )
            return None
        triples = self.store.read_graphs(before) if before else set()
        if any(_blank(t) for t in triples):
            say("the merge: staged whole (the graphs that changed have blank nodes)")
            return None
        gone = sorted(
            (t for t in triples if ox.Quad(t.subject, t.predicate, t.object) not in self.kg.store),
            key=str,
        )
        say(
            f"the merge: updated by its difference in the switch ({len(gone)} of the {size} "
            f"triples of {len(before)} changed or dropped graphs out, {len(changed)} staged "
            "graphs added)"
        )
        return gone

    def _load(self, pairs: list[tuple[Content, str]], what: str) -> None:
        """Load each content into its graph of the store (``pairs``: content, graph)."""
        total = sum(c.triples for c, _ in pairs)
        if self.bulk:
            batches = _Bulk(self.store, self.say, what, total)
            for content, graph in pairs:
                batches.add(_dump(self.kg, content.source), graph)
            batches.flush()
            self.say(f"{what} {len(pairs)}/{len(pairs)} graphs ({total} of {total} triples)")
            return
        sent = 0
        step = max(1, len(pairs) // 10)
        for i, (content, graph) in enumerate(pairs, 1):
            _load_graph(self.store, graph, self.kg, content.source)
            sent += content.triples
            if i % step == 0 or i == len(pairs):
                self.say(f"{what} {i}/{len(pairs)} graphs ({sent} of {total} triples)")

    def _check(
        self, pairs: list[tuple[Content, str]], accept_changes: bool, verified: str
    ) -> tuple[dict[str, int], list[Change]]:
        """The loaded graphs' sizes (by target) and the store's changes; raises unless they
        hold what was sent (or the changes are accepted)."""
        if not pairs:
            return {}, []
        sizes = self.store.graph_sizes([g for _, g in pairs])
        changes: list[Change] = []
        if self.compare:
            changes = _compare(
                self.store, [(c.target, g) for c, g in pairs], lambda c: _triples(self.kg, c)
            )
        for change in changes:
            self.say(f"{'warning' if accept_changes else 'error'}: {change.describe()}")
        wrong = [
            f"{_name(c.target)}: {sizes[g]} stored of {c.triples} sent"
            for c, g in pairs
            if sizes[g] != c.triples
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
                "the store did not keep the graphs as sent, so nothing was switched: "
                + "; ".join(wrong)
            )
        how = "" if self.compare else " (counted; Oxigraph keeps statements as given)"
        self.say(
            f"{verified}: {len(pairs)} graphs hold the triples sent{how}"
            + (f", {len(changes)} of them changed by the store" if changes else "")
        )
        return {c.target: sizes[g] for c, g in pairs}, changes

    def _publication(
        self, stored: dict[str, int], changes: list[Change], *, merge_compared: bool
    ) -> Publication:
        old = self.old
        graphs = {g: stored[g] for g in self.graphs}
        # the merge holds every statement: compared, it shows every change; not compared
        # (unchanged, or on a store that keeps statements), its changes are the old ones
        changed = len(changes) if merge_compared or old is None else old.changed
        return Publication(
            version=self.version,
            modified=self.modified,
            generation=(old.generation if old is not None else 0) + 1,
            state=STABLE,
            graphs=graphs,
            triples=stored[MERGE_GRAPH],
            quads=sum(graphs.values()),
            files=self.kg.report.files,
            published=datetime.now(tz=UTC),
            changed=changed,
            digests={t: c.digest for t, c in self.contents.items()},
        )

    def _verify(self, publication: Publication) -> None:
        _verify(self.store, publication)
        self.say(
            f"verified: {len(publication.graphs)} graphs hold {publication.quads} triples, the "
            f"merge {publication.triples}; publication {publication.generation} is live"
        )

    def _report(
        self,
        publication: Publication,
        changes: list[Change],
        switch_seconds: float,
        *,
        mode: str,
        changed: int,
        merge: str,
        loaded: int,
        removed: int = 0,
    ) -> PublishReport:
        return PublishReport(
            store=shown(self.store.endpoints.query),
            method=self.method,
            generation=publication.generation,
            graphs=len(publication.graphs),
            triples=publication.triples,
            quads=publication.quads,
            changes=changes,
            switch_seconds=switch_seconds,
            mode=mode,
            changed_graphs=changed,
            removed_graphs=removed,
            unchanged_graphs=len(publication.graphs) - changed,
            merge=merge,
            loaded_triples=loaded,
        )


class _Bulk:
    """N-Quads request bodies of at most :data:`BULK_BYTES`, each cut at a line end, sent to
    Oxigraph's bulk loader as they fill up."""

    def __init__(self, store: RemoteStore, say: Progress, what: str, total: int) -> None:
        self.store = store
        self.say = say
        self.what = what
        self.total = total
        self.buffer = bytearray()
        self.sent = 0
        self.requests = 0

    def add(self, ntriples: bytes, graph: str) -> None:
        data = _as_nquads(ntriples, graph)
        start = 0
        while len(self.buffer) + len(data) - start > BULK_BYTES:
            room = BULK_BYTES - len(self.buffer)
            cut = data.rfind(b"\n", start, start + room) + 1
            if cut <= start:  # not one more line fits
                if not self.buffer:  # one line longer than the limit: on its own
                    cut = data.index(b"\n", start) + 1
                    self.buffer += data[start:cut]
                    start = cut
                self.flush()
                continue
            self.buffer += data[start:cut]
            start = cut
            self.flush()
        self.buffer += data[start:]

    def flush(self) -> None:
        if not self.buffer:
            return
        body = bytes(self.buffer)
        self.buffer = bytearray()
        self.store.post_quads(body, bulk=True, timeout=REQUEST_TIMEOUT)
        self.requests += 1
        self.sent += body.count(b"\n")
        self.say(f"{self.what}: bulk request {self.requests} ({self.sent} of {self.total} triples)")


def _load_graph(
    store: RemoteStore, graph: str, kg: KnowledgeGraph, source: ox.NamedNode | ox.DefaultGraph
) -> None:
    """Replace ``graph`` with the embedded store's ``source``: GSP ``PUT`` or ``INSERT DATA``."""
    if store.endpoints.gsp is not None:
        store.put_graph(graph, _dump(kg, source), timeout=REQUEST_TIMEOUT)
        return
    _load_triples(store, graph, _triples(kg, source))


def _load_triples(store: RemoteStore, graph: str, triples: Sequence[ox.Triple]) -> None:
    """Replace ``graph`` with ``triples``: GSP ``PUT`` or ``INSERT DATA`` slices."""
    if store.endpoints.gsp is not None:
        store.put_graph(graph, _ntriples(triples), timeout=REQUEST_TIMEOUT)
        return
    store.update(f"DROP SILENT GRAPH <{graph}>", timeout=REQUEST_TIMEOUT)
    step = (len(triples) or 1) if any(_blank(t) for t in triples) else INSERT_SLICE
    for begin in range(0, len(triples), step):  # blank nodes: one request (their scope)
        body = _ntriples(triples[begin : begin + step]).decode("utf-8")
        store.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}", timeout=REQUEST_TIMEOUT)


def _register(store: RemoteStore, graphs: Sequence[str]) -> None:
    """Record ``graphs`` in the manifest as this run's, to be dropped if it does not finish."""
    objects = ", ".join(f"<{g}>" for g in graphs)
    store.update(
        f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> "
        f"<{PUBLICATION['staging']}> {objects} }} }}"
    )


def _drop(store: RemoteStore, graphs: Sequence[str], *, registered: bool) -> None:
    """Drop ``graphs`` (some requests; the record in the manifest last, if ``registered``)."""
    for begin in range(0, len(graphs), DROP_BATCH):
        chunk = graphs[begin : begin + DROP_BATCH]
        store.update(
            " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in chunk), timeout=REQUEST_TIMEOUT
        )
    if registered:
        objects = ", ".join(f"<{g}>" for g in graphs)
        store.update(
            f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> "
            f"<{PUBLICATION['staging']}> {objects} }} }}",
            timeout=REQUEST_TIMEOUT,
        )


def _drop_quietly(store: RemoteStore, graphs: Sequence[str]) -> None:
    with contextlib.suppress(KgError):  # the store is gone: the next publish drops them
        _drop(store, graphs, registered=True)


def _mark_switching(store: RemoteStore) -> None:
    _set_state(store, SWITCHING)


def _set_state(store: RemoteStore, value: str) -> None:
    state = f"<{PUBLICATION['state']}>"
    store.update(
        f"DELETE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} ?state }} }} "
        f'INSERT {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} "{value}" }} }} '
        f"WHERE {{ OPTIONAL {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> {state} ?state }} }} }}"
    )


def _compare(
    store: RemoteStore,
    pairs: Sequence[tuple[str, str]],
    sent_of: Callable[[ox.NamedNode | ox.DefaultGraph], list[ox.Triple]],
) -> list[Change]:
    """What the store holds differently from what was sent (each change once); ``pairs``:
    the published graph (or the merge) and the graph of the store that holds it."""
    changes: list[Change] = []
    seen: set[tuple[str, str]] = set()
    for target, graph in pairs:  # blank nodes get other labels: counted, not compared
        source = ox.DefaultGraph() if target == MERGE_GRAPH else ox.NamedNode(target)
        stored = {t for t in store.read_graph(graph) if not _blank(t)}
        sent = {t for t in sent_of(source) if not _blank(t)}
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
    wrong = [f"{_name(g)}: {sizes[g]} instead of {n}" for g, n in expected.items() if sizes[g] != n]
    live = store.read_publication()
    if live is None or live.generation != publication.generation or not live.stable:
        wrong.append("the manifest does not name the new publication as the stable one")
    if wrong:
        raise StoreError(
            "after the switch the store does not hold what was published: " + "; ".join(wrong)
        )
