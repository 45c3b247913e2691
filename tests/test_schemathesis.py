"""Schemathesis against a live emulator: every check, positive and negative data.

The operations come from the project's openapi.yml, whose examples name records of
the default fixtures, so the examples phase reaches the 200 answers and not only
404s. The emulator under test accepts one API key, `test-key`, so that the
`ignored_auth` check has a wrong key to be refused.

State: the emulator is reset to its fixtures before every case. Hypothesis replays
a failing case to confirm and shrink it; with state carried over from earlier cases
the replay could answer differently and the failure would show up as flaky instead
of as a reproducible request. Sequences of writes are covered by the SDK tests.

Methods that openapi.yml does not list for a path (the coverage phase tries them
all) get 405 with an Allow header, which the `unsupported_method` check expects;
Telnyx's definition documents no 405, and tests/contract.py accepts one only where
openapi.yml has no such operation.

SCHEMATHESIS_MAX_EXAMPLES (default 50) bounds the fuzzing phase per operation.
"""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from app.testing import EmulatorHandle, run_emulator
from tests.conftest import REPO_ROOT
from tests.contract import check_response

API_KEY = "test-key"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))

# Checks and generation as schemathesis ships them: every check on, positive and
# negative data. Each departure below says why. Deterministic, with no example
# database: the same cases on every run, so a failure in CI replays on a laptop.
CONFIG = f"""
[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
deterministic = true
database = "none"
# Telnyx ignores query parameters it does not know, and so does the emulator; an
# OpenAPI parameter list does not forbid others. Schemathesis would otherwise count
# an unknown parameter as invalid data that must be refused.
allow-extra-parameters = false

[auth.openapi.bearerAuth]
bearer = "{API_KEY}"

# A request that fits the schema can still break a rule the schema cannot state:
# a requirement that is not this number's, an address id that does not exist, a
# requirement group of another country. Telnyx answers those with 422, which it
# documents for both writing operations; the reads never answer 422.
[[operations]]
include-method = "PATCH"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "422"]

[[operations]]
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "422"]
"""


def openapi_document() -> dict[str, Any]:
    """The project's openapi.yml, with one stated exception."""
    document: dict[str, Any] = yaml.safe_load((REPO_ROOT / "openapi.yml").read_text())
    # A PATCH with no body at all reads as `{}`: the Node SDK's documented call
    # `updateRequirements(id)` sends none, and a JSON API framework hands such a
    # request an empty set of parameters. Telnyx's definition marks the body
    # required, so schemathesis would count the bare PATCH as invalid data that
    # must be refused; bodies that are there are still checked both ways.
    path = "/number_order_phone_numbers/{number_order_phone_number_id}"
    document["paths"][path]["patch"]["requestBody"]["required"] = False
    return document


schema = schemathesis.openapi.from_dict(
    openapi_document(), config=SchemathesisConfig.from_str(CONFIG)
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    """An emulator of its own, accepting only API_KEY."""
    with run_emulator(api_key=[API_KEY]) as handle:
        yield handle


def as_httpx(response: Response) -> httpx.Response:
    """The exchange schemathesis made, in the form tests/contract.py checks."""
    sent = response.request
    request = httpx.Request(
        str(sent.method), str(sent.url), headers=dict(sent.headers), content=sent.body
    )
    headers = [
        (name, value) for name, values in response.headers.items() for value in values
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=response.content,
        request=request,
    )


def fits_openapi_yml(ctx: object, response: Response, case: object) -> None:
    """The suite's one contract check (tests/contract.py), on schemathesis's answers."""
    check_response(as_httpx(response))


@schema.parametrize()
def test_openapi_operation_against_live_emulator(
    case: schemathesis.Case, emulator: EmulatorHandle
) -> None:
    emulator.reset()

    case.call_and_validate(
        base_url=emulator.base_url + "/v2",
        additional_checks=[fits_openapi_yml],
    )
