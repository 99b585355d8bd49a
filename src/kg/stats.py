"""Statistics of the loaded knowledge graph: triples per graph, instances per class.

Counts follow the RDF 1.1 dataset model (RDF 1.1 Concepts §4): the store holds
quads, one per triple per named graph (a fact that two sources state is in both
their graphs). ``triples`` is the number of distinct triples in the union of all
graphs (the default graph of queries, see :mod:`kg.store`); ``quads`` the number
of quads; ``graphs`` the triples in each graph (``"default"`` for the default
graph); ``classes`` the distinct instances of each class by ``rdf:type`` over the
union, like VoID's ``void:classPartition``/``void:entities`` (VoID §4.6).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.store import KnowledgeGraph
from kg.validation import compact

__all__ = ["STATS_FORMATS", "Stats", "compute_stats", "render_stats"]

STATS_FORMATS: tuple[str, ...] = ("text", "json")

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DEFAULT_GRAPH_NAME = "default"


@dataclass
class Stats:
    triples: int
    quads: int
    files: int
    graphs: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)


def _graph_name(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    if isinstance(graph, ox.NamedNode):
        return graph.value
    if isinstance(graph, ox.BlankNode):
        return f"_:{graph.value}"
    return DEFAULT_GRAPH_NAME


def compute_stats(kg: KnowledgeGraph) -> Stats:
    """The statistics of ``kg`` (see the module docstring for what each count means)."""
    per_graph: Counter[str] = Counter()
    union: set[tuple[str, str, str]] = set()
    instances: dict[str, set[str]] = {}
    for quad in kg.store:
        if isinstance(quad.graph_name, ox.DefaultGraph):
            continue  # the merge of the named graphs, derived when loading (kg.store)
        per_graph[_graph_name(quad.graph_name)] += 1
        key = (str(quad.subject), str(quad.predicate), str(quad.object))
        union.add(key)
        if quad.predicate.value == _RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            instances.setdefault(quad.object.value, set()).add(str(quad.subject))
    classes = sorted(((c, len(s)) for c, s in instances.items()), key=lambda x: (-x[1], x[0]))
    return Stats(
        triples=len(union),
        quads=kg.quad_count(),
        files=kg.report.files,
        graphs=dict(sorted(per_graph.items())),
        classes=dict(classes),
    )


def render_stats(stats: Stats, fmt: str = "text") -> str:
    """``text`` (aligned, compact IRIs) or ``json`` (full IRIs)."""
    if fmt == "json":
        document = {
            "triples": stats.triples,
            "quads": stats.quads,
            "files": stats.files,
            "graphs": stats.graphs,
            "classes": stats.classes,
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown stats format {fmt!r}; use one of {', '.join(STATS_FORMATS)}")
    lines = [
        f"{stats.triples} triples ({stats.quads} quads) in {len(stats.graphs)} graphs "
        f"from {stats.files} files",
        "",
        "triples per graph:",
    ]
    lines.extend(_aligned({compact(g): n for g, n in stats.graphs.items()}))
    lines += ["", "instances per class:"]
    lines.extend(_aligned({compact(c): n for c, n in stats.classes.items()}))
    return "\n".join(lines) + "\n"


def _aligned(counts: dict[str, int]) -> list[str]:
    if not counts:
        return ["  (none)"]
    width = max(len(k) for k in counts)
    number = max(len(str(n)) for n in counts.values())
    return [f"  {k.ljust(width)}  {str(n).rjust(number)}" for k, n in counts.items()]
