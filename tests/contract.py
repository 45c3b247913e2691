"""One check for every response the tests receive: does it fit openapi.yml?

openapi-core reads the project's own openapi.yml and validates each response of
the Telnyx routes against the operation it answers. Answers that the definition
has no entry for (a 405, a 429 from an armed fault, a 404 for an unknown route)
are still checked against its error envelope schema, `numbers_Errors`.
"""

from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yml"
TELNYX_HOST = "https://api.telnyx.com"


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_path(OPENAPI_PATH)


@cache
def _error_envelope_schema() -> dict[str, Any]:
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    schemas = document["components"]["schemas"]
    envelope = dict(schemas["numbers_Errors"])
    envelope["$defs"] = {"numbers_Error": schemas["numbers_Error"]}
    envelope["properties"] = {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "allOf": [
                    {"$ref": "#/$defs/numbers_Error"},
                    {"required": ["code", "title", "detail", "meta"]},
                ]
            },
        }
    }
    envelope["required"] = ["errors"]
    return envelope


def check_error_envelope(body: Any) -> None:
    jsonschema.validate(body, _error_envelope_schema())


def check_response(response: httpx.Response) -> None:
    """Fail unless a Telnyx route's response fits openapi.yml."""
    response.read()
    # The path as sent: an id holding an escaped `/` stays one segment, as routed.
    path = response.request.url.raw_path.decode("ascii").partition("?")[0]
    if path.startswith("/_emulator") or path.startswith("/openapi"):
        return
    assert response.headers.get("x-request-id"), "every response has an x-request-id"
    if response.status_code >= 400:
        check_error_envelope(response.json())
    if not path.startswith("/v2/") and path != "/v2":
        path = "/v2" + path
    request = MockRequest(
        TELNYX_HOST,
        response.request.method.lower(),
        path,
        args=dict(response.request.url.params),
        data=response.request.content,
    )
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )
    try:
        _openapi().validate_response(request, mock_response)
    except (PathNotFound, ResponseNotFound):
        assert response.status_code >= 400, f"{path} is not in openapi.yml"
    except Exception as error:
        if "OperationNotFound" in type(error).__name__:
            assert response.status_code == 405
            return
        raise


async def check_response_async(response: httpx.Response) -> None:
    """check_response, as an event hook of an httpx.AsyncClient."""
    await response.aread()
    check_response(response)
