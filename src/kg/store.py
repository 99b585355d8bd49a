"""The embedded store: ontology and data in a pyoxigraph ``Store``, named graphs kept.

Queries see the RDF merge of all named graphs as their default graph (SPARQL 1.1
Query §13.2 leaves the default graph to the service) and can still ask
``GRAPH ?g { … }`` which source states a fact.

The merge is materialised as the store's default graph when loading. pyoxigraph's
``use_default_graph_as_union`` is *not* used: it concatenates the graphs (a bag),
so a triple stated by two sources would be counted twice, while the default graph
of a SPARQL dataset is an RDF graph, a set (RDF 1.1 Concepts §4). The data files
themselves never put triples in the default graph (``tests/test_dataset_rules.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.dataset import ParsedFile, data_files, parse_all, parse_ontology
from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.query_rewrite import optimize
from kg.settings import Settings


@dataclass
class LoadReport:
    files: int = 0
    quads: int = 0
    seconds: float = 0.0
    per_file: list[tuple[str, int]] = field(default_factory=list)


class KnowledgeGraph:
    """An in-memory pyoxigraph store with the project's files loaded."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.report = LoadReport()

    @classmethod
    def from_parsed(cls, files: Iterable[ParsedFile]) -> KnowledgeGraph:
        kg = cls()
        start = time.perf_counter()
        default = ox.DefaultGraph()
        for parsed in files:
            kg.store.bulk_extend(parsed.quads)
            kg.store.bulk_extend(
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


def evaluate(
    store: ox.Store, text: str, **options: Any
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Evaluate ``text`` on ``store`` after the rewriting pass (:mod:`kg.query_rewrite`).

    The project's prefixes are predeclared. Should the engine refuse the rewritten
    text, the text as given is evaluated instead, so errors always describe (and
    point into) the text the user wrote.
    """
    rewritten = optimize(text)
    if rewritten != text:
        try:
            return store.query(rewritten, prefixes=PREFIXES, **options)
        except SyntaxError:
            pass
    return store.query(text, prefixes=PREFIXES, **options)
