"""The embedded store's end-to-end tests, collected once more over a remote store.

A remote-store test module (``test_remote_oxigraph.py``, ``test_remote_virtuoso.py``)
defines the fixtures ``endpoint_client`` (the application in front of the store) and
``graph`` (a :class:`kg.store.RemoteKnowledgeGraph`) and calls :func:`collect_into`: every
test of :data:`SOURCES` that runs against the in-process application or the loaded graph
is then also a test of that module, under the name ``<test>__<source>``, and runs against
the store. Tests that start their own embedded server or build their own data are left
out (they test nothing about the store), and so are the snapshot tests: the data is being
extended, so a remote answer is compared with the embedded answer instead (the
comparison tests of each module).

This file is not a test module itself (its name does not start with ``test_``).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import pytest

SOURCES = (
    "test_sparql_protocol",
    "test_api_queries",
    "test_linked_data",
    "test_void_dumps",
    "test_named_queries",
)
#: Fixtures that make a test one about the served data.
USES = frozenset({"endpoint_client", "graph", "void", "trig_dump", "context"})
#: Fixtures of tests that are about something else (their own servers, files or output).
NOT_HERE = frozenset({"hub_client", "running_server", "tmp_path_factory", "tmp_path", "capsys"})
SNAPSHOTS = frozenset(
    {
        "test_rows_answer_the_example_as_in_the_snapshot",
        "test_every_query_answers_its_example_as_kept_in_its_snapshot",
    }
)
#: Module-scoped fixtures of the sources that the collected tests use.
FIXTURES = {"test_void_dumps": ("void", "trig_dump"), "test_linked_data": ("context",)}


def _copy(test: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object for ``test`` (marks added to it do not touch the original)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return test(*args, **kwargs)

    return run


def collect_into(
    namespace: MutableMapping[str, Any], xfail: Mapping[str, str] | None = None
) -> list[str]:
    """Put the collected tests (and the fixtures they need) into ``namespace``.

    ``xfail`` maps a test's name (without the source suffix) to the reason it is known
    to fail on this store; such tests are marked ``xfail(strict=True)``, so one that
    starts passing is reported. Returns the names added.
    """
    added = []
    for module_name in SOURCES:
        module = importlib.import_module(module_name)
        for fixture in FIXTURES.get(module_name, ()):
            namespace[fixture] = getattr(module, fixture)
        for name, test in vars(module).items():
            if not name.startswith("test_") or not callable(test) or name in SNAPSHOTS:
                continue
            parameters = set(inspect.signature(test).parameters)
            if not parameters & USES or parameters & NOT_HERE:
                continue
            copy = _copy(test)
            if xfail and name in xfail:
                copy = pytest.mark.xfail(reason=xfail[name], strict=True)(copy)
            key = f"{name}__{module_name.removeprefix('test_')}"
            namespace[key] = copy
            added.append(key)
    return added
