"""The lifecycle over HTTP: reviews, deadlines, automatic review and the clock.

Whatever a review or the clock changes must show in GET and in the list.
"""

import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from app.testing import EmulatorHandle, run_emulator
from tests.conftest import (
    DE_NAME_REQUIREMENT,
    EXAMPLE_NUMBER_ID,
    SUPPLY_ADDRESS,
    contract_client,
)
from tests.control_support import SMALL_NUMBER_ID, small_document, supply_value

DE_NATIONAL_ID = "e699f654-852f-58cc-a05c-90a342b25e3e"
DE_ADDRESS_REQUIREMENT = "8b8fef39-9a56-4e40-88f3-3743ad10ac90"
DE_PROOF_REQUIREMENT = "7aaaf3cf-4636-4a0b-8274-a770b7d02f1e"
SE_MOBILE_ID = "0210dcf8-cac8-5deb-974b-089d33a1b2b8"
FR_APPROVED_ID = "67b780e6-2f7a-5e3b-9edb-c422c1c438ad"
GB_CANCELLED_ID = "0bc5bbe7-db08-5444-b0fa-4e3de89f36fd"
AU_EXCEPTION_ID = "8bb5a0ef-9768-54c7-b960-739942f60dd4"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UNDER_REVIEW = "requirement-info-under-review"


@pytest.fixture
def control(telnyx_emulator: EmulatorHandle) -> httpx.Client:
    return telnyx_emulator.control


def review_path(number_id: str) -> str:
    return f"/number_order_phone_numbers/{number_id}/review"


def get_number(client: httpx.Client, number_id: str) -> dict[str, object]:
    response = client.get(f"/number_order_phone_numbers/{number_id}")
    assert response.status_code == 200
    data: dict[str, object] = response.json()["data"]
    return data


def listed_numbers(client: httpx.Client) -> dict[str, dict[str, object]]:
    response = client.get("/number_order_phone_numbers", params={"page[size]": 250})
    assert response.status_code == 200
    return {number["id"]: number for number in response.json()["data"]}


def state_of(number: dict[str, object]) -> tuple[object, object, object]:
    return (
        number["requirements_status"],
        number["status"],
        number["requirements_met"],
    )


def only_error(response: httpx.Response) -> dict[str, object]:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, object] = errors[0]
    return error


# Reviews


def test_review_approved_marks_number_approved(
    control: httpx.Client, client: httpx.Client
) -> None:
    response = control.post(review_path(DE_NATIONAL_ID), json={"outcome": "approved"})

    assert response.status_code == 200
    body = response.json()
    assert state_of(body["data"]) == ("approved", "success", True)
    assert body["rejected_requirements"] == []
    assert state_of(get_number(client, DE_NATIONAL_ID)) == ("approved", "success", True)
    listed = listed_numbers(client)[DE_NATIONAL_ID]
    assert state_of(listed) == ("approved", "success", True)


def test_review_approved_after_values_supplied(
    control: httpx.Client, client: httpx.Client
) -> None:
    number_path = f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"
    supplied = client.patch(number_path, json=SUPPLY_ADDRESS).json()["data"]

    control.post(review_path(EXAMPLE_NUMBER_ID), json={"outcome": "approved"})
    approved = get_number(client, EXAMPLE_NUMBER_ID)
    late_change = client.patch(number_path, json=SUPPLY_ADDRESS)

    assert state_of(supplied) == (UNDER_REVIEW, "pending", True)
    assert state_of(approved) == ("approved", "success", True)
    assert late_change.status_code == 422
    assert "can no longer" in str(only_error(late_change)["detail"])


def test_review_rejected_names_requirements_and_reason(
    control: httpx.Client, client: httpx.Client
) -> None:
    reason = "The name does not match the commercial register."

    response = control.post(
        review_path(DE_NATIONAL_ID),
        json={
            "outcome": "rejected",
            "rejected_requirement_ids": [DE_NAME_REQUIREMENT],
            "reason": reason,
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["rejected_requirements"] == [
        {"requirement_id": DE_NAME_REQUIREMENT, "reason": reason}
    ]
    expected = ("requirement-info-exception", "pending", False)
    assert state_of(body["data"]) == expected
    assert state_of(get_number(client, DE_NATIONAL_ID)) == expected
    assert state_of(listed_numbers(client)[DE_NATIONAL_ID]) == expected


def test_review_rejected_then_requirement_group_resubmits_values(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post(
        review_path(DE_NATIONAL_ID),
        json={"outcome": "rejected", "rejected_requirement_ids": [DE_NAME_REQUIREMENT]},
    )
    de_group_id = "e5ed53f7-e584-429a-bbe5-a4c2305a3051"

    response = client.post(
        f"/number_order_phone_numbers/{DE_NATIONAL_ID}/requirement_group",
        json={"requirement_group_id": de_group_id},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["requirements_status"] == UNDER_REVIEW
    assert {item["status"] for item in data["regulatory_requirements"]} == {
        "pending-approval"
    }


def test_review_rejected_without_ids_rejects_every_requirement(
    control: httpx.Client,
) -> None:
    response = control.post(review_path(DE_NATIONAL_ID), json={"outcome": "rejected"})

    assert response.status_code == 200
    assert response.json()["rejected_requirements"] == [
        {"requirement_id": requirement_id, "reason": "Rejected in review."}
        for requirement_id in (
            DE_ADDRESS_REQUIREMENT,
            DE_PROOF_REQUIREMENT,
            DE_NAME_REQUIREMENT,
        )
    ]


def test_review_rejected_then_corrected_goes_back_under_review(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post(
        review_path(DE_NATIONAL_ID),
        json={"outcome": "rejected", "rejected_requirement_ids": [DE_NAME_REQUIREMENT]},
    )

    corrected = client.patch(
        f"/number_order_phone_numbers/{DE_NATIONAL_ID}",
        json={
            "regulatory_requirements": [
                {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Muster AG"}
            ]
        },
    )
    approved = control.post(review_path(DE_NATIONAL_ID), json={"outcome": "approved"})

    assert state_of(corrected.json()["data"]) == (UNDER_REVIEW, "pending", True)
    assert state_of(approved.json()["data"]) == ("approved", "success", True)


@pytest.mark.parametrize(
    ("number_id", "status"),
    [
        (EXAMPLE_NUMBER_ID, "requirement-info-pending"),
        (FR_APPROVED_ID, "approved"),
        (GB_CANCELLED_ID, "cancelled"),
        (AU_EXCEPTION_ID, "requirement-info-exception"),
    ],
    ids=["pending", "approved", "cancelled", "exception"],
)
@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_review_number_not_under_review_rejected(
    control: httpx.Client, number_id: str, status: str, outcome: str
) -> None:
    response = control.post(review_path(number_id), json={"outcome": outcome})

    assert response.status_code == 400
    error = only_error(response)
    assert error["code"] == "10015"
    assert str(error["detail"]).endswith(f"is {status}, not under review.")
    assert error["source"] == {"parameter": "number_id"}


def test_review_unknown_number_not_found(control: httpx.Client) -> None:
    response = control.post(review_path(UNKNOWN_ID), json={"outcome": "approved"})

    assert response.status_code == 404
    assert only_error(response)["code"] == "10005"


def test_review_rejected_unknown_requirement_changes_nothing(
    control: httpx.Client, client: httpx.Client
) -> None:
    response = control.post(
        review_path(DE_NATIONAL_ID),
        json={"outcome": "rejected", "rejected_requirement_ids": [UNKNOWN_ID]},
    )

    assert response.status_code == 422
    error = only_error(response)
    assert error["code"] == "10013"
    assert error["source"] == {"pointer": "/rejected_requirement_ids"}
    assert get_number(client, DE_NATIONAL_ID)["requirements_status"] == UNDER_REVIEW


@pytest.mark.parametrize(
    "body",
    [{}, {"outcome": "maybe"}, {"outcome": "approved", "reviewer": "me"}],
    ids=["no-outcome", "unknown-outcome", "unknown-field"],
)
def test_review_invalid_body_rejected(
    control: httpx.Client, body: dict[str, object]
) -> None:
    response = control.post(review_path(DE_NATIONAL_ID), json=body)

    assert response.status_code == 422
    assert response.json()["errors"]


# The clock


def test_move_clock_advance_by_duration(control: httpx.Client) -> None:
    response = control.post("/clock", json={"advance": "PT48H"})

    assert response.status_code == 200
    assert response.json()["offset_seconds"] == pytest.approx(48 * 3600)
    assert control.get("/clock").json()["offset_seconds"] == pytest.approx(48 * 3600)


def test_move_clock_advance_adds_up(control: httpx.Client) -> None:
    control.post("/clock", json={"advance": "PT1H"})

    response = control.post("/clock", json={"advance": "P1DT30M"})

    assert response.json()["offset_seconds"] == pytest.approx(25.5 * 3600)


def test_move_clock_set_to_moment(control: httpx.Client) -> None:
    response = control.post("/clock", json={"set": "2031-01-01T00:00:00Z"})

    assert response.status_code == 200
    now = datetime.fromisoformat(response.json()["now"])
    assert now.strftime("%Y-%m-%dT%H:%M") == "2031-01-01T00:00"


def test_move_clock_restore_returns_to_real_time(control: httpx.Client) -> None:
    control.post("/clock", json={"advance": "P3D"})

    response = control.post("/clock", json={"restore": True})

    assert response.json()["offset_seconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": "PT1H", "set": "2031-01-01T00:00:00Z"},
        {"set": "2031-01-01T00:00:00"},
        {"advance": "two days"},
        {"restore": False},
        {"advance": "PT1H", "speed": 2},
    ],
    ids=[
        "nothing",
        "advance-and-set",
        "set-without-time-zone",
        "advance-not-a-duration",
        "restore-false",
        "unknown-field",
    ],
)
def test_move_clock_invalid_body_rejected(
    control: httpx.Client, body: dict[str, object]
) -> None:
    response = control.post("/clock", json=body)

    assert response.status_code == 422
    assert response.json()["errors"]
    assert control.get("/clock").json()["offset_seconds"] == 0


# Deadlines


def test_move_clock_before_deadline_changes_nothing(
    control: httpx.Client, client: httpx.Client
) -> None:
    before = listed_numbers(client)

    control.post("/clock", json={"advance": "PT48H"})

    assert listed_numbers(client) == before


def test_move_clock_past_deadline_cancels_numbers_with_unmet_requirements(
    control: httpx.Client, client: httpx.Client
) -> None:
    before = listed_numbers(client)
    frozen = {"approved", "cancelled", "deleted"}
    expected = {
        number_id: ("cancelled", "failure", False)
        if number["requirements_status"] not in frozen
        and not number["requirements_met"]
        else state_of(number)
        for number_id, number in before.items()
    }

    control.post("/clock", json={"advance": "P31D"})
    after = listed_numbers(client)

    assert {number_id: state_of(n) for number_id, n in after.items()} == expected
    assert (
        state_of(get_number(client, EXAMPLE_NUMBER_ID)) == expected[EXAMPLE_NUMBER_ID]
    )
    assert expected[EXAMPLE_NUMBER_ID] == ("cancelled", "failure", False)
    assert expected[DE_NATIONAL_ID] == (UNDER_REVIEW, "pending", True)
    assert expected[FR_APPROVED_ID] == ("approved", "success", True)


def test_move_clock_past_deadline_of_posted_fixture_cancels_it(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/fixtures", json=small_document(deadline="PT24H"))
    control.post("/clock", json={"advance": "PT23H"})
    still_pending = get_number(client, SMALL_NUMBER_ID)

    control.post("/clock", json={"advance": "PT2H"})
    cancelled = get_number(client, SMALL_NUMBER_ID)

    assert state_of(still_pending) == ("requirement-info-pending", "pending", False)
    assert state_of(cancelled) == ("cancelled", "failure", False)


def test_move_clock_set_past_fixed_deadline_cancels_number(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/fixtures", json=small_document(deadline="2030-01-01T00:00:00Z"))
    control.post("/clock", json={"set": "2029-12-31T23:59:00Z"})
    before = get_number(client, SMALL_NUMBER_ID)

    control.post("/clock", json={"set": "2030-01-01T00:01:00Z"})
    after = get_number(client, SMALL_NUMBER_ID)

    assert before["requirements_status"] == "requirement-info-pending"
    assert state_of(after) == ("cancelled", "failure", False)
    assert after["deadline"] == "2030-01-01T00:00:00Z"


def test_move_clock_past_deadline_spares_number_under_review(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/fixtures", json=small_document(deadline="PT24H"))
    client.patch(f"/number_order_phone_numbers/{SMALL_NUMBER_ID}", json=supply_value())

    control.post("/clock", json={"advance": "PT48H"})

    number = get_number(client, SMALL_NUMBER_ID)
    assert state_of(number) == (UNDER_REVIEW, "pending", True)


def test_move_clock_cancelled_number_takes_no_more_values(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/clock", json={"advance": "P31D"})

    response = client.patch(
        f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}", json=SUPPLY_ADDRESS
    )

    assert response.status_code == 422
    assert "cancelled" in str(only_error(response)["detail"])


def test_move_clock_without_auto_review_leaves_reviews_waiting(
    control: httpx.Client, client: httpx.Client
) -> None:
    control.post("/clock", json={"advance": "P365D"})

    assert get_number(client, DE_NATIONAL_ID)["requirements_status"] == UNDER_REVIEW
    assert get_number(client, SE_MOBILE_ID)["requirements_status"] == UNDER_REVIEW


# Automatic review (--auto-review SECONDS)


@pytest.fixture(scope="module")
def auto_reviewing() -> Iterator[EmulatorHandle]:
    """An emulator that approves numbers an hour after they went under review."""
    with run_emulator(auto_review=3600) as emulator:
        yield emulator


@pytest.fixture
def auto_client(auto_reviewing: EmulatorHandle) -> Iterator[httpx.Client]:
    auto_reviewing.reset()
    with contract_client(auto_reviewing.base_url + "/v2") as client:
        yield client


def test_auto_review_approves_after_that_long_under_review(
    auto_reviewing: EmulatorHandle, auto_client: httpx.Client
) -> None:
    auto_client.patch(
        f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}", json=SUPPLY_ADDRESS
    )

    auto_reviewing.advance_clock("PT59M")
    waiting = get_number(auto_client, EXAMPLE_NUMBER_ID)
    auto_reviewing.advance_clock("PT2M")
    approved = get_number(auto_client, EXAMPLE_NUMBER_ID)

    assert state_of(waiting) == (UNDER_REVIEW, "pending", True)
    assert state_of(approved) == ("approved", "success", True)
    listed = listed_numbers(auto_client)[EXAMPLE_NUMBER_ID]
    assert state_of(listed) == ("approved", "success", True)


def test_auto_review_approves_fixtures_under_review(
    auto_reviewing: EmulatorHandle, auto_client: httpx.Client
) -> None:
    auto_reviewing.advance_clock("PT61M")

    listed = listed_numbers(auto_client)

    assert state_of(listed[DE_NATIONAL_ID]) == ("approved", "success", True)
    assert state_of(listed[SE_MOBILE_ID]) == ("approved", "success", True)
    assert listed[EXAMPLE_NUMBER_ID]["requirements_status"] == (
        "requirement-info-pending"
    )


def test_auto_review_leaves_rejected_number_alone(
    auto_reviewing: EmulatorHandle, auto_client: httpx.Client
) -> None:
    auto_reviewing.review(DE_NATIONAL_ID, "rejected")

    auto_reviewing.advance_clock("PT2H")

    number = get_number(auto_client, DE_NATIONAL_ID)
    assert number["requirements_status"] == "requirement-info-exception"


def test_auto_review_in_real_time() -> None:
    with (
        run_emulator(auto_review=0.2) as emulator,
        contract_client(emulator.base_url + "/v2") as client,
    ):
        client.patch(
            f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}", json=SUPPLY_ADDRESS
        )
        # Real time has to pass here: the emulator's clock is not moved.
        time.sleep(0.3)
        number = get_number(client, EXAMPLE_NUMBER_ID)

    assert state_of(number) == ("approved", "success", True)
