"""Limits that hold against a runaway client, and secrets that stay secret.

Everything runs against the real command. The journal's own limits (entries,
64 KiB of each body) and the control token's rules are tested operation by
operation in test_control_api.py, and the least-recently-used isolated copies in
test_isolation.py; here the same limits meet the command-line options, a database
file and the logs.
"""

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.journal import JOURNAL_BODY_LIMIT
from app.middleware import MAX_CONTROL_BODY_BYTES
from app.request_body import MAX_BODY_BYTES
from tests.conftest import DE_LOCAL_ID, DE_NAME_REQUIREMENT, REPO_ROOT, contract_client
from tests.contract import check_error_envelope
from tests.emulator_process import EmulatorProcess
from tests.raw_http import build_request, exchange

NUMBER_PATH = f"/v2/number_order_phone_numbers/{DE_LOCAL_ID}"
# Long enough that the journal shows its last four characters, and no more.
API_KEY = "KEY-api-0123456789-abcdefghij-SECRET"
CONTROL_TOKEN = "CTL-control-0123456789-abcdefghij-SECRET"
WRONG_TOKEN = "WRONG-0123456789-abcdefghij-SECRET"
LEAK_MARKERS = ("Traceback", 'File "', ".py", "site-packages", "/work/", "/tmp/")


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}".encode() + b"\r\n" + data + b"\r\n"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The command with every secret set, logging everything it can."""
    folder = tmp_path_factory.mktemp("secrets")
    with EmulatorProcess(
        "--api-key",
        API_KEY,
        "--control-token",
        CONTROL_TOKEN,
        "--log-level",
        "debug",
        "--access-log",
        "--database",
        str(folder / "state.db"),
        log_path=folder / "emulator.log",
    ) as process:
        yield process


def patch_head(length_header: bytes) -> bytes:
    """A PATCH's head alone: what follows it is up to the test."""
    return build_request(
        "PATCH",
        NUMBER_PATH.encode(),
        authorization=[f"Bearer {API_KEY}".encode()],
        extra=(length_header,),
        length=False,
    )


def test_patch_body_limit_applies_while_reading(emulator: EmulatorProcess) -> None:
    # The body never ends: only a server that counts while reading can answer.
    head = patch_head(b"Transfer-Encoding: chunked")
    past_the_limit = (chunk(b" " * 65536),) * (MAX_BODY_BYTES // 65536 + 2)

    answer = exchange(emulator.port, head, past_the_limit)

    assert answer.status == 400
    assert json.loads(answer.body)["errors"][0]["detail"] == (
        f"The request body is larger than {MAX_BODY_BYTES} bytes."
    )


def test_patch_declared_too_large_answered_before_body_sent(
    emulator: EmulatorProcess,
) -> None:
    head = patch_head(f"Content-Length: {10 * MAX_BODY_BYTES}".encode())

    answer = exchange(emulator.port, head)

    assert answer.status == 400
    assert json.loads(answer.body)["errors"][0]["code"] == "10015"


def test_journal_bounded_by_journal_size_option(tmp_path: Path) -> None:
    body = json.dumps({"padding": "x" * (MAX_BODY_BYTES - 100)})
    headers = {"Content-Type": "application/json"}

    with EmulatorProcess("--journal-size", "5", log_path=tmp_path / "log") as process:
        with contract_client(process.base_url) as client:
            for _ in range(20):
                client.patch(NUMBER_PATH, content=body, headers=headers)
        page = httpx.get(process.base_url + "/_emulator/requests").json()

    assert page["total"] == 5
    assert [len(entry["body"]) for entry in page["data"]] == [JOURNAL_BODY_LIMIT] * 5


def test_isolated_copies_capped_in_database_without_tokens(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    tokens = [f"isolated-token-{index:02d}-SECRET" for index in range(10)]
    options = ("--isolate-by-api-key", "--max-isolated-copies", "3")

    with EmulatorProcess(
        *options, "--database", str(database), log_path=tmp_path / "log"
    ) as process:
        for token in tokens:
            with contract_client(process.base_url, token) as client:
                client.get(NUMBER_PATH)
        info = httpx.get(process.base_url + "/_emulator/info").json()
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT COUNT(*) FROM fixtures").fetchone()[0]
    files = b"".join(path.read_bytes() for path in tmp_path.glob("state.db*"))

    assert info["counts"]["isolated_copies"] == 3
    assert stored == 1 + 3
    assert [token for token in tokens if token.encode() in files] == []


def test_control_api_requires_control_token_option(emulator: EmulatorProcess) -> None:
    reset = emulator.base_url + "/_emulator/reset"

    without = httpx.post(reset)
    wrong = httpx.post(reset, headers={"Authorization": f"Bearer {WRONG_TOKEN}"})
    api_key = httpx.post(reset, headers={"Authorization": f"Bearer {API_KEY}"})
    right = httpx.post(reset, headers={"Authorization": f"Bearer {CONTROL_TOKEN}"})
    health = httpx.get(emulator.base_url + "/_emulator/health")

    assert [without.status_code, wrong.status_code, api_key.status_code] == [401] * 3
    assert without.json()["errors"][0]["code"] == "10009"
    assert (right.status_code, health.status_code) == (200, 200)


def test_tokens_never_unmasked_in_logs_journal_or_info(
    emulator: EmulatorProcess,
) -> None:
    control = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    with contract_client(emulator.base_url, api_key=None) as client:
        for token in (API_KEY, WRONG_TOKEN, CONTROL_TOKEN):
            headers = {"Authorization": f"Bearer {token}"}
            client.get(NUMBER_PATH, headers=headers)
            client.patch(
                NUMBER_PATH, headers=headers, json={"regulatory_requirements": []}
            )
            client.get("/_emulator/info", headers=headers)

        journal = client.get("/_emulator/requests", headers=control).text
        info = client.get("/_emulator/info", headers=control).text
    seen = {"log": emulator.log(), "journal": journal, "info": info}

    leaks = [
        (where, token)
        for where, text in seen.items()
        for token in (API_KEY, WRONG_TOKEN, CONTROL_TOKEN)
        if token in text
    ]
    assert leaks == []
    assert f"Bearer ****{API_KEY[-4:]}" in journal
    assert NUMBER_PATH in seen["log"]


def listening_addresses(port: int) -> set[str]:
    """The local addresses of sockets listening on `port`, from /proc/net/tcp."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:
            addresses.add(address)
    return addresses


@pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads listening sockets from /proc"
)
@pytest.mark.parametrize(
    ("arguments", "address"),
    [
        pytest.param((), "0100007F", id="default-loopback"),
        pytest.param(("--host", "0.0.0.0"), "00000000", id="all-interfaces"),
    ],
)
def test_command_binds_loopback_unless_told(
    tmp_path: Path, arguments: tuple[str, ...], address: str
) -> None:
    with EmulatorProcess(*arguments, log_path=tmp_path / "log") as process:
        listening = listening_addresses(process.port)

    assert listening == {address}


def test_image_binds_all_interfaces() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()

    assert re.search(r"TELNYX_EMULATOR_HOST=0\.0\.0\.0\b", dockerfile)


FAULT_500 = {"X-Emulator-Fault": "status=500"}
FAULT_503 = {"X-Emulator-Fault": "status=503"}
MISSING_VALUE = {"regulatory_requirements": [{"requirement_id": DE_NAME_REQUIREMENT}]}
REVIEW_PATH = "/_emulator/number_order_phone_numbers/x/review"
ERROR_REQUESTS = [
    pytest.param("GET", NUMBER_PATH, {}, None, None, 401, id="no-credentials"),
    pytest.param("GET", "/v2/nowhere", {}, None, "api", 404, id="unknown-route"),
    pytest.param("DELETE", NUMBER_PATH, {}, None, "api", 405, id="method"),
    pytest.param("PATCH", NUMBER_PATH, {}, "x", "api", 400, id="not-json"),
    pytest.param("PATCH", NUMBER_PATH, {}, MISSING_VALUE, "api", 422, id="invalid"),
    pytest.param("GET", NUMBER_PATH, FAULT_500, None, "api", 500, id="fault-500"),
    pytest.param("GET", NUMBER_PATH, FAULT_503, None, "api", 503, id="fault-503"),
    pytest.param("POST", "/_emulator/reset", {}, None, None, 401, id="control-token"),
    pytest.param(
        "POST", "/_emulator/clock", {}, {"set": "x"}, "control", 422, id="control-body"
    ),
    pytest.param(
        "POST",
        REVIEW_PATH,
        {},
        {"outcome": "approved"},
        "control",
        404,
        id="control-unknown-number",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "secret", "status"), ERROR_REQUESTS
)
def test_error_body_carries_no_stack_trace_or_path(
    emulator: EmulatorProcess,
    method: str,
    path: str,
    headers: dict[str, str],
    body: object,
    secret: str | None,
    status: int,
) -> None:
    token = {"api": API_KEY, "control": CONTROL_TOKEN}.get(secret or "")
    credentials = {"Authorization": f"Bearer {token}"} if token else {}
    content = body.encode() if isinstance(body, str) else None

    with contract_client(emulator.base_url, api_key=None) as client:
        response = client.request(
            method,
            path,
            headers=headers | credentials,
            json=None if isinstance(body, str) else body,
            content=content,
        )

    assert response.status_code == status
    check_error_envelope(response.json())
    assert [marker for marker in LEAK_MARKERS if marker in response.text] == []


def test_control_body_declared_too_large_answered_before_body_sent(
    emulator: EmulatorProcess,
) -> None:
    head = build_request(
        "POST",
        b"/_emulator/fixtures",
        authorization=[],
        extra=(f"Content-Length: {MAX_CONTROL_BODY_BYTES + 1}".encode(),),
        length=False,
    )

    answer = exchange(emulator.port, head)

    assert answer.status == 400
    assert json.loads(answer.body)["errors"][0]["code"] == "10015"
