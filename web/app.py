"""The ASGI application: JSON API + pages."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from search_api.config import Settings, get_settings
from search_api.runtime import Runtime

from . import api, editor, network, pages, replications_api
from .security import RequestLimits, SecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None,
               after_publish: Callable[[Runtime], object] | None = None) -> FastAPI:
    """``after_publish(runtime)`` runs after an innovation is published through the web or the
    API, to bring the search engine up to date (``jippnas serve`` passes the indexer's outbox
    sync; without it a publication reaches search at the next ``jippnas`` sync)."""
    settings = settings or get_settings()
    # FastAPI's own /docs and /redoc load their scripts from a CDN: off; /docs is served locally.
    app = FastAPI(title="JIPPNas Search API", version="1.0", docs_url=None, redoc_url=None,
                  description="Search Indonesia's public-service innovations (KIPP, IGA, InoLAN).")
    api.install(app, Runtime(settings))
    replications_api.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Swagger UI's files as the pinned fastapi-offline package ships them (pyproject.toml).
    app.mount("/docs-assets", StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"),
              name="docs-assets")
    pages.install(app)
    network.install(app)
    editor.install(app, settings, after_publish)
    # Outermost last: limits first, then the Host check, then headers on whatever answers.
    app.add_middleware(SecurityHeaders, https=(settings.public_url or "").startswith("https://"))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes, max_url_bytes=settings.max_url_bytes)
    return app


def server_config(app: FastAPI, **options) -> "uvicorn.Config":
    """How the app is served (the command line and the tests use this). h11 resets the
    connection on a request head over its buffer (16 KiB by default) before the app can answer:
    a 1 MiB buffer lets RequestLimits answer 414 for any long address instead."""
    import uvicorn

    return uvicorn.Config(app, h11_max_incomplete_event_size=1 << 20, **options)
