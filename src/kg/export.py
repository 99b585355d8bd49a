"""Export of the whole store (ontology graph and data graphs) in RDF serialisations.

* ``turtle``: RDF 1.1 Turtle of the **union** of all graphs (graph names
  dropped, each distinct triple once), with the project prefixes;
* ``trig``: RDF 1.1 TriG (§2), every named graph kept, with the project prefixes;
* ``nquads``: RDF 1.1 N-Quads, every named graph kept;
* ``jsonld``: JSON-LD 1.1 (§4.9, named graphs) with the project prefixes as
  ``@context``; every named graph kept.

Turtle, TriG and N-Quads are written by pyoxigraph's serialisers, JSON-LD by
rdflib's. Quads are sorted first, so the output is stable for the same data
(blank node labels aside). Files are written atomically (:func:`write_atomic`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import ParsedFile, to_rdflib
from kg.errors import BrokenInputError
from kg.namespaces import PREFIXES
from kg.store import KnowledgeGraph

__all__ = ["EXPORT_FORMATS", "serialize", "tidy_prefixes", "turtle", "write_atomic"]

#: Export format name → file suffix.
EXPORT_FORMATS: dict[str, str] = {
    "turtle": ".ttl",
    "trig": ".trig",
    "nquads": ".nq",
    "jsonld": ".jsonld",
}


def _sort_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def _written(data: bytes | None) -> bytes:
    """pyoxigraph returns the bytes when given no output (``None`` only with an output)."""
    if data is None:
        raise TypeError("pyoxigraph returned no data")
    return data


def tidy_prefixes(data: bytes) -> bytes:
    """Put pyoxigraph's ``@prefix`` block in :data:`PREFIXES` order and drop unused prefixes.

    pyoxigraph writes every given prefix, in no fixed order; this keeps the output
    stable and short. A prefix is kept if ``name:`` occurs in the body at all.
    """
    lines = data.split(b"\n")
    end = 0
    while end < len(lines) and lines[end].startswith(b"@prefix "):
        end += 1
    body = b"\n".join(lines[end:])
    order = {name: i for i, name in enumerate(PREFIXES)}
    kept = []
    for line in lines[:end]:
        name = line.split()[1].decode("utf-8").removesuffix(":")
        if re.search(rb"(?<![\w.:/#-])" + re.escape(name.encode()) + rb":", body):
            kept.append((order.get(name, len(order)), name, line))
    head = [line for _, _, line in sorted(kept)]
    return b"\n".join([*head, *lines[end:]])


def turtle(triples: Iterable[ox.Triple]) -> bytes:
    """Turtle of ``triples`` with the project prefixes (those used)."""
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
    return tidy_prefixes(_written(data))


def serialize(kg: KnowledgeGraph, fmt: str) -> bytes:
    """The whole store of ``kg`` in ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    prefixes = dict(PREFIXES)
    if fmt == "turtle":  # the store's default graph is the merge of the named graphs
        merged = kg.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        return turtle(
            [ox.Triple(q.subject, q.predicate, q.object) for q in sorted(merged, key=_sort_key)]
        )
    named = (q for q in kg.store if not isinstance(q.graph_name, ox.DefaultGraph))
    quads = sorted(named, key=_sort_key)
    if fmt == "trig":
        data = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes)
        return tidy_prefixes(_written(data))
    if fmt == "nquads":
        return _written(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    if fmt == "jsonld":
        dataset = to_rdflib([ParsedFile(path=Path("store"), quads=tuple(quads))])
        text = dataset.serialize(format="json-ld", context=prefixes, indent=2)
        return (text if text.endswith("\n") else text + "\n").encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise BrokenInputError("cannot write: the folder does not exist", path=path)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file private (0600); give it the mode a new file would have
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BrokenInputError(f"cannot write: {exc.strerror}", path=path) from exc
