"""Security headers on every response, and limits on what a request may carry."""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our pages use no inline script or style; SVG charts are markup, so 'self' is enough.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}")
PAGE_CSP = _CSP.format(ancestors="'self'")
# /embed exists to be framed by other portals; every other page may only be framed by us.
EMBED_CSP = _CSP.format(ancestors="*")
EMBED_PATHS = ("/embed",)
# Swagger UI (/docs, local assets) sets style attributes as it renders: inline styles only there.
DOCS_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs",)
# Browser features no page of ours uses.
PERMISSIONS_POLICY = b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = b"max-age=31536000; includeSubDomains"


def _framing_headers(path: str) -> list[tuple[bytes, bytes]]:
    if path in EMBED_PATHS:
        return [(b"content-security-policy", EMBED_CSP.encode())]
    headers = [(b"x-frame-options", b"SAMEORIGIN")]  # for browsers without frame-ancestors
    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP
    return [*headers, (b"content-security-policy", csp.encode())]


class SecurityHeaders:
    """nosniff, referrer and permissions policies, framing rules; HSTS when the portal is
    served over HTTPS (its public URL says so, or the request came in over TLS)."""

    def __init__(self, app: ASGIApp, https: bool = False):
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
                 (b"permissions-policy", PERMISSIONS_POLICY), *_framing_headers(scope["path"])]
        if self.https or scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLimits:
    """414 for an over-long request line, 413 for an over-large body (by its Content-Length,
    or counted while it streams), before the application reads any of it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_url_bytes: int):
        self.app, self.max_body, self.max_url = app, max_body_bytes, max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if url_bytes > self.max_url:
            await send_error(send, 414, "uri_too_long", f"the address is longer than {self.max_url} bytes")
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await send_error(send, 413, "body_too_large", f"the request body is larger than {self.max_body} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await send_error(send, 413, "body_too_large", f"the request body is larger than {self.max_body} bytes")


class BodyTooLarge(Exception):
    """A streamed body passed the limit."""


async def send_error(send: Send, status: int, code: str, message: str, details: dict | None = None,
                     retry_after: int | None = None) -> None:
    """The API's error shape from a middleware; short and language-neutral, since no page has
    been chosen yet."""
    body = json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
