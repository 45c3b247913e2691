"""uvicorn's httptools protocol, refusing unparseable HTTP in Telnyx's envelope.

A request that breaks HTTP itself (a NUL or a space in the request line, a
negative Content-Length, a malformed chunk) never reaches the ASGI app: uvicorn
answers it 400 with a plain-text body. Clients of the emulator parse every 4xx
as `{"errors": [...]}`, so the same 400 is sent here in that envelope instead.
"""

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app.errors import BadRequest, render_errors


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        error = BadRequest(
            "The request is not valid HTTP/1.1 and could not be read; "
            "check the request line, the headers and the body framing."
        )
        body = render_errors([error])
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
