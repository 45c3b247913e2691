"""Every setting of the emulator, read from the command line or TELNYX_EMULATOR_*."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class Settings(BaseSettings):
    """How one emulator instance runs; every field is also an environment variable."""

    model_config = SettingsConfigDict(env_prefix="TELNYX_EMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(4010, ge=0, le=65535)
    fixtures: Path | None = None
    database: Path | None = None
    reset: bool = False
    api_key: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: LogLevel = "info"
    access_log: bool = False
    control_token: str | None = None
    journal_size: int = Field(1000, ge=0)
    auto_review: float | None = Field(None, gt=0)
    isolate_by_api_key: bool = False
    max_isolated_copies: int = Field(64, ge=1)

    @field_validator("api_key", mode="before")
    @classmethod
    def split_api_keys(cls, value: object) -> object:
        """`TELNYX_EMULATOR_API_KEY` may list several keys, separated by commas."""
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value
