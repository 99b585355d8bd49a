"""Conditional requests (RFC 9110 §8.8 validators, §13 preconditions).

Validators derive from the data version (:class:`kg.query_service.DataVersion`): the
ETag is weak (``W/"<data digest>-<digest of what the representation depends on>"``),
Last-Modified is the newest change of the files served.
"""

from __future__ import annotations

import hashlib
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request

from kg.query_service import DataVersion


def validators(version: DataVersion, *parts: object) -> tuple[str, str]:
    """A weak ETag from the data version and ``parts``, and Last-Modified."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return f'W/"{version.digest}-{digest}"', format_datetime(version.modified, usegmt=True)


def not_modified(request: Request, etag: str, version: DataVersion) -> bool:
    """Whether to answer 304: If-None-Match (weak comparison, §13.1.2) wins over
    If-Modified-Since (§13.1.3)."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip() for t in inm.split(",")}
        return "*" in tags or etag in tags or etag.removeprefix("W/") in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return version.modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False
