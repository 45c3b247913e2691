"""Faults over HTTP: armed through /_emulator/faults or sent in X-Emulator-Fault.

Every Telnyx response goes through the contract check; the official SDK shows
that its retries recover from what the emulator injects.
"""

import logging
from collections.abc import Iterator

import httpx
import pytest
import telnyx
from telnyx import Telnyx

from app.testing import EmulatorHandle
from tests.conftest import DE_LOCAL_ID, EXAMPLE_NUMBER_ID
from tests.contract import check_response

NUMBER_PATH = f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"
FAULT_HEADER = "X-Emulator-Fault"
RATE_LIMIT_HEADERS = {
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
}


@pytest.fixture
def control(telnyx_emulator: EmulatorHandle) -> httpx.Client:
    return telnyx_emulator.control


@pytest.fixture
def sdk(telnyx_emulator: EmulatorHandle) -> Iterator[Telnyx]:
    """The official SDK, every response of it checked against openapi.yml."""
    http_client = telnyx.DefaultHttpxClient(event_hooks={"response": [check_response]})
    with Telnyx(
        base_url=telnyx_emulator.base_url,
        api_key=telnyx_emulator.api_key,
        http_client=http_client,
    ) as client:
        yield client


def send(client: httpx.Client, method: str, path: str) -> httpx.Response:
    """A request with an empty JSON object as body, where the method takes one."""
    return client.request(method, path, json=None if method == "GET" else {})


def first_error(response: httpx.Response) -> dict[str, object]:
    error: dict[str, object] = response.json()["errors"][0]
    return error


# Arming faults


@pytest.mark.parametrize(
    ("status", "code", "title"),
    [
        (429, "10011", "Too many requests"),
        (500, "10007", "Unexpected error"),
        (503, "10007", "Unexpected error"),
    ],
    ids=["rate-limited", "server-error", "unavailable"],
)
def test_arm_fault_status_answers_in_telnyx_envelope(
    control: httpx.Client, client: httpx.Client, status: int, code: str, title: str
) -> None:
    armed = control.post("/faults", json={"status": status})

    response = client.get(NUMBER_PATH)

    assert armed.status_code == 201
    assert response.status_code == status
    assert first_error(response)["code"] == code
    assert first_error(response)["title"] == title
    assert response.headers["x-request-id"]


def test_arm_fault_429_sends_rate_limit_headers(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 429, "retry_after": 7})

    response = client.get(NUMBER_PATH)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["x-ratelimit-reset"] == "7"
    assert "retry-after-ms" not in response.headers


def test_arm_fault_429_fractional_retry_after_adds_retry_after_ms(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 429, "retry_after": 0.05})

    response = client.get(NUMBER_PATH)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers["retry-after-ms"] == "50"


@pytest.mark.parametrize("status", [500, 503], ids=["500", "503"])
def test_arm_fault_server_error_sends_no_rate_limit_headers(
    control: httpx.Client, client: httpx.Client, status: int
) -> None:
    control.post("/faults", json={"status": status})

    response = client.get(NUMBER_PATH)

    assert response.status_code == status
    assert not RATE_LIMIT_HEADERS & set(response.headers)


def test_arm_fault_times_affects_that_many_requests(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 500, "times": 2})

    statuses = [client.get(NUMBER_PATH).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert control.get("/faults").json() == {"data": []}


def test_list_faults_counts_down_remaining(
    control: httpx.Client, client: httpx.Client
) -> None:
    armed = control.post("/faults", json={"status": 503, "times": 3}).json()

    client.get(NUMBER_PATH)
    listed = control.get("/faults").json()["data"]

    assert listed == [armed | {"remaining": 2}]
    assert armed == {
        "id": armed["id"],
        "kind": "status",
        "status": 503,
        "delay_ms": None,
        "retry_after": None,
        "remaining": 3,
        "method": None,
        "path": None,
        "phone_number_id": None,
        "api_key_scoped": False,
    }


def test_clear_faults_disarms_every_fault(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 500, "times": 5})
    control.post("/faults", json={"kind": "drop", "method": "PATCH"})

    cleared = control.delete("/faults")
    response = client.get(NUMBER_PATH)

    assert cleared.status_code == 200
    assert control.get("/faults").json() == {"data": []}
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fault", "matching", "other"),
    [
        ({"method": "patch"}, ("PATCH", NUMBER_PATH), ("GET", NUMBER_PATH)),
        (
            {"path": "/v2/number_order_phone_numbers"},
            ("GET", "/number_order_phone_numbers"),
            ("GET", NUMBER_PATH),
        ),
        (
            {"path": "*/requirement_group"},
            ("POST", f"{NUMBER_PATH}/requirement_group"),
            ("PATCH", NUMBER_PATH),
        ),
        (
            {"phone_number_id": EXAMPLE_NUMBER_ID},
            ("GET", NUMBER_PATH),
            ("GET", f"/number_order_phone_numbers/{DE_LOCAL_ID}"),
        ),
    ],
    ids=["method", "path-with-v2", "path-glob", "phone-number-id"],
)
def test_arm_fault_matches_only_its_requests(
    control: httpx.Client,
    client: httpx.Client,
    fault: dict[str, str],
    matching: tuple[str, str],
    other: tuple[str, str],
) -> None:
    control.post("/faults", json={"status": 503, **fault})

    missed = send(client, *other)
    hit = send(client, *matching)

    assert missed.status_code != 503
    assert hit.status_code == 503
    assert control.get("/faults").json() == {"data": []}


def test_arm_fault_leaves_control_api_alone(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 500})

    info = control.get("/info")
    listed = control.get("/faults").json()["data"]

    assert info.status_code == 200
    assert [fault["remaining"] for fault in listed] == [1]


def test_arm_fault_applies_before_authentication(
    control: httpx.Client, anonymous_client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 429, "retry_after": 0})

    faulted = anonymous_client.get(NUMBER_PATH)
    unauthenticated = anonymous_client.get(NUMBER_PATH)

    assert faulted.status_code == 429
    assert unauthenticated.status_code == 401


def test_arm_fault_delay_then_answers_normally(
    control: httpx.Client,
    client: httpx.Client,
    telnyx_emulator: EmulatorHandle,
) -> None:
    control.post("/faults", json={"kind": "delay", "delay_ms": 300})

    response = client.get(NUMBER_PATH)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == EXAMPLE_NUMBER_ID
    # A lower bound only: the journal measured at least the armed delay.
    assert telnyx_emulator.requests()[0]["duration_ms"] >= 290


def test_arm_fault_drop_closes_connection_and_server_keeps_serving(
    control: httpx.Client,
    client: httpx.Client,
    telnyx_emulator: EmulatorHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    control.post("/faults", json={"kind": "drop"})

    with pytest.raises(httpx.RemoteProtocolError):
        client.get(NUMBER_PATH)
    after = client.get(NUMBER_PATH)

    assert after.status_code == 200
    assert [entry["status"] for entry in telnyx_emulator.requests()] == [200, 0]
    # A drop asked for is no failure of the emulator: nothing is logged as one.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "explode"},
        {"status": 200},
        {"status": 600},
        {"kind": "delay", "delay_ms": -1},
        {"status": 429, "retry_after": -1},
        {"times": 0},
        {"status": 500, "colour": "red"},
    ],
    ids=[
        "unknown-kind",
        "success-status",
        "status-too-high",
        "negative-delay",
        "negative-retry-after",
        "zero-times",
        "unknown-field",
    ],
)
def test_arm_fault_invalid_request_rejected(
    control: httpx.Client, body: dict[str, object]
) -> None:
    response = control.post("/faults", json=body)

    assert response.status_code == 422
    assert first_error(response)["code"] == "10026"
    assert control.get("/faults").json() == {"data": []}


# One request at a time: the X-Emulator-Fault header


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        ("status=429; retry_after=0", 429, "10011"),
        ("status=500", 500, "10007"),
        ("status=503", 503, "10007"),
        ("status=404", 404, "10005"),
    ],
    ids=["429", "500", "503", "404"],
)
def test_fault_header_status_answers_that_request_only(
    client: httpx.Client, header: str, status: int, code: str
) -> None:
    faulted = client.get(NUMBER_PATH, headers={FAULT_HEADER: header})
    next_one = client.get(NUMBER_PATH)

    assert faulted.status_code == status
    assert first_error(faulted)["code"] == code
    assert next_one.status_code == 200


def test_fault_header_429_sends_retry_after(client: httpx.Client) -> None:
    response = client.get(
        NUMBER_PATH, headers={FAULT_HEADER: "status=429; retry_after=2"}
    )

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["x-ratelimit-reset"] == "2"
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_fault_header_delay_then_answers_normally(
    client: httpx.Client, telnyx_emulator: EmulatorHandle
) -> None:
    response = client.get(NUMBER_PATH, headers={FAULT_HEADER: "delay=200"})

    assert response.status_code == 200
    assert telnyx_emulator.requests()[0]["duration_ms"] >= 190


def test_fault_header_drop_closes_connection(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(NUMBER_PATH, headers={FAULT_HEADER: "drop"})
    after = client.get(NUMBER_PATH)

    assert after.status_code == 200


def test_fault_header_leaves_armed_faults_armed(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/faults", json={"status": 503})

    by_header = client.get(NUMBER_PATH, headers={FAULT_HEADER: "status=500"})
    armed = client.get(NUMBER_PATH)

    assert by_header.status_code == 500
    assert armed.status_code == 503


@pytest.mark.parametrize(
    "header",
    [
        "bogus",
        "status=200",
        "status=abc",
        "delay=-5",
        "delay=61000",
        "status=429; retry_after=4000",
    ],
    ids=[
        "no-fault",
        "success-status",
        "not-a-number",
        "negative-delay",
        "delay-too-long",
        "retry-after-too-long",
    ],
)
def test_fault_header_unreadable_answers_400(client: httpx.Client, header: str) -> None:
    response = client.get(NUMBER_PATH, headers={FAULT_HEADER: header})

    assert response.status_code == 400
    error = first_error(response)
    assert error["code"] == "10015"
    assert error["source"] == {"parameter": "x-emulator-fault"}
    assert header in str(error["detail"])


# The official SDK against faults


def test_sdk_retries_after_429_then_succeeds(
    sdk: Telnyx, telnyx_emulator: EmulatorHandle
) -> None:
    telnyx_emulator.fault(status=429, retry_after=0.05, times=2)

    number = sdk.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert number.data is not None
    assert number.data.id == EXAMPLE_NUMBER_ID
    journal = telnyx_emulator.requests()
    assert [entry["status"] for entry in journal] == [200, 429, 429]
    assert [entry["headers"]["x-stainless-retry-count"] for entry in journal] == [
        "2",
        "1",
        "0",
    ]
    assert len({entry["request_id"] for entry in journal}) == 3


def test_sdk_honours_whole_second_retry_after(
    sdk: Telnyx, telnyx_emulator: EmulatorHandle
) -> None:
    telnyx_emulator.fault(status=429, retry_after=1)

    raw = sdk.number_order_phone_numbers.with_raw_response.retrieve(EXAMPLE_NUMBER_ID)
    journal = telnyx_emulator.requests()

    assert raw.status_code == 200
    assert [entry["status"] for entry in journal] == [200, 429]
    assert journal[1]["response_body"]["errors"][0]["code"] == "10011"


def test_sdk_gives_up_after_its_retries(
    sdk: Telnyx, telnyx_emulator: EmulatorHandle
) -> None:
    telnyx_emulator.fault(status=429, retry_after=0.01, times=3)

    with pytest.raises(telnyx.RateLimitError) as raised:
        sdk.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert raised.value.status_code == 429
    assert raised.value.body == {
        "errors": [
            {
                "code": "10011",
                "title": "Too many requests",
                "detail": "Fault injected by the emulator: HTTP 429.",
                "meta": {
                    "url": "https://developers.telnyx.com/docs/overview/errors/10011"
                },
            }
        ]
    }
    assert len(telnyx_emulator.requests()) == 3


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 503}, {"kind": "drop"}],
    ids=["500", "503", "dropped-connection"],
)
def test_sdk_retries_server_faults_then_succeeds(
    sdk: Telnyx, telnyx_emulator: EmulatorHandle, fault: dict[str, object]
) -> None:
    telnyx_emulator.fault(**fault)

    page = sdk.number_order_phone_numbers.list()

    assert page.data is not None
    assert len(page.data) == 14
    assert [entry["status"] for entry in telnyx_emulator.requests()] == [
        200,
        fault.get("status", 0),
    ]
