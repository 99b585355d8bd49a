"""Competency questions: what researchers ask, answered by SPARQL on the real data.

Each test runs a query over the embedded store (union default graph) and checks the
answer against what the source documents say.
"""

from __future__ import annotations

import pytest

from kg.namespaces import mint
from kg.settings import Settings
from kg.store import KnowledgeGraph


@pytest.fixture(scope="module")
def graph_of_the_real_data() -> KnowledgeGraph:
    return KnowledgeGraph.load(Settings.from_env())


def values(rows: list[dict[str, object]], *names: str) -> set[tuple[str, ...]]:
    return {tuple(str(getattr(r[n], "value", r[n])) for n in names) for r in rows}


def test_offices_susi_moebbeck_held_and_since_when(graph_of_the_real_data: KnowledgeGraph) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?office ?start WHERE {
          ?t a ipo:Tenure ; org:member person:susi-moebbeck ; ipo:office ?office .
          OPTIONAL { GRAPH graph:st-integrationsbeauftragte-web { ?t schema:startDate ?start } }
        }""")
    )
    # as the primary source states it; secondary sources add the day (2007-08-15) in theirs
    assert values(rows, "office", "start") == {
        (str(mint("office", "st-integrationsbeauftragte")), "2007"),
        (str(mint("office", "st-staatssekretaer-ministerium-arbeit-soziales-integration")), "2016"),
    }
    # the year keeps the source's precision
    assert {r["start"].datatype.value for r in rows} == {  # type: ignore[union-attr]
        "http://www.w3.org/2001/XMLSchema#gYear"
    }


def test_members_of_the_brandenburg_hardship_commission_and_their_roles(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?member ?roleLabel WHERE {
          GRAPH graph:bb-masgf-integration-2016-10 {
            ?m a ipo:Membership ; org:organization committee:bb-haertefallkommission ;
               org:member ?member ; org:role ?role .
          }
          ?role skos:prefLabel ?roleLabel FILTER(lang(?roleLabel) = "de")
        }""")
    )
    # what the primary source (2016) names; the secondary sources name the other members
    assert values(rows, "member", "roleLabel") == {
        (str(mint("person", "doris-lemmermeier")), "beratendes Mitglied")
    }


def test_chair_motto_and_main_conference_of_the_20th_intmk(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?chair ?motto ?start ?end ?place WHERE {
          ?e a ipo:ConferenceEdition ; ipo:seriesOrdinal 20 ;
             ipo:chairLand ?chair ; ipo:motto ?motto .
          ?m schema:superEvent ?e ; ipo:eventKind kind:hauptkonferenz ;
             schema:startDate ?start ; schema:endDate ?end ; schema:location/skos:prefLabel ?place .
          FILTER(lang(?place) = "de")
        }""")
    )
    assert values(rows, "chair", "motto", "start", "end", "place") == {
        (
            str(mint("land", "niedersachsen")),
            "Zusammen leben – zusammen arbeiten",
            "2025-04-23",
            "2025-04-24",
            "Göttingen",
        )
    }


def test_chair_period_of_the_20th_intmk_keeps_start_and_duration(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?start ?duration ?end WHERE {
          GRAPH graph:ni-ms-pressemitteilung-2024-07-03 {
            edition:intmk-20 schema:startDate ?start ; schema:duration ?duration .
            OPTIONAL { edition:intmk-20 schema:endDate ?end }
          }
        }""")
    )
    assert values(rows, "start", "duration") == {("2024-07-01", "P1Y")}
    assert "end" not in rows[0], "the primary source gives a duration, not an end date"


def test_holder_of_the_brandenburg_commissioner_office_on_a_date(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    query = """
        SELECT ?holder WHERE {
          ?t ipo:office office:bb-integrationsbeauftragte ; org:member ?holder ;
             schema:startDate ?s .
          OPTIONAL { ?t schema:endDate ?e }
          BIND(SUBSTR(CONCAT(STR(?s), "-01-01"), 1, 10) AS ?earliest)
          FILTER(?earliest <= "%s" && (!BOUND(?e) || CONCAT(STR(?e), "-12-31") >= "%s"))
        }"""
    on_date = list(graph_of_the_real_data.select(query % ("2015-06-01", "2015-06-01")))
    before = list(graph_of_the_real_data.select(query % ("2012-12-31", "2012-12-31")))
    assert values(on_date, "holder") == {(str(mint("person", "doris-lemmermeier")),)}
    assert before == []


def test_the_seven_fields_of_action_of_the_brandenburg_concept(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?n ?label WHERE {
          ?doc dcterms:title "Zuwanderung und Integration als Chance für Brandenburg"@de ;
               dcterms:issued "2014-03-18"^^xsd:date ; ipo:fieldOfAction ?f .
          ?f skos:notation ?n ; skos:prefLabel ?label FILTER(lang(?label) = "de")
        } ORDER BY ?n""")
    )
    assert [str(r["label"].value) for r in rows] == [  # type: ignore[union-attr]
        "Interkulturelle Öffnung und Willkommenskultur",
        "Überwindung von Ausgrenzung, Diskriminierung und Rassismus",
        "Bildung",
        "Berufliche Perspektiven",
        "Gesundheitliche Versorgung",
        "Zeitgemäße Asyl- und Flüchtlingspolitik",
        "Gesellschaftliche Teilhabe",
    ]


def test_the_eleven_tasks_of_the_saxony_anhalt_commissioner(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    (row,) = graph_of_the_real_data.select(
        "SELECT (COUNT(?t) AS ?n) WHERE { office:st-integrationsbeauftragte ipo:hasTask ?t }"
    )
    assert int(row["n"].value) == 11


def test_contact_details_of_the_brandenburg_commissioner(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    (row,) = graph_of_the_real_data.select("""
        SELECT ?tel ?fax ?mail ?web ?street ?code ?city ?person WHERE {
          office:bb-integrationsbeauftragte ipo:contactPoint ?c .
          ?c vcard:hasTelephone ?tel ; ipo:fax ?fax ; vcard:hasEmail ?mail ; vcard:hasURL ?web ;
             ipo:contactPerson ?person ;
             vcard:hasAddress [ vcard:street-address ?street ; vcard:postal-code ?code ;
                                vcard:locality ?city ] .
          FILTER(?tel != ?fax)
        }""")
    assert {k: v.value for k, v in row.items()} == {
        "tel": "tel:+49-331-866-5015",
        "fax": "tel:+49-331-27548-5013",
        "mail": "mailto:Integrationsbeauftragte@masgf.brandenburg.de",
        "web": "http://www.integrationsbeauftragte.brandenburg.de",
        "street": "Henning-von-Tresckow-Straße 2-13, Haus S",
        "code": "14467",
        "city": "Potsdam",
        "person": str(mint("person", "doris-lemmermeier")),
    }


def test_speakers_of_the_liga_fachtag_2020(graph_of_the_real_data: KnowledgeGraph) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?speaker WHERE {
          ?e ipo:eventKind kind:fachtag ; schema:startDate "2020-01-22"^^xsd:date ;
             ipo:speaker ?speaker
        }""")
    )
    assert values(rows, "speaker") == {
        (str(mint("person", slug)),) for slug in ("susi-moebbeck", "dieckmann", "haase", "tewocht")
    }


def test_which_sources_state_that_the_intmk_is_a_conference_of_ministers(
    graph_of_the_real_data: KnowledgeGraph,
) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?source ?date WHERE {
          GRAPH ?g { committee:intmk org:classification kind:fachministerkonferenz }
          GRAPH ?g { ?g prov:wasDerivedFrom ?source . ?source dcterms:date ?date ;
                                                   ipo:sourceKind ?kind }
        }""")
    )
    stated = {(r["source"].value, r["date"].value) for r in rows}
    assert {
        (str(mint("source", "sn-sms-medieninformation-2024-03-21")), "2024-03-21"),
        (str(mint("source", "ni-ms-pressemitteilung-2024-07-03")), "2024-07-03"),
    } <= stated
    # and the secondary pages that say so, each with the date it shows
    assert len(rows) > 10
    assert all(r["date"].value[:4] >= "2013" for r in rows)


def test_what_the_imag_verteilung_became(graph_of_the_real_data: KnowledgeGraph) -> None:
    rows = list(
        graph_of_the_real_data.select("""
        SELECT ?new ?lead WHERE {
          ?c a org:ChangeEvent ; org:originalOrganization committee:bb-imag-verteilung ;
             org:resultingOrganization ?new .
          ?m org:organization ?new ; org:role role:leitung ; org:member ?lead .
        }""")
    )
    assert values(rows, "new", "lead") == {
        (str(mint("committee", "bb-imag-integration")), str(mint("body", "bb-masgf")))
    }


def test_every_fact_node_names_its_source(graph_of_the_real_data: KnowledgeGraph) -> None:
    assert not graph_of_the_real_data.ask("""
        ASK {
          VALUES ?c { ipo:Tenure ipo:Membership ipo:ConferenceEdition ipo:Meeting
                      org:ChangeEvent ipo:PolicyDocument }
          ?x a ?c FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?s . ?s a ipo:SourceDocument }
        }""")
