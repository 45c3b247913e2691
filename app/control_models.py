"""Request and response bodies of the control API under /_emulator."""

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.faults import FaultKind


class Scoped(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: str | None = Field(
        None,
        description="With --isolate-by-api-key: act on this API key's copy only.",
    )


class ResetRequest(Scoped):
    startup_fixtures: bool = Field(
        False,
        description="Also undo POST /fixtures: back to the fixtures the emulator"
        " started with (every copy; not with api_key).",
    )

    @model_validator(mode="after")
    def whole_state(self) -> "ResetRequest":
        if self.startup_fixtures and self.api_key is not None:
            raise ValueError("startup_fixtures resets every copy; leave out api_key")
        return self


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FaultKind = Field(
        "status", description="status: answer an error; delay: wait; drop: close."
    )
    status: int = Field(500, ge=400, le=599)
    delay_ms: int = Field(0, ge=0, le=60_000)
    retry_after: float = Field(
        1,
        ge=0,
        le=3600,
        description="Seconds, on a 429: retry-after and x-ratelimit-reset, rounded up;"
        " a fraction (0.05) also goes out as retry-after-ms.",
    )
    times: int = Field(1, ge=1, le=1_000_000, description="How many requests.")
    method: str | None = None
    path: str | None = Field(
        None,
        description="Glob on the path, with or without /v2 (`*/requirement_group`).",
    )
    phone_number_id: str | None = None
    api_key: str | None = Field(
        None,
        description="With --isolate-by-api-key: hit only requests with this API key.",
    )


class ReviewRequest(Scoped):
    outcome: Literal["approved", "rejected"]
    rejected_requirement_ids: list[str] = Field(
        default_factory=list,
        description="Rejected requirements; empty rejects them all.",
    )
    reason: str = "Rejected in review."


class ClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance: timedelta | None = Field(None, description="An ISO 8601 duration: PT48H.")
    set: datetime | None = Field(None, description="A date-time with a time zone.")
    restore: bool = Field(False, description="Back to real time.")

    @model_validator(mode="after")
    def one_action(self) -> "ClockRequest":
        given = [self.advance is not None, self.set is not None, self.restore]
        if sum(given) != 1:
            raise ValueError("give exactly one of advance, set or restore")
        if self.set is not None and self.set.tzinfo is None:
            raise ValueError("set needs a time zone, e.g. 2026-12-31T00:00:00Z")
        return self


class ClockResponse(BaseModel):
    now: datetime
    offset_seconds: float


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Message(BaseModel):
    message: str


class JournalPage(BaseModel):
    data: list[dict[str, Any]]
    total: int


class FaultList(BaseModel):
    data: list[dict[str, Any]]


class ReviewResponse(BaseModel):
    data: dict[str, Any]
    rejected_requirements: list[dict[str, str]] = []
