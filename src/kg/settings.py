"""Settings, declared once with type, default, environment variable and help text.

Each field's metadata says how it is given: ``env`` (environment variable),
``help``, ``scope`` (``"global"``: an option of every command; ``"serve"``: an
option of ``kg serve``) and ``parse`` (turns the option or environment text into
the value). The CLI builds its options from :data:`SETTINGS_FIELDS`, and
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


def _paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in text.split(os.pathsep) if p)


def _setting(
    default: Any,
    *,
    env: str,
    help: str,
    parse: Callable[[str], Any],
    scope: str = "serve",
    metavar: str | None = None,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    metadata = {"env": env, "help": help, "parse": parse, "scope": scope, "metavar": metavar}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


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
