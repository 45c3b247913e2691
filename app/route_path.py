"""Routing on the path segments as sent, so that an id may hold a slash.

The SDKs percent-encode an id into a single path segment: `retrieve("a/b")` asks
for `/number_order_phone_numbers/a%2Fb`. The server decodes the whole path before
routing, which turns that one segment into two and sends the request to another
route (`retrieve("x/requirement_group")` would meet the POST-only route and get a
405) or to none. Here each segment of the raw path is decoded on its own and only
`%` and `/` are escaped again, so the router sees the segments the client sent.
Route handlers decode their path parameters with `path_parameter`.
"""

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_emulator"


def path_parameter(value: str) -> str:
    """A path parameter as the client meant it: `a%2Fb` in the route is `a/b`."""
    return unquote(value)


def _escape(segment: str) -> str:
    return segment.replace("%", "%25").replace("/", "%2F")


def segment_path(raw_path: bytes) -> str:
    """The path decoded segment by segment, a `/` or `%` inside one kept escaped."""
    text = raw_path.decode("latin-1")
    return "/".join(_escape(unquote(segment)) for segment in text.split("/"))


class SegmentRouting:
    """Gives the Telnyx routes a path whose segments are those of the raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        # Without a `%` in it, the raw path decodes to the path the server gave.
        if (
            raw_path
            and b"%" in raw_path
            and not scope["path"].startswith(CONTROL_PREFIX)
        ):
            scope = {**scope, "path": segment_path(raw_path)}
        await self.app(scope, receive, send)
