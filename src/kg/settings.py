"""Settings, declared once with type, default, environment variable and help text.

Each field's metadata says how it is given: ``env`` (environment variable),
``help``, ``scope`` (``"global"``: an option of every command; a command name or a
tuple of them: an option of those commands; ``()``: environment only, never an
option, as for credentials) and ``parse`` (turns the option or environment text
into the value). The CLI builds its options from :data:`SETTINGS_FIELDS`, and
``tests/test_docs.py`` checks that the README documents every one of them.
Precedence: command-line option, then environment variable, then default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _default_root() -> Path:
    """The project checkout: ``$KG_ROOT``, else the directory above ``src/`` (editable install)."""
    env = os.environ.get("KG_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent.parent
    if (here / "data").is_dir() and (here / "ontology").is_dir():
        return here
    return Path.cwd()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"{text} is not a positive whole number")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"{text} is not a positive number")
    return value


def _base_url(text: str) -> str:
    """An absolute http(s) URL ending in ``/`` (one is added if missing)."""
    text = text.strip()
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
        raise ValueError(f"{text!r} is not an absolute http:// or https:// URL")
    return text if text.endswith("/") else text + "/"


def _store_url(text: str) -> str:
    """An absolute http(s) URL without credentials in it (those come from the environment)."""
    text = text.strip()
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
        raise ValueError(f"{text!r} is not an absolute http:// or https:// URL")
    if "@" in text.split("/", 3)[2]:
        raise ValueError(
            "the URL contains credentials; give them in KG_STORE_USER and KG_STORE_PASSWORD"
        )
    return text


def _store(text: str) -> str:
    """``embedded`` or the query URL of a remote SPARQL 1.1 endpoint."""
    if text.strip().lower() == EMBEDDED:
        return EMBEDDED
    try:
        return _store_url(text)
    except ValueError as exc:
        raise ValueError(f"{exc}; give 'embedded' or the store's SPARQL query URL") from exc


def _paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in text.split(os.pathsep) if p)


#: The ``store`` setting that selects the embedded pyoxigraph store.
EMBEDDED = "embedded"

#: The commands that work on a store, embedded or remote (the ``--store`` options).
STORE_COMMANDS = ("serve", "publish", "query", "stats", "export")


def _setting(
    default: Any,
    *,
    env: str,
    help: str,
    parse: Callable[[str], Any],
    scope: str | tuple[str, ...] = "serve",
    metavar: str | None = None,
    default_factory: Callable[[], Any] | None = None,
    secret: bool = False,
) -> Any:
    metadata = {"env": env, "help": help, "parse": parse, "scope": scope, "metavar": metavar}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata, repr=not secret)
    return field(default=default, metadata=metadata, repr=not secret)


def in_scope(scope: str | tuple[str, ...], command: str) -> bool:
    """Whether a setting of ``scope`` is an option of ``command`` (``"global"``: of every one)."""
    names = (scope,) if isinstance(scope, str) else scope
    return command in names


@dataclass(frozen=True)
class Settings:
    """Everything the core and the server can be configured with."""

    root: Path = _setting(
        None,
        default_factory=_default_root,
        env="KG_ROOT",
        help="Project directory holding ontology/, data/ and shapes/.",
        parse=Path,
        scope="global",
        metavar="DIR",
    )
    sources_dir: Path | None = _setting(
        None,
        env="KG_SOURCES_DIR",
        help="Directory of the source documents (default: ../shared/sources beside root), "
        "used to verify the checksums recorded for each source.",
        parse=Path,
        scope="global",
        metavar="DIR",
    )
    host: str = _setting(
        "127.0.0.1", env="KG_HOST", help="Interface to listen on.", parse=str, metavar="HOST"
    )
    port: int = _setting(8000, env="KG_PORT", help="TCP port to listen on.", parse=int)
    query_timeout: float = _setting(
        10.0,
        env="KG_QUERY_TIMEOUT",
        help="Seconds a query may run before it is stopped (its worker is killed).",
        parse=_positive_float,
        metavar="SECONDS",
    )
    max_query_bytes: int = _setting(
        100_000,
        env="KG_MAX_QUERY_BYTES",
        help="Largest query text accepted, in bytes (larger: 413).",
        parse=_positive_int,
        metavar="BYTES",
    )
    max_query_depth: int = _setting(
        64,
        env="KG_MAX_QUERY_DEPTH",
        help="Deepest nesting of groups and brackets accepted in a query.",
        parse=_positive_int,
        metavar="LEVELS",
    )
    max_results: int = _setting(
        100_000,
        env="KG_MAX_RESULTS",
        help="Most solutions or triples one query may return; more is refused, not truncated.",
        parse=_positive_int,
        metavar="N",
    )
    workers: int = _setting(
        None,
        default_factory=lambda: max(2, os.cpu_count() or 2),
        env="KG_WORKERS",
        help="Query worker processes (default: the number of CPUs, at least 2).",
        parse=_positive_int,
        metavar="N",
    )
    cache_bytes: int = _setting(
        64 * 1024 * 1024,
        env="KG_CACHE_BYTES",
        help="Memory for cached query results, in bytes; 0 turns the cache off. "
        "The data cannot change while serving, so cached answers are always current.",
        parse=int,
        metavar="BYTES",
    )
    cors_origins: str = _setting(
        "*",
        env="KG_CORS_ORIGINS",
        help="Origins allowed by CORS, comma-separated ('*' for any).",
        parse=str,
        metavar="ORIGINS",
    )
    data: tuple[Path, ...] = _setting(
        (),
        env="KG_DATA",
        help="Serve these RDF files or folders instead of the project's data/ "
        f"(several separated by '{os.pathsep}'); the ontology is always added.",
        parse=_paths,
        scope=("serve", "publish"),
        metavar="PATHS",
    )
    public_base: str | None = _setting(
        None,
        env="KG_PUBLIC_BASE",
        help="URL at which this server is reached publicly (for example https://w3id.org/ipkg/); "
        "links, Content-Location, the SPARQL endpoint and dump URLs in VoID are made from it. "
        "Default: the URL of each request, so that a local server links to itself.",
        parse=_base_url,
        metavar="URL",
    )
    skip_validation: bool = _setting(
        False,
        env="KG_SKIP_VALIDATION",
        help="Start without validating (for benchmarks on synthetic data only).",
        parse=lambda text: text.lower() in ("1", "true", "yes"),
    )
    store: str = _setting(
        EMBEDDED,
        env="KG_STORE",
        help="'embedded' (the data loaded into this process) or the SPARQL 1.1 query URL of a "
        "remote store that kg publish has loaded (Oxigraph: http://HOST:7878/query, "
        "Virtuoso: http://HOST:8890/sparql).",
        parse=_store,
        scope=STORE_COMMANDS,
        metavar="embedded|URL",
    )
    store_update: str | None = _setting(
        None,
        env="KG_STORE_UPDATE",
        help="SPARQL 1.1 Update URL of the remote store, for kg publish (Oxigraph: "
        "http://HOST:7878/update, Virtuoso: http://HOST:8890/sparql-auth).",
        parse=_store_url,
        scope=STORE_COMMANDS,
        metavar="URL",
    )
    store_gsp: str | None = _setting(
        None,
        env="KG_STORE_GSP",
        help="Graph Store Protocol URL of the remote store; kg publish uploads graphs there "
        "(Oxigraph: http://HOST:7878/store, Virtuoso: http://HOST:8890/sparql-graph-crud-auth). "
        "Without it, kg publish loads with SPARQL Update INSERT DATA.",
        parse=_store_url,
        scope=STORE_COMMANDS,
        metavar="URL",
    )
    store_user: str | None = _setting(
        None,
        env="KG_STORE_USER",
        help="User name for the remote store (HTTP Basic or Digest, as the store asks). "
        "Environment only.",
        parse=str,
        scope=(),
    )
    store_password: str | None = _setting(
        None,
        env="KG_STORE_PASSWORD",
        help="Password for the remote store. Environment only; never printed or logged.",
        parse=str,
        scope=(),
        secret=True,
    )
    store_refresh: float = _setting(
        5.0,
        env="KG_STORE_REFRESH",
        help="Seconds between two looks at the remote store's publication: after kg publish, "
        "cached answers are dropped within this time.",
        parse=_positive_float,
        metavar="SECONDS",
    )

    @property
    def remote(self) -> bool:
        """Whether a remote store is configured (``--store URL``)."""
        return self.store != EMBEDDED

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def resolved_sources_dir(self) -> Path:
        return self.sources_dir or self.root.parent / "shared" / "sources"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment, with explicit ``overrides`` (None = not given).

        Raises ``ValueError`` naming the variable when an environment value is malformed.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            env = f.metadata.get("env")
            if env and os.environ.get(env):
                try:
                    values[f.name] = f.metadata["parse"](os.environ[env])
                except ValueError as exc:
                    raise ValueError(f"environment variable {env}: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


SETTINGS_FIELDS = fields(Settings)
