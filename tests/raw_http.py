"""HTTP/1.1 spoken by hand over a socket, for requests no HTTP client would send.

httpx normalises `..` in paths, percent-encodes unicode, refuses a doubled
Authorization header and always finishes a body; these tests need each of those.
"""

import socket
import threading
from dataclasses import dataclass

import pytest

REPLY_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def build_request(
    method: str,
    target: bytes,
    body: bytes = b"",
    *,
    authorization: list[bytes],
    content_type: bytes | None = b"application/json",
    extra: tuple[bytes, ...] = (),
    length: bool = True,
) -> bytes:
    """The bytes of one request, closing the connection after it."""
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: emulator"]
    lines += [b"Authorization: " + value for value in authorization]
    if content_type is not None and (body or method in ("PATCH", "POST")):
        lines.append(b"Content-Type: " + content_type)
    if length:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines += [*extra, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def exchange(port: int, sent: bytes, chunks: tuple[bytes, ...] = ()) -> Answer:
    """Send the bytes, then the chunks, and read one answer; fail if none comes.

    The bytes go out from a thread, so that an answer sent before the body has
    all arrived is read at once; the connection stays open until it is read.
    """
    connection = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)

    def send() -> None:
        try:
            connection.sendall(sent)
            for chunk in chunks:
                connection.sendall(chunk)
        except OSError:
            pass  # the server answered and closed before taking the whole body

    threading.Thread(target=send, daemon=True).start()
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            data = connection.recv(65536)
            assert data, f"the connection closed without an answer: {received!r}"
            received += data
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            data = connection.recv(65536)
            assert data, "the connection closed in the middle of the answer"
            body += data
    except TimeoutError:
        pytest.fail(f"no answer within {REPLY_TIMEOUT} s: the request hung")
    finally:
        connection.close()
    return Answer(int(lines[0].split()[1]), headers, body)
