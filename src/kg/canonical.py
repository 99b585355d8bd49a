"""The canonical serialisation of the project's RDF files, and ``kg fmt``.

Canonical form = what rdflib's Turtle/TriG serialisers (RDF 1.1 Turtle, TriG)
write for the parsed file, with the project's prefixes (:data:`kg.namespaces.PREFIXES`):
subjects, predicates and objects sorted, one prefix block, no comments. Being a
function of the graph alone, it makes diffs of curated data record-by-record
and independent of who edited the file. Blank nodes are kept as they are; the
curated data uses IRIs so that every record has a stable name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph
from rdflib.compare import isomorphic, to_canonical_graph

from kg.dataset import parse_file, to_rdflib
from kg.errors import KgError
from kg.namespaces import PREFIXES


@dataclass(frozen=True)
class FormatResult:
    path: Path
    changed: bool


class RoundTripError(KgError):
    """The canonical text would not say the same as the file: nothing is written."""


def canonical_text(path: Path) -> str:
    """The canonical text for the RDF file at ``path`` (raises BrokenInputError).

    The text is parsed back and compared graph by graph (up to blank-node
    renaming) with the original, so that formatting can never change data.
    """
    ds = to_rdflib([parse_file(path)])
    if path.suffix == ".ttl":
        graph: Graph = ds.default_graph
        if any(isinstance(term, BNode) for triple in graph for term in triple):
            # blank-node labels are arbitrary: relabel them from the graph's structure
            # (RDF 1.1 Semantics §5.1 isomorphism) so that the text is a function of the graph
            relabelled = Graph()
            relabelled += to_canonical_graph(graph)
            graph = relabelled
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, override=True, replace=True)
        text: str = graph.serialize(format="turtle")
        fmt = "turtle"
    else:
        text = ds.serialize(format="trig")
        fmt = "trig"
    back = Dataset()
    back.parse(data=text, format=fmt)
    if not _same_dataset(ds, back):
        raise RoundTripError(
            f"{path}: the canonical serialisation would change the data; file left unchanged. "
            "Please report this with the file attached."
        )
    return text


def _same_dataset(a: Dataset, b: Dataset) -> bool:
    def graphs(ds: Dataset) -> dict[str, object]:
        return {str(g.identifier): g for g in ds.graphs() if len(g)}

    ga, gb = graphs(a), graphs(b)
    return ga.keys() == gb.keys() and all(isomorphic(ga[k], gb[k]) for k in ga)  # type: ignore[arg-type]


def format_files(paths: Sequence[Path], *, check: bool) -> list[FormatResult]:
    """Rewrite ``paths`` canonically (or, with ``check``, only report which differ).

    All files are parsed before any is written, so a syntax error in one file
    leaves every file untouched. Each file is written atomically.
    """
    planned = [(p, canonical_text(p)) for p in paths]
    results = []
    for path, text in planned:
        changed = path.read_text(encoding="utf-8") != text
        if changed and not check:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        results.append(FormatResult(path, changed))
    return results
