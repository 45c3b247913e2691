"""A catalogue of broken and hostile requests: each is refused, nothing changes.

Every case is sent as raw bytes over a socket to the real command (started with
--api-key, --log-level debug and --access-log), because HTTP clients repair or
refuse much of it: httpx normalises `..`, encodes unicode and will not send a
doubled Authorization header. Each case must be answered within REPLY_TIMEOUT with
the expected 4xx in Telnyx's error envelope (checked against openapi.yml by
tests/contract.py), the body naming no stack frame or file, the server logging no
error, and the state (every number, the catalogue counts, the clock and the armed
faults) as it was before.

Requests that break HTTP itself (a NUL or raw non-ASCII byte in the request line,
a negative Content-Length) never reach the ASGI app: the HTTP parser refuses them,
and the emulator's protocol (app/http_protocol.py) answers 400 10015 in Telnyx's
envelope. No HTTP client sends them (a client percent-encodes a NUL or unicode in
an id, and those cases are in the first catalogue); the second group pins that
answer.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import DE_LOCAL_ID, DE_NAME_REQUIREMENT
from tests.contract import check_response
from tests.emulator_process import EmulatorProcess
from tests.raw_http import REPLY_TIMEOUT, Answer, build_request, exchange

API_KEY = "hostile-input-key"
GB_NUMBER = "98ff6eac-ed42-5885-aff7-38fdc8fde70e"
GB_COMPANY_REQUIREMENT = "82abe520-b3ea-4b6e-88a9-82e6fa10a52c"
UNKNOWN_REQUIREMENT = "00000000-0000-4000-8000-000000000000"
NUMBER_PATH = f"/v2/number_order_phone_numbers/{DE_LOCAL_ID}".encode()
LIST_PATH = b"/v2/number_order_phone_numbers"
TEN_MB = 10 * 1024 * 1024
# What an error body must never hold: a Python stack frame, a source file, a path.
LEAK_MARKERS = ("Traceback", 'File "', ".py", "site-packages", "/work/", "/tmp/")
VALID_BODY = json.dumps(
    {
        "regulatory_requirements": [
            {"requirement_id": DE_NAME_REQUIREMENT, "field_value": "Hostile GmbH"}
        ]
    }
).encode()


@dataclass(frozen=True, slots=True)
class Case:
    request: bytes
    status: int
    code: str | None
    body_chunks: tuple[bytes, ...] = ()


def request(
    method: str,
    target: bytes,
    body: bytes = b"",
    *,
    authorization: list[bytes] | None = None,
    **options: Any,
) -> bytes:
    """One request; authorization None sends the test's key."""
    if authorization is None:
        authorization = [b"Bearer " + API_KEY.encode()]
    return build_request(method, target, body, authorization=authorization, **options)


def patch(body: bytes, **options: Any) -> bytes:
    return request("PATCH", NUMBER_PATH, body, **options)


def items(*entries: object) -> bytes:
    return json.dumps({"regulatory_requirements": list(entries)}).encode()


def name_item(value: object) -> dict[str, object]:
    return {"requirement_id": DE_NAME_REQUIREMENT, "field_value": value}


def get(target: bytes, **options: Any) -> bytes:
    return request("GET", target, **options)


def control(method: str, target: bytes, body: bytes = b"") -> bytes:
    return request(method, b"/_emulator" + target, body, authorization=[])


def chunked(chunk: bytes, count: int) -> Case:
    """A PATCH whose body streams in `count` chunks, with no length declared."""
    head = patch(b"", length=False, extra=(b"Transfer-Encoding: chunked",))
    frame = f"{len(chunk):x}".encode() + b"\r\n" + chunk + b"\r\n"
    return Case(head, 400, "10015", (frame,) * count + (b"0\r\n\r\n",))


def nested(opening: bytes, closing: bytes, depth: int) -> bytes:
    return b'{"regulatory_requirements": ' + opening * depth + closing * depth + b"}"


CATALOGUE: dict[str, Case] = {
    # Malformed JSON.
    "truncated-object": Case(patch(b'{"regulatory_requirements": ['), 400, "10023"),
    "truncated-string": Case(
        patch(b'{"regulatory_requirements": [{"requ'), 400, "10023"
    ),
    "truncated-escape": Case(patch(b'{"a": "\\u12'), 400, "10023"),
    "trailing-garbage": Case(
        patch(b'{"regulatory_requirements": []} {}'), 400, "10023"
    ),
    "single-quotes": Case(patch(b"{'regulatory_requirements': []}"), 400, "10023"),
    "trailing-comma": Case(patch(b'{"regulatory_requirements": [],}'), 400, "10023"),
    "comment": Case(patch(b'{/* note */ "regulatory_requirements": []}'), 400, "10023"),
    "unquoted-key": Case(patch(b"{regulatory_requirements: []}"), 400, "10023"),
    "invalid-utf8": Case(
        patch(b'{"regulatory_requirements": "\xff\xfe"}'), 400, "10023"
    ),
    "overlong-utf8": Case(patch(b'{"a": "\xc0\xaf"}'), 400, "10023"),
    "utf16-body": Case(
        patch('{"regulatory_requirements": []}'.encode("utf-16")), 400, "10023"
    ),
    "byte-order-mark": Case(
        patch(b'\xef\xbb\xbf{"regulatory_requirements": []}'), 400, "10023"
    ),
    "lone-surrogate": Case(
        patch(items(name_item("x")).replace(b'"x"', b'"\\ud800\\udbff"')), 400, "10023"
    ),
    "nan": Case(patch(items(name_item("x")).replace(b'"x"', b"NaN")), 400, "10023"),
    "infinity": Case(
        patch(items(name_item("x")).replace(b'"x"', b"Infinity")), 400, "10023"
    ),
    "negative-infinity": Case(
        patch(items(name_item("x")).replace(b'"x"', b"-Infinity")), 400, "10023"
    ),
    "huge-integer": Case(
        patch(items(name_item("x")).replace(b'"x"', b"9" * 5000)), 400, "10023"
    ),
    "duplicate-key": Case(
        patch(b'{"regulatory_requirements": [], "regulatory_requirements": []}'),
        400,
        "10023",
    ),
    "duplicate-key-in-item": Case(
        patch(
            b'{"regulatory_requirements": [{"requirement_id": "'
            + DE_NAME_REQUIREMENT.encode()
            + b'", "field_value": "Ab", "field_value": "Cd"}]}'
        ),
        400,
        "10023",
    ),
    "arrays-10000-deep": Case(patch(nested(b"[", b"]", 10_000)), 400, "10023"),
    "objects-10000-deep": Case(
        patch(nested(b'{"a": ', b"}", 10_000).replace(b"}}", b"1}}", 1)), 400, "10023"
    ),
    # Size.
    "10mb-declared": Case(patch(b"{" + b" " * TEN_MB + b"}"), 400, "10015"),
    "10mb-chunked": chunked(b" " * 65536, TEN_MB // 65536),
    "100000-items": Case(patch(items(*[{}] * 100_000)), 422, "10033"),
    # Well-formed JSON of the wrong shape.
    "body-array": Case(patch(b"[]"), 400, "10015"),
    "body-string": Case(patch(b'"regulatory_requirements"'), 400, "10015"),
    "body-null": Case(patch(b"null"), 400, "10015"),
    "body-whitespace": Case(patch(b" \r\n\t "), 400, "10015"),
    "requirements-object": Case(
        patch(b'{"regulatory_requirements": {"0": {}}}'), 422, "10026"
    ),
    "item-number": Case(patch(items(1)), 422, "10026"),
    "value-number": Case(patch(items(name_item(1))), 422, "10026"),
    "value-null": Case(patch(items(name_item(None))), 422, "10026"),
    "value-10000-characters": Case(patch(items(name_item("x" * 10_000))), 422, "10033"),
    "requirement-id-sql": Case(
        patch(
            items(
                {
                    "requirement_id": "'; DROP TABLE phone_numbers; --",
                    "field_value": "Ab",
                }
            )
        ),
        422,
        "10006",
    ),
    "value-with-nul": Case(
        request(
            "PATCH",
            f"/v2/number_order_phone_numbers/{GB_NUMBER}".encode(),
            items(
                {"requirement_id": GB_COMPANY_REQUIREMENT, "field_value": "AB\x00CDEFG"}
            ),
        ),
        422,
        "10015",
    ),
    "valid-item-beside-invalid-one": Case(
        patch(
            items(
                name_item("Valid GmbH"),
                {"requirement_id": UNKNOWN_REQUIREMENT, "field_value": "x"},
            )
        ),
        422,
        "10013",
    ),
    "group-body-array": Case(
        request("POST", NUMBER_PATH + b"/requirement_group", b"[]"), 400, "10015"
    ),
    "group-id-10000-characters": Case(
        request(
            "POST",
            NUMBER_PATH + b"/requirement_group",
            json.dumps({"requirement_group_id": "9" * 10_000}).encode(),
        ),
        422,
        "10006",
    ),
    # Content types.
    "text-plain": Case(patch(VALID_BODY, content_type=b"text/plain"), 400, "10014"),
    "no-content-type": Case(patch(VALID_BODY, content_type=None), 400, "10014"),
    "form-urlencoded": Case(
        patch(
            b"regulatory_requirements=x",
            content_type=b"application/x-www-form-urlencoded",
        ),
        400,
        "10014",
    ),
    "multipart": Case(
        patch(VALID_BODY, content_type=b"multipart/form-data; boundary=x"), 400, "10014"
    ),
    "json-declared-utf16": Case(
        patch(
            VALID_BODY.decode().encode("utf-16-le"),
            content_type=b"application/json; charset=utf-16",
        ),
        400,
        "10023",
    ),
    # Ids in the path.
    "id-number": Case(get(LIST_PATH + b"/12345"), 404, "10005"),
    "id-number-patch": Case(
        request("PATCH", LIST_PATH + b"/12345", VALID_BODY), 404, "10005"
    ),
    "id-slash": Case(get(LIST_PATH + b"/a/b"), 404, "10005"),
    "id-encoded-slash": Case(get(LIST_PATH + b"/a%2Fb"), 404, "10005"),
    "id-dot-dot": Case(get(LIST_PATH + b"/.."), 404, "10005"),
    "id-encoded-dot-dot": Case(get(LIST_PATH + b"/%2E%2E"), 404, "10005"),
    "id-traversal-to-reset": Case(
        request("POST", LIST_PATH + b"/../../_emulator/reset", b"{}"), 404, "10005"
    ),
    "id-traversal-encoded": Case(
        request("POST", LIST_PATH + b"/..%2F..%2F_emulator%2Freset", b"{}"),
        405,
        "10015",
    ),
    "id-unicode": Case(get(LIST_PATH + b"/%C3%A9%E2%98%83"), 404, "10005"),
    "id-invalid-utf8": Case(get(LIST_PATH + b"/%FF%FE"), 404, "10005"),
    "id-encoded-surrogate": Case(get(LIST_PATH + b"/%ED%A0%80"), 404, "10005"),
    "id-nul": Case(get(LIST_PATH + b"/a%00b"), 404, "10005"),
    "id-nul-patch": Case(
        request("PATCH", LIST_PATH + b"/%00", VALID_BODY), 404, "10005"
    ),
    "id-sql": Case(get(LIST_PATH + b"/1'%20OR%20'1'='1"), 404, "10005"),
    "id-sql-patch": Case(
        request(
            "PATCH", LIST_PATH + b"/x';DROP%20TABLE%20phone_numbers;--", VALID_BODY
        ),
        404,
        "10005",
    ),
    "id-10000-characters": Case(get(LIST_PATH + b"/" + b"a" * 10_000), 404, "10005"),
    "id-10000-characters-patch": Case(
        request("PATCH", LIST_PATH + b"/" + b"a" * 10_000, VALID_BODY), 404, "10005"
    ),
    # Credentials, each on a PATCH that would change the state if let through.
    "authorization-missing": Case(patch(VALID_BODY, authorization=[]), 401, "10009"),
    "authorization-doubled": Case(
        patch(VALID_BODY, authorization=[b"Bearer " + API_KEY.encode()] * 2),
        401,
        "10009",
    ),
    "authorization-comma-joined": Case(
        patch(
            VALID_BODY, authorization=[f"Bearer {API_KEY}, Bearer {API_KEY}".encode()]
        ),
        401,
        "10009",
    ),
    "bearer-two-spaces": Case(
        patch(VALID_BODY, authorization=[f"Bearer  {API_KEY}".encode()]), 401, "10009"
    ),
    "bearer-tab": Case(
        patch(VALID_BODY, authorization=[f"Bearer\t{API_KEY}".encode()]), 401, "10009"
    ),
    "bearer-without-token": Case(
        patch(VALID_BODY, authorization=[b"Bearer"]), 401, "10009"
    ),
    "bearer-wrong-token": Case(
        patch(VALID_BODY, authorization=[b"Bearer not-the-key"]), 401, "10009"
    ),
    "bearer-latin1-token": Case(
        patch(VALID_BODY, authorization=[b"Bearer " + API_KEY.encode() + b"\xe9"]),
        401,
        "10009",
    ),
    "basic-scheme": Case(
        patch(VALID_BODY, authorization=[b"Basic aG9zdGlsZTprZXk="]), 401, "10009"
    ),
    "token-scheme": Case(
        patch(VALID_BODY, authorization=[f"Token {API_KEY}".encode()]), 401, "10009"
    ),
    # Query parameters.
    "1000-parameters": Case(
        get(
            LIST_PATH
            + b"?"
            + b"&".join(b"p%d=%d" % (index, index) for index in range(1000))
            + b"&page[number]=0"
        ),
        400,
        "10015",
    ),
    "page-negative": Case(get(LIST_PATH + b"?page[number]=-1"), 400, "10015"),
    "page-zero": Case(get(LIST_PATH + b"?page%5Bnumber%5D=0"), 400, "10015"),
    "page-huge": Case(get(LIST_PATH + b"?page[number]=" + b"9" * 30), 400, "10015"),
    "page-5000-digits": Case(
        get(LIST_PATH + b"?page[number]=" + b"9" * 5000), 400, "10015"
    ),
    "page-fraction": Case(get(LIST_PATH + b"?page[number]=1.5"), 400, "10015"),
    "page-empty": Case(get(LIST_PATH + b"?page[number]="), 400, "10015"),
    "page-invalid-utf8": Case(get(LIST_PATH + b"?page[number]=%FF"), 400, "10015"),
    "size-zero": Case(get(LIST_PATH + b"?page[size]=0"), 400, "10015"),
    "size-too-large": Case(get(LIST_PATH + b"?page[size]=251"), 400, "10015"),
    "size-huge-negative": Case(
        get(LIST_PATH + b"?page[size]=-" + b"9" * 30), 400, "10015"
    ),
    # Methods no route answers.
    "delete-number": Case(request("DELETE", NUMBER_PATH), 405, "10015"),
    "put-number": Case(request("PUT", NUMBER_PATH, VALID_BODY), 405, "10015"),
    "post-list": Case(request("POST", LIST_PATH, VALID_BODY), 405, "10015"),
    # The emulator's own header and control API.
    "fault-header-garbage": Case(
        get(LIST_PATH, extra=(b"X-Emulator-Fault: \xff\xfe; status",)), 400, "10015"
    ),
    "fault-header-status-999": Case(
        get(LIST_PATH, extra=(b"X-Emulator-Fault: status=999",)), 400, "10015"
    ),
    "clock-advance-9999-years": Case(
        control("POST", b"/clock", b'{"advance": "P9999Y"}'), 400, "10015"
    ),
    "clock-back-999999-days": Case(
        control("POST", b"/clock", b'{"advance": "-P999999D"}'), 400, "10015"
    ),
    "clock-set-year-1": Case(
        control("POST", b"/clock", b'{"set": "0001-01-01T00:00:00Z"}'), 400, "10015"
    ),
    "clock-not-json": Case(control("POST", b"/clock", b"{advance}"), 422, "10026"),
    "fault-status-999": Case(
        control("POST", b"/faults", b'{"kind": "status", "status": 999}'), 422, "10026"
    ),
    "fixtures-10000-deep": Case(
        control("POST", b"/fixtures", b"[" * 10_000 + b"]" * 10_000), 400, "10015"
    ),
    "fixtures-invalid": Case(
        control("POST", b"/fixtures", b'{"phone_numbers": [{"id": "x"}]}'), 422, "10015"
    ),
    "journal-limit-negative": Case(control("GET", b"/requests?limit=-5"), 400, "10015"),
    "review-unknown-number": Case(
        control(
            "POST",
            b"/number_order_phone_numbers/%00/review",
            b'{"outcome": "approved"}',
        ),
        404,
        "10005",
    ),
}

# Requests that are not HTTP: the parser refuses them before the app sees them.
PROTOCOL_CATALOGUE: dict[str, bytes] = {
    "raw-nul-in-path": get(LIST_PATH + b"/a\x00b"),
    "raw-unicode-in-path": get(LIST_PATH + "/é☃".encode()),
    "raw-space-in-path": get(LIST_PATH + b"/a b"),
    "negative-content-length": patch(
        VALID_BODY, length=False, extra=(b"Content-Length: -1",)
    ),
    "header-without-colon": get(LIST_PATH, extra=(b"Authorization Bearer x",)),
    "nul-in-header": get(LIST_PATH, extra=(b"X-Test: a\x00b",)),
    "bad-chunk-size": patch(
        b"zz\r\n{}\r\n0\r\n\r\n", length=False, extra=(b"Transfer-Encoding: chunked",)
    ),
}


def as_httpx(sent: bytes, answer: Answer) -> httpx.Response:
    """A raw exchange in the form the suite's openapi.yml check takes."""
    method, target, _ = sent.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    request = httpx.Request(method, "http://emulator" + target)
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


def dump(base_url: str) -> dict[str, Any]:
    """Everything a hostile request could have changed."""
    with httpx.Client(base_url=base_url, timeout=REPLY_TIMEOUT) as client:
        numbers = client.get(
            "/v2/number_order_phone_numbers",
            params={"page[size]": 250},
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).json()
        counts = client.get("/_emulator/info").json()["counts"]
        counts.pop("journal_entries")
        return {
            "numbers": numbers,
            "counts": counts,
            "clock": client.get("/_emulator/clock").json()["offset_seconds"],
            "faults": client.get("/_emulator/faults").json(),
        }


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    log_path = tmp_path_factory.mktemp("hostile") / "emulator.log"
    arguments = ("--api-key", API_KEY, "--log-level", "debug", "--access-log")
    with EmulatorProcess(*arguments, log_path=log_path) as process:
        yield process


def log_since(emulator: EmulatorProcess, offset: int) -> list[str]:
    lines = emulator.log_path.read_bytes()[offset:].decode("utf-8", "replace")
    return [
        line for line in lines.splitlines() if "Traceback" in line or "ERROR" in line
    ]


@pytest.mark.parametrize("case", CATALOGUE.values(), ids=CATALOGUE.keys())
def test_hostile_request_is_refused_and_changes_nothing(
    emulator: EmulatorProcess, case: Case
) -> None:
    before = dump(emulator.base_url)
    log_offset = emulator.log_path.stat().st_size

    answer = exchange(emulator.port, case.request, case.body_chunks)

    text = answer.body.decode("utf-8", "replace")
    assert (answer.status, answer.headers.get("content-type")) == (
        case.status,
        "application/json",
    ), text[:500]
    check_response(as_httpx(case.request, answer))
    assert json.loads(answer.body)["errors"][0]["code"] == case.code
    assert [marker for marker in LEAK_MARKERS if marker in text] == []
    assert log_since(emulator, log_offset) == []
    assert dump(emulator.base_url) == before


@pytest.mark.parametrize(
    "sent", PROTOCOL_CATALOGUE.values(), ids=PROTOCOL_CATALOGUE.keys()
)
def test_broken_http_is_refused_by_the_server_and_changes_nothing(
    emulator: EmulatorProcess, sent: bytes
) -> None:
    before = dump(emulator.base_url)

    answer = exchange(emulator.port, sent)

    assert (answer.status, answer.headers["content-type"]) == (400, "application/json")
    (error,) = json.loads(answer.body)["errors"]
    assert (error["code"], error["title"]) == ("10015", "Bad Request")
    assert "not valid HTTP/1.1" in error["detail"]
    assert dump(emulator.base_url) == before


def test_list_number_order_phone_numbers_ignores_1000_unknown_parameters(
    emulator: EmulatorProcess,
) -> None:
    noise = b"&".join(b"p%d=%d" % (index, index) for index in range(1000))
    plain = exchange(emulator.port, get(LIST_PATH))

    noisy = exchange(emulator.port, get(LIST_PATH + b"?" + noise))

    assert (noisy.status, noisy.body) == (200, plain.body)


def test_journal_serves_after_the_catalogue(emulator: EmulatorProcess) -> None:
    httpx.delete(f"{emulator.base_url}/_emulator/requests", timeout=REPLY_TIMEOUT)
    for case in CATALOGUE.values():
        exchange(emulator.port, case.request, case.body_chunks)
    telnyx_routes = [
        case for case in CATALOGUE.values() if b" /_emulator" not in case.request[:20]
    ]

    journal = httpx.get(
        f"{emulator.base_url}/_emulator/requests", timeout=REPLY_TIMEOUT
    )

    assert journal.status_code == 200
    assert journal.json()["total"] == len(telnyx_routes)
