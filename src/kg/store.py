"""The embedded store: ontology and data in a pyoxigraph ``Store``, named graphs kept.

Queries see the RDF merge of all named graphs as their default graph (SPARQL 1.1
Query §13.2 leaves the default graph to the service) and can still ask
``GRAPH ?g { … }`` which source states a fact.

The merge is materialised as the store's default graph when loading. pyoxigraph's
``use_default_graph_as_union`` is *not* used: it concatenates the graphs (a bag),
so a triple stated by two sources would be counted twice, while the default graph
of a SPARQL dataset is an RDF graph, a set (RDF 1.1 Concepts §4). The data files
themselves never put triples in the default graph (``tests/test_dataset_rules.py``).

:class:`RemoteKnowledgeGraph` is the same interface over a remote SPARQL store that
``kg publish`` has loaded (:mod:`kg.remote_store`): its ``store`` answers the calls the
project makes of pyoxigraph's ``Store`` (``query``, ``quads_for_pattern``,
``named_graphs``, iteration) with SPARQL requests, over the same default graph (the
merge, published as a graph of its own). :meth:`KnowledgeGraph.open` picks one by the
``store`` setting.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.dataset import ParsedFile, data_files, expand, ontology_files, parse_all, parse_ontology
from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.query_rewrite import optimize
from kg.remote_store import Endpoints, Publication, RemoteStore
from kg.settings import Settings

#: A store the project queries: the embedded pyoxigraph store or a remote one.
Store = ox.Store | RemoteStore


@dataclass
class LoadReport:
    files: int = 0
    quads: int = 0
    seconds: float = 0.0
    per_file: list[tuple[str, int]] = field(default_factory=list)


def served_files(settings: Settings) -> list[Path]:
    """The files that make the dataset: the ontology and the data (or ``settings.data``)."""
    data = expand(list(settings.data)) if settings.data else data_files(settings)
    return [*ontology_files(settings), *data]


class KnowledgeGraph:
    """An in-memory pyoxigraph store with the project's files loaded."""

    store: Store

    def __init__(self) -> None:
        self.store = ox.Store()
        self.report = LoadReport()

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeGraph:
        """The graph the settings select: the files loaded here, or the remote store's."""
        if settings.remote:
            return RemoteKnowledgeGraph.connect(settings)
        return cls.load(settings)

    @classmethod
    def from_parsed(cls, files: Iterable[ParsedFile]) -> KnowledgeGraph:
        kg = cls()
        store = ox.Store()
        kg.store = store
        start = time.perf_counter()
        default = ox.DefaultGraph()
        for parsed in files:
            store.bulk_extend(parsed.quads)
            store.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object, default) for q in parsed.quads
            )
            kg.report.files += 1
            kg.report.quads += len(parsed.quads)
            kg.report.per_file.append((str(parsed.path), len(parsed.quads)))
        kg.report.seconds = time.perf_counter() - start
        return kg

    @classmethod
    def load(cls, settings: Settings) -> KnowledgeGraph:
        """Ontology and all data files of the project (raises BrokenInputError)."""
        return cls.from_parsed([*parse_ontology(settings), *parse_all(data_files(settings))])

    def __len__(self) -> int:
        """Distinct triples: the size of the default graph (the merge of all graphs)."""
        return self.triple_count()

    def triple_count(self) -> int:
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def quad_count(self) -> int:
        """Triples counted once per named graph that holds them."""
        return len(self.store) - self.triple_count()

    def query(self, sparql: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate ``sparql`` over the union default graph; ``QueryError`` if it fails.

        The project's prefixes (:data:`kg.namespaces.PREFIXES`) are predeclared, so
        queries may use ``person:``, ``ipo:`` … without PREFIX lines; positions in
        parser messages still refer to the text as given.
        """
        try:
            return evaluate(self.store, sparql)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"SPARQL evaluation error: {exc}") from exc

    def select(self, sparql: str) -> Iterator[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Rows of a SELECT query as dicts of bound variables."""
        result = self.query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in result.variables]
        for solution in result:
            yield {n: solution[n] for n in names if solution[n] is not None}

    def ask(self, sparql: str) -> bool:
        result = self.query(sparql)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_sizes(self) -> dict[str, int]:
        """Triples in each named graph."""
        store = self.store
        return {
            g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g))
            for g in store.named_graphs()
            if isinstance(g, ox.NamedNode)
        }


class RemoteKnowledgeGraph(KnowledgeGraph):
    """The graph as a remote store holds it (``kg publish``): nothing is loaded here."""

    store: RemoteStore

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self.report = LoadReport()
        self.adopt(store.publication)

    @classmethod
    def connect(cls, settings: Settings, *, max_results: int | None = None) -> RemoteKnowledgeGraph:
        """Connect to ``settings.store`` and read its publication (``StoreError`` if unusable).

        With ``max_results``, check that the store returns more solutions than that (it
        may cap them silently: Virtuoso's ``ResultSetMaxRows``).
        """
        store = RemoteStore(Endpoints.from_settings(settings), timeout=settings.query_timeout)
        try:
            store.open()
            if max_results is not None:
                store.check_max_rows(max_results + 1)
        except BaseException:
            store.close()
            raise
        return cls(store)

    def adopt(self, publication: Publication) -> None:
        """Serve ``publication`` from now on (after ``kg publish`` switched the store)."""
        self.store.publication = publication
        self.report = LoadReport(files=publication.files, quads=publication.quads)

    def triple_count(self) -> int:
        return self.store.publication.triples

    def quad_count(self) -> int:
        return self.store.publication.quads

    def graphs(self) -> list[str]:
        return sorted(self.store.publication.graphs)

    def graph_sizes(self) -> dict[str, int]:
        return dict(self.store.publication.graphs)

    def close(self) -> None:
        self.store.close()


def evaluate(
    store: Store, text: str, **options: Any
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Evaluate ``text`` on ``store`` after the rewriting pass (:mod:`kg.query_rewrite`).

    The project's prefixes are predeclared. Should the engine refuse the rewritten
    text, the text as given is evaluated instead, so errors always describe (and
    point into) the text the user wrote. A remote store does the same in
    :meth:`kg.remote_store.RemoteStore.query`.
    """
    if isinstance(store, RemoteStore):
        return store.query(text, **options)
    rewritten = optimize(text)
    if rewritten != text:
        try:
            return store.query(rewritten, prefixes=PREFIXES, **options)
        except SyntaxError:
            pass
    return store.query(text, prefixes=PREFIXES, **options)
