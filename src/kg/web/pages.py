"""HTML pages, rendered on the server with Jinja2: no external CDN, little JavaScript.

* the home page (``/``): what the graph is, its sources, statistics, example queries, the
  dumps, VoID and the documentation (the dataset's HTML representation, served by
  :mod:`kg.web.resources`);
* a page per resource, named graph, the ontology documentation and the shapes (the HTML
  representations of :mod:`kg.web.resources`);
* ``/browse/<Class>``: the instances of an ``ipo:`` class and its subclasses, paged;
* ``/search?q=``: resources by label or slug;
* ``/timeline/offices`` and ``/timeline/intmk``: office holders over time; the editions of
  the conference of integration ministers with their chair Länder;
* ``/sparql`` for browsers (a request without ``query`` whose ``Accept`` prefers HTML;
  everything else goes to the SPARQL endpoint): an editor, example queries, results as a
  table, download links in every format, a shareable URL, clear errors.

Pages come in German (default) and English: ``Accept-Language`` or ``?lang=``.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jinja2
import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from kg import linked_data as ld
from kg import named_queries as nq
from kg import ontology_docs, query_pool, void
from kg.linked_data import Target
from kg.namespaces import IPO, PREFIXES
from kg.query_guard import GuardError
from kg.query_service import QueryTooLong
from kg.results import BY_NAME, formats_for
from kg.web import problems
from kg.web import resources as res

if TYPE_CHECKING:
    from kg.dumps import Dump

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

#: Interface text in each language (data labels come from the graph).
UI: dict[str, dict[str, str]] = {
    "de": {
        "site": "Wissensgraph Integrationspolitik",
        "skip": "Zum Inhalt springen",
        "nav": "Hauptnavigation",
        "home": "Start",
        "browse": "Stöbern",
        "search": "Suche",
        "search_label": "Suche nach Bezeichnung",
        "search_button": "Suchen",
        "query": "SPARQL-Abfrage",
        "ontology": "Ontologie",
        "timelines": "Zeitleisten",
        "offices_timeline": "Amtsinhaber im Zeitverlauf",
        "intmk_timeline": "Integrationsministerkonferenzen und Vorsitzländer",
        "language": "Sprache",
        "other_language": "English",
        "statements": "Aussagen",
        "property": "Eigenschaft",
        "value": "Wert",
        "sources": "Quellen",
        "source": "Quelle",
        "incoming": "Verweise auf diese Ressource",
        "no_incoming": "Keine andere Ressource verweist hierher.",
        "page": "Seite",
        "of": "von",
        "previous": "Zurück",
        "next": "Weiter",
        "pagination": "Seiten",
        "formats": "Als Daten",
        "iri": "IRI",
        "type": "Typ",
        "date": "Datum",
        "undated": "ohne Datum",
        "title": "Titel",
        "graph": "Graph",
        "triples": "Tripel",
        "entities": "Entitäten",
        "classes": "Klassen",
        "properties": "Eigenschaften",
        "graphs": "benannte Graphen",
        "statistics": "Statistik",
        "examples": "Beispielabfragen",
        "dumps": "Downloads",
        "file": "Datei",
        "size": "Größe",
        "checksum": "SHA-256",
        "self_description": "Selbstbeschreibung",
        "void": "VoID und DCAT-AP.de",
        "service_description": "SPARQL Service Description",
        "documentation": "Dokumentation der Ontologie",
        "results": "Ergebnisse",
        "no_results": "Keine Treffer.",
        "not_found": "Nicht gefunden",
        "not_found_text": "Diese IRI gehört zum Namensraum des Datensatzes, aber der Datensatz "
        "sagt nichts über sie.",
        "maybe": "Meinten Sie",
        "stated_in": "belegt in",
        "variances": "Die Quellen unterscheiden sich",
        "sources_disagree": "Die Quellen widersprechen sich.",
        "primary_secondary_disagree": "Primärquelle und Sekundärquelle widersprechen sich.",
        "sources_refine": "Die Quellen nennen es unterschiedlich genau.",
        "history": "Stand nach Quellen",
        "history_note": "Was jede Quelle zu Daten, Ort und Zuordnung sagt, die älteste zuerst; die "
        "letzte Zeile ist der neueste Stand.",
        str(IPO.PrimarySource): "Primärquelle",
        str(IPO.SecondarySource): "Sekundärquelle",
        str(IPO.ReferenceSource): "Referenzdaten",
        "contents": "Inhalt des Graphen",
        "about": "Aussagen über",
        "resources": "Ressourcen",
        "all": "Alle",
        "instances": "Instanzen",
        "used_by": "Verwendet von Shapes",
        "example": "Beispiel aus den Daten",
        "domain": "Definitionsbereich",
        "range": "Wertebereich",
        "alignments": "Ausrichtung",
        "definition": "Definition",
        "note": "Anmerkung",
        "version": "Version",
        "license": "Lizenz",
        "namespace": "Namensraum",
        "prefix": "Präfix",
        "class": "Klassen",
        "object-property": "Objekteigenschaften",
        "datatype-property": "Datentypeigenschaften",
        "individual": "Individuen",
        "toc": "Inhalt",
        "shapes": "SHACL-Shapes",
        "targets": "Zielklasse",
        "paths": "Eigenschaften",
        "editor": "Abfrage",
        "prefixes": "Vordefinierte Präfixe",
        "insert_prefixes": "Präfixe einfügen",
        "run": "Ausführen",
        "choose_example": "Beispiel wählen",
        "share": "Link zu dieser Abfrage",
        "download": "Herunterladen",
        "error": "Fehler",
        "timeout": "Zeitüberschreitung",
        "rows": "Zeilen",
        "seconds": "Sekunden",
        "true": "wahr",
        "false": "falsch",
        "since": "seit",
        "until": "bis",
        "as_of": "Stand",
        "open": "offen",
        "chair": "Vorsitz",
        "period": "Zeitraum",
        "motto": "Motto",
        "edition": "Auflage",
        "holder": "Inhaber/in",
        "office": "Amt",
        "as_table": "Als Tabelle",
        "timeline_note": "Daten in der Genauigkeit der Quelle; offene Amtszeiten reichen bis "
        "zum Datum ihrer Quelle (gestrichelt: Quelle ohne Datum).",
        "endpoint": "SPARQL-Endpunkt",
        "intro": "Wer hatte welches Amt wann inne, in welchem Gremium, mit welchen Aufgaben, "
        "auf welcher Konferenz – und laut welcher Quelle?",
        "open_data": "Offene Daten",
        "footer": "Daten unter CC BY 4.0. Jede Aussage steht im benannten Graphen ihrer Quelle.",
        "questions": "Fragen",
        "questions_title": "Fragen an den Graphen",
        "questions_intro": "Fertige Abfragen für häufige Forschungsfragen. Jede Frage hat ein "
        "Formular; die Antwort erscheint als Tabelle, mit der SPARQL-Abfrage dazu.",
        "all_questions": "Alle Fragen mit Formular",
        "parameters": "Parameter",
        "no_parameters": "Diese Frage hat keine Parameter.",
        "show_answer": "Antwort zeigen",
        "answer": "Antwort",
        "the_query": "Die SPARQL-Abfrage",
        "bound": "Gebunden werden",
        "open_in_editor": "Im Abfrage-Editor öffnen",
        "api": "Als API",
        "hint_date": "JJJJ, JJJJ-MM oder JJJJ-MM-TT",
        "hint_year": "JJJJ",
        "hint_integer": "ganze Zahl",
        "hint_iri": "IRI oder CURIE, z. B. person:susi-moebbeck",
        "hint_string": "Text",
        "invalid_parameters": "Bitte die markierten Angaben prüfen.",
        "back_to_questions": "Alle Fragen",
    },
    "en": {
        "site": "Integration Policy Knowledge Graph",
        "skip": "Skip to content",
        "nav": "Main navigation",
        "home": "Home",
        "browse": "Browse",
        "search": "Search",
        "search_label": "Search by label",
        "search_button": "Search",
        "query": "SPARQL query",
        "ontology": "Ontology",
        "timelines": "Timelines",
        "offices_timeline": "Office holders over time",
        "intmk_timeline": "Conferences of integration ministers and chair Länder",
        "language": "Language",
        "other_language": "Deutsch",
        "statements": "Statements",
        "property": "Property",
        "value": "Value",
        "sources": "Sources",
        "source": "Source",
        "incoming": "Links to this resource",
        "no_incoming": "No other resource links here.",
        "page": "Page",
        "of": "of",
        "previous": "Previous",
        "next": "Next",
        "pagination": "Pages",
        "formats": "As data",
        "iri": "IRI",
        "type": "Type",
        "date": "Date",
        "undated": "undated",
        "title": "Title",
        "graph": "Graph",
        "triples": "triples",
        "entities": "entities",
        "classes": "classes",
        "properties": "properties",
        "graphs": "named graphs",
        "statistics": "Statistics",
        "examples": "Example queries",
        "dumps": "Downloads",
        "file": "File",
        "size": "Size",
        "checksum": "SHA-256",
        "self_description": "Self-description",
        "void": "VoID and DCAT-AP.de",
        "service_description": "SPARQL Service Description",
        "documentation": "Ontology documentation",
        "results": "Results",
        "no_results": "Nothing found.",
        "not_found": "Not found",
        "not_found_text": "This IRI is in the dataset's namespace, but the dataset says "
        "nothing about it.",
        "maybe": "Did you mean",
        "stated_in": "stated in",
        "variances": "Where the sources differ",
        "sources_disagree": "The sources contradict each other.",
        "primary_secondary_disagree": "A primary and a secondary source contradict each other.",
        "sources_refine": "The sources state it with different precision.",
        "history": "As stated by each source",
        "history_note": "What each source says of dates, place and assignment, oldest first; the "
        "last row is the newest state.",
        str(IPO.PrimarySource): "primary source",
        str(IPO.SecondarySource): "secondary source",
        str(IPO.ReferenceSource): "reference data",
        "contents": "Contents of the graph",
        "about": "Statements about",
        "resources": "resources",
        "all": "All",
        "instances": "instances",
        "used_by": "Used by shapes",
        "example": "Example from the data",
        "domain": "Domain",
        "range": "Range",
        "alignments": "Alignments",
        "definition": "Definition",
        "note": "Note",
        "version": "Version",
        "license": "Licence",
        "namespace": "Namespace",
        "prefix": "Prefix",
        "class": "Classes",
        "object-property": "Object properties",
        "datatype-property": "Datatype properties",
        "individual": "Individuals",
        "toc": "Contents",
        "shapes": "SHACL shapes",
        "targets": "Target class",
        "paths": "Properties",
        "editor": "Query",
        "prefixes": "Predeclared prefixes",
        "insert_prefixes": "Insert prefixes",
        "run": "Run",
        "choose_example": "Pick an example",
        "share": "Link to this query",
        "download": "Download",
        "error": "Error",
        "timeout": "Timeout",
        "rows": "rows",
        "seconds": "seconds",
        "true": "true",
        "false": "false",
        "since": "since",
        "until": "until",
        "as_of": "as of",
        "open": "open",
        "chair": "Chair",
        "period": "Period",
        "motto": "Motto",
        "edition": "Edition",
        "holder": "Holder",
        "office": "Office",
        "as_table": "As a table",
        "timeline_note": "Dates at the precision of the source; open-ended tenures reach to "
        "the date of their source (dashed: the source is undated).",
        "endpoint": "SPARQL endpoint",
        "intro": "Who held which office when, in which body, with which tasks, at which "
        "conference – and according to which source?",
        "open_data": "Open data",
        "footer": "Data under CC BY 4.0. Every statement sits in the named graph of its source.",
        "questions": "Questions",
        "questions_title": "Questions to the graph",
        "questions_intro": "Ready-made queries for frequent research questions. Each question "
        "has a form; the answer comes as a table, with its SPARQL query.",
        "all_questions": "All questions with forms",
        "parameters": "Parameters",
        "no_parameters": "This question has no parameters.",
        "show_answer": "Show the answer",
        "answer": "Answer",
        "the_query": "The SPARQL query",
        "bound": "Bound",
        "open_in_editor": "Open in the query editor",
        "api": "As an API",
        "hint_date": "YYYY, YYYY-MM or YYYY-MM-DD",
        "hint_year": "YYYY",
        "hint_integer": "a whole number",
        "hint_iri": "IRI or CURIE, e.g. person:susi-moebbeck",
        "hint_string": "text",
        "invalid_parameters": "Please check the marked values.",
        "back_to_questions": "All questions",
    },
}

SECTION_LABELS = ontology_docs.SECTIONS


# ----------------------------------------------------------------- rendering


@cache
def environment() -> jinja2.Environment:
    """The template environment (made on first use, not at import)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["compact"] = ld.compact
    env.filters["filesize"] = _filesize
    return env


def _filesize(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    units = ["KiB", "MiB", "GiB"]
    size = float(n)
    for unit in units:
        size /= 1024
        if size < 1024:
            return f"{size:.1f} {unit}"
    return f"{size:.1f} TiB"


def _lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    return request.url.path + "?" + urlencode(params)


def render(request: Request, template: str, *, lang: str, **context: Any) -> str:
    """Render ``template`` with the context every page has."""
    s = res.site(request)
    base = s.base_url(request)
    other = "en" if lang == "de" else "de"

    def link(iri: str) -> str:
        return s.href(request, iri)

    def url(path: str, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return base + path.lstrip("/") + ("?" + urlencode(query) if query else "")

    page = environment().get_template(template)
    return page.render(
        request=request,
        lang=lang,
        other_lang=other,
        other_lang_url=_lang_url(request, other),
        t=UI[lang],
        base=base,
        link=link,
        url=url,
        view=term_view,
        **context,
    )


@dataclass(frozen=True)
class TermView:
    """How a term (IRI, blank node or literal) is shown in a page."""

    kind: str  # iri, bnode, literal
    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    title: str | None = None


def term_view(
    term: object, labels: dict[str, ox.Literal] | None = None, link: Callable[[str], str] = str
) -> TermView:
    """The display of a term: a labelled link, a blank node, a literal with its language."""
    if isinstance(term, ox.NamedNode):
        literal = (labels or {}).get(term.value)
        text = literal.value if literal is not None else ld.compact(term.value)
        return TermView(
            "iri",
            text,
            link(term.value),
            literal.language if literal is not None else None,
            title=term.value,
        )
    if isinstance(term, ox.BlankNode):
        return TermView("bnode", f"_:{term.value}")
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else None
        shown = None
        if dt and not term.language and not dt.endswith("#string"):
            shown = ld.compact(dt)
        return TermView("literal", term.value, lang=term.language, datatype=shown)
    return TermView("literal", str(term))


def _label_map(labels: dict[str, str]) -> dict[str, ox.Literal]:
    return {k: ox.Literal(v) for k, v in labels.items()}


async def render_document(
    request: Request, target: Target, *, lang: str, page: int
) -> tuple[str, int]:
    """The HTML representation of a document of :mod:`kg.web.resources`, and its pages."""
    s = res.site(request)
    if target.kind == "resource":
        desc = await s.run(ld.describe, target.iri, lang=lang, page=page)
        return render_resource(request, desc, lang=lang, target=target), desc.pages
    if target.kind == "graph":
        desc = await s.run(ld.describe, target.iri, lang=lang, page=1)
        gp = await s.run(ld.graph_page, target.iri, page=page)
        names = await s.run(ld.labels, gp.subjects, lang)
        html = render(
            request,
            "graph.html",
            lang=lang,
            graph=gp,
            subjects=[(iri, names.get(iri)) for iri in gp.subjects],
            **_resource_context(request, desc, target),
        )
        return html, gp.pages
    if target.kind == "ontology":
        doc = await s.ontology(lang)
        html = render(
            request,
            "ontology.html",
            lang=lang,
            doc=doc,
            sections=SECTION_LABELS,
            target=target,
            alternates=_alternates(request, target),
        )
        return html, 1
    if target.kind == "shapes":
        shapes = await s.shapes()
        assert shapes is not None
        node_shapes = await asyncio.to_thread(ontology_docs.node_shapes, shapes, lang)
        html = render(
            request,
            "shapes.html",
            lang=lang,
            shapes=node_shapes,
            target=target,
            alternates=_alternates(request, target),
        )
        return html, 1
    return await render_home(request, lang=lang, target=target), 1


def _alternates(request: Request, target: Target) -> list[tuple[str, str, str]]:
    """(label, url, media type) of the RDF representations of ``target``."""
    base = res.site(request).base_url(request)
    path = target.path if target.path != "/" else "/.well-known/void"
    names = {"turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples", "rdfxml": "RDF/XML"}
    return [
        (names[fmt], f"{base}{path.lstrip('/')}.{res.EXTENSIONS[fmt]}", media_type)
        for fmt, media_type in ld.RDF_MEDIA_TYPES.items()
    ]


def _resource_context(request: Request, desc: ld.Description, target: Target) -> dict[str, Any]:
    groups: dict[str, list[ld.Incoming]] = {}
    for inc in desc.incoming:
        groups.setdefault(inc.predicate.value, []).append(inc)
    by_predicate: dict[str, list[ld.Statement]] = {}
    for st in desc.outgoing:
        by_predicate.setdefault(st.predicate.value, []).append(st)
    return {
        "d": desc,
        "target": target,
        "by_predicate": by_predicate,
        "incoming": groups,
        "source_numbers": {src.graph: i + 1 for i, src in enumerate(desc.sources)},
        "alternates": _alternates(request, target),
    }


def render_resource(request: Request, desc: ld.Description, *, lang: str, target: Target) -> str:
    return render(request, "resource.html", lang=lang, **_resource_context(request, desc, target))


async def render_home(request: Request, *, lang: str, target: Target) -> str:
    s = res.site(request)
    stats = await s.statistics()
    dumps: dict[str, Dump] = await s.dumps()
    sources = await s.memo(ld.source_graphs, lang)
    counts = await s.memo(ld.class_counts, ld.BROWSABLE)
    class_names = await s.memo(ld.labels, ld.BROWSABLE, lang)
    return render(
        request,
        "home.html",
        lang=lang,
        stats=stats,
        dumps=list(dumps.values()),
        sources=sources,
        classes=[(c, class_names.get(c), counts.get(c, 0)) for c in ld.BROWSABLE],
        examples=examples(request, lang),
        title=void.TITLE[lang],
        description=void.DESCRIPTION[lang],
        target=target,
        alternates=_alternates(request, target),
    )


def render_not_found(
    request: Request, *, iri: str, words: str, hits: list[ld.Item], lang: str
) -> str:
    return render(request, "not_found.html", lang=lang, iri=iri, words=words, hits=hits)


# ----------------------------------------------------------------- lists, search, timelines

router = APIRouter()


def _html(body: str, request: Request, *parts: object, status: int = 200) -> Response:
    etag, last_modified = res.validators(request, *parts)
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        "Cache-Control": res.CACHE_CONTROL,
        "Vary": "Accept-Language",
    }
    return Response(
        body, status_code=status, media_type="text/html; charset=utf-8", headers=headers
    )


def _cached(request: Request, *parts: object) -> Response | None:
    etag, last_modified = res.validators(request, *parts)
    if res.not_modified(request, etag):
        headers = {"ETag": etag, "Last-Modified": last_modified, "Vary": "Accept-Language"}
        return Response(status_code=304, headers=headers)
    return None


@router.get("/browse", include_in_schema=False)
async def browse_index(request: Request) -> Response:
    """All classes with a list page."""
    lang = res.language(request)
    key = ("browse", lang, res.site(request).base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    s = res.site(request)
    counts = await s.memo(ld.class_counts, ld.BROWSABLE)
    names = await s.memo(ld.labels, ld.BROWSABLE, lang)
    body = render(
        request,
        "browse.html",
        lang=lang,
        classes=[(c, names.get(c), counts.get(c, 0)) for c in ld.BROWSABLE],
    )
    return _html(body, request, *key)


@router.get("/browse/{name}", include_in_schema=False)
async def browse(request: Request, name: str) -> Response:
    """The instances of ``ipo:<name>`` and its subclasses, sorted by label, 50 a page."""
    lang = res.language(request)
    page = res.page_number(request)
    key = ("browse", name, lang, page, res.site(request).base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    s = res.site(request)
    class_iri = str(IPO[name])
    if not name.isidentifier() or not await s.run(ld.is_class_term, class_iri):
        raise problems.NotFound(f"ipo:{name} is not a class of the ontology")
    items = await s.run(ld.instances, class_iri, lang=lang, page=page)
    names = await s.run(ld.labels, [class_iri, *{t for i in items.items for t in i.types}], lang)
    body = render(
        request,
        "list.html",
        lang=lang,
        class_iri=class_iri,
        class_label=names[class_iri].value if class_iri in names else f"ipo:{name}",
        items=items,
        type_labels=names,
    )
    return _html(body, request, *key)


@router.get("/search", include_in_schema=False)
async def search(request: Request) -> Response:
    """Resources whose label or slug contains ``q``."""
    lang = res.language(request)
    q = request.query_params.get("q", "").strip()[:200]
    page = res.page_number(request)
    s = res.site(request)
    hits = await s.run(ld.search, q, lang=lang, page=page) if q else None
    type_iris = {t for i in hits.items for t in i.types} if hits else set()
    names = await s.run(ld.labels, type_iris, lang)
    body = render(request, "search.html", lang=lang, q=q, hits=hits, type_labels=names)
    return _html(body, request, "search", q, lang, page, s.base_url(request))


@router.get("/timeline/offices", include_in_schema=False)
async def office_timeline(request: Request) -> Response:
    lang = res.language(request)
    key = ("timeline-offices", lang, res.site(request).base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    rows = await res.site(request).run(ld.office_timeline, lang=lang)
    years = [y for r in rows for sp in r.spans for y in (sp.start_year, sp.end_year) if y]
    now = max(years, default=2025.0)
    start = math.floor(min(years, default=2000.0))
    end = math.ceil(now) + 1
    body = render(
        request,
        "timeline_offices.html",
        lang=lang,
        rows=rows,
        start=start,
        end=end,
        ticks=_ticks(start, end),
    )
    return _html(body, request, *key)


@router.get("/timeline/intmk", include_in_schema=False)
async def intmk_timeline(request: Request) -> Response:
    lang = res.language(request)
    key = ("timeline-intmk", lang, res.site(request).base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    spans = await res.site(request).run(ld.conference_timeline, lang=lang)
    years = [y for sp in spans for y in (sp.start_year, sp.end_year) if y]
    start = math.floor(min(years, default=2020.0))
    end = math.ceil(max(years, default=2025.0))
    if end <= start:
        end = start + 1
    body = render(
        request,
        "timeline_intmk.html",
        lang=lang,
        spans=spans,
        start=start,
        end=end,
        ticks=_ticks(start, end),
    )
    return _html(body, request, *key)


def _ticks(start: int, end: int) -> list[int]:
    span = max(1, end - start)
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    return list(range(start, end + 1, step))


# ----------------------------------------------------------------- the query page


class QueryPageRoute(APIRoute):
    """Matches ``GET /sparql`` only for a browser without ``query``; else the endpoint answers.

    A request without ``query``, ``update`` and ``format`` whose ``Accept`` ranks HTML above
    every RDF format gets the query page; every other request does not match this route, so
    the router goes on to the SPARQL endpoint's route for the same path.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match == Match.NONE:
            return match, child
        request = Request(scope)
        params = request.query_params
        data_wanted = any(p in params for p in ("query", "update", "format"))
        if data_wanted or not res.prefers_html(request):
            return Match.NONE, {}
        return match, child


query_router = APIRouter(route_class=QueryPageRoute)


@dataclass
class QueryOutcome:
    form: str | None = None
    columns: list[str] | None = None
    rows: list[list[TermView | None]] | None = None
    boolean: bool | None = None
    count: int = 0
    seconds: float = 0.0
    error: str | None = None
    error_title: str | None = None
    line: int | None = None
    column: int | None = None
    downloads: list[tuple[str, str]] | None = None


async def run_query(
    request: Request,
    text: str,
    *,
    substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
    downloads: list[tuple[str, str]] | None = None,
) -> QueryOutcome:
    """Run ``text`` through the query service (guard, cache, worker pool) for the page.

    A named query passes its checked values as ``substitutions`` and its own download links.
    """
    s = res.site(request)
    service = s.service
    lang = res.language(request)
    t = UI[lang]
    try:
        guarded = service.check(text)
    except QueryTooLong as exc:
        return QueryOutcome(error=str(exc), error_title=t["error"])
    except GuardError as exc:
        return QueryOutcome(
            error=str(exc), error_title=t["error"], line=exc.line, column=exc.column
        )
    kind = guarded.result_kind
    fmt = BY_NAME["ntriples"] if kind == "graph" else BY_NAME["json"]
    if downloads is None:
        downloads = [
            (f.name, s.base_url(request) + "sparql?" + urlencode({"query": text, "format": f.name}))
            for f in formats_for(kind)
        ]
    started = time.perf_counter()
    try:
        answer = await service.run(guarded, fmt, substitutions=substitutions)
    except query_pool.QuerySyntaxError as exc:
        return QueryOutcome(form=guarded.form, error=str(exc), error_title=t["error"])
    except query_pool.QueryTimeout as exc:
        return QueryOutcome(
            form=guarded.form,
            error=f"{exc}. "
            + (
                "Schränken Sie die Abfrage ein (genauere Muster, LIMIT)."
                if lang == "de"
                else "Narrow the query (more specific patterns, a LIMIT)."
            ),
            error_title=t["timeout"],
        )
    except query_pool.QueryFailed as exc:
        return QueryOutcome(form=guarded.form, error=str(exc), error_title=t["error"])
    seconds = time.perf_counter() - started
    link = s.href
    outcome = QueryOutcome(form=guarded.form, count=answer.count, seconds=seconds)
    outcome.downloads = downloads
    if kind == "graph":
        triples = list(ox.parse(io.BytesIO(answer.body), format=ox.RdfFormat.N_TRIPLES))
        iris = {
            term.value
            for tr in triples
            for term in (tr.subject, tr.predicate, tr.object)
            if isinstance(term, ox.NamedNode)
        }
        names = await s.run(ld.labels, iris, lang)
        outcome.columns = ["subject", "predicate", "object"]
        outcome.rows = [
            [
                term_view(tr.subject, names, lambda i: link(request, i)),
                term_view(tr.predicate, names, lambda i: link(request, i)),
                term_view(tr.object, names, lambda i: link(request, i)),
            ]
            for tr in triples
        ]
        return outcome
    data = json.loads(answer.body)
    if "boolean" in data:
        outcome.boolean = bool(data["boolean"])
        return outcome
    columns: list[str] = data["head"]["vars"]
    bindings: list[dict[str, dict[str, str]]] = data["results"]["bindings"]
    iris = {b["value"] for row in bindings for b in row.values() if b["type"] == "uri"}
    names = await s.run(ld.labels, iris, lang)
    outcome.columns = columns
    outcome.rows = [
        [
            term_view(_term(row[c]), names, lambda i: link(request, i)) if c in row else None
            for c in columns
        ]
        for row in bindings
    ]
    return outcome


def _term(binding: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = binding["type"]
    if kind == "uri":
        return ox.NamedNode(binding["value"])
    if kind == "bnode":
        return ox.BlankNode(binding["value"])
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(binding["value"], datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(binding["value"])


@query_router.get("/sparql", include_in_schema=False)
async def query_page(request: Request) -> Response:
    """The query page: editor, examples, results table, downloads, shareable URL."""
    lang = res.language(request)
    s = res.site(request)
    text = request.query_params.get("q")
    example_id = request.query_params.get("example")
    offered = examples(request, lang)
    example = next((e for e in offered if e.id == example_id), None)
    if text is None and example is not None:
        text = example.text
    outcome = await run_query(request, text) if text and text.strip() else None
    share = s.base_url(request) + "sparql?" + urlencode({"q": text}) if text else None
    body = render(
        request,
        "query.html",
        lang=lang,
        text=text if text is not None else (offered[0].text if offered else DEFAULT_QUERY),
        examples=offered,
        outcome=outcome,
        share=share,
        prefixes=PREFIXES,
        endpoint=s.base_url(request) + "sparql",
        timeout=s.settings.query_timeout,
    )
    status = 200
    if outcome is not None and outcome.error is not None:
        status = 503 if outcome.error_title == UI[lang]["timeout"] else 400
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Vary": "Accept, Accept-Language", "Cache-Control": "no-store"},
    )


# ----------------------------------------------------------------- named queries

#: The query page's text when the catalogue is empty.
DEFAULT_QUERY = "SELECT ?class (COUNT(?s) AS ?n)\nWHERE { ?s a ?class }\nGROUP BY ?class\nLIMIT 100"


def catalogue(request: Request) -> nq.Catalogue:
    value: nq.Catalogue = request.app.state.catalogue
    return value


@dataclass(frozen=True)
class Example:
    """A named query as an example of the home page and the query page."""

    id: str
    title: str
    group: str
    text: str  # for the query page: the query with its example's values (VALUES)


def examples(request: Request, lang: str) -> list[Example]:
    """The catalogue's questions, by group, each with its example's values bound."""
    return [
        Example(
            q.name,
            q.title_in(lang),
            nq.GROUPS[g][lang],
            nq.query_page_text(q.example_binding(), lang),
        )
        for g, queries in catalogue(request).grouped()
        for q in queries
    ]


@dataclass(frozen=True)
class FormField:
    """A parameter in the form of a named query."""

    name: str
    label: str
    type: str
    value: str
    hint: str
    choices: tuple[nq.Choice, ...] | None  # a drop-down when the values come from the graph
    error: str | None
    required: bool


_PATTERNS = {
    "date": "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?",
    "year": "[0-9]{4}",
    "integer": "[+-]?[0-9]+",
}


@router.get("/queries", include_in_schema=False)
async def query_gallery(request: Request) -> Response:
    """The gallery of named queries, by group, each linking to its form."""
    lang = res.language(request)
    key = ("gallery", lang, res.site(request).base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    groups = [(nq.GROUPS[g][lang], queries) for g, queries in catalogue(request).grouped()]
    body = render(request, "queries.html", lang=lang, groups=groups)
    return _html(body, request, *key)


@router.get("/queries/{name}", include_in_schema=False)
async def named_query_page(request: Request, name: str) -> Response:
    """One question: its form (drop-downs from the graph), the answer as a table, the SPARQL."""
    from kg.web.api_queries import offered, public_name  # (api_queries imports this module)

    lang = res.language(request)
    s = res.site(request)
    try:
        query = catalogue(request).get(name)
    except nq.UnknownQuery as exc:
        raise problems.NotFound(str(exc), queries=exc.names) from exc
    params = request.query_params
    key = ("named-query", name, sorted(params.multi_items()), lang, s.base_url(request))
    if (cached := _cached(request, *key)) is not None:
        return cached
    raw = {k: params.getlist(k) for k in params if k not in nq.RESERVED}
    listed = {p.name: await s.memo(nq.choices, p, lang) for p in query.parameters}
    errors: dict[str, str] = {}
    binding: nq.Binding | None = None
    try:
        binding = await s.run(nq.bind_checked, query, raw, listed)
    except nq.InvalidParameters as exc:
        binding = None
        for e in exc.errors:
            errors.setdefault(e.parameter, e.message)
    t = UI[lang]
    fields = []
    for p in query.parameters:
        given = raw.get(p.name)
        allowed = listed[p.name]
        fields.append(
            FormField(
                name=p.name,
                label=p.label_in(lang),
                type=p.type,
                value=given[0] if given else (p.default or ""),
                hint="" if allowed is not None and allowed.complete else t[f"hint_{p.type}"],
                choices=allowed.items if allowed is not None and allowed.complete else None,
                error=errors.get(p.name),
                required=p.required,
            )
        )
    other_errors = [f"{n}: {m}" for n, m in errors.items() if query.parameter(n) is None]
    shown = binding.shown() if binding is not None else dict(query.example)
    base = s.base_url(request)
    api = base + "api/queries/" + name + ("?" + urlencode(shown) if shown else "")
    outcome = None
    if binding is not None:
        downloads = [
            (
                public_name(f),
                base
                + "api/queries/"
                + name
                + "?"
                + urlencode({**binding.shown(), "format": public_name(f), "lang": lang}),
            )
            for f in offered(query.result_kind)
        ]
        outcome = await run_query(
            request, query.body, substitutions=binding.values, downloads=downloads
        )
    editor = nq.query_page_text(binding or query.example_binding(), lang)
    body = render(
        request,
        "named_query.html",
        lang=lang,
        query=query,
        fields=fields,
        other_errors=other_errors,
        invalid=bool(errors),
        bound=[(f"?{n}", v) for n, v in (binding.shown() if binding else {}).items()],
        outcome=outcome,
        editor_url=base + "sparql?" + urlencode({"q": editor}),
        api=api,
        patterns=_PATTERNS,
    )
    status = 422 if errors else 200
    if outcome is not None and outcome.error is not None:
        status = 503 if outcome.error_title == t["timeout"] else 500
    return _html(body, request, *key, status=status)
