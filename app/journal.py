"""The journal: what clients sent to the Telnyx routes, and what they got back."""

import json
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.route_path import path_parameter

JOURNAL_BODY_LIMIT = 64 * 1024
_NUMBER_ID = re.compile(r"/number_order_phone_numbers/([^/]+)")


def phone_number_id_of(path: str) -> str | None:
    match = _NUMBER_ID.search(path)
    return path_parameter(match.group(1)) if match else None


def unversioned(path: str) -> str:
    """The same route whether the client called it under /v2 or at the root."""
    return path[3:] if path.startswith("/v2/") else path


def mask_authorization(value: str) -> str:
    """Enough of a credential to tell two apart, never enough to use one."""
    scheme, _, token = value.partition(" ")
    if not token:
        return "****"
    tail = token[-4:] if len(token) >= 16 else ""
    return f"{scheme} ****{tail}"


def _decode_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        data = json.loads(body)
        # An escaped lone surrogate (\ud800) decodes but cannot be encoded again:
        # such a body is kept as text, or the journal could not be served at all.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return body.decode("utf-8", errors="replace")
    return data


@dataclass(slots=True)
class JournalEntry:
    started: float
    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    status: int
    response_body: bytes
    duration: float
    request_id: str
    tenant: str

    @property
    def phone_number_id(self) -> str | None:
        return phone_number_id_of(self.path)

    def to_dict(self) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in self.headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name == "authorization":
                value = mask_authorization(value)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return {
            "time": datetime.fromtimestamp(self.started, UTC).isoformat(),
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": _decode_body(self.body),
            "status": self.status,
            "response_body": _decode_body(self.response_body),
            "duration_ms": round(self.duration * 1000, 3),
            "phone_number_id": self.phone_number_id,
        }


class Journal:
    """The newest entries, at most `size` of them: memory stays flat."""

    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)

    @property
    def enabled(self) -> bool:
        return self._entries.maxlen != 0

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        phone_number_id: str | None = None,
        tenant: str | None = None,
    ) -> list[JournalEntry]:
        """Newest first, filtered by whatever is given."""
        return [
            entry
            for entry in reversed(self._entries)
            if (method is None or entry.method == method.upper())
            and (path is None or unversioned(entry.path) == unversioned(path))
            and (status is None or entry.status == status)
            and (phone_number_id is None or entry.phone_number_id == phone_number_id)
            and (tenant is None or entry.tenant == tenant)
        ]

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._entries.clear()
            return
        kept = [entry for entry in self._entries if entry.tenant != tenant]
        self._entries.clear()
        self._entries.extend(kept)
