"""The `telnyx-emulator` command, run for real on a free port."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.cli import EXIT_BAD_DATABASE, EXIT_BAD_FIXTURES, EXIT_BAD_SETTINGS, main
from app.testing import run_emulator
from tests.conftest import (
    EXAMPLE_ADDRESS_ID,
    EXAMPLE_NUMBER_ID,
    EXAMPLE_REQUIREMENT_ID,
    contract_client,
)

EXAMPLE_PATH = f"/v2/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"
EXAMPLE_BODY = {
    "regulatory_requirements": [
        {"requirement_id": EXAMPLE_REQUIREMENT_ID, "field_value": EXAMPLE_ADDRESS_ID}
    ]
}
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_command(
    *arguments: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The real command on a free port; yields its base URL once it is ready."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--port", str(port), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert process.poll() is None, (
                process.stdout.read() if process.stdout else ""
            )
            try:
                if httpx.get(base_url + "/_emulator/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def test_command_serves_the_documentation_example() -> None:
    with running_command() as (base_url, process):
        with contract_client(base_url) as client:
            patched = client.patch(EXAMPLE_PATH, json=EXAMPLE_BODY)
            fetched = client.get(EXAMPLE_PATH)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)

    assert patched.status_code == 200
    assert fetched.json() == patched.json()
    port = base_url.rsplit(":", 1)[1]
    assert (
        f"telnyx-emulator ready on http://127.0.0.1:{port} "
        "(14 phone numbers from fixtures/)"
    ) in output
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
    assert process.returncode in (0, -signal.SIGTERM)


def test_command_database_outlives_a_restart_until_reset(tmp_path: Path) -> None:
    database = str(tmp_path / "state.db")

    def first_requirement_after(*arguments: str) -> dict[str, str]:
        with running_command("--database", database, *arguments) as (base_url, _):
            client = contract_client(base_url)
            data = client.get(EXAMPLE_PATH).json()["data"]
            client.close()
        requirement: dict[str, str] = data["regulatory_requirements"][0]
        return requirement | {"status": data["requirements_status"]}

    with running_command("--database", database) as (base_url, _):
        client = contract_client(base_url)
        assert client.patch(EXAMPLE_PATH, json=EXAMPLE_BODY).status_code == 200
        client.close()

    kept = first_requirement_after()
    reseeded = first_requirement_after("--reset")

    assert kept["field_value"] == EXAMPLE_ADDRESS_ID
    assert kept["status"] == "requirement-info-under-review"
    assert reseeded["field_value"] == ""


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_command_api_key_restricts_credentials(how: str) -> None:
    if how == "flag":
        arguments, env = ("--api-key", "first", "--api-key", "second"), {}
    else:
        arguments, env = (), {"TELNYX_EMULATOR_API_KEY": "first,second"}

    with running_command(*arguments, env=env) as (base_url, _):
        accepted = [
            contract_client(base_url, key).get(EXAMPLE_PATH).status_code
            for key in ("first", "second")
        ]
        refused = contract_client(base_url, "third").get(EXAMPLE_PATH).status_code

    assert accepted == [200, 200]
    assert refused == 401


def test_command_settings_from_environment() -> None:
    port = free_port()
    env = {"TELNYX_EMULATOR_PORT": str(port), "TELNYX_EMULATOR_JOURNAL_SIZE": "7"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        info = None
        for _ in range(600):
            try:
                info = httpx.get(f"http://127.0.0.1:{port}/_emulator/info").json()
                break
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert info is not None
    assert info["settings"]["port"] == port
    assert info["settings"]["journal_size"] == 7


def test_main_rejects_malformed_fixtures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "numbers.json").write_text('{"phone_numbers": [{"id": 1}]}')

    code = main(["--fixtures", str(tmp_path), "--port", "0"])

    assert code == EXIT_BAD_FIXTURES
    error = capsys.readouterr().err
    assert "cannot load the fixtures" in error
    assert "numbers.json: phone_numbers[0].id" in error


def test_main_rejects_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--port", "70000"])

    assert code == EXIT_BAD_SETTINGS
    assert "--port" in capsys.readouterr().err


def test_main_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--fixtures",
        "--database",
        "--api-key",
        "--log-level",
    ):
        assert option in text


def test_unexpected_failure_is_500_without_internals(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    with (
        run_emulator(database=database) as emulator,
        contract_client(emulator.base_url) as client,
    ):
        before = client.get(EXAMPLE_PATH).json()
        with sqlite3.connect(database) as outside:
            outside.execute("DROP TABLE requirement_values")

        response = client.patch(EXAMPLE_PATH, json=EXAMPLE_BODY)
        after = client.get(EXAMPLE_PATH).json()

    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert (error["code"], error["title"]) == ("10007", "Unexpected error")
    assert "Traceback" not in response.text
    assert "/" not in error["detail"]
    assert after == before


def test_main_rejects_a_database_it_cannot_open(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--database", "/proc/no-such-folder/state.db", "--port", "0"])

    assert code == EXIT_BAD_DATABASE
    assert "cannot open the database: /proc/no-such-folder/state.db" in (
        capsys.readouterr().err
    )


def test_unexpected_failure_in_control_api_is_500_in_the_envelope(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "state.db"
    with run_emulator(database=database) as emulator:
        with sqlite3.connect(database) as outside:
            outside.execute("DROP TABLE phone_numbers")

        response = httpx.post(emulator.base_url + "/_emulator/reset")

    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert (error["code"], error["title"]) == ("10007", "Unexpected error")
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.name for r in logged] == ["app.middleware"]
