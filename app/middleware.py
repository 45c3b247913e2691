"""What every request goes through: request id, credentials, faults, the journal.

A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware: it sits on
the path of every request, and this way costs a few microseconds, not a task.
"""

import asyncio
import logging
import os
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.context import Emulator
from app.errors import (
    ApiError,
    AuthenticationFailed,
    BadRequest,
    UnexpectedError,
    render_errors,
)
from app.faults import (
    FAULT_HEADER,
    Fault,
    FaultHeaderError,
    FaultRegistry,
    parse_fault_header,
)
from app.journal import JOURNAL_BODY_LIMIT, Journal, JournalEntry
from app.route_path import CONTROL_PREFIX
from app.routers.numbers import TelnyxOperations
from app.store import SHARED_TENANT, tenant_key

logger = logging.getLogger(__name__)

# A posted fixture document may hold far more than a PATCH; still, not without end.
MAX_CONTROL_BODY_BYTES = 16 * 1024 * 1024
PUBLIC_PATHS = frozenset({"/openapi.yml", "/openapi.json"})
_FAULT_HEADER_NAME = FAULT_HEADER.encode()


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _request_id() -> str:
    """A random (version 4) UUID, formatted without building a uuid.UUID."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{variant}{digits[17:20]}-{digits[20:]}"
    )


class DroppedConnection(Exception):
    """Raised after the response started, so that the server closes the socket."""


class DroppedConnectionFilter(logging.Filter):
    """Keeps the server from logging a dropped connection as an application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        return not (exc_info and isinstance(exc_info[1], DroppedConnection))


def bearer_token(values: list[bytes]) -> str | None:
    """The token of exactly one well-formed `Authorization: Bearer` header."""
    if len(values) != 1:
        return None
    value = values[0].decode("latin-1")
    scheme, space, token = value.partition(" ")
    if scheme.lower() != "bearer" or not space or not token or token[0].isspace():
        return None
    return token


async def send_errors(
    send: Send, errors: Iterable[ApiError], extra_headers: list[tuple[bytes, bytes]]
) -> None:
    errors = list(errors)
    body = render_errors(errors)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    for error in errors:
        headers += [(k.encode(), v.encode()) for k, v in error.headers.items()]
    await send(
        {"type": "http.response.start", "status": errors[0].status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})


class EmulatorMiddleware:
    def __init__(self, app: ASGIApp, *, emulator: Emulator) -> None:
        self.app = app
        self.telnyx = TelnyxOperations(app, emulator)
        self.journal: Journal = emulator.journal
        self.faults: FaultRegistry = emulator.faults
        self.api_keys = frozenset(emulator.settings.api_key)
        self.isolate_by_api_key = emulator.settings.isolate_by_api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id()
        id_header = (b"x-request-id", request_id.encode())
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX) or path in PUBLIC_PATHS:
            if _declared_length(scope) > MAX_CONTROL_BODY_BYTES:
                too_large = BadRequest(
                    f"The request body is larger than {MAX_CONTROL_BODY_BYTES} bytes.",
                    pointer="/",
                )
                await send_errors(send, [too_large], [id_header])
                return
            await self._serve(self.app, scope, receive, send, id_header, None)
            return
        await self._serve_telnyx(scope, receive, send, request_id, id_header)

    async def _serve(
        self,
        app: ASGIApp,
        scope: Scope,
        receive: Receive,
        send: Send,
        id_header: tuple[bytes, bytes],
        response: "_Response | None",
    ) -> None:
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), id_header]
                if response is not None:
                    response.status = message["status"]
            elif response is not None and response.capture:
                response.add(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        except DroppedConnection:
            raise
        except Exception:
            logger.exception(
                "unexpected error answering %s %s", scope["method"], scope["path"]
            )
            if started:
                # The mounted control app answered it already, in the envelope
                # (see app.main); the error is logged here, once.
                return
            await send_errors(
                send_with_id,
                [UnexpectedError("An unexpected error occurred in the emulator.")],
                [],
            )

    async def _serve_telnyx(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        id_header: tuple[bytes, bytes],
    ) -> None:
        started_at = time.time()
        clock = time.perf_counter()
        recording = self.journal.enabled
        request_body: list[bytes] = []
        response = _Response(capture=recording)
        tenant = SHARED_TENANT

        async def receive_and_record(
            message_limit: int = JOURNAL_BODY_LIMIT,
        ) -> Message:
            message = await receive()
            if recording and message["type"] == "http.request":
                room = message_limit - sum(map(len, request_body))
                if room > 0:
                    request_body.append(message.get("body", b"")[:room])
            return message

        try:
            authorization: list[bytes] = []
            fault_header: bytes | None = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization.append(value)
                elif name == _FAULT_HEADER_NAME:
                    fault_header = value
            token = bearer_token(authorization)
            if token is not None and self.isolate_by_api_key:
                tenant = tenant_key(token)
            fault = self._fault_for(scope, fault_header, tenant)
            if fault is not None and await self._apply_fault(
                fault, receive_and_record, send, id_header, response
            ):
                return
            if token is None or (self.api_keys and token not in self.api_keys):
                await _drain(receive_and_record)
                response.status = 401
                await send_errors(
                    _capturing(send, response), [AuthenticationFailed()], [id_header]
                )
                return
            scope["emulator.tenant"] = tenant
            await self._serve(
                self.telnyx, scope, receive_and_record, send, id_header, response
            )
        except FaultHeaderError as error:
            response.status = 400
            await send_errors(
                _capturing(send, response),
                [BadRequest(str(error), parameter=FAULT_HEADER)],
                [id_header],
            )
        finally:
            if recording:
                self.journal.record(
                    JournalEntry(
                        started=started_at,
                        method=scope["method"],
                        path=scope["path"],
                        query=scope["query_string"].decode("latin-1"),
                        headers=list(scope["headers"]),
                        body=b"".join(request_body),
                        status=response.status,
                        response_body=b"".join(response.chunks),
                        duration=time.perf_counter() - clock,
                        request_id=request_id,
                        tenant=tenant,
                    )
                )

    def _fault_for(
        self, scope: Scope, header: bytes | None, tenant: str
    ) -> Fault | None:
        if header is not None:
            return parse_fault_header(header.decode("latin-1"))
        return self.faults.take(scope["method"], scope["path"], tenant)

    async def _apply_fault(
        self,
        fault: Fault,
        receive: Receive,
        send: Send,
        id_header: tuple[bytes, bytes],
        response: "_Response",
    ) -> bool:
        """Act out a fault; True when it answered the request itself."""
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)
            return False
        await _drain(receive)
        if fault.kind == "drop":
            response.status = 0
            await send(
                {"type": "http.response.start", "status": 500, "headers": [id_header]}
            )
            raise DroppedConnection()
        response.status = fault.status
        await send_errors(_capturing(send, response), [fault.error()], [id_header])
        return True


class _Response:
    """What the journal keeps of a response."""

    __slots__ = ("capture", "chunks", "size", "status")

    def __init__(self, *, capture: bool) -> None:
        self.capture = capture
        self.status = 0
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        room = JOURNAL_BODY_LIMIT - self.size
        if room > 0:
            self.chunks.append(chunk[:room])
            self.size += min(len(chunk), room)


def _capturing(send: Send, response: _Response) -> Send:
    async def send_and_capture(message: Message) -> None:
        if message["type"] == "http.response.body" and response.capture:
            response.add(message.get("body", b""))
        await send(message)

    return send_and_capture


async def _drain(receive: Receive) -> None:
    """Read what is left of a request body we will not use."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
