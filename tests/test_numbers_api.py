"""The four Telnyx operations over HTTP: shapes, PATCH rules, errors, state."""

import httpx
import pytest

from tests.conftest import (
    DE_LOCAL_ID,
    DE_NAME_REQUIREMENT,
    EXAMPLE_ADDRESS_ID,
    EXAMPLE_NUMBER_ID,
    EXAMPLE_REQUIREMENT_ID,
)

DE_ADDRESS_REQUIREMENT = "8b8fef39-9a56-4e40-88f3-3743ad10ac90"
DE_PROOF_REQUIREMENT = "7aaaf3cf-4636-4a0b-8274-a770b7d02f1e"
DE_PROOF_DOCUMENT = "4e45598a-4699-47d0-ae5a-61c85bd075b3"
FR_SHARED_COST_ID = "03170730-52aa-53ce-aee8-b848c00efc1c"
FR_ID_REQUIREMENT = "a8fddf6b-a042-4900-bd51-a683a7748600"
FR_BIRTH_REQUIREMENT = "50849b3e-0e11-4fef-9c01-c940e90952f0"
FR_FORM_REQUIREMENT = "6c88ca7a-d4d3-4582-9668-8067d076823b"
GB_LANDLINE_ID = "98ff6eac-ed42-5885-aff7-38fdc8fde70e"
GB_COMPANY_REQUIREMENT = "82abe520-b3ea-4b6e-88a9-82e6fa10a52c"
FR_APPROVED_ID = "67b780e6-2f7a-5e3b-9edb-c422c1c438ad"
GB_CANCELLED_ID = "0bc5bbe7-db08-5444-b0fa-4e3de89f36fd"
DE_GROUP_ID = "e5ed53f7-e584-429a-bbe5-a4c2305a3051"
AT_GROUP_ID = "e2947a7e-918b-4384-81d4-d70f88e221e2"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

NUMBER_FIELDS = {
    "id",
    "record_type",
    "phone_number",
    "order_request_id",
    "sub_number_order_id",
    "country_code",
    "phone_number_type",
    "regulatory_requirements",
    "requirements_met",
    "status",
    "bundle_id",
    "locality",
    "deadline",
    "requirements_status",
    "is_block_number",
}


def patch(
    client: httpx.Client, number_id: str, *items: dict[str, object]
) -> httpx.Response:
    body = {"regulatory_requirements": list(items)}
    return client.patch(f"/number_order_phone_numbers/{number_id}", json=body)


def value_of(number: dict[str, object], requirement_id: str) -> object:
    requirements = number["regulatory_requirements"]
    assert isinstance(requirements, list)
    return next(
        item["field_value"]
        for item in requirements
        if item["requirement_id"] == requirement_id
    )


def only_error(response: httpx.Response) -> dict[str, object]:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, object] = errors[0]
    return error


def test_get_number_order_phone_number_has_every_field(client: httpx.Client) -> None:
    response = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}")

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == NUMBER_FIELDS
    assert data["record_type"] == "number_order_phone_number"
    assert data["phone_number"] == "+19705555098"
    assert data["requirements_met"] is False
    assert data["requirements_status"] == "requirement-info-pending"
    assert data["deadline"].endswith("Z")
    assert data["regulatory_requirements"] == [
        {
            "record_type": "phone_number_regulatory_requirement",
            "requirement_id": EXAMPLE_REQUIREMENT_ID,
            "field_type": "address",
            "field_value": "",
        }
    ]


def test_get_number_order_phone_number_unknown_id(client: httpx.Client) -> None:
    response = client.get(f"/number_order_phone_numbers/{UNKNOWN_ID}")

    assert response.status_code == 404
    error = only_error(response)
    assert error["code"] == "10005"
    assert error["title"] == "Resource not found"
    assert UNKNOWN_ID in str(error["detail"])


def test_root_and_v2_serve_the_same_number(
    client: httpx.Client, root_client: httpx.Client
) -> None:
    path = f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"

    under_v2 = client.get(path)
    at_root = root_client.get(path)

    assert under_v2.status_code == at_root.status_code == 200
    assert under_v2.json() == at_root.json()


def test_list_number_order_phone_numbers_defaults(client: httpx.Client) -> None:
    response = client.get("/number_order_phone_numbers")

    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {
        "page_number": 1,
        "page_size": 25,
        "total_pages": 1,
        "total_results": 14,
    }
    assert body["data"][0]["id"] == EXAMPLE_NUMBER_ID
    assert {item["phone_number_type"] for item in body["data"]} == {
        "local",
        "toll_free",
        "mobile",
        "national",
        "shared_cost",
        "landline",
    }


def test_list_number_order_phone_numbers_filter_by_country(
    client: httpx.Client,
) -> None:
    response = client.get(
        "/number_order_phone_numbers", params={"filter[country_code]": "FR"}
    )

    assert response.status_code == 200
    body = response.json()
    assert [item["phone_number"] for item in body["data"]] == [
        "+33612345678",
        "+33810123456",
    ]
    assert body["meta"]["total_results"] == 2


def test_list_number_order_phone_numbers_pages_in_a_stable_order(
    client: httpx.Client,
) -> None:
    everything = client.get("/number_order_phone_numbers").json()["data"]

    pages = [
        client.get(
            "/number_order_phone_numbers",
            params={"page[number]": page, "page[size]": 5},
        ).json()
        for page in (1, 2, 3)
    ]

    assert [item["id"] for page in pages for item in page["data"]] == [
        item["id"] for item in everything
    ]
    assert pages[2]["meta"] == {
        "page_number": 3,
        "page_size": 5,
        "total_pages": 3,
        "total_results": 14,
    }


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("page[size]", "251"),
        ("page[size]", "0"),
        ("page[size]", "ten"),
        ("page[number]", "0"),
        ("page[number]", "-1"),
        ("page[number]", "1.5"),
    ],
    ids=[
        "size-too-large",
        "size-zero",
        "size-not-integer",
        "page-zero",
        "page-negative",
        "page-fraction",
    ],
)
def test_list_number_order_phone_numbers_bad_page_parameter(
    client: httpx.Client, parameter: str, value: str
) -> None:
    response = client.get("/number_order_phone_numbers", params={parameter: value})

    assert response.status_code == 400
    error = only_error(response)
    assert error["code"] == "10015"
    assert error["source"] == {"parameter": parameter}


def test_update_requirements_documentation_example(client: httpx.Client) -> None:
    response = patch(
        client,
        EXAMPLE_NUMBER_ID,
        {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": EXAMPLE_ADDRESS_ID},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert value_of(data, EXAMPLE_REQUIREMENT_ID) == EXAMPLE_ADDRESS_ID
    assert data["requirements_met"] is True
    assert data["requirements_status"] == "requirement-info-under-review"
    assert data["status"] == "pending"
    again = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}").json()
    assert again["data"] == data


def test_update_requirements_is_seen_by_list(client: httpx.Client) -> None:
    patch(
        client,
        DE_LOCAL_ID,
        {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Muster AG"},
    )

    listed = client.get(
        "/number_order_phone_numbers", params={"filter[country_code]": "DE"}
    ).json()["data"]

    number = next(item for item in listed if item["id"] == DE_LOCAL_ID)
    assert value_of(number, DE_NAME_REQUIREMENT) == "Muster AG"


def test_update_requirements_partial_keeps_other_values(client: httpx.Client) -> None:
    response = patch(
        client,
        DE_LOCAL_ID,
        {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Muster AG"},
    )

    data = response.json()["data"]
    assert (
        value_of(data, DE_ADDRESS_REQUIREMENT) == "5b3a0c2a-29f6-4e70-955c-7611f2bb9edc"
    )
    assert value_of(data, DE_PROOF_REQUIREMENT) == ""
    assert data["requirements_met"] is False
    assert data["requirements_status"] == "requirement-info-pending"


def test_update_requirements_all_met_goes_under_review(client: httpx.Client) -> None:
    response = patch(
        client,
        DE_LOCAL_ID,
        {"requirement_id": DE_PROOF_REQUIREMENT, "field_value": DE_PROOF_DOCUMENT},
        {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Muster AG"},
    )

    data = response.json()["data"]
    assert response.status_code == 200
    assert data["requirements_met"] is True
    assert data["requirements_status"] == "requirement-info-under-review"


@pytest.mark.parametrize(
    "body", [{}, {"regulatory_requirements": []}], ids=["empty-object", "empty-list"]
)
def test_update_requirements_empty_changes_nothing(
    client: httpx.Client, body: dict[str, object]
) -> None:
    before = client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}").json()

    response = client.patch(f"/number_order_phone_numbers/{DE_LOCAL_ID}", json=body)

    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    "content_type", ["application/json", None], ids=["json", "no-content-type"]
)
def test_update_requirements_without_body_changes_nothing(
    client: httpx.Client, content_type: str | None
) -> None:
    before = client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}").json()
    headers = {"Content-Type": content_type} if content_type else {}

    response = client.patch(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}", content=b"", headers=headers
    )

    assert response.status_code == 200
    assert response.json() == before


def test_update_requirement_group_without_body_is_missing_the_group(
    client: httpx.Client,
) -> None:
    response = client.post(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}/requirement_group"
    )

    assert response.status_code == 422
    error = only_error(response)
    assert (error["code"], error["source"]) == (
        "10004",
        {"pointer": "/requirement_group_id"},
    )


def test_update_requirements_accepts_each_field_type(client: httpx.Client) -> None:
    response = patch(
        client,
        FR_SHARED_COST_ID,
        {
            "requirement_id": FR_ID_REQUIREMENT,
            "field_value": "82ea8c59-6006-4db5-9b3a-ea869721fc32",
        },
        {
            "requirement_id": FR_BIRTH_REQUIREMENT,
            "field_value": "1990-02-28T08:00:00+01:00",
        },
        {"requirement_id": FR_FORM_REQUIREMENT, "field_value": "SARL"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["requirements_met"] is True


# requirement_id, field_value, number, expected code, pointer suffix
INVALID_ITEMS = [
    ("not-a-uuid", "x", DE_LOCAL_ID, "10006", "requirement_id"),
    (
        EXAMPLE_REQUIREMENT_ID,
        EXAMPLE_ADDRESS_ID,
        DE_LOCAL_ID,
        "10013",
        "requirement_id",
    ),
    (DE_ADDRESS_REQUIREMENT, UNKNOWN_ID, DE_LOCAL_ID, "10017", "field_value"),
    (
        DE_ADDRESS_REQUIREMENT,
        "Unter den Linden 77, Berlin",
        DE_LOCAL_ID,
        "10017",
        "field_value",
    ),
    (DE_PROOF_REQUIREMENT, UNKNOWN_ID, DE_LOCAL_ID, "10017", "field_value"),
    (FR_FORM_REQUIREMENT, "GmbH", FR_SHARED_COST_ID, "10032", "field_value"),
    (DE_NAME_REQUIREMENT, "M", DE_LOCAL_ID, "10033", "field_value"),
    (DE_NAME_REQUIREMENT, "M" * 101, DE_LOCAL_ID, "10033", "field_value"),
    (GB_COMPANY_REQUIREMENT, "0123456a", GB_LANDLINE_ID, "10015", "field_value"),
    (FR_BIRTH_REQUIREMENT, "12/04/1985", FR_SHARED_COST_ID, "10015", "field_value"),
    (DE_NAME_REQUIREMENT, "", DE_LOCAL_ID, "10015", "field_value"),
]


@pytest.mark.parametrize(
    ("requirement_id", "field_value", "number_id", "code", "field"),
    INVALID_ITEMS,
    ids=[
        "id-not-uuid",
        "not-this-numbers-requirement",
        "unknown-address",
        "address-written-out",
        "unknown-document",
        "not-an-acceptable-value",
        "too-short",
        "too-long",
        "unacceptable-characters",
        "not-a-datetime",
        "empty-string",
    ],
)
def test_update_requirements_rejects_invalid_item(
    client: httpx.Client,
    requirement_id: str,
    field_value: str,
    number_id: str,
    code: str,
    field: str,
) -> None:
    before = client.get(f"/number_order_phone_numbers/{number_id}").json()

    response = patch(
        client,
        number_id,
        {"requirement_id": requirement_id, "field_value": field_value},
    )

    assert response.status_code == 422
    error = only_error(response)
    assert error["code"] == code
    assert error["source"] == {"pointer": f"/regulatory_requirements/0/{field}"}
    assert client.get(f"/number_order_phone_numbers/{number_id}").json() == before


def test_update_requirements_detail_names_requirement_and_number(
    client: httpx.Client,
) -> None:
    response = patch(
        client,
        DE_LOCAL_ID,
        {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": EXAMPLE_ADDRESS_ID},
    )

    assert only_error(response)["detail"] == (
        f"{EXAMPLE_REQUIREMENT_ID} is not a requirement of phone number +4930901820."
    )


def test_update_requirements_reports_every_problem_and_applies_none(
    client: httpx.Client,
) -> None:
    before = client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}").json()

    response = patch(
        client,
        DE_LOCAL_ID,
        {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Valid Name GmbH"},
        {"requirement_id": "nope", "field_value": 7},
        {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Second GmbH"},
        {"field_value": "x"},
        "not an object",
    )

    assert response.status_code == 422
    codes = [(e["code"], e["source"]["pointer"]) for e in response.json()["errors"]]
    assert codes == [
        ("10006", "/regulatory_requirements/1/requirement_id"),
        ("10026", "/regulatory_requirements/1/field_value"),
        ("10012", "/regulatory_requirements/2/requirement_id"),
        ("10004", "/regulatory_requirements/3/requirement_id"),
        ("10026", "/regulatory_requirements/4"),
    ]
    assert client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}").json() == before


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        ({"regulatory_requirements": "all"}, "10026", "/regulatory_requirements"),
        ({"regulatory_requirements": None}, "10026", "/regulatory_requirements"),
        (
            {"regulatory_requirements": [{"requirement_id": DE_NAME_REQUIREMENT}]},
            "10004",
            "/regulatory_requirements/0/field_value",
        ),
        (
            {"regulatory_requirements": [{"requirement_id": 12, "field_value": "x"}]},
            "10026",
            "/regulatory_requirements/0/requirement_id",
        ),
        (
            {
                "regulatory_requirements": [
                    {"requirement_id": DE_NAME_REQUIREMENT, "field_value": None}
                ]
            },
            "10026",
            "/regulatory_requirements/0/field_value",
        ),
    ],
    ids=[
        "list-is-string",
        "list-is-null",
        "no-field-value",
        "id-is-number",
        "value-is-null",
    ],
)
def test_update_requirements_wrong_shapes(
    client: httpx.Client, body: dict[str, object], code: str, pointer: str
) -> None:
    response = client.patch(f"/number_order_phone_numbers/{DE_LOCAL_ID}", json=body)

    assert response.status_code == 422
    error = only_error(response)
    assert (error["code"], error["source"]) == (code, {"pointer": pointer})


@pytest.mark.parametrize(
    "number_id", [FR_APPROVED_ID, GB_CANCELLED_ID], ids=["approved", "cancelled"]
)
def test_update_requirements_on_final_number_is_refused(
    client: httpx.Client, number_id: str
) -> None:
    number = client.get(f"/number_order_phone_numbers/{number_id}").json()["data"]
    requirement_id = number["regulatory_requirements"][0]["requirement_id"]

    response = patch(
        client, number_id, {"requirement_id": requirement_id, "field_value": "x"}
    )

    assert response.status_code == 422
    error = only_error(response)
    assert error["code"] == "10015"
    assert "can no longer be changed" in str(error["detail"])


def test_update_requirements_unknown_number(client: httpx.Client) -> None:
    response = patch(
        client,
        UNKNOWN_ID,
        {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": "x"},
    )

    assert response.status_code == 404
    assert only_error(response)["code"] == "10005"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"regulatory_requirements": [', "application/json", 400, "10023"),
        (b'{"a": "\xff"}', "application/json", 400, "10023"),
        (b" \n", "application/json", 400, "10015"),
        (b"[]", "application/json", 400, "10015"),
        (b'"text"', "application/json", 400, "10015"),
        (b"{}", "text/plain", 400, "10014"),
        (
            b"regulatory_requirements=1",
            "application/x-www-form-urlencoded",
            400,
            "10014",
        ),
        (b"{" + b" " * (1024 * 1024) + b"}", "application/json", 400, "10015"),
    ],
    ids=[
        "truncated-json",
        "not-utf8",
        "blank-body",
        "array",
        "string",
        "text-plain",
        "form",
        "over-1mib",
    ],
)
def test_update_requirements_bad_body(
    client: httpx.Client, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = client.patch(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}",
        content=content,
        headers={"Content-Type": content_type},
    )

    assert response.status_code == status
    assert only_error(response)["code"] == code


SPEC_401_BODY = {
    "errors": [
        {
            "code": "10009",
            "title": "Authentication failed",
            "detail": "Could not understand the provided credentials.",
            "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/10009"},
        }
    ]
}


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer  padded", "Token abc"],
    ids=["missing", "basic", "bearer-alone", "bearer-double-space", "other-scheme"],
)
def test_requests_without_valid_credentials_get_the_spec_401(
    anonymous_client: httpx.Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = anonymous_client.get(
        f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}", headers=headers
    )

    assert response.status_code == 401
    assert response.json() == SPEC_401_BODY


def test_credentials_are_checked_before_the_body(
    anonymous_client: httpx.Client,
) -> None:
    response = anonymous_client.patch(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}", content=b"{not json"
    )

    assert response.status_code == 401


def test_unknown_route_is_404(client: httpx.Client) -> None:
    response = client.get("/number_orders")

    assert response.status_code == 404
    assert only_error(response)["code"] == "10005"


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete(f"/number_order_phone_numbers/{DE_LOCAL_ID}")

    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {
        "GET",
        "PATCH",
    }
    assert only_error(response)["code"] == "10015"


def test_update_requirement_group_fills_values(client: httpx.Client) -> None:
    response = client.post(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}/requirement_group",
        json={"requirement_group_id": DE_GROUP_ID},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["requirements_met"] is True
    assert data["requirements_status"] == "requirement-info-under-review"
    assert {item["status"] for item in data["regulatory_requirements"]} == {
        "pending-approval"
    }
    assert value_of(data, DE_NAME_REQUIREMENT) == "Beispiel GmbH"
    number = client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}").json()["data"]
    assert value_of(number, DE_PROOF_REQUIREMENT) == DE_PROOF_DOCUMENT


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"requirement_group_id": UNKNOWN_ID}, 422, "10017"),
        ({"requirement_group_id": "group-1"}, 422, "10006"),
        ({"requirement_group_id": AT_GROUP_ID}, 422, "10013"),
        ({}, 422, "10004"),
        ({"requirement_group_id": 5}, 422, "10026"),
    ],
    ids=["unknown-group", "not-uuid", "other-country", "missing", "wrong-type"],
)
def test_update_requirement_group_errors(
    client: httpx.Client, body: dict[str, object], status: int, code: str
) -> None:
    response = client.post(
        f"/number_order_phone_numbers/{DE_LOCAL_ID}/requirement_group", json=body
    )

    assert response.status_code == status
    error = only_error(response)
    assert error["code"] == code
    assert error["source"] == {"pointer": "/requirement_group_id"}


def test_update_requirement_group_unknown_number(client: httpx.Client) -> None:
    response = client.post(
        f"/number_order_phone_numbers/{UNKNOWN_ID}/requirement_group",
        json={"requirement_group_id": DE_GROUP_ID},
    )

    assert response.status_code == 404
