"""Everything one running emulator holds, shared by its routes and middleware."""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from time import time
from typing import Any

from app.clock import Clock
from app.faults import FaultRegistry
from app.journal import Journal
from app.seed import Fixtures
from app.settings import Settings
from app.store import Store


@dataclass(frozen=True)
class OpenApiDocument:
    """openapi.yml as served: its text, and the same as JSON.

    The text is read at start, so a missing file stops it; the YAML is parsed
    when first asked for, since only the contract routes and /_emulator/info
    need it and PyYAML's import and parse would lengthen every start.
    """

    text: str

    @classmethod
    def read(cls, path: Path) -> "OpenApiDocument":
        return cls(path.read_text(encoding="utf-8"))

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @cached_property
    def _parsed(self) -> dict[str, Any]:
        import yaml

        # libyaml's parser, where PyYAML was built with it: the pure-Python one
        # takes most of a second over openapi.yml.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        parsed: dict[str, Any] = yaml.load(self.text, Loader=loader)
        return parsed

    @cached_property
    def json(self) -> bytes:
        return json.dumps(self._parsed).encode()

    @cached_property
    def version(self) -> str:
        return str(self._parsed.get("info", {}).get("version", ""))


@dataclass(slots=True)
class Emulator:
    settings: Settings
    fixtures: Fixtures
    openapi: OpenApiDocument
    clock: Clock = field(default_factory=Clock)
    journal: Journal = field(init=False)
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    store: Store | None = None
    state_source: str = ""
    started_at: float = field(default_factory=time)
    # Where the server listens, once it does: with --port 0 the port is the
    # system's choice, which the settings cannot tell.
    base_url: str | None = None

    def __post_init__(self) -> None:
        self.journal = Journal(self.settings.journal_size)

    @property
    def ready_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the emulator has not started")
        return self.store
