"""The `telnyx_emulator` pytest fixture, registered through the pytest11 entry point.

One emulator serves the whole session from a background thread; each test gets it
back in the state of the fixtures, with an empty journal and no armed fault.
Fixtures: the shipped ones, or a folder named by `--telnyx-emulator-fixtures DIR`
or by the ini option `telnyx_emulator_fixtures` (relative to the rootdir).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.testing import EmulatorHandle, run_emulator

FIXTURES_HELP = "fixtures folder for the telnyx_emulator fixture (default: shipped)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--telnyx-emulator-fixtures", default=None, help=FIXTURES_HELP)
    parser.addini("telnyx_emulator_fixtures", FIXTURES_HELP, default="")


def _fixtures_dir(config: pytest.Config) -> Path | None:
    option = config.getoption("--telnyx-emulator-fixtures")
    if option:
        return Path(option)
    ini = str(config.getini("telnyx_emulator_fixtures"))
    return config.rootpath / ini if ini else None


@pytest.fixture(scope="session")
def telnyx_emulator_session(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """The session's emulator, started once."""
    with run_emulator(fixtures=_fixtures_dir(request.config)) as handle:
        yield handle


@pytest.fixture
def telnyx_emulator(telnyx_emulator_session: EmulatorHandle) -> EmulatorHandle:
    """A running emulator, reset to its fixtures before the test."""
    # startup_fixtures: a test that loaded its own fixtures leaves none behind.
    telnyx_emulator_session.reset(startup_fixtures=True)
    telnyx_emulator_session.clear_requests()
    return telnyx_emulator_session
