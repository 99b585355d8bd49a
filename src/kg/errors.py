"""The small exception hierarchy of the project.

Every error a user can cause derives from :class:`KgError` and carries a message
that says what went wrong, where, and how to fix it. The CLI maps them to exit
codes (see :data:`EXIT_CODES`); the web layer maps them to problem documents.
Data that fails validation is *not* an exception: it is a validation result.
"""

from __future__ import annotations

from pathlib import Path

#: Documented exit codes of the ``kg`` command (pySHACL's convention).
EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_BROKEN_INPUT = 2


class KgError(Exception):
    """Base class: an error the user can fix; ``str(error)`` is the message to show."""

    exit_code = EXIT_BROKEN_INPUT


class BrokenInputError(KgError):
    """An input file or argument that cannot be read or parsed."""

    def __init__(
        self, message: str, *, path: Path | str | None = None, line: int | None = None
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(where + message)
        self.detail = message


class QueryError(KgError):
    """A SPARQL query that does not parse or cannot be evaluated."""


class StoreError(KgError):
    """A remote SPARQL store (:mod:`kg.remote_store`) that cannot be used as asked.

    The message names the store's URL, what it answered and what to check; it never
    contains credentials.
    """


class StoreUnavailable(StoreError):
    """The store cannot be reached (connection refused, name not found, 502-504, cut off)."""


class StoreRefused(StoreError):
    """The store answered, but refused the request (credentials, wrong URL, no such operation)."""


class StoreTimeout(StoreError):
    """The store did not answer within the query timeout."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class PublicationChanged(StoreError):
    """``kg publish`` switched (or is switching) the data while a query ran; ask again."""
