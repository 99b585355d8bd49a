"""The canonical serialisation is a function of the graph alone (kg.canonical)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BLANK_NODE_HEAVY = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ;
    sh:property [ sh:path ex:a ; sh:or ( [ sh:class ex:A ] [ sh:class ex:B ] [ sh:class ex:C ] ) ] ,
                [ sh:path ex:b ; sh:minCount 1 ] ,
                [ sh:path ex:c ; sh:in ( "x" "y" "z" ) ] .
"""


def test_blank_nodes_are_written_the_same_in_every_process(tmp_path: Path) -> None:
    path = tmp_path / "shapes.ttl"
    path.write_text(BLANK_NODE_HEAVY, encoding="utf-8")
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        copy = tmp_path / f"copy-{seed}.ttl"
        copy.write_text(BLANK_NODE_HEAVY, encoding="utf-8")
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "kg", "--quiet", "fmt", str(copy)], env=env, check=True
        )
        outputs.add(copy.read_text(encoding="utf-8"))
    assert len(outputs) == 1
    # and formatting the formatted text changes nothing
    path.write_text(outputs.pop(), encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "kg", "--quiet", "fmt", "--check", str(path)])
    assert check.returncode == 0
