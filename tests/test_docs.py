"""The README documents every setting and every command (datasette's test_docs pattern)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kg.cli import build_parser
from kg.settings import SETTINGS_FIELDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


@pytest.mark.parametrize("name", subcommands())
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`kg {name}" in README, f"README does not document `kg {name}`"


@pytest.mark.parametrize("setting", SETTINGS_FIELDS, ids=lambda f: f.name)
def test_every_setting_is_in_the_readme_with_option_and_environment(setting: object) -> None:
    option = "--" + setting.name.replace("_", "-")  # type: ignore[attr-defined]
    env = setting.metadata["env"]  # type: ignore[attr-defined]
    rows = [line for line in README.splitlines() if line.startswith("|") and f"`{option}`" in line]
    assert rows, f"README's settings table has no row for {option}"
    assert f"`{env}`" in rows[0], f"README's row for {option} does not name {env}"


def test_every_make_target_in_the_readme_exists() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    for target in ("serve", "test"):
        assert f"make {target}" in README
        assert f"\n{target}:" in makefile
