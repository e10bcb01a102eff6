"""The FastAPI application (``create_app``): the API, the web chat, their middleware and error responses.

``assistant serve`` (choosing, checking and serving an index) is ``assistant.launch``."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import api, web
from assistant.config import Settings
from assistant.engine import Assistant

log = logging.getLogger("assistant.server")

MAX_BODY_BYTES = 64 * 1024

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}


# --- middleware (pure ASGI, so nothing is buffered or rewrapped needlessly) ---------------------------------

async def _send_json(send: Send, status: int, payload: dict) -> None:
    response = JSONResponse(payload, status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; a route may set a stricter/looser CSP of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self) -> dict:
        return {"detail": f"The request body is too large: the limit is {self.limit} bytes "
                          f"(a question may have at most 1000 characters)."}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, self._too_large())
            return
        # Read the (small) body up front, counting: a chunked upload cannot sneak past the limit.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await _send_json(send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class InternalErrorMiddleware:
    """The catch-all: an unexpected exception is logged and answered with a JSON 500 (a genuine bug)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error while serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _send_json(send, 500, {"detail": "Internal server error. This is a bug; it has been logged."})


# --- error responses ----------------------------------------------------------------------------------------

_FIELD_MESSAGES: dict[str, Callable[[str, dict], str]] = {
    "missing": lambda f, e: ("The request body is missing: send JSON like "
                             '{"question": "Does magnesium help with anxiety?"}') if f == "body" else f"{f} is required",
    "json_invalid": lambda f, e: f"The body is not valid JSON ({e.get('ctx', {}).get('error', 'decode error')})",
    "json_unreadable": lambda f, e: f"The body cannot be read as JSON: {e.get('ctx', {}).get('error')}",
    "string_type": lambda f, e: f"{f} must be a string",
    "int_type": lambda f, e: f"{f} must be a whole number",
    "greater_than_equal": lambda f, e: f"{f} must be at least {e.get('ctx', {}).get('ge')}",
    "less_than_equal": lambda f, e: f"{f} must be at most {e.get('ctx', {}).get('le')}",
    "extra_forbidden": lambda f, e: f"Unknown field {f!r}; the fields are listed at /docs",
    "model_attributes_type": lambda f, e: 'The body must be a JSON object like {"question": "..."}',
    "dict_type": lambda f, e: 'The body must be a JSON object like {"question": "..."}',
    "value_error": lambda f, e: str(e.get("msg", "")).removeprefix("Value error, "),
}


def _field(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) if parts else "body"


def describe_validation_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"field", "message"}`` a person can act on."""
    items = []
    for e in errors:
        loc = e.get("loc", ())
        field = "body" if e.get("type") in ("json_invalid", "json_unreadable") else _field(loc)
        describe = _FIELD_MESSAGES.get(str(e.get("type")))
        message = describe(field, e) if describe else f"{field}: {e.get('msg', 'invalid')}"
        items.append({"field": field, "message": message})
    return items


def _invalid(errors: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    items = describe_validation_errors(errors)
    detail = "; ".join(i["message"] for i in items) or "The request is invalid"
    return JSONResponse({"detail": detail + ".", "errors": items}, status_code=422, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    return _invalid(exc.errors() if isinstance(exc, RequestValidationError) else [])


def body_parse_failure(exc: BaseException | None) -> str | None:
    """Why ``json.loads`` could not read a body, for what FastAPI answers with a bare 400 (its decode errors are
    already 422): bytes that are not UTF-8, nesting deeper than Python recurses, an integer too long to convert."""
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at position {exc.start})"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, ValueError):
        return f"a number in it has more than {sys.get_int_max_str_digits()} digits"
    return None


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api") or path == "/healthz") and "text/html" in request.headers.get("accept", "")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    reason = body_parse_failure(exc.__cause__) if exc.status_code == 400 else None
    if reason is not None:  # the same 422 as every other bad body, not an undocumented 400
        return _invalid([{"type": "json_unreadable", "loc": ("body",), "ctx": {"error": reason}}])
    headers = getattr(exc, "headers", None)
    if _wants_html(request) and exc.status_code in (404, 405):
        title = "Page not found" if exc.status_code == 404 else "Not allowed"
        return web.render_error(request, exc.status_code, title, "There is nothing here. Go back to the chat.")
    if _wants_html(request) and exc.status_code == 503:
        page = web.render_error(request, 503, "Busy", str(exc.detail))
        page.headers.update(headers or {})
        return page
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # Nobody reads this (the connection is closed); 499 is nginx's "client closed request", for the logs.
    return Response(status_code=499)


async def _unhandled(request: Request, exc: Exception) -> Response:  # reached only if a middleware itself fails
    log.error("unhandled error while serving %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "Internal server error. This is a bug; it has been logged."}, status_code=500)


# --- /docs: the vendored Swagger UI 5 (web/static/vendor/), no CDN and no inline script -----------------------

SWAGGER_UI = "vendor/swagger-ui"
# The chat's own CSP: Swagger UI 5 sets styles through the DOM, never as inline markup, so even style-src
# stays 'self' (checked in Chromium: no violation while rendering, expanding and trying out an operation).
DOCS_CSP = CSP


def _docs(app: FastAPI) -> Callable[[], HTMLResponse]:
    def docs() -> HTMLResponse:
        title = html.escape(f"{app.title} — API")
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{web.static_url(f"{SWAGGER_UI}/swagger-ui.css")}">
<link rel="icon" href="{web.static_url("favicon.svg")}" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(app.openapi_url or "/openapi.json")}"></div>
<script src="{web.static_url(f"{SWAGGER_UI}/swagger-ui-bundle.js")}"></script>
<script src="{web.static_url("vendor/swagger-ui-init.js")}"></script>
</body>
</html>
"""
        return HTMLResponse(page, headers={"content-security-policy": DOCS_CSP})

    return docs


# --- application ---------------------------------------------------------------------------------------------

async def _reload_forever(app: FastAPI, interval: float) -> None:
    """Switch to a newer index build when ``assistant index`` finished one; requests keep their snapshot."""
    while True:
        await asyncio.sleep(interval)
        assistant: Assistant | None = getattr(app.state, "assistant", None)
        if assistant is None:
            continue
        try:
            if await run_in_threadpool(assistant.reload_if_changed):
                log.info("serving index build %s", assistant.status().get("build_id"))
        except Exception as exc:  # a half-written or broken build: keep serving the current one
            log.warning("index reload failed, still serving the previous build: %s", exc)


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The web chat and the API over ``assistant``, or over the index in ``settings`` loaded at start-up."""
    settings = settings or (assistant.settings if assistant is not None else Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ask_pool = api.make_ask_pool(settings)
        if app.state.assistant is None:
            try:
                app.state.assistant = await run_in_threadpool(Assistant.load, settings)
            except Exception as exc:
                app.state.startup_error = exc
                log.error("cannot start: %s", exc)
                raise
            log.info("serving index build %s from %s", app.state.assistant.status().get("build_id"),
                     settings.index_dir)
        task = asyncio.create_task(_reload_forever(app, settings.reload_interval)) \
            if settings.reload_interval > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            app.state.ask_pool.shutdown()
            app.state.ask_pool = None

    app = FastAPI(
        title="Magnesium glycinate assistant",
        summary="Extractive answers: quoted passages from the bundled sources, with exact citations.",
        version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.startup_error = None
    app.state.ask_pool = None  # made by the lifespan (or on first use)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(api.ClientGone, _client_gone)
    app.add_exception_handler(Exception, _unhandled)
    # Added last = outermost: headers go on every response, including the 413 and the 500.
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(api.router)
    app.include_router(web.router)
    app.add_api_route("/docs", _docs(app), methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    return app
