"""Who is asking: sessions for people (a signed cookie, Starlette's SessionMiddleware), API
tokens for programs (``Authorization: Bearer jip_…``), CSRF protection on every form
(asgi-csrf: a signed token in a cookie, echoed in a hidden ``csrftoken`` field or an
``X-CSRFToken`` header), and a limit on failed logins (the ``limits`` library).

The signing secret is ``JIPPNAS_SECRET_KEY``; without it one is generated on first use into
``DATA_DIR/secret_key`` (several app instances serving one portal must share the variable).
"""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from limits import parse
from markupsafe import Markup, escape
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.sessions import SessionMiddleware

from catalog.accounts import User
from catalog.services import CatalogService, Identity

from .throttle import RateLimiter

SESSION_COOKIE = "jippnas_session"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrftoken"  # asgi-csrf's form field and, as X-CSRFToken, its header
LOGIN_PATH = "/masuk"
log = logging.getLogger("jippnas")


class AuthSettings(BaseSettings):
    """The web's own settings (environment, prefix JIPPNAS_), documented in the README."""

    model_config = SettingsConfigDict(env_prefix="JIPPNAS_", extra="ignore")

    secret_key: str | None = None
    session_hours: float = 8
    # Failed logins allowed per e-mail address and per client address (limits' notation).
    login_limit_account: str = "5/15 minutes"
    login_limit_client: str = "20/15 minutes"


def secret_key(data_dir: Path, configured: str | None) -> str:
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, one writes and the other reads what it wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    log.info("generated a secret key in %s (set JIPPNAS_SECRET_KEY when several instances serve one portal)", path)
    return key


class LoginLimiter:
    """Counts failed logins per account and per client; a login is refused (429) while
    either is over its limit, whether or not the password would be right."""

    def __init__(self, settings: AuthSettings, limiter: RateLimiter):
        self.limiter = limiter  # the app's one limiter and storage (web/throttle.py)
        self.account = parse(settings.login_limit_account)
        self.client = parse(settings.login_limit_client)

    def allowed(self, email: str, client: str) -> bool:
        return (self.limiter.allows(self.account, "login-account", email)
                and self.limiter.allows(self.client, "login-client", client))

    def failed(self, email: str, client: str) -> None:
        self.limiter.hit(self.account, "login-account", email)
        self.limiter.hit(self.client, "login-client", client)

    def retry_after(self, email: str, client: str) -> int:
        return max(self.limiter.retry_after(self.account, "login-account", email),
                   self.limiter.retry_after(self.client, "login-client", client))


@dataclass
class AuthState:
    settings: AuthSettings
    limiter: LoginLimiter


def service(request: Request) -> CatalogService:
    """The catalog's write services for this app (opened with the catalog, on first use)."""
    state = request.app.state
    if getattr(state, "catalog_service", None) is None:
        state.catalog_service = CatalogService(state.runtime.catalog)
    return state.catalog_service


def current_user(request: Request) -> User | None:
    """The signed-in user (None when nobody is, or the session no longer matches the account:
    deactivated, or its password changed since)."""
    if hasattr(request.state, "signed_in"):
        return request.state.signed_in
    user = None
    session = request.scope.get("session") or {}
    if session.get("uid") is not None:
        found = service(request).accounts.user(session["uid"])
        if found is not None and found.active and found.fingerprint == session.get("fp"):
            user = found
        else:
            session.clear()
    request.state.signed_in = user
    return user


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "fp": user.fingerprint})
    request.state.signed_in = user


def sign_out(request: Request) -> None:
    request.session.clear()
    request.state.signed_in = None


def web_identity(request: Request) -> Identity | None:
    user = current_user(request)
    return Identity.of_user(user, "web") if user else None


class SignInRequired(Exception):
    """A page for signed-in users was asked for without a session: the sign-in page answers,
    and comes back here afterwards."""


def signed_in(request: Request) -> Identity:
    """The signed-in user of a page (a route dependency); SignInRequired without one."""
    identity = web_identity(request)
    if identity is None:
        raise SignInRequired
    return identity


def _to_sign_in(request: Request, _exc: SignInRequired) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)


class Unauthenticated(Exception):
    """No session and no valid token: 401 on the API."""

    def __init__(self, message: str):
        self.message = message


def api_identity(request: Request) -> Identity:
    """A bearer token (an editor of its agency) or the signed-in user; else 401."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use Authorization: Bearer <token>")
        found = service(request).accounts.token(token.strip())
        if found is None:
            raise Unauthenticated("unknown or revoked token")
        return Identity.of_token(found)
    user = current_user(request)
    if user is None:
        raise Unauthenticated("sign in, or send Authorization: Bearer <token>")
    return Identity.of_user(user, "api")


def csrf_token(request: Request) -> str:
    return request.scope["csrftoken"]()


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, escape(csrf_token(request)))


def install(app: FastAPI, data_dir: Path, https: bool, render_error) -> None:
    """Sessions and CSRF on the app (add before the outer middleware: they run inside it).
    ``render_error(request, status)`` renders the page shown when a form's CSRF token is wrong;
    failed logins are counted by the app's limiter (``app.state.rate_limiter``)."""
    settings = AuthSettings()
    key = secret_key(data_dir, settings.secret_key)
    app.state.auth = AuthState(settings, LoginLimiter(settings, app.state.rate_limiter))
    app.add_exception_handler(SignInRequired, _to_sign_in)

    async def csrf_failed(scope, send, message_id):
        request = Request(scope)
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"error": {"code": "csrf_failed", "message": (
                "a request made with the session cookie needs the csrftoken cookie's value in an "
                "X-CSRFToken header (or use a bearer token)"), "details": None}}, status_code=403)
        else:
            response: HTMLResponse = render_error(request, 403)

        async def no_body():
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)

    # Inner first: sessions inside CSRF (the CSRF check needs no session).
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie=SESSION_COOKIE,
                       max_age=int(settings.session_hours * 3600), same_site="lax", https_only=https)
    # Login is protected even for a visitor with no cookie yet (login CSRF).
    app.add_middleware(asgi_csrf, signing_secret=f"csrf:{key}", always_protect={LOGIN_PATH},
                       cookie_secure=https, cookie_samesite="Lax", send_csrf_failed=csrf_failed)
