"""The official Node SDK (`telnyx` on npm, 7.x) against the emulator.

tests/node/sdk_check.mjs drives the four methods, a 404 and a 422 through the SDK,
finding the emulator through TELNYX_BASE_URL and TELNYX_API_KEY. Its dependencies
come from tests/node/package-lock.json: `npm ci --prefix tests/node --no-audit
--no-fund`. Without Node.js the test is skipped; with Node.js but without that
install it fails, so that CI cannot pass it over unnoticed.
"""

import json
import os
import shutil
import subprocess
from typing import Any

import httpx
import pytest

from app.testing import EmulatorHandle
from tests.conftest import REPO_ROOT
from tests.contract import check_response

NODE_DIR = REPO_ROOT / "tests" / "node"
SCRIPT = NODE_DIR / "sdk_check.mjs"
NPM_CI = "npm ci --prefix tests/node --no-audit --no-fund"
EXPECTED_CHECKS = [
    "retrieve",
    "list",
    "updateRequirements without a body changes nothing",
    "updateRequirements, read back by retrieve and list",
    "updateRequirementGroup, read back by retrieve",
    "404 is NotFoundError",
    "an id with a slash is NotFoundError for that id",
    "422 is UnprocessableEntityError",
]


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "Node.js is not installed, so the Node SDK check cannot run: install "
            f"Node.js 18 or later and run `{NPM_CI}`"
        )
    if not (NODE_DIR / "node_modules" / "telnyx").is_dir():
        pytest.fail(
            f"Node.js is installed but the Node SDK is not: run `{NPM_CI}` from the "
            "repository root"
        )
    return node


def sdk_environment(base_url: str) -> dict[str, str]:
    """This process's environment, pointing the SDK at the emulator and no further."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TELNYX_")
    }
    environment.update(TELNYX_BASE_URL=base_url, TELNYX_API_KEY="test-key")
    return environment


def as_httpx(base_url: str, entry: dict[str, Any]) -> httpx.Response:
    """A journal entry as the exchange it records, for tests/contract.py."""
    url = base_url + entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    body = entry["response_body"]
    return httpx.Response(
        entry["status"],
        headers={
            "content-type": "application/json",
            "x-request-id": entry["request_id"],
        },
        content=json.dumps(body).encode() if body is not None else b"",
        request=httpx.Request(entry["method"], url),
    )


def test_node_sdk_four_methods_and_errors(telnyx_emulator: EmulatorHandle) -> None:
    node = node_or_skip()

    result = subprocess.run(
        [node, str(SCRIPT)],
        cwd=REPO_ROOT,
        env=sdk_environment(telnyx_emulator.base_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert lines[:-1] == [f"ok {name}" for name in EXPECTED_CHECKS], output
    assert lines[-1].startswith("telnyx 7."), output
    assert lines[-1].endswith(f"all {len(EXPECTED_CHECKS)} checks passed"), output
    journal = telnyx_emulator.requests()
    assert {entry["headers"]["user-agent"].split(" ")[0] for entry in journal} == {
        "Telnyx/JS"
    }
    assert {entry["status"] for entry in journal} == {200, 404, 422}
    for entry in journal:
        check_response(as_httpx(telnyx_emulator.base_url, entry))
