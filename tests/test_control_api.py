"""The control API under /_emulator over HTTP: health, info, its OpenAPI document,
the control token, reset, posted fixtures and the journal."""

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app import __version__
from app.journal import JOURNAL_BODY_LIMIT
from app.seed import FixtureError, load_fixtures_dir
from app.testing import EmulatorHandle, run_emulator
from tests.conftest import (
    DE_LOCAL_ID,
    DE_NAME_REQUIREMENT,
    EXAMPLE_NUMBER_ID,
    FIXTURES_DIR,
    REPO_ROOT,
    SUPPLY_ADDRESS,
    contract_client,
)
from tests.control_support import (
    SMALL_NUMBER_ID,
    SMALL_REQUIREMENT_ID,
    small_document,
    supply_value,
)

CONTROL_TOKEN = "control-token-for-tests"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NUMBER_PATH = f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"
CONTROL_OPERATIONS = [
    ("GET", "/info"),
    ("POST", "/reset"),
    ("POST", "/fixtures"),
    ("GET", "/requests"),
    ("DELETE", "/requests"),
    ("POST", "/faults"),
    ("GET", "/faults"),
    ("DELETE", "/faults"),
    ("POST", f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}/review"),
    ("POST", "/clock"),
    ("GET", "/clock"),
]


@pytest.fixture
def control(telnyx_emulator: EmulatorHandle) -> httpx.Client:
    return telnyx_emulator.control


def only_error(response: httpx.Response) -> dict[str, object]:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, object] = errors[0]
    return error


def fixture_counts() -> dict[str, int]:
    """How many entries each section of the shipped fixtures holds."""
    counts: dict[str, int] = {}
    for path in FIXTURES_DIR.glob("*.json"):
        for section, entries in json.loads(path.read_text()).items():
            counts[section] = counts.get(section, 0) + len(entries)
    return counts


# Health, info and the control API's own OpenAPI document


def test_get_health_answers_ok(control: httpx.Client) -> None:
    response = control.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_get_info_describes_version_contract_fixtures_and_counts(
    control: httpx.Client, telnyx_emulator: EmulatorHandle
) -> None:
    openapi_text = (REPO_ROOT / "openapi.yml").read_text(encoding="utf-8")
    expected = fixture_counts()

    response = control.get("/info")

    assert response.status_code == 200
    info = response.json()
    assert info["version"] == __version__
    assert info["listening_on"] == telnyx_emulator.base_url
    assert info["openapi"] == {
        "version": str(yaml.safe_load(openapi_text)["info"]["version"]),
        "sha256": hashlib.sha256(openapi_text.encode()).hexdigest(),
    }
    assert Path(info["fixtures"]) == FIXTURES_DIR
    assert info["counts"] == {
        "phone_numbers": expected["phone_numbers"],
        "requirements": expected["requirements"],
        "addresses": expected["addresses"],
        "documents": expected["documents"],
        "requirement_groups": expected["requirement_groups"],
        "isolated_copies": 0,
        "journal_entries": 0,
        "armed_faults": 0,
    }
    assert info["settings"]["journal_size"] == 1000
    assert info["settings"]["isolate_by_api_key"] is False
    assert info["settings"]["auto_review"] is None


def test_get_info_counts_journal_and_faults(
    control: httpx.Client, client: httpx.Client
) -> None:
    client.get(NUMBER_PATH)
    control.post("/faults", json={"status": 500, "method": "DELETE"})

    counts = control.get("/info").json()["counts"]

    assert counts["journal_entries"] == 1
    assert counts["armed_faults"] == 1


def test_get_info_masks_credentials() -> None:
    with run_emulator(
        api_key=["telnyx-key-1"], control_token=CONTROL_TOKEN
    ) as emulator:
        response = emulator.control.get("/info")

    assert response.status_code == 200
    assert response.json()["settings"]["api_key"] == ["****"]
    assert response.json()["settings"]["control_token"] == "****"
    assert "telnyx-key-1" not in response.text
    assert CONTROL_TOKEN not in response.text


def test_get_control_openapi_documents_every_operation(control: httpx.Client) -> None:
    response = control.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
    }
    review = "/number_order_phone_numbers/{number_id}/review"
    assert operations == {
        ("GET", "/health"),
        *(
            (method, review if "review" in path else path)
            for method, path in CONTROL_OPERATIONS
        ),
    }
    assert "X-Emulator-Fault" in document["info"]["description"]


def test_get_telnyx_openapi_leaves_out_control_api(
    telnyx_emulator: EmulatorHandle,
) -> None:
    response = httpx.get(f"{telnyx_emulator.base_url}/openapi.json")

    assert response.status_code == 200
    assert response.json()["paths"]
    assert not [path for path in response.json()["paths"] if "_emulator" in path]


# The control token


@pytest.fixture(scope="module")
def guarded() -> Iterator[EmulatorHandle]:
    """An emulator started with --control-token."""
    with run_emulator(control_token=CONTROL_TOKEN) as emulator:
        yield emulator


@pytest.mark.parametrize(("method", "path"), CONTROL_OPERATIONS)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {CONTROL_TOKEN}", "Bearer My API Key"],
    ids=["none", "wrong-token", "not-bearer", "telnyx-api-key"],
)
def test_control_token_required_for_every_operation(
    guarded: EmulatorHandle, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.request(
        method, f"{guarded.base_url}/_emulator{path}", headers=headers, json={}
    )

    assert response.status_code == 401
    assert only_error(response)["code"] == "10009"


def test_control_token_accepted(guarded: EmulatorHandle) -> None:
    headers = {"Authorization": f"Bearer {CONTROL_TOKEN}"}

    response = httpx.get(f"{guarded.base_url}/_emulator/info", headers=headers)

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/health", "/openapi.json"], ids=["health", "doc"])
def test_control_token_not_needed_for_health_and_documentation(
    guarded: EmulatorHandle, path: str
) -> None:
    response = httpx.get(f"{guarded.base_url}/_emulator{path}")

    assert response.status_code == 200


def test_control_token_handle_of_run_emulator_sends_it(
    guarded: EmulatorHandle,
) -> None:
    guarded.reset()
    guarded.fault(status=503)

    with contract_client(guarded.base_url + "/v2") as client:
        response = client.get(NUMBER_PATH)

    assert response.status_code == 503
    assert [entry["status"] for entry in guarded.requests()][:1] == [503]


# Reset


def without_deadline(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body["data"].items() if name != "deadline"}


@pytest.mark.parametrize(
    "body", [None, {}, {"startup_fixtures": True}], ids=["no-body", "empty", "startup"]
)
def test_reset_restores_fixture_state(
    control: httpx.Client, client: httpx.Client, body: dict[str, object] | None
) -> None:
    before = client.get(NUMBER_PATH).json()
    client.patch(NUMBER_PATH, json=SUPPLY_ADDRESS)

    response = control.post("/reset", json=body)
    after = client.get(NUMBER_PATH).json()

    assert response.status_code == 200
    assert response.json() == {"message": "state reset to the fixtures"}
    # A relative deadline (P30D) counts from the reset, so it may move a second.
    assert without_deadline(after) == without_deadline(before)
    assert after["data"]["requirements_status"] == "requirement-info-pending"


def test_reset_disarms_faults_and_restores_clock(control: httpx.Client) -> None:
    control.post("/faults", json={"status": 500, "times": 3})
    control.post("/clock", json={"advance": "P400D"})

    control.post("/reset")

    assert control.get("/faults").json() == {"data": []}
    assert control.get("/clock").json()["offset_seconds"] == 0


def test_reset_leaves_journal(control: httpx.Client, client: httpx.Client) -> None:
    client.get(NUMBER_PATH)

    control.post("/reset")

    assert control.get("/requests").json()["total"] == 1


@pytest.mark.parametrize(
    "body",
    [{"everything": True}, {"api_key": "a-key", "startup_fixtures": True}, []],
    ids=["unknown-field", "startup-fixtures-with-api-key", "not-an-object"],
)
def test_reset_invalid_body_rejected(control: httpx.Client, body: object) -> None:
    response = control.post("/reset", json=body)

    assert response.status_code == 422
    assert response.json()["errors"]


# Replacing the fixtures


def test_replace_fixtures_serves_posted_document(
    control: httpx.Client, client: httpx.Client
) -> None:
    response = control.post("/fixtures", json=small_document())

    listed = client.get("/number_order_phone_numbers").json()
    info = control.get("/info").json()

    assert response.status_code == 200
    assert response.json() == {"message": "state replaced: 1 phone numbers"}
    assert [number["id"] for number in listed["data"]] == [SMALL_NUMBER_ID]
    assert listed["meta"]["total_results"] == 1
    assert info["fixtures"] == "posted fixture document"
    assert info["counts"]["requirements"] == 1
    assert client.get(NUMBER_PATH).status_code == 404


def test_reset_after_replace_fixtures_returns_to_posted_document(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/fixtures", json=small_document())
    number_path = f"/number_order_phone_numbers/{SMALL_NUMBER_ID}"
    changed = client.patch(number_path, json=supply_value()).json()

    control.post("/reset")
    after = client.get(number_path).json()

    assert changed["data"]["requirements_status"] == "requirement-info-under-review"
    assert after["data"]["requirements_status"] == "requirement-info-pending"
    assert after["data"]["regulatory_requirements"][0]["field_value"] == ""


def test_reset_startup_fixtures_undoes_replace_fixtures(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/fixtures", json=small_document())

    control.post("/reset", json={"startup_fixtures": True})
    listed = client.get("/number_order_phone_numbers").json()

    assert listed["meta"]["total_results"] == fixture_counts()["phone_numbers"]
    assert Path(control.get("/info").json()["fixtures"]) == FIXTURES_DIR


BAD_DOCUMENTS = {
    "unknown-requirement": small_document(
        regulatory_requirements=[{"requirement_id": UNKNOWN_ID}]
    ),
    "not-a-uuid": small_document(id="number-one"),
    "bad-phone-number": small_document(phone_number="030 123456"),
    "value-out-of-range": small_document(
        regulatory_requirements=[
            {"requirement_id": SMALL_REQUIREMENT_ID, "field_value": "AB"}
        ]
    ),
    "unknown-section": {"numbers": []},
    "duplicate-id": {
        **small_document(),
        "phone_numbers": small_document()["phone_numbers"] * 2,
    },
}


@pytest.mark.parametrize("document", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_replace_fixtures_invalid_document_explained_as_at_start_up(
    control: httpx.Client,
    client: httpx.Client,
    tmp_path: Path,
    document: dict[str, object],
) -> None:
    (tmp_path / "document.json").write_text(json.dumps(document))
    with pytest.raises(FixtureError) as at_start_up:
        load_fixtures_dir(tmp_path)
    expected = str(at_start_up.value).replace(
        "document.json:", "posted fixture document:"
    )

    response = control.post("/fixtures", json=document)

    assert response.status_code == 422
    error = only_error(response)
    assert error["code"] == "10015"
    assert error["detail"] == expected
    listed = client.get("/number_order_phone_numbers").json()
    assert listed["meta"]["total_results"] == fixture_counts()["phone_numbers"]


@pytest.mark.parametrize(
    "content", [b"[]", b"not json", b'"text"'], ids=["list", "not-json", "string"]
)
def test_replace_fixtures_not_an_object_rejected(
    control: httpx.Client, content: bytes
) -> None:
    response = control.post(
        "/fixtures", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["errors"]


# The journal


def test_list_requests_records_every_field(
    control: httpx.Client, client: httpx.Client
) -> None:
    sent = client.patch(NUMBER_PATH, json=SUPPLY_ADDRESS, params={"trace": "1"})

    page = control.get("/requests").json()

    assert page["total"] == 1
    entry = page["data"][0]
    assert set(entry) == {
        "time",
        "request_id",
        "method",
        "path",
        "query",
        "headers",
        "body",
        "status",
        "response_body",
        "duration_ms",
        "phone_number_id",
    }
    assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    assert entry["request_id"] == sent.headers["x-request-id"]
    assert entry["method"] == "PATCH"
    assert entry["path"] == f"/v2{NUMBER_PATH}"
    assert entry["query"] == "trace=1"
    assert entry["headers"]["authorization"] == "Bearer ****"
    assert entry["headers"]["content-type"] == "application/json"
    assert entry["body"] == SUPPLY_ADDRESS
    assert entry["status"] == 200
    assert entry["response_body"] == sent.json()
    assert entry["duration_ms"] > 0
    assert entry["phone_number_id"] == EXAMPLE_NUMBER_ID


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        ("short-key", "Bearer ****"),
        ("KEY0123456789abcdefWXYZ", "Bearer ****WXYZ"),
    ],
    ids=["short", "long-shows-last-four"],
)
def test_list_requests_masks_authorization(
    telnyx_emulator: EmulatorHandle, control: httpx.Client, token: str, shown: str
) -> None:
    with contract_client(telnyx_emulator.base_url, api_key=token) as client:
        client.get(NUMBER_PATH)

    response = control.get("/requests")

    assert response.json()["data"][0]["headers"]["authorization"] == shown
    assert token not in response.text


def test_list_requests_newest_first(
    control: httpx.Client, client: httpx.Client
) -> None:
    sent = [client.get(NUMBER_PATH) for _ in range(3)]

    entries = control.get("/requests").json()["data"]

    assert [entry["request_id"] for entry in entries] == [
        response.headers["x-request-id"] for response in reversed(sent)
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"method": "patch"},
            [("PATCH", f"/v2/number_order_phone_numbers/{DE_LOCAL_ID}")],
        ),
        (
            {"path": "/v2/number_order_phone_numbers"},
            [("GET", "/v2/number_order_phone_numbers")],
        ),
        (
            {"path": "/number_order_phone_numbers"},
            [("GET", "/v2/number_order_phone_numbers")],
        ),
        ({"status": 404}, [("GET", f"/v2/number_order_phone_numbers/{UNKNOWN_ID}")]),
        ({"phone_number_id": EXAMPLE_NUMBER_ID}, [("GET", f"/v2{NUMBER_PATH}")]),
        (
            {"method": "GET", "status": 200},
            [
                ("GET", "/v2/number_order_phone_numbers"),
                ("GET", f"/v2{NUMBER_PATH}"),
            ],
        ),
    ],
    ids=[
        "method",
        "path",
        "path-without-v2",
        "status",
        "phone-number-id",
        "method-and-status",
    ],
)
def test_list_requests_filtered(
    control: httpx.Client,
    client: httpx.Client,
    query: dict[str, object],
    expected: list[tuple[str, str]],
) -> None:
    client.get(NUMBER_PATH)
    client.get(f"/number_order_phone_numbers/{UNKNOWN_ID}")
    client.patch(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}",
        json={
            "regulatory_requirements": [
                {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Beispiel GmbH"}
            ]
        },
    )
    client.get("/number_order_phone_numbers", params={"filter[country_code]": "DE"})

    page = control.get("/requests", params=query).json()

    assert [(entry["method"], entry["path"]) for entry in page["data"]] == expected
    assert page["total"] == len(expected)


def test_list_requests_cuts_long_request_body_at_64_kib(
    control: httpx.Client, client: httpx.Client
) -> None:
    body = {"regulatory_requirements": [], "padding": "x" * 300_000}

    sent = client.patch(NUMBER_PATH, json=body)

    kept = control.get("/requests").json()["data"][0]["body"]
    assert sent.status_code == 200
    assert kept == sent.request.content[:JOURNAL_BODY_LIMIT].decode()


def test_list_requests_cuts_long_response_body_at_64_kib(
    control: httpx.Client, client: httpx.Client
) -> None:
    document = small_document()
    template = document["phone_numbers"][0]
    document["phone_numbers"] = [
        template | {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(index)))}
        for index in range(200)
    ]
    control.post("/fixtures", json=document)

    sent = client.get("/number_order_phone_numbers", params={"page[size]": 250})

    kept = control.get("/requests").json()["data"][0]["response_body"]
    assert len(sent.content) > JOURNAL_BODY_LIMIT
    assert kept == sent.content[:JOURNAL_BODY_LIMIT].decode()


def test_list_requests_limit_keeps_total(
    control: httpx.Client, client: httpx.Client
) -> None:
    for _ in range(5):
        client.get(NUMBER_PATH)

    page = control.get("/requests", params={"limit": 2}).json()

    assert len(page["data"]) == 2
    assert page["total"] == 5


def test_list_requests_records_rejected_credentials(
    control: httpx.Client, anonymous_client: httpx.Client
) -> None:
    anonymous_client.get(NUMBER_PATH)

    entry = control.get("/requests").json()["data"][0]

    assert entry["status"] == 401
    assert entry["response_body"]["errors"][0]["code"] == "10009"
    assert "authorization" not in entry["headers"]


def test_list_requests_leaves_out_control_api(control: httpx.Client) -> None:
    control.get("/info")
    control.get("/faults")

    page = control.get("/requests").json()

    assert page == {"data": [], "total": 0}


def test_clear_requests_empties_journal(
    control: httpx.Client, client: httpx.Client
) -> None:
    client.get(NUMBER_PATH)
    client.get(NUMBER_PATH)

    response = control.delete("/requests")

    assert response.status_code == 200
    assert control.get("/requests").json() == {"data": [], "total": 0}


def test_journal_size_bounds_entries() -> None:
    with run_emulator(journal_size=50) as emulator:
        with contract_client(emulator.base_url + "/v2") as client:
            sent = [client.get(NUMBER_PATH) for _ in range(200)]
        page = emulator.control.get("/requests").json()
        counted = emulator.control.get("/info").json()["counts"]["journal_entries"]

    assert page["total"] == 50
    assert counted == 50
    assert [entry["request_id"] for entry in page["data"]] == [
        response.headers["x-request-id"] for response in reversed(sent[-50:])
    ]


def test_journal_size_zero_records_nothing() -> None:
    with run_emulator(journal_size=0) as emulator:
        with contract_client(emulator.base_url + "/v2") as client:
            response = client.get(NUMBER_PATH)
        page = emulator.control.get("/requests").json()

    assert response.status_code == 200
    assert page == {"data": [], "total": 0}
