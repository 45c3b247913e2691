"""Loading fixtures: read, check every entry, and build the numbers they describe.

A malformed fixture stops start-up with a message naming the file, the entry and
the field, e.g. `phone_numbers.json: phone_numbers[3].regulatory_requirements[0]
.requirement_id: no requirement has the id '...'`.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.domain import (
    EXCEPTION,
    PENDING,
    UNDER_REVIEW,
    Catalog,
    PhoneNumber,
    RequirementValue,
)
from app.fixture_models import FixtureDocument, resolve_deadline
from app.validation import check_value

SECTIONS = (
    "requirements",
    "addresses",
    "documents",
    "requirement_groups",
    "phone_numbers",
)
MAX_REPORTED_PROBLEMS = 20


class FixtureError(Exception):
    """A fixture document or folder that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Fixtures:
    """A checked fixture document, and a description of where it came from.

    A document never changes once loaded, so what every reset needs of it (the
    catalogue, the JSON stored beside the numbers) is worked out once.
    """

    document: FixtureDocument
    source: str

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog.from_document(self.document)

    @cached_property
    def document_json(self) -> str:
        return self.document.model_dump_json()


def load_fixtures_dir(folder: Path) -> Fixtures:
    """Every `*.json` document in `folder`, merged in file-name order and checked."""
    if not folder.is_dir():
        raise FixtureError(f"{folder}: no such fixtures folder")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FixtureError(f"{folder}: the folder holds no *.json fixture file")
    merged: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    origins: dict[str, list[str]] = {section: [] for section in SECTIONS}
    for path in files:
        document = _parse_document(path.name, path.read_bytes())
        for section in SECTIONS:
            entries = getattr(document, section)
            merged[section].extend(entries)
            origins[section].extend(
                f"{path.name}: {section}[{index}]" for index in range(len(entries))
            )
    document = FixtureDocument.model_validate(merged)
    _check_references(document, origins)
    return Fixtures(document, str(folder))


def load_fixtures_document(raw: bytes | dict[str, Any], source: str) -> Fixtures:
    """One fixture document, as posted to the control API."""
    document = _parse_document(source, raw)
    origins = {
        section: [
            f"{source}: {section}[{index}]"
            for index in range(len(getattr(document, section)))
        ]
        for section in SECTIONS
    }
    _check_references(document, origins)
    return Fixtures(document, source)


def _parse_document(name: str, raw: bytes | dict[str, Any]) -> FixtureDocument:
    if isinstance(raw, bytes):
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise FixtureError(f"{name}: not valid JSON: {error}") from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise FixtureError(f"{name}: a fixture document must be a JSON object")
    try:
        return FixtureDocument.model_validate(data)
    except ValidationError as error:
        raise FixtureError(_describe_validation_error(name, error)) from None


def _describe_validation_error(name: str, error: ValidationError) -> str:
    lines = []
    for problem in error.errors()[:MAX_REPORTED_PROBLEMS]:
        location = ""
        for part in problem["loc"]:
            location += f"[{part}]" if isinstance(part, int) else f".{part}"
        lines.append(f"{name}: {location.lstrip('.')}: {problem['msg']}")
    return "\n".join(lines)


def _check_references(document: FixtureDocument, origins: dict[str, list[str]]) -> None:
    problems: list[str] = []
    for section in SECTIONS:
        problems += _duplicate_ids(getattr(document, section), origins[section])
    catalog = Catalog.from_document(document)
    for number, origin in zip(
        document.phone_numbers, origins["phone_numbers"], strict=True
    ):
        problems += _check_values(
            catalog, number.regulatory_requirements, origin, allow_missing=True
        )
    for group, origin in zip(
        document.requirement_groups, origins["requirement_groups"], strict=True
    ):
        problems += _check_values(
            catalog, group.regulatory_requirements, origin, allow_missing=False
        )
    if problems:
        raise FixtureError("\n".join(problems[:MAX_REPORTED_PROBLEMS]))


def _duplicate_ids(entries: Iterable[Any], origins: list[str]) -> list[str]:
    first_seen: dict[str, str] = {}
    problems = []
    for entry, origin in zip(entries, origins, strict=True):
        if entry.id in first_seen:
            problems.append(
                f"{origin}.id: {entry.id} is used already, by {first_seen[entry.id]}"
            )
        first_seen.setdefault(entry.id, origin)
    return problems


def _check_values(
    catalog: Catalog, values: Iterable[Any], origin: str, *, allow_missing: bool
) -> list[str]:
    problems = []
    seen: set[str] = set()
    for index, item in enumerate(values):
        where = f"{origin}.regulatory_requirements[{index}]"
        definition = catalog.requirements.get(item.requirement_id)
        if definition is None:
            problems.append(
                f"{where}.requirement_id: no requirement has the id "
                f"{item.requirement_id}; define it in the requirements section"
            )
            continue
        if item.requirement_id in seen:
            problems.append(f"{where}.requirement_id: listed twice")
        seen.add(item.requirement_id)
        if item.field_value is None and allow_missing:
            continue
        error = check_value(definition, item.field_value or "", catalog, "")
        if error is not None:
            problems.append(f"{where}.field_value: {error.detail}")
    return problems


def build_numbers(fixtures: Fixtures, loaded_at: datetime) -> list[PhoneNumber]:
    """Fresh phone numbers in the state the fixtures describe."""
    catalog = fixtures.catalog
    numbers = []
    for position, entry in enumerate(fixtures.document.phone_numbers):
        requirements = [
            RequirementValue(
                requirement_id=item.requirement_id,
                field_type=catalog.requirements[item.requirement_id].field_type,
                field_value=item.field_value,
                rejection_reason=item.rejection_reason,
            )
            for item in entry.regulatory_requirements
        ]
        number = PhoneNumber(
            id=entry.id,
            position=position,
            phone_number=entry.phone_number,
            order_request_id=entry.order_request_id,
            sub_number_order_id=entry.sub_number_order_id,
            country_code=entry.country_code,
            phone_number_type=entry.phone_number_type,
            locality=entry.locality,
            deadline=resolve_deadline(entry.deadline, loaded_at),
            is_block_number=entry.is_block_number,
            bundle_id=entry.bundle_id,
            status=entry.status,
            requirements_status=entry.requirements_status or PENDING,
            requirements=requirements,
        )
        if entry.requirements_status is None:
            number.requirements_status = derived_status(number)
        if number.requirements_status == UNDER_REVIEW:
            number.under_review_since = loaded_at
        numbers.append(number)
    return numbers


def derived_status(number: PhoneNumber) -> str:
    """The requirements_status that a number's values alone imply."""
    if any(item.rejection_reason is not None for item in number.requirements):
        return EXCEPTION
    return UNDER_REVIEW if number.requirements_met else PENDING
