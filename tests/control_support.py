"""What the control API tests share: a small fixture document and its ids."""

from typing import Any

SMALL_NUMBER_ID = "11111111-1111-4111-8111-111111111111"
SMALL_REQUIREMENT_ID = "22222222-2222-4222-8222-222222222222"
SMALL_PHONE_NUMBER = "+4930123456"


def small_document(**number_changes: object) -> dict[str, Any]:
    """One number with one textual requirement still to supply."""
    number: dict[str, object] = {
        "id": SMALL_NUMBER_ID,
        "phone_number": SMALL_PHONE_NUMBER,
        "order_request_id": "33333333-3333-4333-8333-333333333333",
        "sub_number_order_id": "44444444-4444-4444-8444-444444444444",
        "country_code": "DE",
        "phone_number_type": "local",
        "locality": "Berlin",
        "regulatory_requirements": [{"requirement_id": SMALL_REQUIREMENT_ID}],
    }
    number.update(number_changes)
    return {
        "requirements": [
            {
                "id": SMALL_REQUIREMENT_ID,
                "name": "Business name",
                "field_type": "textual",
                "acceptance_criteria": {"min_length": 3},
            }
        ],
        "phone_numbers": [number],
    }


def supply_value(value: str = "Beispiel GmbH") -> dict[str, object]:
    """A PATCH body meeting the small document's one requirement."""
    return {
        "regulatory_requirements": [
            {"requirement_id": SMALL_REQUIREMENT_ID, "field_value": value}
        ]
    }
