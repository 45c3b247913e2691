"""The benchmark's ceiling: a trivial FastAPI app on the emulator's server stack.

Each endpoint has the shape of one of the emulator's routes, reads the request
body and answers with a fixed, pre-encoded 700-byte JSON document. Nothing is
validated, stored or looked up, so its throughput is what uvicorn, uvloop,
httptools, Starlette and FastAPI can do on this machine: the most the emulator
could reach.

    python bench/ceiling.py --port 4011

The server settings mirror `telnyx-emulator`'s defaults (app/server.py,
app/settings.py): one process, uvloop, httptools, uvicorn's logging config at
level "info", no access log, no `server` header.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response

BODY_SIZE = 700
PHONE_NUMBERS = "/v2/number_order_phone_numbers"


def _record() -> dict[str, Any]:
    return {
        "id": "dc8e4d67-33a0-4cbb-af74-7b58f05bd494",
        "record_type": "number_order_phone_number",
        "phone_number": "+19705555098",
        "order_request_id": "dc8e4d67-33a0-4cbb-af74-7b58f05bd495",
        "sub_number_order_id": "dc8e4d67-33a0-4cbb-af74-7b58f05bd496",
        "country_code": "US",
        "phone_number_type": "local",
        "locality": "San Francisco",
        "deadline": "P30D",
        "is_block_number": False,
        "bundle_id": None,
        "status": "pending",
        "requirements_met": False,
        "requirements_status": "pending",
        "regulatory_requirements": [
            {
                "requirement_id": "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576",
                "field_type": "address",
                "field_value": "45f45a04-b4be-4592-95b1-9306b9db2b21",
                "status": "pending-approval",
            }
        ],
    }


def fixed_body(size: int = BODY_SIZE) -> bytes:
    """A JSON document of exactly `size` bytes, padded in one string field."""
    document: dict[str, Any] = {"data": _record(), "padding": ""}
    base = len(json.dumps(document, separators=(",", ":")).encode())
    if base > size:
        raise ValueError(f"the base document is already {base} bytes")
    document["padding"] = "x" * (size - base)
    encoded = json.dumps(document, separators=(",", ":")).encode()
    assert len(encoded) == size
    return encoded


BODY = fixed_body()
app = FastAPI(title="telnyx-emulator benchmark ceiling")


def _answer() -> Response:
    return Response(content=BODY, media_type="application/json")


@app.patch(PHONE_NUMBERS + "/{number_id}")
async def patch_one(number_id: str, request: Request) -> Response:
    await request.body()
    return _answer()


@app.get(PHONE_NUMBERS + "/{number_id}")
async def get_one(number_id: str, request: Request) -> Response:
    await request.body()
    return _answer()


@app.get(PHONE_NUMBERS)
async def get_list(request: Request) -> Response:
    await request.body()
    return _answer()


@app.post("/_emulator/reset")
async def reset(request: Request) -> Response:
    await request.body()
    return _answer()


@app.get("/_emulator/health")
async def health(request: Request) -> Response:
    await request.body()
    return _answer()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4011)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--loop", default="uvloop")
    parser.add_argument("--http", default="httptools")
    parser.add_argument(
        "--access-log", action=argparse.BooleanOptionalAction, default=False
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop=args.loop,
        http=args.http,
        log_level=args.log_level,
        access_log=args.access_log,
        server_header=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
