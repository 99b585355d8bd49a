"""Settings, declared once with default, environment variable and help text.

The CLI builds its options from :data:`SETTINGS_FIELDS`; the README's settings
table is checked against it by ``tests/test_docs.py``.
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Settings:
    """Everything the core and the server can be configured with."""

    root: Path = field(
        default_factory=_default_root,
        metadata={
            "env": "KG_ROOT",
            "help": "Project directory holding ontology/, data/ and shapes/.",
        },
    )
    sources_dir: Path | None = field(
        default=None,
        metadata={
            "env": "KG_SOURCES_DIR",
            "help": "Directory of the source documents (default: ../shared/sources beside root). "
            "Used to verify the checksums recorded for each source.",
        },
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
        """Settings from the environment, with explicit ``overrides`` (None = not given)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            env = f.metadata.get("env")
            if env and env in os.environ:
                values[f.name] = Path(os.environ[env])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


SETTINGS_FIELDS = fields(Settings)
