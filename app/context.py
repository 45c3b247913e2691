"""Everything one running emulator holds, shared by its routes and middleware."""

import hashlib
import json
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

# libyaml's parser, where PyYAML was built with it: the pure-Python one takes
# most of a second over openapi.yml, which start-up cannot afford.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class OpenApiDocument:
    """openapi.yml as served: its text, and the same as JSON."""

    text: str
    json: bytes
    version: str
    sha256: str

    @classmethod
    def read(cls, path: Path) -> "OpenApiDocument":
        text = path.read_text(encoding="utf-8")
        parsed = yaml.load(text, Loader=_YamlLoader)
        return cls(
            text=text,
            json=json.dumps(parsed).encode(),
            version=str(parsed.get("info", {}).get("version", "")),
            sha256=hashlib.sha256(text.encode()).hexdigest(),
        )


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
