"""Named queries: the catalogue of research questions in ``queries/*.rq``.

Each ``.rq`` file is one question: a SPARQL query whose header, structured comment lines
starting with ``#+``, gives its titles and descriptions in German and English, its group,
its parameters and an example (the format is documented in ``queries/README.md``)::

    #+ title.de: Wer hatte ein Amt an einem Stichtag inne?
    #+ title.en: Who held an office on a given date?
    #+ description.de: …
    #+   (a line of "#+" and two or more spaces continues the previous value)
    #+ description.en: …
    #+ group: persons
    #+ param: office iri class=ipo:Office default=office:bb-integrationsbeauftragte label.de=Amt
    #+ param: date date default=2015-06-01 label.de=Stichtag label.en=Date
    #+ values: office SELECT DISTINCT ?value WHERE { … }
    #+ example: office=office:bb-integrationsbeauftragte date=2015-06-01
    SELECT ?office ?date ?person … WHERE { … }

A parameter named ``office`` binds the variable ``?office``. Values are typed and checked
(:meth:`Parameter.parse`, :func:`check_allowed`) and then bound by substitution
(pyoxigraph's ``Store.query(substitutions=…)``, SPARQL-dev SEP-0007): the query text is
never changed, so no value can change what the query does. pyoxigraph requires a bound
variable of a SELECT query to be in its projection, so every parameter is projected (and
the answer shows the value it was asked with).

Nothing here knows HTTP: the web layer (:mod:`kg.web.api_queries`, :mod:`kg.web.pages`) runs
the bound query through the query service's worker pool and uses the shapes made here
(:func:`rows_document`, :func:`csv_text`); the CLI and the tests run it directly (:func:`run`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal

import pyoxigraph as ox

from kg import linked_data as ld
from kg.errors import BrokenInputError, KgError, QueryError
from kg.namespaces import PREFIXES, SLUG_PATTERN
from kg.query_guard import GuardError, QueryForm, check_query
from kg.settings import Settings
from kg.store import KnowledgeGraph, evaluate

__all__ = [
    "GROUPS",
    "MAX_CHOICES",
    "MAX_STRING",
    "PARAMETER_TYPES",
    "RESERVED",
    "Binding",
    "Catalogue",
    "Choice",
    "Choices",
    "InvalidParameters",
    "NamedQuery",
    "Parameter",
    "ParameterError",
    "Table",
    "UnknownQuery",
    "allowed_errors",
    "bind_checked",
    "check_allowed",
    "choice_json",
    "choices",
    "compacted",
    "csv_text",
    "describe",
    "directory",
    "expand_iri",
    "iris_of",
    "labels_for",
    "listing",
    "parameter_list",
    "parse_file",
    "parse_text",
    "query_page_text",
    "render",
    "render_rows",
    "rows_document",
    "run",
    "shown",
    "snapshot",
    "sparql_term",
    "table",
    "table_from_body",
    "term_json",
]

ParameterType = Literal["iri", "date", "year", "integer", "string"]
PARAMETER_TYPES: Final[tuple[ParameterType, ...]] = ("iri", "date", "year", "integer", "string")

#: Request parameters that are not query parameters (the answer's format and language).
RESERVED: Final = frozenset({"format", "lang"})
#: Most allowed values listed for a parameter; beyond this a form shows a text field.
MAX_CHOICES: Final = 1000
#: Longest string parameter, in characters.
MAX_STRING: Final = 500

#: Groups of the gallery, in this order, with their names.
GROUPS: Final[dict[str, dict[str, str]]] = {
    "persons": {"de": "Personen und Ämter", "en": "Persons and offices"},
    "bodies": {"de": "Stellen und Gremien", "en": "Bodies and committees"},
    "conferences": {"de": "Konferenzen und Veranstaltungen", "en": "Conferences and events"},
    "documents": {"de": "Themen, Aufgaben und Konzepte", "en": "Topics, tasks and documents"},
    "sources": {"de": "Quellen", "en": "Sources"},
    "statistics": {"de": "Überblick in Zahlen", "en": "Counts"},
}

_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATATYPE: Final[dict[str, ox.NamedNode]] = {
    name: ox.NamedNode(_XSD + name) for name in ("date", "gYear", "gYearMonth", "integer", "string")
}
_LANGUAGES: Final = ("de", "en")
_KEYS: Final = frozenset(
    {"title.de", "title.en", "description.de", "description.en", "group", "param", "values"}
    | {"example"}
)
_REQUIRED_KEYS: Final = ("title.de", "title.en", "description.de", "description.en", "group")
_PARAM_OPTIONS: Final = frozenset({"class", "default", "label.de", "label.en"})
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_LINE: Final = re.compile(r"^ ([a-z]+(?:\.[a-z]+)?):(?: (.*))?$")
_DATE: Final = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_INTEGER: Final = re.compile(r"^[+-]?[0-9]{1,18}$")
_CURIE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):([A-Za-z0-9_][A-Za-z0-9_.\-]*)?$")
_SAFE_LOCAL: Final = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
#: The IRI schemes accepted in full; anything else before a colon must be a project prefix.
_SCHEMES: Final = frozenset({"http", "https", "urn", "mailto", "tel"})
_WHERE: Final = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
#: The allowed values of an ``iri`` parameter with ``class=``: its instances, subclasses too.
_CLASS_VALUES: Final = (
    "SELECT DISTINCT ?value ?class WHERE { ?value a ?type . ?type rdfs:subClassOf* ?class }"
)

Term = ox.NamedNode | ox.Literal


# ----------------------------------------------------------------- errors


class ParameterError(KgError):
    """One parameter value that is missing, unknown, malformed or not allowed."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"parameter {parameter!r}: {message}")


class InvalidParameters(KgError):
    """Every problem with the parameters of one request (at least one)."""

    def __init__(self, errors: Sequence[ParameterError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class UnknownQuery(KgError):
    def __init__(self, name: str, names: Sequence[str]) -> None:
        self.name = name
        self.names = list(names)
        super().__init__(
            f"there is no named query {name!r}; the named queries are: {', '.join(names)}"
        )


# ----------------------------------------------------------------- parameters


def expand_iri(text: str) -> str | None:
    """The IRI ``text`` names: a CURIE with a project prefix, ``<iri>`` or an absolute IRI."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    m = _CURIE.match(text)
    if m and m.group(1) in PREFIXES:
        return PREFIXES[m.group(1)] + (m.group(2) or "")
    if text.partition(":")[0].lower() not in _SCHEMES:
        return None  # most likely a CURIE with a misspelt prefix
    try:
        return ox.NamedNode(text).value
    except ValueError:
        return None


def shown(term: Term) -> str:
    """How a value is written in forms, URLs and answers: a CURIE where one fits."""
    if isinstance(term, ox.NamedNode):
        curie = ld.compact(term.value)
        return curie if curie != term.value else term.value
    return term.value


@dataclass(frozen=True, eq=False)
class Parameter:
    """A parameter of a named query: it binds the variable of the same name."""

    name: str
    type: ParameterType
    default: str | None = None
    cls: str | None = None  # iri parameters: values are instances of this class
    values_query: str | None = None  # a SELECT binding ?value: the allowed values
    label: Mapping[str, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def listed(self) -> bool:
        """Whether the allowed values come from the graph (a drop-down in forms)."""
        return self.values_query is not None or self.cls is not None

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("de") or self.name

    def parse(self, raw: str) -> Term:
        """The RDF term ``raw`` stands for; :class:`ParameterError` if it is not one."""
        text = raw.strip()
        if not text:
            raise ParameterError(self.name, "is empty; " + _HINT[self.type])
        if self.type == "iri":
            iri = expand_iri(text)
            if iri is None:
                raise ParameterError(self.name, f"{raw!r} is not an IRI; {_HINT['iri']}")
            return ox.NamedNode(iri)
        if self.type in ("date", "year"):
            return _date(self.name, text, year_only=self.type == "year")
        if self.type == "integer":
            if not _INTEGER.match(text):
                raise ParameterError(self.name, f"{raw!r} is not a whole number")
            return ox.Literal(str(int(text)), datatype=_DATATYPE["integer"])
        if len(text) > MAX_STRING:
            raise ParameterError(self.name, f"is longer than {MAX_STRING} characters")
        return ox.Literal(text)

    def values_job(self) -> tuple[str, dict[str, Term]] | None:
        """The query listing the allowed values (as ``?value``) and its substitutions."""
        if self.values_query is not None:
            return self.values_query, {}
        if self.cls is not None:
            return _CLASS_VALUES, {"class": ox.NamedNode(self.cls)}
        return None

    def openapi(self, example: str | None) -> dict[str, Any]:
        """The OpenAPI 3.1 Parameter Object of this parameter."""
        schema: dict[str, Any] = dict(_SCHEMAS[self.type])
        if self.default is not None:
            schema["default"] = int(self.default) if self.type == "integer" else self.default
        described = _TYPE_TEXT[self.type]
        if self.cls is not None:
            described += f"; an instance of {ld.compact(self.cls)}"
        if self.listed:
            described += "; allowed values are listed by GET /api/queries"
        spec: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": self.required,
            "description": f"{self.label_in('en')}: {described}. Binds ?{self.name}.",
            "schema": schema,
            "x-kg-type": self.type,
        }
        if self.cls is not None:
            spec["x-kg-class"] = self.cls
        if example is not None:
            spec["example"] = int(example) if self.type == "integer" else example
        return spec


_HINT: Final[dict[str, str]] = {
    "iri": "give an IRI (http, https, urn, mailto, tel) or a CURIE with a project prefix, "
    "e.g. person:susi-moebbeck",
    "date": "give a year (2016), a month (2016-10) or a day (2016-10-01)",
    "year": "give a year of four digits, e.g. 2016",
    "integer": "give a whole number, e.g. 20",
    "string": "give some text",
}
_TYPE_TEXT: Final[dict[str, str]] = {
    "iri": "an IRI, or a CURIE with a project prefix (person:…)",
    "date": "a date at the precision you know: YYYY, YYYY-MM or YYYY-MM-DD (xsd:gYear, "
    "xsd:gYearMonth, xsd:date); a year or month stands for its whole period",
    "year": "a year, YYYY (xsd:gYear)",
    "integer": "a whole number (xsd:integer)",
    "string": f"text, at most {MAX_STRING} characters (xsd:string)",
}
_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "iri": {"type": "string", "format": "iri-reference"},
    "date": {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"},
    "year": {"type": "string", "pattern": "^[0-9]{4}$"},
    "integer": {"type": "integer"},
    "string": {"type": "string", "maxLength": MAX_STRING},
}


def _date(name: str, text: str, *, year_only: bool) -> ox.Literal:
    """A date literal keeping its precision: xsd:gYear, xsd:gYearMonth or xsd:date."""
    m = _DATE.match(text)
    if not m or (year_only and m.group(2)):
        raise ParameterError(
            name,
            f"{text!r} is not a {'year' if year_only else 'date'}; "
            + _HINT["year" if year_only else "date"],
        )
    year, month, day = (int(g) if g else None for g in m.groups())
    assert year is not None
    if year < 1:
        raise ParameterError(name, f"{text!r}: there is no year 0")
    if month is not None and not 1 <= month <= 12:
        raise ParameterError(name, f"{text!r}: there is no month {month}")
    if month is not None and day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise ParameterError(name, f"{text!r} is not a day of the calendar") from None
        return ox.Literal(text, datatype=_DATATYPE["date"])
    return ox.Literal(text, datatype=_DATATYPE["gYearMonth" if month else "gYear"])


# ----------------------------------------------------------------- queries


@dataclass(frozen=True, eq=False)
class NamedQuery:
    """One question of the catalogue: a ``queries/<name>.rq`` file."""

    name: str
    path: Path
    title: Mapping[str, str]
    description: Mapping[str, str]
    group: str
    parameters: tuple[Parameter, ...]
    example: Mapping[str, str]
    body: str  # the query without its header
    form: QueryForm

    @property
    def result_kind(self) -> Literal["solutions", "boolean", "graph"]:
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        return "boolean" if self.form == "ASK" else "solutions"

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["de"]

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or self.description["de"]

    def bind(self, raw: Mapping[str, str | Sequence[str]]) -> Binding:
        """Typed values for ``raw`` (defaults filled in); :class:`InvalidParameters` if any fails.

        ``raw`` maps parameter names to a value or to the list of values a request gave
        (more than one is an error). Names in :data:`RESERVED` are ignored; every other
        unknown name is an error, so a misspelt parameter never silently falls back to
        the default. Whether a value is among the allowed ones needs the graph:
        :func:`bind_checked`.
        """
        values, errors = self.parse_values(raw)
        if errors:
            raise InvalidParameters(errors)
        return Binding(self, values)

    def parse_values(
        self, raw: Mapping[str, str | Sequence[str]]
    ) -> tuple[dict[str, Term], list[ParameterError]]:
        """The values that parse, and a :class:`ParameterError` for every other problem."""
        errors: list[ParameterError] = []
        given: dict[str, str] = {}
        for name, value in raw.items():
            if name in RESERVED:
                continue
            values = [value] if isinstance(value, str) else list(value)
            if self.parameter(name) is None:
                known = ", ".join(p.name for p in self.parameters) or "none"
                errors.append(
                    ParameterError(
                        name, f"is not a parameter of {self.name} (its parameters: {known})"
                    )
                )
            elif len(values) != 1:
                errors.append(ParameterError(name, f"was given {len(values)} times; give it once"))
            else:
                given[name] = values[0]
        bound: dict[str, Term] = {}
        for p in self.parameters:
            text = given.get(p.name, p.default)
            if text is None:
                if p.name not in {e.parameter for e in errors}:
                    errors.append(ParameterError(p.name, "is required; " + _HINT[p.type]))
                continue
            try:
                bound[p.name] = p.parse(text)
            except ParameterError as exc:
                errors.append(exc)
        return bound, errors

    def example_binding(self) -> Binding:
        return self.bind(dict(self.example))

    def default_binding(self) -> Binding | None:
        """The binding with every default, or ``None`` if a parameter is required."""
        if any(p.required for p in self.parameters):
            return None
        return self.bind({})


@dataclass(frozen=True)
class Binding:
    """A named query with a checked value for each of its parameters."""

    query: NamedQuery
    values: Mapping[str, Term]

    def shown(self) -> dict[str, str]:
        """Each value as written in forms and URLs: ``{"office": "office:bb-…"}``."""
        return {name: shown(term) for name, term in self.values.items()}

    def wire(self) -> tuple[tuple[str, str], ...]:
        """The values as (name, N-Triples term) pairs: picklable, and a cache key."""
        return tuple((name, str(term)) for name, term in self.values.items())


# ----------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Catalogue:
    """The named queries of a project, in the order of their file names."""

    directory: Path
    queries: tuple[NamedQuery, ...] = ()

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self.queries)

    def __len__(self) -> int:
        return len(self.queries)

    def names(self) -> list[str]:
        return [q.name for q in self.queries]

    def get(self, name: str) -> NamedQuery:
        for q in self.queries:
            if q.name == name:
                return q
        raise UnknownQuery(name, self.names())

    def grouped(self) -> list[tuple[str, list[NamedQuery]]]:
        """(group, queries) in the order of :data:`GROUPS`."""
        return [
            (g, [q for q in self.queries if q.group == g])
            for g in GROUPS
            if any(q.group == g for q in self.queries)
        ]

    @classmethod
    def load(cls, directory: Path) -> Catalogue:
        """Every ``*.rq`` in ``directory`` (none if it does not exist); BrokenInputError if bad."""
        if not directory.is_dir():
            return cls(directory)
        return cls(directory, tuple(parse_file(p) for p in sorted(directory.glob("*.rq"))))


def parse_file(path: Path) -> NamedQuery:
    """A named query from its file; :class:`BrokenInputError` naming the line of a problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BrokenInputError(f"cannot read the query: {exc}", path=path) from exc
    return parse_text(text, path)


def _broken(path: Path, line: int | None, message: str) -> BrokenInputError:
    return BrokenInputError(message, path=path, line=line)


def _header(text: str, path: Path) -> tuple[list[tuple[int, str, str]], str, int]:
    """The header entries (line, key, value), the body and the body's first line number."""
    lines = text.splitlines()
    entries: list[tuple[int, str, str]] = []
    index = 0
    for index, line in enumerate(lines):
        if not line.startswith("#+"):
            break
        rest = line[2:]
        if not rest.strip():
            continue
        if rest.startswith("  "):
            if not entries:
                raise _broken(path, index + 1, "a continuation line before any '#+ key: value'")
            number, key, value = entries[-1]
            entries[-1] = (number, key, value + "\n" + rest.strip())
            continue
        m = _KEY_LINE.match(rest)
        if not m:
            raise _broken(path, index + 1, "a header line is '#+ key: value'")
        entries.append((index + 1, m.group(1), (m.group(2) or "").strip()))
    else:
        index = len(lines)
    return entries, "\n".join(lines[index:]).strip() + "\n", index + 1


def parse_text(text: str, path: Path) -> NamedQuery:
    """A named query from the text of ``path`` (see the module docstring for the header)."""
    name = path.stem
    if not SLUG_PATTERN.match(name):
        raise _broken(path, None, f"the file name {name!r} is not a slug (lower-case words, '-')")
    entries, body, body_line = _header(text, path)
    single: dict[str, str] = {}
    params: list[tuple[int, str]] = []
    values: dict[str, tuple[int, str]] = {}
    example: dict[str, str] = {}
    for number, key, value in entries:
        if key not in _KEYS:
            raise _broken(path, number, f"unknown header key {key!r}; known: {sorted(_KEYS)}")
        if key == "param":
            params.append((number, value))
        elif key == "values":
            pname, _, values_text = value.partition(" ")
            if not values_text.strip():
                raise _broken(path, number, "'#+ values: NAME SELECT …' needs a name and a query")
            values[pname] = (number, values_text.strip())
        elif key == "example":
            try:
                tokens = shlex.split(value)
            except ValueError as exc:
                raise _broken(path, number, f"cannot split the example: {exc}") from None
            for token in tokens:
                pname, eq, pvalue = token.partition("=")
                if not eq:
                    raise _broken(path, number, f"an example value is NAME=VALUE, not {token!r}")
                example[pname] = pvalue
        elif key in single:
            raise _broken(path, number, f"the header gives {key!r} twice")
        else:
            single[key] = " ".join(value.split())
    for key in _REQUIRED_KEYS:
        if not single.get(key):
            raise _broken(path, 1, f"the header has no '#+ {key}: …'")
    if single["group"] not in GROUPS:
        raise _broken(path, 1, f"unknown group {single['group']!r}; groups: {', '.join(GROUPS)}")
    try:
        form = check_query(body).form
    except GuardError as exc:
        line = exc.line + body_line - 1 if exc.line is not None else body_line
        raise _broken(path, line, f"the query: {exc}") from None
    parameters = tuple(_parameter(path, number, value, values) for number, value in params)
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise _broken(path, params[0][0], "a parameter is declared twice")
    for pname, (number, _) in values.items():
        if pname not in names:
            raise _broken(path, number, f"'#+ values:' names no parameter: {pname!r}")
    code = _without_comments(body)
    for p in parameters:
        if not re.search(rf"[?$]{re.escape(p.name)}\b", code):
            raise _broken(path, body_line, f"the query does not use ?{p.name}")
    if parameters and not _WHERE.search(code):
        raise _broken(path, body_line, "a query with parameters needs 'WHERE {'")
    query = NamedQuery(
        name=name,
        path=path,
        title={lang: single[f"title.{lang}"] for lang in _LANGUAGES},
        description={lang: single[f"description.{lang}"] for lang in _LANGUAGES},
        group=single["group"],
        parameters=parameters,
        example=example,
        body=body,
        form=form,
    )
    example_line = next((n for n, k, _ in entries if k == "example"), None)
    if parameters and example_line is None:
        raise _broken(path, 1, "a query with parameters needs '#+ example: NAME=VALUE …'")
    try:
        query.example_binding()
    except InvalidParameters as exc:
        raise _broken(path, example_line, f"the example: {exc}") from None
    return query


def _parameter(
    path: Path, number: int, text: str, values: Mapping[str, tuple[int, str]]
) -> Parameter:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise _broken(path, number, f"cannot split the parameter: {exc}") from None
    if len(tokens) < 2:
        raise _broken(path, number, "'#+ param: NAME TYPE [class=…] [default=…] [label.de=…]'")
    name, kind, *rest = tokens
    if not _NAME.match(name) or name in RESERVED:
        raise _broken(
            path,
            number,
            f"{name!r} cannot name a parameter (a SPARQL variable name, "
            f"not {' or '.join(sorted(RESERVED))})",
        )
    if kind not in PARAMETER_TYPES:
        raise _broken(path, number, f"unknown type {kind!r}; types: {', '.join(PARAMETER_TYPES)}")
    options: dict[str, str] = {}
    for token in rest:
        key, eq, value = token.partition("=")
        if not eq or key not in _PARAM_OPTIONS:
            raise _broken(
                path,
                number,
                f"unknown option {token!r}; options: {', '.join(sorted(_PARAM_OPTIONS))}",
            )
        options[key] = value
    cls = None
    if "class" in options:
        if kind != "iri":
            raise _broken(path, number, "only iri parameters take class=")
        cls = expand_iri(options["class"])
        if cls is None:
            raise _broken(path, number, f"class={options['class']!r} is not an IRI or CURIE")
    values_query = None
    if name in values:
        values_line, values_query = values[name]
        try:
            form = check_query(values_query).form
        except GuardError as exc:
            raise _broken(path, values_line, f"the values query: {exc}") from None
        if form != "SELECT" or not re.search(r"[?$]value\b", values_query):
            raise _broken(path, values_line, "the values query is a SELECT binding ?value")
    parameter = Parameter(
        name=name,
        type=kind,
        default=options.get("default"),
        cls=cls,
        values_query=values_query,
        label={lang: options[f"label.{lang}"] for lang in _LANGUAGES if f"label.{lang}" in options},
    )
    if parameter.default is not None:
        try:
            parameter.parse(parameter.default)
        except ParameterError as exc:
            raise _broken(path, number, f"the default: {exc}") from None
    return parameter


def _without_comments(body: str) -> str:
    """``body`` with whole-line comments blanked (same length: offsets stay valid)."""
    return "\n".join(
        " " * len(line) if line.lstrip().startswith("#") else line for line in body.split("\n")
    )


# ----------------------------------------------------------------- allowed values


@dataclass(frozen=True)
class Choice:
    """An allowed value: the term, its form in URLs and its label."""

    term: Term
    text: str
    label: str
    lang: str | None = None


@dataclass(frozen=True)
class Choices:
    """The allowed values of a parameter; ``complete`` is false past :data:`MAX_CHOICES`."""

    items: tuple[Choice, ...]
    complete: bool


def _query(graph: KnowledgeGraph, text: str, substitutions: Mapping[str, Term]) -> Any:
    subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(name): term for name, term in substitutions.items()
    }
    try:
        return evaluate(graph.store, text, substitutions=subs or None)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"SPARQL evaluation error: {exc}") from exc


def choices(graph: KnowledgeGraph, parameter: Parameter, lang: str) -> Choices | None:
    """The values ``parameter`` may take, labelled in ``lang``; ``None`` if any value may."""
    job = parameter.values_job()
    if job is None:
        return None
    terms: list[Term] = []
    seen: set[str] = set()
    complete = True
    for solution in _query(graph, *job):
        term = solution["value"]
        if not isinstance(term, ox.NamedNode | ox.Literal) or str(term) in seen:
            continue
        if len(terms) == MAX_CHOICES:
            complete = False
            break
        seen.add(str(term))
        terms.append(term)
    names = ld.labels(graph, [t.value for t in terms if isinstance(t, ox.NamedNode)], lang)
    items = []
    for term in terms:
        label = names.get(term.value) if isinstance(term, ox.NamedNode) else None
        items.append(
            Choice(
                term,
                shown(term),
                label.value if label is not None else shown(term),
                label.language if label is not None else None,
            )
        )
    if parameter.type == "integer":
        items.sort(key=lambda c: int(c.term.value) if _INTEGER.match(c.term.value) else 0)
    else:
        items.sort(key=lambda c: (c.label.casefold(), c.text))
    return Choices(tuple(items), complete)


def _same(a: Term, b: Term) -> bool:
    if isinstance(a, ox.NamedNode) or isinstance(b, ox.NamedNode):
        return isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode) and a.value == b.value
    if _INTEGER.match(a.value) and _INTEGER.match(b.value):
        return int(a.value) == int(b.value)
    return a.value == b.value


def check_allowed(
    graph: KnowledgeGraph,
    binding: Binding,
    listed: Mapping[str, Choices | None] | None = None,
) -> None:
    """:class:`InvalidParameters` for every value that is not among its allowed values.

    ``listed`` may give the :func:`choices` already computed (the web layer keeps them).
    """
    errors = allowed_errors(graph, binding.query, binding.values, listed)
    if errors:
        raise InvalidParameters(errors)


def bind_checked(
    graph: KnowledgeGraph,
    query: NamedQuery,
    raw: Mapping[str, str | Sequence[str]],
    listed: Mapping[str, Choices | None] | None = None,
) -> Binding:
    """:meth:`NamedQuery.bind` and :func:`check_allowed`, reporting every problem at once."""
    values, errors = query.parse_values(raw)
    errors += allowed_errors(graph, query, values, listed)
    if errors:
        raise InvalidParameters(errors)
    return Binding(query, values)


def allowed_errors(
    graph: KnowledgeGraph,
    query: NamedQuery,
    values: Mapping[str, Term],
    listed: Mapping[str, Choices | None] | None = None,
) -> list[ParameterError]:
    """A :class:`ParameterError` for each value in ``values`` not among its allowed values.

    Past :data:`MAX_CHOICES` an IRI is checked by running the values query with ``?value``
    bound to it (by substitution, as always).
    """
    errors: list[ParameterError] = []
    for p in query.parameters:
        if p.name not in values:
            continue
        if listed is not None and p.name in listed:
            allowed = listed[p.name]
        else:
            allowed = choices(graph, p, "de")
        if allowed is None:
            continue
        term = values[p.name]
        if allowed.complete:
            ok = any(_same(term, c.term) for c in allowed.items)
        elif isinstance(term, ox.NamedNode):
            text, subs = p.values_job() or ("", {})
            ok = any(True for _ in _query(graph, text, {**subs, "value": term}))
        else:
            ok = True
        if not ok:
            some = ", ".join(c.text for c in allowed.items[:10])
            more = ", …" if len(allowed.items) > 10 else ""
            errors.append(
                ParameterError(
                    p.name, f"{shown(term)} is not one of the allowed values: {some}{more}"
                )
            )
    return errors


# ----------------------------------------------------------------- running and answers


def run(graph: KnowledgeGraph, binding: Binding) -> ox.QuerySolutions | ox.QueryBoolean | Any:
    """Evaluate ``binding`` directly on ``graph`` (CLI, tests); QueryError if it fails."""
    return _query(graph, binding.query.body, binding.values)


@dataclass(frozen=True)
class Table:
    """An answer as columns and rows of terms (``None``: unbound), or a boolean (ASK).

    A graph (CONSTRUCT, DESCRIBE) is a table of ``subject``, ``predicate``, ``object``,
    sorted, since a graph has no order.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...], ...]
    boolean: bool | None = None


def table(result: Any) -> Table:
    """A :class:`Table` from a pyoxigraph result (raises QueryError while evaluating)."""
    try:
        if isinstance(result, ox.QueryBoolean):
            return Table((), (), bool(result))
        if isinstance(result, ox.QuerySolutions):
            columns = tuple(v.value for v in result.variables)
            return Table(columns, tuple(tuple(s[c] for c in columns) for s in result))
        triples = sorted(
            ((t.subject, t.predicate, t.object) for t in result),
            key=lambda t: (str(t[0]), str(t[1]), str(t[2])),
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"SPARQL evaluation error: {exc}") from exc
    return Table(("subject", "predicate", "object"), tuple(triples))


def table_from_body(body: bytes, fmt: str) -> Table:
    """A :class:`Table` from a serialised answer: SPARQL JSON (``json``) or ``ntriples``."""
    if fmt == "ntriples":
        return table(ox.parse(io.BytesIO(body), format=ox.RdfFormat.N_TRIPLES))
    return table(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))


def iris_of(answer: Table) -> set[str]:
    return {t.value for row in answer.rows for t in row if isinstance(t, ox.NamedNode)}


def term_json(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | None, labels: Mapping[str, ox.Literal]
) -> dict[str, str] | None:
    """A cell of the rows shape: ``{"type", "value"}`` with ``label``, ``lang`` or ``datatype``."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        cell = {"type": "iri", "value": term.value}
        label = labels.get(term.value)
        if label is not None:
            cell["label"] = label.value
        return cell
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    cell = {"type": "literal", "value": term.value}
    if term.language:
        cell["lang"] = term.language
    elif term.datatype is not None and term.datatype != _DATATYPE["string"]:
        cell["datatype"] = term.datatype.value
    return cell


def rows_document(
    answer: Table,
    labels: Mapping[str, ox.Literal],
    *,
    name: str | None,
    parameters: Mapping[str, str],
    title: str | None = None,
) -> dict[str, Any]:
    """The simple rows shape (documented in ``queries/README.md``)::

    {"query": name, "title": …, "parameters": {…}, "columns": [...],
     "rows": [{column: {"type": "iri", "value": …, "label": …} | null}], "count": n}

    An ASK answer has ``"boolean"`` instead of rows.
    """
    document: dict[str, Any] = {"query": name}
    if title is not None:
        document["title"] = title
    document["parameters"] = dict(parameters)
    if answer.boolean is not None:
        document["boolean"] = answer.boolean
        return document
    document["columns"] = list(answer.columns)
    document["rows"] = [
        {c: term_json(t, labels) for c, t in zip(answer.columns, row, strict=True)}
        for row in answer.rows
    ]
    document["count"] = len(answer.rows)
    return document


def csv_text(answer: Table, labels: Mapping[str, ox.Literal]) -> str:
    """CSV (RFC 4180) with a ``<column>_label`` column after every column holding IRIs.

    Cells are the plain values (IRIs in full, literals' lexical form, ``_:id`` for a blank
    node, empty when unbound); a label is the resource's label in the requested language.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if answer.boolean is not None:
        writer.writerow(["boolean"])
        writer.writerow(["true" if answer.boolean else "false"])
        return out.getvalue()
    with_iris = [
        any(isinstance(row[i], ox.NamedNode) for row in answer.rows)
        for i in range(len(answer.columns))
    ]
    header: list[str] = []
    for column, iris in zip(answer.columns, with_iris, strict=True):
        header += [column, f"{column}_label"] if iris else [column]
    writer.writerow(header)
    for row in answer.rows:
        cells: list[str] = []
        for term, iris in zip(row, with_iris, strict=True):
            if term is None:
                cells.append("")
            elif isinstance(term, ox.BlankNode):
                cells.append(f"_:{term.value}")
            else:
                cells.append(term.value)
            if iris:
                label = labels.get(term.value) if isinstance(term, ox.NamedNode) else None
                cells.append(label.value if label is not None else "")
        writer.writerow(cells)
    return out.getvalue()


def sparql_term(term: Term) -> str:
    """``term`` in SPARQL syntax, with the project prefixes where they fit."""
    if isinstance(term, ox.NamedNode):
        curie = ld.compact(term.value)
        if curie != term.value and _SAFE_LOCAL.match(curie.partition(":")[2]):
            return curie
        return f"<{term.value}>"
    if term.language or term.datatype is None or term.datatype == _DATATYPE["string"]:
        return str(term)  # N-Triples escaping
    quoted = str(ox.Literal(term.value))
    datatype = ld.compact(term.datatype.value)
    return f"{quoted}^^{datatype if datatype != term.datatype.value else str(term.datatype)}"


def query_page_text(binding: Binding, lang: str = "de") -> str:
    """The query with its values for the query page (which has no parameters).

    The values are a ``VALUES`` block at the start of the outermost ``WHERE { … }``:
    standard SPARQL, with the same meaning as the substitution the API uses, written
    from the checked terms (never from the request's text). The API itself never
    runs this text.
    """
    q = binding.query
    head = f"# {q.title_in(lang)}\n"
    if not binding.values:
        return head + q.body
    names = " ".join(f"?{name}" for name in binding.values)
    terms = " ".join(sparql_term(t) for t in binding.values.values())
    note = (
        "# Parameter, hier als VALUES gebunden (die API bindet sie per Substitution):\n"
        if lang == "de"
        else "# Parameters, bound here with VALUES (the API binds them by substitution):\n"
    )
    m = _WHERE.search(_without_comments(q.body))
    assert m is not None  # parse_text checks this for queries with parameters
    insert = f"\n  VALUES ({names}) {{ ({terms}) }}"
    return note + head + q.body[: m.end()] + insert + q.body[m.end() :]


def labels_for(graph: KnowledgeGraph, answer: Table, lang: str) -> dict[str, ox.Literal]:
    """The labels of the IRIs in ``answer``, in ``lang`` (German, then any, as fallback)."""
    return ld.labels(graph, iris_of(answer), lang)


def describe(query: NamedQuery, lang: str) -> dict[str, Any]:
    """The catalogue entry of ``query`` (without allowed values), as the API lists it."""
    return {
        "name": query.name,
        "title": dict(query.title),
        "description": dict(query.description),
        "group": query.group,
        "form": query.form,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "class": p.cls,
                "default": p.default,
                "required": p.required,
                "label": {lang_: p.label_in(lang_) for lang_ in _LANGUAGES},
            }
            for p in query.parameters
        ],
        "example": dict(query.example),
        "sparql": query.body,
    }


def choice_json(c: Choice) -> dict[str, str]:
    return {"value": c.term.value, "text": c.text, "label": c.label}


def compacted(document: dict[str, Any]) -> dict[str, Any]:
    """A rows document with its IRIs and datatypes compacted and its labels left out."""

    def cell(value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        out = {k: v for k, v in value.items() if k != "label"}
        if out["type"] == "iri":
            out["value"] = ld.compact(out["value"])
        if "datatype" in out:
            out["datatype"] = ld.compact(out["datatype"])
        return out

    return {
        key: [{c: cell(v) for c, v in row.items()} for row in value] if key == "rows" else value
        for key, value in document.items()
        if key != "title"
    }


def snapshot(graph: KnowledgeGraph, query: NamedQuery) -> dict[str, Any]:
    """The answer of ``query`` to its example: the rows shape, compacted (:func:`compacted`).

    ``tests/queries_expected/<name>.json`` keeps it; a test compares.
    """
    binding = query.example_binding()
    answer = table(run(graph, binding))
    return compacted(rows_document(answer, {}, name=query.name, parameters=binding.shown()))


def parameter_list(values: Iterable[str]) -> dict[str, list[str]]:
    """``["office=office:x", "date=2016"]`` (CLI ``--param``) as a mapping; ValueError if bad."""
    result: dict[str, list[str]] = {}
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise ValueError(f"--param {item!r} is not NAME=VALUE")
        result.setdefault(name, []).append(value)
    return result


# ----------------------------------------------------------------- the command line


def directory(settings: Settings) -> Path:
    """Where the catalogue of a project lives: ``queries/`` in its root."""
    return settings.root / "queries"


def render(graph: KnowledgeGraph, binding: Binding, fmt: str, *, lang: str = "de") -> str:
    """``kg query --name``: the checked binding's answer as ``table``, ``csv``, ``json``, ``rows``.

    ``table`` and ``json`` (SPARQL JSON) are rendered as for any query; ``csv`` adds label
    columns (:func:`csv_text`); ``rows`` is :func:`rows_document`. A graph is Turtle in
    ``table`` and ``json``, a table of triples in ``csv`` and ``rows``.
    """
    from kg.report import render_query_results  # the report module is not needed to serve

    check_allowed(graph, binding)
    result = run(graph, binding)
    if fmt in ("table", "json"):
        return render_query_results(result, fmt)
    answer = table(result)
    labels = labels_for(graph, answer, lang)
    if fmt == "csv":
        return csv_text(answer, labels)
    document = rows_document(
        answer,
        labels,
        name=binding.query.name,
        parameters=binding.shown(),
        title=binding.query.title_in(lang),
    )
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_rows(graph: KnowledgeGraph, result: Any, *, lang: str = "de") -> str:
    """Any query's answer in the rows shape (``kg query --format rows``)."""
    answer = table(result)
    document = rows_document(answer, labels_for(graph, answer, lang), name=None, parameters={})
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def listing(catalogue: Catalogue, fmt: str, *, lang: str = "de") -> str:
    """``kg queries``: the catalogue as text (one block per query) or JSON."""
    if fmt == "json":
        entries = [describe(q, lang) for q in catalogue]
        return json.dumps({"queries": entries}, ensure_ascii=False, indent=2) + "\n"
    blocks = []
    for q in catalogue:
        lines = [f"{q.name}: {q.title_in(lang)}"]
        for p in q.parameters:
            details: list[str] = [p.type]
            if p.cls is not None:
                details.append(ld.compact(p.cls))
            details.append("required" if p.required else f"default {p.default}")
            if p.listed:
                details.append("values from the graph")
            lines.append(f"    --param {p.name}=…  ({', '.join(details)})")
        blocks.append("\n".join(lines))
    count = f"{len(catalogue)} named {'query' if len(catalogue) == 1 else 'queries'}"
    return "\n".join(blocks) + ("\n\n" if blocks else "") + f"{count} in {catalogue.directory}\n"
