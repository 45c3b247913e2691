"""The `telnyx_emulator` pytest fixture, registered through the pytest11 entry point.

One emulator serves the whole session from a background thread; each test gets it
back in the state of the fixtures. Options: `--telnyx-emulator-fixtures DIR`.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.testing import EmulatorHandle, run_emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--telnyx-emulator-fixtures",
        default=None,
        help="fixtures folder for the telnyx_emulator fixture (default: shipped)",
    )


@pytest.fixture(scope="session")
def telnyx_emulator_session(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """The session's emulator, started once."""
    fixtures = request.config.getoption("--telnyx-emulator-fixtures")
    with run_emulator(fixtures=Path(fixtures) if fixtures else None) as handle:
        yield handle


@pytest.fixture
def telnyx_emulator(telnyx_emulator_session: EmulatorHandle) -> EmulatorHandle:
    """A running emulator, reset to its fixtures before the test."""
    telnyx_emulator_session.reset()
    telnyx_emulator_session.clear_requests()
    return telnyx_emulator_session
