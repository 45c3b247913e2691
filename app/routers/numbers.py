"""Telnyx's four Number Order Phone Numbers operations, as its SDKs call them."""

import json

from fastapi import APIRouter, Request, Response

from app.errors import BadRequest, InvalidParameterType, MissingParameter
from app.request_body import read_json_object
from app.route_path import path_parameter
from app.store import Store, Tenant
from app.validation import json_type

router = APIRouter()

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 250
# Telnyx answers a page past the end with no data; beyond a million pages the
# emulator answers 400 instead, so a runaway page counter shows up as an error.
MAX_PAGE_NUMBER = 1_000_000
JSON = "application/json"


def _state(request: Request) -> tuple[Store, Tenant]:
    store: Store = request.app.state.store
    store.tick(store.clock.now())
    return store, store.tenant(request.scope.get("emulator.tenant", ""))


def _data(rendered: bytes) -> Response:
    return Response(b'{"data":' + rendered + b"}", media_type=JSON)


def _page_parameter(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
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


@router.get("/number_order_phone_numbers")
async def list_number_order_phone_numbers(request: Request) -> Response:
    """Get a list of phone numbers associated to orders."""
    store, tenant = _state(request)
    page_number = _page_parameter(request, "page[number]", 1, MAX_PAGE_NUMBER)
    page_size = _page_parameter(request, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    numbers = store.list_numbers(
        tenant, request.query_params.get("filter[country_code]")
    )
    start = (page_number - 1) * page_size
    page = numbers[start : start + page_size]
    meta = {
        "page_number": page_number,
        "page_size": page_size,
        "total_pages": -(-len(numbers) // page_size),
        "total_results": len(numbers),
    }
    body = (
        b'{"data":['
        + b",".join(number.rendered() for number in page)
        + b'],"meta":'
        + json.dumps(meta).encode()
        + b"}"
    )
    return Response(body, media_type=JSON)


@router.get("/number_order_phone_numbers/{number_order_phone_number_id}")
async def get_number_order_phone_number(
    number_order_phone_number_id: str, request: Request
) -> Response:
    """Get an existing phone number in number order."""
    store, tenant = _state(request)
    number = store.get_number(tenant, path_parameter(number_order_phone_number_id))
    return _data(number.rendered())


@router.patch("/number_order_phone_numbers/{number_order_phone_number_id}")
async def update_number_order_phone_number(
    number_order_phone_number_id: str, request: Request
) -> Response:
    """Update requirements for a single phone number within a number order."""
    body = await read_json_object(request)
    store, tenant = _state(request)
    number = store.update_requirements(
        tenant, path_parameter(number_order_phone_number_id), body
    )
    return _data(number.rendered())


@router.post("/number_order_phone_numbers/{id}/requirement_group")
async def update_number_order_phone_number_requirement_group(
    id: str, request: Request
) -> Response:
    """Update requirement group for a phone number order."""
    body = await read_json_object(request)
    store, tenant = _state(request)
    pointer = "/requirement_group_id"
    if "requirement_group_id" not in body:
        raise MissingParameter("requirement_group_id is required.", pointer=pointer)
    group_id = body["requirement_group_id"]
    if not isinstance(group_id, str):
        raise InvalidParameterType(
            f"requirement_group_id must be a string, not {json_type(group_id)}.",
            pointer=pointer,
        )
    number = store.attach_requirement_group(tenant, path_parameter(id), group_id)
    return _data(
        json.dumps(
            number.to_requirement_group_dict(),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    )
