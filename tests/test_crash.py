"""kill -9 in the middle of a write load: the file stays sound, answered writes stay.

WRITERS clients PATCH `telnyx-emulator --database FILE`, each going round a few
numbers of its own, one write after another, every value unique. Once WRITES
writes have been answered in total, the server gets SIGKILL while the writers are
still sending. Then PRAGMA integrity_check must say ok, and after a restart on the
same file every number must hold the last value answered 200 for it, or the value
of the one write that was on its way when the server died (it may have been
committed without its answer getting out). The cycle repeats, the writers carrying
on against the restarted server.

Sizes, from the environment: EMULATOR_CRASH_WRITERS (8), EMULATOR_CRASH_WRITES
(answered writes before each kill, 150) and EMULATOR_CRASH_CYCLES (2; the slow
variant runs EMULATOR_CRASH_CYCLES_SLOW, 5).
"""

import http.client
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import contract_client
from tests.emulator_process import (
    EmulatorProcess,
    name_of,
    name_patch,
    write_load_fixtures,
)

WRITERS = int(os.environ.get("EMULATOR_CRASH_WRITERS", "8"))
WRITES = int(os.environ.get("EMULATOR_CRASH_WRITES", "150"))
CYCLES = int(os.environ.get("EMULATOR_CRASH_CYCLES", "2"))
SLOW_CYCLES = int(os.environ.get("EMULATOR_CRASH_CYCLES_SLOW", "5"))
NUMBERS_PER_WRITER = 4
LOAD_TIMEOUT = 120.0
PATH = "/v2/number_order_phone_numbers"
HEADERS = {"Authorization": "Bearer crash-test", "Content-Type": "application/json"}


@dataclass(slots=True)
class Writer:
    """One client's numbers, what it had answered, and what was still on its way."""

    index: int
    number_ids: list[str]
    answered: dict[str, str] = field(default_factory=dict)
    in_flight: tuple[str, str] | None = None
    sequence: int = 0
    answered_count: int = 0
    errors: list[tuple[float, str]] = field(default_factory=list)

    def allowed(self, number_id: str) -> set[str]:
        """The values `number_id` may hold after a crash."""
        values = {self.answered.get(number_id, "")}
        if self.in_flight is not None and self.in_flight[0] == number_id:
            values.add(self.in_flight[1])
        return values


class Counter:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def add(self) -> None:
        with self.lock:
            self.value += 1


def write_until_refused(writer: Writer, port: int, answered: Counter) -> None:
    """PATCH round the writer's numbers until the server stops answering."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        number_id = writer.number_ids[writer.sequence % len(writer.number_ids)]
        value = f"writer {writer.index} write {writer.sequence}"
        writer.sequence += 1
        writer.in_flight = (number_id, value)
        try:
            connection.request(
                "PATCH", f"{PATH}/{number_id}", name_patch(value), HEADERS
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            writer.errors.append((time.monotonic(), repr(error)))
            connection.close()
            return
        if response.status != 200:
            writer.errors.append((time.monotonic(), f"{value}: {response.status}"))
            connection.close()
            return
        writer.answered[number_id] = value
        writer.in_flight = None
        writer.answered_count += 1
        answered.add()


def crash_under_load(emulator: EmulatorProcess, writers: list[Writer]) -> float:
    """Start the writers, SIGKILL the server once WRITES are answered; kill time."""
    answered = Counter()
    threads = [
        threading.Thread(target=write_until_refused, args=(w, emulator.port, answered))
        for w in writers
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LOAD_TIMEOUT
    while answered.value < WRITES and time.monotonic() < deadline:
        time.sleep(0.005)
    killed_at = time.monotonic()
    emulator.kill()
    for thread in threads:
        thread.join(LOAD_TIMEOUT)
    assert answered.value >= WRITES, "the writers stalled before the kill"
    return killed_at


def integrity(database: Path) -> str:
    """PRAGMA integrity_check, from a connection of our own (it replays the WAL)."""
    connection = sqlite3.connect(database)
    try:
        row = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    return str(row[0])


def run_crash_cycles(tmp_path: Path, cycles: int) -> dict[str, int]:
    load_ids = write_load_fixtures(tmp_path / "fixtures", WRITERS * NUMBERS_PER_WRITER)
    writers = [Writer(index, load_ids[index::WRITERS]) for index in range(WRITERS)]
    database = tmp_path / "state.db"
    arguments = ["--fixtures", str(tmp_path / "fixtures"), "--database", str(database)]
    log_path = tmp_path / "emulator.log"
    early_errors: list[str] = []
    checked = 0

    for _ in range(cycles):
        emulator = EmulatorProcess(*arguments, log_path=log_path).start()
        try:
            killed_at = crash_under_load(emulator, writers)
        finally:
            emulator.kill()
        early_errors += [
            message
            for writer in writers
            for moment, message in writer.errors
            if moment < killed_at
        ]
        for writer in writers:
            writer.errors.clear()

        assert integrity(database) == "ok"
        with EmulatorProcess(*arguments, log_path=log_path) as restarted:
            with contract_client(restarted.base_url, "crash-test") as client:
                listed = client.get(PATH, params={"page[size]": 250})
            restarted_log = restarted.log()
        served = {number["id"]: number for number in listed.json()["data"]}
        held = {number_id: name_of(served[number_id]) for number_id in load_ids}
        lost = [
            (number_id, held[number_id], writer.allowed(number_id))
            for writer in writers
            for number_id in writer.number_ids
            if held[number_id] not in writer.allowed(number_id)
        ]
        checked += len(load_ids)

        assert lost == []
        assert f"from database {database}" in restarted_log

    assert early_errors == []
    return {
        "answered writes": sum(w.answered_count for w in writers),
        "writes sent": sum(w.sequence for w in writers),
        "numbers checked": checked,
    }


def test_crash_keeps_every_answered_write(tmp_path: Path) -> None:
    figures = run_crash_cycles(tmp_path, CYCLES)

    print(f"crash figures: {figures}")


@pytest.mark.slow
def test_crash_keeps_every_answered_write_over_many_kills(tmp_path: Path) -> None:
    figures = run_crash_cycles(tmp_path, SLOW_CYCLES)

    print(f"crash figures: {figures}")
