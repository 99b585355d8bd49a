"""The ``kg`` command, run through ``kg.cli.main`` (capsys) and ``python -m kg`` (subprocess).

No mocks: every command works on a small fixture project (tests/conftest.py); outputs
are parsed back (JSON, CSV, Turtle/TriG/N-Quads/JSON-LD with rdflib, JUnit XML).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from kg.cli import main
from kg.namespaces import mint
from kg.settings import Settings
from kg.stats import compute_stats
from kg.store import KnowledgeGraph

CASES = Path(__file__).resolve().parent / "cli_cases"
PEOPLE = (
    "SELECT ?person ?name WHERE { ?person a ipo:Person ; foaf:familyName ?name } ORDER BY ?person"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err


# ----------------------------------------------------------------- validate


def test_validate_conforming_project_exits_0(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--root", conforming_project, "validate")
    assert code == 0
    assert out.startswith("no violations or warnings in 1 file (4 triples, ")
    assert "loaded 3 files" in err  # progress and timing on stderr


def test_validate_text_names_file_focus_and_problem(
    project_with_one_violation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "validate", "--root", project_with_one_violation)
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == ["data/one_violation.trig", "  person:ohne-familienname"]
    assert "has no foaf:familyName" in lines[2]
    assert lines[-1].startswith("1 violation in 1 file (6 triples, ")


def test_validate_quiet_prints_no_progress(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--root", conforming_project, "--quiet", "validate")
    assert code == 0
    assert err == ""
    code, _, err = run(capsys, "validate", "-q", "--root", conforming_project)
    assert code == 0
    assert err == ""


def test_validate_json(
    project_with_one_violation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--root", project_with_one_violation, "validate", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["conforms"] is False
    assert document["summary"]["violations"] == 1
    (result,) = document["results"]
    assert result["severity"] == "Violation"
    assert result["focus"] == str(mint("person", "ohne-familienname"))
    assert result["component"] == "sh:MinCountConstraintComponent"
    assert result["files"] == ["data/one_violation.trig"]


def test_validate_turtle(
    project_with_one_violation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--root", project_with_one_violation, "validate", "--format", "turtle"
    )
    assert code == 1
    graph = Graph().parse(data=out, format="turtle")
    (report,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms) == Literal(False)
    (result,) = graph.objects(report, SH.result)
    assert graph.value(result, SH.focusNode) == mint("person", "ohne-familienname")


def test_validate_junit(
    project_with_one_violation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--root", project_with_one_violation, "validate", "--format", "junit"
    )
    assert code == 1
    root = ET.fromstring(out)
    suites = list(root.iter("testsuite"))
    assert len(suites) == 1
    assert suites[0].get("failures") == "1"
    failed = [c for c in suites[0].iter("testcase") if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [
        ("data/one_violation.trig", "person:ohne-familienname")
    ]


def test_validate_strict_makes_warnings_fail(
    project_with_only_a_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project_with_only_a_warning
    code, out, _ = run(capsys, "--root", root, "validate")
    assert code == 0
    assert out.rstrip().endswith("; conforms")
    code, out, _ = run(capsys, "--root", root, "validate", "--strict", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["conforms"] is False
    assert document["summary"]["strict"] is True
    assert document["summary"]["warnings"] == 1


def test_validate_output_file(
    project_with_one_violation: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        capsys, "--root", project_with_one_violation, "validate", "--format", "json", "-o", target
    )
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["violations"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_validate_given_paths_only(
    project_with_one_violation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = project_with_one_violation / "data" / "valid.trig"
    code, _, _ = run(capsys, "--root", project_with_one_violation, "validate", valid)
    assert code == 0


def test_validate_syntax_error_exits_2_with_file_and_line(
    project_with_a_syntax_error: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--root", project_with_a_syntax_error, "validate")
    assert code == 2
    assert out == ""
    error_line, hint_line = err.splitlines()  # nothing else: no progress, no traceback
    # error: <file>:<line>: syntax error: <parser message>
    where, message = error_line.removeprefix("error: ").split(": syntax error: ", 1)
    assert error_line.startswith("error: ")
    assert where.endswith("data/syntax_error.trig:9")
    assert "line 9" in message
    assert hint_line.startswith("hint: ")


def test_validate_missing_path_exits_2(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--root", conforming_project, "validate", "no/such/file.trig")
    assert code == 2
    assert "error: no/such/file.trig: no such file or directory" in err
    assert_no_traceback(err)


@pytest.mark.parametrize("shapes", ["unusable_shapes.ttl", "unparsable_shacl_sparql.ttl"])
def test_shapes_pyshacl_cannot_use_exit_2(
    conforming_project: Path, capsys: pytest.CaptureFixture[str], shapes: str
) -> None:
    shutil.copy(CASES / shapes, conforming_project / "shapes" / "shapes.ttl")
    code, out, err = run(capsys, "--root", conforming_project, "-q", "validate")
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert_no_traceback(err)


def test_missing_root_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--root", tmp_path / "nowhere", "stats")
    assert code == 2
    assert "project directory not found" in err


def test_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "--format", "yaml")
    assert code == 2
    assert "invalid choice" in err


def test_no_command_exits_2_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "exit codes:" in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0
    assert "exit codes:" in out and "--strict" in out and "KG_ROOT" in out


# ----------------------------------------------------------------- python -m kg


def python_m_kg(
    *argv: str | Path, cwd: Path, kg_root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KG_ROOT"}
    if kg_root is not None:
        env["KG_ROOT"] = str(kg_root)
    return subprocess.run(
        [sys.executable, "-m", "kg", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_python_m_kg_exit_codes(
    conforming_project: Path,
    project_with_one_violation: Path,
    tmp_path: Path,
) -> None:
    assert python_m_kg("--root", conforming_project, "validate", cwd=tmp_path).returncode == 0
    done = python_m_kg("--root", project_with_one_violation, "validate", cwd=tmp_path)
    assert done.returncode == 1
    assert "person:ohne-familienname" in done.stdout
    # the root can come from KG_ROOT; --root wins over it
    assert python_m_kg("validate", cwd=tmp_path, kg_root=project_with_one_violation).returncode == 1
    assert (
        python_m_kg(
            "--root", conforming_project, "validate", cwd=tmp_path, kg_root=tmp_path / "nowhere"
        ).returncode
        == 0
    )


def test_python_m_kg_syntax_error_exits_2_without_traceback(
    project_with_a_syntax_error: Path,
) -> None:
    # run from inside the project: the file is named relative to the working directory
    done = python_m_kg(
        "--root", ".", "validate", "data/syntax_error.trig", cwd=project_with_a_syntax_error
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: data/syntax_error.trig:9: syntax error: ")
    assert "hint: " in done.stderr
    assert_no_traceback(done.stderr)
    assert done.stdout == ""


# ----------------------------------------------------------------- query


def test_query_table(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "query", PEOPLE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["?person", "?name"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["person:anna-beispiel", '"Beispiel"']
    assert lines[3] == "(1 row)"
    # columns are aligned: the second column starts at the same offset in every row
    assert lines[0].index("?name") == lines[2].index('"Beispiel"')


def test_query_csv(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "query", PEOPLE, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [["person", "name"], [str(mint("person", "anna-beispiel")), "Beispiel"]]


def test_query_json(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "query", PEOPLE, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["head"]["vars"] == ["person", "name"]
    (binding,) = document["results"]["bindings"]
    assert binding["person"] == {"type": "uri", "value": str(mint("person", "anna-beispiel"))}
    assert binding["name"]["value"] == "Beispiel"


def test_query_from_file(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--root",
        conforming_project,
        "query",
        "--file",
        CASES / "people.rq",
        "--format",
        "csv",
    )
    assert code == 0
    assert list(csv.reader(io.StringIO(out)))[1][1] == "Beispiel"


def test_query_ask(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ask = "ASK { person:anna-beispiel a ipo:Person }"
    assert run(capsys, "--root", conforming_project, "query", ask)[1] == "true\n"
    code, out, _ = run(capsys, "--root", conforming_project, "query", ask, "--format", "json")
    assert code == 0
    assert json.loads(out)["boolean"] is True


def test_query_construct_prints_turtle(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    construct = "CONSTRUCT { ?p foaf:familyName ?n } WHERE { ?p foaf:familyName ?n }"
    code, out, _ = run(capsys, "--root", conforming_project, "-q", "query", construct)
    assert code == 0
    graph = Graph().parse(data=out, format="turtle")
    assert len(graph) == 1
    assert "@prefix foaf:" in out and "@prefix ipo:" not in out  # only the prefixes used


def test_bad_sparql_exits_2_with_the_parser_message(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--root", conforming_project, "query", "SELECT ?x WHERE { ?x ?y }")
    assert code == 2
    assert out == ""
    assert "error: SPARQL syntax error: error at 1:" in err  # position in the text as given
    assert_no_traceback(err)


def test_a_failing_evaluation_exits_2(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pyoxigraph refuses HTTP on port 9 (discard) before connecting: no network is used
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    code, out, err = run(capsys, "--root", conforming_project, "-q", "query", service)
    assert code == 2
    assert out == ""
    assert err.startswith("error: SPARQL evaluation error: ")
    assert_no_traceback(err)


def test_query_needs_exactly_one_source_of_text(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--root", conforming_project, "query")
    assert code == 2
    assert "--file" in err
    code, _, err = run(capsys, "--root", conforming_project, "query", "--file", "nope.rq")
    assert code == 2
    assert "nope.rq: no such query file" in err


# ----------------------------------------------------------------- stats


def test_stats_json(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "stats", "--format", "json")
    assert code == 0
    document = json.loads(out)
    store = KnowledgeGraph.load(Settings(root=conforming_project))
    assert document["quads"] == len(store)
    assert document["graphs"]["https://w3id.org/ipkg/graph/fixture-valid"] == 4
    assert sum(document["graphs"].values()) == len(store)
    assert document["classes"]["https://w3id.org/ipkg/ontology#Person"] == 1


def test_stats_text(conforming_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "-q", "stats")
    assert code == 0
    assert "triples per graph:" in out and "instances per class:" in out
    assert any(line.split() == ["graph:fixture-valid", "4"] for line in out.splitlines())


# ----------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("fmt", "rdflib_format", "union"),
    [
        ("turtle", "turtle", True),
        ("trig", "trig", False),
        ("nquads", "nquads", False),
        ("jsonld", "json-ld", False),
    ],
)
def test_export_reads_back_with_the_same_number_of_triples(
    project_with_one_violation: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    rdflib_format: str,
    union: bool,
) -> None:
    root = project_with_one_violation
    code, out, _ = run(capsys, "--root", root, "-q", "export", "--format", fmt)
    assert code == 0
    dataset = Dataset()
    dataset.parse(data=out, format=rdflib_format)
    quads = list(dataset.quads((None, None, None, None)))
    store = KnowledgeGraph.load(Settings(root=root))
    expected = compute_stats(store).triples if union else len(store)
    assert len(quads) == expected
    if not union:
        names = {str(g) for *_, g in quads}
        assert names == set(store.graphs())


def test_export_to_a_file(
    conforming_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "all.trig"
    target.parent.mkdir()
    code, out, err = run(capsys, "--root", conforming_project, "export", "-o", target)
    assert code == 0
    assert out == ""
    assert "wrote" in err
    assert sorted(p.name for p in target.parent.iterdir()) == ["all.trig"]  # no temp file left
    quads = list(Dataset().parse(target, format="trig").quads((None, None, None, None)))
    assert len(quads) == len(KnowledgeGraph.load(Settings(root=conforming_project)))
    assert "graph:fixture-valid {" in target.read_text(encoding="utf-8")


def test_export_into_a_missing_folder_exits_2(
    conforming_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--root", conforming_project, "export", "-o", tmp_path / "no" / "x.trig"
    )
    assert code == 2
    assert "the folder does not exist" in err


# ----------------------------------------------------------------- fmt


def test_fmt_check_then_fmt_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "not_canonical.ttl"
    shutil.copy(CASES / "not_canonical.ttl", path)
    before = Graph().parse(path, format="turtle")

    code, out, _ = run(capsys, "fmt", "--check", path)
    assert code == 1
    assert out.splitlines()[0] == f"not canonical: {path}"
    assert "run: kg fmt" in out
    assert path.read_bytes() == (CASES / "not_canonical.ttl").read_bytes()  # check writes nothing

    code, out, _ = run(capsys, "fmt", path)
    assert code == 0
    assert "reformatted" in out
    assert isomorphic(Graph().parse(path, format="turtle"), before)  # same data

    code, out, _ = run(capsys, "fmt", "--check", path)
    assert code == 0
    assert out == ""


def test_fmt_syntax_error_leaves_every_file_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "syntax_error.trig"
    fixable = tmp_path / "not_canonical.ttl"
    shutil.copy(CASES / "syntax_error.trig", broken)
    shutil.copy(CASES / "not_canonical.ttl", fixable)
    code, _, err = run(capsys, "fmt", fixable, broken)
    assert code == 2
    assert "syntax_error.trig:9: syntax error" in err
    assert_no_traceback(err)
    assert broken.read_bytes() == (CASES / "syntax_error.trig").read_bytes()
    assert fixable.read_bytes() == (CASES / "not_canonical.ttl").read_bytes()


def test_fmt_defaults_to_ontology_shapes_and_data(
    conforming_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--root", conforming_project, "fmt", "--check")
    listed = {line.removeprefix("not canonical: ") for line in out.splitlines()[:-1]}
    assert code == 1
    assert {Path(p).name for p in listed} <= {"ipo.ttl", "shapes.ttl", "valid.trig"}
    assert "shapes.ttl" in {Path(p).name for p in listed}
    code, _, _ = run(capsys, "--root", conforming_project, "-q", "fmt")
    assert code == 0
    code, out, _ = run(capsys, "--root", conforming_project, "fmt", "--check")
    assert (code, out) == (0, "")
