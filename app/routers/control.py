"""The control API, under /_emulator: outside Telnyx's namespace, for tests."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request

from app import __version__
from app.context import Emulator
from app.control_models import (
    ClockRequest,
    ClockResponse,
    FaultList,
    FaultRequest,
    Health,
    JournalPage,
    Message,
    ResetRequest,
    ReviewRequest,
    ReviewResponse,
)
from app.errors import AuthenticationFailed, BadRequest, InvalidValue
from app.faults import Fault
from app.middleware import bearer_token
from app.seed import FixtureError, load_fixtures_document
from app.store import SHARED_TENANT, NotUnderReview, tenant_key


async def _emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


EmulatorDep = Annotated[Emulator, Depends(_emulator)]


async def _require_control_token(request: Request, emulator: EmulatorDep) -> None:
    expected = emulator.settings.control_token
    if expected is None:
        return
    values = request.headers.getlist("authorization")
    token = bearer_token([value.encode("latin-1") for value in values])
    if token != expected:
        raise AuthenticationFailed()


def _tenant_of(emulator: Emulator, api_key: str | None) -> str | None:
    if api_key is None:
        return None
    return (
        tenant_key(api_key) if emulator.settings.isolate_by_api_key else SHARED_TENANT
    )


CONTROL_API_DESCRIPTION = """\
Steer the emulator from tests: reset, journal, faults, lifecycle.

With `--control-token` set, every operation but `/health` needs
`Authorization: Bearer <control token>`.

**One request at a time.** A request to a Telnyx route that carries the header
`X-Emulator-Fault` gets that fault instead of any armed one:
`status=429; retry_after=1` (Telnyx's error envelope, code 10011, with
`retry-after` and `x-ratelimit-*`), `status=500` (10007), `status=503`,
`delay=250` (milliseconds, then the normal answer) or `drop` (the connection is
closed before a complete response). A header the emulator cannot read is
answered 400.
"""

open_router = APIRouter()
router = APIRouter(dependencies=[Depends(_require_control_token)])


@open_router.get("/health")
async def health() -> Health:
    """200 once the emulator serves: for Docker health checks and testcontainers."""
    return Health()


@router.get("/info")
async def info(emulator: EmulatorDep) -> dict[str, Any]:
    """Version, contract, where the state came from, record counts and settings."""
    store = emulator.ready_store
    catalog = store.baseline.document
    settings = emulator.settings.model_dump(mode="json")
    settings["api_key"] = ["****"] * len(emulator.settings.api_key)
    settings["control_token"] = "****" if emulator.settings.control_token else None
    return {
        "version": __version__,
        "openapi": {
            "version": emulator.openapi.version,
            "sha256": emulator.openapi.sha256,
        },
        "listening_on": emulator.base_url,
        "fixtures": store.baseline.source,
        "state_loaded_from": emulator.state_source,
        "database": store.database.description,
        "counts": {
            "phone_numbers": len(store.tenant(SHARED_TENANT).numbers),
            "requirements": len(catalog.requirements),
            "addresses": len(catalog.addresses),
            "documents": len(catalog.documents),
            "requirement_groups": len(catalog.requirement_groups),
            "isolated_copies": len(store.tenants) - 1,
            "journal_entries": len(emulator.journal),
            "armed_faults": len(emulator.faults.list()),
        },
        "clock": {"now": store.clock.now().isoformat()},
        "settings": settings,
    }


@router.post("/reset")
async def reset(
    emulator: EmulatorDep, request: Annotated[ResetRequest | None, Body()] = None
) -> Message:
    """Back to the fixtures: everything, or one API key's copy."""
    tenant = _tenant_of(emulator, request.api_key if request else None)
    if tenant is None:
        emulator.faults.clear()
        emulator.clock.restore()
    if request is not None and request.startup_fixtures:
        emulator.ready_store.replace_fixtures(emulator.fixtures)
    else:
        emulator.ready_store.reset(tenant)
    return Message(message="state reset to the fixtures")


@router.post("/fixtures")
async def replace_fixtures(
    emulator: EmulatorDep, document: Annotated[dict[str, Any], Body()]
) -> Message:
    """Replace the whole state with a posted fixture document."""
    try:
        fixtures = load_fixtures_document(document, "posted fixture document")
    except FixtureError as error:
        raise InvalidValue(str(error), pointer="/") from None
    emulator.ready_store.replace_fixtures(fixtures)
    count = len(fixtures.document.phone_numbers)
    return Message(message=f"state replaced: {count} phone numbers")


@router.get("/requests")
async def journal(
    emulator: EmulatorDep,
    method: str | None = None,
    path: str | None = None,
    status: int | None = None,
    phone_number_id: str | None = None,
    api_key: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> JournalPage:
    """What clients sent to the Telnyx routes, newest first."""
    entries = emulator.journal.entries(
        method=method,
        path=path,
        status=status,
        phone_number_id=phone_number_id,
        tenant=_tenant_of(emulator, api_key),
    )
    return JournalPage(
        data=[entry.to_dict() for entry in entries[:limit]], total=len(entries)
    )


@router.delete("/requests")
async def clear_journal(emulator: EmulatorDep, api_key: str | None = None) -> Message:
    """Forget the journal, or one API key's part of it."""
    emulator.journal.clear(_tenant_of(emulator, api_key))
    return Message(message="journal cleared")


@router.post("/faults", status_code=201)
async def arm_fault(emulator: EmulatorDep, request: FaultRequest) -> dict[str, Any]:
    """Arm a fault for the next `times` requests that match it."""
    settings = request.model_dump(exclude={"api_key"})
    tenant = _tenant_of(emulator, request.api_key)
    fault = emulator.faults.arm(Fault(**settings, tenant=tenant))
    return fault.to_dict()


@router.get("/faults")
async def list_faults(emulator: EmulatorDep) -> FaultList:
    """The faults still armed."""
    return FaultList(data=[fault.to_dict() for fault in emulator.faults.list()])


@router.delete("/faults")
async def clear_faults(emulator: EmulatorDep) -> Message:
    """Disarm every fault."""
    emulator.faults.clear()
    return Message(message="faults cleared")


@router.post("/number_order_phone_numbers/{number_id}/review")
async def review(
    emulator: EmulatorDep, number_id: str, request: ReviewRequest
) -> ReviewResponse:
    """Approve or reject a number under review, as Telnyx's reviewers would."""
    store = emulator.ready_store
    tenant = store.tenant(_tenant_of(emulator, request.api_key) or SHARED_TENANT)
    store.tick(store.clock.now())
    try:
        number = store.review(
            tenant,
            number_id,
            approved=request.outcome == "approved",
            rejected_requirement_ids=[
                i.lower() for i in request.rejected_requirement_ids
            ],
            reason=request.reason,
        )
    except NotUnderReview as error:
        raise BadRequest(str(error), parameter="number_id") from None
    rejected = [
        {"requirement_id": item.requirement_id, "reason": item.rejection_reason}
        for item in number.requirements
        if item.rejection_reason is not None
    ]
    return ReviewResponse(data=number.to_dict(), rejected_requirements=rejected)


@router.post("/clock")
async def move_clock(emulator: EmulatorDep, request: ClockRequest) -> ClockResponse:
    """Move the emulator's clock; passed deadlines and due reviews apply at once."""
    clock = emulator.clock
    if request.advance is not None:
        clock.advance(request.advance)
    elif request.set is not None:
        clock.set(request.set)
    else:
        clock.restore()
    emulator.ready_store.tick(clock.now())
    return ClockResponse(now=clock.now(), offset_seconds=clock.offset.total_seconds())


@router.get("/clock")
async def read_clock(emulator: EmulatorDep) -> ClockResponse:
    """The emulator's time."""
    return ClockResponse(
        now=emulator.clock.now(), offset_seconds=emulator.clock.offset.total_seconds()
    )


def create_control_app(emulator: Emulator) -> FastAPI:
    control = FastAPI(
        title="telnyx-emulator control API",
        version=__version__,
        description=CONTROL_API_DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    control.state.emulator = emulator
    control.include_router(open_router)
    control.include_router(router)
    return control
