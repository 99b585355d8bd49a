"""The lexical guard that runs before the engine (kg.query_guard)."""

from __future__ import annotations

import pytest

from kg.query_guard import GuardError, check_query


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://ex/>\nask { ex:a ?p ?o }", "ASK"),
        ("BASE <http://ex/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("# a comment with SERVICE and INSERT\nDESCRIBE <http://ex/a>", "DESCRIBE"),
    ],
)
def test_the_query_form_is_found_after_the_prologue(text: str, form: str) -> None:
    assert check_query(text).form == form


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT * WHERE { ?s <http://ex/SERVICE> ?o }",
        "PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:SERVICE ?o }",
        "SELECT ?service WHERE { ?service ?p ?o } # SERVICE <http://evil/>",
        "SELECT * WHERE { ?s ?p '''multi\nline SERVICE''' }",
    ],
)
def test_the_word_service_in_strings_iris_names_and_comments_is_allowed(text: str) -> None:
    assert check_query(text).form == "SELECT"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_with_its_position(text: str) -> None:
    with pytest.raises(GuardError) as err:
        check_query(text)
    assert err.value.kind == "service"
    assert err.value.line == 1 and err.value.column is not None
    assert text[err.value.column - 1 :].upper().startswith("SERVICE")


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }",
        "LOAD <file:///etc/passwd>",
        "PREFIX ex: <http://ex/> DELETE WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP GRAPH <http://ex/g>",
    ],
)
def test_update_operations_are_refused(text: str) -> None:
    with pytest.raises(GuardError) as err:
        check_query(text)
    assert err.value.kind == "update"


def test_deep_nesting_is_refused_before_the_engine_sees_it() -> None:
    text = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
    with pytest.raises(GuardError) as err:
        check_query(text, max_depth=64)
    assert err.value.kind == "too-deep"
    assert check_query("SELECT * WHERE " + "{" * 10 + "?s ?p ?o" + "}" * 10).depth == 10


def test_text_without_a_query_form_is_refused() -> None:
    with pytest.raises(GuardError) as err:
        check_query("PREFIX ex: <http://ex/>")
    assert err.value.kind == "no-query-form"
