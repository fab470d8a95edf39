"""The OpenAPI 3.1 document of every fakeforce route, served as kept in the repository."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@lru_cache(maxsize=1)
def document() -> dict:
    text = (resources.files("fakeforce.openapi") / "fakeforce.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


async def openapi_yaml(request: Request) -> Response:
    text = (resources.files("fakeforce.openapi") / "fakeforce.yaml").read_text(encoding="utf-8")
    return Response(text, media_type="application/yaml")


async def openapi_json(request: Request) -> Response:
    return Response(json.dumps(document()), media_type="application/json")


def routes() -> list[Route]:
    return [Route("/openapi.yaml", openapi_yaml, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"])]
