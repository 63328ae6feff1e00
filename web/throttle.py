"""Per-client rate limits and a time limit per request.

One limiter (the ``limits`` library, moving windows, storage from ``JIPPNAS_RATE_LIMIT_STORAGE``)
counts everything: failed logins (``auth.LoginLimiter``) and the public API and costly pages
(``Throttle``). What a request costs:

- ``api``: every request under ``/api/v1/``;
- ``search``: a request that embeds a query (a hybrid or semantic search with a query, in the
  API or on ``/`` and ``/embed``, similar problems in the API and on ``/masalah``);
- ``export``: ``/api/v1/export`` (every match, streamed), with a lower limit of its own.

The client is ``scope["client"]``: uvicorn's proxy-headers middleware replaces it with the
``X-Forwarded-For`` address only when the connection comes from a trusted proxy
(``JIPPNAS_TRUSTED_PROXIES``); a forwarded header from anyone else is ignored.

Time limit (``RequestTimeout``): a request whose response has not started after
``JIPPNAS_REQUEST_TIMEOUT`` seconds is answered 503 ``timeout`` with Retry-After, and the
worker is free for the next request at once. Python cannot stop the thread running a sync
endpoint; what that thread waits on is bounded separately (OpenSearch calls by the client
timeout, query embeddings by the embedding slots' wait), so it ends soon after.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .security import send_error

EMBEDDING_PAGES = ("/", "/embed")
EMBEDDING_MODES = ("hybrid", "semantic")


class RateLimiter:
    """The app's one limiter: ``hit`` counts a request and says whether it may go on."""

    def __init__(self, storage_uri: str):
        self.strategy = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limit: RateLimitItem, *keys: str) -> bool:
        return self.strategy.hit(limit, *keys)

    def allows(self, limit: RateLimitItem, *keys: str) -> bool:
        return self.strategy.test(limit, *keys)

    def retry_after(self, limit: RateLimitItem, *keys: str) -> int:
        """Seconds until the window lets one more request through."""
        return max(1, int(self.strategy.get_window_stats(limit, *keys).reset_time - time.time()) + 1)


def parse_limit(setting: str, value: str) -> RateLimitItem | None:
    """``"60/minute"`` (limits' notation); empty: no limit. A bad value fails at start-up."""
    if not value.strip():
        return None
    try:
        return parse(value)
    except ValueError:
        raise ValueError(f"JIPPNAS_{setting.upper()}: {value!r} is not a rate limit like '60/minute'") from None


@dataclass(frozen=True)
class Limits:
    api: RateLimitItem | None
    search: RateLimitItem | None
    export: RateLimitItem | None

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(*(parse_limit(f"rate_limit_{name}", getattr(settings, f"rate_limit_{name}"))
                     for name in ("api", "search", "export")))


def _embeds(path: str, method: str, query: dict[str, list[str]]) -> bool:
    q = (query.get("q") or [""])[0].strip()
    if path == "/api/v1/similar-problems" and method == "POST":
        return True
    if path == "/masalah":
        return len(q) >= 3
    if path == "/api/v1/search" or path in EMBEDDING_PAGES:
        return bool(q) and (query.get("mode") or ["hybrid"])[0] in EMBEDDING_MODES
    return False


def costs(scope: Scope, limits: Limits) -> list[tuple[str, RateLimitItem]]:
    """The limits a request counts against, cheapest first."""
    path, method = scope["path"], scope["method"]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    found = []
    if path.startswith("/api/v1/") and limits.api:
        found.append(("api", limits.api))
    if path == "/api/v1/export" and limits.export:
        found.append(("export", limits.export))
    elif _embeds(path, method, query) and limits.search:
        found.append(("search", limits.search))
    return found


class Throttle:
    """429 with Retry-After once a client passes a limit; ``render_page(request, retry_after)``
    answers page URLs (an HTML page in the visitor's language), the API gets the error shape."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, limits: Limits,
                 render_page: Callable[[Request, int], object]):
        self.app, self.limiter, self.limits, self.render_page = app, limiter, limits, render_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        for name, limit in costs(scope, self.limits):
            if not self.limiter.hit(limit, name, client):
                await self._refuse(scope, receive, send, name, limit, self.limiter.retry_after(limit, name, client))
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope, receive, send, name: str, limit: RateLimitItem, retry_after: int) -> None:
        if not scope["path"].startswith("/api/"):
            response = self.render_page(Request(scope), retry_after)
            response.headers["Retry-After"] = str(retry_after)
            await response(scope, receive, send)
            return
        what = {"api": "requests to the API", "search": "searches that embed a query", "export": "exports"}[name]
        await send_error(send, 429, "rate_limited", f"too many {what} from your address ({limit}); "
                                                    f"try again in {retry_after} s",
                         {"limit": str(limit), "retry_after": retry_after}, retry_after)


class RequestTimeout:
    """503 ``timeout`` when the response has not started within ``seconds`` (see the module
    docstring for what happens to the work in progress). A response that has started (an
    export streaming) is not cut off."""

    def __init__(self, app: ASGIApp, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.seconds:
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()
        timed_out = False

        async def guarded_send(message: Message) -> None:
            if timed_out:
                return  # the caller has had its answer
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        waiter = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task in done or started.is_set():
            await task  # finished, or streaming: let it run to the end
            return
        timed_out = True
        task.cancel()  # a sync endpoint's thread still runs to its end: its outcome is dropped
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        await send_error(send, 503, "timeout", f"the request took longer than {self.seconds:g} s; try again later",
                         None, retry_after=5)
