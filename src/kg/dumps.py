"""Dumps of the whole dataset, with their SHA-256 checksums.

Three files, made by :func:`kg.export.serialize` (pyoxigraph's serialisers):

* ``ipkg.trig``: RDF 1.1 TriG, every named graph kept (the ontology, the reference data
  and one graph per source);
* ``ipkg.nq.gz``: RDF 1.1 N-Quads, every named graph kept, gzip-compressed;
* ``ipkg.ttl``: RDF 1.1 Turtle of the union of all graphs (graph names dropped).

The gzip stream has no timestamp and no file name in its header, and the export sorts its
quads, so the same data always gives the same bytes and the same checksum. The checksums
are published in :func:`checksums` (``sha256sum`` format) and in the DCAT record
(:mod:`kg.void`).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Final

from kg.export import serialize
from kg.store import KnowledgeGraph

__all__ = ["DUMP_FILES", "Dump", "DumpFile", "build_dumps", "checksums"]


@dataclass(frozen=True)
class DumpFile:
    """One kind of dump: its file name, export format and media type."""

    name: str
    format: str  # an export format of kg.export
    media_type: str  # the media type of the (uncompressed) RDF
    gzip: bool
    title_de: str
    title_en: str


DUMP_FILES: Final[tuple[DumpFile, ...]] = (
    DumpFile(
        "ipkg.trig",
        "trig",
        "application/trig",
        False,
        "Gesamter Datensatz als TriG, mit den benannten Graphen der Quellen",
        "The whole dataset as TriG, with the named graphs of the sources",
    ),
    DumpFile(
        "ipkg.nq.gz",
        "nquads",
        "application/n-quads",
        True,
        "Gesamter Datensatz als N-Quads (gzip), mit den benannten Graphen der Quellen",
        "The whole dataset as N-Quads (gzip), with the named graphs of the sources",
    ),
    DumpFile(
        "ipkg.ttl",
        "turtle",
        "text/turtle",
        False,
        "Vereinigung aller Graphen als Turtle (ohne Graphnamen)",
        "The union of all graphs as Turtle (without graph names)",
    ),
)


@dataclass(frozen=True)
class Dump:
    """A dump's bytes as served, with their SHA-256 (hex)."""

    file: DumpFile
    body: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def content_type(self) -> str:
        """The media type of the bytes as served: gzip for a compressed dump."""
        if self.file.gzip:
            return "application/gzip"
        text = self.file.media_type.startswith("text/") or self.file.media_type.endswith("trig")
        return self.file.media_type + ("; charset=utf-8" if text else "")


def build_dumps(kg: KnowledgeGraph) -> dict[str, Dump]:
    """Every dump of :data:`DUMP_FILES`, by file name (the whole store is serialised)."""
    out: dict[str, Dump] = {}
    for f in DUMP_FILES:
        data = serialize(kg, f.format)
        if f.gzip:
            data = gzip.compress(data, compresslevel=9, mtime=0)
        out[f.name] = Dump(f, data, hashlib.sha256(data).hexdigest())
    return out


def checksums(dumps: dict[str, Dump]) -> bytes:
    """The ``SHA256SUMS`` file: ``<hex>  <name>`` per line, as ``sha256sum -c`` reads it."""
    return "".join(f"{d.sha256}  {d.name}\n" for d in dumps.values()).encode("ascii")
