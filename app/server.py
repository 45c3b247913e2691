"""Serving an emulator with uvicorn: in the foreground, or in a background thread."""

import asyncio
import copy
import gc
import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from app.context import Emulator
from app.http_protocol import EnvelopeHttpToolsProtocol
from app.main import create_app
from app.settings import Settings

logger = logging.getLogger(__name__)


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def logging_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, with the emulator's own loggers beside its own."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["app"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _display(source: str) -> str:
    """A folder below the working directory as a relative path, others in full."""
    path = Path(source).resolve()
    here = Path.cwd()
    if here != Path(here.anchor) and path.is_relative_to(here):
        return f"{path.relative_to(here)}/"
    return source


class EmulatorServer(uvicorn.Server):
    """uvicorn's server, saying where it listens once it does."""

    def __init__(
        self,
        settings: Settings,
        *,
        configure_logging: bool = True,
        freeze_heap: bool = False,
    ) -> None:
        app = create_app(settings)
        self.emulator: Emulator = app.state.emulator
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            loop=_loop(),
            http=EnvelopeHttpToolsProtocol,
            lifespan="on",
            log_level=settings.log_level,
            access_log=settings.access_log,
            log_config=logging_config(settings.log_level)
            if configure_logging
            else None,
            timeout_graceful_shutdown=1,
            server_header=False,
        )
        super().__init__(config)
        self.port: int | None = None
        self.freeze_heap = freeze_heap

    async def startup(self, sockets: list[Any] | None = None) -> None:
        await super().startup(sockets)
        if not self.started or not self.servers:
            return
        _, self.port = self.servers[0].sockets[0].getsockname()[:2]
        self.emulator.base_url = f"http://{self.config.host}:{self.port}"
        store = self.emulator.ready_store
        count = sum(len(t.numbers) for t in store.tenants)
        source = self.emulator.state_source
        logger.info(
            "telnyx-emulator ready on http://%s:%s (%d phone numbers from %s)",
            self.config.host,
            self.port,
            count,
            _display(source) if not source.startswith("database") else source,
        )
        if self.freeze_heap:
            asyncio.get_running_loop().run_in_executor(None, self._freeze_heap)

    def _freeze_heap(self) -> None:
        """Leave what start-up allocated out of every later garbage collection.

        The frameworks' objects outnumber a request's by far; without this, each
        full collection walks them all and shows as a spike in tail latency.
        Runs once the database (and SQLAlchemy with it) is open.
        """
        _ = self.emulator.ready_store.database
        gc.freeze()


class BackgroundEmulator:
    """An emulator serving from a thread of this process, on a free port by default.

    >>> with BackgroundEmulator(Settings(port=0)) as emulator:
    ...     httpx.get(emulator.base_url + "/_emulator/health")
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(port=0)
        self.server = EmulatorServer(self.settings, configure_logging=False)
        self._thread = threading.Thread(
            target=self.server.run, name="telnyx-emulator", daemon=True
        )

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator

    @property
    def base_url(self) -> str:
        host = self.settings.host
        return f"http://{host}:{self.server.port}"

    def start(self) -> "BackgroundEmulator":
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator stopped while starting; see its log")
            self._thread.join(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> "BackgroundEmulator":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
