"""The real `telnyx-emulator` command as a child process, for load, crash and log tests.

The command listens on port 0 and the test reads the port from its "ready on" line,
so parallel test workers never race for a port. Everything the process prints goes
to a log file, which the tests search afterwards (a pipe nobody reads would stall
a server that logs every request).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.conftest import DE_NAME_REQUIREMENT, FIXTURES_DIR

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
READY_LINE = re.compile(r"telnyx-emulator ready on http://([^:\s]+):(\d+) ")

LOAD_NAMESPACE = uuid.UUID("5b0e8f0c-6a47-4f61-9a51-3f2b6f3c2d10")

# What a log must never hold, whatever the load: a crash or SQLite refusing a write.
LOG_ALARMS = ("Traceback", "ERROR", "database is locked", "Exception in ASGI")


def emulator_command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("telnyx-emulator")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "app.cli"]


class EmulatorProcess:
    """`telnyx-emulator --port 0 ARGS`, started, waited for, stopped or killed."""

    def __init__(self, *arguments: str, log_path: Path) -> None:
        self.arguments = arguments
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.port = 0

    def start(self) -> "EmulatorProcess":
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*emulator_command(), "--port", "0", *self.arguments],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            started = self.log_path.read_bytes()[offset:]
            match = READY_LINE.search(started.decode("utf-8", errors="replace"))
            if match:
                host, port = match.groups()
                self.port = int(port)
                self.base_url = f"http://{host}:{port}"
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited while starting:\n{self.log()}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"the emulator did not start in time:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alarms(self) -> list[str]:
        """Lines of the log that name a crash or a locked database."""
        return [
            line
            for line in self.log().splitlines()
            if any(alarm in line for alarm in LOG_ALARMS)
        ]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, as `docker stop` or Ctrl+C would; SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def load_number_ids(count: int) -> list[str]:
    """Ids of the numbers `write_load_fixtures` adds, in order."""
    return [
        str(uuid.uuid5(LOAD_NAMESPACE, f"number {index}")) for index in range(count)
    ]


def write_load_fixtures(folder: Path, count: int) -> list[str]:
    """The default fixtures plus `count` numbers that each await a name; their ids."""
    shutil.copytree(FIXTURES_DIR, folder)
    ids = load_number_ids(count)
    numbers: list[dict[str, Any]] = [
        {
            "id": number_id,
            "phone_number": f"+49301{index:07d}",
            "order_request_id": str(uuid.uuid5(LOAD_NAMESPACE, f"order {index}")),
            "sub_number_order_id": str(uuid.uuid5(LOAD_NAMESPACE, f"sub {index}")),
            "country_code": "DE",
            "phone_number_type": "local",
            "locality": "Berlin",
            "regulatory_requirements": [{"requirement_id": DE_NAME_REQUIREMENT}],
        }
        for index, number_id in enumerate(ids)
    ]
    document = json.dumps({"phone_numbers": numbers}, indent=1)
    (folder / "zz_load_numbers.json").write_text(document, encoding="utf-8")
    return ids


def name_patch(value: str) -> bytes:
    """A PATCH body giving a load number's one requirement this value."""
    body = {
        "regulatory_requirements": [
            {"requirement_id": DE_NAME_REQUIREMENT, "field_value": value}
        ]
    }
    return json.dumps(body).encode()


def name_of(number: dict[str, Any]) -> str:
    """The value a load number holds for its one requirement ("" when none)."""
    requirements = number["regulatory_requirements"]
    value: str = requirements[0]["field_value"]
    return value
