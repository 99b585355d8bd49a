"""Rendering validation outcomes and SPARQL query results for people and machines.

Validation outcomes (:class:`kg.validation.ValidationOutcome`) are rendered as

* ``text``: grouped by file, then by focus node, one line per result in plain
  words, ending with a summary line such as
  ``2 violations, 1 warning in 1 file (1234 triples, 0.42 s)``; IRIs are
  compacted with :data:`kg.namespaces.PREFIXES`;
* ``json``: a stable document (IRIs in full)::

      {"conforms": bool,
       "summary": {"violations": int, "warnings": int, "infos": int, "strict": bool,
                   "files": [str], "files_with_results": [str],
                   "ontology_files": [str], "shapes_files": [str],
                   "triples": int, "seconds": float},
       "results": [{"severity": "Violation" | "Warning" | "Info",
                    "focus": str, "path": str | null, "component": str,
                    "value": str | null, "message": str, "shape": str | null,
                    "files": [str]}]}

  (field meanings: :class:`kg.validation.ValidationResultRow`);
* ``turtle``: the SHACL validation report graph (SHACL §3.6: a
  ``sh:ValidationReport`` with ``sh:conforms`` and one ``sh:result`` per
  ``sh:ValidationResult``), as pySHACL produced it, with ``sh:conforms`` set to
  the outcome's conformance (so warnings do not make it ``false`` unless strict);
* ``junit``: JUnit XML, one ``<testsuite>``, one ``<testcase>`` per (file, focus
  node) with results (a ``<failure>`` if any result fails the run), and one
  passing ``<testcase>`` per validated file without results.

SPARQL results (SPARQL 1.1 Query §16) are rendered by :func:`render_query_results`:
``table`` (aligned plain-text columns, compacted IRIs), ``csv`` and ``json``
(SPARQL 1.1 Query Results CSV and JSON formats, pyoxigraph's serialisers);
graph results (CONSTRUCT, DESCRIBE) as Turtle.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.util import from_n3

from kg.errors import QueryError
from kg.export import turtle
from kg.namespaces import PREFIXES
from kg.validation import ValidationOutcome, ValidationResultRow, compact, display

__all__ = [
    "QUERY_FORMATS",
    "REPORT_FORMATS",
    "display",
    "render",
    "render_json",
    "render_junit",
    "render_query_results",
    "render_text",
    "render_turtle",
    "report_document",
    "summary_line",
    "term_text",
]

REPORT_FORMATS: tuple[str, ...] = ("text", "json", "turtle", "junit")
QUERY_FORMATS: tuple[str, ...] = ("table", "csv", "json")

_NO_FILE = "(not described in any validated file)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render(outcome: ValidationOutcome, fmt: str) -> str:
    """``outcome`` in ``fmt`` (one of :data:`REPORT_FORMATS`)."""
    renderers = {
        "text": render_text,
        "json": render_json,
        "turtle": render_turtle,
        "junit": render_junit,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    return renderers[fmt](outcome)


# ----------------------------------------------------------------- grouping


def _group_key(row: ValidationResultRow) -> str:
    return ", ".join(row.files) if row.files else _NO_FILE


def _grouped(
    outcome: ValidationOutcome,
) -> dict[str, dict[str, list[ValidationResultRow]]]:
    """file (or files) → focus → rows, in the rows' order."""
    groups: dict[str, dict[str, list[ValidationResultRow]]] = defaultdict(lambda: defaultdict(list))
    for row in outcome.results:
        groups[_group_key(row)][row.focus].append(row)
    return groups


def _fails(outcome: ValidationOutcome, row: ValidationResultRow) -> bool:
    return outcome.strict or row.severity == "Violation"


# ----------------------------------------------------------------- text


def summary_line(outcome: ValidationOutcome) -> str:
    """``2 violations, 1 warning in 1 file (1234 triples, 0.42 s)``."""
    counts = outcome.counts
    parts = [_plural(n, s.lower()) for s, n in counts.items() if n]
    stats = f"({outcome.triples} triples, {outcome.seconds:.2f} s)"
    if not parts:
        return f"no violations or warnings in {_plural(len(outcome.files), 'file')} {stats}"
    files = len({f for r in outcome.results for f in (r.files or [_NO_FILE])})
    line = f"{', '.join(parts)} in {_plural(files, 'file')} {stats}"
    if outcome.conforms:
        line += "; conforms"
    elif outcome.strict and not counts["Violation"]:
        line += "; fails with --strict"
    return line


def _result_line(row: ValidationResultRow) -> str:
    details = []  # what the message does not already say
    if row.path is not None and display(row.path) not in row.message:
        details.append(f"path {display(row.path)}")
    if row.value is not None and display(row.value) not in row.message:
        details.append(f"value {display(row.value)}")
    details.append(row.component)
    if row.shape is not None:
        details.append(f"shape {display(row.shape)}")
    return f"{row.severity:<9}  {row.message}  [{'; '.join(details)}]"


def render_text(outcome: ValidationOutcome) -> str:
    """Results grouped by file, then focus node, and a summary line."""
    lines: list[str] = []
    for file, by_focus in _grouped(outcome).items():
        lines.append(file)
        for focus, rows in by_focus.items():
            lines.append(f"  {display(focus)}")
            lines.extend(f"    {_result_line(row)}" for row in rows)
        lines.append("")
    lines.append(summary_line(outcome))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- json


def report_document(outcome: ValidationOutcome) -> dict[str, Any]:
    """The JSON report as a dict (the shape is documented in the module docstring)."""
    counts = outcome.counts
    return {
        "conforms": outcome.conforms,
        "summary": {
            "violations": counts["Violation"],
            "warnings": counts["Warning"],
            "infos": counts["Info"],
            "strict": outcome.strict,
            "files": list(outcome.files),
            "files_with_results": outcome.files_with_results,
            "ontology_files": list(outcome.ontology_files),
            "shapes_files": list(outcome.shapes_files),
            "triples": outcome.triples,
            "seconds": round(outcome.seconds, 3),
        },
        "results": [
            {
                "severity": r.severity,
                "focus": r.focus,
                "path": r.path,
                "component": r.component,
                "value": r.value,
                "message": r.message,
                "shape": r.shape,
                "files": list(r.files),
            }
            for r in outcome.results
        ],
    }


def render_json(outcome: ValidationOutcome) -> str:
    return json.dumps(report_document(outcome), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------- turtle


def _bind(graph: Graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)


def render_turtle(outcome: ValidationOutcome) -> str:
    """The SHACL §3.6 validation report graph as Turtle."""
    graph = Graph()
    _bind(graph)
    source = outcome.report_graph
    reports = list(source.subjects(RDF.type, SH.ValidationReport))
    if reports:
        for triple in source:
            graph.add(triple)
        for report_node in reports:
            graph.set((report_node, SH.conforms, Literal(outcome.conforms)))
    else:
        _graph_from_rows(graph, outcome)
    return str(graph.serialize(format="turtle"))


def _term(text: str) -> URIRef | BNode | Literal:
    if text.startswith(('"', "_:")):
        node = from_n3(text)
        assert isinstance(node, BNode | Literal)
        return node
    return URIRef(text)


def _graph_from_rows(graph: Graph, outcome: ValidationOutcome) -> None:
    """A report built from the rows (for outcomes that carry no pySHACL graph)."""
    report_node = BNode()
    graph.add((report_node, RDF.type, SH.ValidationReport))
    graph.add((report_node, SH.conforms, Literal(outcome.conforms)))
    for row in outcome.results:
        result = BNode()
        graph.add((report_node, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.resultSeverity, SH[row.severity]))
        graph.add((result, SH.focusNode, _term(row.focus)))
        if row.path is not None and not row.path.startswith(("(", "^", "<")):
            graph.add((result, SH.resultPath, URIRef(row.path)))
        if row.value is not None:
            graph.add((result, SH.value, _term(row.value)))
        component = row.component
        if component.startswith("sh:"):
            graph.add((result, SH.sourceConstraintComponent, SH[component[3:]]))
        if row.shape is not None:
            graph.add((result, SH.sourceShape, URIRef(row.shape)))
        graph.add((result, SH.resultMessage, Literal(row.message)))


# ----------------------------------------------------------------- junit


def render_junit(outcome: ValidationOutcome) -> str:
    """JUnit XML: one testsuite; a testcase per (file, focus node), per clean file."""
    suite = ET.Element("testsuite", name="kg validate")
    failures = 0
    tests = 0
    grouped = _grouped(outcome)
    for file, by_focus in grouped.items():
        for focus, rows in by_focus.items():
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=file, name=display(focus))
            failing = [r for r in rows if _fails(outcome, r)]
            passing = [r for r in rows if not _fails(outcome, r)]
            if failing:
                failures += 1
                counts = Counter(r.severity for r in failing)
                summary = ", ".join(_plural(n, s.lower()) for s, n in counts.items())
                failure = ET.SubElement(
                    case, "failure", message=summary, type=f"sh:{failing[0].severity}"
                )
                failure.text = "\n".join(_result_line(r) for r in failing) + "\n"
            if passing:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(_result_line(r) for r in passing) + "\n"
    with_results = set(outcome.files_with_results)
    clean = [f for f in outcome.files if f not in with_results]
    for file in clean:
        tests += 1
        ET.SubElement(suite, "testcase", classname=file, name="conforms")
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", f"{outcome.seconds:.3f}")
    root = ET.Element("testsuites", name="kg validate")
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("time", f"{outcome.seconds:.3f}")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# ----------------------------------------------------------------- SPARQL results


def _iri_text(iri: str) -> str:
    short = compact(iri)
    return short if short != iri else f"<{iri}>"


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A query result term for a table: compact IRI (or ``<IRI>``), ``_:b``, Turtle literal."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return _iri_text(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{json.dumps(term.value, ensure_ascii=False)}@{term.language}"
        datatype = term.datatype.value
        if datatype == str(XSD.string):
            return json.dumps(term.value, ensure_ascii=False)
        if datatype in (str(XSD.integer), str(XSD.decimal), str(XSD.boolean)):
            return term.value
        return f"{json.dumps(term.value, ensure_ascii=False)}^^{_iri_text(datatype)}"
    return str(term)


def _table(solutions: ox.QuerySolutions) -> str:
    names = [v.value for v in solutions.variables]
    rows = [[term_text(solution[n]) for n in names] for solution in solutions]
    header = [f"?{n}" for n in names]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    out.append(f"({_plural(len(rows), 'row')})")
    return "\n".join(out) + "\n"


def render_query_results(
    results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str = "table"
) -> str:
    """SELECT/ASK results as ``table``, ``csv`` or ``json``; CONSTRUCT/DESCRIBE as Turtle.

    Results are evaluated lazily, while they are rendered: an evaluation error
    (a failing ``SERVICE`` call, say) is raised here, as :class:`~kg.errors.QueryError`.
    """
    if fmt not in QUERY_FORMATS:
        raise ValueError(f"unknown query format {fmt!r}; use one of {', '.join(QUERY_FORMATS)}")
    try:
        return _render_results(results, fmt)
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"SPARQL evaluation error: {exc}") from exc


def _render_results(
    results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str
) -> str:
    if isinstance(results, ox.QueryTriples):
        return turtle(results).decode("utf-8")
    if fmt == "table":
        if isinstance(results, ox.QueryBoolean):
            return ("true" if bool(results) else "false") + "\n"
        return _table(results)
    format_ = ox.QueryResultsFormat.CSV if fmt == "csv" else ox.QueryResultsFormat.JSON
    data = results.serialize(format=format_)
    text = data.decode("utf-8") if data is not None else ""
    return text if text.endswith("\n") else text + "\n"
