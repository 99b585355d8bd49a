"""The rewriting pass in front of the engine (kg.query_rewrite)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.namespaces import PREFIXES
from kg.query_guard import tokens
from kg.query_rewrite import optimize
from kg.settings import Settings
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = sorted((ROOT / "queries").glob("*.rq"))


def words(text: str) -> list[str]:
    return [m.group() for m in tokens(text) if m.lastgroup not in ("ws", "comment")]


def answers(store: ox.Store, text: str, substitutions: dict | None = None) -> object:  # type: ignore[type-arg]
    result = store.query(text, prefixes=PREFIXES, substitutions=substitutions)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Counter(tuple(str(s[n]) for n in names) for s in result)
    return Counter(str(t) for t in result)


LABEL_AFTER_OPTIONAL = """
SELECT ?holder ?name ?end WHERE {
  ?tenure ipo:office ?office ; org:member ?holder .
  OPTIONAL { ?tenure schema:endDate ?end }
  ?holder skos:prefLabel ?name .
}"""


def test_a_required_statement_after_an_optional_moves_in_front_of_it() -> None:
    out = optimize(LABEL_AFTER_OPTIONAL)
    assert words(out) == words("""
        SELECT ?holder ?name ?end WHERE {
          ?tenure ipo:office ?office ; org:member ?holder .
          ?holder skos:prefLabel ?name .
          OPTIONAL { ?tenure schema:endDate ?end }
        }""")


def test_text_that_needs_no_change_is_returned_as_it_is() -> None:
    text = "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s skos:prefLabel ?l } } # done"
    assert optimize(text) is text


# ----------------------------------------------------------------- the condition matters

NOT_WELL_DESIGNED = """
SELECT ?x ?y ?z ?w WHERE {
  ?x ex:p ?y .
  OPTIONAL { ?x ex:q ?z }
  ?z ex:r ?w .
}"""
TINY = """
@prefix ex: <http://example.org/> .
ex:x1 ex:p ex:y1 ; ex:q ex:z1 .
ex:z1 ex:r ex:w1 .
ex:z2 ex:r ex:w2 .
"""


def test_a_statement_sharing_a_variable_only_with_the_optional_stays() -> None:
    """?z is bound by the OPTIONAL and by the statement, not before: moving it would
    change the answer, as the unconditional move below shows."""
    assert optimize("PREFIX ex: <http://example.org/>" + NOT_WELL_DESIGNED).endswith(
        NOT_WELL_DESIGNED
    )
    store = ox.Store()
    store.load(TINY.encode(), format=ox.RdfFormat.TURTLE)
    prefix = "PREFIX ex: <http://example.org/>\n"
    as_written = answers(store, prefix + NOT_WELL_DESIGNED)
    moved = answers(
        store,
        prefix + "SELECT ?x ?y ?z ?w WHERE { ?x ex:p ?y . ?z ex:r ?w . OPTIONAL { ?x ex:q ?z } }",
    )
    assert as_written != moved


def test_a_variable_of_the_optional_bound_before_it_lets_the_statement_move() -> None:
    text = "SELECT * WHERE { ?x ex:p ?z . OPTIONAL { ?x ex:q ?z } ?z ex:r ?w . }"
    assert words(optimize(text)) == words(
        "SELECT * WHERE { ?x ex:p ?z . ?z ex:r ?w . OPTIONAL { ?x ex:q ?z } }"
    )


def test_a_filter_inside_the_optional_counts_as_using_its_variables() -> None:
    text = "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z FILTER(?z = ?w) } ?v ex:r ?w . }"
    assert optimize(text) is text


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } BIND(1 AS ?one) ?x ex:r ?w . }",
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } VALUES ?w { 1 } ?x ex:r ?w . }",
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } { ?a ex:b ?c } UNION { ?a ex:d ?c }"
        " ?x ex:r ?w . }",
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } MINUS { ?x ex:s ?t } ?x ex:r ?w . }",
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } GRAPH ?g { ?x ex:t ?u } "
        "?x ex:r ?w . }",
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } _:b ex:r ?x . }",
    ],
    ids=["bind", "values", "union", "minus", "graph", "blank-node-label"],
)
def test_nothing_moves_across_barriers_or_with_blank_node_labels(text: str) -> None:
    assert words(optimize(text))[-6:] == words(text)[-6:]


def test_groups_inside_optionals_and_subqueries_are_rewritten_too() -> None:
    text = (
        "SELECT * WHERE { { SELECT ?x WHERE { ?x ex:p ?y OPTIONAL { ?y ex:q ?z } ?x ex:r ?w } } }"
    )
    assert words(optimize(text)) == words(
        "SELECT * WHERE { { SELECT ?x WHERE { ?x ex:p ?y . ?x ex:r ?w . OPTIONAL { ?y ex:q ?z } }"
        " } }"
    )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL { ?x ex:q ?z } ?z ex:r ?w",  # unbalanced
        "SELECT * WHERE { ?x ex:p ?y . OPTIONAL ?x ex:r ?w . }",  # OPTIONAL without a group
        "SELECT * WHERE { . ?x ex:p ?y }",
    ],
)
def test_text_it_does_not_understand_is_left_alone(text: str) -> None:
    assert optimize(text) is text


def test_strings_comments_and_numbers_survive_a_move() -> None:
    text = (
        "SELECT * WHERE {\n  ?x ex:p 1.5 .  # first\n  OPTIONAL { ?x ex:q ?z }\n"
        '  ?x rdfs:label "a.b } { OPTIONAL"@de .  # second\n}'
    )
    out = optimize(text)
    assert out != text
    assert sorted(words(out)) == sorted(words(text))
    assert "# first" in out and "# second" in out and '"a.b } { OPTIONAL"@de' in out


# ----------------------------------------------------------------- the same answers


@pytest.fixture(scope="module")
def graph_of_the_real_data() -> KnowledgeGraph:
    return KnowledgeGraph.load(Settings.from_env())


@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_every_catalogue_query_gives_the_same_answers_rewritten(
    graph_of_the_real_data: KnowledgeGraph, path: Path
) -> None:
    from kg.named_queries import parse_file

    query = parse_file(path)
    values = query.example_binding().values
    subs = {ox.Variable(name): term for name, term in values.items()} or None
    store = graph_of_the_real_data.store
    assert answers(store, optimize(query.body), subs) == answers(store, query.body, subs)


def test_the_slow_shapes_of_the_benchmark_give_the_same_answers(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    store = graph_of_the_real_data.store
    for text in (
        LABEL_AFTER_OPTIONAL,
        """SELECT DISTINCT ?land ?label ?end WHERE {
             ?edition a ipo:ConferenceEdition ; ipo:chairLand ?land .
             OPTIONAL { ?edition schema:endDate ?end }
             ?land skos:prefLabel ?label . FILTER(lang(?label) = "de")
           }""",
    ):
        rewritten = optimize(text)
        assert rewritten != text
        assert answers(store, rewritten) == answers(store, text)
        assert answers(store, text)  # a non-empty answer, so the comparison says something


def test_errors_point_into_the_text_as_written(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    """The rewritten text uses an undeclared prefix; the engine refuses it, and the error
    the user sees comes from evaluating the text as they wrote it."""
    from kg.errors import QueryError

    text = "SELECT * WHERE {\n  ?t ipo:office ?o .\n  OPTIONAL { ?t zz:end ?e }\n  ?o zz:x ?y .\n}"
    assert optimize(text) != text
    with pytest.raises(QueryError) as err:
        list(graph_of_the_real_data.select(text))
    assert "3:" in str(err.value)  # line 3: the first zz: as written (line 4 once rewritten)
