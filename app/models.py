"""The SQLite tables. Every row belongs to a tenant: "" unless isolated by API key."""

from sqlmodel import Field, SQLModel


class PhoneNumberRow(SQLModel, table=True):
    __tablename__ = "phone_numbers"

    tenant: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    position: int
    phone_number: str
    order_request_id: str
    sub_number_order_id: str
    country_code: str
    phone_number_type: str
    locality: str
    deadline: str
    is_block_number: bool
    bundle_id: str | None
    status: str
    requirements_status: str
    under_review_since: str | None


class RequirementValueRow(SQLModel, table=True):
    __tablename__ = "requirement_values"

    tenant: str = Field(primary_key=True)
    phone_number_id: str = Field(primary_key=True)
    requirement_id: str = Field(primary_key=True)
    position: int
    field_type: str
    field_value: str | None
    rejection_reason: str | None


class FixtureRow(SQLModel, table=True):
    """The fixture document a tenant was seeded from: its catalogue lives here."""

    __tablename__ = "fixtures"

    tenant: str = Field(primary_key=True)
    source: str
    document: str
