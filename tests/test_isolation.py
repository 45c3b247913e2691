"""--isolate-by-api-key over HTTP: each bearer token sees its own copy of the fixtures.

Reset, the journal and reviews can be scoped to one token; the copies are bounded;
parallel pytest-xdist workers never see each other's writes.
"""

import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.testing import EmulatorHandle, run_emulator
from tests.conftest import (
    DE_LOCAL_ID,
    DE_NAME_REQUIREMENT,
    EXAMPLE_NUMBER_ID,
    REPO_ROOT,
    SUPPLY_ADDRESS,
    contract_client,
)

pytest_plugins = ["pytester"]

MAX_COPIES = 3
NUMBER_PATH = f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"
PENDING = "requirement-info-pending"
UNDER_REVIEW = "requirement-info-under-review"


@pytest.fixture(scope="module")
def isolating() -> Iterator[EmulatorHandle]:
    """An emulator started with --isolate-by-api-key and room for three copies."""
    with run_emulator(
        isolate_by_api_key=True, max_isolated_copies=MAX_COPIES
    ) as emulator:
        yield emulator


@pytest.fixture
def emulator(isolating: EmulatorHandle) -> EmulatorHandle:
    isolating.reset()
    isolating.clear_requests()
    return isolating


def client_for(emulator: EmulatorHandle, api_key: str) -> httpx.Client:
    return contract_client(emulator.base_url + "/v2", api_key=api_key)


def status_seen_by(emulator: EmulatorHandle, api_key: str) -> str:
    with client_for(emulator, api_key) as client:
        status: str = client.get(NUMBER_PATH).json()["data"]["requirements_status"]
    return status


def supply_address(emulator: EmulatorHandle, api_key: str) -> None:
    with client_for(emulator, api_key) as client:
        response = client.patch(NUMBER_PATH, json=SUPPLY_ADDRESS)
    assert response.status_code == 200


def isolated_copies(emulator: EmulatorHandle) -> int:
    count: int = emulator.control.get("/info").json()["counts"]["isolated_copies"]
    return count


def test_isolate_write_seen_only_by_its_api_key(emulator: EmulatorHandle) -> None:
    supply_address(emulator, "alice")

    assert status_seen_by(emulator, "alice") == UNDER_REVIEW
    assert status_seen_by(emulator, "bob") == PENDING


def test_isolate_copy_made_on_first_use(emulator: EmulatorHandle) -> None:
    before = isolated_copies(emulator)

    status_seen_by(emulator, "alice")
    after_alice = isolated_copies(emulator)
    status_seen_by(emulator, "bob")
    status_seen_by(emulator, "alice")

    assert (before, after_alice, isolated_copies(emulator)) == (0, 1, 2)


def test_isolate_reset_scoped_to_one_api_key(emulator: EmulatorHandle) -> None:
    supply_address(emulator, "alice")
    supply_address(emulator, "bob")

    emulator.reset(api_key="alice")

    assert status_seen_by(emulator, "alice") == PENDING
    assert status_seen_by(emulator, "bob") == UNDER_REVIEW


def test_isolate_reset_without_api_key_drops_every_copy(
    emulator: EmulatorHandle,
) -> None:
    supply_address(emulator, "alice")

    emulator.reset()

    assert isolated_copies(emulator) == 0
    assert status_seen_by(emulator, "alice") == PENDING


def test_isolate_journal_scoped_to_one_api_key(emulator: EmulatorHandle) -> None:
    supply_address(emulator, "alice")
    status_seen_by(emulator, "bob")
    status_seen_by(emulator, "alice")

    alice = emulator.requests(api_key="alice")
    bob = emulator.requests(api_key="bob")
    everyone = emulator.requests()

    assert [entry["method"] for entry in alice] == ["GET", "PATCH"]
    assert [entry["method"] for entry in bob] == ["GET"]
    assert len(everyone) == 3


def test_isolate_clear_journal_scoped_to_one_api_key(
    emulator: EmulatorHandle,
) -> None:
    status_seen_by(emulator, "alice")
    status_seen_by(emulator, "bob")

    emulator.clear_requests(api_key="alice")

    assert emulator.requests(api_key="alice") == []
    assert len(emulator.requests(api_key="bob")) == 1


def test_isolate_review_scoped_to_one_api_key(emulator: EmulatorHandle) -> None:
    supply_address(emulator, "alice")
    supply_address(emulator, "bob")

    reviewed = emulator.review(EXAMPLE_NUMBER_ID, "approved", api_key="alice")

    assert reviewed["data"]["requirements_status"] == "approved"
    assert status_seen_by(emulator, "alice") == "approved"
    assert status_seen_by(emulator, "bob") == UNDER_REVIEW


def test_isolate_fault_scoped_to_one_api_key(emulator: EmulatorHandle) -> None:
    emulator.fault(status=503, times=5, api_key="alice")

    with client_for(emulator, "bob") as client:
        seen_by_bob = client.get(NUMBER_PATH).status_code
    with client_for(emulator, "alice") as client:
        seen_by_alice = client.get(NUMBER_PATH).status_code

    assert (seen_by_bob, seen_by_alice) == (200, 503)
    emulator.clear_faults()


def test_isolate_clock_moves_every_copy(emulator: EmulatorHandle) -> None:
    status_seen_by(emulator, "alice")
    status_seen_by(emulator, "bob")

    emulator.advance_clock("P31D")

    assert status_seen_by(emulator, "alice") == "cancelled"
    assert status_seen_by(emulator, "bob") == "cancelled"


def test_isolate_copies_bounded_least_recently_used_dropped(
    emulator: EmulatorHandle,
) -> None:
    keys = [f"worker-{index}" for index in range(MAX_COPIES + 1)]
    for key in keys:
        supply_address(emulator, key)

    copies = isolated_copies(emulator)
    seen = {key: status_seen_by(emulator, key) for key in reversed(keys)}

    assert copies == MAX_COPIES
    # The oldest copy made way for the newest; its next use starts it afresh.
    assert seen == {
        "worker-3": UNDER_REVIEW,
        "worker-2": UNDER_REVIEW,
        "worker-1": UNDER_REVIEW,
        "worker-0": PENDING,
    }


def test_isolate_parallel_clients_never_see_each_others_writes(
    emulator: EmulatorHandle,
) -> None:
    def write_and_read(api_key: str) -> list[str]:
        seen = []
        with client_for(emulator, api_key) as client:
            for round_number in range(10):
                value = f"Firma {api_key} {round_number}"
                client.patch(
                    f"/number_order_phone_numbers/{DE_LOCAL_ID}",
                    json={
                        "regulatory_requirements": [
                            {
                                "requirement_id": DE_NAME_REQUIREMENT,
                                "field_value": value,
                            }
                        ]
                    },
                )
                number = client.get(f"/number_order_phone_numbers/{DE_LOCAL_ID}")
                requirements = number.json()["data"]["regulatory_requirements"]
                seen += [
                    item["field_value"]
                    for item in requirements
                    if item["requirement_id"] == DE_NAME_REQUIREMENT
                ]
        return seen

    keys = ["alpha", "beta", "gamma"]
    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        seen = dict(zip(keys, pool.map(write_and_read, keys), strict=True))

    assert seen == {
        key: [f"Firma {key} {round_number}" for round_number in range(10)]
        for key in keys
    }


def test_without_isolation_api_keys_share_state(
    telnyx_emulator: EmulatorHandle,
) -> None:
    supply_address(telnyx_emulator, "alice")

    assert status_seen_by(telnyx_emulator, "bob") == UNDER_REVIEW


WORKER_TEST = textwrap.dedent(
    """
    import os
    import time

    import pytest

    from tests.conftest import contract_client

    DE_LOCAL = "/number_order_phone_numbers/89cb1ec4-3d07-583e-87e0-4f8e18c3abb5"
    NAME = "69364478-3c94-4c69-ae0c-4ba0d4f2af00"


    @pytest.mark.parametrize("round_number", range(6))
    def test_worker_sees_only_its_own_writes(worker_id, round_number):
        api_key = f"xdist-isolation-{worker_id}"
        value = f"Firma {worker_id} {round_number}"
        base_url = os.environ["EMULATOR_URL"] + "/v2"
        with contract_client(base_url, api_key=api_key) as client:
            client.patch(
                DE_LOCAL,
                json={"regulatory_requirements": [
                    {"requirement_id": NAME, "field_value": value}
                ]},
            )
            # Give the other worker time to write its own value meanwhile.
            time.sleep(0.05)
            number = client.get(DE_LOCAL).json()["data"]
        values = {
            item["requirement_id"]: item["field_value"]
            for item in number["regulatory_requirements"]
        }
        assert values[NAME] == value
    """
)


def test_isolate_xdist_workers_never_see_each_others_writes(
    emulator: EmulatorHandle,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_workers=WORKER_TEST)
    monkeypatch.setenv("EMULATOR_URL", emulator.base_url)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    # Only xdist: the other installed plugins would slow every worker's start.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    result = pytester.runpytest_subprocess(
        "-p", "xdist.plugin", "-n", "2", "-p", "no:cacheprovider"
    )

    result.assert_outcomes(passed=6)
    journal = emulator.requests()
    assert isolated_copies(emulator) == 2
    assert len(journal) == 12
    assert {entry["headers"]["authorization"] for entry in journal} == {
        "Bearer ****-gw0",
        "Bearer ****-gw1",
    }
