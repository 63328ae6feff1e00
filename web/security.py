"""Security headers on every response."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our pages use no inline script or style; SVG charts are markup, so 'self' is enough.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}")
PAGE_CSP = _CSP.format(ancestors="'self'")
# /embed exists to be framed by other portals; every other page may only be framed by us.
EMBED_CSP = _CSP.format(ancestors="*")
EMBED_PATHS = ("/embed",)
# FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with an inline bootstrap script.
DOCS_PATHS = ("/docs", "/redoc")


def _framing_headers(path: str) -> list[tuple[bytes, bytes]]:
    if path in EMBED_PATHS:
        return [(b"content-security-policy", EMBED_CSP.encode())]
    headers = [(b"x-frame-options", b"SAMEORIGIN")]  # for browsers without frame-ancestors
    if not path.startswith(DOCS_PATHS):
        headers.append((b"content-security-policy", PAGE_CSP.encode()))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(b"x-content-type-options", b"nosniff"),
                 (b"referrer-policy", b"strict-origin-when-cross-origin"), *_framing_headers(scope["path"])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
