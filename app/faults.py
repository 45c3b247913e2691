"""Faults on demand: error answers, delays and dropped connections for tests.

A fault is armed for the next N requests that match it, through the control API,
or for one request through the `X-Emulator-Fault` header.
"""

import itertools
import math
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from app.errors import (
    ApiError,
    AuthenticationFailed,
    BadRequest,
    ResourceNotFound,
    ServiceUnavailable,
    TooManyRequests,
    UnexpectedError,
)
from app.journal import phone_number_id_of, unversioned

FaultKind = Literal["status", "delay", "drop"]
FAULT_HEADER = "x-emulator-fault"
RATE_LIMIT = 100

_ERROR_FOR_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    404: ResourceNotFound,
    429: TooManyRequests,
    500: UnexpectedError,
    503: ServiceUnavailable,
}
_ids = itertools.count(1)


class FaultHeaderError(ValueError):
    """An X-Emulator-Fault header the emulator cannot read."""


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    status: int = 500
    delay_ms: int = 0
    retry_after: float = 1
    times: int = 1
    method: str | None = None
    path: str | None = None
    phone_number_id: str | None = None
    # With --isolate-by-api-key, the copy whose requests it hits; None: any.
    tenant: str | None = None
    id: int = field(default_factory=lambda: next(_ids))

    def matches(self, method: str, path: str, tenant: str) -> bool:
        if self.tenant is not None and self.tenant != tenant:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is not None and not fnmatchcase(
            unversioned(path), unversioned(self.path)
        ):
            return False
        return self.phone_number_id is None or (
            phone_number_id_of(path) == self.phone_number_id
        )

    def error(self) -> ApiError:
        """The answer of a status fault, in Telnyx's envelope."""
        error_class = _ERROR_FOR_STATUS.get(self.status)
        detail = f"Fault injected by the emulator: HTTP {self.status}."
        if error_class is AuthenticationFailed:
            return AuthenticationFailed()
        if error_class is None:
            error_class = BadRequest if self.status < 500 else UnexpectedError
        error = error_class(detail)
        if self.status == 429:
            seconds = str(math.ceil(self.retry_after))
            error.headers = {
                "retry-after": seconds,
                "x-ratelimit-limit": str(RATE_LIMIT),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": seconds,
            }
            if not float(self.retry_after).is_integer():
                # Telnyx sends whole seconds only. A fraction asked for by a test
                # also goes out as retry-after-ms, which the Telnyx SDKs read
                # first, so that a test of their retries need not wait a second.
                error.headers["retry-after-ms"] = str(round(self.retry_after * 1000))
        return error

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status if self.kind == "status" else None,
            "delay_ms": self.delay_ms if self.kind == "delay" else None,
            "retry_after": _number(self.retry_after) if self.status == 429 else None,
            "remaining": self.times,
            "method": self.method,
            "path": self.path,
            "phone_number_id": self.phone_number_id,
            "api_key_scoped": self.tenant is not None,
        }


class FaultRegistry:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, tenant: str) -> Fault | None:
        """The first armed fault matching this request, used up by one."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.matches(method, path, tenant):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()


def parse_fault_header(value: str) -> Fault:
    """`status=429; retry_after=2`, `delay=250` or `drop`, for one request.

    retry_after is in seconds and may be a fraction (`retry_after=0.05`).
    """
    settings: dict[str, str] = {}
    for part in value.split(";"):
        name, _, setting = part.strip().partition("=")
        if name:
            settings[name.strip().lower()] = setting.strip()
    try:
        if "drop" in settings:
            return Fault(kind="drop")
        if "delay" in settings:
            return Fault(kind="delay", delay_ms=_bounded(settings["delay"], 0, 60_000))
        if "status" in settings:
            return Fault(
                kind="status",
                status=_bounded(settings["status"], 400, 599),
                retry_after=_bounded_seconds(settings.get("retry_after", "1")),
            )
    except ValueError as error:
        raise FaultHeaderError(f"X-Emulator-Fault {value!r}: {error}") from None
    raise FaultHeaderError(
        f"X-Emulator-Fault {value!r} names no fault; use status=CODE, delay=MS or drop."
    )


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _bounded_seconds(raw: str) -> float:
    seconds = float(raw)
    if not 0 <= seconds <= 3600:
        raise ValueError(f"retry_after {raw} is not between 0 and 3600 seconds")
    return seconds


def _bounded(raw: str, low: int, high: int) -> int:
    number = int(raw)
    if not low <= number <= high:
        raise ValueError(f"{number} is not between {low} and {high}")
    return number
