"""``python -m kg``: the ``kg`` command (see :mod:`kg.cli` for subcommands and exit codes)."""

from __future__ import annotations

from kg.cli import main

raise SystemExit(main())
