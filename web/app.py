"""The ASGI application: JSON API + pages."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from search_api.config import Settings, get_settings
from search_api.runtime import Runtime

from . import api, pages
from .security import SecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="JIPPNas Search API", version="1.0",
                  description="Search Indonesia's public-service innovations (KIPP, IGA, InoLAN).")
    api.install(app, Runtime(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    pages.install(app)
    app.add_middleware(SecurityHeaders)
    return app
