"""The query mix: the ``.rq`` files in ``benchmarks/queries``, one query each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

QUERY_DIR = Path(__file__).parent / "queries"

_FORM = re.compile(r"^\s*(SELECT|ASK|DESCRIBE|CONSTRUCT)\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Query:
    name: str  # file stem, e.g. q01-lookup-label
    title: str  # the header comment
    text: str
    form: str  # SELECT, ASK, DESCRIBE or CONSTRUCT

    @property
    def accept(self) -> str:
        if self.form in ("DESCRIBE", "CONSTRUCT"):
            return "text/turtle"
        return "application/sparql-results+json"

    @property
    def short(self) -> str:
        """``q01``."""
        return self.name.split("-", 1)[0]


def load(directory: Path = QUERY_DIR) -> list[Query]:
    queries = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        if not first.startswith("#"):
            raise ValueError(f"{path.name}: the first line must be a comment naming the query")
        match = _FORM.search(re.sub(r"(?m)^\s*(#|PREFIX|BASE).*$", "", text))
        if not match:
            raise ValueError(f"{path.name}: no query form found")
        queries.append(Query(path.stem, first.lstrip("# ").strip(), text, match.group(1).upper()))
    return queries
