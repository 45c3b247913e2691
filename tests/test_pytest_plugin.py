"""The pytest plugin and the context manager, as a project using them would.

pytester runs small test files in a fresh pytest process: they use the
`telnyx_emulator` fixture with the official SDK, exactly as the README shows.
"""

import json
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
from telnyx import DefaultHttpxClient, Telnyx

from app.testing import run_emulator
from tests.conftest import EXAMPLE_NUMBER_ID, REPO_ROOT, contract_client
from tests.contract import check_response
from tests.control_support import SMALL_NUMBER_ID, small_document

pytest_plugins = ["pytester"]

# The whole example test of the README's section on the pytest plugin.
README_EXAMPLE = """\
from telnyx import Telnyx

NUMBER_ID = "dc8e4d67-33a0-4cbb-af74-7b58f05bd494"
ADDRESS_REQUIREMENT_ID = "8ffb3622-7c6b-4ccc-b65f-7a3dc0099576"
ADDRESS_ID = "45f45a04-b4be-4592-95b1-9306b9db2b21"


def test_number_is_approved_after_review(telnyx_emulator):
    client = Telnyx(base_url=telnyx_emulator.base_url, api_key=telnyx_emulator.api_key)
    telnyx_emulator.fault(status=429, retry_after=0.05)  # the SDK retries it

    client.number_order_phone_numbers.update_requirements(
        NUMBER_ID,
        regulatory_requirements=[
            {"requirement_id": ADDRESS_REQUIREMENT_ID, "field_value": ADDRESS_ID}
        ],
    )
    telnyx_emulator.review(NUMBER_ID, "approved")
    number = client.number_order_phone_numbers.retrieve(NUMBER_ID).data

    assert number.requirements_status == "approved"
    assert number.status == "success"
    assert [entry["status"] for entry in telnyx_emulator.requests()] == [200, 200, 429]


def test_unmet_requirements_cancel_the_number_at_its_deadline(telnyx_emulator):
    client = Telnyx(base_url=telnyx_emulator.base_url, api_key=telnyx_emulator.api_key)

    telnyx_emulator.advance_clock("P31D")
    number = client.number_order_phone_numbers.retrieve(NUMBER_ID).data

    assert number.requirements_status == "cancelled"
    assert number.status == "failure"
"""

EVERY_TEST_STARTS_AFRESH = textwrap.dedent(
    f"""
    from tests.conftest import contract_client
    from tests.control_support import small_document

    NUMBER = "/v2/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}"


    def status(emulator):
        with contract_client(emulator.base_url, emulator.api_key) as client:
            response = client.get(NUMBER)
        return response.status_code, response.json()


    def test_first_changes_everything(telnyx_emulator):
        telnyx_emulator.advance_clock("P31D")
        telnyx_emulator.fault(status=500, times=10)
        telnyx_emulator.load_fixtures(small_document())

        assert status(telnyx_emulator)[0] == 500


    def test_second_sees_fixtures_again(telnyx_emulator):
        code, body = status(telnyx_emulator)

        assert code == 200
        assert body["data"]["requirements_status"] == "requirement-info-pending"
        assert [entry["status"] for entry in telnyx_emulator.requests()] == [200]
    """
)


# Any exception in the emulator's thread, even while it stops, fails the run.
STRICT = (
    "-p",
    "no:cacheprovider",
    "-W",
    "error::pytest.PytestUnhandledThreadExceptionWarning",
)


def run_plugin_only(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A run with -p app.pytest_plugin (given_fixtures_test turns autoload off)."""
    return pytester.runpytest_subprocess("-p", "app.pytest_plugin", *STRICT, *args)


def test_entry_point_registers_plugin() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="pytest11")}

    assert plugins["telnyx_emulator"] == "app.pytest_plugin"


def test_plugin_runs_readme_example_with_official_sdk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_example=README_EXAMPLE, test_fresh=EVERY_TEST_STARTS_AFRESH
    )
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))

    # Plugins load as in any project that installed the package: by entry point.
    result = pytester.runpytest_subprocess(*STRICT)

    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK


README_SECTION = "## Steering the emulator from tests"


def test_readme_shows_the_example_test() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")

    assert README_SECTION in readme
    assert README_EXAMPLE in readme


def write_small_fixtures(folder: Path) -> Path:
    folder.mkdir()
    (folder / "numbers.json").write_text(json.dumps(small_document()))
    return folder


LISTS_SMALL_FIXTURES = textwrap.dedent(
    f"""
    from tests.conftest import contract_client


    def test_serves_given_fixtures(telnyx_emulator):
        with contract_client(telnyx_emulator.base_url) as client:
            response = client.get("/v2/number_order_phone_numbers")

        ids = [number["id"] for number in response.json()["data"]]
        assert ids == ["{SMALL_NUMBER_ID}"]
    """
)


@pytest.fixture
def given_fixtures_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    pytester.makepyfile(test_given=LISTS_SMALL_FIXTURES)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    # The emulator's plugin alone: the other installed ones slow each run down.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def test_plugin_fixtures_from_command_line_option(
    given_fixtures_test: pytest.Pytester, tmp_path: Path
) -> None:
    folder = write_small_fixtures(tmp_path / "my-fixtures")

    result = run_plugin_only(
        given_fixtures_test, f"--telnyx-emulator-fixtures={folder}"
    )

    result.assert_outcomes(passed=1)


def test_plugin_fixtures_from_ini_option(given_fixtures_test: pytest.Pytester) -> None:
    write_small_fixtures(given_fixtures_test.path / "my-fixtures")
    given_fixtures_test.makeini("[pytest]\ntelnyx_emulator_fixtures = my-fixtures\n")

    result = run_plugin_only(given_fixtures_test)

    result.assert_outcomes(passed=1)


def test_plugin_malformed_fixtures_fail_with_message(
    given_fixtures_test: pytest.Pytester, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "numbers.json").write_text(
        json.dumps(small_document(phone_number="030 123456"))
    )

    result = run_plugin_only(
        given_fixtures_test, f"--telnyx-emulator-fixtures={folder}"
    )

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*numbers.json: phone_numbers[[]0[]].phone_number: *E.164*"]
    )


# The context manager, for code outside pytest


def test_run_emulator_serves_official_sdk_then_stops() -> None:
    checked = DefaultHttpxClient(event_hooks={"response": [check_response]})

    with run_emulator() as emulator:
        with Telnyx(
            base_url=emulator.base_url, api_key=emulator.api_key, http_client=checked
        ) as client:
            number = client.number_order_phone_numbers.retrieve(EXAMPLE_NUMBER_ID)
        base_url = emulator.base_url
        journal = emulator.requests()

    assert number.data is not None
    assert number.data.phone_number == "+19705555098"
    assert [(entry["method"], entry["status"]) for entry in journal] == [("GET", 200)]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/_emulator/health")


def test_run_emulator_list_of_api_keys_restricts_credentials() -> None:
    with run_emulator(api_key=["first-key", "second-key"]) as emulator:
        with contract_client(emulator.base_url + "/v2", emulator.api_key) as client:
            offered = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}")
        with contract_client(emulator.base_url + "/v2", "other-key") as client:
            other = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}")

    assert emulator.api_key == "first-key"
    assert offered.status_code == 200
    assert other.status_code == 401


def test_run_emulator_with_given_fixtures(tmp_path: Path) -> None:
    folder = write_small_fixtures(tmp_path / "fixtures")

    with (
        run_emulator(fixtures=folder) as emulator,
        contract_client(emulator.base_url + "/v2") as client,
    ):
        listed = client.get("/number_order_phone_numbers").json()

    assert [number["id"] for number in listed["data"]] == [SMALL_NUMBER_ID]


def test_handle_methods_drive_the_control_api() -> None:
    with run_emulator() as emulator, contract_client(emulator.base_url) as client:
        armed = emulator.fault(status=503, times=2)
        faulted = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}")
        emulator.clear_faults()
        emulator.load_fixtures(small_document())
        under_review = client.patch(
            f"/number_order_phone_numbers/{SMALL_NUMBER_ID}",
            json={
                "regulatory_requirements": [
                    {
                        "requirement_id": small_document()["requirements"][0]["id"],
                        "field_value": "Beispiel GmbH",
                    }
                ]
            },
        )
        rejected = emulator.review(SMALL_NUMBER_ID, "rejected", reason="Unreadable.")
        moved = emulator.set_clock("2031-01-01T00:00:00Z")
        patches = emulator.requests(method="PATCH")
        emulator.clear_requests()
        emptied = emulator.requests()
        emulator.reset(startup_fixtures=True)
        restored = client.get(f"/number_order_phone_numbers/{EXAMPLE_NUMBER_ID}")

    assert armed["remaining"] == 2
    assert faulted.status_code == 503
    assert under_review.json()["data"]["requirements_status"] == (
        "requirement-info-under-review"
    )
    assert rejected["rejected_requirements"][0]["reason"] == "Unreadable."
    assert moved["now"].startswith("2031-01-01T00:0")
    assert [entry["status"] for entry in patches] == [200]
    assert emptied == []
    assert restored.status_code == 200
