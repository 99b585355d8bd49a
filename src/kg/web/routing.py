"""Route helpers shared by the routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

F = TypeVar("F", bound=Callable[..., Any])


def get_and_head(router: APIRouter, path: str, **kwargs: Any) -> Callable[[F], F]:
    """Serve ``path`` for GET and HEAD (RFC 9110 §9.3.2: HEAD is GET without the body).

    Two routes, so that each method has its own OpenAPI operation ID; HEAD mirrors
    GET and is left out of the OpenAPI document.
    """

    def register(endpoint: F) -> F:
        router.get(path, **kwargs)(endpoint)
        router.head(path, **{**kwargs, "include_in_schema": False})(endpoint)
        return endpoint

    return register
