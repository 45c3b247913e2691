"""Loading fixtures: the default set, and a clear message for each kind of mistake."""

import json
import shutil
from pathlib import Path

import pytest

from app.seed import FixtureError, load_fixtures_dir
from tests.conftest import FIXTURES_DIR

NUMBER_ID = "11111111-1111-4111-8111-111111111111"
REQUIREMENT_ID = "22222222-2222-4222-8222-222222222222"


def write_fixtures(folder: Path, **sections: object) -> Path:
    folder.mkdir(exist_ok=True)
    for name, content in sections.items():
        text = content if isinstance(content, str) else json.dumps({name: content})
        (folder / f"{name}.json").write_text(text)
    return folder


def a_number(**changes: object) -> dict[str, object]:
    number: dict[str, object] = {
        "id": NUMBER_ID,
        "phone_number": "+4930123456",
        "order_request_id": "33333333-3333-4333-8333-333333333333",
        "sub_number_order_id": "44444444-4444-4444-8444-444444444444",
        "country_code": "DE",
        "phone_number_type": "local",
        "locality": "Berlin",
        "regulatory_requirements": [{"requirement_id": REQUIREMENT_ID}],
    }
    number.update(changes)
    return number


A_REQUIREMENT = {
    "id": REQUIREMENT_ID,
    "name": "Business name",
    "field_type": "textual",
    "acceptance_criteria": {"min_length": 3},
}


def test_load_default_fixtures_reaches_every_branch() -> None:
    fixtures = load_fixtures_dir(FIXTURES_DIR)

    document = fixtures.document
    assert len(document.phone_numbers) == 14
    assert {n.country_code for n in document.phone_numbers} >= {
        "US",
        "DE",
        "FR",
        "GB",
        "AU",
    }
    assert {r.field_type for r in document.requirements} == {
        "textual",
        "datetime",
        "address",
        "document",
    }
    statuses = {n.requirements_status for n in document.phone_numbers}
    assert {"approved", "cancelled", "requirement-info-exception"} <= statuses


def test_load_custom_fixtures(tmp_path: Path) -> None:
    folder = write_fixtures(
        tmp_path / "f", requirements=[A_REQUIREMENT], phone_numbers=[a_number()]
    )

    fixtures = load_fixtures_dir(folder)

    assert [n.id for n in fixtures.document.phone_numbers] == [NUMBER_ID]


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"phone_numbers": '{"phone_numbers": [}'},
            "phone_numbers.json: not valid JSON",
        ),
        (
            {"phone_numbers": [a_number(phone_number_type="premium")]},
            "phone_numbers.json: phone_numbers[0].phone_number_type: Input should be",
        ),
        (
            {"phone_numbers": [a_number(phone_number="030 123456")]},
            "phone_numbers.json: phone_numbers[0].phone_number: Value error, "
            "'030 123456' is not a phone number in +E.164 format",
        ),
        (
            {"phone_numbers": [a_number(colour="red")]},
            "phone_numbers.json: phone_numbers[0].colour: "
            "Extra inputs are not permitted",
        ),
        (
            {"phone_numbers": [a_number(id="n-1")]},
            "phone_numbers.json: phone_numbers[0].id: Value error, 'n-1' is not a UUID",
        ),
        (
            {"phone_numbers": [a_number(deadline="2026-01-01T00:00:00")]},
            "phone_numbers[0].deadline: Value error, "
            "'2026-01-01T00:00:00' has no time zone",
        ),
        (
            {"requirements": [], "phone_numbers": [a_number()]},
            "phone_numbers.json: phone_numbers[0].regulatory_requirements[0]"
            f".requirement_id: no requirement has the id {REQUIREMENT_ID}",
        ),
        (
            {
                "requirements": [A_REQUIREMENT],
                "phone_numbers": [
                    a_number(
                        regulatory_requirements=[
                            {"requirement_id": REQUIREMENT_ID, "field_value": "ab"}
                        ]
                    )
                ],
            },
            "phone_numbers.json: phone_numbers[0].regulatory_requirements[0]"
            ".field_value: 'ab' is 2 characters long",
        ),
        (
            {"requirements": [A_REQUIREMENT, A_REQUIREMENT]},
            f"requirements.json: requirements[1].id: {REQUIREMENT_ID} is used already, "
            "by requirements.json: requirements[0]",
        ),
        (
            {
                "requirements": [dict(A_REQUIREMENT, field_type="address")],
                "requirement_groups": [
                    {
                        "id": NUMBER_ID,
                        "country_code": "DE",
                        "regulatory_requirements": [
                            {"requirement_id": REQUIREMENT_ID, "field_value": NUMBER_ID}
                        ],
                    }
                ],
            },
            "requirement_groups.json: requirement_groups[0].regulatory_requirements[0]"
            f".field_value: No address has the id '{NUMBER_ID}'",
        ),
        (
            {"phone_numbers": "[]"},
            "phone_numbers.json: a fixture document must be a JSON object",
        ),
    ],
    ids=[
        "invalid-json",
        "bad-enum",
        "not-e164",
        "unknown-field",
        "id-not-uuid",
        "naive-deadline",
        "unknown-requirement",
        "value-fails-criteria",
        "duplicate-id",
        "unknown-address-in-group",
        "not-an-object",
    ],
)
def test_load_fixtures_names_file_entry_and_field(
    tmp_path: Path, sections: dict[str, object], message: str
) -> None:
    folder = write_fixtures(tmp_path / "f", **sections)

    with pytest.raises(FixtureError) as raised:
        load_fixtures_dir(folder)

    assert message in str(raised.value)


def test_load_fixtures_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="no such fixtures folder"):
        load_fixtures_dir(tmp_path / "absent")


def test_load_fixtures_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"holds no \*\.json fixture file"):
        load_fixtures_dir(tmp_path)


def test_load_fixtures_merges_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    shutil.copytree(FIXTURES_DIR, folder)
    extra = a_number(regulatory_requirements=[], phone_number="+4930999999")
    (folder / "zz_more.json").write_text(json.dumps({"phone_numbers": [extra]}))

    fixtures = load_fixtures_dir(folder)

    assert fixtures.document.phone_numbers[-1].id == NUMBER_ID
    assert len(fixtures.document.phone_numbers) == 15
