"""Everything one running emulator holds, shared by its routes and middleware."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from time import time

import yaml

from app.clock import Clock
from app.faults import FaultRegistry
from app.journal import Journal
from app.seed import Fixtures
from app.settings import Settings
from app.store import Store


@dataclass(frozen=True, slots=True)
class OpenApiDocument:
    text: str
    version: str
    sha256: str

    @classmethod
    def read(cls, path: Path) -> "OpenApiDocument":
        text = path.read_text(encoding="utf-8")
        version = str(yaml.safe_load(text).get("info", {}).get("version", ""))
        return cls(text, version, hashlib.sha256(text.encode()).hexdigest())


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

    def __post_init__(self) -> None:
        self.journal = Journal(self.settings.journal_size)

    @property
    def ready_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the emulator has not started")
        return self.store
