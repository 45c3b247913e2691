"""The Docker image, built from the Dockerfile and driven from outside the container.

Every call goes through the docker CLI, so the engine is whichever one DOCKER_HOST
(or the CLI's current context) names. Without an engine that answers `docker info`,
these tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.docker

REPO_ROOT = Path(__file__).resolve().parents[1]
IMAGE = "telnyx-emulator:test"
TEST_LABEL = "telnyx-emulator-test"
CONTAINER_PORT = "4010/tcp"
EMULATOR_UID = "10001"
BUILD_TIMEOUT_SECONDS = 1200.0
HEALTHY_TIMEOUT_SECONDS = 60.0
STOP_LIMIT_SECONDS = 2.0

AUTH = {"Authorization": "Bearer test"}
NUMBER_ID = "dc8e4d67-33a0-4cbb-af74-7b58f05bd494"
REQUIREMENT_ID = "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576"
ADDRESS_ID = "45f45a04-b4be-4592-95b1-9306b9db2b21"
NUMBER_PATH = f"/v2/number_order_phone_numbers/{NUMBER_ID}"
CUSTOM_NUMBER_ID = "0f6b1c2e-5d4a-4e8b-9c3f-2a1d7e6b5c40"
REQUIREMENTS_PATCH = {
    "regulatory_requirements": [
        {"requirement_id": REQUIREMENT_ID, "field_value": ADDRESS_ID}
    ]
}


class DockerCommandError(Exception):
    """Raised when a docker CLI command exits with a non-zero status."""

    def __init__(
        self, args: tuple[str, ...], completed: subprocess.CompletedProcess[str]
    ) -> None:
        super().__init__(
            f"`docker {' '.join(args)}` exited with {completed.returncode}: "
            f"{completed.stderr.strip()}"
        )


def docker(*args: str, timeout: float = 60.0) -> str:
    completed = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout
    )
    if completed.returncode != 0:
        raise DockerCommandError(args, completed)
    return completed.stdout.strip()


def published_host() -> str:
    """Where ports published by the engine can be reached from this process."""
    engine = urlsplit(os.environ.get("DOCKER_HOST", ""))
    if engine.scheme in ("tcp", "ssh") and engine.hostname:
        return engine.hostname
    return "127.0.0.1"


def default_phone_number_count() -> int:
    return sum(
        len(json.loads(path.read_text()).get("phone_numbers", []))
        for path in (REPO_ROOT / "fixtures").glob("*.json")
    )


class Container:
    """One running emulator container, seen through the docker CLI."""

    def __init__(self, container_id: str) -> None:
        self.id = container_id

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(
            docker("inspect", "--format", "{{json .State}}", self.id)
        )
        return state

    def logs(self) -> str:
        completed = subprocess.run(
            ["docker", "logs", self.id], capture_output=True, text=True, timeout=30
        )
        return completed.stdout + completed.stderr

    def base_url(self) -> str:
        # The host port is looked up each time: a restart may publish a new one.
        binding = docker("port", self.id, CONTAINER_PORT).splitlines()[0]
        port = binding.rsplit(":", 1)[1]
        return f"http://{published_host()}:{port}"

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTHY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            state = self.state()
            if not state["Running"]:
                pytest.fail(
                    f"container exited with {state['ExitCode']}:\n{self.logs()}"
                )
            if state["Health"]["Status"] == "healthy":
                return
            time.sleep(0.2)
        pytest.fail(
            f"container not healthy after {HEALTHY_TIMEOUT_SECONDS:.0f} s:\n"
            f"{self.logs()}"
        )


StartContainer = Callable[..., Container]


def patch_requirements(container: Container) -> httpx.Response:
    with httpx.Client(base_url=container.base_url(), headers=AUTH) as client:
        return client.patch(NUMBER_PATH, json=REQUIREMENTS_PATCH)


def fetch_number(container: Container) -> httpx.Response:
    with httpx.Client(base_url=container.base_url(), headers=AUTH) as client:
        return client.get(NUMBER_PATH)


def database_options(volume: str) -> tuple[str, ...]:
    return (
        "--volume",
        f"{volume}:/data",
        "--env",
        "TELNYX_EMULATOR_DATABASE=/data/emulator.db",
    )


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker tests need the docker CLI, which is not on PATH")
    engine = os.environ.get("DOCKER_HOST", "the CLI's default")
    try:
        completed = subprocess.run(
            ["docker", "info"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"no Docker engine answered `docker info` at {engine} in 30 s")
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"no Docker engine answers `docker info` at {engine}: {reason}")


@pytest.fixture(scope="session")
def image(docker_engine: None) -> str:
    # Host networking lets the build reach the package index on engines whose
    # containers have no outbound network of their own; elsewhere it changes nothing.
    docker(
        "build",
        "--network",
        "host",
        "--quiet",
        "--tag",
        IMAGE,
        str(REPO_ROOT),
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    return IMAGE


@pytest.fixture(name="start_container")
def start_container_fixture(image: str) -> Iterator[StartContainer]:
    started: list[Container] = []
    bind_address = "127.0.0.1" if published_host() == "127.0.0.1" else "0.0.0.0"

    def start(*docker_options: str) -> Container:
        container_id = docker(
            "run",
            "--detach",
            "--label",
            TEST_LABEL,
            "--publish",
            f"{bind_address}::{CONTAINER_PORT}",
            *docker_options,
            image,
        )
        container = Container(container_id)
        started.append(container)
        return container

    yield start

    for container in started:
        subprocess.run(
            ["docker", "rm", "--force", container.id],
            capture_output=True,
            timeout=60,
        )


@pytest.fixture
def data_volume(docker_engine: None) -> Iterator[str]:
    name = f"telnyx-emulator-test-{uuid.uuid4().hex[:12]}"
    docker("volume", "create", "--label", TEST_LABEL, name)

    yield name

    users = docker("ps", "--all", "--quiet", "--filter", f"volume={name}")
    if users:
        docker("rm", "--force", *users.split())
    docker("volume", "rm", "--force", name)


@pytest.fixture
def fixture_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    seed = {
        "requirements": [
            {
                "id": REQUIREMENT_ID,
                "name": "End user address",
                "field_type": "address",
                "description": "Street address where the number will be used.",
            }
        ],
        "addresses": [
            {
                "id": ADDRESS_ID,
                "street_address": "600 Congress Avenue",
                "locality": "Austin",
                "administrative_area": "TX",
                "postal_code": "78701",
                "country_code": "US",
            }
        ],
        "phone_numbers": [
            {
                "id": CUSTOM_NUMBER_ID,
                "phone_number": "+15125550111",
                "order_request_id": "0f6b1c2e-5d4a-4e8b-9c3f-2a1d7e6b5c41",
                "sub_number_order_id": "0f6b1c2e-5d4a-4e8b-9c3f-2a1d7e6b5c42",
                "country_code": "US",
                "phone_number_type": "local",
                "locality": "Austin",
                "deadline": "P30D",
                "is_block_number": False,
                "bundle_id": None,
                "status": "pending",
                "regulatory_requirements": [
                    {"requirement_id": REQUIREMENT_ID, "field_value": None}
                ],
            }
        ],
    }
    seed_file = folder / "austin.json"
    seed_file.write_text(json.dumps(seed, indent=2))
    # The emulator runs as an unprivileged user inside the container.
    folder.chmod(0o755)
    seed_file.chmod(0o644)
    return folder


def test_container_reports_healthy_once_ready(start_container: StartContainer) -> None:
    container = start_container()

    container.wait_healthy()

    expected = (
        "telnyx-emulator ready on http://0.0.0.0:4010 "
        f"({default_phone_number_count()} phone numbers from /fixtures)"
    )
    assert expected in container.logs()


def test_patch_then_get_requirements_through_published_port(
    start_container: StartContainer,
) -> None:
    container = start_container()
    container.wait_healthy()

    patched = patch_requirements(container)
    fetched = fetch_number(container)

    assert patched.status_code == 200
    requirement = patched.json()["data"]["regulatory_requirements"][0]
    assert requirement["requirement_id"] == REQUIREMENT_ID
    assert requirement["field_value"] == ADDRESS_ID
    assert fetched.status_code == 200
    requirements = patched.json()["data"]["regulatory_requirements"]
    assert fetched.json()["data"]["regulatory_requirements"] == requirements


def test_emulator_runs_as_pid_1_without_root(start_container: StartContainer) -> None:
    container = start_container()
    container.wait_healthy()

    command_line = docker("exec", container.id, "cat", "/proc/1/cmdline")
    status = docker("exec", container.id, "cat", "/proc/1/status")

    assert "telnyx-emulator" in command_line
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == [EMULATOR_UID] * 4


def test_docker_stop_ends_container_cleanly_within_two_seconds(
    start_container: StartContainer,
) -> None:
    container = start_container()
    container.wait_healthy()

    # An idle keep-alive connection is open while the container is stopped.
    with httpx.Client(base_url=container.base_url(), headers=AUTH) as client:
        assert client.get("/_emulator/health").status_code == 200
        started = time.monotonic()
        docker("stop", container.id)
        elapsed = time.monotonic() - started

    assert elapsed < STOP_LIMIT_SECONDS
    assert container.state()["ExitCode"] == 0


def test_mounted_fixtures_folder_replaces_defaults(
    start_container: StartContainer, fixture_folder: Path
) -> None:
    container = start_container("--volume", f"{fixture_folder}:/fixtures:ro")
    container.wait_healthy()

    with httpx.Client(base_url=container.base_url(), headers=AUTH) as client:
        listed = client.get("/v2/number_order_phone_numbers")
    default_number = fetch_number(container)

    assert listed.status_code == 200
    assert [number["id"] for number in listed.json()["data"]] == [CUSTOM_NUMBER_ID]
    assert default_number.status_code == 404
    assert "(1 phone numbers from /fixtures)" in container.logs()


def test_database_on_volume_survives_container_restart(
    start_container: StartContainer, data_volume: str
) -> None:
    container = start_container(*database_options(data_volume))
    container.wait_healthy()
    patched = patch_requirements(container)

    docker("restart", container.id)
    container.wait_healthy()
    fetched = fetch_number(container)

    assert patched.status_code == 200
    assert fetched.status_code == 200
    requirement = fetched.json()["data"]["regulatory_requirements"][0]
    assert requirement["field_value"] == ADDRESS_ID


def test_database_on_volume_outlives_its_container(
    start_container: StartContainer, data_volume: str
) -> None:
    first = start_container(*database_options(data_volume))
    first.wait_healthy()
    patched = patch_requirements(first)

    docker("rm", "--force", first.id)
    second = start_container(*database_options(data_volume))
    second.wait_healthy()
    fetched = fetch_number(second)

    assert patched.status_code == 200
    assert fetched.status_code == 200
    requirement = fetched.json()["data"]["regulatory_requirements"][0]
    assert requirement["field_value"] == ADDRESS_ID
