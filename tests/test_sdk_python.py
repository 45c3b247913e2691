"""The official Python SDK (`telnyx` on PyPI, 4.x) against the emulator.

Every client validates strictly (`_strict_response_validation=True`): an enum value,
a type or a date the SDK's models do not accept fails the test. Every response also
goes through tests/contract.py, hooked into the SDK's own httpx client.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import telnyx

from app.testing import EmulatorHandle, run_emulator
from tests.conftest import (
    EXAMPLE_ADDRESS_ID,
    EXAMPLE_NUMBER_ID,
    EXAMPLE_REQUIREMENT_ID,
)
from tests.contract import check_response, check_response_async
from tests.test_numbers_api import (
    DE_GROUP_ID,
    DE_LOCAL_ID,
    DE_NAME_REQUIREMENT,
    DE_PROOF_DOCUMENT,
    DE_PROOF_REQUIREMENT,
    UNKNOWN_ID,
)

API_KEY = "test-key"
SDK_ENVIRONMENT = (
    "TELNYX_API_KEY",
    "TELNYX_BASE_URL",
    "TELNYX_PUBLIC_KEY",
    "TELNYX_CLIENT_ID",
    "TELNYX_CLIENT_SECRET",
    "TELNYX_CUSTOM_HEADERS",
)


@pytest.fixture(autouse=True)
def clean_sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK reads TELNYX_* variables; none from the developer's shell leaks in."""
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def checked_client(**options: Any) -> telnyx.Telnyx:
    """A strict SDK client whose every response is checked against openapi.yml."""
    http_client = telnyx.DefaultHttpxClient(event_hooks={"response": [check_response]})
    return telnyx.Telnyx(
        http_client=http_client, _strict_response_validation=True, **options
    )


def checked_async_client(**options: Any) -> telnyx.AsyncTelnyx:
    http_client = telnyx.DefaultAsyncHttpxClient(
        event_hooks={"response": [check_response_async]}
    )
    return telnyx.AsyncTelnyx(
        http_client=http_client, _strict_response_validation=True, **options
    )


@pytest.fixture
def sdk(telnyx_emulator: EmulatorHandle) -> Iterator[telnyx.Telnyx]:
    with checked_client(base_url=telnyx_emulator.base_url, api_key=API_KEY) as client:
        yield client


@pytest.fixture
async def async_sdk(
    telnyx_emulator: EmulatorHandle,
) -> AsyncIterator[telnyx.AsyncTelnyx]:
    async with checked_async_client(
        base_url=telnyx_emulator.base_url, api_key=API_KEY
    ) as client:
        yield client


@pytest.fixture(scope="module")
def keyed_emulator() -> Iterator[EmulatorHandle]:
    """A second emulator, which accepts the API key `secret` and no other."""
    with run_emulator(api_key=["secret"]) as handle:
        yield handle


def value_of(number: Any, requirement_id: str) -> str | None:
    return next(
        item.field_value
        for item in number.regulatory_requirements
        if item.requirement_id == requirement_id
    )


def only_error(error: telnyx.APIStatusError) -> dict[str, Any]:
    """Telnyx's error list, as the exception carries it."""
    assert isinstance(error.body, dict)
    errors = error.body["errors"]
    assert len(errors) == 1, errors
    only: dict[str, Any] = errors[0]
    return only


def test_retrieve_number_order_phone_number_with_sdk(sdk: telnyx.Telnyx) -> None:
    response = sdk.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    number = response.data
    assert number is not None
    assert number.id == EXAMPLE_NUMBER_ID
    assert number.phone_number == "+19705555098"
    assert number.record_type == "number_order_phone_number"
    assert number.phone_number_type == "local"
    assert number.status == "pending"
    assert number.requirements_status == "requirement-info-pending"
    assert number.requirements_met is False
    assert number.deadline is not None
    assert number.deadline.tzinfo is not None
    assert [
        (item.requirement_id, item.field_type, item.field_value)
        for item in number.regulatory_requirements or []
    ] == [(EXAMPLE_REQUIREMENT_ID, "address", "")]


def test_list_number_order_phone_numbers_with_sdk(sdk: telnyx.Telnyx) -> None:
    response = sdk.number_order_phone_numbers.list()

    assert response.meta is not None
    assert (response.meta.page_number, response.meta.page_size) == (1, 25)
    assert response.meta.total_results == 14
    assert response.data is not None
    assert len(response.data) == 14
    assert response.data[0].id == EXAMPLE_NUMBER_ID


def test_list_number_order_phone_numbers_with_sdk_filter(sdk: telnyx.Telnyx) -> None:
    response = sdk.number_order_phone_numbers.list(filter={"country_code": "DE"})

    assert response.data is not None
    assert {number.country_code for number in response.data} == {"DE"}
    assert DE_LOCAL_ID in {number.id for number in response.data}
    assert response.meta is not None
    assert response.meta.total_results == len(response.data) == 2


def test_update_requirements_with_sdk_is_read_back_by_retrieve_and_list(
    sdk: telnyx.Telnyx,
) -> None:
    updated = sdk.number_order_phone_numbers.update_requirements(
        EXAMPLE_NUMBER_ID,
        regulatory_requirements=[
            {
                "requirement_id": EXAMPLE_REQUIREMENT_ID,
                "field_value": EXAMPLE_ADDRESS_ID,
            }
        ],
    )

    retrieved = sdk.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID).data
    listed = sdk.number_order_phone_numbers.list(filter={"country_code": "US"}).data
    assert updated.data is not None
    assert updated.data.requirements_met is True
    assert updated.data.requirements_status == "requirement-info-under-review"
    assert retrieved == updated.data
    assert listed is not None
    in_list = next(number for number in listed if number.id == EXAMPLE_NUMBER_ID)
    assert in_list == updated.data
    assert value_of(in_list, EXAMPLE_REQUIREMENT_ID) == EXAMPLE_ADDRESS_ID


def test_update_requirements_with_sdk_and_no_requirements_changes_nothing(
    sdk: telnyx.Telnyx, telnyx_emulator: EmulatorHandle
) -> None:
    before = sdk.number_order_phone_numbers.retrieve(DE_LOCAL_ID).data

    response = sdk.number_order_phone_numbers.update_requirements(DE_LOCAL_ID)

    assert response.data == before
    [entry] = telnyx_emulator.requests(method="PATCH")
    assert entry["body"] == {}


def test_update_requirement_group_with_sdk_is_read_back_by_retrieve(
    sdk: telnyx.Telnyx,
) -> None:
    response = sdk.number_order_phone_numbers.update_requirement_group(
        DE_LOCAL_ID, requirement_group_id=DE_GROUP_ID
    )

    assert response.data is not None
    assert response.data.requirements_met is True
    assert {item.status for item in response.data.regulatory_requirements or []} == {
        "pending-approval"
    }
    number = sdk.number_order_phone_numbers.retrieve(DE_LOCAL_ID).data
    assert number is not None
    assert number.requirements_status == "requirement-info-under-review"
    assert value_of(number, DE_PROOF_REQUIREMENT) == DE_PROOF_DOCUMENT
    assert value_of(number, DE_NAME_REQUIREMENT) == "Beispiel GmbH"


def test_sdk_without_api_key_gets_authentication_error(
    telnyx_emulator: EmulatorHandle,
) -> None:
    client = checked_client(base_url=telnyx_emulator.base_url)

    with client, pytest.raises(telnyx.AuthenticationError) as raised:
        client.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert raised.value.status_code == 401
    error = only_error(raised.value)
    assert (error["code"], error["title"]) == ("10009", "Authentication failed")
    [entry] = telnyx_emulator.requests()
    assert "authorization" not in entry["headers"]


def test_sdk_with_wrong_api_key_gets_authentication_error(
    keyed_emulator: EmulatorHandle,
) -> None:
    client = checked_client(base_url=keyed_emulator.base_url, api_key="wrong")

    with client, pytest.raises(telnyx.AuthenticationError) as raised:
        client.number_order_phone_numbers.list()

    assert only_error(raised.value)["code"] == "10009"


def test_sdk_with_the_accepted_api_key_is_served(
    keyed_emulator: EmulatorHandle,
) -> None:
    with checked_client(base_url=keyed_emulator.base_url, api_key="secret") as client:
        response = client.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert response.data is not None
    assert response.data.id == EXAMPLE_NUMBER_ID


@pytest.mark.parametrize(
    "call",
    [
        lambda sdk: sdk.number_order_phone_numbers.retrieve(UNKNOWN_ID),
        lambda sdk: sdk.number_order_phone_numbers.update_requirements(
            UNKNOWN_ID,
            regulatory_requirements=[
                {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": "x"}
            ],
        ),
        lambda sdk: sdk.number_order_phone_numbers.update_requirement_group(
            UNKNOWN_ID, requirement_group_id=DE_GROUP_ID
        ),
    ],
    ids=["retrieve", "update_requirements", "update_requirement_group"],
)
def test_sdk_unknown_number_raises_not_found_error(
    sdk: telnyx.Telnyx, call: Any
) -> None:
    with pytest.raises(telnyx.NotFoundError) as raised:
        call(sdk)

    error = only_error(raised.value)
    assert (error["code"], error["title"]) == ("10005", "Resource not found")
    assert UNKNOWN_ID in error["detail"]


@pytest.mark.parametrize(
    "number_id",
    ["x/requirement_group", "a/b", "a%2Fb", "..."],
    ids=["slash-then-route-word", "slash", "encoded-slash", "dots"],
)
def test_sdk_retrieve_unusual_id_is_not_found_by_that_id(
    sdk: telnyx.Telnyx, telnyx_emulator: EmulatorHandle, number_id: str
) -> None:
    with pytest.raises(telnyx.NotFoundError) as raised:
        sdk.number_order_phone_numbers.retrieve(number_id)

    error = only_error(raised.value)
    assert error["code"] == "10005"
    assert error["source"] == {"parameter": "number_order_phone_number_id"}
    assert repr(number_id) in error["detail"]
    assert telnyx_emulator.requests()[0]["phone_number_id"] == number_id


@pytest.mark.parametrize(
    "number_id",
    ["x/requirement_group", "a%2Fb"],
    ids=["slash-then-route-word", "encoded-slash"],
)
def test_sdk_update_unusual_id_is_not_found_by_that_id(
    sdk: telnyx.Telnyx, number_id: str
) -> None:
    with pytest.raises(telnyx.NotFoundError) as update_error:
        sdk.number_order_phone_numbers.update_requirements(number_id)
    with pytest.raises(telnyx.NotFoundError) as group_error:
        sdk.number_order_phone_numbers.update_requirement_group(
            number_id, requirement_group_id=DE_GROUP_ID
        )

    assert repr(number_id) in only_error(update_error.value)["detail"]
    assert repr(number_id) in only_error(group_error.value)["detail"]


def test_sdk_invalid_requirement_raises_unprocessable_entity_error(
    sdk: telnyx.Telnyx,
) -> None:
    with pytest.raises(telnyx.UnprocessableEntityError) as raised:
        sdk.number_order_phone_numbers.update_requirements(
            DE_LOCAL_ID,
            regulatory_requirements=[
                {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "M"},
                {"requirement_id": "not-a-uuid", "field_value": "x"},
            ],
        )

    errors = raised.value.body["errors"]  # type: ignore[index]
    assert [(e["code"], e["source"]["pointer"]) for e in errors] == [
        ("10033", "/regulatory_requirements/0/field_value"),
        ("10006", "/regulatory_requirements/1/requirement_id"),
    ]


def test_sdk_unknown_requirement_group_raises_unprocessable_entity_error(
    sdk: telnyx.Telnyx,
) -> None:
    with pytest.raises(telnyx.UnprocessableEntityError) as raised:
        sdk.number_order_phone_numbers.update_requirement_group(
            DE_LOCAL_ID, requirement_group_id=UNKNOWN_ID
        )

    error = only_error(raised.value)
    assert error["code"] == "10017"
    assert error["source"] == {"pointer": "/requirement_group_id"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [({"page[size]": 251}, "page[size]"), ({"page[number]": 0}, "page[number]")],
    ids=["page-size-too-large", "page-zero"],
)
def test_sdk_list_bad_page_raises_bad_request_error(
    sdk: telnyx.Telnyx, query: dict[str, object], parameter: str
) -> None:
    with pytest.raises(telnyx.BadRequestError) as raised:
        sdk.number_order_phone_numbers.list(extra_query=query)

    error = only_error(raised.value)
    assert error["code"] == "10015"
    assert error["source"] == {"parameter": parameter}


def test_sdk_configured_through_the_environment(
    telnyx_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELNYX_BASE_URL", telnyx_emulator.base_url)
    monkeypatch.setenv("TELNYX_API_KEY", API_KEY)

    with checked_client() as client:
        response = client.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert response.data is not None
    assert response.data.id == EXAMPLE_NUMBER_ID
    [entry] = telnyx_emulator.requests()
    assert entry["headers"]["user-agent"].startswith("Telnyx/Python ")
    assert entry["headers"]["authorization"].startswith("Bearer ")


def test_sdk_environment_key_is_checked_by_a_keyed_emulator(
    keyed_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELNYX_BASE_URL", keyed_emulator.base_url)
    monkeypatch.setenv("TELNYX_API_KEY", "not-the-secret")

    with checked_client() as client, pytest.raises(telnyx.AuthenticationError):
        client.number_order_phone_numbers.list()


def test_sdk_raw_response_shows_the_request_id(
    sdk: telnyx.Telnyx, telnyx_emulator: EmulatorHandle
) -> None:
    raw = sdk.number_order_phone_numbers.with_raw_response.retrieve(EXAMPLE_NUMBER_ID)

    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    [entry] = telnyx_emulator.requests()
    assert raw.headers["x-request-id"] == entry["request_id"]
    number = raw.parse().data
    assert number is not None
    assert number.id == EXAMPLE_NUMBER_ID


def test_sdk_raw_response_of_each_method(sdk: telnyx.Telnyx) -> None:
    raw = sdk.number_order_phone_numbers.with_raw_response

    responses = [
        raw.list(filter={"country_code": "FR"}),
        raw.update_requirements(DE_LOCAL_ID, regulatory_requirements=[]),
        raw.update_requirement_group(DE_LOCAL_ID, requirement_group_id=DE_GROUP_ID),
    ]

    request_ids = [response.headers["x-request-id"] for response in responses]
    assert len(set(request_ids)) == 3
    assert all(response.status_code == 200 for response in responses)
    assert [type(response.parse()).__name__ for response in responses] == [
        "NumberOrderPhoneNumberListResponse",
        "NumberOrderPhoneNumberUpdateRequirementsResponse",
        "NumberOrderPhoneNumberUpdateRequirementGroupResponse",
    ]


def test_sdk_raw_response_error_still_raises_with_request_id(
    sdk: telnyx.Telnyx,
) -> None:
    with pytest.raises(telnyx.NotFoundError) as raised:
        sdk.number_order_phone_numbers.with_raw_response.retrieve(UNKNOWN_ID)

    assert raised.value.response.headers["x-request-id"]


@pytest.mark.anyio
async def test_async_sdk_four_methods_read_your_writes(
    async_sdk: telnyx.AsyncTelnyx,
) -> None:
    numbers = async_sdk.number_order_phone_numbers

    await numbers.update_requirements(
        DE_LOCAL_ID,
        regulatory_requirements=[
            {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Muster AG"}
        ],
    )
    after_patch = (await numbers.retrieve(DE_LOCAL_ID)).data
    listed = (await numbers.list(filter={"country_code": "DE"})).data
    grouped = (
        await numbers.update_requirement_group(
            DE_LOCAL_ID, requirement_group_id=DE_GROUP_ID
        )
    ).data
    after_group = (await numbers.retrieve(DE_LOCAL_ID)).data

    assert value_of(after_patch, DE_NAME_REQUIREMENT) == "Muster AG"
    assert listed is not None
    assert after_patch in listed
    assert grouped is not None
    assert grouped.requirements_status == "requirement-info-under-review"
    assert value_of(after_group, DE_NAME_REQUIREMENT) == "Beispiel GmbH"
    assert after_group is not None
    assert after_group.requirements_status == "requirement-info-under-review"


@pytest.mark.anyio
async def test_async_sdk_errors_raise_the_sdk_classes(
    async_sdk: telnyx.AsyncTelnyx,
) -> None:
    numbers = async_sdk.number_order_phone_numbers

    with pytest.raises(telnyx.NotFoundError) as not_found:
        await numbers.retrieve(UNKNOWN_ID)
    with pytest.raises(telnyx.UnprocessableEntityError) as unprocessable:
        await numbers.update_requirement_group(
            DE_LOCAL_ID, requirement_group_id=UNKNOWN_ID
        )
    with pytest.raises(telnyx.BadRequestError) as bad_request:
        await numbers.list(extra_query={"page[size]": 0})

    assert only_error(not_found.value)["code"] == "10005"
    assert only_error(unprocessable.value)["code"] == "10017"
    assert only_error(bad_request.value)["code"] == "10015"


@pytest.mark.anyio
async def test_async_sdk_authentication_errors(
    telnyx_emulator: EmulatorHandle, keyed_emulator: EmulatorHandle
) -> None:
    anonymous = checked_async_client(base_url=telnyx_emulator.base_url)
    wrong_key = checked_async_client(base_url=keyed_emulator.base_url, api_key="wrong")

    async with anonymous, wrong_key:
        with pytest.raises(telnyx.AuthenticationError) as no_key:
            await anonymous.number_order_phone_numbers.list()
        with pytest.raises(telnyx.AuthenticationError) as bad_key:
            await wrong_key.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)

    assert only_error(no_key.value)["code"] == "10009"
    assert only_error(bad_key.value)["code"] == "10009"


@pytest.mark.anyio
async def test_async_sdk_configured_through_the_environment_raw_response(
    telnyx_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELNYX_BASE_URL", telnyx_emulator.base_url)
    monkeypatch.setenv("TELNYX_API_KEY", API_KEY)

    async with checked_async_client() as client:
        raw = await client.number_order_phone_numbers.with_raw_response.retrieve(
            EXAMPLE_NUMBER_ID
        )
        number = (await raw.parse()).data

    [entry] = telnyx_emulator.requests()
    assert raw.headers["x-request-id"] == entry["request_id"]
    assert entry["headers"]["x-stainless-async"].startswith("async:")
    assert number is not None
    assert number.id == EXAMPLE_NUMBER_ID
