"""Assembling the emulator: `create_app(settings)` builds one, ready to serve."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from app import __version__
from app.context import Emulator, OpenApiDocument
from app.errors import (
    ApiError,
    ApiErrorGroup,
    BadRequest,
    InvalidParameterType,
    MethodNotAllowed,
    ResourceNotFound,
    UnexpectedError,
    render_errors,
)
from app.middleware import DroppedConnectionFilter, EmulatorMiddleware
from app.paths import default_fixtures_dir, openapi_path
from app.route_path import SegmentRouting
from app.routers.control import create_control_app
from app.seed import load_fixtures_dir
from app.settings import Settings
from app.store import Store

if TYPE_CHECKING:
    from app.db import Database

logger = logging.getLogger(__name__)


def _error_response(errors: list[ApiError]) -> Response:
    headers: dict[str, str] = {}
    for error in errors:
        headers.update(error.headers)
    return Response(
        render_errors(errors),
        status_code=errors[0].status,
        media_type="application/json",
        headers=headers,
    )


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return _error_response([error])


async def _api_error_group(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiErrorGroup)
    return _error_response(error.errors)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette names only one)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            allowed.append(method)
    return allowed


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    where = f"{request.method} {request.url.path}"
    if error.status_code == 404:
        return _error_response([ResourceNotFound(f"No route matches {where}.")])
    if error.status_code == 405:
        allowed = ", ".join(_allowed_methods(request))
        problem = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}; "
            f"allowed: {allowed}."
        )
        problem.headers = {"Allow": allowed}
        return _error_response([problem])
    return _error_response([BadRequest(f"{where}: {error.detail}")])


async def _unexpected_error(request: Request, error: Exception) -> Response:
    return _error_response(
        [UnexpectedError("An unexpected error occurred in the emulator.")]
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems: list[ApiError] = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        message = problem["msg"]
        if location and location[0] == "body":
            pointer = "/" + "/".join(location[1:])
            problems.append(
                InvalidParameterType(f"{pointer}: {message}", pointer=pointer)
            )
        else:
            name = location[-1] if location else "request"
            problems.append(BadRequest(f"{name}: {message}", parameter=name))
    return _error_response(problems)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    ApiErrorGroup: _api_error_group,
    HTTPException: _http_error,
    RequestValidationError: _validation_error,
}


def _openapi_routes(app: FastAPI, document: OpenApiDocument) -> None:
    @app.get("/openapi.yml", include_in_schema=False)
    async def openapi_yaml() -> Response:
        return Response(document.text, media_type="application/yaml")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> Response:
        return Response(document.json, media_type="application/json")


def _open_file(path: Path) -> "Database":
    from app.db import Database

    return Database(path)


class EmulatorApp(FastAPI):
    """FastAPI, behind the emulator's own front: request ids, credentials, faults,
    the journal and the four Telnyx operations.

    The front comes before FastAPI's own layers rather than among its middleware:
    FastAPI's entry (telemetry checks, error middleware) costs a request about as
    much as the Telnyx operation it serves. Requests the front does not answer
    itself (the control API, the contract, unknown routes) go through all of it.
    """

    def __init__(self, emulator: Emulator, **options: Any) -> None:
        super().__init__(**options)
        # Segments first, so that the journal records the path as routed.
        self._front = SegmentRouting(
            EmulatorMiddleware(self._serve_with_fastapi, emulator=emulator)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _serve_with_fastapi(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """An emulator for these settings; fixtures are checked here, before serving."""
    settings = settings or Settings()
    fixtures = load_fixtures_dir(settings.fixtures or default_fixtures_dir())
    emulator = Emulator(settings, fixtures, OpenApiDocument.read(openapi_path()))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(
            None if settings.database is None else _open_file(settings.database),
            fixtures,
            emulator.clock,
            auto_review=settings.auto_review,
            max_isolated_copies=settings.max_isolated_copies,
        )
        if settings.database is None:
            emulator.state_source = store.open_in_memory()
        else:
            emulator.state_source = store.open(reset=settings.reset)
        emulator.store = store
        try:
            yield
        finally:
            store.database.close()

    app = EmulatorApp(
        emulator,
        title="telnyx-emulator",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.emulator = emulator
    _openapi_routes(app, emulator.openapi)
    control = create_control_app(emulator)
    for exception_class, handler in EXCEPTION_HANDLERS.items():
        control.add_exception_handler(exception_class, handler)
    # The mounted app has error middleware of its own, which would answer a failure
    # in plain text; this answers it in the envelope, and the front logs it.
    control.add_exception_handler(Exception, _unexpected_error)
    app.mount("/_emulator", control)
    _quiet_dropped_connections()
    return app


def _quiet_dropped_connections() -> None:
    server_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DroppedConnectionFilter) for f in server_logger.filters):
        server_logger.addFilter(DroppedConnectionFilter())
