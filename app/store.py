"""The emulator's state: tenants, their phone numbers, and every change to them.

All methods are synchronous and run on the serving event loop, so each change is
atomic with respect to every other request. A change is committed to SQLite
before the in-memory objects that answer reads are touched.
"""

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app import persistence
from app.clock import Clock
from app.domain import (
    EXCEPTION,
    PENDING,
    UNDER_REVIEW,
    Catalog,
    PhoneNumber,
    RequirementValue,
)
from app.errors import (
    ApiErrorGroup,
    AssociatedResourceMissing,
    InvalidId,
    InvalidValue,
    MissingAssociation,
    ResourceNotFound,
)
from app.opening import OpeningDatabase
from app.seed import Fixtures, build_numbers
from app.validation import is_uuid, validate_requirement_updates

if TYPE_CHECKING:
    from app.db import Database

logger = logging.getLogger(__name__)

SHARED_TENANT = ""


def tenant_key(token: str) -> str:
    """The name a token's isolated copy is stored under: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Tenant:
    key: str
    fixtures: Fixtures
    catalog: Catalog
    numbers: dict[str, PhoneNumber]

    @classmethod
    def build(
        cls, key: str, fixtures: Fixtures, numbers: list[PhoneNumber]
    ) -> "Tenant":
        return cls(key, fixtures, fixtures.catalog, {n.id: n for n in numbers})


class NotUnderReview(Exception):
    """A review was asked for a number that awaits none."""


class Store:
    def __init__(
        self,
        database: "Database | None",
        baseline: Fixtures,
        clock: Clock,
        *,
        auto_review: float | None = None,
        max_isolated_copies: int = 64,
    ) -> None:
        self._database = database
        self._opening: OpeningDatabase | None = None
        self.baseline = baseline
        self.clock = clock
        self.auto_review = (
            timedelta(seconds=auto_review) if auto_review is not None else None
        )
        self.max_isolated_copies = max_isolated_copies
        self._tenants: OrderedDict[str, Tenant] = OrderedDict()
        self._next_due: datetime | None = None

    @property
    def database(self) -> "Database":
        """The database, once open: writes wait here while it is being opened."""
        if self._database is None:
            if self._opening is None:
                raise RuntimeError("the store has no database")
            self._database = self._opening.result()
        return self._database

    def open_in_memory(self) -> str:
        """Seed a new in-memory database from the fixtures, serving reads at once.

        The database itself is opened and seeded in a thread (see app.opening).
        """
        numbers = build_numbers(self.baseline, self.clock.now())
        self._tenants[SHARED_TENANT] = Tenant.build(
            SHARED_TENANT, self.baseline, numbers
        )
        self._reschedule()
        baseline = self.baseline

        def open_and_seed() -> "Database":
            from app.db import Database

            database = Database(None)
            persistence.write_tenant(database, SHARED_TENANT, baseline, numbers)
            return database

        self._opening = OpeningDatabase(open_and_seed)
        return baseline.source

    def open(self, *, reset: bool) -> str:
        """Load the stored state, or seed it from the fixtures; says which."""
        stored = (
            None if reset else persistence.read_tenant(self.database, SHARED_TENANT)
        )
        if stored is None:
            for key in persistence.stored_tenants(self.database):
                persistence.delete_tenant(self.database, key)
            self._seed(SHARED_TENANT, self.baseline)
            return self.baseline.source
        fixtures, numbers = stored
        self.baseline = fixtures
        self._tenants[SHARED_TENANT] = Tenant.build(SHARED_TENANT, fixtures, numbers)
        self._reschedule()
        return f"database {self.database.description}"

    # Tenants

    def tenant(self, key: str) -> Tenant:
        """The state a tenant sees, made from the fixtures on first use."""
        tenant = self._tenants.get(key)
        if tenant is not None:
            if key:
                self._tenants.move_to_end(key)
            return tenant
        stored = persistence.read_tenant(self.database, key)
        if stored is not None:
            tenant = Tenant.build(key, *stored)
            self._tenants[key] = tenant
        else:
            tenant = self._seed(key, self.baseline)
        self._evict_isolated_copies()
        return tenant

    @property
    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())

    def _seed(self, key: str, fixtures: Fixtures) -> Tenant:
        numbers = build_numbers(fixtures, self.clock.now())
        persistence.write_tenant(self.database, key, fixtures, numbers)
        tenant = Tenant.build(key, fixtures, numbers)
        self._tenants[key] = tenant
        self._reschedule()
        return tenant

    def _evict_isolated_copies(self) -> None:
        isolated = [key for key in self._tenants if key != SHARED_TENANT]
        for key in isolated[: max(0, len(isolated) - self.max_isolated_copies)]:
            logger.info("dropping the isolated copy of least recent use (%s)", key)
            del self._tenants[key]
            persistence.delete_tenant(self.database, key)

    def reset(self, key: str | None = None) -> None:
        """Back to the fixtures: one tenant, or (key None) every tenant."""
        if key is not None:
            self._seed(key, self.baseline)
            return
        for stored_key in list(self._tenants):
            if stored_key != SHARED_TENANT:
                del self._tenants[stored_key]
        for stored_key in persistence.stored_tenants(self.database):
            if stored_key != SHARED_TENANT:
                persistence.delete_tenant(self.database, stored_key)
        self._seed(SHARED_TENANT, self.baseline)

    def replace_fixtures(self, fixtures: Fixtures) -> None:
        """Make `fixtures` the state of every tenant and what reset returns to."""
        self.baseline = fixtures
        self.reset()

    # The four Telnyx operations

    def get_number(self, tenant: Tenant, number_id: str) -> PhoneNumber:
        number = tenant.numbers.get(number_id)
        if number is None:
            raise ResourceNotFound(
                f"No number order phone number has the id {number_id!r}.",
                parameter="number_order_phone_number_id",
            )
        return number

    def list_numbers(
        self, tenant: Tenant, country_code: str | None
    ) -> list[PhoneNumber]:
        numbers = tenant.numbers.values()
        if country_code is None:
            return list(numbers)
        wanted = country_code.upper()
        return [number for number in numbers if number.country_code == wanted]

    def update_requirements(
        self, tenant: Tenant, number_id: str, body: dict[str, object]
    ) -> PhoneNumber:
        number = self.get_number(tenant, number_id)
        updates = validate_requirement_updates(body, number, tenant.catalog)
        if updates:
            values = {update.requirement_id: update.field_value for update in updates}
            self._submit_values(tenant, number, values)
        return number

    def attach_requirement_group(
        self, tenant: Tenant, number_id: str, group_id: str
    ) -> PhoneNumber:
        number = self.get_number(tenant, number_id)
        pointer = "/requirement_group_id"
        if not is_uuid(group_id):
            raise InvalidId(
                f"requirement_group_id {group_id!r} is not a UUID.", pointer=pointer
            )
        group = tenant.catalog.groups.get(group_id.lower())
        if group is None:
            raise AssociatedResourceMissing(
                f"No requirement group has the id {group_id}.", pointer=pointer
            )
        values = {
            item.requirement_id: item.field_value
            for item in group.regulatory_requirements
            if number.requirement(item.requirement_id) is not None
        }
        if not values:
            raise MissingAssociation(
                f"Requirement group {group.id} holds none of the requirements of "
                f"phone number {number.phone_number}.",
                pointer=pointer,
            )
        if number.frozen:
            raise InvalidValue(
                f"Phone number {number.phone_number} is {number.requirements_status};"
                " its requirements can no longer be changed.",
                pointer=pointer,
            )
        self._submit_values(tenant, number, values)
        return number

    def _submit_values(
        self, tenant: Tenant, number: PhoneNumber, values: dict[str, str]
    ) -> None:
        requirements = [
            item.supplied(values[item.requirement_id])
            if item.requirement_id in values
            else item
            for item in number.requirements
        ]
        if any(item.rejection_reason is not None for item in requirements):
            status = EXCEPTION
        elif all(item.met for item in requirements):
            status = UNDER_REVIEW
        else:
            status = PENDING
        if status != UNDER_REVIEW:
            since = None
        elif number.requirements_status == UNDER_REVIEW:
            since = number.under_review_since  # the review goes on
        else:
            since = self.clock.now()
        self._commit(tenant, number, requirements, status, number.status, since)

    def _commit(
        self,
        tenant: Tenant,
        number: PhoneNumber,
        requirements: list[RequirementValue],
        requirements_status: str,
        status: str,
        under_review_since: datetime | None,
    ) -> None:
        changed = [
            new
            for new, old in zip(requirements, number.requirements, strict=True)
            if new is not old
        ]
        persistence.save_number(
            self.database,
            tenant.key,
            number.id,
            status=status,
            requirements_status=requirements_status,
            under_review_since=under_review_since,
            requirements=changed,
            statuses_changed=(status, requirements_status, under_review_since)
            != (number.status, number.requirements_status, number.under_review_since),
        )
        number.requirements = requirements
        number.requirements_status = requirements_status
        number.status = status
        number.under_review_since = under_review_since
        number.changed()
        due = self._due(number)
        if due is not None and (self._next_due is None or due < self._next_due):
            self._next_due = due

    # Lifecycle: reviews, deadlines and the clock

    def review(
        self,
        tenant: Tenant,
        number_id: str,
        *,
        approved: bool,
        rejected_requirement_ids: list[str] | None = None,
        reason: str = "",
    ) -> PhoneNumber:
        """Decide a review, as Telnyx's regulatory team would."""
        number = self.get_number(tenant, number_id)
        if number.requirements_status != UNDER_REVIEW:
            raise NotUnderReview(
                f"Phone number {number.phone_number} is "
                f"{number.requirements_status}, not under review."
            )
        if approved:
            self._commit(
                tenant, number, number.requirements, "approved", "success", None
            )
            return number
        rejected = set(rejected_requirement_ids or [])
        unknown = rejected - {item.requirement_id for item in number.requirements}
        if unknown:
            raise ApiErrorGroup(
                [
                    MissingAssociation(
                        f"{requirement_id} is not a requirement of phone number "
                        f"{number.phone_number}.",
                        pointer="/rejected_requirement_ids",
                    )
                    for requirement_id in sorted(unknown)
                ]
            )
        requirements = [
            item.rejected(reason or "Rejected in review.")
            if not rejected or item.requirement_id in rejected
            else item
            for item in number.requirements
        ]
        self._commit(tenant, number, requirements, EXCEPTION, number.status, None)
        return number

    def tick(self, now: datetime) -> None:
        """Apply what is due by `now`: automatic approvals, passed deadlines."""
        if self._next_due is None or now < self._next_due:
            return
        for tenant in list(self._tenants.values()):
            for number in list(tenant.numbers.values()):
                self._apply_due(tenant, number, now)
        self._reschedule()

    def _apply_due(self, tenant: Tenant, number: PhoneNumber, now: datetime) -> None:
        if number.frozen:
            return
        if (
            self.auto_review is not None
            and number.requirements_status == UNDER_REVIEW
            and number.under_review_since is not None
            and number.under_review_since + self.auto_review <= now
        ):
            self._commit(
                tenant, number, number.requirements, "approved", "success", None
            )
        elif not number.requirements_met and number.deadline <= now:
            self._commit(
                tenant, number, number.requirements, "cancelled", "failure", None
            )

    def _due(self, number: PhoneNumber) -> datetime | None:
        if number.frozen:
            return None
        if number.requirements_status == UNDER_REVIEW:
            if self.auto_review is None or number.under_review_since is None:
                return None
            return number.under_review_since + self.auto_review
        if number.requirements_met:
            return None
        return number.deadline

    def _reschedule(self) -> None:
        moments = [
            due
            for tenant in self._tenants.values()
            for number in tenant.numbers.values()
            if (due := self._due(number)) is not None
        ]
        self._next_due = min(moments, default=None)
