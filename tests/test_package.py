"""The wheel: it carries the fixtures and openapi.yml, and runs wherever installed."""

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.test_cli import free_port


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(target),
            str(REPO_ROOT),
        ],
        check=True,
    )
    (built,) = target.glob("telnyx_emulator-*.whl")
    return built


def test_wheel_carries_fixtures_and_openapi(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    fixture_files = {path.name for path in (REPO_ROOT / "fixtures").glob("*.json")}
    assert {f"app/_data/fixtures/{name}" for name in fixture_files} <= names
    assert "app/_data/openapi.yml" in names
    assert "app/pytest_plugin.py" in names


@pytest.mark.slow
def test_installed_wheel_serves_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    process = subprocess.Popen(
        [str(venv / "bin" / "telnyx-emulator"), "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                info = httpx.get(f"{base_url}/_emulator/info").json()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        served_contract = httpx.get(f"{base_url}/openapi.yml").text
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert info["counts"]["phone_numbers"] == 14
    assert Path(info["fixtures"]).is_relative_to(venv)
    assert served_contract == (REPO_ROOT / "openapi.yml").read_text()
