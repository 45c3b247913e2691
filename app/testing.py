"""Driving an emulator from tests: a handle on a running one, and a context manager.

Outside pytest, `with run_emulator() as emulator:` gives a handle whose `base_url`
and `api_key` go to `Telnyx(...)`, and whose methods steer the emulator.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

DEFAULT_API_KEY = "My API Key"


class EmulatorHandle:
    """A running emulator, seen from a test: its address and its control API."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = DEFAULT_API_KEY,
        control_token: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self.control = httpx.Client(
            base_url=f"{base_url}/_emulator", headers=headers, timeout=10
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.control.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(
        self, *, api_key: str | None = None, startup_fixtures: bool = False
    ) -> None:
        """Back to the fixtures (one API key's copy, when isolating).

        startup_fixtures=True also undoes load_fixtures: back to the fixtures the
        emulator started with.
        """
        body: dict[str, Any] = {}
        if api_key is not None:
            body["api_key"] = api_key
        if startup_fixtures:
            body["startup_fixtures"] = True
        self._call("POST", "/reset", json=body)

    def load_fixtures(self, document: dict[str, Any]) -> None:
        """Replace the whole state with this fixture document."""
        self._call("POST", "/fixtures", json=document)

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal, newest first: method, path, status, phone_number_id."""
        query = {name: value for name, value in filters.items() if value is not None}
        page: dict[str, Any] = self._call("GET", "/requests", params=query)
        return list(page["data"])

    def clear_requests(self, *, api_key: str | None = None) -> None:
        """Forget the journal (one API key's part of it, when isolating)."""
        self._call(
            "DELETE", "/requests", params={"api_key": api_key} if api_key else None
        )

    def fault(self, kind: str = "status", **settings: Any) -> dict[str, Any]:
        """Arm a fault: fault(status=429, times=1), fault("delay", delay_ms=200)."""
        result: dict[str, Any] = self._call(
            "POST", "/faults", json={"kind": kind, **settings}
        )
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def review(
        self,
        phone_number_id: str,
        outcome: str = "approved",
        *,
        rejected_requirement_ids: list[str] | None = None,
        reason: str | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Approve or reject a number under review."""
        body: dict[str, Any] = {"outcome": outcome}
        if rejected_requirement_ids is not None:
            body["rejected_requirement_ids"] = rejected_requirement_ids
        if reason is not None:
            body["reason"] = reason
        if api_key is not None:
            body["api_key"] = api_key
        path = f"/number_order_phone_numbers/{phone_number_id}/review"
        result: dict[str, Any] = self._call("POST", path, json=body)
        return result

    def advance_clock(self, duration: str) -> dict[str, Any]:
        """Move the clock forward by an ISO 8601 duration, such as PT48H."""
        result: dict[str, Any] = self._call(
            "POST", "/clock", json={"advance": duration}
        )
        return result

    def set_clock(self, moment: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/clock", json={"set": moment})
        return result

    def close(self) -> None:
        self.control.close()


@contextmanager
def run_emulator(
    *,
    fixtures: Path | str | None = None,
    api_key: str | Sequence[str] = DEFAULT_API_KEY,
    **settings: Any,
) -> Iterator[EmulatorHandle]:
    """An emulator in a background thread of this process, on a free port.

    `api_key` is the key the handle offers its callers, which the emulator
    accepts like any other; a list of keys (the CLI's repeated --api-key) makes
    the emulator accept those alone, and the handle offers the first.
    `settings` are those of the CLI: control_token, journal_size, auto_review,
    isolate_by_api_key, ...
    """
    from app.server import BackgroundEmulator
    from app.settings import Settings

    options: dict[str, Any] = {"port": 0, **settings}
    if fixtures is not None:
        options["fixtures"] = Path(fixtures)
    if not isinstance(api_key, str):
        options["api_key"] = list(api_key)
        api_key = options["api_key"][0] if options["api_key"] else DEFAULT_API_KEY
    with BackgroundEmulator(Settings(**options)) as server:
        handle = EmulatorHandle(
            server.base_url,
            api_key=api_key,
            control_token=server.settings.control_token,
        )
        try:
            yield handle
        finally:
            handle.close()
