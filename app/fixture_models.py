"""The fixture format: what `fixtures/*.json` and `POST /_emulator/fixtures` hold.

A fixture document is a JSON object with any of five sections. A fixtures folder
holds one or more such documents, merged in file-name order.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

FieldType = Literal["textual", "datetime", "address", "document"]
PhoneNumberType = Literal[
    "local", "toll_free", "mobile", "national", "shared_cost", "landline"
]
OrderStatus = Literal["pending", "success", "failure"]
RequirementsStatus = Literal[
    "pending",
    "approved",
    "cancelled",
    "deleted",
    "requirement-info-exception",
    "requirement-info-pending",
    "requirement-info-under-review",
]

_DURATION = TypeAdapter(timedelta)
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID") from None


def _e164(value: str) -> str:
    if not _E164.match(value):
        raise ValueError(f"{value!r} is not a phone number in +E.164 format")
    return value


def _deadline(value: str) -> str:
    """An ISO 8601 date-time, or a duration (`P30D`) counted from when loaded."""
    if value.startswith("P"):
        _DURATION.validate_python(value)
        return value
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; add Z or an offset")
    return value


UuidStr = Annotated[str, AfterValidator(_canonical_uuid)]
E164 = Annotated[str, AfterValidator(_e164)]
Deadline = Annotated[str, AfterValidator(_deadline)]


def resolve_deadline(deadline: str, loaded_at: datetime) -> datetime:
    """The moment a fixture's deadline names, relative ones counted from loaded_at."""
    if deadline.startswith("P"):
        return loaded_at + _DURATION.validate_python(deadline)
    return datetime.fromisoformat(deadline).astimezone(UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AcceptanceCriteria(Strict):
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1)
    acceptable_values: list[str] | None = None
    # The characters a value may consist of, listed one by one ("0123456789").
    acceptable_characters: str | None = None
    # Shown to the person supplying the value; the emulator does not check them.
    time_limit: str | None = None
    locality_limit: str | None = None


class RequirementDefinition(Strict):
    id: UuidStr
    name: str
    field_type: FieldType
    description: str = ""
    acceptance_criteria: AcceptanceCriteria | None = None


class Address(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: UuidStr


class Document(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: UuidStr


class RequirementValueFixture(Strict):
    requirement_id: UuidStr
    field_value: str | None = None
    # Set when a review rejected this value (status requirement-info-exception).
    rejection_reason: str | None = None


class RequirementGroupValue(Strict):
    requirement_id: UuidStr
    field_value: str


class RequirementGroup(Strict):
    id: UuidStr
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    phone_number_type: PhoneNumberType | None = None
    action: str = "ordering"
    customer_reference: str | None = None
    regulatory_requirements: list[RequirementGroupValue] = []


class PhoneNumberFixture(Strict):
    id: UuidStr
    phone_number: E164
    order_request_id: UuidStr
    sub_number_order_id: UuidStr
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    phone_number_type: PhoneNumberType
    locality: str
    deadline: Deadline = "P30D"
    is_block_number: bool = False
    bundle_id: UuidStr | None = None
    status: OrderStatus = "pending"
    # Left out, it follows from the values: under review when all are met.
    requirements_status: RequirementsStatus | None = None
    regulatory_requirements: list[RequirementValueFixture] = []


class FixtureDocument(Strict):
    requirements: list[RequirementDefinition] = []
    addresses: list[Address] = []
    documents: list[Document] = []
    requirement_groups: list[RequirementGroup] = []
    phone_numbers: list[PhoneNumberFixture] = []
