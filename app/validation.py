"""The rules a PATCH body must follow, as pure functions over the current state."""

import re
from dataclasses import dataclass
from datetime import datetime

from app.domain import Catalog, PhoneNumber
from app.errors import (
    ApiError,
    ApiErrorGroup,
    AssociatedResourceMissing,
    DuplicateResource,
    InvalidEnumValue,
    InvalidId,
    InvalidParameterType,
    InvalidValue,
    MissingAssociation,
    MissingParameter,
    ValueOutOfRange,
)
from app.fixture_models import RequirementDefinition

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Telnyx sets no limit; a number has a handful of requirements, so a longer list
# can only repeat them. Capping it keeps the error list of a runaway client short.
MAX_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class RequirementUpdate:
    requirement_id: str
    field_value: str


def is_uuid(value: str) -> bool:
    return _UUID.match(value) is not None


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def shorten(value: str, limit: int = 60) -> str:
    """A value quoted for a message, cut so that details stay readable."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"... ({len(value)} characters)"


def check_value(
    definition: RequirementDefinition, value: str, catalog: Catalog, pointer: str
) -> ApiError | None:
    """Why `value` cannot be the value of this requirement, or None if it can."""
    if value == "":
        return InvalidValue(
            f"field_value is empty; requirement {definition.name!r} needs a value.",
            pointer=pointer,
        )
    match definition.field_type:
        case "datetime":
            return _check_datetime(definition, value, pointer)
        case "address":
            return _check_reference(definition, value, catalog.address_ids, pointer)
        case "document":
            return _check_reference(definition, value, catalog.document_ids, pointer)
        case _:
            return _check_textual(definition, value, pointer)


def _check_datetime(
    definition: RequirementDefinition, value: str, pointer: str
) -> ApiError | None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return InvalidValue(
            f"{shorten(value)} is not an ISO 8601 date or date-time; requirement "
            f"{definition.name!r} takes values such as 1985-04-12 or "
            "2024-05-31T11:14:00Z.",
            pointer=pointer,
        )
    return None


def _check_reference(
    definition: RequirementDefinition,
    value: str,
    known_ids: frozenset[str],
    pointer: str,
) -> ApiError | None:
    kind = definition.field_type
    if value.lower() in known_ids:
        return None
    return AssociatedResourceMissing(
        f"No {kind} has the id {shorten(value)}; requirement {definition.name!r} "
        f"takes the id of an existing {kind}, not its contents.",
        pointer=pointer,
    )


def _check_textual(
    definition: RequirementDefinition, value: str, pointer: str
) -> ApiError | None:
    criteria = definition.acceptance_criteria
    if criteria is None:
        return None
    name = definition.name
    acceptable = criteria.acceptable_values
    if acceptable is not None and value not in acceptable:
        return InvalidEnumValue(
            f"{shorten(value)} is not an acceptable value for requirement "
            f"{name!r}; expected one of: {', '.join(acceptable)}.",
            pointer=pointer,
        )
    low, high = criteria.min_length, criteria.max_length
    if (low is not None and len(value) < low) or (
        high is not None and len(value) > high
    ):
        bounds = f"{low or 0} to {high}" if high is not None else f"at least {low}"
        return ValueOutOfRange(
            f"{shorten(value)} is {len(value)} character"
            f"{'' if len(value) == 1 else 's'} long; requirement "
            f"{name!r} takes {bounds} characters.",
            pointer=pointer,
        )
    if criteria.acceptable_characters is not None:
        allowed = set(criteria.acceptable_characters)
        rejected = sorted(
            {character for character in value if character not in allowed}
        )
        if rejected:
            return InvalidValue(
                f"{shorten(value)} contains {''.join(rejected)!r}, which requirement "
                f"{name!r} does not accept; acceptable characters are "
                f"{criteria.acceptable_characters!r}.",
                pointer=pointer,
            )
    return None


def validate_requirement_updates(
    body: dict[str, object], number: PhoneNumber, catalog: Catalog
) -> list[RequirementUpdate]:
    """The updates a PATCH body asks for; raises with every problem found."""
    if "regulatory_requirements" not in body:
        return []
    items = body["regulatory_requirements"]
    if not isinstance(items, list):
        raise ApiErrorGroup(
            [
                InvalidParameterType(
                    "regulatory_requirements must be an array of "
                    f"{{requirement_id, field_value}} objects, not {json_type(items)}.",
                    pointer="/regulatory_requirements",
                )
            ]
        )
    if not items:
        return []
    if len(items) > MAX_ITEMS:
        raise ApiErrorGroup(
            [
                ValueOutOfRange(
                    f"regulatory_requirements has {len(items)} items; at most "
                    f"{MAX_ITEMS} are accepted in one request.",
                    pointer="/regulatory_requirements",
                )
            ]
        )
    if number.frozen:
        raise ApiErrorGroup(
            [
                InvalidValue(
                    f"Phone number {number.phone_number} is "
                    f"{number.requirements_status}; its requirements can no longer "
                    "be changed.",
                    pointer="/regulatory_requirements",
                )
            ]
        )

    errors: list[ApiError] = []
    updates: list[RequirementUpdate] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        update = _validate_item(index, item, number, catalog, first_index, errors)
        if update is not None:
            updates.append(update)
    if errors:
        raise ApiErrorGroup(errors)
    return updates


def _validate_item(
    index: int,
    item: object,
    number: PhoneNumber,
    catalog: Catalog,
    first_index: dict[str, int],
    errors: list[ApiError],
) -> RequirementUpdate | None:
    pointer = f"/regulatory_requirements/{index}"
    if not isinstance(item, dict):
        errors.append(
            InvalidParameterType(
                f"Item {index} of regulatory_requirements must be an object with "
                f"requirement_id and field_value, not {json_type(item)}.",
                pointer=pointer,
            )
        )
        return None
    count_before = len(errors)
    definition = _validate_requirement_id(
        index, item, number, catalog, first_index, errors
    )
    value = item.get("field_value")
    value_pointer = pointer + "/field_value"
    if "field_value" not in item:
        errors.append(
            MissingParameter(
                f"Item {index} of regulatory_requirements has no field_value.",
                pointer=value_pointer,
            )
        )
    elif not isinstance(value, str):
        errors.append(
            InvalidParameterType(
                f"field_value must be a string, not {json_type(value)}.",
                pointer=value_pointer,
            )
        )
    elif definition is not None:
        problem = check_value(definition, value, catalog, value_pointer)
        if problem is not None:
            errors.append(problem)
    if len(errors) > count_before or definition is None or not isinstance(value, str):
        return None
    if definition.field_type in ("address", "document"):
        value = value.lower()
    return RequirementUpdate(definition.id, value)


def _validate_requirement_id(
    index: int,
    item: dict[str, object],
    number: PhoneNumber,
    catalog: Catalog,
    first_index: dict[str, int],
    errors: list[ApiError],
) -> RequirementDefinition | None:
    pointer = f"/regulatory_requirements/{index}/requirement_id"
    requirement_id = item.get("requirement_id")
    if "requirement_id" not in item:
        errors.append(
            MissingParameter(
                f"Item {index} of regulatory_requirements has no requirement_id.",
                pointer=pointer,
            )
        )
        return None
    if not isinstance(requirement_id, str):
        errors.append(
            InvalidParameterType(
                f"requirement_id must be a string, not {json_type(requirement_id)}.",
                pointer=pointer,
            )
        )
        return None
    if not is_uuid(requirement_id):
        errors.append(
            InvalidId(
                f"requirement_id {shorten(requirement_id)} is not a UUID.",
                pointer=pointer,
            )
        )
        return None
    requirement_id = requirement_id.lower()
    if requirement_id in first_index:
        errors.append(
            DuplicateResource(
                f"Requirement {requirement_id} is given twice, in items "
                f"{first_index[requirement_id]} and {index}.",
                pointer=pointer,
            )
        )
        return None
    first_index[requirement_id] = index
    if number.requirement(requirement_id) is None:
        errors.append(
            MissingAssociation(
                f"{requirement_id} is not a requirement of phone number "
                f"{number.phone_number}.",
                pointer=pointer,
            )
        )
        return None
    return catalog.requirements[requirement_id]
