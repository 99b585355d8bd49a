"""A remote SPARQL 1.1 store behind the graph's server: the client side of the protocols.

``kg serve --store URL`` answers from a store that ``kg publish`` (:mod:`kg.publish`) has
loaded, instead of loading the data itself; the server stays the front: it checks, limits,
times and caches queries, serves linked data, named queries and VoID, and only sends the
store what the embedded store would have evaluated.

* **Protocols.** Queries use the SPARQL 1.1 Protocol query operation (§2.1.2, POST with
  form parameters) with an explicit RDF dataset (§2.1.4 ``default-graph-uri`` /
  ``named-graph-uri``; for Virtuoso the same dataset as ``FROM``/``FROM NAMED`` clauses in
  the text, SPARQL 1.1 Query §13.2, because it echoes every graph parameter as a response
  header: :func:`with_dataset`); ``kg publish`` uses the SPARQL 1.1 Graph Store HTTP
  Protocol (§5.4 ``PUT``; on Oxigraph its bulk-loading ``POST`` of a whole dataset) and
  SPARQL 1.1 Update (§3.1.1 ``INSERT DATA``, §3.1.2 ``DELETE DATA``, §3.2.2 ``DROP``,
  §3.2.4 ``MOVE``, §3.2.5 ``ADD``).
* **Default graph.** The embedded store's default graph is the RDF merge of the named
  graphs, a set (RDF 1.1 Concepts §4; :mod:`kg.store`). Oxigraph's server has a real
  default graph but no union as a set, and Virtuoso's default graph is every graph of the
  store, as a bag (both measured). So ``kg publish`` stores the merge as a graph of its
  own, :data:`MERGE_GRAPH`, and every query names the dataset explicitly: the merge as
  default graph, the published graphs as named graphs (only those; never the store's
  other graphs). A query's own ``FROM``/``FROM NAMED`` and the request's
  ``default-graph-uri``/``named-graph-uri`` are honoured as the embedded store does, but
  limited to the published graphs.
* **Query text.** The project's prefixes are declared in front of the text (the embedded
  store predeclares them), the rewriting pass of :mod:`kg.query_rewrite` is applied, and
  values of named queries are bound by substitution (SEP-0007) written into the text:
  every use of the variable in the pattern is replaced by the value and ``BIND(value AS
  ?var)`` opens the pattern, so the variable keeps its value in the answer (see
  :func:`substitute`).
* **The publication.** A manifest graph (:data:`MANIFEST_GRAPH`) records what was
  published: version, generation, state, the graphs with their sizes
  (:class:`Publication`). After every query the front checks that the generation it
  serves is still the stable one (one small ``ASK``), because Virtuoso applies an update
  request operation by operation and readers can see a half-moved graph (measured:
  see :mod:`kg.publish`); a query that overlapped a switch is refused with
  :class:`~kg.errors.PublicationChanged` instead of answered from mixed data.
* **Answers.** Solutions come as SPARQL XML results and graphs as N-Triples, counted
  while they arrive: more than the result limit stops the download. Virtuoso's partial
  answers (``X-SQL-State: S1TAT``, an "anytime" timeout) and its own row cap
  (``X-SPARQL-MaxRows``) are never passed on as answers; nor is Oxigraph's answer cut off
  by its ``--timeout-s``.

Credentials come from the environment only (``KG_STORE_USER``, ``KG_STORE_PASSWORD``;
HTTP Basic or Digest as the store asks); no message here ever contains them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Generator, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

import httpx
import pyoxigraph as ox

from kg.errors import (
    BrokenInputError,
    PublicationChanged,
    QueryError,
    StoreError,
    StoreRefused,
    StoreTimeout,
    StoreUnavailable,
)
from kg.namespaces import PREFIXES, PUBLICATION
from kg.query_guard import tokens
from kg.query_rewrite import optimize
from kg.settings import Settings

__all__ = [
    "CHECK_LATER",
    "EMPTY_GRAPH",
    "MANIFEST_GRAPH",
    "MERGE_GRAPH",
    "CheckLater",
    "Collector",
    "Endpoints",
    "Publication",
    "RemoteStore",
    "StoreInfo",
    "confine",
    "dataset_parameters",
    "prepare",
    "request_fields",
    "substitute",
    "with_dataset",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal

#: The RDF merge of all published graphs: the default graph of every query.
MERGE_GRAPH: Final = str(PUBLICATION["default"])
#: The graph that describes the publication (:class:`Publication`).
MANIFEST_GRAPH: Final = str(PUBLICATION["manifest"])
#: The publication itself, the subject of the manifest.
CURRENT: Final = str(PUBLICATION["current"])
#: A graph that never holds anything: the default graph when a request names only graphs
#: that are not published (as the embedded store, where such a graph is empty).
EMPTY_GRAPH: Final = str(PUBLICATION["empty"])

_P = {
    name: str(PUBLICATION[name])
    for name in (
        "state",
        "generation",
        "version",
        "modified",
        "published",
        "files",
        "quads",
        "triples",
        "graph",
        "staging",
        "changed",
        "digest",
    )
}
STABLE: Final = "stable"
SWITCHING: Final = "switching"

#: Seconds a store may take to accept a connection before it counts as unreachable.
CONNECT_TIMEOUT: Final = 5.0

_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")

SELECT_ACCEPT: Final = "application/sparql-results+xml"
GRAPH_ACCEPT: Final = "application/n-triples"


def shown(url: str) -> str:
    """A URL as it may appear in messages: without query string (and never with userinfo)."""
    return re.sub(r"//[^/@]*@", "//", url.split("?", 1)[0])


# ----------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoints:
    """Where the store answers queries, updates and the Graph Store Protocol, and as whom."""

    query: str
    update: str | None = None
    gsp: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpoints:
        if not settings.remote:
            raise BrokenInputError(
                "no remote store is configured; give --store URL (or set KG_STORE) with the "
                "store's SPARQL query URL"
            )
        if (settings.store_user is None) != (settings.store_password is None):
            raise BrokenInputError("give both KG_STORE_USER and KG_STORE_PASSWORD, or neither")
        return cls(
            settings.store,
            settings.store_update,
            settings.store_gsp,
            settings.store_user,
            settings.store_password,
        )

    def auth(self) -> httpx.Auth | None:
        if self.user is None or self.password is None:
            return None
        return ChallengeAuth(self.user, self.password)


class ChallengeAuth(httpx.Auth):
    """HTTP authentication as the store's challenge asks: Digest (RFC 7616; Virtuoso's
    ``/sparql-auth``) or Basic (RFC 7617; a reverse proxy). The scheme is learnt from the
    first ``401`` and used from then on."""

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._scheme: str | None = None

    def __repr__(self) -> str:
        return f"ChallengeAuth(scheme={self._scheme!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if self._scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        if challenge.startswith("digest"):
            self._scheme = "digest"
            yield from self._digest.auth_flow(request)
        elif challenge.startswith("basic"):
            self._scheme = "basic"
            yield from self._basic.auth_flow(request)


# ----------------------------------------------------------------- query text


_FORMS: Final = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class QueryShape:
    """What the front needs to know of a query's text (found by tokens, not parsed)."""

    form: str
    uses_graph: bool  # a GRAPH pattern: the named graphs matter
    from_default: tuple[str, ...]  # FROM <g>
    from_named: tuple[str, ...]  # FROM NAMED <g>
    declared: frozenset[str]  # prefixes the text declares itself
    used: frozenset[str]  # prefixes of the prefixed names it uses

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_default or self.from_named)

    @property
    def kind(self) -> str:
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        return "boolean" if self.form == "ASK" else "solutions"


@lru_cache(maxsize=4096)
def scan(text: str) -> QueryShape:
    """The :class:`QueryShape` of ``text`` (SPARQL 1.1 Query §19.8 tokens)."""
    sig = [m for m in tokens(text) if m.lastgroup not in ("ws", "comment")]
    form = ""
    uses_graph = False
    declared: dict[str, str] = {}
    used: set[str] = set()
    from_default: list[str] = []
    from_named: list[str] = []
    for i, m in enumerate(sig):
        kind, value = m.lastgroup, m.group()
        if kind == "word":
            word = value.upper()
            if not form and word in _FORMS:
                form = word
            elif word == "GRAPH":
                uses_graph = True
            elif word == "PREFIX" and i + 2 < len(sig) and sig[i + 2].lastgroup == "iri":
                declared[sig[i + 1].group().rstrip(":")] = sig[i + 2].group()[1:-1]
            elif word == "FROM" and i + 1 < len(sig):
                named = sig[i + 1].group().upper() == "NAMED"
                target = sig[i + 2] if named and i + 2 < len(sig) else sig[i + 1]
                iri = _iri_of(target, declared)
                if iri is not None:
                    (from_named if named else from_default).append(iri)
        elif kind == "pname":
            used.add(value.split(":", 1)[0])
    return QueryShape(
        form or "SELECT",
        uses_graph,
        tuple(from_default),
        tuple(from_named),
        frozenset(declared),
        frozenset(used),
    )


def _iri_of(token: re.Match[str], declared: Mapping[str, str]) -> str | None:
    if token.lastgroup == "iri":
        return token.group()[1:-1]
    if token.lastgroup == "pname":
        prefix, _, local = token.group().partition(":")
        namespace = declared.get(prefix, PREFIXES.get(prefix))
        return None if namespace is None else namespace + local
    return None


def _term_text(name: str, term: Term) -> str:
    if isinstance(term, ox.BlankNode):
        raise QueryError(f"?{name} cannot be bound to a blank node in a query sent to a store")
    return str(term)


def substitute(text: str, values: Mapping[str, Term]) -> str:
    """``text`` with each variable of ``values`` bound to its value (SEP-0007), in SPARQL.

    Inside the query pattern every occurrence of the variable becomes the value (in a
    sub-query's projection ``(value AS ?var)``), and ``BIND(value AS ?var)`` is put first
    in the pattern, so the projection, ``ORDER BY``, ``GROUP BY`` and a CONSTRUCT template
    still see the variable, bound to the value: the same answers as pyoxigraph's
    ``substitutions``. A variable the query assigns itself (``AS ?var``, ``VALUES ?var``)
    cannot be given a value: :class:`~kg.errors.QueryError`.
    """
    if not values:
        return text
    rendered = {name: _term_text(name, term) for name, term in values.items()}
    sig = [m for m in tokens(text) if m.lastgroup not in ("ws", "comment")]
    start = _pattern_start(sig)
    if start is None:
        raise QueryError("the query has no WHERE pattern to bind values in")
    replacements: list[tuple[int, int, str]] = []
    depth = 1
    projection = False  # inside a sub-query's SELECT clause
    parens = 0
    values_head = False  # between VALUES and its '{'
    modifier = False  # after a sub-query's GROUP BY or ORDER BY: only (expressions) allowed
    for i in range(start + 1, len(sig)):
        m = sig[i]
        kind, value = m.lastgroup, m.group()
        if kind == "word":
            word = value.upper()
            if word == "SELECT":
                projection, parens = True, 0
            elif word == "WHERE":
                projection = False
            elif word == "VALUES":
                values_head, modifier = True, False
            elif word == "BY" and sig[i - 1].group().upper() in ("GROUP", "ORDER"):
                modifier = True
            elif word in ("HAVING", "LIMIT", "OFFSET"):
                modifier = False
        elif kind == "open":
            if value == "{":
                depth += 1
                projection = values_head = modifier = False
            elif value == "(":
                parens += 1
        elif kind == "close":
            if value == "}":
                depth -= 1
                modifier = False
                if depth == 0:
                    break
            elif value == ")":
                parens -= 1
        elif kind == "var" and value[1:] in rendered:
            name = value[1:]
            before = sig[i - 1].group().upper()
            if before == "AS" or values_head:
                raise QueryError(
                    f"the query assigns ?{name} itself, so it cannot also be given a value"
                )
            term = rendered[name]
            if projection and parens == 0:
                replacement = f"({term} AS {value})"
            elif modifier:
                replacement = f"({term})"
            else:
                replacement = term
            replacements.append((m.start(), m.end(), replacement))
    opening = sig[start].end()
    binds = "".join(f" BIND({rendered[n]} AS ?{n})" for n in sorted(rendered))
    out = [text[:opening], binds]
    position = opening
    for begin, end, replacement in replacements:
        out.append(text[position:begin])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def _pattern_start(sig: Sequence[re.Match[str]]) -> int | None:
    """Index of the ``{`` that opens the query pattern (after a CONSTRUCT template)."""
    form = ""
    depth = 0
    where = False
    template = False
    for i, m in enumerate(sig):
        kind, value = m.lastgroup, m.group()
        if kind == "word":
            word = value.upper()
            if not form and word in _FORMS:
                form = word
            elif depth == 0 and word == "WHERE":
                where = True
        elif kind == "open" and value == "{":
            if depth == 0 and form:
                if form == "CONSTRUCT" and where and not template:
                    raise QueryError(
                        "values cannot be bound in a CONSTRUCT WHERE short form sent to a "
                        "store; write CONSTRUCT { … } WHERE { … }"
                    )
                if where or form != "CONSTRUCT":
                    return i
                template = True
            depth += 1
        elif kind == "close" and value == "}":
            depth -= 1
    return None


def prepare(
    text: str,
    values: Mapping[str, Term] | None = None,
    named: Collection[str] | None = None,
) -> str:
    """The text sent to the store for ``text``: values substituted, the rewriting pass,
    the dataset left to the request (:func:`confine`), the project's prefixes that it uses
    (and does not declare itself) declared first."""
    body = substitute(text, values) if values else text
    body = confine(optimize(body), named)
    shape = scan(body)
    header = "".join(
        f"PREFIX {p}: <{ns}>\n"
        for p, ns in PREFIXES.items()
        if p in shape.used and p not in shape.declared
    )
    return header + body


def confine(text: str, named: Collection[str] | None) -> str:
    """``text`` without ``FROM``/``FROM NAMED`` clauses, and with ``GRAPH <g> { … }`` for a
    graph outside ``named`` matching nothing (``FILTER(false)`` in its group).

    The front sends the whole dataset with the request (:func:`dataset_parameters`, which
    reads the query's own clauses first); Virtuoso would let the query's ``FROM`` win over
    the request (SPARQL 1.1 Protocol §2.1.4 says the opposite), and answers ``GRAPH <g>``
    for a graph outside ``named-graph-uri`` from its own graph or the default graph (both
    measured). The clauses are blanked with spaces, so positions in the text stay.
    """
    if "FROM" not in text.upper() and "GRAPH" not in text.upper():
        return text
    sig = [m for m in tokens(text) if m.lastgroup not in ("ws", "comment")]
    declared: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    for i, m in enumerate(sig):
        if m.lastgroup != "word":
            continue
        word = m.group().upper()
        if word == "PREFIX" and i + 2 < len(sig) and sig[i + 2].lastgroup == "iri":
            declared[sig[i + 1].group().rstrip(":")] = sig[i + 2].group()[1:-1]
        elif word == "FROM" and i + 1 < len(sig):
            last = i + 2 if sig[i + 1].group().upper() == "NAMED" else i + 1
            if last < len(sig) and sig[last].lastgroup in ("iri", "pname"):
                begin, end = m.start(), sig[last].end()
                edits.append((begin, end, re.sub(r"[^\n]", " ", text[begin:end])))
        elif word == "GRAPH" and named is not None and i + 2 < len(sig):
            graph = _iri_of(sig[i + 1], declared)
            if graph is not None and graph not in named and sig[i + 2].group() == "{":
                opening = sig[i + 2].end()  # a graph outside the dataset matches nothing
                edits.append((opening, opening, " FILTER(false)"))
    out = []
    position = 0
    for begin, end, replacement in edits:
        out += [text[position:begin], replacement]
        position = end
    out.append(text[position:])
    return "".join(out)


def header_lines(prepared: str, original_first_line: str) -> int:
    """How many lines :func:`prepare` put in front of the user's text."""
    return prepared.count("\n", 0, max(0, prepared.find(original_first_line)))


# ----------------------------------------------------------------- the dataset


def dataset_parameters(
    shape: QueryShape,
    graphs: Sequence[str],
    default_graphs: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """``default-graph-uri`` and ``named-graph-uri`` for a query (SPARQL 1.1 Protocol §2.1.4).

    The dataset the embedded store uses (pyoxigraph's rules, measured): without any, the
    default graph is the merge and the named graphs are the published ones; the query's
    ``FROM``/``FROM NAMED`` make its dataset (one without the other leaves that part empty);
    a request's ``default-graph-uri`` replaces the default graph (empty if only
    ``named-graph-uri`` is given), its ``named-graph-uri`` the named graphs. A graph that
    is not published is empty; the store's own graphs are never visible.
    """
    published = set(graphs)
    if default_graphs is None and named_graphs is None:
        default = list(shape.from_default) if shape.has_dataset else None
    else:
        default = list(default_graphs or ())
    if named_graphs is not None:
        named: list[str] | None = list(named_graphs)
    else:
        named = list(shape.from_named) if shape.has_dataset else None
    if default is None:
        params = [("default-graph-uri", MERGE_GRAPH)]
    else:
        params = [("default-graph-uri", g) for g in default if g in published]
        params = params or [("default-graph-uri", EMPTY_GRAPH)]
    if shape.uses_graph:
        chosen = list(graphs) if named is None else [g for g in named if g in published]
        params += [("named-graph-uri", g) for g in chosen or [EMPTY_GRAPH]]
    return params


def named_in(params: Sequence[tuple[str, str]]) -> set[str]:
    """The named graphs a request's parameters name."""
    return {value for key, value in params if key == "named-graph-uri"}


_MODIFIERS: Final = frozenset(("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"))


def _dataset_position(text: str) -> int:
    """Where the dataset clauses of ``text`` go (SPARQL 1.1 Query §16: ``DatasetClause*``
    right before the ``WhereClause``; for a ``DESCRIBE`` without one, before its solution
    modifiers or at the end)."""
    sig = [m for m in tokens(text) if m.lastgroup not in ("ws", "comment")]
    form = ""
    braces = parens = 0
    template = False  # a CONSTRUCT template has been passed
    for m in sig:
        kind, value = m.lastgroup, m.group()
        if kind == "word" and not form:
            if value.upper() in _FORMS:
                form = value.upper()
            continue
        if not form:
            continue
        top = braces == 0 and parens == 0
        if kind == "word" and top:
            word = value.upper()
            if word == "WHERE" or (form == "DESCRIBE" and word in _MODIFIERS):
                return m.start()
        elif kind == "open" and value == "(":
            parens += 1
        elif kind == "close" and value == ")":
            parens -= 1
        elif kind == "open" and value == "{":
            if top and (form != "CONSTRUCT" or template):
                return m.start()
            braces += 1
        elif kind == "close" and value == "}":
            braces -= 1
            if braces == 0 and parens == 0 and form == "CONSTRUCT":
                template = True
    return len(text)


def with_dataset(text: str, params: Sequence[tuple[str, str]]) -> str:
    """``text`` with the dataset of ``params`` (``default-graph-uri``/``named-graph-uri``)
    written into it as ``FROM``/``FROM NAMED`` clauses (SPARQL 1.1 Query §13.2).

    The same dataset (SPARQL 1.1 Protocol §2.1.4 makes the request's graphs replace the
    query's; here there are none left in the text, :func:`confine` blanked them), for a
    store that cannot take it as parameters: Virtuoso echoes each graph parameter as a
    response header (about 80 bytes each), so a request naming more than about 1,300
    graphs gets an answer whose headers no HTTP client reads (measured: httpx stops at
    100 KiB). The clauses go on one line, so line numbers in the store's messages stay.
    """
    clauses = [
        f"FROM <{g}>" if key == "default-graph-uri" else f"FROM NAMED <{g}>"
        for key, g in params
        if key in ("default-graph-uri", "named-graph-uri")
    ]
    if not clauses:
        return text
    at = _dataset_position(text)
    return f"{text[:at]} {' '.join(clauses)} {text[at:]}"


def request_fields(
    info: StoreInfo, text: str, params: Sequence[tuple[str, str]], timeout: float
) -> list[tuple[str, str]]:
    """The form fields of a query request to the store: the text, its dataset (as
    parameters, or in the text where the store needs it, :func:`with_dataset`) and the
    parameters that make the store honour the front's limits."""
    if info.dataset_in_text:
        dataset = ("default-graph-uri", "named-graph-uri")
        text = with_dataset(text, params)
        params = [(k, v) for k, v in params if k not in dataset]
    return [("query", text), *params, *info.extra_parameters(timeout)]


# ----------------------------------------------------------------- answers


class ResultCountExceeded(Exception):
    """More solutions or triples arrived than the limit allows."""

    def __init__(self, limit: int, unit: str) -> None:
        super().__init__(f"the result has more than {limit} {unit}")
        self.limit = limit
        self.unit = unit


class Collector:
    """Collects a response body, counting solutions (XML) or statements (N-Triples)
    as they arrive; stops at ``limit`` (:class:`ResultCountExceeded`)."""

    def __init__(self, kind: str, limit: int | None) -> None:
        self.marker = b".\n" if kind == "graph" else b"<result>"
        self.unit = "triples" if kind == "graph" else "solutions"
        self.limit = limit
        self.count = 0
        self.parts: list[bytes] = []
        self._tail = b""

    def add(self, chunk: bytes) -> None:
        window = self._tail + chunk
        self.count += window.count(self.marker) - self._tail.count(self.marker)
        self._tail = window[-(len(self.marker) - 1) :]
        self.parts.append(chunk)
        if self.limit is not None and self.count > self.limit:
            raise ResultCountExceeded(self.limit, self.unit)

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


def store_message(body: bytes, limit: int = 400) -> str:
    """The first lines of a store's error body, as one short line."""
    text = body.decode("utf-8", "replace")
    text = re.sub(r"<[^>]+>", " ", text) if "<html" in text[:200].lower() else text
    text = " ".join(text.split())
    text = text.split(" SPARQL query:", 1)[0]  # Virtuoso repeats the query after its message
    return text[:limit] + ("…" if len(text) > limit else "")


def check_response(
    status: int, headers: httpx.Headers, body: bytes, *, url: str, what: str
) -> None:
    """Raise the error a store's non-2xx status means (:class:`~kg.errors.StoreError`,
    or :class:`~kg.errors.QueryError` for a query the store could not evaluate)."""
    if status < 300:
        return
    message = store_message(body)
    where = shown(url)
    if status == 400 and what == "query":
        raise QueryError(f"the store could not parse the query: {message}")
    if status == 500 and what == "query":
        raise QueryError(f"the store could not evaluate the query: {message}")
    if status in (401, 403):
        raise StoreRefused(
            f"{where} refused the {what} ({status}): check KG_STORE_USER and KG_STORE_PASSWORD"
            + (f" ({message})" if message else "")
        )
    if status == 404:
        raise StoreRefused(f"{where} has no SPARQL {what} service (404); check the URL")
    if status in (502, 503, 504):
        raise StoreUnavailable(f"{where} is unavailable ({status}): {message or 'no message'}")
    raise StoreRefused(f"{where} refused the {what} ({status}): {message or 'no message'}")


def parse_answer(
    kind: str, headers: httpx.Headers, body: bytes, *, timeout: float
) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
    """A store's 2xx answer as pyoxigraph results (:class:`~kg.errors.StoreTimeout` for an
    answer the store cut off at its own timeout)."""
    state = headers.get("x-sql-state", "")
    if state == "S1TAT":  # Virtuoso's "anytime" answer: partial results at its timeout
        raise StoreTimeout(f"the query ran longer than {timeout:g} s and was stopped", timeout)
    if headers.get("x-sparql-maxrows"):  # Virtuoso cut the result at ResultSetMaxRows
        raise ResultCountExceeded(int(headers["x-sparql-maxrows"]), "solutions")
    try:
        if kind == "graph":
            return [
                ox.Triple(t.subject, t.predicate, t.object)
                for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            ]
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
    except (SyntaxError, ValueError) as exc:
        if b"has been cancelled" in body[-400:]:  # Oxigraph's server at its --timeout-s
            raise StoreTimeout(
                f"the query ran longer than the store's timeout and was stopped ({timeout:g} s "
                "here)",
                timeout,
            ) from exc
        raise StoreRefused(f"the store's answer is not valid ({exc})") from exc


def triples_result(triples: list[ox.Triple]) -> ox.QueryTriples:
    """Triples as a pyoxigraph CONSTRUCT result (what the embedded store returns)."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    result = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QueryTriples)
    return result


# ----------------------------------------------------------------- the publication


@dataclass(frozen=True)
class Publication:
    """What ``kg publish`` put in the store, as its manifest graph says."""

    version: str
    modified: datetime
    generation: int
    state: str
    graphs: dict[str, int]  # named graph -> triples
    triples: int  # distinct triples: the merge graph
    quads: int
    files: int
    published: datetime | None = None
    changed: int = 0  # statements the store changed while storing them
    staging: tuple[str, ...] = ()  # staging graphs of a publish in progress (or crashed)
    #: graph (and :data:`MERGE_GRAPH`) -> content digest of what was sent ("sha256:…",
    #: :func:`kg.publish.digest`); empty for a manifest written before digests were kept
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        return self.state == STABLE

    def triples_of_manifest(self) -> list[ox.Triple]:
        """The manifest graph's content (:data:`MANIFEST_GRAPH`)."""
        c = ox.NamedNode(CURRENT)

        def p(name: str) -> ox.NamedNode:
            return ox.NamedNode(_P[name])

        def integer(n: int) -> ox.Literal:
            return ox.Literal(str(n), datatype=_XSD_INTEGER)

        def instant(d: datetime) -> ox.Literal:
            return ox.Literal(d.astimezone(UTC).isoformat(), datatype=_XSD_DATETIME)

        out = [
            ox.Triple(c, p("state"), ox.Literal(self.state)),
            ox.Triple(c, p("generation"), integer(self.generation)),
            ox.Triple(c, p("version"), ox.Literal(self.version)),
            ox.Triple(c, p("modified"), instant(self.modified)),
            ox.Triple(c, p("triples"), integer(self.triples)),
            ox.Triple(c, p("quads"), integer(self.quads)),
            ox.Triple(c, p("files"), integer(self.files)),
            ox.Triple(c, p("changed"), integer(self.changed)),
        ]
        if self.published is not None:
            out.append(ox.Triple(c, p("published"), instant(self.published)))
        for graph, n in sorted(self.graphs.items()):
            g = ox.NamedNode(graph)
            out += [ox.Triple(c, p("graph"), g), ox.Triple(g, p("triples"), integer(n))]
        out += [
            ox.Triple(ox.NamedNode(graph), p("digest"), ox.Literal(value))
            for graph, value in sorted(self.digests.items())
        ]
        out += [ox.Triple(c, p("staging"), ox.NamedNode(s)) for s in self.staging]
        return out

    @classmethod
    def from_triples(cls, triples: Sequence[ox.Triple]) -> Publication | None:
        """The publication a manifest graph describes; ``None`` if it is empty."""
        current: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = {}
        sizes: dict[str, int] = {}
        digests: dict[str, str] = {}
        for t in triples:
            s, o = t.subject, t.object
            if not isinstance(s, ox.NamedNode) or not isinstance(
                o, ox.NamedNode | ox.BlankNode | ox.Literal
            ):
                continue
            if s.value == CURRENT:
                current.setdefault(t.predicate.value, []).append(o)
            elif t.predicate.value == _P["triples"]:
                sizes[s.value] = int(o.value)
            elif t.predicate.value == _P["digest"]:
                digests[s.value] = o.value
        if not current:
            return None

        def one(name: str) -> str | None:
            values = current.get(_P[name])
            return values[0].value if values else None

        def number(name: str) -> int:
            value = one(name)
            return int(value) if value is not None else 0

        def instant(name: str) -> datetime | None:
            value = one(name)
            return datetime.fromisoformat(value) if value else None

        graphs = {g.value: sizes.get(g.value, 0) for g in current.get(_P["graph"], [])}
        kept = {g: d for g, d in digests.items() if g in graphs or g == MERGE_GRAPH}
        return cls(
            version=one("version") or "unknown",
            modified=instant("modified") or datetime.fromtimestamp(0, tz=UTC),
            generation=number("generation"),
            state=one("state") or SWITCHING,
            graphs=dict(sorted(graphs.items())),
            triples=number("triples"),
            quads=number("quads"),
            files=number("files"),
            published=instant("published"),
            changed=number("changed"),
            staging=tuple(sorted(s.value for s in current.get(_P["staging"], []))),
            digests=dict(sorted(kept.items())),
        )


def manifest_query() -> str:
    return f"SELECT ?s ?p ?o WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?s ?p ?o }} }}"


def check_query(publication: Publication) -> str:
    """An ASK that is true while ``publication`` is the store's stable publication."""
    generation = ox.Literal(str(publication.generation), datatype=_XSD_INTEGER)
    return (
        f"ASK {{ GRAPH <{MANIFEST_GRAPH}> {{ <{CURRENT}> <{_P['generation']}> {generation} ; "
        f'<{_P["state"]}> "{STABLE}" }} }}'
    )


def _solutions_to_triples(result: ox.QuerySolutions) -> list[ox.Triple]:
    out = []
    for row in result:
        s, p, o = row["s"], row["p"], row["o"]
        if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode):
            assert isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
            out.append(ox.Triple(s, p, o))
    return out


# ----------------------------------------------------------------- what the store is


@dataclass(frozen=True)
class StoreInfo:
    """The store's product (``Server`` header) and what follows from it for the front."""

    server: str

    @property
    def product(self) -> str:
        return self.server.split("/", 1)[0].strip().lower() if self.server else ""

    @property
    def is_virtuoso(self) -> bool:
        return self.product == "virtuoso"

    @property
    def is_oxigraph(self) -> bool:
        return self.product == "oxigraph"

    @property
    def dataset_in_text(self) -> bool:
        """Whether queries carry their dataset as ``FROM`` clauses (:func:`with_dataset`)
        rather than as request parameters: Virtuoso (measured: 3,000 graph parameters
        overflow the answer's headers; 3,000 ``FROM NAMED`` clauses take 0.3 s)."""
        return self.is_virtuoso

    @property
    def atomic_updates(self) -> bool:
        """Whether one update request is one transaction that readers see all or nothing of.

        True for Oxigraph (measured: readers saw either every graph old or every graph new
        while MOVE ran); assumed false for every other store (Virtuoso: measured false).
        """
        return self.is_oxigraph

    def name(self) -> str:
        return self.server.strip() or "an unnamed SPARQL store"

    def notes(self, timeout: float) -> list[str]:
        """What this store cannot do as the embedded store does, in plain words."""
        out = []
        if self.is_virtuoso:
            out.append(
                f"timeouts: the store stops a query at {timeout:g} s (Virtuoso's timeout "
                "parameter); its partial 'anytime' answers are refused, never passed on"
            )
            out.append(
                "switching: Virtuoso applies an update request operation by operation, so "
                "every answer is checked against the publication's generation (one small ASK)"
            )
        elif self.is_oxigraph:
            out.append(
                f"timeouts: the front stops waiting at {timeout:g} s, but Oxigraph's server "
                "keeps evaluating the query unless it was started with --timeout-s"
            )
        else:
            out.append(
                f"timeouts: the front stops waiting at {timeout:g} s; the store may keep "
                "evaluating the query"
            )
            out.append(
                "switching: this store's updates are not known to be transactions, so every "
                "answer is checked against the publication's generation (one small ASK)"
            )
        return out

    def extra_parameters(self, timeout: float) -> list[tuple[str, str]]:
        """Request parameters that make the store honour the front's limits."""
        if self.is_virtuoso:
            return [("timeout", str(int(timeout * 1000)))]
        return []


# ----------------------------------------------------------------- the store


class CheckLater:
    """The publication checks of one web request, done once after its last query."""

    needed = False


#: Set by the web layer for the length of a request (``asyncio.to_thread`` carries it into
#: the threads that query the store); unset elsewhere (CLI, tests): each query is checked.
CHECK_LATER: ContextVar[CheckLater | None] = ContextVar("kg_check_later", default=None)


class RemoteStore:
    """A remote store seen like pyoxigraph's ``Store`` (the parts the project uses).

    ``query``, ``quads_for_pattern``, ``named_graphs``, iteration and ``len`` answer over
    the current :attr:`publication`; the graph-store and update methods are what
    :mod:`kg.publish` uses. Thread-safe (one ``httpx.Client``).
    """

    def __init__(self, endpoints: Endpoints, *, timeout: float, max_results: int | None = None):
        self.endpoints = endpoints
        self.timeout = timeout
        self.max_results = max_results
        self.info = StoreInfo("")
        self._publication: Publication | None = None
        self.client = httpx.Client(
            auth=endpoints.auth(),
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            follow_redirects=True,
        )

    # -- lifecycle

    def close(self) -> None:
        self.client.close()

    @property
    def publication(self) -> Publication:
        if self._publication is None:
            raise StoreError(f"{shown(self.endpoints.query)}: the publication was not read yet")
        return self._publication

    @publication.setter
    def publication(self, value: Publication) -> None:
        self._publication = value

    def ping(self) -> StoreInfo:
        """Check that the query endpoint answers; learn which store it is."""
        response = self._send(
            "POST",
            self.endpoints.query,
            "query",
            data={"query": "ASK {}"},
            headers={"Accept": SELECT_ACCEPT},
        )
        self.info = StoreInfo(response.headers.get("server", ""))
        return self.info

    def read_publication(self) -> Publication | None:
        """The store's manifest, or ``None`` if nothing was published there."""
        result = self._select(manifest_query(), [("named-graph-uri", MANIFEST_GRAPH)])
        return Publication.from_triples(_solutions_to_triples(result))

    def open(self) -> Publication:
        """Ping, then read the stable publication (:class:`~kg.errors.StoreError` if none)."""
        self.ping()
        publication = self.read_publication()
        where = shown(self.endpoints.query)
        if publication is None:
            raise StoreError(
                f"{where} holds no dataset published by kg publish; publish it first: "
                f"kg publish --store {where} --store-update URL [--store-gsp URL]"
            )
        if not publication.stable:
            raise StoreError(
                f"{where} is in the middle of a switch to new data (or a kg publish failed "
                "during it); wait for it to end, or run kg publish again"
            )
        self.publication = publication
        return publication

    def max_rows(self, wanted: int) -> int:
        """How many solutions the store returns for a query that has ``wanted`` (at most)."""
        digits = max(1, len(str(wanted)))
        blocks = " ".join(f"VALUES ?v{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(digits))
        text = f"SELECT ?v0 WHERE {{ {blocks} }} LIMIT {wanted}"
        response = self._send(
            "POST",
            self.endpoints.query,
            "query",
            data={"query": text},
            headers={"Accept": "text/tab-separated-values"},
        )
        if response.headers.get("x-sparql-maxrows"):
            return int(response.headers["x-sparql-maxrows"])
        return max(0, response.content.rstrip(b"\n").count(b"\n"))

    def check_max_rows(self, wanted: int) -> None:
        """:class:`~kg.errors.StoreError` if the store caps answers below ``wanted`` rows."""
        rows = self.max_rows(wanted)
        if rows < wanted:
            raise StoreError(
                f"{shown(self.endpoints.query)} returns at most {rows} solutions per query, so "
                f"answers of up to {wanted - 1} solutions (max_results) could be cut without "
                "notice; raise the store's limit (Virtuoso: ResultSetMaxRows in [SPARQL] of "
                "virtuoso.ini) or lower --max-results"
            )

    # -- queries (the ox.Store interface)

    def query(
        self,
        query: str,
        *,
        prefixes: Mapping[str, str] | None = None,
        substitutions: Mapping[ox.Variable | str, Term] | None = None,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        **_: object,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate ``query`` in the store over the publication (see the module docstring).

        ``prefixes`` is accepted for pyoxigraph's signature: the project's prefixes are
        always declared. Raises ``SyntaxError`` if the store cannot parse it (with the
        position in the text as given), :class:`~kg.errors.QueryError` if it cannot
        evaluate it, and :class:`~kg.errors.StoreError` if it fails otherwise.
        """
        values = {
            (k.value if isinstance(k, ox.Variable) else k): v
            for k, v in (substitutions or {}).items()
        }
        shape = scan(query)
        params = dataset_parameters(
            shape,
            list(self.publication.graphs),
            [g.value for g in default_graph] if default_graph is not None else None,
            [g.value for g in named_graphs] if named_graphs is not None else None,
        )
        prepared = prepare(query, values, named_in(params))
        try:
            result = self._run(prepared, shape.kind, params)
        except QueryError as exc:
            offset = header_lines(prepared, query.split("\n", 1)[0])
            message = restore_position(str(exc), offset)
            if message.startswith("the store could not parse"):
                raise SyntaxError(message) from exc
            raise QueryError(message) from exc
        self.check_publication()
        if isinstance(result, list):
            return triples_result(result)
        return result

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
        graph_name: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None = None,
        /,
    ) -> Iterator[ox.Quad]:
        """The quads matching the pattern; the default graph is the merge (as embedded).

        Blank nodes cannot be named in a query to a store (a blank node label in a query is
        a variable), so a blank subject or object matches nothing here.
        """
        if isinstance(subject, ox.BlankNode | ox.Triple) or isinstance(
            object, ox.BlankNode | ox.Triple
        ):
            return iter(())
        if isinstance(graph_name, ox.BlankNode):
            return iter(())
        s = str(subject) if subject is not None else "?s"
        p = str(predicate) if predicate is not None else "?p"
        o = str(object) if object is not None else "?o"
        graphs = list(self.publication.graphs)
        params: list[tuple[str, str]] = [("default-graph-uri", MERGE_GRAPH)]
        if isinstance(graph_name, ox.DefaultGraph):
            text = f"SELECT * WHERE {{ {s} {p} {o} }}"
        elif isinstance(graph_name, ox.NamedNode):
            if graph_name.value not in graphs:
                return iter(())
            text = f"SELECT * WHERE {{ GRAPH {graph_name} {{ {s} {p} {o} }} }}"
            params.append(("named-graph-uri", graph_name.value))
        else:
            text = f"SELECT * WHERE {{ {{ {s} {p} {o} }} UNION {{ GRAPH ?g {{ {s} {p} {o} }} }} }}"
            params += [("named-graph-uri", g) for g in graphs]
        result = self._select(text, params)
        self.check_publication()
        out = []
        for row in result:
            qs = subject if subject is not None else row["s"]
            qp = predicate if predicate is not None else row["p"]
            qo = object if object is not None else row["o"]
            g = row["g"] if graph_name is None else graph_name
            assert isinstance(qs, ox.NamedNode | ox.BlankNode) and isinstance(qp, ox.NamedNode)
            assert isinstance(qo, ox.NamedNode | ox.BlankNode | ox.Literal)
            graph = g if isinstance(g, ox.NamedNode | ox.DefaultGraph) else ox.DefaultGraph()
            out.append(ox.Quad(qs, qp, qo, graph))
        return iter(out)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return iter([ox.NamedNode(g) for g in self.publication.graphs])

    def __iter__(self) -> Iterator[ox.Quad]:
        """Every quad: the merge (default graph) and each published graph."""
        yield from self.graph_quads(None)
        for graph in self.publication.graphs:
            yield from self.graph_quads(graph)

    def __len__(self) -> int:
        return self.publication.triples + self.publication.quads

    def graph_quads(self, graph: str | None) -> Iterator[ox.Quad]:
        """The quads of one published graph (``None``: the merge, as the default graph)."""
        target = MERGE_GRAPH if graph is None else graph
        name: ox.NamedNode | ox.DefaultGraph = (
            ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        )
        triples = self.read_graph(target)
        self.check_publication()
        return iter([ox.Quad(t.subject, t.predicate, t.object, name) for t in triples])

    def check_publication(self) -> None:
        """:class:`~kg.errors.PublicationChanged` unless the publication is still the one
        served (a switch started after it was read: its answers may mix old and new).

        Within a web request (:data:`CHECK_LATER` set) the check is left to the end of the
        request: one check after its last query covers all of them, because a publication's
        generation only grows.
        """
        later = CHECK_LATER.get()
        if later is not None:
            later.needed = True
            return
        if not self.publication_is_current():
            raise PublicationChanged(
                "the dataset is being replaced by kg publish; ask again in a moment"
            )

    def publication_is_current(self) -> bool:
        """Whether the store's stable publication is still the one served (one small ASK)."""
        response = self._send(
            "POST",
            self.endpoints.query,
            "query",
            data={"query": check_query(self.publication), "named-graph-uri": MANIFEST_GRAPH},
            headers={"Accept": SELECT_ACCEPT},
        )
        result = parse_answer("boolean", response.headers, response.content, timeout=self.timeout)
        return bool(result)

    # -- graphs (reading whole graphs, as kg publish verifies)

    def read_graph(self, graph: str) -> list[ox.Triple]:
        """Every triple of ``graph`` (a CONSTRUCT, so that any store answers it)."""
        text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        result = self._run(text, "graph", [("named-graph-uri", graph)], limit=None)
        assert isinstance(result, list)
        return result

    def graph_sizes(self, graphs: Sequence[str]) -> dict[str, int]:
        """Triples in each of ``graphs`` (one aggregate query)."""
        if not graphs:
            return {}
        text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        result = self._select(text, [("named-graph-uri", g) for g in graphs])
        sizes = {g: 0 for g in graphs}
        for row in result:
            g, n = row["g"], row["n"]
            if isinstance(g, ox.NamedNode) and g.value in sizes and n is not None:
                sizes[g.value] = int(n.value)
        return sizes

    # -- writing (kg publish)

    def update(self, text: str, *, timeout: float | None = None) -> None:
        """Run a SPARQL Update request at the update URL."""
        url = self.endpoints.update
        if url is None:
            raise BrokenInputError(
                "kg publish needs the store's SPARQL Update URL: give --store-update URL "
                "(Oxigraph: http://HOST:7878/update, Virtuoso: http://HOST:8890/sparql-auth)"
            )
        self._send(
            "POST",
            url,
            "update",
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
            timeout=timeout,
        )

    def put_graph(self, graph: str, ntriples: bytes, *, timeout: float | None = None) -> None:
        """Replace ``graph`` with ``ntriples`` (Graph Store Protocol ``PUT``)."""
        url = self.endpoints.gsp
        assert url is not None
        self._send(
            "PUT",
            url,
            "graph upload",
            params={"graph": graph},
            content=ntriples,
            headers={"Content-Type": "application/n-triples"},
            timeout=timeout,
        )

    def post_quads(self, nquads: bytes, *, bulk: bool = True, timeout: float | None = None) -> None:
        """Add the quads of ``nquads`` (N-Quads) to their graphs, in one request.

        Oxigraph's server takes a dataset ``POST`` to its Graph Store Protocol URL without a
        ``graph`` parameter (not in the Protocol, which ``POST``s one graph, §5.5); with
        ``bulk``, ``?no_transaction`` makes it use its bulk loader: no transaction (a reader
        can see part of the request's quads, and a failed request can leave part of them),
        but memory independent of the request's size. Other stores: not supported.
        """
        url = self.endpoints.gsp
        assert url is not None
        self._send(
            "POST",
            url,
            "graph upload",
            params={"no_transaction": ""} if bulk else None,
            content=nquads,
            headers={"Content-Type": "application/n-quads"},
            timeout=timeout,
        )

    def read_graphs(self, graphs: Sequence[str], *, per_request: int = 200) -> set[ox.Triple]:
        """The triples of ``graphs`` together (the set; one CONSTRUCT per ``per_request``
        graphs, so that no request names too many)."""
        out: set[ox.Triple] = set()
        text = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
        for begin in range(0, len(graphs), per_request):
            params = [("named-graph-uri", g) for g in graphs[begin : begin + per_request]]
            result = self._run(text, "graph", params, limit=None)
            assert isinstance(result, list)
            out.update(result)
        return out

    # -- plumbing

    def _select(self, text: str, params: list[tuple[str, str]]) -> ox.QuerySolutions:
        result = self._run(text, "solutions", params, limit=None)
        assert isinstance(result, ox.QuerySolutions)
        return result

    def _run(
        self, text: str, kind: str, params: list[tuple[str, str]], limit: int | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        accept = GRAPH_ACCEPT if kind == "graph" else SELECT_ACCEPT
        data = request_fields(self.info, text, params, self.timeout)
        collector = Collector(kind, limit)
        deadline = time.monotonic() + self.timeout
        url = self.endpoints.query

        def ask() -> httpx.Headers:
            with self.client.stream(
                "POST", url, data=dict(_multi(data)), headers={"Accept": accept}
            ) as response:
                if response.status_code >= 300:
                    response.read()
                    check_response(
                        response.status_code,
                        response.headers,
                        response.content,
                        url=url,
                        what="query",
                    )
                for chunk in response.iter_bytes():
                    collector.add(chunk)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("deadline")
                return response.headers

        try:
            try:
                headers = ask()
            except httpx.RemoteProtocolError:
                # A kept-alive connection the store closed (see _send): a query changes
                # nothing, so it is asked once more if no part of an answer had come.
                if collector.parts:
                    raise
                headers = ask()
        except httpx.TimeoutException as exc:
            raise StoreTimeout(
                f"the query ran longer than {self.timeout:g} s and was stopped", self.timeout
            ) from exc
        except httpx.TransportError as exc:
            raise unavailable(url, exc) from exc
        try:
            return parse_answer(kind, headers, collector.body, timeout=self.timeout)
        except ResultCountExceeded as exc:
            raise StoreRefused(
                f"{shown(url)} cut its answer at {exc.limit} rows (the store's own limit: "
                "Virtuoso's ResultSetMaxRows); raise that limit"
            ) from exc

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        timeout: float | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        def send() -> httpx.Response:
            return self.client.request(
                method,
                url,
                timeout=httpx.Timeout(timeout or self.timeout, connect=CONNECT_TIMEOUT),
                **kwargs,  # type: ignore[arg-type]
            )

        try:
            try:
                response = send()
            except httpx.RemoteProtocolError:
                # A kept-alive connection the store closed as the request went out (Virtuoso,
                # once in thousands of uploads: "Server disconnected without sending a
                # response"): asked again on a new connection where that is safe, i.e. for
                # the idempotent methods (RFC 9110 §9.2.2); never for an update's POST.
                if method not in ("GET", "HEAD", "PUT", "DELETE"):
                    raise
                response = send()
        except httpx.TimeoutException as exc:
            raise StoreTimeout(
                f"{shown(url)} did not answer the {what} within {timeout or self.timeout:g} s",
                timeout or self.timeout,
            ) from exc
        except httpx.TransportError as exc:
            raise unavailable(url, exc) from exc
        check_response(response.status_code, response.headers, response.content, url=url, what=what)
        return response


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields with repeated names (``named-graph-uri`` once per graph)."""
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def unavailable(url: str, exc: Exception) -> StoreError:
    """The error for a request that failed below HTTP: the store cannot be reached, or (a
    protocol error) it answered with something that is not HTTP a client can read."""
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.RemoteProtocolError) and "disconnected" in reason:
        return StoreUnavailable(
            f"the store at {shown(url)} closed the connection without answering ({reason}); "
            "is it running, or did it restart? Look in the store's log, and ask again"
        )
    if isinstance(exc, httpx.ProtocolError):
        return StoreError(
            f"the store at {shown(url)} sent an answer that cannot be read as HTTP ({reason}); "
            "check that the URL is the store's SPARQL endpoint (--store, KG_STORE) and look "
            "in the store's log"
        )
    return StoreUnavailable(
        f"cannot reach the store at {shown(url)} ({reason}); is it running, and is the URL "
        "right (--store, KG_STORE)?"
    )


_POSITION = re.compile(r"(at |line )(\d+)(:(\d+))?")


def restore_position(message: str, offset: int) -> str:
    """A store's ``at L:C`` (or ``line L``) with the lines :func:`prepare` added taken off."""
    if offset <= 0:
        return message

    def fix(m: re.Match[str]) -> str:
        line = max(1, int(m.group(2)) - offset)
        return f"{m.group(1)}{line}{m.group(3) or ''}"

    return _POSITION.sub(fix, message, count=1)
