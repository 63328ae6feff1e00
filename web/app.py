"""The ASGI application: JSON API + pages."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from search_api import api
from search_api.config import Settings, get_settings
from search_api.runtime import Runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="JIPPNas Search API", version="1.0",
                  description="Search Indonesia's public-service innovations (KIPP, IGA, InoLAN).")
    api.install(app, Runtime(settings))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home():
        return "<!doctype html><html lang=id><title>JIPPNas Search</title><h1>JIPPNas Search</h1>" \
               "<p>API: <a href=/docs>/docs</a></p></html>"

    return app
