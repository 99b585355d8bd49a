"""kg.validation (SHACL §3.6 report → rows with files) and kg.report (text/json/turtle/junit).

Real components throughout: pySHACL validates small fixture projects (tests/conftest.py);
outputs are parsed back (JSON, Turtle with rdflib, JUnit XML with ElementTree).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, SH, SKOS

from kg.errors import BrokenInputError
from kg.namespaces import mint
from kg.report import display, render, render_text, render_turtle, summary_line
from kg.settings import Settings
from kg.validation import ValidationOutcome, ValidationResultRow, compact, validate

SHAPES = "https://w3id.org/ipkg/shapes#"
SUMMARY = re.compile(r"^\d+ \w+(, \d+ \w+)* in \d+ files? \(\d+ triples, \d+\.\d\d s\)")


def test_conforming_data_has_no_results(conforming_project: Path) -> None:
    outcome = validate(Settings(root=conforming_project), None)
    assert outcome.conforms
    assert outcome.results == []
    assert outcome.files == ["data/valid.trig"]
    assert outcome.ontology_files == ["ontology/ipo.ttl"]
    assert outcome.shapes_files == ["shapes/shapes.ttl"]
    assert outcome.triples == 4
    assert outcome.exit_code == 0


def test_a_violation_names_focus_path_component_shape_and_file(
    project_with_one_violation: Path,
) -> None:
    outcome = validate(Settings(root=project_with_one_violation), None)
    assert not outcome.conforms
    assert outcome.exit_code == 1
    assert outcome.counts == {"Violation": 1, "Warning": 0, "Info": 0}
    assert outcome.results == [
        ValidationResultRow(
            severity="Violation",
            focus=str(mint("person", "ohne-familienname")),
            path=str(FOAF.familyName),
            component="sh:MinCountConstraintComponent",
            value=None,
            message="has no foaf:familyName; one is required",
            shape=SHAPES + "PersonFamilyName",
            files=["data/one_violation.trig"],
        )
    ]
    assert outcome.files_with_results == ["data/one_violation.trig"]


def test_the_ontology_subclass_axiom_makes_ipo_person_a_target_of_foaf_person(
    project_with_one_violation: Path,
) -> None:
    # the shape targets foaf:Person; the data says ipo:Person ⊑ foaf:Person only in the ontology
    outcome = validate(Settings(root=project_with_one_violation), None)
    assert [r.focus for r in outcome.results] == [str(mint("person", "ohne-familienname"))]


def test_warnings_conform_unless_strict(project_with_only_a_warning: Path) -> None:
    settings = Settings(root=project_with_only_a_warning)
    lenient = validate(settings, None)
    assert lenient.conforms
    assert [(r.severity, r.message) for r in lenient.results] == [
        ("Warning", "A person should have a label: add skos:prefLabel.")
    ]
    assert lenient.results[0].files == ["data/only_warning.trig"]
    strict = validate(settings, None, strict=True)
    assert not strict.conforms
    assert strict.exit_code == 1


def test_a_blank_node_focus_is_traced_to_its_file(
    project_with_a_blank_node_violation: Path,
) -> None:
    outcome = validate(Settings(root=project_with_a_blank_node_violation), None)
    (row,) = [r for r in outcome.results if r.severity == "Violation"]
    assert row.focus.startswith("_:")
    assert row.files == ["data/blank_node_violation.trig"]


def test_a_focus_described_in_two_files_names_both(
    new_project: Callable[[Sequence[str]], Path],
) -> None:
    root = new_project(["one_violation.trig", "same_person_elsewhere.trig"])
    (row,) = validate(Settings(root=root), None).results
    assert row.files == ["data/one_violation.trig", "data/same_person_elsewhere.trig"]


def test_paths_limit_what_is_validated(project_with_one_violation: Path) -> None:
    root = project_with_one_violation
    outcome = validate(Settings(root=root), [root / "data" / "valid.trig"])
    assert outcome.conforms
    assert outcome.files == ["data/valid.trig"]
    folder = validate(Settings(root=root), [root / "data"])
    assert folder.files == ["data/one_violation.trig", "data/valid.trig"]


def test_a_missing_path_is_broken_input(conforming_project: Path) -> None:
    missing = conforming_project / "data" / "nope.trig"
    with pytest.raises(BrokenInputError, match="no such file") as info:
        validate(Settings(root=conforming_project), [missing])
    assert info.value.path == missing


def test_a_syntax_error_is_broken_input_with_file_and_line(
    project_with_a_syntax_error: Path,
) -> None:
    with pytest.raises(BrokenInputError) as info:
        validate(Settings(root=project_with_a_syntax_error), None)
    assert info.value.path is not None and info.value.path.name == "syntax_error.trig"
    assert info.value.line == 9
    assert info.value.detail.startswith("syntax error")


def test_progress_reports_loading_and_validation(conforming_project: Path) -> None:
    messages: list[str] = []
    validate(Settings(root=conforming_project), None, progress=messages.append)
    assert re.match(r"loaded 3 files \(1 data, 1 ontology, 1 shapes\), 4 data triples", messages[0])
    assert messages[-1].startswith("validated in ")


# ----------------------------------------------------------------- renderers


def test_text_groups_by_file_then_focus_and_ends_with_a_summary(
    project_with_one_violation: Path,
) -> None:
    outcome = validate(Settings(root=project_with_one_violation), None)
    lines = render_text(outcome).splitlines()
    assert lines[0] == "data/one_violation.trig"
    assert lines[1] == "  person:ohne-familienname"
    assert lines[2].split()[:4] == ["Violation", "has", "no", "foaf:familyName;"]
    # details the message does not already give: component and shape
    assert lines[2].endswith("[sh:MinCountConstraintComponent; shape shape:PersonFamilyName]")
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert lines[-1].startswith("1 violation in 1 file (6 triples, ")


def test_text_summary_of_clean_data(conforming_project: Path) -> None:
    outcome = validate(Settings(root=conforming_project), None)
    assert render_text(outcome).startswith("no violations or warnings in 1 file (4 triples, ")


def test_summary_line_counts_each_severity() -> None:
    rows = [
        ValidationResultRow("Violation", "urn:a", None, "sh:X", None, "m", None, ["f.trig"]),
        ValidationResultRow("Violation", "urn:b", None, "sh:X", None, "m", None, ["f.trig"]),
        ValidationResultRow("Warning", "urn:a", None, "sh:X", None, "m", None, ["f.trig"]),
    ]
    outcome = ValidationOutcome(
        conforms=False, results=rows, files=["f.trig"], triples=1234, validate_seconds=0.42
    )
    assert summary_line(outcome) == "2 violations, 1 warning in 1 file (1234 triples, 0.42 s)"


def test_json_has_the_documented_shape(project_with_one_violation: Path) -> None:
    outcome = validate(Settings(root=project_with_one_violation), None)
    document = json.loads(render(outcome, "json"))
    assert set(document) == {"conforms", "summary", "results"}
    assert document["conforms"] is False
    summary = document["summary"]
    assert summary["violations"] == 1 and summary["warnings"] == 0 and summary["infos"] == 0
    assert summary["files"] == ["data/one_violation.trig", "data/valid.trig"]
    assert summary["files_with_results"] == ["data/one_violation.trig"]
    assert summary["triples"] == 6
    assert isinstance(summary["seconds"], float)
    (result,) = document["results"]
    assert set(result) == {
        "severity",
        "focus",
        "path",
        "component",
        "value",
        "message",
        "shape",
        "files",
    }
    assert result["focus"] == str(mint("person", "ohne-familienname"))
    assert result["files"] == ["data/one_violation.trig"]


def test_turtle_is_a_shacl_validation_report(project_with_one_violation: Path) -> None:
    outcome = validate(Settings(root=project_with_one_violation), None)
    graph = Graph().parse(data=render(outcome, "turtle"), format="turtle")
    (report,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms) == Literal(False)
    (result,) = graph.objects(report, SH.result)
    assert graph.value(result, RDF.type) == SH.ValidationResult
    assert graph.value(result, SH.resultSeverity) == SH.Violation
    assert graph.value(result, SH.focusNode) == mint("person", "ohne-familienname")
    assert graph.value(result, SH.resultPath) == FOAF.familyName
    assert graph.value(result, SH.sourceConstraintComponent) == SH.MinCountConstraintComponent
    assert graph.value(result, SH.sourceShape) == URIRef(SHAPES + "PersonFamilyName")
    assert str(graph.value(result, SH.resultMessage)) == outcome.results[0].message


def test_turtle_conforms_follows_strictness(project_with_only_a_warning: Path) -> None:
    settings = Settings(root=project_with_only_a_warning)
    for strict, conforms in ((False, True), (True, False)):
        text = render(validate(settings, None, strict=strict), "turtle")
        graph = Graph().parse(data=text, format="turtle")
        (report,) = graph.subjects(RDF.type, SH.ValidationReport)
        assert graph.value(report, SH.conforms) == Literal(conforms)
        (result,) = graph.objects(report, SH.result)
        assert graph.value(result, SH.resultSeverity) == SH.Warning
        assert graph.value(result, SH.resultPath) == SKOS.prefLabel


def test_turtle_from_rows_when_there_is_no_pyshacl_graph() -> None:
    row = ValidationResultRow(
        "Violation",
        "https://w3id.org/ipkg/id/person/x",
        str(FOAF.familyName),
        "sh:MinCountConstraintComponent",
        '"7"^^<http://www.w3.org/2001/XMLSchema#integer>',
        "has no foaf:familyName; one is required",
        None,
        ["data/x.trig"],
    )
    outcome = ValidationOutcome(conforms=False, results=[row], files=["data/x.trig"], triples=1)
    graph = Graph().parse(data=render_turtle(outcome), format="turtle")
    (result,) = graph.subjects(RDF.type, SH.ValidationResult)
    assert graph.value(result, SH.value) == Literal(7)
    assert graph.value(result, SH.resultPath) == FOAF.familyName


def test_junit_has_a_failing_case_per_focus_and_a_passing_case_per_clean_file(
    project_with_one_violation: Path,
) -> None:
    outcome = validate(Settings(root=project_with_one_violation), None)
    root = ET.fromstring(render(outcome, "junit"))
    (suite,) = root.iter("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert set(cases) == {
        ("data/one_violation.trig", "person:ohne-familienname"),
        ("data/valid.trig", "conforms"),
    }
    failure = cases["data/one_violation.trig", "person:ohne-familienname"].find("failure")
    assert failure is not None and failure.get("message") == "1 violation"
    assert "foaf:familyName" in (failure.text or "")
    assert cases["data/valid.trig", "conforms"].find("failure") is None


def test_junit_warnings_fail_only_when_strict(project_with_only_a_warning: Path) -> None:
    settings = Settings(root=project_with_only_a_warning)
    lenient = ET.fromstring(render(validate(settings, None), "junit"))
    assert lenient.get("failures") == "0"
    out = lenient.find("testsuite/testcase/system-out")
    assert out is not None and "Warning" in (out.text or "")
    strict = ET.fromstring(render(validate(settings, None, strict=True), "junit"))
    assert strict.get("failures") == "1"


def test_unknown_report_format_is_refused() -> None:
    outcome = ValidationOutcome(conforms=True, results=[], files=[], triples=0)
    with pytest.raises(ValueError, match="unknown report format"):
        render(outcome, "yaml")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://w3id.org/ipkg/id/person/anna", "person:anna"),
        ("http://example.org/x", "http://example.org/x"),
        ('"2016"^^<http://www.w3.org/2001/XMLSchema#gYear>', '"2016"^^xsd:gYear'),
        (
            "(<http://www.w3.org/ns/org#member>/<http://xmlns.com/foaf/0.1/name>)",
            "(org:member/foaf:name)",
        ),
        ("_:b0", "_:b0"),
    ],
)
def test_display_compacts_iris_paths_and_datatypes(text: str, shown: str) -> None:
    assert display(text) == shown


def test_compact_keeps_iris_that_would_not_read_back() -> None:
    assert compact("https://w3id.org/ipkg/id/person/a/b") == "https://w3id.org/ipkg/id/person/a/b"
    assert compact(str(SH.MinCountConstraintComponent)) == "sh:MinCountConstraintComponent"
