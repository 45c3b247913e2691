"""Generated PATCH bodies against the emulator's invariants, and the control API fuzzed.

Hypothesis builds PATCH bodies for the default fixtures' numbers out of items that
are valid or invalid by construction: a value from a requirement's own list or
within its lengths and characters, an existing address, a known-good date; or one
that is too long, outside the list, an unknown id, a wrong JSON type, a duplicate,
a missing key. The test knows from the construction alone, never from the
emulator's code, whether the body as a whole is valid, and checks:

- no answer is a 5xx;
- the answer is 200 exactly when every item is valid (and the number may change);
- the state changes only on a 200, and then exactly as the body says.

Telnyx's own operations are fuzzed from openapi.yml, in positive and negative
mode, by test_schemathesis.py. Here schemathesis fuzzes the control API from the
OpenAPI document it serves at /_emulator/openapi.json, in both modes: no 5xx, and
every refusal in Telnyx's error envelope without a stack trace.

Examples, from the environment: EMULATOR_FUZZ_EXAMPLES (200 bodies in the variant
that always runs), EMULATOR_FUZZ_EXAMPLES_SLOW (400 in the slow one) and
EMULATOR_FUZZ_CONTROL_EXAMPLES (30 per control operation).
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from app.main import create_app
from app.server import BackgroundEmulator
from app.settings import Settings
from app.testing import EmulatorHandle
from tests.conftest import FIXTURES_DIR, contract_client
from tests.contract import check_error_envelope

EXAMPLES = int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "200"))
SLOW_EXAMPLES = int(os.environ.get("EMULATOR_FUZZ_EXAMPLES_SLOW", "400"))
CONTROL_EXAMPLES = int(os.environ.get("EMULATOR_FUZZ_CONTROL_EXAMPLES", "30"))
LEAK_MARKERS = ("Traceback", 'File "', ".py", "site-packages", "/work/", "/tmp/")
FROZEN = {"approved", "cancelled", "deleted"}
PATH = "/number_order_phone_numbers"


def _fixture(name: str) -> list[dict[str, Any]]:
    document = json.loads((FIXTURES_DIR / f"{name}.json").read_text())
    entries: list[dict[str, Any]] = document[name]
    return entries


REQUIREMENTS = {item["id"]: item for item in _fixture("requirements")}
ADDRESSES = [item["id"] for item in _fixture("addresses")]
DOCUMENTS = [item["id"] for item in _fixture("documents")]
NUMBERS = {
    item["id"]: [value["requirement_id"] for value in item["regulatory_requirements"]]
    for item in _fixture("phone_numbers")
}
GOOD_DATES = ["1985-04-12", "2024-05-31T11:14:00Z", "2024-05-31T11:14:00+02:00"]
BAD_DATES = ["", "yesterday", "31/12/1985", "1985-13-01", "12 April 1985", "1985-4-12"]


# Any JSON value, small: what a confused client might put anywhere.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of regulatory_requirements, and whether it is valid by itself."""

    json: object
    valid: bool
    requirement_id: str | None = None
    stored_value: str | None = None


def criteria(requirement_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        REQUIREMENTS[requirement_id].get("acceptance_criteria") or {}
    )
    return found


def good_textual(requirement_id: str) -> st.SearchStrategy[str]:
    rules = criteria(requirement_id)
    if rules.get("acceptable_values"):
        return st.sampled_from(rules["acceptable_values"])
    alphabet = rules.get("acceptable_characters")
    low = max(rules.get("min_length") or 1, 1)
    high = min(rules.get("max_length") or low + 40, low + 40)
    characters = st.sampled_from(alphabet) if alphabet else st.characters(codec="utf-8")
    return st.text(characters, min_size=low, max_size=high)


def bad_textual(requirement_id: str) -> st.SearchStrategy[str]:
    rules = criteria(requirement_id)
    options: list[st.SearchStrategy[str]] = [st.just("")]
    if rules.get("acceptable_values"):
        options.append(
            st.text(max_size=8).filter(lambda v: v not in rules["acceptable_values"])
        )
    if rules.get("max_length"):
        high = rules["max_length"]
        options.append(st.text("ABC123", min_size=high + 1, max_size=high + 30))
    if (rules.get("min_length") or 0) > 1:
        options.append(st.text("ABC123", min_size=1, max_size=rules["min_length"] - 1))
    if rules.get("acceptable_characters"):
        allowed = set(rules["acceptable_characters"])
        size = rules.get("min_length") or 1
        options.append(
            st.tuples(
                st.text(
                    rules["acceptable_characters"], min_size=size - 1, max_size=size - 1
                ),
                st.characters(codec="utf-8").filter(lambda c: c not in allowed),
            ).map(lambda parts: parts[0] + parts[1])
        )
    return st.one_of(options)


def shout(value: str, upper: bool) -> str:
    return value.upper() if upper else value


@st.composite
def good_item(draw: st.DrawFn, requirement_id: str) -> Item:
    kind = REQUIREMENTS[requirement_id]["field_type"]
    if kind == "address":
        value = shout(draw(st.sampled_from(ADDRESSES)), draw(st.booleans()))
        stored = value.lower()
    elif kind == "document":
        value = shout(draw(st.sampled_from(DOCUMENTS)), draw(st.booleans()))
        stored = value.lower()
    elif kind == "datetime":
        value = stored = draw(st.sampled_from(GOOD_DATES))
    else:
        value = stored = draw(good_textual(requirement_id))
    shown_id = shout(requirement_id, draw(st.booleans()))
    body = {"requirement_id": shown_id, "field_value": value}
    return Item(body, True, requirement_id, stored)


@st.composite
def bad_value_item(draw: st.DrawFn, requirement_id: str) -> Item:
    kind = REQUIREMENTS[requirement_id]["field_type"]
    known = ADDRESSES if kind == "address" else DOCUMENTS
    if kind in ("address", "document"):
        value: object = draw(
            st.one_of(
                st.uuids().map(str).filter(lambda v: v not in known),
                st.text(max_size=20).filter(lambda v: v.lower() not in known),
                st.sampled_from(DOCUMENTS if kind == "address" else ADDRESSES),
            )
        )
    elif kind == "datetime":
        value = draw(st.sampled_from(BAD_DATES))
    else:
        value = draw(bad_textual(requirement_id))
    value = draw(
        st.one_of(st.just(value), json_values.filter(lambda v: not isinstance(v, str)))
    )
    body = {"requirement_id": requirement_id, "field_value": value}
    return Item(body, False, requirement_id)


@st.composite
def stray_item(draw: st.DrawFn, number_id: str) -> Item:
    """An item that can never be valid for this number, whatever its value."""
    others = [r for r in REQUIREMENTS if r not in NUMBERS[number_id]]
    value = draw(st.one_of(st.text(max_size=12), json_values))
    shape = draw(
        st.sampled_from(
            ["other", "unknown", "not-uuid", "no-id", "no-value", "not-object"]
        )
    )
    if shape == "other":
        body: object = {
            "requirement_id": draw(st.sampled_from(others)),
            "field_value": value,
        }
    elif shape == "unknown":
        body = {"requirement_id": str(draw(st.uuids())), "field_value": value}
    elif shape == "not-uuid":
        requirement_id = draw(st.one_of(st.text(max_size=40), json_values))
        body = {"requirement_id": requirement_id, "field_value": value}
    elif shape == "no-id":
        body = {"field_value": value}
    elif shape == "no-value" and NUMBERS[number_id]:
        body = {"requirement_id": draw(st.sampled_from(NUMBERS[number_id]))}
    else:
        body = draw(json_values.filter(lambda v: not isinstance(v, dict)))
    return Item(body, False)


@dataclass(frozen=True, slots=True)
class Patch:
    number_id: str
    body: object
    items: tuple[Item, ...] | None

    def valid_for(self, requirements_status: str) -> bool:
        """Whether the emulator must accept this body, from its construction alone."""
        if not isinstance(self.body, dict):
            return False
        if "regulatory_requirements" not in self.body:
            return True
        if self.items is None:
            return False
        if not self.items:
            return True
        ids = [item.requirement_id for item in self.items if item.requirement_id]
        return (
            requirements_status not in FROZEN
            and all(item.valid for item in self.items)
            and len(ids) == len(set(ids))
        )


@st.composite
def patches(draw: st.DrawFn) -> Patch:
    number_id = draw(st.sampled_from(sorted(NUMBERS)))
    requirements = NUMBERS[number_id]
    kinds = [stray_item(number_id)]
    if requirements:
        kinds += [
            st.sampled_from(requirements).flatmap(good_item),
            st.sampled_from(requirements).flatmap(bad_value_item),
        ]
    mixed = st.lists(st.one_of(kinds), max_size=5).map(tuple)
    if requirements:
        # Half the lists name each requirement at most once, every item valid.
        all_good = st.lists(st.sampled_from(requirements), unique=True).flatmap(
            lambda ids: st.tuples(*(good_item(i) for i in ids))
        )
        mixed = st.one_of(mixed, all_good)
    items: tuple[Item, ...] = draw(mixed)
    extra = draw(
        st.dictionaries(
            st.text(max_size=8).filter(lambda k: k != "regulatory_requirements"),
            json_values,
            max_size=2,
        )
    )
    shape = draw(
        st.sampled_from(["items"] * 6 + ["no-items", "not-a-list", "not-an-object"])
    )
    if shape == "items":
        return Patch(
            number_id,
            {**extra, "regulatory_requirements": [i.json for i in items]},
            items,
        )
    if shape == "no-items":
        return Patch(number_id, extra, None)
    if shape == "not-a-list":
        value = draw(json_values.filter(lambda v: not isinstance(v, list)))
        return Patch(number_id, {"regulatory_requirements": value}, None)
    return Patch(
        number_id, draw(json_values.filter(lambda v: not isinstance(v, dict))), None
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with BackgroundEmulator(Settings(port=0)) as server:
        handle = EmulatorHandle(server.base_url)
        try:
            yield handle
        finally:
            handle.close()


def values_of(number: dict[str, Any]) -> dict[str, str]:
    return {
        item["requirement_id"]: item["field_value"]
        for item in number["regulatory_requirements"]
    }


def check_patch_invariants(client: httpx.Client, patch: Patch) -> bool:
    """Send one generated PATCH; fail on any broken invariant; True on a 200."""
    before = {
        n["id"]: n for n in client.get(PATH, params={"page[size]": 250}).json()["data"]
    }
    expected_ok = patch.valid_for(before[patch.number_id]["requirements_status"])

    # Serialised here: httpx would send no body at all for json=None.
    response = client.patch(
        f"{PATH}/{patch.number_id}",
        content=json.dumps(patch.body),
        headers={"Content-Type": "application/json"},
    )

    after = {
        n["id"]: n for n in client.get(PATH, params={"page[size]": 250}).json()["data"]
    }
    assert response.status_code < 500, response.text
    assert (response.status_code == 200) == expected_ok, (patch.body, response.text)
    if response.status_code != 200:
        check_error_envelope(response.json())
        assert after == before
        return False
    expected = values_of(before[patch.number_id])
    for item in patch.items or ():
        assert item.requirement_id is not None and item.stored_value is not None
        expected[item.requirement_id] = item.stored_value
    assert values_of(after[patch.number_id]) == expected
    assert response.json()["data"] == after[patch.number_id]
    assert {k: v for k, v in after.items() if k != patch.number_id} == {
        k: v for k, v in before.items() if k != patch.number_id
    }
    return True


def run_patch_fuzz(emulator: EmulatorHandle, examples: int) -> dict[str, int]:
    emulator.reset()
    tally = {"examples": 0, "accepted": 0}

    client = contract_client(emulator.base_url + "/v2")

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(patch=patches())
    def fuzz(patch: Patch) -> None:
        accepted = check_patch_invariants(client, patch)
        tally["examples"] += 1
        tally["accepted"] += accepted

    with client:
        fuzz()
    return tally


def test_generated_patch_bodies_keep_invariants(emulator: EmulatorHandle) -> None:
    tally = run_patch_fuzz(emulator, EXAMPLES)

    assert tally["accepted"] > 0
    print(f"patch fuzz: {tally}")


@pytest.mark.slow
def test_generated_patch_bodies_keep_invariants_at_length(
    emulator: EmulatorHandle,
) -> None:
    tally = run_patch_fuzz(emulator, SLOW_EXAMPLES)

    assert tally["accepted"] > 0
    print(f"patch fuzz: {tally}")


def _control_openapi() -> dict[str, Any]:
    app = create_app(Settings())
    control = next(
        route for route in app.routes if getattr(route, "path", "") == "/_emulator"
    )
    document: dict[str, Any] = control.app.openapi()  # type: ignore[attr-defined]
    return document


CONTROL_CONFIG = f"""
[generation]
mode = "all"
max-examples = {CONTROL_EXAMPLES}
deterministic = true
database = "none"

[checks]
enabled = false
not_a_server_error.enabled = true
"""

control_schema = schemathesis.openapi.from_dict(
    _control_openapi(), config=SchemathesisConfig.from_str(CONTROL_CONFIG)
)


def refusal_in_envelope(ctx: object, response: Response, case: object) -> None:
    """Every 4xx of the control API is in Telnyx's envelope and names no source."""
    if response.status_code >= 400:
        check_error_envelope(json.loads(response.content))
        text = response.content.decode("utf-8", "replace")
        assert [marker for marker in LEAK_MARKERS if marker in text] == []


@control_schema.parametrize()
def test_control_api_fuzzed_never_fails(
    case: schemathesis.Case, emulator: EmulatorHandle
) -> None:
    emulator.control.post("/reset", json={"startup_fixtures": True})

    case.call_and_validate(
        base_url=emulator.base_url + "/_emulator",
        additional_checks=[refusal_in_envelope],
    )
