"""SHACL validation of the project's data, and its results as plain rows.

Implements the validation process of SHACL (W3C Recommendation, 2017) §3
"Validation and graphs" with pySHACL, and turns the validation report of
SHACL §3.6 ("Validation report": ``sh:ValidationReport``, ``sh:conforms`` and
``sh:result``, with the result properties of §3.6.2 ``sh:focusNode``,
``sh:resultPath``, ``sh:value``, ``sh:sourceShape``,
``sh:sourceConstraintComponent``, ``sh:resultMessage``, ``sh:resultSeverity``)
into :class:`ValidationResultRow` rows, each naming the file(s) in which its
focus node is described.

What is validated:

* the **data graph** is the RDF dataset of the data files (``data/**/*.trig``,
  or the files/folders given), each file's graphs kept, validated as their
  union (pySHACL's ``default_union``);
* the **ontology** (``ontology/*.ttl``) is passed as pySHACL's ``ont_graph``:
  its class and property axioms are mixed into the data graph, so that
  ``rdfs:subClassOf`` in the ontology counts for ``sh:class`` and
  ``sh:targetClass`` (a "SHACL instance" in SHACL's terminology). No inference is run;
* the **shapes graph** is ``shapes/*.ttl``; SHACL-AF (advanced) features are on.

Severities (SHACL §2.1.4): by default only ``sh:Violation`` results make the
data non-conforming; with ``strict`` every result (``sh:Warning``, ``sh:Info``)
does.

Exit codes of ``kg validate`` (pySHACL's convention, :mod:`kg.errors`):

* ``0`` the data conforms;
* ``1`` there are violations (with ``--strict``: any result at all);
* ``2`` broken input: a file that cannot be read or parsed, a missing path,
  unusable shapes.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib import plugin as rdflib_plugin
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor as RdflibProcessor
from rdflib.term import Node

from kg.dataset import (
    ONTOLOGY_GRAPH,
    ParsedFile,
    data_files,
    expand,
    parse_all,
    parse_file,
    parse_ontology,
    shapes_files,
    to_rdflib,
)
from kg.errors import EXIT_NONCONFORMING, EXIT_OK, BrokenInputError
from kg.namespaces import PREFIXES
from kg.settings import Settings

__all__ = [
    "SEVERITIES",
    "ValidationOutcome",
    "ValidationResultRow",
    "compact",
    "display",
    "exit_code",
    "path_text",
    "validate",
]

#: The severities of SHACL §2.1.4, most severe first, by local name.
SEVERITIES: tuple[str, ...] = ("Violation", "Warning", "Info")

Progress = Callable[[str], None]

_BRACKETED = re.compile(r"<([^<>\s]*)>")

_PYSHACL_LOGGER = "pyshacl-validate"  # the logger of pyshacl.validate (it writes to stderr)


@dataclass
class ValidationResultRow:
    """One ``sh:ValidationResult`` (SHACL §3.6.2) in plain values.

    ``focus``, ``shape`` and simple ``path`` values are full IRIs (blank nodes as
    ``_:label``); a complex path is SPARQL 1.1 property-path text with full
    ``<IRI>`` s; ``value`` is an IRI, ``_:label`` or an N-Triples literal
    (``"2016-13-01"^^<http://www.w3.org/2001/XMLSchema#date>``); ``component``
    is compact (``sh:MinCountConstraintComponent``); ``files`` are the data files
    that describe the focus node, relative to the project root where possible.
    """

    severity: str
    focus: str
    path: str | None
    component: str
    value: str | None
    message: str
    shape: str | None
    files: list[str] = field(default_factory=list)


@dataclass
class ValidationOutcome:
    """The result of :func:`validate`: conformance, rows and what was validated."""

    conforms: bool
    results: list[ValidationResultRow]
    files: list[str]
    triples: int
    strict: bool = False
    load_seconds: float = 0.0
    validate_seconds: float = 0.0
    ontology_files: list[str] = field(default_factory=list)
    shapes_files: list[str] = field(default_factory=list)
    #: pySHACL's validation report graph (SHACL §3.6), as produced.
    report_graph: Graph = field(default_factory=Graph, repr=False, compare=False)

    @property
    def counts(self) -> dict[str, int]:
        """Number of results per severity, every severity present (``{"Violation": 2, ...}``)."""
        found = Counter(r.severity for r in self.results)
        return {s: found.get(s, 0) for s in SEVERITIES}

    @property
    def violations(self) -> int:
        return self.counts["Violation"]

    @property
    def warnings(self) -> int:
        return self.counts["Warning"]

    @property
    def infos(self) -> int:
        return self.counts["Info"]

    @property
    def seconds(self) -> float:
        """Total time: loading and validating."""
        return self.load_seconds + self.validate_seconds

    @property
    def files_with_results(self) -> list[str]:
        """The files that describe at least one focus node with a result, sorted."""
        return sorted({f for r in self.results for f in r.files})

    @property
    def exit_code(self) -> int:
        return exit_code(self)


def exit_code(outcome: ValidationOutcome) -> int:
    """``0`` if ``outcome`` conforms, else ``1`` (``2`` is raised as BrokenInputError)."""
    return EXIT_OK if outcome.conforms else EXIT_NONCONFORMING


# ----------------------------------------------------------------- compacting


def compact(iri: str) -> str:
    """``iri`` as ``prefix:local`` with :data:`kg.namespaces.PREFIXES`, else unchanged.

    The longest matching namespace wins; the local part must be a plain name
    (letters, digits, ``_``, ``-``, inner ``.``), so the result reads back as Turtle.
    """
    best: tuple[str, str] | None = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            local = iri[len(ns) :]
            if _is_plain_local(local):
                best = (prefix, ns)
    if best is None:
        return iri
    return f"{best[0]}:{iri[len(best[1]) :]}"


def display(text: str) -> str:
    """A row value for people: IRIs compacted, also inside property paths and literal datatypes.

    ``https://w3id.org/ipkg/id/person/x`` → ``person:x``;
    ``"2016"^^<http://www.w3.org/2001/XMLSchema#gYear>`` → ``"2016"^^xsd:gYear``;
    ``^<http://www.w3.org/ns/org#member>`` → ``^org:member``.
    """
    if text.startswith(('"', "_:", "(", "^", "<")):
        return _BRACKETED.sub(lambda m: _compact_bracketed(m.group(1)), text)
    return compact(text)


def _compact_bracketed(iri: str) -> str:
    short = compact(iri)
    return short if short != iri else f"<{iri}>"


def _is_plain_local(local: str) -> bool:
    if local == "":
        return True
    if local.endswith(".") or local.startswith((".", "-")):
        return False
    return all(c.isalnum() or c in "_-." for c in local)


# ----------------------------------------------------------------- validation


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _term_key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str | None:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return None


def _index_files(
    files: Iterable[ParsedFile], root: Path
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Subject → files and object → files (IRIs and ``_:labels``) of ``files``."""
    subjects: dict[str, set[str]] = defaultdict(set)
    objects: dict[str, set[str]] = defaultdict(set)
    for parsed in files:
        name = _relative(parsed.path, root)
        for quad in parsed.quads:
            key = _term_key(quad.subject)
            if key is not None:
                subjects[key].add(name)
            okey = _term_key(quad.object)
            if okey is not None:
                objects[okey].add(name)
    return subjects, objects


def validate(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> ValidationOutcome:
    """SHACL-validate the data files (``paths``, default all of ``data/``) of the project.

    ``paths`` may name files and folders (see :func:`kg.dataset.expand`).
    Raises :class:`~kg.errors.BrokenInputError` for a missing path, a file that
    does not parse (with file and line) and shapes pySHACL cannot use. With
    ``strict``, warnings and infos also make the outcome non-conforming.
    ``progress`` receives one-line progress messages (load and validation timing).
    """
    if not settings.root.is_dir():
        raise BrokenInputError(
            "project directory not found; give --root or set KG_ROOT", path=settings.root
        )
    start = time.perf_counter()
    files = expand(list(paths)) if paths is not None else data_files(settings)
    ontology = parse_ontology(settings)
    data = parse_all(files)
    shapes = [parse_file(p) for p in shapes_files(settings)]
    data_ds = to_rdflib(data)
    ontology_graph = to_rdflib(ontology).graph(ONTOLOGY_GRAPH)
    shapes_graph = to_rdflib(shapes).default_graph
    subjects, objects = _index_files([*data, *ontology], settings.root)
    triples = sum(len(p.quads) for p in data)
    load_seconds = time.perf_counter() - start
    if progress:
        total = len(files) + len(ontology) + len(shapes)
        progress(
            f"loaded {total} {_plural(total, 'file')} ({len(files)} data, {len(ontology)} "
            f"ontology, {len(shapes)} shapes), {triples} data triples in {load_seconds:.2f} s"
        )
        if not shapes:
            progress(f"note: no shapes in {_relative(settings.shapes_dir, settings.root)}/")

    start = time.perf_counter()
    report_graph = _run_pyshacl(data_ds, shapes_graph, ontology_graph, settings.shapes_dir)
    rows = _rows(report_graph, shapes_graph, subjects, objects)
    validate_seconds = time.perf_counter() - start
    failing = rows if strict else [r for r in rows if r.severity == "Violation"]
    conforms = not failing
    outcome = ValidationOutcome(
        conforms=conforms,
        results=rows,
        files=[_relative(p, settings.root) for p in files],
        triples=triples,
        strict=strict,
        load_seconds=load_seconds,
        validate_seconds=validate_seconds,
        ontology_files=[_relative(p.path, settings.root) for p in ontology],
        shapes_files=[_relative(p.path, settings.root) for p in shapes],
        report_graph=report_graph,
    )
    if progress:
        counts = ", ".join(f"{n} {_plural(n, s.lower())}" for s, n in outcome.counts.items() if n)
        progress(f"validated in {validate_seconds:.2f} s: {counts or 'no results'}")
    return outcome


class _DropErrors(logging.Filter):
    """pySHACL logs an error to stderr before raising it; we report the exception once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


class PreparingProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor that prepares each distinct query text once.

    pySHACL evaluates a SHACL-SPARQL constraint (SHACL §5) once per focus node,
    passing the same text with ``$this`` in ``initBindings``; rdflib would parse
    it every time (about 0.2 s for our constraints). Preparing once and evaluating
    with bindings is rdflib's own ``prepareQuery`` pattern, so results are the same.
    """

    _prepared: ClassVar[dict[tuple[str, str | None, tuple[tuple[str, str], ...]], Query]] = {}

    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,
        initBindings: Mapping[str, Any] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Mapping[str, Any]:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((k, str(v)) for k, v in (initNs or {}).items()))
            key = (strOrQuery, base, namespaces)
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = translateQuery(parseQuery(strOrQuery), base, initNs)
                self._prepared[key] = prepared
            strOrQuery = prepared
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@contextmanager
def _preparing_sparql_processor() -> Iterator[None]:
    """Use :class:`PreparingProcessor` as rdflib's ``sparql`` processor for a while."""
    previous = rdflib_plugin._plugins[("sparql", RdflibProcessor)]
    rdflib_plugin.register("sparql", RdflibProcessor, __name__, PreparingProcessor.__name__)
    try:
        yield
    finally:
        rdflib_plugin._plugins[("sparql", RdflibProcessor)] = previous


def _run_pyshacl(data: Dataset, shapes: Graph, ontology: Graph, shapes_dir: Path) -> Graph:
    """pySHACL's report graph; any failure of pySHACL on these inputs is broken input."""
    logger = logging.getLogger(_PYSHACL_LOGGER)
    drop = _DropErrors()
    logger.addFilter(drop)
    try:
        with _preparing_sparql_processor():
            _, report, _ = pyshacl.validate(
                data,
                shacl_graph=shapes,
                ont_graph=ontology,
                inference="none",
                advanced=True,
                allow_warnings=True,
                allow_infos=True,
            )
    except ReportableRuntimeError as exc:  # ShapeLoadError, ConstraintLoadError, ...
        raise BrokenInputError(
            f"the shapes cannot be used for validation: {exc}", path=shapes_dir
        ) from exc
    except Exception as exc:
        # Everything pySHACL sees is user input (data, shapes, ontology); a failure inside
        # it, such as a SHACL-SPARQL query that does not parse, is reported, not raised.
        raise BrokenInputError(
            f"pySHACL failed on these shapes and data ({type(exc).__name__}: {exc})",
            path=shapes_dir,
        ) from exc
    finally:
        logger.removeFilter(drop)
    if not isinstance(report, Graph):  # a ValidationFailure ("failures" in SHACL §3.4)
        raise BrokenInputError(f"validation failed: {report}", path=shapes_dir)
    return report


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


# ----------------------------------------------------------------- report → rows


def _node_text(node: Node) -> str:
    """IRI string, ``_:label`` or N-Triples literal of ``node``."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return str(node.n3())
    return str(node)


def path_text(graph: Graph, path: Node) -> str:
    """SPARQL 1.1 property-path text for a SHACL property path (SHACL §2.3.1).

    A predicate path is its IRI (bare); complex paths use ``<IRI>`` s:
    sequence ``a/b``, alternative ``(a|b)``, inverse ``^a``, ``a*``, ``a+``, ``a?``.
    """
    if isinstance(path, URIRef):
        return str(path)
    return _path_expr(graph, path)


def _path_expr(graph: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    if not isinstance(path, BNode):
        return str(path)
    if graph.value(path, RDF.first) is not None:
        parts = [_path_expr(graph, p) for p in Collection(graph, path)]
        return "(" + "/".join(parts) + ")" if len(parts) > 1 else "".join(parts)
    alternative = graph.value(path, SH.alternativePath)
    if alternative is not None:
        return "(" + "|".join(_path_expr(graph, p) for p in Collection(graph, alternative)) + ")"
    for prop, sign in (
        (SH.inversePath, "^"),
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(path, prop)
        if inner is not None:
            text = _path_expr(graph, inner)
            return sign + text if sign == "^" else text + sign
    return f"_:{path}"


def _rows(
    report: Graph,
    shapes: Graph,
    subjects: dict[str, set[str]],
    objects: dict[str, set[str]],
) -> list[ValidationResultRow]:
    rows = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity_node = report.value(result, SH.resultSeverity)
        severity = str(severity_node).removeprefix(str(SH))
        if severity not in SEVERITIES:
            severity = "Violation"  # SHACL §2.1.4: other severities are allowed; treat as errors
        focus_node = report.value(result, SH.focusNode)
        focus = _node_text(focus_node) if focus_node is not None else ""
        path_node = report.value(result, SH.resultPath)
        path = path_text(report, path_node) if path_node is not None else None
        component_node = report.value(result, SH.sourceConstraintComponent)
        component = compact(str(component_node)) if component_node is not None else ""
        value_node = report.value(result, SH.value)
        value = _node_text(value_node) if value_node is not None else None
        shape_node = report.value(result, SH.sourceShape)
        shape = str(shape_node) if isinstance(shape_node, URIRef) else None
        files = subjects.get(focus) or objects.get(focus) or set()
        message = _message(report, shapes, result, shape_node, component, path_node, value_node)
        if Literal(message, lang="en") not in set(report.objects(result, SH.resultMessage)):
            # our sentence replaced pySHACL's wording: keep the report graph consistent
            report.set((result, SH.resultMessage, Literal(message)))
        rows.append(
            ValidationResultRow(
                severity=severity,
                focus=focus,
                path=path,
                component=component,
                value=value,
                message=message,
                shape=shape,
                files=sorted(files),
            )
        )
    rows.sort(key=_row_key)
    return rows


def _row_key(row: ValidationResultRow) -> tuple[str, str, int, str, str, str]:
    return (
        row.files[0] if row.files else "~",
        row.focus,
        SEVERITIES.index(row.severity),
        row.path or "",
        row.component,
        row.value or "",
    )


# ----------------------------------------------------------------- messages


def _pick_message(messages: list[Node]) -> str | None:
    """An English message, else one without language, else the first."""
    literals = [m for m in messages if isinstance(m, Literal)]
    for wanted in ("en", None):
        for m in literals:
            if m.language == wanted:
                return str(m)
    return str(literals[0]) if literals else None


def _shape_value(report: Graph, shapes: Graph, shape: Node | None, prop: URIRef) -> list[Node]:
    if shape is None:
        return []
    found = list(report.objects(shape, prop))  # blank-node shapes are copied into the report
    return found or list(shapes.objects(shape, prop))


def _words(node: Node | None) -> str:
    """A term for a sentence: compact IRI, quoted literal, or ``a blank node``."""
    if node is None:
        return "?"
    if isinstance(node, URIRef):
        return compact(str(node))
    if isinstance(node, Literal):
        text = f'"{node}"'
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None:
            return f"{text}^^{compact(str(node.datatype))}"
        return text
    return f"_:{node}"


_NODE_KINDS = {
    "IRI": "an IRI",
    "Literal": "a literal",
    "BlankNode": "a blank node",
    "BlankNodeOrIRI": "an IRI or a blank node",
    "BlankNodeOrLiteral": "a blank node or a literal",
    "IRIOrLiteral": "an IRI or a literal",
}


def _message(
    report: Graph,
    shapes: Graph,
    result: Node,
    shape: Node | None,
    component: str,
    path: Node | None,
    value: Node | None,
) -> str:
    """The shape's own ``sh:message`` if it has one, else a sentence in plain words.

    pySHACL always fills ``sh:resultMessage``; where the shape declares no
    ``sh:message`` that text is pySHACL's own wording, which we replace with a
    sentence built from the constraint component, path, value and the shape's
    parameters. pySHACL's text is kept for components we have no sentence for.
    """
    result_messages = list(report.objects(result, SH.resultMessage))
    if _shape_value(report, shapes, shape, SH.message):
        declared = _pick_message(result_messages)
        if declared:
            return declared
    sentence = _sentence(report, shapes, shape, component, path, value)
    if sentence is not None:
        return sentence
    return _pick_message(result_messages) or f"does not satisfy {component}"


def _sentence(
    report: Graph,
    shapes: Graph,
    shape: Node | None,
    component: str,
    path: Node | None,
    value: Node | None,
) -> str | None:
    name = component.removeprefix("sh:").removesuffix("ConstraintComponent")
    p = display(path_text(report, path)) if path is not None else None

    def param(prop: URIRef) -> str:
        found = _shape_value(report, shapes, shape, prop)
        return ", ".join(sorted(_words(n) for n in found)) if found else "?"

    def number(prop: URIRef) -> str:
        found = _shape_value(report, shapes, shape, prop)
        return str(found[0]) if found else "?"

    def listed(prop: URIRef) -> str:
        found = _shape_value(report, shapes, shape, prop)
        if not found:
            return "?"
        graph = report if (found[0], RDF.first, None) in report else shapes
        return ", ".join(_words(n) for n in Collection(graph, found[0]))

    v = _words(value)
    subject = p or "the node"  # what the sentence is about
    if value is not None:
        subject = f"{p} value {v}" if p else f"value {v}"
    match name:
        case "MinCount":
            n = number(SH.minCount)
            if n == "1":
                return f"has no {p}; one is required"
            return f"has fewer than {n} values for {p}"
        case "MaxCount":
            n = number(SH.maxCount)
            return f"has more than {n} {_plural(int(n) if n.isdigit() else 2, 'value')} for {p}"
        case "Class":
            return f"{subject} is not an instance of {param(SH['class'])}"
        case "Datatype":
            return f"{subject} does not have datatype {param(SH.datatype)}"
        case "NodeKind":
            kinds = _shape_value(report, shapes, shape, SH.nodeKind)
            kind = str(kinds[0]).removeprefix(str(SH)) if kinds else "?"
            return f"{subject} is not {_NODE_KINDS.get(kind, kind)}"
        case "Pattern":
            return f"{subject} does not match the pattern {param(SH.pattern)}"
        case "MinLength":
            return f"{subject} is shorter than {number(SH.minLength)} characters"
        case "MaxLength":
            return f"{subject} is longer than {number(SH.maxLength)} characters"
        case "MinInclusive":
            return f"{subject} is less than {param(SH.minInclusive)}"
        case "MinExclusive":
            return f"{subject} is not greater than {param(SH.minExclusive)}"
        case "MaxInclusive":
            return f"{subject} is greater than {param(SH.maxInclusive)}"
        case "MaxExclusive":
            return f"{subject} is not less than {param(SH.maxExclusive)}"
        case "In":
            return f"{subject} is not one of the allowed values ({listed(SH['in'])})"
        case "HasValue":
            return f"{p or 'the node'} does not have the required value {param(SH.hasValue)}"
        case "LanguageIn":
            return f"{subject} is not in an allowed language ({listed(SH.languageIn)})"
        case "UniqueLang":
            return f"{p} has more than one value in the same language"
        case "Equals":
            return f"{subject} is not also a value of {param(SH.equals)}"
        case "Disjoint":
            return f"{subject} is also a value of {param(SH.disjoint)}"
        case "LessThan":
            return f"{subject} is not less than the value of {param(SH.lessThan)}"
        case "LessThanOrEquals":
            return f"{subject} is greater than the value of {param(SH.lessThanOrEquals)}"
        case "Node":
            return f"{subject} does not conform to shape {param(SH.node)}"
        case "QualifiedMinCount":
            return (
                f"has fewer than {number(SH.qualifiedMinCount)} values for {p} "
                f"conforming to {param(SH.qualifiedValueShape)}"
            )
        case "QualifiedMaxCount":
            return (
                f"has more than {number(SH.qualifiedMaxCount)} values for {p} "
                f"conforming to {param(SH.qualifiedValueShape)}"
            )
        case "Closed":
            return f"{p} is not allowed here: the shape is closed (value {v})"
        case "Not":
            return f"{subject} conforms to a shape it must not conform to"
        case "And":
            return f"{subject} does not conform to all of the required shapes"
        case "Or":
            return f"{subject} does not conform to any of the allowed shapes"
        case "Xone":
            return f"{subject} does not conform to exactly one of the shapes"
    return None
