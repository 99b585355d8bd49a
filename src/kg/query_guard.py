"""A lexical guard run on SPARQL text before it reaches the engine.

It tokenises the query with the terminals of SPARQL 1.1 Query §19.8 (strings,
IRIREF, comments, prefixed names, variables, punctuation), which is enough to:

* find the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) to negotiate a result format;
* refuse update operations (SPARQL 1.1 Update §3: INSERT, DELETE, LOAD, CLEAR, CREATE,
  DROP, COPY, MOVE, ADD), because the endpoint is read-only;
* refuse ``SERVICE`` (SPARQL 1.1 Federated Query §2): pyoxigraph's SERVICE sends real
  HTTP requests, so a federated query could make the server reach other hosts;
* refuse nesting deeper than a limit: pyoxigraph's recursive parser and evaluator
  overflow the stack (the process dies by SIGSEGV) at a few thousand levels.

Keywords are matched only as whole tokens outside strings, IRIs and comments, so
``ex:SERVICE``, ``"SERVICE"`` and ``<http://x/SERVICE>`` do not count.
The engine still parses the query; this module never decides that a query is valid.
:func:`check_query` is a pure function of its arguments and memoised (repeated queries
are the common case: notebooks, dashboards, the named queries).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
ResultKind = Literal["solutions", "boolean", "graph"]

_TOKEN: Final = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<bnode>_:[\w\u00C0-\uFFFF](?:[\w\-\u00B7\u00C0-\uFFFF]|\.(?=[\w\-\u00B7\u00C0-\uFFFF]))*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF]
                 (?:[\w\-\u00B7\u00C0-\uFFFF]|\.(?=[\w\-\u00B7\u00C0-\uFFFF]))*)?
              :(?:[\w\-:%\\\u00B7\u00C0-\uFFFF]|\.(?=[\w\-:%\u00B7\u00C0-\uFFFF]))*)
  | (?P<number>(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+\.\d*[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?
              |\d+(?:[eE][+-]?\d+)?))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The SPARQL tokens of ``text`` (SPARQL 1.1 Query §19.8 terminals, approximately),
    white space and comments included; ``match.lastgroup`` names the kind."""
    return _TOKEN.finditer(text)


_FORMS: Final = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
_UPDATES: Final = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


class GuardError(ValueError):
    """A query the endpoint refuses before evaluation; ``kind`` names the rule."""

    def __init__(
        self, kind: str, message: str, *, line: int | None = None, column: int | None = None
    ):
        self.kind = kind
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(message + where)


@dataclass(frozen=True)
class GuardedQuery:
    text: str
    form: QueryForm
    depth: int

    @property
    def result_kind(self) -> ResultKind:
        """What the query returns (SPARQL 1.1 Query §16): solutions, a boolean or a graph."""
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        return "boolean" if self.form == "ASK" else "solutions"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _refuse(kind: str, message: str, text: str, offset: int) -> GuardError:
    line, column = _position(text, offset)
    return GuardError(kind, message, line=line, column=column)


@lru_cache(maxsize=4096)
def check_query(text: str, *, max_depth: int = 64) -> GuardedQuery:
    """Classify ``text`` and apply the rules above; raises :class:`GuardError`."""
    depth = deepest = 0
    form: QueryForm | None = None
    for match in tokens(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > max_depth:
                raise _refuse(
                    "too-deep",
                    f"the query nests groups more than {max_depth} levels deep; "
                    "flatten the nested groups or sub-queries",
                    text,
                    match.start(),
                )
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word":
            word = match.group().upper()
            if word == "SERVICE":
                raise _refuse(
                    "service",
                    "SERVICE (federated query) is not allowed on this endpoint: it never "
                    "contacts other hosts; run the federated part against that endpoint yourself",
                    text,
                    match.start(),
                )
            if form is None and word in _UPDATES:
                raise _refuse(
                    "update",
                    f"{word} is a SPARQL Update operation; this endpoint is read-only and "
                    "answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE) only",
                    text,
                    match.start(),
                )
            if form is None and word in _FORMS:
                form = word  # type: ignore[assignment]
    if form is None:
        raise GuardError(
            "no-query-form",
            "no query form found: a query starts (after PREFIX/BASE) with SELECT, ASK, "
            "CONSTRUCT or DESCRIBE",
        )
    return GuardedQuery(text=text, form=form, depth=deepest)
