"""Telnyx's error envelope, and one exception class per error the emulator answers.

Every class carries the HTTP status, Telnyx's error code and its title; a raise
names only what went wrong (`detail`) and where (`pointer` into the JSON body, or
the query or path `parameter`). `render_errors` turns them into the body that
Telnyx sends: `{"errors": [{code, title, detail, source, meta}]}`.
"""

import json
from collections.abc import Mapping, Sequence
from typing import ClassVar

ERROR_DOCS_URL = "https://developers.telnyx.com/docs/overview/errors/"


class ApiError(Exception):
    """Base of every error answered in Telnyx's envelope."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "10007"
    title: ClassVar[str] = "Unexpected error"

    def __init__(
        self,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, object]:
        source: dict[str, str] = {}
        if self.pointer is not None:
            source["pointer"] = self.pointer
        if self.parameter is not None:
            source["parameter"] = self.parameter
        error: dict[str, object] = {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        }
        if source:
            error["source"] = source
        error["meta"] = {"url": ERROR_DOCS_URL + self.code}
        return error


class ApiErrorGroup(Exception):
    """Several problems found in one request, answered together."""

    def __init__(self, errors: Sequence[ApiError]) -> None:
        super().__init__("; ".join(error.detail for error in errors))
        self.errors = list(errors)

    @property
    def status(self) -> int:
        return self.errors[0].status


class AuthenticationFailed(ApiError):
    """The Authorization header is missing, not a bearer token, or not accepted."""

    status, code, title = 401, "10009", "Authentication failed"

    def __init__(self) -> None:
        super().__init__("Could not understand the provided credentials.")

    def to_dict(self) -> dict[str, object]:
        # Exactly the body of the 401 example in Telnyx's definition: no source.
        return {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "meta": {"url": ERROR_DOCS_URL + self.code},
        }


class ResourceNotFound(ApiError):
    """No resource with that id, or no route at that path."""

    status, code, title = 404, "10005", "Resource not found"


class InvalidJson(ApiError):
    """The body is not valid JSON, or not UTF-8."""

    status, code, title = 400, "10023", "Invalid JSON"


class BadRequest(ApiError):
    """The request is malformed: body missing or too large, bad query parameter."""

    status, code, title = 400, "10015", "Bad Request"


class UnsupportedMediaType(ApiError):
    """The body is not sent as JSON."""

    status, code, title = 400, "10014", "Unsupported Media Type"


class MethodNotAllowed(ApiError):
    """The path exists but does not answer this method."""

    status, code, title = 405, "10015", "Bad Request"


class InvalidParameterType(ApiError):
    """A field of the body has the wrong JSON type."""

    status, code, title = 422, "10026", "Invalid parameter type"


class MissingParameter(ApiError):
    """A required field of the body is missing."""

    status, code, title = 422, "10004", "Missing required parameter"


class InvalidId(ApiError):
    """An id in the body is not a UUID."""

    status, code, title = 422, "10006", "Invalid ID"


class MissingAssociation(ApiError):
    """A requirement or group is not associated with this phone number."""

    status, code, title = 422, "10013", "Missing association"


class DuplicateResource(ApiError):
    """The same requirement is given twice in one request."""

    status, code, title = 422, "10012", "Duplicate resource"


class AssociatedResourceMissing(ApiError):
    """An address, document or requirement group id names nothing that exists."""

    status, code, title = 422, "10017", "Associated resource does not exist"


class InvalidEnumValue(ApiError):
    """A textual value is not among the requirement's acceptable values."""

    status, code, title = 422, "10032", "Invalid enumerated value"


class ValueOutOfRange(ApiError):
    """A value is shorter or longer than the requirement allows."""

    status, code, title = 422, "10033", "Value outside of range"


class InvalidValue(ApiError):
    """A value is invalid for another reason, or the number can no longer change."""

    status, code, title = 422, "10015", "Bad Request"


class TooManyRequests(ApiError):
    """Rate limited (only ever on demand, through an armed fault)."""

    status, code, title = 429, "10011", "Too many requests"


class UnexpectedError(ApiError):
    """Anything that went wrong inside the emulator."""

    status, code, title = 500, "10007", "Unexpected error"


class ServiceUnavailable(ApiError):
    """Telnyx is unavailable (only ever on demand, through an armed fault)."""

    status, code, title = 503, "10007", "Unexpected error"


def render_errors(errors: Sequence[ApiError]) -> bytes:
    """The JSON body Telnyx sends for these errors."""
    return json.dumps({"errors": [error.to_dict() for error in errors]}).encode()
