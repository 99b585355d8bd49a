"""The SHACL shapes (``shapes/*.ttl``) and their example files (``tests/shapes/``).

* The shapes graph is itself valid SHACL: it conforms to the W3C "SHACL shapes for
  SHACL" (SHACL §C), the copy bundled with pySHACL.
* Every file under ``tests/shapes/valid/`` and ``tests/shapes/invalid/`` is one
  self-contained TriG example that states its expected outcome in its header
  (pySHACL test-resource style), one comment line per expected result::

      # shape: shape:TenureShape
      # constraint: shape:SingleHolderAtATime      (SPARQL constraints it exercises)
      # expect: Violation tenure:x--y org:member sh:MinCountConstraintComponent
      # expect: conforms                           (valid files)

  ``expect`` lines read ``<severity> <focus> <path or -> <constraint component>``
  with CURIEs of :data:`kg.namespaces.PREFIXES`. Each file is validated on its own
  with the ontology as ``ont_graph`` and the set of results must equal the expected
  set exactly.
* Coverage: every node shape has a conforming example ``valid/<ShapeName>.trig``
  and at least one invalid example; every SPARQL constraint has an invalid example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.dataset import ontology_files, parse_file, shapes_files, to_rdflib
from kg.namespaces import PREFIXES, SHAPES
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(root=ROOT)
EXAMPLES_DIR = Path(__file__).resolve().parent / "shapes"
EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*/*.trig"))
SHACL_SHACL = Path(pyshacl.__file__).resolve().parent / "assets" / "shacl-shacl.ttl"

#: CURIE prefixes usable in example headers: the project's, plus ``shape:``.
CURIE_PREFIXES = {**PREFIXES, "shape": str(SHAPES)}
SEVERITIES = ("Violation", "Warning", "Info")
HEADER_LINE = re.compile(r"^#\s*(shape|constraint|expect):\s*(.*?)\s*$")

# pySHACL uses rdflib's deprecated Dataset.default_context on every triple it reads.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Dataset.default_context is deprecated:DeprecationWarning"
)

#: (severity, focus node, result path or None, constraint component)
Result = tuple[str, URIRef, URIRef | None, URIRef]


# ----------------------------------------------------------------- loading


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    for parsed in (parse_file(p) for p in shapes_files(SETTINGS)):
        for triple in to_rdflib([parsed]).default_graph:
            graph.add(triple)
    for prefix, ns in CURIE_PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


@cache
def ontology_graph() -> Graph:
    graph = Graph()
    for parsed in (parse_file(p) for p in ontology_files(SETTINGS)):
        for triple in to_rdflib([parsed]).default_graph:
            graph.add(triple)
    return graph


def expand(curie: str, where: str) -> URIRef:
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in CURIE_PREFIXES:
        raise ValueError(f"{where}: {curie!r} is not a CURIE with a known prefix")
    return URIRef(CURIE_PREFIXES[prefix] + local)


def compact(node: object) -> str:
    if node is None:
        return "-"
    text = str(node)
    for prefix, ns in sorted(CURIE_PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


def show(results: set[Result]) -> str:
    return "\n".join(
        sorted(
            f"  {sev} {compact(focus)} {compact(path)} {compact(component)}"
            for sev, focus, path, component in results
        )
    )


# ----------------------------------------------------------------- example files


@dataclass(frozen=True)
class Example:
    path: Path
    shapes: frozenset[URIRef]
    constraints: frozenset[URIRef]
    conforms: bool
    expected: frozenset[Result]

    @property
    def name(self) -> str:
        return self.path.relative_to(EXAMPLES_DIR).as_posix()


def read_example(path: Path) -> Example:
    """The header of an example file: its shapes, constraints and expected results."""
    shapes: set[URIRef] = set()
    constraints: set[URIRef] = set()
    expected: set[Result] = set()
    conforms = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if not match:
            continue
        key, value = match.groups()
        where = f"{path.name}:{number}"
        if key == "shape":
            shapes.add(expand(value, where))
        elif key == "constraint":
            constraints.add(expand(value, where))
        elif value == "conforms":
            conforms = True
        else:
            parts = value.split()
            if len(parts) != 4 or parts[0] not in SEVERITIES:
                raise ValueError(
                    f"{where}: expected '# expect: <severity> <focus> <path or -> <component>'"
                    f" or '# expect: conforms', got {line!r}"
                )
            severity, focus, result_path, component = parts
            expected.add(
                (
                    severity,
                    expand(focus, where),
                    None if result_path == "-" else expand(result_path, where),
                    expand(component, where),
                )
            )
    if conforms and expected:
        raise ValueError(f"{path.name}: '# expect: conforms' together with expected results")
    if not conforms and not expected:
        raise ValueError(f"{path.name}: no '# expect:' line in the header")
    if not shapes:
        raise ValueError(f"{path.name}: no '# shape:' line in the header")
    return Example(path, frozenset(shapes), frozenset(constraints), conforms, frozenset(expected))


@dataclass(frozen=True)
class Outcome:
    conforms: bool
    results: frozenset[Result]
    #: (sh:sourceShape, sh:sourceConstraint or None) of every result
    sources: frozenset[tuple[object, object]]
    text: str


def validate(path: Path) -> Outcome:
    data = to_rdflib([parse_file(path)])
    conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
    )
    assert isinstance(report, Graph)
    results: set[Result] = set()
    sources: set[tuple[object, object]] = set()
    for result in report.objects(None, SH.result):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        result_path = report.value(result, SH.resultPath)
        component = report.value(result, SH.sourceConstraintComponent)
        assert isinstance(focus, URIRef), f"unexpected focus node {focus!r} in {path.name}"
        assert result_path is None or isinstance(result_path, URIRef), "complex result path"
        assert isinstance(component, URIRef) and isinstance(severity, URIRef)
        results.add((str(severity).removeprefix(str(SH)), focus, result_path, component))
        sources.add(
            (report.value(result, SH.sourceShape), report.value(result, SH.sourceConstraint))
        )
    return Outcome(bool(conforms), frozenset(results), frozenset(sources), str(text))


def property_shapes(node_shape: URIRef) -> set[object]:
    return set(shapes_graph().objects(node_shape, SH.property))


# ----------------------------------------------------------------- the shapes graph


def node_shapes() -> list[URIRef]:
    graph = shapes_graph()
    return sorted(s for s in graph.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef))


def sparql_constraints() -> list[object]:
    return sorted(set(shapes_graph().objects(None, SH.sparql)), key=str)


def test_shapes_conform_to_shacl_shacl() -> None:
    shacl_shacl = Graph().parse(SHACL_SHACL, format="turtle")
    conforms, _, text = pyshacl.validate(shapes_graph(), shacl_graph=shacl_shacl)
    assert conforms, text


def test_shacl_shacl_check_catches_a_broken_shape() -> None:
    """The check above is not vacuous: a property shape with two paths is reported."""
    shacl_shacl = Graph().parse(SHACL_SHACL, format="turtle")
    broken = Graph()
    for triple in shapes_graph():
        broken.add(triple)
    prop = BNode()
    broken.add((SHAPES.TenureShape, SH.property, prop))
    broken.add((prop, SH.path, URIRef(PREFIXES["org"] + "member")))
    broken.add((prop, SH.path, URIRef(PREFIXES["ipo"] + "office")))
    broken.add((prop, SH.minCount, Literal("one")))
    conforms, _, _ = pyshacl.validate(broken, shacl_graph=shacl_shacl)
    assert not conforms


def test_every_node_shape_is_named_and_labelled() -> None:
    graph = shapes_graph()
    anonymous = [s for s in graph.subjects(RDF.type, SH.NodeShape) if not isinstance(s, URIRef)]
    assert not anonymous, "node shapes must have IRIs in the shape: namespace"
    for shape in node_shapes():
        assert str(shape).startswith(str(SHAPES)), f"{shape} is not in {SHAPES}"
        languages = {
            label.language
            for label in graph.objects(shape, RDFS.label)
            if isinstance(label, Literal)
        }
        assert {"de", "en"} <= languages, f"{compact(shape)} needs rdfs:label @de and @en"


def test_every_node_shape_has_a_target() -> None:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    graph = shapes_graph()
    for shape in node_shapes():
        assert any(graph.value(shape, t) is not None for t in targets), (
            f"{compact(shape)} has no target"
        )


def test_sparql_constraints_are_named_with_message_and_prefixes() -> None:
    graph = shapes_graph()
    assert sparql_constraints(), "the shapes have SPARQL constraints"
    for constraint in sparql_constraints():
        assert isinstance(constraint, URIRef), "SPARQL constraints need IRIs (examples name them)"
        assert graph.value(constraint, SH.message) is not None, f"{compact(constraint)}: no message"
        assert graph.value(constraint, SH.select) is not None, f"{compact(constraint)}: no query"
        prefixes = graph.value(constraint, SH.prefixes)
        assert prefixes is not None, f"{compact(constraint)}: no sh:prefixes"
        declared = {str(graph.value(d, SH.prefix)) for d in graph.objects(prefixes, SH.declare)}
        query = str(graph.value(constraint, SH.select))
        used = set(re.findall(r"\b([a-z]+):[A-Za-z]", query))
        assert used <= declared, f"{compact(constraint)} uses undeclared prefixes {used - declared}"


def test_every_shape_and_constraint_has_examples() -> None:
    examples = [read_example(p) for p in EXAMPLE_FILES]
    valid = [e for e in examples if e.path.parent.name == "valid"]
    invalid = [e for e in examples if e.path.parent.name == "invalid"]
    missing = []
    for shape in node_shapes():
        name = compact(shape).removeprefix("shape:")
        if not (EXAMPLES_DIR / "valid" / f"{name}.trig").is_file():
            missing.append(f"valid/{name}.trig")
        if not any(shape in e.shapes for e in valid):
            missing.append(f"a valid example declaring '# shape: {compact(shape)}'")
        if not any(shape in e.shapes for e in invalid):
            missing.append(f"an invalid example declaring '# shape: {compact(shape)}'")
    for constraint in sparql_constraints():
        if not any(constraint in e.constraints for e in invalid):
            missing.append(f"an invalid example declaring '# constraint: {compact(constraint)}'")
    assert not missing, "missing examples:\n" + "\n".join(missing)


def test_examples_name_existing_shapes_and_constraints() -> None:
    known_shapes = set(node_shapes())
    known_constraints = set(sparql_constraints())
    for example in (read_example(p) for p in EXAMPLE_FILES):
        assert example.shapes <= known_shapes, f"{example.name}: unknown shape"
        assert example.constraints <= known_constraints, f"{example.name}: unknown constraint"
        assert example.path.parent.name in {"valid", "invalid"}, example.name
        assert example.conforms == (example.path.parent.name == "valid"), (
            f"{example.name}: valid files expect 'conforms', invalid files expect results"
        )


# ----------------------------------------------------------------- the examples


def focus_nodes_of(shape: URIRef, data: Graph) -> set[object]:
    """Focus nodes of ``shape``'s targets in ``data`` (SHACL §2.1.3, with ontology subclasses)."""
    graph = shapes_graph()
    onto = ontology_graph()
    nodes: set[object] = set()
    for cls in graph.objects(shape, SH.targetClass):
        classes = set(onto.transitive_subjects(RDFS.subClassOf, cls)) | {cls}
        for c in classes:
            nodes.update(data.subjects(RDF.type, c))
    for prop in graph.objects(shape, SH.targetSubjectsOf):
        nodes.update(data.subjects(prop, None))
    return nodes


@pytest.mark.parametrize(
    "path", EXAMPLE_FILES, ids=[p.relative_to(EXAMPLES_DIR).as_posix() for p in EXAMPLE_FILES]
)
def test_example(path: Path) -> None:
    example = read_example(path)
    outcome = validate(path)
    assert outcome.results == example.expected, (
        f"{example.name}\nexpected:\n{show(set(example.expected))}\n"
        f"got:\n{show(set(outcome.results))}\n\n{outcome.text}"
    )
    violations = any(r[0] == "Violation" for r in example.expected)
    assert outcome.conforms == (not violations)

    data = Graph()
    for triple in to_rdflib([parse_file(path)]).quads((None, None, None, None)):
        data.add(triple[:3])
    for shape in example.shapes:
        assert focus_nodes_of(shape, data), f"{example.name}: no focus node of {compact(shape)}"
    if not example.conforms:
        # The results come from the shapes and SPARQL constraints the header names.
        from_declared = {
            (shape_node, constraint)
            for shape_node, constraint in outcome.sources
            if shape_node in example.shapes
            or any(shape_node in property_shapes(s) for s in example.shapes)
        }
        assert from_declared, f"{example.name}: no result comes from {sorted(example.shapes)}"
        for constraint in example.constraints:
            assert any(c == constraint for _, c in outcome.sources), (
                f"{example.name}: no result from {compact(constraint)}"
            )


def test_example_headers_are_strict(tmp_path: Path) -> None:
    """A malformed ``# expect:`` line is an error, not a silently ignored line."""
    bad = tmp_path / "bad.trig"
    bad.write_text("# shape: shape:TenureShape\n# expect: Violation tenure:x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected '# expect:"):
        read_example(bad)


@pytest.mark.parametrize(
    "path", EXAMPLE_FILES, ids=[p.relative_to(EXAMPLES_DIR).as_posix() for p in EXAMPLE_FILES]
)
def test_kg_validate_on_the_example(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``kg validate --format json FILE``: exit 1 with exactly the expected results, or 0."""
    import json

    from kg.cli import main

    example = read_example(path)
    code = main(["--quiet", "--root", str(ROOT), "validate", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)
    violations = any(r[0] == "Violation" for r in example.expected)
    assert code == (1 if violations else 0)
    got = {
        (
            r["severity"],
            URIRef(r["focus"]),
            None if r["path"] is None else URIRef(r["path"]),
            expand(r["component"], example.name),
        )
        for r in report["results"]
    }
    assert got == set(example.expected), f"{example.name}\n{show(got)}"
    for row in report["results"]:
        assert row["files"], f"{example.name}: a result without the file of its focus node"
