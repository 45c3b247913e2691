"""The emulator's state in memory: the catalogue and the phone numbers, as served.

Reads are answered from these objects (each number keeps its rendered JSON until
it changes); every change is written to SQLite first, then applied here.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.fixture_models import (
    FixtureDocument,
    RequirementDefinition,
    RequirementGroup,
)

FROZEN_STATUSES = frozenset({"approved", "cancelled", "deleted"})
UNDER_REVIEW = "requirement-info-under-review"
PENDING = "requirement-info-pending"
EXCEPTION = "requirement-info-exception"


def _to_json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as Telnyx writes `deadline`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Catalog:
    """What requirement values may refer to; fixed until fixtures are replaced."""

    requirements: dict[str, RequirementDefinition]
    address_ids: frozenset[str]
    document_ids: frozenset[str]
    groups: dict[str, RequirementGroup]

    @classmethod
    def from_document(cls, document: FixtureDocument) -> "Catalog":
        return cls(
            requirements={item.id: item for item in document.requirements},
            address_ids=frozenset(item.id for item in document.addresses),
            document_ids=frozenset(item.id for item in document.documents),
            groups={item.id: item for item in document.requirement_groups},
        )


@dataclass(slots=True)
class RequirementValue:
    """One requirement of a number. Never changed in place: a new value is a new
    object, which is what lets it keep its rendered JSON."""

    requirement_id: str
    field_type: str
    field_value: str | None = None
    rejection_reason: str | None = None
    _rendered: bytes | None = field(default=None, repr=False, compare=False)

    def supplied(self, value: str) -> "RequirementValue":
        """This requirement with a new value, clear of any earlier rejection."""
        return RequirementValue(self.requirement_id, self.field_type, value)

    def rejected(self, reason: str) -> "RequirementValue":
        return RequirementValue(
            self.requirement_id, self.field_type, self.field_value, reason
        )

    def rendered(self) -> bytes:
        if self._rendered is None:
            self._rendered = _to_json(self.to_dict())
        return self._rendered

    @property
    def met(self) -> bool:
        return bool(self.field_value) and self.rejection_reason is None

    def to_dict(self) -> dict[str, object]:
        # Telnyx's schema types field_value as a string, never null, so a value
        # not yet supplied is rendered as "" (which never meets a requirement).
        return {
            "record_type": "phone_number_regulatory_requirement",
            "requirement_id": self.requirement_id,
            "field_type": self.field_type,
            "field_value": self.field_value or "",
        }

    def group_status(self, requirements_status: str) -> str:
        if self.rejection_reason is not None:
            return "rejected"
        if not self.field_value:
            return "missing"
        if requirements_status == "approved":
            return "approved"
        return "pending-approval"


@dataclass(slots=True)
class PhoneNumber:
    id: str
    position: int
    phone_number: str
    order_request_id: str
    sub_number_order_id: str
    country_code: str
    phone_number_type: str
    locality: str
    deadline: datetime
    is_block_number: bool
    bundle_id: str | None
    status: str
    requirements_status: str
    requirements: list[RequirementValue]
    under_review_since: datetime | None = None
    _rendered: bytes | None = field(default=None, repr=False)
    _fixed_fields: bytes | None = field(default=None, repr=False)

    @property
    def requirements_met(self) -> bool:
        return all(requirement.met for requirement in self.requirements)

    @property
    def frozen(self) -> bool:
        """Approved, cancelled and deleted numbers take no more values."""
        return self.requirements_status in FROZEN_STATUSES

    def requirement(self, requirement_id: str) -> RequirementValue | None:
        for requirement in self.requirements:
            if requirement.requirement_id == requirement_id:
                return requirement
        return None

    def changed(self) -> None:
        self._rendered = None

    def _common_fields(self) -> dict[str, object]:
        return {
            "id": self.id,
            "record_type": "number_order_phone_number",
            "phone_number": self.phone_number,
            "order_request_id": self.order_request_id,
            "sub_number_order_id": self.sub_number_order_id,
            "country_code": self.country_code,
            "phone_number_type": self.phone_number_type,
        }

    def to_dict(self) -> dict[str, object]:
        return self._common_fields() | {
            "regulatory_requirements": [
                requirement.to_dict() for requirement in self.requirements
            ],
            "requirements_met": self.requirements_met,
            "status": self.status,
            "bundle_id": self.bundle_id,
            "locality": self.locality,
            "deadline": format_time(self.deadline),
            "requirements_status": self.requirements_status,
            "is_block_number": self.is_block_number,
        }

    def to_requirement_group_dict(self) -> dict[str, object]:
        """The shape of NumberOrderPhoneNumberRequirementGroupResponse."""
        return self.to_dict() | {
            "regulatory_requirements": [
                {
                    "requirement_id": requirement.requirement_id,
                    "field_type": requirement.field_type,
                    "field_value": requirement.field_value or "",
                    "status": requirement.group_status(self.requirements_status),
                }
                for requirement in self.requirements
            ]
        }

    def rendered(self) -> bytes:
        """This number as JSON (the fields of `to_dict`), rendered once per change.

        Reads and writes answer with it on every request, so it is put together
        from parts that are themselves rendered once: the fields no operation
        changes, and each requirement. The statuses are enum values, safe as is.
        """
        if self._rendered is None:
            if self._fixed_fields is None:
                fixed = self.to_dict()
                for name in _CHANGING_FIELDS:
                    del fixed[name]
                self._fixed_fields = _to_json(fixed)[1:-1]
            self._rendered = b"".join(
                (
                    b"{",
                    self._fixed_fields,
                    b',"regulatory_requirements":[',
                    b",".join(item.rendered() for item in self.requirements),
                    b'],"requirements_met":',
                    b"true" if self.requirements_met else b"false",
                    b',"status":"',
                    self.status.encode(),
                    b'","requirements_status":"',
                    self.requirements_status.encode(),
                    b'"}',
                )
            )
        return self._rendered


_CHANGING_FIELDS = (
    "regulatory_requirements",
    "requirements_met",
    "status",
    "requirements_status",
)
