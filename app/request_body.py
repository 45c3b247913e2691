"""Reading a JSON request body strictly, within a size limit."""

import json
from typing import Any

from starlette.types import Receive, Scope

from app.errors import BadRequest, InvalidJson, UnsupportedMediaType
from app.validation import json_type

MAX_BODY_BYTES = 1024 * 1024


def is_json_media_type(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def _holds_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def header(scope: Scope, name: bytes) -> str | None:
    """The last value of a request header, by its lower-case name."""
    value = None
    for key, raw in scope["headers"]:
        if key == name:
            value = raw.decode("latin-1")
    return value


def _too_large() -> BadRequest:
    return BadRequest(
        f"The request body is larger than {MAX_BODY_BYTES} bytes.", pointer="/"
    )


async def read_body(scope: Scope, receive: Receive) -> bytes:
    """The raw body; stops reading, and refuses it, once past MAX_BODY_BYTES."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def parse_json_object(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as a JSON object; anything else raises in Telnyx's terms."""
    # No body at all reads as `{}`: the Node SDK sends none for its documented call
    # `updateRequirements(id)`, and a JSON API framework hands such a request an
    # empty set of parameters. A body of blanks is still refused as missing.
    if not body:
        return {}
    if not body.strip():
        raise BadRequest(
            "The request body is missing; send a JSON object such as "
            '{"regulatory_requirements": []}.',
            pointer="/",
        )
    if not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'} is not supported; send the body "
            "as application/json."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidJson(
            f"The body is not valid UTF-8 (byte {error.start}).", pointer="/"
        ) from None
    try:
        data = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as error:
        raise InvalidJson(
            f"The body is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}.",
            pointer="/",
        ) from None
    except ValueError as error:
        reason = str(error)
        if "int_max_str_digits" in reason:
            reason = "a number has more digits than the 4300 accepted"
        raise InvalidJson(
            f"The body is not valid JSON: {reason}.", pointer="/"
        ) from None
    except RecursionError:
        raise InvalidJson("The body is nested too deeply.", pointer="/") from None
    # Only a \u escape can smuggle in half of a UTF-16 pair (\ud800), which Python
    # decodes but neither SQLite nor a JSON response can encode again.
    if "\\u" in text and _holds_lone_surrogate(data):
        raise InvalidJson(
            "The body holds an escaped lone surrogate (such as \\ud800), which is "
            "not a character.",
            pointer="/",
        )
    if not isinstance(data, dict):
        raise BadRequest(
            f"The body must be a JSON object, not {json_type(data)}.", pointer="/"
        )
    return data


async def read_json_object(scope: Scope, receive: Receive) -> dict[str, Any]:
    body = await read_body(scope, receive)
    return parse_json_object(body, header(scope, b"content-type"))
