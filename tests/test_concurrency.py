"""Many clients at once against the real command: no 5xx, no lock, the last write wins.

Each of CLIENTS clients sends its PATCHes, about half to one number that all of
them share and the rest to a number of its own, with GETs and lists in between.
Every write carries a value that no other write carries, so the state afterwards
names the write that produced it. Each client notes when it sent each request and
when the answer came back; a write acknowledged before another one was even sent
must come before it, and the value a number holds at the end must be that of a
write (or reset) after which no other acknowledged one began.

The load clients use the standard library's http.client with one keep-alive
connection each: on two cores a heavier client would slow the load more than the
emulator does. For the same reason only the final listing goes through the
openapi.yml check (tests/contract.py); the load checks what it needs by itself.

Sizes, from the environment: EMULATOR_LOAD_CLIENTS (32), EMULATOR_LOAD_PATCHES
(PATCHes per client in the slow variant: 100, which keeps CI within a minute;
500 is the full size, 20 to 35 s a scenario on two cores) and
EMULATOR_LOAD_QUICK_PATCHES (in the variant that always runs, 20).
"""

import http.client
import json
import math
import os
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_client
from tests.emulator_process import (
    EmulatorProcess,
    name_of,
    name_patch,
    write_load_fixtures,
)
from tests.raw_http import build_request

CLIENTS = int(os.environ.get("EMULATOR_LOAD_CLIENTS", "32"))
FULL_PATCHES = int(os.environ.get("EMULATOR_LOAD_PATCHES", "100"))
QUICK_PATCHES = int(os.environ.get("EMULATOR_LOAD_QUICK_PATCHES", "20"))
SHARED_SHARE = 0.5
GET_SHARE = 0.15
LIST_SHARE = 0.05
RESET_PAUSE_SECONDS = 0.05
REQUEST_TIMEOUT = 60.0
API_KEY = "load-test-key"
PATH = "/v2/number_order_phone_numbers"
PENDING = "requirement-info-pending"
UNDER_REVIEW = "requirement-info-under-review"


@dataclass(frozen=True, slots=True)
class Write:
    """An acknowledged change: a PATCH, or a reset (value "")."""

    number_id: str
    value: str
    sent: float
    answered: float


@dataclass(slots=True)
class ClientRecord:
    """What one client sent, saw and was refused."""

    writes: list[Write] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    requests: int = 0


class LoadClient:
    """One keep-alive connection; each call returns the status and decoded body."""

    def __init__(
        self, port: int, record: ClientRecord, *, control: bool = False
    ) -> None:
        self.port = port
        self.record = record
        self.headers = {"Content-Type": "application/json"}
        if not control:
            self.headers["Authorization"] = f"Bearer {API_KEY}"
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, REQUEST_TIMEOUT)

    def call(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, Any]:
        """(status, body); (0, None) after noting a failure if the exchange broke."""
        self.record.requests += 1
        try:
            self.connection.request(method, path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.record.failures.append(f"{method} {path}: {error!r}")
            self.connection.close()
            self.connection = self._connect()
            return 0, None
        return response.status, json.loads(payload) if payload else None

    def close(self) -> None:
        self.connection.close()


def torn(number: dict[str, Any]) -> bool:
    """True if a number's status does not follow from its one value."""
    if name_of(number) == "":
        return bool(number["requirements_met"]) or (
            number["requirements_status"] != PENDING
        )
    return not number["requirements_met"] or (
        number["requirements_status"] != UNDER_REVIEW
    )


def look(
    client: LoadClient, numbers: Iterable[dict[str, Any]], load_ids: set[str]
) -> None:
    """Note the values a read showed, and whether any number looked half-written."""
    for number in numbers:
        if number["id"] not in load_ids:
            continue
        client.record.seen.setdefault(number["id"], set()).add(name_of(number))
        if torn(number):
            client.record.failures.append(f"a read showed a torn number: {number}")


def run_client(
    index: int,
    port: int,
    patches: int,
    own_id: str,
    shared_id: str,
    load_ids: list[str],
    total_numbers: int,
) -> ClientRecord:
    record = ClientRecord()
    client = LoadClient(port, record)
    rng = random.Random(index)
    id_set = set(load_ids)
    for sequence in range(patches):
        number_id = shared_id if rng.random() < SHARED_SHARE else own_id
        value = f"client {index:02d} write {sequence:04d}"
        sent = time.monotonic()
        status, body = client.call("PATCH", f"{PATH}/{number_id}", name_patch(value))
        answered = time.monotonic()
        if status == 200 and name_of(body["data"]) == value:
            record.writes.append(Write(number_id, value, sent, answered))
        elif status:
            record.failures.append(f"PATCH {number_id} {value!r}: {status} {body}")

        if rng.random() < GET_SHARE:
            read_id = rng.choice([shared_id, own_id, rng.choice(load_ids)])
            status, body = client.call("GET", f"{PATH}/{read_id}")
            if status == 200:
                look(client, [body["data"]], id_set)
            elif status:
                record.failures.append(f"GET {read_id}: {status} {body}")
        if rng.random() < LIST_SHARE:
            status, body = client.call("GET", f"{PATH}?page[size]=250")
            if status == 200 and body["meta"]["total_results"] == total_numbers:
                look(client, body["data"], id_set)
            elif status:
                record.failures.append(f"list: {status} {body}")
    client.close()
    return record


def run_resets(port: int, stop: threading.Event, load_ids: list[str]) -> ClientRecord:
    """POST /_emulator/reset again and again until the load is over."""
    record = ClientRecord()
    client = LoadClient(port, record, control=True)
    while True:
        sent = time.monotonic()
        status, body = client.call("POST", "/_emulator/reset")
        answered = time.monotonic()
        if status == 200:
            record.writes += [Write(i, "", sent, answered) for i in load_ids]
        elif status:
            record.failures.append(f"reset: {status} {body}")
        if stop.wait(RESET_PAUSE_SECONDS):
            break
    client.close()
    return record


def last_write_problem(number_id: str, final: str, writes: list[Write]) -> str | None:
    """Why `final` cannot be the value of the last write, or None if it can be."""
    candidates = [write for write in writes if write.value == final]
    if not candidates:
        return f"{number_id} holds {final!r}, which no acknowledged write gave it"
    last = max(candidates, key=lambda write: write.answered)
    overtaken = [
        write for write in writes if write.value != final and write.sent > last.answered
    ]
    if overtaken:
        return (
            f"{number_id} holds {final!r}, but {overtaken[0].value!r} was sent "
            "after that write was acknowledged, and was acknowledged too"
        )
    return None


def stored_names(database: Path, number_ids: list[str]) -> dict[str, str]:
    """The values the database file holds for these numbers, read beside the server."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = connection.execute(
            "SELECT phone_number_id, field_value FROM requirement_values"
            " WHERE tenant = ''"
        ).fetchall()
    return {
        number_id: value or "" for number_id, value in rows if number_id in number_ids
    }


def run_load(
    tmp_path: Path, *, database: bool, resets: bool, patches: int
) -> dict[str, int]:
    load_ids = write_load_fixtures(tmp_path / "fixtures", CLIENTS + 1)
    shared_id, own_ids = load_ids[0], load_ids[1:]
    arguments = ["--fixtures", str(tmp_path / "fixtures"), "--api-key", API_KEY]
    database_path = tmp_path / "state.db"
    if database:
        arguments += ["--database", str(database_path)]
    emulator = EmulatorProcess(*arguments, log_path=tmp_path / "emulator.log")
    with emulator:
        setup = LoadClient(emulator.port, ClientRecord())
        _, listed = setup.call("GET", f"{PATH}?page[size]=250")
        setup.close()
        total_numbers = listed["meta"]["total_results"]
        stop = threading.Event()
        records: list[ClientRecord] = []

        def keep(function: Any, *arguments: Any) -> None:
            records.append(function(*arguments))

        threads = [
            threading.Thread(
                target=keep,
                args=(
                    run_client,
                    index,
                    emulator.port,
                    patches,
                    own_ids[index],
                    shared_id,
                    load_ids,
                    total_numbers,
                ),
            )
            for index in range(CLIENTS)
        ]
        resetter = threading.Thread(
            target=keep, args=(run_resets, emulator.port, stop, load_ids)
        )
        if resets:
            resetter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        if resets:
            resetter.join()

        with contract_client(emulator.base_url, API_KEY) as final_read:
            listing = final_read.get(PATH, params={"page[size]": 250})
        status, listed = listing.status_code, listing.json()
        served = {number["id"]: number for number in listed["data"]}
        final = {number_id: name_of(served[number_id]) for number_id in load_ids}
        stored = stored_names(database_path, load_ids) if database else final

    failures = [failure for record in records for failure in record.failures]
    writes = [write for record in records for write in record.writes]
    initial = [Write(number_id, "", -math.inf, -math.inf) for number_id in load_ids]
    problems = [
        problem
        for number_id in load_ids
        if (
            problem := last_write_problem(
                number_id,
                final[number_id],
                initial + [w for w in writes if w.number_id == number_id],
            )
        )
    ]
    written = {(write.number_id, write.value) for write in writes}
    unexplained = [
        (number_id, value)
        for record in records
        for number_id, values in record.seen.items()
        for value in values
        if value and (number_id, value) not in written
    ]

    assert failures == []
    assert emulator.alarms() == []
    assert status == 200
    assert problems == []
    assert unexplained == []
    assert stored == final
    return {
        "requests": sum(record.requests for record in records),
        "patches": sum(1 for write in writes if write.value),
        "resets": sum(1 for write in writes if not write.value) // len(load_ids),
    }


SCENARIOS = [
    pytest.param(False, False, id="memory"),
    pytest.param(True, False, id="file-database"),
    pytest.param(False, True, id="memory-with-resets"),
    pytest.param(True, True, id="file-database-with-resets"),
]


@pytest.mark.parametrize(("database", "resets"), SCENARIOS)
def test_concurrent_patches_keep_last_acknowledged_write(
    tmp_path: Path, database: bool, resets: bool
) -> None:
    figures = run_load(
        tmp_path, database=database, resets=resets, patches=QUICK_PATCHES
    )

    assert figures["patches"] == CLIENTS * QUICK_PATCHES
    print(f"load figures: {figures}")


@pytest.mark.slow
@pytest.mark.parametrize(("database", "resets"), SCENARIOS)
def test_concurrent_patches_keep_last_acknowledged_write_at_full_size(
    tmp_path: Path, database: bool, resets: bool
) -> None:
    figures = run_load(tmp_path, database=database, resets=resets, patches=FULL_PATCHES)

    assert figures["patches"] == CLIENTS * FULL_PATCHES
    print(f"load figures: {figures}")


def test_patch_whose_body_arrives_across_a_reset_lands_in_the_state_served(
    tmp_path: Path,
) -> None:
    """A reset between a PATCH's headers and the end of its body.

    The write is acknowledged, so it must be what the next read serves and what
    the database file holds, not a change to the state the reset threw away.
    """
    (number_id,) = write_load_fixtures(tmp_path / "fixtures", 1)
    database_path = tmp_path / "state.db"
    arguments = ["--fixtures", str(tmp_path / "fixtures"), "--api-key", API_KEY]
    arguments += ["--database", str(database_path)]
    body = name_patch("written across a reset")
    request = build_request(
        "PATCH",
        f"{PATH}/{number_id}".encode(),
        body,
        authorization=[f"Bearer {API_KEY}".encode()],
    )
    with EmulatorProcess(*arguments, log_path=tmp_path / "emulator.log") as emulator:
        connection = socket.create_connection(("127.0.0.1", emulator.port), 20.0)
        with connection:
            connection.sendall(request[: -len(body)] + body[:10])
            # The server has the headers and is waiting for the rest of the body.
            time.sleep(0.3)
            control = LoadClient(emulator.port, ClientRecord(), control=True)
            assert control.call("POST", "/_emulator/reset")[0] == 200
            control.close()
            connection.sendall(body[10:])
            answer = connection.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 200 ")
        reader = LoadClient(emulator.port, ClientRecord())
        status, served = reader.call("GET", f"{PATH}/{number_id}")
        reader.close()
        stored = stored_names(database_path, [number_id])
        assert emulator.alarms() == []

    assert status == 200
    assert name_of(served["data"]) == "written across a reset"
    assert stored == {number_id: "written across a reset"}
