"""The ASGI application: JSON API + pages."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from search_api.config import Settings, get_settings
from search_api.runtime import Runtime

from . import api, editor, network, pages, replications_api, updating
from .security import RequestLimits, SecurityHeaders
from .throttle import Limits, RateLimiter, RequestTimeout, Throttle

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None,
               after_publish: Callable[[Runtime], object] | None = None,
               programme_exports: Mapping[str, object] | None = None) -> FastAPI:
    """``after_publish(runtime)`` runs after an innovation is published through the web or the
    API, to bring the search engine up to date (``jippnas serve`` passes the indexer's outbox
    sync; without it a publication reaches search at the next ``jippnas`` sync).
    ``programme_exports`` are the programme formats ``/api/v1/export`` writes, by name
    (``indexer.exports.programme_exports()``: derived from the crosswalks, which the web does
    not read itself)."""
    settings = settings or get_settings()
    # FastAPI's own /docs and /redoc load their scripts from a CDN: off; /docs is served locally.
    app = FastAPI(title="JIPPNas Search API", version="1.0", docs_url=None, redoc_url=None,
                  description="Search Indonesia's public-service innovations (KIPP, IGA, InoLAN).")
    # Innermost: the time limit around the application, then the per-client rate limits (inside
    # CORS, so a widget on another portal can read its 429); logins share the limiter.
    app.state.rate_limiter = RateLimiter(settings.rate_limit_storage)
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout)
    app.add_middleware(Throttle, limiter=app.state.rate_limiter, limits=Limits.from_settings(settings),
                       render_page=pages.rate_limited_page)
    api.install(app, Runtime(settings))
    app.state.programme_exports = programme_exports
    replications_api.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Swagger UI's files as the pinned fastapi-offline package ships them (pyproject.toml).
    app.mount("/docs-assets", StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"),
              name="docs-assets")
    pages.install(app)
    network.install(app)
    editor.install(app, settings, after_publish)
    updating.install(app)
    # Outermost last: limits first, then the Host check, then headers on whatever answers.
    app.add_middleware(SecurityHeaders, https=(settings.public_url or "").startswith("https://"))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes, max_url_bytes=settings.max_url_bytes)
    return app


def server_config(app, settings: Settings | None = None, **options) -> "uvicorn.Config":
    """How the app is served (the command line and the tests use this). h11 resets the
    connection on a request head over its buffer (16 KiB by default) before the app can answer:
    a 1 MiB buffer lets RequestLimits answer 414 for any long address instead. X-Forwarded-For
    is believed from JIPPNAS_TRUSTED_PROXIES only (the rate limits count per client address)."""
    import uvicorn

    settings = settings or get_settings()
    if settings.trusted_proxies is not None:
        options.setdefault("forwarded_allow_ips", settings.trusted_proxies)
    return uvicorn.Config(app, h11_max_incomplete_event_size=1 << 20, **options)
