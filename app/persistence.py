"""Writing the state to SQLite and reading it back."""

from datetime import datetime
from typing import TYPE_CHECKING

from app.domain import PhoneNumber, RequirementValue
from app.seed import Fixtures, load_fixtures_document

if TYPE_CHECKING:
    from app.db import Database
    from app.models import PhoneNumberRow

_DELETE = (
    "DELETE FROM phone_numbers WHERE tenant = ?",
    "DELETE FROM requirement_values WHERE tenant = ?",
    "DELETE FROM fixtures WHERE tenant = ?",
)
_INSERT_FIXTURES = "INSERT INTO fixtures (tenant, source, document) VALUES (?, ?, ?)"
_INSERT_NUMBER = (
    "INSERT INTO phone_numbers (tenant, id, position, phone_number, order_request_id,"
    " sub_number_order_id, country_code, phone_number_type, locality, deadline,"
    " is_block_number, bundle_id, status, requirements_status, under_review_since)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_VALUE = (
    "INSERT INTO requirement_values (tenant, phone_number_id, requirement_id,"
    " position, field_type, field_value, rejection_reason)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_NUMBER = (
    "UPDATE phone_numbers SET status = ?, requirements_status = ?,"
    " under_review_since = ? WHERE tenant = ? AND id = ?"
)
_UPDATE_VALUE = (
    "UPDATE requirement_values SET field_value = ?, rejection_reason = ?"
    " WHERE tenant = ? AND phone_number_id = ? AND requirement_id = ?"
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def write_tenant(
    database: "Database", tenant: str, fixtures: Fixtures, numbers: list[PhoneNumber]
) -> None:
    """Replace everything stored for a tenant, in one transaction."""
    number_rows = [
        (
            tenant,
            number.id,
            number.position,
            number.phone_number,
            number.order_request_id,
            number.sub_number_order_id,
            number.country_code,
            number.phone_number_type,
            number.locality,
            number.deadline.isoformat(),
            number.is_block_number,
            number.bundle_id,
            number.status,
            number.requirements_status,
            _iso(number.under_review_since),
        )
        for number in numbers
    ]
    value_rows = [
        (
            tenant,
            number.id,
            value.requirement_id,
            position,
            value.field_type,
            value.field_value,
            value.rejection_reason,
        )
        for number in numbers
        for position, value in enumerate(number.requirements)
    ]
    document = fixtures.document_json
    with database.transaction() as cursor:
        for statement in _DELETE:
            cursor.execute(statement, (tenant,))
        cursor.execute(_INSERT_FIXTURES, (tenant, fixtures.source, document))
        cursor.executemany(_INSERT_NUMBER, number_rows)
        cursor.executemany(_INSERT_VALUE, value_rows)


def delete_tenant(database: "Database", tenant: str) -> None:
    with database.transaction() as cursor:
        for statement in _DELETE:
            cursor.execute(statement, (tenant,))


def save_number(
    database: "Database",
    tenant: str,
    number_id: str,
    *,
    status: str,
    requirements_status: str,
    under_review_since: datetime | None,
    requirements: list[RequirementValue],
    statuses_changed: bool = True,
) -> None:
    """Store one number's new state: the values that changed, and its statuses
    when they changed, committed together."""
    statements: list[tuple[str, tuple[object, ...]]] = [
        (
            _UPDATE_VALUE,
            (
                value.field_value,
                value.rejection_reason,
                tenant,
                number_id,
                value.requirement_id,
            ),
        )
        for value in requirements
    ]
    if statuses_changed:
        statuses = (status, requirements_status, _iso(under_review_since))
        statements.append((_UPDATE_NUMBER, (*statuses, tenant, number_id)))
    if len(statements) == 1:
        # One statement is atomic on its own; a transaction around it would
        # cost more than the update itself.
        database.connection.execute(*statements[0])
        return
    with database.transaction() as cursor:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)


def stored_tenants(database: "Database") -> list[str]:
    # Asked on every reset, so straight from the connection: an ORM session costs
    # more than the rest of a reset.
    rows = database.connection.execute("SELECT tenant FROM fixtures").fetchall()
    return [tenant for (tenant,) in rows]


def read_tenant(
    database: "Database", tenant: str
) -> tuple[Fixtures, list[PhoneNumber]] | None:
    """A tenant's fixtures and numbers as stored, or None if nothing is."""
    # Imported here, not at the top: SQLAlchemy's import is the slowest part of a
    # start, and the default in-memory database never needs reading back.
    from sqlmodel import Session, col, select

    from app.models import FixtureRow, PhoneNumberRow, RequirementValueRow

    with Session(database.engine) as session:
        fixture_row = session.get(FixtureRow, tenant)
        if fixture_row is None:
            return None
        fixtures = load_fixtures_document(
            fixture_row.document.encode(), fixture_row.source
        )
        number_rows = session.exec(
            select(PhoneNumberRow)
            .where(PhoneNumberRow.tenant == tenant)
            .order_by(col(PhoneNumberRow.position))
        ).all()
        value_rows = session.exec(
            select(RequirementValueRow)
            .where(RequirementValueRow.tenant == tenant)
            .order_by(col(RequirementValueRow.position))
        ).all()
    values: dict[str, list[RequirementValue]] = {}
    for value_row in value_rows:
        values.setdefault(value_row.phone_number_id, []).append(
            RequirementValue(
                requirement_id=value_row.requirement_id,
                field_type=value_row.field_type,
                field_value=value_row.field_value,
                rejection_reason=value_row.rejection_reason,
            )
        )
    numbers = [_number_from_row(row, values.get(row.id, [])) for row in number_rows]
    return fixtures, numbers


def _number_from_row(
    row: "PhoneNumberRow", requirements: list[RequirementValue]
) -> PhoneNumber:
    since = row.under_review_since
    return PhoneNumber(
        id=row.id,
        position=row.position,
        phone_number=row.phone_number,
        order_request_id=row.order_request_id,
        sub_number_order_id=row.sub_number_order_id,
        country_code=row.country_code,
        phone_number_type=row.phone_number_type,
        locality=row.locality,
        deadline=datetime.fromisoformat(row.deadline),
        is_block_number=row.is_block_number,
        bundle_id=row.bundle_id,
        status=row.status,
        requirements_status=row.requirements_status,
        requirements=requirements,
        under_review_since=datetime.fromisoformat(since) if since else None,
    )
