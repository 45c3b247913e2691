"""Shared fixtures: every test talks over HTTP to a real emulator.

The emulator comes from the project's own pytest plugin (`telnyx_emulator`): one
server in a background thread, reset to the default fixtures before each test.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.testing import EmulatorHandle
from tests.contract import check_response

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "fixtures"

EXAMPLE_NUMBER_ID = "dc8e4d67-33a0-4cbb-af74-7b58f05bd494"
EXAMPLE_REQUIREMENT_ID = "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576"
EXAMPLE_ADDRESS_ID = "45f45a04-b4be-4592-95b1-9306b9db2b21"
# The documentation example's one missing requirement, supplied.
SUPPLY_ADDRESS = {
    "regulatory_requirements": [
        {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": EXAMPLE_ADDRESS_ID}
    ]
}
# A German local number of the default fixtures and its textual requirement (the
# company name: 2 to 100 characters, any of them).
DE_LOCAL_ID = "89cb1ec4-3d07-583e-87e0-4f8e18c3abb5"
DE_NAME_REQUIREMENT = "69364478-3c94-4c69-ae0c-4ba0d4f2af00"


def contract_client(base_url: str, api_key: str | None = "test-key") -> httpx.Client:
    """An httpx client whose every response is checked against openapi.yml."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(
        base_url=base_url,
        headers=headers,
        timeout=10,
        event_hooks={"response": [check_response]},
    )


@pytest.fixture
def client(telnyx_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """A client of the emulator's /v2 routes, authenticated, reset emulator."""
    with contract_client(telnyx_emulator.base_url + "/v2") as http:
        yield http


@pytest.fixture
def root_client(telnyx_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """A client of the same routes served at the root, as the SDKs call them."""
    with contract_client(telnyx_emulator.base_url) as http:
        yield http


@pytest.fixture
def anonymous_client(telnyx_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    with contract_client(telnyx_emulator.base_url + "/v2", api_key=None) as http:
        yield http
