"""Deterministic generator of synthetic data in the project's own model.

``python -m benchmarks.generate --triples 100000 --out data.trig [--format trig|nq] [--seed 42]``

The data follows ``ontology/README.md``: one named graph per (synthetic) source document that
describes itself inside itself, Länder and vocabularies in ``graph:reference``, offices with
tenures, committees with memberships and roles, organisational-unit trees several levels deep
(``org:unitOf`` and ``org:subOrganizationOf``), conference series with editions, meetings and
chairs, contact points with addresses, policy documents with fields of action, labels in German
and English, and ``prov:wasDerivedFrom`` plus ``ipo:evidence`` on every fact node. Some facts are
stated by two sources and so are in two graphs, as in the real data.

The data is built from *blocks*: block ``k`` belongs to Land ``k % 16`` and holds one public body
(the first block of a Land is its integration ministry) with its unit tree, offices, office
holders, contact points, one committee with its members and, every fourth block of a Land, a
policy document. Conference series (the first is the IntMK) come after the blocks, one per 40
blocks. Every block has its own random generator seeded from ``(seed, k)``, so the first blocks
are the same at every size: the query mix (``benchmarks/queries``) uses entities of block 0
(Brandenburg) and of the IntMK series, which exist at every size. The number of blocks for a
requested size is found from two small calibration runs (the size is linear in the blocks) and
corrected once if needed, so a file has the requested number of quads within 2 % or so.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, SKOS, XSD

from kg.namespaces import GRAPH, IPO, NS, ORG, PREFIXES, SCHEMA, VCARD, mint, slugify

DEFAULT_SEED = 42

# --------------------------------------------------------------------------------------------
# Terms are kept as N-Triples strings.


def _iri(value: str) -> str:
    return f"<{value}>"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def de(text: str) -> str:
    return f'"{_esc(text)}"@de'


def en(text: str) -> str:
    return f'"{_esc(text)}"@en'


def plain(text: str) -> str:
    return f'"{_esc(text)}"'


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def r(kind: str, slug: str) -> str:
    """The N-Triples form of the resource IRI minted for ``kind``/``slug``."""
    return _iri(str(mint(kind, slug)))


A = _iri(str(RDF.type))
P_LABEL = _iri(str(SKOS.prefLabel))
P_ALT = _iri(str(SKOS.altLabel))
P_NOTATION = _iri(str(SKOS.notation))
P_INSCHEME = _iri(str(SKOS.inScheme))
P_DEFINITION = _iri(str(SKOS.definition))
P_DERIVED = _iri(str(PROV.wasDerivedFrom))
P_EVIDENCE = _iri(str(IPO.evidence))
P_SPATIAL = _iri(str(DCTERMS.spatial))
P_DESCRIPTION = _iri(str(DCTERMS.description))
P_TITLE = _iri(str(DCTERMS.title))
P_PUBLISHER = _iri(str(DCTERMS.publisher))
P_DATE = _iri(str(DCTERMS.date))
P_LANGUAGE = _iri(str(DCTERMS.language))
P_IDENTIFIER = _iri(str(DCTERMS.identifier))
P_CREATOR = _iri(str(DCTERMS.creator))
P_ISSUED = _iri(str(DCTERMS.issued))
P_START = _iri(str(SCHEMA.startDate))
P_END = _iri(str(SCHEMA.endDate))
P_DURATION = _iri(str(SCHEMA.duration))
P_SUPER = _iri(str(SCHEMA.superEvent))
P_LOCATION = _iri(str(SCHEMA.location))
P_ORGANIZER = _iri(str(SCHEMA.organizer))
P_ATTENDEE = _iri(str(SCHEMA.attendee))
P_BIRTH = _iri(str(SCHEMA.birthDate))
P_HONORIFIC = _iri(str(SCHEMA.honorificPrefix))
P_FOUNDING = _iri(str(SCHEMA.foundingDate))
P_PAGES = _iri(str(SCHEMA.numberOfPages))
P_GIVEN = _iri(str(FOAF.givenName))
P_FAMILY = _iri(str(FOAF.familyName))
P_MEMBER = _iri(str(ORG.member))
P_ORGANIZATION = _iri(str(ORG.organization))
P_ROLE = _iri(str(ORG.role))
P_POSTIN = _iri(str(ORG.postIn))
P_UNITOF = _iri(str(ORG.unitOf))
P_SUBORG = _iri(str(ORG.subOrganizationOf))
P_CLASSIFICATION = _iri(str(ORG.classification))
P_ORIGINAL = _iri(str(ORG.originalOrganization))
P_RESULTING = _iri(str(ORG.resultingOrganization))
P_OFFICE = _iri(str(IPO.office))
P_SINGLE = _iri(str(IPO.singleHolder))
P_HASTASK = _iri(str(IPO.hasTask))
P_CONTACTPOINT = _iri(str(IPO.contactPoint))
P_CONTACTPERSON = _iri(str(IPO.contactPerson))
P_FAX = _iri(str(IPO.fax))
P_SOURCEKIND = _iri(str(IPO.sourceKind))
P_SHA = _iri(str(IPO.sha256))
P_ORDINAL = _iri(str(IPO.seriesOrdinal))
P_CHAIRLAND = _iri(str(IPO.chairLand))
P_MANAGING = _iri(str(IPO.managingBody))
P_MOTTO = _iri(str(IPO.motto))
P_TOPIC = _iri(str(IPO.topic))
P_EVENTKIND = _iri(str(IPO.eventKind))
P_SPEAKER = _iri(str(IPO.speaker))
P_FIELD = _iri(str(IPO.fieldOfAction))
P_CONCERNS = _iri(str(IPO.concerns))
P_ADDRESS = _iri(str(VCARD.hasAddress))
P_PHONE = _iri(str(VCARD.hasTelephone))
P_EMAIL = _iri(str(VCARD.hasEmail))
P_URL = _iri(str(VCARD.hasURL))
P_STREET = _iri(str(VCARD["street-address"]))
P_POSTCODE = _iri(str(VCARD["postal-code"]))
P_LOCALITY = _iri(str(VCARD.locality))


def c(term: object) -> str:
    """A class or individual of a vocabulary, as N-Triples."""
    return _iri(str(term))


TRUE = typed("true", "boolean")

# --------------------------------------------------------------------------------------------
# Reference data: the real IRIs of the Länder, roles and kinds (graph:reference).

#: (slug, ISO 3166-2 code in lower case, German label, English label, capital, web domain)
LAENDER: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("brandenburg", "bb", "Brandenburg", "Brandenburg", "Potsdam", "brandenburg"),
    ("sachsen-anhalt", "st", "Sachsen-Anhalt", "Saxony-Anhalt", "Magdeburg", "sachsen-anhalt"),
    ("niedersachsen", "ni", "Niedersachsen", "Lower Saxony", "Hannover", "niedersachsen"),
    ("sachsen", "sn", "Sachsen", "Saxony", "Dresden", "sachsen"),
    ("baden-wuerttemberg", "bw", "Baden-Württemberg", "Baden-Württemberg", "Stuttgart", "bw"),
    ("bayern", "by", "Bayern", "Bavaria", "München", "bayern"),
    ("berlin", "be", "Berlin", "Berlin", "Berlin", "berlin"),
    ("bremen", "hb", "Bremen", "Bremen", "Bremen", "bremen"),
    ("hamburg", "hh", "Hamburg", "Hamburg", "Hamburg", "hamburg"),
    ("hessen", "he", "Hessen", "Hesse", "Wiesbaden", "hessen"),
    (
        "mecklenburg-vorpommern",
        "mv",
        "Mecklenburg-Vorpommern",
        "Mecklenburg-Western Pomerania",
        "Schwerin",
        "mv-regierung",
    ),
    (
        "nordrhein-westfalen",
        "nw",
        "Nordrhein-Westfalen",
        "North Rhine-Westphalia",
        "Düsseldorf",
        "nrw",
    ),
    ("rheinland-pfalz", "rp", "Rheinland-Pfalz", "Rhineland-Palatinate", "Mainz", "rlp"),
    ("saarland", "sl", "Saarland", "Saarland", "Saarbrücken", "saarland"),
    (
        "schleswig-holstein",
        "sh",
        "Schleswig-Holstein",
        "Schleswig-Holstein",
        "Kiel",
        "schleswig-holstein",
    ),
    ("thueringen", "th", "Thüringen", "Thuringia", "Erfurt", "thueringen"),
)

ROLES: tuple[tuple[str, str, str], ...] = (
    ("beratendes-mitglied", "beratendes Mitglied", "advisory member"),
    ("integrationsbeauftragte", "Integrationsbeauftragte/r", "integration commissioner"),
    ("integrationsminister", "Integrationsminister/in", "minister for integration"),
    ("leitung", "Leitung", "lead"),
    ("mitglied", "Mitglied", "member"),
    ("mitwirkung", "Mitwirkung", "participant"),
    ("referent", "Referent/in", "desk officer"),
    ("staatssekretaer", "Staatssekretär/in", "state secretary"),
    ("stellvertretender-vorsitz", "stellvertretender Vorsitz", "deputy chair"),
    ("vorsitz", "Vorsitz", "chair"),
    ("geschaeftsfuehrung", "Geschäftsführung", "secretariat"),
)

#: (slug, class, scheme, German label, English label)
KINDS: tuple[tuple[str, object, str, str, str], ...] = (
    ("abteilung", IPO.UnitKind, "unit-kinds", "Abteilung", "department"),
    ("referat", IPO.UnitKind, "unit-kinds", "Referat", "division"),
    ("sachgebiet", IPO.UnitKind, "unit-kinds", "Sachgebiet", "section"),
    ("stabsstelle", IPO.UnitKind, "unit-kinds", "Stabsstelle", "staff unit"),
    ("geschaeftsstelle", IPO.UnitKind, "unit-kinds", "Geschäftsstelle", "secretariat"),
    (
        "koordinierungsstelle",
        IPO.UnitKind,
        "unit-kinds",
        "Koordinierungsstelle",
        "coordination office",
    ),
    (
        "haertefallkommission",
        IPO.CommitteeKind,
        "committee-kinds",
        "Härtefallkommission",
        "hardship commission",
    ),
    (
        "landesintegrationsbeirat",
        IPO.CommitteeKind,
        "committee-kinds",
        "Landesintegrationsbeirat",
        "Land advisory council on integration",
    ),
    (
        "imag",
        IPO.CommitteeKind,
        "committee-kinds",
        "Interministerielle Arbeitsgruppe",
        "inter-ministerial working group",
    ),
    ("buendnis", IPO.CommitteeKind, "committee-kinds", "Bündnis", "alliance"),
    (
        "fachministerkonferenz",
        IPO.CommitteeKind,
        "committee-kinds",
        "Fachministerkonferenz",
        "conference of Länder ministers",
    ),
    ("hauptkonferenz", IPO.EventKind, "event-kinds", "Hauptkonferenz", "main conference"),
    ("fachtag", IPO.EventKind, "event-kinds", "Fachtag", "specialist day"),
    ("pressekonferenz", IPO.EventKind, "event-kinds", "Pressekonferenz", "press conference"),
)

SCHEMES: tuple[tuple[str, str, str], ...] = (
    ("laender", "Bund und Länder", "Federation and Länder"),
    ("roles", "Rollen", "Roles"),
    ("unit-kinds", "Arten von Organisationseinheiten", "Kinds of organisational unit"),
    ("committee-kinds", "Gremienarten", "Kinds of committee"),
    ("event-kinds", "Veranstaltungsarten", "Kinds of event"),
    ("tasks", "Aufgaben", "Tasks"),
    ("topics", "Themen", "Topics"),
    ("fields-of-action", "Handlungsfelder", "Fields of action"),
)

# --------------------------------------------------------------------------------------------
# Word lists.

GIVEN = [
    "Andrea",
    "Andreas",
    "Anna",
    "Anja",
    "Barbara",
    "Bernd",
    "Birgit",
    "Björn",
    "Christian",
    "Christine",
    "Claudia",
    "Daniel",
    "Doris",
    "Dirk",
    "Elke",
    "Erik",
    "Eva",
    "Frank",
    "Franziska",
    "Gabriele",
    "Günther",
    "Hannah",
    "Heike",
    "Helga",
    "Holger",
    "Ingrid",
    "Jan",
    "Jana",
    "Jens",
    "Jörg",
    "Julia",
    "Jürgen",
    "Karin",
    "Katrin",
    "Käthe",
    "Klaus",
    "Kerstin",
    "Lars",
    "Lea",
    "Lena",
    "Leonie",
    "Lukas",
    "Maik",
    "Marco",
    "Maria",
    "Marion",
    "Martin",
    "Matthias",
    "Michael",
    "Monika",
    "Nadine",
    "Nils",
    "Olaf",
    "Petra",
    "Paul",
    "Ralf",
    "Renate",
    "Sabine",
    "Sandra",
    "Sebastian",
    "Silke",
    "Simone",
    "Sören",
    "Stefan",
    "Stefanie",
    "Susanne",
    "Susi",
    "Thomas",
    "Tobias",
    "Ulrike",
    "Ute",
    "Uwe",
    "Volker",
    "Werner",
    "Wolfgang",
    "Yasemin",
    "Aylin",
    "Mehmet",
    "Olga",
    "Dariusz",
    "Ioana",
    "Tamara",
    "Felix",
    "Jonas",
    "Özlem",
]
FAMILY = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Schulte",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Aksoy",
    "Kaya",
    "Demir",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Lemmermeier",
    "Möbbeck",
    "Philippi",
    "Köpping",
    "Thiel",
    "Petrlić-Woelke",
    "Dieckmann",
    "Haase",
    "Tewocht",
    "Großmann",
]

#: (German, English) subject matters of units, tasks and topics.
TOPICS: tuple[tuple[str, str], ...] = (
    ("Integration und Migration", "Integration and migration"),
    ("Flüchtlingsangelegenheiten", "Refugee affairs"),
    ("Aufenthaltsrecht", "Residence law"),
    ("Einbürgerung", "Naturalisation"),
    ("Sprachförderung", "Language support"),
    ("Arbeitsmarktintegration", "Labour market integration"),
    ("Antidiskriminierung", "Anti-discrimination"),
    ("Anerkennung ausländischer Berufsabschlüsse", "Recognition of foreign qualifications"),
    ("Unterbringung von Geflüchteten", "Accommodation of refugees"),
    ("Rückkehr und Rückführung", "Return and repatriation"),
    ("Ehrenamt und Teilhabe", "Volunteering and participation"),
    ("Interkulturelle Öffnung", "Intercultural opening"),
    ("Migrationsberatung", "Migration counselling"),
    ("Kommunale Integrationszentren", "Municipal integration centres"),
    ("Statistik und Integrationsmonitoring", "Statistics and integration monitoring"),
    ("Haushalt und Personal", "Budget and personnel"),
    ("Recht und Verwaltung", "Law and administration"),
    ("Grundsatzangelegenheiten", "Policy matters"),
    ("Gesundheit und Pflege", "Health and care"),
    ("Bildung und Ausbildung", "Education and training"),
    ("Wohnen und Stadtentwicklung", "Housing and urban development"),
    ("Europäische Angelegenheiten", "European affairs"),
    ("Gleichstellung", "Equality"),
    ("Jugend und Familie", "Youth and family"),
    ("Demokratieförderung", "Promotion of democracy"),
    ("Asylverfahren", "Asylum procedures"),
    ("Härtefallangelegenheiten", "Hardship cases"),
    ("Förderprogramme", "Funding programmes"),
)

TASK_VERBS: tuple[tuple[str, str], ...] = (
    ("Koordinierung der Landesaufgaben im Bereich", "Coordinating the Land's tasks in"),
    ("Beratung der Landesregierung zu", "Advising the Land government on"),
    ("Förderung von Projekten zu", "Funding projects on"),
    ("Fachaufsicht über", "Supervision of"),
    ("Zusammenarbeit mit den Kommunen bei", "Cooperation with the municipalities on"),
    ("Öffentlichkeitsarbeit zu", "Public relations on"),
)

#: (German name, English name, abbreviation)
MINISTRIES: tuple[tuple[str, str, str], ...] = (
    (
        "Ministerium für Soziales, Integration und Gleichstellung",
        "Ministry of Social Affairs, Integration and Equality",
        "MSIG",
    ),
    (
        "Ministerium des Innern und für Kommunales",
        "Ministry of the Interior and Municipal Affairs",
        "MIK",
    ),
    (
        "Ministerium für Arbeit, Wirtschaft und Energie",
        "Ministry of Labour, Economy and Energy",
        "MAWE",
    ),
    ("Ministerium für Bildung, Jugend und Sport", "Ministry of Education, Youth and Sport", "MBJS"),
    ("Ministerium der Justiz", "Ministry of Justice", "MDJ"),
    ("Ministerium der Finanzen", "Ministry of Finance", "MDF"),
    (
        "Ministerium für Wissenschaft, Forschung und Kultur",
        "Ministry of Science, Research and Culture",
        "MWFK",
    ),
    ("Ministerium für Gesundheit und Pflege", "Ministry of Health and Care", "MGP"),
    ("Staatskanzlei", "State Chancellery", "STK"),
)
AUTHORITIES: tuple[tuple[str, str, str], ...] = (
    ("Landesamt für Migration und Flüchtlinge", "Land Office for Migration and Refugees", "LAMF"),
    (
        "Landesamt für Soziales und Versorgung",
        "Land Office for Social Affairs and Benefits",
        "LASV",
    ),
    ("Landesverwaltungsamt", "Land Administration Office", "LVWA"),
    ("Zentrale Ausländerbehörde", "Central Immigration Authority", "ZABH"),
    ("Landesamt für Statistik", "Land Statistical Office", "LST"),
    ("Landeszentrale für politische Bildung", "Land Agency for Civic Education", "LZPB"),
)
CSOS: tuple[tuple[str, str], ...] = (
    ("Flüchtlingsrat", "Refugee Council"),
    (
        "Landesarbeitsgemeinschaft der Freien Wohlfahrtspflege",
        "Land Association of Welfare Organisations",
    ),
    ("Landesverband der Migrantenorganisationen", "Land Association of Migrant Organisations"),
    ("Caritasverband", "Caritas Association"),
    ("Diakonisches Werk", "Diakonie"),
    ("Arbeiterwohlfahrt Landesverband", "Workers' Welfare Association, Land branch"),
    ("Deutsches Rotes Kreuz Landesverband", "German Red Cross, Land branch"),
    ("Landkreistag", "Association of Counties"),
    ("Städte- und Gemeindebund", "Association of Towns and Municipalities"),
)
SERIES: tuple[tuple[str, str, str, str, int], ...] = (
    (
        "intmk",
        "Integrationsministerkonferenz",
        "Conference of Integration Ministers",
        "IntMK",
        2007,
    ),
    (
        "asmk",
        "Arbeits- und Sozialministerkonferenz",
        "Conference of Labour and Social Affairs Ministers",
        "ASMK",
        1990,
    ),
    ("imk", "Innenministerkonferenz", "Conference of Interior Ministers", "IMK", 1990),
    (
        "jfmk",
        "Jugend- und Familienministerkonferenz",
        "Conference of Youth and Family Ministers",
        "JFMK",
        1995,
    ),
    ("gmk", "Gesundheitsministerkonferenz", "Conference of Health Ministers", "GMK", 1992),
    (
        "gfmk",
        "Gleichstellungs- und Frauenministerkonferenz",
        "Conference of Equality Ministers",
        "GFMK",
        1991,
    ),
    ("jumiko", "Justizministerkonferenz", "Conference of Justice Ministers", "JuMiKo", 1993),
)
MOTTOS = (
    "Zusammen leben – zusammen arbeiten",
    "Miteinander wachsen",
    "Vielfalt gestalten",
    "Teilhabe für alle",
    "Ankommen, Mitmachen, Bleiben",
    "Chancen nutzen – Zusammenhalt stärken",
    "Integration vor Ort",
    "Gemeinsam Zukunft gestalten",
)
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Schlossplatz",
    "Heinrich-Mann-Allee",
    "Albertstraße",
    "Friedrichstraße",
    "Ministergärten",
    "Regierungsstraße",
    "Am",
    "Markt",
    "Lindenallee",
    "Kaiser-Wilhelm-Ring",
    "Domplatz",
]

_PN_LOCAL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


# --------------------------------------------------------------------------------------------
# The dataset being built.


@dataclass
class Dataset:
    """Quads by graph, then subject, in insertion order; no quad twice."""

    graphs: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)
    quads: int = 0
    _seen: set[tuple[str, str, str, str]] = field(default_factory=set)

    def add(self, g: str, s: str, p: str, o: str) -> None:
        key = (g, s, p, o)
        if key in self._seen:
            return
        self._seen.add(key)
        self.graphs.setdefault(g, {}).setdefault(s, []).append((p, o))
        self.quads += 1

    def triples(self) -> int:
        """Distinct triples over all graphs (what a union default graph holds)."""
        return len({(s, p, o) for (_, s, p, o) in self._seen})


class Source:
    """One synthetic source document and its named graph."""

    def __init__(self, ds: Dataset, slug: str) -> None:
        self.ds = ds
        self.slug = slug
        self.g = _iri(str(GRAPH[slug]))
        self.doc = r("source", slug)

    def add(self, s: str, p: str, o: str) -> None:
        self.ds.add(self.g, s, p, o)

    def describe_self(
        self,
        title: str,
        label_de: str,
        label_en: str,
        publisher: str | None,
        when: str | None,
        identifier: str,
    ) -> None:
        add = self.add
        add(self.g, A, c(IPO.SourceGraph))
        add(self.g, P_LABEL, de(f"Aussagen der Quelle „{label_de}“"))
        add(self.g, P_LABEL, en(f"Statements of the source “{label_en}”"))
        add(self.g, P_DERIVED, self.doc)
        add(self.doc, A, c(IPO.SourceDocument))
        add(self.doc, P_TITLE, de(title))
        add(self.doc, P_LABEL, de(label_de))
        add(self.doc, P_LABEL, en(label_en))
        if publisher:
            add(self.doc, P_PUBLISHER, publisher)
        if when:
            add(self.doc, P_DATE, when)
        add(self.doc, P_LANGUAGE, typed("de", "language"))
        add(self.doc, P_IDENTIFIER, plain(identifier))
        digest = hashlib.sha256(self.slug.encode()).hexdigest()
        add(self.doc, P_SHA, typed(digest, "hexBinary"))
        add(self.doc, P_SOURCEKIND, c(IPO.PrimarySource))

    def fact(self, node: str, evidence: str) -> None:
        self.add(node, P_DERIVED, self.doc)
        self.add(node, P_EVIDENCE, de(evidence))


def date_literal(d: date, precision: str) -> str:
    if precision == "year":
        return typed(f"{d.year:04d}", "gYear")
    if precision == "month":
        return typed(f"{d.year:04d}-{d.month:02d}", "gYearMonth")
    return typed(d.isoformat(), "date")


def date_text(d: date, precision: str) -> str:
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return f"{d.month:02d}/{d.year}"
    return d.strftime("%d.%m.%Y")


@dataclass
class Person:
    iri: str
    slug: str
    name: str


@dataclass
class Block:
    land: int
    body: str
    body_slug: str
    persons: list[Person]


class Generator:
    """Builds the dataset; see the module docstring for the layout."""

    def __init__(self, blocks: int, seed: int = DEFAULT_SEED) -> None:
        self.n_blocks = blocks
        self.seed = seed
        self.ds = Dataset()
        self.person_slugs: set[str] = set()
        self.slugs: set[str] = set()
        self.land_persons: dict[int, list[Person]] = {i: [] for i in range(len(LAENDER))}
        self.all_persons: list[Person] = []
        self.integration_ministry: dict[int, tuple[str, str]] = {}

    # ---- helpers

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(k) for k in (self.seed, *key)))

    def unique(self, slug: str) -> str:
        """``slug``, or ``slug-2``, ``slug-3`` … if that is taken (for any kind)."""
        candidate, n = slug, 1
        while candidate in self.slugs:
            n += 1
            candidate = f"{slug}-{n}"
        self.slugs.add(candidate)
        return candidate

    def new_person(self, src: Source, rng: random.Random, land: int | None) -> Person:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        base = slugify(f"{given} {family}")
        slug, n = base, 1
        while slug in self.person_slugs:
            n += 1
            slug = f"{base}-{n}"
        self.person_slugs.add(slug)
        iri = r("person", slug)
        name = f"{given} {family}"
        add = src.add
        add(iri, A, c(IPO.Person))
        add(iri, P_LABEL, de(name))
        add(iri, P_GIVEN, plain(given))
        add(iri, P_FAMILY, plain(family))
        if rng.random() < 0.3:
            add(iri, P_HONORIFIC, plain("Dr."))
        if rng.random() < 0.4:
            add(iri, P_BIRTH, typed(str(rng.randint(1950, 1990)), "gYear"))
        person = Person(iri, slug, name)
        if land is not None:
            self.land_persons[land].append(person)
        self.all_persons.append(person)
        return person

    # ---- reference data and Land governments

    def reference(self) -> None:
        src = Source(self.ds, "reference")
        add = src.add
        add(src.g, A, c(IPO.SourceGraph))
        add(src.g, P_LABEL, de("Referenzdaten"))
        add(src.g, P_LABEL, en("Reference data"))
        add(src.g, P_DERIVED, src.doc)
        add(src.doc, A, c(IPO.SourceDocument))
        add(src.doc, P_TITLE, de("Referenzdaten des Wissensgraphen Integrationspolitik"))
        add(src.doc, P_LABEL, de("Referenzdaten des Wissensgraphen Integrationspolitik"))
        add(src.doc, P_LABEL, en("Reference data of the Integration Policy Knowledge Graph"))
        add(src.doc, P_LANGUAGE, typed("de", "language"))
        add(src.doc, P_SOURCEKIND, c(IPO.ReferenceSource))
        for slug, code, label_de, label_en, *_ in LAENDER:
            land = r("land", slug)
            add(land, A, c(IPO.Land))
            add(land, P_INSCHEME, r("scheme", "laender"))
            add(land, P_NOTATION, plain(f"DE-{code.upper()}"))
            add(land, P_LABEL, de(label_de))
            add(land, P_LABEL, en(label_en))
        bund = r("land", "bund")
        add(bund, A, c(IPO.Federation))
        add(bund, P_INSCHEME, r("scheme", "laender"))
        add(bund, P_NOTATION, plain("DE"))
        add(bund, P_LABEL, de("Bund"))
        add(bund, P_LABEL, en("Federation"))
        for slug, label_de, label_en in ROLES:
            role = r("role", slug)
            add(role, A, c(IPO.Role))
            add(role, P_INSCHEME, r("scheme", "roles"))
            add(role, P_LABEL, de(label_de))
            add(role, P_LABEL, en(label_en))
        for slug, cls, scheme, label_de, label_en in KINDS:
            kind = r("kind", slug)
            add(kind, A, c(cls))
            add(kind, P_INSCHEME, r("scheme", scheme))
            add(kind, P_LABEL, de(label_de))
            add(kind, P_LABEL, en(label_en))
            add(kind, P_DEFINITION, de(f"{label_de} (synthetische Referenzdaten)"))
        for slug, label_de, label_en in SCHEMES:
            scheme_iri = r("scheme", slug)
            add(scheme_iri, A, c(SKOS.ConceptScheme))
            add(scheme_iri, P_LABEL, de(label_de))
            add(scheme_iri, P_LABEL, en(label_en))

    def governments(self) -> None:
        for i, (slug, code, label_de, label_en, _capital, domain) in enumerate(LAENDER):
            src = Source(self.ds, f"synth-{code}-landesportal")
            gov = r("body", f"{code}-landesregierung")
            src.describe_self(
                f"Landesportal {label_de}",
                f"Landesportal {label_de}",
                f"State portal of {label_en}",
                gov,
                typed("2024", "gYear"),
                f"{i:03d}_landesportal.html",
            )
            add = src.add
            add(gov, A, c(IPO.Government))
            add(gov, P_SPATIAL, r("land", slug))
            add(gov, P_LABEL, de(f"Landesregierung {label_de}"))
            add(gov, P_LABEL, en(f"Government of {label_en}"))
            add(gov, P_URL, _iri(f"https://www.{domain}.de"))

    # ---- blocks

    def block(self, k: int) -> Block:
        rng = self.rng("block", k)
        li = k % len(LAENDER)
        j = k // len(LAENDER)
        land_slug, code, land_de, land_en, capital, domain = LAENDER[li]
        land = r("land", land_slug)
        n_min = len(MINISTRIES)
        if j < n_min:
            name_de, name_en, abbr = MINISTRIES[j]
            cls = IPO.Ministry
        else:
            name_de, name_en, abbr = AUTHORITIES[(j - n_min) % len(AUTHORITIES)]
            cls = IPO.PublicBody
            if j - n_min >= len(AUTHORITIES):
                nr = (j - n_min) // len(AUTHORITIES) + 1
                name_de, name_en = (
                    f"{name_de}, Regionalstelle {nr}",
                    f"{name_en}, regional office {nr}",
                )
        body_slug = self.unique(f"{code}-{slugify(abbr)}")
        body = r("body", body_slug)
        body_de = f"{name_de} des Landes {land_de}"
        body_en = f"{name_en} of {land_en}"
        year = 2012 + rng.randint(0, 12)
        src = Source(self.ds, f"synth-{code}-organigramm-{j + 1:03d}")
        src.describe_self(
            f"Organigramm: {body_de}",
            f"Organigramm {abbr} {land_de} ({year})",
            f"Organisation chart {abbr} {land_en} ({year})",
            body,
            date_literal(date(year, rng.randint(1, 12), 1), "month"),
            f"{k:05d}_{hashlib.sha1(body_slug.encode()).hexdigest()[:16]}.txt",
        )
        add = src.add
        add(body, A, c(cls))
        add(body, P_SPATIAL, land)
        add(body, P_LABEL, de(body_de))
        add(body, P_LABEL, en(body_en))
        add(body, P_ALT, de(abbr))
        if j == 0:
            self.integration_ministry[li] = (body, body_slug)

        # contact point of the body, with address
        contact = r("contact", body_slug)
        address = r("address", f"{body_slug}-anschrift")
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        postcode = f"{rng.randint(1000, 99999):05d}"
        add(body, P_CONTACTPOINT, contact)
        add(contact, A, c(IPO.ContactPoint))
        add(contact, P_LABEL, de(f"Anschrift: {body_de}"))
        add(contact, P_LABEL, en(f"Address: {body_en}"))
        add(contact, P_ADDRESS, address)
        phone = f"+49-{rng.randint(30, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        add(contact, P_PHONE, _iri(f"tel:{phone}"))
        add(contact, P_FAX, _iri(f"tel:{phone}-99"))
        add(contact, P_EMAIL, _iri(f"mailto:poststelle@{slugify(abbr)}.{domain}.de"))
        add(contact, P_URL, _iri(f"https://{slugify(abbr)}.{domain}.de/{body_slug}"))
        add(address, A, c(VCARD.Address))
        add(address, P_LABEL, de(f"{street}, {postcode} {capital}"))
        add(address, P_STREET, plain(street))
        add(address, P_POSTCODE, plain(postcode))
        add(address, P_LOCALITY, plain(capital))

        offices: list[tuple[str, str, str, str, str]] = []  # iri, slug, label de, en, unit
        tasks: list[str] = []

        def task(owner: str, topic: tuple[str, str], tslug: str) -> None:
            verb_de, verb_en = rng.choice(TASK_VERBS)
            t = r("task", self.unique(tslug))
            add(t, A, c(IPO.Task))
            add(t, P_INSCHEME, r("scheme", "tasks"))
            add(t, P_LABEL, de(f"{verb_de} {topic[0]}"))
            add(t, P_LABEL, en(f"{verb_en} {topic[1].lower()}"))
            add(owner, P_HASTASK, t)
            tasks.append(t)

        def office(
            slug: str, label_de: str, label_en: str, unit: str, role: str, single: bool = True
        ) -> str:
            oslug = self.unique(slug)
            o = r("office", oslug)
            add(o, A, c(IPO.Office))
            add(o, P_LABEL, de(label_de))
            add(o, P_LABEL, en(label_en))
            add(o, P_POSTIN, unit)
            add(o, P_SPATIAL, land)
            add(o, P_ROLE, r("role", role))
            if single:
                add(o, P_SINGLE, TRUE)
            offices.append((o, oslug, label_de, label_en, unit))
            return o

        def unit(
            slug: str,
            label_de: str,
            label_en: str,
            kind: str,
            parent: str,
            notation: str | None = None,
        ) -> str:
            u = r("unit", self.unique(slug))
            add(u, A, c(IPO.OrganizationalUnit))
            add(u, P_LABEL, de(label_de))
            add(u, P_LABEL, en(label_en))
            add(u, P_CLASSIFICATION, r("kind", kind))
            add(u, P_UNITOF, parent)
            add(u, P_SUBORG, parent)
            if notation:
                add(u, P_NOTATION, plain(notation))
            return u

        role_head = "integrationsminister" if j == 0 else "leitung"
        head_de = (
            "Ministerin oder Minister" if cls == IPO.Ministry else "Präsidentin oder Präsident"
        )
        head_en = "Minister" if cls == IPO.Ministry else "President"
        office(
            f"{body_slug}-leitung",
            f"{head_de}: {body_de}",
            f"{head_en}: {body_en}",
            body,
            role_head,
        )
        if cls == IPO.Ministry:
            office(
                f"{body_slug}-staatssekretaer",
                f"Staatssekretärin oder Staatssekretär im {body_de}",
                f"State Secretary in the {body_en}",
                body,
                "staatssekretaer",
            )
        stab = unit(
            f"{body_slug}-stabsstelle",
            "Stabsstelle Integrationsbeauftragte" if j == 0 else "Stabsstelle Leitungsbereich",
            "Staff unit of the integration commissioner" if j == 0 else "Staff unit of the head",
            "stabsstelle",
            body,
        )
        if j == 0:
            o = office(
                f"{code}-integrationsbeauftragte",
                f"Integrationsbeauftragte oder Integrationsbeauftragter des Landes {land_de}",
                f"Integration Commissioner of {land_en}",
                stab,
                "integrationsbeauftragte",
            )
            add(o, P_CONTACTPOINT, contact)
            for t_i, topic in enumerate(rng.sample(TOPICS, 4)):
                task(o, topic, f"{code}-integrationsbeauftragte--aufgabe-{t_i + 1}")

        n_abt = rng.randint(2, 4)
        for a in range(1, n_abt + 1):
            a_topic = rng.choice(TOPICS)
            abt = unit(
                f"{body_slug}-abteilung-{a}",
                f"Abteilung {a}: {a_topic[0]}",
                f"Department {a}: {a_topic[1]}",
                "abteilung",
                body,
                str(a),
            )
            office(
                f"{body_slug}-abteilung-{a}-leitung",
                f"Leitung der Abteilung {a} ({body_de})",
                f"Head of Department {a} ({body_en})",
                abt,
                "leitung",
            )
            for ref in range(1, rng.randint(2, 4) + 1):
                topic = rng.choice(TOPICS)
                nr = f"{a}{ref}"
                referat = unit(
                    f"{body_slug}-referat-{nr}",
                    f"Referat {nr} „{topic[0]}“",
                    f"Division {nr} “{topic[1]}”",
                    "referat",
                    abt,
                    nr,
                )
                if rng.random() < 0.5:
                    task(referat, topic, f"{body_slug}-referat-{nr}--aufgabe")
                o = office(
                    f"{body_slug}-referat-{nr}-leitung",
                    f"Leitung des Referats {nr} „{topic[0]}“ ({abbr} {land_de})",
                    f"Head of Division {nr} “{topic[1]}” ({abbr} {land_en})",
                    referat,
                    "leitung",
                )
                if rng.random() < 0.3:
                    add(o, P_CONTACTPOINT, contact)
                if rng.random() < 0.4:
                    office(
                        f"{body_slug}-referat-{nr}-referent",
                        f"Referentin oder Referent im Referat {nr} ({abbr} {land_de})",
                        f"Desk officer in Division {nr} ({abbr} {land_en})",
                        referat,
                        "referent",
                        single=False,
                    )
                for s in range(1, rng.randint(0, 2) + 1):
                    s_topic = rng.choice(TOPICS)
                    sg = unit(
                        f"{body_slug}-sachgebiet-{nr}-{s}",
                        f"Sachgebiet {nr}.{s} {s_topic[0]}",
                        f"Section {nr}.{s} {s_topic[1]}",
                        "sachgebiet",
                        referat,
                        f"{nr}.{s}",
                    )
                    if rng.random() < 0.3:
                        kind = rng.choice(("geschaeftsstelle", "koordinierungsstelle"))
                        kind_de = (
                            "Geschäftsstelle"
                            if kind == "geschaeftsstelle"
                            else "Koordinierungsstelle"
                        )
                        kind_en = (
                            "Secretariat" if kind == "geschaeftsstelle" else "Coordination office"
                        )
                        gs = unit(
                            f"{body_slug}-{kind}-{nr}-{s}",
                            f"{kind_de} {s_topic[0]} im Sachgebiet {nr}.{s}",
                            f"{kind_en} for {s_topic[1].lower()} in section {nr}.{s}",
                            kind,
                            sg,
                        )
                        add(gs, P_FOUNDING, typed(str(rng.randint(2010, 2023)), "gYear"))
                        office(
                            f"{body_slug}-{kind}-{nr}-{s}-leitung",
                            f"Leitung der {kind_de} {s_topic[0]} ({abbr} {land_de})",
                            f"Head of the {kind_en.lower()} for {s_topic[1].lower()} ({abbr})",
                            gs,
                            "leitung",
                        )

        # office holders: tenures in sequence, the last one usually open
        block_persons: list[Person] = []
        for o_iri, o_slug, o_label, o_label_en, o_unit in offices:
            start = date(rng.randint(1998, 2016), rng.randint(1, 12), rng.randint(1, 28))
            # the commissioners' appointments are reported to the day, three in a row
            commissioner = o_slug.endswith("-integrationsbeauftragte")
            for t_i in range(3 if commissioner else rng.randint(1, 3)):
                if t_i == 0 or rng.random() > 0.15 or not self.land_persons[li]:
                    person = self.new_person(src, rng, li)
                else:
                    person = rng.choice(self.land_persons[li])
                tslug = f"{person.slug}--{o_slug}"
                if tslug in self.slugs:
                    person = self.new_person(src, rng, li)
                    tslug = f"{person.slug}--{o_slug}"
                self.slugs.add(tslug)
                block_persons.append(person)
                roll = rng.random()
                precision = "day" if roll < 0.7 else ("month" if roll < 0.9 else "year")
                end = start + timedelta(days=rng.randint(400, 3000))
                last = t_i == 2 or rng.random() < 0.4
                if commissioner:
                    precision, last = "day", t_i == 2
                ten = r("tenure", tslug)
                add(ten, A, c(IPO.Tenure))
                add(ten, P_MEMBER, person.iri)
                add(ten, P_OFFICE, o_iri)
                add(ten, P_ORGANIZATION, o_unit)
                add(ten, P_START, date_literal(start, precision))
                add(ten, P_LABEL, de(f"{person.name}, {o_label}"))
                add(ten, P_LABEL, en(f"{person.name}, {o_label_en}"))
                open_ended = (last and rng.random() < 0.8) or end > date(2025, 12, 31)
                if not open_ended:
                    add(ten, P_END, date_literal(end, precision))
                since = date_text(start, precision)
                src.fact(ten, f"{person.name} ist seit {since} {o_label}.")
                if last or open_ended:
                    break
                start = end + timedelta(days=1)

        # committee of the block with its members, stated by a press release of the body
        press = Source(self.ds, f"synth-{code}-pressemitteilung-{j + 1:03d}")
        p_day = date(2015 + rng.randint(0, 9), rng.randint(1, 12), rng.randint(1, 28))
        press.describe_self(
            f"Pressemitteilung des {abbr} vom {p_day:%d.%m.%Y}",
            f"Pressemitteilung {abbr} {land_de}, {p_day:%d.%m.%Y}",
            f"Press release {abbr} {land_en}, {p_day.isoformat()}",
            body,
            typed(p_day.isoformat(), "date"),
            f"{k:05d}_pm_{hashlib.sha1(press.slug.encode()).hexdigest()[:12]}.txt",
        )
        padd = press.add
        if j == 0:
            kind, cname_de, cname_en = (
                "haertefallkommission",
                f"Härtefallkommission des Landes {land_de}",
                f"Hardship Commission of {land_en}",
            )
            cslug = f"{code}-haertefallkommission"
        elif j == 1:
            kind, cname_de, cname_en = (
                "landesintegrationsbeirat",
                f"Landesintegrationsbeirat {land_de}",
                f"Advisory Council on Integration of {land_en}",
            )
            cslug = f"{code}-landesintegrationsbeirat"
        else:
            topic = rng.choice(TOPICS)
            kind = rng.choice(("imag", "buendnis", "landesintegrationsbeirat"))
            if kind == "imag":
                cname_de = f"Interministerielle Arbeitsgruppe „{topic[0]}“ ({land_de})"
                cname_en = f"Inter-ministerial Working Group “{topic[1]}” ({land_en})"
            elif kind == "buendnis":
                cname_de = f"Bündnis für {topic[0]} in {land_de}"
                cname_en = f"Alliance for {topic[1].lower()} in {land_en}"
            else:
                cname_de = f"Fachbeirat {topic[0]} {land_de}"
                cname_en = f"Expert Council on {topic[1].lower()} of {land_en}"
            cslug = f"{code}-{slugify(kind)}-{slugify(topic[0])}"
        cslug = self.unique(cslug)
        committee = r("committee", cslug)
        padd(committee, A, c(IPO.Committee))
        padd(committee, P_SPATIAL, land)
        padd(committee, P_LABEL, de(cname_de))
        padd(committee, P_LABEL, en(cname_en))
        padd(committee, P_CLASSIFICATION, r("kind", kind))
        if rng.random() < 0.5:
            padd(committee, P_DESCRIPTION, de(f"Das Gremium berät über {rng.choice(TOPICS)[0]}."))

        cso_slug = self.unique(f"{code}-{slugify(CSOS[j % len(CSOS)][0])}")
        cso = r("body", cso_slug)
        padd(cso, A, c(IPO.CivilSocietyOrganization))
        padd(cso, P_SPATIAL, land)
        padd(cso, P_LABEL, de(f"{CSOS[j % len(CSOS)][0]} {land_de}"))
        padd(cso, P_LABEL, en(f"{CSOS[j % len(CSOS)][1]} of {land_en}"))

        roles = ["vorsitz", "stellvertretender-vorsitz", "geschaeftsfuehrung"]
        n_members = rng.randint(6, 16)
        cso_de = f"{CSOS[j % len(CSOS)][0]} {land_de}"
        members: list[tuple[str, str, str]] = [(body, body_slug, body_de), (cso, cso_slug, cso_de)]
        while len(members) < n_members:
            if block_persons and rng.random() < 0.4:
                person = rng.choice(block_persons)
            else:
                person = self.new_person(press, rng, li)
            if all(person.slug != m[1] for m in members):
                members.append((person.iri, person.slug, person.name))
        rng.shuffle(members)
        role_labels = {slug: (d, e) for slug, d, e in ROLES}
        for i, (m_iri, m_slug, m_name) in enumerate(members):
            role = (
                roles[i]
                if i < len(roles)
                else rng.choice(("mitglied", "mitglied", "beratendes-mitglied", "mitwirkung"))
            )
            mem = r("membership", f"{m_slug}--{cslug}")
            padd(mem, A, c(IPO.Membership))
            padd(mem, P_MEMBER, m_iri)
            padd(mem, P_ORGANIZATION, committee)
            padd(mem, P_ROLE, r("role", role))
            since = date(2010 + rng.randint(0, 13), rng.randint(1, 12), rng.randint(1, 28))
            padd(mem, P_START, date_literal(since, "day" if rng.random() < 0.8 else "year"))
            if rng.random() < 0.2:
                padd(
                    mem,
                    P_END,
                    typed((since + timedelta(days=rng.randint(300, 2000))).isoformat(), "date"),
                )
            who = m_name
            padd(mem, P_LABEL, de(f"{who}, {role_labels[role][0]}: {cname_de}"))
            padd(mem, P_LABEL, en(f"{who}, {role_labels[role][1]}: {cname_en}"))
            press.fact(mem, f"… {who} ({role_labels[role][0]}) im Gremium „{cname_de}“ …")

        # some tenures are restated by the press release: the fact is in both graphs
        for s, pos in list(self.ds.graphs[src.g].items()):
            if s.startswith(f"<{NS['tenure']}") and rng.random() < 0.1:
                for p, o in pos:
                    if p not in (P_DERIVED, P_EVIDENCE):
                        padd(s, p, o)
                press.fact(s, "Die Pressemitteilung nennt die Amtsinhaberin oder den Amtsinhaber.")

        # a policy document every fourth block of a Land
        if j % 4 == 0:
            pyear = 2005 + (j // 4) * 3 + rng.randint(0, 2)
            dslug = self.unique(f"{code}-integrationskonzept-{pyear}")
            doc = r("document", dslug)
            padd(doc, A, c(IPO.PolicyDocument))
            padd(doc, P_TITLE, de(f"Integrationskonzept des Landes {land_de} {pyear}"))
            padd(doc, P_LABEL, de(f"Integrationskonzept des Landes {land_de} ({pyear})"))
            padd(doc, P_LABEL, en(f"Integration concept of {land_en} ({pyear})"))
            padd(doc, P_CREATOR, body)
            padd(doc, P_ISSUED, typed(str(pyear), "gYear"))
            padd(doc, P_PAGES, typed(str(rng.randint(40, 200)), "integer"))
            padd(doc, P_SPATIAL, land)
            press.fact(doc, f"Das Integrationskonzept {pyear} benennt die Handlungsfelder.")
            for f_i, topic in enumerate(rng.sample(TOPICS, rng.randint(4, 7))):
                fld = r("field", f"{dslug}--{slugify(topic[0])}")
                padd(fld, A, c(IPO.FieldOfAction))
                padd(fld, P_INSCHEME, r("scheme", "fields-of-action"))
                padd(fld, P_NOTATION, plain(str(f_i + 1)))
                padd(fld, P_LABEL, de(topic[0]))
                padd(fld, P_LABEL, en(topic[1]))
                padd(doc, P_FIELD, fld)
            if tasks:
                padd(rng.choice(tasks), P_CONCERNS, doc)

        # an organisational change every fifth block: a staff unit becomes a department
        if k % 5 == 4:
            new_unit = r("unit", self.unique(f"{body_slug}-abteilung-integration"))
            padd(new_unit, A, c(IPO.OrganizationalUnit))
            padd(new_unit, P_LABEL, de("Abteilung Integration"))
            padd(new_unit, P_LABEL, en("Department of Integration"))
            padd(new_unit, P_CLASSIFICATION, r("kind", "abteilung"))
            padd(new_unit, P_UNITOF, body)
            padd(new_unit, P_SUBORG, body)
            ch = r("change", f"{body_slug}-stabsstelle--{body_slug}-abteilung-integration")
            padd(ch, A, c(ORG.ChangeEvent))
            padd(ch, P_LABEL, de("Umwandlung der Stabsstelle in die Abteilung Integration"))
            padd(ch, P_LABEL, en("Conversion of the staff unit into the Department of Integration"))
            padd(ch, P_ORIGINAL, stab)
            padd(ch, P_RESULTING, new_unit)
            press.fact(ch, "Die Stabsstelle wurde in die Abteilung Integration umgewandelt.")

        return Block(li, body, body_slug, block_persons)

    # ---- conference series

    def series(self, s_i: int) -> None:
        rng = self.rng("series", s_i)
        if s_i < len(SERIES):
            sslug, name_de, name_en, abbr, first_year = SERIES[s_i]
        else:
            base = SERIES[s_i % len(SERIES)]
            nr = s_i // len(SERIES) + 1
            sslug = f"{base[0]}-fachtag-{nr}"
            name_de, name_en = (
                f"Fachtag der {base[1]} {nr}",
                f"Specialist day of the {base[2]} {nr}",
            )
            abbr, first_year = f"{base[3]}-FT{nr}", base[4] + nr
        committee = r("committee", sslug)
        series = r("series", sslug)
        src = Source(self.ds, f"synth-{sslug}-geschaeftsordnung")
        src.describe_self(
            f"Geschäftsordnung der {name_de}",
            f"Geschäftsordnung {abbr}",
            f"Rules of procedure {abbr}",
            None,
            typed(str(first_year), "gYear"),
            f"series_{s_i:03d}.pdf",
        )
        add = src.add
        add(committee, A, c(IPO.Committee))
        add(committee, P_LABEL, de(name_de))
        add(committee, P_LABEL, en(name_en))
        add(committee, P_ALT, de(abbr))
        add(committee, P_CLASSIFICATION, r("kind", "fachministerkonferenz"))
        add(series, A, c(IPO.ConferenceSeries))
        add(series, P_LABEL, de(f"{name_de} (Konferenzreihe)"))
        add(series, P_LABEL, en(f"{name_en} (series)"))
        add(series, P_ALT, de(abbr))
        add(series, P_ORGANIZER, committee)
        add(series, P_START, typed(str(first_year), "gYear"))
        src.fact(series, f"Die {name_de} findet seit {first_year} unter wechselndem Vorsitz statt.")

        order = list(range(len(LAENDER)))
        rng.shuffle(order)
        n_editions = 18 if s_i == 0 else rng.randint(10, 18)
        for ed in range(1, n_editions + 1):
            year = first_year + ed - 1
            li = order[(ed - 1) % len(order)]
            land_slug, code, land_de, land_en, capital, _ = LAENDER[li]
            if li in self.integration_ministry:
                managing = self.integration_ministry[li][0]
            else:
                managing = r("body", f"{code}-landesregierung")
            start = date(year, 7, 1)
            end = date(year + 1, 6, 30)
            eslug = f"{sslug}-{ed}"
            edition = r("edition", eslug)
            press = Source(self.ds, f"synth-{sslug}-{ed}-vorsitz-{code}")
            press.describe_self(
                f"{land_de} übernimmt den Vorsitz der {ed}. {name_de}",
                f"Pressemitteilung: Vorsitz {land_de}, {ed}. {abbr}",
                f"Press release: {land_en} chairs the {ed}th {abbr}",
                managing,
                typed(start.isoformat(), "date"),
                f"{eslug}_pm.txt",
            )
            padd = press.add
            padd(edition, A, c(IPO.ConferenceEdition))
            padd(edition, P_LABEL, de(f"{ed}. {name_de}"))
            padd(edition, P_LABEL, en(f"{name_en}, edition {ed}"))
            padd(edition, P_SUPER, series)
            padd(edition, P_ORDINAL, typed(str(ed), "positiveInteger"))
            padd(edition, P_CHAIRLAND, r("land", land_slug))
            padd(edition, P_MANAGING, managing)
            padd(edition, P_START, typed(start.isoformat(), "date"))
            padd(edition, P_END, typed(end.isoformat(), "date"))
            padd(edition, P_DURATION, typed("P1Y", "duration"))
            if rng.random() < 0.7:
                padd(edition, P_MOTTO, de(rng.choice(MOTTOS)))
            press.fact(
                edition,
                f"Seit dem {start:%d.%m.%Y} hat {land_de} für die Dauer eines Jahres den Vorsitz "
                f"der {ed}. {name_de} inne.",
            )
            topics = []
            for topic in rng.sample(TOPICS, rng.randint(2, 5)):
                t = r("topic", f"{eslug}--{slugify(topic[0])}")
                padd(t, A, c(IPO.Topic))
                padd(t, P_INSCHEME, r("scheme", "topics"))
                padd(t, P_LABEL, de(topic[0]))
                padd(t, P_LABEL, en(topic[1]))
                padd(edition, P_TOPIC, t)
                topics.append(t)

            # the chair: the Land's minister, a membership with role vorsitz for the period
            chair = self.new_person(press, rng, li)
            mem = r("membership", f"{chair.slug}--{sslug}")
            padd(mem, A, c(IPO.Membership))
            padd(mem, P_MEMBER, chair.iri)
            padd(mem, P_ORGANIZATION, committee)
            padd(mem, P_ROLE, r("role", "vorsitz"))
            padd(mem, P_START, typed(start.isoformat(), "date"))
            padd(mem, P_END, typed(end.isoformat(), "date"))
            padd(mem, P_LABEL, de(f"{chair.name}, Vorsitz der {ed}. {name_de}"))
            padd(mem, P_LABEL, en(f"{chair.name}, chair of the {name_en}, edition {ed}"))
            press.fact(mem, f"Vorsitzende oder Vorsitzender ist {chair.name}.")

            place = r("place", slugify(capital))
            padd(place, A, c(SCHEMA.Place))
            padd(place, P_LABEL, de(capital))
            padd(place, P_LABEL, en(capital))
            for kind, kind_de, kind_en, p in (
                ("hauptkonferenz", "Hauptkonferenz", "Main conference", 1.0),
                ("fachtag", "Fachtag", "Specialist day", 0.5),
                ("pressekonferenz", "Pressekonferenz", "Press conference", 0.3),
            ):
                if rng.random() > p:
                    continue
                ev = r("event", f"{eslug}--{kind}")
                day = start + timedelta(days=rng.randint(60, 330))
                padd(ev, A, c(IPO.Meeting))
                padd(ev, P_SUPER, edition)
                padd(ev, P_EVENTKIND, r("kind", kind))
                padd(ev, P_LABEL, de(f"{kind_de} der {ed}. {name_de}"))
                padd(ev, P_LABEL, en(f"{kind_en} of the {name_en}, edition {ed}"))
                padd(ev, P_START, typed(day.isoformat(), "date"))
                padd(ev, P_END, typed((day + timedelta(days=1)).isoformat(), "date"))
                padd(ev, P_LOCATION, place)
                padd(ev, P_ORGANIZER, managing)
                padd(ev, P_SPEAKER, chair.iri)
                for attendee in rng.sample(self.all_persons, min(4, len(self.all_persons))):
                    padd(ev, P_ATTENDEE, attendee.iri)
                for t in topics[:2]:
                    padd(ev, P_TOPIC, t)
                press.fact(ev, f"Die {kind_de} findet am {day:%d.%m.%Y} in {capital} statt.")

    # ---- the whole dataset

    def build(self) -> Dataset:
        self.reference()
        self.governments()
        for k in range(self.n_blocks):
            self.block(k)
        for s_i in range(1 + self.n_blocks // 40):
            self.series(s_i)
        return self.ds


def build(blocks: int, seed: int = DEFAULT_SEED) -> Dataset:
    return Generator(blocks, seed).build()


def blocks_for(triples: int, seed: int = DEFAULT_SEED) -> int:
    """The number of blocks whose dataset has about ``triples`` quads."""
    a_n, b_n = 16, 48
    a, b = build(a_n, seed).quads, build(b_n, seed).quads
    per_block = (b - a) / (b_n - a_n)
    fixed = a - per_block * a_n
    n = max(1, round((triples - fixed) / per_block))
    # one correction step: blocks vary in size
    got = build(n, seed).quads
    if abs(got - triples) > 0.01 * triples:
        n = max(1, n + round((triples - got) / per_block))
    return n


# --------------------------------------------------------------------------------------------
# Serialisation.


class _Compactor:
    """Turns N-Triples IRIs into prefixed names where the local part is safe."""

    def __init__(self) -> None:
        # longest namespaces first, so that id/unit/ wins over id/
        self.prefixes = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
        self.cache: dict[str, str] = {}

    def iri(self, term: str) -> str:
        hit = self.cache.get(term)
        if hit is not None:
            return hit
        value = term[1:-1]
        out = term
        if term == A:
            out = "a"
        else:
            for prefix, ns in self.prefixes:
                if value.startswith(ns):
                    local = value[len(ns) :]
                    if local and all(ch in _PN_LOCAL_SAFE for ch in local) and local[0] != "-":
                        out = f"{prefix}:{local}"
                    break
        if len(self.cache) < 2_000_000:
            self.cache[term] = out
        return out

    def term(self, term: str) -> str:
        if term.startswith("<"):
            return self.iri(term)
        if term.endswith(">") and "^^<" in term:
            lexical, _, dt = term.rpartition("^^")
            if dt == f"<{XSD}boolean>" and lexical in ('"true"', '"false"'):
                return lexical[1:-1]
            return f"{lexical}^^{self.iri(dt)}"
        return term


def write_trig(ds: Dataset) -> Iterator[str]:
    comp = _Compactor()
    for prefix, ns in PREFIXES.items():
        yield f"@prefix {prefix}: <{ns}> .\n"
    for g, subjects in ds.graphs.items():
        yield f"\n{comp.iri(g)} {{\n"
        for s, pos in subjects.items():
            parts = [f"    {comp.iri(s)}"]
            prev_p = None
            for p, o in pos:
                if p == prev_p:
                    parts.append(f",\n            {comp.term(o)}")
                else:
                    parts.append(" " if prev_p is None else " ;\n        ")
                    parts.append(f"{comp.iri(p)} {comp.term(o)}")
                    prev_p = p
            parts.append(" .\n\n")
            yield "".join(parts)
        yield "}\n"


def _grouped(ds: Dataset) -> None:
    """Group each subject's statements by predicate (keeps first-seen order)."""
    for subjects in ds.graphs.values():
        for s, pos in subjects.items():
            order: dict[str, list[str]] = {}
            for p, o in pos:
                order.setdefault(p, []).append(o)
            subjects[s] = [(p, o) for p, objs in order.items() for o in objs]


def write_nquads(ds: Dataset) -> Iterator[str]:
    for g, subjects in ds.graphs.items():
        for s, pos in subjects.items():
            yield "".join(f"{s} {p} {o} {g} .\n" for p, o in pos)


def write(ds: Dataset, path: Path, fmt: str) -> None:
    _grouped(ds)
    chunks = write_trig(ds) if fmt == "trig" else write_nquads(ds)
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(chunks)


def generate(triples: int, path: Path, fmt: str = "trig", seed: int = DEFAULT_SEED) -> Dataset:
    ds = build(blocks_for(triples, seed), seed)
    write(ds, path, fmt)
    return ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, required=True, help="number of quads wanted")
    parser.add_argument("--out", type=Path, required=True, help="output file")
    parser.add_argument(
        "--format",
        choices=("trig", "nq"),
        default=None,
        help="trig or nq (N-Quads); default: from the file extension",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    fmt = args.format or ("nq" if args.out.suffix in (".nq", ".nquads") else "trig")
    t0 = time.perf_counter()
    ds = generate(args.triples, args.out, fmt, args.seed)
    print(
        f"{args.out}: {ds.quads} quads ({ds.triples()} distinct triples) in "
        f"{len(ds.graphs)} graphs, {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
