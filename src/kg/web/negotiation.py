"""Content negotiation (RFC 9110 §12.5.1) for query results.

Accept headers are parsed by Werkzeug (q-values, wildcards, specificity); the
``format`` parameter, when given, overrides Accept (so that links can name a
format). A missing Accept header means ``*/*``. Nothing acceptable → 406 listing
what is offered.

The choice is a pure function of its three strings and clients repeat their Accept
headers, so it is memoised.
"""

from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.query_guard import ResultKind as Kind
from kg.results import BY_NAME, DEFAULT_FORMAT, ResultFormat, formats_for
from kg.web.problems import BadRequest, NotAcceptable

#: Extra media types clients send for the same formats.
ALIASES = {
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "text/plain": "ntriples",
    "application/json+ld": "jsonld",
    "application/x-trig": "trig",
}


@lru_cache(maxsize=1024)
def choose(kind: Kind, accept: str | None, format_param: str | None) -> ResultFormat:
    offered = formats_for(kind)
    if format_param:
        wanted = BY_NAME.get(format_param) or BY_NAME.get(ALIASES.get(format_param, ""))
        if wanted is None:
            by_type = {f.media_type: f for f in offered}
            wanted = by_type.get(format_param)
        if wanted is None or kind not in wanted.kinds:
            names = ", ".join(f.name for f in offered)
            raise BadRequest(
                f"format={format_param!r} is not offered for this query; choose one of: {names}",
                offered=[f.media_type for f in offered],
            )
        return wanted
    if not accept or not accept.strip():
        return DEFAULT_FORMAT[kind]
    parsed = parse_accept_header(accept, MIMEAccept)
    candidates = [f.media_type for f in offered]
    candidates += [alias for alias, name in ALIASES.items() if BY_NAME[name] in offered]
    # the default format first, so that */* and application/* prefer it
    default = DEFAULT_FORMAT[kind].media_type
    candidates.sort(key=lambda m: m != default)
    best = parsed.best_match(candidates)
    if best is None:
        raise NotAcceptable(
            f"none of the formats in Accept: {accept} is offered for this query",
            offered=[f.media_type for f in offered],
        )
    return (
        BY_NAME[ALIASES[best]]
        if best in ALIASES
        else next(f for f in offered if f.media_type == best)
    )
