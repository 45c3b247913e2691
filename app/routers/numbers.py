"""Telnyx's four Number Order Phone Numbers operations, as its SDKs call them.

They are served by a small ASGI router of their own rather than by FastAPI's
APIRouter: an emulator sits in the path of every test its users run, and
FastAPI's per-request dependency resolution would cost more than the whole of
validating and storing a PATCH. Paths are matched under /v2 and at the root;
anything else goes on to the FastAPI app (the control API, the contract, and
the 404 of an unknown route).
"""

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from app.context import Emulator
from app.errors import (
    ApiError,
    ApiErrorGroup,
    BadRequest,
    InvalidParameterType,
    MethodNotAllowed,
    MissingParameter,
    render_errors,
)
from app.request_body import read_json_object
from app.route_path import path_parameter
from app.store import Store, Tenant
from app.validation import json_type

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 250
# Telnyx answers a page past the end with no data; beyond a million pages the
# emulator answers 400 instead, so a runaway page counter shows up as an error.
MAX_PAGE_NUMBER = 1_000_000


@dataclass(slots=True)
class Call:
    """One request to a Telnyx operation, and the store it acts on."""

    scope: Scope
    receive: Receive
    store: Store
    number_id: str

    def tenant(self) -> Tenant:
        """The caller's state as of now, with whatever has fallen due applied.

        Operations ask for it only after their last await: a reset while a body
        is still arriving replaces the tenant, and a write to the one it replaced
        would reach the database but never be served.
        """
        self.store.tick(self.store.clock.now())
        return self.store.tenant(self.scope.get("emulator.tenant", ""))

    def query(self) -> dict[str, str]:
        pairs = parse_qsl(self.scope["query_string"].decode("latin-1"), True)
        return dict(pairs)


Answer = tuple[int, bytes]
Operation = Callable[[Call], Awaitable[Answer]]


def _data(rendered: bytes) -> Answer:
    return 200, b'{"data":' + rendered + b"}"


def _page_parameter(
    query: dict[str, str], name: str, default: int, maximum: int
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(
            f"{name} must be a whole number, not {raw[:40]!r}.", parameter=name
        ) from None
    if not 1 <= value <= maximum:
        raise BadRequest(
            f"{name} must be between 1 and {maximum}, not {raw[:40]}.", parameter=name
        )
    return value


async def list_number_order_phone_numbers(call: Call) -> Answer:
    """Get a list of phone numbers associated to orders."""
    query = call.query()
    page_number = _page_parameter(query, "page[number]", 1, MAX_PAGE_NUMBER)
    page_size = _page_parameter(query, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    numbers = call.store.list_numbers(call.tenant(), query.get("filter[country_code]"))
    start = (page_number - 1) * page_size
    page = numbers[start : start + page_size]
    meta = {
        "page_number": page_number,
        "page_size": page_size,
        "total_pages": -(-len(numbers) // page_size),
        "total_results": len(numbers),
    }
    return 200, (
        b'{"data":['
        + b",".join(number.rendered() for number in page)
        + b'],"meta":'
        + json.dumps(meta).encode()
        + b"}"
    )


async def get_number_order_phone_number(call: Call) -> Answer:
    """Get an existing phone number in number order."""
    return _data(call.store.get_number(call.tenant(), call.number_id).rendered())


async def update_number_order_phone_number(call: Call) -> Answer:
    """Update requirements for a single phone number within a number order."""
    body = await read_json_object(call.scope, call.receive)
    number = call.store.update_requirements(call.tenant(), call.number_id, body)
    return _data(number.rendered())


async def update_number_order_phone_number_requirement_group(call: Call) -> Answer:
    """Update requirement group for a phone number order."""
    body = await read_json_object(call.scope, call.receive)
    pointer = "/requirement_group_id"
    if "requirement_group_id" not in body:
        raise MissingParameter("requirement_group_id is required.", pointer=pointer)
    group_id = body["requirement_group_id"]
    if not isinstance(group_id, str):
        raise InvalidParameterType(
            f"requirement_group_id must be a string, not {json_type(group_id)}.",
            pointer=pointer,
        )
    number = call.store.attach_requirement_group(
        call.tenant(), call.number_id, group_id
    )
    rendered = json.dumps(
        number.to_requirement_group_dict(), ensure_ascii=False, separators=(",", ":")
    )
    return _data(rendered.encode())


_PREFIX = r"^(?:/v2)?/number_order_phone_numbers"
ROUTES: tuple[tuple[re.Pattern[str], dict[str, Operation]], ...] = (
    (re.compile(_PREFIX + "$"), {"GET": list_number_order_phone_numbers}),
    (
        re.compile(_PREFIX + "/([^/]+)$"),
        {
            "GET": get_number_order_phone_number,
            "PATCH": update_number_order_phone_number,
        },
    ),
    (
        re.compile(_PREFIX + "/([^/]+)/requirement_group$"),
        {"POST": update_number_order_phone_number_requirement_group},
    ),
)


def _route(path: str) -> tuple[re.Match[str], dict[str, Operation]] | None:
    for pattern, operations in ROUTES:
        match = pattern.match(path)
        if match is not None:
            return match, operations
    return None


class TelnyxOperations:
    """The ASGI app of the four operations; other paths go on to `fallback`."""

    def __init__(self, fallback: ASGIApp, emulator: Emulator) -> None:
        self.fallback = fallback
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope["path"])
        if route is None:
            await self.fallback(scope, receive, send)
            return
        match, operations = route
        try:
            status, body = await self._answer(scope, receive, match, operations)
        except ApiError as error:
            status, body, headers = error.status, render_errors([error]), error.headers
        except ApiErrorGroup as group:
            status, body, headers = group.status, render_errors(group.errors), {}
        else:
            headers = {}
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *((k.encode(), v.encode()) for k, v in headers.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        match: re.Match[str],
        operations: dict[str, Operation],
    ) -> Answer:
        operation = operations.get(scope["method"])
        if operation is None:
            allowed = ", ".join(operations)
            raise MethodNotAllowed(
                f"{scope['method']} is not allowed on {scope['path']}; "
                f"allowed: {allowed}.",
                headers={"Allow": allowed},
            )
        store = self.emulator.ready_store
        number_id = path_parameter(match.group(1)) if match.groups() else ""
        return await operation(Call(scope, receive, store, number_id))
