"""One error shape for the whole API: every problem is RFC 9457 problem+json."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kg.web import problems

if TYPE_CHECKING:
    from collections.abc import Iterator

ALL_PROBLEMS = [problems.Problem, *problems.Problem.__subclasses__()]


@pytest.fixture(scope="module")
def app_raising_each_problem() -> Iterator[TestClient]:
    app = FastAPI()
    problems.install(app)

    @app.get("/raise/{name}")
    async def raise_problem(name: str) -> None:
        cls = next(c for c in ALL_PROBLEMS if c.__name__ == name)
        raise cls("what went wrong and how to fix it", limit=7)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("cls", ALL_PROBLEMS, ids=lambda c: c.__name__)
def test_each_problem_has_the_documented_shape(
    app_raising_each_problem: TestClient, cls: type[problems.Problem]
) -> None:
    r = app_raising_each_problem.get(f"/raise/{cls.__name__}")
    assert r.status_code == cls.status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body == {
        "type": problems.PROBLEM_BASE + cls.kind,
        "title": cls.title,
        "status": cls.status,
        "detail": "what went wrong and how to fix it",
        "instance": f"/raise/{cls.__name__}",
        "limit": 7,
    }


def test_problem_types_are_distinct() -> None:
    kinds = [c.kind for c in ALL_PROBLEMS]
    assert len(kinds) == len(set(kinds))


def test_an_unexpected_exception_is_a_problem_without_internals(
    app_raising_each_problem: TestClient,
) -> None:
    r = app_raising_each_problem.get("/crash")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "a bug" not in r.text and "Traceback" not in r.text


def test_framework_errors_use_the_same_shape(app_raising_each_problem: TestClient) -> None:
    r = app_raising_each_problem.get("/nowhere")
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")
    r = app_raising_each_problem.post("/crash")
    assert r.status_code == 405 and r.json()["type"].endswith("/method-not-allowed")
